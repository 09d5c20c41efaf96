//! `redis://` / `rediss://`: plans in Redis, for fleets of runners on many machines, through
//! the quota ledger's connection pool. Each change is one Lua script, atomic across runners.
//!
//! Keys of plan `P`, all with the hash tag `{P}` so that one plan lives in one Cluster slot:
//! - `xfollow:plan:{P}:m` hash: `src` (source user), `next` (epoch ms: no request before),
//!   and the counts by state `q d p s x` (`q` includes held intents);
//! - `xfollow:plan:{P}:q` list: the queued intents' keys, in order;
//! - `xfollow:plan:{P}:i` hash: intent key -> state letter (dedup and state);
//! - `xfollow:plan:{P}:h` sorted set: held intents, scored by lease end (epoch ms);
//! - `xfollow:plan:{P}:r` hash: resolved ids of `@username` intents;
//! - `xfollow:plan:{P}:e` hash: failures, `<kind code>:<message>`.
//!
//! A queued intent costs one list entry and one hash field (a key of at most 17 bytes).
//! The names of all plans are in the set `xfollow:plans`.

use redis::{Script, ScriptInvocation};

use super::intent::{Counts, Failure, Intent, IntentRecord, State};
use super::store::{Claim, Finish, Slot, Store, Take, MAX_INTENTS};
use super::PlanError;
use crate::quota::redis_store::RedisStore as LedgerPool;
use crate::quota::{QuotaError, StoreKind};

const PLANS: &str = "xfollow:plans";

/// KEYS: m, plans. ARGV: name, source. 1 created, 0 exists for this source, -1 for another.
const LUA_CREATE: &str = r"
local s = redis.call('HGET', KEYS[1], 'src')
if s then
  if s == ARGV[2] then return 0 end
  return -1
end
redis.call('HSET', KEYS[1], 'src', ARGV[2], 'next', 0, 'q', 0, 'd', 0, 'p', 0, 's', 0, 'x', 0)
redis.call('SADD', KEYS[2], ARGV[1])
return 1
";

/// KEYS: m, q, i. ARGV: max intents, keys... Returns the number added, -1 no plan, -2 when
/// the new keys would take the plan beyond the maximum (nothing added).
const LUA_ADD: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local new, seen = 0, {}
for j = 2, #ARGV do
  if not seen[ARGV[j]] and redis.call('HEXISTS', KEYS[3], ARGV[j]) == 0 then new = new + 1 end
  seen[ARGV[j]] = true
end
if redis.call('HLEN', KEYS[3]) + new > tonumber(ARGV[1]) then return -2 end
local n = 0
for j = 2, #ARGV do
  if redis.call('HSETNX', KEYS[3], ARGV[j], 'q') == 1 then
    redis.call('RPUSH', KEYS[2], ARGV[j])
    n = n + 1
  end
end
if n > 0 then redis.call('HINCRBY', KEYS[1], 'q', n) end
return n
";

/// Takes the plan's next intent (see `Take`): KEYS m, q, i, h, r; `t` now, latest, lease,
/// gap. Returns {'i', key, taken_over, resolved, send time, lease end}, {'n', not_before},
/// {'h', first lease end} or {'e'}.
const LUA_TAKE: &str = r"
local function take(m, q, i, h, r, t)
  local now, latest = tonumber(t[1]), tonumber(t[2])
  local nbs = redis.call('HGET', m, 'next') or '0'
  local nb = tonumber(nbs)
  if nb > math.max(now, latest) then return {'n', nbs} end
  local at = math.max(nb, now)
  local key = nil
  local over = '0'
  local e = redis.call('ZRANGEBYSCORE', h, '-inf', now, 'LIMIT', 0, 1)
  if #e > 0 then
    key = e[1]
    over = '1'
  else
    while true do
      key = redis.call('LPOP', q)
      if not key or redis.call('HGET', i, key) == 'q' then break end
    end
  end
  if not key then
    local f = redis.call('ZRANGE', h, 0, 0, 'WITHSCORES')
    if #f > 0 then return {'h', f[2]} end
    return {'e'}
  end
  local lease = at + tonumber(t[3])
  redis.call('ZADD', h, lease, key)
  redis.call('HSET', i, key, 'c')
  redis.call('HSET', m, 'next', string.format('%d', at + tonumber(t[4])))
  local res = redis.call('HGET', r, key)
  return {'i', key, over, res or '', string.format('%d', at), string.format('%d', lease)}
