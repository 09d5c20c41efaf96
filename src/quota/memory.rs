//! `memory:`: the ledger in this process only, shared by every `memory:` ledger in it.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::window::{self, WindowRead, WindowState};
use super::{Action, AppId, QuotaError, QuotaExhausted, Store, Windows, KEEP_SECS, WINDOW_SECS};

#[derive(Default)]
struct Tables {
    /// (app, window) -> entries as (stamp, id), oldest first.
    windows: HashMap<(String, String), BTreeSet<(i64, u64)>>,
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
        let keep = set.split_off(&(now - KEEP_SECS + 1, 0));
        *set = keep;
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
        let used = Reader { tables: &t, app }.count_after(window, now - WINDOW_SECS)?;
        let room = cap.saturating_sub(used);
        if remaining >= room {
            return Ok(0);
        }
        let add = room - remaining;
        for _ in 0..add {
            let id = t.next_id();
            t.window(app, window).insert((reset - WINDOW_SECS, id));
        }
        Ok(add)
    }

    fn status(
        &self,
        app: &AppId,
        windows: &[(&str, u32)],
        now: i64,
    ) -> Result<Vec<WindowState>, QuotaError> {
        let t = self.lock();
        let mut r = Reader { tables: &t, app };
        windows
            .iter()
            .map(|(name, cap)| window::state(&mut r, name, *cap, now))
            .collect()
    }
}
