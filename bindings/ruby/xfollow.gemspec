# frozen_string_literal: true

require_relative "lib/xfollow/version"

# Two gems from this one spec (bindings/ruby/Rakefile builds both from a clean copy):
#   the plain gem      lib/xfollow/libxfollow.so absent: pure Ruby, it loads a system
#                      libxfollow (Xfollow::Library: XFOLLOW_LIBRARY, pkg-config, the loader)
#   the platform gem   lib/xfollow/libxfollow.so present (`rake native` stages it): it
#                      carries the library and is tagged with this machine's platform
#                      (x86_64-linux)
bundled = File.join(__dir__, "lib", "xfollow", "libxfollow.so")

Gem::Specification.new do |s|
  s.name = "xfollow"
  s.version = Xfollow::VERSION
  s.summary = "Follow and unfollow accounts on X (API v2), over libxfollow"
  s.description = "Ruby binding (ffi) of libxfollow: OAuth 1.0a and OAuth 2.0 user context, typed " \
                  "errors with the API's problem fields and rate limits, thread-safe clients."
  s.licenses = ["MIT", "Apache-2.0"] # either, at your option (Cargo.toml: MIT OR Apache-2.0)
  s.authors = ["xfollow"]
  s.required_ruby_version = ">= 3.0"
  s.files = Dir.chdir(__dir__) do
    Dir["lib/**/*.rb"] + Dir["examples/*.rb"] + ["README.md"] + Dir["LICENSE-*"].sort
  end
  if File.exist?(bundled)
    s.files << "lib/xfollow/libxfollow.so"
    s.platform = Gem::Platform.local
  end
  s.require_paths = ["lib"]
  s.add_dependency "ffi", "~> 1.15"
  s.add_development_dependency "minitest", "~> 5.14"
  s.add_development_dependency "rake", "~> 13.0"
  s.metadata["rubygems_mfa_required"] = "true"
end
