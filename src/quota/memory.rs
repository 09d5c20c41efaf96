//! `memory:`: the ledger in this process only, shared by every `memory:` ledger in it.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::window::{self, Correction, WindowRead, WindowState};
use super::{Action, AppId, QuotaError, QuotaExhausted, Store, Windows, KEEP_SECS, WINDOW_SECS};

#[derive(Default)]
struct Tables {
    /// (app, window) -> entries as (stamp, id), oldest first.
    windows: HashMap<(String, String), BTreeSet<(i64, u64)>>,
    /// (app, window) -> when X's "none left" lapses.
    markers: HashMap<(String, String), i64>,
    next_id: u64,
}

impl Tables {
    fn window(&mut self, app: &AppId, window: &str) -> &mut BTreeSet<(i64, u64)> {
        self.windows
            .entry((app.as_str().to_string(), window.to_string()))
            .or_default()
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn trim(&mut self, app: &AppId, window: &str, now: i64) {
        let set = self.window(app, window);
        let mut keep = set.split_off(&(now - KEEP_SECS + 1, 0));
        // Nothing is stamped more than a day ahead of a clock; such entries are leftovers.
        keep.split_off(&(now.saturating_add(WINDOW_SECS + 1), 0));
        *set = keep;
        let key = (app.as_str().to_string(), window.to_string());
        if self.markers.get(&key).is_some_and(|&t| t <= now) {
            self.markers.remove(&key);
        }
    }
}

struct Reader<'a> {
    tables: &'a Tables,
    app: &'a AppId,
}

impl Reader<'_> {
    fn range(&self, window: &str, after: i64) -> impl Iterator<Item = &(i64, u64)> {
        self.tables
            .windows
            .get(&(self.app.as_str().to_string(), window.to_string()))
            .into_iter()
            .flat_map(move |s| s.range((Bound::Excluded((after, u64::MAX)), Bound::Unbounded)))
    }
}

impl WindowRead for Reader<'_> {
    fn count_after(&mut self, window: &str, after: i64) -> Result<u32, QuotaError> {
        Ok(u32::try_from(self.range(window, after).count()).unwrap_or(u32::MAX))
    }

    fn nth_after(&mut self, window: &str, after: i64, n: u32) -> Result<Option<i64>, QuotaError> {
        Ok(self
            .range(window, after)
            .nth(usize::try_from(n).unwrap_or(usize::MAX))
            .map(|e| e.0))
    }

    fn marker(&mut self, window: &str) -> Result<Option<i64>, QuotaError> {
        Ok(self
            .tables
            .markers
            .get(&(self.app.as_str().to_string(), window.to_string()))
            .copied())
    }
}

/// The process-wide table behind `memory:`.
#[derive(Clone)]
pub(crate) struct MemoryStore {
    tables: Arc<Mutex<Tables>>,
}

