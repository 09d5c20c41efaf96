//! X's limits through the client, against the emulator: the three rate-limit windows, the
//! retry policy around every call, and the quota ledger around every follow and unfollow
//! (caps, the virtual clock, corrections from X's headers, many processes, a killed process).

mod quota_support;
mod support;

use quota_support::{after_marker, marked_lines, spawn_child, RedisServer, TempDir};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use support::*;
use xfollow::quota::{Clock, ManualClock};
use xfollow::retry::RetryReason;
use xfollow::{
    Client, ClientBuilder, Endpoint, ErrorKind, QuotaLimits, RetryPolicy, Window, WindowKind,
};

const FOLLOW_ROUTE: &str = "POST /2/users/*/following";
const BOB_TOKEN: &str = "1500000000000000002-bobDemoAccessToken";
const BOB_SECRET: &str = "bob-demo-token-secret";

type Seen = Arc<Mutex<Vec<(u32, RetryReason, Duration)>>>;

/// A policy with millisecond delays that records every on-retry call.
fn recorded() -> (RetryPolicy, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let p = RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        rate_limit_margin: Duration::from_millis(10),
        ..RetryPolicy::default()
    }
    .on_retry(move |attempt, reason, delay| s.lock().unwrap().push((attempt, *reason, delay)));
    (p, seen)
}

fn sqlite_url(dir: &TempDir) -> String {
    format!("sqlite:{}", dir.path().join("quota.db").display())
}

fn alice(e: &Emulator) -> ClientBuilder {
    e.builder()
        .oauth1(CONSUMER_KEY, CONSUMER_SECRET, ALICE_TOKEN, ALICE_SECRET)
}

/// Alice's client without the quota, retrying with [`recorded`]'s policy.
fn alice_recorded(e: &Emulator) -> (Client, Seen) {
    let (policy, seen) = recorded();
    (alice(e).quota("off").retry(policy).build().unwrap(), seen)
}

fn bob(e: &Emulator) -> ClientBuilder {
    e.builder()
        .oauth1(CONSUMER_KEY, CONSUMER_SECRET, BOB_TOKEN, BOB_SECRET)
}

// --- rate-limit windows ----------------------------------------------------------------------

#[test]
fn all_three_windows_are_kept_per_endpoint() {
    let e = Emulator::start();
    let dir = TempDir::new("limits");
    let c = alice(&e).quota(sqlite_url(&dir)).build().unwrap();
    assert!(c.rate_limits().is_empty());
    c.follow(None, BOB).unwrap();
    let rl = c.rate_limit(Endpoint::Follow).expect("a snapshot");
    let now = e.now();
    let w = rl.endpoint.unwrap();
    assert_eq!((w.limit, w.remaining), (50, 49));
    assert!(w.reset > now && w.reset <= now + 900);
    let u = rl.user_24h.unwrap();
    assert_eq!((u.limit, u.remaining), (400, 399));
    assert!(u.reset > now + 86_000 && u.reset <= now + 86_400);
    let a = rl.app_24h.unwrap();
    assert_eq!((a.limit, a.remaining), (1000, 999));
    assert_eq!(c.rate_limits(), vec![(Endpoint::Follow, rl)]);
    c.user_by_username("bob").unwrap();
    let all = c.rate_limits();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].0, Endpoint::UserByUsername);
    assert!(all[1].1.user_24h.is_none());
}

#[test]
fn a_429_names_the_binding_window_and_its_reset() {
    let e = Emulator::start();
    let c = alice(&e)
        .quota("off")
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let now = e.now();
    let (user_reset, app_reset) = (now + 50_000, now + 40_000);
    e.fault(
        json!({"route": FOLLOW_ROUTE, "kind": "status", "status": 429, "headers": {
        "x-user-limit-24hour-limit": "400", "x-user-limit-24hour-remaining": "0",
        "x-user-limit-24hour-reset": user_reset.to_string(),
        "x-app-limit-24hour-limit": "1000", "x-app-limit-24hour-remaining": "0",
        "x-app-limit-24hour-reset": app_reset.to_string()}}),
    );
    let err = c.follow(None, BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_at(), Some(user_reset));
    assert_eq!(err.exhausted_window(), Some(WindowKind::User24h));
    assert_eq!(
        err.rate_limit().app_24h,
        Some(Window {
            limit: 1000,
            remaining: 0,
            reset: app_reset
        })
    );
}

