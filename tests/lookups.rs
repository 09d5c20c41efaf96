//! Followers/following lookups against the emulator: both auth modes, pagination to the end,
//! input checks, scopes and unknown users.

mod support;

use serde_json::{json, Value};
use support::*;
use xfollow::{Endpoint, ErrorKind, PageRequest, UserPage};

fn ids(p: &UserPage) -> Vec<&str> {
    p.users.iter().map(|u| u.id.as_str()).collect()
}

fn first(max: Option<u32>) -> PageRequest<'static> {
    PageRequest {
        max_results: max,
        pagination_token: None,
    }
}

/// The demo world plus `n` users (ids 1600000000000000001...) who follow alice in order,
/// after bob and erin.
fn crowd(n: usize) -> (Emulator, Vec<String>) {
    let demo: Value = serde_json::from_str(include_str!("../emulator/demo-world.json")).unwrap();
    let mut users = demo["users"].as_array().unwrap().clone();
    let mut follows = demo["follows"].as_array().unwrap().clone();
    let mut order: Vec<String> = follows
        .iter()
        .map(|f| f["source"].as_str().unwrap().to_owned())
        .collect();
    for i in 1..=n {
        let id = format!("16000000000000{i:05}");
        users.push(
            json!({"id": id, "username": format!("fan{i}"), "name": format!("Fan {i}"),
                          "protected": false, "suspended": false}),
        );
        follows.push(json!({"source": id, "target": ALICE}));
        order.push(id);
    }
    order.reverse(); // newest first
    (
        Emulator::start_with(json!({"users": users, "follows": follows})),
        order,
    )
}

#[test]
fn demo_world_both_auth_modes() {
    let e = Emulator::start();
    for c in [e.alice_oauth1(), e.alice_oauth2()] {
        // bob then erin followed alice: newest first.
        let p = c.followers(None, &PageRequest::default()).unwrap();
        assert_eq!(ids(&p), [ERIN, BOB]);
        assert_eq!(p.users[0].username, "erin");
        assert_eq!(p.users[0].name, "Erin");
        assert_eq!(p.users[1].username, "bob");
        assert_eq!(p.users[1].name, "Bob");
        assert_eq!(p.result_count, 2);
        assert_eq!(p.next_token, None);
        assert_eq!(p.previous_token, None);
        assert!(p.errors.is_empty());
        let w = p.rate_limit.endpoint.expect("x-rate-limit-* headers");
        assert_eq!(w.limit, 300);
        assert_eq!(p.users[0].rate_limit, p.rate_limit);
        assert_eq!(c.rate_limit(Endpoint::Followers), Some(p.rate_limit));
        assert_eq!(c.rate_limit(Endpoint::Following), None);

        // The same list by explicit id.
        let p = c.followers(Some(ALICE), &PageRequest::default()).unwrap();
        assert_eq!(ids(&p), [ERIN, BOB]);

        // alice follows nobody: an empty page without `data`.
        let p = c.following(None, &PageRequest::default()).unwrap();
        assert!(p.users.is_empty());
        assert_eq!(p.result_count, 0);
        assert_eq!(p.next_token, None);
        assert!(c.rate_limit(Endpoint::Following).is_some());

        let p = c.following(Some(BOB), &PageRequest::default()).unwrap();
        assert_eq!(ids(&p), [ALICE]);
        assert_eq!(p.users[0].username, "alice");
    }
}

#[test]
fn following_reflects_follows_newest_first() {
    let e = Emulator::start();
    let c = e.alice_oauth1();
    for t in [BOB, XDEV, ERIN] {
        c.follow(None, t).unwrap();
    }
    let p = c.following(None, &first(Some(2))).unwrap();
    assert_eq!(ids(&p), [ERIN, XDEV]);
    assert_eq!(p.result_count, 2);
    let next = p.next_token.clone().expect("a second page");
    assert_eq!(next.len(), 16);
    let p2 = c
        .following(
            None,
            &PageRequest {
                max_results: Some(2),
                pagination_token: Some(&next),
            },
        )
        .unwrap();
    assert_eq!(ids(&p2), [BOB]);
    assert_eq!(p2.result_count, 1);
    assert_eq!(p2.next_token, None);
    assert!(p2.previous_token.is_some());

    let all: Vec<String> = c
        .following_iter(None, Some(1))
        .map(|p| p.unwrap())
        .flat_map(|p| p.users.into_iter().map(|u| u.id))
        .collect();
    assert_eq!(all, [ERIN, XDEV, BOB]);

    c.unfollow(None, XDEV).unwrap();
    let p = c.following(None, &PageRequest::default()).unwrap();
    assert_eq!(ids(&p), [ERIN, BOB]);
    // Followers of the other side see it too.
    let p = c.followers(Some(ERIN), &PageRequest::default()).unwrap();
    assert_eq!(ids(&p), [ALICE]);
}

