//! The X API routes: shapes, validation, errors, both auth modes.

mod common;
use common::*;
use serde_json::{json, Value};

#[test]
fn follow_with_oauth1_then_state_shows_the_edge() {
    let emu = Emu::start();
    let mut c = emu.client();
    let auth = emu.alice("POST", &follow_path(ALICE));
    let r = c.follow(ALICE, BOB, &auth);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.h("content-type"), "application/json; charset=utf-8");
    assert_eq!(
        r.json(),
        json!({"data": {"following": true, "pending_follow": false}})
    );
    assert_eq!(r.hn("x-rate-limit-limit"), 50);
    assert_eq!(r.hn("x-rate-limit-remaining"), 49);
    assert_eq!(r.hn("x-user-limit-24hour-limit"), 400);
    assert_eq!(r.hn("x-user-limit-24hour-remaining"), 399);
    assert_eq!(r.hn("x-app-limit-24hour-limit"), 1000);
    assert_eq!(r.hn("x-app-limit-24hour-remaining"), 999);
    let st = emu.state();
    let now = st["now"].as_i64().unwrap();
    assert_eq!(r.hn("x-rate-limit-reset"), now + 900);
    assert_eq!(r.hn("x-user-limit-24hour-reset"), now + 86400);
    assert!(emu.has_follow(ALICE, BOB));
    assert_eq!(st["counters"]["apps"]["demo"]["follow_requests"], 1);
    assert_eq!(st["counters"]["apps"]["demo"]["follows_24h"], 1);
    assert_eq!(st["counters"]["users"][ALICE]["follow_requests"], 1);
    assert_eq!(st["counters"]["users"][ALICE]["follows_24h"], 1);

    // Repeating succeeds with no action.
    let r = c.follow(ALICE, BOB, &emu.alice("POST", &follow_path(ALICE)));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"data": {"following": true, "pending_follow": false}})
    );
    let follows = emu.state()["follows"].as_array().unwrap().clone();
    assert_eq!(
        follows
            .iter()
            .filter(|e| **e == json!({"source": ALICE, "target": BOB}))
            .count(),
        1
    );
}

#[test]
fn follow_protected_is_pending_and_unfollow_cancels() {
    let emu = Emu::start();
    let mut c = emu.client();
    let r = c.follow(ALICE, CAROL, &bearer(ALICE_BEARER));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"data": {"following": false, "pending_follow": true}})
    );
    let r = c.follow(ALICE, CAROL, &bearer(ALICE_BEARER));
    assert_eq!(
        r.json(),
        json!({"data": {"following": false, "pending_follow": true}})
    );
    let st = emu.state();
    assert_eq!(st["pending"], json!([{"source": ALICE, "target": CAROL}]));
    let r = c.unfollow(ALICE, CAROL, &bearer(ALICE_BEARER));
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"data": {"following": false}}));
    assert_eq!(emu.state()["pending"], json!([]));
}

#[test]
fn unfollow_with_oauth1_and_repeat_is_no_action() {
    let emu = Emu::start();
    let mut c = emu.client();
    // Bob follows Alice in the demo world.
    let path = format!("/2/users/{BOB}/following/{ALICE}");
    let r = c.unfollow(
        BOB,
        ALICE,
        &emu.oauth1("DELETE", &path, BOB_TOKEN, BOB_SECRET),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"data": {"following": false}}));
    assert_eq!(r.hn("x-rate-limit-limit"), 50);
    assert_eq!(r.hn("x-rate-limit-remaining"), 49);
    assert_eq!(r.hn("x-user-limit-24hour-limit"), 500);
    assert_eq!(r.hn("x-user-limit-24hour-remaining"), 499);
    assert_eq!(r.hn("x-app-limit-24hour-limit"), 500);
    assert_eq!(r.hn("x-app-limit-24hour-remaining"), 499);
    let st = emu.state();
    assert!(!emu.has_follow(BOB, ALICE));
    assert_eq!(st["counters"]["apps"]["demo"]["unfollow_requests"], 1);
    assert_eq!(st["counters"]["apps"]["demo"]["unfollows_24h"], 1);
    let r = c.unfollow(
        BOB,
        ALICE,
        &emu.oauth1("DELETE", &path, BOB_TOKEN, BOB_SECRET),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"data": {"following": false}}));
}

