//! A bounded, observable retry policy.
//!
//! [`RetryPolicy::run`] calls an operation until it succeeds, fails in a way that is not worth
//! repeating, or the attempts run out:
//!
//! | outcome of an attempt | what happens |
//! |---|---|
//! | network error (sent or not), timeout | retried after a backoff |
//! | HTTP 500, 502, 503, 504 | retried after a backoff |
//! | HTTP 429 with a reset at most [`max_rate_limit_wait`](RetryPolicy::max_rate_limit_wait) away | retried once the reset has passed (plus [`rate_limit_margin`](RetryPolicy::rate_limit_margin)) |
//! | HTTP 429 with a later reset | returned at once, with the reset |
//! | HTTP 429 without a reset | returned at once |
//! | HTTP 400, 401, 403, 404, any other status, anything else | returned at once |
//!
//! The backoff is exponential with full jitter: before retry `n` (1 for the first retry) the
//! policy sleeps a random time in `[0, min(max_delay, base_delay * 2^(n-1))]`. Every attempt,
//! including one that waited for a 429, counts toward [`max_attempts`](RetryPolicy::max_attempts).
//!
//! Retrying a request that may have reached the server is safe only for idempotent requests.
//! Every request xfollow makes is: a follow "succeeds with no action" when already following,
//! an unfollow when not following, and the rest are reads.
//!
//! Waits can be cut short from another thread with a [`Cancel`] handle.

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use crate::cancel::Cancel;
use crate::clock::{from_epoch_secs, Clock, SystemClock};

/// What went wrong in one attempt, as far as retrying is concerned. The client maps its own
/// errors onto this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The connection failed. `sent` is false only when the request provably never left
    /// (connection refused, DNS failure, TLS handshake failure); true when it may have reached
    /// the server (connection reset while waiting for the response).
    Network {
        /// Whether the request may have reached the server.
        sent: bool,
    },
    /// No response in time.
    Timeout,
    /// The server answered with an error status.
    Status {
        /// The HTTP status.
        code: u16,
        /// For a 429: Unix epoch seconds at which the exhausted window resets, when known.
        rate_limit_reset: Option<i64>,
    },
    /// Anything else (a malformed response, an invalid argument): never retried.
    Other,
}

/// Why an attempt is retried, as given to the on-retry callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryReason {
    /// A network error.
    Network {
        /// Whether the request may have reached the server.
        sent: bool,
    },
    /// A timeout.
    Timeout,
    /// HTTP 500, 502, 503 or 504.
    Status(u16),
    /// HTTP 429; the wait lasts until `reset` (Unix epoch seconds) plus the margin.
    RateLimited {
        /// When the exhausted window resets.
        reset: i64,
    },
}

impl fmt::Display for RetryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryReason::Network { sent: false } => {
                f.write_str("network error before the request was sent")
            }
            RetryReason::Network { sent: true } => {
                f.write_str("network error after the request may have been sent")
            }
            RetryReason::Timeout => f.write_str("timeout"),
            RetryReason::Status(code) => write!(f, "HTTP {code}"),
            RetryReason::RateLimited { reset } => {
                write!(f, "HTTP 429, rate limit resets at {reset}")
            }
        }
    }
}

/// Why the policy stopped retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// The outcome is never retried (400, 401, 403, 404, other statuses, `Outcome::Other`).
    NotRetryable,
    /// The outcome was retryable but `max_attempts` were made.
    AttemptsExhausted,
    /// A 429 whose reset is further away than `max_rate_limit_wait`.
    RateLimitTooFar {
        /// When the exhausted window resets (Unix epoch seconds).
        reset: i64,
    },
    /// A 429 without a reset time.
    RateLimitNoReset,
}

/// The policy's verdict on one failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Sleep `delay`, then try again.
    Retry {
        /// Why.
        reason: RetryReason,
        /// How long to wait first.
        delay: Duration,
    },
    /// Stop and return the error.
    Stop(GiveUp),
}

