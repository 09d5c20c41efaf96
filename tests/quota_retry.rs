//! The bounded retry policy: what is retried, how often, what the callback sees, cancellation.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use xfollow::quota::{epoch_secs, from_epoch_secs, ManualClock};
use xfollow::retry::{Cancel, GiveUp, Outcome, RetryError, RetryPolicy, RetryReason};

/// A failed attempt as a client would see it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fail {
    Status(u16, Option<i64>),
    Refused,
    Reset,
}

fn classify(e: &Fail) -> Outcome {
    match *e {
        Fail::Status(code, reset) => Outcome::Status {
            code,
            rate_limit_reset: reset,
        },
        Fail::Refused => Outcome::Network { sent: false },
        Fail::Reset => Outcome::Network { sent: true },
    }
}

type Seen = Arc<Mutex<Vec<(u32, RetryReason, Duration)>>>;

/// A policy with short delays, recording every on-retry call.
fn recorded(policy: RetryPolicy) -> (RetryPolicy, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let policy = policy.on_retry(move |attempt, reason, delay| {
        s.lock().unwrap().push((attempt, *reason, delay));
    });
    (policy, seen)
}

/// The last error, attempts and reason of a run that gave up; any other outcome fails the test.
fn gave_up(r: Result<(), RetryError<Fail>>) -> (Fail, u32, GiveUp) {
    match r {
        Err(RetryError::Failed {
            error,
            attempts,
            give_up,
        }) => (error, attempts, give_up),
        other => panic!("{other:?}"),
    }
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

#[test]
fn a_503_twice_then_success_takes_three_attempts() {
    let (policy, seen) = recorded(quick());
    let mut calls = Vec::new();
    let r = policy.run(
        |attempt| {
            calls.push(attempt);
            if attempt < 3 {
                Err(Fail::Status(503, None))
            } else {
                Ok("followed")
            }
        },
        classify,
    );
    assert_eq!(r.unwrap(), "followed");
    assert_eq!(calls, [1, 2, 3]);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!((seen[0].0, seen[0].1), (1, RetryReason::Status(503)));
    assert_eq!((seen[1].0, seen[1].1), (2, RetryReason::Status(503)));
    // Full jitter: each delay within [0, min(max_delay, base * 2^(n-1))].
    assert!(seen[0].2 <= Duration::from_millis(5), "{:?}", seen[0].2);
    assert!(seen[1].2 <= Duration::from_millis(10), "{:?}", seen[1].2);
}

#[test]
fn exact_exponential_delays_without_jitter() {
    let (policy, seen) = recorded(RetryPolicy {
        max_attempts: 4,
        jitter: false,
        ..quick()
    });
    let r: Result<(), _> = policy.run(|_| Err(Fail::Status(502, None)), classify);
    assert_eq!(
        gave_up(r),
        (Fail::Status(502, None), 4, GiveUp::AttemptsExhausted)
    );
    let delays: Vec<_> = seen.lock().unwrap().iter().map(|s| s.2).collect();
    assert_eq!(delays, [5, 10, 20].map(Duration::from_millis));
}

#[test]
fn network_errors_are_retried_whether_or_not_the_request_left() {
    let (policy, seen) = recorded(quick());
    let r: Result<(), _> = policy.run(
        |attempt| {
            Err(if attempt == 1 {
                Fail::Refused
            } else {
                Fail::Reset
            })
        },
        classify,
    );
    let e = r.unwrap_err();
    assert_eq!(e.attempts(), 3);
    assert_eq!(e.into_error(), Some(Fail::Reset));
    let reasons: Vec<_> = seen.lock().unwrap().iter().map(|s| (s.0, s.1)).collect();
    assert_eq!(
        reasons,
        [
            (1, RetryReason::Network { sent: false }),
            (2, RetryReason::Network { sent: true })
        ]
    );
}

#[test]
fn no_retry_on_client_errors() {
    for code in [400u16, 401, 403, 404] {
        let (policy, seen) = recorded(quick());
        let mut calls = 0;
        let r: Result<(), _> = policy.run(
            |_| {
                calls += 1;
                Err(Fail::Status(code, None))
            },
            classify,
        );
        assert_eq!(
            gave_up(r),
            (Fail::Status(code, None), 1, GiveUp::NotRetryable)
        );
        assert_eq!(calls, 1, "{code}");
        assert!(seen.lock().unwrap().is_empty(), "{code}");
    }
}

#[test]
fn a_429_within_the_maximum_wait_is_waited_out() {
    // The clock says the reset is 150 ms away.
    let reset = 1_700_000_100;
    let clock = ManualClock::new(from_epoch_secs(reset) - Duration::from_millis(150));
    let (policy, seen) = recorded(
        RetryPolicy {
            max_rate_limit_wait: Duration::from_secs(1),
            rate_limit_margin: Duration::ZERO,
            ..quick()
        }
        .with_clock(Arc::new(clock)),
    );
    let started = Instant::now();
    let r = policy.run(
        |attempt| {
            if attempt == 1 {
                Err(Fail::Status(429, Some(reset)))
            } else {
                Ok(attempt)
            }
        },
        classify,
    );
    assert_eq!(r.unwrap(), 2);
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(
        *seen.lock().unwrap(),
        [(
            1,
            RetryReason::RateLimited { reset },
            Duration::from_millis(150)
        )]
    );
}

#[test]
fn a_429_beyond_the_maximum_wait_is_returned_at_once_with_its_reset() {
    let now = 1_700_000_000;
    let (policy, seen) = recorded(quick().with_clock(Arc::new(ManualClock::at_epoch(now))));
    let mut calls = 0;
    let r: Result<(), _> = policy.run(
        |_| {
            calls += 1;
            Err(Fail::Status(429, Some(now + 61)))
        },
        classify,
    );
    assert_eq!(
        gave_up(r),
        (
            Fail::Status(429, Some(now + 61)),
            1,
            GiveUp::RateLimitTooFar { reset: now + 61 }
        )
    );
    assert_eq!(calls, 1);
    assert!(seen.lock().unwrap().is_empty());

    // Without a reset there is nothing to wait for.
    let r: Result<(), _> = policy.run(|_| Err(Fail::Status(429, None)), classify);
    let (_, attempts, give_up) = gave_up(r);
    assert_eq!((attempts, give_up), (1, GiveUp::RateLimitNoReset));
}

#[test]
fn cancel_from_another_thread_ends_a_long_wait_promptly() {
    let now = epoch_secs(std::time::SystemTime::now());
    let policy = RetryPolicy {
        max_rate_limit_wait: Duration::from_secs(3_600),
        ..quick()
    };
    let cancel = policy.cancel_handle();
    let (tx, rx) = std::sync::mpsc::channel();
    let policy = policy.on_retry(move |_, _, delay| tx.send(delay).unwrap());
    let canceller = std::thread::spawn(move || {
        // Cancel once the run is waiting.
        let delay = rx.recv().unwrap();
        std::thread::sleep(Duration::from_millis(50));
        cancel.cancel();
        delay
    });
    let started = Instant::now();
    let r: Result<(), _> = policy.run(|_| Err(Fail::Status(429, Some(now + 1_800))), classify);
    let waited = started.elapsed();
    let planned = canceller.join().unwrap();
    assert!(planned >= Duration::from_secs(1_799), "{planned:?}");
    match r {
        Err(RetryError::Cancelled {
            attempts,
            last_error,
        }) => {
            assert_eq!(
                (attempts, last_error),
                (1, Some(Fail::Status(429, Some(now + 1_800))))
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(waited < Duration::from_secs(10), "cancel took {waited:?}");

    // The switch stays on: the next run does not even start, until it is reset.
    let mut calls = 0;
    let r: Result<(), RetryError<Fail>> = policy.run(
        |_| {
            calls += 1;
            Ok(())
        },
        classify,
    );
    assert!(matches!(
        r,
        Err(RetryError::Cancelled {
            attempts: 0,
            last_error: None
        })
    ));
    assert_eq!(calls, 0);
    policy.cancel_handle().reset();
    assert!(policy.run(|_| Ok::<_, Fail>(()), classify).is_ok());
}

#[test]
fn a_shared_cancel_handle_reaches_every_clone() {
    let cancel = Cancel::new();
    let a = quick().with_cancel(cancel.clone());
    let b = a.clone();
    cancel.cancel();
    assert!(a.cancel_handle().is_cancelled());
    assert!(b
        .run(|_| Ok::<_, Fail>(()), classify)
        .unwrap_err()
        .is_cancelled());
}

#[test]
fn never_makes_exactly_one_attempt() {
    let mut calls = 0;
    let r: Result<(), _> = RetryPolicy::never().run(
        |_| {
            calls += 1;
            Err(Fail::Status(503, None))
        },
        classify,
    );
    let (_, attempts, give_up) = gave_up(r);
    assert_eq!((attempts, give_up), (1, GiveUp::AttemptsExhausted));
    assert_eq!(calls, 1);
}
