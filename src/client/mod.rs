//! [`Client`] and [`ClientBuilder`]: every API call goes through [`Client::call`].

pub(crate) mod pages;
pub(crate) mod policy;

use crate::api::{self, follows, users, FollowOutcome, User};
use crate::auth::{
    AfterUnauthorized, Authorizer, Credentials, OAuth1Credentials, OAuth2Refreshing, Secret,
};
use crate::error::Error;
use crate::quota::{Action, Clock, Ledger, QuotaLimits, QuotaStatus};
use crate::ratelimit::RateLimit;
use crate::retry::{Cancel, RetryPolicy};
use crate::transport::{self, redact_userinfo, ApiTransport, TransportOptions};
use crate::validate;
use policy::Quota;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The default API host.
pub const DEFAULT_BASE_URL: &str = "https://api.x.com";

/// The endpoints a client calls; rate-limit snapshots are kept per endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /2/users/{id}/following`.
    Follow,
    /// `DELETE /2/users/{source}/following/{target}`.
    Unfollow,
    /// `GET /2/users/me`.
    Me,
    /// `GET /2/users/by/username/{username}`.
    UserByUsername,
    /// `GET /2/users/{id}/followers`.
    Followers,
    /// `GET /2/users/{id}/following`.
    Following,
}

impl Endpoint {
    /// `follow`, `unfollow`, `me`, `user_by_username`, `followers` or `following`.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Follow => "follow",
            Endpoint::Unfollow => "unfollow",
            Endpoint::Me => "me",
            Endpoint::UserByUsername => "user_by_username",
            Endpoint::Followers => "followers",
            Endpoint::Following => "following",
        }
    }
}

/// Builds a [`Client`]. Nothing is checked until [`build`](Self::build). `Debug` shows no
/// secret: credentials are redacted, and so is the userinfo (`user:pass@`) of the proxy and
/// quota store URLs.
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    transport: TransportOptions,
    clock_offset: i64,
    retry: RetryPolicy,
    quota_url: String,
    quota_limits: QuotaLimits,
    client_id: Option<String>,
    clock: Option<ClockHandle>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &redact_userinfo(&self.base_url))
            .field("credentials", &self.credentials)
            .field("connect_timeout", &self.transport.connect_timeout)
            .field("timeout", &self.transport.timeout)
            .field(
                "proxy",
                &self.transport.proxy.as_deref().map(redact_userinfo),
            )
            .field("ca_file", &self.transport.ca_file)
            .field("clock_offset", &self.clock_offset)
            .field("gzip", &self.transport.gzip)
            .field("retry", &self.retry)
            .field("quota_url", &redact_userinfo(&self.quota_url))
            .field("quota_limits", &self.quota_limits)
            .field("client_id", &self.client_id)
            .field("clock", &self.clock)
            .finish()
    }
}

/// A builder's transport settings, so that the token flows' `transport(&builder)` reads as
/// before.
impl From<&ClientBuilder> for TransportOptions {
    fn from(b: &ClientBuilder) -> Self {
        b.transport.clone()
    }
}

/// An injected clock (for tests), shown in `Debug` as its time only.
#[derive(Clone)]
struct ClockHandle(Arc<dyn Clock>);

impl std::fmt::Debug for ClockHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.0.epoch_secs())
    }
}

/// The default quota store: `memory:`, one table per process.
pub const DEFAULT_QUOTA_URL: &str = "memory:";

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            base_url: DEFAULT_BASE_URL.to_owned(),
            credentials: None,
            transport: TransportOptions::default(),
            clock_offset: 0,
            retry: RetryPolicy::default(),
            quota_url: DEFAULT_QUOTA_URL.to_owned(),
            quota_limits: QuotaLimits::default(),
            client_id: None,
            clock: None,
        }
    }
}

