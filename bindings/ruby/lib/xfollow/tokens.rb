# frozen_string_literal: true

module Xfollow
  # An OAuth 2.0 token set: access token, refresh token (with offline.access), absolute
  # expiry (Unix seconds, nil when unknown) and granted scopes. #inspect hides the tokens.
  TokenSet = Struct.new(:access_token, :refresh_token, :expires_at, :scopes, keyword_init: true) do
    def inspect
      "#<struct Xfollow::TokenSet expires_at=#{expires_at.inspect}, scopes=#{scopes.inspect}>"
    end
    alias_method :to_s, :inspect

    def self.from_native(ptr) # :nodoc:
      expires = Native.x_token_set_expires_at(ptr)
      new(access_token: Native.utf8(Native.x_token_set_access_token(ptr)),
          refresh_token: Native.utf8(Native.x_token_set_refresh_token(ptr)),
          expires_at: expires.zero? ? nil : expires,
          scopes: (Native.utf8(Native.x_token_set_scopes(ptr)) || "").split)
    end

    # Yields an out-pointer to a call that makes a native token set, checks its code and
    # returns the set as a TokenSet, freeing the native one.
    def self.take # :nodoc:
      out = ::FFI::MemoryPointer.new(:pointer)
      Native.check(yield(out))
      ptr = Native::TokenSetPointer.new(out.read_pointer)
      begin
        from_native(ptr)
      ensure
        ptr.free
      end
    end

    def to_native # :nodoc:
      out = ::FFI::MemoryPointer.new(:pointer)
      Native.check(Native.x_token_set_new(Native.text_arg(access_token, "access_token"),
                                          Native.optional_text_arg(refresh_token, "refresh_token"),
                                          Integer(expires_at || 0),
                                          Native.text_arg(Array(scopes).join(" "), "scopes"), out))
      Native::TokenSetPointer.new(out.read_pointer)
    end
  end

  # A user's OAuth 1.0a access token (it does not expire). #inspect hides the secrets.
  OAuth1Credentials = Struct.new(:token, :token_secret, :user_id, :screen_name, keyword_init: true) do
    def inspect
      "#<struct Xfollow::OAuth1Credentials user_id=#{user_id.inspect}, screen_name=#{screen_name.inspect}>"
    end
    alias_method :to_s, :inspect
  end

  module Native # :nodoc:
    class << self
      # An x_config carrying transport options; yields it and frees it.
      def with_transport(timeout, connect_timeout, ca_file, proxy)
        ca = optional_text_arg(ca_file, "ca_file")
        prox = optional_text_arg(proxy, "proxy")
        total_ms = timeout_ms(timeout, "timeout")
        connect_ms = timeout_ms(connect_timeout, "connect_timeout")
        cfg = new_config
        begin
          check(x_config_set_timeout_ms(cfg, total_ms)) unless total_ms.nil?
          check(x_config_set_connect_timeout_ms(cfg, connect_ms)) unless connect_ms.nil?
          check(x_config_set_ca_file(cfg, ca)) unless ca.nil?
          check(x_config_set_proxy(cfg, prox)) unless prox.nil?
          yield cfg
        ensure
          cfg.free
        end
      end
    end
  end

  # The OAuth 1.0a three-legged flow for one app. callback: "oob" (the PIN flow) or a URL
  # registered with the app. base_url defaults to https://api.x.com (the authorize page is
  # then on https://x.com; with another base, as the emulator's, under that base). The flow
  # remembers the last request token.
  class OAuth1Flow
    # A request token: #token and #authorize_url.
    class RequestToken
      attr_reader :token, :authorize_url

      def initialize(handle) # :nodoc:
        @handle = handle
        @token = Native.utf8(Native.x_oauth1_request_token(handle))
        @authorize_url = Native.utf8(Native.x_oauth1_request_authorize_url(handle))
      end

      def handle = @handle # :nodoc:
    end

    def initialize(consumer_key, consumer_secret, callback: "oob", base_url: nil, timeout: nil,
                   connect_timeout: nil, ca_file: nil, proxy: nil)
      args = [Native.text_arg(consumer_key, "consumer_key"), Native.text_arg(consumer_secret, "consumer_secret"),
              Native.text_arg(callback, "callback"), Native.optional_text_arg(base_url, "base_url")]
      out = ::FFI::MemoryPointer.new(:pointer)
      Native.with_transport(timeout, connect_timeout, ca_file, proxy) do |cfg|
        Native.check(Native.x_oauth1_flow_new(cfg, *args, out))
      end
      @handle = Native::OAuth1FlowPointer.new(out.read_pointer)
      @request = nil
    end

    # Step 1: POST /oauth/request_token (access_type: nil, "read" or "write").
    def request_token(access_type: nil)
      out = ::FFI::MemoryPointer.new(:pointer)
      Native.check(Native.x_oauth1_flow_request_token(@handle, Native.optional_text_arg(access_type, "access_type"),
                                                      out))
      @request = RequestToken.new(Native::OAuth1RequestPointer.new(out.read_pointer))
    end

    # Step 2: the page to send the user to (authenticate: true for "Log in with X").
    def authorize_url(request_token: nil, authenticate: false, force_login: false, screen_name: nil)
      out = ::FFI::MemoryPointer.new(:pointer)
      Native.check(Native.x_oauth1_flow_authorize_url(@handle, req(request_token).handle, authenticate ? true : false,
                                                      force_login ? true : false,
                                                      Native.optional_text_arg(screen_name, "screen_name"), out))
      Native.take_string(out)
    end

    # Step 3: POST /oauth/access_token with the verifier (the PIN, or the callback's
    # oauth_verifier). Returns OAuth1Credentials.
    def access_token(verifier, request_token: nil)
      out = ::FFI::MemoryPointer.new(:pointer)
      Native.check(Native.x_oauth1_flow_access_token(@handle, req(request_token).handle,
                                                     Native.text_arg(verifier, "verifier"), out))
      credentials(Native::OAuth1CredentialsPointer.new(out.read_pointer))
    end

    def inspect = "#<Xfollow::OAuth1Flow>"

    private

    def req(request_token)
      request_token || @request || raise(ArgumentError, "no request token: call request_token first")
    end

    def credentials(ptr)
      OAuth1Credentials.new(token: Native.utf8(Native.x_oauth1_credentials_token(ptr)),
                            token_secret: Native.utf8(Native.x_oauth1_credentials_token_secret(ptr)),
                            user_id: Native.utf8(Native.x_oauth1_credentials_user_id(ptr)),
                            screen_name: Native.utf8(Native.x_oauth1_credentials_screen_name(ptr)))
    ensure
      ptr.free
    end
  end

  # OAuth 2.0 Authorization Code with PKCE for one app (client_secret: a confidential
  # client, HTTP Basic). authorize_url defaults to https://x.com/i/oauth2/authorize (or
  # <base_url>/i/oauth2/authorize); base_url (token and revoke endpoints) to https://api.x.com.
  class OAuth2PKCE
    attr_reader :client_id, :redirect_uri, :scopes

    def initialize(client_id, redirect_uri, scopes, client_secret: nil, authorize_url: nil, base_url: nil,
                   timeout: nil, connect_timeout: nil, ca_file: nil, proxy: nil)
      @client_id = client_id
      @redirect_uri = redirect_uri
      @scopes = scopes.is_a?(String) ? scopes.split : Array(scopes)
      args = [Native.text_arg(client_id, "client_id"), Native.optional_text_arg(client_secret, "client_secret"),
              Native.text_arg(redirect_uri, "redirect_uri"), Native.text_arg(@scopes.join(" "), "scopes"),
              Native.optional_text_arg(authorize_url, "authorize_url"), Native.optional_text_arg(base_url, "base_url")]
      out = ::FFI::MemoryPointer.new(:pointer)
      Native.with_transport(timeout, connect_timeout, ca_file, proxy) do |cfg|
        Native.check(Native.x_oauth2_flow_new(cfg, *args, out))
      end
      @handle = Native::OAuth2FlowPointer.new(out.read_pointer)
    end

    # A new [url, state, code_verifier]: open url, check state on the callback, keep the
    # verifier (secret) for #exchange.
    def authorization_request
      outs = Array.new(3) { ::FFI::MemoryPointer.new(:pointer) }
      Native.check(Native.x_oauth2_flow_authorization_request(@handle, *outs))
      outs.map { |o| Native.take_string(o) }
    end

    # Exchanges the callback's code for a TokenSet (a refused code raises AuthError with the
    # provider's message).
    def exchange(code, code_verifier)
      TokenSet.take do |out|
        Native.x_oauth2_flow_exchange(@handle, Native.text_arg(code, "code"),
                                      Native.text_arg(code_verifier, "code_verifier"), out)
      end
    end

    # A new TokenSet; on X the refresh token given is spent.
    def refresh(refresh_token)
      TokenSet.take { |out| Native.x_oauth2_flow_refresh(@handle, Native.text_arg(refresh_token, "refresh_token"), out) }
    end

    # Revokes a token (token_type_hint: :access_token or :refresh_token).
    def revoke(token, token_type_hint: :access_token)
      kind = { access_token: Native::X_TOKEN_ACCESS, refresh_token: Native::X_TOKEN_REFRESH }.fetch(token_type_hint) do
        raise ArgumentError, "token_type_hint must be :access_token or :refresh_token"
      end
      Native.check(Native.x_oauth2_flow_revoke(@handle, Native.text_arg(token, "token"), kind))
    end

    def inspect = "#<Xfollow::OAuth2PKCE client_id=#{@client_id.inspect}>"
  end

  # A one-shot listener on 127.0.0.1 for the browser's redirect; #wait may be called once.
  class RedirectReceiver
    def initialize(redirect_uri = "http://127.0.0.1:8765/callback")
      out = ::FFI::MemoryPointer.new(:pointer)
      Native.check(Native.x_redirect_receiver_bind(Native.text_arg(redirect_uri, "redirect_uri"), out))
      @handle = Native::RedirectReceiverPointer.new(out.read_pointer)
    end

    # The redirect URI it listens for (with the bound port).
    def redirect_uri = Native.utf8(Native.x_redirect_receiver_redirect_uri(@handle))

    # Waits for the OAuth 2.0 callback, checks state (AuthError on a mismatch) and returns
    # the code; Timeout when nothing came in time.
    def wait(state, timeout: 300)
      out = ::FFI::MemoryPointer.new(:pointer)
      Native.check(Native.x_redirect_receiver_wait(@handle, Native.text_arg(state, "state"),
                                                   Native.timeout_ms(timeout, "timeout"), out))
      Native.take_string(out)
    end

    # Waits for the OAuth 1.0a callback of request_token and returns its verifier.
    def wait_oauth1(request_token, timeout: 300)
      out = ::FFI::MemoryPointer.new(:pointer)
      Native.check(Native.x_redirect_receiver_wait_oauth1(@handle, request_token.handle,
                                                          Native.timeout_ms(timeout, "timeout"), out))
      Native.take_string(out)
    end

    def close = @handle.free
  end
end
