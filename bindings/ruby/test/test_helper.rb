# frozen_string_literal: true

# Test support: the emulator (one process per run, reset before every test), the demo
# world's credentials, and admin API helpers.
#
# The library is XFOLLOW_LIBRARY (`make test-ruby` points it at target/debug/libxfollow.so;
# that file is also the default when present). The emulator is XFOLLOW_EMULATOR, else
# target/debug/xfollow-emulator (`make build`).

REPO = File.expand_path("../../..", __dir__)
unless ENV["XFOLLOW_LIBRARY"] && !ENV["XFOLLOW_LIBRARY"].empty?
  debug_lib = File.join(REPO, "target", "debug", "libxfollow.so")
  ENV["XFOLLOW_LIBRARY"] = debug_lib if File.exist?(debug_lib)
end

require "fileutils"
require "json"
require "net/http"
require "tmpdir"
require "minitest/autorun"
require "xfollow"

module Demo
  CONSUMER_KEY = "demo-consumer-key"
  CONSUMER_SECRET = "demo-consumer-secret"
  ALICE = "1500000000000000001"
  BOB = "1500000000000000002"
  CAROL = "1500000000000000003" # protected
  DAVE = "1500000000000000004" # suspended
  ERIN = "1500000000000000005"
  XDEVELOPERS = "783214"
  ALICE_TOKEN = "1500000000000000001-aliceDemoAccessToken"
  ALICE_TOKEN_SECRET = "alice-demo-token-secret"
  BOB_TOKEN = "1500000000000000002-bobDemoAccessToken"
  BOB_TOKEN_SECRET = "bob-demo-token-secret"
  ALICE_OAUTH2 = "alice-demo-oauth2-token"
  BOB_OAUTH2_READONLY = "bob-demo-oauth2-readonly"
  DEMO_WORLD = File.join(REPO, "emulator", "demo-world.json")
  FOLLOW_ROUTE = "POST /2/users/*/following"

  # Alice's OAuth 1.0a client of the demo app, on base_url.
  def alice_client(base_url, **opts, &block)
    Xfollow::Client.oauth1(consumer_key: CONSUMER_KEY, consumer_secret: CONSUMER_SECRET,
                           access_token: ALICE_TOKEN, access_token_secret: ALICE_TOKEN_SECRET,
                           base_url: base_url, **opts, &block)
  end
end

# A prefix as `make install` leaves it: PREFIX/lib/FILE (a link to the library under test)
# and PREFIX/lib/pkgconfig/xfollow.pc from bindings/c/xfollow.pc.in, whose libdir is
# PREFIX/lib unless given. Returns the .pc directory (for PKG_CONFIG_PATH).
def installed_prefix(prefix, file: "libxfollow.so.0", libdir: nil)
  lib = File.join(prefix, "lib")
  pc = File.join(lib, "pkgconfig")
  FileUtils.mkdir_p(pc)
  File.symlink(ENV.fetch("XFOLLOW_LIBRARY"), File.join(lib, file)) if file
  template = File.read(File.join(REPO, "bindings", "c", "xfollow.pc.in"))
  File.write(File.join(pc, "xfollow.pc"),
             template.gsub("@PREFIX@", prefix).gsub("@LIBDIR@", libdir || lib)
                     .gsub("@INCLUDEDIR@", "#{prefix}/include").gsub("@VERSION@", Xfollow::VERSION))
  pc
end

# A running xfollow-emulator and its admin API.
class Emulator
  attr_reader :base_url, :port

  def self.binary
    env = ENV["XFOLLOW_EMULATOR"]
    env && !env.empty? ? env : File.join(REPO, "target", "debug", "xfollow-emulator")
  end

  # The process shared by the whole run (started on first use, killed at exit).
  def self.shared
    @shared ||= new.tap { |emu| at_exit { emu.close } }
  end

  def initialize(*args)
    exe = self.class.binary
    raise "emulator binary #{exe} not found: run `make build` first" unless File.executable?(exe)

    @io = IO.popen([exe, "--port", "0", *args], "r", err: File::NULL)
    line = @io.gets.to_s
    unless line.start_with?("listening on ")
      close
      raise "xfollow-emulator did not start: first line #{line.inspect}"
    end
    @base_url = line.delete_prefix("listening on ").strip
    @port = Integer(@base_url[/:(\d+)\z/, 1])
    # Keep draining stdout so that the server never blocks on a full pipe.
    @drain = Thread.new { @io.read rescue nil } # rubocop:disable Style/RescueModifier
  end

  def close
    return if @io.nil?

    Process.kill("TERM", @io.pid) rescue nil # rubocop:disable Style/RescueModifier
    Process.wait(@io.pid) rescue nil # rubocop:disable Style/RescueModifier
    @io.close rescue nil # rubocop:disable Style/RescueModifier
    @io = nil
  end

  def admin(method, path, body = nil)
    http = Net::HTTP.new("127.0.0.1", @port)
    http.read_timeout = 10
    klass = { "GET" => Net::HTTP::Get, "POST" => Net::HTTP::Post, "DELETE" => Net::HTTP::Delete }.fetch(method)
    req = klass.new("/__emulator/#{path}")
    if req.request_body_permitted?
      req["Content-Type"] = "application/json"
      req.body = body.nil? ? "" : JSON.generate(body)
    end
    res = http.request(req)
    raise "admin #{method} #{path}: HTTP #{res.code} #{res.body}" unless res.is_a?(Net::HTTPSuccess)

    JSON.parse(res.body)
  end

  def reset = admin("POST", "reset")
  def state = admin("GET", "state")
  def connections = admin("GET", "connections").fetch("accepted")
  def advance_clock(seconds) = admin("POST", "clock", { "advance_seconds" => seconds })

  def fault(route, kind, **opts)
    admin("POST", "faults", { "route" => route, "kind" => kind }.merge(opts.transform_keys(&:to_s)))
  end

  def follows
    state.fetch("follows").map { |f| [f["source"], f["target"]] }
  end

  def pending
    state.fetch("pending").map { |f| [f["source"], f["target"]] }
  end
end

# Base class: a fresh demo world for every test and clients on it.
class EmulatorTest < Minitest::Test
  include Demo

  def emulator
    Emulator.shared
  end

  def setup
    emulator.reset
    @clients = []
  end

  def teardown
    @clients.each(&:close)
  end

  # One attempt per call and no quota ledger unless a test asks: most tests read each
  # emulator answer or fault as it came (retries and the ledger are test_limits.rb's).
  def single(opts)
    { quota: "off", retry_policy: Xfollow::RetryPolicy.never }.merge(opts)
  end

  def alice_oauth1(**opts)
    opts = single(opts)
    track(alice_client(emulator.base_url, **opts))
  end

  def alice_oauth2(**opts)
    opts = single(opts)
    track(Xfollow::Client.oauth2(ALICE_OAUTH2, base_url: emulator.base_url, **opts))
  end

  def track(client)
    @clients << client
    client
  end
end
