//! [`Reservation`]: one reserved slot, committed or released.

use super::store::Windows;
use super::{Action, AppId, Ledger, QuotaError, WINDOW_SECS};

/// A reserved slot. Send the request, then [`commit`](Reservation::commit) it, or
/// [`release`](Reservation::release) it when the request provably never reached X. Dropping it
/// keeps the slot counted, like `commit`.
#[must_use = "a reservation is counted until released; call commit() or release()"]
#[derive(Debug)]
pub struct Reservation {
    pub(super) ledger: Ledger,
    pub(super) app: AppId,
    pub(super) user_id: String,
    pub(super) action: Action,
    pub(super) id: u64,
    pub(super) stamp: i64,
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
