//! Helpers for the plan tests: virtual time shared by the runner, the client's ledger and
//! the emulator, the emulator's request log, and a world of many users. They take the
//! emulator's base URL (not an `Emulator`), for closures and child processes.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use xfollow::plan::Sleep;
use xfollow::quota::{Clock, ManualClock};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

fn admin_get(base: &str, path: &str) -> Value {
    let mut r = agent()
        .get(format!("{base}/__emulator/{path}"))
        .call()
        .expect("admin GET");
    assert_eq!(r.status().as_u16(), 200);
    serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
}

/// An admin POST; panics unless it answers 200.
fn admin_post(base: &str, path: &str, body: Value) {
    let r = agent()
        .post(format!("{base}/__emulator/{path}"))
        .content_type("application/json")
        .send(body.to_string())
        .expect("admin POST");
    assert_eq!(r.status().as_u16(), 200);
}

/// The emulator's virtual clock, in seconds.
pub fn emulator_now(base: &str) -> i64 {
    admin_get(base, "clock")["now"].as_i64().unwrap()
}

/// Moves the emulator's virtual clock forward.
pub fn emulator_advance(base: &str, secs: i64) {
    admin_post(base, "clock", json!({ "advance_seconds": secs }));
}

/// One API request the emulator served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub source: Option<String>,
    pub target: Option<String>,
    pub time: i64,
    pub status: u16,
}

/// Every request in the emulator's log after `since`.
pub fn requests_since(base: &str, since: u64) -> Vec<Logged> {
    let mut out = Vec::new();
    let mut since = since;
    loop {
        let v = admin_get(base, &format!("requests?since={since}"));
        assert_eq!(v["dropped"], 0, "the request log dropped entries");
        let page = v["requests"].as_array().unwrap();
        for r in page {
            out.push(Logged {
                seq: r["seq"].as_u64().unwrap(),
                method: r["method"].as_str().unwrap().to_string(),
                path: r["path"].as_str().unwrap().to_string(),
                source: r["source"].as_str().map(str::to_string),
                target: r["target"].as_str().map(str::to_string),
                time: r["time"].as_i64().unwrap(),
                status: r["status"].as_u64().unwrap() as u16,
            });
        }
        match page.last() {
            Some(last) => since = last["seq"].as_u64().unwrap(),
            None => return out,
        }
    }
}

/// Only the follow and unfollow requests.
pub fn follow_requests(log: &[Logged]) -> Vec<&Logged> {
    log.iter()
        .filter(|r| (r.method == "POST" || r.method == "DELETE") && r.path.contains("/following"))
        .collect()
}

/// A manual clock started at the emulator's time, and a sleep that moves both: the runner,
/// the client's ledger and the emulator's windows see the same time, and waits take no time.
pub fn virtual_time(base: &str) -> (ManualClock, Arc<dyn Clock>, Sleep) {
    let clock = ManualClock::at_epoch(emulator_now(base));
    let c = clock.clone();
    let base = base.to_string();
    let sleep: Sleep = Arc::new(move |d: Duration| {
        c.advance(d);
        let target = c.epoch_secs();
        let emu = emulator_now(&base);
        if target > emu {
            emulator_advance(&base, target - emu);
        }
    });
    (clock.clone(), Arc::new(clock), sleep)
}

/// The demo world's apps with `users` more users (ids from `first_id`, usernames `u<n>`),
/// each with an OAuth 2.0 token `tok-<id>` of the `demo` app, and limits high enough that
/// only the client's ledger limits the run.
pub fn generated_world(first_id: u64, users: u64) -> Value {
    let demo = crate::support::demo_world();
    let mut all_users = demo["users"].as_array().unwrap().clone();
    let mut tokens = demo["oauth2_tokens"].as_array().unwrap().clone();
    for i in 0..users {
        let id = (first_id + i).to_string();
        all_users.push(json!({"id": id, "username": format!("u{i}"), "name": format!("U {i}")}));
        tokens.push(
            json!({"app": "demo", "access_token": format!("tok-{id}"), "user_id": id,
            "scopes": ["tweet.read", "users.read", "follows.read", "follows.write"]}),
        );
    }
    json!({
        "apps": demo["apps"],
        "users": all_users,
        "follows": [],
        "oauth1_tokens": demo["oauth1_tokens"],
        "oauth2_tokens": tokens,
        "limits": {"follow_per_15min": 100000, "unfollow_per_15min": 100000, "me_per_15min": 100000,
                   "follows_lookup_per_15min": 100000, "by_username_per_15min": 100000,
                   "follows_per_user_day": 100000, "follows_per_app_day": 1000000,
                   "unfollows_per_user_day": 100000, "unfollows_per_app_day": 1000000}
    })
}
