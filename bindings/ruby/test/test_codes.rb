# frozen_string_literal: true

require "test_helper"

# The code table of Xfollow::ERROR_CLASSES against the X_ERR_* defines of include/xfollow.h:
# the same codes, each mapped to the class named after its constant.
class CodeTableTest < Minitest::Test
  HEADER = File.join(REPO, "include", "xfollow.h")

  # Constants whose class is not named after them.
  CLASS_OF = { "X_ERR_UNAUTHORIZED" => "AuthError", "X_ERR_PANIC" => "InternalError" }.freeze

  def header_codes
    codes = File.read(HEADER).scan(/^#define (X_ERR_[A-Z_]+) (\d+)$/).to_h { |n, c| [n, Integer(c)] }
    refute_empty codes, "no X_ERR_* define in include/xfollow.h"
    codes
  end

  def class_name(constant)
    CLASS_OF.fetch(constant) { constant.delete_prefix("X_ERR_").split("_").map(&:capitalize).join }
  end

  def test_every_header_code_has_its_class
    codes = header_codes
    assert_equal codes.values.sort, Xfollow::ERROR_CLASSES.keys.sort
    codes.each do |constant, code|
      name = Xfollow::ERROR_CLASSES.fetch(code).name.split("::").last
      assert_includes [class_name(constant), "#{class_name(constant)}Error"], name, constant
    end
  end

  def test_an_unknown_code_is_the_base_class
    assert_equal Xfollow::Error, Xfollow.error_class(header_codes.values.max + 1)
  end
end
