//! Getting and keeping user tokens.
//!
//! This module obtains user tokens (the OAuth 1.0a three-legged flow and the OAuth 2.0
//! Authorization Code flow with PKCE) and keeps OAuth 2.0 token sets alive (refresh before
//! expiry and after a 401, single-flight across threads and, through a [`TokenStore`], across
//! processes). Signing API requests with a token is `auth`'s work, which sits above this module.
//!
//! The calls that talk to a token endpoint go through a [`FormPoster`] (posts an
//! `application/x-www-form-urlencoded` body, returns the status and body); [`HttpPoster`] is
//! the one over the library's transport, set up from a [`crate::TransportOptions`].
//!
//! Secrets (tokens, token secrets, refresh tokens, client secrets, PKCE verifiers,
//! authorization codes) are held in [`Secret`]: redacted in `Debug`, zeroized on drop, and never
//! part of an error message.

mod error;
mod flow;
pub mod http;
pub mod oauth1;
pub mod oauth2;
pub mod pkce;
pub mod redirect;
pub mod refresh;
pub mod store;
pub mod token_set;

pub use crate::secret::Secret;
pub use error::Error;
pub use flow::{OAuth1Flow, OAuth2Flow, DEFAULT_PAGES_BASE};
pub use http::HttpPoster;
pub use oauth2::{FormPoster, OAuth2Client};
pub use redirect::{AuthorizationResponse, RedirectReceiver};
pub use refresh::{Refresher, RefresherBuilder};
pub use store::TokenStore;
pub use token_set::TokenSet;

/// Seconds since the Unix epoch, from the system clock (0 if the clock is before 1970).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
