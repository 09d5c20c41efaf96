//! OAuth 2.0 Authorization Code with PKCE against X: the authorization request, the code
//! exchange (public and confidential clients), refresh and revoke.
//!
//! The HTTP call itself is a [`FormPoster`]: any function that POSTs an
//! `application/x-www-form-urlencoded` body (see [`encode_form`]) to a URL, with HTTP Basic
//! authentication when asked (see [`basic_authorization`]), and returns the status and body.

use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use zeroize::Zeroizing;

use super::pkce::{self, AuthorizeParams, ChallengeMethod, CodeVerifier};
use super::token_set::{error_from_response, token_set_from_response};
use super::{Error, Secret, TokenSet};
use crate::form::{encode_pairs, pct_encode};

/// X's API host; the token endpoints are under it.
pub const DEFAULT_API_BASE: &str = "https://api.x.com";
/// Path of the token endpoint under the API base.
pub const TOKEN_PATH: &str = "/2/oauth2/token";
/// Path of the revoke endpoint under the API base.
pub const REVOKE_PATH: &str = "/2/oauth2/revoke";

/// Posts a form. Arguments: the URL; `Some((client_id, client_secret))` when the request must
/// carry `Authorization: Basic ...` (see [`basic_authorization`]); the form fields, to send as
/// `application/x-www-form-urlencoded` (see [`encode_form`]). Returns the HTTP status and the
/// body, whatever the status; `Err` only when no answer was received
/// ([`Error::Transport`]). The fields hold secrets: never log them.
pub trait FormPoster {
    /// Sends the form and returns `(status, body)`.
    fn post_form(
        &self,
        url: &str,
        basic_auth: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> Result<(u16, String), Error>;
}

impl<F> FormPoster for F
where
    F: Fn(&str, Option<(&str, &str)>, &[(&str, &str)]) -> Result<(u16, String), Error>,
{
    fn post_form(
        &self,
        url: &str,
        basic_auth: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> Result<(u16, String), Error> {
        self(url, basic_auth, form)
    }
}

/// The body of a form post: `k=v&k=v`, percent-encoded (RFC 3986 unreserved characters kept,
/// a space as `%20`).
pub fn encode_form(form: &[(&str, &str)]) -> String {
    encode_pairs(form)
}

/// The `Authorization` header value for a confidential client:
/// `Basic base64(client_id:client_secret)`, each part form-encoded first as RFC 6749 §2.3.1
/// asks (X's ids and secrets use only unreserved characters, so for them this is exactly the
/// `base64(client_id:client_secret)` that X documents).
pub fn basic_authorization(client_id: &str, client_secret: &str) -> Secret {
    let mut raw = zeroize::Zeroizing::new(pct_encode(client_id));
    raw.push(':');
    let mut secret = zeroize::Zeroizing::new(pct_encode(client_secret));
    raw.push_str(&secret);
    zeroize::Zeroize::zeroize(&mut *secret);
    Secret::new(format!("Basic {}", STANDARD.encode(raw.as_bytes())))
}

/// Which kind of token is revoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenTypeHint {
    /// `access_token`
    AccessToken,
    /// `refresh_token`
    RefreshToken,
}

impl TokenTypeHint {
    /// The parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenTypeHint::AccessToken => "access_token",
            TokenTypeHint::RefreshToken => "refresh_token",
        }
    }
}

/// Everything needed to send the user to the authorize page and finish the flow later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationRequest {
    /// The URL to open in the user's browser.
    pub url: String,
    /// The `state` to check on the callback.
    pub state: String,
    /// The code verifier to send with the exchange (secret).
    pub verifier: CodeVerifier,
}

/// An OAuth 2.0 client (an X app's OAuth 2.0 settings).
#[derive(Clone)]
pub struct OAuth2Client {
    client_id: String,
    client_secret: Option<Secret>,
    redirect_uri: String,
    scopes: Vec<String>,
    authorize_url: String,
    token_url: String,
    revoke_url: String,
}

impl fmt::Debug for OAuth2Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Client")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("authorize_url", &self.authorize_url)
            .field("token_url", &self.token_url)
            .field("revoke_url", &self.revoke_url)
            .finish()
    }
}

