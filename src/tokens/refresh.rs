//! Keeping an OAuth 2.0 token set alive: single-flight refresh across threads and, with a
//! [`TokenStore`], across processes.
//!
//! X's refresh tokens rotate and are single-use: each refresh returns a new refresh token and
//! the old one then fails with `invalid_request`. Two refreshes with the same refresh token
//! therefore log the user out. A [`Refresher`] makes sure that never happens:
//!
//! - Within a process, at most one refresh is in flight per `Refresher`; every other thread
//!   that needs a token waits for that refresh and takes its result (the new token, or its
//!   error).
//! - With a store, the refresh runs under the store's exclusive file lock: the store is
//!   re-read, and if another process already rotated the set, the stored set is adopted without
//!   refreshing. Otherwise the refresh runs, the persist callback gets the new set, the store is
//!   written atomically, and only then is the lock released and the new token used.
//! - A refresh the provider refused (for example a revoked refresh token) is reported with the
//!   provider's message and is not tried again: every later call returns the same error at
//!   once, until [`Refresher::replace`] installs a new token set. Transient failures (network,
//!   5xx) are returned to the callers waiting for that attempt; the next call tries again.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{Error, Secret, TokenSet, TokenStore};

/// Refresh this long before `expires_at` unless told otherwise.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(60);

/// How many used refresh tokens (as SHA-256 digests) a refresher remembers.
const CONSUMED_MEMORY: usize = 16;

/// The refresh function: given the refresh token, return the new token set (in phase with
/// X's answer: `expires_at` absolute). An `Err` is handed to the callers as is.
pub type RefreshFn = dyn Fn(&Secret) -> Result<TokenSet, Error> + Send + Sync;

/// The persist callback: called with every new token set before it is used. An `Err` message
/// is reported once (as [`Error::Persist`]) but the new set is kept and used: the old refresh
/// token is already spent. It runs while the refresh is in flight, so it must not call
/// [`Refresher::access_token`] or [`Refresher::after_unauthorized`] on the same refresher
/// (such a call returns [`Error::InvalidArgument`] instead of waiting for itself);
/// [`Refresher::token_set`] is fine.
pub type PersistFn = dyn Fn(&TokenSet) -> Result<(), String> + Send + Sync;

/// Counters of what a refresher did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RefreshStats {
    /// Successful calls of the refresh function.
    pub refreshes: u64,
    /// Sets taken from the store because another process had rotated them.
    pub adoptions: u64,
    /// Failed refresh attempts.
    pub failures: u64,
}

struct State {
    tokens: TokenSet,
    in_flight: bool,
    /// The thread running the refresh in flight.
    leader: Option<std::thread::ThreadId>,
    /// Bumped when a refresh attempt ends.
    generation: u64,
    /// Outcome of the attempt that ended last.
    last: Result<(), Error>,
    /// A permanent failure: returned until `replace`.
    failed: Option<Error>,
    /// Digests of refresh tokens this refresher spent.
    consumed: VecDeque<[u8; 32]>,
    stats: RefreshStats,
}

struct Inner {
    state: Mutex<State>,
    done: Condvar,
    refresh: Box<RefreshFn>,
    persist: Option<Box<PersistFn>>,
    store: Option<TokenStore>,
    margin_secs: u64,
}

/// A thread-safe holder of an OAuth 2.0 token set that refreshes it shortly before expiry and
/// once after a 401. Cheap to clone (clones share the state).
#[derive(Clone)]
pub struct Refresher {
    inner: Arc<Inner>,
}

impl fmt::Debug for Refresher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.inner.lock();
        f.debug_struct("Refresher")
            .field("tokens", &st.tokens)
            .field("margin_secs", &self.inner.margin_secs)
            .field("store", &self.inner.store)
            .field("failed", &st.failed)
            .field("stats", &st.stats)
            .finish()
    }
}

/// Builds a [`Refresher`].
pub struct RefresherBuilder {
    tokens: TokenSet,
    refresh: Box<RefreshFn>,
    margin: Duration,
    persist: Option<Box<PersistFn>>,
    store: Option<TokenStore>,
}

impl fmt::Debug for RefresherBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefresherBuilder")
            .field("tokens", &self.tokens)
            .field("margin", &self.margin)
            .field("persist", &self.persist.is_some())
            .field("store", &self.store)
            .finish()
    }
}

impl RefresherBuilder {
    /// Refresh when `expires_at - margin <= now` (default [`DEFAULT_MARGIN`]; whole seconds).
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Calls `persist` with each new token set before it is used.
    pub fn on_refresh(
        mut self,
        persist: impl Fn(&TokenSet) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.persist = Some(Box::new(persist));
        self
    }

