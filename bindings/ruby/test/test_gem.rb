# frozen_string_literal: true

require "test_helper"
require "open3"
require "rbconfig"
require "rubygems/package"

# The gems as a user gets them: `rake gem gem:platform` (the library under test staged, not
# rebuilt), `gem install --local` into an empty GEM_HOME, then a follow against the emulator
# from a ruby started elsewhere without -I, RUBYLIB or XFOLLOW_LIBRARY. The `ffi` dependency
# is Debian's ruby-ffi: GEM_PATH keeps the system gem directories, where it is registered,
# so the install resolves it offline.
class GemTest < EmulatorTest
  GEM_DIR = File.expand_path("..", __dir__)
  GEM = File.join(RbConfig::CONFIG["bindir"], "gem")
  PLATFORM_GEM = "xfollow-#{Xfollow::VERSION}-#{Gem::Platform.local}.gem".freeze
  PLAIN_GEM = "xfollow-#{Xfollow::VERSION}.gem".freeze
  # What the installed gem's ruby may see: no load path or library from this checkout.
  OUTSIDE = { "XFOLLOW_LIBRARY" => nil, "RUBYLIB" => nil, "RUBYOPT" => nil, "LD_LIBRARY_PATH" => nil,
              "PKG_CONFIG_PATH" => nil, "PKG_CONFIG" => nil, "BUNDLE_GEMFILE" => nil }.freeze

  # Prints where everything came from, then follows BOB and, for the error path, DAVE.
  SCRIPT = <<~RUBY
    require "xfollow"
    puts $LOADED_FEATURES.grep(%r{/xfollow(/[a-z_]+)?\\.rb\\z}).map { |f| File.dirname(f) }.uniq.sort
    puts Gem.loaded_specs.fetch("xfollow").full_gem_path
    puts Gem.loaded_specs.fetch("ffi").full_gem_path.start_with?(*Gem.default_path)
    puts Xfollow.library_path
    Xfollow::Client.oauth2(#{Demo::ALICE_OAUTH2.inspect}, base_url: ARGV[0]) do |c|
      puts c.follow(#{Demo::BOB.inspect}).state
      begin
        c.follow(#{Demo::DAVE.inspect})
      rescue Xfollow::Forbidden => e
        puts "\#{e.class}: \#{e.message} (HTTP \#{e.http_status})"
      end
    end
  RUBY
  FOLLOWED = ["following", "Xfollow::Forbidden: HTTP 403 Forbidden: You cannot follow an account that is suspended. " \
                           "(HTTP 403)"].freeze

  def run_cmd(env, *cmd, chdir:)
    out, status = Open3.capture2e(env, *cmd, chdir: chdir)
    assert status.success?, "#{cmd.join(' ')} failed:\n#{out}"
    out
  end

  # `rake gem gem:platform`, once per run (a gem with the debug library takes seconds to
  # pack); returns the directory that holds the two gems.
  def pkg
    self.class.pkg do |dir|
      out = run_cmd({ "LIB" => ENV.fetch("XFOLLOW_LIBRARY"), "PKG_DIR" => dir }, RbConfig.ruby, "-S", "rake",
                    "gem", "gem:platform", chdir: GEM_DIR)
      assert_equal [File.join(dir, PLAIN_GEM), File.join(dir, PLATFORM_GEM)],
                   out.lines.map(&:chomp).grep(%r{\A/\S+\.gem\z})
      assert_equal [PLAIN_GEM, PLATFORM_GEM].sort, Dir.children(dir).sort
    end
  end

  def self.pkg
    @pkg ||= Dir.mktmpdir("xfollow-pkg").tap do |dir|
      at_exit { FileUtils.rm_rf(dir) }
      yield dir
    end
  end

  # Installs gem (a file name in pkg) into an empty GEM_HOME under tmp. Returns the
  # environment of a ruby that sees that GEM_HOME and nothing of this checkout, and the
  # installed gem's directory.
  def install(gem, tmp)
    home = File.join(tmp, "home")
    gem_file = File.join(pkg, gem)
    assert_equal [], Dir.exist?(home) ? Dir.children(home) : []
    env = { "GEM_HOME" => home, "GEM_PATH" => [home, *Gem.default_path].join(File::PATH_SEPARATOR) }
    out = run_cmd(env, GEM, "install", "--local", "--no-document", gem_file, chdir: tmp)
    assert_includes out, "Successfully installed xfollow-"
    # Only xfollow went into GEM_HOME: ffi was already there (Debian's).
    assert_equal [File.basename(gem_file, ".gem")], Dir.children(File.join(home, "gems"))
    [OUTSIDE.merge(env), File.join(home, "gems", File.basename(gem, ".gem"))]
  end

  # Runs SCRIPT from tmp with env: xfollow loads from gem_path and the library from library,
  # and the follows happen.
  def assert_script_follows(env, gem_path, library, tmp)
    out = run_cmd(env, RbConfig.ruby, "-e", SCRIPT, emulator.base_url, chdir: tmp)
    assert_equal [File.join(gem_path, "lib"), File.join(gem_path, "lib", "xfollow"), gem_path, "true",
                  library, *FOLLOWED], out.lines.map(&:chomp)
    assert_includes emulator.follows, [ALICE, BOB]
  end

  def test_the_platform_gem_carries_the_library_and_the_plain_gem_does_not
    Dir.mktmpdir("xfollow-gem") do |tmp|
      platform = Gem::Package.new(File.join(pkg, PLATFORM_GEM))
      plain = Gem::Package.new(File.join(pkg, PLAIN_GEM))
      assert_equal Gem::Platform.local.to_s, platform.spec.platform.to_s
      assert_equal "x86_64-linux", platform.spec.platform.to_s if RbConfig::CONFIG["host"].match?(/x86_64.*linux-gnu/)
      assert_equal "ruby", plain.spec.platform.to_s
      assert_equal ["lib/xfollow/libxfollow.so"], platform.contents - plain.contents
      assert_includes plain.contents, "examples/follow.rb"
      %w[LICENSE-APACHE LICENSE-MIT].each do |name|
        assert_includes plain.contents, name
        assert_includes platform.contents, name
      end
      assert_equal [Gem::Dependency.new("ffi", "~> 1.15")], plain.spec.runtime_dependencies
    end
  end

  def test_install_the_platform_gem_into_an_empty_gem_home_and_follow
    Dir.mktmpdir("xfollow-gem") do |tmp|
      env, gem_path = install(PLATFORM_GEM, tmp)
      library = File.join(gem_path, "lib", "xfollow", "libxfollow.so")
      assert_script_follows(env, gem_path, library, tmp)
      assert FileUtils.compare_file(ENV.fetch("XFOLLOW_LIBRARY"), library)
      %w[LICENSE-APACHE LICENSE-MIT].each do |name|
        assert FileUtils.compare_file(File.join(File.expand_path("../../..", __dir__), name), File.join(gem_path, name))
      end

      # The example shipped in the gem, run from there.
      out = run_cmd(env.merge("X_OAUTH2_ACCESS_TOKEN" => ALICE_OAUTH2, "X_API_BASE_URL" => emulator.base_url),
                    RbConfig.ruby, File.join(gem_path, "examples", "follow.rb"), CAROL, chdir: tmp)
      assert_equal "follow: #{ALICE} -> #{CAROL} (OAuth 2.0)", out.lines.first.chomp
      assert_includes emulator.pending, [ALICE, CAROL]
    end
  end

  # The plain gem finds the library `make install` put under a prefix through pkg-config.
  def test_install_the_plain_gem_and_follow_with_the_library_pkg_config_names
    Dir.mktmpdir("xfollow-gem") do |tmp|
      env, gem_path = install(PLAIN_GEM, tmp)
      prefix = File.join(tmp, "prefix")
      env["PKG_CONFIG_PATH"] = installed_prefix(prefix)
      assert_script_follows(env, gem_path, File.join(prefix, "lib", "libxfollow.so.0"), tmp)
    end
  end

  def test_a_library_of_another_version_is_refused_at_load
    # The gem believes it is 9.9.0; the library says 0.1.0.
    version_rb = File.realpath(File.join(GEM_DIR, "lib", "xfollow", "version.rb"))
    script = <<~RUBY
      module Xfollow; VERSION = "9.9.0"; end
      $LOADED_FEATURES << #{version_rb.inspect}
      begin
        require "xfollow"
      rescue LoadError => e
        puts "\#{e.class}: \#{e.message}"
      end
    RUBY
    out, status = Open3.capture2e(RbConfig.ruby, "-I#{File.join(GEM_DIR, 'lib')}", "-e", script)
    assert status.success?, out
    assert_equal "Xfollow::LibraryVersionError: xfollow: #{ENV.fetch('XFOLLOW_LIBRARY')} is libxfollow 0.1.0, " \
                 "but this gem is 9.9.0; install the matching library or point XFOLLOW_LIBRARY at it\n", out
  end
end