#[test]
fn follow_validation_errors() {
    let emu = Emu::start();
    let mut c = emu.client();
    let b = bearer(ALICE_BEARER);
    // Invalid path id.
    let r = c.follow("abc", BOB, &b);
    assert_eq!(r.status, 400);
    assert_eq!(r.h("content-type"), "application/problem+json");
    assert_eq!(
        r.json(),
        json!({"errors": [{"parameters": {"id": ["abc"]}, "message": "The id query parameter value [abc] is not valid"}],
               "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
               "type": "https://api.twitter.com/2/problems/invalid-request"})
    );
    assert!(r.has_rate_headers());
    // 20 digits is too long.
    let r = c.follow("12345678901234567890", BOB, &b);
    assert_eq!(r.status, 400);
    // Invalid target id.
    let r = c.follow(ALICE, "12x", &b);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["errors"][0]["parameters"],
        json!({"target_user_id": ["12x"]})
    );
    // Bodies refused: (content type, body, the error's field, its value).
    let json_ct = Some("application/json");
    let bob_body = format!("{{\"target_user_id\":\"{BOB}\"}}");
    let cases: [(Option<&str>, &[u8], &str, Value); 5] = [
        (
            Some("text/plain"),
            bob_body.as_bytes(),
            "message",
            json!("Requests with bodies must have content-type of application/json."),
        ),
        (None, b"", "parameters", json!({"target_user_id": []})),
        (json_ct, b"{}", "parameters", json!({"target_user_id": []})),
        (
            json_ct,
            b"{not json",
            "message",
            json!("The request body is not valid JSON."),
        ),
        // A numeric target id (ids are strings).
        (
            json_ct,
            b"{\"target_user_id\":1500000000000000002}",
            "",
            Value::Null,
        ),
    ];
    for (content_type, body, field, want) in cases {
        let r = c.post_follow_body(ALICE, &b, content_type, body);
        assert_eq!(
            r.status,
            400,
            "{content_type:?} {:?}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(
            r.json()["type"],
            "https://api.twitter.com/2/problems/invalid-request"
        );
        if !field.is_empty() {
            assert_eq!(r.json()["errors"][0][field], want);
        }
    }
    // Nothing happened, but every request was counted.
    let st = emu.state();
    assert_eq!(st["counters"]["apps"]["demo"]["follow_requests"], 8);
    assert_eq!(st["counters"]["apps"]["demo"]["follows_24h"], 0);
}

#[test]
fn follow_refusals() {
    let emu = Emu::start();
    let mut c = emu.client();
    let b = bearer(ALICE_BEARER);
    // Path user is not the authenticated user.
    let r = c.follow(BOB, ERIN, &b);
    assert_eq!(r.status, 403);
    assert_eq!(r.h("content-type"), "application/problem+json");
    assert_eq!(r.json()["title"], "Forbidden");
    assert_eq!(r.json()["status"], 403);
    // Unknown target.
    let r = c.follow(ALICE, "999", &b);
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({"title": "Not Found Error", "detail": "Could not find user with target_user_id: [999].",
               "type": "https://api.twitter.com/2/problems/resource-not-found", "status": 404,
               "resource_type": "user", "parameter": "target_user_id", "value": "999", "resource_id": "999"})
    );
    // Self.
    let r = c.follow(ALICE, ALICE, &b);
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["detail"], "You cannot follow yourself.");
    // Suspended.
    let r = c.follow(ALICE, DAVE, &b);
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json()["detail"],
        "You cannot follow an account that is suspended."
    );
    assert!(r.header("x-user-limit-24hour-remaining").is_some());
    let r = c.unfollow(BOB, ALICE, &b);
    assert_eq!(r.status, 403);
    let r = c.unfollow(ALICE, "999", &b);
    assert_eq!(r.status, 404);
    let r = c.unfollow(ALICE, "x", &b);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["errors"][0]["parameters"],
        json!({"target_user_id": ["x"]})
    );
    let r = c.unfollow("y", ALICE, &b);
    assert_eq!(
        r.json()["errors"][0]["parameters"],
        json!({"source_user_id": ["y"]})
    );
    let r = c.unfollow(ALICE, ALICE, &b);
    assert_eq!(r.status, 403);
    assert_eq!(emu.state()["follows"].as_array().unwrap().len(), 2);
}

