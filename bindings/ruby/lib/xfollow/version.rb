# frozen_string_literal: true

module Xfollow
  # The gem's version; the loaded libxfollow must report the same (x_version_number).
  VERSION = "0.1.0"
end
