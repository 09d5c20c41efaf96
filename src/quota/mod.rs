//! Client-side accounting of X's daily follow caps.
//!
//! X documents three daily caps on the follows endpoints: 400 follows per user, 1,000 follows
//! per app across all its users, and 500 unfollows per app. X does not say how many of them are
//! left before a request fails, so the [`Ledger`] counts them itself, on rolling 24-hour windows,
//! in a store shared by every process that acts for the same app:
//!
//! | URL | store | shared by |
//! |---|---|---|
//! | `memory:` (default) | a table in this process | every ledger of this process |
//! | `sqlite:PATH` | an SQLite file (WAL, `BEGIN IMMEDIATE`, busy timeout) | every process on the machine |
//! | `redis://host:port[/db]`, `rediss://` (TLS) | sorted sets, changed by Lua scripts | every worker on every machine |
//!
//! # Counting
//!
//! Every follow or unfollow is an entry stamped with the time (whole epoch seconds) its slot
//! was reserved. An entry counts while it is younger than 24 hours: at time `now` a window's
//! `used` is the number of its entries with `stamp > now - 86400`, and an entry's slot frees at
//! `stamp + 86400`. When a window is full, the next slot frees when enough of its oldest
//! entries have expired to bring `used` below the cap (usually: the oldest entry + 86400).
//!
//! Windows of one app (an [`AppId`], a hash of the app's consumer key or client id):
//! - follows of one user, capped by [`QuotaLimits::follows_per_user`];
//! - follows of all users, capped by [`QuotaLimits::follows_per_app`];
//! - unfollows of all users, capped by [`QuotaLimits::unfollows_per_app`].
//!
//! A follow takes a slot in the first two, an unfollow in the third. A cap of 0 turns that cap
//! off: the window is still counted (and reported), nothing is refused. A cap above
//! [`QuotaLimits::MAX`] is refused when the ledger is opened.
//!
//! # Reserve, then commit or release
//!
//! [`Ledger::reserve`] checks the caps and writes the entry in one atomic step (one
//! `BEGIN IMMEDIATE` transaction, one Lua script), and the entry is in the store (committed to
//! the SQLite file, applied by Redis) before `reserve` returns. Send the request only after it
//! returned. Then:
//! - [`Reservation::release`] removes the entry: call it only when the request provably never
//!   reached X (the connection was refused, the input was found invalid before sending);
//! - [`Reservation::commit`] keeps it: every other outcome, success or failure;
//! - dropping a reservation without either keeps it too. The ledger may over-count, never
//!   under-count, and a process killed between `reserve` and the response leaves its entries
//!   counted.
//!
//! [`Ledger::observe_server_window`] feeds the server's 24-hour headers back: when X reports
//! less room than the ledger thinks, placeholder entries are added that free at X's reset, or,
//! when X says none is left, one marker per window ("full until T"): a window with a marker
//! whose T is ahead counts as full, and the marker lapses at T. X's reset is believed at most
//! 24 hours ahead, so one answer cannot close a window for longer than a day.

mod clock;
mod memory;
pub(crate) mod redis_store;
pub(crate) mod sqlite;
mod window;

pub use clock::{epoch_secs, from_epoch_secs, Clock, ManualClock, SystemClock};

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};

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

/// A follow or unfollow refused locally because a daily cap is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaExhausted {
    /// The action refused.
    pub action: Action,
    /// The cap that is reached. When several are, the one that frees last.
    pub scope: Scope,
    /// That cap.
    pub limit: u32,
    /// Entries counted in that window now (at least `limit`; `limit` while X said none is left).
    pub used: u32,
    /// Unix epoch seconds at which that window has a free slot again (if nothing else is
    /// reserved meanwhile).
    pub next_free_at: i64,
}

impl fmt::Display for QuotaExhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.action {
            Action::Follow => "follows",
            Action::Unfollow => "unfollows",
        };
        let whose = match self.scope {
            Scope::User => "this user",
            Scope::App => "this app",
        };
        write!(
            f,
            "daily quota exhausted: {} of {} {what} per 24 hours used by {whose}; next slot frees at {} (Unix time)",
            self.used, self.limit, self.next_free_at
        )
    }
}