#[test]
fn me_and_by_username() {
    let emu = Emu::start();
    let mut c = emu.client();
    let r = c.get("/2/users/me", &emu.alice("GET", "/2/users/me"));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"data": {"id": ALICE, "name": "Alice", "username": "alice"}})
    );
    assert_eq!(r.hn("x-rate-limit-limit"), 75);
    assert_eq!(r.hn("x-rate-limit-remaining"), 74);
    assert!(r.header("x-user-limit-24hour-limit").is_none());
    let r = c.get("/2/users/me?user.fields=protected", &bearer(ALICE_BEARER));
    assert_eq!(
        r.json(),
        json!({"data": {"id": ALICE, "name": "Alice", "username": "alice", "protected": false}})
    );
    let q = "/2/users/me?user.fields=created_at,description";
    let r = c.get(q, &emu.alice("GET", q));
    assert_eq!(r.status, 200);

    let r = c.get("/2/users/by/username/Carol", &bearer(ALICE_BEARER));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"data": {"id": CAROL, "name": "Carol", "username": "carol"}})
    );
    assert_eq!(r.hn("x-rate-limit-limit"), 900);
    let r = c.get("/2/users/by/username/carol", &bearer(APP_BEARER));
    assert_eq!(r.hn("x-rate-limit-limit"), 300);
    assert_eq!(r.hn("x-rate-limit-remaining"), 299);
    let r = c.get("/2/users/by/username/nobody", &bearer(APP_BEARER));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"errors": [{"value": "nobody", "detail": "Could not find user with username: [nobody].",
               "title": "Not Found Error", "resource_type": "user", "parameter": "username",
               "resource_id": "nobody", "type": "https://api.twitter.com/2/problems/resource-not-found"}]})
    );
    let r = c.get("/2/users/by/username/dave", &bearer(APP_BEARER));
    assert_eq!(
        r.json()["errors"][0]["detail"],
        "User has been suspended: [dave]."
    );
    assert_eq!(r.json()["errors"][0]["title"], "Forbidden");
    let r = c.get("/2/users/by/username/no-dash", &bearer(APP_BEARER));
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["errors"][0]["parameters"],
        json!({"username": ["no-dash"]})
    );
    let r = c.get("/2/users/by/username/abcdefghijklmnop", &bearer(APP_BEARER));
    assert_eq!(r.status, 400);
}

#[test]
fn followers_and_following_paginate() {
    let emu = Emu::start();
    let mut c = emu.client();
    let b = bearer(ALICE_BEARER);
    // Alice follows bob, then erin, then XDevelopers: newest first.
    for t in [BOB, ERIN, XDEV] {
        assert_eq!(c.follow(ALICE, t, &b).status, 200);
    }
    let r = c.get(&format!("/2/users/{ALICE}/following?max_results=2"), &b);
    assert_eq!(r.status, 200);
    assert_eq!(r.hn("x-rate-limit-limit"), 300);
    let v = r.json();
    assert_eq!(
        v["data"],
        json!([{"id": XDEV, "name": "Developers", "username": "XDevelopers"},
               {"id": ERIN, "name": "Erin", "username": "erin"}])
    );
    assert_eq!(v["meta"]["result_count"], 2);
    let next = v["meta"]["next_token"].as_str().unwrap().to_string();
    assert_eq!(next.len(), 16);
    let r = c.get(
        &format!("/2/users/{ALICE}/following?max_results=2&pagination_token={next}"),
        &b,
    );
    let v = r.json();
    assert_eq!(
        v["data"],
        json!([{"id": BOB, "name": "Bob", "username": "bob"}])
    );
    assert_eq!(v["meta"]["result_count"], 1);
    assert!(v["meta"].get("next_token").is_none());
    assert!(v["meta"]["previous_token"].is_string());
    // Followers of Alice (demo world: bob then erin), app-only works here.
    let r = c.get(
        &format!("/2/users/{ALICE}/followers?user.fields=protected"),
        &bearer(APP_BEARER),
    );
    assert_eq!(
        r.json(),
        json!({"data": [{"id": ERIN, "name": "Erin", "username": "erin", "protected": false},
                        {"id": BOB, "name": "Bob", "username": "bob", "protected": false}],
               "meta": {"result_count": 2}})
    );
    // OAuth 1.0a too.
    let p = format!("/2/users/{CAROL}/followers");
    let r = c.get(&p, &emu.alice("GET", &p));
    assert_eq!(r.json(), json!({"meta": {"result_count": 0}}));
    // Validation.
    for bad in ["0", "1001", "x"] {
        let r = c.get(&format!("/2/users/{ALICE}/followers?max_results={bad}"), &b);
        assert_eq!(r.status, 400);
        assert_eq!(
            r.json()["errors"][0]["parameters"],
            json!({"max_results": [bad]})
        );
        assert_eq!(
            r.json()["errors"][0]["message"],
            format!("The `max_results` query parameter value [{bad}] is not between 1 and 1000")
        );
    }
    let r = c.get(
        &format!("/2/users/{ALICE}/followers?pagination_token=short"),
        &b,
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["errors"][0]["parameters"],
        json!({"pagination_token": ["short"]})
    );
    let r = c.get("/2/users/42/followers", &b);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["errors"][0]["detail"],
        "Could not find user with id: [42]."
    );
    let r = c.get("/2/users/4x/following", &b);
    assert_eq!(r.status, 400);
    // Scope follows.read is needed.
    let r = c.get(
        &format!("/2/users/{ALICE}/followers"),
        &bearer(BOB_READONLY),
    );
    assert_eq!(r.status, 403);
}