/// How [`RetryPolicy::run`] ended without a result.
#[derive(Debug)]
pub enum RetryError<E> {
    /// The last attempt's error, and why it was not retried.
    Failed {
        /// The error of the last attempt.
        error: E,
        /// Attempts made (at least 1).
        attempts: u32,
        /// Why the policy stopped.
        give_up: GiveUp,
    },
    /// [`Cancel::cancel`] was called: before the first attempt (`attempts == 0`, no error) or
    /// during a wait.
    Cancelled {
        /// Attempts made.
        attempts: u32,
        /// The error of the last attempt, if any was made.
        last_error: Option<E>,
    },
}

impl<E> RetryError<E> {
    /// Attempts made.
    pub fn attempts(&self) -> u32 {
        match self {
            RetryError::Failed { attempts, .. } | RetryError::Cancelled { attempts, .. } => {
                *attempts
            }
        }
    }

    /// The last attempt's error, if an attempt was made.
    pub fn into_error(self) -> Option<E> {
        match self {
            RetryError::Failed { error, .. } => Some(error),
            RetryError::Cancelled { last_error, .. } => last_error,
        }
    }

    /// Whether the run was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, RetryError::Cancelled { .. })
    }
}

impl<E: fmt::Display> fmt::Display for RetryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryError::Failed { error, .. } => error.fmt(f),
            RetryError::Cancelled { .. } => f.write_str("cancelled"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for RetryError<E> {}

/// The on-retry callback: `(attempt that failed (1-based), why, delay before the next)`.
pub type OnRetry = Arc<dyn Fn(u32, &RetryReason, Duration) + Send + Sync>;

/// How to retry. Clones share the cancellation switch, the callback and the clock.
#[derive(Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 = never retry. Default 3.
    pub max_attempts: u32,
    /// Backoff before the first retry (before jitter). Default 500 ms.
    pub base_delay: Duration,
    /// The longest backoff (before jitter). Default 8 s.
    pub max_delay: Duration,
    /// The longest a 429 is waited out: a reset further away is returned at once. Default 60 s;
    /// zero never waits for a 429.
    pub max_rate_limit_wait: Duration,
    /// Added to a 429's wait, because a reset is in whole seconds. Default 1 s.
    pub rate_limit_margin: Duration,
    /// Full jitter (true, the default) or the exact exponential delay (false).
    pub jitter: bool,
    /// Called before each wait (see [`RetryPolicy::on_retry`]). Default none.
    pub on_retry: Option<OnRetry>,
    /// The cancellation switch. Default: a switch of this policy's own (and its clones').
    pub cancel: Cancel,
    /// The clock a 429's reset is compared with. Default: the system clock.
    pub clock: Arc<dyn Clock>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_rate_limit_wait: Duration::from_secs(60),
            rate_limit_margin: Duration::from_secs(1),
            jitter: true,
            on_retry: None,
            cancel: Cancel::new(),
            clock: Arc::new(SystemClock),
        }
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_attempts", &self.max_attempts)
            .field("base_delay", &self.base_delay)
            .field("max_delay", &self.max_delay)
            .field("max_rate_limit_wait", &self.max_rate_limit_wait)
            .field("rate_limit_margin", &self.rate_limit_margin)
            .field("jitter", &self.jitter)
            .field("on_retry", &self.on_retry.is_some())
            .field("cancel", &self.cancel)
            .finish()
    }
}

impl RetryPolicy {
    /// A policy that makes one attempt and never waits.
    pub fn never() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Calls `f(attempt, reason, delay)` before each wait.
    pub fn on_retry(
        mut self,
        f: impl Fn(u32, &RetryReason, Duration) + Send + Sync + 'static,
    ) -> Self {
        self.on_retry = Some(Arc::new(f));
        self
    }

    /// Uses `cancel` as the cancellation switch.
    pub fn with_cancel(mut self, cancel: Cancel) -> Self {
        self.cancel = cancel;
        self
    }

    /// The cancellation switch (shared with clones of this policy).
    pub fn cancel_handle(&self) -> Cancel {
        self.cancel.clone()
    }

