//! `xfollow plan status NAME [--intents]`: the plan's counts by state, from the store (any
//! process sees the same); with `--intents`, every intent with its state and failure.

use serde_json::{json, Value};
use xfollow::plan::{IntentRecord, Target};
use xfollow::Secret;

use super::{action_name, failure, open};
use crate::args::PlanStatusArgs;
use crate::failure::{Exit, Failure};
use crate::output::Out;

pub fn run(out: Out, given: Option<&Secret>, a: &PlanStatusArgs) -> Result<Exit, Failure> {
    let (plan, url) = open(given, &a.name)?;
    let (line, mut v) = super::summary(&plan, &url)?;
    let mut human = format!("plan {line}");
    if a.intents {
        let mut records = plan
            .intents()
            .map_err(|e| failure(&format!("plan {}", a.name), e))?;
        records.sort_by_key(|r| (action_name(&r.intent), r.intent.target.to_string()));
        for r in &records {
            human.push('\n');
            human.push_str(&intent_row(r));
        }
        v["intents"] = Value::Array(records.iter().map(intent_json).collect());
    }
    out.emit(&human, v);
    Ok(Exit::Ok)
}

fn intent_row(r: &IntentRecord) -> String {
    let mut s = format!(
        "{:<8} {:<9} {}",
        r.state.as_str(),
        action_name(&r.intent),
        r.intent.target
    );
    if let (Target::Username(_), Some(id)) = (&r.intent.target, &r.resolved_id) {
        s.push_str(&format!(" ({id})"));
    }
    if let Some(f) = &r.failure {
        s.push_str(&format!(": {}", f.message));
    }
    s
}

fn intent_json(r: &IntentRecord) -> Value {
    let mut v = json!({
        "action": action_name(&r.intent),
        "target": r.intent.target.to_string(),
        "state": r.state.as_str(),
        "resolved_id": r.resolved_id,
    });
    if let Some(f) = &r.failure {
        v["error"] = super::intent_error(f);
    }
    v
}
