//! HTTP/1.1 framing of answers on direct connections: chunked, close-delimited, informational
//! answers, `connection: close`, HTTP/1.0, limits; TLS keep-alive; the proxied path.

mod support;

use std::sync::mpsc;
use std::time::Duration;
use support::proxies::{connect_proxy, socks5_proxy};
use support::*;
use xfollow::{Client, ErrorKind, FollowState, RetryPolicy};

const FOLLOWING: &[u8] = br#"{"data":{"following":true,"pending_follow":false}}"#;

fn answer(head: &str, body: &[u8]) -> Vec<u8> {
    let mut a = head.replace('\n', "\r\n").into_bytes();
    a.extend_from_slice(b"\r\n");
    a.extend_from_slice(body);
    a
}

fn with_length(body: &[u8]) -> Vec<u8> {
    answer(
        &format!("HTTP/1.1 200 OK\ncontent-length: {}\n", body.len()),
        body,
    )
}

fn client(base: String) -> Client {
    alice_at(base).retry(RetryPolicy::never()).build().unwrap()
}

/// The connection index of each of `n` requests the server read.
fn connections(rx: &mpsc::Receiver<(usize, String)>, n: usize) -> Vec<usize> {
    (0..n)
        .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap().0)
        .collect()
}

#[test]
fn a_chunked_answer_is_decoded_and_its_connection_reused() {
    let (first, rest) = FOLLOWING.split_at(10);
    let mut chunked = answer(
        "HTTP/1.1 200 OK\ntransfer-encoding: chunked\ncontent-type: application/json\n",
        b"",
    );
    chunked.extend_from_slice(b"a;name=value\r\n");
    chunked.extend_from_slice(first);
    chunked.extend_from_slice(format!("\r\n{:X}\r\n", rest.len()).as_bytes());
    chunked.extend_from_slice(rest);
    chunked.extend_from_slice(b"\r\n0\r\nx-trailer: yes\r\n\r\n");
    let (base, rx) = scripted_server(vec![vec![chunked, with_length(FOLLOWING)]]);
    let c = client(base);
    assert_eq!(
        c.follow(Some(ALICE), BOB).unwrap().state,
        FollowState::Following
    );
    assert_eq!(
        c.follow(Some(ALICE), BOB).unwrap().state,
        FollowState::Following
    );
    assert_eq!(connections(&rx, 2), [0, 0]);
}

#[test]
fn a_body_without_a_length_runs_to_the_end_of_its_connection() {
    let (base, rx) = scripted_server(vec![
        vec![answer("HTTP/1.1 200 OK\nconnection: close\n", FOLLOWING)],
        vec![with_length(FOLLOWING)],
    ]);
    let c = client(base);
    assert!(c.follow(Some(ALICE), BOB).unwrap().following);
    assert!(c.follow(Some(ALICE), BOB).unwrap().following);
    assert_eq!(connections(&rx, 2), [0, 1]);
}

#[test]
fn connection_close_and_http_1_0_answers_are_not_reused() {
    let close = answer(
        &format!(
            "HTTP/1.1 200 OK\nConnection: Close\ncontent-length: {}\n",
            FOLLOWING.len()
        ),
        FOLLOWING,
    );
    let old = answer(
        &format!("HTTP/1.0 200 OK\ncontent-length: {}\n", FOLLOWING.len()),
        FOLLOWING,
    );
    // The server would answer a second request on each connection: the client never asks.
    let (base, rx) = scripted_server(vec![
        vec![close, with_length(FOLLOWING)],
        vec![old, with_length(FOLLOWING)],
        vec![with_length(FOLLOWING)],
    ]);
    let c = client(base);
    for _ in 0..3 {
        assert!(c.follow(Some(ALICE), BOB).unwrap().following);
    }
    assert_eq!(connections(&rx, 3), [0, 1, 2]);
}

#[test]
fn informational_answers_are_skipped() {
    let mut a = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n".to_vec();
    a.extend(with_length(FOLLOWING));
    let (base, rx) = scripted_server(vec![vec![a, with_length(FOLLOWING)]]);
    let c = client(base);
    assert!(c.follow(Some(ALICE), BOB).unwrap().following);
    assert!(c.follow(Some(ALICE), BOB).unwrap().following);
    assert_eq!(connections(&rx, 2), [0, 0]);
}

