//! Rate limits: fixed 15-minute windows per endpoint and principal, and rolling 24-hour caps.

use crate::http::Response;
use std::collections::VecDeque;

pub const WINDOW: i64 = 15 * 60;
pub const DAY: i64 = 24 * 60 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Follow,
    Unfollow,
    Me,
    ByUsername,
    Followers,
    Following,
}

/// One 15-minute window: opened by the first request, closed 900 s later.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: i64,
    pub count: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateInfo {
    pub limit: u64,
    pub remaining: u64,
    pub reset: i64,
}

impl Window {
    pub fn fresh(now: i64) -> Window {
        Window {
            start: now,
            count: 0,
        }
    }

    fn roll(&mut self, now: i64) {
        if now >= self.start + WINDOW {
            *self = Window::fresh(now);
        }
    }

    /// Takes one request from the window; `Err` (remaining 0) when it is exhausted.
    pub fn take(&mut self, now: i64, limit: u64) -> Result<RateInfo, RateInfo> {
        self.roll(now);
        if self.count >= limit {
            return Err(self.info(now, limit));
        }
        self.count += 1;
        Ok(self.info(now, limit))
    }

    pub fn info(&mut self, now: i64, limit: u64) -> RateInfo {
        self.roll(now);
        RateInfo {
            limit,
            remaining: limit.saturating_sub(self.count),
            reset: self.start + WINDOW,
        }
    }
}

/// A rolling 24-hour count, bucketed by second.
#[derive(Debug, Clone, Default)]
pub struct Rolling {
    events: VecDeque<(i64, u64)>,
    total: u64,
}

impl Rolling {
    fn prune(&mut self, now: i64) {
        while let Some(&(t, n)) = self.events.front() {
            if t + DAY <= now {
                self.events.pop_front();
                self.total -= n;
            } else {
                break;
            }
        }
    }

    pub fn count(&mut self, now: i64) -> u64 {
        self.prune(now);
        self.total
    }

    pub fn record(&mut self, now: i64) {
        self.prune(now);
        match self.events.back_mut() {
            Some((t, n)) if *t == now => *n += 1,
            _ => self.events.push_back((now, 1)),
        }
        self.total += 1;
    }

    /// When the oldest counted event leaves the window (now + 24 h when nothing is counted).
    pub fn info(&mut self, now: i64, limit: u64) -> RateInfo {
        self.prune(now);
        RateInfo {
            limit,
            remaining: limit.saturating_sub(self.total),
            reset: self.events.front().map_or(now + DAY, |&(t, _)| t + DAY),
        }
    }
}

pub fn set_rate_headers(resp: &mut Response, info: RateInfo) {
    resp.set_header("x-rate-limit-limit", info.limit.to_string());
    resp.set_header("x-rate-limit-remaining", info.remaining.to_string());
    resp.set_header("x-rate-limit-reset", info.reset.to_string());
}

pub fn set_daily_headers(resp: &mut Response, user: RateInfo, app: RateInfo) {
    resp.set_header("x-user-limit-24hour-limit", user.limit.to_string());
    resp.set_header("x-user-limit-24hour-remaining", user.remaining.to_string());
    resp.set_header("x-user-limit-24hour-reset", user.reset.to_string());
    resp.set_header("x-app-limit-24hour-limit", app.limit.to_string());
    resp.set_header("x-app-limit-24hour-remaining", app.remaining.to_string());
    resp.set_header("x-app-limit-24hour-reset", app.reset.to_string());
}

/// Removes every rate-limit header (the `no_rate_headers` fault).
pub fn strip_rate_headers(resp: &mut Response) {
    resp.headers.retain(|(k, _)| {
        let k = k.to_ascii_lowercase();
        !(k.starts_with("x-rate-limit-") || k.contains("-limit-24hour-"))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_opens_counts_and_resets() {
        let mut w = Window::fresh(1000);
        assert_eq!(
            w.take(1000, 2),
            Ok(RateInfo {
                limit: 2,
                remaining: 1,
                reset: 1900
            })
        );
        assert_eq!(
            w.take(1010, 2),
            Ok(RateInfo {
                limit: 2,
                remaining: 0,
                reset: 1900
            })
        );
        assert_eq!(
            w.take(1899, 2),
            Err(RateInfo {
                limit: 2,
                remaining: 0,
                reset: 1900
            })
        );
        assert_eq!(
            w.take(1900, 2),
            Ok(RateInfo {
                limit: 2,
                remaining: 1,
                reset: 2800
            })
        );
    }

    #[test]
    fn rolling_day() {
        let mut r = Rolling::default();
        assert_eq!(
            r.info(0, 3),
            RateInfo {
                limit: 3,
                remaining: 3,
                reset: DAY
            }
        );
        r.record(10);
        r.record(10);
        r.record(20);
        assert_eq!(
            r.info(30, 3),
            RateInfo {
                limit: 3,
                remaining: 0,
                reset: 10 + DAY
            }
        );
        assert_eq!(r.count(10 + DAY), 1);
        assert_eq!(r.info(10 + DAY, 3).reset, 20 + DAY);
        assert_eq!(r.count(20 + DAY), 0);
    }
}
