# frozen_string_literal: true

require "test_helper"
require "open3"
require "rbconfig"

# examples/*.rb against the emulator. They print what the C examples print, so the C
# examples' own checks run them too: bindings/c/tests/example_test.sh (follow) and
# bindings/c/tests/login_check.py (plays the browser for PKCE, types the PIN for OAuth 1.0a).
class ExamplesTest < EmulatorTest
  EXAMPLES = File.expand_path("../examples", __dir__)
  RUBY = [RbConfig.ruby, "-I#{File.expand_path('../lib', __dir__)}"].freeze
  C_TESTS = File.join(REPO, "bindings", "c", "tests")
  # The examples read X_* variables only from what each case sets.
  CLEAN_ENV = ENV.keys.grep(/\AX_/).to_h { |k| [k, nil] }.freeze

  def example(name, *args, env: {}, stdin: "")
    Open3.capture3(CLEAN_ENV.merge("X_API_BASE_URL" => emulator.base_url).merge(env),
                   *RUBY, File.join(EXAMPLES, name), *args, stdin_data: stdin)
  end

  def without_resets(text)
    text.gsub(/resets at \d+$/, "resets at T")
  end

  def test_follow_passes_the_c_examples_checks
    out, status = Open3.capture2e(CLEAN_ENV.merge("X_API_BASE_URL" => emulator.base_url),
                                  "bash", File.join(C_TESTS, "example_test.sh"), *RUBY,
                                  File.join(EXAMPLES, "follow.rb"))
    assert status.success?, out
    assert_equal "example: 17 passed, 0 failed\n", out
  end

  def test_follow_prints_the_outcome_and_every_window
    out, err, status = example("follow.rb", CAROL, env: { "X_OAUTH2_ACCESS_TOKEN" => ALICE_OAUTH2 })
    assert_equal [0, ""], [status.exitstatus, err]
    assert_equal <<~OUT, without_resets(out)
      follow: #{ALICE} -> #{CAROL} (OAuth 2.0)
      following: false
      pending_follow: true
      state: pending
      rate limit (15 min): 49/50 remaining, resets at T
      user limit (24 h): 399/400 remaining, resets at T
      app limit (24 h): 999/1000 remaining, resets at T
    OUT
    assert_equal [[ALICE, CAROL]], emulator.pending
  end

  def test_follow_prints_an_error_with_every_detail
    out, err, status = example("follow.rb", DAVE, env: { "X_OAUTH2_ACCESS_TOKEN" => ALICE_OAUTH2 })
    assert_equal [1, ""], [status.exitstatus, out]
    assert_equal <<~ERR, without_resets(err)
      error: follow failed: X_ERR_FORBIDDEN (3, forbidden (HTTP 403))
      message: HTTP 403 Forbidden: You cannot follow an account that is suspended.
      http status: 403
      title: Forbidden
      detail: You cannot follow an account that is suspended.
      type: about:blank
      rate limit (15 min): 49/50 remaining, resets at T
      user limit (24 h): 400/400 remaining, resets at T
      app limit (24 h): 1000/1000 remaining, resets at T
      may have reached the server: yes
    ERR
  end

  def test_follow_refuses_malformed_quota_limits
    before = emulator.follows
    out, err, status = example("follow.rb", BOB, env: { "X_OAUTH2_ACCESS_TOKEN" => ALICE_OAUTH2,
                                                        "X_QUOTA_LIMITS" => "400,1000,4294967296" })
    assert_equal [2, "", "error: X_QUOTA_LIMITS must be three numbers: FOLLOWS_PER_USER,FOLLOWS_PER_APP," \
                         "UNFOLLOWS_PER_APP\n"], [status.exitstatus, out, err]
    assert_equal before, emulator.follows
  end

  def test_login_examples_pass_the_c_login_checks
    out, status = Open3.capture2e(CLEAN_ENV, "python3", File.join(C_TESTS, "login_check.py"), "--wrap",
                                  RUBY.join(" "), File.join(EXAMPLES, "login_pkce.rb"),
                                  File.join(EXAMPLES, "login_pin.rb"))
    assert status.success?, out
    assert_equal <<~OUT, out
      login_check: #{EXAMPLES}/login_pkce.rb: PKCE login, redirect and follow OK
      login_check: #{EXAMPLES}/login_pin.rb: PIN login and follow OK
    OUT
  end

  def test_login_examples_usage
    out, err, status = example("login_pkce.rb", ERIN)
    assert_equal [2, "", "usage: X_CLIENT_ID=... #{EXAMPLES}/login_pkce.rb TARGET_USER_ID\n"],
                 [status.exitstatus, out, err]
    out, err, status = example("login_pin.rb", env: { "X_CONSUMER_KEY" => CONSUMER_KEY,
                                                      "X_CONSUMER_SECRET" => CONSUMER_SECRET })
    assert_equal [2, "", "usage: X_CONSUMER_KEY=... X_CONSUMER_SECRET=... #{EXAMPLES}/login_pin.rb TARGET_USER_ID\n"],
                 [status.exitstatus, out, err]
  end

  def test_login_pin_with_a_wrong_pin_fails_with_the_providers_answer
    before = emulator.follows
    out, err, status = example("login_pin.rb", BOB, env: { "X_CONSUMER_KEY" => CONSUMER_KEY,
                                                           "X_CONSUMER_SECRET" => CONSUMER_SECRET },
                                                    stdin: "0000000\n")
    assert_equal 1, status.exitstatus
    url = "#{Regexp.escape(emulator.base_url)}/oauth/authorize\\?oauth_token=\\S+"
    assert_match(/\AOpen this page in your browser and authorize the app:\n#{url}\nPIN: \z/, out)
    assert_equal "error: getting the access token failed: unauthorized (HTTP 401) (2)\n" \
                 "message: HTTP 401 unauthorized (HTTP 401)\nhttp status: 401\n", err
    assert_equal before, emulator.follows
  end
end
