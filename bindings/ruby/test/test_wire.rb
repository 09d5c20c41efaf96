# frozen_string_literal: true

require "test_helper"
require "socket"
require "zlib"
require "stringio"

# What goes on the wire, seen by a one-shot local server: the Accept-Encoding header (gzip
# by default, identity with gzip: false) and a gzip answer decoded.
class WireTest < Minitest::Test
  include Demo

  BODY = '{"data":{"following":true,"pending_follow":false}}'

  # Serves one request; answers BODY (gzip-compressed when the request accepts gzip).
  # Returns [base_url, thread whose value is the request's lower-cased header hash].
  def one_shot_server
    server = TCPServer.new("127.0.0.1", 0)
    thread = Thread.new do
      conn = server.accept
      head = +""
      head << conn.readpartial(4096) until head.include?("\r\n\r\n")
      headers = head.split("\r\n")[1..].take_while { |l| !l.empty? }.to_h do |l|
        k, v = l.split(":", 2)
        [k.downcase, v.strip]
      end
      length = headers.fetch("content-length", "0").to_i
      body = head.split("\r\n\r\n", 2)[1]
      body << conn.readpartial(4096) while body.bytesize < length
      gzip = headers.fetch("accept-encoding", "").include?("gzip")
      out = gzip ? gzipped(BODY) : BODY
      conn.write("HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\n" \
                 "#{gzip ? "content-encoding: gzip\r\n" : ''}content-length: #{out.bytesize}\r\n" \
                 "connection: close\r\n\r\n#{out}")
      conn.close
      headers
    ensure
      server.close
    end
    ["http://127.0.0.1:#{server.addr[1]}", thread]
  end

  def gzipped(text)
    io = StringIO.new(+"".b)
    gz = Zlib::GzipWriter.new(io)
    gz.write(text)
    gz.close
    io.string
  end

  def follow_with(**opts)
    url, thread = one_shot_server
    result = Xfollow::Client.oauth2(ALICE_OAUTH2, base_url: url, **opts) do |c|
      c.follow(BOB, source_user_id: ALICE)
    end
    [result, thread.value]
  end

  def test_gzip_is_asked_for_by_default_and_decoded
    result, headers = follow_with
    assert_includes headers.fetch("accept-encoding"), "gzip"
    assert_equal "Bearer #{ALICE_OAUTH2}", headers.fetch("authorization")
    assert_equal :following, result.state
  end

  def test_gzip_false_asks_for_identity
    result, headers = follow_with(gzip: false)
    assert_equal "identity", headers.fetch("accept-encoding")
    assert_equal :following, result.state
  end

  def test_gzip_true_and_wrong_types
    _, headers = follow_with(gzip: true)
    assert_includes headers.fetch("accept-encoding"), "gzip"
    e = assert_raises(TypeError) { Xfollow::Client.oauth2(ALICE_OAUTH2, gzip: "no") }
    assert_equal "gzip must be true, false or nil, not String", e.message
  end
end
