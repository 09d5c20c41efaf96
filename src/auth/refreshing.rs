//! An OAuth 2.0 user token that renews itself: the credential a client is built with
//! ([`OAuth2Refreshing`]) and what it becomes at build time (a [`Refresher`] over the
//! client's transport).

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::Error;
use crate::secret::token_problem;
use crate::tokens::oauth2::OAuth2Client;
use crate::tokens::refresh::DEFAULT_MARGIN;
use crate::tokens::{HttpPoster, Refresher, Secret, TokenSet, TokenStore};

/// Called with every new token set before it is used; an `Err` message is reported once
/// (the new set is used anyway: the old refresh token is spent).
pub type OnRefresh = Arc<dyn Fn(&TokenSet) -> Result<(), String> + Send + Sync>;

/// A refreshing OAuth 2.0 credential: a token set and the app's client id (and secret, for a
/// confidential client). The client refreshes the access token `margin` before `expires_at`
/// and once after a 401, one refresh at a time (the other threads wait for its result);
/// `on_refresh` and the token store get each new set before it is used. Every client built
/// from one credential (one builder used twice, or clones of it) shares one refresher.
#[derive(Clone)]
pub struct OAuth2Refreshing {
    pub(crate) tokens: TokenSet,
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<Secret>,
    pub(crate) margin: Duration,
    pub(crate) on_refresh: Option<OnRefresh>,
    pub(crate) store: Option<PathBuf>,
    /// The refresher of the first client built from this credential, shared by every later
    /// client built from it (or from a clone): X's refresh tokens are single-use, so two
    /// refreshers of one token set would spend the same refresh token. Every setter starts a
    /// new one.
    shared: Arc<Mutex<Option<Refresher>>>,
}

impl fmt::Debug for OAuth2Refreshing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Refreshing")
            .field("tokens", &self.tokens)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("margin", &self.margin)
            .field("on_refresh", &self.on_refresh.is_some())
            .field("store", &self.store)
            .finish()
    }
}

impl OAuth2Refreshing {
    /// A refreshing credential for `tokens` of the public client `client_id`, with the
    /// default margin (60 s), no callback and no store.
    pub fn new(tokens: TokenSet, client_id: impl Into<String>) -> Self {
        OAuth2Refreshing {
            tokens,
            client_id: client_id.into(),
            client_secret: None,
            margin: DEFAULT_MARGIN,
            on_refresh: None,
            store: None,
            shared: Arc::default(),
        }
    }

    /// A confidential client: refreshes authenticate with HTTP Basic.
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(secret.into());
        self.shared = Arc::default();
        self
    }

    /// Refresh when `expires_at - margin <= now` (whole seconds; default 60 s).
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self.shared = Arc::default();
        self
    }

    /// Called with each new token set before it is used (store it somewhere durable).
    pub fn on_refresh(
        mut self,
        f: impl Fn(&TokenSet) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.on_refresh = Some(Arc::new(f));
        self.shared = Arc::default();
        self
    }

    /// Share the token set with other processes through a token store file (created mode
    /// 0600; see [`TokenStore`]): refreshes run under its lock, and a set another process
    /// already rotated is taken from it instead of refreshing again.
    pub fn token_store(mut self, path: impl Into<PathBuf>) -> Self {
        self.store = Some(path.into());
        self.shared = Arc::default();
        self
    }

    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.client_id.is_empty() {
            return Err(Error::invalid_argument("client id is empty"));
        }
        if token_problem(self.tokens.access_token.expose()).is_some() {
            return Err(Error::invalid_argument(
                "OAuth 2.0 access token must be printable ASCII without spaces (at most 4096 bytes)",
            ));
        }
        match &self.tokens.refresh_token {
            Some(r) if !r.is_empty() => {
                if token_problem(r.expose()).is_some() {
                    return Err(Error::invalid_argument(
                        "OAuth 2.0 refresh token must be printable ASCII without spaces (at most 4096 bytes)",
                    ));
                }
            }
            _ => {
                return Err(Error::invalid_argument(
                    "the token set has no refresh token (request the offline.access scope)",
                ))
            }
        }
        Ok(())
    }

    /// The refresher of a built client: the one shared by every client built from this
    /// credential, made on the first build to refresh through `agent` against `api_base`.
    pub(crate) fn refresher(&self, agent: ureq::Agent, api_base: &str) -> Result<Refresher, Error> {
        let mut shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = shared.as_ref() {
            return Ok(r.clone());
        }
        let r = self.new_refresher(agent, api_base)?;
        *shared = Some(r.clone());
        Ok(r)
    }

    fn new_refresher(&self, agent: ureq::Agent, api_base: &str) -> Result<Refresher, Error> {
        let mut client =
            OAuth2Client::new(&self.client_id, "", Vec::<String>::new()).with_api_base(api_base);
        if let Some(s) = &self.client_secret {
            client = client.with_client_secret(s.clone());
        }
        let refresh = Arc::new(client).refresh_fn(HttpPoster::from_agent(agent));
        let mut b = Refresher::builder(self.tokens.clone(), refresh).margin(self.margin);
        if let Some(cb) = &self.on_refresh {
            let cb = Arc::clone(cb);
            b = b.on_refresh(move |t: &TokenSet| cb(t));
        }
        if let Some(p) = &self.store {
            b = b.store(TokenStore::new(p.clone()));
        }
        Ok(b.build())
    }
}
