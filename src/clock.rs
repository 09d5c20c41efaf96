//! Clocks for the quota ledger and the retry policy.
//!
//! The ledger counts on rolling 24-hour windows, so it needs the time. Production code uses
//! [`SystemClock`]; tests use a [`ManualClock`] that they advance together with the emulator's
//! virtual clock.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// The current time as whole Unix epoch seconds (rounded down), the resolution of the
    /// ledger and of X's `x-*-reset` headers.
    fn epoch_secs(&self) -> i64 {
        epoch_secs(self.now())
    }
}

/// Whole seconds since the Unix epoch, rounded down (negative before 1970).
pub fn epoch_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() > 0 {
                -secs - 1
            } else {
                -secs
            }
        }
    }
}

/// The time `secs` seconds after the Unix epoch.
pub fn from_epoch_secs(secs: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    }
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told to. Clones share the same time.
#[derive(Clone)]
pub struct ManualClock {
    now: Arc<Mutex<SystemTime>>,
}

impl ManualClock {
    /// A clock stopped at `t`.
    pub fn new(t: SystemTime) -> ManualClock {
        ManualClock {
            now: Arc::new(Mutex::new(t)),
        }
    }

    /// A clock stopped at `secs` Unix epoch seconds.
    pub fn at_epoch(secs: i64) -> ManualClock {
        ManualClock::new(from_epoch_secs(secs))
    }

    /// Sets the time.
    pub fn set(&self, t: SystemTime) {
        *self.lock() = t;
    }

    /// Sets the time to `secs` Unix epoch seconds.
    pub fn set_epoch(&self, secs: i64) {
        self.set(from_epoch_secs(secs));
    }

    /// Moves the time forward by `d`.
    pub fn advance(&self, d: Duration) {
        let mut now = self.lock();
        *now += d;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SystemTime> {
        self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.lock()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("epoch_secs", &epoch_secs(self.now()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_round_down_both_sides_of_1970() {
        assert_eq!(epoch_secs(UNIX_EPOCH + Duration::from_millis(1500)), 1);
        assert_eq!(epoch_secs(UNIX_EPOCH - Duration::from_millis(1500)), -2);
        assert_eq!(epoch_secs(UNIX_EPOCH - Duration::from_secs(3)), -3);
        assert_eq!(epoch_secs(from_epoch_secs(1_700_000_000)), 1_700_000_000);
        assert_eq!(epoch_secs(from_epoch_secs(-5)), -5);
    }

    #[test]
    fn manual_clock_moves_only_when_told_and_clones_share_it() {
        let c = ManualClock::at_epoch(1_000);
        let c2 = c.clone();
        assert_eq!(c.epoch_secs(), 1_000);
        c2.advance(Duration::from_millis(2_500));
        assert_eq!(c.epoch_secs(), 1_002);
        c.set_epoch(86_400);
        assert_eq!(c2.epoch_secs(), 86_400);
    }
}
