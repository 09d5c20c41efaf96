//! Follow, unfollow, me and by-username against the emulator.

mod support;

use support::*;
use xfollow::{Endpoint, ErrorKind, FollowState, Window};

#[test]
fn follow_oauth1() {
    let e = Emulator::start();
    let c = e.alice_oauth1();
    let o = c.follow(None, BOB).unwrap();
    assert!(o.following);
    assert!(!o.pending_follow);
    assert_eq!(o.state, FollowState::Following);
    assert_eq!(o.http_status, 200);
    assert!(o.errors.is_empty());
    let w = o.rate_limit.endpoint.unwrap();
    assert_eq!((w.limit, w.remaining), (50, 49));
    assert_eq!(
        o.rate_limit.user_24h.map(|w| (w.limit, w.remaining)),
        Some((400, 399))
    );
    assert_eq!(
        o.rate_limit.app_24h.map(|w| (w.limit, w.remaining)),
        Some((1000, 999))
    );
    assert!(w.reset > e.now());
    assert_eq!(c.rate_limit(Endpoint::Follow), Some(o.rate_limit));
    assert!(e.follows(ALICE, BOB));
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 1);
}

#[test]
fn follow_pending_for_protected_target() {
    let e = Emulator::start();
    let c = e.alice_oauth1();
    let o = c.follow(Some(ALICE), CAROL).unwrap();
    assert!(!o.following);
    assert!(o.pending_follow);
    assert_eq!(o.state, FollowState::Pending);
    assert!(e.pending(ALICE, CAROL));
    assert!(!e.follows(ALICE, CAROL));
}

#[test]
fn repeats_are_idempotent() {
    let e = Emulator::start();
    let c = e.alice_oauth1();
    for _ in 0..3 {
        let o = c.follow(None, ERIN).unwrap();
        assert_eq!(o.state, FollowState::Following);
    }
    for _ in 0..2 {
        assert_eq!(c.follow(None, CAROL).unwrap().state, FollowState::Pending);
    }
    let edges = e.edges("follows");
    assert_eq!(
        edges
            .iter()
            .filter(|(s, t)| s == ALICE && t == ERIN)
            .count(),
        1
    );
    assert_eq!(
        e.edges("pending")
            .iter()
            .filter(|(s, t)| s == ALICE && t == CAROL)
            .count(),
        1
    );
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 5);
    for _ in 0..2 {
        let o = c.unfollow(None, ERIN).unwrap();
        assert_eq!(o.state, FollowState::NotFollowing);
    }
    assert!(!e.follows(ALICE, ERIN));
    assert_eq!(e.user_counter(ALICE, "unfollow_requests"), 2);
}

#[test]
fn unfollow_oauth1_and_oauth2() {
    let e = Emulator::start();
    // bob follows alice in the demo world: unfollow as bob with an explicit source.
    let bob = e
        .builder()
        .oauth1(
            CONSUMER_KEY,
            CONSUMER_SECRET,
            "1500000000000000002-bobDemoAccessToken",
            "bob-demo-token-secret",
        )
        .build()
        .unwrap();
    assert!(e.follows(BOB, ALICE));
    let o = bob.unfollow(Some(BOB), ALICE).unwrap();
    assert!(!o.following);
    assert!(!o.pending_follow);
    assert_eq!(o.state, FollowState::NotFollowing);
    assert_eq!(
        o.rate_limit.endpoint.map(|w| (w.limit, w.remaining)),
        Some((50, 49))
    );
    assert!(!e.follows(BOB, ALICE));
    assert_eq!(bob.rate_limit(Endpoint::Unfollow), Some(o.rate_limit));
    assert_eq!(bob.rate_limit(Endpoint::Follow), None);

    let c = e.alice_oauth2();
    c.follow(None, XDEV).unwrap();
    assert!(e.follows(ALICE, XDEV));
    let o = c.unfollow(None, XDEV).unwrap();
    assert_eq!(o.state, FollowState::NotFollowing);
    assert!(!e.follows(ALICE, XDEV));
}

#[test]
fn me_with_both_credentials() {
    let e = Emulator::start();
    // The users/me window is per user: both clients are alice.
    for (c, remaining) in [(e.alice_oauth1(), 74), (e.alice_oauth2(), 73)] {
        let u = c.me().unwrap();
        assert_eq!(u.id, ALICE);
        assert_eq!(u.username, "alice");
        assert_eq!(u.name, "Alice");
        assert_eq!(
            u.rate_limit.endpoint.map(|w| (w.limit, w.remaining)),
            Some((75, remaining))
        );
    }
}

