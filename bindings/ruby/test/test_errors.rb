# frozen_string_literal: true

require "test_helper"
require "socket"

# Every exception class with its attributes, from real emulator answers and injected
# faults; invalid input refused before any request.
class ErrorsTest < EmulatorTest
  # The enrollment 403 as X sends it (tests/data/xapi).
  ENROLLMENT_403 = {
    "client_id" => "101010101",
    "required_enrollment" => "Appropriate Level of API Access",
    "registration_url" => "https://developer.x.com/en/portal/product",
    "title" => "Client Forbidden",
    "detail" => "This request must be made using an approved developer account that is enrolled " \
                "in the requested endpoint. Learn more by visiting our documentation.",
    "reason" => "client-not-enrolled",
    "type" => "https://api.twitter.com/2/problems/client-forbidden"
  }.freeze
  LEGACY_429 = { "errors" => [{ "code" => 88, "message" => "Rate limit exceeded" }] }.freeze
  INVALID_REQUEST_400 = {
    "errors" => [{ "parameters" => { "id" => ["1111"] },
                   "message" => "The id query parameter value [1111] is not valid" }],
    "title" => "Invalid Request",
    "detail" => "One or more parameters to your request was invalid.",
    "type" => "https://api.twitter.com/2/problems/invalid-request"
  }.freeze

  def entry(code, message)
    Xfollow::ApiErrorEntry.new(code: code, message: message)
  end

  def test_hierarchy
    [Xfollow::InvalidArgument, Xfollow::AuthError, Xfollow::Forbidden, Xfollow::NotFound,
     Xfollow::RateLimited, Xfollow::NetworkError, Xfollow::Timeout, Xfollow::TlsError,
     Xfollow::ServerError, Xfollow::ProtocolError, Xfollow::ApiError, Xfollow::InternalError].each do |cls|
      assert_operator cls, :<, Xfollow::Error
    end
    assert_operator Xfollow::Error, :<, StandardError
    assert_operator Xfollow::Timeout, :<, Xfollow::NetworkError
    assert_operator Xfollow::TlsError, :<, Xfollow::NetworkError
    assert_equal((1..16).map { |c| Xfollow.error_class(c) }, Xfollow::ERROR_CLASSES.values)
    assert_equal [Xfollow::QuotaExhausted, Xfollow::QuotaStoreError, Xfollow::Cancelled, Xfollow::TokenStoreError], (13..16).map { |c| Xfollow.error_class(c) }
    assert_operator Xfollow::TokenStoreError, :<, Xfollow::Error
    assert_equal Xfollow::Error, Xfollow.error_class(99)
  end

  def test_auth_error_wrong_secret
    c = track(Xfollow::Client.oauth1(consumer_key: CONSUMER_KEY, consumer_secret: "not-the-secret",
                                     access_token: ALICE_TOKEN, access_token_secret: ALICE_TOKEN_SECRET,
                                     base_url: emulator.base_url))
    e = assert_raises(Xfollow::AuthError) { c.follow(BOB) }
    assert_equal Xfollow::AuthError, e.class
    assert_equal [2, 401], [e.code, e.http_status]
    assert_equal ["Unauthorized", "Unauthorized", "about:blank", nil], [e.title, e.detail, e.type_uri, e.problem_type]
    assert_equal [entry(32, "Could not authenticate you.")], e.errors
    assert_equal [32], e.legacy_codes
    assert_equal "HTTP 401 Unauthorized [code 32: Could not authenticate you.]", e.message
    refute_includes e.message, "not-the-secret"
    refute_includes e.inspect, "not-the-secret"
    assert_equal true, e.may_have_reached_server?
    refute_includes emulator.follows, [ALICE, BOB]
  end

  def test_forbidden_wrong_source_user
    e = assert_raises(Xfollow::Forbidden) { alice_oauth1.follow(DAVE, source_user_id: BOB) }
    assert_equal [3, 403, "Forbidden"], [e.code, e.http_status, e.title]
    assert_equal "You are not allowed to follow on behalf of another user.", e.detail
    assert_equal 50, e.rate_limit.endpoint.limit
  end

  def test_forbidden_suspended_target
    e = assert_raises(Xfollow::Forbidden) { alice_oauth1.follow(DAVE) }
    assert_equal "You cannot follow an account that is suspended.", e.detail
    assert_equal "HTTP 403 Forbidden: You cannot follow an account that is suspended.", e.message
  end

  def test_forbidden_missing_scope
    c = track(Xfollow::Client.oauth2(BOB_OAUTH2_READONLY, base_url: emulator.base_url))
    e = assert_raises(Xfollow::Forbidden) { c.follow(ALICE, source_user_id: BOB) }
    assert_equal [3, 403], [e.code, e.http_status]
  end

  def test_forbidden_enrollment_body_keeps_every_field
    emulator.fault(FOLLOW_ROUTE, "status", status: 403, body: JSON.generate(ENROLLMENT_403),
                                           content_type: "application/problem+json")
    e = assert_raises(Xfollow::Forbidden) { alice_oauth1.follow(BOB) }
    assert_equal [3, 403], [e.code, e.http_status]
    assert_equal "Client Forbidden", e.title
    assert_equal ENROLLMENT_403["detail"], e.detail
    assert_equal "client-forbidden", e.problem_type
    assert_equal "https://api.twitter.com/2/problems/client-forbidden", e.type_uri
    assert_equal "client-not-enrolled", e.reason
    assert_equal "Appropriate Level of API Access", e.required_enrollment
    assert_equal "https://developer.x.com/en/portal/product", e.registration_url
    refute_nil e.rate_limit.endpoint
    assert_equal [], e.errors
  end

  def test_not_found_unknown_username_in_a_200
    e = assert_raises(Xfollow::NotFound) { alice_oauth1.user_by_username("nosuchuser") }
    assert_equal [4, 200], [e.code, e.http_status]
    assert_equal ["Not Found Error", "resource-not-found"], [e.title, e.problem_type]
    assert_equal "https://api.twitter.com/2/problems/resource-not-found", e.type_uri
    assert_equal "Could not find user with username: [nosuchuser].", e.detail
    assert_equal [entry(nil, "Could not find user with username: [nosuchuser].")], e.errors
    assert_equal 900, e.rate_limit.endpoint.limit
  end

  def test_not_found_unknown_target
    e = assert_raises(Xfollow::NotFound) { alice_oauth2.follow("1234") }
    assert_equal [4, 404, "resource-not-found"], [e.code, e.http_status, e.problem_type]
    assert_equal "Could not find user with target_user_id: [1234].", e.detail
  end

  def test_rate_limited_after_the_window_is_used
    c = alice_oauth1
    50.times { |i| i.even? ? c.follow(BOB) : c.unfollow(BOB) }
    # 25 follows and 25 unfollows: each endpoint has its own window of 50.
    r = nil
    25.times { r = c.follow(BOB) }
    assert_equal 0, r.rate_limit.endpoint.remaining
    now = emulator.state.fetch("now").to_i
    e = assert_raises(Xfollow::RateLimited) { c.follow(BOB) }
    assert_equal [5, 429, "Too Many Requests"], [e.code, e.http_status, e.title]
    assert_equal [50, 0], [e.rate_limit.endpoint.limit, e.rate_limit.endpoint.remaining]
    assert_equal e.rate_limit.endpoint.reset, e.reset_at
    assert_includes (now + 1)..(now + 900), e.reset_at
    assert_operator e.retry_after, :>, 0
    assert_operator e.retry_after, :<=, 900
    assert_equal "HTTP 429 Too Many Requests (retry at #{e.reset_at})", e.message
    # The window resets on the emulator's clock.
    emulator.advance_clock(901)
    assert_equal 49, c.follow(BOB).rate_limit.endpoint.remaining
  end

  def test_rate_limited_legacy_body_and_binding_window
    later = Time.now.to_i + 5000
    emulator.fault(FOLLOW_ROUTE, "status", status: 429, body: JSON.generate(LEGACY_429),
                                           headers: { "x-user-limit-24hour-remaining" => "0",
                                                      "x-user-limit-24hour-reset" => later.to_s })
    e = assert_raises(Xfollow::RateLimited) { alice_oauth1.follow(BOB) }
    assert_equal [5, 429], [e.code, e.http_status]
    assert_equal [entry(88, "Rate limit exceeded")], e.errors
    assert_equal [88], e.legacy_codes
    assert_nil e.title
    assert_nil e.problem_type
    assert_equal 0, e.rate_limit.endpoint.remaining
    assert_equal Xfollow::RateLimitWindow.new(limit: 400, remaining: 0, reset: later), e.rate_limit.user_24h
    # Both windows are exhausted: wait for the later reset, not the 15-minute one.
    assert_equal later, e.reset_at
    assert_equal later, e.rate_limit.binding_reset
    assert_in_delta 5000, e.retry_after, 10
    assert_equal "HTTP 429 [code 88: Rate limit exceeded] (retry at #{later})", e.message
  end

  def test_api_error_400
    emulator.fault(FOLLOW_ROUTE, "status", status: 400, body: JSON.generate(INVALID_REQUEST_400),
                                           content_type: "application/problem+json")
    e = assert_raises(Xfollow::ApiError) { alice_oauth1.follow(BOB) }
    assert_equal [11, 400, "Invalid Request"], [e.code, e.http_status, e.title]
    assert_equal "invalid-request", e.problem_type
    assert_equal [entry(nil, "The id query parameter value [1111] is not valid")], e.errors
  end

  def test_server_errors
    { 500 => "Internal Server Error", 503 => "Service Unavailable" }.each do |status, reason|
      emulator.fault(FOLLOW_ROUTE, "status", status: status)
      e = assert_raises(Xfollow::ServerError) { alice_oauth1.follow(BOB) }
      assert_equal [9, status, reason, reason], [e.code, e.http_status, e.title, e.detail]
      assert_equal "HTTP #{status} #{reason}", e.message
      assert_equal true, e.may_have_reached_server
    end
  end

  def test_protocol_error_malformed_json
    c = alice_oauth1
    emulator.fault(FOLLOW_ROUTE, "malformed")
    e = assert_raises(Xfollow::ProtocolError) { c.follow(BOB) }
    assert_equal [10, 200], [e.code, e.http_status]
    assert e.message.start_with?("malformed JSON in HTTP 200 response"), e.message
    # The follow itself happened on the server: a retry is safe and says so.
    assert_equal true, c.follow(BOB).following?
  end

  def test_network_error_connection_reset
    emulator.fault(FOLLOW_ROUTE, "reset")
    e = assert_raises(Xfollow::NetworkError) { alice_oauth1.follow(BOB) }
    assert_equal Xfollow::NetworkError, e.class
    assert_equal 6, e.code
    assert_nil e.http_status
    assert_nil e.rate_limit.endpoint
    assert_predicate e.rate_limit, :empty?
    assert_equal true, e.may_have_reached_server
  end

  def test_network_error_connection_refused
    server = TCPServer.new("127.0.0.1", 0)
    port = server.addr[1]
    server.close # nothing listens there now
    c = track(alice_client("http://127.0.0.1:#{port}"))
    e = assert_raises(Xfollow::NetworkError) { c.follow(BOB) }
    assert_equal [6, "connection refused", false], [e.code, e.message, e.may_have_reached_server]
  end

  def test_timeout
    emulator.fault(FOLLOW_ROUTE, "delay", delay_ms: 3000)
    c = alice_oauth1(timeout: 0.3)
    t = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    e = assert_raises(Xfollow::Timeout) { c.follow(BOB) }
    elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t
    assert_equal [Xfollow::Timeout, 7], [e.class, e.code]
    assert_kind_of Xfollow::NetworkError, e
    assert_operator elapsed, :<, 2.5
  end

  def test_internal_error_from_a_caught_panic
    e = assert_raises(Xfollow::InternalError) { Xfollow::Native.check(Xfollow::Native.x_test_panic) }
    assert_equal [12, "internal panic caught at the C boundary: x_test_panic: deliberate panic for tests"], [e.code, e.message]
  end

  # -- invalid input: refused before any request -----------------------------------------
  BAD_IDS = ["", "12a", "-1", "1" * 20, " 1", "1 ", "１２", "12\xff".b, "12\xff".dup.force_encoding("UTF-8"), -1].freeze

  def untouched
    s = emulator.state
    [JSON.generate(s["counters"]), s["follows"], s["pending"], emulator.connections]
  end

  def test_invalid_arguments_send_nothing
    c = alice_oauth1
    before = untouched
    BAD_IDS.each do |bad|
      e = assert_raises(Xfollow::InvalidArgument, bad.inspect) { c.follow(bad) }
      assert_equal 1, e.code
      assert_nil e.http_status
      assert_equal false, e.may_have_reached_server
      assert_raises(Xfollow::InvalidArgument) { c.unfollow(bad) }
      assert_raises(Xfollow::InvalidArgument) { c.follow(BOB, source_user_id: bad) }
    end
    ["", "bad-name", "a" * 16, "name!", "émile", "émile".encode("ISO-8859-1")].each do |bad|
      assert_raises(Xfollow::InvalidArgument, bad.inspect) { c.user_by_username(bad) }
    end
    e = assert_raises(Xfollow::InvalidArgument) { c.follow("12\u00003") }
    assert_equal [1, "target_user_id contains a NUL character"], [e.code, e.message]
    e = assert_raises(Xfollow::InvalidArgument) { c.follow("12a") }
    assert_equal "target user id must be a user id of 1 to 19 digits", e.message
    [1.5, nil, :"123", true, ["1"]].each do |wrong|
      e = assert_raises(TypeError) { c.follow(wrong) }
      assert_equal "target_user_id must be a String, Integer or Xfollow::User, not #{wrong.class}", e.message
    end
    assert_raises(TypeError) { c.user_by_username(42) }
    after = untouched
    # Counters, follows and pending requests unchanged; the only new connections are the
    # two admin requests that read the state and the count.
    assert_equal before[0, 3], after[0, 3]
    assert_equal 2, after[3] - before[3]
  end

  def test_invalid_configuration
    {
      { base_url: "http://example.com" } =>
        "invalid base URL: plain http is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost)",
      { timeout: 0 } => "timeout must be between 1 and 3600000 ms",
      { timeout: 3601 } => "timeout must be between 1 and 3600000 ms",
      { timeout: -1 } => "timeout must be between 1 and 3600000 ms",
      { connect_timeout: 0 } => "connect timeout must be between 1 and 3600000 ms"
    }.each do |opts, message|
      e = assert_raises(Xfollow::InvalidArgument, opts.inspect) do
        Xfollow::Client.oauth1(consumer_key: CONSUMER_KEY, consumer_secret: CONSUMER_SECRET,
                               access_token: ALICE_TOKEN, access_token_secret: ALICE_TOKEN_SECRET, **opts)
      end
      assert_equal [1, message], [e.code, e.message]
    end
    assert_raises(Xfollow::InvalidArgument) { Xfollow::Client.oauth2(ALICE_OAUTH2, proxy: "not a url") }
    assert_raises(Xfollow::InvalidArgument) { Xfollow::Client.oauth2("") }
    assert_raises(TypeError) do
      Xfollow::Client.oauth1(consumer_key: CONSUMER_KEY, consumer_secret: CONSUMER_SECRET,
                             access_token: ALICE_TOKEN, access_token_secret: nil)
    end
    assert_raises(TypeError) { Xfollow::Client.oauth2(ALICE_OAUTH2, timeout: "10") }
    assert_raises(ArgumentError) { Xfollow::Client.oauth1(consumer_key: CONSUMER_KEY) }
  end
end

# TLS: the emulator with a generated CA.
class TlsTest < Minitest::Test
  include Demo

  def self.emulator
    @emulator ||= begin
      ca = File.join(Dir.mktmpdir("xfollow-tls"), "ca.pem")
      emu = Emulator.new("--tls", "--ca-out", ca)
      at_exit { emu.close }
      [emu, ca]
    end
  end

  def client(**opts, &block)
    emu, = self.class.emulator
    alice_client(emu.base_url, **opts, &block)
  end

  def test_custom_ca_file
    emu, ca = self.class.emulator
    assert emu.base_url.start_with?("https://127.0.0.1:"), emu.base_url
    client(ca_file: ca) do |c|
      assert_equal :following, c.follow(BOB).state
      assert_equal "alice", c.me.username
    end
  end

  def test_untrusted_certificate_is_refused
    e = client { |c| assert_raises(Xfollow::NetworkError) { c.follow(BOB) } }
    assert_includes e.message, "UnknownIssuer"
  end

  def test_missing_ca_file_is_an_invalid_argument
    e = assert_raises(Xfollow::InvalidArgument) { client(ca_file: "/nonexistent/ca.pem") }
    assert_equal 1, e.code
  end
end