    /// Reads the time from `clock` (to compute how far a 429's reset is).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The backoff ceiling before retry `n` (1 = first retry): `min(max_delay, base * 2^(n-1))`.
    pub fn backoff_ceiling(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(Duration::MAX)
            .min(self.max_delay)
    }

    fn backoff(&self, n: u32) -> Duration {
        let ceiling = self.backoff_ceiling(n);
        if !self.jitter || ceiling.is_zero() {
            return ceiling;
        }
        let nanos = ceiling.as_nanos().min(u128::from(u64::MAX - 1));
        let nanos = u64::try_from(nanos).unwrap_or(u64::MAX - 1);
        Duration::from_nanos(random_u64() % (nanos + 1))
    }

    /// The verdict on attempt number `attempt` (1-based) having ended with `outcome`.
    pub fn decide(&self, attempt: u32, outcome: &Outcome) -> Decision {
        let reason = match *outcome {
            Outcome::Network { sent } => RetryReason::Network { sent },
            Outcome::Timeout => RetryReason::Timeout,
            Outcome::Status {
                code: code @ (500 | 502 | 503 | 504),
                ..
            } => RetryReason::Status(code),
            Outcome::Status {
                code: 429,
                rate_limit_reset: Some(reset),
            } => {
                let until = from_epoch_secs(reset);
                let wait = until
                    .duration_since(self.clock.now())
                    .unwrap_or(Duration::ZERO);
                if wait > self.max_rate_limit_wait {
                    return Decision::Stop(GiveUp::RateLimitTooFar { reset });
                }
                if attempt >= self.max_attempts {
                    return Decision::Stop(GiveUp::AttemptsExhausted);
                }
                return Decision::Retry {
                    reason: RetryReason::RateLimited { reset },
                    delay: wait.saturating_add(self.rate_limit_margin),
                };
            }
            Outcome::Status {
                code: 429,
                rate_limit_reset: None,
            } => return Decision::Stop(GiveUp::RateLimitNoReset),
            Outcome::Status { .. } | Outcome::Other => return Decision::Stop(GiveUp::NotRetryable),
        };
        if attempt >= self.max_attempts {
            return Decision::Stop(GiveUp::AttemptsExhausted);
        }
        Decision::Retry {
            reason,
            delay: self.backoff(attempt),
        }
    }

    /// Runs `op(attempt)` (attempt is 1-based) until it succeeds or the policy gives up.
    /// `classify` tells what kind of failure an error is.
    pub fn run<T, E, F, C>(&self, mut op: F, classify: C) -> Result<T, RetryError<E>>
    where
        F: FnMut(u32) -> Result<T, E>,
        C: Fn(&E) -> Outcome,
    {
        if self.cancel.is_cancelled() {
            return Err(RetryError::Cancelled {
                attempts: 0,
                last_error: None,
            });
        }
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let error = match op(attempt) {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            // Cancelled while the attempt ran (a request in flight is ended by the cancel).
            if self.cancel.is_cancelled() {
                return Err(RetryError::Cancelled {
                    attempts: attempt,
                    last_error: Some(error),
                });
            }
            match self.decide(attempt, &classify(&error)) {
                Decision::Stop(give_up) => {
                    return Err(RetryError::Failed {
                        error,
                        attempts: attempt,
                        give_up,
                    })
                }
                Decision::Retry { reason, delay } => {
                    if let Some(cb) = &self.on_retry {
                        cb(attempt, &reason, delay);
                    }
                    if !self.cancel.sleep(delay) {
                        return Err(RetryError::Cancelled {
                            attempts: attempt,
                            last_error: Some(error),
                        });
                    }
                }
            }
        }
    }
}

