//! Authentication of API requests: OAuth 1.0a user context (verified here, RFC 5849) and
//! OAuth 2.0 bearer tokens (user access tokens and app-only bearers).

use crate::clock;
use crate::http::Request;
use crate::http::Response;
use crate::oauth1;
use crate::problems;
use crate::server::Shared;
use crate::state::World;

/// Largest accepted distance between `oauth_timestamp` and the real clock, in seconds.
pub const TIMESTAMP_SKEW: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// OAuth 1.0a user context: every scope.
    OAuth1 { app: usize, user: usize },
    /// OAuth 2.0 user context with its scopes.
    OAuth2 {
        app: usize,
        user: usize,
        scopes: Vec<String>,
    },
    /// OAuth 2.0 app-only bearer.
    AppOnly { app: usize },
}

impl Principal {
    pub fn app(&self) -> usize {
        match self {
            Principal::OAuth1 { app, .. }
            | Principal::OAuth2 { app, .. }
            | Principal::AppOnly { app } => *app,
        }
    }

    pub fn user(&self) -> Option<usize> {
        match self {
            Principal::OAuth1 { user, .. } | Principal::OAuth2 { user, .. } => Some(*user),
            Principal::AppOnly { .. } => None,
        }
    }

    pub fn has_scopes(&self, needed: &[&str]) -> bool {
        match self {
            Principal::OAuth2 { scopes, .. } => {
                needed.iter().all(|n| scopes.iter().any(|s| s == n))
            }
            _ => true,
        }
    }
}

fn bearer(req: &Request) -> Option<&str> {
    let h = req.header("authorization")?.trim();
    let (scheme, rest) = h.split_once(' ')?;
    scheme.eq_ignore_ascii_case("Bearer").then(|| rest.trim())
}