#[test]
fn oauth1_failures() {
    let emu = Emu::start();
    let mut c = emu.client();
    let path = follow_path(ALICE);
    let url = emu.url(&path);
    let expect = |r: &Resp, code: u64, msg: &str| {
        assert_eq!(r.status, 401, "{}", r.text());
        assert_eq!(r.h("content-type"), "application/problem+json");
        assert_eq!(
            r.json(),
            json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized",
                   "errors": [{"code": code, "message": msg}]})
        );
        assert!(r.has_rate_headers());
    };
    // Wrong consumer secret.
    let a = sign(
        "POST",
        &url,
        &[],
        CK,
        "wrong",
        Some((ALICE_TOKEN, ALICE_SECRET)),
    );
    expect(&c.follow(ALICE, BOB, &a), 32, "Could not authenticate you.");
    // Wrong token secret.
    let a = sign("POST", &url, &[], CK, CS, Some((ALICE_TOKEN, "wrong")));
    expect(&c.follow(ALICE, BOB, &a), 32, "Could not authenticate you.");
    // Unknown consumer key.
    let a = sign(
        "POST",
        &url,
        &[],
        "nope",
        CS,
        Some((ALICE_TOKEN, ALICE_SECRET)),
    );
    expect(&c.follow(ALICE, BOB, &a), 32, "Could not authenticate you.");
    // Unknown token.
    let a = sign("POST", &url, &[], CK, CS, Some(("1-unknown", ALICE_SECRET)));
    expect(&c.follow(ALICE, BOB, &a), 89, "Invalid or expired token.");
    // Timestamp 301 s off either way.
    for ts in [now() - 301, now() + 301] {
        let a = sign_at(
            "POST",
            &url,
            &[],
            CK,
            CS,
            Some((ALICE_TOKEN, ALICE_SECRET)),
            &nonce(),
            ts,
            &[],
        );
        expect(&c.follow(ALICE, BOB, &a), 135, "Timestamp out of bounds.");
    }
    // 250 s off is fine.
    let a = sign_at(
        "POST",
        &url,
        &[],
        CK,
        CS,
        Some((ALICE_TOKEN, ALICE_SECRET)),
        &nonce(),
        now() - 250,
        &[],
    );
    assert_eq!(c.follow(ALICE, BOB, &a).status, 200);
    // Nonce reuse.
    let n = nonce();
    let ts = now();
    let a = sign_at(
        "POST",
        &url,
        &[],
        CK,
        CS,
        Some((ALICE_TOKEN, ALICE_SECRET)),
        &n,
        ts,
        &[],
    );
    assert_eq!(c.follow(ALICE, ERIN, &a).status, 200);
    expect(
        &c.follow(ALICE, ERIN, &a),
        32,
        "Could not authenticate you.",
    );
    // Signed for another path or method.
    let a = emu.alice("POST", "/2/users/me");
    expect(&c.follow(ALICE, BOB, &a), 32, "Could not authenticate you.");
    let a = emu.alice("GET", &path);
    expect(&c.follow(ALICE, BOB, &a), 32, "Could not authenticate you.");
    // Signed for another host (the emulator compares with the Host it received).
    let a = sign(
        "POST",
        &format!("http://localhost:{}{path}", emu.port),
        &[],
        CK,
        CS,
        Some((ALICE_TOKEN, ALICE_SECRET)),
    );
    expect(&c.follow(ALICE, BOB, &a), 32, "Could not authenticate you.");
    // Garbage header.
    let r = c.follow(ALICE, BOB, "OAuth garbage");
    expect(&r, 32, "Could not authenticate you.");
    // HMAC-SHA256 is not accepted.
    let a = emu.alice("POST", &path).replace("HMAC-SHA1", "PLAINTEXT");
    expect(&c.follow(ALICE, BOB, &a), 32, "Could not authenticate you.");
    // No auth at all.
    let r = c.request("GET", "/2/users/me", &[], b"");
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json(),
        json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
    );
    assert_eq!(r.hn("x-rate-limit-limit"), 75);
}

