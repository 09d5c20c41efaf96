//! The OAuth 1.0a three-legged flow and the OAuth 2.0 Authorization Code flow with PKCE.

mod common;
use base64::Engine;
use common::*;
use serde_json::json;
use xfollow_emulator::pct;

const CALLBACK: &str = "http://127.0.0.1:8765/callback";

fn form(body: &str) -> Vec<(String, String)> {
    pct::parse_form(body)
}

fn get<'a>(pairs: &'a [(String, String)], k: &str) -> &'a str {
    pairs
        .iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {k} in {pairs:?}"))
}

/// The `oauth_token` and `oauth_token_secret` of a token endpoint's form answer.
fn token_and_secret(p: &[(String, String)]) -> (String, String) {
    (
        get(p, "oauth_token").to_string(),
        get(p, "oauth_token_secret").to_string(),
    )
}

/// A GET without credentials, as the user's browser sends it.
fn browse(c: &mut Client, path_query: &str) -> Resp {
    c.request("GET", path_query, &[], b"")
}

fn request_token(emu: &Emu, c: &mut Client, callback: &str) -> Resp {
    let url = emu.url("/oauth/request_token");
    let a = sign_at(
        "POST",
        &url,
        &[],
        CK,
        CS,
        None,
        &nonce(),
        now(),
        &[("oauth_callback", callback)],
    );
    c.request("POST", "/oauth/request_token", &[("Authorization", a)], b"")
}

fn access_token(emu: &Emu, c: &mut Client, token: &str, secret: &str, verifier: &str) -> Resp {
    let url = emu.url("/oauth/access_token");
    let a = sign_at(
        "POST",
        &url,
        &[],
        CK,
        CS,
        Some((token, secret)),
        &nonce(),
        now(),
        &[("oauth_verifier", verifier)],
    );
    c.request("POST", "/oauth/access_token", &[("Authorization", a)], b"")
}

#[test]
fn oauth1_three_legged_with_callback() {
    let emu = Emu::start();
    let mut c = emu.client();
    let r = request_token(&emu, &mut c, CALLBACK);
    assert_eq!(r.status, 200, "{}", r.text());
    let p = form(&r.text());
    assert_eq!(
        p.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        [
            "oauth_token",
            "oauth_token_secret",
            "oauth_callback_confirmed"
        ]
    );
    assert_eq!(get(&p, "oauth_callback_confirmed"), "true");
    let (rt, rs) = token_and_secret(&p);

    let r = browse(
        &mut c,
        &format!("/oauth/authorize?oauth_token={rt}&as_user=bob"),
    );
    assert_eq!(r.status, 302);
    let loc = r.h("location").to_string();
    let (base, q) = loc.split_once('?').unwrap();
    assert_eq!(base, CALLBACK);
    let q = form(q);
    assert_eq!(get(&q, "oauth_token"), rt);
    let verifier = get(&q, "oauth_verifier").to_string();

    // A wrong verifier is refused, and does not burn the token.
    let r = access_token(&emu, &mut c, &rt, &rs, "wrong");
    assert_eq!(r.status, 401);
    assert_eq!(
        r.text(),
        "Error processing your OAuth request: Invalid oauth_verifier parameter"
    );
    let r = access_token(&emu, &mut c, &rt, &rs, &verifier);
    assert_eq!(r.status, 200, "{}", r.text());
    let p = form(&r.text());
    assert_eq!(get(&p, "user_id"), BOB);
    assert_eq!(get(&p, "screen_name"), "bob");
    let (at, ats) = token_and_secret(&p);
    assert!(at.starts_with(&format!("{BOB}-")));
    // The request token is spent.
    let r = access_token(&emu, &mut c, &rt, &rs, &verifier);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["errors"][0]["code"], 89);
    // The new access token works.
    let r = c.get("/2/users/me", &emu.oauth1("GET", "/2/users/me", &at, &ats));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"]["username"], "bob");
    // /oauth/authenticate works the same; the first user is the default.
    let r = request_token(&emu, &mut c, CALLBACK);
    let p = form(&r.text());
    let rt2 = get(&p, "oauth_token").to_string();
    let r = browse(&mut c, &format!("/oauth/authenticate?oauth_token={rt2}"));
    assert_eq!(r.status, 302);
    let q = form(r.h("location").split_once('?').unwrap().1);
    let r = access_token(
        &emu,
        &mut c,
        &rt2,
        get(&p, "oauth_token_secret"),
        get(&q, "oauth_verifier"),
    );
    assert_eq!(get(&form(&r.text()), "screen_name"), "alice");
}