    /// Shares the token set with other processes through `store` (see the module
    /// documentation). The store is the source of truth: at each refresh, a stored set that
    /// differs from the one held is taken as the newer one (unless it holds a refresh token
    /// this refresher already spent, which means writing the store failed after a refresh), so
    /// a process that starts with an old set catches up. Expiry times are not compared: token
    /// lifetimes may differ from one answer to the next. After a new login, save the new set
    /// with [`TokenStore::save`] before building, or build with [`Refresher::from_store`].
    pub fn store(mut self, store: TokenStore) -> Self {
        self.store = Some(store);
        self
    }

    /// The refresher.
    pub fn build(self) -> Refresher {
        Refresher {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    tokens: self.tokens,
                    in_flight: false,
                    leader: None,
                    generation: 0,
                    last: Ok(()),
                    failed: None,
                    consumed: VecDeque::new(),
                    stats: RefreshStats::default(),
                }),
                done: Condvar::new(),
                refresh: self.refresh,
                persist: self.persist,
                store: self.store,
                margin_secs: self.margin.as_secs(),
            }),
        }
    }
}

#[derive(Clone, Copy)]
enum Trigger<'a> {
    Expiry(u64),
    Unauthorized(&'a str),
}

struct Done {
    tokens: TokenSet,
    refreshed: bool,
    spent: Option<[u8; 32]>,
    side_error: Option<Error>,
}

fn digest(s: &Secret) -> [u8; 32] {
    Sha256::digest(s.expose().as_bytes()).into()
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, g: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.done.wait(g).unwrap_or_else(|e| e.into_inner())
    }

    fn still_needed(&self, set: &TokenSet, trigger: Trigger<'_>) -> bool {
        match trigger {
            Trigger::Expiry(now) => set.needs_refresh(now, self.margin_secs),
            Trigger::Unauthorized(failed) => set.access_token.expose() == failed,
        }
    }

    /// Calls the refresh function with `base`'s refresh token and the persist callback.
    fn refresh_from(&self, base: &TokenSet) -> Result<Done, Error> {
        let rt = base.refresh_token.clone().ok_or(Error::NoRefreshToken)?;
        let mut new = (self.refresh)(&rt)?;
        if new.refresh_token.is_none() {
            // The server did not rotate: the old refresh token stays valid (RFC 6749 §6).
            new.refresh_token = Some(rt.clone());
        }
        if new.scopes.is_empty() {
            new.scopes = base.scopes.clone();
        }
        let spent = (new.refresh_token.as_ref() != Some(&rt)).then(|| digest(&rt));
        let side_error = self
            .persist
            .as_ref()
            .and_then(|p| p(&new).err())
            .map(Error::Persist);
        Ok(Done {
            tokens: new,
            refreshed: true,
            spent,
            side_error,
        })
    }

    fn run(
        &self,
        current: TokenSet,
        consumed: &VecDeque<[u8; 32]>,
        trigger: Trigger<'_>,
    ) -> Result<Done, Error> {
        let Some(store) = &self.store else {
            return self.refresh_from(&current);
        };
        let mut done: Option<Done> = None;
        let res = store.with_lock(|stored| {
            let base = match stored {
                Some(s) if !s.same_tokens(&current) => {
                    let spent_by_us = s
                        .refresh_token
                        .as_ref()
                        .is_some_and(|r| consumed.contains(&digest(r)));
                    if spent_by_us {
                        current.clone()
                    } else {
                        if !self.still_needed(&s, trigger) {
                            done = Some(Done {
                                tokens: s,
                                refreshed: false,
                                spent: None,
                                side_error: None,
                            });
                            return Ok((None, ()));
                        }
                        s
                    }
                }
                _ => current.clone(),
            };
            let d = self.refresh_from(&base)?;
            let to_write = d.tokens.clone();
            done = Some(d);
            Ok((Some(to_write), ()))
        });
        match (res, done) {
            (Ok(()), Some(d)) => Ok(d),
            // The refresh worked but the store write failed: the old refresh token is spent,
            // so keep the new set and report the store error once.
            (Err(e), Some(mut d)) if d.refreshed => {
                d.side_error.get_or_insert(e);
                Ok(d)
            }
            (Err(e), _) => Err(e),
            (Ok(()), None) => Err(Error::Internal("store update produced no token set".into())),
        }
    }
}

