//! The counting rule shared by the memory and SQLite stores (the Redis store runs the same rule
//! in Lua).

use super::{Action, QuotaError, QuotaExhausted, Windows, WINDOW_SECS};

/// One window at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WindowState {
    /// Entries with `stamp > now - 86400`; at least the cap while the window's marker is ahead.
    pub(crate) used: u32,
    /// `None` when the cap is off or `used < cap`; else when `used` drops below the cap.
    pub(crate) next_free_at: Option<i64>,
}

/// Read access to a store's windows, inside whatever makes the reads atomic.
pub(crate) trait WindowRead {
    /// Entries of `window` stamped after `after`.
    fn count_after(&mut self, window: &str, after: i64) -> Result<u32, QuotaError>;
    /// The stamp of the entry at zero-based position `n`, oldest first, among those stamped
    /// after `after`.
    fn nth_after(&mut self, window: &str, after: i64, n: u32) -> Result<Option<i64>, QuotaError>;
    /// The time `window`'s "X says none left" marker lapses, if it has one.
    fn marker(&mut self, window: &str) -> Result<Option<i64>, QuotaError>;
}

/// The state of `window` with cap `cap` at `now`.
pub(crate) fn state<R: WindowRead>(
    r: &mut R,
    window: &str,
    cap: u32,
    now: i64,
) -> Result<WindowState, QuotaError> {
    let after = now - WINDOW_SECS;
    let mut used = r.count_after(window, after)?;
    let mut next_free_at = if cap > 0 && used >= cap {
        // `used - cap + 1` entries must expire; the last of them is at position `used - cap`.
        r.nth_after(window, after, used - cap)?
            .map(|t| t + WINDOW_SECS)
    } else {
        None
    };
    if cap > 0 {
        if let Some(until) = r.marker(window)?.filter(|&t| t > now) {
            used = used.max(cap);
            next_free_at = next_free_at.max(Some(until));
        }
    }
    Ok(WindowState { used, next_free_at })
}

/// The state of each of `windows` (name, cap) at `now`, through one reader.
pub(crate) fn states<R: WindowRead>(
    r: &mut R,
    windows: &[(&str, u32)],
    now: i64,
) -> Result<Vec<WindowState>, QuotaError> {
    windows
        .iter()
        .map(|(name, cap)| state(r, name, *cap, now))
        .collect()
}

/// What [`Store::correct`](super::Store::correct) does to a window with `room` left when X
/// says `remaining`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Correction {
    /// `remaining` is 0: set the window's marker, taking the whole room.
    Mark,
    /// `remaining` is not below the room: nothing to take.
    Keep,
    /// Add this many placeholder entries.
    Add(u32),
}

impl Correction {
    pub(crate) fn of(room: u32, remaining: u32) -> Correction {
        if remaining == 0 {
            Correction::Mark
        } else if remaining >= room {
            Correction::Keep
        } else {
            Correction::Add(room - remaining)
        }
    }
}

/// The refusal for `action` given each window's state, or `None` when every window has room.
/// When several windows are full, the one that frees last is named (ties: the first listed).
pub(crate) fn refusal(
    action: Action,
    windows: &Windows,
    states: &[WindowState],
) -> Option<QuotaExhausted> {
    let mut worst: Option<QuotaExhausted> = None;
    for ((scope, _, cap), s) in windows.list.iter().zip(states) {
        if let Some(at) = s.next_free_at {
            if worst.as_ref().is_none_or(|w| at > w.next_free_at) {
                worst = Some(QuotaExhausted {
                    action,
                    scope: *scope,
                    limit: *cap,
                    used: s.used,
                    next_free_at: at,
                });
            }
        }
    }
    worst
}
