//! Follow plans across processes (issue 14): a runner killed with SIGKILL at random points
//! and restarted, and a fleet of runner processes on one Redis store.
//!
//! The runner processes are this test binary again, running the ignored test `child_entry`
//! with `XFOLLOW_PLAN_CHILD` set. `XFOLLOW_PLAN_FLEET_USERS` (default 1,000) sizes the fleet.

mod plan_support;
mod quota_support;
mod support;

use plan_support::{follow_requests, generated_world, requests_since};
use quota_support::{after_marker, marked_lines, spawn_child, RedisServer, TempDir};
use rand::Rng;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use support::{Emulator, ALICE, ALICE_SECRET, ALICE_TOKEN, CONSUMER_KEY, CONSUMER_SECRET};
use xfollow::plan::{Pace, PlanStore, RunOptions, Runner, State};
use xfollow::quota::{AppId, Ledger, QuotaLimits};
use xfollow::{Client, RetryPolicy};

const KILL_FIRST: u64 = 1_600_000_000_000_000_000;
const KILL_TARGETS: u64 = 300;
const KILLS: usize = 20;
const FLEET_FIRST: u64 = 1_700_000_000_000_000_000;
const FLEET_INTENTS: u64 = 5;
const FLEET_PER_USER: u32 = 4;
const RUNNERS: usize = 4;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

fn fleet_users() -> u64 {
    std::env::var("XFOLLOW_PLAN_FLEET_USERS")
        .ok()
        .map(|v| v.parse().expect("XFOLLOW_PLAN_FLEET_USERS is a number"))
        .unwrap_or(1000)
}

/// Follows per app the fleet's ledger allows: less than the plans ask for, so that the app's
/// cap binds as well as each user's.
fn fleet_app_cap(users: u64) -> u32 {
    u32::try_from(users * 7 / 2).unwrap()
}

/// Entry point of the runner processes; does nothing unless `XFOLLOW_PLAN_CHILD` is set.
#[test]
#[ignore = "run by the tests below in child processes"]
fn child_entry() {
    match std::env::var("XFOLLOW_PLAN_CHILD").as_deref() {
        Ok("kill") => child_kill(),
        Ok("fleet") => child_fleet(),
        _ => {}
    }
}

/// Runs the plan `XFOLLOW_PLAN_NAME` as Alice, ledger and plans in one SQLite file.
fn child_kill() {
    let url = env("XFOLLOW_PLAN_STORE");
    let client = Client::builder()
        .base_url(env("XFOLLOW_PLAN_BASE"))
        .oauth1(CONSUMER_KEY, CONSUMER_SECRET, ALICE_TOKEN, ALICE_SECRET)
        .retry(RetryPolicy::never())
        .quota(url.clone())
        .build()
        .unwrap();
    let store = PlanStore::open(&url).unwrap();
    let plan = store.plan(&env("XFOLLOW_PLAN_NAME")).unwrap();
    let runner = Runner::new(
        RunOptions::new()
            .pace(Pace::per_hour(72_000).unwrap())
            .lease(Duration::from_secs(1)),
    )
    .unwrap();
    let r = runner.run(&plan, &client, |_| {}).unwrap();
    println!("PLAN-REPORT {} {:?}", r.sent, r.stop);
}

/// Works the plans of every generated user, each with its own client, on the Redis store.
fn child_fleet() {
    let url = env("XFOLLOW_PLAN_STORE");
    let base = env("XFOLLOW_PLAN_BASE");
    let users = fleet_users();
    let store = PlanStore::open(&url).unwrap();
    let limits = QuotaLimits {
        follows_per_user: FLEET_PER_USER,
        follows_per_app: fleet_app_cap(users),
        unfollows_per_app: 500,
    };
    let mut jobs = Vec::new();
    for i in 0..users {
        let id = (FLEET_FIRST + i).to_string();
        let client = Client::builder()
            .base_url(base.clone())
            .oauth2_token(format!("tok-{id}"))
            .client_id(Some("demo-client-id".into()))
            .retry(RetryPolicy::never())
            .quota(url.clone())
            .quota_limits(limits)
            .build()
            .unwrap();
        jobs.push((store.plan(&format!("fleet-{i}")).unwrap(), client));
    }
    let pairs: Vec<(&xfollow::Plan, &Client)> = jobs.iter().map(|(p, c)| (p, c)).collect();
    let runner = Runner::new(
        RunOptions::new()
            .pace(Pace::per_hour(36_000).unwrap())
            .lease(Duration::from_secs(30))
            .max_seconds(120),
    )
    .unwrap();
    let r = runner.run_all(&pairs, |_| {}).unwrap();
    println!("PLAN-REPORT {} {:?}", r.sent, r.stop);
}

