//! What every store provides (memory, SQLite, Redis), the URLs that name them, and the
//! windows an action counts in.

use super::window;
use super::{Action, AppId, QuotaError, QuotaExhausted, QuotaLimits, Scope, WINDOW_SECS};

/// A store URL, parsed: the ledger's forms, shared with the follow plans' stores.
pub(crate) enum StoreUrl<'a> {
    /// `memory:` or the empty string.
    Memory,
    /// `sqlite:PATH`, `sqlite://PATH`: the path.
    Sqlite(&'a str),
    /// `redis://...` or `rediss://...`: the whole URL.
    Redis(&'a str),
}

/// Parses `memory:`, `sqlite:PATH`, `redis://...` and `rediss://...`; an unknown scheme is
/// refused without echoing the URL (it may hold a password).
pub(crate) fn parse_store_url(url: &str) -> Result<StoreUrl<'_>, QuotaError> {
    if url.is_empty() || url == "memory:" {
        Ok(StoreUrl::Memory)
    } else if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            return Err(QuotaError::InvalidUrl(
                "sqlite: needs a file path, as in sqlite:/var/lib/app/quota.db".into(),
            ));
        }
        Ok(StoreUrl::Sqlite(path))
    } else if url.starts_with("redis://") || url.starts_with("rediss://") {
        Ok(StoreUrl::Redis(url))
    } else {
        let scheme = url.split(':').next().unwrap_or("");
        let shown: String = scheme.chars().take(16).collect();
        Err(QuotaError::InvalidUrl(format!(
            "unknown scheme '{shown}': expected memory:, sqlite:PATH, redis://host:port[/db] or rediss://host:port[/db]"
        )))
    }
}

/// The windows an action counts in, with their scope and cap.
pub(crate) struct Windows {
    pub(crate) list: Vec<(Scope, String, u32)>,
}

impl Windows {
    pub(crate) fn for_action(limits: &QuotaLimits, action: Action, user_id: &str) -> Windows {
        let list = [Scope::User, Scope::App]
            .into_iter()
            .filter_map(|scope| {
                Self::one(limits, action, scope, user_id).map(|(win, cap)| (scope, win, cap))
            })
            .collect();
        Windows { list }
    }

    /// The window `action` counts in at `scope`, with its cap; `None` for unfollows per user
    /// (X keeps no such cap).
    pub(crate) fn one(
        limits: &QuotaLimits,
        action: Action,
        scope: Scope,
        user_id: &str,
    ) -> Option<(String, u32)> {
        match (action, scope) {
            (Action::Follow, Scope::User) => Some((user_window(user_id), limits.follows_per_user)),
            (Action::Follow, Scope::App) => Some((APP_FOLLOWS.to_string(), limits.follows_per_app)),
            (Action::Unfollow, Scope::App) => {
                Some((APP_UNFOLLOWS.to_string(), limits.unfollows_per_app))
            }
            (Action::Unfollow, Scope::User) => None,
        }
    }
}

pub(crate) const APP_FOLLOWS: &str = "follows:app";
pub(crate) const APP_UNFOLLOWS: &str = "unfollows:app";

pub(crate) fn user_window(user_id: &str) -> String {
    format!("follows:user:{user_id}")
}

/// Entries older than this are deleted when a window is next written.
pub(crate) const KEEP_SECS: i64 = 2 * WINDOW_SECS;

/// The operations every store provides. Each one is atomic with respect to every other
/// process using the same store.
pub(crate) trait Store: Send + Sync {
    /// Checks every window's cap at `now` and, when none is reached, adds one entry stamped
    /// `now` to each. Returns the entry's id, or the refusal.
    fn reserve(
        &self,
        app: &AppId,
        action: Action,
        windows: &Windows,
        now: i64,
    ) -> Result<Result<u64, QuotaExhausted>, QuotaError>;

    /// Removes entry `id` (stamped `stamp`) from every window.
    fn release(
        &self,
        app: &AppId,
        windows: &Windows,
        id: u64,
        stamp: i64,
    ) -> Result<(), QuotaError>;

    /// Lowers `window`'s room at `now` (`cap - used`) to `remaining` until `reset`: with
    /// `remaining == 0`, sets the window's marker to `reset` (or keeps a later one); else adds
    /// `room - remaining` placeholder entries stamped `reset - 86400`. Returns the room taken
    /// (0 when `remaining` is not below the room). `cap` is at most [`QuotaLimits::MAX`] and
    /// more than 0; `reset` is in `(now, now + 86400]`.
    fn correct(
        &self,
        app: &AppId,
        window: &str,
        cap: u32,
        remaining: u32,
        reset: i64,
        now: i64,
    ) -> Result<u32, QuotaError>;

    /// The state of each window (with its cap) at `now`, read at one moment.
    fn status(
        &self,
        app: &AppId,
        windows: &[(&str, u32)],
        now: i64,
    ) -> Result<Vec<window::WindowState>, QuotaError>;
}
