//! The quota ledger's cost per follow, for each store.
//!
//! `cargo bench --bench quota_ledger` (release build). For each store: 1,000 follows reserved and
//! committed (five users, 200 each, default caps, so the app's window fills from 0 to its cap
//! of 1,000), then 1,000 attempts refused on the full window, then 1,000 status calls. Each
//! figure is the median of 5 runs, each run on a fresh app. One thread, one process: the
//! latency one follow pays, not the throughput of a fleet.

#[path = "../tests/quota_support/mod.rs"]
mod quota_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use xfollow::quota::{Action, AppId, Ledger, ManualClock, QuotaLimits};

const USERS: [&str; 5] = ["1001", "1002", "1003", "1004", "1005"];
const RUNS: usize = 5;
const OPS: u32 = 1_000;

struct Figures {
    reserve_commit: Duration,
    refused: Duration,
    status: Duration,
}

fn run(ledger: &Ledger, clock: &ManualClock, app: &AppId) -> Figures {
    let start = Instant::now();
    for i in 0..OPS as usize {
        if i % 10 == 0 {
            clock.advance(Duration::from_secs(1));
        }
        let r = ledger
            .reserve(app, USERS[i % USERS.len()], Action::Follow)
            .expect("reserve");
        r.commit();
    }
    let reserve_commit = start.elapsed() / OPS;
    let start = Instant::now();
    for i in 0..OPS as usize {
        let e = ledger
            .reserve(app, USERS[i % USERS.len()], Action::Follow)
            .expect_err("the app's window is full");
        assert!(e.exhausted().is_some(), "{e}");
    }
    let refused = start.elapsed() / OPS;
    let start = Instant::now();
    for i in 0..OPS as usize {
        let s = ledger.status(app, USERS[i % USERS.len()]).expect("status");
        assert_eq!(s.app_used, 1_000);
    }
    let status = start.elapsed() / OPS;
    Figures {
        reserve_commit,
        refused,
        status,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn bench(name: &str, url: &str) {
    let clock = ManualClock::at_epoch(1_700_000_000);
    let ledger = Ledger::open_with_clock(url, QuotaLimits::default(), Arc::new(clock.clone()))
        .expect("open ledger");
    let mut figures = Vec::new();
    for i in 0..RUNS {
        let app = AppId::from_key(&format!("bench-{}-{name}-{i}", std::process::id()));
        figures.push(run(&ledger, &clock, &app));
    }
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "| {name:<7} | {:>10.1} | {:>10.1} | {:>10.1} |",
        us(median(figures.iter().map(|f| f.reserve_commit).collect())),
        us(median(figures.iter().map(|f| f.refused).collect())),
        us(median(figures.iter().map(|f| f.status).collect())),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing else of use. Either
    // way the whole run takes a few seconds.
    let dir = quota_support::TempDir::new("quota-bench");
    let redis = quota_support::RedisServer::start();
    println!("quota ledger, per call, median of {RUNS} runs of {OPS} (microseconds)");
    println!("sqlite file in {}", dir.path().display());
    println!();
    println!("| store   | reserve+commit | refused | status |");
    println!("|---------|-----------:|-----------:|-----------:|");
    bench("memory", "memory:");
    bench(
        "sqlite",
        &format!("sqlite:{}", dir.path().join("quota.db").display()),
    );
    bench("redis", &redis.url());
}