/// A runner killed with SIGKILL at 20 random moments and restarted each time: in the end
/// every intent is done, the emulator follows exactly the plan's targets, no intent was sent
/// again once done, and the ledger counts at least every request sent.
#[test]
fn a_runner_killed_at_random_points_resumes_without_resending_what_is_done() {
    let emu = Emulator::start_world(&generated_world(KILL_FIRST, KILL_TARGETS), &[]);
    let dir = TempDir::new("plan-kill");
    let url = format!("sqlite:{}", dir.path().join("state.db").display());
    let store = PlanStore::open(&url).unwrap();
    let plan = store.create("kill", ALICE).unwrap();
    let targets: Vec<String> = (0..KILL_TARGETS)
        .map(|i| (KILL_FIRST + i).to_string())
        .collect();
    let refs: Vec<&str> = targets.iter().map(String::as_str).collect();
    assert_eq!(plan.follow(&refs).unwrap(), KILL_TARGETS);
    // Each follow takes 40 ms at the emulator, so that many kills land mid-request (the
    // emulator still applies it): those intents are taken over after their lease.
    emu.fault(
        serde_json::json!({"route": "POST /2/users/*/following", "kind": "delay",
                                 "delay_ms": 40, "count": 1_000_000}),
    );
    let child_env = [
        ("XFOLLOW_PLAN_CHILD", "kill".to_string()),
        ("XFOLLOW_PLAN_STORE", url.clone()),
        ("XFOLLOW_PLAN_BASE", emu.base.clone()),
        ("XFOLLOW_PLAN_NAME", "kill".to_string()),
    ];
    let mut rng = rand::thread_rng();
    // (last request logged, intents done) after each kill.
    let mut checkpoints: Vec<(u64, HashSet<String>)> = Vec::new();
    for _ in 0..KILLS {
        let mut child = spawn_child("child_entry", &child_env);
        std::thread::sleep(Duration::from_millis(rng.gen_range(150..700)));
        child.kill().unwrap();
        child.wait().unwrap();
        let last = requests_since(&emu.base, 0).last().map_or(0, |r| r.seq);
        let done: HashSet<String> = plan
            .intents()
            .unwrap()
            .into_iter()
            .filter(|r| r.state == State::Done)
            .map(|r| r.intent.target.to_string())
            .collect();
        checkpoints.push((last, done));
    }
    let progress: Vec<usize> = checkpoints.iter().map(|c| c.1.len()).collect();
    assert!(
        progress.last().unwrap() < &(KILL_TARGETS as usize),
        "the kills all came after the end: {progress:?}"
    );
    let mut child = spawn_child("child_entry", &child_env);
    let lines = marked_lines(&mut child, "PLAN-REPORT ");
    assert!(child.wait().unwrap().success());
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].ends_with("Finished"), "{lines:?}");

    let counts = plan.status().unwrap();
    assert_eq!((counts.done, counts.total()), (KILL_TARGETS, KILL_TARGETS));
    let mut followed: Vec<String> = emu
        .edges("follows")
        .into_iter()
        .filter(|(s, _)| s == ALICE)
        .map(|(_, t)| t)
        .collect();
    followed.sort();
    assert_eq!(followed, targets);
    let log = requests_since(&emu.base, 0);
    let sent = follow_requests(&log);
    for (last, done) in &checkpoints {
        for r in sent.iter().filter(|r| r.seq > *last) {
            assert!(
                !done.contains(r.target.as_deref().unwrap()),
                "{:?} was sent again after it was done",
                r.target
            );
        }
    }
    let mut per_target: HashMap<&str, usize> = HashMap::new();
    for r in &sent {
        *per_target.entry(r.target.as_deref().unwrap()).or_default() += 1;
    }
    let resent = sent.len() - per_target.len();
    assert!(
        resent <= KILLS,
        "{resent} requests sent again for {KILLS} kills"
    );
    assert!(per_target.values().all(|&n| n <= 2));
    // Kills that landed between a request and its record: the intent was sent but not done.
    let mid_request = checkpoints
        .iter()
        .filter(|(last, done)| {
            sent.iter()
                .any(|r| r.seq <= *last && !done.contains(r.target.as_deref().unwrap()))
        })
        .count();
    assert!(mid_request > 0, "no kill landed mid-request");
    let ledger = Ledger::open(&url, QuotaLimits::default()).unwrap();
    let used = ledger
        .status(&AppId::from_key(CONSUMER_KEY), ALICE)
        .unwrap()
        .user_used;
    assert!(
        used as usize >= sent.len(),
        "the ledger counts {used} follows, {} were sent",
        sent.len()
    );
    eprintln!(
        "kill test: {} follow requests for {KILL_TARGETS} intents ({resent} sent again), {mid_request} kills mid-request, ledger {used}, done after each kill: {progress:?}",
        sent.len()
    );
}

