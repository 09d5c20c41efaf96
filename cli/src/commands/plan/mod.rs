//! `xfollow plan ...`: follow plans (the library's `xfollow::plan`), one file per
//! subcommand; this file holds what they share: opening a plan, its errors, its counts.

pub mod add;
pub mod create;
pub mod drop;
pub mod follow_back;
pub mod list;
pub mod run;
pub mod status;
pub mod stores;
pub mod unfollow_non_followers;

use serde_json::{json, Value};
use xfollow::plan::{Counts, Intent, Plan, PlanError, PlanStore};
use xfollow::Secret;

use crate::args::{Global, PlanArgs, PlanCommand};
use crate::failure::{Exit, Failure};
use crate::interrupt;
use crate::output::Out;
use crate::session::{self, Session};

pub fn run(g: &Global, out: Out, a: &PlanArgs) -> Result<Exit, Failure> {
    let store = a.store.as_ref();
    match &a.command {
        PlanCommand::Create(p) => create::run(g, out, store, &p.name),
        PlanCommand::Add(p) => add::run(out, store, p),
        PlanCommand::UnfollowNonFollowers(p) => unfollow_non_followers::run(g, out, store, p),
        PlanCommand::FollowBack(p) => follow_back::run(g, out, store, &p.name),
        PlanCommand::Run(p) => run::run(g, out, store, p),
        PlanCommand::Status(p) => status::run(out, store, p),
        PlanCommand::List => list::run(out, store),
        PlanCommand::Drop(p) => drop::run(out, store, &p.name),
    }
}

/// `name` as shown in a message (bounded, quoted when it is not a valid plan name).
fn shown_name(name: &str) -> String {
    let s: String = name.chars().take(70).collect();
    format!("{s:?}")
}

/// A plan error while doing `what`, with its exit code: the client's errors keep theirs,
/// the store's are failures (1), everything else is usage (2).
pub fn failure(what: &str, e: PlanError) -> Failure {
    match e {
        PlanError::Client(e) => Failure::api(what, e),
        PlanError::Store { .. } => Failure::new(Exit::Failure, format!("{what}: {e}")),
        other => Failure::usage(what, other),
    }
}

/// The store of plan `name` and its URL.
pub fn store_of(given: Option<&Secret>, name: &str) -> Result<(PlanStore, String), Failure> {
    check_name(name)?;
    let url = stores::url(given, Some(name))?;
    Ok((stores::open(&url)?, url))
}

/// Checks a plan name before any file is read.
pub fn check_name(name: &str) -> Result<(), Failure> {
    xfollow::plan::check_name(name)
        .map_err(|e| Failure::usage(format!("NAME {}", shown_name(name)), e))
}

/// Opens the existing plan `name` (exit 2 when there is none) and its store's URL.
pub fn open(given: Option<&Secret>, name: &str) -> Result<(Plan, String), Failure> {
    let (store, url) = store_of(given, name)?;
    match store.plan(name) {
        Ok(p) => Ok((p, url)),
        Err(PlanError::NoSuchPlan) => Err(Failure::usage(
            format!("plan {name}"),
            format!(
                "no such plan in {} (create it: xfollow plan create {name}; a plan created \
                 with --store is found with the same --store)",
                xfollow::redact_userinfo(&url)
            ),
        )),
        Err(e) => Err(failure(&format!("plan {name}"), e)),
    }
}

/// Adds the counts to a JSON object: `queued`, `done`, `pending`, `skipped`, `failed`,
/// `total`.
pub fn put_counts(v: &mut Value, c: &Counts) {
    v["queued"] = json!(c.queued);
    v["done"] = json!(c.done);
    v["pending"] = json!(c.pending);
    v["skipped"] = json!(c.skipped);
    v["failed"] = json!(c.failed);
    v["total"] = json!(c.total());
}

/// `queued 1, done 2, pending 0, skipped 0, failed 1`.
pub fn counts_line(c: &Counts) -> String {
    format!(
        "queued {}, done {}, pending {}, skipped {}, failed {}",
        c.queued, c.done, c.pending, c.skipped, c.failed
    )
}

/// `follow` or `unfollow`.
pub fn action_name(i: &Intent) -> &'static str {
    i.action.as_str()
}

/// The plan's counts (exit 1 on a store error).
pub fn counts(plan: &Plan) -> Result<Counts, Failure> {
    plan.status()
        .map_err(|e| failure(&format!("plan {}", plan.name()), e))
}

/// A plan as `plan list` and `plan status` show it: `NAME (user ID, STORE): COUNTS`, and the
/// JSON object with `plan`, `source_user_id`, `store` and the counts.
pub fn summary(plan: &Plan, url: &str) -> Result<(String, Value), Failure> {
    let counts = counts(plan)?;
    let store = xfollow::redact_userinfo(url);
    let line = format!(
        "{} (user {}, {store}): {}",
        plan.name(),
        plan.source_user_id(),
        counts_line(&counts)
    );
    let mut v = json!({
        "plan": plan.name(),
        "source_user_id": plan.source_user_id(),
        "store": store,
    });
    put_counts(&mut v, &counts);
    Ok((line, v))
}

/// The `error` object of an intent that failed: `kind` and `message`.
pub fn intent_error(f: &xfollow::plan::Failure) -> Value {
    json!({ "kind": crate::output::kind_name(f.kind), "message": f.message })
}

/// Opens a session, adds the computed intents, reports how many were new.
pub fn computed(
    g: &Global,
    out: Out,
    plan: &Plan,
    action: &str,
    add: impl FnOnce(&Plan, &Session) -> Result<u64, PlanError>,
) -> Result<Exit, Failure> {
    let s = session::open(g)?;
    interrupt::enter_run();
    let added = add(plan, &s);
    crate::commands::keep_windows(&s);
    let added = added.map_err(|e| wrong_client(plan, e))?;
    let counts = counts(plan)?;
    let mut v = json!({ "plan": plan.name(), "action": action, "added": added });
    put_counts(&mut v, &counts);
    out.emit(
        &format!(
            "added {added} {action}s to plan {}; {} queued of {}",
            plan.name(),
            counts.queued,
            counts.total()
        ),
        v,
    );
    Ok(Exit::Ok)
}

/// A plan error, with what to do when the credentials are another user's than the plan's.
pub fn wrong_client(plan: &Plan, e: PlanError) -> Failure {
    match e {
        PlanError::WrongClient => Failure::usage(
            format!("plan {}", plan.name()),
            format!(
                "is for user {}; these credentials are another user's (choose --profile)",
                plan.source_user_id()
            ),
        ),
        e => failure(&format!("plan {}", plan.name()), e),
    }
}
