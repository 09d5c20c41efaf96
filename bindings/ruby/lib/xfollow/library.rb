# frozen_string_literal: true

require "open3"
require "rbconfig"

module Xfollow
  # Where libxfollow is found. The first rule that applies decides alone, so that a broken
  # first choice is reported instead of a different library being loaded silently:
  #
  #   1. XFOLLOW_LIBRARY, when set and not empty;
  #   2. the copy the platform gem carries, lib/xfollow/libxfollow.so;
  #   3. `pkg-config --variable=libdir xfollow` ($PKG_CONFIG, else pkg-config), when that
  #      directory holds libxfollow.so.0 or libxfollow.so: `make install` under any PREFIX,
  #      found through PKG_CONFIG_PATH even when the dynamic loader does not look there;
  #   4. the system loader: libxfollow.so.0, then libxfollow.so.
  module Library
    FILE_NAME =
      case RbConfig::CONFIG["host_os"]
      when /darwin/ then "libxfollow.dylib"
      when /mswin|mingw|cygwin/ then "xfollow.dll"
      else "libxfollow.so"
      end
    # The soname first: a runtime install may have no libxfollow.so development link.
    FILE_NAMES = (FILE_NAME == "libxfollow.so" ? ["libxfollow.so.0", FILE_NAME] : [FILE_NAME]).freeze
    BUNDLED = File.join(__dir__, FILE_NAME)
    # The longest pkg-config answer believed (PATH_MAX), and of its error kept in a message.
    MAX_LIBDIR = 4096
    MAX_NOTE = 200

    # `names`: alternatives for one ffi_lib call, in order; `tried`: each rule looked at,
    # for the load error.
    Choice = Struct.new(:names, :tried, keyword_init: true)

    module_function

    def choose(env = ENV, bundled = BUNDLED)
      explicit = env["XFOLLOW_LIBRARY"]
      return Choice.new(names: [explicit], tried: ["XFOLLOW_LIBRARY=#{explicit}"]) if explicit && !explicit.empty?

      tried = ["XFOLLOW_LIBRARY (not set)"]
      return Choice.new(names: [bundled], tried: tried << "the gem's copy #{bundled}") if File.file?(bundled)

      tried << "the gem's copy #{bundled} (absent: not the platform gem)"
      libdir, note = pkg_config_libdir(env)
      if libdir
        found = FILE_NAMES.map { |n| File.join(libdir, n) }.find { |p| File.file?(p) }
        return Choice.new(names: [found], tried: tried << "pkg-config's libdir: #{found}") if found

        note = "#{libdir} has no #{FILE_NAMES.join(' or ')}"
      end
      tried << "pkg-config --variable=libdir xfollow (#{note})"
      Choice.new(names: FILE_NAMES, tried: tried << "the system loader (#{FILE_NAMES.join(', ')})")
    end

    # [libdir, nil], or [nil, why not].
    def pkg_config_libdir(env)
      cmd = env["PKG_CONFIG"]
      cmd = "pkg-config" if cmd.nil? || cmd.empty?
      out, err, status = Open3.capture3(env.to_h, cmd, "--print-errors", "--variable=libdir", "xfollow")
      unless status.success?
        first = short(err.lines.first.to_s)
        return [nil, first.empty? ? "#{cmd} failed: #{status}" : first]
      end

      libdir = out.chomp
      return [nil, "xfollow.pc has no libdir"] if libdir.empty?
      return [nil, "an answer of #{libdir.bytesize} bytes, more than #{MAX_LIBDIR}"] if libdir.bytesize > MAX_LIBDIR
      unless libdir.start_with?("/") && !libdir.match?(/[\0\n]/)
        return [nil, "libdir #{short(libdir).inspect} is not an absolute path"]
      end

      [libdir, nil]
    rescue SystemCallError => e
      [nil, "#{cmd} cannot run: #{e.message}"]
    end

    # The LoadError message when `choice` could not be loaded (`reason`: ffi's message).
    def load_error(choice, reason)
      why = reason.lines.map { |l| l.strip.chomp(".") }.reject(&:empty?).join("; ")
      "xfollow: cannot load libxfollow; tried, in order: #{choice.tried.join('; ')}: #{why}. " \
        "Install the platform gem, or libxfollow (`make install`, with PKG_CONFIG_PATH=PREFIX/lib/pkgconfig " \
        "when pkg-config does not search PREFIX), or set XFOLLOW_LIBRARY=/path/to/#{FILE_NAME}"
    end

    # The file behind `name` (what ffi_lib opened): itself when a path, else the mapped file
    # whose name starts with libxfollow (Linux's /proc/self/maps), else `name`.
    def loaded_path(name)
      return name if name.include?("/")

      stem = File.basename(FILE_NAME, ".*")
      File.foreach("/proc/self/maps") do |line|
        path = line.split(" ", 6)[5].to_s.strip
        return path if File.basename(path).start_with?("#{stem}.")
      end
      name
    rescue SystemCallError
      name
    end

    def short(text)
      s = text.strip
      s.length > MAX_NOTE ? "#{s[0, MAX_NOTE]}..." : s
    end
  end
end
