//! `redis://host:port[/db]` (or `rediss://` for TLS): the ledger in Redis, shared by workers
//! on many machines.
//!
//! One sorted set per window, member = entry id, score = stamp (Unix epoch seconds), under
//! `xfollow:quota:{<app hash>}:<window>`; entry ids come from `xfollow:quota:{<app hash>}:seq`.
//! X's "none left until T" is one string per window, T, under `...:<window>:until`.
//! The braces make every key of one app hash to the same Redis Cluster slot. Each operation is
//! one Lua script, so a reservation (check every cap, then add the entry to every window) is
//! atomic across all workers and applied by Redis before `reserve` returns.
//!
//! Entries are stamped with the worker's clock: keep the workers' clocks in sync (NTP).

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use redis::{Client, Connection, RedisError, Script};

use super::window::WindowState;
use super::{
    Action, AppId, QuotaError, QuotaExhausted, Store, StoreKind, Windows, KEEP_SECS, WINDOW_SECS,
};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// `state(key, mkey, cap)`: the count of entries newer than `now - win` (at least `cap` while
/// the marker at `mkey` is ahead), and when the cap is reached the time the window has room
/// again. Shared by the scripts below.
const LUA_STATE: &str = r"
local now = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
local keep = tonumber(ARGV[3])
local after = '(' .. (now - win)
local function state(key, mkey, cap)
  local used = redis.call('ZCOUNT', key, after, '+inf')
  local free = nil
  if cap > 0 and used >= cap then
    local r = redis.call('ZRANGEBYSCORE', key, after, '+inf', 'WITHSCORES', 'LIMIT', used - cap, 1)
    free = tonumber(r[2]) + win
  end
  if cap > 0 then
    local m = tonumber(redis.call('GET', mkey))
    if m ~= nil and m > now then
      if used < cap then used = cap end
      if free == nil or m > free then free = m end
    end
  end
  return used, free
end
";

/// KEYS: the action's windows, their markers, then the id counter. ARGV: now, 86400, keep, one
/// cap per window. Returns {1, id} or {0, index of the window that frees last (1-based), used,
/// next_free_at}.
const LUA_RESERVE: &str = r"
local nwin = (#KEYS - 1) / 2
local worst, worst_used, worst_free = 0, 0, nil
for i = 1, nwin do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - keep)
  -- Nothing is stamped more than a day ahead of a clock; such entries are leftovers.
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '(' .. (now + win), '+inf')
  local used, free = state(KEYS[i], KEYS[nwin + i], tonumber(ARGV[3 + i]))
  if free ~= nil and (worst_free == nil or free > worst_free) then
    worst, worst_used, worst_free = i, used, free
  end
end
if worst_free ~= nil then
  return {0, worst, worst_used, worst_free}
end
local id = redis.call('INCR', KEYS[2 * nwin + 1])
for i = 1, nwin do
  redis.call('ZADD', KEYS[i], now, id)
  redis.call('EXPIRE', KEYS[i], keep)
end
return {1, id}
";

/// KEYS: the window, its marker, the id counter. ARGV: now, 86400, keep, cap, remaining,
/// reset. Returns the room taken.
const LUA_CORRECT: &str = r"
local cap = tonumber(ARGV[4])
local remaining = tonumber(ARGV[5])
local reset = tonumber(ARGV[6])
local used = state(KEYS[1], KEYS[2], cap)
local room = cap - used
if room < 0 then room = 0 end
if remaining == 0 then
  local m = tonumber(redis.call('GET', KEYS[2]))
  if m == nil or m < reset then
    -- The expiry only collects it: the marker lapses when the workers' clocks pass it.
    redis.call('SET', KEYS[2], reset, 'EX', reset - now + keep)
  end
  return room
end
if remaining >= room then
  return 0
end
for j = 1, room - remaining do
  local id = redis.call('INCR', KEYS[3])
  redis.call('ZADD', KEYS[1], reset - win, id)
end
redis.call('EXPIRE', KEYS[1], keep)
return room - remaining
";

/// KEYS: windows, then their markers. ARGV: now, 86400, keep, one cap per window.
/// Returns {used, has_next_free, next_free_at} per window.
const LUA_STATUS: &str = r"
local out = {}
local nwin = #KEYS / 2
for i = 1, nwin do
  local used, free = state(KEYS[i], KEYS[nwin + i], tonumber(ARGV[3 + i]))
  table.insert(out, used)
  if free == nil then
    table.insert(out, 0)
    table.insert(out, 0)
  else
    table.insert(out, 1)
    table.insert(out, free)
  end
end
return out
";

pub(crate) struct RedisStore {
    client: Client,
    idle: Mutex<Vec<Connection>>,
    reserve: Script,
    correct: Script,
    status: Script,
}

fn err(e: RedisError) -> QuotaError {
    QuotaError::store(StoreKind::Redis, e)
}

fn key(app: &AppId, name: &str) -> String {
    format!("xfollow:quota:{{{}}}:{name}", app.as_str())
}

/// The key of `window`'s marker (window names never end in `:until`).
fn marker_key(app: &AppId, window: &str) -> String {
    format!("xfollow:quota:{{{}}}:{window}:until", app.as_str())
}

