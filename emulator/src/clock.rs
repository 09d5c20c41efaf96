//! Real and virtual time. Windows, expiries and `x-rate-limit-reset` follow the virtual clock
//! (wall clock plus an offset moved by the admin API); the OAuth 1.0a timestamp check follows
//! the real wall clock, because clients sign with real time.

use std::time::{SystemTime, UNIX_EPOCH};

/// Real Unix time in seconds.
pub fn wall_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Clock {
    pub offset: i64,
}

impl Clock {
    /// Virtual Unix time in seconds.
    pub fn now(&self) -> i64 {
        wall_now() + self.offset
    }

    pub fn advance(&mut self, seconds: i64) {
        self.offset = self.offset.saturating_add(seconds);
    }
}