#[test]
fn oauth1_oob_pin() {
    let emu = Emu::start();
    let mut c = emu.client();
    let r = request_token(&emu, &mut c, "oob");
    let p = form(&r.text());
    let (rt, rs) = token_and_secret(&p);
    let r = browse(
        &mut c,
        &format!("/oauth/authorize?oauth_token={rt}&as_user={ERIN}"),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.h("content-type"), "text/html; charset=utf-8");
    let pin = r.h("x-oauth-verifier").to_string();
    assert_eq!(pin.len(), 7);
    assert!(pin.bytes().all(|b| b.is_ascii_digit()));
    assert!(r.text().contains(&format!("<code id=\"pin\">{pin}</code>")));
    let r = access_token(&emu, &mut c, &rt, &rs, &pin);
    assert_eq!(get(&form(&r.text()), "user_id"), ERIN);
}

#[test]
fn oauth1_flow_errors() {
    let emu = Emu::start();
    let mut c = emu.client();
    // Unapproved callback.
    let r = request_token(&emu, &mut c, "http://evil.example/cb");
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["errors"][0]["code"], 415);
    // Missing callback.
    let url = emu.url("/oauth/request_token");
    let a = sign("POST", &url, &[], CK, CS, None);
    let r = c.request("POST", "/oauth/request_token", &[("Authorization", a)], b"");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"errors": [{"code": 215, "message": "Bad Authentication data."}]})
    );
    // Bad consumer secret.
    let a = sign_at(
        "POST",
        &url,
        &[],
        CK,
        "bad",
        None,
        &nonce(),
        now(),
        &[("oauth_callback", "oob")],
    );
    let r = c.request("POST", "/oauth/request_token", &[("Authorization", a)], b"");
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["errors"][0]["code"], 32);
    // The callback may come in the form body too, and the signature covers it.
    let body = vec![("oauth_callback".to_string(), "oob".to_string())];
    let a = sign("POST", &url, &body, CK, CS, None);
    let r = c.request(
        "POST",
        "/oauth/request_token",
        &[
            ("Authorization", a),
            ("Content-Type", "application/x-www-form-urlencoded".into()),
        ],
        b"oauth_callback=oob",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // Unknown request token on authorize.
    let r = c.request("GET", "/oauth/authorize?oauth_token=nope", &[], b"");
    assert_eq!(r.status, 400);
    let r = c.request("GET", "/oauth/authorize", &[], b"");
    assert_eq!(r.status, 400);
    // An access token is not a request token.
    let r = access_token(&emu, &mut c, ALICE_TOKEN, ALICE_SECRET, "x");
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["errors"][0]["code"], 89);
}

fn challenge(verifier: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d.as_ref())
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn authorize(c: &mut Client, client_id: &str, scope: &str, method: &str, extra: &str) -> Resp {
    let ch = if method == "S256" {
        challenge(VERIFIER)
    } else {
        VERIFIER.to_string()
    };
    let q = pct::form_encode(&[
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", CALLBACK),
        ("scope", scope),
        ("state", "st4te"),
        ("code_challenge", &ch),
        ("code_challenge_method", method),
    ]);
    c.request("GET", &format!("/i/oauth2/authorize?{q}{extra}"), &[], b"")
}

fn code_of(r: &Resp) -> String {
    assert_eq!(r.status, 302, "{}", r.text());
    let loc = r.h("location");
    let (base, q) = loc.split_once('?').unwrap();
    assert_eq!(base, CALLBACK);
    let q = form(q);
    assert_eq!(get(&q, "state"), "st4te");
    get(&q, "code").to_string()
}

fn token_req(c: &mut Client, body: &str, basic: Option<(&str, &str)>) -> Resp {
    let mut h = vec![(
        "Content-Type",
        "application/x-www-form-urlencoded".to_string(),
    )];
    if let Some((id, secret)) = basic {
        let enc = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        h.push(("Authorization", format!("Basic {enc}")));
    }
    c.request("POST", "/2/oauth2/token", &h, body.as_bytes())
}

