//! Targets of follow and unfollow: user ids and `@username`s from the arguments or stdin
//! (`-`), checked before anything is sent, and usernames resolved once per run.

use std::collections::HashMap;
use std::io::{BufRead, Read};

use xfollow::{Client, ErrorKind};

use crate::failure::Failure;

/// One target as given: a user id, or `@username` (shown as given).
pub use xfollow::plan::Target;

/// Most targets in one run (25 times X's daily follow cap per user).
pub const MAX_TARGETS: usize = 10_000;
/// Longest line read from stdin.
pub const MAX_LINE: usize = 256;

fn bad_target(where_: &str, s: &str) -> Failure {
    bad_user(where_, s, "target")
}

/// `s` (shown cut to 40 characters) is not a user id or @username; `noun` names what it
/// should have been.
pub fn bad_user(where_: &str, s: &str, noun: &str) -> Failure {
    let shown: String = s.chars().take(40).collect();
    Failure::usage(
        format!("{where_} {shown:?}"),
        format!(
            "a {noun} is a user id (1 to 19 digits) or @username (1 to 15 of A-Z, a-z, 0-9, _)"
        ),
    )
}

/// The targets of `args` (`-` reads stdin: one per line; blank lines and `#` comments are
/// skipped), all checked; at most [`MAX_TARGETS`].
pub fn collect(args: &[String], stdin: &mut impl BufRead) -> Result<Vec<Target>, Failure> {
    let mut out = Vec::new();
    let mut read_stdin = false;
    for a in args {
        if a == "-" {
            if read_stdin {
                return Err(Failure::usage("TARGET -", "stdin can be read only once"));
            }
            read_stdin = true;
            read_lines(stdin, &mut out, "stdin", MAX_TARGETS)?;
        } else {
            out.push(Target::parse(a).map_err(|_| bad_target("TARGET", a))?);
        }
        if out.len() > MAX_TARGETS {
            return Err(Failure::usage(
                "TARGET",
                format!("at most {MAX_TARGETS} targets in one run"),
            ));
        }
    }
    Ok(out)
}

/// The targets of a file (as stdin's: one per line, blank lines and `#` comments skipped),
/// at most `max`; errors name the file and the line.
pub fn from_file(path: &std::path::Path, what: &str, max: usize) -> Result<Vec<Target>, Failure> {
    let shown = format!("{what} {}", path.display());
    let f = std::fs::File::open(path)
        .map_err(|e| Failure::usage(&shown, format!("cannot read it: {e}")))?;
    let mut out = Vec::new();
    read_lines(&mut std::io::BufReader::new(f), &mut out, &shown, max)?;
    Ok(out)
}

/// Reads targets from `input` (`what` names it in errors), at most `max` in `out`.
fn read_lines(
    input: &mut impl BufRead,
    out: &mut Vec<Target>,
    what: &str,
    max: usize,
) -> Result<(), Failure> {
    let mut n = 0usize;
    loop {
        n += 1;
        let mut line = Vec::new();
        // One byte past the bound tells an over-long line from one that fits.
        let read = input
            .by_ref()
            .take((MAX_LINE + 1) as u64)
            .read_until(b'\n', &mut line)
            .map_err(|e| Failure::usage(what, format!("cannot read it: {e}")))?;
        if read == 0 {
            return Ok(());
        }
        if line.len() > MAX_LINE && line.last() != Some(&b'\n') {
            return Err(Failure::usage(
                format!("{what} line {n}"),
                format!("longer than {MAX_LINE} bytes"),
            ));
        }
        let text = String::from_utf8_lossy(&line);
        let t = text.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        out.push(Target::parse(t).map_err(|_| bad_target(&format!("{what} line {n}"), t))?);
        if out.len() > max {
            return Err(if what == "stdin" {
                Failure::usage("TARGET", format!("at most {max} targets in one run"))
            } else {
                Failure::usage(what, format!("at most {max} targets"))
            });
        }
    }
}

/// A resolved target: its id, and its username when it was given as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub id: String,
    pub username: Option<String>,
}

/// Usernames looked up so far in this run (each once): `None` when no such user.
#[derive(Debug, Default)]
pub struct Resolver {
    seen: HashMap<String, Option<Resolved>>,
}

impl Resolver {
    /// The target's id (a lookup for a username not seen yet in this run). `Ok(None)`: no
    /// such user. Other errors end the run.
    pub fn resolve(
        &mut self,
        client: &Client,
        t: &Target,
    ) -> Result<Option<Resolved>, xfollow::Error> {
        let name = match t {
            Target::Id(id) => {
                return Ok(Some(Resolved {
                    id: id.clone(),
                    username: None,
                }))
            }
            Target::Username(n) => n,
        };
        // Usernames are case-insensitive on X.
        let key = name.to_ascii_lowercase();
        if let Some(r) = self.seen.get(&key) {
            return Ok(r.clone());
        }
        let r = match client.user_by_username(name) {
            Ok(u) => Some(Resolved {
                id: u.id,
                username: Some(u.username),
            }),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        self.seen.insert(key, r.clone());
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_ids_and_usernames_and_refuses_the_rest() {
        assert_eq!(Target::parse("123").ok(), Some(Target::Id("123".into())));
        assert_eq!(
            Target::parse("@bob_1").ok(),
            Some(Target::Username("bob_1".into()))
        );
        for bad in [
            "bob",
            "@",
            "@toolongusername16",
            "12345678901234567890",
            "-1",
            "@b-b",
            "",
        ] {
            assert_eq!(Target::parse(bad).ok(), None, "{bad}");
        }
    }

    #[test]
    fn stdin_lines_are_trimmed_commented_and_bounded() {
        let mut input: &[u8] = b"# list\n 123 \n\n@bob\r\n";
        let t = collect(&args(&["9", "-"]), &mut input).unwrap();
        assert_eq!(
            t,
            vec![
                Target::Id("9".into()),
                Target::Id("123".into()),
                Target::Username("bob".into())
            ]
        );
        let long = format!("{}\n", "1".repeat(MAX_LINE + 1));
        let mut input = long.as_bytes();
        let e = collect(&args(&["-"]), &mut input).unwrap_err();
        assert_eq!(e.message, "stdin line 1: longer than 256 bytes");
        let mut input: &[u8] = b"1\nbob\n";
        let e = collect(&args(&["-"]), &mut input).unwrap_err();
        assert!(
            e.message.starts_with("stdin line 2 \"bob\": a target is"),
            "{}",
            e.message
        );
        let many = "1\n".repeat(MAX_TARGETS + 1);
        let mut input = many.as_bytes();
        let e = collect(&args(&["-"]), &mut input).unwrap_err();
        assert_eq!(e.message, "TARGET: at most 10000 targets in one run");
    }
}