/// Ends a flight if the refresh function panics, so that waiting threads do not hang.
struct FlightGuard<'a> {
    inner: &'a Inner,
    armed: bool,
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut st = self.inner.lock();
            st.in_flight = false;
            st.leader = None;
            st.generation += 1;
            st.last = Err(Error::Internal("the refresh function panicked".into()));
            st.stats.failures += 1;
            drop(st);
            self.inner.done.notify_all();
        }
    }
}

impl Refresher {
    /// Starts building a refresher for `tokens` that refreshes with `refresh`.
    pub fn builder(
        tokens: TokenSet,
        refresh: impl Fn(&Secret) -> Result<TokenSet, Error> + Send + Sync + 'static,
    ) -> RefresherBuilder {
        RefresherBuilder {
            tokens,
            refresh: Box::new(refresh),
            margin: DEFAULT_MARGIN,
            persist: None,
            store: None,
        }
    }

    /// Starts building a refresher from the set held in `store` (which it then uses).
    pub fn from_store(
        store: TokenStore,
        refresh: impl Fn(&Secret) -> Result<TokenSet, Error> + Send + Sync + 'static,
    ) -> Result<RefresherBuilder, Error> {
        let tokens = store.load()?.ok_or_else(|| Error::Store {
            path: store.path().to_path_buf(),
            message: "the store holds no token set yet".into(),
        })?;
        Ok(Self::builder(tokens, refresh).store(store))
    }

    /// All parts at once: `Refresher::new(set, margin, refresh, persist, store)`.
    pub fn new(
        tokens: TokenSet,
        margin: Duration,
        refresh: impl Fn(&Secret) -> Result<TokenSet, Error> + Send + Sync + 'static,
        persist: Option<Box<PersistFn>>,
        store: Option<TokenStore>,
    ) -> Self {
        let mut b = Self::builder(tokens, refresh).margin(margin);
        b.persist = persist;
        b.store = store;
        b.build()
    }

    /// The access token to use at `now` (seconds since the epoch), refreshing first when
    /// `expires_at - margin <= now`. If a refresh is already in flight, waits for it and
    /// returns its result.
    pub fn access_token(&self, now: u64) -> Result<Secret, Error> {
        let inner = &*self.inner;
        let st = inner.lock();
        if let Some(e) = &st.failed {
            return Err(e.clone());
        }
        if !st.tokens.needs_refresh(now, inner.margin_secs) {
            return Ok(st.tokens.access_token.clone());
        }
        let st = match self.wait_for_flight(st) {
            Ok(result) => return result,
            Err(st) => st,
        };
        self.lead(st, Trigger::Expiry(now))
    }

    /// [`Refresher::access_token`] at the system clock's now.
    pub fn access_token_now(&self) -> Result<Secret, Error> {
        self.access_token(super::unix_now())
    }

    /// Call after the API answered 401 to a request sent with `failed_access_token`.
    /// Refreshes at most once for that token: if the held token is already another one
    /// (another thread refreshed meanwhile), returns it without refreshing. Retry the request
    /// once with the returned token; if that gets a 401 too, give up (do not loop).
    pub fn after_unauthorized(&self, failed_access_token: &str) -> Result<Secret, Error> {
        let inner = &*self.inner;
        let st = inner.lock();
        if st.tokens.access_token.expose() != failed_access_token {
            return Ok(st.tokens.access_token.clone());
        }
        if let Some(e) = &st.failed {
            return Err(e.clone());
        }
        let st = match self.wait_for_flight(st) {
            Ok(result) => return result,
            Err(st) => st,
        };
        if st.tokens.access_token.expose() != failed_access_token {
            return Ok(st.tokens.access_token.clone());
        }
        self.lead(st, Trigger::Unauthorized(failed_access_token))
    }

    /// A copy of the token set held now.
    pub fn token_set(&self) -> TokenSet {
        self.inner.lock().tokens.clone()
    }

    /// Installs a new token set (for example after the user logged in again) and clears a
    /// permanent failure. Waits for a refresh in flight to end first. Does not write the store:
    /// use [`TokenStore::save`] for that.
    pub fn replace(&self, tokens: TokenSet) {
        let mut st = self.inner.lock();
        while st.in_flight && st.leader != Some(std::thread::current().id()) {
            st = self.inner.wait(st);
        }
        st.tokens = tokens;
        st.failed = None;
    }

    /// What this refresher did so far.
    pub fn stats(&self) -> RefreshStats {
        self.inner.lock().stats
    }

    /// The refresh margin in seconds.
    pub fn margin_secs(&self) -> u64 {
        self.inner.margin_secs
    }

