//! `xfollow plan follow-back NAME`: adds a follow of everyone who follows the plan's user and
//! whom it does not follow yet.

use xfollow::Secret;

use super::{computed, open};
use crate::args::Global;
use crate::failure::{Exit, Failure};
use crate::output::Out;

pub fn run(g: &Global, out: Out, given: Option<&Secret>, name: &str) -> Result<Exit, Failure> {
    let (plan, _) = open(given, name)?;
    computed(g, out, &plan, "follow", |p, s| p.follow_back(&s.client))
}
