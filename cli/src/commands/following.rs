//! `xfollow following [USER]`: as `followers` (see [`super::followers`]).

use super::followers::list;
use crate::args::{Global, ListArgs};
use crate::failure::{Exit, Failure};
use crate::output::Out;

pub fn run(g: &Global, out: Out, a: &ListArgs) -> Result<Exit, Failure> {
    list(g, out, a, false)
}
