//! `xfollow unfollow TARGET...`: as `follow` (see [`super::follow`]).

use super::follow::{change, Action};
use crate::args::{Global, TargetArgs};
use crate::failure::{Exit, Failure};
use crate::output::Out;

pub fn run(g: &Global, out: Out, a: &TargetArgs) -> Result<Exit, Failure> {
    change(g, out, a, Action::Unfollow)
}
