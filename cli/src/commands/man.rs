//! `xfollow man`: the man page (roff), from the same definitions (hidden; `make cli-docs`).

use crate::args::command;
use crate::failure::{Exit, Failure};

pub fn run() -> Result<Exit, Failure> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command())
        .render(&mut out)
        .map_err(|e| Failure::new(Exit::Failure, format!("man page: {e}")))?;
    crate::output::raw(&out);
    Ok(Exit::Ok)
}
