//! `memory:`: plans in this process only, shared by every `memory:` plan store in it.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::intent::{Counts, Failure, Intent, IntentRecord, State};
use super::store::{Claim, Finish, Slot, Store, Take, MAX_INTENTS};
use super::PlanError;
use crate::quota::StoreKind;

struct Rec {
    state: State,
    resolved: Option<String>,
    failure: Option<Failure>,
}

struct MemPlan {
    source: String,
    next_at: i64,
    intents: HashMap<String, Rec>,
    queue: VecDeque<String>,
    /// key -> lease end, for held intents.
    held: BTreeMap<String, i64>,
    counts: Counts,
}

impl MemPlan {
    fn take(&mut self, t: Take) -> Result<Claim, PlanError> {
        let Some(at) = t.send_at(self.next_at) else {
            return Ok(Claim::NotBefore(self.next_at));
        };
        let expired = self
            .held
            .iter()
            .filter(|(_, &l)| l <= t.now)
            .min_by_key(|(_, &l)| l)
            .map(|(k, _)| k.clone());
        let (key, taken_over) = match expired {
            Some(k) => (k, true),
            None => match self.queue.pop_front() {
                Some(k) => (k, false),
                None => {
                    return Ok(match self.held.values().min() {
                        Some(&l) => Claim::Held(l),
                        None => Claim::Empty,
                    })
                }
            },
        };
        let lease = at.saturating_add(t.lease);
        self.held.insert(key.clone(), lease);
        self.next_at = at.saturating_add(t.gap);
        // Every queued or held key has its record: only dropping the plan removes one.
        Ok(Claim::Intent {
            resolved: self.intents.get(&key).and_then(|r| r.resolved.clone()),
            key,
            taken_over,
            at,
            lease,
        })
    }

    fn finish(&mut self, end: Finish<'_>) -> Option<Counts> {
        if self.held.get(end.key) != Some(&end.lease) {
            return None;
        }
        self.held.remove(end.key);
        self.give_back(end.slot);
        if let Some(r) = self.intents.get_mut(end.key) {
            r.state = end.state;
            r.failure = end.failure.cloned();
        }
        self.counts.bump(State::Queued, -1);
        self.counts.bump(end.state, 1);
        Some(self.counts)
    }

    fn give_back(&mut self, slot: Option<Slot>) {
        if let Some(s) = slot.filter(|s| s.taken == self.next_at) {
            self.next_at = s.back_to;
        }
    }
}

#[derive(Clone)]
pub(crate) struct MemoryStore {
    plans: Arc<Mutex<HashMap<String, MemPlan>>>,
}

