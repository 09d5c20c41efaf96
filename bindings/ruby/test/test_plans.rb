# frozen_string_literal: true

require "securerandom"
require "test_helper"

# Follow plans through the gem against the emulator: exact end states of a mixed plan
# (following, pending, not found, suspended, already following), status counts, dry runs,
# the computed plans, list and drop, and a progress block that raises (it stops the run,
# and run_plan raises it).
class PlansTest < EmulatorTest
  FAST = "360000/hour" # 10 ms between requests: the pace is not what these tests check
  NOBODY = "1500000000000000009"

  def plan_name(what) = "#{what}-#{SecureRandom.hex(6)}"

  def follow_requests
    emulator.admin("GET", "requests?since=0").fetch("requests")
            .select { |r| r["method"] == "POST" && r["path"].end_with?("/following") }
            .map { |r| r["target"] }
  end

  def status(queued, done, pending, skipped, failed)
    Xfollow::PlanStatus.new(queued: queued, done: done, pending: pending, skipped: skipped, failed: failed)
  end

  def test_a_mixed_plan_ends_in_exact_states
    client = alice_oauth1
    client.follow(XDEVELOPERS) # already following when the run comes to it
    Xfollow::Plan.create(plan_name("mixed"), ALICE) do |plan|
      assert_equal 7, plan.add([BOB, CAROL, "9999999999", DAVE, "@erin", XDEVELOPERS, "@nosuchuser", BOB])
      assert_equal 1, plan.add([NOBODY], unfollow: true)
      assert_equal status(8, 0, 0, 0, 0), plan.status
      before = follow_requests.size
      dry = plan.dry_run
      assert_equal [[:follow, BOB], [:follow, CAROL], [:follow, "9999999999"], [:follow, DAVE],
                    [:follow, "@erin"], [:follow, XDEVELOPERS], [:follow, "@nosuchuser"], [:unfollow, NOBODY]], dry
      assert_equal dry.first(2), plan.dry_run(2)
      assert_equal before, follow_requests.size, "a dry run sends nothing"

      seen = []
      run = client.run_plan(plan, pace: FAST) { |p| seen << p }
      assert_equal Xfollow::PlanRun.new(stop: :finished, sent: 5), run
      want = status(0, 2, 1, 2, 3)
      assert_equal want, plan.status
      assert_equal 8, seen.size, "one progress call per intent"
      assert(seen.all?(Xfollow::PlanProgress))
      assert_equal [BOB, :follow, :done, status(7, 1, 0, 0, 0)], seen[0].to_h.values_at(:target, :action, :state, :counts)
      assert_equal want, seen.last.counts
      assert_equal({ BOB => :done, CAROL => :pending, "9999999999" => :failed, DAVE => :failed, "@erin" => :done,
                     XDEVELOPERS => :skipped, "@nosuchuser" => :failed, NOBODY => :skipped },
                   seen.to_h { |p| [p.target, p.state] })
      assert_equal [:unfollow], seen.map(&:action).uniq - [:follow]

      follows = emulator.follows
      [BOB, ERIN, XDEVELOPERS].each { |t| assert_includes follows, [ALICE, t] }
      refute_includes follows, [ALICE, DAVE]
      assert_equal [[ALICE, CAROL]], emulator.pending
      assert_equal [BOB, CAROL, "9999999999", DAVE, ERIN], follow_requests.last(5)

      # A second run finds nothing to do and sends nothing.
      n = follow_requests.size
      assert_equal Xfollow::PlanRun.new(stop: :finished, sent: 0), client.run_plan(plan, pace: FAST)
      assert_equal n, follow_requests.size
    end
  end

  def test_open_list_and_drop
    name = plan_name("listed")
    assert_raises(Xfollow::NotFound) { Xfollow::Plan.open(name) }
    Xfollow::Plan.create(name, ALICE) { |plan| plan.add([BOB]) }
    Xfollow::Plan.create(name, Integer(ALICE)) { |plan| assert_equal 1, plan.status.queued }
    assert_raises(Xfollow::InvalidArgument) { Xfollow::Plan.create(name, BOB) }
    Xfollow::Plan.open(name) { |plan| assert_equal status(1, 0, 0, 0, 0), plan.status }
    assert_includes Xfollow::Plan.list, name
    assert_equal Xfollow::Plan.list.sort, Xfollow::Plan.list
    assert Xfollow::Plan.drop(name)
    refute Xfollow::Plan.drop(name)
    refute_includes Xfollow::Plan.list, name
  end

  def test_bad_arguments_add_nothing
    client = alice_oauth1
    plan = Xfollow::Plan.create(plan_name("bad"), ALICE)
    assert_raises(Xfollow::InvalidArgument) { plan.add([BOB, "not an id"]) }
    assert_raises(Xfollow::InvalidArgument) { plan.add([BOB, "nul\0inside"]) }
    assert_raises(TypeError) { plan.add(BOB) }
    assert_equal 0, plan.status.queued
    e = assert_raises(Xfollow::InvalidArgument) { client.run_plan(plan, pace: "fast") }
    assert_match(/pace/, e.message)
    assert_raises(ArgumentError) { client.run_plan(plan, max_seconds: 0) }
    assert_raises(Xfollow::InvalidArgument) { Xfollow::Plan.create("bad name", ALICE) }
    assert_raises(Xfollow::InvalidArgument) { Xfollow::Plan.list(store: "ftp://example.com") }
    plan.close
    plan.close
    assert_raises(IOError) { plan.status }
  end

  def test_computed_plans
    client = alice_oauth1
    client.follow(XDEVELOPERS)
    client.follow(BOB) # bob and erin follow alice (the demo world)
    Xfollow::Plan.create(plan_name("back"), ALICE) do |plan|
      assert_equal 1, plan.follow_back(client)
      assert_equal [[:follow, ERIN]], plan.dry_run
    end
    Xfollow::Plan.create(plan_name("prune"), ALICE) do |plan|
      assert_equal 0, plan.unfollow_non_followers(client, keep: [XDEVELOPERS])
      assert_equal 1, plan.unfollow_non_followers(client)
      assert_equal [[:unfollow, XDEVELOPERS]], plan.dry_run
      assert_equal Xfollow::PlanRun.new(stop: :finished, sent: 1), client.run_plan(plan, pace: FAST)
      assert_equal status(0, 1, 0, 0, 0), plan.status
    end
    refute_includes emulator.follows, [ALICE, XDEVELOPERS]
    assert_includes emulator.follows, [ALICE, BOB]
  end

  class Boom < StandardError; end

  def test_a_progress_block_that_raises_stops_the_run_and_is_raised
    client = alice_oauth1
    Xfollow::Plan.create(plan_name("boom"), ALICE) do |plan|
      plan.add([BOB, ERIN, XDEVELOPERS])
      calls = []
      e = assert_raises(Boom) do
        client.run_plan(plan, pace: FAST) do |p|
          calls << p.target
          raise Boom, "stop after #{p.target}"
        end
      end
      assert_equal "stop after #{BOB}", e.message
      assert_equal [BOB], calls, "the run stops after the intent the block reported"
      assert_equal status(2, 1, 0, 0, 0), plan.status
      assert_equal [BOB], follow_requests
      # The client was never cancelled: it and the plan work on.
      assert_equal ALICE, client.me.id
      assert_equal Xfollow::PlanRun.new(stop: :finished, sent: 2), client.run_plan(plan, pace: FAST)
      assert_equal status(0, 3, 0, 0, 0), plan.status
    end
  end

  def test_a_raising_progress_block_leaves_the_clients_cancel_switch_alone
    client = alice_oauth1
    Xfollow::Plan.create(plan_name("boomcancel"), ALICE) do |plan|
      plan.add([BOB, ERIN])
      assert_raises(Boom) do
        client.run_plan(plan, pace: FAST) do |_p|
          client.cancel # the program shuts down, then the block fails
          raise Boom, "stop"
        end
      end
      # The program's cancel stands until it resets it.
      assert_raises(Xfollow::Cancelled) { client.me }
      client.reset_cancel
      assert_equal ALICE, client.me.id
      assert_equal status(1, 1, 0, 0, 0), plan.status
    end
  end

  def test_max_seconds_ends_a_run_at_its_deadline
    client = alice_oauth1
    Xfollow::Plan.create(plan_name("slow"), ALICE) do |plan|
      plan.add([BOB, ERIN])
      assert_equal Xfollow::PlanRun.new(stop: :deadline, sent: 1), client.run_plan(plan, pace: "1/hour", max_seconds: 1)
      assert_equal status(1, 1, 0, 0, 0), plan.status
    end
  end
end