end
";

/// KEYS: m, q, i, h, r. ARGV: now, latest, lease, gap. As `take`, or {'x'} (no such plan).
const LUA_CLAIM: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return {'x'} end
return take(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV)
";

/// Gives a pace slot back: ARGV[n] the time the claim set ('' for none), ARGV[n + 1] the
/// time to put back while it is unchanged.
const LUA_GIVE_BACK: &str = r"
local function give_back(m, taken, back_to)
  if taken ~= '' and redis.call('HGET', m, 'next') == taken then
    redis.call('HSET', m, 'next', back_to)
  end
end
";

/// Whether `key` is held under the claim whose lease ends at `lease`.
const LUA_HELD: &str = r"
local function held(h, key, lease)
  local s = redis.call('ZSCORE', h, key)
  return s and tonumber(s) == tonumber(lease)
end
";

/// Ends `key` as state letter `st` (with `failure`, '' for none) when it is held under
/// `lease`, giving the slot back; the counts {q, d, p, s, x} after, or nil when not held.
const LUA_FINISH_HELD: &str = r"
local function finish(m, i, h, e, key, st, failure, taken, back_to, lease)
  if not held(h, key, lease) then return nil end
  redis.call('ZREM', h, key)
  give_back(m, taken, back_to)
  redis.call('HSET', i, key, st)
  redis.call('HINCRBY', m, 'q', -1)
  redis.call('HINCRBY', m, st, 1)
  if failure ~= '' then redis.call('HSET', e, key, failure) end
  return redis.call('HMGET', m, 'q', 'd', 'p', 's', 'x')
end
";

/// KEYS: m, i, h, e. ARGV: key, state letter, failure ('' for none), slot taken, back to,
/// lease. Returns the counts {q, d, p, s, x} after, or {} when the intent is not held under
/// that lease.
const LUA_FINISH: &str = r"
return finish(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4],
  ARGV[5], ARGV[6]) or {}
";

/// KEYS: m, q, i, h, r, e. ARGV: as `LUA_FINISH`, then now, latest, lease, gap for the
/// claim. Returns the counts then the claim's reply, or {} when the intent is not held
/// under that lease (nothing claimed).
const LUA_FINISH_CLAIM: &str = r"
local c = finish(KEYS[1], KEYS[3], KEYS[4], KEYS[6], ARGV[1], ARGV[2], ARGV[3], ARGV[4],
  ARGV[5], ARGV[6])
if not c then return {} end
local t = take(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], {ARGV[7], ARGV[8], ARGV[9], ARGV[10]})
for _, v in ipairs(t) do c[#c + 1] = v end
return c
";

/// KEYS: m, q, i, h. ARGV: key, lease, slot taken, back to.
const LUA_RELEASE: &str = r"
if held(KEYS[4], ARGV[1], ARGV[2]) then
  redis.call('ZREM', KEYS[4], ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], 'q')
  redis.call('LPUSH', KEYS[2], ARGV[1])
  give_back(KEYS[1], ARGV[3], ARGV[4])
end
return 1
";

/// KEYS: m, q, i, h. ARGV: key, not before, slot taken, back to, lease.
const LUA_REQUEUE: &str = r"
give_back(KEYS[1], ARGV[3], ARGV[4])
if held(KEYS[4], ARGV[1], ARGV[5]) then
  redis.call('ZREM', KEYS[4], ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], 'q')
  redis.call('RPUSH', KEYS[2], ARGV[1])
end
local nb = tonumber(redis.call('HGET', KEYS[1], 'next') or '0')
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(ARGV[2]) > nb then
  redis.call('HSET', KEYS[1], 'next', ARGV[2])
end
return 1
";

pub(crate) struct RedisStore {
    pool: LedgerPool,
    create: Script,
    add: Script,
    claim: Script,
    finish: Script,
    finish_claim: Script,
    release: Script,
    requeue: Script,
}

