//! A signal handled while a request waits for its answer does not end or repeat the request.
//! A socket with a receive timeout (the deadline sets one) fails a blocked read with EINTR
//! whenever a handler runs, SA_RESTART or not (signal(7)); a program with any handler
//! (Ctrl-C in a CLI, Python's and Ruby's own) must still see one request and its answer.

mod support;

use nix::sys::pthread::{pthread_kill, pthread_self};
use nix::sys::signal::Signal;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;
use support::*;
use xfollow::Client;

/// Follows through `client` on a thread that gets SIGUSR1 every 10 ms until the call returns,
/// against an emulator that holds its answer 400 ms.
fn follow_under_signals(emu: &Emulator, client: Client) {
    signal_hook::flag::register(
        signal_hook::consts::SIGUSR1,
        Arc::new(AtomicBool::new(false)),
    )
    .unwrap();
    emu.fault(json!({"route": "POST /2/users/*/following", "kind": "delay", "delay_ms": 400}));
    let (tid_tx, tid_rx) = mpsc::channel();
    let done = Arc::new(AtomicBool::new(false));
    let caller = {
        let done = done.clone();
        std::thread::spawn(move || {
            tid_tx.send(pthread_self()).unwrap();
            let outcome = client.follow(Some(ALICE), BOB);
            done.store(true, Ordering::SeqCst);
            outcome
        })
    };
    let tid = tid_rx.recv().unwrap();
    let mut sent = 0;
    while !done.load(Ordering::SeqCst) {
        if pthread_kill(tid, Signal::SIGUSR1).is_ok() {
            sent += 1;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let outcome = caller.join().unwrap();
    assert!(sent >= 10, "only {sent} signals were sent during the call");
    assert!(outcome.expect("follow under signals").following);
    assert_eq!(emu.app_counter("demo", "follow_requests"), 1);
}

#[test]
fn signals_during_a_plain_request_neither_end_nor_repeat_it() {
    let emu = Emulator::start();
    let client = emu.alice_oauth2();
    follow_under_signals(&emu, client);
}

#[test]
fn signals_during_a_tls_request_neither_end_nor_repeat_it() {
    let emu = Emulator::start_tls();
    let client = emu
        .builder()
        .ca_file(emu.ca_file.clone())
        .oauth2_token(ALICE_OAUTH2)
        .build()
        .unwrap();
    follow_under_signals(&emu, client);
}

/// Through a CONNECT proxy the request goes through ureq's connection, which retries a read
/// that a signal interrupted within the remaining timeout.
#[test]
fn signals_during_a_proxied_request_neither_end_nor_repeat_it() {
    let emu = Emulator::start();
    let (port, seen) = support::proxies::connect_proxy();
    let client = alice_at(emu.base.clone())
        .proxy(Some(format!("http://127.0.0.1:{port}")))
        .build()
        .unwrap();
    follow_under_signals(&emu, client);
    let host = emu.base.trim_start_matches("http://");
    assert_eq!(
        seen.try_iter().collect::<Vec<_>>(),
        [format!("CONNECT {host} HTTP/1.1")]
    );
}
