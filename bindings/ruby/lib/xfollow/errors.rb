# frozen_string_literal: true

module Xfollow
  # A failed libxfollow call. `message` is the library's one-line message (it never
  # contains a secret); the other attributes are nil when the failure did not carry them
  # (no `http_status` when no response was received, no problem fields without a body).
  #
  #   code                    the stable x_result code (X_ERR_* in xfollow.h)
  #   http_status             the failed response's status, or nil
  #   title, detail           the problem `title` ("Client Forbidden") and `detail`
  #   problem_type            the type name after /2/problems/ ("client-forbidden")
  #   type_uri                the problem `type` URI exactly as sent
  #   reason                  the problem `reason` ("client-not-enrolled")
  #   required_enrollment     the problem `required_enrollment`
  #   registration_url        the problem `registration_url`
  #   errors                  the body's `errors` array as ApiErrorEntry values
  #   rate_limit              the failed response's RateLimit (empty without a response)
  #   may_have_reached_server false when the request provably never left
  class Error < StandardError
    ATTRIBUTES = %i[code http_status title detail problem_type type_uri reason required_enrollment
                    registration_url errors rate_limit may_have_reached_server].freeze

    attr_reader(*ATTRIBUTES)

    def initialize(message = nil, code: 0, http_status: nil, title: nil, detail: nil, problem_type: nil,
                   type_uri: nil, reason: nil, required_enrollment: nil, registration_url: nil,
                   errors: [], rate_limit: nil, may_have_reached_server: false, retry_at: nil,
                   next_free_at: nil, exhausted_window: nil)
      super(message)
      @next_free_at = next_free_at
      @exhausted_window = exhausted_window
      @code = code
      @http_status = http_status
      @title = title
      @detail = detail
      @problem_type = problem_type
      @type_uri = type_uri
      @reason = reason
      @required_enrollment = required_enrollment
      @registration_url = registration_url
      @errors = errors.dup.freeze
      @rate_limit = rate_limit || RateLimit.new
      @may_have_reached_server = may_have_reached_server
      @retry_at = retry_at
    end

    alias may_have_reached_server? may_have_reached_server

    # The numeric codes of the `errors` entries that have one.
    def legacy_codes
      errors.map(&:code).compact
    end

    def inspect
      parts = [message.inspect, "code=#{code}"]
      %i[http_status problem_type reason].each do |name|
        value = public_send(name)
        parts << "#{name}=#{value.inspect}" unless value.nil?
      end
      "#<#{self.class}: #{parts.join(', ')}>"
    end
  end

  # A bad argument or configuration (X_ERR_INVALID_ARGUMENT), refused before any request.
  class InvalidArgument < Error; end

  # HTTP 401 (X_ERR_UNAUTHORIZED): the credentials were refused.
  class AuthError < Error; end

  # HTTP 403 (X_ERR_FORBIDDEN): wrong source user, app not enrolled, suspended target...
  class Forbidden < Error; end

  # HTTP 404 or a resource-not-found problem (X_ERR_NOT_FOUND).
  class NotFound < Error; end

  # HTTP 429 (X_ERR_RATE_LIMITED): a rate limit or a daily cap was hit.
  class RateLimited < Error
    # Unix time (seconds) to wait for: the latest reset among the exhausted windows, or nil.
    def reset_at
      @retry_at
    end

    # The window whose reset #reset_at is: :endpoint (15 minutes), :user_24h or :app_24h;
    # nil without rate-limit headers (then #reset_at is nil and nothing was waited for).
    attr_reader :exhausted_window

    # Seconds to wait from now (0 when the reset is already past), or nil when unknown.
    def retry_after
      return nil if @retry_at.nil?

      [@retry_at - Time.now.to_f, 0.0].max
    end
  end

  # Could not connect, or the connection broke (X_ERR_NETWORK).
  class NetworkError < Error; end

  # The connect or overall timeout expired (X_ERR_TIMEOUT).
  class Timeout < NetworkError; end

  # The TLS handshake or certificate verification failed (X_ERR_TLS).
  class TlsError < NetworkError; end

  # HTTP 5xx (X_ERR_SERVER).
  class ServerError < Error; end

  # A response that is not what the API documents: malformed JSON, missing fields
  # (X_ERR_PROTOCOL).
  class ProtocolError < Error; end

  # Any other API error: HTTP 400 and other 4xx (X_ERR_API).
  class ApiError < Error; end

  # A bug inside libxfollow, caught at its boundary (X_ERR_PANIC).
  class InternalError < Error; end

  # A follow or unfollow refused locally by the quota ledger (X_ERR_QUOTA_EXHAUSTED): a
  # daily cap is reached and no request was sent.
  class QuotaExhausted < Error
    # Unix time (seconds) at which the exhausted window has a free slot again.
    attr_reader :next_free_at
  end

  # The quota ledger's store failed (X_ERR_QUOTA_STORE); nothing was sent.
  class QuotaStoreError < Error; end

  # Client#cancel was called (X_ERR_CANCELLED): before the first attempt, during an attempt
  # on a direct connection, or while waiting to retry.
  class Cancelled < Error; end

  # The OAuth 2.0 token store could not be read, locked or written (or is readable by group
  # or others), or a refreshed token set could not be persisted (X_ERR_TOKEN_STORE).
  class TokenStoreError < Error; end

  # x_result code => exception class.
  ERROR_CLASSES = {
    1 => InvalidArgument,
    2 => AuthError,
    3 => Forbidden,
    4 => NotFound,
    5 => RateLimited,
    6 => NetworkError,
    7 => Timeout,
    8 => TlsError,
    9 => ServerError,
    10 => ProtocolError,
    11 => ApiError,
    12 => InternalError,
    13 => QuotaExhausted,
    14 => QuotaStoreError,
    15 => Cancelled,
    16 => TokenStoreError
  }.freeze

  # The exception class for an x_result code (Error for codes added later).
  def self.error_class(code)
    ERROR_CLASSES.fetch(code, Error)
  end

  # x_result code => its name in xfollow.h.
  CODE_NAMES = {
    0 => "X_SUCCESS", 1 => "X_ERR_INVALID_ARGUMENT", 2 => "X_ERR_UNAUTHORIZED", 3 => "X_ERR_FORBIDDEN",
    4 => "X_ERR_NOT_FOUND", 5 => "X_ERR_RATE_LIMITED", 6 => "X_ERR_NETWORK", 7 => "X_ERR_TIMEOUT", 8 => "X_ERR_TLS",
    9 => "X_ERR_SERVER", 10 => "X_ERR_PROTOCOL", 11 => "X_ERR_API", 12 => "X_ERR_PANIC",
    13 => "X_ERR_QUOTA_EXHAUSTED", 14 => "X_ERR_QUOTA_STORE", 15 => "X_ERR_CANCELLED", 16 => "X_ERR_TOKEN_STORE"
  }.freeze

  # The code's name in xfollow.h ("X_ERR_NOT_FOUND"; "X_ERR_UNKNOWN" for codes added later).
  def self.code_name(code)
    CODE_NAMES.fetch(code, "X_ERR_UNKNOWN")
  end
end