/// Why the ledger could not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaError {
    /// A cap is reached: the request must not be sent.
    Exhausted(QuotaExhausted),
    /// The store URL is not one of `memory:`, `sqlite:PATH`, `redis://host:port[/db]`,
    /// `rediss://host:port[/db]`.
    InvalidUrl(String),
    /// A cap above [`QuotaLimits::MAX`].
    InvalidLimits(String),
    /// A user id that is empty, longer than 64 characters, or not made of ASCII letters,
    /// digits, `_` and `-`.
    InvalidUserId,
    /// The store failed (I/O, lock timeout, connection lost). The state of the ledger is
    /// unknown; a reservation that failed this way was not made.
    Store {
        /// Which store.
        kind: StoreKind,
        /// What failed, without the store's URL or credentials.
        message: String,
    },
}

impl QuotaError {
    /// The refusal, when this is one.
    pub fn exhausted(&self) -> Option<&QuotaExhausted> {
        match self {
            QuotaError::Exhausted(e) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn store(kind: StoreKind, message: impl fmt::Display) -> QuotaError {
        QuotaError::Store {
            kind,
            message: message.to_string(),
        }
    }
}

impl fmt::Display for QuotaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuotaError::Exhausted(e) => e.fmt(f),
            QuotaError::InvalidUrl(why) => write!(f, "invalid quota store URL: {why}"),
            QuotaError::InvalidLimits(why) => write!(f, "invalid quota limit: {why}"),
            QuotaError::InvalidUserId => f.write_str(
                "invalid user id for the quota ledger: expected 1 to 64 ASCII letters, digits, '_' or '-'",
            ),
            QuotaError::Store { kind, message } => {
                let name = match kind {
                    StoreKind::Memory => "memory",
                    StoreKind::Sqlite => "SQLite",
                    StoreKind::Redis => "Redis",
                };
                write!(f, "quota store error ({name}): {message}")
            }
        }
    }
}

impl std::error::Error for QuotaError {}

impl From<QuotaExhausted> for QuotaError {
    fn from(e: QuotaExhausted) -> Self {
        QuotaError::Exhausted(e)
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

/// One window's count, as reported by [`Ledger::status`].
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

/// The ledger: a store, the caps, and a clock. Clones share the store.
#[derive(Clone)]
pub struct Ledger {
    inner: Arc<Inner>,
}

struct Inner {
    store: Box<dyn Store>,
    kind: StoreKind,
    limits: QuotaLimits,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ledger")
            .field("store", &self.inner.kind)
            .field("limits", &self.inner.limits)
            .finish()
    }
}

impl Ledger {
    /// Opens the ledger stored at `url` (`memory:`, `sqlite:PATH`, `redis://host:port[/db]`),
    /// with the system clock.
    pub fn open(url: &str, limits: QuotaLimits) -> Result<Ledger, QuotaError> {
        Ledger::open_with_clock(url, limits, Arc::new(SystemClock))
    }

    /// Opens the ledger stored at `url`, reading the time from `clock`.
    ///
    /// - `memory:` (also the empty string): one table per process, shared by every ledger
    ///   opened with `memory:` in this process.
    /// - `sqlite:PATH` (`sqlite://PATH` and `sqlite:///abs/path` too): the file is created when
    ///   missing; journal mode WAL, `synchronous=NORMAL` (an entry survives the crash of any
    ///   process; the last entries may be lost if the machine loses power), busy timeout 10 s.
    /// - `redis://[:password@]host[:port][/db]`: connect timeout 2 s, read/write timeout 5 s;
    ///   `rediss://` for TLS (rustls; the server's certificate is checked against the
    ///   system's roots, or those of the file named by `SSL_CERT_FILE`).
    ///
    /// [`QuotaError::InvalidLimits`] when a cap is above [`QuotaLimits::MAX`].
    pub fn open_with_clock(
        url: &str,
        limits: QuotaLimits,
        clock: Arc<dyn Clock>,
    ) -> Result<Ledger, QuotaError> {
        limits.check()?;
        let (store, kind): (Box<dyn Store>, StoreKind) = match parse_store_url(url)? {
            StoreUrl::Memory => (
                Box::new(memory::MemoryStore::process_wide()),
                StoreKind::Memory,
            ),
            StoreUrl::Sqlite(path) => (
                Box::new(sqlite::SqliteStore::open(path)?),
                StoreKind::Sqlite,
            ),
            StoreUrl::Redis(url) => (
                Box::new(redis_store::RedisStore::open(url)?),
                StoreKind::Redis,
            ),
        };
        Ok(Ledger {
            inner: Arc::new(Inner {
                store,
                kind,
                limits,
                clock,
            }),
        })
    }

