# frozen_string_literal: true

module Xfollow
  # A client for the X API v2 follows endpoints, acting as one user.
  #
  # Build one with Client.oauth1 or Client.oauth2. A client holds a pool of keep-alive
  # connections; it is immutable and safe to share between threads (every network call
  # releases the GVL while it waits). Free it with #close, or pass a block to
  # oauth1/oauth2; a forgotten client is freed by the garbage collector.
  #
  # Every method raises an Xfollow::Error subclass on failure, and TypeError for an
  # argument of the wrong Ruby type.
  class Client
    include Guarded

    STATES = {
      Native::X_STATE_NOT_FOLLOWING => :not_following,
      Native::X_STATE_FOLLOWING => :following,
      Native::X_STATE_PENDING => :pending
    }.freeze

    class << self
      # A client signing with OAuth 1.0a user context: the app's consumer key and secret,
      # the user's access token and secret (the user's id is the token's numeric prefix).
      #
      #   base_url         default https://api.x.com (plain http only for loopback hosts)
      #   timeout          seconds for one whole request (default 30)
      #   connect_timeout  seconds to connect (default 10)
      #   ca_file          a PEM file of extra trusted roots
      #   proxy            an explicit proxy URL (*_PROXY variables are never read)
      #   gzip             false asks for uncompressed answers (Accept-Encoding: identity);
      #                    default: ask for gzip, as X's own clients do (a compressed answer
      #                    is decoded either way)
      #
      #   quota            the daily quota ledger's store: "memory:" (default: one table per
      #                    process), "sqlite:PATH" (every process of the machine),
      #                    "redis://..." (every machine) or "off"
      #   quota_limits     an Xfollow::QuotaLimits (default 400 / 1000 / 500)
      #   retry_policy     an Xfollow::RetryPolicy (default: 3 attempts, 0.5 s to 8 s
      #                    backoff with jitter, a 429 waited up to 60 s)
      #
      # With a block, yields the client, closes it afterwards and returns the block's value.
      def oauth1(consumer_key:, consumer_secret:, access_token:, access_token_secret:,
                 base_url: nil, timeout: nil, connect_timeout: nil, ca_file: nil, proxy: nil, gzip: nil,
                 quota: nil, quota_limits: nil, retry_policy: nil, &block)
        creds = [
          Native.text_arg(consumer_key, "consumer_key"),
          Native.text_arg(consumer_secret, "consumer_secret"),
          Native.text_arg(access_token, "access_token"),
          Native.text_arg(access_token_secret, "access_token_secret")
        ]
        limits = { quota: quota, quota_limits: quota_limits, retry_policy: retry_policy }
        build(base_url, timeout, connect_timeout, ca_file, proxy, gzip, block, limits) do |cfg|
          Native.x_config_set_oauth1(cfg, *creds)
        end
      end

      # A client sending an OAuth 2.0 user access token (Authorization Code with PKCE;
      # scopes tweet.read users.read follows.write). The user's id is fetched once with
      # GET /2/users/me when a call needs it. Options as for oauth1, and `client_id` (the
      # app's public OAuth 2.0 client id), the app's name in the quota ledger; without one,
      # every OAuth 2.0 client sharing a store counts as one app.
      def oauth2(access_token, base_url: nil, timeout: nil, connect_timeout: nil, ca_file: nil, proxy: nil,
                 gzip: nil, quota: nil, quota_limits: nil, retry_policy: nil, client_id: nil, &block)
        token = Native.text_arg(access_token, "access_token")
        limits = { quota: quota, quota_limits: quota_limits, retry_policy: retry_policy, client_id: client_id }
        build(base_url, timeout, connect_timeout, ca_file, proxy, gzip, block, limits) do |cfg|
          Native.x_config_set_oauth2_token(cfg, token)
        end
      end

      # A client sending an OAuth 2.0 user token that it refreshes by itself: `margin`
      # seconds before token_set.expires_at (default 60) and once after a 401, one refresh at
      # a time across threads. token_set (an Xfollow::TokenSet) needs a refresh token.
      #
      #   client_id, client_secret  the app's OAuth 2.0 client (secret: confidential clients)
      #   on_refresh   a Proc called with every new TokenSet before it is used (save it); an
      #                exception it raises is printed and the new set is used anyway
      #   token_store  a file shared with other processes (mode 0600, locked during a
      #                refresh, replaced atomically)
      #
      # The token endpoint is under base_url. Other options as for oauth1 (quota:,
      # quota_limits:, retry_policy: too); client_id also names the app in the quota ledger,
      # as for oauth2. The current set is client.token_set.
      def oauth2_refreshing(token_set, client_id:, client_secret: nil, on_refresh: nil, token_store: nil, margin: nil,
                            base_url: nil, timeout: nil, connect_timeout: nil, ca_file: nil, proxy: nil, gzip: nil,
                            quota: nil, quota_limits: nil, retry_policy: nil, &block)
        raise TypeError, "token_set must be an Xfollow::TokenSet, not #{token_set.class}" unless token_set.is_a?(TokenSet)
        raise TypeError, "on_refresh must respond to call" unless on_refresh.nil? || on_refresh.respond_to?(:call)
        unless margin.nil? || (margin.is_a?(Integer) && margin >= 1)
          raise ArgumentError, "margin must be a whole number of seconds, at least 1"
        end

        id = Native.text_arg(client_id, "client_id")
        secret = Native.optional_text_arg(client_secret, "client_secret")
        store = Native.optional_text_arg(token_store, "token_store")
        persist = on_refresh && proc do |_user_data, tokens|
          on_refresh.call(TokenSet.from_native(tokens))
        rescue StandardError => e
          warn "xfollow: on_refresh raised #{e.class}: #{e.message}"
        end
        native = token_set.to_native
        begin
          limits = { quota: quota, quota_limits: quota_limits, retry_policy: retry_policy, client_id: client_id }
          client = build(base_url, timeout, connect_timeout, ca_file, proxy, gzip, nil, limits) do |cfg|
            Native.x_config_set_oauth2_refreshing(cfg, native, id, secret, [margin || 0, 0xFFFF_FFFF].min, persist,
                                                  nil, store)
          end
          client.instance_variable_set(:@persist, persist)
          hand_over(client, block)
        ensure
          native.free
        end
      end

      private :new

      private

      def build(base_url, timeout, connect_timeout, ca_file, proxy, gzip, block, limits = {})
        unless [nil, true, false].include?(gzip)
          raise TypeError, "gzip must be true, false or nil, not #{gzip.class}"
        end

        base = Native.optional_text_arg(base_url, "base_url")
        ca = Native.optional_text_arg(ca_file, "ca_file")
        prox = Native.optional_text_arg(proxy, "proxy")
        total_ms = Native.timeout_ms(timeout, "timeout")
        connect_ms = Native.timeout_ms(connect_timeout, "connect_timeout")
        cfg = Native.new_config
        begin
          Native.check(yield(cfg))
          Native.check(Native.x_config_set_base_url(cfg, base)) unless base.nil?
          Native.check(Native.x_config_set_timeout_ms(cfg, total_ms)) unless total_ms.nil?
          Native.check(Native.x_config_set_connect_timeout_ms(cfg, connect_ms)) unless connect_ms.nil?
          Native.check(Native.x_config_set_ca_file(cfg, ca)) unless ca.nil?
          Native.check(Native.x_config_set_proxy(cfg, prox)) unless prox.nil?
          Native.check(Native.x_config_set_gzip(cfg, gzip)) unless gzip.nil?
          on_retry = Limits.configure(cfg, **limits)
          out = ::FFI::MemoryPointer.new(:pointer)
          Native.check(Native.x_client_new(cfg, out))
          client = new(Native::ClientPointer.new(out.read_pointer))
          client.instance_variable_set(:@on_retry, on_retry) # kept alive with the client
        ensure
          cfg.free
        end
        hand_over(client, block)
      end

      # The client, or with a block, the block's value, the client closed afterwards.
      def hand_over(client, block)
        return client unless block

        begin
          block.call(client)
        ensure
          client.close
        end
      end
    end

    def initialize(handle) # :nodoc:
      guard(handle, "Xfollow::Client")
    end

    # Follows `target_user_id` (POST /2/users/:source/following) as the authenticated user,
    # or as `source_user_id` (which must be the authenticated user). Ids are Strings of 1 to
    # 19 digits (Integers are accepted). Following a protected account gives
    # `pending_follow? == true` and `state == :pending`. Repeating a follow is harmless.
    def follow(target_user_id, source_user_id: nil)
      target = Native.id_arg(target_user_id, "target_user_id")
      source = Native.optional_id_arg(source_user_id, "source_user_id")
      follow_call(:x_follow, source, target)
    end

    # Unfollows `target_user_id` (DELETE /2/users/:source/following/:target); also withdraws
    # a pending follow request. Unfollowing someone not followed is harmless.
    def unfollow(target_user_id, source_user_id: nil)
      target = Native.id_arg(target_user_id, "target_user_id")
      source = Native.optional_id_arg(source_user_id, "source_user_id")
      follow_call(:x_unfollow, source, target)
    end

    # The authenticated user (GET /2/users/me).
    def me
      user_call { |h, out| Native.x_me(h, out) }
    end

    # The user with this @handle, without `@` (GET /2/users/by/username/:username; 1 to 15
    # of A-Z a-z 0-9 _). An unknown handle raises Xfollow::NotFound.
    def user_by_username(username)
      name = Native.text_arg(username, "username")
      user_call { |h, out| Native.x_user_by_username(h, name, out) }
    end

    # The authenticated user's id: the OAuth 1.0a token's prefix, or (OAuth 2.0) the id from
    # GET /2/users/me, fetched once per client.
    def own_user_id
      out = ::FFI::MemoryPointer.new(:pointer)
      with_handle { |h| Native.check(Native.x_client_own_user_id(h, out)) }
      Native.take_string(out)
    end

    # The OAuth 2.0 token set in use now (after a refresh, the new one); only for clients
    # made with oauth2_refreshing (else InvalidArgument).
    def token_set
      TokenSet.take { |out| with_handle { |h| Native.x_client_token_set(h, out) } }
    end

    def inspect
      "#<#{self.class} #{@closed ? 'closed' : 'open'}>"
    end

    private

    def follow_call(function, source, target)
      out = ::FFI::MemoryPointer.new(:pointer)
      with_handle { |h| Native.check(Native.public_send(function, h, source, target, out)) }
      r = Native::FollowResultPointer.new(out.read_pointer)
      begin
        FollowResult.new(
          following: Native.x_follow_result_following(r),
          pending_follow: Native.x_follow_result_pending_follow(r),
          state: STATES.fetch(Native.x_follow_result_state(r), :not_following),
          rate_limit: Native.rate_limit { |*a| Native.x_follow_result_rate_limit(r, *a) },
          errors: Array.new(Native.x_follow_result_error_count(r)) do |i|
            Native.entry(Native.x_follow_result_error_code(r, i), Native.x_follow_result_error_message(r, i))
          end.freeze,
          http_status: Native.x_follow_result_http_status(r)
        )
      ensure
        r.free
      end
    end

    def user_call
      out = ::FFI::MemoryPointer.new(:pointer)
      with_handle { |h| Native.check(yield(h, out)) }
      u = Native::UserPointer.new(out.read_pointer)
      begin
        User.new(
          id: Native.utf8(Native.x_user_id(u)) || "",
          username: Native.utf8(Native.x_user_username(u)) || "",
          name: Native.utf8(Native.x_user_name(u)) || "",
          rate_limit: Native.rate_limit { |*a| Native.x_user_rate_limit(u, *a) }
        )
      ensure
        u.free
      end
    end
  end
end
