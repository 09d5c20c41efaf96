//! `xfollow plan add NAME [--unfollow] TARGET...`: follows (or unfollows) of ids and
//! @usernames (`-` reads stdin); an intent already in the plan is kept once. Usernames are
//! looked up when the plan runs, so nothing is sent here.

use serde_json::json;

use super::{failure, open, put_counts};
use crate::args::PlanAddArgs;
use crate::failure::{Exit, Failure};
use crate::output::Out;
use crate::targets::{collect, Target};
use xfollow::Secret;

pub fn run(out: Out, given: Option<&Secret>, a: &PlanAddArgs) -> Result<Exit, Failure> {
    super::check_name(&a.name)?;
    let targets = collect(&a.targets, &mut std::io::stdin().lock())?;
    let (plan, _) = open(given, &a.name)?;
    let shown: Vec<String> = targets.iter().map(Target::shown).collect();
    let refs: Vec<&str> = shown.iter().map(String::as_str).collect();
    let added = if a.unfollow {
        plan.unfollow(&refs)
    } else {
        plan.follow(&refs)
    }
    .map_err(|e| failure(&format!("plan {}", a.name), e))?;
    let counts = super::counts(&plan)?;
    let action = if a.unfollow { "unfollow" } else { "follow" };
    let kept = (refs.len() as u64).saturating_sub(added);
    let mut v = json!({
        "plan": a.name,
        "action": action,
        "given": refs.len(),
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
