//! OAuth 2.0 Authorization Code with PKCE: authorize (auto-approved), token, refresh, revoke.

use crate::http::{Request, Response};
use crate::pct;
use crate::server::Shared;
use crate::state::{random_token, AuthCode, OAuth2Access, Refresh, World};
use base64::Engine;
use serde_json::json;

fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    Response::json(status, body.to_string())
}

fn text_page(status: u16, text: &str) -> Response {
    Response::new(status, "text/plain; charset=utf-8", text.to_string())
}

fn pick_user(w: &World, as_user: Option<&str>) -> Result<usize, Response> {
    match as_user {
        Some(u) => w
            .user_by_id
            .get(u)
            .or_else(|| w.user_by_name.get(&u.to_ascii_lowercase()))
            .copied()
            .ok_or_else(|| text_page(400, "as_user names no known user")),
        None => w
            .cfg
            .users
            .iter()
            .position(|u| !u.suspended)
            .ok_or_else(|| text_page(400, "the world has no user to approve as")),
    }
}

/// `GET /i/oauth2/authorize`: checks the client and redirect URI, approves at once as
/// `as_user` (id or username) or the first user, and redirects with `code` and `state`.
pub fn authorize(shared: &Shared, req: &Request) -> Response {
    let q = req.query_pairs();
    let get = |n: &str| q.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let mut w = shared.world.lock().unwrap_or_else(|e| e.into_inner());
    let Some(&app) = get("client_id").and_then(|c| w.app_by_client.get(c)) else {
        return text_page(400, "Something went wrong: unknown client_id.");
    };
    let Some(redirect) = get("redirect_uri") else {
        return text_page(400, "Something went wrong: redirect_uri is required.");
    };
    if !w.cfg.apps[app].redirect_uris.iter().any(|r| r == redirect) {
        return text_page(
            400,
            "Something went wrong: redirect_uri does not match the app's settings.",
        );
    }
    let redirect = redirect.to_string();
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let state = get("state").unwrap_or("").to_string();
    let fail = |error: &str, desc: &str| {
        let loc = format!(
            "{redirect}{sep}{}",
            pct::form_encode(&[
                ("error", error),
                ("error_description", desc),
                ("state", &state)
            ])
        );
        Response::new(302, "text/plain; charset=utf-8", "").header("location", loc)
    };
    if get("response_type") != Some("code") {
        return fail("unsupported_response_type", "response_type must be code");
    }
    if state.is_empty() {
        return fail("invalid_request", "state is required");
    }
    let scopes: Vec<String> = get("scope")
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if scopes.is_empty() {
        return fail("invalid_scope", "scope is required");
    }
    let Some(challenge) = get("code_challenge").filter(|c| !c.is_empty()) else {
        return fail("invalid_request", "code_challenge is required");
    };
    let method = get("code_challenge_method").unwrap_or("plain");
    if method != "S256" && method != "plain" {
        return fail(
            "invalid_request",
            "code_challenge_method must be S256 or plain",
        );
    }
    let user = match pick_user(&w, get("as_user")) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let code = random_token(32);
    let expires_at = w.now() + w.cfg.settings.authorization_code_lifetime;
    w.codes.insert(
        code.clone(),
        AuthCode {
            app,
            user,
            scopes,
            redirect_uri: redirect.clone(),
            challenge: challenge.to_string(),
            method: method.to_string(),
            expires_at,
        },
    );
    let loc = format!(
        "{redirect}{sep}{}",
        pct::form_encode(&[("state", &state), ("code", &code)])
    );
    Response::new(302, "text/plain; charset=utf-8", "").header("location", loc)
}

