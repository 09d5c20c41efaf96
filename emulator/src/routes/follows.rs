//! Follow, unfollow and the followers/following lists.

use super::daily_info;
use crate::auth::Principal;
use crate::config::valid_id;
use crate::http::{Request, Response};
use crate::limits::{self, Endpoint};
use crate::problems;
use crate::state::{Daily, World};
use serde_json::{json, Value};

const FOLLOWING: &str = r#"{"data":{"following":true,"pending_follow":false}}"#;
const PENDING: &str = r#"{"data":{"following":false,"pending_follow":true}}"#;
const NOT_FOLLOWING: &str = r#"{"data":{"following":false}}"#;

pub fn follow(w: &mut World, p: &Principal, req: &Request, id: &str) -> Response {
    let Some(me) = p.user() else {
        return problems::unsupported_authentication();
    };
    if !valid_id(id) {
        return problems::invalid_id("id", id);
    }
    if !req.body.is_empty() && req.media_type().as_deref() != Some("application/json") {
        return problems::invalid_request_message(
            "Requests with bodies must have content-type of application/json.",
        );
    }
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(_) if req.body.is_empty() => {
            return problems::invalid_request(
                "target_user_id",
                &[],
                "The `target_user_id` field in the request body is required",
            )
        }
        Err(_) => return problems::invalid_request_message("The request body is not valid JSON."),
    };
    let target = match body.get("target_user_id") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            let text = other.to_string();
            return problems::invalid_request(
                "target_user_id",
                &[&text],
                &format!("The `target_user_id` field value [{text}] is not valid"),
            );
        }
        None => {
            return problems::invalid_request(
                "target_user_id",
                &[],
                "The `target_user_id` field in the request body is required",
            )
        }
    };
    if !valid_id(&target) {
        return problems::invalid_request(
            "target_user_id",
            &[&target],
            &format!("The `target_user_id` field value [{target}] is not valid"),
        );
    }
    let app = p.app();
    if w.cfg.users[me].id != id {
        let mut r =
            problems::forbidden_detail("You are not allowed to follow on behalf of another user.");
        let (ui, ai) = daily_info(w, Endpoint::Follow, app, me);
        limits::set_daily_headers(&mut r, ui, ai);
        return r;
    }
    let Some(&t) = w.user_by_id.get(&target) else {
        return with_daily(
            w,
            Endpoint::Follow,
            app,
            me,
            problems::user_not_found("target_user_id", &target),
        );
    };
    if t == me {
        return with_daily(
            w,
            Endpoint::Follow,
            app,
            me,
            problems::forbidden_detail("You cannot follow yourself."),
        );
    }
    if w.cfg.users[t].suspended {
        return with_daily(
            w,
            Endpoint::Follow,
            app,
            me,
            problems::forbidden_detail("You cannot follow an account that is suspended."),
        );
    }
    let (ui, ai) = daily_info(w, Endpoint::Follow, app, me);
    if ui.remaining == 0 || ai.remaining == 0 {
        let mut r = problems::too_many_requests();
        limits::set_daily_headers(&mut r, ui, ai);
        return r;
    }
    let body = if w.follows.contains_key(&(me, t)) {
        FOLLOWING
    } else if w.pending.contains_key(&(me, t)) {
        PENDING
    } else if w.cfg.users[t].protected {
        let s = w.next_seq();
        w.pending.insert((me, t), s);
        PENDING
    } else {
        let s = w.next_seq();
        w.follows.insert((me, t), s);
        FOLLOWING
    };
    let now = w.now();
    w.rolling(Daily::UserFollows, me).record(now);
    w.rolling(Daily::AppFollows, app).record(now);
    with_daily(w, Endpoint::Follow, app, me, Response::json(200, body))
}

fn with_daily(w: &mut World, ep: Endpoint, app: usize, user: usize, mut r: Response) -> Response {
    let (ui, ai) = daily_info(w, ep, app, user);
    limits::set_daily_headers(&mut r, ui, ai);
    r
}

