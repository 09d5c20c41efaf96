//! The client's side of X's limits: the quota ledger a client reserves follows in, the
//! mapping of errors onto the retry policy's outcomes, and the ledger's errors as [`Error`]s.

use crate::auth::Credentials;
use crate::error::{Delivery, Error, ErrorKind};
use crate::quota::{Action, AppId, Ledger, QuotaError, Scope, ServerWindow};
use crate::ratelimit::{RateLimit, Window};
use crate::retry::{Outcome, RetryError};

/// The ledger app key of an OAuth 2.0 client built without a client id: every such client
/// counts as one app (the ledger over-counts, never under-counts).
pub const OAUTH2_WITHOUT_CLIENT_ID: &str = "xfollow:oauth2-without-client-id";

/// The quota store URL that turns the ledger off.
pub const QUOTA_OFF: &str = "off";

/// A client's ledger and the app it counts for.
#[derive(Debug, Clone)]
pub(crate) struct Quota {
    pub(crate) ledger: Ledger,
    pub(crate) app: AppId,
}

/// The app key the ledger counts under: the OAuth 1.0a consumer key, else the OAuth 2.0
/// client id, else [`OAUTH2_WITHOUT_CLIENT_ID`].
pub(crate) fn app_key<'a>(creds: &'a Credentials, client_id: Option<&'a str>) -> &'a str {
    match creds {
        Credentials::OAuth1(o) => &o.consumer_key,
        Credentials::OAuth2(_) | Credentials::OAuth2Refreshing(_) => {
            client_id.unwrap_or(OAUTH2_WITHOUT_CLIENT_ID)
        }
    }
}

/// A ledger error as a client error. Nothing was sent in every case.
pub(crate) fn quota_error(e: QuotaError) -> Error {
    match e {
        QuotaError::Exhausted(x) => {
            let mut err = Error::new(ErrorKind::QuotaExhausted, x.to_string(), Delivery::NotSent);
            err.0.next_free_at = Some(x.next_free_at);
            err
        }
        QuotaError::InvalidUrl(_) | QuotaError::InvalidLimits(_) | QuotaError::InvalidUserId => {
            Error::invalid_argument(e.to_string())
        }
        QuotaError::Store { .. } => {
            Error::new(ErrorKind::QuotaStore, e.to_string(), Delivery::NotSent)
        }
    }
}

/// What a failed attempt was, for the retry policy.
pub(crate) fn classify(e: &Error) -> Outcome {
    match e.kind() {
        ErrorKind::Network => Outcome::Network {
            sent: e.may_have_reached_server(),
        },
        ErrorKind::Timeout => Outcome::Timeout,
        _ => match e.http_status() {
            Some(code) if code >= 400 => Outcome::Status {
                code,
                rate_limit_reset: e.retry_at().and_then(|r| i64::try_from(r).ok()),
            },
            _ => Outcome::Other,
        },
    }
}

/// The error a retry run ends with.
pub(crate) fn retry_result(e: RetryError<Error>) -> Error {
    match e {
        RetryError::Failed { error, .. } => error,
        RetryError::Cancelled {
            attempts,
            last_error,
        } => {
            let (msg, delivery) = match &last_error {
                Some(last) => (
                    format!(
                        "cancelled after {attempts} attempt(s); last: {}",
                        last.message()
                    ),
                    if attempts > 1 || last.may_have_reached_server() {
                        Delivery::MaybeSent
                    } else {
                        Delivery::NotSent
                    },
                ),
                None => (
                    "cancelled before the first attempt".to_owned(),
                    Delivery::NotSent,
                ),
            };
            let mut err = Error::new(ErrorKind::Cancelled, msg, delivery);
            if let Some(last) = last_error {
                err.0.http_status = last.0.http_status;
                err.0.rate_limit = last.0.rate_limit;
            }
            err
        }
    }
}

/// Feeds the 24-hour windows of a follow or unfollow answer to the ledger. Best effort: a
/// store error here changes nothing the caller can act on.
pub(crate) fn observe(q: &Quota, user_id: &str, action: Action, rl: &RateLimit) {
    let w = |scope: Scope, w: Option<Window>| {
        w.map(|w| ServerWindow {
            scope,
            limit: u32::try_from(w.limit).unwrap_or(u32::MAX),
            remaining: u32::try_from(w.remaining).unwrap_or(u32::MAX),
            reset: i64::try_from(w.reset).unwrap_or(i64::MAX),
        })
    };
    for sw in [w(Scope::User, rl.user_24h), w(Scope::App, rl.app_24h)]
        .into_iter()
        .flatten()
    {
        let _ = q.ledger.observe_server_window(&q.app, user_id, action, sw);
    }
}