#[test]
fn oauth1_signed_query_and_form_parameters_count() {
    let emu = Emu::start();
    let mut c = emu.client();
    // Query parameters are part of the signature: signing without them fails.
    let a = emu.alice("GET", "/2/users/me");
    let r = c.get("/2/users/me?user.fields=protected", &a);
    assert_eq!(r.status, 401);
    let a = emu.alice("GET", "/2/users/me?user.fields=protected");
    let r = c.get("/2/users/me?user.fields=protected", &a);
    assert_eq!(r.status, 200);
    // Encoded characters in the query.
    let q = "/2/users/me?user.fields=protected%2Cname&x=a%20b";
    let r = c.get(q, &emu.alice("GET", q));
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn public_base_makes_the_signature_use_that_origin() {
    let emu = Emu::start_args(&["--public-base", "https://api.x.com"], None);
    let mut c = emu.client();
    let path = follow_path(ALICE);
    let a = sign(
        "POST",
        &format!("https://api.x.com{path}"),
        &[],
        CK,
        CS,
        Some((ALICE_TOKEN, ALICE_SECRET)),
    );
    let r = c.follow(ALICE, BOB, &a);
    assert_eq!(r.status, 200, "{}", r.text());
    // The received origin no longer verifies.
    let r = c.follow(ALICE, BOB, &emu.alice("POST", &path));
    assert_eq!(r.status, 401);
}

#[test]
fn bearer_failures_and_scopes() {
    let emu = Emu::start();
    let mut c = emu.client();
    let r = c.follow(ALICE, BOB, &bearer("unknown-token"));
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json(),
        json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
    );
    assert_eq!(r.hn("x-rate-limit-limit"), 50);
    // App-only is refused on user-context endpoints.
    for (m, p) in [
        ("GET", "/2/users/me".to_string()),
        ("DELETE", format!("/2/users/{ALICE}/following/{BOB}")),
    ] {
        let r = c.request(m, &p, &[("Authorization", bearer(APP_BEARER))], b"");
        assert_eq!(r.status, 403);
        assert_eq!(
            r.json(),
            json!({"title": "Unsupported Authentication",
                   "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
                   "type": "https://api.twitter.com/2/problems/unsupported-authentication", "status": 403})
        );
    }
    let r = c.follow(ALICE, BOB, &bearer(APP_BEARER));
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["title"], "Unsupported Authentication");
    // Missing follows.write scope.
    let r = c.follow(BOB, ERIN, &bearer(BOB_READONLY));
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json(),
        json!({"title": "Forbidden", "type": "about:blank", "status": 403, "detail": "Forbidden"})
    );
    // users.read is enough for me.
    let r = c.get("/2/users/me", &bearer(BOB_READONLY));
    assert_eq!(r.status, 200);
    // Configured tokens expire after expires_in seconds of virtual time.
    emu.advance(7200);
    let r = c.get("/2/users/me", &bearer(ALICE_BEARER));
    assert_eq!(r.status, 401);
    // OAuth 1.0a tokens never expire.
    let r = c.get("/2/users/me", &emu.alice("GET", "/2/users/me"));
    assert_eq!(r.status, 200);
}

#[test]
fn unknown_paths_and_bad_requests() {
    let emu = Emu::start();
    let mut c = emu.client();
    let r = c.get("/2/tweets", &bearer(ALICE_BEARER));
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({"errors": [{"message": "Sorry, that page does not exist", "code": 34}]})
    );
    let r = c.request("PUT", "/2/users/me", &[], b"");
    assert_eq!(r.status, 404);
    // A malformed request line gets 400 and the connection closes.
    c.send_raw(b"NONSENSE\r\n\r\n").unwrap();
    let r = c.read_response().unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(r.h("connection"), "close");
    let mut c = emu.client();
    c.send_raw(b"GET / HTTP/2.0\r\n\r\n").unwrap();
    assert_eq!(c.read_response().unwrap().status, 505);
    let mut c = emu.client();
    c.send_raw(b"POST /2/users/me HTTP/1.1\r\nContent-Length: nope\r\n\r\n")
        .unwrap();
    assert_eq!(c.read_response().unwrap().status, 400);
}

