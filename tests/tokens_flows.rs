//! Both token flows end to end against the emulator, and the refreshing client: the test
//! plays the browser (the emulator approves at once) and delivers the redirect to the
//! loopback receiver, or reads the PIN from the page.

mod support;

use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;
use xfollow::tokens::oauth1::{AccessType, AuthorizeOptions};
use xfollow::tokens::oauth2::TokenTypeHint;
use xfollow::tokens::{OAuth1Flow, OAuth2Flow, RedirectReceiver, TokenSet, TokenStore};
use xfollow::{Client, ErrorKind, OAuth2Refreshing};

const SCOPES: [&str; 4] = [
    "tweet.read",
    "users.read",
    "follows.write",
    "offline.access",
];

struct Page {
    status: u16,
    location: Option<String>,
    verifier_header: Option<String>,
    body: String,
}

/// What a browser gets for `url` (no redirect followed).
fn browse(url: &str) -> Page {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent();
    let mut r = agent.get(url).call().expect("browser request");
    let h = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (location, verifier_header) = (h("location"), h("x-oauth-verifier"));
    Page {
        status: r.status().as_u16(),
        location,
        verifier_header,
        body: r.body_mut().read_to_string().unwrap(),
    }
}

/// The PIN in `<code id="pin">…</code>`.
fn pin_of(page: &Page) -> String {
    let start = page.body.find("<code id=\"pin\">").expect("pin element") + 15;
    let end = start + page.body[start..].find("</code>").unwrap();
    page.body[start..end].to_owned()
}

/// The emulator with both demo apps accepting `redirect` as well.
fn emulator_for(redirect: &str) -> Emulator {
    Emulator::start_with(json!({"apps": [
        {"id": "demo", "consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET,
         "client_id": "demo-client-id", "client_secret": null,
         "redirect_uris": ["http://127.0.0.1:8765/callback", redirect]},
        {"id": "demo-confidential", "consumer_key": "confidential-consumer-key",
         "consumer_secret": "confidential-consumer-secret",
         "client_id": "confidential-client-id", "client_secret": "confidential-client-secret",
         "redirect_uris": [redirect]}
    ]}))
}

#[test]
fn oauth1_pin_flow_then_follow() {
    let e = Emulator::start();
    let flow = OAuth1Flow::new(CONSUMER_KEY, CONSUMER_SECRET)
        .unwrap()
        .base_url(&e.base)
        .unwrap()
        .access_type(Some(AccessType::Write));
    assert_eq!(flow.callback_url(), "oob");
    let req = flow.request_token().unwrap();
    let url = flow.authorize_url(&req.token, &AuthorizeOptions::default());
    assert_eq!(
        url,
        format!("{}/oauth/authorize?oauth_token={}", e.base, req.token)
    );
    let page = browse(&format!("{url}&as_user=bob"));
    assert_eq!(page.status, 200);
    let pin = pin_of(&page);
    assert_eq!(pin.len(), 7);
    assert_eq!(page.verifier_header.as_deref(), Some(pin.as_str()));

    // A wrong PIN is refused by the provider, in plain text: its words are the detail.
    let err = flow.access_token(&req, "0000000x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err:?}");
    let said = "Error processing your OAuth request: Invalid oauth_verifier parameter";
    assert_eq!(err.message(), format!("HTTP 401: {said}"));
    assert_eq!(err.problem().detail.as_deref(), Some(said));

    let req = flow.request_token().unwrap();
    let page = browse(&format!(
        "{}&as_user=bob",
        flow.authorize_url(&req.token, &AuthorizeOptions::default())
    ));
    let creds = flow
        .access_token(&req, &format!(" {}\n", pin_of(&page)))
        .unwrap();
    assert_eq!(creds.user_id.as_deref(), Some(BOB));
    assert_eq!(creds.screen_name.as_deref(), Some("bob"));
    assert!(creds.token.expose().starts_with(&format!("{BOB}-")));

    let c = e
        .builder()
        .oauth1(
            CONSUMER_KEY,
            CONSUMER_SECRET,
            creds.token,
            creds.token_secret,
        )
        .build()
        .unwrap();
    assert!(c.follow(None, ERIN).unwrap().following);
    assert!(e.follows(BOB, ERIN));
}

