//! `xfollow plan drop NAME`: deletes the plan and its intents (and forgets its store).

use serde_json::json;
use xfollow::Secret;

use super::{failure, store_of, stores};
use crate::failure::{Exit, Failure};
use crate::output::Out;

pub fn run(out: Out, given: Option<&Secret>, name: &str) -> Result<Exit, Failure> {
    let (store, url) = store_of(given, name)?;
    let dropped = store
        .drop_plan(name)
        .map_err(|e| failure(&format!("plan {name}"), e))?;
    if !dropped {
        return Err(Failure::usage(
            format!("plan {name}"),
            format!("no such plan in {}", xfollow::redact_userinfo(&url)),
        ));
    }
    // Without --store, `url` is the remembered store (if any).
    stores::forget(name, &url)?;
    out.emit(
        &format!("dropped plan {name}"),
        json!({ "plan": name, "dropped": true, "store": xfollow::redact_userinfo(&url) }),
    );
    Ok(Exit::Ok)
}
