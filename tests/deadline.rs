//! One deadline bounds a whole request: against servers that trickle their TLS bytes, stall
//! in the handshake or never answer, every call returns a timeout within the overall timeout
//! plus 250 ms, on direct and proxied connections, and through the C ABI.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::hostile_tls::{hostile_server, Hostile};
use support::proxies::{connect_proxy, socks5_proxy};
use support::*;
use xfollow::{Client, ErrorKind, RetryPolicy};

const TIMEOUT: Duration = Duration::from_millis(1000);
const SLACK: Duration = Duration::from_millis(250);

const ALL: [Hostile; 4] = [
    Hostile::TrickleAnswer,
    Hostile::TrickleHandshake,
    Hostile::StallHandshake,
    Hostile::Silent,
];

fn client(base: &str, ca: PathBuf, proxy: Option<String>) -> Client {
    Client::builder()
        .base_url(base)
        .oauth2_token(ALICE_OAUTH2)
        .ca_file(Some(ca))
        .proxy(proxy)
        .timeout(TIMEOUT)
        .retry(RetryPolicy::never())
        .build()
        .unwrap()
}

/// Runs `call` and checks that it timed out within the timeout and the slack.
fn assert_times_out(what: &str, call: impl FnOnce() -> xfollow::Error) {
    let start = Instant::now();
    let err = call();
    let took = start.elapsed();
    assert_eq!(
        err.kind(),
        ErrorKind::Timeout,
        "{what}: {err} after {took:?}"
    );
    assert!(took <= TIMEOUT + SLACK, "{what}: returned after {took:?}");
}

#[test]
fn every_direct_call_ends_at_its_deadline() {
    for how in ALL {
        let (base, ca) = hostile_server(how);
        let c = client(&base, ca, None);
        assert_times_out(&format!("{how:?} me"), || c.me().unwrap_err());
        assert_times_out(&format!("{how:?} follow"), || {
            c.follow(Some(ALICE), BOB).unwrap_err()
        });
    }
}

#[test]
fn every_call_through_a_connect_proxy_ends_at_its_deadline() {
    for how in ALL {
        let (base, ca) = hostile_server(how);
        let (port, _rx) = connect_proxy();
        let c = client(&base, ca, Some(format!("http://127.0.0.1:{port}")));
        assert_times_out(&format!("{how:?} me"), || c.me().unwrap_err());
        assert_times_out(&format!("{how:?} follow"), || {
            c.follow(Some(ALICE), BOB).unwrap_err()
        });
    }
}

#[test]
fn every_call_through_a_socks5_proxy_ends_at_its_deadline() {
    for how in ALL {
        let (base, ca) = hostile_server(how);
        let (port, _rx) = socks5_proxy();
        let c = client(&base, ca, Some(format!("socks5://127.0.0.1:{port}")));
        assert_times_out(&format!("{how:?} follow"), || {
            c.follow(Some(ALICE), BOB).unwrap_err()
        });
    }
}
