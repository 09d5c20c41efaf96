//! Follow plans: bulk follows and unfollows that are paced, durable, resumable and safe to
//! run from many processes at once. Design: `docs/plans.md`.
//!
//! A [`Plan`] is a named, durable list of [`Intent`]s (follow or unfollow one target) for
//! one source user, kept in a [`PlanStore`] (`memory:`, `sqlite:PATH`, `redis://`,
//! `rediss://`: the quota ledger's forms). A [`Runner`] executes plans with a
//! [`crate::Client`], at a [`Pace`], claiming each intent under a lease.

mod compute;
mod intent;
mod memory;
mod pace;
mod redis;
mod runner;
mod sqlite;
mod store;

pub use intent::{Counts, Failure, Intent, IntentRecord, State, Target};
pub use pace::{Pace, DEFAULT_JITTER};
pub use runner::{Progress, RunOptions, RunReport, Runner, Sleep, Stop};
pub use store::MAX_INTENTS;

use std::fmt;
use std::sync::Arc;

use crate::quota::{parse_store_url, QuotaError, StoreKind, StoreUrl};
use crate::validate;
use store::Store;

/// The longest plan name: 1 to 64 of `A-Z a-z 0-9 _ - .`.
pub const MAX_NAME_LEN: usize = 64;

/// Why a plan operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// A plan name that is empty, longer than [`MAX_NAME_LEN`], or not made of ASCII letters,
    /// digits, `_`, `-` and `.`.
    InvalidName,
    /// A target that is neither a user id (`^[0-9]{1,19}$`) nor `@username`
    /// (`^@[A-Za-z0-9_]{1,15}$`).
    InvalidTarget,
    /// A source user id that is not `^[0-9]{1,19}$`.
    InvalidSource,
    /// A pace that is not `N/hour` or `N/day` with a gap of at least 10 ms, or a jitter
    /// outside 0 to 1.
    InvalidPace,
    /// A run option out of range (the message says which).
    InvalidOption(String),
    /// The store URL is not one the quota ledger accepts.
    InvalidUrl(String),
    /// No plan of that name in the store.
    NoSuchPlan,
    /// A plan of that name exists for another source user.
    SourceMismatch,
    /// The client acts for another user than the plan's source.
    WrongClient,
    /// The plan would hold more than [`MAX_INTENTS`] intents.
    TooManyIntents,
    /// The store failed (I/O, lock timeout, connection lost).
    Store {
        /// Which store.
        kind: StoreKind,
        /// What failed, without the store's URL or credentials.
        message: String,
    },
    /// A request the plan needed (lookups, the client's own id) failed.
    Client(crate::error::Error),
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::InvalidName => write!(
                f,
                "invalid plan name: expected 1 to {MAX_NAME_LEN} ASCII letters, digits, '_', '-' or '.'"
            ),
            PlanError::InvalidTarget => f.write_str(
                "invalid target: expected a user id of 1 to 19 digits or @username (1 to 15 of A-Z, a-z, 0-9 and _)",
            ),
            PlanError::InvalidSource => {
                f.write_str("invalid source user id: expected 1 to 19 digits")
            }
            PlanError::InvalidPace => f.write_str(
                "invalid pace: expected N/hour (N up to 360000) or N/day (N up to 8640000), jitter 0 to 1",
            ),
            PlanError::InvalidOption(why) => write!(f, "invalid run option: {why}"),
            PlanError::InvalidUrl(why) => write!(f, "invalid plan store URL: {why}"),
            PlanError::NoSuchPlan => f.write_str("no such plan"),
            PlanError::SourceMismatch => {
                f.write_str("a plan of that name exists for another source user")
            }
            PlanError::WrongClient => {
                f.write_str("the client acts for another user than the plan's source")
            }
            PlanError::TooManyIntents => {
                write!(f, "a plan holds at most {MAX_INTENTS} intents")
            }
            PlanError::Store { kind, message } => {
                write!(f, "plan store error ({}): {message}", kind.name())
            }
            PlanError::Client(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for PlanError {}

impl From<QuotaError> for PlanError {
    fn from(e: QuotaError) -> Self {
        match e {
            QuotaError::InvalidUrl(why) => PlanError::InvalidUrl(why),
            QuotaError::Store { kind, message } => PlanError::Store { kind, message },
            other => PlanError::Store {
                kind: StoreKind::Memory,
                message: other.to_string(),
            },
        }
    }
}

impl From<crate::error::Error> for PlanError {
    fn from(e: crate::error::Error) -> Self {
        PlanError::Client(e)
    }
}

/// Checks a plan name: 1 to [`MAX_NAME_LEN`] of `A-Z a-z 0-9 _ - .`.
pub fn check_name(name: &str) -> Result<(), PlanError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(PlanError::InvalidName)
    }
}

/// Where plans are kept. Clones share the store.
#[derive(Clone)]
pub struct PlanStore {
    store: Arc<dyn Store>,
}

impl fmt::Debug for PlanStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlanStore")
            .field("kind", &self.store.kind())
            .finish()
    }
}

