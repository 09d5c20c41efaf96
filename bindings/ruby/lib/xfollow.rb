# frozen_string_literal: true

# xfollow: follow and unfollow accounts on X (API v2) from Ruby, over libxfollow's C ABI.
#
#   require "xfollow"
#   Xfollow::Client.oauth1(consumer_key: ENV["X_CONSUMER_KEY"], consumer_secret: ENV["X_CONSUMER_SECRET"],
#                          access_token: ENV["X_ACCESS_TOKEN"],
#                          access_token_secret: ENV["X_ACCESS_TOKEN_SECRET"]) do |client|
#     client.follow("783214").state # => :following
#   end
require_relative "xfollow/version"
require_relative "xfollow/types"
require_relative "xfollow/errors"
require_relative "xfollow/native"
require_relative "xfollow/guarded"
require_relative "xfollow/client"
require_relative "xfollow/limits"
require_relative "xfollow/tokens"

module Xfollow
  # The loaded libxfollow's version, e.g. "0.1.0".
  def self.library_version
    Native.x_version.dup.force_encoding(Encoding::UTF_8)
  end

  # The library's short description of a code ("not found"; x_result_str).
  def self.code_text(code)
    Native.utf8(Native.x_result_str(Integer(code)))
  end

  # The path of the loaded libxfollow.
  def self.library_path
    Native.library_path
  end
end

# Client#followers and Client#following, and their UserPage.
require_relative "xfollow/lookups"

# Xfollow::Plan and Client#run_plan.
require_relative "xfollow/plans"
