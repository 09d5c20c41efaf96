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
    alice_at(base)
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

#[test]
fn token_endpoint_calls_end_at_their_deadline() {
    for how in ALL {
        let (base, ca) = hostile_server(how);
        let (port, _rx) = connect_proxy();
        for proxy in [None, Some(format!("http://127.0.0.1:{port}"))] {
            let transport = Client::builder()
                .ca_file(Some(ca.clone()))
                .proxy(proxy.clone())
                .timeout(TIMEOUT);
            let flow =
                xfollow::tokens::OAuth2Flow::new("id", "http://127.0.0.1:1/cb", ["users.read"])
                    .unwrap()
                    .base_url(&base)
                    .unwrap()
                    .transport(&transport)
                    .unwrap();
            assert_times_out(&format!("{how:?} {proxy:?} refresh"), || {
                flow.refresh("a-refresh-token").unwrap_err()
            });
        }
    }
}

/// tests/support/abi_timeout.c, built against this build's libxfollow.so.
fn abi_program() -> PathBuf {
    // The library built for this test run sits beside the test binary (target/debug/deps).
    let lib_dir = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_owned();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = temp_dir();
    let exe = dir.join("abi_timeout");
    // The library's soname is libxfollow.so.0.
    std::os::unix::fs::symlink(lib_dir.join("libxfollow.so"), dir.join("libxfollow.so.0")).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = std::process::Command::new(cc)
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(root.join("include"))
        .arg(root.join("tests/support/abi_timeout.c"))
        .arg("-L")
        .arg(&lib_dir)
        .arg("-lxfollow")
        .arg(format!("-Wl,-rpath,{}", dir.display()))
        .arg("-o")
        .arg(&exe)
        .status()
        .unwrap();
    assert!(status.success());
    exe
}

#[test]
fn the_c_abi_reports_x_err_timeout_at_the_deadline() {
    let exe = abi_program();
    let (port, _rx) = connect_proxy();
    for how in ALL {
        for proxy in ["-".to_owned(), format!("http://127.0.0.1:{port}")] {
            let (base, ca) = hostile_server(how);
            let out = std::process::Command::new(&exe)
                .arg(&base)
                .arg(&ca)
                .arg(&proxy)
                .output()
                .unwrap();
            assert!(out.status.success(), "{how:?} {proxy}: {out:?}");
            let text = String::from_utf8(out.stdout).unwrap();
            let f: Vec<i64> = text
                .split_whitespace()
                .map(|v| v.parse().unwrap())
                .collect();
            let timeout = i64::from(xfollow::ffi::X_ERR_TIMEOUT);
            let bound = (TIMEOUT + SLACK).as_millis() as i64;
            assert_eq!((f[0], f[2]), (timeout, timeout), "{how:?} {proxy}: {text}");
            assert!(f[1] <= bound && f[3] <= bound, "{how:?} {proxy}: {text}");
        }
    }
}

/// Cancels `c` 200 ms into `call` and checks that the call ended as cancelled at once;
/// `sent`: whether the request had left by then.
fn assert_cancelled_in_flight(
    what: &str,
    sent: bool,
    c: &Client,
    call: impl FnOnce() -> xfollow::Error + Send,
) {
    std::thread::scope(|s| {
        let start = Instant::now();
        let running = s.spawn(move || (call(), start.elapsed()));
        std::thread::sleep(Duration::from_millis(200));
        c.cancel();
        let (err, took) = running.join().unwrap();
        assert_eq!(err.kind(), ErrorKind::Cancelled, "{what}: {err:?}");
        assert_eq!(err.may_have_reached_server(), sent, "{what}: {err:?}");
        // Not "while waiting to retry": the attempt itself was ended.
        assert!(
            err.to_string()
                .starts_with("cancelled after 1 attempt(s); last: "),
            "{what}: {err}"
        );
        assert!(
            took < Duration::from_millis(200) + SLACK,
            "{what}: {took:?}"
        );
    });
    c.reset_cancel();
}

#[test]
fn cancel_ends_a_request_in_flight_on_a_direct_connection() {
    for (how, sent) in [
        (Hostile::Silent, false),
        (Hostile::StallHandshake, false),
        (Hostile::TrickleAnswer, true),
    ] {
        let (base, ca) = hostile_server(how);
        let c = alice_at(&base)
            .ca_file(Some(ca))
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        assert_cancelled_in_flight(&format!("{how:?} me"), sent, &c, || c.me().unwrap_err());
        assert_cancelled_in_flight(&format!("{how:?} follow"), sent, &c, || {
            c.follow(Some(ALICE), BOB).unwrap_err()
        });
    }
    // Plain http, a server that reads the request and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().collect();
        drop(held);
    });
    let c = alice_at(&base)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    assert_cancelled_in_flight("http follow", true, &c, || {
        c.follow(Some(ALICE), BOB).unwrap_err()
    });
}
