//! `sqlite:PATH`: plans in an SQLite file, beside the quota ledger's tables, through the
//! ledger's connection (WAL, busy timeout). Every change is one `BEGIN IMMEDIATE`
//! transaction, committed before the call returns.

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::intent::{Counts, Failure, Intent, IntentRecord, State};
use super::store::{Claim, Finish, Slot, Store, Take, MAX_INTENTS};
use super::PlanError;
use crate::quota::sqlite::SqliteStore as LedgerFile;
use crate::quota::{QuotaError, StoreKind};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS xfollow_plans (
    name    TEXT PRIMARY KEY,
    source  TEXT NOT NULL,     -- the source user's id
    next_at INTEGER NOT NULL,  -- epoch ms: no request before (pace, 429, cap)
    seq     INTEGER NOT NULL,  -- last queue position given
    q INTEGER NOT NULL DEFAULT 0, d INTEGER NOT NULL DEFAULT 0, p INTEGER NOT NULL DEFAULT 0,
    s INTEGER NOT NULL DEFAULT 0, x INTEGER NOT NULL DEFAULT 0  -- counts by state (q: and held)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS xfollow_plan_intents (
    plan     TEXT NOT NULL,
    key      TEXT NOT NULL,     -- id or @username; '-' first for an unfollow
    seq      INTEGER NOT NULL,  -- queue position
    state    TEXT NOT NULL,     -- q queued, c held, d done, p pending, s skipped, x failed
    lease    INTEGER,           -- epoch ms, while held
    resolved TEXT,              -- the id of an @username, once resolved
    failure  TEXT,              -- <error kind code>:<message>
    PRIMARY KEY (plan, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS xfollow_plan_intents_queue ON xfollow_plan_intents (plan, state, seq);
";

pub(crate) struct SqliteStore {
    file: LedgerFile,
}

fn err(e: rusqlite::Error) -> PlanError {
    PlanError::from(QuotaError::store(StoreKind::Sqlite, e))
}

impl SqliteStore {
    pub(crate) fn open(path: &str) -> Result<SqliteStore, PlanError> {
        let file = LedgerFile::open(path)?;
        file.lock().execute_batch(SCHEMA).map_err(err)?;
        Ok(SqliteStore { file })
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, PlanError>,
    ) -> Result<T, PlanError> {
        let mut conn = self.file.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let v = f(&tx)?;
        tx.commit().map_err(err)?;
        Ok(v)
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, PlanError>) -> Result<T, PlanError> {
        f(&self.file.lock())
    }
}

fn plan_row(c: &Connection, plan: &str) -> Result<(i64, i64), PlanError> {
    c.prepare_cached("SELECT next_at, seq FROM xfollow_plans WHERE name = ?1")
        .and_then(|mut s| {
            s.query_row([plan], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(err)?
        .ok_or(PlanError::NoSuchPlan)
}

fn counts(c: &Connection, plan: &str) -> Result<Counts, PlanError> {
    c.prepare_cached("SELECT q, d, p, s, x FROM xfollow_plans WHERE name = ?1")
        .and_then(|mut s| {
            s.query_row([plan], |r| Counts::from_stored(|i| r.get(i)))
                .optional()
        })
        .map_err(err)?
        .ok_or(PlanError::NoSuchPlan)
}

fn give_back(tx: &Transaction<'_>, plan: &str, slot: Option<Slot>) -> Result<(), PlanError> {
    if let Some(s) = slot {
        tx.prepare_cached("UPDATE xfollow_plans SET next_at = ?3 WHERE name = ?1 AND next_at = ?2")
            .and_then(|mut st| st.execute(params![plan, s.taken, s.back_to]))
            .map_err(err)?;
    }
    Ok(())
}

fn take(tx: &Transaction<'_>, plan: &str, t: Take) -> Result<Claim, PlanError> {
    let (next, _) = plan_row(tx, plan)?;
    let Some(at) = t.send_at(next) else {
        return Ok(Claim::NotBefore(next));
    };
    let now = t.now;
    let expired: Option<(String, Option<String>)> = tx
        .prepare_cached(
            "SELECT key, resolved FROM xfollow_plan_intents
             WHERE plan = ?1 AND state = 'c' AND lease <= ?2 ORDER BY lease LIMIT 1",
        )
        .and_then(|mut s| {
            s.query_row(params![plan, now], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(err)?;
    let (found, taken_over) = match expired {
        Some(e) => (Some(e), true),
        None => (
            tx.prepare_cached(
                "SELECT key, resolved FROM xfollow_plan_intents
                 WHERE plan = ?1 AND state = 'q' ORDER BY seq LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row([plan], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(err)?,
            false,
        ),
    };
    let Some((key, resolved)) = found else {
        let held: Option<i64> = tx
            .query_row(
                "SELECT MIN(lease) FROM xfollow_plan_intents WHERE plan = ?1 AND state = 'c'",
                [plan],
                |r| r.get(0),
            )
            .map_err(err)?;
        return Ok(held.map_or(Claim::Empty, Claim::Held));
    };
    let lease = at.saturating_add(t.lease);
    tx.prepare_cached(
        "UPDATE xfollow_plan_intents SET state = 'c', lease = ?3 WHERE plan = ?1 AND key = ?2",
    )
    .and_then(|mut s| s.execute(params![plan, key, lease]))
    .map_err(err)?;
    tx.prepare_cached("UPDATE xfollow_plans SET next_at = ?2 WHERE name = ?1")
        .and_then(|mut s| s.execute(params![plan, at.saturating_add(t.gap)]))
        .map_err(err)?;
    Ok(Claim::Intent {
        key,
        resolved,
        taken_over,
        at,
        lease,
    })
}

/// Ends a held intent (see [`Finish`]); `None` when it is not held under that claim.
fn finish_held(
    tx: &Transaction<'_>,
    plan: &str,
    end: Finish<'_>,
) -> Result<Option<Counts>, PlanError> {
    let n = tx
        .prepare_cached(
            "UPDATE xfollow_plan_intents SET state = ?3, lease = NULL, failure = ?4
             WHERE plan = ?1 AND key = ?2 AND state = 'c' AND lease = ?5",
        )
        .and_then(|mut s| {
            s.execute(params![
                plan,
                end.key,
                end.state.code(),
                end.failure.map(Failure::encode),
                end.lease
            ])
        })
        .map_err(err)?;
    if n == 0 {
        return Ok(None);
    }
    give_back(tx, plan, end.slot)?;
    // The column named by the state's own letter (one of five constants).
    let sql = format!(
        "UPDATE xfollow_plans SET q = q - 1, {0} = {0} + 1 WHERE name = ?1",
        end.state.code()
    );
    tx.prepare_cached(&sql)
        .and_then(|mut s| s.execute([plan]))
        .map_err(err)?;
    counts(tx, plan).map(Some)
}

impl Store for SqliteStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Sqlite
    }

    fn create(&self, plan: &str, source: &str) -> Result<bool, PlanError> {
        self.write(|tx| {
            let have: Option<String> = tx
                .query_row(
                    "SELECT source FROM xfollow_plans WHERE name = ?1",
                    [plan],
                    |r| r.get(0),
                )
                .optional()
                .map_err(err)?;
            match have {
                Some(s) if s == source => Ok(false),
                Some(_) => Err(PlanError::SourceMismatch),
                None => {
                    tx.execute(
                        "INSERT INTO xfollow_plans (name, source, next_at, seq) VALUES (?1, ?2, 0, 0)",
                        params![plan, source],
                    )
                    .map_err(err)?;
                    Ok(true)
                }
            }
        })
    }

    fn source(&self, plan: &str) -> Result<Option<String>, PlanError> {
        self.read(|c| {
            c.query_row(
                "SELECT source FROM xfollow_plans WHERE name = ?1",
                [plan],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)
        })
    }

    fn add(&self, plan: &str, keys: &[String]) -> Result<u64, PlanError> {
        self.write(|tx| {
            let (_, mut seq) = plan_row(tx, plan)?;
            let mut n = 0;
            let mut ins = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO xfollow_plan_intents (plan, key, seq, state) VALUES (?1, ?2, ?3, 'q')",
                )
                .map_err(err)?;
            for k in keys {
                seq += 1;
                n += ins.execute(params![plan, k, seq]).map_err(err)? as u64;
            }
            drop(ins);
            if counts(tx, plan)?.total().saturating_add(n) > MAX_INTENTS {
                // Returning an error drops the transaction: nothing of the batch is kept.
                return Err(PlanError::TooManyIntents);
            }
            tx.execute(
                "UPDATE xfollow_plans SET seq = ?2, q = q + ?3 WHERE name = ?1",
                params![plan, seq, n as i64],
            )
            .map_err(err)?;
            Ok(n)
        })
    }

    fn claim(&self, plan: &str, take: Take) -> Result<Claim, PlanError> {
        self.write(|tx| self::take(tx, plan, take))
    }

    fn resolve(&self, plan: &str, key: &str, id: &str) -> Result<(), PlanError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE xfollow_plan_intents SET resolved = ?3 WHERE plan = ?1 AND key = ?2",
                params![plan, key, id],
            )
            .map_err(err)?;
            Ok(())
        })
    }

    fn finish(&self, plan: &str, end: Finish<'_>) -> Result<Option<Counts>, PlanError> {
        self.write(|tx| finish_held(tx, plan, end))
    }

    fn finish_and_claim(
        &self,
        plan: &str,
        end: Finish<'_>,
        take: Take,
    ) -> Result<Option<(Counts, Claim)>, PlanError> {
        self.write(|tx| {
            let Some(counts) = finish_held(tx, plan, end)? else {
                return Ok(None);
            };
            Ok(Some((counts, self::take(tx, plan, take)?)))
        })
    }

    fn release(
        &self,
        plan: &str,
        key: &str,
        lease: i64,
        slot: Option<Slot>,
    ) -> Result<(), PlanError> {
        self.write(|tx| {
            // Its queue position is kept while held: it goes back to the head.
            let n = tx
                .execute(
                    "UPDATE xfollow_plan_intents SET state = 'q', lease = NULL
                     WHERE plan = ?1 AND key = ?2 AND state = 'c' AND lease = ?3",
                    params![plan, key, lease],
                )
                .map_err(err)?;
            if n > 0 {
                give_back(tx, plan, slot)?;
            }
            Ok(())
        })
    }

    fn requeue(
        &self,
        plan: &str,
        key: &str,
        lease: i64,
        not_before: i64,
        slot: Option<Slot>,
    ) -> Result<(), PlanError> {
        self.write(|tx| {
            give_back(tx, plan, slot)?;
            let (_, seq) = plan_row(tx, plan)?;
            tx.execute(
                "UPDATE xfollow_plan_intents SET state = 'q', lease = NULL, seq = ?3
                 WHERE plan = ?1 AND key = ?2 AND state = 'c' AND lease = ?4",
                params![plan, key, seq + 1, lease],
            )
            .map_err(err)?;
            tx.execute(
                "UPDATE xfollow_plans SET seq = ?2, next_at = max(next_at, ?3) WHERE name = ?1",
                params![plan, seq + 1, not_before],
            )
            .map_err(err)?;
            Ok(())
        })
    }

    fn status(&self, plan: &str) -> Result<Counts, PlanError> {
        self.read(|c| counts(c, plan))
    }

    fn intents(&self, plan: &str, limit: usize) -> Result<Vec<IntentRecord>, PlanError> {
        self.read(|c| {
            plan_row(c, plan)?;
            let mut s = c
                .prepare(
                    "SELECT key, state, resolved, failure FROM xfollow_plan_intents
                     WHERE plan = ?1 ORDER BY seq LIMIT ?2",
                )
                .map_err(err)?;
            let rows = s
                .query_map(params![plan, limit as i64], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                })
                .map_err(err)?;
            let mut out = Vec::new();
            for row in rows {
                let (key, state, resolved, failure) = row.map_err(err)?;
                if let (Some(intent), Some(state)) =
                    (Intent::from_key(&key), State::from_code(&state))
                {
                    out.push(IntentRecord {
                        intent,
                        state,
                        resolved_id: resolved,
                        failure: failure.as_deref().map(Failure::decode),
                    });
                }
            }
            Ok(out)
        })
    }

    fn queued(&self, plan: &str, limit: usize) -> Result<Vec<String>, PlanError> {
        self.read(|c| {
            plan_row(c, plan)?;
            let mut s = c
                .prepare(
                    "SELECT key FROM xfollow_plan_intents WHERE plan = ?1 AND state IN ('c', 'q')
                     ORDER BY state, lease, seq LIMIT ?2",
                )
                .map_err(err)?;
            let rows = s
                .query_map(params![plan, limit as i64], |r| r.get::<_, String>(0))
                .map_err(err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(err)
        })
    }

    fn plans(&self) -> Result<Vec<String>, PlanError> {
        self.read(|c| {
            let mut s = c
                .prepare("SELECT name FROM xfollow_plans ORDER BY name")
                .map_err(err)?;
            let rows = s.query_map([], |r| r.get::<_, String>(0)).map_err(err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(err)
        })
    }

    fn drop_plan(&self, plan: &str) -> Result<bool, PlanError> {
        self.write(|tx| {
            tx.execute("DELETE FROM xfollow_plan_intents WHERE plan = ?1", [plan])
                .map_err(err)?;
            let n = tx
                .execute("DELETE FROM xfollow_plans WHERE name = ?1", [plan])
                .map_err(err)?;
            Ok(n > 0)
        })
    }
}
