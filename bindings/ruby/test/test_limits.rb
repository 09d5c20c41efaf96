# frozen_string_literal: true

require "test_helper"
require "tmpdir"

# X's limits from Ruby: quota:, quota_limits:, retry_policy:, quota_status, QuotaExhausted,
# rate_limits, the on-retry callback and cancel, against the emulator.
class TestLimits < EmulatorTest
  def counter(user, name = "follow_requests")
    emulator.state.dig("counters", "users", user, name)
  end

  def quick(seen)
    Xfollow::RetryPolicy.new(base_delay: 0.002, max_delay: 0.004, jitter: false,
                             on_retry: ->(attempt, reason, delay, status) { seen << [attempt, reason, delay, status] })
  end

  def test_defaults
    p = Xfollow::RetryPolicy.new
    assert_equal [3, 0.5, 8.0, 60.0, true], [p.max_attempts, p.base_delay, p.max_delay, p.max_rate_limit_wait, p.jitter]
    assert_equal 1, Xfollow::RetryPolicy.never.max_attempts
    q = Xfollow::QuotaLimits.new
    assert_equal [400, 1000, 500], [q.follows_per_user, q.follows_per_app, q.unfollows_per_app]
    assert_operator Xfollow::QuotaExhausted, :<, Xfollow::Error
  end

  def test_caps_are_exact_and_a_refusal_sends_nothing
    Dir.mktmpdir do |dir|
      limits = Xfollow::QuotaLimits.new(follows_per_user: 2, follows_per_app: 3)
      c = alice_oauth1(quota: "sqlite:#{dir}/quota.db", quota_limits: limits)
      c.follow(BOB)
      c.follow(ERIN)
      e = assert_raises(Xfollow::QuotaExhausted) { c.follow(XDEVELOPERS) }
      assert_equal 13, e.code
      refute e.may_have_reached_server?
      assert_match(/\Adaily quota exhausted: 2 of 2 follows per 24 hours used by this user/, e.message)
      assert_operator e.next_free_at, :>, Time.now.to_i + 86_000
      assert_equal 2, counter(ALICE)
      s = c.quota_status
      assert_equal [2, 0, 2, 1], [s.user_used, s.user_remaining, s.app_used, s.app_remaining]
      assert_equal e.next_free_at, s.next_free_at
      assert_equal 0, c.quota_status(user_id: BOB).user_used
    end
  end

  def test_refreshing_client_takes_the_ledger_and_retry_options
    # No refresh happens here (the token is valid for 7200 s); the refresh token is never spent.
    tokens = Xfollow::TokenSet.new(access_token: ALICE_OAUTH2, refresh_token: "unused-refresh-token")
    Dir.mktmpdir do |dir|
      store = "sqlite:#{dir}/quota.db"
      seen = []
      c = Xfollow::Client.oauth2_refreshing(tokens, client_id: "refreshing-client", base_url: emulator.base_url,
                                                    quota: store, retry_policy: quick(seen),
                                                    quota_limits: Xfollow::QuotaLimits.new(follows_per_user: 2))
      emulator.fault(FOLLOW_ROUTE, "status", status: 503, count: 1)
      assert c.follow(BOB).following?
      assert_equal [[1, :server, 0.002, 503]], seen
      # The 503 may have reached X, so its slot stays spent: two slots for one follow.
      e = assert_raises(Xfollow::QuotaExhausted) { c.follow(ERIN) }
      assert_match(/2 of 2 follows per 24 hours used by this user/, e.message)
      assert_equal 2, counter(ALICE)
      c.close
      # The ledger counts the app under the refreshing client's client_id.
      same = Xfollow::Client.oauth2(ALICE_OAUTH2, base_url: emulator.base_url, quota: store,
                                                  client_id: "refreshing-client")
      assert_equal 2, same.quota_status(user_id: ALICE).app_used
      other = Xfollow::Client.oauth2(ALICE_OAUTH2, base_url: emulator.base_url, quota: store,
                                                   client_id: "another-client")
      assert_equal 0, other.quota_status(user_id: ALICE).app_used
    ensure
      [same, other].compact.each(&:close)
    end
  end

  def test_quota_off_and_bad_store
    c = alice_oauth1(quota: "off")
    assert_raises(Xfollow::InvalidArgument) { c.quota_status }
    e = assert_raises(Xfollow::InvalidArgument) { alice_oauth1(quota: "postgres://u:pw@h/db") }
    assert_match(/unknown scheme 'postgres'/, e.message)
    assert_raises(TypeError) { alice_oauth1(quota_limits: [1, 2, 3]) }
  end

  def test_retry_on_503_twice_then_success
    seen = []
    c = alice_oauth1(quota: "off", retry_policy: quick(seen))
    emulator.fault(FOLLOW_ROUTE, "status", status: 503, count: 2)
    assert c.follow(BOB).following?
    assert_equal [[1, :server, 0.002, 503], [2, :server, 0.004, 503]], seen
    assert_equal 3, counter(ALICE)
  end

  def test_no_retry_on_403_and_429_beyond_the_wait
    seen = []
    c = alice_oauth1(quota: "off", retry_policy: quick(seen))
    emulator.fault(FOLLOW_ROUTE, "status", status: 403, count: 3)
    assert_raises(Xfollow::Forbidden) { c.follow(BOB) }
    emulator.admin("DELETE", "faults")
    reset = Time.now.to_i + 86_400
    emulator.fault(FOLLOW_ROUTE, "status", status: 429, count: 3,
                                            headers: { "x-user-limit-24hour-limit" => "400",
                                                       "x-user-limit-24hour-remaining" => "0",
                                                       "x-user-limit-24hour-reset" => reset.to_s })
    e = assert_raises(Xfollow::RateLimited) { c.follow(BOB) }
    assert_equal reset, e.reset_at
    assert_equal :user_24h, e.exhausted_window
    assert_empty seen
    assert_equal 2, counter(ALICE)
  end

  def test_rate_limits_and_cancel
    c = alice_oauth1(quota: "off", retry_policy: Xfollow::RetryPolicy.never)
    assert_equal({}, c.rate_limits)
    c.follow(BOB)
    rl = c.rate_limits
    assert_equal [:follow], rl.keys
    assert_equal 50, rl[:follow].endpoint.limit
    assert_equal 400, rl[:follow].user_24h.limit
    c.cancel
    e = assert_raises(Xfollow::Cancelled) { c.follow(BOB) }
    assert_equal "cancelled before the first attempt", e.message
    c.reset_cancel
    assert c.follow(BOB).following?
  end
end