#[test]
fn a_chunked_gzip_body_is_decoded() {
    let gz = gzip_stored(FOLLOWING);
    let mut a = answer(
        "HTTP/1.1 200 OK\ntransfer-encoding: chunked\ncontent-encoding: gzip\n",
        b"",
    );
    a.extend_from_slice(format!("{:x}\r\n", gz.len()).as_bytes());
    a.extend_from_slice(&gz);
    a.extend_from_slice(b"\r\n0\r\n\r\n");
    let (base, _rx) = scripted_server(vec![vec![a]]);
    assert!(client(base).follow(Some(ALICE), BOB).unwrap().following);
}

/// The error of one follow against a server that sends `raw` and closes.
fn error_for(raw: Vec<u8>) -> xfollow::Error {
    let (base, _rx) = scripted_server(vec![vec![raw]]);
    client(base).follow(Some(ALICE), BOB).unwrap_err()
}

#[test]
fn bodies_over_one_mebibyte_are_refused() {
    let declared = answer("HTTP/1.1 200 OK\ncontent-length: 2000000\n", b"{");
    let mut chunked = answer("HTTP/1.1 200 OK\ntransfer-encoding: chunked\n", b"");
    chunked.extend_from_slice(b"100001\r\n");
    chunked.extend(vec![b' '; 0x10_0001]);
    let mut endless = answer("HTTP/1.1 200 OK\n", b"");
    endless.extend(vec![b' '; (1 << 20) + 10]);
    for raw in [declared, chunked, endless] {
        let err = error_for(raw);
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert_eq!(err.message(), "response body larger than 1048576 bytes");
        assert_eq!(err.http_status(), Some(200));
        assert!(err.may_have_reached_server());
    }
}

#[test]
fn malformed_answers_are_protocol_errors() {
    let mut huge_head = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..2000 {
        huge_head.extend_from_slice(format!("x-filler-{i}: {}\r\n", "v".repeat(30)).as_bytes());
    }
    huge_head.extend_from_slice(b"\r\n");
    let cases: [(Vec<u8>, &str); 4] = [
        (huge_head, "response header too large"),
        (
            answer("HTTP/1.1 200 OK\ncontent-length: ten\n", b""),
            "HTTP protocol error: invalid content-length",
        ),
        (
            answer("HTTP/1.1 200 OK\ntransfer-encoding: chunked\n", b"zz\r\n"),
            "HTTP protocol error: invalid chunk size",
        ),
        (
            b"HTTP/1.1 2x0 OK\r\n\r\n".to_vec(),
            "HTTP protocol error: invalid response status",
        ),
    ];
    for (raw, message) in cases {
        let err = error_for(raw);
        assert_eq!((err.kind(), err.message()), (ErrorKind::Protocol, message));
        assert!(err.may_have_reached_server());
    }
}

#[test]
fn a_cut_chunked_body_is_a_closed_connection() {
    let mut a = answer(
        "HTTP/1.1 503 Service Unavailable\ntransfer-encoding: chunked\n",
        b"",
    );
    a.extend_from_slice(b"20\r\n{\"title\":");
    let err = error_for(a);
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(
        err.message(),
        "connection closed before the whole response body arrived"
    );
    assert_eq!(err.http_status(), Some(503));
}

#[test]
fn no_answer_at_all_is_a_lost_connection() {
    let err = error_for(Vec::new());
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(
        err.message(),
        "connection lost: closed by the server before an answer"
    );
    assert_eq!(err.http_status(), None);
    assert!(err.may_have_reached_server());
}

#[test]
fn https_keeps_its_connection_alive() {
    let e = Emulator::start_tls();
    let c = alice_at(e.base.clone())
        .ca_file(e.ca_file.clone())
        .build()
        .unwrap();
    let before = accepted_over_tls(&e);
    for i in 0..30 {
        let o = if i % 2 == 0 {
            c.follow(Some(ALICE), BOB).unwrap()
        } else {
            c.unfollow(Some(ALICE), BOB).unwrap()
        };
        assert_eq!(o.following, i % 2 == 0);
    }
    // One connection for the client's 30 requests, one for the counter's own request.
    assert_eq!(accepted_over_tls(&e), before + 2);
}