/// Issue 10 item 5: a reset far ahead is believed at most one window ahead (15 minutes for the
/// endpoint window, 24 hours for the daily ones): in the error, the client's snapshot and the
/// ledger, which frees again after 24 hours of its clock.
#[test]
fn far_resets_are_believed_one_window_ahead() {
    let e = Emulator::start();
    let dir = TempDir::new("limits");
    let now = e.now();
    let clock = Arc::new(ManualClock::at_epoch(now as i64));
    let c = alice(&e)
        .quota(sqlite_url(&dir))
        .retry(RetryPolicy::never())
        .clock(clock.clone())
        .build()
        .unwrap();
    e.fault(
        json!({"route": FOLLOW_ROUTE, "kind": "status", "status": 429, "headers": {
        "x-rate-limit-limit": "50", "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": "99999999999"}}),
    );
    let err = c.follow(None, BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_at(), Some(now + 900));
    let snap = c.rate_limit(Endpoint::Follow).unwrap().endpoint.unwrap();
    assert_eq!((snap.remaining, snap.reset), (0, now + 900));

    e.fault(
        json!({"route": FOLLOW_ROUTE, "kind": "status", "status": 429, "headers": {
        "x-app-limit-24hour-limit": "1000000", "x-app-limit-24hour-remaining": "0",
        "x-app-limit-24hour-reset": "99999999999"}}),
    );
    let err = c.follow(None, BOB).unwrap_err();
    assert_eq!(err.retry_at(), Some(now + 86_400));
    assert_eq!(
        err.rate_limit().app_24h,
        Some(Window {
            limit: 10_000,
            remaining: 0,
            reset: now + 86_400
        })
    );
    let err = c.follow(None, ERIN).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QuotaExhausted);
    assert_eq!(err.next_free_at(), Some(now as i64 + 86_400));
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 2);
    e.advance(86_400);
    clock.advance(Duration::from_secs(86_400));
    c.follow(None, ERIN).unwrap();
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 3);
}

/// Issue 10 item 5: a configured cap above 10,000 fails the build.
#[test]
fn a_cap_above_the_maximum_fails_the_build() {
    let e = Emulator::start();
    let err = alice(&e)
        .quota_limits(QuotaLimits {
            follows_per_app: u32::MAX,
            ..QuotaLimits::default()
        })
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        err.message(),
        "invalid quota limit: follows_per_app is 4294967295: at most 10000 per 24 hours (0 turns the cap off)"
    );
}

// --- retries ---------------------------------------------------------------------------------

#[test]
fn a_503_twice_then_success_takes_three_attempts() {
    let e = Emulator::start();
    let (c, seen) = alice_recorded(&e);
    e.fault(json!({"route": FOLLOW_ROUTE, "kind": "status", "status": 503, "count": 2}));
    let o = c.follow(None, BOB).unwrap();
    assert!(o.following);
    let seen = seen.lock().unwrap().clone();
    let attempts: Vec<(u32, RetryReason)> = seen.iter().map(|(a, r, _)| (*a, *r)).collect();
    assert_eq!(
        attempts,
        vec![(1, RetryReason::Status(503)), (2, RetryReason::Status(503))]
    );
    assert!(seen[0].2 <= Duration::from_millis(5) && seen[1].2 <= Duration::from_millis(10));
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 3);
    assert!(e.follows(ALICE, BOB));
}

#[test]
fn a_connection_reset_mid_response_is_retried() {
    let e = Emulator::start();
    let (c, seen) = alice_recorded(&e);
    e.fault(json!({"route": FOLLOW_ROUTE, "kind": "truncate"}));
    let o = c.follow(None, ERIN).unwrap();
    assert!(o.following);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].0, seen[0].1),
        (1, RetryReason::Network { sent: true })
    );
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 2);
}

