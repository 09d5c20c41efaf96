//! [`Ledger`]: a store, the caps and a clock; reserves slots and reports counts.

use std::fmt;
use std::sync::Arc;

use super::store::{
    parse_store_url, user_window, Store, StoreUrl, Windows, APP_FOLLOWS, APP_UNFOLLOWS,
};
use super::{memory, redis_store, sqlite};
use super::{
    Action, AppId, QuotaError, QuotaLimits, QuotaStatus, Reservation, ServerWindow, StoreKind,
    WindowStatus, WINDOW_SECS,
};
use crate::clock::{Clock, SystemClock};

/// The ledger: a store, the caps, and a clock. Clones share the store.
#[derive(Clone)]
pub struct Ledger {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) store: Box<dyn Store>,
    kind: StoreKind,
    pub(super) limits: QuotaLimits,
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
        let Some((window, cap)) = Windows::one(limits, action, server.scope, user_id) else {
            return Ok(0);
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
        // None (free now) sorts below any time.
        let next_free_at = user.next_free_at.max(app_w.next_free_at);
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

pub(super) fn check_user_id(user_id: &str) -> Result<(), QuotaError> {
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
