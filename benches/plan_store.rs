//! The follow plans' bookkeeping per intent, for each store, and the Redis store's size per
//! queued intent.
//!
//! `cargo bench --bench plan_store` (release build). For each store: 10,000 intents added (in
//! batches of 1,000), then the bookkeeping of 10,000 intents as a runner does it around its
//! requests (one claim, then per intent one call that records it done and claims the next),
//! and for comparison 10,000 rounds of a claim and a record as two calls (a run's first
//! intent, or one after a pause), each the median of 3 runs on a fresh plan; no request is
//! sent. On Redis also: the server's `used_memory` growth per queued intent
//! for 100,000 intents with ids of 19 digits, and a claim's cost with
//! `XFOLLOW_PLAN_BENCH_BIG` (default 1,000,000) intents queued in one plan.

#[path = "../tests/quota_support/mod.rs"]
mod quota_support;

use std::time::{Duration, Instant};

use xfollow::plan::{Intent, PlanStore};

const RUNS: usize = 3;
const OPS: u64 = 10_000;
const SOURCE: &str = "1500000000000000001";

fn intents(n: u64, from: u64) -> Vec<Intent> {
    (0..n)
        .map(|i| Intent::follow(&(1_700_000_000_000_000_000 + from + i).to_string()).unwrap())
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn add_all(plan: &xfollow::Plan, list: &[Intent]) {
    for chunk in list.chunks(1_000) {
        plan.add(chunk).unwrap();
    }
}

/// Two calls per intent: claim, then record.
fn two_calls(plan: &xfollow::Plan) {
    for i in 0..OPS {
        // One claim and one record as two calls (n = 1).
        assert_eq!(plan.bookkeeping_rounds(1, 1_000 + i as i64).unwrap(), 1);
    }
}

/// As a runner does it: one call per intent.
fn one_call(plan: &xfollow::Plan) {
    assert_eq!(plan.bookkeeping_rounds(OPS, 1_000).unwrap(), OPS);
}

fn bench(kind: &str, store: &PlanStore) {
    let mut adds = Vec::new();
    let mut rounds = Vec::new();
    let mut pairs = Vec::new();
    for run in 0..RUNS {
        for (times, round) in [
            (&mut rounds, one_call as fn(&xfollow::Plan)),
            (&mut pairs, two_calls),
        ] {
            let plan = store.create(&format!("bench-{run}"), SOURCE).unwrap();
            let list = intents(OPS, 0);
            let start = Instant::now();
            add_all(&plan, &list);
            adds.push(start.elapsed() / OPS as u32);
            let start = Instant::now();
            round(&plan);
            times.push(start.elapsed() / OPS as u32);
            assert_eq!(plan.status().unwrap().done, OPS);
            store.drop_plan(plan.name()).unwrap();
        }
    }
    println!(
        "{kind:<7} add {:>7.1} us/intent   record + claim next (one call) {:>7.1} us/intent   claim, record (two calls) {:>7.1} us/intent",
        median(adds).as_secs_f64() * 1e6,
        median(rounds).as_secs_f64() * 1e6,
        median(pairs).as_secs_f64() * 1e6
    );
}

fn used_memory(url: &str) -> i64 {
    let client = redis::Client::open(url).unwrap();
    let mut c = client.get_connection().unwrap();
    let info: String = redis::cmd("INFO").arg("memory").query(&mut c).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn main() {
    let dir = quota_support::TempDir::new("plan-bench");
    bench("memory", &PlanStore::open("memory:").unwrap());
    let sqlite = format!("sqlite:{}", dir.path().join("plans.db").display());
    bench("sqlite", &PlanStore::open(&sqlite).unwrap());
    let redis = quota_support::RedisServer::start();
    let store = PlanStore::open(&redis.url()).unwrap();
    bench("redis", &store);

    let n = 100_000;
    let before = used_memory(&redis.url());
    let plan = store.create("size", SOURCE).unwrap();
    add_all(&plan, &intents(n, 0));
    let after = used_memory(&redis.url());
    println!(
        "redis   {:.1} bytes per queued intent ({n} intents, used_memory {before} -> {after})",
        (after - before) as f64 / n as f64
    );
    store.drop_plan("size").unwrap();

    let big: u64 = std::env::var("XFOLLOW_PLAN_BENCH_BIG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let plan = store.create("big", SOURCE).unwrap();
    let small = store.create("small", SOURCE).unwrap();
    add_all(&small, &intents(OPS, 0));
    add_all(&plan, &intents(big, 0));
    let time = |p: &xfollow::Plan| {
        let start = Instant::now();
        one_call(p);
        start.elapsed() / OPS as u32
    };
    let t_small = time(&small);
    let t_big = time(&plan);
    println!(
        "redis   record + claim next with {OPS} queued: {:.1} us; with {big} queued: {:.1} us; {:.1} bytes per queued intent at {big}",
        t_small.as_secs_f64() * 1e6,
        t_big.as_secs_f64() * 1e6,
        {
            let m = used_memory(&redis.url());
            m as f64 / (big + OPS) as f64
        }
    );
}
