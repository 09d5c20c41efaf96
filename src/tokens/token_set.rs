//! OAuth 2.0 token sets and the token endpoint's answers.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::scrub;
use super::{Error, Secret};
use crate::secret::token_problem;

/// Largest token endpoint answer parsed (OAuth 2.0 JSON, OAuth error JSON, OAuth 1.0a form
/// bodies); X's are a few hundred bytes.
pub const MAX_ANSWER_LEN: usize = 64 * 1024;

/// An OAuth 2.0 user token set.
///
/// `Debug` shows the expiry, scopes and type but never the tokens; the tokens are zeroized
/// when the set is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSet {
    /// The bearer token sent with API requests.
    pub access_token: Secret,
    /// The refresh token (present when `offline.access` was granted). Single-use on X.
    pub refresh_token: Option<Secret>,
    /// When the access token expires, in seconds since the Unix epoch (`None`: unknown, so
    /// only a 401 makes a refresher refresh it).
    pub expires_at: Option<u64>,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// The token type, `bearer` on X.
    pub token_type: String,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("token_type", &self.token_type)
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<serde_json::Value>,
    refresh_token: Option<String>,
    scope: Option<String>,
}

impl Drop for TokenResponse {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.access_token);
        zeroize::Zeroize::zeroize(&mut self.refresh_token);
    }
}

/// A provider's error text may echo what was sent: wiped when dropped.
#[derive(Deserialize)]
struct OAuthErrorBody {
    error: Option<String>,
    error_description: Option<String>,
    title: Option<String>,
    detail: Option<String>,
}

impl Drop for OAuthErrorBody {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.error);
        zeroize::Zeroize::zeroize(&mut self.error_description);
        zeroize::Zeroize::zeroize(&mut self.title);
        zeroize::Zeroize::zeroize(&mut self.detail);
    }
}

/// The store's on-disk form of a token set.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredTokenSet {
    pub version: u32,
    pub token_type: String,
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub expires_at: Option<u64>,
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl Drop for StoredTokenSet {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.access_token);
        if let Some(r) = self.refresh_token.as_mut() {
            zeroize::Zeroize::zeroize(r);
        }
    }
}

impl TokenSet {
    /// A token set from its parts.
    pub fn new(
        access_token: impl Into<Secret>,
        refresh_token: Option<Secret>,
        expires_at: Option<u64>,
        scopes: Vec<String>,
    ) -> Self {
        TokenSet {
            access_token: access_token.into(),
            refresh_token,
            expires_at,
            scopes,
            token_type: "bearer".to_owned(),
        }
    }