#[test]
fn oauth1_callback_flow_through_the_loopback_receiver() {
    let receiver = RedirectReceiver::bind(0, "/callback").unwrap();
    let redirect = receiver.redirect_uri();
    let e = emulator_for(&redirect);
    let flow = OAuth1Flow::new(CONSUMER_KEY, CONSUMER_SECRET)
        .unwrap()
        .callback(redirect.clone())
        .unwrap()
        .base_url(&e.base)
        .unwrap();
    let req = flow.request_token().unwrap();
    let url = flow.authenticate_url(
        &req.token,
        &AuthorizeOptions {
            force_login: true,
            screen_name: Some("erin".into()),
        },
    );
    assert_eq!(
        url,
        format!(
            "{}/oauth/authenticate?oauth_token={}&force_login=true&screen_name=erin",
            e.base, req.token
        )
    );
    let browser = std::thread::spawn(move || {
        let page = browse(&url);
        assert_eq!(page.status, 302);
        let loc = page.location.expect("redirect");
        assert!(loc.starts_with(&redirect), "{loc}");
        browse(&loc)
    });
    let verifier = receiver
        .wait_oauth1(&req.token, Duration::from_secs(10))
        .unwrap();
    let page = browser.join().unwrap();
    assert_eq!(page.status, 200);
    let creds = flow.access_token(&req, verifier.expose()).unwrap();
    assert_eq!(creds.user_id.as_deref(), Some(ERIN));
    assert_eq!(creds.screen_name.as_deref(), Some("erin"));
    // The request token is spent.
    let err = flow.access_token(&req, verifier.expose()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
}

#[test]
fn oauth1_bad_consumer_secret_is_unauthorized() {
    let e = Emulator::start();
    let flow = OAuth1Flow::new(CONSUMER_KEY, "wrong")
        .unwrap()
        .base_url(&e.base)
        .unwrap();
    let err = flow.request_token().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.http_status(), Some(401));
    assert!(!err.message().contains("wrong"));
}