impl OAuth2Client {
    /// A public client (no secret) for X's endpoints.
    pub fn new<S: Into<String>>(
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        OAuth2Client {
            client_id: client_id.into(),
            client_secret: None,
            redirect_uri: redirect_uri.into(),
            scopes: scopes.into_iter().map(Into::into).collect(),
            authorize_url: pkce::DEFAULT_AUTHORIZE_URL.to_owned(),
            token_url: format!("{DEFAULT_API_BASE}{TOKEN_PATH}"),
            revoke_url: format!("{DEFAULT_API_BASE}{REVOKE_PATH}"),
        }
    }

    /// Makes it a confidential client: token calls use HTTP Basic instead of `client_id` in
    /// the body.
    pub fn with_client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Another authorize page (default `https://x.com/i/oauth2/authorize`).
    pub fn with_authorize_url(mut self, url: impl Into<String>) -> Self {
        self.authorize_url = url.into();
        self
    }

    /// Another API base (default `https://api.x.com`): the token and revoke endpoints become
    /// `<base>/2/oauth2/token` and `<base>/2/oauth2/revoke`.
    pub fn with_api_base(mut self, base: &str) -> Self {
        let base = base.trim_end_matches('/');
        self.token_url = format!("{base}{TOKEN_PATH}");
        self.revoke_url = format!("{base}{REVOKE_PATH}");
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The redirect URI.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The scopes asked for.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The authorize page.
    pub fn authorize_url(&self) -> &str {
        &self.authorize_url
    }

    /// The token endpoint.
    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    /// The revoke endpoint.
    pub fn revoke_url(&self) -> &str {
        &self.revoke_url
    }

    /// Whether the client has a secret.
    pub fn is_confidential(&self) -> bool {
        self.client_secret.is_some()
    }

    /// A new authorization request: fresh `state` and verifier from the OS CSPRNG, S256
    /// challenge, and the authorize URL.
    pub fn authorization_request(&self) -> Result<AuthorizationRequest, Error> {
        Ok(self.authorization_request_with(pkce::random_state()?, CodeVerifier::generate()?))
    }

    /// An authorization request with the given `state` and verifier.
    pub fn authorization_request_with(
        &self,
        state: String,
        verifier: CodeVerifier,
    ) -> AuthorizationRequest {
        let challenge = verifier.challenge(ChallengeMethod::S256);
        let url = pkce::authorize_url(&AuthorizeParams {
            authorize_url: &self.authorize_url,
            client_id: &self.client_id,
            redirect_uri: &self.redirect_uri,
            scopes: &self.scopes,
            state: &state,
            code_challenge: &challenge,
            method: ChallengeMethod::S256,
        });
        AuthorizationRequest {
            url,
            state,
            verifier,
        }
    }

    fn post<'a>(
        &'a self,
        poster: &dyn FormPoster,
        url: &str,
        mut form: Vec<(&'a str, &'a str)>,
    ) -> Result<(u16, String), Error> {
        let basic = match &self.client_secret {
            Some(s) => Some((self.client_id.as_str(), s.expose())),
            None => {
                form.push(("client_id", &self.client_id));
                None
            }
        };
        poster.post_form(url, basic, &form)
    }

