//! `xfollow follow TARGET...` (and, through [`change`], `xfollow unfollow`): every target is
//! checked first, usernames are resolved once per run, then one request per target, each
//! outcome on its own line. A failure of one target (not found, forbidden) is reported and the
//! run goes on; a failure of the run (authentication, rate limit or daily quota, network,
//! Ctrl-C) stops it and the targets left are reported as skipped.

use std::collections::HashSet;

use serde_json::{json, Value};
use xfollow::quota::Action;
use xfollow::{ErrorKind, FollowState};

use crate::args::{Global, TargetArgs};
use crate::failure::{describe, Exit, Failure};
use crate::interrupt;
use crate::output::{error_json, Out};
use crate::session;
use crate::targets::{collect, Resolved, Resolver, Target};

pub fn run(g: &Global, out: Out, a: &TargetArgs) -> Result<Exit, Failure> {
    change(g, out, a, Action::Follow)
}

/// Errors that concern one target only; any other ends the run.
fn target_only(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::NotFound | ErrorKind::Forbidden | ErrorKind::Api | ErrorKind::Protocol
    )
}

/// `@bob (1500000000000000002)` or the id alone.
fn label(t: &Target, r: Option<&Resolved>) -> String {
    match (t, r) {
        (
            Target::Username(_),
            Some(Resolved {
                id,
                username: Some(u),
            }),
        ) => format!("@{u} ({id})"),
        _ => t.to_string(),
    }
}

fn line(action: Action, t: &Target, r: Option<&Resolved>, outcome: &str) -> Value {
    json!({
        "action": action.as_str(),
        "target": t.to_string(),
        "id": r.map(|r| r.id.clone()),
        "username": r.and_then(|r| r.username.clone()),
        "outcome": outcome,
    })
}

pub fn change(g: &Global, out: Out, a: &TargetArgs, action: Action) -> Result<Exit, Failure> {
    let targets = collect(&a.targets, &mut std::io::stdin().lock())?;
    let s = session::open(g)?;
    interrupt::enter_run();
    let mut resolver = Resolver::default();
    let mut done: HashSet<String> = HashSet::new();
    let mut exit = Exit::Ok;
    let mut stop: Option<Failure> = None;
    let source = s.known_user_id();
    for t in &targets {
        if stop.is_none() && interrupt::interrupted() {
            stop = Some(Failure::new(Exit::Interrupted, "interrupted"));
        }
        if stop.is_some() {
            out.emit(
                &format!("skipped {} (not sent)", t),
                line(action, t, None, "skipped"),
            );
            continue;
        }
        let r = match resolver.resolve(&s.client, t) {
            Ok(Some(r)) => r,
            Ok(None) => {
                exit = exit.worst(Exit::Failure);
                out.emit(
                    &format!("not found {}", t),
                    line(action, t, None, "not_found"),
                );
                continue;
            }
            Err(e) => {
                let detail = describe(&e);
                let f = Failure::api(format!("{} {}", action.as_str(), t), e);
                let mut v = line(action, t, None, "error");
                v["error"] = error_json(&f);
                out.emit(&format!("failed {}: {detail}", t), v);
                stop = Some(f);
                continue;
            }
        };
        let shown = label(t, Some(&r));
        if !done.insert(r.id.clone()) {
            let (human, outcome) = match action {
                Action::Follow => ("already following", "already_following"),
                Action::Unfollow => ("already unfollowed", "already_unfollowed"),
            };
            out.emit(
                &format!("{human} {shown} (earlier in this run)"),
                line(action, t, Some(&r), outcome),
            );
            continue;
        }
        if a.dry_run {
            let me = match s.own_id("dry run: the authenticated user") {
                Ok(m) => m,
                Err(f) => {
                    stop = Some(f);
                    continue;
                }
            };
            let (request, request_json) = super::would_send(action, &me, &r.id);
            let mut v = line(action, t, Some(&r), &format!("would_{}", action.as_str()));
            v["request"] = request_json;
            out.emit(&format!("would {} {shown}: {request}", action.as_str()), v);
            continue;
        }
        let result = match action {
            Action::Follow => s.client.follow(source, &r.id),
            Action::Unfollow => s.client.unfollow(source, &r.id),
        };
        match result {
            Ok(o) => {
                let (human, outcome) = match (action, o.state) {
                    (Action::Follow, FollowState::Following) => ("followed", "followed"),
                    (Action::Follow, FollowState::Pending) => ("pending", "pending"),
                    (Action::Follow, FollowState::NotFollowing) => {
                        ("not following", "not_following")
                    }
                    (Action::Unfollow, FollowState::NotFollowing) => ("unfollowed", "unfollowed"),
                    (Action::Unfollow, _) => ("still following", "still_following"),
                };
                if outcome == "not_following" || outcome == "still_following" {
                    exit = exit.worst(Exit::Failure);
                }
                let mut v = line(action, t, Some(&r), outcome);
                v["following"] = json!(o.following);
                v["pending_follow"] = json!(o.pending_follow);
                out.emit(&format!("{human} {shown}"), v);
            }
            Err(e) => {
                let kind = e.kind();
                let detail = describe(&e);
                let f = Failure::api(format!("{} {shown}", action.as_str()), e);
                let (human, outcome) = if kind == ErrorKind::NotFound {
                    ("not found", "not_found")
                } else {
                    ("failed", "error")
                };
                let mut v = line(action, t, Some(&r), outcome);
                v["error"] = error_json(&f);
                out.emit(&format!("{human} {shown}: {detail}"), v);
                if target_only(kind) {
                    exit = exit.worst(Exit::Failure);
                } else {
                    stop = Some(f);
                }
            }
        }
    }
    super::keep_windows(&s);
    match stop {
        Some(f) => Err(f),
        None => Ok(exit),
    }
}