/// The TLS emulator's count of accepted connections (its admin API, trusting its CA).
fn accepted_over_tls(e: &Emulator) -> u64 {
    use ureq::tls::{Certificate, RootCerts, TlsConfig};
    let pem = std::fs::read(e.ca_file.as_ref().unwrap()).unwrap();
    let ca = Certificate::from_pem(&pem).unwrap();
    let agent = ureq::Agent::config_builder()
        .proxy(None)
        .tls_config(
            TlsConfig::builder()
                .root_certs(RootCerts::Specific(std::sync::Arc::new(vec![ca])))
                .build(),
        )
        .build()
        .new_agent();
    let text = agent
        .get(format!("{}/__emulator/connections", e.base))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    serde_json::from_str::<serde_json::Value>(&text).unwrap()["accepted"]
        .as_u64()
        .unwrap()
}

#[test]
fn a_proxied_client_tunnels_through_its_proxy() {
    let e = Emulator::start();
    let (port, rx) = connect_proxy();
    let c = alice_at(e.base.clone())
        .proxy(Some(format!("http://127.0.0.1:{port}")))
        .build()
        .unwrap();
    let authority = e.base.strip_prefix("http://").unwrap();
    assert!(c.follow(Some(ALICE), BOB).unwrap().following);
    assert!(!c.unfollow(Some(ALICE), BOB).unwrap().following);
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        format!("CONNECT {authority} HTTP/1.1")
    );
    assert!(!e.follows(ALICE, BOB));
}

#[test]
fn a_socks5_proxied_client_tunnels_through_its_proxy() {
    let e = Emulator::start();
    let (port, rx) = socks5_proxy();
    for scheme in ["socks5", "socks5h", "socks"] {
        let c = alice_at(e.base.clone())
            .proxy(Some(format!("{scheme}://127.0.0.1:{port}")))
            .build()
            .unwrap();
        assert!(c.follow(Some(ALICE), BOB).unwrap().following);
        assert!(!c.unfollow(Some(ALICE), BOB).unwrap().following);
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)).unwrap(),
            e.base.strip_prefix("http://").unwrap()
        );
    }
    assert!(!e.follows(ALICE, BOB));
}

#[test]
fn a_base_url_with_a_path_keeps_it_in_the_request_target() {
    let (base, rx) = scripted_server(vec![vec![with_length(FOLLOWING)]]);
    let c = client(format!("{base}/x-api/"));
    assert!(c.follow(Some(ALICE), BOB).unwrap().following);
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5))
            .unwrap()
            .1
            .lines()
            .next(),
        Some(format!("POST /x-api/2/users/{ALICE}/following HTTP/1.1").as_str())
    );
}

#[test]
fn a_chunk_size_that_overflows_the_body_length_is_a_protocol_error() {
    let mut a = answer("HTTP/1.1 200 OK\ntransfer-encoding: chunked\n", b"");
    a.extend_from_slice(b"1\r\n{\r\nFFFFFFFFFFFFFFFF\r\n");
    let err = error_for(a);
    assert_eq!(
        (err.kind(), err.message(), err.http_status()),
        (
            ErrorKind::Protocol,
            "response body larger than 1048576 bytes",
            Some(200)
        )
    );
}

#[test]
fn invalid_utf8_in_an_answer_is_a_protocol_error_and_not_retried() {
    let bad = with_length(b"{\"data\":\"\xff\xfe\"}");
    // Enough answers for three attempts: only the first may be asked for.
    let (base, rx) = scripted_server(vec![vec![bad.clone()], vec![bad.clone()], vec![bad]]);
    let c = alice_at(base)
        .retry(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let err = c.follow(Some(ALICE), BOB).unwrap_err();
    assert_eq!(
        (err.kind(), err.message(), err.http_status()),
        (
            ErrorKind::Protocol,
            "response body is not valid UTF-8",
            Some(200)
        )
    );
    assert!(err.may_have_reached_server());
    assert_eq!(connections(&rx, 1), [0]);
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
}
