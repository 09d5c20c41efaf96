# frozen_string_literal: true

require "test_helper"

# One client shared by 8 Ruby threads, against an emulator whose world has 160 more users
# and limits high enough for them all.
class ThreadsTest < Minitest::Test
  include Demo

  TARGETS = Array.new(160) { |i| (1_600_000_000_000_000_000 + i).to_s }.freeze

  def self.crowd
    @crowd ||= begin
      world = JSON.parse(File.read(DEMO_WORLD))
      world["users"] += TARGETS.each_with_index.map do |id, n|
        { "id" => id, "username" => "crowd#{n}", "name" => "Crowd #{n}", "protected" => false, "suspended" => false }
      end
      world["limits"].update("follow_per_15min" => 10_000, "follows_per_user_day" => 10_000,
                             "follows_per_app_day" => 10_000)
      path = File.join(Dir.mktmpdir("xfollow-crowd"), "world.json")
      File.write(path, JSON.generate(world))
      emu = Emulator.new("--config", path)
      at_exit { emu.close }
      emu
    end
  end

  # The crowd emulator, reset (its follows answering after delay_ms when given), and
  # alice's client of it.
  def crowd_client(delay_ms: nil)
    emu = self.class.crowd
    emu.reset
    emu.fault(FOLLOW_ROUTE, "delay", delay_ms: delay_ms) if delay_ms
    [emu, alice_client(emu.base_url)]
  end

  def test_eight_threads_share_one_client
    emu, client = crowd_client
    before = emu.follows
    queue = Queue.new
    TARGETS.each { |t| queue << t }
    queue.close
    threads = Array.new(8) do
      Thread.new do
        done = []
        while (target = queue.pop)
          done << [target, client.follow(target)]
        end
        done
      end
    end
    per_thread = threads.map(&:value)
    client.close

    assert(per_thread.all? { |done| !done.empty? }, "every thread made calls")
    results = per_thread.flatten(1)
    assert_equal TARGETS.sort, results.map(&:first).sort
    assert(results.all? { |_, r| r.state == :following })
    # The endpoint window counted each request once: the remaining values are a permutation.
    assert_equal (10_000 - 160...10_000).to_a, results.map { |_, r| r.rate_limit.endpoint.remaining }.sort
    state = emu.state
    after = state["follows"].map { |f| [f["source"], f["target"]] }
    assert_equal TARGETS.map { |t| [ALICE, t] }.sort, (after - before).sort
    assert_equal 160, state.dig("counters", "users", ALICE, "follow_requests")
    assert_equal 160, state.dig("counters", "apps", "demo", "follow_requests")
  end

  # A blocking call releases the GVL: while one thread waits on a slow answer, others run.
  def test_a_slow_call_does_not_block_other_threads
    _, client = crowd_client(delay_ms: 1500)
    ticks = 0
    slow = Thread.new { client.follow(BOB) }
    ticker = Thread.new do
      until slow.join(0) # stops when the slow call has returned
        ticks += 1
        sleep 0.01
      end
    end
    assert_equal :following, slow.value.state
    ticker.join
    # The ticker ran throughout the 1.5 s wait (it would get ~0 ticks if the GVL were held).
    assert_operator ticks, :>, 20
    # close waits for calls in flight in other threads.
    closing = Thread.new { client.close }
    closing.join
    assert_predicate client, :closed?
  end

  def test_close_waits_for_a_call_in_flight
    emu, client = crowd_client(delay_ms: 500)
    caller = Thread.new { client.follow(BOB) }
    sleep 0.1 until emu.state.dig("counters", "users", ALICE, "follow_requests") == 1
    client.close # must not free the handle under the running call
    assert_predicate client, :closed?
    assert_equal :following, caller.value.state
  end
end
