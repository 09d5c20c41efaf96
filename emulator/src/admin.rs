//! The admin API under `/__emulator/`: loopback peers only, a `Host` naming a loopback or the
//! bound address (against DNS rebinding), JSON-typed POSTs (which a cross-origin page cannot
//! send without a preflight), and a bearer token when one is set.

use crate::faults::Fault;
use crate::http::{Request, Response};
use crate::server::Shared;
use crate::state::{Daily, World};
use base64::Engine;
use ring::{hmac, rand};
use serde_json::{json, Value};
use std::net::IpAddr;
use std::sync::atomic::Ordering;

/// Bounds on an admin token's length (printable ASCII, no spaces).
const TOKEN_MIN: usize = 16;
const TOKEN_MAX: usize = 256;

/// The admin bearer token, kept only as an HMAC tag under a random key so that checking a
/// presented token takes the same time whatever it is.
pub struct Token {
    key: hmac::Key,
    tag: hmac::Tag,
}

impl Token {
    pub fn new(token: &str) -> Result<Token, String> {
        if !(TOKEN_MIN..=TOKEN_MAX).contains(&token.len())
            || !token.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(format!(
                "--admin-token: {TOKEN_MIN} to {TOKEN_MAX} printable ASCII characters, no spaces"
            ));
        }
        let rng = rand::SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng)
            .map_err(|_| "no system randomness for the admin token".to_string())?;
        let tag = hmac::sign(&key, token.as_bytes());
        Ok(Token { key, tag })
    }

    /// 32 random bytes, base64url.
    pub fn generate() -> Result<String, String> {
        let bytes: [u8; 32] = rand::generate(&rand::SystemRandom::new())
            .map_err(|_| "no system randomness for the admin token".to_string())?
            .expose();
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    fn matches(&self, presented: &str) -> bool {
        hmac::verify(&self.key, presented.as_bytes(), self.tag.as_ref()).is_ok()
    }
}

fn forbidden(detail: &str) -> Response {
    crate::http::error_response(403, detail)
}

/// `true` when `port` is a decimal TCP port.
fn is_port(port: &str) -> bool {
    !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit())
}

/// Whether a `Host` value names this emulator by a name no other site can take over: a
/// loopback address, `localhost`, the bound address, or the `--public-base` host.
fn host_allowed(shared: &Shared, host: &str) -> bool {
    let host = host.trim().to_ascii_lowercase();
    if shared
        .public_base
        .as_ref()
        .is_some_and(|(_, public)| *public == host)
    {
        return true;
    }
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ip, "")) => ip,
            Some((ip, port)) if port.strip_prefix(':').is_some_and(is_port) => ip,
            _ => return false,
        }
    } else {
        match host.split_once(':') {
            Some((name, port)) if is_port(port) => name,
            Some(_) => return false,
            None => host.as_str(),
        }
    };
    if name == "localhost" {
        return true;
    }
    let bound = shared.bound.ip();
    name.parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback() || (ip == bound && !bound.is_unspecified()))
}

/// The checks every admin request passes before it is routed.
fn admit(shared: &Shared, req: &Request) -> Result<(), Response> {
    if !req.peer.ip().is_loopback() {
        return Err(forbidden("The admin API answers loopback clients only."));
    }
    if !req.header("host").is_some_and(|h| host_allowed(shared, h)) {
        return Err(forbidden(
            "The admin API needs a Host header naming a loopback address or the emulator's own address.",
        ));
    }
    if req.method == "POST" && req.media_type().as_deref() != Some("application/json") {
        return Err(forbidden(
            "Admin POST requests need Content-Type: application/json.",
        ));
    }
    if let Some(token) = &shared.admin_token {
        let presented = req
            .header("authorization")
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim());
        if !presented.is_some_and(|t| token.matches(t)) {
            return Err(forbidden(
                "The admin API needs Authorization: Bearer <admin token>.",
            ));
        }
    }
    Ok(())
}

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
    if let Err(refused) = admit(shared, req) {
        return refused;
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
        ("GET", "requests") => {
            let since = match req.query_param("since") {
                None => 0,
                Some(v) => match v.parse::<u64>() {
                    Ok(n) => n,
                    Err(_) => return bad("since must be a whole number"),
                },
            };
            ok_json(w.requests.json_since(since))
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
        ("GET", "connections") => ok_json(json!({
            "accepted": shared.accepted.load(Ordering::SeqCst),
            "active": shared.active.load(Ordering::SeqCst),
            "refused": shared.refused.load(Ordering::SeqCst),
        })),
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
