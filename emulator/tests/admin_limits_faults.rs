//! Limits, the virtual clock, the admin API and every fault kind.

mod common;
use common::*;
use serde_json::json;
use std::io::Read;

#[test]
fn fifteen_minute_window_then_429_then_reset_by_clock() {
    let emu = Emu::with_config(&world_with_limits(r#"{"follow_per_15min": 2}"#));
    let mut c = emu.client();
    let b = bearer(ALICE_BEARER);
    let r1 = c.follow(ALICE, BOB, &b);
    assert_eq!((r1.status, r1.hn("x-rate-limit-remaining")), (200, 1));
    let reset = r1.hn("x-rate-limit-reset");
    let r2 = c.follow(ALICE, ERIN, &b);
    assert_eq!((r2.status, r2.hn("x-rate-limit-remaining")), (200, 0));
    let r3 = c.follow(ALICE, XDEV, &b);
    assert_eq!(r3.status, 429);
    assert_eq!(r3.h("content-type"), "application/problem+json");
    assert_eq!(
        r3.text(),
        r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#
    );
    assert_eq!(r3.hn("x-rate-limit-limit"), 2);
    assert_eq!(r3.hn("x-rate-limit-remaining"), 0);
    assert_eq!(r3.hn("x-rate-limit-reset"), reset);
    assert_eq!(r3.hn("x-user-limit-24hour-remaining"), 398);
    // The refused follow did not happen, but it was counted as a request.
    let st = emu.state();
    assert!(!emu.has_follow(ALICE, XDEV));
    assert_eq!(st["counters"]["users"][ALICE]["follow_requests"], 3);
    assert_eq!(st["counters"]["users"][ALICE]["follows_24h"], 2);
    // Other users and other endpoints have their own windows.
    let r = c.follow(
        BOB,
        ERIN,
        &emu.oauth1("POST", &follow_path(BOB), BOB_TOKEN, BOB_SECRET),
    );
    assert_eq!(r.status, 200);
    assert_eq!(c.unfollow(ALICE, BOB, &b).status, 200);
    // 899 s later still limited, 900 s later open again with a new reset.
    let now = emu.state()["now"].as_i64().unwrap();
    emu.advance(reset - now - 1);
    assert_eq!(c.follow(ALICE, XDEV, &b).status, 429);
    let t = emu.advance(1);
    let r = c.follow(ALICE, XDEV, &b);
    assert_eq!(r.status, 200);
    assert_eq!(r.hn("x-rate-limit-remaining"), 1);
    assert_eq!(r.hn("x-rate-limit-reset"), t + 900);
}

#[test]
fn user_daily_cap_and_its_rolling_reset() {
    let emu = Emu::with_config(&world_with_limits(r#"{"follows_per_user_day": 3}"#));
    let mut c = emu.client();
    // OAuth 1.0a: its tokens outlive the clock jumps below.
    let fa = |emu: &Emu| emu.alice("POST", &follow_path(ALICE));
    let t0 = emu.state()["now"].as_i64().unwrap();
    for (i, t) in [BOB, ERIN, XDEV].iter().enumerate() {
        let r = c.follow(ALICE, t, &fa(&emu));
        assert_eq!(r.status, 200);
        assert_eq!(r.hn("x-user-limit-24hour-remaining"), 2 - i as i64);
        if i == 0 {
            emu.advance(3600);
        }
    }
    let r = c.follow(ALICE, CAROL, &fa(&emu));
    assert_eq!(r.status, 429);
    assert_eq!(
        r.text(),
        r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#
    );
    assert_eq!(r.hn("x-user-limit-24hour-limit"), 3);
    assert_eq!(r.hn("x-user-limit-24hour-remaining"), 0);
    assert_eq!(r.hn("x-user-limit-24hour-reset"), t0 + 86400);
    assert_eq!(r.hn("x-app-limit-24hour-remaining"), 997);
    // The 15-minute window (reopened after the hour) still had room.
    assert_eq!(r.hn("x-rate-limit-remaining"), 47);
    assert_eq!(emu.state()["pending"], json!([]));
    // Bob (same app) is not capped.
    let r = c.follow(
        BOB,
        ERIN,
        &emu.oauth1("POST", &follow_path(BOB), BOB_TOKEN, BOB_SECRET),
    );
    assert_eq!(r.status, 200);
    // When the first follow leaves the rolling window, one follow is free again.
    let now = emu.state()["now"].as_i64().unwrap();
    emu.advance(t0 + 86400 - now);
    let r = c.follow(ALICE, CAROL, &fa(&emu));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.hn("x-user-limit-24hour-remaining"), 0);
    assert_eq!(r.hn("x-user-limit-24hour-reset"), t0 + 3600 + 86400);
    assert_eq!(c.follow(ALICE, BOB, &fa(&emu)).status, 429);
}

#[test]
fn app_daily_cap_is_shared_by_users_and_unfollow_cap() {
    let emu = Emu::with_config(&world_with_limits(
        r#"{"follows_per_app_day": 2, "unfollows_per_app_day": 1}"#,
    ));
    let mut c = emu.client();
    assert_eq!(c.follow(ALICE, BOB, &bearer(ALICE_BEARER)).status, 200);
    let r = c.follow(
        BOB,
        ERIN,
        &emu.oauth1("POST", &follow_path(BOB), BOB_TOKEN, BOB_SECRET),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.hn("x-app-limit-24hour-remaining"), 0);
    let r = c.follow(ALICE, ERIN, &bearer(ALICE_BEARER));
    assert_eq!(r.status, 429);
    assert_eq!(r.hn("x-app-limit-24hour-limit"), 2);
    assert_eq!(r.hn("x-app-limit-24hour-remaining"), 0);
    assert_eq!(r.hn("x-user-limit-24hour-remaining"), 399);
    assert_eq!(c.unfollow(ALICE, BOB, &bearer(ALICE_BEARER)).status, 200);
    let r = c.unfollow(ALICE, BOB, &bearer(ALICE_BEARER));
    assert_eq!(r.status, 429);
    assert_eq!(r.hn("x-app-limit-24hour-limit"), 1);
    assert_eq!(r.hn("x-app-limit-24hour-remaining"), 0);
    emu.advance(86400);
    // (The OAuth 2.0 token expired with the clock; OAuth 1.0a tokens do not expire.)
    assert_eq!(c.follow(ALICE, ERIN, &bearer(ALICE_BEARER)).status, 401);
    assert_eq!(
        c.follow(ALICE, ERIN, &emu.alice("POST", &follow_path(ALICE)))
            .status,
        200
    );
    let p = format!("/2/users/{ALICE}/following/{ERIN}");
    assert_eq!(
        c.unfollow(ALICE, ERIN, &emu.alice("DELETE", &p)).status,
        200
    );
    let st = emu.state();
    assert_eq!(st["counters"]["apps"]["demo"]["follow_requests"], 5);
    assert_eq!(st["counters"]["apps"]["demo"]["follows_24h"], 1);
    assert_eq!(st["counters"]["apps"]["demo"]["unfollows_24h"], 1);
    assert_eq!(st["counters"]["apps"]["demo"]["unfollow_requests"], 3);
}

#[test]
fn me_window_and_rate_headers_everywhere() {
    let emu = Emu::with_config(&world_with_limits(r#"{"me_per_15min": 1}"#));
    let mut c = emu.client();
    let r = c.get("/2/users/me", &bearer(ALICE_BEARER));
    assert_eq!(
        (
            r.status,
            r.hn("x-rate-limit-limit"),
            r.hn("x-rate-limit-remaining")
        ),
        (200, 1, 0)
    );
    let r = c.get("/2/users/me", &emu.alice("GET", "/2/users/me"));
    // OAuth 1.0a and OAuth 2.0 of the same user and app share the window.
    assert_eq!(r.status, 429);
    assert!(r.has_rate_headers());
    assert!(r.header("x-user-limit-24hour-limit").is_none());
}

#[test]
fn clock_reset_and_connections() {
    let emu = Emu::start();
    let before = emu.state()["now"].as_i64().unwrap();
    let now = emu.advance(86_400);
    assert!((now - before - 86_400).abs() <= 2, "{before} {now}");
    assert_eq!(
        emu.admin("GET", "/__emulator/clock", None)["now"]
            .as_i64()
            .unwrap()
            / 10,
        now / 10
    );
    // Changes, then reset restores the loaded world.
    let mut c = emu.client();
    assert_eq!(c.follow(ALICE, CAROL, &bearer(ALICE_BEARER)).status, 401); // token expired with the clock
    assert_eq!(
        c.unfollow(
            BOB,
            ALICE,
            &emu.oauth1(
                "DELETE",
                &format!("/2/users/{BOB}/following/{ALICE}"),
                BOB_TOKEN,
                BOB_SECRET
            )
        )
        .status,
        200
    );
    emu.fault(json!({"route": "/2/users/me", "kind": "reset", "count": 5}));
    let st = emu.state();
    assert_eq!(st["follows"], json!([{"source": ERIN, "target": ALICE}]));
    assert_eq!(
        st["faults"],
        json!([{"route": "/2/users/me", "count": 5, "kind": "reset"}])
    );
    let r = emu.admin("POST", "/__emulator/reset", None);
    assert_eq!(r["reset"], true);
    let st = emu.state();
    assert_eq!(
        st["follows"],
        json!([{"source": BOB, "target": ALICE}, {"source": ERIN, "target": ALICE}])
    );
    assert_eq!(st["faults"], json!([]));
    assert_eq!(st["pending"], json!([]));
    assert_eq!(st["counters"]["apps"]["demo"]["unfollow_requests"], 0);
    assert!((st["now"].as_i64().unwrap() - before).abs() <= 2);
    assert_eq!(c.get("/2/users/me", &bearer(ALICE_BEARER)).status, 200);

    // Connections: keep-alive reuses one; each new one is counted.
    let n0 = emu.admin("GET", "/__emulator/connections", None)["accepted"]
        .as_u64()
        .unwrap();
    let mut k = emu.client();
    for _ in 0..5 {
        assert_eq!(k.get("/2/users/me", &bearer(ALICE_BEARER)).status, 200);
    }
    let n1 = emu.admin("GET", "/__emulator/connections", None)["accepted"]
        .as_u64()
        .unwrap();
    // One for `k`, one for each admin call.
    assert_eq!(n1, n0 + 2);
    // Connection: close is honoured.
    let r = k.request(
        "GET",
        "/2/users/me",
        &[
            ("Authorization", bearer(ALICE_BEARER)),
            ("Connection", "close".into()),
        ],
        b"",
    );
    assert_eq!(r.h("connection"), "close");
    let mut rest = Vec::new();
    assert_eq!(k.r.read_to_end(&mut rest).unwrap(), 0);
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let emu = Emu::start();
    let mut c = emu.client();
    let mut batch = Vec::new();
    for t in [BOB, ERIN, CAROL] {
        let body = format!("{{\"target_user_id\":\"{t}\"}}");
        batch.extend_from_slice(
            format!(
                "POST {} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ALICE_BEARER}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                follow_path(ALICE),
                body.len()
            )
            .as_bytes(),
        );
    }
    c.send_raw(&batch).unwrap();
    let a = c.read_response().unwrap();
    let b = c.read_response().unwrap();
    let d = c.read_response().unwrap();
    assert_eq!(a.hn("x-rate-limit-remaining"), 49);
    assert_eq!(b.hn("x-rate-limit-remaining"), 48);
    assert_eq!(
        d.json(),
        json!({"data": {"following": false, "pending_follow": true}})
    );
}

#[test]
fn admin_validation() {
    let emu = Emu::start();
    let mut c = emu.client();
    let j = |c: &mut Client, m: &str, p: &str, body: &str| {
        c.request(
            m,
            p,
            &[("Content-Type", "application/json".into())],
            body.as_bytes(),
        )
    };
    let r = j(&mut c, "POST", "/__emulator/clock", "{}");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["detail"],
        "expected {\"advance_seconds\": <integer>}"
    );
    let r = j(
        &mut c,
        "POST",
        "/__emulator/clock",
        r#"{"advance_seconds": 9223372036854775807}"#,
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["detail"],
        "advance_seconds is limited to 100 years either way"
    );
    let r = j(&mut c, "POST", "/__emulator/clock", "nope");
    assert_eq!(r.status, 400);
    let r = j(
        &mut c,
        "POST",
        "/__emulator/faults",
        r#"{"route":"/x","kind":"status"}"#,
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["detail"],
        "invalid fault: kind \"status\" needs \"status\" between 100 and 599"
    );
    let r = j(
        &mut c,
        "POST",
        "/__emulator/faults",
        r#"{"route":"/x","kind":"boom"}"#,
    );
    assert_eq!(r.status, 400);
    let r = j(&mut c, "GET", "/__emulator/nothing", "");
    assert_eq!(r.status, 404);
    let r = j(
        &mut c,
        "POST",
        "/__emulator/faults",
        r#"[{"route":"/a","kind":"reset"},{"route":"GET /b","kind":"delay","delay_ms":1,"count":2}]"#,
    );
    assert_eq!(r.json(), json!({"faults": 2}));
    assert_eq!(
        emu.admin("GET", "/__emulator/faults", None),
        json!({"faults": [{"route": "/a", "count": 1, "kind": "reset"}, {"route": "GET /b", "count": 2, "kind": "delay"}]})
    );
    assert_eq!(
        emu.admin("DELETE", "/__emulator/faults", None),
        json!({"faults": 0})
    );
    assert_eq!(emu.state()["faults"], json!([]));
}

#[test]
fn fault_status_does_not_apply_and_carries_headers() {
    let emu = Emu::start();
    let mut c = emu.client();
    let b = bearer(ALICE_BEARER);
    emu.fault(
        json!({"route": "POST /2/users/*/following", "kind": "status", "status": 503, "count": 1}),
    );
    let r = c.follow(ALICE, BOB, &b);
    assert_eq!(r.status, 503);
    assert_eq!(r.h("content-type"), "application/problem+json");
    assert_eq!(
        r.json(),
        json!({"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": 503})
    );
    assert_eq!(r.hn("x-rate-limit-remaining"), 50);
    let st = emu.state();
    assert!(!emu.has_follow(ALICE, BOB));
    assert_eq!(st["counters"]["users"][ALICE]["follow_requests"], 1);
    // Count 1: the next one is normal.
    assert_eq!(c.follow(ALICE, BOB, &b).status, 200);

    // 429 with real body and remaining 0.
    emu.fault(json!({"route": "POST /2/users/*/following", "kind": "status", "status": 429}));
    let r = c.follow(ALICE, ERIN, &b);
    assert_eq!(r.status, 429);
    assert_eq!(
        r.text(),
        r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#
    );
    assert_eq!(r.hn("x-rate-limit-limit"), 50);
    assert_eq!(r.hn("x-rate-limit-remaining"), 0);
    assert_eq!(r.hn("x-user-limit-24hour-remaining"), 399);

    // Legacy body override with extra headers.
    emu.fault(
        json!({"route": "POST /2/users/*/following", "kind": "status", "status": 429,
        "body": "{\"errors\":[{\"code\":88,\"message\":\"Rate limit exceeded\"}]}",
        "headers": {"x-user-limit-24hour-remaining": "0", "retry-after": "7"}}),
    );
    let r = c.follow(ALICE, ERIN, &b);
    assert_eq!(r.status, 429);
    assert_eq!(r.h("content-type"), "application/json; charset=utf-8");
    assert_eq!(
        r.text(),
        r#"{"errors":[{"code":88,"message":"Rate limit exceeded"}]}"#
    );
    assert_eq!(r.hn("x-user-limit-24hour-remaining"), 0);
    assert_eq!(r.hn("retry-after"), 7);

    // Client-forbidden body with its content type.
    let forbidden = r#"{"client_id":"101010101","required_enrollment":"Appropriate Level of API Access","registration_url":"https://developer.x.com/","title":"Client Forbidden","detail":"This request must be made using an approved developer account that is enrolled in the requested endpoint.","reason":"client-not-enrolled","type":"https://api.twitter.com/2/problems/client-forbidden"}"#;
    emu.fault(json!({"route": "/2/users/me", "kind": "status", "status": 403, "body": forbidden, "content_type": "application/problem+json"}));
    let r = c.get("/2/users/me", &b);
    assert_eq!(r.status, 403);
    assert_eq!(r.h("content-type"), "application/problem+json");
    assert_eq!(r.text(), forbidden);
    assert!(r.has_rate_headers());
    assert!(!emu.has_follow(ALICE, ERIN));
}

#[test]
fn fault_reset_closes_without_answer_and_does_not_apply() {
    let emu = Emu::start();
    emu.fault(json!({"route": "POST /2/users/*/following", "kind": "reset"}));
    let mut c = emu.client();
    let err = c.try_request(
        "POST",
        &follow_path(ALICE),
        &[
            ("Authorization", bearer(ALICE_BEARER)),
            ("Content-Type", "application/json".into()),
        ],
        format!("{{\"target_user_id\":\"{BOB}\"}}").as_bytes(),
    );
    let e = err.expect_err("no response");
    assert!(
        matches!(
            e.kind(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof
        ),
        "{e:?}"
    );
    assert_eq!(
        e.kind(),
        std::io::ErrorKind::ConnectionReset,
        "SO_LINGER 0 gives an RST"
    );
    let st = emu.state();
    assert!(!emu.has_follow(ALICE, BOB));
    assert_eq!(st["counters"]["users"][ALICE]["follow_requests"], 1);
    assert_eq!(
        emu.client()
            .follow(ALICE, BOB, &bearer(ALICE_BEARER))
            .status,
        200
    );
}

#[test]
fn fault_truncate_applies_and_cuts_the_body() {
    let emu = Emu::start();
    emu.fault(json!({"route": "POST /2/users/*/following", "kind": "truncate"}));
    let mut c = emu.client();
    let body = format!("{{\"target_user_id\":\"{BOB}\"}}");
    c.write_request(
        "POST",
        &follow_path(ALICE),
        &[
            ("Authorization", bearer(ALICE_BEARER)),
            ("Content-Type", "application/json".into()),
        ],
        body.as_bytes(),
    )
    .unwrap();
    let mut all = Vec::new();
    c.r.read_to_end(&mut all).unwrap();
    let text = String::from_utf8(all).unwrap();
    let (head, got) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    let full = r#"{"data":{"following":true,"pending_follow":false}}"#;
    assert!(
        head.contains(&format!("content-length: {}\r\n", full.len() + 16)),
        "{head}"
    );
    assert_eq!(got, &full[..full.len() / 2]);
    assert!(head.contains("x-rate-limit-remaining: 49"));
    assert!(emu.has_follow(ALICE, BOB));
}

#[test]
fn fault_malformed_and_no_rate_headers_apply() {
    let emu = Emu::start();
    let mut c = emu.client();
    emu.fault(json!({"route": "POST /2/users/*/following", "kind": "malformed"}));
    let r = c.follow(ALICE, BOB, &bearer(ALICE_BEARER));
    assert_eq!(r.status, 200);
    assert_eq!(r.h("content-type"), "application/json; charset=utf-8");
    assert_eq!(r.text(), "{\"data\":{\"following\":tru");
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body()).is_err());
    assert!(emu.has_follow(ALICE, BOB));

    emu.fault(json!({"route": "DELETE /2/users/*/following/*", "kind": "no_rate_headers"}));
    let r = c.unfollow(ALICE, BOB, &bearer(ALICE_BEARER));
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"data": {"following": false}}));
    assert!(
        r.headers
            .iter()
            .all(|(k, _)| !k.starts_with("x-rate-limit") && !k.contains("24hour")),
        "{:?}",
        r.headers
    );
    assert!(!emu.has_follow(ALICE, BOB));
    // Next one has them again.
    let r = c.unfollow(ALICE, BOB, &bearer(ALICE_BEARER));
    assert_eq!(r.hn("x-rate-limit-remaining"), 48);
}

