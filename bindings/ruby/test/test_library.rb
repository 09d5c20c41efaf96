# frozen_string_literal: true

require "test_helper"
require "fileutils"
require "open3"
require "rbconfig"

# Which libxfollow `require "xfollow"` loads (Xfollow::Library): XFOLLOW_LIBRARY, then the
# gem's copy, then pkg-config's libdir, then the system loader; the first that applies
# decides. Each case runs in its own ruby over a copy of lib/ whose bundled library is
# present or not, with pkg-config limited to this test's .pc files.
class LibraryLookupTest < Minitest::Test
  LIB = File.expand_path("../lib", __dir__)
  REAL = ENV.fetch("XFOLLOW_LIBRARY")
  NOT_FOUND = "cannot open shared object file: No such file or directory"
  ADVICE = "Install the platform gem, or libxfollow (`make install`, with PKG_CONFIG_PATH=PREFIX/lib/pkgconfig " \
           "when pkg-config does not search PREFIX), or set XFOLLOW_LIBRARY=/path/to/libxfollow.so"

  def setup
    @tmp = Dir.mktmpdir("xfollow-lookup")
    @gem_lib = File.join(@tmp, "gem", "lib")
    FileUtils.mkdir_p(File.join(@gem_lib, "xfollow"))
    Dir.chdir(LIB) { Dir["**/*.rb"].each { |f| FileUtils.cp(f, File.join(@gem_lib, f)) } }
    @bundled = File.join(@gem_lib, "xfollow", "libxfollow.so")
    @empty = mkdir("empty")
  end

  def teardown
    FileUtils.rm_rf(@tmp)
  end

  def mkdir(name)
    File.join(@tmp, name).tap { |d| FileUtils.mkdir_p(d) }
  end

  def prefix(name, **opts)
    installed_prefix(File.join(@tmp, name), **opts)
  end

  # A directory for LD_LIBRARY_PATH with its own libxfollow.so.0 (a real file, not a link,
  # so that the mapped path names it).
  def loader_dir
    dir = mkdir("ld")
    target = File.join(dir, "libxfollow.so.0")
    begin
      File.link(REAL, target)
    rescue SystemCallError
      FileUtils.cp(REAL, target)
    end
    dir
  end

  # What `require "xfollow"` loads with this environment: the library path, or the error.
  def loaded(env)
    base = { "XFOLLOW_LIBRARY" => nil, "PKG_CONFIG" => nil, "PKG_CONFIG_PATH" => nil, "PKG_CONFIG_LIBDIR" => @empty,
             "LD_LIBRARY_PATH" => nil, "RUBYLIB" => nil, "RUBYOPT" => nil }
    script = 'begin; require "xfollow"; puts Xfollow.library_path; ' \
             'rescue LoadError => e; puts "#{e.class}: #{e.message}"; end'
    out, status = Open3.capture2e(base.merge(env), RbConfig.ruby, "-I#{@gem_lib}", "-e", script, chdir: @tmp)
    assert status.success?, out
    out.chomp
  end

  def test_xfollow_library_comes_first
    File.symlink(REAL, @bundled)
    pc = prefix("prefix")
    assert_equal REAL, loaded("XFOLLOW_LIBRARY" => REAL, "PKG_CONFIG_PATH" => pc, "LD_LIBRARY_PATH" => loader_dir)
  end

  def test_then_the_copy_in_the_gem
    File.symlink(REAL, @bundled)
    pc = prefix("prefix")
    assert_equal @bundled, loaded("PKG_CONFIG_PATH" => pc, "LD_LIBRARY_PATH" => loader_dir)
    assert_equal @bundled, loaded("XFOLLOW_LIBRARY" => "", "PKG_CONFIG_PATH" => pc)
  end

  def test_then_pkg_configs_libdir
    pc = prefix("prefix")
    assert_equal File.join(@tmp, "prefix", "lib", "libxfollow.so.0"),
                 loaded("PKG_CONFIG_PATH" => pc, "LD_LIBRARY_PATH" => loader_dir)
    # Through PKG_CONFIG_LIBDIR too, and a libdir with only the development link.
    pc = prefix("devel", file: "libxfollow.so")
    assert_equal File.join(@tmp, "devel", "lib", "libxfollow.so"), loaded("PKG_CONFIG_LIBDIR" => pc)
  end

  def test_then_the_system_loader
    pc = prefix("prefix", file: nil)
    assert_equal File.join(@tmp, "ld", "libxfollow.so.0"),
                 loaded("PKG_CONFIG_PATH" => pc, "LD_LIBRARY_PATH" => loader_dir)
  end

  def test_nothing_found_names_every_rule_tried
    loader = "the system loader (libxfollow.so.0, libxfollow.so): " \
             "Could not open library 'libxfollow.so.0': libxfollow.so.0: #{NOT_FOUND}; " \
             "Could not open library 'libxfollow.so': libxfollow.so: #{NOT_FOUND}. #{ADVICE}"
    head = "LoadError: xfollow: cannot load libxfollow; tried, in order: XFOLLOW_LIBRARY (not set); " \
           "the gem's copy #{@bundled} (absent: not the platform gem); pkg-config --variable=libdir xfollow"
    assert_equal "#{head} (Package xfollow was not found in the pkg-config search path.); #{loader}", loaded({})

    pc = prefix("prefix", file: nil)
    assert_equal "#{head} (#{@tmp}/prefix/lib has no libxfollow.so.0 or libxfollow.so); #{loader}",
                 loaded("PKG_CONFIG_PATH" => pc)
    assert_equal "#{head} (/nonexistent/pkg-config cannot run: No such file or directory - " \
                 "/nonexistent/pkg-config); #{loader}",
                 loaded("PKG_CONFIG_PATH" => pc, "PKG_CONFIG" => "/nonexistent/pkg-config")
  end

  # pkg-config's answer is believed only as an absolute path of at most 4096 bytes.
  def test_a_libdir_that_is_not_an_absolute_path_is_ignored
    pc = prefix("relative", file: nil, libdir: "lib")
    assert_includes loaded("PKG_CONFIG_PATH" => pc),
                    "pkg-config --variable=libdir xfollow (libdir \"lib\" is not an absolute path); the system loader"
    pc = prefix("long", file: nil, libdir: "/#{'x' * 4096}")
    assert_includes loaded("PKG_CONFIG_PATH" => pc),
                    "pkg-config --variable=libdir xfollow (an answer of 4097 bytes, more than 4096); the system loader"
    pc = prefix("nolibdir", file: nil, libdir: "")
    assert_includes loaded("PKG_CONFIG_PATH" => pc), "pkg-config --variable=libdir xfollow (xfollow.pc has no libdir)"
  end

  # A first choice that fails to load is reported, never replaced by the next rule's library.
  def test_a_broken_first_choice_is_reported_not_skipped
    pc = prefix("prefix")
    File.symlink(REAL, @bundled)
    assert_equal "LoadError: xfollow: cannot load libxfollow; tried, in order: " \
                 "XFOLLOW_LIBRARY=/nonexistent/libxfollow.so: Could not open library '/nonexistent/libxfollow.so': " \
                 "/nonexistent/libxfollow.so: #{NOT_FOUND}. #{ADVICE}",
                 loaded("XFOLLOW_LIBRARY" => "/nonexistent/libxfollow.so", "PKG_CONFIG_PATH" => pc)
    File.unlink(@bundled)
    File.write(@bundled, "not a library")
    assert_equal "LoadError: xfollow: cannot load libxfollow; tried, in order: XFOLLOW_LIBRARY (not set); " \
                 "the gem's copy #{@bundled}: Could not open library '#{@bundled}': " \
                 "#{@bundled}: file too short. #{ADVICE}",
                 loaded("PKG_CONFIG_PATH" => pc)
  end
end
