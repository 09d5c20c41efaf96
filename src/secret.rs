//! A string that never prints and is wiped from memory when dropped.

use std::fmt;
use zeroize::Zeroize;

/// A secret string: a consumer secret, token, token secret, access or refresh token, client
/// secret, PKCE verifier or authorization code. One type serves the signer and the token
/// module.
///
/// `Debug` and `Display` print `<redacted>`; the bytes are zeroized on drop. Read the value
/// with [`Secret::expose`], only where it is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret value. Never log or format it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Longest token or token secret accepted from any source (X's are under 100 characters).
pub(crate) const MAX_TOKEN_LEN: usize = 4096;

/// Why a token cannot be used, or `None` when it can: 1 to [`MAX_TOKEN_LEN`] visible ASCII
/// characters (0x21..=0x7e). A token goes into an `Authorization` header, so a space, CR, LF,
/// NUL, any other control or a non-ASCII byte would change the request.
pub(crate) fn token_problem(token: &str) -> Option<&'static str> {
    if token.is_empty() {
        Some("is empty")
    } else if token.len() > MAX_TOKEN_LEN {
        Some("is longer than 4096 bytes")
    } else if !token.bytes().all(|b| b.is_ascii_graphic()) {
        Some("has characters other than visible ASCII (control characters, spaces or non-ASCII)")
    } else {
        None
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_owned())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "\"<redacted>\"");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(s.expose(), "hunter2");
        assert!(!s.is_empty());
    }

    #[test]
    fn token_problems() {
        assert_eq!(token_problem("AAAA-bbb_c.d~e%2F"), None);
        assert_eq!(token_problem(""), Some("is empty"));
        assert_eq!(token_problem(&"a".repeat(4096)), None);
        assert_eq!(
            token_problem(&"a".repeat(4097)),
            Some("is longer than 4096 bytes")
        );
        for bad in [
            "a\r\nb",
            "a\nb",
            "a\0b",
            "a b",
            "a\tb",
            "a\u{7f}b",
            "caf\u{e9}",
        ] {
            assert_eq!(
                token_problem(bad),
                Some("has characters other than visible ASCII (control characters, spaces or non-ASCII)"),
                "{bad:?}"
            );
        }
    }
}