/// Four runner processes on one Redis store work the plans of many users at once: no intent
/// is requested twice, no user's cap nor the app's is passed, every plan ends as the caps
/// allow.
#[test]
fn four_runners_on_one_redis_never_send_an_intent_twice_nor_pass_a_cap() {
    let users = fleet_users();
    let started = Instant::now();
    let emu = Emulator::start_world(
        &generated_world(FLEET_FIRST, users),
        &["--max-connections", "4096"],
    );
    let redis = RedisServer::start();
    let url = redis.url();
    let store = PlanStore::open(&url).unwrap();
    let mut wanted: HashSet<(String, String)> = HashSet::new();
    for i in 0..users {
        let id = (FLEET_FIRST + i).to_string();
        let plan = store.create(&format!("fleet-{i}"), &id).unwrap();
        let targets: Vec<String> = (1..=FLEET_INTENTS)
            .map(|j| (FLEET_FIRST + (i + j * 37) % users).to_string())
            .collect();
        for t in &targets {
            wanted.insert((id.clone(), t.clone()));
        }
        let refs: Vec<&str> = targets.iter().map(String::as_str).collect();
        assert_eq!(plan.follow(&refs).unwrap(), FLEET_INTENTS);
    }
    let mut children: Vec<_> = (0..RUNNERS)
        .map(|_| {
            spawn_child(
                "child_entry",
                &[
                    ("XFOLLOW_PLAN_CHILD", "fleet".to_string()),
                    ("XFOLLOW_PLAN_STORE", url.clone()),
                    ("XFOLLOW_PLAN_BASE", emu.base.clone()),
                    ("XFOLLOW_PLAN_FLEET_USERS", users.to_string()),
                ],
            )
        })
        .collect();
    let mut reported = 0;
    for child in &mut children {
        let lines = marked_lines(child, "PLAN-REPORT ");
        assert!(child.wait().unwrap().success());
        assert_eq!(lines.len(), 1, "{lines:?}");
        let (sent, stop) = lines[0].split_once(' ').unwrap();
        assert_eq!(
            stop, "Deadline",
            "the intents beyond the caps wait for tomorrow"
        );
        reported += sent.parse::<usize>().unwrap();
    }
    let log = requests_since(&emu.base, 0);
    let sent = follow_requests(&log);
    assert_eq!(sent.len(), reported);
    let mut pairs = HashSet::new();
    let mut per_user: HashMap<&str, u32> = HashMap::new();
    for r in &sent {
        let pair = (r.source.clone().unwrap(), r.target.clone().unwrap());
        assert!(wanted.contains(&pair), "{pair:?} is in no plan");
        assert!(pairs.insert(pair.clone()), "{pair:?} was requested twice");
        assert_eq!(r.status, 200);
        *per_user.entry(r.source.as_deref().unwrap()).or_default() += 1;
    }
    assert!(
        per_user.values().all(|&n| n <= FLEET_PER_USER),
        "a user's cap was passed"
    );
    assert_eq!(
        sent.len(),
        fleet_app_cap(users) as usize,
        "the app's cap is reached, not passed"
    );
    assert_eq!(emu.edges("follows").len(), sent.len());
    let mut total = xfollow::plan::Counts::default();
    for i in 0..users {
        let c = store.plan(&format!("fleet-{i}")).unwrap().status().unwrap();
        assert_eq!(c.total(), FLEET_INTENTS);
        assert_eq!(
            c.done,
            u64::from(
                per_user
                    .get((FLEET_FIRST + i).to_string().as_str())
                    .copied()
                    .unwrap_or(0)
            )
        );
        total.done += c.done;
        total.queued += c.queued;
    }
    assert_eq!(total.done as usize, sent.len());
    assert_eq!(total.queued, users * FLEET_INTENTS - total.done);
    let ledger = Ledger::open(&url, QuotaLimits::default()).unwrap();
    let st = ledger
        .status(&AppId::from_key("demo-client-id"), &FLEET_FIRST.to_string())
        .unwrap();
    assert_eq!(st.app_used as usize, sent.len());
    eprintln!(
        "fleet test: {users} users, {} intents, {RUNNERS} runners, {} follows sent in {:?}",
        users * FLEET_INTENTS,
        sent.len(),
        started.elapsed()
    );
    let _ = after_marker;
}