#[test]
fn the_last_attempt_error_is_returned_when_attempts_run_out() {
    let e = Emulator::start();
    let (c, seen) = alice_recorded(&e);
    e.fault(json!({"route": FOLLOW_ROUTE, "kind": "status", "status": 502, "count": 5}));
    let err = c.follow(None, BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.http_status(), Some(502));
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 3);
}

#[test]
fn a_429_beyond_the_max_wait_is_returned_at_once() {
    let e = Emulator::start();
    let (c, seen) = alice_recorded(&e);
    let reset = e.now() + 600;
    e.fault(
        json!({"route": FOLLOW_ROUTE, "kind": "status", "status": 429, "count": 3,
        "headers": {"x-rate-limit-limit": "50", "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": reset.to_string()}}),
    );
    let err = c.follow(None, BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_at(), Some(reset));
    assert_eq!(err.exhausted_window(), Some(WindowKind::Endpoint));
    assert!(seen.lock().unwrap().is_empty());
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 1);
}

#[test]
fn a_429_within_the_max_wait_is_waited_out() {
    let e = Emulator::start();
    let clock = ManualClock::at_epoch(e.now() as i64);
    let (policy, seen) = recorded();
    let c = alice(&e)
        .quota("off")
        .retry(policy)
        .clock(Arc::new(clock))
        .build()
        .unwrap();
    let reset = e.now();
    e.fault(
        json!({"route": FOLLOW_ROUTE, "kind": "status", "status": 429,
        "headers": {"x-rate-limit-limit": "50", "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": reset.to_string()}}),
    );
    c.follow(None, BOB).unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].1,
        RetryReason::RateLimited {
            reset: reset as i64
        }
    );
    assert_eq!(seen[0].2, Duration::from_millis(10));
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 2);
}

#[test]
fn no_retry_on_400_401_403_404() {
    for status in [400u16, 401, 403, 404] {
        let e = Emulator::start();
        let (c, seen) = alice_recorded(&e);
        e.fault(json!({"route": FOLLOW_ROUTE, "kind": "status", "status": status, "count": 3}));
        let err = c.follow(None, BOB).unwrap_err();
        assert_eq!(err.http_status(), Some(status));
        assert!(seen.lock().unwrap().is_empty(), "{status}");
        assert_eq!(e.user_counter(ALICE, "follow_requests"), 1, "{status}");
    }
}

#[test]
fn reads_are_retried_too() {
    let e = Emulator::start();
    let (policy, seen) = recorded();
    let c = alice(&e).retry(policy).build().unwrap();
    e.fault(json!({"route": "GET /2/users/me", "kind": "status", "status": 500}));
    assert_eq!(c.me().unwrap().id, ALICE);
    assert_eq!(seen.lock().unwrap()[0].1, RetryReason::Status(500));
}

#[test]
fn cancel_from_another_thread_ends_a_wait() {
    let e = Emulator::start();
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let policy = RetryPolicy {
        base_delay: Duration::from_secs(60),
        max_delay: Duration::from_secs(60),
        jitter: false,
        ..RetryPolicy::default()
    }
    .on_retry(move |attempt, _, _| {
        let _ = tx.lock().unwrap().send(attempt);
    });
    let c = Arc::new(alice(&e).quota("off").retry(policy).build().unwrap());
    e.fault(json!({"route": FOLLOW_ROUTE, "kind": "status", "status": 503, "count": 1}));
    let c2 = c.clone();
    let t = std::thread::spawn(move || c2.follow(None, BOB));
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(1));
    c.cancel();
    let err = t.join().unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert_eq!(err.http_status(), Some(503));
    assert!(err.may_have_reached_server());
    assert_eq!(
        err.message(),
        "cancelled after 1 attempt(s); last: HTTP 503 Service Unavailable"
    );
    // Still cancelled: nothing is sent.
    let err = c.follow(None, BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert_eq!(err.message(), "cancelled before the first attempt");
    assert!(!err.may_have_reached_server());
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 1);
    c.reset_cancel();
    assert!(c.follow(None, BOB).unwrap().following);
}