/// The key of part `part` of `plan` (plan names are checked: no braces).
fn key(plan: &str, part: &str) -> String {
    format!("xfollow:plan:{{{plan}}}:{part}")
}

fn bad_reply(what: &str) -> PlanError {
    PlanError::from(QuotaError::store(
        StoreKind::Redis,
        format!("unexpected reply from the plan {what} script"),
    ))
}

fn parse_counts(v: &[Option<i64>]) -> Option<Counts> {
    Counts::from_stored(|i| v.get(i).copied().flatten().ok_or(())).ok()
}

/// A claim script's reply.
fn parse_claim(r: &[String]) -> Result<Claim, PlanError> {
    let num = |s: &String| s.parse::<i64>().map_err(|_| bad_reply("claim"));
    match r {
        [t, k, over, resolved, at, lease] if t == "i" => Ok(Claim::Intent {
            key: k.clone(),
            resolved: (!resolved.is_empty()).then(|| resolved.clone()),
            taken_over: over == "1",
            at: num(at)?,
            lease: num(lease)?,
        }),
        [t, at] if t == "n" => Ok(Claim::NotBefore(num(at)?)),
        [t, at] if t == "h" => Ok(Claim::Held(num(at)?)),
        [t] if t == "e" => Ok(Claim::Empty),
        [t] if t == "x" => Err(PlanError::NoSuchPlan),
        _ => Err(bad_reply("claim")),
    }
}

/// The slot as two script arguments ('' when there is none).
fn slot_args(slot: Option<Slot>) -> (String, String) {
    slot.map_or((String::new(), String::new()), |s| {
        (s.taken.to_string(), s.back_to.to_string())
    })
}

/// A call of `script` on these parts of `plan`, as its KEYS in this order.
fn invocation<'s>(script: &'s Script, plan: &str, parts: &[&str]) -> ScriptInvocation<'s> {
    let mut inv = script.prepare_invoke();
    for part in parts {
        inv.key(key(plan, part));
    }
    inv
}

/// The ARGV a claim takes: now, latest, lease, gap.
fn take_args(inv: &mut ScriptInvocation<'_>, take: Take) {
    inv.arg(take.now)
        .arg(take.latest)
        .arg(take.lease)
        .arg(take.gap);
}

/// The ARGV `LUA_FINISH` takes: key, state letter, failure ('' for none), slot taken, back
/// to, lease.
fn finish_args(inv: &mut ScriptInvocation<'_>, end: Finish<'_>) {
    let (taken, back_to) = slot_args(end.slot);
    inv.arg(end.key)
        .arg(end.state.code())
        .arg(end.failure.map(Failure::encode).unwrap_or_default())
        .arg(taken)
        .arg(back_to)
        .arg(end.lease);
}

/// How many keys one `add` script call takes (bounds the script's run time).
const ADD_BATCH: usize = 1_000;

impl RedisStore {
    pub(crate) fn open(url: &str) -> Result<RedisStore, PlanError> {
        Ok(RedisStore {
            pool: LedgerPool::open(url)?,
            create: Script::new(LUA_CREATE),
            add: Script::new(LUA_ADD),
            claim: Script::new(&format!("{LUA_TAKE}{LUA_CLAIM}")),
            finish: Script::new(&format!(
                "{LUA_HELD}{LUA_GIVE_BACK}{LUA_FINISH_HELD}{LUA_FINISH}"
            )),
            finish_claim: Script::new(&format!(
                "{LUA_HELD}{LUA_GIVE_BACK}{LUA_FINISH_HELD}{LUA_TAKE}{LUA_FINISH_CLAIM}"
            )),
            release: Script::new(&format!("{LUA_HELD}{LUA_GIVE_BACK}{LUA_RELEASE}")),
            requeue: Script::new(&format!("{LUA_HELD}{LUA_GIVE_BACK}{LUA_REQUEUE}")),
        })
    }

    fn with_conn<T>(
        &self,
        f: impl Fn(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, PlanError> {
        self.pool.with_conn(f).map_err(PlanError::from)
    }
}

impl Store for RedisStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Redis
    }

