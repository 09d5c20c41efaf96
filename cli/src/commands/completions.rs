//! `xfollow completions bash|zsh|fish`: the completion script, from the same definitions.

use crate::args::{command, CompletionsArgs, Shell};
use crate::failure::{Exit, Failure};

pub fn run(a: &CompletionsArgs) -> Result<Exit, Failure> {
    let shell = match a.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command(), "xfollow", &mut out);
    crate::output::raw(&out);
    Ok(Exit::Ok)
}
