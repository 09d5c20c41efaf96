# frozen_string_literal: true

module Xfollow
  # One page of a followers or following list, newest relationship first.
  #   users           the Users of this page (frozen Array; each carries the page's rate_limit)
  #   next_token      the token of the next page (pass it as pagination_token:), nil on the
  #                   last page
  #   previous_token  the token of the previous page, nil on the first page
  #   result_count    meta.result_count: the number of users on this page
  #   rate_limit      the response's RateLimit
  class UserPage < Value
    include Enumerable

    fields :users, :next_token, :previous_token, :result_count, :rate_limit

    def each(&block)
      users.each(&block)
    end

    def size
      users.size
    end
    alias length size

    def last_page?
      next_token.nil?
    end
  end

  class Client
    # One page of the users who follow `user_id` (default: the authenticated user), newest
    # first (GET /2/users/:id/followers). `max_results` is 1 to 1000 (default: the API's
    # 100); `pagination_token` is the next_token of the page before. OAuth 2.0 tokens need
    # the follows.read scope; an unknown user raises Xfollow::NotFound.
    def followers(user_id = nil, max_results: nil, pagination_token: nil)
      list_call(:x_followers, user_id, max_results, pagination_token)
    end

    # One page of the users `user_id` follows (default: the authenticated user), newest
    # first (GET /2/users/:id/following). Arguments as for #followers.
    def following(user_id = nil, max_results: nil, pagination_token: nil)
      list_call(:x_following, user_id, max_results, pagination_token)
    end

    private

    def list_call(function, user_id, max_results, pagination_token)
      user = Native.optional_id_arg(user_id, "user_id")
      size = page_size_arg(max_results)
      token = pagination_token.nil? ? nil : Native.text_arg(pagination_token, "pagination_token")
      out = ::FFI::MemoryPointer.new(:pointer)
      with_handle { |h| Native.check(Native.public_send(function, h, user, size, token, out)) }
      p = Native::UserPagePointer.new(out.read_pointer)
      begin
        rate_limit = Native.rate_limit { |*a| Native.x_user_page_rate_limit(p, *a) }
        users = Array.new(Native.x_user_page_count(p)) do |i|
          User.new(id: Native.utf8(Native.x_user_page_user_id(p, i)) || "",
                   username: Native.utf8(Native.x_user_page_username(p, i)) || "",
                   name: Native.utf8(Native.x_user_page_name(p, i)) || "",
                   rate_limit: rate_limit)
        end
        UserPage.new(users: users.freeze,
                     next_token: Native.utf8(Native.x_user_page_next_token(p)),
                     previous_token: Native.utf8(Native.x_user_page_previous_token(p)),
                     result_count: Native.x_user_page_result_count(p),
                     rate_limit: rate_limit)
      ensure
        p.free
      end
    end

    # nil is the library's 0 ("the API's default"); 0 itself and values beyond uint32_t
    # are refused here with the library's message, the rest by the library.
    def page_size_arg(value)
      return 0 if value.nil?
      raise TypeError, "max_results must be an Integer, not #{value.class}" unless value.is_a?(Integer)
      return value if value.between?(1, 0xFFFF_FFFF)

      raise InvalidArgument.new("max_results must be between 1 and 1000 (got #{value})",
                                code: Native::X_ERR_INVALID_ARGUMENT)
    end
  end
end