    /// Parses a successful token endpoint answer
    /// (`{"token_type":"bearer","expires_in":7200,"access_token":"..","scope":"a b","refresh_token":".."}`).
    /// `expires_in` (a number, or a numeric string) becomes `expires_at = now + expires_in`.
    pub fn from_token_response(body: &str, now: u64) -> Result<Self, Error> {
        if body.len() > MAX_ANSWER_LEN {
            return Err(Error::InvalidResponse(format!(
                "token answer is larger than {MAX_ANSWER_LEN} bytes"
            )));
        }
        let mut r: TokenResponse = serde_json::from_str(body).map_err(|e| {
            let what = match e.classify() {
                serde_json::error::Category::Io => "I/O",
                serde_json::error::Category::Syntax => "syntax",
                serde_json::error::Category::Data => "data",
                serde_json::error::Category::Eof => "truncated",
            };
            Error::InvalidResponse(format!("token answer is not a JSON object ({what})"))
        })?;
        let access_token = match r.access_token.take() {
            Some(t) if !t.is_empty() => Secret::new(t),
            _ => {
                return Err(Error::InvalidResponse(
                    "token answer has no access_token".into(),
                ))
            }
        };
        let refresh_token = r
            .refresh_token
            .take()
            .filter(|t| !t.is_empty())
            .map(Secret::new);
        check_tokens(&access_token, refresh_token.as_ref())
            .map_err(|m| Error::InvalidResponse(format!("token answer's {m}")))?;
        let expires_in = match r.expires_in.take() {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Number(n)) => Some(n.as_u64().ok_or_else(|| {
                Error::InvalidResponse("token answer has an invalid expires_in".into())
            })?),
            Some(serde_json::Value::String(s)) => Some(s.trim().parse::<u64>().map_err(|_| {
                Error::InvalidResponse("token answer has an invalid expires_in".into())
            })?),
            Some(_) => {
                return Err(Error::InvalidResponse(
                    "token answer has an invalid expires_in".into(),
                ))
            }
        };
        Ok(TokenSet {
            access_token,
            refresh_token,
            expires_at: expires_in.map(|s| now.saturating_add(s)),
            scopes: r
                .scope
                .as_deref()
                .unwrap_or("")
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            token_type: r.token_type.take().unwrap_or_else(|| "bearer".to_owned()),
        })
    }

    /// Whether the access token should be refreshed at `now`: `expires_at - margin <= now`.
    pub fn needs_refresh(&self, now: u64, margin_secs: u64) -> bool {
        match self.expires_at {
            Some(at) => at.saturating_sub(margin_secs) <= now,
            None => false,
        }
    }

    /// Seconds left before expiry at `now` (negative once expired), if the expiry is known;
    /// saturated at the ends of `i64` (the expiry comes from outside: a token answer or file).
    pub fn expires_in(&self, now: u64) -> Option<i64> {
        self.expires_at.map(|at| {
            let left = i128::from(at) - i128::from(now);
            i64::try_from(left).unwrap_or(if left < 0 { i64::MIN } else { i64::MAX })
        })
    }

    /// The scopes joined by spaces, as in the `scope` field.
    pub fn scope_string(&self) -> String {
        self.scopes.join(" ")
    }

    /// Whether two sets hold the same tokens.
    pub(crate) fn same_tokens(&self, other: &TokenSet) -> bool {
        self.access_token == other.access_token && self.refresh_token == other.refresh_token
    }

    pub(crate) fn to_stored(&self) -> StoredTokenSet {
        StoredTokenSet {
            version: 1,
            token_type: self.token_type.clone(),
            access_token: self.access_token.expose().to_owned(),
            refresh_token: self.refresh_token.as_ref().map(|s| s.expose().to_owned()),
            expires_at: self.expires_at,
            scopes: self.scopes.clone(),
        }
    }

    pub(crate) fn from_stored(s: &StoredTokenSet) -> Self {
        TokenSet {
            access_token: Secret::new(s.access_token.as_str()),
            refresh_token: s.refresh_token.as_deref().map(Secret::new),
            expires_at: s.expires_at,
            scopes: s.scopes.clone(),
            token_type: s.token_type.clone(),
        }
    }
}

/// Checks the tokens of a set from outside (an answer, the store file): the message names
/// the field and its problem, never the value.
pub(crate) fn check_tokens(access: &Secret, refresh: Option<&Secret>) -> Result<(), String> {
    if let Some(p) = token_problem(access.expose()) {
        return Err(format!("access_token {p}"));
    }
    match refresh.and_then(|r| token_problem(r.expose())) {
        Some(p) => Err(format!("refresh_token {p}")),
        None => Ok(()),
    }
}

