//! From the global options, the environment and the profile to a built [`Client`].
//!
//! Credentials, first found wins: `--profile` (or `XFOLLOW_PROFILE`); else
//! `X_OAUTH2_ACCESS_TOKEN`; else the four OAuth 1.0a variables (`X_CONSUMER_KEY`,
//! `X_CONSUMER_SECRET`, `X_ACCESS_TOKEN`, `X_ACCESS_TOKEN_SECRET`), as the C example reads
//! them; else the `default` profile.

use std::time::Duration;

use xfollow::{Client, ClientBuilder, OAuth2Refreshing, RetryPolicy};

use crate::args::Global;
use crate::failure::{Exit, Failure};
use crate::interrupt;
use crate::profile::{state_dir, Auth, Paths, Profile, DEFAULT_PROFILE};

/// The windows key of credentials from the environment (no profile name starts with `_`).
pub const ENV_KEY: &str = "_env";

/// Where the credentials came from.
pub enum Source {
    Profile(Box<Profile>),
    /// `oauth2` or `oauth1`.
    Env(&'static str),
}

/// A client and what it was built from.
pub struct Session {
    pub client: Client,
    pub source: Source,
}

impl Session {
    /// `oauth2` or `oauth1`.
    pub fn auth_name(&self) -> &'static str {
        match &self.source {
            Source::Profile(p) => p.auth.name(),
            Source::Env(a) => a,
        }
    }

    /// The profile name, if the credentials came from one.
    pub fn profile_name(&self) -> Option<&str> {
        match &self.source {
            Source::Profile(p) => Some(&p.name),
            Source::Env(_) => None,
        }
    }

    /// The user id a profile keeps (no `GET /2/users/me` needed); `None` for credentials from
    /// the environment.
    pub fn known_user_id(&self) -> Option<&str> {
        match &self.source {
            Source::Profile(p) => Some(&p.user_id),
            Source::Env(_) => None,
        }
    }

    /// The authenticated user's id: the profile's, else `GET /2/users/me` (once per client).
    /// A failure names `what`.
    pub fn own_id(&self, what: &str) -> Result<String, Failure> {
        match self.known_user_id() {
            Some(id) => Ok(id.to_owned()),
            None => self.client.own_user_id().map_err(|e| Failure::api(what, e)),
        }
    }

    /// The key of the last-known windows file.
    pub fn windows_key(&self) -> &str {
        self.profile_name().unwrap_or(ENV_KEY)
    }
}

/// A non-empty environment variable.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The profile the options name, or the default one.
pub fn profile_paths(g: &Global) -> Result<Paths, Failure> {
    Paths::new(g.profile.as_deref().unwrap_or(DEFAULT_PROFILE))
}

/// A builder with the transport options (base URL, proxy, CA file, timeout), the run's
/// cancellation switch and a retry policy that never waits out a 429 (the run reports it,
/// exit 3, with the time it frees).
pub fn transport(g: &Global, profile_base: Option<&str>) -> Result<ClientBuilder, Failure> {
    let mut b = ClientBuilder::new();
    if let Some(u) = g.base_url.as_deref().or(profile_base) {
        b = b.base_url(u);
    }
    if let Some(p) = &g.proxy {
        b = b.proxy(Some(p.expose().to_owned()));
    }
    if let Some(c) = &g.ca_file {
        if !c.is_file() {
            return Err(Failure::usage(
                format!("--ca-file {}", c.display()),
                "no such file",
            ));
        }
        b = b.ca_file(Some(c.clone()));
    }
    if let Some(t) = g.timeout {
        b = b.timeout(Duration::from_secs(t));
    }
    let policy = RetryPolicy {
        max_rate_limit_wait: Duration::ZERO,
        ..RetryPolicy::default()
    }
    .with_cancel(interrupt::cancel());
    Ok(b.retry(policy))
}

/// The quota ledger URL: `--quota`/`X_QUOTA`, else an SQLite file in the state directory
/// (each run is a new process, so an in-memory ledger would count nothing).
fn quota_url(g: &Global) -> Result<String, Failure> {
    match &g.quota {
        Some(q) => Ok(q.expose().to_owned()),
        None => {
            let dir = state_dir()?;
            crate::profile::ensure_dir(&dir)?;
            Ok(format!("sqlite:{}", dir.join("quota.sqlite").display()))
        }
    }
}

/// Builds the client; a refused option is named in the message.
pub fn build(b: &ClientBuilder) -> Result<Client, Failure> {
    b.build()
        .map_err(|e| Failure::api(option_at_fault(e.message()), e))
}

/// The option a build error is about, from its message.
fn option_at_fault(m: &str) -> &'static str {
    if m.contains("base URL") {
        "--base-url"
    } else if m.contains("proxy URL") {
        "--proxy"
    } else if m.contains("CA file") {
        "--ca-file"
    } else if m.contains("quota") {
        "--quota"
    } else if m.contains("timeout") {
        "--timeout"
    } else {
        "credentials"
    }
}

/// Opens the session for a command that talks to the API.
pub fn open(g: &Global) -> Result<Session, Failure> {
    let explicit = g.profile.is_some();
    if !explicit {
        if let Some(t) = env("X_OAUTH2_ACCESS_TOKEN") {
            let b = transport(g, None)?
                .oauth2_token(t)
                .client_id(env("X_CLIENT_ID"))
                .quota(quota_url(g)?);
            return Ok(Session {
                client: build(&b)?,
                source: Source::Env("oauth2"),
            });
        }
        if let (Some(ck), Some(cs), Some(t), Some(ts)) = (
            env("X_CONSUMER_KEY"),
            env("X_CONSUMER_SECRET"),
            env("X_ACCESS_TOKEN"),
            env("X_ACCESS_TOKEN_SECRET"),
        ) {
            let b = transport(g, None)?
                .oauth1(ck, cs, t, ts)
                .quota(quota_url(g)?);
            return Ok(Session {
                client: build(&b)?,
                source: Source::Env("oauth1"),
            });
        }
    }
    let paths = profile_paths(g)?;
    if !explicit && !paths.exists() {
        return Err(Failure::new(
            Exit::Auth,
            "not logged in: run `xfollow login`, or set X_OAUTH2_ACCESS_TOKEN, or the four \
             OAuth 1.0a variables (X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN, \
             X_ACCESS_TOKEN_SECRET)",
        ));
    }
    let profile = paths.load()?;
    let b = transport(g, Some(&profile.base_url))?.quota(quota_url(g)?);
    let b = match &profile.auth {
        Auth::OAuth1 {
            consumer_key,
            consumer_secret,
            token,
            token_secret,
        } => b.oauth1(
            consumer_key.clone(),
            consumer_secret.clone(),
            token.clone(),
            token_secret.clone(),
        ),
        Auth::OAuth2 {
            client_id,
            client_secret,
        } => {
            let store = paths.token_store();
            let set = store
                .load()
                .map_err(|e| Failure::api(format!("profile {}", paths.name), e.into()))?
                .ok_or_else(|| {
                    Failure::new(
                        Exit::Auth,
                        format!(
                            "profile {}: no tokens in {}; log in again: xfollow login --profile {}",
                            paths.name,
                            paths.tokens.display(),
                            paths.name
                        ),
                    )
                })?;
            let mut cred = OAuth2Refreshing::new(set, client_id.clone()).token_store(&paths.tokens);
            if let Some(s) = client_secret {
                cred = cred.client_secret(s.clone());
            }
            b.oauth2_refreshing(cred).client_id(Some(client_id.clone()))
        }
    };
    Ok(Session {
        client: build(&b)?,
        source: Source::Profile(Box::new(profile)),
    })
}
