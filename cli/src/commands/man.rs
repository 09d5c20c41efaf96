//! `xfollow man [DIR]`: the man page (roff) on stdout, or every page (`xfollow.1` and one
//! `xfollow-SUBCOMMAND.1` per subcommand) written to DIR; from the same definitions as the
//! parser (hidden; `make cli` runs it).

use crate::args::{command, ManArgs};
use crate::failure::{Exit, Failure};

pub fn run(a: &ManArgs) -> Result<Exit, Failure> {
    let fail = |e: std::io::Error| Failure::new(Exit::Failure, format!("man page: {e}"));
    match &a.dir {
        Some(dir) => clap_mangen::generate_to(command(), dir)
            .map_err(|e| Failure::usage(format!("DIR {}", dir.display()), e))?,
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(command())
                .render(&mut out)
                .map_err(fail)?;
            crate::output::raw(&out);
        }
    }
    Ok(Exit::Ok)
}
