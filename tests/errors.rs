//! Every error path against the emulator: codes, messages, problem fields, rate limits.

mod support;

use serde_json::json;
use std::time::{Duration, Instant};
use support::*;
use xfollow::{Client, Endpoint, ErrorKind, RetryPolicy};

/// Alice's client making one attempt per call and keeping no quota ledger: these tests read
/// each error exactly as the emulator gave it (retries and the ledger have tests/limits.rs).
fn alice(e: &Emulator) -> Client {
    e.builder()
        .oauth1(CONSUMER_KEY, CONSUMER_SECRET, ALICE_TOKEN, ALICE_SECRET)
        .retry(RetryPolicy::never())
        .quota("off")
        .build()
        .unwrap()
}

const FOLLOW_ROUTE: &str = "POST /2/users/*/following";

#[test]
fn http_400_invalid_request() {
    let e = Emulator::start();
    let c = alice(&e);
    let body = r#"{"errors":[{"parameters":{"id":["1111"]},"message":"The id query parameter value [1111] is not valid"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}"#;
    e.fault(
        json!({"route": FOLLOW_ROUTE, "kind": "status", "status": 400, "body": body,
                   "content_type": "application/problem+json"}),
    );
    let err = c.follow(None, BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.http_status(), Some(400));
    assert_eq!(err.problem().title.as_deref(), Some("Invalid Request"));
    assert_eq!(err.problem().type_suffix(), Some("invalid-request"));
    assert_eq!(err.errors().len(), 1);
    assert_eq!(err.errors()[0].code, None);
    assert_eq!(
        err.message(),
        "HTTP 400 Invalid Request: One or more parameters to your request was invalid. [The id query parameter value [1111] is not valid]"
    );
    assert!(!e.follows(ALICE, BOB));
}

#[test]
fn http_401_bad_secret() {
    let e = Emulator::start();
    let c = e
        .builder()
        .oauth1(CONSUMER_KEY, "not-the-secret", ALICE_TOKEN, ALICE_SECRET)
        .build()
        .unwrap();
    let err = c.follow(None, BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.http_status(), Some(401));
    assert_eq!(err.problem().title.as_deref(), Some("Unauthorized"));
    assert_eq!(err.errors()[0].code, Some(32));
    assert_eq!(
        err.message(),
        "HTTP 401 Unauthorized [code 32: Could not authenticate you.]"
    );
    assert!(!err.message().contains("not-the-secret"));
    assert!(!format!("{err:?}").contains("not-the-secret"));
    assert!(!format!("{c:?}").contains("not-the-secret"));
    assert!(!format!("{c:?}").contains(ALICE_SECRET));
    assert!(!e.follows(ALICE, BOB));

    let c = e.builder().oauth2_token("no-such-token").build().unwrap();
    let err = c.me().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(!err.message().contains("no-such-token"));
}

#[test]
fn http_401_stale_timestamp() {
    let e = Emulator::start();
    let c = e
        .builder()
        .oauth1(CONSUMER_KEY, CONSUMER_SECRET, ALICE_TOKEN, ALICE_SECRET)
        .clock_offset(-3600)
        .build()
        .unwrap();
    let err = c.follow(None, BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.errors()[0].code, Some(135));
    assert_eq!(
        err.message(),
        "HTTP 401 Unauthorized [code 135: Timestamp out of bounds.]"
    );
}

#[test]
fn http_403_enrollment_body_keeps_every_field() {
    let e = Emulator::start();
    let c = e.alice_oauth2();
    let body = r#"{"client_id":"101010101","required_enrollment":"Appropriate Level of API Access","registration_url":"https://developer.x.com/en/portal/product","title":"Client Forbidden","detail":"This request must be made using an approved developer account that is enrolled in the requested endpoint. Learn more by visiting our documentation.","reason":"client-not-enrolled","type":"https://api.twitter.com/2/problems/client-forbidden"}"#;
    e.fault(
        json!({"route": FOLLOW_ROUTE, "kind": "status", "status": 403, "body": body,
                   "content_type": "application/problem+json"}),
    );
    let err = c.follow(Some(ALICE), BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert_eq!(err.http_status(), Some(403));
    let p = err.problem();
    assert_eq!(p.title.as_deref(), Some("Client Forbidden"));
    assert_eq!(p.reason.as_deref(), Some("client-not-enrolled"));
    assert_eq!(
        p.required_enrollment.as_deref(),
        Some("Appropriate Level of API Access")
    );
    assert_eq!(
        p.registration_url.as_deref(),
        Some("https://developer.x.com/en/portal/product")
    );
    assert_eq!(p.client_id.as_deref(), Some("101010101"));
    assert_eq!(
        p.type_uri.as_deref(),
        Some("https://api.twitter.com/2/problems/client-forbidden")
    );
    assert_eq!(p.type_suffix(), Some("client-forbidden"));
    assert_eq!(
        err.message(),
        "HTTP 403 Client Forbidden: This request must be made using an approved developer account that is enrolled in the requested endpoint. Learn more by visiting our documentation. (reason: client-not-enrolled) (required enrollment: Appropriate Level of API Access)"
    );
}

#[test]
fn http_429_problem_shape_after_the_window_is_spent() {
    let e = Emulator::start_with(json!({"limits": {"follow_per_15min": 3}}));
    let c = alice(&e);
    for t in [BOB, ERIN, XDEV] {
        c.follow(None, t).unwrap();
    }
    let err = c.follow(None, CAROL).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.http_status(), Some(429));
    assert_eq!(err.problem().title.as_deref(), Some("Too Many Requests"));
    let w = err.rate_limit().endpoint.unwrap();
    assert_eq!((w.limit, w.remaining), (3, 0));
    assert_eq!(err.retry_at(), Some(w.reset));
    assert!(w.reset > e.now() && w.reset <= e.now() + 900);
    assert_eq!(
        err.message(),
        format!("HTTP 429 Too Many Requests (retry at {})", w.reset)
    );
    assert_eq!(c.rate_limit(Endpoint::Follow), Some(*err.rate_limit()));
    assert!(!e.pending(ALICE, CAROL));
}