impl PlanStore {
    /// Opens the store at `url`, in the quota ledger's forms: `memory:` (this process),
    /// `sqlite:PATH` (every process of the machine; the ledger may share the file),
    /// `redis://[:password@]host[:port][/db]` or `rediss://` (every machine).
    pub fn open(url: &str) -> Result<PlanStore, PlanError> {
        let store: Arc<dyn Store> = match parse_store_url(url)? {
            StoreUrl::Memory => Arc::new(memory::MemoryStore::process_wide()),
            StoreUrl::Sqlite(path) => Arc::new(sqlite::SqliteStore::open(path)?),
            StoreUrl::Redis(url) => Arc::new(redis::RedisStore::open(url)?),
        };
        Ok(PlanStore { store })
    }

    /// The kind of store.
    pub fn kind(&self) -> StoreKind {
        self.store.kind()
    }

    /// Creates plan `name` for the source user `source_user_id`, or opens it when it exists
    /// for the same user ([`PlanError::SourceMismatch`] for another).
    pub fn create(&self, name: &str, source_user_id: &str) -> Result<Plan, PlanError> {
        check_name(name)?;
        if !validate::is_user_id(source_user_id) {
            return Err(PlanError::InvalidSource);
        }
        self.store.create(name, source_user_id)?;
        Ok(Plan {
            store: self.clone(),
            name: name.to_string(),
            source: source_user_id.to_string(),
        })
    }

    /// Opens an existing plan ([`PlanError::NoSuchPlan`] when there is none).
    pub fn plan(&self, name: &str) -> Result<Plan, PlanError> {
        check_name(name)?;
        let source = self.store.source(name)?.ok_or(PlanError::NoSuchPlan)?;
        Ok(Plan {
            store: self.clone(),
            name: name.to_string(),
            source,
        })
    }

    /// The names of every plan in the store, sorted.
    pub fn plans(&self) -> Result<Vec<String>, PlanError> {
        self.store.plans()
    }

    /// Deletes plan `name` and its intents; `false` when there was none.
    pub fn drop_plan(&self, name: &str) -> Result<bool, PlanError> {
        check_name(name)?;
        self.store.drop_plan(name)
    }
}

/// A named plan of one source user. Cheap to clone; every method reads or writes the store.
#[derive(Clone, Debug)]
pub struct Plan {
    store: PlanStore,
    name: String,
    source: String,
}

impl Plan {
    /// The plan's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The source user's id.
    pub fn source_user_id(&self) -> &str {
        &self.source
    }

    /// Adds intents; those already in the plan (same action and target as written) are kept
    /// once. Returns how many were new.
    pub fn add(&self, intents: &[Intent]) -> Result<u64, PlanError> {
        let keys: Vec<String> = intents.iter().map(Intent::key).collect();
        self.store.store.add(&self.name, &keys)
    }

    /// Adds a follow of each target (`123` or `@name`); see [`add`](Self::add).
    pub fn follow(&self, targets: &[&str]) -> Result<u64, PlanError> {
        let v = targets
            .iter()
            .map(|t| Intent::follow(t))
            .collect::<Result<Vec<_>, _>>()?;
        self.add(&v)
    }

    /// Adds an unfollow of each target (`123` or `@name`); see [`add`](Self::add).
    pub fn unfollow(&self, targets: &[&str]) -> Result<u64, PlanError> {
        let v = targets
            .iter()
            .map(|t| Intent::unfollow(t))
            .collect::<Result<Vec<_>, _>>()?;
        self.add(&v)
    }

    /// The counts by state, as stored now (any process sees the same).
    pub fn status(&self) -> Result<Counts, PlanError> {
        self.store.store.status(&self.name)
    }

    /// Every intent with its state (at most [`MAX_INTENTS`]), in no set order.
    pub fn intents(&self) -> Result<Vec<IntentRecord>, PlanError> {
        self.store.store.intents(&self.name, MAX_INTENTS as usize)
    }

    /// What a run would send, in order: up to `limit` queued intents (nothing is sent, no
    /// state changes).
    pub fn dry_run(&self, limit: usize) -> Result<Vec<Intent>, PlanError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .store
            .queued(&self.name, limit)?
            .iter()
            .filter_map(|k| Intent::from_key(k))
            .collect())
    }

    /// For benchmarks: the store's work around `n` requests, without the requests, as a
    /// runner does it (no pace): one claim, then one call per intent that records it done
    /// and claims the next, the last one recording only. Returns how many were recorded.
    #[doc(hidden)]
    pub fn bookkeeping_rounds(&self, n: u64, now_ms: i64) -> Result<u64, PlanError> {
        if n == 0 {
            return Ok(0);
        }
        let take = store::Take {
            now: now_ms,
            latest: now_ms,
            lease: 60_000,
            gap: 0,
        };
        let mut claim = self.raw().claim(&self.name, take)?;
        let mut done = 0;
        while let store::Claim::Intent { key, lease, .. } = claim {
            done += 1;
            if done == n {
                self.raw()
                    .finish(&self.name, store::Finish::new(&key, lease, State::Done))?;
                break;
            }
            let end = store::Finish::new(&key, lease, State::Done);
            match self.raw().finish_and_claim(&self.name, end, take)? {
                Some((_, next)) => claim = next,
                None => break,
            }
        }
        Ok(done)
    }

    pub(crate) fn raw(&self) -> &Arc<dyn Store> {
        &self.store.store
    }
}