impl ClientBuilder {
    /// A builder with the defaults (`https://api.x.com`, 10 s connect, 30 s overall).
    pub fn new() -> Self {
        Self::default()
    }
    /// The API base URL: https, or plain http for a loopback host (the emulator).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }
    /// Sign with OAuth 1.0a user context.
    pub fn oauth1(
        self,
        consumer_key: impl Into<String>,
        consumer_secret: impl Into<Secret>,
        token: impl Into<Secret>,
        token_secret: impl Into<Secret>,
    ) -> Self {
        self.credentials(Credentials::OAuth1(OAuth1Credentials::new(
            consumer_key,
            consumer_secret,
            token,
            token_secret,
        )))
    }
    /// Authorize with an OAuth 2.0 user access token.
    pub fn oauth2_token(self, token: impl Into<Secret>) -> Self {
        self.credentials(Credentials::OAuth2(token.into()))
    }
    /// Authorize with an OAuth 2.0 token set that the client refreshes shortly before it
    /// expires and once after a 401 (see [`OAuth2Refreshing`]).
    pub fn oauth2_refreshing(self, credential: OAuth2Refreshing) -> Self {
        self.credentials(Credentials::OAuth2Refreshing(credential))
    }
    /// Set the credentials (the last call wins).
    pub fn credentials(mut self, c: Credentials) -> Self {
        self.credentials = Some(c);
        self
    }
    /// Connect timeout (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.transport = self.transport.connect_timeout(d);
        self
    }
    /// Overall timeout of one request (default 30 s).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.transport = self.transport.timeout(d);
        self
    }
    /// An explicit proxy (`http://host:port`, `socks5://host:port`...). `*_PROXY`
    /// environment variables are never read.
    pub fn proxy(mut self, url: Option<String>) -> Self {
        self.transport = self.transport.proxy(url);
        self
    }
    /// A PEM file of extra root certificates, trusted beside the built-in roots.
    pub fn ca_file(mut self, path: Option<PathBuf>) -> Self {
        self.transport = self.transport.ca_file(path);
        self
    }

    /// Seconds added to the local clock for OAuth 1.0a `oauth_timestamp` values, for a host
    /// whose clock is known to be off (X refuses timestamps far from its own clock with
    /// 401 code 135). Default 0.
    pub fn clock_offset(mut self, seconds: i64) -> Self {
        self.clock_offset = seconds;
        self
    }

    /// Ask for gzip-compressed responses (`Accept-Encoding: gzip`, the default, as X's own
    /// clients do). `false` sends `Accept-Encoding: identity`: the API's bodies are tens of
    /// bytes, and not compressing them saves CPU at both ends. A gzip body is decoded either
    /// way.
    pub fn gzip(mut self, on: bool) -> Self {
        self.transport = self.transport.gzip(on);
        self
    }

    /// The retry policy of every call (default [`RetryPolicy::default`]: 3 attempts, 500 ms
    /// base delay, 8 s maximum delay, full jitter, a 429 waited out only when its reset is at
    /// most 60 s away). [`RetryPolicy::never`] makes one attempt. The policy's cancellation
    /// switch becomes the client's ([`Client::cancel`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The retry policy set so far.
    pub fn retry_policy_ref(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The quota ledger's store: `memory:` (the default: one table per process),
    /// `sqlite:PATH` (every process of the machine), `redis://host:port[/db]` (every machine),
    /// or `off` (no ledger: follows and unfollows are neither counted nor refused locally).
    pub fn quota(mut self, url: impl Into<String>) -> Self {
        self.quota_url = url.into();
        self
    }

    /// The daily caps the ledger enforces (default 400 follows per user, 1,000 per app,
    /// 500 unfollows per app; 0 turns one cap off, its window still counted).
    pub fn quota_limits(mut self, limits: QuotaLimits) -> Self {
        self.quota_limits = limits;
        self
    }

    /// The OAuth 2.0 client id, the app's name in the quota ledger for OAuth 2.0 clients
    /// (OAuth 1.0a clients use the consumer key). Without one, every OAuth 2.0 client sharing
    /// a store counts as one app. Only a hash of it is stored. It is public: never pass the
    /// client secret.
    pub fn client_id(mut self, id: Option<String>) -> Self {
        self.client_id = id;
        self
    }

    /// The clock of the quota ledger and of the retry policy's 429 waits (default: the
    /// system clock). For tests: a [`crate::quota::ManualClock`] moved with the emulator's
    /// virtual clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(ClockHandle(clock));
        self
    }

    /// The transport settings so far (timeouts, proxy, CA file, gzip), as the token flows
    /// take them.
    pub fn transport_options(&self) -> &TransportOptions {
        &self.transport
    }

    /// Checks everything and builds the client (no network traffic).
    pub fn build(&self) -> Result<Client, Error> {
        let base = transport::check_base_url(&self.base_url)?;
        let creds = self.credentials.clone().ok_or_else(|| {
            Error::invalid_argument(
                "no credentials: set OAuth 1.0a credentials or an OAuth 2.0 access token",
            )
        })?;
        check_credentials(&creds)?;
        let transport = ApiTransport::new(&self.transport, &base, self.retry.cancel.clone())?;
        let mut retry = self.retry.clone();
        if let Some(c) = &self.clock {
            retry = retry.with_clock(c.0.clone());
        }
        let quota = if self.quota_url == policy::QUOTA_OFF {
            None
        } else {
            let ledger = match &self.clock {
                Some(c) => Ledger::open_with_clock(&self.quota_url, self.quota_limits, c.0.clone()),
                None => Ledger::open(&self.quota_url, self.quota_limits),
            }
            .map_err(policy::quota_error)?;
            let app =
                crate::quota::AppId::from_key(policy::app_key(&creds, self.client_id.as_deref()));
            Some(Quota { ledger, app })
        };
        let auth = Authorizer::new(creds, self.clock_offset, transport.agent(), &base)?;
        Ok(Client {
            retry,
            quota,
            transport,
            base,
            auth,
            own_id: OnceLock::new(),
            own_id_lock: Mutex::new(()),
            rate_limits: Mutex::new(HashMap::new()),
        })
    }
}

