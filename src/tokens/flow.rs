//! The two ways to get a user's token, over the network: [`OAuth1Flow`] (three-legged OAuth
//! 1.0a, PIN or callback) and [`OAuth2Flow`] (Authorization Code with PKCE, refresh, revoke).
//! Both talk to X through an [`HttpPoster`] (the client's transport rules) and report
//! failures as the client's [`crate::Error`].

use std::fmt;

use zeroize::Zeroizing;

use super::http::HttpPoster;
use super::oauth1::{self, AccessToken, AccessType, AuthorizeOptions, RequestToken, Verifier, OOB};
use super::oauth2::{AuthorizationRequest, OAuth2Client, TokenTypeHint, DEFAULT_API_BASE};
use super::pkce::CodeVerifier;
use super::{unix_now, Secret, TokenSet};
use crate::error::{Error, ErrorKind};
use crate::ratelimit::RateLimit;
use crate::signature::{authorization_header, Signing};
use crate::transport::{self, TransportOptions};

/// Where the user approves an app: X's pages are on `x.com`, the API on `api.x.com`.
pub const DEFAULT_PAGES_BASE: &str = "https://x.com";

/// The OAuth 1.0a three-legged flow (see REFERENCE: `POST /oauth/request_token`, the
/// authorize page, `POST /oauth/access_token`).
#[derive(Clone)]
pub struct OAuth1Flow {
    consumer_key: String,
    consumer_secret: Secret,
    callback: String,
    access_type: Option<AccessType>,
    api_base: String,
    pages_base: Option<String>,
    poster: HttpPoster,
}

impl fmt::Debug for OAuth1Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth1Flow")
            .field("consumer_key", &self.consumer_key)
            .field("consumer_secret", &self.consumer_secret)
            .field("callback", &self.callback)
            .field("access_type", &self.access_type)
            .field("api_base", &self.api_base)
            .field("pages_base", &self.pages())
            .finish()
    }
}

impl OAuth1Flow {
    /// A flow for the app's consumer key and secret: callback `oob` (PIN), API
    /// `https://api.x.com`, pages on `https://x.com`, the default transport.
    pub fn new(
        consumer_key: impl Into<String>,
        consumer_secret: impl Into<Secret>,
    ) -> Result<Self, Error> {
        let consumer_key = consumer_key.into();
        let consumer_secret = consumer_secret.into();
        if consumer_key.is_empty() || consumer_secret.is_empty() {
            return Err(Error::invalid_argument(
                "consumer key and consumer secret must not be empty",
            ));
        }
        Ok(OAuth1Flow {
            consumer_key,
            consumer_secret,
            callback: OOB.to_owned(),
            access_type: None,
            api_base: DEFAULT_API_BASE.to_owned(),
            pages_base: None,
            poster: HttpPoster::new()?,
        })
    }

    /// `oauth_callback`: `oob` for the PIN flow (the default), or a URL registered with the
    /// app.
    pub fn callback(mut self, callback: impl Into<String>) -> Result<Self, Error> {
        let cb = callback.into();
        if cb.is_empty() || cb.bytes().any(|b| b.is_ascii_control()) {
            return Err(Error::invalid_argument(
                "callback must be \"oob\" or a URL without control characters",
            ));
        }
        self.callback = cb;
        Ok(self)
    }

    /// Ask for `x_auth_access_type` (`read` or `write`) in the request token call.
    pub fn access_type(mut self, access_type: Option<AccessType>) -> Self {
        self.access_type = access_type;
        self
    }

    /// The API base of `/oauth/request_token` and `/oauth/access_token` (default
    /// `https://api.x.com`). Unless [`pages_base`](Self::pages_base) is set, the authorize
    /// page is then under this base too (as on the emulator).
    pub fn base_url(mut self, url: &str) -> Result<Self, Error> {
        self.api_base = transport::check_base_url(url)?;
        Ok(self)
    }

    /// Where the authorize and authenticate pages are (default `https://x.com`, or the base
    /// URL when one was set).
    pub fn pages_base(mut self, url: &str) -> Result<Self, Error> {
        self.pages_base = Some(transport::check_base_url(url)?);
        Ok(self)
    }

    /// Use these transport settings (timeouts, proxy, CA file): a [`TransportOptions`], or
    /// a `&ClientBuilder` for its settings.
    pub fn transport(mut self, options: impl Into<TransportOptions>) -> Result<Self, Error> {
        self.poster = HttpPoster::with_transport(&options.into())?;
        Ok(self)
    }

