//! OAuth 2.0 requests and answers through a fake form poster.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use xfollow::tokens::oauth2::{encode_form, AuthorizationRequest, TokenTypeHint};
use xfollow::tokens::pkce::CodeVerifier;
use xfollow::tokens::{Error, FormPoster, OAuth2Client, Refresher, Secret, TokenSet};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    url: String,
    basic: Option<(String, String)>,
    form: Vec<(String, String)>,
}

/// Records every call and answers from a queue.
struct FakePoster {
    calls: Mutex<Vec<Call>>,
    answers: Mutex<Vec<Result<(u16, String), Error>>>,
}

impl FakePoster {
    fn new(answers: Vec<Result<(u16, String), Error>>) -> Self {
        FakePoster {
            calls: Mutex::new(Vec::new()),
            answers: Mutex::new(answers.into_iter().rev().collect()),
        }
    }
    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

impl FormPoster for FakePoster {
    fn post_form(
        &self,
        url: &str,
        basic_auth: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> Result<(u16, String), Error> {
        self.calls.lock().unwrap().push(Call {
            url: url.to_owned(),
            basic: basic_auth.map(|(a, b)| (a.to_owned(), b.to_owned())),
            form: form
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        });
        self.answers.lock().unwrap().pop().expect("no answer left")
    }
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

const TOKEN_ANSWER: &str = r#"{"token_type":"bearer","expires_in":7200,"access_token":"acc-new","scope":"tweet.read users.read follows.write offline.access","refresh_token":"ref-new"}"#;
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn scopes() -> [&'static str; 4] {
    [
        "tweet.read",
        "users.read",
        "follows.write",
        "offline.access",
    ]
}

#[test]
fn authorization_request_has_fresh_state_and_verifier() {
    let c = OAuth2Client::new("cid", "http://127.0.0.1:8765/callback", scopes());
    let a = c.authorization_request().unwrap();
    let b = c.authorization_request().unwrap();
    assert_ne!(a.state, b.state);
    assert_ne!(a.verifier, b.verifier);
    assert_eq!(a.verifier.expose().len(), 64);
    let expected = c
        .authorization_request_with(a.state.clone(), a.verifier.clone())
        .url;
    assert_eq!(a.url, expected);
    let AuthorizationRequest { url, .. } = c
        .with_authorize_url("http://127.0.0.1:9/i/oauth2/authorize")
        .authorization_request_with("S".into(), CodeVerifier::from_string(VERIFIER).unwrap());
    assert_eq!(
        url,
        "http://127.0.0.1:9/i/oauth2/authorize?response_type=code&client_id=cid\
         &redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback\
         &scope=tweet.read%20users.read%20follows.write%20offline.access&state=S\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    );
}

#[test]
fn public_client_exchange_sends_client_id_in_the_body() {
    let c = OAuth2Client::new("cid", "http://127.0.0.1:8765/callback", scopes());
    let p = FakePoster::new(vec![Ok((200, TOKEN_ANSWER.to_owned()))]);
    let v = CodeVerifier::from_string(VERIFIER).unwrap();
    let t = c.exchange(&p, "the-code", &v, 1_000).unwrap();
    assert_eq!(t.access_token.expose(), "acc-new");
    assert_eq!(t.refresh_token.unwrap().expose(), "ref-new");
    assert_eq!(t.expires_at, Some(8_200));
    assert_eq!(t.scopes, scopes());
    assert_eq!(
        p.calls(),
        vec![Call {
            url: "https://api.x.com/2/oauth2/token".into(),
            basic: None,
            form: pairs(&[
                ("grant_type", "authorization_code"),
                ("code", "the-code"),
                ("redirect_uri", "http://127.0.0.1:8765/callback"),
                ("code_verifier", VERIFIER),
                ("client_id", "cid"),
            ]),
        }]
    );
}

#[test]
fn confidential_client_uses_basic_auth() {
    let c = OAuth2Client::new("cid", "http://127.0.0.1:8765/callback", scopes())
        .with_client_secret("csecret")
        .with_api_base("http://127.0.0.1:4000");
    let p = FakePoster::new(vec![
        Ok((200, TOKEN_ANSWER.to_owned())),
        Ok((200, TOKEN_ANSWER.to_owned())),
        Ok((200, r#"{"revoked":true}"#.to_owned())),
    ]);
    let v = CodeVerifier::from_string(VERIFIER).unwrap();
    c.exchange(&p, "code1", &v, 0).unwrap();
    c.refresh(&p, &Secret::new("ref-old"), 0).unwrap();
    c.revoke(&p, &Secret::new("acc-x"), TokenTypeHint::AccessToken)
        .unwrap();
    let basic = Some(("cid".to_owned(), "csecret".to_owned()));
    assert_eq!(
        p.calls(),
        vec![
            Call {
                url: "http://127.0.0.1:4000/2/oauth2/token".into(),
                basic: basic.clone(),
                form: pairs(&[
                    ("grant_type", "authorization_code"),
                    ("code", "code1"),
                    ("redirect_uri", "http://127.0.0.1:8765/callback"),
                    ("code_verifier", VERIFIER),
                ]),
            },
            Call {
                url: "http://127.0.0.1:4000/2/oauth2/token".into(),
                basic: basic.clone(),
                form: pairs(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", "ref-old")
                ]),
            },
            Call {
                url: "http://127.0.0.1:4000/2/oauth2/revoke".into(),
                basic,
                form: pairs(&[("token", "acc-x"), ("token_type_hint", "access_token")]),
            },
        ]
    );
}

#[test]
fn public_refresh_and_revoke_forms() {
    let c = OAuth2Client::new("cid", "http://127.0.0.1:1/cb", scopes());
    let p = FakePoster::new(vec![
        Ok((200, TOKEN_ANSWER.to_owned())),
        Ok((200, r#"{"revoked":true}"#.to_owned())),
    ]);
    c.refresh(&p, &Secret::new("ref-old"), 0).unwrap();
    c.revoke(&p, &Secret::new("ref-new"), TokenTypeHint::RefreshToken)
        .unwrap();
    let calls = p.calls();
    assert_eq!(
        calls[0].form,
        pairs(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "ref-old"),
            ("client_id", "cid")
        ])
    );
    assert_eq!(
        calls[1].form,
        pairs(&[
            ("token", "ref-new"),
            ("token_type_hint", "refresh_token"),
            ("client_id", "cid")
        ])
    );
    assert_eq!(calls[1].url, "https://api.x.com/2/oauth2/revoke");
    assert_eq!(
        encode_form(&[("token", "a b"), ("token_type_hint", "refresh_token")]),
        "token=a%20b&token_type_hint=refresh_token"
    );
}

#[test]
fn a_dead_refresh_token_gives_the_provider_message() {
    let c = OAuth2Client::new("cid", "http://127.0.0.1:1/cb", scopes());
    let p = FakePoster::new(vec![Ok((
        400,
        r#"{"error":"invalid_request","error_description":"Value passed for the token was invalid."}"#
            .to_owned(),
    ))]);
    let e = c.refresh(&p, &Secret::new("ref-dead"), 0).unwrap_err();
    assert_eq!(
        e,
        Error::OAuth {
            status: 400,
            error: "invalid_request".into(),
            description: Some("Value passed for the token was invalid.".into())
        }
    );
    assert!(e.is_auth() && e.is_permanent());
}

#[test]
fn secrets_echoed_by_the_provider_are_scrubbed() {
    let c =
        OAuth2Client::new("cid", "http://127.0.0.1:1/cb", scopes()).with_client_secret("csecret-1");
    let p = FakePoster::new(vec![
        Ok((
            400,
            r#"{"error":"invalid_grant","error_description":"refresh token ref-secret-9 unknown"}"#
                .to_owned(),
        )),
        Ok((
            401,
            r#"{"error":"invalid_client","error_description":"bad secret csecret-1"}"#.to_owned(),
        )),
    ]);
    let e = c.refresh(&p, &Secret::new("ref-secret-9"), 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "token endpoint refused the request (HTTP 400, invalid_grant): refresh token <redacted> unknown"
    );
    let e = c.refresh(&p, &Secret::new("ref-secret-9"), 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "token endpoint refused the request (HTTP 401, invalid_client): bad secret <redacted>"
    );
}

#[test]
fn confidential_client_without_basic_auth_error() {
    let c = OAuth2Client::new("cid", "http://127.0.0.1:1/cb", scopes());
    let p = FakePoster::new(vec![Ok((
        401,
        r#"{"error":"unauthorized_client","error_description":"Missing valid authorization header"}"#
            .to_owned(),
    ))]);
    let v = CodeVerifier::from_string(VERIFIER).unwrap();
    assert_eq!(
        c.exchange(&p, "code", &v, 0).unwrap_err().to_string(),
        "token endpoint refused the request (HTTP 401, unauthorized_client): Missing valid authorization header"
    );
}

#[test]
fn transport_errors_and_odd_answers() {
    let c = OAuth2Client::new("cid", "http://127.0.0.1:1/cb", scopes());
    let p = FakePoster::new(vec![
        Err(Error::Transport("connection refused".into())),
        Ok((200, "not json".into())),
        Ok((503, "<html>down</html>".into())),
        Ok((200, r#"{"revoked":false}"#.into())),
        Ok((400, r#"{"error":"unsupported_token_type"}"#.into())),
    ]);
    let rt = Secret::new("r");
    assert_eq!(
        c.refresh(&p, &rt, 0),
        Err(Error::Transport("connection refused".into()))
    );
    assert_eq!(
        c.refresh(&p, &rt, 0),
        Err(Error::InvalidResponse(
            "token answer is not a JSON object (syntax)".into()
        ))
    );
    let e = c.refresh(&p, &rt, 0).unwrap_err();
    assert_eq!(
        e,
        Error::Http {
            status: 503,
            message: "unexpected answer (17 bytes)".into()
        }
    );
    assert!(!e.is_permanent());
    assert_eq!(
        c.revoke(&p, &rt, TokenTypeHint::AccessToken),
        Err(Error::InvalidResponse("the token was not revoked".into()))
    );
    assert_eq!(
        c.revoke(&p, &rt, TokenTypeHint::AccessToken),
        Err(Error::OAuth {
            status: 400,
            error: "unsupported_token_type".into(),
            description: None
        })
    );
}

#[test]
fn a_closure_is_a_poster_and_drives_a_refresher() {
    // A rotating token endpoint as a closure: ref-N is live only while N is the newest.
    let live = Arc::new(Mutex::new(0usize));
    let calls = Arc::new(AtomicUsize::new(0));
    let (l, n) = (live.clone(), calls.clone());
    let poster = move |url: &str, basic: Option<(&str, &str)>, form: &[(&str, &str)]| {
        n.fetch_add(1, Ordering::SeqCst);
        assert_eq!(url, "http://127.0.0.1:4000/2/oauth2/token");
        assert_eq!(basic, None);
        let rt = form.iter().find(|(k, _)| *k == "refresh_token").unwrap().1;
        let mut live = l.lock().unwrap();
        if rt != format!("ref-{}", *live) {
            return Ok((
                400,
                r#"{"error":"invalid_request","error_description":"Value passed for the token was invalid."}"#
                    .to_owned(),
            ));
        }
        *live += 1;
        Ok((
            200,
            format!(
                r#"{{"token_type":"bearer","expires_in":0,"access_token":"acc-{0}","refresh_token":"ref-{0}","scope":"users.read offline.access"}}"#,
                *live
            ),
        ))
    };
    let client = Arc::new(
        OAuth2Client::new("cid", "http://127.0.0.1:1/cb", scopes())
            .with_api_base("http://127.0.0.1:4000"),
    );
    let initial = TokenSet::new("acc-0", Some(Secret::new("ref-0")), Some(0), vec![]);
    let r = Refresher::builder(initial, client.refresh_fn(poster))
        .margin(Duration::ZERO)
        .build();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let r = r.clone();
            std::thread::spawn(move || r.after_unauthorized("acc-0").unwrap())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().expose(), "acc-1");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(r.token_set().scopes, vec!["users.read", "offline.access"]);
}