fn check_credentials(c: &Credentials) -> Result<(), Error> {
    let header_safe = |what: &str, s: &str| {
        if s.is_empty() {
            Err(Error::invalid_argument(format!("{what} is empty")))
        } else if s.bytes().any(|b| b.is_ascii_control()) {
            Err(Error::invalid_argument(format!(
                "{what} contains control characters"
            )))
        } else {
            Ok(())
        }
    };
    match c {
        Credentials::OAuth1(o) => {
            header_safe("consumer key", &o.consumer_key)?;
            header_safe("consumer secret", o.consumer_secret.expose())?;
            header_safe("access token", o.token.expose())?;
            header_safe("access token secret", o.token_secret.expose())
        }
        Credentials::OAuth2(t) => {
            header_safe("OAuth 2.0 access token", t.expose())?;
            if crate::secret::token_problem(t.expose()).is_some() {
                return Err(Error::invalid_argument(
                    "OAuth 2.0 access token must be printable ASCII without spaces (at most 4096 bytes)",
                ));
            }
            Ok(())
        }
        Credentials::OAuth2Refreshing(r) => r.check(),
    }
}

/// A client for the follows endpoints. Immutable after build, `Send + Sync`: share one
/// per process; it holds one connection pool.
pub struct Client {
    retry: RetryPolicy,
    quota: Option<Quota>,
    transport: ApiTransport,
    base: String,
    auth: Authorizer,
    own_id: OnceLock<String>,
    own_id_lock: Mutex<()>,
    rate_limits: Mutex<HashMap<Endpoint, RateLimit>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// One API request, before authorization.
pub(crate) struct ApiRequest<'a> {
    pub endpoint: Endpoint,
    pub method: &'static str,
    pub path: &'a str,
    pub json_body: Option<&'a str>,
    /// For a follow or unfollow: the action and the source user, counted in the ledger.
    pub quota: Option<(Action, &'a str)>,
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// The base URL in use (without trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Follow `target` as `source` (`None`: the authenticated user).
    pub fn follow(&self, source: Option<&str>, target: &str) -> Result<FollowOutcome, Error> {
        validate::user_id("target user id", target)?;
        let source = self.source(source)?;
        let path = follows::follow_path(&source);
        let body = follows::follow_body(target);
        self.call(
            &ApiRequest {
                endpoint: Endpoint::Follow,
                method: "POST",
                path: &path,
                json_body: Some(&body),
                quota: Some((Action::Follow, &source)),
            },
            follows::parse,
        )
    }

    /// Unfollow `target` as `source` (`None`: the authenticated user).
    pub fn unfollow(&self, source: Option<&str>, target: &str) -> Result<FollowOutcome, Error> {
        validate::user_id("target user id", target)?;
        let source = self.source(source)?;
        let path = follows::unfollow_path(&source, target);
        self.call(
            &ApiRequest {
                endpoint: Endpoint::Unfollow,
                method: "DELETE",
                path: &path,
                json_body: None,
                quota: Some((Action::Unfollow, &source)),
            },
            follows::parse,
        )
    }

    /// The authenticated user (`GET /2/users/me`).
    pub fn me(&self) -> Result<User, Error> {
        let u = self.call(
            &ApiRequest {
                endpoint: Endpoint::Me,
                method: "GET",
                path: users::ME_PATH,
                json_body: None,
                quota: None,
            },
            users::parse,
        )?;
        let _ = self.own_id.set(u.id.clone());
        Ok(u)
    }

    /// A user by @handle (`GET /2/users/by/username/{username}`).
    pub fn user_by_username(&self, username: &str) -> Result<User, Error> {
        validate::username(username)?;
        let path = users::by_username_path(username);
        self.call(
            &ApiRequest {
                endpoint: Endpoint::UserByUsername,
                method: "GET",
                path: &path,
                json_body: None,
                quota: None,
            },
            users::parse,
        )
    }

    /// The authenticated user's id: the OAuth 1.0a token prefix (no request), or
    /// `GET /2/users/me` once per client for OAuth 2.0. Concurrent first callers share one
    /// request; a failure is not cached.
    pub fn own_user_id(&self) -> Result<String, Error> {
        if let Some(r) = self.auth.own_user_id() {
            return r.map(str::to_owned);
        }
        if let Some(id) = self.own_id.get() {
            return Ok(id.clone());
        }
        let _guard = self.own_id_lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(id) = self.own_id.get() {
            return Ok(id.clone());
        }
        let u = self.me()?;
        Ok(u.id)
    }

    /// The OAuth 2.0 token set in use now, for a client built with
    /// [`ClientBuilder::oauth2_refreshing`] (`None` for other credentials). After a refresh it
    /// is the new set.
    pub fn token_set(&self) -> Option<crate::tokens::TokenSet> {
        self.auth.token_set()
    }

    /// The latest rate-limit windows seen for `endpoint`, if any response carried them.
    pub fn rate_limit(&self, endpoint: Endpoint) -> Option<RateLimit> {
        self.rate_limits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&endpoint)
            .copied()
    }