    /// The caps this ledger enforces.
    pub fn limits(&self) -> QuotaLimits {
        self.inner.limits
    }

    /// The kind of store.
    pub fn store_kind(&self) -> StoreKind {
        self.inner.kind
    }

    /// The ledger's clock, in Unix epoch seconds.
    pub fn now(&self) -> i64 {
        self.inner.clock.epoch_secs()
    }

    /// Reserves a slot for `action` by `user_id` (the authenticated user) of `app`, or refuses
    /// with [`QuotaError::Exhausted`] when a cap is reached. The entry is durable in the store
    /// when this returns `Ok`.
    pub fn reserve(
        &self,
        app: &AppId,
        user_id: &str,
        action: Action,
    ) -> Result<Reservation, QuotaError> {
        check_user_id(user_id)?;
        let now = self.now();
        let windows = Windows::for_action(&self.inner.limits, action, user_id);
        match self.inner.store.reserve(app, action, &windows, now)? {
            Ok(id) => Ok(Reservation {
                ledger: self.clone(),
                app: app.clone(),
                user_id: user_id.to_string(),
                action,
                id,
                stamp: now,
            }),
            Err(refusal) => Err(QuotaError::Exhausted(refusal)),
        }
    }

    /// Corrects the ledger from one of X's 24-hour windows seen on a response to `action` by
    /// `user_id`. Only ever lowers the room left: when X reports fewer remaining requests than
    /// the ledger's room (`cap - used`), the room is lowered until X's reset (one marker when
    /// X says 0 remain, else placeholder entries); otherwise nothing changes. A reset more than
    /// 24 hours ahead is taken as 24 hours ahead, and `limit` and `remaining` as at most
    /// [`QuotaLimits::MAX`]. Ignored (returns 0): a window whose cap is off here, a reset not
    /// in the future, `remaining > limit`, and a user window on an unfollow (there is no
    /// per-user unfollow cap). Returns the room taken.
    pub fn observe_server_window(
        &self,
        app: &AppId,
        user_id: &str,
        action: Action,
        server: ServerWindow,
    ) -> Result<u32, QuotaError> {
        check_user_id(user_id)?;
        let now = self.now();
        if server.reset <= now || server.remaining > server.limit {
            return Ok(0);
        }
        let reset = server.reset.min(now.saturating_add(WINDOW_SECS));
        let remaining = server.remaining.min(QuotaLimits::MAX);
        let limits = &self.inner.limits;
        let (window, cap) = match (action, server.scope) {
            (Action::Follow, Scope::User) => (user_window(user_id), limits.follows_per_user),
            (Action::Follow, Scope::App) => (APP_FOLLOWS.to_string(), limits.follows_per_app),
            (Action::Unfollow, Scope::App) => (APP_UNFOLLOWS.to_string(), limits.unfollows_per_app),
            (Action::Unfollow, Scope::User) => return Ok(0),
        };
        if cap == 0 {
            return Ok(0);
        }
        self.inner
            .store
            .correct(app, &window, cap, remaining, reset, now)
    }

    /// The counts for `user_id` of `app` now.
    pub fn status(&self, app: &AppId, user_id: &str) -> Result<QuotaStatus, QuotaError> {
        check_user_id(user_id)?;
        let now = self.now();
        let l = &self.inner.limits;
        let user = user_window(user_id);
        let states = self.inner.store.status(
            app,
            &[
                (user.as_str(), l.follows_per_user),
                (APP_FOLLOWS, l.follows_per_app),
                (APP_UNFOLLOWS, l.unfollows_per_app),
            ],
            now,
        )?;
        let w = |i: usize, limit: u32| {
            let s = states[i];
            WindowStatus {
                limit,
                used: s.used,
                remaining: (limit > 0).then(|| limit.saturating_sub(s.used)),
                next_free_at: s.next_free_at,
            }
        };
        let user = w(0, l.follows_per_user);
        let app_w = w(1, l.follows_per_app);
        let unf = w(2, l.unfollows_per_app);
        let next_free_at = match (user.next_free_at, app_w.next_free_at) {
            (None, None) => None,
            (a, b) => a.max(b),
        };
        Ok(QuotaStatus {
            at: now,
            user_used: user.used,
            user_remaining: user.remaining,
            app_used: app_w.used,
            app_remaining: app_w.remaining,
            unfollows_used: unf.used,
            unfollows_remaining: unf.remaining,
            next_free_at,
            unfollows_next_free_at: unf.next_free_at,
            user,
            app: app_w,
            unfollows: unf,
        })
    }
}

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

fn check_user_id(user_id: &str) -> Result<(), QuotaError> {
    let ok = !user_id.is_empty()
        && user_id.len() <= 64
        && user_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(QuotaError::InvalidUserId)
    }
}

