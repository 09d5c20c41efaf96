# frozen_string_literal: true

require "test_helper"

# Follow, pending follow, unfollow, me and by-username, run once per auth mode.
module ClientBehaviour
  include Demo

  def now
    emulator.state.fetch("now").to_i
  end

  def test_follow_unfollow_and_rate_limits
    t0 = now
    r = client.follow(BOB)
    t1 = now
    assert_instance_of Xfollow::FollowResult, r
    assert_equal [true, false, :following], [r.following?, r.pending_follow?, r.state]
    assert_equal [], r.errors
    assert_equal 200, r.http_status
    ep = r.rate_limit.endpoint
    user = r.rate_limit.user_24h
    app = r.rate_limit.app_24h
    assert_equal [50, 49], [ep.limit, ep.remaining]
    assert_includes (t0 + 900)..(t1 + 900), ep.reset
    assert_equal [400, 399], [user.limit, user.remaining]
    assert_equal [1000, 999], [app.limit, app.remaining]
    assert_includes (t0 + 86_400)..(t1 + 86_400), user.reset
    assert_includes emulator.follows, [ALICE, BOB]

    # Following again succeeds with no action; the request still counts in the window.
    again = client.follow(BOB)
    assert_equal [true, false, :following], [again.following?, again.pending_follow?, again.state]
    assert_equal 48, again.rate_limit.endpoint.remaining

    u = client.unfollow(BOB)
    assert_instance_of Xfollow::FollowResult, u
    assert_equal [false, false, :not_following], [u.following?, u.pending_follow?, u.state]
    assert_equal [50, 49], [u.rate_limit.endpoint.limit, u.rate_limit.endpoint.remaining]
    assert_equal [500, 499], [u.rate_limit.app_24h.limit, u.rate_limit.app_24h.remaining]
    refute_includes emulator.follows, [ALICE, BOB]
    # Unfollowing someone not followed also succeeds with no action.
    assert_equal :not_following, client.unfollow(BOB).state
    counters = emulator.state.dig("counters", "users", ALICE)
    assert_equal [2, 2], [counters["follow_requests"], counters["unfollow_requests"]]
  end

  def test_pending_follow_of_a_protected_account
    r = client.follow(CAROL)
    assert_equal [false, true, :pending], [r.following?, r.pending_follow?, r.state]
    assert_equal [[ALICE, CAROL]], emulator.pending
    refute_includes emulator.follows, [ALICE, CAROL]
    u = client.unfollow(CAROL)
    assert_equal [false, false, :not_following], [u.following?, u.pending_follow?, u.state]
    assert_equal [], emulator.pending
  end

  def test_explicit_source_and_integer_ids
    r = client.follow(Integer(ERIN), source_user_id: Integer(ALICE))
    assert_equal :following, r.state
    assert_includes emulator.follows, [ALICE, ERIN]
    assert_equal :not_following, client.unfollow(ERIN, source_user_id: ALICE).state
    refute_includes emulator.follows, [ALICE, ERIN]
  end

  def test_users_as_ids
    bob = client.user_by_username("bob")
    me = client.me
    assert_equal :following, client.follow(bob, source_user_id: me).state
    assert_includes emulator.follows, [ALICE, BOB]
    assert_equal :not_following, client.unfollow(bob).state
    refute_includes emulator.follows, [ALICE, BOB]
  end

  def test_me_and_user_by_username
    me = client.me
    assert_instance_of Xfollow::User, me
    assert_equal [ALICE, "alice", "Alice"], [me.id, me.username, me.name]
    assert_equal Xfollow::User.new(id: ALICE, username: "alice", name: "Alice"), me
    assert_equal Encoding::UTF_8, me.name.encoding
    assert_equal [75, 74], [me.rate_limit.endpoint.limit, me.rate_limit.endpoint.remaining]
    bob = client.user_by_username("bob")
    assert_equal [BOB, "bob", "Bob"], [bob.id, bob.username, bob.name]
    dev = client.user_by_username("XDevelopers")
    assert_equal [XDEVELOPERS, "XDevelopers", "Developers"], [dev.id, dev.username, dev.name]
    assert_equal 900, dev.rate_limit.endpoint.limit
    assert_equal ALICE, client.own_user_id
  end