#[test]
fn user_by_username() {
    let e = Emulator::start();
    let c = e.alice_oauth2();
    let u = c.user_by_username("XDevelopers").unwrap();
    assert_eq!(
        (u.id.as_str(), u.username.as_str(), u.name.as_str()),
        (XDEV, "XDevelopers", "Developers")
    );
    assert_eq!(u.rate_limit.endpoint.map(|w| w.limit), Some(900));
    let err = c.user_by_username("nobody").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.http_status(), Some(200));
    assert_eq!(err.problem().type_suffix(), Some("resource-not-found"));
    assert_eq!(
        err.message(),
        "HTTP 200 Not Found Error: Could not find user with username: [nobody]."
    );
    assert_eq!(err.errors().len(), 1);
}

#[test]
fn oauth1_source_comes_from_the_token_without_a_request() {
    let e = Emulator::start();
    let c = e.alice_oauth1();
    assert_eq!(c.own_user_id().unwrap(), ALICE);
    c.follow(None, BOB).unwrap();
    assert_eq!(c.rate_limit(Endpoint::Me), None);
    assert!(e.follows(ALICE, BOB));
}

#[test]
fn oauth2_source_is_asked_once_even_from_many_threads() {
    let e = Emulator::start();
    let c = e.alice_oauth2();
    std::thread::scope(|s| {
        for t in [BOB, ERIN, XDEV, CAROL, BOB, ERIN, XDEV, CAROL] {
            let c = &c;
            s.spawn(move || c.follow(None, t).unwrap());
        }
    });
    // Only one GET /2/users/me: its snapshot says 74 of 75 remain.
    assert_eq!(
        c.rate_limit(Endpoint::Me)
            .unwrap()
            .endpoint
            .map(|w| (w.limit, w.remaining)),
        Some((75, 74))
    );
    assert_eq!(c.own_user_id().unwrap(), ALICE);
    assert_eq!(e.user_counter(ALICE, "follow_requests"), 8);
    assert!(e.follows(ALICE, BOB) && e.follows(ALICE, ERIN) && e.follows(ALICE, XDEV));
    assert!(e.pending(ALICE, CAROL));
}

#[test]
fn wrong_source_user_is_forbidden() {
    let e = Emulator::start();
    let c = e.alice_oauth1();
    let err = c.follow(Some(BOB), ERIN).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert_eq!(err.http_status(), Some(403));
    assert_eq!(err.problem().title.as_deref(), Some("Forbidden"));
    assert_eq!(
        err.message(),
        "HTTP 403 Forbidden: You are not allowed to follow on behalf of another user."
    );
    assert!(err.may_have_reached_server());
    assert!(!e.follows(BOB, ERIN));
}

#[test]
fn unknown_target_is_not_found() {
    let e = Emulator::start();
    let c = e.alice_oauth1();
    let err = c.follow(None, "1234").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.http_status(), Some(404));
    assert_eq!(err.problem().type_suffix(), Some("resource-not-found"));
    assert_eq!(
        err.message(),
        "HTTP 404 Not Found Error: Could not find user with target_user_id: [1234]."
    );
    assert_eq!(err.rate_limit().endpoint.map(|w| w.remaining), Some(49));
}

#[test]
fn bad_input_never_reaches_the_network() {
    let e = Emulator::start();
    let c = e.alice_oauth2();
    let before = e.accepted();
    let cases: [(&str, Option<&str>, &str); 5] = [
        (
            "",
            None,
            "target user id must be a user id of 1 to 19 digits",
        ),
        (
            "12345678901234567890",
            None,
            "target user id must be a user id of 1 to 19 digits",
        ),
        (
            "1/../../me",
            None,
            "target user id must be a user id of 1 to 19 digits",
        ),
        (
            BOB,
            Some("abc"),
            "source user id must be a user id of 1 to 19 digits",
        ),
        (
            BOB,
            Some(""),
            "source user id must be a user id of 1 to 19 digits",
        ),
    ];
    for (target, source, msg) in cases {
        for r in [c.follow(source, target), c.unfollow(source, target)] {
            let err = r.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            assert_eq!(err.message(), msg);
            assert!(!err.may_have_reached_server());
        }
    }
    for name in ["", "sixteen_chars_xx", "a b", "al/ice", "é"] {
        let err = c.user_by_username(name).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }
    // Only the admin request itself was accepted since.
    assert_eq!(e.accepted(), before + 1);
}

#[test]
fn snapshot_is_kept_per_endpoint() {
    let e = Emulator::start();
    let c = e.alice_oauth1();
    c.follow(None, BOB).unwrap();
    c.follow(None, ERIN).unwrap();
    c.unfollow(None, ERIN).unwrap();
    let f = c.rate_limit(Endpoint::Follow).unwrap().endpoint.unwrap();
    let u = c.rate_limit(Endpoint::Unfollow).unwrap().endpoint.unwrap();
    assert_eq!((f.limit, f.remaining), (50, 48));
    assert_eq!((u.limit, u.remaining), (50, 49));
    let _: Window = f;
}
