//! The OAuth 1.0a three-legged flow without the signed calls: request parameters, the
//! form-encoded answers, the authorize/authenticate URLs and the callback check.
//!
//! The flow: `POST /oauth/request_token` (signed with the consumer key alone, carrying
//! [`request_token_oauth_params`] and [`request_token_query`]) -> [`parse_request_token`];
//! send the user to [`authorize_url`]; on the callback, [`verify_callback`] (or a PIN typed by
//! the user, [`Verifier::from_pin`]); `POST /oauth/access_token` signed with the request token
//! and its secret, carrying `oauth_verifier` -> [`parse_access_token`].

use std::fmt;

use super::pkce::ct_eq;
use super::token_set::MAX_ANSWER_LEN;
use super::{Error, Secret};
use crate::form::{get, parse_pairs, pct_encode};
use crate::secret::token_problem;
use zeroize::Zeroizing;

/// X's authorize page (asks every time).
pub const DEFAULT_AUTHORIZE_URL: &str = "https://x.com/oauth/authorize";
/// X's authenticate page ("Log in with X": skips the prompt when already authorized).
pub const DEFAULT_AUTHENTICATE_URL: &str = "https://x.com/oauth/authenticate";
/// The callback for the PIN flow.
pub const OOB: &str = "oob";

/// The `x_auth_access_type` a request token may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessType {
    /// `read`
    Read,
    /// `write`
    Write,
}

impl AccessType {
    /// The parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessType::Read => "read",
            AccessType::Write => "write",
        }
    }
}

/// The extra oauth_* parameter of the request token call: `oauth_callback` (a URL, or
/// [`OOB`] for the PIN flow). It is signed with the other oauth_* parameters.
pub fn request_token_oauth_params(callback: &str) -> Vec<(String, String)> {
    vec![("oauth_callback".to_owned(), callback.to_owned())]
}

/// The query parameters of the request token call: `x_auth_access_type` when asked for.
pub fn request_token_query(access_type: Option<AccessType>) -> Vec<(String, String)> {
    access_type
        .map(|a| vec![("x_auth_access_type".to_owned(), a.as_str().to_owned())])
        .unwrap_or_default()
}

/// A temporary credential from `POST /oauth/request_token`.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestToken {
    /// `oauth_token`: public (it goes into the authorize URL).
    pub token: String,
    /// `oauth_token_secret`.
    pub token_secret: Secret,
}

impl fmt::Debug for RequestToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestToken")
            .field("token", &self.token)
            .field("token_secret", &self.token_secret)
            .finish()
    }
}

/// A user's access token from `POST /oauth/access_token`. Does not expire; the user can
/// revoke it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// `oauth_token` (`<user_id>-<random>` on X).
    pub token: Secret,
    /// `oauth_token_secret`.
    pub token_secret: Secret,
    /// `user_id`, if the answer had it.
    pub user_id: Option<String>,
    /// `screen_name`, if the answer had it.
    pub screen_name: Option<String>,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &self.token)
            .field("token_secret", &self.token_secret)
            .field("user_id", &self.user_id)
            .field("screen_name", &self.screen_name)
            .finish()
    }
}

/// A token or token secret of an answer: present, and visible ASCII (it is signed and sent).
fn required(pairs: &[(String, String)], key: &str, what: &str) -> Result<String, Error> {
    match get(pairs, key) {
        Some(v) if !v.is_empty() => match token_problem(v) {
            None => Ok(v.to_owned()),
            Some(p) => Err(Error::InvalidResponse(format!("{what} answer's {key} {p}"))),
        },
        _ => Err(Error::InvalidResponse(format!(
            "{what} answer has no {key}"
        ))),
    }
}

/// The pairs of a form-encoded answer, refused above [`MAX_ANSWER_LEN`].
fn answer_pairs(body: &str, what: &str) -> Result<Zeroizing<Vec<(String, String)>>, Error> {
    if body.len() > MAX_ANSWER_LEN {
        return Err(Error::InvalidResponse(format!(
            "{what} answer is larger than {MAX_ANSWER_LEN} bytes"
        )));
    }
    Ok(parse_pairs(body.trim()))
}