fn some(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// Turns a non-2xx answer of the token or revoke endpoint into an [`Error`].
///
/// An OAuth error body (`{"error":"invalid_request","error_description":".."}`) becomes
/// [`Error::OAuth`] with the provider's words; a problem body (`title`/`detail`) becomes
/// [`Error::Http`]; anything else an [`Error::Http`] that says only the status and body size.
/// Any of `secrets` found in the provider's text is replaced by `<redacted>`.
pub fn error_from_response(status: u16, body: &str, secrets: &[&str]) -> Error {
    let parsed = if body.len() > MAX_ANSWER_LEN {
        None
    } else {
        serde_json::from_str::<OAuthErrorBody>(body).ok()
    };
    if let Some(b) = parsed {
        if let Some(error) = some(&b.error) {
            return Error::OAuth {
                status,
                error: scrub(error, secrets),
                description: some(&b.error_description).map(|d| scrub(d, secrets)),
            };
        }
        let msg = match (b.title.as_deref(), b.detail.as_deref()) {
            (Some(t), Some(d)) if t != d => {
                // Sized up front: growing would leave unwiped copies of the text.
                let mut m = Zeroizing::new(String::with_capacity(t.len() + 2 + d.len()));
                m.push_str(t);
                m.push_str(": ");
                m.push_str(d);
                Some(m)
            }
            (Some(t), _) => Some(Zeroizing::new(t.to_owned())),
            (None, Some(d)) => Some(Zeroizing::new(d.to_owned())),
            (None, None) => None,
        };
        if let Some(m) = msg {
            return Error::Http {
                status,
                message: scrub(&m, secrets),
            };
        }
    }
    Error::Http {
        status,
        message: format!("unexpected answer ({} bytes)", body.len()),
    }
}

/// Handles a token endpoint answer: 200 -> the token set, anything else -> the error.
pub fn token_set_from_response(
    status: u16,
    body: &str,
    now: u64,
    secrets: &[&str],
) -> Result<TokenSet, Error> {
    if (200..300).contains(&status) {
        TokenSet::from_token_response(body, now)
    } else {
        Err(error_from_response(status, body, secrets))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const X_ANSWER: &str = r#"{"token_type":"bearer","expires_in":7200,"access_token":"QUNDRVNT-abc","scope":"tweet.read users.read follows.write offline.access","refresh_token":"UkVGUkVTSA-def"}"#;

    #[test]
    fn parses_x_answer_with_absolute_expiry() {
        let t = TokenSet::from_token_response(X_ANSWER, 1_700_000_000).unwrap();
        assert_eq!(t.access_token.expose(), "QUNDRVNT-abc");
        assert_eq!(t.refresh_token.as_ref().unwrap().expose(), "UkVGUkVTSA-def");
        assert_eq!(t.expires_at, Some(1_700_007_200));
        assert_eq!(
            t.scopes,
            vec![
                "tweet.read",
                "users.read",
                "follows.write",
                "offline.access"
            ]
        );
        assert_eq!(
            t.scope_string(),
            "tweet.read users.read follows.write offline.access"
        );
        assert_eq!(t.token_type, "bearer");
        assert_eq!(t.expires_in(1_700_000_000), Some(7200));
    }

    #[test]
    fn expires_in_saturates_for_expiries_from_outside() {
        let answer = r#"{"access_token":"a","expires_in":9223372036854775807}"#;
        let t = TokenSet::from_token_response(answer, 1_700_000_000).unwrap();
        assert_eq!(t.expires_in(1_700_000_000), Some(i64::MAX));
        let t = TokenSet::from_token_response(r#"{"access_token":"a","expires_in":5}"#, 0).unwrap();
        assert_eq!(t.expires_in(u64::MAX), Some(i64::MIN));
        assert_eq!(t.expires_in(10), Some(-5));
    }

    #[test]
    fn without_refresh_token_or_expiry() {
        let t = TokenSet::from_token_response(
            r#"{"access_token":"a1","expires_in":"60","token_type":"bearer"}"#,
            10,
        )
        .unwrap();
        assert_eq!(t.refresh_token, None);
        assert_eq!(t.expires_at, Some(70));
        assert!(t.scopes.is_empty());
        let t = TokenSet::from_token_response(r#"{"access_token":"a1"}"#, 10).unwrap();
        assert_eq!(t.expires_at, None);
        assert!(!t.needs_refresh(u64::MAX, 0));
    }

    #[test]
    fn malformed_answers() {
        assert_eq!(
            TokenSet::from_token_response("<html>", 0),
            Err(Error::InvalidResponse(
                "token answer is not a JSON object (syntax)".into()
            ))
        );
        assert_eq!(
            TokenSet::from_token_response(r#"{"token_type":"bearer"}"#, 0),
            Err(Error::InvalidResponse(
                "token answer has no access_token".into()
            ))
        );
        assert_eq!(
            TokenSet::from_token_response(r#"{"access_token":"a","expires_in":-5}"#, 0),
            Err(Error::InvalidResponse(
                "token answer has an invalid expires_in".into()
            ))
        );
    }

    #[test]
    fn tokens_with_other_than_visible_ascii_are_refused() {
        let bad =
            "has characters other than visible ASCII (control characters, spaces or non-ASCII)";
        for (body, field) in [
            (
                r#"{"access_token":"good\r\nx-injected: yes\r\n\r\nGET /smuggled HTTP/1.1"}"#,
                "access_token",
            ),
            (r#"{"access_token":"a\u0000b"}"#, "access_token"),
            (r#"{"access_token":"caf\u00e9"}"#, "access_token"),
            (
                r#"{"access_token":"ok","refresh_token":"r\nx"}"#,
                "refresh_token",
            ),
        ] {
            assert_eq!(
                TokenSet::from_token_response(body, 0),
                Err(Error::InvalidResponse(format!(
                    "token answer's {field} {bad}"
                ))),
                "{body}"
            );
        }
    }

    #[test]
    fn answers_over_the_limit_are_refused() {
        let big = format!(
            r#"{{"access_token":"a","pad":"{}"}}"#,
            "x".repeat(MAX_ANSWER_LEN)
        );
        assert_eq!(
            TokenSet::from_token_response(&big, 0),
            Err(Error::InvalidResponse(
                "token answer is larger than 65536 bytes".into()
            ))
        );
        let big = format!(r#"{{"error":"e","pad":"{}"}}"#, "x".repeat(MAX_ANSWER_LEN));
        assert_eq!(
            error_from_response(400, &big, &[]),
            Error::Http {
                status: 400,
                message: format!("unexpected answer ({} bytes)", big.len())
            }
        );
    }

    #[test]
    fn needs_refresh_uses_the_margin() {
        let t = TokenSet::new("a", None, Some(1000), vec![]);
        assert!(!t.needs_refresh(939, 60));
        assert!(t.needs_refresh(940, 60));
        assert!(t.needs_refresh(1000, 0));
        assert!(!t.needs_refresh(999, 0));
        assert!(t.needs_refresh(0, 5000));
    }

    #[test]
    fn debug_never_shows_tokens() {
        let t = TokenSet::from_token_response(X_ANSWER, 0).unwrap();
        let d = format!("{t:?}");
        assert!(!d.contains("QUNDRVNT"));
        assert!(!d.contains("UkVGUkVTSA"));
        assert_eq!(
            d,
            "TokenSet { access_token: \"<redacted>\", refresh_token: Some(\"<redacted>\"), \
             expires_at: Some(7200), scopes: [\"tweet.read\", \"users.read\", \"follows.write\", \
             \"offline.access\"], token_type: \"bearer\" }"
        );
    }

    #[test]
    fn oauth_error_keeps_provider_message_not_the_token() {
        let e = token_set_from_response(
            400,
            r#"{"error":"invalid_request","error_description":"Value passed for the token was invalid."}"#,
            0,
            &["UkVGUkVTSA-def"],
        )
        .unwrap_err();
        assert_eq!(
            e,
            Error::OAuth {
                status: 400,
                error: "invalid_request".into(),
                description: Some("Value passed for the token was invalid.".into())
            }
        );
        let e = error_from_response(
            400,
            r#"{"error":"invalid_grant","error_description":"token UkVGUkVTSA-def was revoked"}"#,
            &["UkVGUkVTSA-def"],
        );
        assert_eq!(
            e.to_string(),
            "token endpoint refused the request (HTTP 400, invalid_grant): token <redacted> was revoked"
        );
    }

    #[test]
    fn other_error_bodies() {
        assert_eq!(
            error_from_response(
                401,
                r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#,
                &[]
            ),
            Error::Http {
                status: 401,
                message: "Unauthorized".into()
            }
        );
        assert_eq!(
            error_from_response(
                403,
                r#"{"title":"Client Forbidden","detail":"Enroll."}"#,
                &[]
            ),
            Error::Http {
                status: 403,
                message: "Client Forbidden: Enroll.".into()
            }
        );
        assert_eq!(
            error_from_response(502, "<html>bad gateway</html>", &[]),
            Error::Http {
                status: 502,
                message: "unexpected answer (24 bytes)".into()
            }
        );
        assert_eq!(
            error_from_response(400, r#"{"error":"unauthorized_client","error_description":"Missing valid authorization header"}"#, &[]).to_string(),
            "token endpoint refused the request (HTTP 400, unauthorized_client): Missing valid authorization header"
        );
    }
}
