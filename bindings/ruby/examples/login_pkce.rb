#!/usr/bin/env ruby
# frozen_string_literal: true

# login_pkce.rb: log a user in with OAuth 2.0 Authorization Code + PKCE, then follow an
# account as that user through a client that refreshes its token by itself (as
# bindings/c/examples/login_pkce.c).
#
#   ruby login_pkce.rb TARGET_USER_ID
#
# Environment:
#   X_CLIENT_ID       the app's OAuth 2.0 client id (required)
#   X_CLIENT_SECRET   only for a confidential client
#   X_REDIRECT_URI    a loopback redirect URI registered with the app
#                     (default http://127.0.0.1:8765/callback)
#   X_API_BASE_URL    optional, default https://api.x.com (the authorize page is then
#                     https://x.com/i/oauth2/authorize, else under this base)
#   X_TOKEN_STORE     optional: a token store file (mode 0600) that keeps the token set
#                     for later runs and for other processes
#
# Prints the authorize URL, waits up to 5 minutes for the browser to come back to the
# redirect URI, exchanges the code, and follows TARGET_USER_ID. Exits 0 on success (1: a
# call failed, 2: usage).
require_relative "login_common"

SCOPES = %w[tweet.read users.read follows.write offline.access].freeze

def main(argv)
  client_id = env("X_CLIENT_ID")
  if argv.length != 1 || client_id.nil?
    warn "usage: X_CLIENT_ID=... #{$PROGRAM_NAME} TARGET_USER_ID"
    return 2
  end
  client_secret = env("X_CLIENT_SECRET")
  redirect_uri = env("X_REDIRECT_URI") || "http://127.0.0.1:8765/callback"
  base_url = env("X_API_BASE_URL")

  step = "creating the flow"
  pkce = Xfollow::OAuth2PKCE.new(client_id, redirect_uri, SCOPES, client_secret: client_secret, base_url: base_url)
  # Listen before sending the user away, so that the callback cannot come too early.
  step = "listening for the redirect"
  receiver = Xfollow::RedirectReceiver.new(redirect_uri)
  begin
    url, state, verifier = pkce.authorization_request
    puts "Open this page in your browser and authorize the app:", url
    $stdout.flush
    step = "waiting for the redirect"
    code = receiver.wait(state, timeout: 300)
  ensure
    receiver.close
  end
  step = "exchanging the code"
  tokens = pkce.exchange(code, verifier)
  puts "logged in: scopes \"#{tokens.scopes.join(' ')}\", access token expires at #{tokens.expires_at}"

  step = "following"
  on_refresh = ->(new_tokens) { puts "token refreshed: expires_at=#{new_tokens.expires_at}" }
  Xfollow::Client.oauth2_refreshing(tokens, client_id: client_id, client_secret: client_secret,
                                            on_refresh: on_refresh, token_store: env("X_TOKEN_STORE"),
                                            base_url: base_url) do |client|
    follow_and_print(client, argv[0])
  end
  0
rescue Xfollow::Error => e
  report(step, e)
end

exit(main(ARGV))