// --- the quota ledger ------------------------------------------------------------------------

#[test]
fn the_default_ledger_is_memory_with_x_caps() {
    let e = Emulator::start();
    let c = alice_at(e.base.clone())
        .client_id(Some(format!("default-ledger-{}", std::process::id())))
        .build()
        .unwrap();
    let s = c.quota_status(None).unwrap().expect("a ledger by default");
    assert_eq!((s.user_used, s.user_remaining), (0, Some(400)));
    assert_eq!((s.app_used, s.app_remaining), (0, Some(1000)));
    assert_eq!((s.unfollows_used, s.unfollows_remaining), (0, Some(500)));
    c.follow(None, BOB).unwrap();
    c.unfollow(None, BOB).unwrap();
    let s = c.quota_status(Some(ALICE)).unwrap().unwrap();
    assert_eq!((s.user_used, s.app_used, s.unfollows_used), (1, 1, 1));
    assert_eq!(s.next_free_at, None);
    let off = alice(&e).quota("off").build().unwrap();
    assert_eq!(off.quota_status(None).unwrap(), None);
}

#[test]
fn caps_are_exact_and_a_refusal_sends_nothing() {
    let e = Emulator::start();
    let dir = TempDir::new("limits");
    let clock = Arc::new(ManualClock::at_epoch(e.now() as i64));
    let limits = QuotaLimits {
        follows_per_user: 3,
        follows_per_app: 5,
        unfollows_per_app: 1,
    };
    let a = alice(&e)
        .quota(sqlite_url(&dir))
        .quota_limits(limits)
        .clock(clock.clone())
        .build()
        .unwrap();
    let t0 = clock.epoch_secs();
    for t in [BOB, ERIN, XDEV] {
        a.follow(None, t).unwrap();
    }
    let err = a.follow(None, CAROL).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QuotaExhausted);
    assert_eq!(err.next_free_at(), Some(t0 + 86_400));
    assert!(!err.may_have_reached_server());
    assert_eq!(
        err.message(),
        format!("daily quota exhausted: 3 of 3 follows per 24 hours used by this user; next slot frees at {} (Unix time)", t0 + 86_400)
    );
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 3);
    assert!(!e.pending(ALICE, CAROL));
    let s = a.quota_status(None).unwrap().unwrap();
    assert_eq!((s.user_used, s.user_remaining), (3, Some(0)));
    assert_eq!((s.app_used, s.app_remaining), (3, Some(2)));
    assert_eq!(s.next_free_at, Some(t0 + 86_400));

    // The app cap binds across users: Bob gets the last two.
    let b = bob(&e)
        .quota(sqlite_url(&dir))
        .quota_limits(limits)
        .clock(clock.clone())
        .build()
        .unwrap();
    b.follow(None, ERIN).unwrap();
    b.follow(None, XDEV).unwrap();
    let err = b.follow(None, ALICE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QuotaExhausted);
    assert!(
        err.message()
            .contains("5 of 5 follows per 24 hours used by this app"),
        "{}",
        err.message()
    );
    assert_eq!(e.user_counter(BOB, "follow_requests"), 2);
    assert_eq!(e.app_counter("demo", "follow_requests"), 5);

    // Unfollows have their own cap.
    a.unfollow(None, BOB).unwrap();
    let err = a.unfollow(None, ERIN).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QuotaExhausted);
    assert_eq!(e.app_counter("demo", "unfollow_requests"), 1);
}