#[test]
fn pagination_to_the_end() {
    let (e, expected) = crowd(23); // 25 followers in all
    assert_eq!(expected.len(), 25);
    for c in [e.alice_oauth1(), e.alice_oauth2()] {
        // By hand, 7 per page: 7 + 7 + 7 + 4.
        let mut token: Option<String> = None;
        let mut got: Vec<String> = Vec::new();
        let mut sizes = Vec::new();
        loop {
            let p = c
                .followers(
                    Some(ALICE),
                    &PageRequest {
                        max_results: Some(7),
                        pagination_token: token.as_deref(),
                    },
                )
                .unwrap();
            assert_eq!(p.result_count as usize, p.users.len());
            assert_eq!(p.previous_token.is_some(), token.is_some());
            sizes.push(p.users.len());
            got.extend(p.users.into_iter().map(|u| u.id));
            match p.next_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        assert_eq!(sizes, [7, 7, 7, 4]);
        assert_eq!(got, expected);

        // The iterator: the same ids, stopping after the last page.
        let pages: Vec<UserPage> = c
            .followers_iter(None, Some(5))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(pages.len(), 5);
        assert!(pages[..4].iter().all(|p| p.next_token.is_some()));
        assert_eq!(pages[4].next_token, None);
        let all: Vec<&str> = pages.iter().flat_map(ids).collect();
        assert_eq!(all, expected);

        // One page of 1000 holds everything; bounded by the caller with take().
        let one: Vec<UserPage> = c
            .followers_iter(None, Some(1000))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(ids(&one[0]), expected);
        assert_eq!(c.followers_iter(None, Some(1)).take(3).count(), 3);

        // The default page size is 100.
        let p = c.followers(None, &PageRequest::default()).unwrap();
        assert_eq!(p.users.len(), 25);
        assert_eq!(p.next_token, None);

        // Each fan follows exactly alice.
        let p = c.following(Some(&expected[0]), &first(None)).unwrap();
        assert_eq!(ids(&p), [ALICE]);
    }
}

#[test]
fn bad_arguments_send_nothing() {
    let e = Emulator::start();
    let c = e.alice_oauth1();
    let before = e.accepted();
    for (max, token, msg) in [
        (
            Some(0),
            None,
            "max_results must be between 1 and 1000 (got 0)",
        ),
        (
            Some(1001),
            None,
            "max_results must be between 1 and 1000 (got 1001)",
        ),
        (
            None,
            Some(""),
            "pagination token must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -",
        ),
        (
            Some(10),
            Some("abc&max_results=5"),
            "pagination token must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -",
        ),
    ] {
        let page = PageRequest {
            max_results: max,
            pagination_token: token,
        };
        for r in [c.followers(None, &page), c.following(Some(BOB), &page)] {
            let err = r.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            assert_eq!(err.message(), msg);
            assert_eq!(err.http_status(), None);
            assert!(!err.may_have_reached_server());
        }
    }
    for bad in ["", "abc", "12/../me", "15000000000000000011"] {
        let err = c.followers(Some(bad), &PageRequest::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(err.message(), "user id must be a user id of 1 to 19 digits");
    }
    let mut it = c.followers_iter(None, Some(0));
    assert_eq!(
        it.next().unwrap().unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert!(it.next().is_none());
    // Only the admin request itself was accepted since.
    assert_eq!(e.accepted(), before + 1);

    // Both bounds themselves are accepted.
    assert_eq!(c.followers(None, &first(Some(1))).unwrap().users.len(), 1);
    assert_eq!(
        c.followers(None, &first(Some(1000))).unwrap().users.len(),
        2
    );
}

#[test]
fn token_the_server_refuses() {
    let e = Emulator::start();
    let c = e.alice_oauth1();
    let err = c
        .followers(
            None,
            &PageRequest {
                max_results: None,
                pagination_token: Some("WWWWWWWWWWWWWZZZ"),
            },
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.http_status(), Some(400));
    assert!(
        err.message().contains(
            "The `pagination_token` query parameter value [WWWWWWWWWWWWWZZZ] is not valid"
        ),
        "{}",
        err.message()
    );
}

#[test]
fn oauth2_without_follows_read_is_forbidden() {
    let e = Emulator::start();
    let c = e
        .builder()
        .oauth2_token("bob-demo-oauth2-readonly")
        .build()
        .unwrap();
    for r in [
        c.followers(Some(ALICE), &PageRequest::default()),
        c.following(Some(BOB), &PageRequest::default()),
    ] {
        let err = r.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Forbidden);
        assert_eq!(err.http_status(), Some(403));
        assert!(err.message().starts_with("HTTP 403 "), "{}", err.message());
    }
    let mut it = c.followers_iter(Some(ALICE), None);
    assert_eq!(it.next().unwrap().unwrap_err().kind(), ErrorKind::Forbidden);
    assert!(it.next().is_none());
    // users.read alone still reads the own profile.
    assert_eq!(c.me().unwrap().id, BOB);
}

#[test]
fn unknown_and_suspended_users() {
    let e = Emulator::start();
    let c = e.alice_oauth2();
    let err = c.followers(Some("1"), &PageRequest::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.http_status(), Some(200));
    assert_eq!(err.problem().type_suffix(), Some("resource-not-found"));
    assert_eq!(
        err.message(),
        "HTTP 200 Not Found Error: Could not find user with id: [1]."
    );
    let err = c.following(Some("1"), &PageRequest::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);

    let err = c
        .followers(Some(DAVE), &PageRequest::default())
        .unwrap_err();
    assert_eq!(err.http_status(), Some(200));
    assert!(err.message().contains(DAVE), "{}", err.message());

    // An existing user nobody follows: an empty page, not an error.
    let p = c.followers(Some(XDEV), &PageRequest::default()).unwrap();
    assert!(p.users.is_empty());
    assert_eq!(p.result_count, 0);
    assert_eq!(p.next_token, None);
}

#[test]
fn iterator_stops_after_an_error() {
    let (e, expected) = crowd(3); // 5 followers
    let c = e.alice_oauth1();
    let mut it = c.followers_iter(None, Some(2));
    let p = it.next().unwrap().unwrap();
    assert_eq!(ids(&p), expected[..2]);
    e.fault(json!({"route": "GET /2/users/*/followers", "kind": "status", "status": 403}));
    let err = it.next().unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert!(it.next().is_none());
    assert!(it.next().is_none());
    // A fresh iterator reads everything again.
    let all: Vec<String> = c
        .followers_iter(None, Some(2))
        .map(Result::unwrap)
        .flat_map(|p| p.users.into_iter().map(|u| u.id))
        .collect();
    assert_eq!(all, expected);
}
