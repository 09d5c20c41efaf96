//! `xfollow status`: for the profile's user, the quota ledger's three daily windows (used,
//! limit, remaining, next free) and the rate-limit windows last seen per endpoint.

use serde_json::json;
use xfollow::quota::WindowStatus;

use crate::args::Global;
use crate::failure::{timestamp, Exit, Failure};
use crate::output::Out;
use crate::session::{self, Source};
use crate::windows::{self, Seen};

pub fn run(g: &Global, out: Out) -> Result<Exit, Failure> {
    let s = session::open(g)?;
    crate::interrupt::enter_run();
    // The profile knows its user; credentials from the environment ask once (OAuth 2.0).
    let user = s.own_id("status: the authenticated user")?;
    let username = match &s.source {
        Source::Profile(p) => Some(p.username.clone()),
        Source::Env(_) => None,
    };
    let status = s
        .client
        .quota_status(Some(&user))
        .map_err(|e| Failure::api("--quota", e))?;
    let shown_user = match &username {
        Some(u) => format!("@{u} ({user})"),
        None => user.clone(),
    };
    out.emit(
        &format!(
            "user {shown_user}, {} [{}]",
            s.profile_name()
                .map(|p| format!("profile {p}"))
                .unwrap_or_else(|| "environment".into()),
            s.auth_name()
        ),
        json!({
            "type": "user",
            "id": user,
            "username": username,
            "profile": s.profile_name(),
            "auth": s.auth_name(),
        }),
    );
    match status {
        None => out.emit(
            "quota ledger: off",
            json!({ "type": "quota", "window": null, "ledger": "off" }),
        ),
        Some(q) => {
            if !out.json {
                out.emit(
                    &format!(
                        "{:<16} {:>6} {:>6} {:>10}  {}",
                        "quota (24 h)", "used", "limit", "remaining", "next free"
                    ),
                    json!(null),
                );
            }
            for (name, key, w) in [
                ("follows (user)", "follows_user", q.user),
                ("follows (app)", "follows_app", q.app),
                ("unfollows (app)", "unfollows_app", q.unfollows),
            ] {
                out.emit(&quota_row(name, &w), quota_json(key, &w));
            }
        }
    }
    let seen = windows::load(s.windows_key());
    if !out.json {
        out.emit(
            &format!(
                "{:<16} {:<9} {:>6} {:>10}  {:<20}  {}",
                "rate limits", "window", "limit", "remaining", "resets", "seen"
            ),
            json!(null),
        );
        if seen.endpoints.is_empty() {
            out.emit("(none seen yet)", json!(null));
        }
    }
    for (endpoint, e) in &seen.endpoints {
        for (kind, w) in [
            ("endpoint", e.endpoint),
            ("user_24h", e.user_24h),
            ("app_24h", e.app_24h),
        ] {
            let Some(w) = w else { continue };
            out.emit(
                &window_row(endpoint, kind, &w, e.seen_at),
                json!({
                    "type": "rate_limit",
                    "endpoint": endpoint,
                    "window": kind,
                    "limit": w.limit,
                    "remaining": w.remaining,
                    "reset": w.reset,
                    "seen_at": e.seen_at,
                }),
            );
        }
    }
    Ok(Exit::Ok)
}

fn quota_row(name: &str, w: &WindowStatus) -> String {
    let limit = if w.limit == 0 {
        "off".to_owned()
    } else {
        w.limit.to_string()
    };
    let remaining = w
        .remaining
        .map(|r| r.to_string())
        .unwrap_or_else(|| "-".into());
    let next = w
        .next_free_at
        .map(timestamp)
        .unwrap_or_else(|| "now".into());
    format!(
        "{name:<16} {:>6} {limit:>6} {remaining:>10}  {next}",
        w.used
    )
}

fn quota_json(key: &str, w: &WindowStatus) -> serde_json::Value {
    json!({
        "type": "quota",
        "window": key,
        "used": w.used,
        "limit": w.limit,
        "remaining": w.remaining,
        "next_free_at": w.next_free_at,
    })
}

fn window_row(endpoint: &str, kind: &str, w: &Seen, seen_at: u64) -> String {
    let t = |x: u64| timestamp(i64::try_from(x).unwrap_or(i64::MAX));
    format!(
        "{endpoint:<16} {kind:<9} {:>6} {:>10}  {:<20}  {}",
        w.limit,
        w.remaining,
        t(w.reset),
        t(seen_at)
    )
}