    fn create(&self, plan: &str, source: &str) -> Result<bool, PlanError> {
        let r: i64 = self.with_conn(|c| {
            self.create
                .key(key(plan, "m"))
                .key(PLANS)
                .arg(plan)
                .arg(source)
                .invoke(c)
        })?;
        match r {
            1 => Ok(true),
            0 => Ok(false),
            _ => Err(PlanError::SourceMismatch),
        }
    }

    fn source(&self, plan: &str) -> Result<Option<String>, PlanError> {
        self.with_conn(|c| redis::cmd("HGET").arg(key(plan, "m")).arg("src").query(c))
    }

    fn add(&self, plan: &str, keys: &[String]) -> Result<u64, PlanError> {
        let mut added = 0;
        for chunk in keys.chunks(ADD_BATCH) {
            let r: i64 = self.with_conn(|c| {
                let mut inv = invocation(&self.add, plan, &["m", "q", "i"]);
                inv.arg(MAX_INTENTS);
                for k in chunk {
                    inv.arg(k);
                }
                inv.invoke(c)
            })?;
            match r {
                -1 => return Err(PlanError::NoSuchPlan),
                -2 => return Err(PlanError::TooManyIntents),
                n => added += u64::try_from(n).map_err(|_| bad_reply("add"))?,
            }
        }
        Ok(added)
    }

    fn claim(&self, plan: &str, take: Take) -> Result<Claim, PlanError> {
        let r: Vec<String> = self.with_conn(|c| {
            let mut inv = invocation(&self.claim, plan, &["m", "q", "i", "h", "r"]);
            take_args(&mut inv, take);
            inv.invoke(c)
        })?;
        parse_claim(&r)
    }

    fn resolve(&self, plan: &str, k: &str, id: &str) -> Result<(), PlanError> {
        self.with_conn(|c| {
            redis::cmd("HSET")
                .arg(key(plan, "r"))
                .arg(k)
                .arg(id)
                .query(c)
        })
    }

    fn finish(&self, plan: &str, end: Finish<'_>) -> Result<Option<Counts>, PlanError> {
        let r: Vec<Option<i64>> = self.with_conn(|c| {
            let mut inv = invocation(&self.finish, plan, &["m", "i", "h", "e"]);
            finish_args(&mut inv, end);
            inv.invoke(c)
        })?;
        if r.is_empty() {
            return Ok(None);
        }
        parse_counts(&r)
            .map(Some)
            .ok_or_else(|| bad_reply("finish"))
    }

    fn finish_and_claim(
        &self,
        plan: &str,
        end: Finish<'_>,
        take: Take,
    ) -> Result<Option<(Counts, Claim)>, PlanError> {
        let r: Vec<String> = self.with_conn(|c| {
            let mut inv = invocation(&self.finish_claim, plan, &["m", "q", "i", "h", "r", "e"]);
            finish_args(&mut inv, end);
            take_args(&mut inv, take);
            inv.invoke(c)
        })?;
        if r.is_empty() {
            return Ok(None);
        }
        let (counts, claim) = r.split_at_checked(5).ok_or_else(|| bad_reply("finish"))?;
        let counts: Vec<Option<i64>> = counts.iter().map(|v| v.parse().ok()).collect();
        let counts = parse_counts(&counts).ok_or_else(|| bad_reply("finish"))?;
        Ok(Some((counts, parse_claim(claim)?)))
    }

    fn release(
        &self,
        plan: &str,
        k: &str,
        lease: i64,
        slot: Option<Slot>,
    ) -> Result<(), PlanError> {
        let (taken, back_to) = slot_args(slot);
        self.with_conn(|c| {
            invocation(&self.release, plan, &["m", "q", "i", "h"])
                .arg(k)
                .arg(lease)
                .arg(&taken)
                .arg(&back_to)
                .invoke::<i64>(c)
        })?;
        Ok(())
    }

    fn requeue(
        &self,
        plan: &str,
        k: &str,
        lease: i64,
        not_before: i64,
        slot: Option<Slot>,
    ) -> Result<(), PlanError> {
        let (taken, back_to) = slot_args(slot);
        self.with_conn(|c| {
            invocation(&self.requeue, plan, &["m", "q", "i", "h"])
                .arg(k)
                .arg(not_before)
                .arg(&taken)
                .arg(&back_to)
                .arg(lease)
                .invoke::<i64>(c)
        })?;
        Ok(())
    }