impl RedisStore {
    pub(crate) fn open(url: &str) -> Result<RedisStore, QuotaError> {
        let client = Client::open(url).map_err(|e| {
            QuotaError::InvalidUrl(format!(
                "not a usable redis://host:port[/db] or rediss://host:port[/db] URL ({})",
                e.category()
            ))
        })?;
        let store = RedisStore {
            client,
            idle: Mutex::new(Vec::new()),
            reserve: Script::new(&format!("{LUA_STATE}{LUA_RESERVE}")),
            correct: Script::new(&format!("{LUA_STATE}{LUA_CORRECT}")),
            status: Script::new(&format!("{LUA_STATE}{LUA_STATUS}")),
        };
        // Fail at open, not at the first follow, when the server is unreachable.
        store.with_conn(|c| redis::cmd("PING").query::<String>(c))?;
        Ok(store)
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn connect(&self) -> Result<Connection, QuotaError> {
        let c = self
            .client
            .get_connection_with_timeout(CONNECT_TIMEOUT)
            .map_err(err)?;
        c.set_read_timeout(Some(IO_TIMEOUT)).map_err(err)?;
        c.set_write_timeout(Some(IO_TIMEOUT)).map_err(err)?;
        Ok(c)
    }

    /// Runs `f` on a pooled connection. A pooled connection that turns out to be closed is
    /// dropped and `f` runs once more on a fresh one (every operation here is safe to repeat:
    /// at worst a reservation is counted twice).
    pub(crate) fn with_conn<T>(
        &self,
        f: impl Fn(&mut Connection) -> redis::RedisResult<T>,
    ) -> Result<T, QuotaError> {
        let pooled = self.idle().pop();
        let was_pooled = pooled.is_some();
        let mut conn = match pooled {
            Some(c) => c,
            None => self.connect()?,
        };
        match f(&mut conn) {
            Ok(v) => {
                self.idle().push(conn);
                Ok(v)
            }
            Err(e) if was_pooled && (e.is_connection_dropped() || e.is_io_error()) => {
                drop(conn);
                let mut conn = self.connect()?;
                let v = f(&mut conn).map_err(err)?;
                self.idle().push(conn);
                Ok(v)
            }
            Err(e) => Err(err(e)),
        }
    }
}

fn bad_reply(what: &str) -> QuotaError {
    QuotaError::store(
        StoreKind::Redis,
        format!("unexpected reply from the {what} script"),
    )
}

impl Store for RedisStore {
    fn reserve(
        &self,
        app: &AppId,
        action: Action,
        windows: &Windows,
        now: i64,
    ) -> Result<Result<u64, QuotaExhausted>, QuotaError> {
        let reply: Vec<i64> = self.with_conn(|c| {
            let mut inv = self.reserve.prepare_invoke();
            for (_, name, _) in &windows.list {
                inv.key(key(app, name));
            }
            for (_, name, _) in &windows.list {
                inv.key(marker_key(app, name));
            }
            inv.key(key(app, "seq"));
            inv.arg(now).arg(WINDOW_SECS).arg(KEEP_SECS);
            for (_, _, cap) in &windows.list {
                inv.arg(*cap);
            }
            inv.invoke(c)
        })?;
        match reply.as_slice() {
            [1, id] => u64::try_from(*id).map(Ok).map_err(|_| bad_reply("reserve")),
            [0, index, used, next_free_at] => {
                let i = usize::try_from(*index).ok().and_then(|i| i.checked_sub(1));
                let (scope, _, limit) = i
                    .and_then(|i| windows.list.get(i))
                    .ok_or_else(|| bad_reply("reserve"))?;
                Ok(Err(QuotaExhausted {
                    action,
                    scope: *scope,
                    limit: *limit,
                    used: u32::try_from(*used).unwrap_or(u32::MAX),
                    next_free_at: *next_free_at,
                }))
            }
            _ => Err(bad_reply("reserve")),
        }
    }

    fn release(
        &self,
        app: &AppId,
        windows: &Windows,
        id: u64,
        _stamp: i64,
    ) -> Result<(), QuotaError> {
        self.with_conn(|c| {
            let mut p = redis::pipe();
            p.atomic();
            for (_, name, _) in &windows.list {
                p.zrem(key(app, name), id).ignore();
            }
            p.query::<()>(c)
        })
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
        let added: i64 = self.with_conn(|c| {
            self.correct
                .key(key(app, window))
                .key(marker_key(app, window))
                .key(key(app, "seq"))
                .arg(now)
                .arg(WINDOW_SECS)
                .arg(KEEP_SECS)
                .arg(cap)
                .arg(remaining)
                .arg(reset)
                .invoke(c)
        })?;
        u32::try_from(added).map_err(|_| bad_reply("correct"))
    }

    fn status(
        &self,
        app: &AppId,
        windows: &[(&str, u32)],
        now: i64,
    ) -> Result<Vec<WindowState>, QuotaError> {
        let reply: Vec<i64> = self.with_conn(|c| {
            let mut inv = self.status.prepare_invoke();
            for (name, _) in windows {
                inv.key(key(app, name));
            }
            for (name, _) in windows {
                inv.key(marker_key(app, name));
            }
            inv.arg(now).arg(WINDOW_SECS).arg(KEEP_SECS);
            for (_, cap) in windows {
                inv.arg(*cap);
            }
            inv.invoke(c)
        })?;
        if reply.len() != windows.len() * 3 {
            return Err(bad_reply("status"));
        }
        Ok(reply
            .chunks(3)
            .map(|w| WindowState {
                used: u32::try_from(w[0]).unwrap_or(u32::MAX),
                next_free_at: (w[1] == 1).then_some(w[2]),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_namespaced_by_the_app_hash() {
        let app = AppId::from_key("consumer-key");
        let k = key(&app, "follows:user:12");
        assert_eq!(
            k,
            format!("xfollow:quota:{{{}}}:follows:user:12", app.as_str())
        );
        assert!(!k.contains("consumer-key"));
    }
}
