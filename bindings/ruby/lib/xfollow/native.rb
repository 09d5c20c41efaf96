# frozen_string_literal: true

require "ffi"
require_relative "version"
require_relative "library"

module Xfollow
  # Raised at load time when the libxfollow found is not the version this gem was written
  # for, or does not export a function the gem needs.
  class LibraryVersionError < LoadError; end

  # The ffi layer over libxfollow's C ABI (include/xfollow.h): one attach_function per
  # function, `blocking: true` for every call that may wait on the network (the GVL is
  # released meanwhile, so other Ruby threads run), and AutoPointer classes for the four
  # handle types. Nothing here is public API; use Xfollow::Client.
  #
  # Which libxfollow is loaded: Xfollow::Library.
  module Native
    extend ::FFI::Library

    CHOICE = Library.choose
    begin
      ffi_lib(CHOICE.names)
    rescue LoadError => e
      raise LoadError, Library.load_error(CHOICE, e.message), cause: nil
    end

    # The path actually loaded.
    def self.library_path
      @library_path ||= Library.loaded_path(ffi_libraries.first.name)
    end

    X_SUCCESS = 0
    X_ERR_INVALID_ARGUMENT = 1
    X_WINDOW_ENDPOINT = 0
    X_WINDOW_USER_24H = 1
    X_WINDOW_APP_24H = 2
    X_STATE_NOT_FOLLOWING = 0
    X_STATE_FOLLOWING = 1
    X_STATE_PENDING = 2
    X_MAX_TIMEOUT_MS = 3_600_000
    X_ERR_RATE_LIMITED = 5
    X_ERR_NETWORK = 6
    X_ERR_TIMEOUT = 7
    X_ERR_SERVER = 9
    X_ERR_QUOTA_EXHAUSTED = 13
    X_ENDPOINT_FOLLOW = 0
    X_ENDPOINT_UNFOLLOW = 1
    X_ENDPOINT_ME = 2
    X_ENDPOINT_USER_BY_USERNAME = 3
    X_ENDPOINT_FOLLOWERS = 4
    X_ENDPOINT_FOLLOWING = 5
    X_TOKEN_ACCESS = 0
    X_TOKEN_REFRESH = 1

    typedef :int, :x_token_kind
    # void (*x_persist_fn)(void *user_data, const x_token_set *tokens)
    callback :x_persist_fn, %i[pointer pointer], :void
    typedef :int, :x_result
    typedef :int, :x_rate_window
    typedef :int, :x_follow_state
    typedef :int, :x_endpoint
    # void (*x_on_retry_fn)(void *user_data, uint32_t attempt, x_result reason,
    #                       int32_t http_status, uint64_t delay_ms)
    callback :x_on_retry_fn, %i[pointer uint32 x_result int32 uint64], :void
    typedef :int, :x_plan_state
    # bool (*x_plan_progress_fn)(void *user_data, const x_plan_progress *progress)
    callback :x_plan_progress_fn, %i[pointer pointer], :bool

    X_PLAN_QUEUED = 0
    X_PLAN_DONE = 1
    X_PLAN_PENDING = 2
    X_PLAN_SKIPPED = 3
    X_PLAN_FAILED = 4
    X_PLAN_FINISHED = 0
    X_PLAN_DEADLINE = 1
    X_PLAN_CANCELLED = 2
    X_PLAN_STOPPED = 3

    # name, argument types, return type, options. Strings handed to the library are
    # :string (NUL-terminated copies); strings the library owns are read as :string too
    # (copied at once); the one string the caller owns (x_client_own_user_id) is read
    # through a :pointer and given back to x_string_free.
    FUNCTIONS = [
      # version and codes
      [:x_version, [], :string],
      [:x_version_number, [], :uint32],
      [:x_result_str, [:x_result], :string],
      [:x_string_free, [:pointer], :void],
      [:x_test_panic, [], :x_result],
      # configuration (single-threaded, no I/O)
      [:x_config_new, [:pointer], :x_result],
      [:x_config_free, [:pointer], :void],
      [:x_config_set_base_url, %i[pointer string], :x_result],
      [:x_config_set_oauth1, %i[pointer string string string string], :x_result],
      [:x_config_set_oauth2_token, %i[pointer string], :x_result],
      [:x_config_set_connect_timeout_ms, %i[pointer uint32], :x_result],
      [:x_config_set_timeout_ms, %i[pointer uint32], :x_result],
      [:x_config_set_proxy, %i[pointer string], :x_result],
      [:x_config_set_ca_file, %i[pointer string], :x_result],
      [:x_config_set_gzip, %i[pointer bool], :x_result],
      [:x_config_set_retry, %i[pointer uint32 uint32 uint32 uint32], :x_result],
      [:x_config_set_retry_jitter, %i[pointer bool], :x_result],
      [:x_config_set_on_retry, %i[pointer x_on_retry_fn pointer], :x_result],
      [:x_config_set_quota, %i[pointer string], :x_result],
      [:x_config_set_quota_limits, %i[pointer uint32 uint32 uint32], :x_result],
      [:x_config_set_client_id, %i[pointer string], :x_result],
      # client: x_client_new reads the CA file; the calls wait on the network
      [:x_client_new, %i[pointer pointer], :x_result, { blocking: true }],
      [:x_client_free, [:pointer], :void],
      [:x_follow, %i[pointer string string pointer], :x_result, { blocking: true }],
      [:x_unfollow, %i[pointer string string pointer], :x_result, { blocking: true }],
      [:x_me, %i[pointer pointer], :x_result, { blocking: true }],
      [:x_user_by_username, %i[pointer string pointer], :x_result, { blocking: true }],
      # OAuth 2.0: GET /2/users/me on first use
      [:x_client_own_user_id, %i[pointer pointer], :x_result, { blocking: true }],
      [:x_client_cancel, [:pointer], :x_result],
      [:x_client_cancel_reset, [:pointer], :x_result],
      [:x_client_rate_limit, %i[pointer x_endpoint x_rate_window pointer pointer pointer], :bool],
      [:x_client_quota_status, %i[pointer string pointer], :x_result, { blocking: true }],
      [:x_quota_status_free, [:pointer], :void],
      [:x_quota_status_at, [:pointer], :int64],
      [:x_quota_status_user_used, [:pointer], :uint32],
      [:x_quota_status_user_remaining, [:pointer], :int64],
      [:x_quota_status_app_used, [:pointer], :uint32],
      [:x_quota_status_app_remaining, [:pointer], :int64],
      [:x_quota_status_unfollows_used, [:pointer], :uint32],
      [:x_quota_status_unfollows_remaining, [:pointer], :int64],
      [:x_quota_status_next_free_at, [:pointer], :int64],
      [:x_quota_status_unfollows_next_free_at, [:pointer], :int64],
      # follow results
      [:x_follow_result_free, [:pointer], :void],
      [:x_follow_result_following, [:pointer], :bool],
      [:x_follow_result_pending_follow, [:pointer], :bool],
      [:x_follow_result_state, [:pointer], :x_follow_state],
      [:x_follow_result_http_status, [:pointer], :int32],
      [:x_follow_result_rate_limit, %i[pointer x_rate_window pointer pointer pointer], :bool],
      [:x_follow_result_error_count, [:pointer], :size_t],
      [:x_follow_result_error_code, %i[pointer size_t], :int64],
      [:x_follow_result_error_message, %i[pointer size_t], :string],
      # users
      [:x_user_free, [:pointer], :void],
      [:x_user_id, [:pointer], :string],
      [:x_user_username, [:pointer], :string],
      [:x_user_name, [:pointer], :string],
      [:x_user_rate_limit, %i[pointer x_rate_window pointer pointer pointer], :bool],
      # followers/following lookups (they wait on the network) and their pages
      [:x_followers, %i[pointer string uint32 string pointer], :x_result, { blocking: true }],
      [:x_following, %i[pointer string uint32 string pointer], :x_result, { blocking: true }],
      [:x_user_page_free, [:pointer], :void],
      [:x_user_page_count, [:pointer], :size_t],
      [:x_user_page_result_count, [:pointer], :uint32],
      [:x_user_page_user_id, %i[pointer size_t], :string],
      [:x_user_page_username, %i[pointer size_t], :string],
      [:x_user_page_name, %i[pointer size_t], :string],
      [:x_user_page_next_token, [:pointer], :string],
      [:x_user_page_previous_token, [:pointer], :string],
      [:x_user_page_rate_limit, %i[pointer x_rate_window pointer pointer pointer], :bool],
      # the thread-local last error
      [:x_last_error_code, [], :x_result],
      [:x_last_error_message, [], :string],
      [:x_last_error_http_status, [], :int32],
      [:x_last_error_may_have_reached_server, [], :bool],
      [:x_last_error_title, [], :string],
      [:x_last_error_detail, [], :string],
      [:x_last_error_type, [], :string],
      [:x_last_error_type_name, [], :string],
      [:x_last_error_reason, [], :string],
      [:x_last_error_required_enrollment, [], :string],
      [:x_last_error_registration_url, [], :string],
      [:x_last_error_api_error_count, [], :size_t],
      [:x_last_error_api_error_code, [:size_t], :int64],
      [:x_last_error_api_error_message, [:size_t], :string],
      [:x_last_error_rate_limit, %i[x_rate_window pointer pointer pointer], :bool],
      [:x_last_error_retry_at, [], :uint64],
      [:x_last_error_next_free_at, [], :int64],
      [:x_last_error_exhausted_window, [], :x_rate_window],
      # token sets
      [:x_token_set_new, %i[string string uint64 string pointer], :x_result],
      [:x_token_set_free, [:pointer], :void],
      [:x_token_set_access_token, [:pointer], :string],
      [:x_token_set_refresh_token, [:pointer], :string],
      [:x_token_set_expires_at, [:pointer], :uint64],
      [:x_token_set_scopes, [:pointer], :string],
      # OAuth 1.0a three-legged flow
      [:x_oauth1_flow_new, %i[pointer string string string string pointer], :x_result, { blocking: true }],
      [:x_oauth1_flow_free, [:pointer], :void],
      [:x_oauth1_flow_request_token, %i[pointer string pointer], :x_result, { blocking: true }],
      [:x_oauth1_request_free, [:pointer], :void],
      [:x_oauth1_request_token, [:pointer], :string],
      [:x_oauth1_request_authorize_url, [:pointer], :string],
      [:x_oauth1_flow_authorize_url, %i[pointer pointer bool bool string pointer], :x_result],
      [:x_oauth1_flow_access_token, %i[pointer pointer string pointer], :x_result, { blocking: true }],
      [:x_oauth1_flow_access_token_from_callback, %i[pointer pointer string pointer], :x_result,
       { blocking: true }],
      [:x_oauth1_credentials_free, [:pointer], :void],
      [:x_oauth1_credentials_token, [:pointer], :string],
      [:x_oauth1_credentials_token_secret, [:pointer], :string],
      [:x_oauth1_credentials_user_id, [:pointer], :string],
      [:x_oauth1_credentials_screen_name, [:pointer], :string],
      # OAuth 2.0 PKCE
      [:x_oauth2_flow_new, %i[pointer string string string string string string pointer], :x_result,
       { blocking: true }],
      [:x_oauth2_flow_free, [:pointer], :void],
      [:x_oauth2_flow_authorization_request, %i[pointer pointer pointer pointer], :x_result],
      [:x_oauth2_flow_exchange, %i[pointer string string pointer], :x_result, { blocking: true }],
      [:x_oauth2_flow_refresh, %i[pointer string pointer], :x_result, { blocking: true }],
      [:x_oauth2_flow_revoke, %i[pointer string x_token_kind], :x_result, { blocking: true }],
      # loopback redirect receiver
      [:x_redirect_receiver_bind, %i[string pointer], :x_result],
      [:x_redirect_receiver_redirect_uri, [:pointer], :string],
      [:x_redirect_receiver_wait, %i[pointer string uint32 pointer], :x_result, { blocking: true }],
      [:x_redirect_receiver_wait_oauth1, %i[pointer pointer uint32 pointer], :x_result, { blocking: true }],
      [:x_redirect_receiver_free, [:pointer], :void],
      # refreshing clients
      [:x_config_set_oauth2_refreshing, %i[pointer pointer string string uint32 x_persist_fn pointer string],
       :x_result],
      [:x_client_token_set, %i[pointer pointer], :x_result],
      # follow plans (every call but the progress accessors reads or writes the store)
      [:x_plan_open, %i[string string string pointer], :x_result, { blocking: true }],
      [:x_plan_free, [:pointer], :void],
      [:x_plan_add, %i[pointer pointer size_t bool pointer], :x_result, { blocking: true }],
      [:x_plan_unfollow_non_followers, %i[pointer pointer pointer size_t pointer], :x_result, { blocking: true }],
      [:x_plan_follow_back, %i[pointer pointer pointer], :x_result, { blocking: true }],
      [:x_plan_status, %i[pointer pointer pointer pointer pointer pointer], :x_result, { blocking: true }],
      [:x_plan_dry_run, %i[pointer size_t pointer], :x_result, { blocking: true }],
      [:x_plan_run, %i[pointer pointer string uint64 x_plan_progress_fn pointer pointer pointer], :x_result,
       { blocking: true }],
      [:x_plan_progress_target, [:pointer], :string],
      [:x_plan_progress_unfollow, [:pointer], :int],
      [:x_plan_progress_state, [:pointer], :x_plan_state],
      [:x_plan_progress_count, %i[pointer x_plan_state], :uint64],
      [:x_plan_progress_next_request_at, [:pointer], :int64],
      [:x_plan_list, %i[string pointer], :x_result, { blocking: true }],
      [:x_plan_drop, %i[string string pointer], :x_result, { blocking: true }]
    ].freeze

    FUNCTIONS.each do |name, args, ret, opts|
      attach_function(name, args, ret, **(opts || {}))
    rescue ::FFI::NotFoundError
      raise LibraryVersionError,
            "xfollow: #{library_path} does not export #{name}: it is not the libxfollow #{VERSION} this gem needs"
    end

    # The version number this gem expects (MAJOR * 10000 + MINOR * 100 + PATCH).
    EXPECTED_VERSION_NUMBER = VERSION.split(".").map(&:to_i).then { |a, b, c| (a * 10_000) + (b * 100) + c }

    unless x_version_number == EXPECTED_VERSION_NUMBER
      raise LibraryVersionError,
            "xfollow: #{library_path} is libxfollow #{x_version}, but this gem is #{VERSION}; " \
            "install the matching library or point XFOLLOW_LIBRARY at it"
    end

    # Handles freed by the garbage collector unless freed earlier with #free.
    class ConfigPointer < ::FFI::AutoPointer
      def self.release(ptr) = Native.x_config_free(ptr)
    end

    class ClientPointer < ::FFI::AutoPointer
      def self.release(ptr) = Native.x_client_free(ptr)
    end

    class FollowResultPointer < ::FFI::AutoPointer
      def self.release(ptr) = Native.x_follow_result_free(ptr)
    end

    class UserPointer < ::FFI::AutoPointer
      def self.release(ptr) = Native.x_user_free(ptr)
    end

    class TokenSetPointer < ::FFI::AutoPointer
      def self.release(ptr) = Native.x_token_set_free(ptr)
    end

    class OAuth1FlowPointer < ::FFI::AutoPointer
      def self.release(ptr) = Native.x_oauth1_flow_free(ptr)
    end

    class OAuth1RequestPointer < ::FFI::AutoPointer
      def self.release(ptr) = Native.x_oauth1_request_free(ptr)
    end

    class OAuth1CredentialsPointer < ::FFI::AutoPointer
      def self.release(ptr) = Native.x_oauth1_credentials_free(ptr)
    end

    class OAuth2FlowPointer < ::FFI::AutoPointer
      def self.release(ptr) = Native.x_oauth2_flow_free(ptr)
    end

    class RedirectReceiverPointer < ::FFI::AutoPointer
      def self.release(ptr) = Native.x_redirect_receiver_free(ptr)
    end

    class UserPagePointer < ::FFI::AutoPointer
      def self.release(ptr) = Native.x_user_page_free(ptr)
    end

    class PlanPointer < ::FFI::AutoPointer
      def self.release(ptr) = Native.x_plan_free(ptr)
    end
  end
