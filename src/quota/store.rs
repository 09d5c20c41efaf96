//! What every store provides (memory, SQLite, Redis), and the windows an action counts in.

use super::window;
use super::{Action, AppId, QuotaError, QuotaExhausted, QuotaLimits, Scope, WINDOW_SECS};

/// The windows an action counts in, with their scope and cap.
pub(crate) struct Windows {
    pub(crate) list: Vec<(Scope, String, u32)>,
}

impl Windows {
    pub(crate) fn for_action(limits: &QuotaLimits, action: Action, user_id: &str) -> Windows {
        let list = match action {
            Action::Follow => vec![
                (Scope::User, user_window(user_id), limits.follows_per_user),
                (Scope::App, APP_FOLLOWS.to_string(), limits.follows_per_app),
            ],
            Action::Unfollow => vec![(
                Scope::App,
                APP_UNFOLLOWS.to_string(),
                limits.unfollows_per_app,
            )],
        };
        Windows { list }
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
