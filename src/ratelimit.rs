//! Rate-limit headers: the 15-minute endpoint window and the undocumented 24-hour windows.

/// Length of the endpoint window, in seconds: no endpoint reset is believed further away.
pub const ENDPOINT_WINDOW_SECS: u64 = 900;
/// Length of the 24-hour windows, in seconds: no 24-hour reset is believed further away.
pub const DAY_WINDOW_SECS: u64 = 86_400;
/// The largest 24-hour `limit`/`remaining` believed: ten times X's largest documented daily
/// cap (1,000 follows per app), the same bound as a configured cap
/// ([`QuotaLimits::MAX`](crate::quota::QuotaLimits::MAX)).
pub const MAX_DAY_LIMIT: u64 = crate::quota::QuotaLimits::MAX as u64;

/// One rate-limit window as sent by the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    /// `*-limit`: requests allowed in the window.
    pub limit: u64,
    /// `*-remaining`: requests left in the window.
    pub remaining: u64,
    /// `*-reset`: Unix epoch seconds when the window resets.
    pub reset: u64,
}

/// Which of the three windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowKind {
    /// `x-rate-limit-*`: the endpoint's 15-minute window.
    Endpoint,
    /// `x-user-limit-24hour-*`.
    User24h,
    /// `x-app-limit-24hour-*`.
    App24h,
}

impl WindowKind {
    /// `"endpoint"`, `"user_24h"` or `"app_24h"`.
    pub fn as_str(self) -> &'static str {
        match self {
            WindowKind::Endpoint => "endpoint",
            WindowKind::User24h => "user_24h",
            WindowKind::App24h => "app_24h",
        }
    }
}

/// Every rate-limit window one response carried. A window is `None` when the
/// response did not carry all three of its headers as unsigned integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimit {
    /// `x-rate-limit-{limit,remaining,reset}`: the per-endpoint 15-minute window.
    pub endpoint: Option<Window>,
    /// `x-user-limit-24hour-{limit,remaining,reset}`.
    pub user_24h: Option<Window>,
    /// `x-app-limit-24hour-{limit,remaining,reset}`.
    pub app_24h: Option<Window>,
}

