//! Authorization of requests: one internal [`Authorizer`] is asked once per attempt.

pub mod bearer;
pub mod oauth1;
pub mod secret;

use crate::error::Error;
pub use oauth1::OAuth1Credentials;
pub use secret::Secret;

/// The credentials a client signs with.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// OAuth 1.0a user context.
    OAuth1(OAuth1Credentials),
    /// An OAuth 2.0 user access token (Authorization Code with PKCE).
    OAuth2(Secret),
}

/// What to do after a 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterUnauthorized {
    /// Give up: report the 401.
    Fail,
    /// The credentials were refreshed: send the request again, once.
    #[allow(dead_code)]
    RetryOnce,
}

/// Produces the `Authorization` header for every attempt. New credential kinds (a
/// refreshing OAuth 2.0 token) are new variants here.
#[derive(Debug)]
pub(crate) enum Authorizer {
    /// OAuth 1.0a, with the seconds added to the local clock for `oauth_timestamp`.
    OAuth1(OAuth1Credentials, i64),
    Bearer(Secret),
}

impl Authorizer {
    pub(crate) fn new(c: Credentials, clock_offset: i64) -> Authorizer {
        match c {
            Credentials::OAuth1(c) => Authorizer::OAuth1(c, clock_offset),
            Credentials::OAuth2(t) => Authorizer::Bearer(t),
        }
    }

    /// The header value for one attempt of `method url` with form parameters `form`.
    pub(crate) fn authorize(
        &self,
        method: &str,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<String, Error> {
        Ok(match self {
            Authorizer::OAuth1(c, 0) => c.authorization(method, url, form),
            Authorizer::OAuth1(c, offset) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let ts = now.saturating_add_signed(*offset).max(1);
                c.authorization_at(method, url, form, ts)
            }
            Authorizer::Bearer(t) => bearer::authorization(t),
        })
    }

    /// Called once after a 401; a refreshing authorizer renews its token and answers
    /// `RetryOnce`.
    pub(crate) fn after_unauthorized(&self) -> Result<AfterUnauthorized, Error> {
        Ok(AfterUnauthorized::Fail)
    }

    /// The authenticated user's id when the credentials carry it (OAuth 1.0a token prefix).
    /// `None` means it has to be asked for with `GET /2/users/me`.
    pub(crate) fn own_user_id(&self) -> Option<Result<&str, Error>> {
        match self {
            Authorizer::OAuth1(c, _) => Some(c.user_id()),
            Authorizer::Bearer(_) => None,
        }
    }
}
