# frozen_string_literal: true

require "test_helper"

# The ffi table against include/xfollow.h: every function of the header is attached, with
# the header's argument and return types, and the calls that may wait on the network (or
# read a file) release the GVL.
class NativeTableTest < Minitest::Test
  HEADER = File.join(REPO, "include", "xfollow.h")

  # C type in the header => ffi type in the table.
  C_TO_FFI = {
    "void" => :void, "bool" => :bool, "x_result" => :x_result, "x_rate_window" => :x_rate_window,
    "x_follow_state" => :x_follow_state, "int32_t" => :int32, "int64_t" => :int64, "uint32_t" => :uint32,
    "uint64_t" => :uint64, "size_t" => :size_t, "x_endpoint" => :x_endpoint, "x_on_retry_fn" => :x_on_retry_fn,
    "x_token_kind" => :x_token_kind, "x_persist_fn" => :x_persist_fn
  }.freeze

  BLOCKING = %i[x_client_new x_follow x_unfollow x_me x_user_by_username x_client_own_user_id
                x_client_quota_status
                x_oauth1_flow_new x_oauth1_flow_request_token x_oauth1_flow_access_token
                x_oauth1_flow_access_token_from_callback x_oauth2_flow_new x_oauth2_flow_exchange
                x_oauth2_flow_refresh x_oauth2_flow_revoke x_redirect_receiver_wait
                x_redirect_receiver_wait_oauth1].freeze

  def ffi_type(c_type, returned)
    t = c_type.strip.squeeze(" ")
    # Strings the caller owns come back through a char ** out-parameter; a const char *
    # is a string in, or (returned) a borrowed string copied at once.
    return :string if t == "const char *"
    return :pointer if t.end_with?("*")

    C_TO_FFI.fetch(t) { flunk "unmapped C type #{t.inspect} (#{returned ? 'return' : 'argument'})" }
  end

  def header_functions
    File.readlines(HEADER, chomp: true).grep(/\A[a-z].*\bx_\w+\(.*\);\z/).to_h do |line|
      m = line.strip.match(/\A(?<ret>.*?[ *])(?<name>x_\w+)\((?<args>.*)\);\z/)
      args = m[:args] == "void" ? [] : m[:args].split(",").map { |a| a.strip.sub(/\s*\b\w+\z/, "") }
      [m[:name].to_sym, [args.map { |a| ffi_type(a, false) }, ffi_type(m[:ret], true)]]
    end
  end

  def test_every_header_function_is_attached_with_its_types
    header = header_functions
    assert_operator header.size, :>=, 52
    table = Xfollow::Native::FUNCTIONS.to_h { |name, args, ret, _| [name, [args, ret]] }
    assert_equal header.keys.sort, table.keys.sort
    header.each do |name, (args, ret)|
      assert_equal [args, ret], table[name], name.to_s
      assert_respond_to Xfollow::Native, name
    end
  end

  # The followers/following lookups wait on the network too.
  BLOCKING_LOOKUPS = %i[x_followers x_following].freeze

  def test_network_calls_release_the_gvl
    blocking = Xfollow::Native::FUNCTIONS.select { |_, _, _, opts| opts&.fetch(:blocking, false) }.map(&:first)
    assert_equal (BLOCKING + BLOCKING_LOOKUPS).sort, blocking.sort
  end

  def test_the_one_caller_owned_string_is_read_as_a_pointer
    _, args, = Xfollow::Native::FUNCTIONS.assoc(:x_client_own_user_id)
    assert_equal %i[pointer pointer], args
    _, args, = Xfollow::Native::FUNCTIONS.assoc(:x_string_free)
    assert_equal [:pointer], args
  end

  # Xfollow.code_name knows every code of the header; Xfollow.code_text is x_result_str.
  def test_code_names_are_the_headers
    header = File.read(HEADER).scan(/^#define (X_(?:SUCCESS|ERR_\w+)) (\d+)$/).to_h { |n, v| [Integer(v), n] }
    assert_equal 17, header.size
    assert_equal header, Xfollow::CODE_NAMES
    assert_equal "X_ERR_UNKNOWN", Xfollow.code_name(99)
    assert_equal "not found", Xfollow.code_text(4)
    assert_equal "daily quota exhausted (refused locally, not sent)", Xfollow.code_text(13)
  end
end
