//! Wire behaviour: headers, gzip, keep-alive reuse, threads, redirects, URL and proxy rules.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;
use support::*;
use xfollow::{Client, ErrorKind, FollowState};

fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut r = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len()).into_bytes();
    for (k, v) in headers {
        r.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    r.extend_from_slice(b"\r\n");
    r.extend_from_slice(body);
    r
}

fn header<'a>(req: &'a str, name: &str) -> Option<&'a str> {
    req.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn request_shape_and_gzip_response() {
    let body = br#"{"data":{"following":true,"pending_follow":false}}"#;
    let (base, rx) = scripted_server(vec![vec![
        response(
            "200 OK",
            &[
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
            ],
            &gzip_stored(body),
        ),
        response(
            "200 OK",
            &[("content-type", "application/json")],
            br#"{"data":{"following":false}}"#,
        ),
    ]]);
    let c = alice_at(base).build().unwrap();
    let o = c.follow(Some(ALICE), BOB).unwrap();
    assert_eq!(o.state, FollowState::Following);
    let req = rx.recv().unwrap().1;
    assert!(
        req.starts_with(&format!("POST /2/users/{ALICE}/following HTTP/1.1\r\n")),
        "{req}"
    );
    assert_eq!(
        header(&req, "authorization"),
        Some("Bearer alice-demo-oauth2-token")
    );
    assert_eq!(header(&req, "content-type"), Some("application/json"));
    assert_eq!(
        header(&req, "user-agent"),
        Some(concat!("xfollow/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(header(&req, "accept-encoding"), Some("gzip"));
    assert!(
        req.ends_with(&format!("\r\n\r\n{{\"target_user_id\":\"{BOB}\"}}")),
        "{req}"
    );

    let o = c.unfollow(Some(ALICE), BOB).unwrap();
    assert_eq!(o.state, FollowState::NotFollowing);
    let req = rx.recv().unwrap().1;
    assert!(
        req.starts_with(&format!(
            "DELETE /2/users/{ALICE}/following/{BOB} HTTP/1.1\r\n"
        )),
        "{req}"
    );
    assert_eq!(header(&req, "content-type"), None);
}

#[test]
fn oauth1_header_shape_on_the_wire() {
    let (base, rx) = scripted_server(vec![vec![response(
        "200 OK",
        &[],
        br#"{"data":{"following":true}}"#,
    )]]);
    let c = Client::builder()
        .base_url(base)
        .oauth1(CONSUMER_KEY, CONSUMER_SECRET, ALICE_TOKEN, ALICE_SECRET)
        .build()
        .unwrap();
    c.follow(None, BOB).unwrap();
    let req = rx.recv().unwrap().1;
    let auth = header(&req, "authorization").unwrap();
    assert!(
        auth.starts_with("OAuth oauth_consumer_key=\"demo-consumer-key\", oauth_nonce=\""),
        "{auth}"
    );
    assert!(
        auth.contains(", oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\""),
        "{auth}"
    );
    assert!(auth.contains(&format!(
        ", oauth_token=\"{}\", oauth_version=\"1.0\", oauth_signature=\"",
        ALICE_TOKEN
    )));
    assert!(!auth.contains(ALICE_SECRET) && !auth.contains(CONSUMER_SECRET));
}

#[test]
fn redirects_are_never_followed() {
    // The second server must never be contacted.
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    let other_addr = other.local_addr().unwrap();
    other.set_nonblocking(true).unwrap();
    let location = format!("http://{other_addr}/2/users/1/following");
    let (base, rx) = scripted_server(vec![vec![response(
        "307 Temporary Redirect",
        &[("location", &location)],
        b"",
    )]]);
    let c = alice_at(base).build().unwrap();
    let err = c.follow(Some(ALICE), BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.http_status(), Some(307));
    rx.recv().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(other.accept().is_err(), "the redirect target was contacted");
}

#[test]
fn gzip_from_the_emulator() {
    let e = Emulator::start();
    // The emulator compresses when asked to...
    let mut s = std::net::TcpStream::connect(e.base.trim_start_matches("http://")).unwrap();
    write!(
        s,
        "GET /2/users/me HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {ALICE_OAUTH2}\r\naccept-encoding: gzip\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let head =
        String::from_utf8_lossy(&raw[..raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap()])
            .to_string();
    assert_eq!(header(&head, "content-encoding"), Some("gzip"));
    // ...and the client asks for it and decodes it.
    let c = alice_at(e.base.clone()).build().unwrap();
    assert_eq!(c.me().unwrap().id, ALICE);
    assert_eq!(c.follow(None, BOB).unwrap().state, FollowState::Following);
    assert!(e.follows(ALICE, BOB));
}

#[test]
fn one_connection_for_100_sequential_calls() {
    let e = Emulator::start_with(
        serde_json::json!({"limits": {"follow_per_15min": 1000, "unfollow_per_15min": 1000}}),
    );
    let c = e.alice_oauth1();
    let before = e.accepted();
    for i in 0..100 {
        if i % 2 == 0 {
            c.follow(None, BOB).unwrap();
        } else {
            c.unfollow(None, BOB).unwrap();
        }
    }
    // One connection for the client plus the admin request that reads the counter.
    assert_eq!(e.accepted(), before + 2);
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 50);
    assert_eq!(e.user_counter(ALICE, "unfollow_requests"), 50);
}

#[test]
fn sixteen_threads_share_one_client() {
    let e = Emulator::start_with(serde_json::json!({"limits": {
        "follow_per_15min": 10000, "follows_per_user_day": 10000, "follows_per_app_day": 10000}}));
    let c = e.alice_oauth1();
    let targets = [BOB, ERIN, XDEV, CAROL];
    let before = e.accepted();
    std::thread::scope(|s| {
        for t in 0..16 {
            let c = &c;
            s.spawn(move || {
                for i in 0..10 {
                    let target = targets[(t + i) % targets.len()];
                    let o = c.follow(None, target).unwrap();
                    let want = if target == CAROL {
                        FollowState::Pending
                    } else {
                        FollowState::Following
                    };
                    assert_eq!(o.state, want);
                }
            });
        }
    });
    // At most one connection per thread (plus the admin request that counts).
    let accepted = e.accepted() - before;
    assert!((2..=17).contains(&accepted), "{accepted} connections");
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 160);
    assert_eq!(e.app_counter("demo", "follow_requests"), 160);
    let follows = e.edges("follows");
    for t in [BOB, ERIN, XDEV] {
        assert_eq!(
            follows.iter().filter(|(s, x)| s == ALICE && x == t).count(),
            1
        );
    }
    assert_eq!(
        e.edges("pending")
            .iter()
            .filter(|(s, x)| s == ALICE && x == CAROL)
            .count(),
        1
    );
}

#[test]
fn builder_checks() {
    let err = Client::builder()
        .base_url("http://example.com")
        .oauth2_token("t")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        err.message(),
        "invalid base URL: plain http is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost)"
    );
    let err = Client::builder().build().unwrap_err();
    assert_eq!(
        err.message(),
        "no credentials: set OAuth 1.0a credentials or an OAuth 2.0 access token"
    );
    let err = Client::builder()
        .oauth1("k", "", "1-t", "s")
        .build()
        .unwrap_err();
    assert_eq!(err.message(), "consumer secret is empty");
    let err = Client::builder().oauth2_token("a\nb").build().unwrap_err();
    assert_eq!(
        err.message(),
        "OAuth 2.0 access token contains control characters"
    );
    let err = Client::builder()
        .oauth2_token("t")
        .timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(err.message(), "timeouts must be greater than zero");
    let err = Client::builder()
        .oauth2_token("t")
        .proxy(Some("not a url".into()))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let err = Client::builder()
        .oauth2_token("t")
        .ca_file(Some("/nonexistent/ca.pem".into()))
        .build()
        .unwrap_err();
    assert!(
        err.message()
            .starts_with("cannot read CA file /nonexistent/ca.pem: "),
        "{}",
        err.message()
    );
    let err = Client::builder()
        .oauth1("k", "s", "notanid-t", "s")
        .build()
        .unwrap()
        .follow(None, BOB)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(!err.may_have_reached_server());
    assert!(
        Client::builder()
            .oauth2_token("t")
            .build()
            .unwrap()
            .base_url()
            == "https://api.x.com"
    );
}

#[test]
fn environment_proxy_is_ignored() {
    let e = Emulator::start();
    // A proxy that does not exist: if it were used, the call would fail.
    std::env::set_var("HTTP_PROXY", "http://127.0.0.1:9");
    std::env::set_var("http_proxy", "http://127.0.0.1:9");
    std::env::set_var("ALL_PROXY", "http://127.0.0.1:9");
    let c = e.alice_oauth2();
    let r = c.me();
    std::env::remove_var("HTTP_PROXY");
    std::env::remove_var("http_proxy");
    std::env::remove_var("ALL_PROXY");
    assert_eq!(r.unwrap().id, ALICE);
}

#[test]
fn explicit_proxy_is_used() {
    let e = Emulator::start();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = alice_at(e.base.clone())
        .proxy(Some(format!("http://127.0.0.1:{port}")))
        .build()
        .unwrap();
    let err = c.me().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(!err.may_have_reached_server());
}

#[test]
fn a_connection_closed_by_the_server_is_not_reused() {
    // Each connection answers one request (keep-alive promised) and is then closed.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        for _ in 0..2 {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            let mut len = 0;
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let mut w = stream;
            w.write_all(&response("200 OK", &[], br#"{"data":{"following":true}}"#))
                .unwrap();
            w.shutdown(std::net::Shutdown::Both).unwrap();
        }
    });
    let c = alice_at(base).build().unwrap();
    assert!(c.follow(Some(ALICE), BOB).unwrap().following);
    std::thread::sleep(Duration::from_millis(50));
    assert!(c.follow(Some(ALICE), BOB).unwrap().following);
    server.join().unwrap();
}

