# frozen_string_literal: true

require "test_helper"

# Client#followers and Client#following against the emulator, compared with its state.
class LookupsTest < EmulatorTest
  def followers_in_state(user)
    emulator.follows.reverse.select { |_, t| t == user }.map(&:first)
  end

  def following_in_state(user)
    emulator.follows.reverse.select { |s, _| s == user }.map(&:last)
  end

  def test_one_page_in_both_auth_modes
    [alice_oauth1, alice_oauth2].each do |c|
      page = c.followers
      assert_instance_of Xfollow::UserPage, page
      assert_equal [ERIN, BOB], page.map(&:id)
      assert_equal followers_in_state(ALICE), page.users.map(&:id)
      assert_equal [%w[erin Erin], %w[bob Bob]], page.map { |u| [u.username, u.name] }
      assert_equal 2, page.result_count
      assert_equal 2, page.size
      assert_nil page.next_token
      assert_nil page.previous_token
      assert page.last_page?
      assert_equal 300, page.rate_limit.endpoint.limit
      assert_equal page.rate_limit, page.users.first.rate_limit
      assert page.users.frozen?
      assert_equal page.users, c.followers(ALICE).users
      assert_equal page.users, c.followers(Integer(ALICE)).users

      empty = c.following
      assert_equal [[], 0, nil], [empty.users, empty.result_count, empty.next_token]
      assert_equal [ALICE], c.following(BOB).map(&:id)
    end
  end

  def test_pages_and_tokens
    c = alice_oauth1
    [BOB, XDEVELOPERS, ERIN].each { |t| c.follow(t) }
    first = c.following(max_results: 2)
    assert_equal [ERIN, XDEVELOPERS], first.map(&:id)
    assert_equal 16, first.next_token.size
    refute first.last_page?
    second = c.following(max_results: 2, pagination_token: first.next_token)
    assert_equal [BOB], second.map(&:id)
    assert_nil second.next_token
    refute_nil second.previous_token
    assert_equal following_in_state(ALICE), first.map(&:id) + second.map(&:id)
    assert_equal [ALICE], c.followers(ERIN).map(&:id)
  end

  def test_arguments_checked_before_any_request
    c = alice_oauth1
    before = emulator.connections
    { 0 => "max_results must be between 1 and 1000 (got 0)",
      1001 => "max_results must be between 1 and 1000 (got 1001)",
      2**40 => "max_results must be between 1 and 1000 (got #{2**40})" }.each do |n, msg|
      e = assert_raises(Xfollow::InvalidArgument) { c.followers(max_results: n) }
      assert_equal msg, e.message
      refute e.may_have_reached_server?
    end
    e = assert_raises(Xfollow::InvalidArgument) { c.following(pagination_token: "") }
    assert_equal "pagination token must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -", e.message
    e = assert_raises(Xfollow::InvalidArgument) { c.followers("abc") }
    assert_equal "user id must be a user id of 1 to 19 digits", e.message
    assert_raises(TypeError) { c.followers(max_results: "5") }
    assert_raises(TypeError) { c.followers(pagination_token: 5) }
    assert_equal before + 1, emulator.connections # only this admin request
    assert_equal 1, c.followers(max_results: 1).size
  end

  def test_refusals
    c = alice_oauth2
    e = assert_raises(Xfollow::NotFound) { c.followers("1") }
    assert_equal "HTTP 200 Not Found Error: Could not find user with id: [1].", e.message
    assert_equal "resource-not-found", e.problem_type
    readonly = track(Xfollow::Client.oauth2(BOB_OAUTH2_READONLY, base_url: emulator.base_url))
    e = assert_raises(Xfollow::Forbidden) { readonly.followers(ALICE) }
    assert_equal 403, e.http_status
    assert_raises(Xfollow::Forbidden) { readonly.following }
  end
end