#[test]
fn the_virtual_clock_frees_slots() {
    let e = Emulator::start();
    let dir = TempDir::new("limits");
    let clock = Arc::new(ManualClock::at_epoch(e.now() as i64));
    let c = alice(&e)
        .quota(sqlite_url(&dir))
        .quota_limits(QuotaLimits {
            follows_per_user: 2,
            ..QuotaLimits::default()
        })
        .clock(clock.clone())
        .build()
        .unwrap();
    c.follow(None, BOB).unwrap();
    e.advance(3_600);
    clock.advance(Duration::from_secs(3_600));
    c.follow(None, ERIN).unwrap();
    let err = c.follow(None, XDEV).unwrap_err();
    let first_frees = err.next_free_at().unwrap();
    assert_eq!(first_frees, clock.epoch_secs() - 3_600 + 86_400);
    // One second early: still full.
    let to_go = first_frees - clock.epoch_secs();
    e.advance(to_go - 1);
    clock.advance(Duration::from_secs((to_go - 1) as u64));
    assert_eq!(
        c.follow(None, XDEV).unwrap_err().kind(),
        ErrorKind::QuotaExhausted
    );
    e.advance(1);
    clock.advance(Duration::from_secs(1));
    c.follow(None, XDEV).unwrap();
    let s = c.quota_status(None).unwrap().unwrap();
    assert_eq!((s.user_used, s.user_remaining), (2, Some(0)));
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 3);
}

#[test]
fn a_request_that_never_left_gives_its_slot_back() {
    let port = quota_support::free_port();
    let dir = TempDir::new("limits");
    let c = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .oauth1(CONSUMER_KEY, CONSUMER_SECRET, ALICE_TOKEN, ALICE_SECRET)
        .quota(sqlite_url(&dir))
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let err = c.follow(None, BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(!err.may_have_reached_server());
    assert_eq!(c.quota_status(None).unwrap().unwrap().user_used, 0);
}

#[test]
fn a_request_that_may_have_arrived_keeps_its_slot() {
    let e = Emulator::start();
    let dir = TempDir::new("limits");
    let c = alice(&e)
        .quota(sqlite_url(&dir))
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    e.fault(json!({"route": FOLLOW_ROUTE, "kind": "reset"}));
    let err = c.follow(None, BOB).unwrap_err();
    assert!(err.may_have_reached_server());
    e.fault(json!({"route": FOLLOW_ROUTE, "kind": "status", "status": 503}));
    c.follow(None, BOB).unwrap_err();
    assert_eq!(c.quota_status(None).unwrap().unwrap().user_used, 2);
}

#[test]
fn xs_24_hour_headers_correct_the_ledger() {
    let e = Emulator::start_with(json!({"limits": {"follows_per_user_day": 2}}));
    let dir = TempDir::new("limits");
    let c = alice(&e).quota(sqlite_url(&dir)).build().unwrap();
    c.follow(None, BOB).unwrap();
    c.follow(None, ERIN).unwrap();
    // X said "0 remaining": the ledger (cap 400) now refuses locally until X's reset.
    let reset = c
        .rate_limit(Endpoint::Follow)
        .unwrap()
        .user_24h
        .unwrap()
        .reset;
    let err = c.follow(None, XDEV).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QuotaExhausted);
    assert_eq!(err.next_free_at(), Some(reset as i64));
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 2);
    let s = c.quota_status(None).unwrap().unwrap();
    assert_eq!((s.user_used, s.user_remaining), (400, Some(0)));
}

#[test]
fn oauth2_clients_count_under_their_client_id() {
    let e = Emulator::start();
    let dir = TempDir::new("limits");
    let mk = |id: Option<&str>| {
        alice_at(e.base.clone())
            .client_id(id.map(str::to_owned))
            .quota(sqlite_url(&dir))
            .build()
            .unwrap()
    };
    let (one, two, none) = (mk(Some("client-one")), mk(Some("client-two")), mk(None));
    one.follow(Some(ALICE), BOB).unwrap();
    none.follow(Some(ALICE), ERIN).unwrap();
    let used = |c: &Client| c.quota_status(Some(ALICE)).unwrap().unwrap().app_used;
    // `none` also took in X's app window, which counted `one`'s follow (the same app on the
    // emulator's side): its ledger says 2.
    assert_eq!((used(&one), used(&two), used(&none)), (1, 0, 2));
    // Every client without a client id counts as one app.
    assert_eq!(used(&mk(None)), 2);
}

