//! `xfollow followers [USER]` (and, through [`list`], `xfollow following`): every page, each
//! user printed as soon as its page arrives; a spinner counts them on a terminal.

use serde_json::json;

use crate::args::{Global, ListArgs};
use crate::failure::{Exit, Failure};
use crate::interrupt;
use crate::output::Out;
use crate::session;
use crate::targets::{bad_user, Resolver, Target};

pub fn run(g: &Global, out: Out, a: &ListArgs) -> Result<Exit, Failure> {
    list(g, out, a, true)
}

pub fn list(g: &Global, out: Out, a: &ListArgs, followers: bool) -> Result<Exit, Failure> {
    let what = if followers { "followers" } else { "following" };
    let target = match &a.user {
        Some(u) => Some(Target::parse(u).map_err(|_| bad_user("USER", u, "user"))?),
        None => None,
    };
    let s = session::open(g)?;
    interrupt::enter_run();
    let r = stream(&s, out, target.as_ref(), a.page_size, followers, what);
    super::keep_windows(&s);
    r
}

fn stream(
    s: &session::Session,
    out: Out,
    target: Option<&Target>,
    page_size: u32,
    followers: bool,
    what: &str,
) -> Result<Exit, Failure> {
    let id = match target {
        Some(t) => match Resolver::default().resolve(&s.client, t) {
            Ok(Some(r)) => Some(r.id),
            Ok(None) => {
                return Err(Failure::new(
                    Exit::Failure,
                    format!("USER {}: not found", t),
                ))
            }
            Err(e) => return Err(Failure::api(format!("{what}: USER {}", t), e)),
        },
        None => s.known_user_id().map(str::to_owned),
    };
    let pages = if followers {
        s.client.followers_iter(id.as_deref(), Some(page_size))
    } else {
        s.client.following_iter(id.as_deref(), Some(page_size))
    };
    // Hidden by itself when stderr is not a terminal.
    let bar = indicatif::ProgressBar::new_spinner();
    let mut n: u64 = 0;
    for page in pages {
        if interrupt::interrupted() {
            bar.finish_and_clear();
            return Err(Failure::new(Exit::Interrupted, "interrupted"));
        }
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                bar.finish_and_clear();
                return Err(Failure::api(what, e));
            }
        };
        for u in &page.users {
            bar.suspend(|| {
                out.emit(
                    &format!("@{} ({}) {}", u.username, u.id, u.name),
                    json!({ "id": u.id, "username": u.username, "name": u.name }),
                )
            });
        }
        n = n.saturating_add(page.users.len() as u64);
        bar.set_message(format!("{n} users"));
        bar.tick();
    }
    bar.finish_and_clear();
    Ok(Exit::Ok)
}
