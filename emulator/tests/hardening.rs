//! The admin API's guards (JSON-typed POSTs, Host, bearer token with --allow-remote) and the
//! connection limits (idle timeout, whole-request deadline, bounded connection threads).

mod common;
use common::*;
use serde_json::{json, Value};
use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use xfollow_emulator::server::{Options, Server, Shared};

fn forbidden(detail: &str) -> Value {
    json!({"title": "Forbidden", "detail": detail, "type": "about:blank", "status": 403})
}

const NOT_JSON: &str = "Admin POST requests need Content-Type: application/json.";
const BAD_HOST: &str =
    "The admin API needs a Host header naming a loopback address or the emulator's own address.";
const NO_TOKEN: &str = "The admin API needs Authorization: Bearer <admin token>.";

#[test]
fn admin_post_without_json_content_type_is_refused_and_changes_nothing() {
    let emu = Emu::start();
    emu.advance(3600);
    let before = emu.state()["now"].as_i64().unwrap();
    // What a cross-origin form or no-cors fetch can send without a preflight.
    for ct in [
        Some("application/x-www-form-urlencoded"),
        Some("text/plain;charset=UTF-8"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut c = emu.client();
        let headers: Vec<(&str, String)> = ct
            .map(|v| ("Content-Type", v.to_string()))
            .into_iter()
            .collect();
        let r = c.request("POST", "/__emulator/reset", &headers, b"{}");
        assert_eq!(r.status, 403, "{ct:?}");
        assert_eq!(r.h("content-type"), "application/problem+json");
        assert_eq!(r.json(), forbidden(NOT_JSON));
    }
    // Still the advanced clock: no reset happened.
    assert_eq!(emu.state()["now"].as_i64().unwrap(), before);
    // Parameters on the media type are fine.
    let mut c = emu.client();
    let r = c.request(
        "POST",
        "/__emulator/reset",
        &[("Content-Type", "Application/JSON; charset=utf-8".into())],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn admin_request_with_a_foreign_host_is_refused() {
    let emu = Emu::start();
    for host in [
        format!("evil.example:{}", emu.port),
        "evil.example".to_string(),
        format!("127.0.0.1.evil.example:{}", emu.port),
        "0.0.0.0".to_string(),
        "[::]:80".to_string(),
        "127.0.0.1:notaport".to_string(),
        "::1".to_string(),
        String::new(),
    ] {
        let mut c = emu.client();
        c.host = host.clone();
        let r = c.request("GET", "/__emulator/state", &[], b"");
        assert_eq!(r.status, 403, "{host:?}");
        assert_eq!(r.json(), forbidden(BAD_HOST), "{host:?}");
    }
    // HTTP/1.0 without a Host header.
    let mut c = emu.client();
    c.send_raw(b"GET /__emulator/state HTTP/1.0\r\n\r\n")
        .unwrap();
    let r = c.read_response().unwrap();
    assert_eq!(r.status, 403);
    assert_eq!(r.json(), forbidden(BAD_HOST));
    // The API itself does not look at Host.
    let mut c = emu.client();
    c.host = "evil.example".into();
    assert_eq!(c.get("/2/users/me", &bearer(ALICE_BEARER)).status, 200);
    for host in [
        format!("127.0.0.1:{}", emu.port),
        "127.0.0.1".to_string(),
        format!("LOCALHOST:{}", emu.port),
        format!("[::1]:{}", emu.port),
        "127.9.9.9".to_string(),
    ] {
        let mut c = emu.client();
        c.host = host.clone();
        let r = c.request("GET", "/__emulator/clock", &[], b"");
        assert_eq!(r.status, 200, "{host:?}: {}", r.text());
    }
}

fn admin_with(emu: &Emu, auth: Option<&str>) -> Resp {
    let mut c = emu.client();
    let headers: Vec<(&str, String)> = auth
        .map(|a| ("Authorization", a.to_string()))
        .into_iter()
        .collect();
    c.request("GET", "/__emulator/state", &headers, b"")
}

#[test]
fn allow_remote_generates_prints_and_requires_an_admin_token() {
    let (emu, mut out) = Emu::start_keeping_stdout(&["--allow-remote"], None);
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let token = line
        .trim_end()
        .strip_prefix("admin token: ")
        .unwrap_or_else(|| panic!("second line {line:?}"))
        .to_string();
    assert_eq!(token.len(), 43, "32 bytes in base64url");
    for auth in [
        None,
        Some("Bearer wrong-token-of-some-length"),
        Some(token.as_str()),
        Some(&*format!("Basic {token}")),
        Some(&*format!("Bearer {token}x")),
    ] {
        let r = admin_with(&emu, auth);
        assert_eq!(r.status, 403, "{auth:?}");
        assert_eq!(r.json(), forbidden(NO_TOKEN));
    }
    let r = admin_with(&emu, Some(&format!("bearer {token}")));
    assert_eq!(r.status, 200, "{}", r.text());
    // The token guards the admin API only.
    let mut c = emu.client();
    assert_eq!(c.get("/2/users/me", &bearer(ALICE_BEARER)).status, 200);
}

#[test]
fn a_given_admin_token_is_required_and_never_printed() {
    let token = "a-given-admin-token-0123";
    let (mut emu, mut out) =
        Emu::start_keeping_stdout(&["--allow-remote", "--admin-token", token], None);
    assert_eq!(admin_with(&emu, None).status, 403);
    let r = admin_with(&emu, Some(&format!("Bearer {token}")));
    assert_eq!(r.status, 200, "{}", r.text());
    emu.child.kill().unwrap();
    emu.child.wait().unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "");
}

#[test]
fn admin_token_is_bounded() {
    for bad in ["short", &"x".repeat(257), "has a space in it, long enough"] {
        let out = Command::new(env!("CARGO_BIN_EXE_xfollow-emulator"))
            .args(["--port", "0", "--admin-token", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "xfollow-emulator: --admin-token: 16 to 256 printable ASCII characters, no spaces\n"
        );
    }
}

/// An in-process server with short limits.
fn serve(opts: Options) -> (u16, Arc<Shared>) {
    let server = Server::bind(opts).unwrap();
    let port = server.local_addr().port();
    let shared = server.shared();
    std::thread::spawn(move || server.run());
    (port, shared)
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Everything the server sends until it closes.
fn read_all(s: &mut TcpStream) -> String {
    let mut v = Vec::new();
    let _ = s.read_to_end(&mut v);
    String::from_utf8_lossy(&v).into_owned()
}

/// Waits (bounded) until `f` holds.
fn eventually(what: &str, f: impl Fn() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(10), "never: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let idle = Duration::from_millis(300);
    let (port, shared) = serve(Options {
        idle_timeout: idle,
        ..Options::default()
    });
    let start = Instant::now();
    let mut s = connect(port);
    assert_eq!(read_all(&mut s), "");
    let took = start.elapsed();
    assert!(took >= idle, "{took:?}");
    assert!(took < idle + Duration::from_millis(250), "{took:?}");
    eventually("the thread ends", || {
        shared.active.load(Ordering::SeqCst) == 0
    });
}

#[test]
fn a_slowloris_request_gets_408_at_the_request_deadline() {
    let idle = Duration::from_millis(400);
    let deadline = Duration::from_millis(1200);
    let (port, shared) = serve(Options {
        idle_timeout: idle,
        request_timeout: deadline,
        ..Options::default()
    });
    let mut s = connect(port);
    let start = Instant::now();
    s.write_all(b"GET /2/users/me HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .unwrap();
    // One byte every 100 ms: never idle, never done.
    let mut w = s.try_clone().unwrap();
    std::thread::spawn(move || {
        while w.write_all(b"a").is_ok() {
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let text = read_all(&mut s);
    let took = start.elapsed();
    assert!(
        text.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{text:?}"
    );
    assert!(text.contains("\r\nconnection: close\r\n"), "{text:?}");
    let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
    assert_eq!(
        serde_json::from_str::<Value>(body).unwrap(),
        json!({"title": "Request Timeout", "detail": "The request did not arrive in time.",
               "type": "about:blank", "status": 408})
    );
    assert!(took >= deadline, "{took:?}");
    assert!(took < deadline + Duration::from_millis(750), "{took:?}");
    eventually("the thread ends", || {
        shared.active.load(Ordering::SeqCst) == 0
    });
}

#[test]
fn a_slow_body_gets_408_too() {
    let (port, _) = serve(Options {
        idle_timeout: Duration::from_millis(300),
        request_timeout: Duration::from_millis(600),
        ..Options::default()
    });
    let mut s = connect(port);
    s.write_all(
        b"POST /2/users/1/following HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n{",
    )
    .unwrap();
    assert!(read_all(&mut s).starts_with("HTTP/1.1 408 "));
}

#[test]
fn keep_alive_serves_requests_spread_over_more_than_the_request_deadline() {
    let (port, _) = serve(Options {
        idle_timeout: Duration::from_millis(400),
        request_timeout: Duration::from_millis(500),
        ..Options::default()
    });
    let mut c = Client::connect(port);
    for _ in 0..4 {
        let r = c.get("/2/users/me", &bearer(ALICE_BEARER));
        assert_eq!(r.status, 200);
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn connections_beyond_the_maximum_get_503_and_no_thread() {
    let (port, shared) = serve(Options {
        max_connections: 2,
        ..Options::default()
    });
    let held: Vec<TcpStream> = (0..2).map(|_| connect(port)).collect();
    eventually("two connections served", || {
        shared.active.load(Ordering::SeqCst) == 2
    });
    let mut extra = connect(port);
    let text = read_all(&mut extra);
    assert!(
        text.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{text:?}"
    );
    assert!(
        text.ends_with("\"detail\":\"Too many open connections; retry later.\",\"status\":503,\"title\":\"Service Unavailable\",\"type\":\"about:blank\"}"),
        "{text:?}"
    );
    assert_eq!(shared.active.load(Ordering::SeqCst), 2);
    assert_eq!(shared.refused.load(Ordering::SeqCst), 1);
    assert_eq!(shared.accepted.load(Ordering::SeqCst), 3);
    // A place freed is a place taken again.
    drop(held);
    eventually("the held connections end", || {
        shared.active.load(Ordering::SeqCst) == 0
    });
    let mut c = Client::connect(port);
    let r = c.request("GET", "/__emulator/connections", &[], b"");
    assert_eq!(r.json(), json!({"accepted": 4, "active": 1, "refused": 1}));
}
