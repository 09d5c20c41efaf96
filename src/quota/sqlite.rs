//! `sqlite:PATH`: the ledger in an SQLite file shared by every process on the machine.
//!
//! One row per entry and window: `(app, win, stamp, entry)`, and at most one marker row per
//! window, `(app, win, until)`: X said none is left until `until`. Every change runs in a
//! `BEGIN IMMEDIATE` transaction, so reservations from all processes are serialized by
//! SQLite's write lock and a reservation is in the file (the WAL) when `reserve` returns.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::window::{self, Correction, WindowRead, WindowState};
use super::{
    Action, AppId, QuotaError, QuotaExhausted, Store, StoreKind, Windows, KEEP_SECS, WINDOW_SECS,
};

/// How long a writer waits for another process's transaction before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS xfollow_quota_meta (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO xfollow_quota_meta (name, value) VALUES ('schema', 2), ('next_entry', 0);
CREATE TABLE IF NOT EXISTS xfollow_quota_slots (
    app   TEXT NOT NULL,     -- AppId: hash of the app's consumer key or client id
    win   TEXT NOT NULL,     -- follows:user:<id> | follows:app | unfollows:app
    stamp INTEGER NOT NULL,  -- Unix epoch seconds; the slot frees at stamp + 86400
    entry INTEGER NOT NULL,  -- one follow is one entry in two windows
    PRIMARY KEY (app, win, stamp, entry)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS xfollow_quota_slots_entry ON xfollow_quota_slots (app, entry);
CREATE TABLE IF NOT EXISTS xfollow_quota_markers (
    app   TEXT NOT NULL,
    win   TEXT NOT NULL,
    until INTEGER NOT NULL,  -- Unix epoch seconds; the window counts as full before it
    PRIMARY KEY (app, win)
) WITHOUT ROWID;
";

/// The schema this code writes. Version 1 (no markers) is upgraded in place; a version-1
/// reader refuses version 2, since it would not see the markers.
const SCHEMA_VERSION: i64 = 2;

pub(crate) struct SqliteStore {
    conn: Mutex<Connection>,
}

fn err(e: rusqlite::Error) -> QuotaError {
    QuotaError::store(StoreKind::Sqlite, e)
}

/// Why a connection could not be set up: SQLite's error (retried when it is SQLITE_BUSY), or
/// the file is one this code must not use.
enum SetupError {
    Sqlite(rusqlite::Error),
    Refused(QuotaError),
}

impl From<rusqlite::Error> for SetupError {
    fn from(e: rusqlite::Error) -> SetupError {
        SetupError::Sqlite(e)
    }
}

impl SqliteStore {
    /// Opens (creating when missing) the ledger file at `path`.
    ///
    /// SQLite answers some collisions between processes at this point with SQLITE_BUSY at
    /// once, without waiting through its busy handler: `PRAGMA journal_mode=WAL` while another
    /// process switches a new file to WAL, or while the last connection checkpoints and
    /// deletes the WAL on close. Every step here can be run again, so a busy setup is retried
    /// from the start, with growing pauses, for up to `BUSY_TIMEOUT`.
    pub(crate) fn open(path: &str) -> Result<SqliteStore, QuotaError> {
        let give_up = Instant::now() + BUSY_TIMEOUT;
        let mut pause = Duration::from_millis(1);
        loop {
            match Self::setup(path) {
                Ok(conn) => {
                    return Ok(SqliteStore {
                        conn: Mutex::new(conn),
                    })
                }
                Err(SetupError::Sqlite(e))
                    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                        && Instant::now() + pause < give_up =>
                {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(SetupError::Sqlite(e)) => return Err(err(e)),
                Err(SetupError::Refused(e)) => return Err(e),
            }
        }
    }

    fn setup(path: &str) -> Result<Connection, SetupError> {
        let mut conn = Connection::open(path).map_err(|e| {
            SetupError::Refused(QuotaError::store(
                StoreKind::Sqlite,
                format!("cannot open {path}: {e}"),
            ))
        })?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(SetupError::Refused(QuotaError::store(
                StoreKind::Sqlite,
                format!("{path}: cannot use journal mode WAL (got {mode})"),
            )));
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA)?;
        let version: i64 = tx.query_row(
            "SELECT value FROM xfollow_quota_meta WHERE name = 'schema'",
            [],
            |r| r.get(0),
        )?;
        match version {
            SCHEMA_VERSION => {}
            1 => {
                tx.execute(
                    "UPDATE xfollow_quota_meta SET value = ?1 WHERE name = 'schema'",
                    [SCHEMA_VERSION],
                )?;
            }
            _ => {
                return Err(SetupError::Refused(QuotaError::store(
                    StoreKind::Sqlite,
                    format!(
                        "{path}: ledger schema version {version} is not supported (expected 1 or {SCHEMA_VERSION})"
                    ),
                )))
            }
        }
        tx.commit()?;
        Ok(conn)
    }

    /// The connection (WAL, busy timeout), for other tables kept in the same file.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct Reader<'a, 't> {
    tx: &'a Transaction<'t>,
    app: &'a AppId,
}

impl WindowRead for Reader<'_, '_> {
    fn count_after(&mut self, win: &str, after: i64) -> Result<u32, QuotaError> {
        let n: i64 = self
            .tx
            .prepare_cached(
                "SELECT COUNT(*) FROM xfollow_quota_slots WHERE app = ?1 AND win = ?2 AND stamp > ?3",
            )
            .and_then(|mut s| s.query_row(params![self.app.as_str(), win, after], |r| r.get(0)))
            .map_err(err)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn nth_after(&mut self, win: &str, after: i64, n: u32) -> Result<Option<i64>, QuotaError> {
        self.tx
            .prepare_cached(
                "SELECT stamp FROM xfollow_quota_slots WHERE app = ?1 AND win = ?2 AND stamp > ?3
                 ORDER BY stamp, entry LIMIT 1 OFFSET ?4",
            )
            .and_then(|mut s| {
                s.query_row(params![self.app.as_str(), win, after, n], |r| r.get(0))
                    .optional()
            })
            .map_err(err)
    }

    fn marker(&mut self, win: &str) -> Result<Option<i64>, QuotaError> {
        self.tx
            .prepare_cached("SELECT until FROM xfollow_quota_markers WHERE app = ?1 AND win = ?2")
            .and_then(|mut s| {
                s.query_row(params![self.app.as_str(), win], |r| r.get(0))
                    .optional()
            })
            .map_err(err)
    }
}

/// Deletes `win`'s entries too old to matter at `now` or stamped more than a day ahead (no
/// clock does that; leftovers), and its marker once lapsed.
fn trim(tx: &Transaction<'_>, app: &AppId, win: &str, now: i64) -> Result<(), QuotaError> {
    tx.prepare_cached(
        "DELETE FROM xfollow_quota_slots WHERE app = ?1 AND win = ?2 AND (stamp <= ?3 OR stamp > ?4)",
    )
    .and_then(|mut s| s.execute(params![app.as_str(), win, now - KEEP_SECS, now.saturating_add(WINDOW_SECS)]))
    .map_err(err)?;
    tx.prepare_cached(
        "DELETE FROM xfollow_quota_markers WHERE app = ?1 AND win = ?2 AND until <= ?3",
    )
    .and_then(|mut s| s.execute(params![app.as_str(), win, now]))
    .map_err(err)?;
    Ok(())
}

fn next_entry(tx: &Transaction<'_>) -> Result<u64, QuotaError> {
    let id: i64 = tx
        .prepare_cached(
            "UPDATE xfollow_quota_meta SET value = value + 1 WHERE name = 'next_entry' RETURNING value",
        )
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(err)?;
    u64::try_from(id).map_err(|_| QuotaError::store(StoreKind::Sqlite, "entry counter is negative"))
}

fn insert(
    tx: &Transaction<'_>,
    app: &AppId,
    win: &str,
    stamp: i64,
    entry: u64,
) -> Result<(), QuotaError> {
    let entry = i64::try_from(entry)
        .map_err(|_| QuotaError::store(StoreKind::Sqlite, "entry id overflow"))?;
    tx.prepare_cached(
        "INSERT INTO xfollow_quota_slots (app, win, stamp, entry) VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut s| s.execute(params![app.as_str(), win, stamp, entry]))
    .map_err(err)?;
    Ok(())
}

impl Store for SqliteStore {
    fn reserve(
        &self,
        app: &AppId,
        action: Action,
        windows: &Windows,
        now: i64,
    ) -> Result<Result<u64, QuotaExhausted>, QuotaError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let mut states = Vec::with_capacity(windows.list.len());
        for (_, win, cap) in &windows.list {
            trim(&tx, app, win, now)?;
            states.push(window::state(&mut Reader { tx: &tx, app }, win, *cap, now)?);
        }
        if let Some(refusal) = window::refusal(action, windows, &states) {
            tx.commit().map_err(err)?;
            return Ok(Err(refusal));
        }
        let id = next_entry(&tx)?;
        for (_, win, _) in &windows.list {
            insert(&tx, app, win, now, id)?;
        }
        tx.commit().map_err(err)?;
        Ok(Ok(id))
    }

    fn release(
        &self,
        app: &AppId,
        _windows: &Windows,
        id: u64,
        _stamp: i64,
    ) -> Result<(), QuotaError> {
        let id = i64::try_from(id)
            .map_err(|_| QuotaError::store(StoreKind::Sqlite, "entry id overflow"))?;
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        tx.prepare_cached("DELETE FROM xfollow_quota_slots WHERE app = ?1 AND entry = ?2")
            .and_then(|mut s| s.execute(params![app.as_str(), id]))
            .map_err(err)?;
        tx.commit().map_err(err)
    }

    fn correct(
        &self,
        app: &AppId,
        win: &str,
        cap: u32,
        remaining: u32,
        reset: i64,
        now: i64,
    ) -> Result<u32, QuotaError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        trim(&tx, app, win, now)?;
        let used = window::state(&mut Reader { tx: &tx, app }, win, cap, now)?.used;
        let room = cap.saturating_sub(used);
        let taken = match Correction::of(room, remaining) {
            Correction::Mark => {
                tx.prepare_cached(
                    "INSERT INTO xfollow_quota_markers (app, win, until) VALUES (?1, ?2, ?3)
                     ON CONFLICT (app, win) DO UPDATE SET until = max(until, excluded.until)",
                )
                .and_then(|mut s| s.execute(params![app.as_str(), win, reset]))
                .map_err(err)?;
                room
            }
            Correction::Keep => 0,
            Correction::Add(add) => {
                for _ in 0..add {
                    let id = next_entry(&tx)?;
                    insert(&tx, app, win, reset - WINDOW_SECS, id)?;
                }
                add
            }
        };
        tx.commit().map_err(err)?;
        Ok(taken)
    }

    fn status(
        &self,
        app: &AppId,
        windows: &[(&str, u32)],
        now: i64,
    ) -> Result<Vec<WindowState>, QuotaError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(err)?;
        let out = window::states(&mut Reader { tx: &tx, app }, windows, now)?;
        tx.commit().map_err(err)?;
        Ok(out)
    }
}