    /// [`Self::post`], with the answer body wiped when dropped (it holds tokens).
    fn post_wiped<'a>(
        &'a self,
        poster: &dyn FormPoster,
        url: &str,
        form: Vec<(&'a str, &'a str)>,
    ) -> Result<(u16, Zeroizing<String>), Error> {
        self.post(poster, url, form)
            .map(|(status, body)| (status, Zeroizing::new(body)))
    }

    /// A token-endpoint grant: posts `form` (whose secret values are `secrets`, kept out of
    /// errors) and reads the token set from the answer.
    fn grant<'a>(
        &'a self,
        poster: &dyn FormPoster,
        form: Vec<(&'a str, &'a str)>,
        secrets: &[&'a str],
        now: u64,
    ) -> Result<TokenSet, Error> {
        let (status, body) = self.post_wiped(poster, &self.token_url, form)?;
        token_set_from_response(status, &body, now, &self.secrets(secrets))
    }

    fn secrets<'a>(&'a self, more: &[&'a str]) -> Vec<&'a str> {
        let mut v: Vec<&str> = more.to_vec();
        if let Some(s) = &self.client_secret {
            v.push(s.expose());
        }
        v
    }

    /// Exchanges an authorization code (from the callback) and its verifier for a token set:
    /// `grant_type=authorization_code&code=..&redirect_uri=..&code_verifier=..` (+ `client_id`
    /// for a public client, HTTP Basic for a confidential one). `now` turns `expires_in` into
    /// `expires_at`.
    pub fn exchange(
        &self,
        poster: &dyn FormPoster,
        code: &str,
        verifier: &CodeVerifier,
        now: u64,
    ) -> Result<TokenSet, Error> {
        self.grant(
            poster,
            vec![
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &self.redirect_uri),
                ("code_verifier", verifier.expose()),
            ],
            &[code, verifier.expose()],
            now,
        )
    }

    /// Refreshes: `grant_type=refresh_token&refresh_token=..` (+ `client_id` or HTTP Basic).
    /// On X the old refresh token is dead afterwards, whatever happens to the answer.
    pub fn refresh(
        &self,
        poster: &dyn FormPoster,
        refresh_token: &Secret,
        now: u64,
    ) -> Result<TokenSet, Error> {
        self.grant(
            poster,
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose()),
            ],
            &[refresh_token.expose()],
            now,
        )
    }

    /// Revokes a token: `token=..&token_type_hint=..` (+ `client_id` or HTTP Basic).
    /// A 2xx answer is success unless it says `"revoked": false`.
    pub fn revoke(
        &self,
        poster: &dyn FormPoster,
        token: &Secret,
        hint: TokenTypeHint,
    ) -> Result<(), Error> {
        let (status, body) = self.post_wiped(
            poster,
            &self.revoke_url,
            vec![
                ("token", token.expose()),
                ("token_type_hint", hint.as_str()),
            ],
        )?;
        if !(200..300).contains(&status) {
            return Err(error_from_response(
                status,
                &body,
                &self.secrets(&[token.expose()]),
            ));
        }
        let revoked = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("revoked").and_then(serde_json::Value::as_bool));
        if revoked == Some(false) {
            return Err(Error::InvalidResponse("the token was not revoked".into()));
        }
        Ok(())
    }

    /// A refresh function for a [`Refresher`](super::Refresher): [`Self::refresh`] through
    /// `poster`, with the system clock as `now`.
    pub fn refresh_fn<P>(
        self: &Arc<Self>,
        poster: P,
    ) -> impl Fn(&Secret) -> Result<TokenSet, Error> + Send + Sync + 'static
    where
        P: FormPoster + Send + Sync + 'static,
    {
        let client = Arc::clone(self);
        move |rt: &Secret| client.refresh(&poster, rt, super::unix_now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header() {
        assert_eq!(
            basic_authorization("client", "s3cr3t").expose(),
            "Basic Y2xpZW50OnMzY3IzdA=="
        );
        // "a:b" / "c+d e" are sent as "a%3Ab:c%2Bd%20e".
        assert_eq!(
            basic_authorization("a:b", "c+d e").expose(),
            "Basic YSUzQWI6YyUyQmQlMjBl"
        );
    }

    #[test]
    fn form_body() {
        assert_eq!(
            encode_form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "a b+c/=")
            ]),
            "grant_type=refresh_token&refresh_token=a%20b%2Bc%2F%3D"
        );
    }

    #[test]
    fn endpoints() {
        let c = OAuth2Client::new("id", "http://127.0.0.1:1/cb", ["users.read"]);
        assert_eq!(c.token_url(), "https://api.x.com/2/oauth2/token");
        assert_eq!(c.revoke_url(), "https://api.x.com/2/oauth2/revoke");
        assert_eq!(c.authorize_url(), "https://x.com/i/oauth2/authorize");
        let c = c.with_api_base("http://127.0.0.1:8080/");
        assert_eq!(c.token_url(), "http://127.0.0.1:8080/2/oauth2/token");
        assert_eq!(c.revoke_url(), "http://127.0.0.1:8080/2/oauth2/revoke");
        assert!(!c.is_confidential());
        let c = c.with_client_secret("shh");
        assert!(c.is_confidential());
        assert!(!format!("{c:?}").contains("shh"));
    }
}
