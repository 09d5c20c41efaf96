//! The errors of the token module. Messages never contain a secret.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Why getting, refreshing or storing a token failed.
///
/// Every message is one line without secrets: provider messages are kept (with any secret that
/// was sent in the request scrubbed out), tokens are never included.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The token endpoint answered an OAuth error (`{"error", "error_description"}`), for
    /// example `invalid_request` for a refresh token that was already used.
    OAuth {
        /// HTTP status of the answer.
        status: u16,
        /// The OAuth `error` code.
        error: String,
        /// The provider's `error_description`, if any.
        description: Option<String>,
    },
    /// The endpoint answered an HTTP error that is not an OAuth error body.
    Http {
        /// HTTP status of the answer.
        status: u16,
        /// What the body said (a problem's title/detail), or a summary of it.
        message: String,
    },
    /// The answer could not be understood (missing field, not JSON, bad form body).
    InvalidResponse(String),
    /// An OAuth 1.0a request token answer did not carry `oauth_callback_confirmed=true`.
    CallbackNotConfirmed,
    /// The `oauth_token` of an OAuth 1.0a callback is not the request token of this flow.
    TokenMismatch,
    /// The `state` of an OAuth 2.0 callback is missing or not the one this flow sent.
    StateMismatch,
    /// The user or the provider refused the authorization (`error=access_denied`, `denied=`).
    AuthorizationDenied {
        /// The OAuth error code (`access_denied`, ...).
        error: String,
        /// The provider's description, if any.
        description: Option<String>,
    },
    /// No callback arrived at the loopback redirect receiver in time.
    RedirectTimeout {
        /// How long the receiver waited.
        waited: Duration,
    },
    /// The token set has no refresh token, so it cannot be refreshed.
    NoRefreshToken,
    /// An argument is out of range or malformed.
    InvalidArgument(String),
    /// The token store could not be read, locked or written.
    Store {
        /// The store file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The token store file is readable or writable by group or others.
    InsecureStore {
        /// The store file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The persist callback failed after a refresh. The new token set is kept and used.
    Persist(String),
    /// The request could not be sent or its answer not received (network, TLS, timeout).
    Transport(String),
    /// A local I/O failure (the loopback receiver's socket, the OS random generator).
    Io(String),
    /// A refresh function panicked.
    Internal(String),
    /// The HTTP request to the token endpoint failed before an answer was read (network,
    /// timeout, TLS, bad URL): the client's error, with its kind.
    Request(crate::error::Error),
}

impl Error {
    /// Whether this is an authentication or authorization failure: the user has to log in
    /// again (or fix the client credentials).
    pub fn is_auth(&self) -> bool {
        match self {
            Error::OAuth { .. }
            | Error::CallbackNotConfirmed
            | Error::TokenMismatch
            | Error::StateMismatch
            | Error::AuthorizationDenied { .. }
            | Error::NoRefreshToken => true,
            Error::Http { status, .. } => *status == 401 || *status == 403,
            _ => false,
        }
    }

    /// Whether trying the same refresh again cannot help: the provider refused it, or it
    /// answered something that may have consumed the refresh token. A refresher stops
    /// refreshing after such an error.
    pub fn is_permanent(&self) -> bool {
        match self {
            Error::OAuth { status, .. } => *status < 500,
            Error::Http { status, .. } => *status == 400 || *status == 401 || *status == 403,
            Error::InvalidResponse(_) | Error::NoRefreshToken | Error::InvalidArgument(_) => true,
            _ => false,
        }
    }

    pub(crate) fn io(context: &str, e: &std::io::Error) -> Self {
        Error::Io(format!("{context}: {e}"))
    }

    pub(crate) fn store(path: &std::path::Path, context: &str, e: &std::io::Error) -> Self {
        Error::Store {
            path: path.to_path_buf(),
            message: format!("{context}: {e}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::OAuth {
                status,
                error,
                description,
            } => {
                write!(f, "token endpoint refused the request (HTTP {status}, {error})")?;
                if let Some(d) = description {
                    write!(f, ": {d}")?;
                }
                Ok(())
            }
            Error::Http { status, message } => write!(f, "HTTP {status}: {message}"),
            Error::InvalidResponse(m) => write!(f, "unexpected answer: {m}"),
            Error::CallbackNotConfirmed => {
                f.write_str("the request token answer did not confirm the callback (oauth_callback_confirmed is not \"true\")")
            }
            Error::TokenMismatch => {
                f.write_str("the callback's oauth_token is not the request token of this flow")
            }
            Error::StateMismatch => {
                f.write_str("the callback's state is missing or does not match the one sent (possible forged request)")
            }
            Error::AuthorizationDenied { error, description } => {
                write!(f, "authorization refused ({error})")?;
                if let Some(d) = description {
                    write!(f, ": {d}")?;
                }
                Ok(())
            }
            Error::RedirectTimeout { waited } => write!(
                f,
                "no authorization callback arrived within {} s",
                waited.as_secs_f64()
            ),
            Error::NoRefreshToken => f.write_str(
                "the token set has no refresh token (request the offline.access scope)",
            ),
            Error::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            Error::Store { path, message } => {
                write!(f, "token store {}: {message}", path.display())
            }
            Error::InsecureStore { path, mode } => write!(
                f,
                "token store {} is accessible by group or others (mode {:04o}); run chmod 600 on it",
                path.display(),
                mode & 0o7777
            ),
            Error::Persist(m) => write!(f, "persisting the refreshed token set failed: {m}"),
            Error::Transport(m) => write!(f, "transport error: {m}"),
            Error::Io(m) => write!(f, "I/O error: {m}"),
            Error::Internal(m) => write!(f, "internal error: {m}"),
            Error::Request(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for crate::error::Error {
    /// The client's error for a token-module error: a refused flow or refresh is
    /// `Unauthorized` (the OAuth `error` code as problem title, the provider's description as
    /// problem detail, the HTTP status kept), a missed callback a `Timeout`, a store or persist
    /// failure `TokenStore`, an answer that cannot be understood `Protocol`.
    fn from(e: Error) -> crate::error::Error {
        use crate::error::{Delivery, ErrorKind};
        let message = e.to_string();
        let (kind, delivery, status) = match &e {
            Error::Request(inner) => return inner.clone(),
            Error::OAuth { status, .. } if *status >= 500 => {
                (ErrorKind::Server, Delivery::MaybeSent, Some(*status))
            }
            Error::OAuth { status, .. } => {
                (ErrorKind::Unauthorized, Delivery::MaybeSent, Some(*status))
            }
            Error::Http { status, .. } => (
                match status {
                    401 => ErrorKind::Unauthorized,
                    403 => ErrorKind::Forbidden,
                    404 => ErrorKind::NotFound,
                    429 => ErrorKind::RateLimited,
                    500.. => ErrorKind::Server,
                    _ => ErrorKind::Api,
                },
                Delivery::MaybeSent,
                Some(*status),
            ),
            Error::InvalidResponse(_) | Error::CallbackNotConfirmed => {
                (ErrorKind::Protocol, Delivery::MaybeSent, None)
            }
            Error::TokenMismatch
            | Error::StateMismatch
            | Error::AuthorizationDenied { .. }
            | Error::NoRefreshToken => (ErrorKind::Unauthorized, Delivery::NotSent, None),
            Error::RedirectTimeout { .. } => (ErrorKind::Timeout, Delivery::NotSent, None),
            Error::InvalidArgument(_) => (ErrorKind::InvalidArgument, Delivery::NotSent, None),
            Error::Store { .. } | Error::InsecureStore { .. } | Error::Persist(_) => {
                (ErrorKind::TokenStore, Delivery::MaybeSent, None)
            }
            Error::Transport(_) => (ErrorKind::Network, Delivery::MaybeSent, None),
            Error::Io(_) => (ErrorKind::Network, Delivery::NotSent, None),
            Error::Internal(_) => (ErrorKind::Panic, Delivery::MaybeSent, None),
        };
        let mut out = crate::error::Error::new(kind, message, delivery);
        out.0.http_status = status;
        if let Error::OAuth {
            error, description, ..
        } = e
        {
            out.0.problem.title = Some(error);
            out.0.problem.detail = description;
        }
        out
    }
}

/// Replaces every occurrence of each (non-trivial) secret in `text` by `<redacted>`.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        if s.len() >= 4 && out.contains(s) {
            // The text before replacement holds the secret: wipe it.
            let mut old = std::mem::take(&mut out);
            out = old.replace(s, "<redacted>");
            zeroize::Zeroize::zeroize(&mut old);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_error_message_keeps_the_provider_text() {
        let e = Error::OAuth {
            status: 400,
            error: "invalid_request".into(),
            description: Some("Value passed for the token was invalid.".into()),
        };
        assert_eq!(
            e.to_string(),
            "token endpoint refused the request (HTTP 400, invalid_request): Value passed for the token was invalid."
        );
        assert!(e.is_auth());
        assert!(e.is_permanent());
        assert!(!Error::Transport("reset".into()).is_permanent());
        assert!(!Error::Http {
            status: 503,
            message: "x".into()
        }
        .is_permanent());
    }

    #[test]
    fn scrub_removes_secrets() {
        assert_eq!(
            scrub("token abcd1234 is bad; abcd1234", &["abcd1234", "", "ab"]),
            "token <redacted> is bad; <redacted>"
        );
    }

    #[test]
    fn insecure_store_message() {
        let e = Error::InsecureStore {
            path: PathBuf::from("/tmp/s.json"),
            mode: 0o100644,
        };
        assert_eq!(
            e.to_string(),
            "token store /tmp/s.json is accessible by group or others (mode 0644); run chmod 600 on it"
        );
    }
}