/// Parses the request token answer
/// (`oauth_token=..&oauth_token_secret=..&oauth_callback_confirmed=true`).
/// `oauth_callback_confirmed` must be exactly `true`.
pub fn parse_request_token(body: &str) -> Result<RequestToken, Error> {
    let pairs = answer_pairs(body, "request token")?;
    let token = required(&pairs, "oauth_token", "request token")?;
    let token_secret = Secret::new(required(&pairs, "oauth_token_secret", "request token")?);
    if get(&pairs, "oauth_callback_confirmed") != Some("true") {
        return Err(Error::CallbackNotConfirmed);
    }
    Ok(RequestToken {
        token,
        token_secret,
    })
}

/// Parses the access token answer
/// (`oauth_token=..&oauth_token_secret=..&user_id=..&screen_name=..`).
pub fn parse_access_token(body: &str) -> Result<AccessToken, Error> {
    let pairs = answer_pairs(body, "access token")?;
    let token = Secret::new(required(&pairs, "oauth_token", "access token")?);
    let token_secret = Secret::new(required(&pairs, "oauth_token_secret", "access token")?);
    let opt = |k: &str| get(&pairs, k).filter(|v| !v.is_empty()).map(str::to_owned);
    Ok(AccessToken {
        token,
        token_secret,
        user_id: opt("user_id"),
        screen_name: opt("screen_name"),
    })
}

/// Options of the authorize/authenticate page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizeOptions {
    /// `force_login=true`: ask for the password even when a session exists.
    pub force_login: bool,
    /// `screen_name`: prefill the login form.
    pub screen_name: Option<String>,
}

/// `base?oauth_token=..[&force_login=true][&screen_name=..]`, values percent-encoded. Use
/// [`DEFAULT_AUTHORIZE_URL`] or [`DEFAULT_AUTHENTICATE_URL`] (or an emulator's page) as base.
pub fn authorize_url(base: &str, request_token: &str, options: &AuthorizeOptions) -> String {
    let mut url = String::from(base);
    url.push(if base.contains('?') { '&' } else { '?' });
    url.push_str("oauth_token=");
    url.push_str(&pct_encode(request_token));
    if options.force_login {
        url.push_str("&force_login=true");
    }
    if let Some(name) = &options.screen_name {
        url.push_str("&screen_name=");
        url.push_str(&pct_encode(name));
    }
    url
}

/// The `oauth_verifier` to send to the access token call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verifier(Secret);

impl Verifier {
    /// A verifier typed by the user (the PIN of the `oob` flow); surrounding blanks are
    /// dropped.
    pub fn from_pin(pin: &str) -> Result<Self, Error> {
        let pin = pin.trim();
        if pin.is_empty() {
            return Err(Error::InvalidArgument("the PIN is empty".into()));
        }
        Ok(Verifier(Secret::new(pin)))
    }

