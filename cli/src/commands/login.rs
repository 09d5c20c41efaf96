//! `xfollow login`: OAuth 2.0 Authorization Code with PKCE through the loopback redirect
//! receiver (the default), or OAuth 1.0a with a PIN (`--oauth1`). Prints the authorize URL on
//! stdout (and opens a browser unless `--no-browser`), then keeps the tokens in the profile.

use std::io::{BufRead, Read};
use std::time::Duration;

use serde_json::json;
use xfollow::tokens::oauth1::AuthorizeOptions;
use xfollow::tokens::{OAuth1Flow, OAuth2Flow, RedirectReceiver};
use xfollow::{Secret, User};

use crate::args::{Global, LoginArgs};
use crate::failure::{Exit, Failure};
use crate::interrupt;
use crate::output::Out;
use crate::profile::{Auth, Paths, Profile};
use crate::session::{self, profile_paths};

/// The scopes asked for: reading users, reading and writing follows, and a refresh token.
pub const SCOPES: [&str; 5] = [
    "tweet.read",
    "users.read",
    "follows.read",
    "follows.write",
    "offline.access",
];
/// How long the redirect receiver waits for the browser.
const LOGIN_WAIT: Duration = Duration::from_secs(300);
/// Longest PIN line read from stdin.
const MAX_PIN_LINE: u64 = 256;

pub fn run(g: &Global, out: Out, a: &LoginArgs) -> Result<Exit, Failure> {
    let paths = profile_paths(g)?;
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let oauth1 = a.oauth1
        || (!a.oauth2 && nonempty(&a.client_id).is_none() && nonempty(&a.consumer_key).is_some());
    let builder = session::transport(g, None)?;
    let base = builder_base(g);
    let (auth, user) = if oauth1 {
        let ck = nonempty(&a.consumer_key).ok_or_else(|| {
            Failure::usage(
                "--consumer-key (or X_CONSUMER_KEY)",
                "missing: the OAuth 1.0a consumer key (API key) of your app",
            )
        })?;
        let cs = a
            .consumer_secret
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Failure::usage(
                    "--consumer-secret (or X_CONSUMER_SECRET)",
                    "missing: the OAuth 1.0a consumer secret of your app",
                )
            })?;
        login_oauth1(g, out, a, &builder, ck, cs)?
    } else {
        let id = nonempty(&a.client_id).ok_or_else(|| {
            Failure::usage(
                "--client-id (or X_CLIENT_ID)",
                "missing: the OAuth 2.0 client id of your app (or use --oauth1 with a consumer key)",
            )
        })?;
        let secret = a.client_secret.clone().filter(|s| !s.is_empty());
        login_oauth2(g, out, a, &builder, &paths, id, secret)?
    };
    let profile = Profile {
        name: paths.name.clone(),
        base_url: base,
        user_id: user.id.clone(),
        username: user.username.clone(),
        auth,
    };
    if let Auth::OAuth1 { .. } = profile.auth {
        // A profile that was OAuth 2.0 before keeps no stale token set.
        let _ = std::fs::remove_file(&paths.tokens);
    }
    paths.save(&profile)?;
    let auth_name = profile.auth.name();
    out.emit(
        &format!(
            "logged in as @{} ({}): profile {}, {auth_name}",
            user.username, user.id, paths.name
        ),
        json!({
            "logged_in": true,
            "profile": paths.name,
            "auth": auth_name,
            "id": user.id,
            "username": user.username,
            "name": user.name,
        }),
    );
    if interrupt::interrupted() {
        return Err(Failure::new(Exit::Interrupted, "interrupted"));
    }
    Ok(Exit::Ok)
}

/// The base URL the profile keeps.
fn builder_base(g: &Global) -> String {
    g.base_url
        .clone()
        .unwrap_or_else(|| xfollow::DEFAULT_BASE_URL.to_owned())
}

/// Shows the authorize URL (stdout, so scripts can take it) and opens a browser if asked.
fn show_url(out: Out, a: &LoginArgs, url: &str, how: &str) {
    eprintln!("Open this page to authorize xfollow ({how}):");
    out.emit(url, json!({ "authorize_url": url }));
    if !a.no_browser && webbrowser::open(url).is_err() {
        eprintln!("(no browser could be opened: open the page yourself)");
    }
}

