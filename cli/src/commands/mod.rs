//! One file per subcommand; each `run` returns the exit code of a run that went through, or
//! the failure that stopped it. A new family (`xfollow plan ...`) is a new file and a new arm.

pub mod completions;
pub mod follow;
pub mod followers;
pub mod following;
pub mod login;
pub mod logout;
pub mod man;
pub mod plan;
pub mod status;
pub mod unfollow;
pub mod whoami;

use serde_json::{json, Value};
use xfollow::quota::Action;

use crate::args::{Cli, Command};
use crate::failure::{Exit, Failure};
use crate::output::Out;

pub fn run(cli: Cli, out: Out) -> Result<Exit, Failure> {
    let g = &cli.global;
    match cli.command {
        Command::Login(a) => login::run(g, out, &a),
        Command::Logout(a) => logout::run(g, out, &a),
        Command::Whoami => whoami::run(g, out),
        Command::Follow(a) => follow::run(g, out, &a),
        Command::Unfollow(a) => unfollow::run(g, out, &a),
        Command::Status => status::run(g, out),
        Command::Followers(a) => followers::run(g, out, &a),
        Command::Following(a) => following::run(g, out, &a),
        Command::Plan(a) => plan::run(g, out, &a),
        Command::Completions(a) => completions::run(&a),
        Command::Man(a) => man::run(&a),
    }
}

/// After a run: keeps the windows the client saw for `xfollow status` (a failure to write
/// them is only reported).
pub fn keep_windows(s: &crate::session::Session) {
    if let Err(f) = crate::windows::record(s.windows_key(), &s.client, xfollow::tokens::unix_now())
    {
        eprintln!(
            "xfollow: warning: last-known windows not kept: {}",
            f.message
        );
    }
}

/// What a follow or unfollow of `id` for `me` would send, for `--dry-run`: the request as
/// text (`POST /2/users/ME/following {"target_user_id":"ID"}`) and as the `request` object.
pub fn would_send(action: Action, me: &str, id: &str) -> (String, Value) {
    let (method, path, body) = match action {
        Action::Follow => (
            "POST",
            format!("/2/users/{me}/following"),
            Some(json!({ "target_user_id": id })),
        ),
        Action::Unfollow => ("DELETE", format!("/2/users/{me}/following/{id}"), None),
    };
    let mut text = format!("{method} {path}");
    if let Some(b) = &body {
        text.push_str(&format!(" {b}"));
    }
    (
        text,
        json!({ "method": method, "path": path, "body": body }),
    )
}