/// The client named by HTTP Basic or `client_id`; confidential clients must use Basic.
fn client(w: &World, req: &Request, form: &[(String, String)]) -> Result<usize, Response> {
    let basic = req.header("authorization").and_then(|h| {
        let (scheme, rest) = h.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("Basic") {
            return None;
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()?;
        let text = String::from_utf8(raw).ok()?;
        let (id, secret) = text.split_once(':')?;
        Some((
            pct::decode_with(id, true).unwrap_or_else(|| id.to_string()),
            pct::decode_with(secret, true).unwrap_or_else(|| secret.to_string()),
        ))
    });
    let missing_auth = || {
        oauth_error(
            401,
            "unauthorized_client",
            "Missing valid authorization header",
        )
    };
    if let Some((id, secret)) = basic {
        let &app = w.app_by_client.get(&id).ok_or_else(missing_auth)?;
        return match &w.cfg.apps[app].client_secret {
            Some(s) if *s == secret => Ok(app),
            None => Ok(app),
            Some(_) => Err(missing_auth()),
        };
    }
    let id = form
        .iter()
        .find(|(k, _)| k == "client_id")
        .map(|(_, v)| v.as_str());
    let Some(id) = id else {
        return Err(missing_auth());
    };
    let &app = w.app_by_client.get(id).ok_or_else(missing_auth)?;
    if w.cfg.apps[app].client_secret.is_some() {
        return Err(missing_auth());
    }
    Ok(app)
}

fn issue(w: &mut World, app: usize, user: usize, scopes: Vec<String>) -> Response {
    let access = random_token(40);
    let lifetime = w.cfg.settings.access_token_lifetime;
    let now = w.now();
    w.oauth2_access.insert(
        access.clone(),
        OAuth2Access {
            app,
            user,
            scopes: scopes.clone(),
            expires_at: Some(now + lifetime),
        },
    );
    let mut body = json!({
        "token_type": "bearer",
        "expires_in": lifetime,
        "access_token": access,
        "scope": scopes.join(" "),
    });
    if scopes.iter().any(|s| s == "offline.access") {
        let refresh = random_token(40);
        w.refresh_tokens
            .insert(refresh.clone(), Refresh { app, user, scopes });
        body["refresh_token"] = serde_json::Value::String(refresh);
    }
    Response::json(200, body.to_string())
        .header("cache-control", "no-store")
        .header("pragma", "no-cache")
}

pub fn challenge_matches(method: &str, challenge: &str, verifier: &str) -> bool {
    match method {
        "S256" => {
            let d = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d.as_ref()) == challenge
        }
        "plain" => verifier == challenge,
        _ => false,
    }
}

/// `POST /2/oauth2/token`.
pub fn token(shared: &Shared, req: &Request) -> Response {
    if !req.is_form() {
        return oauth_error(
            400,
            "invalid_request",
            "Missing required parameter [grant_type].",
        );
    }
    let form = req.form_pairs();
    let get = |n: &str| form.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let mut w = shared.world.lock().unwrap_or_else(|e| e.into_inner());
    let app = match client(&w, req, &form) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match get("grant_type") {
        Some("authorization_code") => {
            let bad = || {
                oauth_error(
                    400,
                    "invalid_request",
                    "Value passed for the authorization code was invalid.",
                )
            };
            let Some(code) = get("code") else {
                return oauth_error(400, "invalid_request", "Missing required parameter [code].");
            };
            // Single use: a code is spent by its first presentation, right or wrong.
            let Some(c) = w.codes.remove(code) else {
                return bad();
            };
            let now = w.now();
            if c.app != app
                || now >= c.expires_at
                || get("redirect_uri") != Some(c.redirect_uri.as_str())
            {
                return bad();
            }
            let Some(verifier) = get("code_verifier") else {
                return oauth_error(
                    400,
                    "invalid_request",
                    "Missing required parameter [code_verifier].",
                );
            };
            if !challenge_matches(&c.method, &c.challenge, verifier) {
                return bad();
            }
            issue(&mut w, app, c.user, c.scopes)
        }
        Some("refresh_token") => {
            let Some(rt) = get("refresh_token") else {
                return oauth_error(
                    400,
                    "invalid_request",
                    "Missing required parameter [refresh_token].",
                );
            };
            match w.refresh_tokens.get(rt) {
                Some(r) if r.app == app => {
                    let r = w.refresh_tokens.remove(rt).expect("present");
                    issue(&mut w, app, r.user, r.scopes)
                }
                _ => oauth_error(
                    400,
                    "invalid_request",
                    "Value passed for the token was invalid.",
                ),
            }
        }
        Some(_) => oauth_error(
            400,
            "invalid_request",
            "Value passed for the grant type was invalid.",
        ),
        None => oauth_error(
            400,
            "invalid_request",
            "Missing required parameter [grant_type].",
        ),
    }
}

/// `POST /2/oauth2/revoke`: revokes an access or refresh token of the calling client.
pub fn revoke(shared: &Shared, req: &Request) -> Response {
    let form = req.form_pairs();
    let mut w = shared.world.lock().unwrap_or_else(|e| e.into_inner());
    let app = match client(&w, req, &form) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(tok) = form
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.clone())
    else {
        return oauth_error(
            400,
            "invalid_request",
            "Missing required parameter [token].",
        );
    };
    if w.oauth2_access.get(&tok).is_some_and(|t| t.app == app) {
        w.oauth2_access.remove(&tok);
    }
    if w.refresh_tokens.get(&tok).is_some_and(|t| t.app == app) {
        w.refresh_tokens.remove(&tok);
    }
    Response::json(200, r#"{"revoked":true}"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_vector() {
        assert!(challenge_matches(
            "S256",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        ));
        assert!(!challenge_matches(
            "S256",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "other"
        ));
        assert!(challenge_matches("plain", "abc", "abc"));
        assert!(!challenge_matches("plain", "abc", "abd"));
    }
}