/// A reserved slot. Send the request, then [`commit`](Reservation::commit) it, or
/// [`release`](Reservation::release) it when the request provably never reached X. Dropping it
/// keeps the slot counted, like `commit`.
#[must_use = "a reservation is counted until released; call commit() or release()"]
#[derive(Debug)]
pub struct Reservation {
    ledger: Ledger,
    app: AppId,
    user_id: String,
    action: Action,
    id: u64,
    stamp: i64,
}

impl Reservation {
    /// The action reserved.
    pub fn action(&self) -> Action {
        self.action
    }

    /// The user the slot was reserved for.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// When the slot was reserved (Unix epoch seconds).
    pub fn reserved_at(&self) -> i64 {
        self.stamp
    }

    /// When the slot frees (Unix epoch seconds): `reserved_at + 86400`.
    pub fn frees_at(&self) -> i64 {
        self.stamp + WINDOW_SECS
    }

    /// The entry's id in its store (unique per app and store).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Keeps the slot counted: the request was sent, or may have been.
    pub fn commit(self) {}

    /// Frees the slot: only when the request provably never reached X. On a store error the
    /// slot stays counted (the ledger over-counts, never under-counts).
    pub fn release(self) -> Result<(), QuotaError> {
        let windows = Windows::for_action(&self.ledger.inner.limits, self.action, &self.user_id);
        self.ledger
            .inner
            .store
            .release(&self.app, &windows, self.id, self.stamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_id_is_a_hash_and_never_the_key() {
        let a = AppId::from_key("xvz1evFS4wEEPTGEFPHBog");
        assert_eq!(a.as_str().len(), 32);
        assert!(a.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!a.as_str().contains("xvz1"));
        assert!(!format!("{a:?}").contains("xvz1"));
        assert_eq!(a, AppId::from_key("xvz1evFS4wEEPTGEFPHBog"));
        assert_ne!(a, AppId::from_key("xvz1evFS4wEEPTGEFPHBoh"));
    }

    #[test]
    fn user_ids_are_checked() {
        assert_eq!(check_user_id("1072250532645998596"), Ok(()));
        assert_eq!(check_user_id("worker_1-a"), Ok(()));
        assert_eq!(check_user_id(""), Err(QuotaError::InvalidUserId));
        assert_eq!(check_user_id("a:b"), Err(QuotaError::InvalidUserId));
        assert_eq!(check_user_id("{x}"), Err(QuotaError::InvalidUserId));
        assert_eq!(
            check_user_id(&"1".repeat(65)),
            Err(QuotaError::InvalidUserId)
        );
    }

    #[test]
    fn unknown_store_urls_are_refused_without_echoing_them() {
        let e = Ledger::open("postgres://u:secretpw@h/db", QuotaLimits::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid quota store URL: unknown scheme 'postgres': expected memory:, sqlite:PATH, redis://host:port[/db] or rediss://host:port[/db]"
        );
        let e = Ledger::open("sqlite:", QuotaLimits::default()).unwrap_err();
        assert!(matches!(e, QuotaError::InvalidUrl(_)));
    }

    #[test]
    fn refusal_message_names_scope_cap_and_time() {
        let e = QuotaExhausted {
            action: Action::Follow,
            scope: Scope::User,
            limit: 400,
            used: 400,
            next_free_at: 1_700_086_400,
        };
        assert_eq!(
            e.to_string(),
            "daily quota exhausted: 400 of 400 follows per 24 hours used by this user; next slot frees at 1700086400 (Unix time)"
        );
    }
}