#[test]
fn gzip_off_asks_for_identity_and_still_decodes_gzip() {
    let body = br#"{"data":{"following":false,"pending_follow":true}}"#;
    let (base, rx) = scripted_server(vec![vec![response(
        "200 OK",
        &[("content-encoding", "gzip")],
        &gzip_stored(body),
    )]]);
    let c = alice_at(base).gzip(false).build().unwrap();
    assert_eq!(
        c.follow(Some(ALICE), CAROL).unwrap().state,
        FollowState::Pending
    );
    let req = rx.recv().unwrap().1;
    assert_eq!(header(&req, "accept-encoding"), Some("identity"));
}

#[test]
fn https_with_an_extra_ca_file() {
    let e = Emulator::start_tls();
    assert!(e.base.starts_with("https://127.0.0.1:"), "{}", e.base);
    let c = e
        .builder()
        .oauth1(CONSUMER_KEY, CONSUMER_SECRET, ALICE_TOKEN, ALICE_SECRET)
        .ca_file(e.ca_file.clone())
        .build()
        .unwrap();
    assert_eq!(c.follow(None, BOB).unwrap().state, FollowState::Following);
    assert_eq!(c.me().unwrap().id, ALICE);
}

#[test]
fn certificates_are_always_verified() {
    let e = Emulator::start_tls();
    // Without the emulator's CA its certificate is refused: nothing is sent.
    let c = alice_at(e.base.clone()).build().unwrap();
    let err = c.follow(Some(ALICE), BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err:?}");
    assert!(
        err.message().starts_with("TLS error: "),
        "{}",
        err.message()
    );
    assert!(!err.may_have_reached_server());
    assert_eq!(err.http_status(), None);
}