fn code_body(code: &str, client_id: Option<&str>) -> String {
    let mut p = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("code_verifier", VERIFIER),
    ];
    if let Some(id) = client_id {
        p.push(("client_id", id));
    }
    pct::form_encode(&p)
}

#[test]
fn oauth2_public_client_pkce_refresh_rotation_and_revoke() {
    let emu = Emu::with_config(&{
        let mut v: serde_json::Value =
            serde_json::from_str(xfollow_emulator::config::DEMO_WORLD).unwrap();
        v["settings"]["access_token_lifetime"] = json!(2);
        v.to_string()
    });
    let mut c = emu.client();
    let scope = "tweet.read users.read follows.read follows.write offline.access";
    let code = code_of(&authorize(
        &mut c,
        "demo-client-id",
        scope,
        "S256",
        "&as_user=erin",
    ));
    let r = token_req(&mut c, &code_body(&code, Some("demo-client-id")), None);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["expires_in"], 2);
    assert_eq!(v["scope"], scope);
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_in",
            "refresh_token",
            "scope",
            "token_type"
        ]
    );
    let at = v["access_token"].as_str().unwrap().to_string();
    let rt = v["refresh_token"].as_str().unwrap().to_string();
    // The code is single-use.
    let r = token_req(&mut c, &code_body(&code, Some("demo-client-id")), None);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"error": "invalid_request", "error_description": "Value passed for the authorization code was invalid."})
    );
    // The token acts for erin.
    let r = c.get("/2/users/me", &bearer(&at));
    assert_eq!(r.json()["data"]["id"], ERIN);
    assert_eq!(c.follow(ERIN, BOB, &bearer(&at)).status, 200);
    // It expires after 2 s of virtual time.
    emu.advance(2);
    assert_eq!(c.get("/2/users/me", &bearer(&at)).status, 401);
    // Refresh rotates.
    let body = pct::form_encode(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &rt),
        ("client_id", "demo-client-id"),
    ]);
    let r = token_req(&mut c, &body, None);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let at2 = v["access_token"].as_str().unwrap().to_string();
    let rt2 = v["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt2, rt);
    assert_ne!(at2, at);
    assert_eq!(c.get("/2/users/me", &bearer(&at2)).status, 200);
    let r = token_req(&mut c, &body, None);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"error": "invalid_request", "error_description": "Value passed for the token was invalid."})
    );
    // Revoke the access token, then the refresh token.
    let r = c.request(
        "POST",
        "/2/oauth2/revoke",
        &[("Content-Type", "application/x-www-form-urlencoded".into())],
        pct::form_encode(&[
            ("token", &at2),
            ("token_type_hint", "access_token"),
            ("client_id", "demo-client-id"),
        ])
        .as_bytes(),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"revoked": true}));
    assert_eq!(c.get("/2/users/me", &bearer(&at2)).status, 401);
    let r = c.request(
        "POST",
        "/2/oauth2/revoke",
        &[("Content-Type", "application/x-www-form-urlencoded".into())],
        pct::form_encode(&[("token", &rt2), ("client_id", "demo-client-id")]).as_bytes(),
    );
    assert_eq!(r.status, 200);
    let body = pct::form_encode(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &rt2),
        ("client_id", "demo-client-id"),
    ]);
    assert_eq!(token_req(&mut c, &body, None).status, 400);
}

#[test]
fn oauth2_without_offline_access_has_no_refresh_token_and_scopes_apply() {
    let emu = Emu::start();
    let mut c = emu.client();
    let code = code_of(&authorize(
        &mut c,
        "demo-client-id",
        "tweet.read users.read",
        "plain",
        "",
    ));
    let r = token_req(&mut c, &code_body(&code, Some("demo-client-id")), None);
    let v = r.json();
    assert!(v.get("refresh_token").is_none());
    assert_eq!(v["expires_in"], 7200);
    assert_eq!(v["scope"], "tweet.read users.read");
    let at = v["access_token"].as_str().unwrap();
    let me = c.get("/2/users/me", &bearer(at));
    assert_eq!(me.json()["data"]["id"], ALICE);
    assert_eq!(c.follow(ALICE, BOB, &bearer(at)).status, 403);
}