#[test]
fn http_429_binding_window_is_the_latest_exhausted_one() {
    let e = Emulator::start_with(
        json!({"limits": {"follow_per_15min": 50, "follows_per_user_day": 2}}),
    );
    let c = alice(&e);
    c.follow(None, BOB).unwrap();
    c.follow(None, ERIN).unwrap();
    let err = c.follow(None, XDEV).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    let rl = *err.rate_limit();
    let day = rl.user_24h.unwrap();
    let window = rl.endpoint.unwrap();
    assert_eq!((day.limit, day.remaining), (2, 0));
    assert!(window.remaining > 0, "{rl:?}");
    assert!(day.reset > window.reset);
    assert_eq!(err.retry_at(), Some(day.reset));
    assert!(
        err.message()
            .ends_with(&format!("(retry at {})", day.reset)),
        "{}",
        err.message()
    );
    assert!(!e.follows(ALICE, XDEV));
}

#[test]
fn http_429_legacy_shape() {
    let e = Emulator::start();
    let c = alice(&e);
    e.fault(
        json!({"route": FOLLOW_ROUTE, "kind": "status", "status": 429,
                   "body": r#"{"errors":[{"code":88,"message":"Rate limit exceeded"}]}"#,
                   "content_type": "application/json"}),
    );
    let err = c.follow(None, BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.http_status(), Some(429));
    assert_eq!(err.errors().len(), 1);
    assert_eq!(err.errors()[0].code, Some(88));
    assert_eq!(
        err.errors()[0].message.as_deref(),
        Some("Rate limit exceeded")
    );
    assert!(err.problem().title.is_none());
    let reset = err.retry_at().expect("a reset");
    assert_eq!(
        err.message(),
        format!("HTTP 429 [code 88: Rate limit exceeded] (retry at {reset})")
    );
}

#[test]
fn http_5xx() {
    let e = Emulator::start();
    let c = alice(&e);
    e.fault(json!({"route": FOLLOW_ROUTE, "kind": "status", "status": 503}));
    let err = c.follow(None, BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.http_status(), Some(503));
    assert_eq!(err.message(), "HTTP 503 Service Unavailable");
    assert!(err.may_have_reached_server());
    e.fault(
        json!({"route": "DELETE /2/users/*/following/*", "kind": "status", "status": 500,
                   "body": "<html>oops</html>", "content_type": "text/html"}),
    );
    let err = c.unfollow(None, BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.http_status(), Some(500));
    assert_eq!(err.message(), "HTTP 500 server error (HTTP 5xx)");
    // The client still works afterwards.
    assert!(c.follow(None, BOB).unwrap().following);
}

#[test]
fn malformed_json() {
    let e = Emulator::start();
    let c = alice(&e);
    e.fault(json!({"route": FOLLOW_ROUTE, "kind": "malformed"}));
    let err = c.follow(None, BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(err.http_status(), Some(200));
    assert!(
        err.message()
            .starts_with("malformed JSON in HTTP 200 response: "),
        "{}",
        err.message()
    );
    assert!(err.rate_limit().endpoint.is_some());
    // The malformed fault takes effect on the server.
    assert!(e.follows(ALICE, BOB));
}

#[test]
fn truncated_body() {
    let e = Emulator::start();
    let c = alice(&e);
    e.fault(json!({"route": FOLLOW_ROUTE, "kind": "truncate"}));
    let err = c.follow(None, BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(err.http_status(), Some(200));
    assert_eq!(
        err.message(),
        "connection closed before the whole response body arrived"
    );
    assert!(err.may_have_reached_server());
    assert!(c.follow(None, BOB).unwrap().following);
}

#[test]
fn connection_reset() {
    let e = Emulator::start();
    let c = alice(&e);
    e.fault(json!({"route": FOLLOW_ROUTE, "kind": "reset"}));
    let err = c.follow(None, BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(err.http_status(), None);
    assert!(
        err.message().starts_with("connection lost: "),
        "{}",
        err.message()
    );
    assert!(err.may_have_reached_server());
    assert!(err.rate_limit().is_empty());
    assert!(!e.follows(ALICE, BOB));
}

#[test]
fn timeout_on_a_slow_response() {
    let e = Emulator::start();
    let c = e
        .builder()
        .oauth1(CONSUMER_KEY, CONSUMER_SECRET, ALICE_TOKEN, ALICE_SECRET)
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    e.fault(json!({"route": FOLLOW_ROUTE, "kind": "delay", "delay_ms": 1500}));
    let start = Instant::now();
    let err = c.follow(None, BOB).unwrap_err();
    assert!(start.elapsed() < Duration::from_millis(1400));
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.message().starts_with("timed out"), "{}", err.message());
    assert!(err.may_have_reached_server());
}

#[test]
fn missing_rate_headers() {
    let e = Emulator::start();
    let c = alice(&e);
    e.fault(json!({"route": FOLLOW_ROUTE, "kind": "no_rate_headers"}));
    let o = c.follow(None, BOB).unwrap();
    assert!(o.following);
    assert!(o.rate_limit.is_empty());
}

#[test]
fn connection_refused_provably_not_sent() {
    // A port that was just free.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = xfollow::Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .oauth2_token("t")
        .build()
        .unwrap();
    let err = c.follow(Some(ALICE), BOB).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(err.message(), "connection refused");
    assert!(!err.may_have_reached_server());
}
