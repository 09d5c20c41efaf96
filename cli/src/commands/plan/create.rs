//! `xfollow plan create NAME [--store URL]`: a plan for the authenticated user (opened when
//! it exists for that user). A store given here is remembered for the plan's other commands.

use serde_json::json;
use xfollow::plan::PlanError;
use xfollow::quota::StoreKind;
use xfollow::Secret;

use super::{failure, put_counts, stores};
use crate::args::Global;
use crate::failure::{Exit, Failure};
use crate::interrupt;
use crate::output::Out;
use crate::session;

pub fn run(g: &Global, out: Out, given: Option<&Secret>, name: &str) -> Result<Exit, Failure> {
    let (store, url) = super::store_of(given, name)?;
    let s = session::open(g)?;
    interrupt::enter_run();
    let user = s.own_id("the authenticated user");
    crate::commands::keep_windows(&s);
    let user = user?;
    let existed = match store.plan(name) {
        Ok(_) => true,
        Err(PlanError::NoSuchPlan) => false,
        Err(e) => return Err(failure(&format!("plan {name}"), e)),
    };
    let plan = store.create(name, &user).map_err(|e| match e {
        PlanError::SourceMismatch => Failure::usage(
            format!("plan {name}"),
            "exists for another user (drop it, or choose another name)",
        ),
        e => failure(&format!("plan {name}"), e),
    })?;
    if store.kind() == StoreKind::Memory {
        eprintln!("xfollow: warning: a memory: store keeps the plan for this process only");
    } else if given.is_some() {
        stores::remember(name, &url)?;
    }
    let counts = super::counts(&plan)?;
    let verb = if existed { "opened" } else { "created" };
    let mut v = json!({
        "plan": name,
        "created": !existed,
        "source_user_id": user,
        "store": xfollow::redact_userinfo(&url),
    });
    put_counts(&mut v, &counts);
    out.emit(
        &format!(
            "{verb} plan {name} for user {user} in {} ({} intents)",
            xfollow::redact_userinfo(&url),
            counts.total()
        ),
        v,
    );
    Ok(Exit::Ok)
}