end

module Xfollow
  module Native # :nodoc:
    NUL = "\0"
    WINDOW_NAMES = { X_WINDOW_ENDPOINT => :endpoint, X_WINDOW_USER_24H => :user_24h,
                     X_WINDOW_APP_24H => :app_24h }.freeze

    class << self
      # Raises the Xfollow::Error subclass for a non-zero x_result, with this thread's
      # last-error details (read right after the failed call, on the same thread, as the
      # ABI requires).
      def check(result)
        raise last_error(result) unless result == X_SUCCESS

        nil
      end

      def last_error(code)
        status = x_last_error_http_status
        entries = Array.new(x_last_error_api_error_count) do |i|
          entry(x_last_error_api_error_code(i), x_last_error_api_error_message(i))
        end
        retry_at = x_last_error_retry_at
        extra = {}
        if code == X_ERR_QUOTA_EXHAUSTED
          next_free = x_last_error_next_free_at
          extra[:next_free_at] = next_free.zero? ? nil : next_free
        end
        extra[:exhausted_window] = WINDOW_NAMES[x_last_error_exhausted_window] if code == X_ERR_RATE_LIMITED
        Xfollow.error_class(code).new(
          utf8(x_last_error_message) || utf8(x_result_str(code)),
          code: code,
          http_status: status.zero? ? nil : status,
          title: utf8(x_last_error_title),
          detail: utf8(x_last_error_detail),
          problem_type: utf8(x_last_error_type_name),
          type_uri: utf8(x_last_error_type),
          reason: utf8(x_last_error_reason),
          required_enrollment: utf8(x_last_error_required_enrollment),
          registration_url: utf8(x_last_error_registration_url),
          errors: entries,
          rate_limit: rate_limit { |*a| x_last_error_rate_limit(*a) },
          may_have_reached_server: x_last_error_may_have_reached_server,
          retry_at: retry_at.zero? ? nil : retry_at,
          **extra
        )
      end

      # A RateLimit from a reader called as (window, limit*, remaining*, reset*) -> bool.
      def rate_limit
        values = ::FFI::MemoryPointer.new(:uint64, 3)
        windows = [X_WINDOW_ENDPOINT, X_WINDOW_USER_24H, X_WINDOW_APP_24H].map do |w|
          next nil unless yield(w, values, values + 8, values + 16)

          limit, remaining, reset = values.read_array_of_uint64(3)
          RateLimitWindow.new(limit: limit, remaining: remaining, reset: reset)
        end
        RateLimit.new(endpoint: windows[0], user_24h: windows[1], app_24h: windows[2])
      end

      def entry(code, message)
        ApiErrorEntry.new(code: code.negative? ? nil : code, message: utf8(message))
      end

      def utf8(bytes)
        return nil if bytes.nil?

        s = bytes.dup.force_encoding(Encoding::UTF_8)
        s.valid_encoding? ? s : s.scrub
      end

      # A string the caller owns (a char ** out-parameter), freed with x_string_free; NULL
      # reads as "".
      def take_string(out)
        ptr = out.read_pointer
        return "" if ptr.null?

        begin
          utf8(ptr.read_string)
        ensure
          x_string_free(ptr)
        end
      end

      # A String argument as the library wants it: UTF-8 bytes without NUL. Invalid UTF-8
      # is passed through for the library to refuse with its own message.
      def text_arg(value, name)
        raise TypeError, "#{name} must be a String, not #{value.class}" unless value.is_a?(String)

        s = value
        unless [Encoding::UTF_8, Encoding::US_ASCII, Encoding::BINARY].include?(s.encoding)
          begin
            s = s.encode(Encoding::UTF_8)
          rescue EncodingError => e
            raise invalid_argument("#{name} cannot be converted to UTF-8: #{e.message}")
          end
        end
        raise invalid_argument("#{name} contains a NUL character") if s.include?(NUL)

        s
      end

      def optional_text_arg(value, name)
        value.nil? ? nil : text_arg(value, name)
      end

      # A user id: a String of digits (checked by the library), an Integer or a User.
      def id_arg(value, name)
        case value
        when String then text_arg(value, name)
        when Integer then value.to_s
        when User then text_arg(value.id, name)
        else raise TypeError, "#{name} must be a String, Integer or Xfollow::User, not #{value.class}"
        end
      end

      def optional_id_arg(value, name)
        value.nil? ? nil : id_arg(value, name)
      end

      # Seconds to the library's milliseconds; out-of-range values are left for the library
      # to refuse with its own message.
      def timeout_ms(seconds, name)
        return nil if seconds.nil?
        raise TypeError, "#{name} must be a number of seconds, not #{seconds.class}" unless seconds.is_a?(Numeric)

        (seconds * 1000).round.clamp(0, 0xFFFF_FFFF)
      end

      def new_config
        out = ::FFI::MemoryPointer.new(:pointer)
        check(x_config_new(out))
        ConfigPointer.new(out.read_pointer)
      end

      private

      def invalid_argument(message)
        InvalidArgument.new(message, code: X_ERR_INVALID_ARGUMENT)
      end
    end
  end
end