    /// The latest rate-limit windows seen, per endpoint (endpoints never answered are absent).
    pub fn rate_limits(&self) -> Vec<(Endpoint, RateLimit)> {
        let map = self.rate_limits.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<(Endpoint, RateLimit)> = map.iter().map(|(e, r)| (*e, *r)).collect();
        v.sort_by_key(|(e, _)| *e as u8);
        v
    }

    /// The ledger's counts for `user_id` (`None`: the authenticated user). `Ok(None)` when
    /// the ledger is off.
    pub fn quota_status(&self, user_id: Option<&str>) -> Result<Option<QuotaStatus>, Error> {
        let Some(q) = &self.quota else {
            return Ok(None);
        };
        let user = self.source(user_id)?;
        q.ledger
            .status(&q.app, &user)
            .map(Some)
            .map_err(policy::quota_error)
    }

    /// Cancels every retry wait and every request in flight on a direct connection running
    /// on this client, from any thread: those calls return [`crate::ErrorKind::Cancelled`]
    /// at once, and so does every later call until [`reset_cancel`](Self::reset_cancel). A
    /// request through a proxy runs to its timeout.
    pub fn cancel(&self) {
        self.retry.cancel.cancel();
        self.transport.abort();
    }

    /// Lets calls run again after [`cancel`](Self::cancel).
    pub fn reset_cancel(&self) {
        self.retry.cancel.reset();
    }

