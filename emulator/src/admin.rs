//! The admin API under `/__emulator/` (no auth, loopback peers only).

use crate::faults::Fault;
use crate::http::{Request, Response};
use crate::server::Shared;
use crate::state::{Daily, World};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

fn bad(detail: &str) -> Response {
    crate::http::error_response(400, detail)
}

fn ok_json(v: Value) -> Response {
    Response::json(200, v.to_string())
}

pub fn state_json(w: &mut World) -> Value {
    let now = w.now();
    let edges = |m: &std::collections::HashMap<(usize, usize), u64>, w: &World| {
        let mut v: Vec<(&u64, &(usize, usize))> = m.iter().map(|(k, s)| (s, k)).collect();
        v.sort();
        v.iter()
            .map(|(_, &(s, t))| json!({"source": w.cfg.users[s].id, "target": w.cfg.users[t].id}))
            .collect::<Vec<_>>()
    };
    let follows = edges(&w.follows, w);
    let pending = edges(&w.pending, w);
    let mut apps = serde_json::Map::new();
    for i in 0..w.cfg.apps.len() {
        let c = w.app_counters.get(&i).cloned().unwrap_or_default();
        let f = w.rolling(Daily::AppFollows, i).count(now);
        let u = w.rolling(Daily::AppUnfollows, i).count(now);
        apps.insert(
            w.cfg.apps[i].id.clone(),
            json!({"follow_requests": c.follow_requests, "unfollow_requests": c.unfollow_requests,
                   "follows_24h": f, "unfollows_24h": u}),
        );
    }
    let mut users = serde_json::Map::new();
    for i in 0..w.cfg.users.len() {
        let c = w.user_counters.get(&i).cloned().unwrap_or_default();
        let f = w.rolling(Daily::UserFollows, i).count(now);
        let u = w.rolling(Daily::UserUnfollows, i).count(now);
        users.insert(
            w.cfg.users[i].id.clone(),
            json!({"follow_requests": c.follow_requests, "unfollow_requests": c.unfollow_requests,
                   "follows_24h": f, "unfollows_24h": u}),
        );
    }
    let faults: Vec<Value> = w
        .faults
        .iter()
        .map(|f| json!({"route": f.route, "count": f.count, "kind": f.kind}))
        .collect();
    json!({
        "now": now,
        "follows": follows,
        "pending": pending,
        "counters": {"apps": apps, "users": users},
        "faults": faults,
    })
}

pub fn handle(shared: &Shared, req: &Request) -> Response {
    if !req.peer.ip().is_loopback() {
        return crate::http::error_response(403, "The admin API answers loopback clients only.");
    }
    let sub = req.path.trim_start_matches("/__emulator").trim_matches('/');
    let body_json = || -> Result<Value, Response> {
        serde_json::from_slice(&req.body).map_err(|e| bad(&format!("body is not JSON: {e}")))
    };
    let mut w = shared.world.lock().unwrap_or_else(|e| e.into_inner());
    match (req.method.as_str(), sub) {
        ("GET", "state") => ok_json(state_json(&mut w)),
        ("POST", "reset") => {
            w.reset();
            ok_json(json!({"reset": true, "now": w.now()}))
        }
        ("GET", "clock") => ok_json(json!({"now": w.now()})),
        ("POST", "clock") => {
            let v = match body_json() {
                Ok(v) => v,
                Err(r) => return r,
            };
            let Some(n) = v.get("advance_seconds").and_then(Value::as_i64) else {
                return bad("expected {\"advance_seconds\": <integer>}");
            };
            if n.unsigned_abs() > 100 * 366 * 86_400 {
                return bad("advance_seconds is limited to 100 years either way");
            }
            w.clock.advance(n);
            ok_json(json!({"now": w.now()}))
        }
        ("GET", "connections") => {
            ok_json(json!({"accepted": shared.accepted.load(Ordering::SeqCst)}))
        }
        ("GET", "faults") => {
            let v: Vec<Value> = w
                .faults
                .iter()
                .map(|f| json!({"route": f.route, "count": f.count, "kind": f.kind}))
                .collect();
            ok_json(json!({"faults": v}))
        }
        ("POST", "faults") => {
            let v = match body_json() {
                Ok(v) => v,
                Err(r) => return r,
            };
            let list = match v {
                Value::Array(a) => a,
                other => vec![other],
            };
            let mut parsed = Vec::new();
            for item in list {
                let f: Fault = match serde_json::from_value(item) {
                    Ok(f) => f,
                    Err(e) => return bad(&format!("invalid fault: {e}")),
                };
                if let Err(e) = f.validate() {
                    return bad(&format!("invalid fault: {e}"));
                }
                parsed.push(f);
            }
            w.faults.extend(parsed.into_iter().filter(|f| f.count > 0));
            ok_json(json!({"faults": w.faults.len()}))
        }
        ("DELETE", "faults") => {
            w.faults.clear();
            ok_json(json!({"faults": 0}))
        }
        _ => crate::http::error_response(404, "No such admin route."),
    }
}