#[test]
fn chunked_request_body_and_expect_continue() {
    let emu = Emu::start();
    let mut c = emu.client();
    let body = format!("{{\"target_user_id\":\"{BOB}\"}}");
    let req = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ALICE_BEARER}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{}\r\n{:x}\r\n{}\r\n0\r\n\r\n",
        follow_path(ALICE),
        &body[..5],
        body.len() - 5,
        &body[5..]
    );
    c.send_raw(req.as_bytes()).unwrap();
    let r = c.read_response().unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"data": {"following": true, "pending_follow": false}})
    );
    let req = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ALICE_BEARER}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        follow_path(ALICE),
        body.len()
    );
    c.send_raw(req.as_bytes()).unwrap();
    let interim = c.read_response().unwrap();
    assert_eq!(interim.status, 100);
    c.send_raw(body.as_bytes()).unwrap();
    assert_eq!(c.read_response().unwrap().status, 200);
}

#[test]
fn gzip_when_accepted() {
    let emu = Emu::start();
    let mut c = emu.client();
    let r = c.request(
        "GET",
        "/2/users/me",
        &[
            ("Authorization", bearer(ALICE_BEARER)),
            ("Accept-Encoding", "gzip, deflate".into()),
        ],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.h("content-encoding"), "gzip");
    assert_eq!(&r.raw[..2], &[0x1f, 0x8b]);
    assert_eq!(r.hn("content-length") as usize, r.raw.len());
    assert_eq!(
        r.json(),
        json!({"data": {"id": ALICE, "name": "Alice", "username": "alice"}})
    );
    let r = c.request(
        "GET",
        "/2/users/me",
        &[
            ("Authorization", bearer(ALICE_BEARER)),
            ("Accept-Encoding", "gzip;q=0, identity".into()),
        ],
        b"",
    );
    assert!(r.header("content-encoding").is_none());
    let r = c.get("/2/users/me", &bearer(ALICE_BEARER));
    assert!(r.header("content-encoding").is_none());
    assert_eq!(
        r.raw,
        br#"{"data":{"id":"1500000000000000001","name":"Alice","username":"alice"}}"#
    );
}

#[test]
fn http10_closes_and_oversized_requests_are_refused() {
    let emu = Emu::start();
    let mut c = emu.client();
    c.send_raw(
        format!(
            "GET /2/users/me HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer {ALICE_BEARER}\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap();
    let r = c.read_response().unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.h("connection"), "close");
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut c.r, &mut rest).unwrap();
    assert!(rest.is_empty());
    // HTTP/1.0 with keep-alive stays open.
    let mut c = emu.client();
    for _ in 0..2 {
        c.send_raw(
            format!("GET /2/users/me HTTP/1.0\r\nConnection: keep-alive\r\nHost: x\r\nAuthorization: Bearer {ALICE_BEARER}\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(c.read_response().unwrap().status, 200);
    }
    // A body over 1 MiB.
    let mut c = emu.client();
    c.send_raw(b"POST /2/users/1/following HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n")
        .unwrap();
    let r = c.read_response().unwrap();
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["detail"], "body too large");
    // A header section over 64 KiB.
    let mut c = emu.client();
    let big = format!(
        "GET /2/users/me HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(70_000)
    );
    let _ = c.send_raw(big.as_bytes());
    let r = c.read_response().unwrap();
    assert_eq!(r.status, 431);
}

#[test]
fn odd_authorization_headers_are_refused_cleanly() {
    let emu = Emu::start();
    let mut c = emu.client();
    for h in [
        "OAut\u{e9} x",
        "\u{e9}\u{e9}\u{e9}",
        "Bearer",
        "Basic Zm9vOmJhcg==",
        "OAuth oauth_consumer_key=\"%zz\"",
    ] {
        let r = c.get("/2/users/me", h);
        assert_eq!(r.status, 401, "{h}");
    }
    // The connection survived every one of them.
    assert_eq!(c.get("/2/users/me", &bearer(ALICE_BEARER)).status, 200);
}