fn login_oauth2(
    g: &Global,
    out: Out,
    a: &LoginArgs,
    builder: &xfollow::ClientBuilder,
    paths: &Paths,
    client_id: String,
    secret: Option<Secret>,
) -> Result<(Auth, User), Failure> {
    let receiver = RedirectReceiver::for_redirect_uri(&a.redirect_uri)
        .map_err(|e| Failure::api("--redirect-uri (or X_REDIRECT_URI)", e.into()))?;
    let mut flow = OAuth2Flow::new(client_id.clone(), receiver.redirect_uri(), SCOPES)
        .map_err(|e| Failure::api("login", e))?
        .transport(builder)
        .map_err(|e| Failure::api("login", e))?;
    if let Some(b) = &g.base_url {
        flow = flow
            .base_url(b)
            .map_err(|e| Failure::api("--base-url", e))?;
    }
    if let Some(s) = &secret {
        flow = flow.client_secret(s.clone());
    }
    let req = flow
        .authorization_request()
        .map_err(|e| Failure::api("login", e))?;
    show_url(
        out,
        a,
        &req.url,
        &format!("waiting on {}", receiver.redirect_uri()),
    );
    let answer = receiver
        .wait(&req.state, LOGIN_WAIT)
        .map_err(|e| Failure::api("login", e.into()))?;
    let set = flow
        .exchange(answer.code.expose(), req.verifier.expose())
        .map_err(|e| Failure::api("login: code exchange", e))?;
    interrupt::enter_run();
    if let Some(dir) = paths.tokens.parent() {
        crate::profile::ensure_dir(dir)?;
    }
    // Who logged in, with the new access token (no refresh needed yet).
    let client = session::build(&builder.clone().oauth2_token(set.access_token.clone()))?;
    let user = client.me().map_err(|e| Failure::api("login: whoami", e))?;
    paths
        .token_store()
        .save(&set)
        .map_err(|e| Failure::api(format!("profile {}", paths.name), e.into()))?;
    Ok((
        Auth::OAuth2 {
            client_id,
            client_secret: secret,
        },
        user,
    ))
}

fn login_oauth1(
    g: &Global,
    out: Out,
    a: &LoginArgs,
    builder: &xfollow::ClientBuilder,
    consumer_key: String,
    consumer_secret: Secret,
) -> Result<(Auth, User), Failure> {
    let mut flow = OAuth1Flow::new(consumer_key.clone(), consumer_secret.clone())
        .and_then(|f| f.transport(builder))
        .map_err(|e| Failure::api("login", e))?;
    if let Some(b) = &g.base_url {
        flow = flow
            .base_url(b)
            .map_err(|e| Failure::api("--base-url", e))?;
    }
    let rt = flow
        .request_token()
        .map_err(|e| Failure::api("login: request token", e))?;
    let url = flow.authorize_url(&rt.token, &AuthorizeOptions::default());
    show_url(out, a, &url, "then type the PIN it shows");
    eprint!("PIN: ");
    let mut line = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_PIN_LINE)
        .read_until(b'\n', &mut line)
        .map_err(|e| Failure::usage("stdin", format!("cannot read the PIN: {e}")))?;
    let line =
        Secret::new(String::from_utf8(line).map_err(|_| Failure::usage("PIN", "not UTF-8 text"))?);
    let pin = Secret::new(line.expose().trim());
    if pin.is_empty() {
        return Err(Failure::usage("PIN", "none was typed on stdin"));
    }
    let access = flow
        .access_token(&rt, pin.expose())
        .map_err(|e| Failure::api("login: access token", e))?;
    interrupt::enter_run();
    let client = session::build(&builder.clone().oauth1(
        consumer_key.clone(),
        consumer_secret.clone(),
        access.token.clone(),
        access.token_secret.clone(),
    ))?;
    let user = client.me().map_err(|e| Failure::api("login: whoami", e))?;
    Ok((
        Auth::OAuth1 {
            consumer_key,
            consumer_secret,
            token: access.token,
            token_secret: access.token_secret,
        },
        user,
    ))
}