#[test]
fn a_ca_file_must_hold_a_certificate() {
    let dir = temp_dir();
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "no certificate here\n").unwrap();
    let err = Client::builder()
        .oauth2_token("t")
        .ca_file(Some(empty.clone()))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        err.message(),
        format!("CA file {} holds no certificate", empty.display())
    );
}

#[test]
fn debug_output_never_shows_a_secret() {
    let b = Client::builder().oauth1(
        CONSUMER_KEY,
        "consumer-SECRET",
        "1-tokenSECRET",
        "token-SECRET",
    );
    let text = format!("{b:?} {:?}", b.build().unwrap());
    for s in ["consumer-SECRET", "1-tokenSECRET", "token-SECRET"] {
        assert!(!text.contains(s), "{text}");
    }
    assert!(text.contains(CONSUMER_KEY));
    let b = Client::builder().oauth2_token("bearer-SECRET");
    assert!(!format!("{b:?} {:?}", b.build().unwrap()).contains("bearer-SECRET"));
}

#[test]
fn a_tls_error_after_the_request_left_may_have_reached_the_server() {
    use support::hostile_tls::{hostile_server, Hostile};
    use support::proxies::connect_proxy;
    let (base, ca) = hostile_server(Hostile::GarbageAfterRequest);
    let (port, _rx) = connect_proxy();
    for proxy in [None, Some(format!("http://127.0.0.1:{port}"))] {
        let c = alice_at(&base)
            .ca_file(Some(ca.clone()))
            .proxy(proxy.clone())
            .retry(xfollow::RetryPolicy::never())
            .build()
            .unwrap();
        let err = c.follow(Some(ALICE), BOB).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls, "{proxy:?}: {err:?}");
        assert!(err.may_have_reached_server(), "{proxy:?}: {err:?}");
    }
}

#[test]
fn a_refused_certificate_behind_a_proxy_never_sent_the_request() {
    use support::proxies::connect_proxy;
    let e = Emulator::start_tls();
    let (port, _rx) = connect_proxy();
    let c = alice_at(e.base.clone())
        .proxy(Some(format!("http://127.0.0.1:{port}")))
        .build()
        .unwrap();
    let err = c.follow(Some(ALICE), BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err:?}");
    assert!(!err.may_have_reached_server(), "{err:?}");
}