    /// If a refresh is in flight, waits for it and returns `Ok(its result)`; otherwise gives
    /// the guard back.
    #[allow(clippy::type_complexity)]
    fn wait_for_flight<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
    ) -> Result<Result<Secret, Error>, MutexGuard<'a, State>> {
        if !st.in_flight {
            return Err(st);
        }
        if st.leader == Some(std::thread::current().id()) {
            // Called from the refresh function or the persist callback: waiting would hang.
            return Ok(Err(Error::InvalidArgument(
                "the refresher was called from its own refresh function or persist callback".into(),
            )));
        }
        let generation = st.generation;
        while st.in_flight {
            st = self.inner.wait(st);
        }
        if st.generation == generation {
            return Err(st);
        }
        Ok(match &st.last {
            Ok(()) => Ok(st.tokens.access_token.clone()),
            Err(e) => Err(e.clone()),
        })
    }

    fn lead(&self, mut st: MutexGuard<'_, State>, trigger: Trigger<'_>) -> Result<Secret, Error> {
        let inner = &*self.inner;
        st.in_flight = true;
        st.leader = Some(std::thread::current().id());
        let current = st.tokens.clone();
        let consumed = st.consumed.clone();
        drop(st);

        let mut guard = FlightGuard { inner, armed: true };
        let result = inner.run(current, &consumed, trigger);
        guard.armed = false;

        let mut st = inner.lock();
        st.in_flight = false;
        st.leader = None;
        st.generation += 1;
        let ret = match result {
            Ok(done) => {
                if done.refreshed {
                    st.stats.refreshes += 1;
                } else {
                    st.stats.adoptions += 1;
                }
                if let Some(h) = done.spent {
                    st.consumed.push_back(h);
                    while st.consumed.len() > CONSUMED_MEMORY {
                        st.consumed.pop_front();
                    }
                }
                st.tokens = done.tokens;
                st.failed = None;
                st.last = Ok(());
                match done.side_error {
                    Some(e) => Err(e),
                    None => Ok(st.tokens.access_token.clone()),
                }
            }
            Err(e) => {
                st.stats.failures += 1;
                if e.is_permanent() {
                    st.failed = Some(e.clone());
                }
                st.last = Err(e.clone());
                Err(e)
            }
        };
        drop(st);
        inner.done.notify_all();
        ret
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn set(n: usize, expires_at: u64) -> TokenSet {
        TokenSet::new(
            format!("acc-{n}"),
            Some(Secret::new(format!("ref-{n}"))),
            Some(expires_at),
            vec![],
        )
    }

    /// After a refresh whose store write failed, the store still holds the set whose refresh
    /// token this refresher spent: it must not be adopted back.
    #[test]
    fn a_stale_store_holding_a_spent_token_is_not_adopted() {
        let dir = std::env::temp_dir().join(format!("xfollow-stale-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = TokenStore::new(dir.join("tokens.json"));
        store.save(&set(0, 500)).unwrap();
        let used = Arc::new(Mutex::new(Vec::new()));
        let calls = Arc::new(AtomicUsize::new(0));
        let (u, c) = (used.clone(), calls.clone());
        let r = Refresher::builder(set(1, 900), move |rt: &Secret| {
            u.lock().unwrap().push(rt.expose().to_owned());
            c.fetch_add(1, Ordering::SeqCst);
            Ok(set(2, 9000))
        })
        .store(store.clone())
        .build();
        r.inner
            .lock()
            .consumed
            .push_back(digest(&Secret::new("ref-0")));
        assert_eq!(r.access_token(1000).unwrap().expose(), "acc-2");
        assert_eq!(*used.lock().unwrap(), vec!["ref-1".to_owned()]);
        assert_eq!(store.load().unwrap(), Some(set(2, 9000)));
        assert_eq!(r.stats().adoptions, 0);
        // The spent token is remembered, bounded.
        let st = r.inner.lock();
        assert_eq!(st.consumed.len(), 2);
        assert_eq!(st.consumed.back(), Some(&digest(&Secret::new("ref-1"))));
        drop(st);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn spent_tokens_memory_is_bounded() {
        let n = Arc::new(AtomicUsize::new(0));
        let n2 = n.clone();
        let r = Refresher::builder(set(0, 0), move |_rt: &Secret| {
            let k = n2.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(set(k, 0))
        })
        .margin(Duration::ZERO)
        .build();
        for k in 1..=40 {
            let failed = format!("acc-{}", k - 1);
            assert_eq!(
                r.after_unauthorized(&failed).unwrap().expose(),
                format!("acc-{k}")
            );
        }
        assert_eq!(r.inner.lock().consumed.len(), CONSUMED_MEMORY);
        assert_eq!(r.stats().refreshes, 40);
    }
}