    fn pages(&self) -> &str {
        match &self.pages_base {
            Some(p) => p,
            None if self.api_base == DEFAULT_API_BASE => DEFAULT_PAGES_BASE,
            None => &self.api_base,
        }
    }

    /// The consumer key.
    pub fn consumer_key(&self) -> &str {
        &self.consumer_key
    }

    /// The callback in use.
    pub fn callback_url(&self) -> &str {
        &self.callback
    }

    fn signed_post(
        &self,
        url: &str,
        token: Option<(&str, &str)>,
        callback: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<Zeroizing<String>, Error> {
        let auth = authorization_header(&Signing {
            consumer_key: &self.consumer_key,
            consumer_secret: self.consumer_secret.expose(),
            token,
            callback,
            verifier,
            method: "POST",
            url,
            form: &[],
            nonce: None,
            timestamp: None,
        });
        let (status, body) = self.poster.post(url, Some(&auth), "")?;
        // The answer holds the token secret.
        let body = Zeroizing::new(body);
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let secrets = [token.map_or("", |t| t.1), verifier.unwrap_or("")];
        Err(match plain_text_detail(&body, &secrets) {
            Some(detail) => crate::api::error_from_text(status, detail),
            None => crate::api::error_from_status(status, &body, RateLimit::default()),
        })
    }

    /// Step 1: `POST /oauth/request_token` with `oauth_callback` (and `x_auth_access_type`
    /// when set). Checks `oauth_callback_confirmed=true`.
    pub fn request_token(&self) -> Result<RequestToken, Error> {
        let mut url = format!("{}/oauth/request_token", self.api_base);
        if let Some(a) = self.access_type {
            url.push_str("?x_auth_access_type=");
            url.push_str(a.as_str());
        }
        let body = self.signed_post(&url, None, Some(&self.callback), None)?;
        Ok(oauth1::parse_request_token(&body)?)
    }

    /// Step 2: the page to send the user to (`/oauth/authorize`, asks every time), with
    /// `force_login` and `screen_name` as given.
    pub fn authorize_url(&self, request_token: &str, options: &AuthorizeOptions) -> String {
        let base = format!("{}/oauth/authorize", self.pages());
        oauth1::authorize_url(&base, request_token, options)
    }

    /// Step 2, "Log in with X": `/oauth/authenticate` (skips the prompt when the user already
    /// authorized the app).
    pub fn authenticate_url(&self, request_token: &str, options: &AuthorizeOptions) -> String {
        let base = format!("{}/oauth/authenticate", self.pages());
        oauth1::authorize_url(&base, request_token, options)
    }

    /// Step 3: `POST /oauth/access_token` signed with the request token, carrying the
    /// verifier (the PIN the user typed, or `oauth_verifier` from the callback). Checks that
    /// the returned token belongs to the returned `user_id`.
    pub fn access_token(
        &self,
        request: &RequestToken,
        verifier: &str,
    ) -> Result<AccessToken, Error> {
        let v = Verifier::from_pin(verifier)?;
        let url = format!("{}/oauth/access_token", self.api_base);
        let body = self.signed_post(
            &url,
            Some((&request.token, request.token_secret.expose())),
            None,
            Some(v.expose()),
        )?;
        let token = oauth1::parse_access_token(&body)?;
        if let Some(id) = &token.user_id {
            if let Some((prefix, _)) = token.token.expose().split_once('-') {
                if prefix.bytes().all(|b| b.is_ascii_digit()) && prefix != id {
                    return Err(Error::new(
                        ErrorKind::Protocol,
                        "the access token answer names another user than its token",
                        crate::error::Delivery::MaybeSent,
                    ));
                }
            }
        }
        Ok(token)
    }

    /// Step 3 from a callback URL (or its query): checks its `oauth_token` against the
    /// request token, then [`access_token`](Self::access_token) with its `oauth_verifier`.
    pub fn access_token_from_callback(
        &self,
        request: &RequestToken,
        callback: &str,
    ) -> Result<AccessToken, Error> {
        let v = oauth1::verify_callback(callback, &request.token)?;
        self.access_token(request, v.expose())
    }
}

/// OAuth 2.0 Authorization Code with PKCE for one app: authorization request, code exchange
/// (public clients send `client_id`, confidential ones HTTP Basic), refresh, revoke.
#[derive(Clone, Debug)]
pub struct OAuth2Flow {
    client: OAuth2Client,
    authorize_set: bool,
    poster: HttpPoster,
}

impl OAuth2Flow {
    /// A public client (no secret) for X: authorize page `https://x.com/i/oauth2/authorize`,
    /// token endpoints under `https://api.x.com`, the default transport.
    pub fn new<S: Into<String>>(
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
    ) -> Result<Self, Error> {
        let client = OAuth2Client::new(client_id, redirect_uri, scopes);
        if client.client_id().is_empty() {
            return Err(Error::invalid_argument("client id must not be empty"));
        }
        if client.redirect_uri().is_empty() {
            return Err(Error::invalid_argument("redirect URI must not be empty"));
        }
        if client.scopes().is_empty() {
            return Err(Error::invalid_argument("at least one scope is needed"));
        }
        Ok(OAuth2Flow {
            client,
            authorize_set: false,
            poster: HttpPoster::new()?,
        })
    }

