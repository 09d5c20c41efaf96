//! Why a command failed, and the exit code that says so (stable, documented in cli/README.md).

use std::fmt;

use xfollow::ErrorKind;

/// The process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    Ok = 0,
    /// An API or network failure.
    Failure = 1,
    /// Usage or configuration.
    Usage = 2,
    /// Rate-limited, or out of daily quota.
    Limited = 3,
    /// Authentication: log in again.
    Auth = 4,
    /// Interrupted (Ctrl-C).
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The exit code of a library error.
    pub fn of(kind: ErrorKind) -> Exit {
        match kind {
            ErrorKind::InvalidArgument | ErrorKind::TokenStore => Exit::Usage,
            ErrorKind::Unauthorized => Exit::Auth,
            ErrorKind::RateLimited | ErrorKind::QuotaExhausted => Exit::Limited,
            ErrorKind::Cancelled => Exit::Interrupted,
            _ => Exit::Failure,
        }
    }

    /// Which of two outcomes a run reports: the more serious one (the variants are declared
    /// from the least serious up).
    pub fn worst(self, other: Exit) -> Exit {
        self.max(other)
    }
}

/// A failed command: its exit code, a one-line message (naming the argument or file at
/// fault), and the library error behind it, if any.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
    pub error: Option<xfollow::Error>,
    /// When the limit that stopped the run frees (Unix seconds), when no error carries it.
    pub frees: Option<i64>,
}

impl Failure {
    /// A usage or configuration error about `what` (an argument, a file).
    pub fn usage(what: impl fmt::Display, message: impl fmt::Display) -> Failure {
        Failure {
            exit: Exit::Usage,
            message: format!("{what}: {message}"),
            error: None,
            frees: None,
        }
    }

    /// A failure with the given exit code and message.
    pub fn new(exit: Exit, message: impl Into<String>) -> Failure {
        Failure {
            exit,
            message: message.into(),
            error: None,
            frees: None,
        }
    }

    /// A library error while doing `what`.
    pub fn api(what: impl fmt::Display, e: xfollow::Error) -> Failure {
        Failure {
            exit: Exit::of(e.kind()),
            message: format!("{what}: {}", describe(&e)),
            error: Some(e),
            frees: None,
        }
    }

    /// When the limit that stopped this run frees (Unix seconds), if known.
    pub fn frees_at(&self) -> Option<i64> {
        self.error.as_ref().and_then(frees_at).or(self.frees)
    }
}

/// The error's message, with the problem's detail when the message does not carry it, and
/// what to do for authentication failures.
pub fn describe(e: &xfollow::Error) -> String {
    let mut s = e.message().to_owned();
    if let Some(d) = &e.problem().detail {
        if !s.contains(d.as_str()) {
            s.push_str(": ");
            s.push_str(d);
        }
    }
    if e.kind() == ErrorKind::Unauthorized {
        s.push_str(" (log in again: xfollow login)");
    }
    one_line(&s)
}

/// When a rate limit or the daily quota frees, from a library error (Unix seconds).
pub fn frees_at(e: &xfollow::Error) -> Option<i64> {
    e.next_free_at()
        .or_else(|| e.retry_at().and_then(|r| i64::try_from(r).ok()))
}

/// `text` on one line: control characters (from server answers) become spaces.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The last second of year 9999: later times (from a corrupt file) are shown as it.
const MAX_SHOWN_EPOCH: u64 = 253_402_300_799;

/// `epoch` as `2026-01-01T00:00:00Z` (clamped to years 1970 to 9999).
pub fn timestamp(epoch: i64) -> String {
    let t = u64::try_from(epoch).unwrap_or(0).min(MAX_SHOWN_EPOCH);
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(t))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_the_documented_codes() {
        let not_failures = [
            (ErrorKind::InvalidArgument, 2),
            (ErrorKind::TokenStore, 2),
            (ErrorKind::Unauthorized, 4),
            (ErrorKind::RateLimited, 3),
            (ErrorKind::QuotaExhausted, 3),
            (ErrorKind::Cancelled, 130),
        ];
        // Every other kind, including any added later, is a failure (1).
        for &k in ErrorKind::ALL {
            let want = not_failures
                .iter()
                .find(|(n, _)| *n == k)
                .map_or(1, |&(_, code)| code);
            assert_eq!(Exit::of(k).code(), want, "{k:?}");
        }
    }

    #[test]
    fn worst_prefers_the_more_serious() {
        assert_eq!(Exit::Ok.worst(Exit::Failure), Exit::Failure);
        assert_eq!(Exit::Limited.worst(Exit::Failure), Exit::Limited);
        assert_eq!(Exit::Auth.worst(Exit::Interrupted), Exit::Interrupted);
        assert_eq!(timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(timestamp(-5), "1970-01-01T00:00:00Z");
        assert_eq!(timestamp(i64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(one_line("a\nb\tc"), "a b c");
    }
}
