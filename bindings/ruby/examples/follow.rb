#!/usr/bin/env ruby
# frozen_string_literal: true

# follow.rb: follow or unfollow one account on X with xfollow (as bindings/c/examples/follow.c).
#
#   ruby follow.rb [--unfollow] TARGET_USER_ID
#
# Environment:
#   X_API_BASE_URL          optional, default https://api.x.com
#   X_OAUTH2_ACCESS_TOKEN   an OAuth 2.0 user access token, or else all four of
#   X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET
#   X_QUOTA                 optional quota ledger store: memory: (default), sqlite:PATH,
#                           redis://host:port/db, rediss://host:port/db or off
#   X_QUOTA_LIMITS          optional daily caps FOLLOWS_PER_USER,FOLLOWS_PER_APP,UNFOLLOWS_PER_APP
#                           (default 400,1000,500; 0 turns a cap off)
#
# Prints the outcome and the rate limit, or the error with every detail. Exits 0 only on
# success (1: the call failed, 2: usage or configuration error).
require "xfollow"

WINDOWS = { endpoint: "rate limit (15 min)", user_24h: "user limit (24 h)", app_24h: "app limit (24 h)" }.freeze
STATES = { following: "following", pending: "pending", not_following: "not following" }.freeze

def env(name)
  value = ENV.fetch(name, "")
  value.empty? ? nil : value
end

def print_rate_limit(out, rate_limit)
  WINDOWS.each do |name, label|
    w = rate_limit.public_send(name)
    out.puts "#{label}: #{w.remaining}/#{w.limit} remaining, resets at #{w.reset}" if w
  end
end

# Prints an error with every detail, to stderr.
def print_error(what, e)
  $stderr.puts "error: #{what} failed: #{Xfollow.code_name(e.code)} (#{e.code}, #{Xfollow.code_text(e.code)})"
  $stderr.puts "message: #{e.message}"
  $stderr.puts "http status: #{e.http_status}" if e.http_status
  { "title" => e.title, "detail" => e.detail, "type" => e.type_uri, "problem" => e.problem_type,
    "reason" => e.reason, "required enrollment" => e.required_enrollment,
    "registration url" => e.registration_url }.each { |label, v| $stderr.puts "#{label}: #{v}" if v }
  e.errors.each_with_index do |entry, i|
    $stderr.puts(entry.code ? "errors[#{i}]: code #{entry.code}: #{entry.message}" : "errors[#{i}]: #{entry.message}")
  end
  print_rate_limit($stderr, e.rate_limit)
  $stderr.puts "retry at: #{e.reset_at}" if e.is_a?(Xfollow::RateLimited) && e.reset_at
  $stderr.puts "quota frees at: #{e.next_free_at}" if e.is_a?(Xfollow::QuotaExhausted) && e.next_free_at
  $stderr.puts "may have reached the server: #{e.may_have_reached_server? ? 'yes' : 'no'}"
end

# "A,B,C" (three numbers of at most 32 bits) as QuotaLimits, or nil when malformed.
def quota_limits(text)
  caps = /\A(\d{1,10}),(\d{1,10}),(\d{1,10})\z/.match(text)&.captures&.map(&:to_i)
  return nil if caps.nil? || caps.any? { |c| c > 0xFFFF_FFFF }

  Xfollow::QuotaLimits.new(follows_per_user: caps[0], follows_per_app: caps[1], unfollows_per_app: caps[2])
end

def main(argv)
  unfollow = false
  target = nil
  usage = false
  argv.each do |arg|
    if arg == "--unfollow" then unfollow = true
    elsif target.nil? && !arg.start_with?("-") then target = arg
    else usage = true
    end
  end
  if target.nil? || usage
    warn "usage: #{$PROGRAM_NAME} [--unfollow] TARGET_USER_ID"
    return 2
  end

  options = { base_url: env("X_API_BASE_URL"), quota: env("X_QUOTA") }
  if env("X_QUOTA_LIMITS")
    options[:quota_limits] = quota_limits(env("X_QUOTA_LIMITS"))
    unless options[:quota_limits]
      warn "error: X_QUOTA_LIMITS must be three numbers: FOLLOWS_PER_USER,FOLLOWS_PER_APP,UNFOLLOWS_PER_APP"
      return 2
    end
  end
  oauth2 = env("X_OAUTH2_ACCESS_TOKEN")
  oauth1 = %w[X_CONSUMER_KEY X_CONSUMER_SECRET X_ACCESS_TOKEN X_ACCESS_TOKEN_SECRET].map { |n| env(n) }
  if oauth2.nil? && oauth1.any?(&:nil?)
    warn "error: set X_OAUTH2_ACCESS_TOKEN, or X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN and " \
         "X_ACCESS_TOKEN_SECRET"
    return 2
  end

  begin
    client =
      if oauth2
        Xfollow::Client.oauth2(oauth2, **options)
      else
        key, secret, token, token_secret = oauth1
        Xfollow::Client.oauth1(consumer_key: key, consumer_secret: secret, access_token: token,
                               access_token_secret: token_secret, **options)
      end
  rescue Xfollow::Error => e
    print_error("configuration", e)
    return 2
  end

  client.then do |c|
    what = "finding the authenticated user"
    source = c.own_user_id
    what = unfollow ? "unfollow" : "follow"
    result = unfollow ? c.unfollow(target) : c.follow(target)
    puts "#{what}: #{source} -> #{target} (#{oauth2 ? 'OAuth 2.0' : 'OAuth 1.0a'})"
    puts "following: #{result.following?}"
    puts "pending_follow: #{result.pending_follow?}"
    puts "state: #{STATES.fetch(result.state)}"
    print_rate_limit($stdout, result.rate_limit)
    0
  rescue Xfollow::Error => e
    print_error(what, e)
    1
  ensure
    c.close
  end
end

exit(main(ARGV))
