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
    /// (if it was), whether it was taken over from a runner whose lease expired, the time
    /// its request may go (`at`), and the end of its lease (`at` plus the lease: the token
    /// of this claim).
    Intent {
        key: String,
        resolved: Option<String>,
        taken_over: bool,
        at: i64,
        lease: i64,
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

/// How a claim takes an intent: at `now`, to be sent at the plan's next request time or
/// `now`, whichever is later, provided that is not after `latest`. The intent is held until
/// its send time plus `lease`, and the plan's next request time becomes its send time plus
/// `gap` (the pace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Take {
    pub(crate) now: i64,
    /// `now` to send at once; later to hold the intent through a pace wait.
    pub(crate) latest: i64,
    pub(crate) lease: i64,
    pub(crate) gap: i64,
}

impl Take {
    /// The send time for a plan whose next request time is `next`, or `None` when that is
    /// after `latest` (and after `now`).
    pub(crate) fn send_at(&self, next: i64) -> Option<i64> {
        (next <= self.latest.max(self.now)).then_some(next.max(self.now))
    }
}

/// How [`Store::finish`] ends an intent: `key`, held under the claim whose lease ends at
/// `lease`, ends as `state` (with its failure), and `slot` is given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Finish<'a> {
    pub(crate) key: &'a str,
    pub(crate) lease: i64,
    pub(crate) state: State,
    pub(crate) failure: Option<&'a Failure>,
    pub(crate) slot: Option<Slot>,
}

impl<'a> Finish<'a> {
    /// Without a failure or a slot to give back.
    pub(crate) fn new(key: &'a str, lease: i64, state: State) -> Self {
        Finish {
            key,
            lease,
            state,
            failure: None,
            slot: None,
        }
    }
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

    /// When the plan's next request time allows it (see [`Take`]): takes the first intent
    /// whose lease ended, else the first queued one, holds it and moves the plan's next
    /// request time by the pace.
    fn claim(&self, plan: &str, take: Take) -> Result<Claim, PlanError>;

    /// Records the id an `@username` intent was resolved to.
    fn resolve(&self, plan: &str, key: &str, id: &str) -> Result<(), PlanError>;