pub fn unfollow(w: &mut World, p: &Principal, source: &str, target: &str) -> Response {
    let Some(me) = p.user() else {
        return problems::unsupported_authentication();
    };
    if !valid_id(source) {
        return problems::invalid_id("source_user_id", source);
    }
    if !valid_id(target) {
        return problems::invalid_id("target_user_id", target);
    }
    let app = p.app();
    if w.cfg.users[me].id != source {
        return with_daily(
            w,
            Endpoint::Unfollow,
            app,
            me,
            problems::forbidden_detail(
                "You are not allowed to unfollow on behalf of another user.",
            ),
        );
    }
    let Some(&t) = w.user_by_id.get(target) else {
        return with_daily(
            w,
            Endpoint::Unfollow,
            app,
            me,
            problems::user_not_found("target_user_id", target),
        );
    };
    if t == me {
        return with_daily(
            w,
            Endpoint::Unfollow,
            app,
            me,
            problems::forbidden_detail("You cannot unfollow yourself."),
        );
    }
    let (ui, ai) = daily_info(w, Endpoint::Unfollow, app, me);
    if ui.remaining == 0 || ai.remaining == 0 {
        let mut r = problems::too_many_requests();
        limits::set_daily_headers(&mut r, ui, ai);
        return r;
    }
    w.follows.remove(&(me, t));
    w.pending.remove(&(me, t));
    let now = w.now();
    w.rolling(Daily::UserUnfollows, me).record(now);
    w.rolling(Daily::AppUnfollows, app).record(now);
    with_daily(
        w,
        Endpoint::Unfollow,
        app,
        me,
        Response::json(200, NOT_FOLLOWING),
    )
}

/// Pagination tokens: 16 characters of base32hex, as X's (`minLength: 16`).
pub fn encode_token(offset: usize) -> String {
    const ALPHA: &[u8; 32] = b"0123456789ABCDEFGHIJKLMNOPQRSTUV";
    let mut out = [b'0'; 13];
    let mut n = offset as u64;
    for slot in out.iter_mut().rev() {
        *slot = ALPHA[(n % 32) as usize];
        n /= 32;
    }
    let mut s = String::from_utf8(out.to_vec()).expect("ascii");
    s.push_str("ZZZ");
    s
}

pub fn decode_token(token: &str) -> Option<usize> {
    let body = token.strip_suffix("ZZZ")?;
    if body.len() != 13 {
        return None;
    }
    let mut n: u64 = 0;
    for c in body.bytes() {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'V' => c - b'A' + 10,
            _ => return None,
        };
        n = n.checked_mul(32)?.checked_add(d as u64)?;
    }
    usize::try_from(n).ok()
}

pub fn list(w: &mut World, req: &Request, id: &str, followers: bool) -> Response {
    if !valid_id(id) {
        return problems::invalid_id("id", id);
    }
    let max = match req.query_param("max_results") {
        None => 100,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return problems::invalid_request(
                    "max_results",
                    &[&v],
                    &format!(
                        "The `max_results` query parameter value [{v}] is not between 1 and 1000"
                    ),
                )
            }
        },
    };
    let offset = match req.query_param("pagination_token") {
        None => 0,
        Some(t) => match decode_token(&t) {
            Some(o) => o,
            None => {
                return problems::invalid_request(
                    "pagination_token",
                    &[&t],
                    &format!("The `pagination_token` query parameter value [{t}] is not valid"),
                )
            }
        },
    };
    let Some(&who) = w.user_by_id.get(id) else {
        let body = json!({"errors": [problems::user_not_found_error("id", id)]});
        return Response::json(200, body.to_string());
    };
    if w.cfg.users[who].suspended {
        let body = json!({"errors": [problems::user_suspended_error("id", id)]});
        return Response::json(200, body.to_string());
    }
    let mut edges: Vec<(u64, usize)> = w
        .follows
        .iter()
        .filter_map(|(&(s, t), &seq)| {
            let other = if followers {
                (t == who).then_some(s)
            } else {
                (s == who).then_some(t)
            };
            other
                .filter(|&o| !w.cfg.users[o].suspended)
                .map(|o| (seq, o))
        })
        .collect();
    edges.sort_by_key(|e| std::cmp::Reverse(e.0));
    let fields: Vec<String> = req
        .query_param("user.fields")
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
        .unwrap_or_default();
    let page: Vec<Value> = edges
        .iter()
        .skip(offset)
        .take(max)
        .map(|&(_, u)| super::users::user_json(&w.cfg.users[u], &fields))
        .collect();
    let mut meta = json!({"result_count": page.len()});
    if offset + page.len() < edges.len() {
        meta["next_token"] = Value::String(encode_token(offset + page.len()));
    }
    if offset > 0 {
        meta["previous_token"] = Value::String(encode_token(offset.saturating_sub(max)));
    }
    let body = if page.is_empty() {
        json!({"meta": meta})
    } else {
        json!({"data": page, "meta": meta})
    };
    Response::json(200, body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        for n in [0usize, 1, 31, 32, 100, 123_456_789] {
            let t = encode_token(n);
            assert_eq!(t.len(), 16);
            assert_eq!(decode_token(&t), Some(n));
        }
        assert_eq!(encode_token(100), "0000000000034ZZZ");
        assert_eq!(decode_token("WWWWWWWWWWWWWZZZ"), None);
        assert_eq!(decode_token("nope"), None);
    }
}