#[test]
fn oauth2_confidential_client_needs_basic() {
    let emu = Emu::start();
    let mut c = emu.client();
    let code = code_of(&authorize(
        &mut c,
        "confidential-client-id",
        "tweet.read users.read",
        "S256",
        "",
    ));
    let r = token_req(
        &mut c,
        &code_body(&code, Some("confidential-client-id")),
        None,
    );
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json(),
        json!({"error": "unauthorized_client", "error_description": "Missing valid authorization header"})
    );
    let r = token_req(
        &mut c,
        &code_body(&code, None),
        Some(("confidential-client-id", "wrong")),
    );
    assert_eq!(r.status, 401);
    // The failed attempts did not spend the code: client authentication comes first.
    let r = token_req(
        &mut c,
        &code_body(&code, None),
        Some(("confidential-client-id", "confidential-client-secret")),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // A token of another app cannot be revoked by this one (it stays valid).
    let at = r.json()["access_token"].as_str().unwrap().to_string();
    let r = c.request(
        "POST",
        "/2/oauth2/revoke",
        &[("Content-Type", "application/x-www-form-urlencoded".into())],
        pct::form_encode(&[("token", &at), ("client_id", "demo-client-id")]).as_bytes(),
    );
    assert_eq!(r.status, 200);
    assert_eq!(c.get("/2/users/me", &bearer(&at)).status, 200);
}

#[test]
fn oauth2_code_errors() {
    let emu = Emu::start();
    let mut c = emu.client();
    let scope = "tweet.read users.read";
    // Wrong verifier.
    let code = code_of(&authorize(&mut c, "demo-client-id", scope, "S256", ""));
    let body =
        code_body(&code, Some("demo-client-id")).replace("code_verifier=d", "code_verifier=X");
    assert_eq!(token_req(&mut c, &body, None).status, 400);
    // Expired after 30 s.
    let code = code_of(&authorize(&mut c, "demo-client-id", scope, "S256", ""));
    emu.advance(30);
    let r = token_req(&mut c, &code_body(&code, Some("demo-client-id")), None);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error_description"],
        "Value passed for the authorization code was invalid."
    );
    // Redirect URI mismatch at the token endpoint.
    let code = code_of(&authorize(&mut c, "demo-client-id", scope, "S256", ""));
    let body = code_body(&code, Some("demo-client-id")).replace("8765", "9999");
    assert_eq!(token_req(&mut c, &body, None).status, 400);
    // Authorize refusals.
    let r = c.request(
        "GET",
        "/i/oauth2/authorize?response_type=code&client_id=nope&redirect_uri=x",
        &[],
        b"",
    );
    assert_eq!(r.status, 400);
    let q = pct::form_encode(&[
        ("response_type", "code"),
        ("client_id", "demo-client-id"),
        ("redirect_uri", "http://127.0.0.1:1/other"),
    ]);
    let r = c.request("GET", &format!("/i/oauth2/authorize?{q}"), &[], b"");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        "Something went wrong: redirect_uri does not match the app's settings."
    );
    let r = authorize(&mut c, "demo-client-id", scope, "S512", "");
    assert_eq!(r.status, 302);
    assert!(
        r.h("location").contains("error=invalid_request"),
        "{}",
        r.h("location")
    );
    let r = authorize(&mut c, "demo-client-id", scope, "S256", "&as_user=nobody");
    assert_eq!(r.status, 400);
    // Unknown grant type and missing grant type.
    let r = token_req(&mut c, "grant_type=password&client_id=demo-client-id", None);
    assert_eq!(
        r.json(),
        json!({"error": "invalid_request", "error_description": "Value passed for the grant type was invalid."})
    );
    let r = token_req(&mut c, "client_id=demo-client-id", None);
    assert_eq!(
        r.json(),
        json!({"error": "invalid_request", "error_description": "Missing required parameter [grant_type]."})
    );
    // No client at all.
    let r = token_req(&mut c, "grant_type=refresh_token&refresh_token=x", None);
    assert_eq!(r.status, 401);
}