/// Every OAuth 1.0a parameter of the request: header, query and form body.
/// Returns `None` when the request carries no OAuth 1.0a credentials at all.
pub fn oauth1_params(req: &Request) -> Option<Result<Vec<(String, String)>, ()>> {
    let header = req.header("authorization");
    let from_header = match header {
        Some(h)
            if h.trim_start()
                .get(..5)
                .is_some_and(|p| p.eq_ignore_ascii_case("oauth")) =>
        {
            match oauth1::parse_authorization(h) {
                Some(p) => Some(p),
                None => return Some(Err(())),
            }
        }
        _ => None,
    };
    let mut all = from_header.clone().unwrap_or_default();
    let others: Vec<(String, String)> = req
        .query_pairs()
        .into_iter()
        .chain(req.form_pairs())
        .collect();
    if from_header.is_none() && !others.iter().any(|(k, _)| k == "oauth_signature") {
        return None;
    }
    all.extend(others);
    Some(Ok(all))
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Who the credentials name, without checking them (for request counters).
pub fn identify(w: &World, req: &Request) -> (Option<usize>, Option<usize>) {
    if let Some(b) = bearer(req) {
        if let Some(t) = w.oauth2_access.get(b) {
            return (Some(t.app), Some(t.user));
        }
        if let Some(&app) = w.app_only.get(b) {
            return (Some(app), None);
        }
        return (None, None);
    }
    if let Some(Ok(p)) = oauth1_params(req) {
        if let Some(t) = param(&p, "oauth_token").and_then(|t| w.oauth1_access.get(t)) {
            return (Some(t.app), Some(t.user));
        }
        return (
            param(&p, "oauth_consumer_key").and_then(|k| w.app_by_key.get(k).copied()),
            None,
        );
    }
    (None, None)
}

/// Which token an OAuth 1.0a request must carry.
pub enum TokenKind {
    /// An access token (API calls).
    Access,
    /// No token (request_token).
    None,
    /// A request token (access_token).
    Request,
}

/// A verified OAuth 1.0a request.
pub struct OAuth1Ok {
    pub app: usize,
    pub token: Option<String>,
    pub params: Vec<(String, String)>,
}

/// The scheme and host the client signed: the public base when configured, else the
/// received ones.
fn signed_origin(shared: &Shared, req: &Request) -> Option<(String, String)> {
    if let Some((s, h)) = &shared.public_base {
        return Some((s.clone(), h.clone()));
    }
    let host = req.header("host")?;
    Some((
        if req.tls { "https" } else { "http" }.to_string(),
        host.to_string(),
    ))
}

/// Verifies an OAuth 1.0a signed request. Errors are the 401 answers X gives.
pub fn verify_oauth1(
    shared: &Shared,
    w: &mut World,
    req: &Request,
    kind: TokenKind,
) -> Result<OAuth1Ok, Response> {
    let fail32 = || problems::unauthorized_code(32, "Could not authenticate you.");
    let params = match oauth1_params(req) {
        Some(Ok(p)) => p,
        _ => return Err(fail32()),
    };
    let get = |n: &str| param(&params, n);
    let (Some(ck), Some(sig), Some(method), Some(ts), Some(nonce)) = (
        get("oauth_consumer_key"),
        get("oauth_signature"),
        get("oauth_signature_method"),
        get("oauth_timestamp"),
        get("oauth_nonce"),
    ) else {
        return Err(fail32());
    };
    if method != "HMAC-SHA1" || get("oauth_version").is_some_and(|v| v != "1.0") {
        return Err(fail32());
    }
    let Some(&app) = w.app_by_key.get(ck) else {
        return Err(fail32());
    };
    let token = get("oauth_token").filter(|t| !t.is_empty());
    let token_secret = match (&kind, token) {
        (TokenKind::Access, Some(t)) => match w.oauth1_access.get(t) {
            Some(a) if a.app == app => Some(a.secret.clone()),
            _ => return Err(problems::unauthorized_code(89, "Invalid or expired token.")),
        },
        (TokenKind::Access, None) => {
            return Err(problems::unauthorized_code(89, "Invalid or expired token."))
        }
        (TokenKind::Request, Some(t)) => match w.request_tokens.get(t) {
            Some(r) if r.app == app => Some(r.secret.clone()),
            _ => return Err(problems::unauthorized_code(89, "Invalid or expired token.")),
        },
        (TokenKind::Request, None) => {
            return Err(problems::unauthorized_code(89, "Invalid or expired token."))
        }
        (TokenKind::None, _) => None,
    };
    let Ok(ts_num) = ts.parse::<i64>() else {
        return Err(problems::unauthorized_code(135, "Timestamp out of bounds."));
    };
    if (ts_num - clock::wall_now()).abs() > TIMESTAMP_SKEW {
        return Err(problems::unauthorized_code(135, "Timestamp out of bounds."));
    }
    let Some((scheme, host)) = signed_origin(shared, req) else {
        return Err(fail32());
    };
    let uri = oauth1::base_uri(&scheme, &host, &req.path);
    let signed: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "oauth_signature")
        .cloned()
        .collect();
    let base = oauth1::base_string(&req.method, &uri, &signed);
    let secret = w.cfg.apps[app].consumer_secret.clone();
    if !oauth1::verify(&base, &secret, token_secret.as_deref(), sig) {
        return Err(fail32());
    }
    let nonce_key = format!("{ck}\n{}\n{nonce}\n{ts}", token.unwrap_or(""));
    if !w.use_nonce(nonce_key) {
        return Err(fail32());
    }
    Ok(OAuth1Ok {
        app,
        token: token.map(str::to_string),
        params,
    })
}

/// Authenticates an API request.
pub fn authenticate(shared: &Shared, w: &mut World, req: &Request) -> Result<Principal, Response> {
    if let Some(b) = bearer(req) {
        let now = w.now();
        if let Some(t) = w.oauth2_access.get(b) {
            if t.expires_at.is_some_and(|e| now >= e) {
                return Err(problems::unauthorized());
            }
            return Ok(Principal::OAuth2 {
                app: t.app,
                user: t.user,
                scopes: t.scopes.clone(),
            });
        }
        if let Some(&app) = w.app_only.get(b) {
            return Ok(Principal::AppOnly { app });
        }
        return Err(problems::unauthorized());
    }
    if oauth1_params(req).is_some() {
        let ok = verify_oauth1(shared, w, req, TokenKind::Access)?;
        let t = ok
            .token
            .as_deref()
            .and_then(|t| w.oauth1_access.get(t))
            .ok_or_else(problems::unauthorized)?;
        return Ok(Principal::OAuth1 {
            app: ok.app,
            user: t.user,
        });
    }
    Err(problems::unauthorized())
}