#[test]
fn fault_delay_sleeps_then_applies() {
    let emu = Emu::start();
    let mut c = emu.client();
    emu.fault(json!({"route": "POST /2/users/*/following", "kind": "delay", "delay_ms": 300}));
    let t = std::time::Instant::now();
    let r = c.follow(ALICE, BOB, &bearer(ALICE_BEARER));
    assert!(t.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"data": {"following": true, "pending_follow": false}})
    );
    assert!(emu.has_follow(ALICE, BOB));
}

#[test]
fn faults_match_one_segment_and_count_down() {
    let emu = Emu::start();
    let mut c = emu.client();
    emu.fault(json!({"route": "GET /2/users/*", "kind": "status", "status": 500, "count": 2}));
    // /2/users/me matches `*`; by/username does not (more segments).
    assert_eq!(
        c.get("/2/users/by/username/bob", &bearer(ALICE_BEARER))
            .status,
        200
    );
    assert_eq!(c.get("/2/users/me", &bearer(ALICE_BEARER)).status, 500);
    assert_eq!(c.get("/2/users/me", &bearer(ALICE_BEARER)).status, 500);
    assert_eq!(c.get("/2/users/me", &bearer(ALICE_BEARER)).status, 200);
}

#[test]
fn request_log_lists_what_was_served_since_a_number() {
    let emu = Emu::start();
    let mut c = emu.client();
    let b = bearer(ALICE_BEARER);
    assert_eq!(c.follow(ALICE, BOB, &b).status, 200);
    let t = emu.advance(60);
    assert_eq!(c.unfollow(ALICE, BOB, &b).status, 200);
    emu.fault(json!({"route": "POST /2/users/*/following", "kind": "reset"}));
    let body = format!("{{\"target_user_id\":\"{ERIN}\"}}");
    let headers = [
        ("Authorization", b.clone()),
        ("Content-Type", "application/json".to_string()),
    ];
    assert!(c
        .try_request("POST", &follow_path(ALICE), &headers, body.as_bytes())
        .is_err());
    let mut c = emu.client();
    assert_eq!(c.get("/2/users/me", &b).status, 200);
    let log = emu.admin("GET", "/__emulator/requests", None);
    assert_eq!(log["last"], 4);
    assert_eq!(log["dropped"], 0);
    let r = log["requests"].as_array().unwrap();
    assert_eq!(r.len(), 4);
    assert_eq!(
        (
            &r[0]["seq"],
            &r[0]["method"],
            &r[0]["source"],
            &r[0]["target"],
            &r[0]["status"]
        ),
        (
            &json!(1),
            &json!("POST"),
            &json!(ALICE),
            &json!(BOB),
            &json!(200)
        )
    );
    assert_eq!(r[1]["path"], format!("/2/users/{ALICE}/following/{BOB}"));
    assert_eq!(
        (&r[1]["method"], &r[1]["target"], &r[1]["time"]),
        (&json!("DELETE"), &json!(BOB), &json!(t))
    );
    assert_eq!(
        (&r[2]["target"], &r[2]["status"]),
        (&json!(ERIN), &json!(0)),
        "a reset connection"
    );
    assert_eq!(
        (&r[3]["path"], &r[3]["target"]),
        (&json!("/2/users/me"), &serde_json::Value::Null)
    );
    let since = emu.admin("GET", "/__emulator/requests?since=3", None);
    assert_eq!(since["requests"].as_array().unwrap().len(), 1);
    assert_eq!(since["requests"][0]["seq"], 4);
    let mut c = emu.client();
    let bad = c.request("GET", "/__emulator/requests?since=-1", &[], b"");
    assert_eq!(bad.status, 400);
    emu.admin("POST", "/__emulator/reset", None);
    assert_eq!(emu.admin("GET", "/__emulator/requests", None)["last"], 0);
}
