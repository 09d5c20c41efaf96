//! OAuth 1.0a user-context credentials: the four values and the header of a signed request.

pub use crate::signature::{authorization_header, nonce, Signing};

use crate::error::Error;
use crate::secret::Secret;
use crate::validate;
use std::fmt;

/// OAuth 1.0a user-context credentials: the app's consumer key and secret and the user's
/// access token and secret.
#[derive(Clone)]
pub struct OAuth1Credentials {
    /// The app's consumer (API) key.
    pub consumer_key: String,
    /// The app's consumer secret.
    pub consumer_secret: Secret,
    /// The user's access token, `<user id>-<random>`.
    pub token: Secret,
    /// The user's access token secret.
    pub token_secret: Secret,
}

impl fmt::Debug for OAuth1Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth1Credentials")
            .field("consumer_key", &self.consumer_key)
            .field("consumer_secret", &self.consumer_secret)
            .field("token", &self.token)
            .field("token_secret", &self.token_secret)
            .finish()
    }
}

impl OAuth1Credentials {
    /// Builds credentials from the four values.
    pub fn new(
        consumer_key: impl Into<String>,
        consumer_secret: impl Into<Secret>,
        token: impl Into<Secret>,
        token_secret: impl Into<Secret>,
    ) -> OAuth1Credentials {
        OAuth1Credentials {
            consumer_key: consumer_key.into(),
            consumer_secret: consumer_secret.into(),
            token: token.into(),
            token_secret: token_secret.into(),
        }
    }

    /// The user id that prefixes the access token (`<id>-...`), checked as an id.
    pub fn user_id(&self) -> Result<&str, Error> {
        let t = self.token.expose();
        match t.split_once('-') {
            Some((id, rest)) if validate::is_user_id(id) && !rest.is_empty() => Ok(id),
            _ => Err(Error::invalid_argument(
                "the OAuth 1.0a access token does not start with a user id and '-': pass the source user id explicitly",
            )),
        }
    }

    /// The `Authorization` header value for a request, with a fresh nonce and the current
    /// time.
    pub fn authorization(&self, method: &str, url: &str, form: &[(&str, &str)]) -> String {
        let n = nonce();
        self.authorization_with(method, url, form, Some(n.as_str()), None)
    }

    /// Like [`authorization`](Self::authorization) with an explicit timestamp.
    pub(crate) fn authorization_at(
        &self,
        method: &str,
        url: &str,
        form: &[(&str, &str)],
        timestamp: u64,
    ) -> String {
        let n = nonce();
        self.authorization_with(method, url, form, Some(n.as_str()), Some(timestamp))
    }

    /// The `Authorization` header value with an injected nonce and timestamp (for test
    /// vectors and replay). `url` may carry a query: its parameters are signed. `form`
    /// holds `application/x-www-form-urlencoded` body parameters (decoded); a JSON body is
    /// never signed, so pass nothing for it.
    pub fn authorization_with(
        &self,
        method: &str,
        url: &str,
        form: &[(&str, &str)],
        nonce: Option<&str>,
        timestamp: Option<u64>,
    ) -> String {
        authorization_header(&Signing {
            consumer_key: &self.consumer_key,
            consumer_secret: self.consumer_secret.expose(),
            token: Some((self.token.expose(), self.token_secret.expose())),
            callback: None,
            verifier: None,
            method,
            url,
            form,
            nonce,
            timestamp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_id_from_token() {
        let c = OAuth1Credentials::new("k", "s", "1500000000000000001-abc", "t");
        assert_eq!(c.user_id().unwrap(), "1500000000000000001");
        let c = OAuth1Credentials::new("k", "s", "abc-def", "t");
        assert_eq!(
            c.user_id().unwrap_err().kind(),
            crate::error::ErrorKind::InvalidArgument
        );
        let c = OAuth1Credentials::new("k", "s", "12345", "t");
        assert!(c.user_id().is_err());
        let c = OAuth1Credentials::new("k", "s", "12345-", "t");
        assert!(c.user_id().is_err());
    }

    #[test]
    fn debug_redacts() {
        let c = OAuth1Credentials::new("key", "csecret", "1-tok", "tsecret");
        let d = format!("{c:?}");
        assert!(d.contains("key"));
        for s in ["csecret", "1-tok", "tsecret"] {
            assert!(!d.contains(s), "{d}");
        }
    }
}