    /// Makes it a confidential client (HTTP Basic on the token endpoints).
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client = self.client.with_client_secret(secret);
        self
    }

    /// Another authorize page (default `https://x.com/i/oauth2/authorize`).
    pub fn authorize_url(mut self, url: &str) -> Result<Self, Error> {
        super::http::check_url(url)?;
        self.client = self.client.with_authorize_url(url);
        self.authorize_set = true;
        Ok(self)
    }

    /// The API base of `/2/oauth2/token` and `/2/oauth2/revoke` (default
    /// `https://api.x.com`). Unless [`authorize_url`](Self::authorize_url) was set, the
    /// authorize page becomes `<base>/i/oauth2/authorize` (as on the emulator).
    pub fn base_url(mut self, url: &str) -> Result<Self, Error> {
        let base = transport::check_base_url(url)?;
        self.client = self.client.with_api_base(&base);
        if !self.authorize_set {
            self.client = self
                .client
                .with_authorize_url(format!("{base}/i/oauth2/authorize"));
        }
        Ok(self)
    }

    /// Use these transport settings (timeouts, proxy, CA file): a [`TransportOptions`], or
    /// a `&ClientBuilder` for its settings.
    pub fn transport(mut self, options: impl Into<TransportOptions>) -> Result<Self, Error> {
        self.poster = HttpPoster::with_transport(&options.into())?;
        Ok(self)
    }

    /// The OAuth 2.0 client description (endpoints, id, scopes).
    pub fn oauth2_client(&self) -> &OAuth2Client {
        &self.client
    }

    /// A new authorization request: the URL to open, the `state` to check on the callback
    /// and the code verifier to keep for the exchange.
    pub fn authorization_request(&self) -> Result<AuthorizationRequest, Error> {
        Ok(self.client.authorization_request()?)
    }

    /// Exchanges the callback's code and the request's verifier for a token set.
    pub fn exchange(&self, code: &str, code_verifier: &str) -> Result<TokenSet, Error> {
        if code.is_empty() {
            return Err(Error::invalid_argument("authorization code is empty"));
        }
        let v = CodeVerifier::from_string(code_verifier)?;
        Ok(self.client.exchange(&self.poster, code, &v, unix_now())?)
    }

    /// Refreshes: a new token set; on X the refresh token given is spent.
    pub fn refresh(&self, refresh_token: &str) -> Result<TokenSet, Error> {
        if refresh_token.is_empty() {
            return Err(Error::invalid_argument("refresh token is empty"));
        }
        Ok(self
            .client
            .refresh(&self.poster, &Secret::new(refresh_token), unix_now())?)
    }

    /// Revokes an access or refresh token.
    pub fn revoke(&self, token: &str, hint: TokenTypeHint) -> Result<(), Error> {
        if token.is_empty() {
            return Err(Error::invalid_argument("token is empty"));
        }
        Ok(self
            .client
            .revoke(&self.poster, &Secret::new(token), hint)?)
    }
}

/// The most of a plain-text refusal shown in an error message.
const MAX_TEXT_DETAIL: usize = 200;

/// A refusal in plain text ("Error processing your OAuth request: Invalid oauth_verifier
/// parameter"): its first line, at most [`MAX_TEXT_DETAIL`] characters of printable ASCII,
/// without the flow's secrets. None for JSON (read as the API's errors), an empty line or
/// anything else.
fn plain_text_detail(body: &str, secrets: &[&str]) -> Option<String> {
    let line = body.lines().next()?.trim();
    let text = !line.is_empty()
        && !line.starts_with(['{', '[', '<'])
        && line.bytes().all(|b| (0x20..0x7f).contains(&b));
    text.then(|| super::error::scrub(&line[..line.len().min(MAX_TEXT_DETAIL)], secrets))
}