    /// Ends an intent held under a claim (see [`Finish`]). Returns the counts after, or
    /// `None` when the intent is not held under that claim any more (its lease ended and
    /// another runner took it over, or finished it): then nothing changes.
    fn finish(&self, plan: &str, end: Finish<'_>) -> Result<Option<Counts>, PlanError>;

    /// [`finish`](Self::finish), then, in the same transaction and only when the finish
    /// applied, [`claim`](Self::claim) the plan's next intent: one round trip per intent in
    /// a steady run. `None` when the intent is not held under that claim (nothing changes,
    /// nothing is claimed).
    fn finish_and_claim(
        &self,
        plan: &str,
        end: Finish<'_>,
        take: Take,
    ) -> Result<Option<(Counts, Claim)>, PlanError>;

    /// Hands back an intent held under the claim whose lease ends at `lease` and not sent:
    /// queued again at the head of the queue, and `slot` given back (nothing when another
    /// runner took it over).
    fn release(
        &self,
        plan: &str,
        key: &str,
        lease: i64,
        slot: Option<Slot>,
    ) -> Result<(), PlanError>;

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
#[path = "../../tests/quota_support/mod.rs"]
mod quota_support;

#[cfg(test)]
mod tests {
    use super::*;

    /// A claim at `now` to send at once, with no pace.
    fn at_once(now: i64, lease: i64) -> Take {
        Take {
            now,
            latest: now,
            lease,
            gap: 0,
        }
    }

    fn intent(key: &str, taken_over: bool, at: i64, lease: i64) -> Claim {
        Claim::Intent {
            key: key.into(),
            resolved: None,
            taken_over,
            at,
            lease,
        }
    }

    fn counts(queued: u64, done: u64) -> Counts {
        Counts {
            queued,
            done,
            ..Counts::default()
        }
    }

    /// A runner whose lease ended and whose intent was taken over can neither finish nor put
    /// back that intent: only the runner holding it now can.
    fn a_late_runner_cannot_touch_an_intent_taken_over(s: &dyn Store, plan: &str) {
        s.create(plan, "1").unwrap();
        s.add(plan, &["10".to_string(), "11".to_string()]).unwrap();
        assert_eq!(
            s.claim(plan, at_once(0, 1_000)).unwrap(),
            intent("10", false, 0, 1_000)
        );
        // The lease ends at 1,000; at 1,500 another runner takes the intent over.
        let taken = s.claim(plan, at_once(1_500, 1_000)).unwrap();
        assert_eq!(taken, intent("10", true, 1_500, 2_500));
        s.requeue(plan, "10", 1_000, 0, None).unwrap();
        s.release(plan, "10", 1_000, None).unwrap();
        assert_eq!(
            s.finish(plan, Finish::new("10", 1_000, State::Failed))
                .unwrap(),
            None
        );
        assert_eq!(
            s.finish_and_claim(
                plan,
                Finish::new("10", 1_000, State::Failed),
                at_once(1_600, 1_000)
            )
            .unwrap(),
            None,
            "refused, and nothing claimed"
        );
        assert_eq!(
            s.queued(plan, 10).unwrap(),
            ["10", "11"],
            "still held, not queued twice"
        );
        assert_eq!(s.status(plan).unwrap(), counts(2, 0));
        let counts_after = s
            .finish(plan, Finish::new("10", 2_500, State::Done))
            .unwrap();
        assert_eq!(counts_after, Some(counts(1, 1)));
        assert_eq!(s.queued(plan, 10).unwrap(), ["11"]);
    }

    /// A plan of three intents paced 300 apart: the first claimed at 0, then sent and
    /// recorded at 100 in the call that claims the second, to go at 300 (the pace) and held
    /// until 1,300.
    fn first_done_and_second_claimed(s: &dyn Store, plan: &str) {
        s.create(plan, "1").unwrap();
        let keys: Vec<String> = ["10", "11", "12"].map(String::from).to_vec();
        s.add(plan, &keys).unwrap();
        let first = Take {
            gap: 300,
            ..at_once(0, 1_000)
        };
        assert_eq!(s.claim(plan, first).unwrap(), intent("10", false, 0, 1_000));
        // Sent and recorded at 100: the next goes at 300 (the pace), held until 1,300.
        let next = Take {
            now: 100,
            latest: 300,
            lease: 1_000,
            gap: 300,
        };
        assert_eq!(
            s.finish_and_claim(plan, Finish::new("10", 1_000, State::Done), next)
                .unwrap(),
            Some((counts(2, 1), intent("11", false, 300, 1_300)))
        );
    }

    /// One call records an intent and claims the next, held from the pace's time until the
    /// lease after it; a plan moved further by another runner is not claimed; the last
    /// intent's call finds the plan empty.
    fn finish_and_claim_records_and_claims_in_one_call(s: &dyn Store, plan: &str) {
        first_done_and_second_claimed(s, plan);
        // The plan's next request time is now 600: no other runner sends before.
        assert_eq!(
            s.claim(plan, at_once(200, 1_000)).unwrap(),
            Claim::NotBefore(600)
        );
        assert_eq!(
            s.status(plan).unwrap(),
            counts(2, 1),
            "held counts as queued"
        );
        // Another runner sends at 600, moving the time to 900; this runner's call at 650
        // expected 600 at the latest: it records, and claims nothing.
        assert_eq!(
            s.claim(
                plan,
                Take {
                    gap: 300,
                    ..at_once(600, 1_000)
                }
            )
            .unwrap(),
            intent("12", false, 600, 1_600)
        );
        assert_eq!(
            s.finish_and_claim(
                plan,
                Finish::new("11", 1_300, State::Done),
                Take {
                    now: 650,
                    latest: 600,
                    lease: 1_000,
                    gap: 300
                }
            )
            .unwrap(),
            Some((counts(1, 2), Claim::NotBefore(900)))
        );
        // The last intent: nothing queued or held after it.
        assert_eq!(
            s.finish_and_claim(
                plan,
                Finish::new("12", 1_600, State::Done),
                at_once(950, 1_000)
            )
            .unwrap(),
            Some((counts(0, 3), Claim::Empty))
        );
    }

    /// A claimed intent handed back unsent goes back to the head of the queue, and the plan's
    /// next request time back to the intent's send time; a stale token changes nothing.
    fn a_released_intent_is_next_again(s: &dyn Store, plan: &str) {
        first_done_and_second_claimed(s, plan);
        let slot = Slot {
            taken: 600,
            back_to: 300,
        };
        s.release(plan, "11", 1_299, Some(slot)).unwrap();
        assert_eq!(
            s.claim(plan, at_once(300, 1_000)).unwrap(),
            Claim::NotBefore(600),
            "a stale token: still held, the time unchanged"
        );
        s.release(plan, "11", 1_300, Some(slot)).unwrap();
        assert_eq!(s.queued(plan, 10).unwrap(), ["11", "12"]);
        assert_eq!(
            s.claim(plan, at_once(250, 1_000)).unwrap(),
            Claim::NotBefore(300)
        );
        assert_eq!(
            s.claim(plan, at_once(300, 1_000)).unwrap(),
            intent("11", false, 300, 1_300)
        );
        assert_eq!(s.status(plan).unwrap(), counts(2, 1));
    }

    fn check_all(s: &dyn Store, tag: &str) {
        a_late_runner_cannot_touch_an_intent_taken_over(s, &format!("{tag}-late"));
        finish_and_claim_records_and_claims_in_one_call(s, &format!("{tag}-ahead"));
        a_released_intent_is_next_again(s, &format!("{tag}-release"));
    }

    #[test]
    fn leases_are_claim_tokens_in_memory() {
        let s = crate::plan::memory::MemoryStore::process_wide();
        check_all(&s, "lease-token-test");
    }

    #[test]
    fn leases_are_claim_tokens_in_sqlite() {
        let dir = super::quota_support::TempDir::new("plan-lease");
        let path = dir.path().join("plans.db");
        let s = crate::plan::sqlite::SqliteStore::open(path.to_str().unwrap()).unwrap();
        check_all(&s, "p");
    }

    #[test]
    fn leases_are_claim_tokens_in_redis() {
        let server = super::quota_support::RedisServer::start();
        let s = crate::plan::redis::RedisStore::open(&server.url()).unwrap();
        check_all(&s, "p");
    }
}
