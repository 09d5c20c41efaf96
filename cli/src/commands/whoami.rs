//! `xfollow whoami`: the authenticated user (`GET /2/users/me`).

use serde_json::json;

use crate::args::Global;
use crate::failure::{Exit, Failure};
use crate::output::Out;
use crate::session;

pub fn run(g: &Global, out: Out) -> Result<Exit, Failure> {
    let s = session::open(g)?;
    crate::interrupt::enter_run();
    let me = s.client.me();
    super::keep_windows(&s);
    let u = me.map_err(|e| Failure::api("whoami", e))?;
    let profile = s.profile_name();
    let mut human = format!("@{} ({}) {}", u.username, u.id, u.name);
    match profile {
        Some(p) => human.push_str(&format!(" [profile {p}, {}]", s.auth_name())),
        None => human.push_str(&format!(" [environment, {}]", s.auth_name())),
    }
    out.emit(
        &human,
        json!({
            "id": u.id,
            "username": u.username,
            "name": u.name,
            "auth": s.auth_name(),
            "profile": profile,
        }),
    );
    Ok(Exit::Ok)
}
