# frozen_string_literal: true

# What the login examples share: reading the environment, the follow they end with and
# the error report.
require "xfollow"

# The variable's value; nil when it is unset or empty.
def env(name)
  value = ENV.fetch(name, "")
  value.empty? ? nil : value
end

# Follows target with client and prints the outcome.
def follow_and_print(client, target)
  r = client.follow(target)
  puts "followed #{target}: following=#{r.following?} pending_follow=#{r.pending_follow?}"
end

# Prints the error of step to stderr; returns the exit status 1.
def report(step, error)
  warn "error: #{step} failed: #{Xfollow.code_text(error.code)} (#{error.code})"
  warn "message: #{error.message}"
  warn "http status: #{error.http_status}" if error.http_status
  warn "title: #{error.title}" if error.title
  1
end