/// A random number for jitter, from the standard library's randomly keyed hasher.
fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    RandomState::new().hash_one(COUNTER.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_attempts, 3);
        assert_eq!(p.base_delay, Duration::from_millis(500));
        assert_eq!(p.max_delay, Duration::from_secs(8));
        assert_eq!(p.max_rate_limit_wait, Duration::from_secs(60));
        assert_eq!(p.rate_limit_margin, Duration::from_secs(1));
        assert!(p.jitter);
    }

    #[test]
    fn backoff_doubles_up_to_the_ceiling() {
        let p = RetryPolicy {
            max_attempts: 40,
            ..policy()
        };
        let ms = |n| p.backoff_ceiling(n).as_millis();
        assert_eq!(
            [ms(1), ms(2), ms(3), ms(4), ms(5), ms(6)],
            [500, 1000, 2000, 4000, 8000, 8000]
        );
        assert_eq!(p.backoff_ceiling(40), Duration::from_secs(8));
        assert_eq!(
            p.decide(2, &Outcome::Timeout),
            Decision::Retry {
                reason: RetryReason::Timeout,
                delay: Duration::from_secs(1)
            }
        );
    }

    #[test]
    fn full_jitter_stays_within_the_ceiling_and_varies() {
        let p = RetryPolicy::default();
        let delays: Vec<Duration> = (0..200).map(|_| p.backoff(3)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(2)));
        let distinct: std::collections::HashSet<_> = delays.iter().collect();
        assert!(
            distinct.len() > 150,
            "only {} distinct delays",
            distinct.len()
        );
    }

    #[test]
    fn what_is_retried_and_what_is_not() {
        let p = policy();
        for code in [500u16, 502, 503, 504] {
            let o = Outcome::Status {
                code,
                rate_limit_reset: None,
            };
            assert!(
                matches!(p.decide(1, &o), Decision::Retry { reason: RetryReason::Status(c), .. } if c == code)
            );
        }
        for code in [400u16, 401, 403, 404, 409, 501, 505] {
            let o = Outcome::Status {
                code,
                rate_limit_reset: None,
            };
            assert_eq!(
                p.decide(1, &o),
                Decision::Stop(GiveUp::NotRetryable),
                "{code}"
            );
        }
        assert_eq!(
            p.decide(1, &Outcome::Other),
            Decision::Stop(GiveUp::NotRetryable)
        );
        assert!(matches!(
            p.decide(1, &Outcome::Network { sent: false }),
            Decision::Retry { .. }
        ));
        assert!(matches!(
            p.decide(1, &Outcome::Network { sent: true }),
            Decision::Retry { .. }
        ));
        assert_eq!(
            p.decide(3, &Outcome::Timeout),
            Decision::Stop(GiveUp::AttemptsExhausted)
        );
        let o429 = Outcome::Status {
            code: 429,
            rate_limit_reset: None,
        };
        assert_eq!(p.decide(1, &o429), Decision::Stop(GiveUp::RateLimitNoReset));
    }

    #[test]
    fn rate_limit_waits_until_the_reset_only_within_the_maximum() {
        let clock = ManualClock::at_epoch(1_000);
        let p = policy().with_clock(Arc::new(clock.clone()));
        let at = |reset| Outcome::Status {
            code: 429,
            rate_limit_reset: Some(reset),
        };
        assert_eq!(
            p.decide(1, &at(1_060)),
            Decision::Retry {
                reason: RetryReason::RateLimited { reset: 1_060 },
                delay: Duration::from_secs(61)
            }
        );
        assert_eq!(
            p.decide(1, &at(1_061)),
            Decision::Stop(GiveUp::RateLimitTooFar { reset: 1_061 })
        );
        // A reset already past: only the margin.
        assert_eq!(
            p.decide(1, &at(990)),
            Decision::Retry {
                reason: RetryReason::RateLimited { reset: 990 },
                delay: Duration::from_secs(1)
            }
        );
        assert_eq!(
            p.decide(3, &at(1_010)),
            Decision::Stop(GiveUp::AttemptsExhausted)
        );
    }

    #[test]
    fn cancel_wakes_a_sleeper_and_stays_on_until_reset() {
        let c = Cancel::new();
        assert!(c.sleep(Duration::from_millis(1)));
        c.cancel();
        assert!(!c.sleep(Duration::from_secs(60)));
        c.reset();
        assert!(c.sleep(Duration::ZERO));
    }
}
