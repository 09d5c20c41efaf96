#!/usr/bin/env ruby
# frozen_string_literal: true

# login_pin.rb: log a user in with the OAuth 1.0a PIN flow, then follow an account as that
# user (as bindings/c/examples/login_pin.c).
#
#   ruby login_pin.rb TARGET_USER_ID
#
# Environment:
#   X_CONSUMER_KEY, X_CONSUMER_SECRET   the app's API key and secret (required)
#   X_API_BASE_URL                      optional, default https://api.x.com (the authorize
#                                       page is then on https://x.com, else under this base)
#
# Prints the authorize URL, reads the PIN X shows after authorizing from stdin, gets the
# user's access token and follows TARGET_USER_ID. OAuth 1.0a access tokens do not expire:
# a real program keeps credentials.token and credentials.token_secret somewhere safe.
# Exits 0 on success (1: a call failed, 2: usage).
require_relative "login_common"

# The longest PIN line read (X's PINs are 7 digits).
MAX_PIN = 63

def main(argv)
  key = env("X_CONSUMER_KEY")
  secret = env("X_CONSUMER_SECRET")
  if argv.length != 1 || key.nil? || secret.nil?
    warn "usage: X_CONSUMER_KEY=... X_CONSUMER_SECRET=... #{$PROGRAM_NAME} TARGET_USER_ID"
    return 2
  end
  base_url = env("X_API_BASE_URL")

  step = "getting a request token"
  flow = Xfollow::OAuth1Flow.new(key, secret, callback: "oob", base_url: base_url)
  request = flow.request_token(access_type: "write")
  puts "Open this page in your browser and authorize the app:", request.authorize_url
  print "PIN: "
  $stdout.flush
  line = $stdin.gets(MAX_PIN)
  if line.nil?
    warn "error: no PIN on stdin"
    return 1
  end
  step = "getting the access token"
  credentials = flow.access_token(line[/\A[^\r\n]*/])
  puts "\nlogged in as @#{credentials.screen_name} (#{credentials.user_id})"

  step = "following"
  Xfollow::Client.oauth1(consumer_key: key, consumer_secret: secret, access_token: credentials.token,
                         access_token_secret: credentials.token_secret, base_url: base_url) do |client|
    follow_and_print(client, argv[0])
  end
  0
rescue Xfollow::Error => e
  report(step, e)
end

exit(main(ARGV))
