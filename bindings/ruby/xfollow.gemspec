# frozen_string_literal: true

require_relative "lib/xfollow/version"

# Two ways to build the gem:
#   gem build xfollow.gemspec            a pure-Ruby gem that loads the system libxfollow
#                                        (`make install`) or XFOLLOW_LIBRARY
#   make ruby-gem                        (from the repository root) builds it from a copy
#                                        with the library in lib/xfollow/: a platform gem
#                                        that carries it (build/ruby-gem/*.gem)
bundled = File.join(__dir__, "lib", "xfollow", "libxfollow.so")

Gem::Specification.new do |s|
  s.name = "xfollow"
  s.version = Xfollow::VERSION
  s.summary = "Follow and unfollow accounts on X (API v2), over libxfollow"
  s.description = "Ruby binding (ffi) of libxfollow: OAuth 1.0a and OAuth 2.0 user context, typed " \
                  "errors with the API's problem fields and rate limits, thread-safe clients."
  s.license = "MIT OR Apache-2.0"
  s.authors = ["xfollow"]
  s.required_ruby_version = ">= 3.0"
  s.files = Dir.chdir(__dir__) { Dir["lib/**/*.rb"] + ["README.md"] }
  if File.exist?(bundled)
    s.files << "lib/xfollow/libxfollow.so"
    s.platform = Gem::Platform.local
  end
  s.require_paths = ["lib"]
  s.add_dependency "ffi", ">= 1.15"
  s.add_development_dependency "minitest", ">= 5.14"
  s.metadata["rubygems_mfa_required"] = "true"
end
