//! `xfollow plan unfollow-non-followers NAME [--keep FILE]`: adds an unfollow of everyone the
//! plan's user follows who does not follow back, except those in FILE (ids or @usernames, one
//! per line). Reads both lists whole (the library refuses lists beyond 100,000 users).

use xfollow::Secret;

use super::{computed, open};
use crate::args::{Global, PlanKeepArgs};
use crate::failure::{Exit, Failure};
use crate::output::Out;
use crate::targets::{from_file, Target};

/// Most entries of a keep file: as many users as the library reads from one list.
pub const MAX_KEEP: usize = 100_000;

pub fn run(
    g: &Global,
    out: Out,
    given: Option<&Secret>,
    a: &PlanKeepArgs,
) -> Result<Exit, Failure> {
    super::check_name(&a.name)?;
    let keep: Vec<String> = match &a.keep {
        Some(p) => from_file(p, "--keep", MAX_KEEP)?
            .iter()
            .map(Target::to_string)
            .collect(),
        None => Vec::new(),
    };
    let (plan, _) = open(given, &a.name)?;
    let refs: Vec<&str> = keep.iter().map(String::as_str).collect();
    computed(g, out, &plan, "unfollow", |p, s| {
        p.unfollow_non_followers(&s.client, &refs)
    })
}