    /// The value.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

/// Checks the callback's query (`oauth_token=..&oauth_verifier=..`, or `denied=..` when the
/// user cancelled) against the request token of this flow and returns the verifier. A query
/// may be given with or without the leading `?`, or as a whole callback URL.
pub fn verify_callback(callback: &str, request_token: &str) -> Result<Verifier, Error> {
    let query = match callback.split_once('?') {
        Some((_, q)) => q,
        None => callback,
    };
    let query = query.split('#').next().unwrap_or("");
    let pairs = parse_pairs(query);
    if let Some(denied) = get(&pairs, "denied") {
        if !ct_eq(denied, request_token) {
            return Err(Error::TokenMismatch);
        }
        return Err(Error::AuthorizationDenied {
            error: "denied".into(),
            description: Some("the user did not authorize the app".into()),
        });
    }
    match get(&pairs, "oauth_token") {
        Some(t) if ct_eq(t, request_token) => {}
        _ => return Err(Error::TokenMismatch),
    }
    match get(&pairs, "oauth_verifier") {
        Some(v) if !v.is_empty() => Ok(Verifier(Secret::new(v))),
        _ => Err(Error::InvalidResponse(
            "callback has no oauth_verifier".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_token_answer() {
        let t = parse_request_token(
            "oauth_token=Z6eEdO8MOmk394WozF5oKyuAv855l4Mlqo7hhlSLik&oauth_token_secret=Kd75W4OQfb2oJTV0vzGzeXftVAwgMnEK9MumzYcM&oauth_callback_confirmed=true\n",
        )
        .unwrap();
        assert_eq!(t.token, "Z6eEdO8MOmk394WozF5oKyuAv855l4Mlqo7hhlSLik");
        assert_eq!(
            t.token_secret.expose(),
            "Kd75W4OQfb2oJTV0vzGzeXftVAwgMnEK9MumzYcM"
        );
        assert_eq!(
            format!("{t:?}"),
            "RequestToken { token: \"Z6eEdO8MOmk394WozF5oKyuAv855l4Mlqo7hhlSLik\", token_secret: \"<redacted>\" }"
        );
    }

    #[test]
    fn request_token_needs_confirmed_callback() {
        for body in [
            "oauth_token=a&oauth_token_secret=b",
            "oauth_token=a&oauth_token_secret=b&oauth_callback_confirmed=false",
            "oauth_token=a&oauth_token_secret=b&oauth_callback_confirmed=TRUE",
        ] {
            assert_eq!(parse_request_token(body), Err(Error::CallbackNotConfirmed));
        }
        assert_eq!(
            parse_request_token("oauth_token_secret=b&oauth_callback_confirmed=true"),
            Err(Error::InvalidResponse(
                "request token answer has no oauth_token".into()
            ))
        );
        assert_eq!(
            parse_request_token("oauth_token=a&oauth_callback_confirmed=true"),
            Err(Error::InvalidResponse(
                "request token answer has no oauth_token_secret".into()
            ))
        );
    }

    #[test]
    fn answers_over_the_limit_are_refused() {
        let big = format!(
            "oauth_token=a&oauth_token_secret=b&pad={}",
            "x".repeat(MAX_ANSWER_LEN)
        );
        assert_eq!(
            parse_access_token(&big),
            Err(Error::InvalidResponse(
                "access token answer is larger than 65536 bytes".into()
            ))
        );
        assert_eq!(
            parse_request_token(&big),
            Err(Error::InvalidResponse(
                "request token answer is larger than 65536 bytes".into()
            ))
        );
    }

    #[test]
    fn tokens_with_other_than_visible_ascii_are_refused() {
        let bad =
            "has characters other than visible ASCII (control characters, spaces or non-ASCII)";
        assert_eq!(
            parse_access_token("oauth_token=1-a%0D%0Ax-injected:%20yes&oauth_token_secret=s"),
            Err(Error::InvalidResponse(format!(
                "access token answer's oauth_token {bad}"
            )))
        );
        assert_eq!(
            parse_access_token("oauth_token=1-a&oauth_token_secret=s%00t"),
            Err(Error::InvalidResponse(format!(
                "access token answer's oauth_token_secret {bad}"
            )))
        );
        assert_eq!(
            parse_request_token(
                "oauth_token=a%0Ab&oauth_token_secret=s&oauth_callback_confirmed=true"
            ),
            Err(Error::InvalidResponse(format!(
                "request token answer's oauth_token {bad}"
            )))
        );
    }

    #[test]
    fn access_token_answer() {
        let c = parse_access_token(
            "oauth_token=6253282-eWudHldSbIaelX7swmsiHImEL4KinwaGloHANdrY&oauth_token_secret=2EEfA6BG5ly3sR3XjE0IBSnlQu4ZrUzPiYTmrkVU&user_id=6253282&screen_name=xapi",
        )
        .unwrap();
        assert_eq!(
            c.token.expose(),
            "6253282-eWudHldSbIaelX7swmsiHImEL4KinwaGloHANdrY"
        );
        assert_eq!(
            c.token_secret.expose(),
            "2EEfA6BG5ly3sR3XjE0IBSnlQu4ZrUzPiYTmrkVU"
        );
        assert_eq!(c.user_id.as_deref(), Some("6253282"));
        assert_eq!(c.screen_name.as_deref(), Some("xapi"));
        let d = format!("{c:?}");
        assert!(!d.contains("eWudHld") && !d.contains("2EEfA6"), "{d}");
        let c = parse_access_token("oauth_token=1-a&oauth_token_secret=s").unwrap();
        assert_eq!((c.user_id, c.screen_name), (None, None));
        assert_eq!(
            parse_access_token("oauth_token=1-a"),
            Err(Error::InvalidResponse(
                "access token answer has no oauth_token_secret".into()
            ))
        );
    }

    #[test]
    fn authorize_and_authenticate_urls() {
        assert_eq!(
            authorize_url(
                DEFAULT_AUTHORIZE_URL,
                "Z6eE+dO8",
                &AuthorizeOptions::default()
            ),
            "https://x.com/oauth/authorize?oauth_token=Z6eE%2BdO8"
        );
        assert_eq!(
            authorize_url(
                DEFAULT_AUTHENTICATE_URL,
                "tok",
                &AuthorizeOptions {
                    force_login: true,
                    screen_name: Some("Tweepy Dev".into())
                }
            ),
            "https://x.com/oauth/authenticate?oauth_token=tok&force_login=true&screen_name=Tweepy%20Dev"
        );
        assert_eq!(
            authorize_url(
                "http://127.0.0.1:1/oauth/authorize?x=1",
                "t",
                &AuthorizeOptions::default()
            ),
            "http://127.0.0.1:1/oauth/authorize?x=1&oauth_token=t"
        );
    }

    #[test]
    fn request_token_parameters() {
        assert_eq!(
            request_token_oauth_params(OOB),
            vec![("oauth_callback".to_owned(), "oob".to_owned())]
        );
        assert_eq!(
            request_token_query(Some(AccessType::Write)),
            vec![("x_auth_access_type".to_owned(), "write".to_owned())]
        );
        assert!(request_token_query(None).is_empty());
    }

    #[test]
    fn callback_checks_the_token() {
        let v = verify_callback(
            "http://127.0.0.1:8000/cb?oauth_token=req%2Btok&oauth_verifier=uw7NjWHT6OJ1MpJOXsHfNxoAhPKpgI8BlYDhxEjIBY",
            "req+tok",
        )
        .unwrap();
        assert_eq!(v.expose(), "uw7NjWHT6OJ1MpJOXsHfNxoAhPKpgI8BlYDhxEjIBY");
        assert_eq!(
            verify_callback("oauth_token=req&oauth_verifier=v", "req")
                .unwrap()
                .expose(),
            "v"
        );
        assert_eq!(
            verify_callback("?oauth_token=other&oauth_verifier=v", "req"),
            Err(Error::TokenMismatch)
        );
        assert_eq!(
            verify_callback("oauth_verifier=v", "req"),
            Err(Error::TokenMismatch)
        );
        assert_eq!(
            verify_callback("oauth_token=req", "req"),
            Err(Error::InvalidResponse(
                "callback has no oauth_verifier".into()
            ))
        );
        assert_eq!(
            verify_callback("/cb?denied=req", "req"),
            Err(Error::AuthorizationDenied {
                error: "denied".into(),
                description: Some("the user did not authorize the app".into())
            })
        );
        assert_eq!(
            verify_callback("/cb?denied=zzz", "req"),
            Err(Error::TokenMismatch)
        );
    }

    #[test]
    fn pin() {
        assert_eq!(
            Verifier::from_pin(" 1234567\n").unwrap().expose(),
            "1234567"
        );
        assert_eq!(
            Verifier::from_pin("  "),
            Err(Error::InvalidArgument("the PIN is empty".into()))
        );
        assert_eq!(
            format!("{:?}", Verifier::from_pin("1").unwrap()),
            "Verifier(\"<redacted>\")"
        );
    }
}
