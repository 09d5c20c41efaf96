//! A fleet working follow plans: 4 runner processes on one Redis store (plans and ledger)
//! against the emulator, over the plans of 1,000 users of 100 follows each (100,000 intents).
//! Prints intents per second (wall time from the runners' start to the last one's end) and
//! the runners' CPU time per intent (user + system of the 4 processes, from
//! `/proc/self/stat`'s waited-for children), client, ledger and plan bookkeeping together.
//!
//! `cargo build --release -p xfollow-emulator && cargo bench --bench plan_fleet` (the debug
//! emulator is used when there is no release one). Env: `XFOLLOW_PLAN_BENCH_USERS` (1,000),
//! `XFOLLOW_PLAN_BENCH_PER_USER` (100), `XFOLLOW_PLAN_BENCH_RUNNERS` (4). The ledger counts
//! every follow with its caps off (100,000 follows is above any daily cap); no pace binds
//! (360,000 per hour per plan); each runner builds one OAuth 2.0 client per user (one
//! `GET /2/users/me` each) and skips the following-list check.

#[path = "../tests/plan_support/mod.rs"]
mod plan_support;
#[path = "../tests/quota_support/mod.rs"]
mod quota_support;
#[path = "../tests/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use xfollow::plan::{Intent, Pace, PlanStore, RunOptions, Runner};
use xfollow::quota::QuotaLimits;
use xfollow::{Client, RetryPolicy};

const FIRST: u64 = 1_800_000_000_000_000_000;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn child() {
    let url = std::env::var("XFOLLOW_PLAN_BENCH_STORE").unwrap();
    let base = std::env::var("XFOLLOW_PLAN_BENCH_BASE").unwrap();
    let users = env_num("XFOLLOW_PLAN_BENCH_USERS", 1_000);
    let store = PlanStore::open(&url).unwrap();
    let mut jobs = Vec::new();
    for i in 0..users {
        let client = Client::builder()
            .base_url(base.clone())
            .oauth2_token(format!("tok-{}", FIRST + i))
            .client_id(Some("demo-client-id".into()))
            .gzip(false)
            .retry(RetryPolicy::never())
            .quota(url.clone())
            .quota_limits(QuotaLimits::UNLIMITED)
            .build()
            .unwrap();
        jobs.push((store.plan(&format!("bench-{i}")).unwrap(), client));
    }
    let pairs: Vec<(&xfollow::Plan, &Client)> = jobs.iter().map(|(p, c)| (p, c)).collect();
    let runner = Runner::new(
        RunOptions::new()
            .pace(Pace::per_hour(360_000).unwrap())
            .lease(Duration::from_secs(60))
            .check_current(false),
    )
    .unwrap();
    let r = runner.run_all(&pairs, |_| {}).unwrap();
    println!("SENT {}", r.sent);
}

/// User + system CPU of the waited-for children, from /proc/self/stat (clock ticks of 10 ms).
fn children_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split(' ').collect();
    // Fields 16 and 17 (cutime, cstime), counted from 1 with the pid and name first.
    let ticks: u64 = f[13].parse::<u64>().unwrap() + f[14].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

fn main() {
    if std::env::var_os("XFOLLOW_PLAN_BENCH_CHILD").is_some() {
        child();
        return;
    }
    let users = env_num("XFOLLOW_PLAN_BENCH_USERS", 1_000);
    let per = env_num("XFOLLOW_PLAN_BENCH_PER_USER", 100).min(users - 1);
    let runners = env_num("XFOLLOW_PLAN_BENCH_RUNNERS", 4);
    let release = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/release/xfollow-emulator"
    );
    let bin = if std::path::Path::new(release).exists() {
        std::path::PathBuf::from(release)
    } else {
        support::emulator_path()
    };
    let emu = support::Emulator::start_world_binary(
        &bin,
        &plan_support::generated_world(FIRST, users),
        &["--max-connections", "16384"],
    );
    let redis = quota_support::RedisServer::start();
    let url = redis.url();
    let store = PlanStore::open(&url).unwrap();
    for i in 0..users {
        let plan = store
            .create(&format!("bench-{i}"), &(FIRST + i).to_string())
            .unwrap();
        let intents: Vec<Intent> = (1..=per)
            .map(|j| Intent::follow(&(FIRST + (i + j) % users).to_string()).unwrap())
            .collect();
        plan.add(&intents).unwrap();
    }
    let exe = std::env::current_exe().unwrap();
    let start = Instant::now();
    let children: Vec<_> = (0..runners)
        .map(|_| {
            Command::new(&exe)
                .env("XFOLLOW_PLAN_BENCH_CHILD", "1")
                .env("XFOLLOW_PLAN_BENCH_STORE", &url)
                .env("XFOLLOW_PLAN_BENCH_BASE", &emu.base)
                .env("XFOLLOW_PLAN_BENCH_USERS", users.to_string())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut sent = 0;
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        sent += text
            .trim()
            .strip_prefix("SENT ")
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("runner said {text:?}"));
    }
    let wall = start.elapsed();
    let cpu = children_cpu();
    let intents = users * per;
    assert_eq!(sent, intents, "every intent sent once");
    let mut done = 0;
    for i in 0..users {
        done += store
            .plan(&format!("bench-{i}"))
            .unwrap()
            .status()
            .unwrap()
            .done;
    }
    assert_eq!(done, intents);
    println!(
        "{intents} intents ({users} users x {per}), {runners} runners, emulator {}: {:.1} s, {:.0} intents/s, runner CPU {:.0} us per intent",
        bin.display(),
        wall.as_secs_f64(),
        intents as f64 / wall.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / intents as f64
    );
}