impl RateLimit {
    /// Reads the windows from a header lookup function (name is lower case).
    pub fn from_lookup<'a>(get: impl Fn(&str) -> Option<&'a str>) -> RateLimit {
        let window = |[limit, remaining, reset]: [&str; 3]| -> Option<Window> {
            let num = |name: &str| -> Option<u64> { get(name)?.trim().parse().ok() };
            Some(Window {
                limit: num(limit)?,
                remaining: num(remaining)?,
                reset: num(reset)?,
            })
        };
        RateLimit {
            endpoint: window([
                "x-rate-limit-limit",
                "x-rate-limit-remaining",
                "x-rate-limit-reset",
            ]),
            user_24h: window([
                "x-user-limit-24hour-limit",
                "x-user-limit-24hour-remaining",
                "x-user-limit-24hour-reset",
            ]),
            app_24h: window([
                "x-app-limit-24hour-limit",
                "x-app-limit-24hour-remaining",
                "x-app-limit-24hour-reset",
            ]),
        }
    }

    /// The windows with every value bounded, as seen at `now` (Unix epoch seconds): a reset
    /// at most one window length ahead of `now` (15 minutes for the endpoint window, 24 hours
    /// for the others), and the 24-hour `limit` and `remaining` at most [`MAX_DAY_LIMIT`]
    /// (the ledger counts by them). One answer must not stop a client, or every process
    /// sharing its ledger, for longer than X's windows last. The endpoint window's counts are
    /// reported as sent: nothing is stored or allocated by them, and tiers differ.
    pub fn clamped(self, now: i64) -> RateLimit {
        let now = u64::try_from(now).unwrap_or(0);
        let clamp = |w: Option<Window>, secs: u64, max: u64| {
            w.map(|w| Window {
                limit: w.limit.min(max),
                remaining: w.remaining.min(max),
                reset: w.reset.min(now.saturating_add(secs)),
            })
        };
        RateLimit {
            endpoint: clamp(self.endpoint, ENDPOINT_WINDOW_SECS, u64::MAX),
            user_24h: clamp(self.user_24h, DAY_WINDOW_SECS, MAX_DAY_LIMIT),
            app_24h: clamp(self.app_24h, DAY_WINDOW_SECS, MAX_DAY_LIMIT),
        }
    }

    /// True when no window was present.
    pub fn is_empty(&self) -> bool {
        self.endpoint.is_none() && self.user_24h.is_none() && self.app_24h.is_none()
    }

    fn windows(&self) -> impl Iterator<Item = Window> {
        [self.endpoint, self.user_24h, self.app_24h]
            .into_iter()
            .flatten()
    }

    /// The reset (epoch seconds) that binds: the latest reset among the windows whose
    /// `remaining` is 0. `None` when no window is exhausted.
    pub fn binding_reset(&self) -> Option<u64> {
        self.windows()
            .filter(|w| w.remaining == 0)
            .map(|w| w.reset)
            .max()
    }

    /// The window that binds after a 429: the exhausted window with the latest reset (the
    /// 24-hour windows win a tie), or the endpoint window when it is the only one present
    /// and none says it is exhausted. `None` without rate-limit headers.
    pub fn binding_window(&self) -> Option<WindowKind> {
        let all = [
            (WindowKind::Endpoint, self.endpoint),
            (WindowKind::User24h, self.user_24h),
            (WindowKind::App24h, self.app_24h),
        ];
        let mut best: Option<(WindowKind, u64)> = None;
        for (k, w) in all {
            if let Some(w) = w.filter(|w| w.remaining == 0) {
                if best.is_none_or(|(_, r)| w.reset >= r) {
                    best = Some((k, w.reset));
                }
            }
        }
        best.map(|(k, _)| k)
            .or(self.endpoint.map(|_| WindowKind::Endpoint))
    }

    /// The time to wait for after a 429: [`binding_reset`](Self::binding_reset), or the
    /// endpoint window's reset when no window says it is exhausted.
    pub fn reset_after_429(&self) -> Option<u64> {
        self.binding_reset().or(self.endpoint.map(|w| w.reset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(h: &[(&str, &str)]) -> RateLimit {
        let m: HashMap<String, String> = h
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        RateLimit::from_lookup(|k| m.get(k).map(|s| s.as_str()))
    }

    #[test]
    fn all_windows() {
        let r = parse(&[
            ("x-rate-limit-limit", "50"),
            ("x-rate-limit-remaining", "49"),
            ("x-rate-limit-reset", "1700000900"),
            ("x-user-limit-24hour-limit", "400"),
            ("x-user-limit-24hour-remaining", "0"),
            ("x-user-limit-24hour-reset", "1700080000"),
            ("x-app-limit-24hour-limit", "1000"),
            ("x-app-limit-24hour-remaining", "0"),
            ("x-app-limit-24hour-reset", "1700050000"),
        ]);
        assert_eq!(
            r.endpoint,
            Some(Window {
                limit: 50,
                remaining: 49,
                reset: 1700000900
            })
        );
        assert_eq!(
            r.user_24h,
            Some(Window {
                limit: 400,
                remaining: 0,
                reset: 1700080000
            })
        );
        assert_eq!(
            r.app_24h,
            Some(Window {
                limit: 1000,
                remaining: 0,
                reset: 1700050000
            })
        );
        assert_eq!(r.binding_reset(), Some(1700080000));
        assert_eq!(r.reset_after_429(), Some(1700080000));
        assert_eq!(r.binding_window(), Some(WindowKind::User24h));
    }

    #[test]
    fn endpoint_window_binds_when_it_is_the_only_exhausted_one() {
        let r = parse(&[
            ("x-rate-limit-limit", "50"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "1700000900"),
            ("x-user-limit-24hour-limit", "400"),
            ("x-user-limit-24hour-remaining", "3"),
            ("x-user-limit-24hour-reset", "1700080000"),
        ]);
        assert_eq!(r.binding_reset(), Some(1700000900));
        assert_eq!(r.binding_window(), Some(WindowKind::Endpoint));
        assert_eq!(r.app_24h, None);
    }

    #[test]
    fn missing_or_bad_headers() {
        let r = parse(&[]);
        assert!(r.is_empty());
        assert_eq!(r.binding_reset(), None);
        assert_eq!(r.binding_window(), None);
        assert_eq!(r.reset_after_429(), None);
        let r = parse(&[
            ("x-rate-limit-limit", "50"),
            ("x-rate-limit-remaining", "-1"),
            ("x-rate-limit-reset", "1700000900"),
        ]);
        assert_eq!(r.endpoint, None);
        let r = parse(&[
            ("x-rate-limit-limit", "50"),
            ("x-rate-limit-remaining", "7"),
            ("x-rate-limit-reset", "1700000900"),
        ]);
        assert_eq!(r.binding_reset(), None);
        assert_eq!(r.reset_after_429(), Some(1700000900));
    }

    #[test]
    fn far_resets_and_huge_limits_are_clamped() {
        let now = 1_700_000_000;
        let r = parse(&[
            ("x-rate-limit-limit", "18446744073709551615"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "99999999999"),
            ("x-user-limit-24hour-limit", "1000000"),
            ("x-user-limit-24hour-remaining", "999999"),
            ("x-user-limit-24hour-reset", "1700000100"),
            ("x-app-limit-24hour-limit", "4294967295"),
            ("x-app-limit-24hour-remaining", "0"),
            ("x-app-limit-24hour-reset", "99999999999"),
        ])
        .clamped(now);
        let w = |limit, remaining, reset| {
            Some(Window {
                limit,
                remaining,
                reset,
            })
        };
        assert_eq!(r.endpoint, w(u64::MAX, 0, 1_700_000_900));
        assert_eq!(r.user_24h, w(10_000, 10_000, 1_700_000_100));
        assert_eq!(r.app_24h, w(10_000, 0, 1_700_086_400));
        assert_eq!(r.reset_after_429(), Some(1_700_086_400));
        // Near the end of time, and before 1970: no overflow.
        let r = parse(&[
            ("x-rate-limit-limit", "50"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "18446744073709551615"),
        ]);
        assert_eq!(
            r.clamped(i64::MAX).endpoint.unwrap().reset,
            i64::MAX as u64 + 900
        );
        assert_eq!(r.clamped(-5).endpoint.unwrap().reset, 900);
    }
}
