//! Authorization of requests: one internal [`Authorizer`] is asked once per attempt.

pub mod bearer;
pub mod oauth1;
pub mod refreshing;

use crate::error::Error;
pub use crate::secret::Secret;
pub use oauth1::OAuth1Credentials;
pub use refreshing::OAuth2Refreshing;

/// The credentials a client signs with.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// OAuth 1.0a user context.
    OAuth1(OAuth1Credentials),
    /// An OAuth 2.0 user access token (Authorization Code with PKCE).
    OAuth2(Secret),
    /// An OAuth 2.0 token set that the client refreshes (before expiry and after a 401).
    OAuth2Refreshing(OAuth2Refreshing),
}

/// What to do after a 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterUnauthorized {
    /// Give up: report the 401.
    Fail,
    /// The credentials were refreshed: send the request again, once.
    RetryOnce,
}

/// Produces the `Authorization` header for every attempt. New credential kinds (a
/// refreshing OAuth 2.0 token) are new variants here.
#[derive(Debug)]
pub(crate) enum Authorizer {
    /// OAuth 1.0a, with the seconds added to the local clock for `oauth_timestamp`.
    OAuth1(OAuth1Credentials, i64),
    Bearer(Secret),
    /// A refreshing OAuth 2.0 token set.
    Refreshing(crate::tokens::Refresher),
}

impl Authorizer {
    /// The authorizer of a client that sends through `agent` to `base`.
    pub(crate) fn new(
        c: Credentials,
        clock_offset: i64,
        agent: &ureq::Agent,
        base: &str,
    ) -> Result<Authorizer, Error> {
        Ok(match c {
            Credentials::OAuth1(c) => Authorizer::OAuth1(c, clock_offset),
            Credentials::OAuth2(t) => Authorizer::Bearer(t),
            Credentials::OAuth2Refreshing(r) => {
                Authorizer::Refreshing(r.refresher(agent.clone(), base)?)
            }
        })
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
            Authorizer::Bearer(t) => bearer::authorization(t)?,
            Authorizer::Refreshing(r) => {
                bearer::authorization(&r.access_token_now().map_err(refresh_failed)?)?
            }
        })
    }

    /// Called once after a 401 to a request sent with `authorization`; a refreshing
    /// authorizer renews its token (unless another thread already did) and answers
    /// `RetryOnce`. A failed refresh is an `Unauthorized` error with the provider's message.
    pub(crate) fn after_unauthorized(
        &self,
        authorization: &str,
    ) -> Result<AfterUnauthorized, Error> {
        match self {
            Authorizer::Refreshing(r) => {
                let failed = authorization
                    .strip_prefix("Bearer ")
                    .unwrap_or(authorization);
                r.after_unauthorized(failed).map_err(refresh_failed)?;
                Ok(AfterUnauthorized::RetryOnce)
            }
            _ => Ok(AfterUnauthorized::Fail),
        }
    }

    /// The token set a refreshing authorizer holds now.
    pub(crate) fn token_set(&self) -> Option<crate::tokens::TokenSet> {
        match self {
            Authorizer::Refreshing(r) => Some(r.token_set()),
            _ => None,
        }
    }

    /// The authenticated user's id when the credentials carry it (OAuth 1.0a token prefix).
    /// `None` means it has to be asked for with `GET /2/users/me`.
    pub(crate) fn own_user_id(&self) -> Option<Result<&str, Error>> {
        match self {
            Authorizer::OAuth1(c, _) => Some(c.user_id()),
            Authorizer::Bearer(_) | Authorizer::Refreshing(_) => None,
        }
    }
}

/// The client's error for a failed refresh: the token module's error (an OAuth refusal is
/// `Unauthorized` with the provider's message), prefixed so that it says what failed.
fn refresh_failed(e: crate::tokens::Error) -> Error {
    let mut err = Error::from(e);
    err.0.message = crate::error::one_line(&format!(
        "refreshing the OAuth 2.0 access token failed: {}",
        err.0.message
    ));
    err
}