    /// The client's cancellation switch (shared with its retry policy).
    pub fn cancel_handle(&self) -> Cancel {
        self.retry.cancel.clone()
    }

    /// The client's clock (its ledger's and its retry waits'), for work paced with it.
    pub(crate) fn clock(&self) -> Arc<dyn Clock> {
        self.retry.clock.clone()
    }

    fn source(&self, source: Option<&str>) -> Result<String, Error> {
        match source {
            Some(s) => {
                validate::user_id("source user id", s)?;
                Ok(s.to_owned())
            }
            None => self.own_user_id(),
        }
    }

    /// The one path of every API call: the retry policy around [`attempt`](Self::attempt).
    pub(crate) fn call<T>(
        &self,
        req: &ApiRequest<'_>,
        parse: impl Fn(u16, &str, RateLimit) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut url = String::with_capacity(self.base.len() + req.path.len());
        url.push_str(&self.base);
        url.push_str(req.path);
        self.retry
            .run(|_| self.attempt(req, &url, &parse), policy::classify)
            .map_err(policy::retry_result)
    }

    /// One attempt. A follow or unfollow first reserves a slot in the ledger (a refusal
    /// sends nothing); the slot is released when the request provably never left, kept
    /// otherwise.
    fn attempt<T>(
        &self,
        req: &ApiRequest<'_>,
        url: &str,
        parse: &impl Fn(u16, &str, RateLimit) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let reservation = match (&self.quota, req.quota) {
            (Some(q), Some((action, user))) => Some(
                q.ledger
                    .reserve(&q.app, user, action)
                    .map_err(policy::quota_error)?,
            ),
            _ => None,
        };
        let r = self.send(req, url, parse);
        if let Some(res) = reservation {
            match &r {
                Err(e) if !e.may_have_reached_server() => {
                    let _ = res.release();
                }
                _ => res.commit(),
            }
        }
        r
    }

    /// Authorize, send, read the rate limits, map errors, parse. A 401 after which the
    /// authorizer refreshed its credentials is sent again once.
    fn send<T>(
        &self,
        req: &ApiRequest<'_>,
        url: &str,
        parse: &impl Fn(u16, &str, RateLimit) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut retried = false;
        loop {
            let authorization = self.auth.authorize(req.method, url, &[])?;
            let now = self.retry.clock.epoch_secs();
            let mut raw = self
                .transport
                .send(req.method, url, &authorization, req.json_body)
                .inspect_err(|e| {
                    if !e.rate_limit().is_empty() {
                        self.remember(req, e.rate_limit().clamped(now));
                    }
                })?;
            raw.rate_limit = raw.rate_limit.clamped(now);
            if !raw.rate_limit.is_empty() {
                self.remember(req, raw.rate_limit);
            }
            if raw.status == 401
                && !retried
                && self.auth.after_unauthorized(&authorization)? == AfterUnauthorized::RetryOnce
            {
                retried = true;
                continue;
            }
            if (200..300).contains(&raw.status) {
                return parse(raw.status, &raw.body, raw.rate_limit);
            }
            return Err(api::error_from_status(
                raw.status,
                &raw.body,
                raw.rate_limit,
            ));
        }
    }

    fn remember(&self, req: &ApiRequest<'_>, rl: RateLimit) {
        self.rate_limits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(req.endpoint, rl);
        if let (Some(q), Some((action, user))) = (&self.quota, req.quota) {
            policy::observe(q, user, action, &rl);
        }
    }
}
