# frozen_string_literal: true

require "test_helper"
require "fileutils"
require "open3"
require "rbconfig"

# The gem as a user gets it: `gem build` with the library bundled (a platform gem), `gem
# install` into an empty directory, then `require "xfollow"` from elsewhere without
# XFOLLOW_LIBRARY, and a follow against the emulator.
class GemTest < EmulatorTest
  GEM_DIR = File.expand_path("..", __dir__)

  def run_cmd(env, *cmd, chdir:)
    out, status = Open3.capture2e(env, *cmd, chdir: chdir)
    assert status.success?, "#{cmd.join(' ')} failed:\n#{out}"
    out
  end

  def test_build_install_and_use_the_platform_gem
    Dir.mktmpdir("xfollow-gem") do |tmp|
      src = File.join(tmp, "src")
      FileUtils.mkdir_p(src)
      FileUtils.cp_r(%w[xfollow.gemspec README.md lib].map { |f| File.join(GEM_DIR, f) }, src)
      FileUtils.cp(ENV.fetch("XFOLLOW_LIBRARY"), File.join(src, "lib", "xfollow", "libxfollow.so"))
      gem = File.join(RbConfig::CONFIG["bindir"], "gem")
      out = run_cmd({}, gem, "build", "xfollow.gemspec", chdir: src)
      file = out[/File: (\S+\.gem)/, 1]
      assert_equal "xfollow-#{Xfollow::VERSION}-#{Gem::Platform.local}.gem", file

      home = File.join(tmp, "gems")
      run_cmd({}, gem, "install", "--local", "--ignore-dependencies", "--no-document",
              "--install-dir", home, File.join(src, file), chdir: tmp)

      script = <<~RUBY
        require "xfollow"
        puts Xfollow.library_path
        Xfollow::Client.oauth2("#{ALICE_OAUTH2}", base_url: ARGV[0]) do |c|
          puts c.follow("#{BOB}").state
          begin
            c.follow("#{DAVE}")
          rescue Xfollow::Forbidden => e
            puts "\#{e.class}: \#{e.message} (HTTP \#{e.http_status})"
          end
        end
      RUBY
      env = { "XFOLLOW_LIBRARY" => nil, "GEM_HOME" => home, "GEM_PATH" => [home, *Gem.path].join(File::PATH_SEPARATOR),
              "RUBYLIB" => nil, "RUBYOPT" => nil }
      out = run_cmd(env, RbConfig.ruby, "-e", script, emulator.base_url, chdir: tmp)
      lib = File.join(home, "gems", "xfollow-#{Xfollow::VERSION}-#{Gem::Platform.local}", "lib", "xfollow",
                      "libxfollow.so")
      assert_equal [lib, "following",
                    "Xfollow::Forbidden: HTTP 403 Forbidden: You cannot follow an account that is suspended. (HTTP 403)"],
                   out.lines.map(&:chomp)
      assert_includes emulator.follows, [ALICE, BOB]
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
