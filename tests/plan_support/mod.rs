//! Helpers for the plan tests: virtual time shared by the runner, the client's ledger and
//! the emulator, and the emulator's request log.
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

/// The emulator's virtual clock, in seconds.
pub fn emulator_now(base: &str) -> i64 {
    admin_get(base, "clock")["now"].as_i64().unwrap()
}

/// Moves the emulator's virtual clock forward.
pub fn emulator_advance(base: &str, secs: i64) {
    let r = agent()
        .post(format!("{base}/__emulator/clock"))
        .content_type("application/json")
        .send(json!({ "advance_seconds": secs }).to_string())
        .expect("admin POST clock");
    assert_eq!(r.status().as_u16(), 200);
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
        .filter(|r| {
            (r.method == "POST" || r.method == "DELETE") && r.path.contains("/following")
        })
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
