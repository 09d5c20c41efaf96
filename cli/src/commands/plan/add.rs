//! `xfollow plan add NAME [--unfollow] TARGET...`: follows (or unfollows) of ids and
//! @usernames (`-` reads stdin); an intent already in the plan is kept once. Usernames are
//! looked up when the plan runs, so nothing is sent here.

use serde_json::json;

use super::{failure, open, put_counts};
use crate::args::PlanAddArgs;
use crate::failure::{Exit, Failure};
use crate::output::Out;
use crate::targets::collect;
use xfollow::plan::Intent;
use xfollow::quota::Action;
use xfollow::Secret;

pub fn run(out: Out, given: Option<&Secret>, a: &PlanAddArgs) -> Result<Exit, Failure> {
    super::check_name(&a.name)?;
    let targets = collect(&a.targets, &mut std::io::stdin().lock())?;
    let (plan, _) = open(given, &a.name)?;
    let action = if a.unfollow {
        Action::Unfollow
    } else {
        Action::Follow
    };
    let intents: Vec<Intent> = targets
        .into_iter()
        .map(|target| Intent { action, target })
        .collect();
    let added = plan
        .add(&intents)
        .map_err(|e| failure(&format!("plan {}", a.name), e))?;
    let counts = super::counts(&plan)?;
    let action = action.as_str();
    let kept = (intents.len() as u64).saturating_sub(added);
    let mut v = json!({
        "plan": a.name,
        "action": action,
        "given": intents.len(),
        "added": added,
    });
    put_counts(&mut v, &counts);
    out.emit(
        &format!(
            "added {added} {action}s to plan {} ({kept} already in it); {} queued of {}",
            a.name,
            counts.queued,
            counts.total()
        ),
        v,
    );
    Ok(Exit::Ok)
}