#[test]
fn a_bad_store_url_fails_the_build() {
    let err = Client::builder()
        .oauth2_token("t")
        .quota("postgres://u:pw@h/db")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(!err.message().contains("pw"));
    let err = Client::builder()
        .oauth2_token("t")
        .quota(format!(
            "redis://127.0.0.1:{}/0",
            quota_support::free_port()
        ))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QuotaStore);
    assert!(
        err.message().starts_with("quota store error (Redis): "),
        "{}",
        err.message()
    );
}

#[test]
fn a_store_that_fails_refuses_the_follow_and_sends_nothing() {
    let e = Emulator::start();
    let redis = RedisServer::start();
    let c = alice(&e).quota(redis.url()).build().unwrap();
    c.follow(None, BOB).unwrap();
    drop(redis);
    let err = c.follow(None, ERIN).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QuotaStore);
    assert!(!err.may_have_reached_server());
    assert!(
        err.message().starts_with("quota store error (Redis): "),
        "{}",
        err.message()
    );
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 1);
}

// --- many processes, a killed process ------------------------------------------------------

const CAP: u32 = 30;

fn epoch_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

fn child_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

/// Entry point of the child processes; does nothing unless `XFOLLOW_LIMITS_CHILD` is set.
#[test]
#[ignore = "run by the tests below in child processes"]
fn limits_child() {
    let mode = match std::env::var("XFOLLOW_LIMITS_CHILD") {
        Ok(m) => m,
        Err(_) => return,
    };
    let c = Arc::new(
        Client::builder()
            .base_url(child_env("XFOLLOW_LIMITS_BASE"))
            .oauth1(CONSUMER_KEY, CONSUMER_SECRET, ALICE_TOKEN, ALICE_SECRET)
            .quota(child_env("XFOLLOW_LIMITS_QUOTA"))
            .quota_limits(QuotaLimits {
                follows_per_user: CAP,
                follows_per_app: 1_000,
                unfollows_per_app: 500,
            })
            .build()
            .unwrap(),
    );
    let targets = [BOB, ERIN, XDEV];
    if mode == "loop" {
        for i in 0.. {
            c.follow(None, targets[i % 3]).unwrap();
            println!("LIMITS-SENT {i}");
        }
    }
    // Every process starts its threads at the same moment, so that they race.
    let start: u128 = child_env("XFOLLOW_LIMITS_START_AT").parse().unwrap();
    let now = epoch_ms();
    if start > now {
        std::thread::sleep(Duration::from_millis((start - now) as u64));
    }
    let threads: usize = child_env("XFOLLOW_LIMITS_THREADS").parse().unwrap();
    let attempts: usize = child_env("XFOLLOW_LIMITS_ATTEMPTS").parse().unwrap();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let c = c.clone();
            std::thread::spawn(move || {
                let (mut ok, mut refused) = (0, 0);
                for i in 0..attempts {
                    match c.follow(None, targets[(t + i) % 3]) {
                        Ok(_) => ok += 1,
                        Err(e) if e.kind() == ErrorKind::QuotaExhausted => refused += 1,
                        Err(e) => panic!("unexpected error: {e}"),
                    }
                }
                (ok, refused)
            })
        })
        .collect();
    let (mut ok, mut refused) = (0, 0);
    for h in handles {
        let (o, r) = h.join().unwrap();
        ok += o;
        refused += r;
    }
    println!("LIMITS-DONE {ok} {refused}");
}

/// An emulator with no 15-minute limit to speak of and X's daily caps set to the ledger's:
/// a follow the ledger let through too many would get a 429 (and fail the child).
fn busy_emulator() -> Emulator {
    Emulator::start_with(json!({"limits": {"follow_per_15min": 1_000_000,
        "follows_per_user_day": CAP, "follows_per_app_day": 1_000}}))
}

