//! `xfollow plan run NAME [--pace N/hour|N/day] [--max-seconds S] [--dry-run]`: the
//! library's runner on the plan, one line per intent outcome, then a summary; a progress bar
//! on stderr when it is a terminal.
//!
//! A 429 or the daily cap pauses the run until the window frees (the runner waits; the
//! time is on stderr); with `--max-seconds`, a run whose next request would come after the
//! deadline returns. The first Ctrl-C stops between intents (the request in flight finishes
//! and is recorded), so the next run resumes where this one stopped.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use xfollow::plan::{
    Intent, Pace, Plan, Progress, RunOptions, RunReport, Runner, State, Stop, Target,
};
use xfollow::quota::Action;
use xfollow::Secret;

use super::{action_name, counts_line, open, put_counts, wrong_client};
use crate::args::{Global, PlanRunArgs};
use crate::failure::{timestamp, Exit, Failure};
use crate::interrupt;
use crate::output::Out;
use crate::session::{self, Session};
use crate::windows;

pub fn run(g: &Global, out: Out, given: Option<&Secret>, a: &PlanRunArgs) -> Result<Exit, Failure> {
    let pace = match &a.pace {
        Some(p) => Pace::parse(p).map_err(|e| {
            let shown: String = p.chars().take(40).collect();
            Failure::usage(format!("--pace {shown:?}"), e)
        })?,
        None => Pace::default(),
    };
    let (plan, _) = open(given, &a.name)?;
    if a.dry_run {
        return dry_run(out, &plan);
    }
    let s = session::open(g)?;
    interrupt::enter_run();
    let mut options = RunOptions::new().pace(pace).cancel(interrupt::run_switch());
    if let Some(m) = a.max_seconds {
        options = options.max_seconds(m);
    }
    let runner = Runner::new(options).map_err(|e| wrong_client(&plan, e))?;
    let total = super::counts(&plan)?.total();
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // A wait longer than the pace's longest gap (and a second) is a pause for a limit.
    let longest_gap = pace.spacing().mul_f64(1.0 + pace.jitter()) + Duration::from_secs(1);
    let mut paused_until: Option<SystemTime> = None;
    let mut failed = 0u64;
    let result = runner.run(&plan, &s.client, |p| {
        let now = SystemTime::now();
        match p.state {
            State::Failed => {
                failed += 1;
                paused_until = None;
            }
            State::Queued if p.next_request_at > now + longest_gap => {
                paused_until = Some(p.next_request_at);
                bar.suspend(|| {
                    eprintln!(
                        "xfollow: plan {}: rate limit or daily cap; paused until {}",
                        p.plan,
                        timestamp(secs(p.next_request_at))
                    )
                });
            }
            State::Queued => {}
            _ => paused_until = None,
        }
        bar.suspend(|| emit_outcome(out, p));
        bar.set_position(p.counts.total().saturating_sub(p.counts.queued));
        bar.set_message(format!(
            "{}; next request {}",
            counts_line(&p.counts),
            timestamp(secs(p.next_request_at))
        ));
    });
    bar.finish_and_clear();
    crate::commands::keep_windows(&s);
    let report = result.map_err(|e| wrong_client(&plan, e))?;
    finish(out, &s, &plan, &report, failed, paused_until)
}

/// What the run ends with: the summary line, then the exit code (or the failure that says
/// why it stopped).
fn finish(
    out: Out,
    s: &Session,
    plan: &Plan,
    report: &RunReport,
    failed: u64,
    paused_until: Option<SystemTime>,
) -> Result<Exit, Failure> {
    let c = &report.counts;
    let stop = match report.stop {
        Stop::Finished => "finished",
        Stop::Deadline => "deadline",
        // Ctrl-C cancels the client; the progress callback never stops a run.
        Stop::Cancelled | Stop::Stopped => "interrupted",
    };
    let frees = if report.stop == Stop::Deadline && c.queued > 0 {
        limit_frees_at(s, plan, paused_until)
    } else {
        None
    };
    let mut v = json!({
        "type": "summary",
        "plan": plan.name(),
        "stop": stop,
        "sent": report.sent,
        "failed_now": failed,
        "frees_at": frees,
    });
    put_counts(&mut v, c);
    out.emit(
        &format!(
            "plan {}: {stop}; {} sent; {}",
            plan.name(),
            report.sent,
            counts_line(c)
        ),
        v,
    );
    match (report.stop, frees) {
        (Stop::Cancelled | Stop::Stopped, _) => Err(Failure::new(
            Exit::Interrupted,
            format!(
                "interrupted; {} intents left (xfollow plan run {} resumes)",
                c.queued,
                plan.name()
            ),
        )),
        (_, Some(t)) => {
            let mut f = Failure::new(
                Exit::Limited,
                format!(
                    "plan {}: rate-limited or out of daily quota with {} intents left",
                    plan.name(),
                    c.queued
                ),
            );
            f.frees = Some(t);
            Err(f)
        }
        _ if failed > 0 => Ok(Exit::Failure),
        _ => Ok(Exit::Ok),
    }
}

