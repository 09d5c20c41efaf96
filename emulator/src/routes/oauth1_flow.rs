//! The OAuth 1.0a three-legged flow: request_token, authorize/authenticate (auto-approved),
//! access_token. Answers are form-encoded, as X's.

use crate::auth::{self, TokenKind};
use crate::http::{Request, Response};
use crate::pct;
use crate::server::Shared;
use crate::state::{random_pin, random_token, OAuth1Access, RequestToken};

const FORM: &str = "text/html; charset=utf-8";

fn callback_ok(uris: &[String], cb: &str) -> bool {
    if cb == "oob" {
        return true;
    }
    let base = cb.split('?').next().unwrap_or(cb);
    uris.iter()
        .any(|u| u.split('?').next().unwrap_or(u) == base)
}

/// `POST /oauth/request_token` (signed with the consumer only).
pub fn request_token(shared: &Shared, req: &Request) -> Response {
    let mut w = shared.world.lock().unwrap_or_else(|e| e.into_inner());
    let ok = match auth::verify_oauth1(shared, &mut w, req, TokenKind::None) {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Some(cb) = ok
        .params
        .iter()
        .find(|(k, _)| k == "oauth_callback")
        .map(|(_, v)| v.clone())
    else {
        return Response::json(
            400,
            r#"{"errors":[{"code":215,"message":"Bad Authentication data."}]}"#,
        );
    };
    if !callback_ok(&w.cfg.apps[ok.app].redirect_uris, &cb) {
        return Response::json(
            403,
            r#"{"errors":[{"code":415,"message":"Callback URL not approved for this client application. Approved callback URLs can be adjusted in your application settings"}]}"#,
        );
    }
    let token = random_token(24);
    let secret = random_token(24);
    w.request_tokens.insert(
        token.clone(),
        RequestToken {
            app: ok.app,
            secret: secret.clone(),
            callback: cb,
            verifier: None,
            user: None,
        },
    );
    let body = pct::form_encode(&[
        ("oauth_token", &token),
        ("oauth_token_secret", &secret),
        ("oauth_callback_confirmed", "true"),
    ]);
    Response::new(200, FORM, body)
}

/// `GET /oauth/authorize` and `/oauth/authenticate`: approves at once as `as_user` (id or
/// username), else `screen_name`, else the first user. With a callback it redirects with
/// `oauth_token` and `oauth_verifier`; with `oob` it shows the PIN in `<code id="pin">` and
/// in the `x-oauth-verifier` header.
pub fn authorize(shared: &Shared, req: &Request) -> Response {
    let q = req.query_pairs();
    let get = |n: &str| q.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let mut w = shared.world.lock().unwrap_or_else(|e| e.into_inner());
    let page = |status: u16, text: &str| {
        Response::new(
            status,
            "text/html; charset=utf-8",
            format!("<!DOCTYPE html><html><body><p>{text}</p></body></html>"),
        )
    };
    let Some(token) = get("oauth_token") else {
        return page(400, "This page is no longer valid: oauth_token is missing.");
    };
    let Some(rt) = w.request_tokens.get(token).cloned() else {
        return page(400, "This page is no longer valid. It looks like someone already used the token information you provided.");
    };
    let who = get("as_user").or_else(|| get("screen_name"));
    let user = match who {
        Some(u) => match w
            .user_by_id
            .get(u)
            .or_else(|| w.user_by_name.get(&u.to_ascii_lowercase()))
        {
            Some(&i) => i,
            None => return page(400, "No such user."),
        },
        None => match w.cfg.users.iter().position(|u| !u.suspended) {
            Some(i) => i,
            None => return page(400, "No user to approve as."),
        },
    };
    let oob = rt.callback == "oob";
    let verifier = if oob { random_pin(7) } else { random_token(24) };
    if let Some(r) = w.request_tokens.get_mut(token) {
        r.verifier = Some(verifier.clone());
        r.user = Some(user);
    }
    if oob {
        let body = format!(
            "<!DOCTYPE html><html><body><p>Next, return to the app and enter this PIN to complete the authorization process:</p><kbd aria-labelledby=\"code-desc\"><code id=\"pin\">{verifier}</code></kbd></body></html>"
        );
        return Response::new(200, "text/html; charset=utf-8", body)
            .header("x-oauth-verifier", verifier);
    }
    let sep = if rt.callback.contains('?') { '&' } else { '?' };
    let loc = format!(
        "{}{sep}{}",
        rt.callback,
        pct::form_encode(&[("oauth_token", token), ("oauth_verifier", &verifier)])
    );
    Response::new(302, "text/html; charset=utf-8", "").header("location", loc)
}

/// `POST /oauth/access_token` (signed with the request token, carrying `oauth_verifier`).
pub fn access_token(shared: &Shared, req: &Request) -> Response {
    let mut w = shared.world.lock().unwrap_or_else(|e| e.into_inner());
    let ok = match auth::verify_oauth1(shared, &mut w, req, TokenKind::Request) {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let token = ok.token.clone().unwrap_or_default();
    let verifier = ok
        .params
        .iter()
        .find(|(k, _)| k == "oauth_verifier")
        .map(|(_, v)| v.clone());
    let rt = w.request_tokens.get(&token).cloned();
    let valid = match (&rt, &verifier) {
        (
            Some(RequestToken {
                verifier: Some(v),
                user: Some(_),
                ..
            }),
            Some(given),
        ) => v == given,
        _ => false,
    };
    if !valid {
        return Response::new(
            401,
            "text/plain; charset=utf-8",
            "Error processing your OAuth request: Invalid oauth_verifier parameter",
        );
    }
    let rt = w.request_tokens.remove(&token).expect("present");
    let user = rt.user.expect("approved");
    let uid = w.cfg.users[user].id.clone();
    let access = format!("{uid}-{}", random_token(24));
    let secret = random_token(32);
    w.oauth1_access.insert(
        access.clone(),
        OAuth1Access {
            app: ok.app,
            secret: secret.clone(),
            user,
        },
    );
    let body = pct::form_encode(&[
        ("oauth_token", &access),
        ("oauth_token_secret", &secret),
        ("user_id", &uid),
        ("screen_name", &w.cfg.users[user].username),
    ]);
    Response::new(200, FORM, body)
}