end

class OAuth1ClientTest < EmulatorTest
  include ClientBehaviour

  def client
    @client ||= alice_oauth1
  end

  def test_the_oauth1_user_id_comes_from_the_token_without_a_request
    before = emulator.connections
    assert_equal ALICE, client.own_user_id
    # Only the admin request that reads the count opened a connection.
    assert_equal 1, emulator.connections - before
  end
end

class OAuth2ClientTest < EmulatorTest
  include ClientBehaviour

  def client
    @client ||= alice_oauth2
  end

  def test_the_user_id_is_read_once
    client.follow(BOB)
    client.unfollow(BOB)
    client.follow(ERIN)
    me = client.me
    # One GET /2/users/me to learn the source id, then the explicit #me.
    assert_equal Xfollow::RateLimitWindow.new(limit: 75, remaining: 73, reset: me.rate_limit.endpoint.reset),
                 me.rate_limit.endpoint
  end
end

class LifetimeTest < EmulatorTest
  def test_one_connection_is_reused
    before = emulator.connections
    c = alice_oauth1
    10.times do
      c.follow(BOB)
      c.unfollow(BOB)
    end
    # One connection for the 20 calls, one for the admin request that reads the count.
    assert_equal 2, emulator.connections - before
  end

  def test_close_and_block_form
    c = alice_oauth1
    refute_predicate c, :closed?
    c.close
    assert_predicate c, :closed?
    e = assert_raises(IOError) { c.follow(BOB) }
    assert_equal "operation on a closed Xfollow::Client", e.message
    c.close # idempotent

    seen = nil
    value = Xfollow::Client.oauth2(ALICE_OAUTH2, base_url: emulator.base_url) do |client|
      seen = client
      client.follow(BOB).state
    end
    assert_equal :following, value
    assert_predicate seen, :closed?
    # The block form closes the client on an exception too.
    assert_raises(Xfollow::NotFound) do
      Xfollow::Client.oauth2(ALICE_OAUTH2, base_url: emulator.base_url) do |client|
        seen = client
        client.follow("1234")
      end
    end
    assert_predicate seen, :closed?
  end

  def test_results_are_frozen_values
    r = alice_oauth1.follow(BOB)
    assert_predicate r, :frozen?
    assert_predicate r.errors, :frozen?
    assert_predicate r.rate_limit, :frozen?
    assert_equal %i[following pending_follow state rate_limit errors http_status], r.to_h.keys
    assert_match(/\A#<Xfollow::FollowResult following=true, pending_follow=false, state=:following, /, r.inspect)
  end

  # Records the addresses of the client handles released (by #close or by the GC).
  module ReleaseSpy
    FREED = Queue.new

    def release(ptr)
      FREED << ptr.address
      super
    end
  end
  Xfollow::Native::ClientPointer.singleton_class.prepend(ReleaseSpy)

  def test_garbage_collected_clients_are_freed
    freed = []
    address = nil
    # Built in a lambda of its own so that no local keeps the client alive.
    build = lambda do
      c = Xfollow::Client.oauth2(ALICE_OAUTH2, base_url: emulator.base_url)
      address = c.instance_variable_get(:@handle).address
      nil
    end
    build.call
    20.times do
      GC.start(full_mark: true, immediate_sweep: true)
      freed << ReleaseSpy::FREED.pop until ReleaseSpy::FREED.empty?
      break if freed.include?(address)

      sleep 0.05
    end
    assert_includes freed, address
  end

  def test_close_releases_the_handle_once
    c = Xfollow::Client.oauth2(ALICE_OAUTH2, base_url: emulator.base_url)
    address = c.instance_variable_get(:@handle).address
    ReleaseSpy::FREED.clear
    c.close
    c.close
    GC.start(full_mark: true, immediate_sweep: true)
    freed = []
    freed << ReleaseSpy::FREED.pop until ReleaseSpy::FREED.empty?
    assert_equal [address], freed.select { |a| a == address }
  end

  def test_library_and_version
    assert_equal Xfollow::VERSION, Xfollow.library_version
    assert_equal ENV.fetch("XFOLLOW_LIBRARY"), Xfollow.library_path
  end
end
