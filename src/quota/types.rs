//! The ledger's values: caps, actions, scopes, app ids, store kinds, X's windows and the
//! counts reported.

use sha2::{Digest, Sha256};
use std::fmt;

use super::QuotaError;

/// Length of a rolling window, in seconds.
pub const WINDOW_SECS: i64 = 86_400;

/// The daily caps. A cap of 0 turns that cap off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaLimits {
    /// Follows per user per 24 hours (X's documented default: 400).
    pub follows_per_user: u32,
    /// Follows per app, across all its users, per 24 hours (X's documented default: 1,000).
    pub follows_per_app: u32,
    /// Unfollows per app per 24 hours (X's documented default: 500).
    pub unfollows_per_app: u32,
}

impl Default for QuotaLimits {
    fn default() -> Self {
        QuotaLimits {
            follows_per_user: 400,
            follows_per_app: 1_000,
            unfollows_per_app: 500,
        }
    }
}

impl QuotaLimits {
    /// The largest cap accepted: ten times X's largest documented daily cap (1,000 follows
    /// per app). Every slot is a row, and a window is read whole to count it.
    pub const MAX: u32 = 10_000;

    /// `Ok` when every cap is at most [`MAX`](Self::MAX); else [`QuotaError::InvalidLimits`].
    pub fn check(&self) -> Result<(), QuotaError> {
        for (name, cap) in [
            ("follows_per_user", self.follows_per_user),
            ("follows_per_app", self.follows_per_app),
            ("unfollows_per_app", self.unfollows_per_app),
        ] {
            if cap > Self::MAX {
                return Err(QuotaError::InvalidLimits(format!(
                    "{name} is {cap}: at most {} per 24 hours (0 turns the cap off)",
                    Self::MAX
                )));
            }
        }
        Ok(())
    }

    /// No cap at all: everything is counted, nothing refused.
    pub const UNLIMITED: QuotaLimits = QuotaLimits {
        follows_per_user: 0,
        follows_per_app: 0,
        unfollows_per_app: 0,
    };
}

/// What a slot is reserved for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `POST /2/users/{id}/following`.
    Follow,
    /// `DELETE /2/users/{source_user_id}/following/{target_user_id}`.
    Unfollow,
}

impl Action {
    /// `"follow"` or `"unfollow"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Follow => "follow",
            Action::Unfollow => "unfollow",
        }
    }
}

/// Whose cap: one user's, or the whole app's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The authenticated user's own cap.
    User,
    /// The app's cap, across all its users.
    App,
}

impl Scope {
    /// `"user"` or `"app"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::App => "app",
        }
    }
}

/// The app a ledger entry belongs to: a SHA-256 hash of the app's consumer key (OAuth 1.0a) or
/// client id (OAuth 2.0). Only the hash is ever stored or shown, never the key itself, and never
/// a secret: pass the public key or id, not the consumer secret.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AppId(String);

impl AppId {
    /// The ledger's name for the app whose consumer key or client id is `key`.
    pub fn from_key(key: &str) -> AppId {
        let mut h = Sha256::new();
        h.update(b"xfollow quota app\0");
        h.update(key.as_bytes());
        let digest = h.finalize();
        let mut hex = String::with_capacity(32);
        for b in &digest[..16] {
            hex.push(char::from(HEX[usize::from(b >> 4)]));
            hex.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        AppId(hex)
    }

    /// The hash: 32 lowercase hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl fmt::Debug for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AppId({})", self.0)
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which kind of store a ledger uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// `memory:`
    Memory,
    /// `sqlite:PATH`
    Sqlite,
    /// `redis://...` or `rediss://...`
    Redis,
}

impl StoreKind {
    /// The name in messages: "memory", "SQLite" or "Redis".
    pub(crate) fn name(self) -> &'static str {
        match self {
            StoreKind::Memory => "memory",
            StoreKind::Sqlite => "SQLite",
            StoreKind::Redis => "Redis",
        }
    }
}

/// What X said about one of its 24-hour windows (`x-user-limit-24hour-*` or
/// `x-app-limit-24hour-*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerWindow {
    /// `User` for `x-user-limit-24hour-*`, `App` for `x-app-limit-24hour-*`.
    pub scope: Scope,
    /// `...-limit`.
    pub limit: u32,
    /// `...-remaining`.
    pub remaining: u32,
    /// `...-reset`: Unix epoch seconds (believed at most 24 hours ahead).
    pub reset: i64,
}

/// One window's count, as reported by [`Ledger::status`](super::Ledger::status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowStatus {
    /// The cap (0 = off).
    pub limit: u32,
    /// Entries counted now.
    pub used: u32,
    /// Slots left: `None` when the cap is off (unlimited), else `limit - used` (0 when the
    /// window is full or over-full).
    pub remaining: Option<u32>,
    /// `None` when a slot is free now; else Unix epoch seconds at which one frees.
    pub next_free_at: Option<i64>,
}

/// The ledger's count for one user of one app, at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaStatus {
    /// The moment (Unix epoch seconds).
    pub at: i64,
    /// This user's follows in the last 24 hours.
    pub user_used: u32,
    /// Follows this user has left; `None` when `follows_per_user` is 0 (no cap).
    pub user_remaining: Option<u32>,
    /// The app's follows (all users) in the last 24 hours.
    pub app_used: u32,
    /// Follows the app has left; `None` when `follows_per_app` is 0 (no cap).
    pub app_remaining: Option<u32>,
    /// The app's unfollows in the last 24 hours.
    pub unfollows_used: u32,
    /// Unfollows the app has left; `None` when `unfollows_per_app` is 0 (no cap).
    pub unfollows_remaining: Option<u32>,
    /// `None` when this user may follow now; else the Unix epoch seconds at which both the
    /// user's and the app's follow windows have a free slot again (the latest of the two).
    pub next_free_at: Option<i64>,
    /// `None` when the app may unfollow now; else when its unfollow window has a free slot.
    pub unfollows_next_free_at: Option<i64>,
    /// The three windows in full.
    pub user: WindowStatus,
    /// The app's follow window in full.
    pub app: WindowStatus,
    /// The app's unfollow window in full.
    pub unfollows: WindowStatus,
}