impl MemoryStore {
    pub(crate) fn process_wide() -> MemoryStore {
        static PLANS: OnceLock<MemoryStore> = OnceLock::new();
        PLANS
            .get_or_init(|| MemoryStore {
                plans: Arc::new(Mutex::new(HashMap::new())),
            })
            .clone()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, MemPlan>> {
        self.plans.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn get<'a>(m: &'a mut HashMap<String, MemPlan>, plan: &str) -> Result<&'a mut MemPlan, PlanError> {
    m.get_mut(plan).ok_or(PlanError::NoSuchPlan)
}

impl Store for MemoryStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Memory
    }

    fn create(&self, plan: &str, source: &str) -> Result<bool, PlanError> {
        let mut m = self.lock();
        if let Some(p) = m.get(plan) {
            return if p.source == source {
                Ok(false)
            } else {
                Err(PlanError::SourceMismatch)
            };
        }
        m.insert(
            plan.to_string(),
            MemPlan {
                source: source.to_string(),
                next_at: 0,
                intents: HashMap::new(),
                queue: VecDeque::new(),
                held: BTreeMap::new(),
                counts: Counts::default(),
            },
        );
        Ok(true)
    }

    fn source(&self, plan: &str) -> Result<Option<String>, PlanError> {
        Ok(self.lock().get(plan).map(|p| p.source.clone()))
    }

    fn add(&self, plan: &str, keys: &[String]) -> Result<u64, PlanError> {
        let mut m = self.lock();
        let p = get(&mut m, plan)?;
        let new: std::collections::HashSet<&String> = keys
            .iter()
            .filter(|k| !p.intents.contains_key(*k))
            .collect();
        if (p.intents.len() as u64).saturating_add(new.len() as u64) > MAX_INTENTS {
            return Err(PlanError::TooManyIntents);
        }
        let mut n = 0;
        for k in keys {
            if !p.intents.contains_key(k) {
                p.intents.insert(
                    k.clone(),
                    Rec {
                        state: State::Queued,
                        resolved: None,
                        failure: None,
                    },
                );
                p.queue.push_back(k.clone());
                n += 1;
            }
        }
        p.counts.queued += n;
        Ok(n)
    }

    fn claim(&self, plan: &str, take: Take) -> Result<Claim, PlanError> {
        let mut m = self.lock();
        get(&mut m, plan)?.take(take)
    }

    fn resolve(&self, plan: &str, key: &str, id: &str) -> Result<(), PlanError> {
        let mut m = self.lock();
        if let Some(r) = get(&mut m, plan)?.intents.get_mut(key) {
            r.resolved = Some(id.to_string());
        }
        Ok(())
    }

    fn finish(&self, plan: &str, end: Finish<'_>) -> Result<Option<Counts>, PlanError> {
        let mut m = self.lock();
        Ok(get(&mut m, plan)?.finish(end))
    }

    fn finish_and_claim(
        &self,
        plan: &str,
        end: Finish<'_>,
        take: Take,
    ) -> Result<Option<(Counts, Claim)>, PlanError> {
        let mut m = self.lock();
        let p = get(&mut m, plan)?;
        let Some(counts) = p.finish(end) else {
            return Ok(None);
        };
        Ok(Some((counts, p.take(take)?)))
    }

    fn release(
        &self,
        plan: &str,
        key: &str,
        lease: i64,
        slot: Option<Slot>,
    ) -> Result<(), PlanError> {
        let mut m = self.lock();
        let p = get(&mut m, plan)?;
        if p.held.get(key) == Some(&lease) {
            p.held.remove(key);
            p.give_back(slot);
            p.queue.push_front(key.to_string());
        }
        Ok(())
    }

    fn requeue(
        &self,
        plan: &str,
        key: &str,
        lease: i64,
        not_before: i64,
        slot: Option<Slot>,
    ) -> Result<(), PlanError> {
        let mut m = self.lock();
        let p = get(&mut m, plan)?;
        p.give_back(slot);
        if p.held.get(key) == Some(&lease) {
            p.held.remove(key);
            p.queue.push_back(key.to_string());
        }
        p.next_at = p.next_at.max(not_before);
        Ok(())
    }

    fn status(&self, plan: &str) -> Result<Counts, PlanError> {
        let mut m = self.lock();
        Ok(get(&mut m, plan)?.counts)
    }

    fn intents(&self, plan: &str, limit: usize) -> Result<Vec<IntentRecord>, PlanError> {
        let mut m = self.lock();
        let p = get(&mut m, plan)?;
        Ok(p.intents
            .iter()
            .filter_map(|(k, r)| {
                Some(IntentRecord {
                    intent: Intent::from_key(k)?,
                    state: r.state,
                    resolved_id: r.resolved.clone(),
                    failure: r.failure.clone(),
                })
            })
            .take(limit)
            .collect())
    }

    fn queued(&self, plan: &str, limit: usize) -> Result<Vec<String>, PlanError> {
        let mut m = self.lock();
        let p = get(&mut m, plan)?;
        let mut held: Vec<(&String, &i64)> = p.held.iter().collect();
        held.sort_by_key(|(_, &t)| t);
        Ok(held
            .into_iter()
            .map(|(k, _)| k)
            .chain(p.queue.iter())
            .take(limit)
            .cloned()
            .collect())
    }

    fn plans(&self) -> Result<Vec<String>, PlanError> {
        let mut v: Vec<String> = self.lock().keys().cloned().collect();
        v.sort();
        Ok(v)
    }

    fn drop_plan(&self, plan: &str) -> Result<bool, PlanError> {
        Ok(self.lock().remove(plan).is_some())
    }
}