/// When the limit that holds the plan frees (Unix seconds), if one does: the pause this
/// run met, else an exhausted daily window of the ledger, else an exhausted rate-limit window
/// last seen for follow or unfollow (a run that met the pause of an earlier one sent nothing).
fn limit_frees_at(s: &Session, plan: &Plan, paused_until: Option<SystemTime>) -> Option<i64> {
    let now = secs(SystemTime::now());
    if let Some(t) = paused_until.map(secs).filter(|&t| t > now) {
        return Some(t);
    }
    let mut frees: Option<i64> = None;
    let mut note = |t: i64| {
        if t > now {
            frees = Some(frees.map_or(t, |f| f.min(t)));
        }
    };
    if let Ok(Some(q)) = s.client.quota_status(Some(plan.source_user_id())) {
        for w in [q.user, q.app, q.unfollows] {
            if w.remaining == Some(0) {
                if let Some(t) = w.next_free_at {
                    note(t);
                }
            }
        }
    }
    let seen = windows::load(s.windows_key());
    for e in ["follow", "unfollow"] {
        let Some(w) = seen.endpoints.get(e) else {
            continue;
        };
        for x in [w.endpoint, w.user_24h, w.app_24h].into_iter().flatten() {
            if x.remaining == 0 {
                note(i64::try_from(x.reset).unwrap_or(i64::MAX));
            }
        }
    }
    frees
}

fn secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// One intent's outcome: a human line, or its JSON object.
fn emit_outcome(out: Out, p: &Progress<'_>) {
    let i = p.intent;
    let human = match p.state {
        State::Done => match i.action {
            Action::Follow => format!("followed {}", i.target),
            Action::Unfollow => format!("unfollowed {}", i.target),
        },
        State::Pending => format!(
            "pending {} (a protected account: it has to accept)",
            i.target
        ),
        State::Skipped => match i.action {
            Action::Follow => format!("skipped {} (already following)", i.target),
            Action::Unfollow => format!("skipped {} (not following)", i.target),
        },
        State::Failed => format!(
            "failed {} {}: {}",
            action_name(i),
            i.target,
            p.failure.map(|f| f.message.as_str()).unwrap_or("")
        ),
        State::Queued => format!(
            "put back {} {} (next request {})",
            action_name(i),
            i.target,
            timestamp(secs(p.next_request_at))
        ),
    };
    let mut v = intent_json(p.plan, i, p.state.as_str());
    if let Some(f) = p.failure {
        v["error"] = super::intent_error(f);
    }
    v["next_request_at"] = json!(secs(p.next_request_at));
    put_counts(&mut v, &p.counts);
    out.emit(&human, v);
}

fn intent_json(plan: &str, i: &Intent, state: &str) -> Value {
    json!({
        "type": "intent",
        "plan": plan,
        "action": action_name(i),
        "target": i.target.to_string(),
        "state": state,
    })
}

/// `--dry-run`: every queued intent and the request a run would send for it; nothing is
/// sent (no lookup either: usernames stay unresolved) and nothing changes.
fn dry_run(out: Out, plan: &Plan) -> Result<Exit, Failure> {
    let intents = plan
        .dry_run(xfollow::plan::MAX_INTENTS as usize)
        .map_err(|e| wrong_client(plan, e))?;
    let me = plan.source_user_id();
    for i in &intents {
        let mut v = intent_json(plan.name(), i, "queued");
        let human = match &i.target {
            Target::Id(id) => {
                let (request, request_json) = crate::commands::would_send(i.action, me, id);
                v["request"] = request_json;
                format!("would {} {}: {request}", action_name(i), i.target)
            }
            Target::Username(_) => {
                v["request"] = Value::Null;
                format!(
                    "would {} {} (looked up when the plan runs)",
                    action_name(i),
                    i.target
                )
            }
        };
        out.emit(&human, v);
    }
    let c = super::counts(plan)?;
    let mut v = json!({
        "type": "summary",
        "plan": plan.name(),
        "stop": "dry_run",
        "sent": 0,
        "failed_now": 0,
        "frees_at": null,
    });
    put_counts(&mut v, &c);
    out.emit(
        &format!(
            "plan {}: dry run; {} would be sent; {}",
            plan.name(),
            intents.len(),
            counts_line(&c)
        ),
        v,
    );
    Ok(Exit::Ok)
}
