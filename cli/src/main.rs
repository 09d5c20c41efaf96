//! `xfollow`, the command line of the xfollow library (see cli/README.md).

mod args;
mod commands;
mod failure;
mod interrupt;
mod output;
mod profile;
mod session;
mod targets;
mod windows;

use std::process::ExitCode;

use clap::Parser;

use failure::{Exit, Failure};
use output::Out;

fn main() -> ExitCode {
    interrupt::install();
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return ExitCode::from(parse_error(e)),
    };
    let out = Out {
        json: cli.global.json,
    };
    let code = match commands::run(cli, out) {
        Ok(exit) => exit,
        Err(f) => {
            out.failure(&f);
            f.exit
        }
    };
    ExitCode::from(code.code() as u8)
}

/// Help and version go to stdout (exit 0); a usage error is one line naming the argument
/// (exit 2), as `{"error":...}` too with `--json`.
fn parse_error(e: clap::Error) -> u8 {
    use clap::error::ErrorKind as K;
    if matches!(
        e.kind(),
        K::DisplayHelp | K::DisplayVersion | K::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == K::DisplayHelpOnMissingArgumentOrSubcommand {
            Exit::Usage.code() as u8
        } else {
            0
        };
    }
    // clap's first paragraph (some name the argument on its second line), on one line.
    let text = e.render().to_string();
    let msg = text
        .lines()
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("Usage:"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
    let f = Failure::new(Exit::Usage, failure::one_line(msg));
    let json = std::env::args().any(|a| a == "--json");
    Out { json }.failure(&f);
    Exit::Usage.code() as u8
}
