//! Why the ledger refused a slot or could not answer.

use std::fmt;

use super::{Action, Scope, StoreKind};

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
    /// A cap above [`QuotaLimits::MAX`](super::QuotaLimits::MAX).
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
                write!(f, "quota store error ({}): {message}", kind.name())
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