#[test]
fn default_endpoints_are_x() {
    let flow = OAuth1Flow::new("k", "s").unwrap();
    assert_eq!(
        flow.authorize_url("t", &AuthorizeOptions::default()),
        "https://x.com/oauth/authorize?oauth_token=t"
    );
    let f = OAuth2Flow::new("id", "http://127.0.0.1:1/cb", SCOPES).unwrap();
    assert_eq!(
        f.oauth2_client().token_url(),
        "https://api.x.com/2/oauth2/token"
    );
    assert!(f
        .authorization_request()
        .unwrap()
        .url
        .starts_with("https://x.com/i/oauth2/authorize?response_type=code&client_id=id&"));
    let e = OAuth1Flow::new("k", "s")
        .unwrap()
        .base_url("http://api.x.com")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

/// Runs the PKCE flow as a browser would and returns the token set.
/// A fresh loopback receiver, an emulator whose apps redirect to it, and the PKCE flow of
/// `client_id` on that emulator.
fn pkce_flow(client_id: &str) -> (RedirectReceiver, Emulator, OAuth2Flow) {
    let receiver = RedirectReceiver::bind(0, "/callback").unwrap();
    let redirect = receiver.redirect_uri();
    let e = emulator_for(&redirect);
    let flow = OAuth2Flow::new(client_id, redirect, SCOPES)
        .unwrap()
        .base_url(&e.base)
        .unwrap();
    (receiver, e, flow)
}

fn pkce_login(flow: &OAuth2Flow, receiver: RedirectReceiver, as_user: &str) -> TokenSet {
    let req = flow.authorization_request().unwrap();
    let url = format!("{}&as_user={as_user}", req.url);
    let browser = std::thread::spawn(move || {
        let page = browse(&url);
        assert_eq!(page.status, 302, "{}", page.body);
        browse(&page.location.unwrap())
    });
    let resp = receiver.wait(&req.state, Duration::from_secs(10)).unwrap();
    assert_eq!(browser.join().unwrap().status, 200);
    flow.exchange(resp.code.expose(), req.verifier.expose())
        .unwrap()
}

#[test]
fn pkce_public_client_end_to_end() {
    let (receiver, e, flow) = pkce_flow("demo-client-id");
    assert_eq!(
        flow.oauth2_client().authorize_url(),
        format!("{}/i/oauth2/authorize", e.base)
    );
    let before = xfollow::tokens::unix_now();
    let set = pkce_login(&flow, receiver, "alice");
    assert_eq!(set.scopes, SCOPES);
    let at = set.expires_at.unwrap();
    assert!(at >= before + 7200 && at <= xfollow::tokens::unix_now() + 7200);
    let c = e
        .builder()
        .oauth2_token(set.access_token.clone())
        .build()
        .unwrap();
    assert!(c.follow(None, ERIN).unwrap().following);
    assert!(e.follows(ALICE, ERIN));

    // Refresh rotates; the old refresh token is then dead, with the provider's message.
    let old = set.refresh_token.clone().unwrap();
    let new = flow.refresh(old.expose()).unwrap();
    assert_ne!(new.refresh_token, set.refresh_token);
    let err = flow.refresh(old.expose()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.http_status(), Some(400));
    assert_eq!(
        err.message(),
        "token endpoint refused the request (HTTP 400, invalid_request): Value passed for the token was invalid."
    );
    assert_eq!(err.problem().title.as_deref(), Some("invalid_request"));
    assert_eq!(
        err.problem().detail.as_deref(),
        Some("Value passed for the token was invalid.")
    );

    // Revoke the access token: the API refuses it afterwards.
    flow.revoke(new.access_token.expose(), TokenTypeHint::AccessToken)
        .unwrap();
    let c = e
        .builder()
        .oauth2_token(new.access_token.clone())
        .build()
        .unwrap();
    assert_eq!(
        c.follow(Some(ALICE), BOB).unwrap_err().kind(),
        ErrorKind::Unauthorized
    );
}

#[test]
fn pkce_confidential_client_uses_basic_auth() {
    let (receiver, e, public) = pkce_flow("confidential-client-id");
    let flow = public.clone().client_secret("confidential-client-secret");
    let set = pkce_login(&flow, receiver, "erin");
    let c = e
        .builder()
        .oauth2_token(set.access_token.clone())
        .build()
        .unwrap();
    assert_eq!(c.me().unwrap().id, ERIN);
    let refreshed = flow.refresh(set.refresh_token.unwrap().expose()).unwrap();
    assert!(refreshed.refresh_token.is_some());

    // Without the secret the emulator (as X) wants Basic auth.
    let err = public
        .refresh(refreshed.refresh_token.unwrap().expose())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(
        err.message(),
        "token endpoint refused the request (HTTP 401, unauthorized_client): Missing valid authorization header"
    );
}

#[test]
fn state_mismatch_is_refused_by_the_receiver() {
    let (receiver, _emulator, flow) = pkce_flow("demo-client-id");
    let req = flow.authorization_request().unwrap();
    let url = req.url.clone();
    let browser = std::thread::spawn(move || {
        let page = browse(&url);
        browse(&page.location.unwrap())
    });
    // The callback carries another state: the browser gets a failure page, and the receiver
    // waits on for the right one until its timeout.
    let err = receiver
        .wait("another-state", Duration::from_secs(1))
        .unwrap_err();
    assert_eq!(
        err,
        xfollow::tokens::Error::RedirectTimeout {
            waited: Duration::from_secs(1)
        }
    );
    assert_eq!(browser.join().unwrap().status, 400);
    assert_eq!(
        xfollow::Error::from(xfollow::tokens::Error::StateMismatch).kind(),
        ErrorKind::Unauthorized
    );
}

/// An emulator whose app redirects to a fresh receiver, the PKCE flow on it, and alice's
/// token set from a login through that flow.
fn logged_in() -> (Emulator, OAuth2Flow, TokenSet) {
    let (receiver, e, flow) = pkce_flow("demo-client-id");
    let set = pkce_login(&flow, receiver, "alice");
    (e, flow, set)
}

#[test]
fn refreshing_client_refreshes_after_401_persists_first_and_stores_0600() {
    let (e, flow, set) = logged_in();
    let store_path = temp_dir().join("tokens.json");
    let seen: Arc<Mutex<Vec<TokenSet>>> = Arc::default();
    let s2 = seen.clone();
    let sp = store_path.clone();
    let c = e
        .builder()
        .oauth2_refreshing(
            OAuth2Refreshing::new(set.clone(), "demo-client-id")
                .on_refresh(move |t| {
                    // Called before the store is written (the refresh holds the store's lock,
                    // so read the file directly) and before the token is used.
                    let on_disk = std::fs::read_to_string(&sp).unwrap_or_default();
                    assert!(!on_disk.contains(t.access_token.expose()));
                    s2.lock().unwrap().push(t.clone());
                    Ok(())
                })
                .token_store(&store_path),
        )
        .build()
        .unwrap();
    assert_eq!(c.token_set().unwrap(), set);
    assert!(c.follow(None, BOB).unwrap().following);
    assert!(seen.lock().unwrap().is_empty());

    // The emulator's clock passes the expiry: the API answers 401, the client refreshes once
    // and sends again.
    e.advance(7300);
    assert!(c.follow(None, ERIN).unwrap().following);
    assert!(e.follows(ALICE, ERIN));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let now_set = c.token_set().unwrap();
    assert_eq!(now_set, seen[0]);
    assert_ne!(now_set.access_token, set.access_token);
    let stored = TokenStore::new(&store_path).load().unwrap().unwrap();
    assert_eq!(stored, now_set);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&store_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The stored refresh token is the live one.
    flow.refresh(stored.refresh_token.unwrap().expose())
        .unwrap();
}

/// X's refresh tokens are single-use: two clients built from one refreshing credential (one
/// builder built twice, or a copy of it, as x_client_new does with one x_config) must share
/// one refresher, or the second spends the refresh token the first already spent.
#[test]
fn clients_built_from_one_refreshing_credential_share_one_refresher() {
    let (e, _flow, set) = logged_in();
    let refreshes = Arc::new(AtomicUsize::new(0));
    let r2 = refreshes.clone();
    let builder = e.builder().oauth2_refreshing(
        OAuth2Refreshing::new(set.clone(), "demo-client-id").on_refresh(move |_| {
            r2.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }),
    );
    let a = builder.build().unwrap();
    let b = builder.build().unwrap();
    let c = builder.clone().build().unwrap();
    // Past the expiry: the API answers 401 and the clients refresh.
    e.advance(7300);
    assert!(a.follow(Some(ALICE), BOB).unwrap().following);
    assert!(b.follow(Some(ALICE), ERIN).unwrap().following);
    assert!(!c.unfollow(Some(ALICE), BOB).unwrap().following);
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
    let now = a.token_set().unwrap();
    assert_ne!(now.access_token, set.access_token);
    assert_eq!(b.token_set().unwrap(), now);
    assert_eq!(c.token_set().unwrap(), now);
    // A credential set again is a new token set with its own refresher.
    let d = e
        .builder()
        .oauth2_refreshing(OAuth2Refreshing::new(now.clone(), "demo-client-id"))
        .build()
        .unwrap();
    assert_eq!(d.token_set().unwrap(), now);
}

#[test]
fn refreshing_client_refreshes_before_expiry() {
    let (e, flow, set) = logged_in();
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    // A margin longer than the lifetime: every call refreshes first.
    let c = e
        .builder()
        .oauth2_refreshing(
            OAuth2Refreshing::new(set.clone(), "demo-client-id")
                .margin(Duration::from_secs(8000))
                .on_refresh(move |_| {
                    c2.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }),
        )
        .build()
        .unwrap();
    assert!(c.follow(Some(ALICE), BOB).unwrap().following);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_ne!(c.token_set().unwrap().access_token, set.access_token);
    // The refresh token of the login is spent.
    let err = flow
        .refresh(set.refresh_token.unwrap().expose())
        .unwrap_err();
    assert_eq!(err.http_status(), Some(400));
}

#[test]
fn revoked_refresh_token_gives_an_auth_error_with_the_provider_message_once() {
    let (e, flow, set) = logged_in();
    flow.revoke(
        set.refresh_token.as_ref().unwrap().expose(),
        TokenTypeHint::RefreshToken,
    )
    .unwrap();
    let c: Client = e
        .builder()
        .oauth2_refreshing(OAuth2Refreshing::new(set, "demo-client-id"))
        .build()
        .unwrap();
    e.advance(7300);
    let before = e.user_counter(ALICE, "follow_requests");
    for _ in 0..2 {
        let err = c.follow(Some(ALICE), BOB).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized);
        assert_eq!(err.http_status(), Some(400));
        assert_eq!(
            err.message(),
            "refreshing the OAuth 2.0 access token failed: token endpoint refused the request (HTTP 400, invalid_request): Value passed for the token was invalid."
        );
    }
    // One request with the expired token, then no loop: the second call fails at once.
    assert_eq!(e.user_counter(ALICE, "follow_requests") - before, 1);
}

#[test]
fn refreshing_credentials_are_checked() {
    let e = Emulator::start();
    let no_refresh = TokenSet::new("abc", None, None, vec![]);
    let err = e
        .builder()
        .oauth2_refreshing(OAuth2Refreshing::new(no_refresh, "demo-client-id"))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        err.message(),
        "the token set has no refresh token (request the offline.access scope)"
    );
    let c = e.alice_oauth2();
    assert!(c.token_set().is_none());
}
