//! OAuth 2.0 user access tokens sent as `Authorization: Bearer`.

use crate::error::Error;
use crate::secret::{token_problem, Secret};

/// The `Authorization` header value for a bearer token. Every path that builds this header
/// comes here, so a token that is not visible ASCII (CR, LF, NUL, space, non-ASCII) is refused
/// here whatever its source, before anything is sent.
pub(crate) fn authorization(token: &Secret) -> Result<String, Error> {
    if let Some(p) = token_problem(token.expose()) {
        return Err(Error::invalid_argument(format!(
            "the OAuth 2.0 access token {p}"
        )));
    }
    let mut s = String::with_capacity(7 + token.expose().len());
    s.push_str("Bearer ");
    s.push_str(token.expose());
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header() {
        assert_eq!(authorization(&Secret::new("abc")).unwrap(), "Bearer abc");
    }

    #[test]
    fn a_token_that_would_split_the_header_is_refused() {
        for t in [
            "good\r\nx-injected: yes",
            "a\nb",
            "a\0b",
            "a b",
            "",
            "caf\u{e9}",
        ] {
            let e = authorization(&Secret::new(t)).unwrap_err();
            assert_eq!(e.kind(), crate::error::ErrorKind::InvalidArgument, "{t:?}");
            assert!(!e.may_have_reached_server());
            assert!(
                e.message().starts_with("the OAuth 2.0 access token "),
                "{}",
                e.message()
            );
        }
    }
}