impl MemoryStore {
    pub(crate) fn process_wide() -> MemoryStore {
        static TABLES: OnceLock<Arc<Mutex<Tables>>> = OnceLock::new();
        MemoryStore {
            tables: TABLES.get_or_init(Default::default).clone(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store for MemoryStore {
    fn reserve(
        &self,
        app: &AppId,
        action: Action,
        windows: &Windows,
        now: i64,
    ) -> Result<Result<u64, QuotaExhausted>, QuotaError> {
        let mut t = self.lock();
        let mut states = Vec::with_capacity(windows.list.len());
        for (_, name, cap) in &windows.list {
            t.trim(app, name, now);
            let mut r = Reader { tables: &t, app };
            states.push(window::state(&mut r, name, *cap, now)?);
        }
        if let Some(refusal) = window::refusal(action, windows, &states) {
            return Ok(Err(refusal));
        }
        let id = t.next_id();
        for (_, name, _) in &windows.list {
            t.window(app, name).insert((now, id));
        }
        Ok(Ok(id))
    }

    fn release(
        &self,
        app: &AppId,
        windows: &Windows,
        id: u64,
        stamp: i64,
    ) -> Result<(), QuotaError> {
        let mut t = self.lock();
        for (_, name, _) in &windows.list {
            t.window(app, name).remove(&(stamp, id));
        }
        Ok(())
    }

    fn correct(
        &self,
        app: &AppId,
        window: &str,
        cap: u32,
        remaining: u32,
        reset: i64,
        now: i64,
    ) -> Result<u32, QuotaError> {
        let mut t = self.lock();
        t.trim(app, window, now);
        let used = window::state(&mut Reader { tables: &t, app }, window, cap, now)?.used;
        let room = cap.saturating_sub(used);
        Ok(match Correction::of(room, remaining) {
            Correction::Mark => {
                let until = t
                    .markers
                    .entry((app.as_str().to_string(), window.to_string()))
                    .or_insert(reset);
                *until = (*until).max(reset);
                room
            }
            Correction::Keep => 0,
            Correction::Add(add) => {
                for _ in 0..add {
                    let id = t.next_id();
                    t.window(app, window).insert((reset - WINDOW_SECS, id));
                }
                add
            }
        })
    }

    fn status(
        &self,
        app: &AppId,
        windows: &[(&str, u32)],
        now: i64,
    ) -> Result<Vec<WindowState>, QuotaError> {
        let t = self.lock();
        window::states(&mut Reader { tables: &t, app }, windows, now)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::quota::{Ledger, ManualClock, QuotaLimits, Scope, ServerWindow};

    const T0: i64 = 1_700_000_000;

    /// Entries and markers the process-wide table holds for `app`.
    fn held(app: &AppId) -> (usize, usize) {
        let store = MemoryStore::process_wide();
        let t = store.lock();
        let entries = t
            .windows
            .iter()
            .filter(|((a, _), _)| a == app.as_str())
            .map(|(_, s)| s.len())
            .sum();
        let markers = t.markers.keys().filter(|(a, _)| a == app.as_str()).count();
        (entries, markers)
    }

    fn ledger(limits: QuotaLimits) -> (Ledger, ManualClock) {
        let clock = ManualClock::at_epoch(T0);
        let l = Ledger::open_with_clock("memory:", limits, Arc::new(clock.clone())).unwrap();
        (l, clock)
    }

    /// Issue 10 item 5: X saying "0 left of 1,000,000" (or of u32::MAX) adds one marker per
    /// window, not an entry per slot.
    #[test]
    fn none_left_is_one_marker_per_window() {
        let (l, clock) = ledger(QuotaLimits {
            follows_per_user: 400,
            follows_per_app: QuotaLimits::MAX,
            unfollows_per_app: 500,
        });
        let app = AppId::from_key("memory-marker-test");
        l.reserve(&app, "1", Action::Follow).unwrap().commit();
        for (scope, action, limit) in [
            (Scope::App, Action::Follow, 1_000_000),
            (Scope::User, Action::Follow, u32::MAX),
            (Scope::App, Action::Unfollow, u32::MAX),
            (Scope::App, Action::Follow, u32::MAX),
        ] {
            let w = ServerWindow {
                scope,
                limit,
                remaining: 0,
                reset: T0 + 900,
            };
            l.observe_server_window(&app, "1", action, w).unwrap();
        }
        assert_eq!(held(&app), (2, 3));
        let s = l.status(&app, "1").unwrap();
        assert_eq!(
            (s.app_used, s.next_free_at),
            (QuotaLimits::MAX, Some(T0 + 900))
        );
        clock.set_epoch(T0 + 900);
        l.reserve(&app, "1", Action::Follow).unwrap().commit();
        // The follow windows' lapsed markers are gone; the unfollow one goes on its next write.
        assert_eq!(held(&app), (4, 1));
    }

    #[test]
    fn entries_stamped_beyond_a_day_ahead_are_dropped() {
        let (l, _clock) = ledger(QuotaLimits::default());
        let app = AppId::from_key("memory-heal-test");
        {
            let store = MemoryStore::process_wide();
            let mut t = store.lock();
            for id in 0..5 {
                let id = u64::MAX - id;
                t.window(&app, "follows:app").insert((99_999_999_999, id));
            }
        }
        l.reserve(&app, "1", Action::Follow).unwrap().commit();
        assert_eq!(held(&app), (2, 0));
    }
}
