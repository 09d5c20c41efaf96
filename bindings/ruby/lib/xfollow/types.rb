# frozen_string_literal: true

module Xfollow
  # A small immutable value: keyword constructor, readers, ==, to_h, inspect.
  class Value
    def self.fields(*names)
      attr_reader(*names)
      define_singleton_method(:members) { names }
    end

    def initialize(**values)
      unknown = values.keys - self.class.members
      raise ArgumentError, "unknown #{self.class} field(s): #{unknown.join(', ')}" unless unknown.empty?

      self.class.members.each { |m| instance_variable_set(:"@#{m}", values[m]) }
      freeze
    end

    def to_h
      self.class.members.to_h { |m| [m, public_send(m)] }
    end

    def ==(other)
      other.class == self.class && other.to_h == to_h
    end
    alias eql? ==

    def hash
      [self.class, to_h].hash
    end

    def inspect
      "#<#{self.class} #{to_h.map { |k, v| "#{k}=#{v.inspect}" }.join(', ')}>"
    end
    alias to_s inspect
  end

  # One rate-limit window as the API sent it: requests allowed (`limit`), left
  # (`remaining`), and the Unix time in seconds at which the window resets (`reset`).
  class RateLimitWindow < Value
    fields :limit, :remaining, :reset

    def exhausted?
      remaining.zero?
    end
  end

  # Every rate-limit window one response carried; a window is nil when absent.
  #   endpoint  x-rate-limit-*: the endpoint's 15-minute window
  #   user_24h  x-user-limit-24hour-*: the user's 24-hour window
  #   app_24h   x-app-limit-24hour-*: the app's 24-hour window
  class RateLimit < Value
    fields :endpoint, :user_24h, :app_24h

    def initialize(endpoint: nil, user_24h: nil, app_24h: nil)
      super
    end

    # The windows that are present.
    def windows
      [endpoint, user_24h, app_24h].compact
    end

    def empty?
      windows.empty?
    end

    # The latest reset among the exhausted windows (remaining == 0), or nil.
    def binding_reset
      windows.select(&:exhausted?).map(&:reset).max
    end
  end

  # One entry of an `errors` array: a legacy numeric `code` (88, 89, 135...) or nil, and
  # its `message`.
  class ApiErrorEntry < Value
    fields :code, :message
  end

  # The outcome of Client#follow and Client#unfollow.
  #   state           :following, :pending (a protected account has a request to approve)
  #                   or :not_following (after an unfollow)
  #   following?      data.following
  #   pending_follow? data.pending_follow (false after an unfollow)
  #   rate_limit      the response's RateLimit
  #   errors          partial errors that came beside `data` (usually empty)
  #   http_status     the response's status (200)
  class FollowResult < Value
    fields :following, :pending_follow, :state, :rate_limit, :errors, :http_status

    def following?
      following
    end

    def pending_follow?
      pending_follow
    end
  end

  # An X account: `id` (digits, as a String: ids exceed 2**53), `username` (the @handle
  # without `@`), `name` (the display name), and the RateLimit of the response that
  # returned it (not part of ==).
  class User < Value
    fields :id, :username, :name, :rate_limit

    def ==(other)
      other.is_a?(User) && [id, username, name] == [other.id, other.username, other.name]
    end
    alias eql? ==

    def hash
      [User, id, username, name].hash
    end
  end
end
