//! `xfollow unfollow TARGET...`: as `follow` (see [`super::follow`]).

use super::follow::change;
use crate::args::{Global, TargetArgs};
use crate::failure::{Exit, Failure};
use crate::output::Out;
use xfollow::quota::Action;

pub fn run(g: &Global, out: Out, a: &TargetArgs) -> Result<Exit, Failure> {
    change(g, out, a, Action::Unfollow)
}
