//! What every plan store provides, each operation atomic against every other process on the
//! same store. Times are Unix epoch milliseconds.

use super::intent::{Counts, Failure, IntentRecord, State};
use super::PlanError;
use crate::quota::StoreKind;

/// The most intents one plan holds.
pub const MAX_INTENTS: u64 = 1_000_000;

/// What [`Store::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Claim {
    /// An intent, now held under a lease: its key, the id its username was resolved to
    /// (if it was), and whether it was taken over from a runner whose lease expired.
    Intent {
        key: String,
        resolved: Option<String>,
        taken_over: bool,
    },
    /// The plan may send its next request at this time (pace, or a 429 / cap pause).
    NotBefore(i64),
    /// Nothing queued, but intents held by runners; the first lease ends at this time.
    Held(i64),
    /// Nothing queued, nothing held.
    Empty,
}

/// A pace slot a claim took (the plan's next request time it set) and the time to put back
/// when no follow or unfollow was sent for the intent after all: the next intent need not
/// wait. Put back only while no other claim has moved the time since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) taken: i64,
    pub(crate) back_to: i64,
}

pub(crate) trait Store: Send + Sync {
    fn kind(&self) -> StoreKind;

    /// Creates the plan for `source`; `Ok(false)` when it exists for the same source,
    /// [`PlanError::SourceMismatch`] for another.
    fn create(&self, plan: &str, source: &str) -> Result<bool, PlanError>;

    /// The plan's source user, `None` when there is no such plan.
    fn source(&self, plan: &str) -> Result<Option<String>, PlanError>;

    /// Adds the intents not in the plan yet (as queued, at the back); returns how many.
    /// [`PlanError::TooManyIntents`] when the plan would hold more than [`MAX_INTENTS`].
    fn add(&self, plan: &str, keys: &[String]) -> Result<u64, PlanError>;

    /// When `now` is not before the plan's next request time: takes the first intent whose
    /// lease ended, else the first queued one, holds it until `lease_until` and sets the
    /// plan's next request time to `next_at`.
    fn claim(
        &self,
        plan: &str,
        now: i64,
        lease_until: i64,
        next_at: i64,
    ) -> Result<Claim, PlanError>;

    /// Records the id an `@username` intent was resolved to.
    fn resolve(&self, plan: &str, key: &str, id: &str) -> Result<(), PlanError>;

    /// Ends an intent held under the claim whose lease ends at `lease` as `state` (with its
    /// failure), and gives `slot` back. Returns the counts after, or `None` when the intent
    /// is not held under that claim any more (its lease ended and another runner took it
    /// over, or finished it): then nothing changes.
    fn finish(
        &self,
        plan: &str,
        key: &str,
        lease: i64,
        state: State,
        failure: Option<&Failure>,
        slot: Option<Slot>,
    ) -> Result<Option<Counts>, PlanError>;

    /// Puts an intent held under the claim whose lease ends at `lease` back at the end of the
    /// queue (nothing when another runner took it over), gives `slot` back, and keeps the
    /// plan from sending before `not_before`.
    fn requeue(
        &self,
        plan: &str,
        key: &str,
        lease: i64,
        not_before: i64,
        slot: Option<Slot>,
    ) -> Result<(), PlanError>;

    fn status(&self, plan: &str) -> Result<Counts, PlanError>;

    /// Up to `limit` intents (any order).
    fn intents(&self, plan: &str, limit: usize) -> Result<Vec<IntentRecord>, PlanError>;

    /// Up to `limit` queued intents' keys, in the order they will be sent (held ones first).
    fn queued(&self, plan: &str, limit: usize) -> Result<Vec<String>, PlanError>;

    fn plans(&self) -> Result<Vec<String>, PlanError>;

    fn drop_plan(&self, plan: &str) -> Result<bool, PlanError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A runner whose lease ended and whose intent was taken over can neither finish nor put
    /// back that intent: only the runner holding it now can.
    fn a_late_runner_cannot_touch_an_intent_taken_over(s: &dyn Store, plan: &str) {
        s.create(plan, "1").unwrap();
        s.add(plan, &["10".to_string(), "11".to_string()]).unwrap();
        let Claim::Intent { key, .. } = s.claim(plan, 0, 1_000, 0).unwrap() else {
            panic!("nothing claimed")
        };
        assert_eq!(key, "10");
        // The lease ends at 1,000; at 1,500 another runner takes the intent over.
        let taken = s.claim(plan, 1_500, 2_500, 1_500).unwrap();
        assert_eq!(
            taken,
            Claim::Intent {
                key: "10".into(),
                resolved: None,
                taken_over: true
            }
        );
        s.requeue(plan, "10", 1_000, 0, None).unwrap();
        assert_eq!(
            s.finish(plan, "10", 1_000, State::Failed, None, None)
                .unwrap(),
            None
        );
        assert_eq!(
            s.queued(plan, 10).unwrap(),
            ["10", "11"],
            "still held, not queued twice"
        );
        let counts = s
            .finish(plan, "10", 2_500, State::Done, None, None)
            .unwrap();
        assert_eq!(
            counts,
            Some(Counts {
                queued: 1,
                done: 1,
                ..Counts::default()
            })
        );
        assert_eq!(s.queued(plan, 10).unwrap(), ["11"]);
    }

    #[test]
    fn leases_are_claim_tokens_in_memory() {
        let s = crate::plan::memory::MemoryStore::process_wide();
        a_late_runner_cannot_touch_an_intent_taken_over(&s, "lease-token-test");
    }

    #[test]
    fn leases_are_claim_tokens_in_sqlite() {
        let dir = std::env::temp_dir().join(format!(
            "xfollow-plan-lease-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("plans.db");
        let s = crate::plan::sqlite::SqliteStore::open(path.to_str().unwrap()).unwrap();
        a_late_runner_cannot_touch_an_intent_taken_over(&s, "p");
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
