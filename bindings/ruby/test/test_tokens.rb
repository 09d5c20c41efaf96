# frozen_string_literal: true

require "test_helper"
require "tmpdir"

# The token flows from Ruby against an emulator whose apps accept the test's loopback
# redirect URI: OAuth 1.0a PIN, OAuth 2.0 PKCE through the redirect receiver, and a
# refreshing client (on_refresh proc, token store, revoked refresh token).
class TokensTest < Minitest::Test
  include Demo

  SCOPES = %w[tweet.read users.read follows.write offline.access].freeze

  def setup
    @receiver = Xfollow::RedirectReceiver.new("http://127.0.0.1:0/callback")
    @dir = Dir.mktmpdir("xfollow-ruby-tokens")
    world = JSON.parse(File.read(DEMO_WORLD))
    world["apps"].each { |a| a["redirect_uris"] << @receiver.redirect_uri }
    File.write(File.join(@dir, "world.json"), JSON.generate(world))
    @emu = Emulator.new("--config", File.join(@dir, "world.json"))
  end

  def teardown
    @receiver.close
    @emu.close
    FileUtils.rm_rf(@dir)
  end

  # GET as a browser (no redirect followed): [status, headers, body].
  def browse(url)
    uri = URI(url)
    res = Net::HTTP.get_response(uri)
    [res.code.to_i, res, res.body]
  end

  def login(user = "alice")
    pkce = Xfollow::OAuth2PKCE.new("demo-client-id", @receiver.redirect_uri, SCOPES, base_url: @emu.base_url)
    url, state, verifier = pkce.authorization_request
    assert url.start_with?("#{@emu.base_url}/i/oauth2/authorize?response_type=code&client_id=demo-client-id&")
    browser = Thread.new do
      status, res, = browse("#{url}&as_user=#{user}")
      [status, browse(res["location"])[0]]
    end
    code = @receiver.wait(state, timeout: 10)
    assert_equal [302, 200], browser.value
    [pkce, pkce.exchange(code, verifier)]
  end

  def test_pkce_exchange_refresh_and_inspect
    pkce, tokens = login
    assert_equal SCOPES, tokens.scopes
    refute_includes tokens.inspect, tokens.access_token
    Xfollow::Client.oauth2(tokens.access_token, base_url: @emu.base_url) do |c|
      assert c.follow(ERIN).following?
    end
    fresh = pkce.refresh(tokens.refresh_token)
    refute_equal tokens.refresh_token, fresh.refresh_token
    e = assert_raises(Xfollow::AuthError) { pkce.refresh(tokens.refresh_token) }
    assert_equal "token endpoint refused the request (HTTP 400, invalid_request): " \
                 "Value passed for the token was invalid.", e.message
    assert_equal 400, e.http_status
  end

  def test_oauth1_pin_flow
    flow = Xfollow::OAuth1Flow.new(CONSUMER_KEY, CONSUMER_SECRET, base_url: @emu.base_url)
    req = flow.request_token(access_type: "write")
    assert_equal "#{@emu.base_url}/oauth/authorize?oauth_token=#{req.token}", req.authorize_url
    status, res, body = browse("#{req.authorize_url}&as_user=bob")
    assert_equal 200, status
    pin = body[%r{<code id="pin">(\d+)</code>}, 1]
    assert_equal res["x-oauth-verifier"], pin
    creds = flow.access_token(pin)
    assert_equal [BOB, "bob"], [creds.user_id, creds.screen_name]
    refute_includes creds.inspect, creds.token_secret
    Xfollow::Client.oauth1(consumer_key: CONSUMER_KEY, consumer_secret: CONSUMER_SECRET,
                           access_token: creds.token, access_token_secret: creds.token_secret,
                           base_url: @emu.base_url) do |c|
      assert c.follow(ERIN).following?
    end
  end

  def test_refreshing_client_with_on_refresh_proc_and_token_store
    pkce, tokens = login
    store = File.join(@dir, "tokens.json")
    seen = []
    Xfollow::Client.oauth2_refreshing(tokens, client_id: "demo-client-id", on_refresh: ->(t) { seen << t },
                                              token_store: store, base_url: @emu.base_url) do |c|
      assert_equal tokens, c.token_set
      assert c.follow(BOB).following?
      @emu.advance_clock(7300)
      assert c.follow(ERIN).following?
      assert_equal 1, seen.size
      assert_equal seen[0], c.token_set
      assert_equal 0o600, File.stat(store).mode & 0o777
    end
    pkce.refresh(seen[0].refresh_token)
  end

  def test_revoked_refresh_token_is_an_auth_error_with_the_provider_message
    pkce, tokens = login
    pkce.revoke(tokens.refresh_token, token_type_hint: :refresh_token)
    Xfollow::Client.oauth2_refreshing(tokens, client_id: "demo-client-id", base_url: @emu.base_url) do |c|
      @emu.advance_clock(7300)
      e = assert_raises(Xfollow::AuthError) { c.follow(BOB, source_user_id: ALICE) }
      assert_equal "refreshing the OAuth 2.0 access token failed: token endpoint refused the request " \
                   "(HTTP 400, invalid_request): Value passed for the token was invalid.", e.message
    end
  end
end
