# frozen_string_literal: true

module Xfollow
  # The daily caps the quota ledger enforces, on rolling 24-hour windows. X's documented
  # values are the defaults; 0 turns one cap off (its window is still counted).
  class QuotaLimits < Value
    fields :follows_per_user, :follows_per_app, :unfollows_per_app

    def initialize(follows_per_user: 400, follows_per_app: 1000, unfollows_per_app: 500)
      super
    end
  end

  # The ledger's counts for one user of the app at one moment (`at`, Unix seconds).
  # `*_remaining` is nil when that cap is off; `next_free_at` is nil when the user may
  # follow now, else the Unix time at which both follow windows have a free slot.
  class QuotaStatus < Value
    fields :user_used, :user_remaining, :app_used, :app_remaining, :next_free_at,
           :unfollows_used, :unfollows_remaining, :unfollows_next_free_at, :at
  end

  # How every call is retried. Defaults: 3 attempts in all, a backoff from 0.5 s doubling up
  # to 8 s with full jitter, a 429 waited out only when its reset is at most 60 s away (else
  # raised at once with RateLimited#reset_at). Retried: network errors, timeouts, HTTP 500,
  # 502, 503, 504, 429 within the wait; never 400, 401, 403, 404.
  #
  # `on_retry` is called as on_retry.call(attempt, reason, delay_seconds) before each wait,
  # on the calling thread; `reason` is :network, :timeout, :server or :rate_limited, and the
  # HTTP status is passed as a fourth argument (nil for the first two) to callables taking it.
  class RetryPolicy < Value
    fields :max_attempts, :base_delay, :max_delay, :max_rate_limit_wait, :jitter, :on_retry

    def initialize(max_attempts: 3, base_delay: 0.5, max_delay: 8.0, max_rate_limit_wait: 60.0, jitter: true,
                   on_retry: nil)
      super
    end

    # One attempt, no retry.
    def self.never
      new(max_attempts: 1)
    end
  end

  module Limits # :nodoc:
    REASONS = {
      Native::X_ERR_NETWORK => :network,
      Native::X_ERR_TIMEOUT => :timeout,
      Native::X_ERR_SERVER => :server,
      Native::X_ERR_RATE_LIMITED => :rate_limited
    }.freeze

    ENDPOINTS = {
      follow: Native::X_ENDPOINT_FOLLOW,
      unfollow: Native::X_ENDPOINT_UNFOLLOW,
      me: Native::X_ENDPOINT_ME,
      user_by_username: Native::X_ENDPOINT_USER_BY_USERNAME,
      followers: Native::X_ENDPOINT_FOLLOWERS,
      following: Native::X_ENDPOINT_FOLLOWING
    }.freeze

    module_function

    # Applies the limit options to a config; returns the FFI callback to keep alive (or nil).
    def configure(cfg, quota: nil, quota_limits: nil, retry_policy: nil, client_id: nil)
      quota = Native.optional_text_arg(quota, "quota")
      client_id = Native.optional_text_arg(client_id, "client_id")
      unless quota_limits.nil? || quota_limits.is_a?(QuotaLimits)
        raise TypeError, "quota_limits must be an Xfollow::QuotaLimits, not #{quota_limits.class}"
      end
      unless retry_policy.nil? || retry_policy.is_a?(RetryPolicy)
        raise TypeError, "retry_policy must be an Xfollow::RetryPolicy, not #{retry_policy.class}"
      end

      Native.check(Native.x_config_set_quota(cfg, quota)) unless quota.nil?
      unless quota_limits.nil?
        Native.check(Native.x_config_set_quota_limits(cfg, quota_limits.follows_per_user,
                                                      quota_limits.follows_per_app,
                                                      quota_limits.unfollows_per_app))
      end
      Native.check(Native.x_config_set_client_id(cfg, client_id)) unless client_id.nil?
      return nil if retry_policy.nil?

      Native.check(Native.x_config_set_retry(cfg, retry_policy.max_attempts,
                                             Native.timeout_ms(retry_policy.base_delay, "base_delay"),
                                             Native.timeout_ms(retry_policy.max_delay, "max_delay"),
                                             Native.timeout_ms(retry_policy.max_rate_limit_wait,
                                                               "max_rate_limit_wait")))
      Native.check(Native.x_config_set_retry_jitter(cfg, retry_policy.jitter ? true : false))
      return nil if retry_policy.on_retry.nil?

      callback(cfg, retry_policy.on_retry)
    end

    def callback(cfg, on_retry)
      raise TypeError, "on_retry must respond to call" unless on_retry.respond_to?(:call)

      takes_status = on_retry.respond_to?(:arity) && (on_retry.arity >= 4 || on_retry.arity < -4)
      fn = proc do |_data, attempt, reason, status, delay_ms|
        args = [attempt, REASONS.fetch(reason, :unknown), delay_ms / 1000.0]
        args << (status.zero? ? nil : status) if takes_status
        on_retry.call(*args)
      end
      Native.check(Native.x_config_set_on_retry(cfg, fn, nil))
      fn
    end
  end

  class Client
    # The quota ledger's counts for `user_id` (default: the authenticated user) now, as a
    # QuotaStatus. Raises InvalidArgument when the ledger is off (quota: "off").
    def quota_status(user_id: nil)
      user = Native.optional_id_arg(user_id, "user_id")
      out = ::FFI::MemoryPointer.new(:pointer)
      with_handle { |h| Native.check(Native.x_client_quota_status(h, user, out)) }
      s = out.read_pointer
      begin
        remaining = ->(v) { v.negative? ? nil : v }
        at = ->(v) { v.zero? ? nil : v }
        QuotaStatus.new(
          user_used: Native.x_quota_status_user_used(s),
          user_remaining: remaining.call(Native.x_quota_status_user_remaining(s)),
          app_used: Native.x_quota_status_app_used(s),
          app_remaining: remaining.call(Native.x_quota_status_app_remaining(s)),
          next_free_at: at.call(Native.x_quota_status_next_free_at(s)),
          unfollows_used: Native.x_quota_status_unfollows_used(s),
          unfollows_remaining: remaining.call(Native.x_quota_status_unfollows_remaining(s)),
          unfollows_next_free_at: at.call(Native.x_quota_status_unfollows_next_free_at(s)),
          at: Native.x_quota_status_at(s)
        )
      ensure
        Native.x_quota_status_free(s)
      end
    end

    # The latest rate-limit windows per endpoint (:follow, :unfollow, :me,
    # :user_by_username), for the endpoints that answered with some.
    def rate_limits
      with_handle do |h|
        Limits::ENDPOINTS.each_with_object({}) do |(name, ep), found|
          rl = Native.rate_limit { |*a| Native.x_client_rate_limit(h, ep, *a) }
          found[name] = rl unless rl == RateLimit.new
        end
      end
    end

    # Cancels every retry wait and every request in flight on a direct connection running on
    # this client (from any thread): those calls raise Xfollow::Cancelled at once, and so does
    # every later call until #reset_cancel. A request through a proxy runs to its timeout.
    def cancel
      with_handle { |h| Native.check(Native.x_client_cancel(h)) }
      nil
    end

    # Lets calls run again after #cancel.
    def reset_cancel
      with_handle { |h| Native.check(Native.x_client_cancel_reset(h)) }
      nil
    end
  end
end
