//! Errors as values: a stable kind, the HTTP status, the API's problem fields, the legacy
//! `errors[]` entries and the rate-limit windows of the response.

use crate::ratelimit::RateLimit;
use std::fmt;

/// Defines [`ErrorKind`] and its table from `codes.rs`.
macro_rules! error_codes {
    ($($code:literal, $kind:ident, $c_name:ident, $text:literal, $doc:literal, $c_doc:literal;)*) => {
        /// What went wrong, as a stable number. The numbers are the C ABI's `x_result` codes:
        /// they are never renumbered or reused, and new kinds are added at the end.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum ErrorKind {
            $(#[doc = $doc] $kind = $code,)*
        }

        impl ErrorKind {
            /// Every kind, in code order.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$kind),*];

            /// The kind of a code (`None` for 0, success, and for unknown codes).
            pub fn from_code(code: i32) -> Option<ErrorKind> {
                match code {
                    $($code => Some(ErrorKind::$kind),)*
                    _ => None,
                }
            }

            /// Static one-line text for the kind.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorKind::$kind => $text,)*
                }
            }

            /// The same text, NUL-terminated (`x_result_str`).
            pub fn as_c_str(self) -> &'static std::ffi::CStr {
                match self {
                    $(ErrorKind::$kind => {
                        const TEXT: &std::ffi::CStr =
                            match std::ffi::CStr::from_bytes_with_nul(concat!($text, "\0").as_bytes()) {
                                Ok(c) => c,
                                Err(_) => panic!("an error text holds a NUL"),
                            };
                        TEXT
                    })*
                }
            }

            /// The C constant's name (`X_ERR_RATE_LIMITED`).
            pub fn c_name(self) -> &'static str {
                match self {
                    $(ErrorKind::$kind => stringify!($c_name),)*
                }
            }
        }
    };
}

include!("codes.rs");

impl ErrorKind {
    /// The stable number (also the C `x_result` code).
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// Whether the request can have reached the server. Retry logic relies on this:
/// `NotSent` is proof that nothing happened on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Provably never sent (bad input, DNS failure, connect refused or timed out, TLS
    /// handshake failure).
    NotSent,
    /// May have reached the server (sent, or unknown).
    MaybeSent,
}

/// The fields of an `application/problem+json` error body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Problem {
    /// `title`, e.g. `Client Forbidden`.
    pub title: Option<String>,
    /// `detail`.
    pub detail: Option<String>,
    /// `type`, the whole URI as sent.
    pub type_uri: Option<String>,
    /// `reason`, e.g. `client-not-enrolled`.
    pub reason: Option<String>,
    /// `required_enrollment`.
    pub required_enrollment: Option<String>,
    /// `registration_url`.
    pub registration_url: Option<String>,
    /// `client_id`.
    pub client_id: Option<String>,
}

impl Problem {
    /// The name after `/2/problems/` in `type` (host-independent), e.g. `client-forbidden`.
    pub fn type_suffix(&self) -> Option<&str> {
        problem_suffix(self.type_uri.as_deref()?)
    }

    pub(crate) fn is_empty(&self) -> bool {
        *self == Problem::default()
    }
}

/// The name after `/2/problems/` in a problem `type` URI.
pub fn problem_suffix(type_uri: &str) -> Option<&str> {
    let i = type_uri.rfind("/2/problems/")?;
    let s = &type_uri[i + "/2/problems/".len()..];
    (!s.is_empty()).then_some(s)
}

/// One entry of an `errors` array: the v2 shape (`title`, `detail`, `type`, `message`...)
/// or the legacy v1.1 shape (`code`, `message`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiError {
    /// Legacy numeric `code` (88 rate limit, 89 invalid token, 135 timestamp...).
    pub code: Option<i64>,
    /// `message`, or `detail` when there is no message.
    pub message: Option<String>,
    /// `title` (v2 partial errors).
    pub title: Option<String>,
    /// `type` (v2 partial errors).
    pub type_uri: Option<String>,
}

/// A failed call. Messages are one line and never contain a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Error(pub(crate) Box<Inner>);