fn many_processes_through_the_client(quota: &str) {
    let procs: usize = std::env::var("XFOLLOW_LIMITS_PROCS").map_or(4, |v| v.parse().unwrap());
    let threads = 4;
    let attempts = 4;
    let e = busy_emulator();
    let start_at = (epoch_ms() + 500).to_string();
    let mut children: Vec<_> = (0..procs)
        .map(|_| {
            spawn_child(
                "limits_child",
                &[
                    ("XFOLLOW_LIMITS_CHILD", "burst".into()),
                    ("XFOLLOW_LIMITS_BASE", e.base.clone()),
                    ("XFOLLOW_LIMITS_QUOTA", quota.into()),
                    ("XFOLLOW_LIMITS_THREADS", threads.to_string()),
                    ("XFOLLOW_LIMITS_ATTEMPTS", attempts.to_string()),
                    ("XFOLLOW_LIMITS_START_AT", start_at.clone()),
                ],
            )
        })
        .collect();
    let (mut ok, mut refused) = (0usize, 0usize);
    for child in &mut children {
        let lines = marked_lines(child, "LIMITS-DONE ");
        assert!(child.wait().unwrap().success());
        assert_eq!(lines.len(), 1, "{lines:?}");
        let f: Vec<usize> = lines[0].split(' ').map(|n| n.parse().unwrap()).collect();
        ok += f[0];
        refused += f[1];
    }
    let attempted = procs * threads * attempts;
    assert!(attempted > CAP as usize);
    assert_eq!(ok, CAP as usize);
    assert_eq!(refused, attempted - CAP as usize);
    let sent = e.user_counter(ALICE, "follow_requests");
    assert_eq!(sent, u64::from(CAP));
    assert_eq!(e.user_counter(ALICE, "follows_24h"), u64::from(CAP));
    let c = alice_on_ledger(&e, quota);
    let s = c.quota_status(None).unwrap().unwrap();
    assert_eq!(u64::from(s.user_used), sent);
    assert_eq!(
        u64::from(s.app_used),
        e.app_counter("demo", "follow_requests")
    );
}

/// Alice's client on the ledger at `quota` with the per-user cap [`CAP`], to read what a
/// scenario's processes left there.
fn alice_on_ledger(e: &Emulator, quota: &str) -> Client {
    alice(e)
        .quota(quota)
        .quota_limits(QuotaLimits {
            follows_per_user: CAP,
            ..QuotaLimits::default()
        })
        .build()
        .unwrap()
}

/// Two tests of one scenario (a function of the quota URL): on a fresh SQLite file and on a
/// fresh Redis server.
macro_rules! on_sqlite_and_redis {
    ($scenario:ident, $tag:literal: $sqlite:ident, $redis:ident) => {
        #[test]
        fn $sqlite() {
            let dir = TempDir::new($tag);
            $scenario(&sqlite_url(&dir));
        }

        #[test]
        fn $redis() {
            let redis = RedisServer::start();
            $scenario(&redis.url());
        }
    };
}

on_sqlite_and_redis!(
    many_processes_through_the_client, "limits-procs":
    sqlite_four_processes_of_four_threads_never_pass_the_cap,
    redis_four_processes_of_four_threads_never_pass_the_cap
);

fn killed_mid_burst(quota: &str) {
    let e = busy_emulator();
    let mut child = spawn_child(
        "limits_child",
        &[
            ("XFOLLOW_LIMITS_CHILD", "loop".into()),
            ("XFOLLOW_LIMITS_BASE", e.base.clone()),
            ("XFOLLOW_LIMITS_QUOTA", quota.into()),
        ],
    );
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut sent = 0;
    while sent < 12 {
        let line = lines.next().expect("child output").unwrap();
        if after_marker(&line, "LIMITS-SENT ").is_some() {
            sent += 1;
        }
    }
    child.kill().unwrap(); // SIGKILL
    assert!(!child.wait().unwrap().success());
    let received = e.user_counter(ALICE, "follow_requests");
    assert!(received >= 12);
    let c = alice_on_ledger(&e, quota);
    let used = u64::from(c.quota_status(None).unwrap().unwrap().user_used);
    assert!(
        used >= received && used <= received + 1,
        "ledger {used}, emulator {received}"
    );
}

on_sqlite_and_redis!(
    killed_mid_burst, "limits-kill":
    sqlite_a_killed_process_never_leaves_the_ledger_short,
    redis_a_killed_process_never_leaves_the_ledger_short
);