    fn status(&self, plan: &str) -> Result<Counts, PlanError> {
        let r: Vec<Option<i64>> = self.with_conn(|c| {
            redis::cmd("HMGET")
                .arg(key(plan, "m"))
                .arg(&["q", "d", "p", "s", "x"])
                .query(c)
        })?;
        parse_counts(&r).ok_or(PlanError::NoSuchPlan)
    }

    fn intents(&self, plan: &str, limit: usize) -> Result<Vec<IntentRecord>, PlanError> {
        if self.source(plan)?.is_none() {
            return Err(PlanError::NoSuchPlan);
        }
        let mut out = Vec::new();
        let mut cursor: u64 = 0;
        loop {
            let (next, page): (u64, Vec<String>) = self.with_conn(|c| {
                redis::cmd("HSCAN")
                    .arg(key(plan, "i"))
                    .arg(cursor)
                    .arg("COUNT")
                    .arg(1000)
                    .query(c)
            })?;
            let pairs: Vec<(String, String)> = page
                .chunks(2)
                .filter_map(|p| Some((p.first()?.clone(), p.get(1)?.clone())))
                .collect();
            let fetch = |part: &str| -> Result<Vec<Option<String>>, PlanError> {
                if pairs.is_empty() {
                    return Ok(Vec::new());
                }
                self.with_conn(|c| {
                    let mut cmd = redis::cmd("HMGET");
                    cmd.arg(key(plan, part));
                    for (k, _) in &pairs {
                        cmd.arg(k);
                    }
                    cmd.query(c)
                })
            };
            let resolved = fetch("r")?;
            let failures = fetch("e")?;
            for (j, (k, st)) in pairs.iter().enumerate() {
                if out.len() >= limit {
                    return Ok(out);
                }
                if let (Some(intent), Some(state)) = (Intent::from_key(k), State::from_code(st)) {
                    out.push(IntentRecord {
                        intent,
                        state,
                        resolved_id: resolved.get(j).cloned().flatten(),
                        failure: failures
                            .get(j)
                            .cloned()
                            .flatten()
                            .filter(|_| state == State::Failed)
                            .map(|f| Failure::decode(&f)),
                    });
                }
            }
            cursor = next;
            if cursor == 0 {
                return Ok(out);
            }
        }
    }

    fn queued(&self, plan: &str, limit: usize) -> Result<Vec<String>, PlanError> {
        if self.source(plan)?.is_none() {
            return Err(PlanError::NoSuchPlan);
        }
        let end = isize::try_from(limit)
            .unwrap_or(isize::MAX)
            .saturating_sub(1);
        let mut held: Vec<String> = self.with_conn(|c| {
            redis::cmd("ZRANGE")
                .arg(key(plan, "h"))
                .arg(0)
                .arg(end)
                .query(c)
        })?;
        if held.len() < limit {
            let rest = isize::try_from(limit - held.len())
                .unwrap_or(isize::MAX)
                .saturating_sub(1);
            let q: Vec<String> = self.with_conn(|c| {
                redis::cmd("LRANGE")
                    .arg(key(plan, "q"))
                    .arg(0)
                    .arg(rest)
                    .query(c)
            })?;
            held.extend(q);
        }
        Ok(held)
    }

    fn plans(&self) -> Result<Vec<String>, PlanError> {
        let mut v: Vec<String> = self.with_conn(|c| redis::cmd("SMEMBERS").arg(PLANS).query(c))?;
        v.sort();
        Ok(v)
    }

    fn drop_plan(&self, plan: &str) -> Result<bool, PlanError> {
        let n: i64 = self.with_conn(|c| {
            redis::pipe()
                .atomic()
                .cmd("DEL")
                .arg(
                    ["m", "q", "i", "h", "r", "e"]
                        .map(|p| key(plan, p))
                        .to_vec(),
                )
                .ignore()
                .cmd("SREM")
                .arg(PLANS)
                .arg(plan)
                .query::<(i64,)>(c)
                .map(|(n,)| n)
        })?;
        Ok(n > 0)
    }
}