#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Inner {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
    pub(crate) delivery: Delivery,
    pub(crate) http_status: Option<u16>,
    pub(crate) problem: Problem,
    pub(crate) errors: Vec<ApiError>,
    pub(crate) rate_limit: RateLimit,
    pub(crate) next_free_at: Option<i64>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>, delivery: Delivery) -> Error {
        Error(Box::new(Inner {
            kind,
            message: one_line(&message.into()),
            delivery,
            http_status: None,
            problem: Problem::default(),
            errors: Vec::new(),
            rate_limit: RateLimit::default(),
            next_free_at: None,
        }))
    }

    /// An invalid argument, detected before any traffic.
    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message, Delivery::NotSent)
    }

    /// A panic caught at the C boundary.
    pub fn panic(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Panic, message, Delivery::MaybeSent)
    }

    /// The stable kind.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }
    /// The one-line message.
    pub fn message(&self) -> &str {
        &self.0.message
    }
    /// Whether the request may have reached the server (false = provably not sent).
    pub fn may_have_reached_server(&self) -> bool {
        self.0.delivery == Delivery::MaybeSent
    }
    /// See [`Delivery`].
    pub fn delivery(&self) -> Delivery {
        self.0.delivery
    }
    /// The HTTP status, when a response was received.
    pub fn http_status(&self) -> Option<u16> {
        self.0.http_status
    }
    /// The problem fields of the error body (all `None` when there were none).
    pub fn problem(&self) -> &Problem {
        &self.0.problem
    }
    /// The `errors` array of the body (legacy codes and messages, v2 partial errors).
    pub fn errors(&self) -> &[ApiError] {
        &self.0.errors
    }
    /// The rate-limit windows of the response (empty when there was no response).
    pub fn rate_limit(&self) -> &RateLimit {
        &self.0.rate_limit
    }
    /// After [`ErrorKind::QuotaExhausted`]: the Unix time (seconds) at which the exhausted
    /// daily window has a free slot again.
    pub fn next_free_at(&self) -> Option<i64> {
        self.0.next_free_at
    }
    /// On 429: which window is exhausted (the one whose reset [`retry_at`](Self::retry_at)
    /// gives). `None` when no window reports `remaining` 0, or without rate-limit headers.
    pub fn exhausted_window(&self) -> Option<crate::ratelimit::WindowKind> {
        if self.0.kind == ErrorKind::RateLimited {
            self.0.rate_limit.binding_window()
        } else {
            None
        }
    }
    /// On 429: the Unix time to wait for (the latest reset among exhausted windows).
    pub fn retry_at(&self) -> Option<u64> {
        if self.0.kind == ErrorKind::RateLimited {
            self.0.rate_limit.reset_after_429()
        } else {
            None
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .field("delivery", &self.0.delivery)
            .field("http_status", &self.0.http_status)
            .field("problem", &self.0.problem)
            .field("errors", &self.0.errors)
            .field("rate_limit", &self.0.rate_limit)
            .field("next_free_at", &self.0.next_free_at)
            .finish()
    }
}

impl std::error::Error for Error {}

/// Collapses control characters and runs of whitespace into single spaces and caps the
/// length, so that messages are always one line.
pub(crate) fn one_line(s: &str) -> String {
    const MAX: usize = 400;
    let mut out = String::with_capacity(s.len().min(MAX));
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        if out.len() + c.len_utf8() > MAX {
            out.push_str("...");
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let all = [
            (ErrorKind::InvalidArgument, 1),
            (ErrorKind::Unauthorized, 2),
            (ErrorKind::Forbidden, 3),
            (ErrorKind::NotFound, 4),
            (ErrorKind::RateLimited, 5),
            (ErrorKind::Network, 6),
            (ErrorKind::Timeout, 7),
            (ErrorKind::Tls, 8),
            (ErrorKind::Server, 9),
            (ErrorKind::Protocol, 10),
            (ErrorKind::Api, 11),
            (ErrorKind::Panic, 12),
            (ErrorKind::QuotaExhausted, 13),
            (ErrorKind::QuotaStore, 14),
            (ErrorKind::Cancelled, 15),
            (ErrorKind::TokenStore, 16),
        ];
        for (k, n) in all {
            assert_eq!(k.code(), n);
        }
    }

    #[test]
    fn suffix() {
        assert_eq!(
            problem_suffix("https://api.twitter.com/2/problems/client-forbidden"),
            Some("client-forbidden")
        );
        assert_eq!(
            problem_suffix("https://api.x.com/2/problems/usage-capped"),
            Some("usage-capped")
        );
        assert_eq!(problem_suffix("about:blank"), None);
        assert_eq!(problem_suffix("https://api.x.com/2/problems/"), None);
    }

    #[test]
    fn messages_are_one_line() {
        assert_eq!(one_line("a\nb\r\n\tc  d "), "a b c d");
        assert_eq!(one_line("  x"), "x");
        let long = "y".repeat(1000);
        assert_eq!(one_line(&long).len(), 403);
    }
}
