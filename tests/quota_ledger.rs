//! The quota ledger's counting rules, run against each store: memory, SQLite and Redis.

mod quota_support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use quota_support::{RedisServer, TempDir};
use xfollow::quota::{
    Action, AppId, Ledger, ManualClock, QuotaError, QuotaExhausted, QuotaLimits, Reservation,
    Scope, ServerWindow, StoreKind,
};

const T0: i64 = 1_700_000_000;
const DAY: i64 = 86_400;

#[derive(Clone, Copy)]
enum Kind {
    Memory,
    Sqlite,
    Redis,
}

/// One store, one clock, one app of its own.
struct Fixture {
    url: String,
    clock: ManualClock,
    app: AppId,
    _dir: Option<TempDir>,
    _redis: Option<RedisServer>,
}

impl Fixture {
    fn new(kind: Kind) -> Fixture {
        static N: AtomicU64 = AtomicU64::new(0);
        // The memory store is shared by the whole process: a distinct app per test keeps the
        // tests apart.
        let app = AppId::from_key(&format!(
            "test-app-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let clock = ManualClock::at_epoch(T0);
        match kind {
            Kind::Memory => Fixture {
                url: "memory:".into(),
                clock,
                app,
                _dir: None,
                _redis: None,
            },
            Kind::Sqlite => {
                let dir = TempDir::new("quota-ledger");
                Fixture {
                    url: format!("sqlite:{}", dir.path().join("quota.db").display()),
                    clock,
                    app,
                    _dir: Some(dir),
                    _redis: None,
                }
            }
            Kind::Redis => {
                let redis = RedisServer::start();
                Fixture {
                    url: redis.url(),
                    clock,
                    app,
                    _dir: None,
                    _redis: Some(redis),
                }
            }
        }
    }

    fn ledger(&self, limits: QuotaLimits) -> Ledger {
        Ledger::open_with_clock(&self.url, limits, Arc::new(self.clock.clone()))
            .expect("open ledger")
    }

    fn at(&self, t: i64) {
        self.clock.set_epoch(t);
    }
}

fn limits(user: u32, app: u32, unfollows: u32) -> QuotaLimits {
    QuotaLimits {
        follows_per_user: user,
        follows_per_app: app,
        unfollows_per_app: unfollows,
    }
}

fn refused(r: Result<Reservation, QuotaError>) -> QuotaExhausted {
    match r {
        Err(QuotaError::Exhausted(e)) => e,
        Err(e) => panic!("expected a refusal, got the error {e}"),
        Ok(res) => panic!("expected a refusal, got reservation {}", res.id()),
    }
}

fn follow(f: &Fixture, l: &Ledger, user: &str) -> Reservation {
    l.reserve(&f.app, user, Action::Follow)
        .expect("follow slot")
}

// ---------------------------------------------------------------------------------------------

fn user_cap_refuses_the_next_follow(kind: Kind) {
    let f = Fixture::new(kind);
    let l = f.ledger(limits(3, 10, 5));
    for i in 0..3 {
        f.at(T0 + 10 * i);
        follow(&f, &l, "11").commit();
    }
    f.at(T0 + 30);
    let e = refused(l.reserve(&f.app, "11", Action::Follow));
    assert_eq!(
        e,
        QuotaExhausted {
            action: Action::Follow,
            scope: Scope::User,
            limit: 3,
            used: 3,
            next_free_at: T0 + DAY,
        }
    );
    // Another user of the same app still has room; so do unfollows.
    follow(&f, &l, "22").commit();
    l.reserve(&f.app, "11", Action::Unfollow)
        .expect("unfollow slot")
        .commit();
    let s = l.status(&f.app, "11").unwrap();
    assert_eq!((s.user_used, s.user_remaining), (3, Some(0)));
    assert_eq!((s.app_used, s.app_remaining), (4, Some(6)));
    assert_eq!((s.unfollows_used, s.unfollows_remaining), (1, Some(4)));
    assert_eq!(s.next_free_at, Some(T0 + DAY));
    assert_eq!(s.unfollows_next_free_at, None);
    assert_eq!(s.at, T0 + 30);
}

fn app_cap_refuses_across_users(kind: Kind) {
    let f = Fixture::new(kind);
    let l = f.ledger(limits(0, 5, 0));
    let users = ["1", "2", "3", "4", "5"];
    for (i, u) in users.iter().enumerate() {
        f.at(T0 + 100 + i as i64);
        follow(&f, &l, u).commit();
    }
    f.at(T0 + 200);
    let e = refused(l.reserve(&f.app, "6", Action::Follow));
    assert_eq!(
        e,
        QuotaExhausted {
            action: Action::Follow,
            scope: Scope::App,
            limit: 5,
            used: 5,
            next_free_at: T0 + 100 + DAY,
        }
    );
    let s = l.status(&f.app, "6").unwrap();
    assert_eq!((s.user_used, s.user_remaining), (0, None));
    assert_eq!((s.app_used, s.app_remaining), (5, Some(0)));
    assert_eq!(s.next_free_at, Some(T0 + 100 + DAY));
}

fn unfollow_cap_is_separate(kind: Kind) {
    let f = Fixture::new(kind);
    let l = f.ledger(limits(1, 1, 2));
    follow(&f, &l, "7").commit();
    for _ in 0..2 {
        l.reserve(&f.app, "7", Action::Unfollow).unwrap().commit();
    }
    f.at(T0 + 5);
    let e = refused(l.reserve(&f.app, "8", Action::Unfollow));
    assert_eq!(
        e,
        QuotaExhausted {
            action: Action::Unfollow,
            scope: Scope::App,
            limit: 2,
            used: 2,
            next_free_at: T0 + DAY,
        }
    );
    let s = l.status(&f.app, "7").unwrap();
    assert_eq!((s.unfollows_used, s.unfollows_remaining), (2, Some(0)));
    assert_eq!(s.unfollows_next_free_at, Some(T0 + DAY));
    assert_eq!((s.user_used, s.app_used), (1, 1));
}

fn release_frees_commit_and_drop_do_not(kind: Kind) {
    let f = Fixture::new(kind);
    let l = f.ledger(limits(2, 0, 0));
    let r = follow(&f, &l, "9");
    assert_eq!(l.status(&f.app, "9").unwrap().user_used, 1);
    r.release().unwrap();
    let s = l.status(&f.app, "9").unwrap();
    assert_eq!((s.user_used, s.app_used), (0, 0));

    follow(&f, &l, "9").commit();
    {
        let _dropped = follow(&f, &l, "9");
    }
    let s = l.status(&f.app, "9").unwrap();
    assert_eq!((s.user_used, s.user_remaining, s.app_used), (2, Some(0), 2));
    refused(l.reserve(&f.app, "9", Action::Follow));

    // Releasing an unfollow frees only the unfollow window.
    let u = l.reserve(&f.app, "9", Action::Unfollow).unwrap();
    assert_eq!(l.status(&f.app, "9").unwrap().unfollows_used, 1);
    u.release().unwrap();
    let s = l.status(&f.app, "9").unwrap();
    assert_eq!((s.unfollows_used, s.user_used, s.app_used), (0, 2, 2));
}

fn the_clock_frees_exactly_the_expired_slots(kind: Kind) {
    let f = Fixture::new(kind);
    let l = f.ledger(limits(3, 0, 0));
    for t in [T0, T0 + 100, T0 + 200] {
        f.at(t);
        let r = follow(&f, &l, "5");
        assert_eq!((r.reserved_at(), r.frees_at()), (t, t + DAY));
        r.commit();
    }
    f.at(T0 + DAY - 1);
    assert_eq!(
        refused(l.reserve(&f.app, "5", Action::Follow)).next_free_at,
        T0 + DAY
    );
    f.at(T0 + DAY);
    let s = l.status(&f.app, "5").unwrap();
    assert_eq!(
        (s.user_used, s.user_remaining, s.next_free_at),
        (2, Some(1), None)
    );
    follow(&f, &l, "5").commit();
    assert_eq!(
        refused(l.reserve(&f.app, "5", Action::Follow)).next_free_at,
        T0 + 100 + DAY
    );
    f.at(T0 + 200 + DAY);
    // The slots stamped T0+100 and T0+200 are free; the one stamped T0+DAY is not.
    let s = l.status(&f.app, "5").unwrap();
    assert_eq!((s.user_used, s.user_remaining), (1, Some(2)));
    f.at(T0 + 2 * DAY);
    assert_eq!(l.status(&f.app, "5").unwrap().user_used, 0);
}

fn server_correction_lowers_room_and_never_raises_it(kind: Kind) {
    let f = Fixture::new(kind);
    let l = f.ledger(QuotaLimits::default());
    for _ in 0..10 {
        follow(&f, &l, "42").commit();
    }
    let user = |remaining, reset| ServerWindow {
        scope: Scope::User,
        limit: 400,
        remaining,
        reset,
    };
    // X reports more room than the ledger: nothing changes.
    assert_eq!(
        l.observe_server_window(&f.app, "42", Action::Follow, user(395, T0 + 3600))
            .unwrap(),
        0
    );
    assert_eq!(l.status(&f.app, "42").unwrap().user_remaining, Some(390));
    // Less room: placeholders that free at X's reset.
    assert_eq!(
        l.observe_server_window(&f.app, "42", Action::Follow, user(100, T0 + 3600))
            .unwrap(),
        290
    );
    let s = l.status(&f.app, "42").unwrap();
    assert_eq!((s.user_used, s.user_remaining), (300, Some(100)));
    assert_eq!((s.app_used, s.app_remaining), (10, Some(990)));
    // A later report of more room does not undo it; a stale reset is ignored.
    assert_eq!(
        l.observe_server_window(&f.app, "42", Action::Follow, user(400, T0 + 3600))
            .unwrap(),
        0
    );
    assert_eq!(
        l.observe_server_window(&f.app, "42", Action::Follow, user(0, T0))
            .unwrap(),
        0
    );
    assert_eq!(l.status(&f.app, "42").unwrap().user_remaining, Some(100));
    // remaining > limit is not believed.
    let bogus = ServerWindow {
        scope: Scope::User,
        limit: 5,
        remaining: 6,
        reset: T0 + 10,
    };
    assert_eq!(
        l.observe_server_window(&f.app, "42", Action::Follow, bogus)
            .unwrap(),
        0
    );

    // The app window: X says none left until T0+600.
    let app0 = ServerWindow {
        scope: Scope::App,
        limit: 1000,
        remaining: 0,
        reset: T0 + 600,
    };
    assert_eq!(
        l.observe_server_window(&f.app, "42", Action::Follow, app0)
            .unwrap(),
        990
    );
    let e = refused(l.reserve(&f.app, "43", Action::Follow));
    assert_eq!(
        (e.scope, e.limit, e.used, e.next_free_at),
        (Scope::App, 1000, 1000, T0 + 600)
    );
    // At X's reset the placeholders free; the real entries stay.
    f.at(T0 + 600);
    let s = l.status(&f.app, "42").unwrap();
    assert_eq!((s.app_used, s.app_remaining), (10, Some(990)));
    assert_eq!((s.user_used, s.user_remaining), (300, Some(100)));
    f.at(T0 + 3600);
    assert_eq!(l.status(&f.app, "42").unwrap().user_used, 10);

    // Unfollows: the app window is corrected, a user window is meaningless.
    let unf = ServerWindow {
        scope: Scope::App,
        limit: 500,
        remaining: 7,
        reset: T0 + 7200,
    };
    assert_eq!(
        l.observe_server_window(&f.app, "42", Action::Unfollow, unf)
            .unwrap(),
        493
    );
    assert_eq!(l.status(&f.app, "42").unwrap().unfollows_remaining, Some(7));
    let unf_user = ServerWindow {
        scope: Scope::User,
        limit: 500,
        remaining: 0,
        reset: T0 + 7200,
    };
    assert_eq!(
        l.observe_server_window(&f.app, "42", Action::Unfollow, unf_user)
            .unwrap(),
        0
    );
}

fn zero_turns_a_cap_off(kind: Kind) {
    let f = Fixture::new(kind);
    let l = f.ledger(QuotaLimits::UNLIMITED);
    for i in 0..30 {
        follow(&f, &l, if i % 2 == 0 { "1" } else { "2" }).commit();
        l.reserve(&f.app, "1", Action::Unfollow).unwrap().commit();
    }
    let s = l.status(&f.app, "1").unwrap();
    assert_eq!((s.user_used, s.user_remaining), (15, None));
    assert_eq!((s.app_used, s.app_remaining), (30, None));
    assert_eq!((s.unfollows_used, s.unfollows_remaining), (30, None));
    assert_eq!((s.next_free_at, s.unfollows_next_free_at), (None, None));
    // Server corrections do not turn an off cap on.
    let w = ServerWindow {
        scope: Scope::App,
        limit: 1000,
        remaining: 0,
        reset: T0 + 60,
    };
    assert_eq!(
        l.observe_server_window(&f.app, "1", Action::Follow, w)
            .unwrap(),
        0
    );
    follow(&f, &l, "1").commit();

    // Only the user cap on.
    let l = f.ledger(limits(16, 0, 0));
    let e = refused(l.reserve(&f.app, "1", Action::Follow));
    assert_eq!((e.scope, e.limit, e.used), (Scope::User, 16, 16));
    follow(&f, &l, "2").commit();
}

/// X's example: with five users, two can use 400 each and the remaining three share the last 200.
fn five_users_share_the_app_cap(kind: Kind) {
    let f = Fixture::new(kind);
    let l = f.ledger(QuotaLimits::default());
    let mut t = T0;
    for user in ["101", "102"] {
        for _ in 0..400 {
            follow(&f, &l, user).commit();
        }
        t += 60;
        f.at(t);
        let e = refused(l.reserve(&f.app, user, Action::Follow));
        assert_eq!((e.scope, e.limit, e.used), (Scope::User, 400, 400));
    }
    let s = l.status(&f.app, "103").unwrap();
    assert_eq!(
        (s.app_used, s.app_remaining, s.user_remaining),
        (800, Some(200), Some(400))
    );
    // The other three share the last 200: 120 + 50 + 30.
    for (user, n) in [("103", 120), ("104", 50), ("105", 30)] {
        for _ in 0..n {
            follow(&f, &l, user).commit();
        }
        t += 60;
        f.at(t);
    }
    for user in ["103", "104", "105"] {
        let e = refused(l.reserve(&f.app, user, Action::Follow));
        assert_eq!(
            e,
            QuotaExhausted {
                action: Action::Follow,
                scope: Scope::App,
                limit: 1000,
                used: 1000,
                next_free_at: T0 + DAY,
            }
        );
    }
    // User 101 is at both caps; both free at T0 + DAY: the user's cap is named.
    assert_eq!(
        refused(l.reserve(&f.app, "101", Action::Follow)).scope,
        Scope::User
    );
    let s = l.status(&f.app, "104").unwrap();
    assert_eq!(
        (s.user_used, s.user_remaining, s.app_used, s.app_remaining),
        (50, Some(350), 1000, Some(0))
    );
    assert_eq!(s.next_free_at, Some(T0 + DAY));
    // Unfollows are not follows.
    l.reserve(&f.app, "104", Action::Unfollow).unwrap().commit();
    // A day later the first user's 400 free: 400 slots for the app, 400 for each user.
    f.at(T0 + DAY);
    let s = l.status(&f.app, "103").unwrap();
    assert_eq!(
        (s.app_used, s.app_remaining, s.user_remaining),
        (600, Some(400), Some(280))
    );
}

fn the_window_that_frees_last_is_named(kind: Kind) {
    let f = Fixture::new(kind);
    let l = f.ledger(limits(2, 3, 0));
    follow(&f, &l, "2").commit();
    f.at(T0 + 10);
    follow(&f, &l, "1").commit();
    f.at(T0 + 20);
    follow(&f, &l, "1").commit();
    f.at(T0 + 30);
    // User 1: its own window frees at T0+10+DAY, the app's at T0+DAY.
    let e = refused(l.reserve(&f.app, "1", Action::Follow));
    assert_eq!((e.scope, e.next_free_at), (Scope::User, T0 + 10 + DAY));
    assert_eq!(
        l.status(&f.app, "1").unwrap().next_free_at,
        Some(T0 + 10 + DAY)
    );
    // User 2: only the app's window is full.
    let e = refused(l.reserve(&f.app, "2", Action::Follow));
    assert_eq!((e.scope, e.next_free_at), (Scope::App, T0 + DAY));
}

fn an_over_full_window_frees_when_enough_entries_expire(kind: Kind) {
    let f = Fixture::new(kind);
    let generous = f.ledger(limits(5, 0, 0));
    for i in 0..5 {
        f.at(T0 + i);
        follow(&f, &generous, "3").commit();
    }
    // A ledger with a lower cap on the same store: 5 used of 2, so 4 must expire.
    let strict = f.ledger(limits(2, 0, 0));
    let e = refused(strict.reserve(&f.app, "3", Action::Follow));
    assert_eq!((e.limit, e.used, e.next_free_at), (2, 5, T0 + 3 + DAY));
    let s = strict.status(&f.app, "3").unwrap();
    assert_eq!(
        (s.user_used, s.user_remaining, s.next_free_at),
        (5, Some(0), Some(T0 + 3 + DAY))
    );
    f.at(T0 + 3 + DAY);
    strict
        .reserve(&f.app, "3", Action::Follow)
        .unwrap()
        .commit();
}

fn apps_do_not_share_windows(kind: Kind) {
    let f = Fixture::new(kind);
    let l = f.ledger(limits(1, 1, 1));
    follow(&f, &l, "1").commit();
    let other = AppId::from_key("another-app-key");
    l.reserve(&other, "1", Action::Follow)
        .unwrap()
        .release()
        .unwrap();
    refused(l.reserve(&f.app, "1", Action::Follow));
}

fn bad_user_ids_are_refused(kind: Kind) {
    let f = Fixture::new(kind);
    let l = f.ledger(QuotaLimits::default());
    for bad in ["", "1:2", "a b", "{1}"] {
        assert_eq!(
            l.reserve(&f.app, bad, Action::Follow).unwrap_err(),
            QuotaError::InvalidUserId
        );
        assert_eq!(
            l.status(&f.app, bad).unwrap_err(),
            QuotaError::InvalidUserId
        );
    }
}

fn two_ledgers_on_one_store_share_the_count(kind: Kind) {
    let f = Fixture::new(kind);
    let a = f.ledger(limits(3, 0, 0));
    let b = f.ledger(limits(3, 0, 0));
    follow(&f, &a, "1").commit();
    follow(&f, &b, "1").commit();
    follow(&f, &a, "1").commit();
    refused(b.reserve(&f.app, "1", Action::Follow));
    assert_eq!(b.status(&f.app, "1").unwrap().user_used, 3);
}

/// Entries (slots and placeholders) the store holds for `f`'s app, all windows; `None` for the
/// memory store (its unit tests count those).
fn stored_entries(f: &Fixture, kind: Kind) -> Option<i64> {
    match kind {
        Kind::Memory => None,
        Kind::Sqlite => {
            let path = f.url.strip_prefix("sqlite:").unwrap();
            let conn = rusqlite::Connection::open(path).unwrap();
            Some(
                conn.query_row(
                    "SELECT COUNT(*) FROM xfollow_quota_slots WHERE app = ?1",
                    [f.app.as_str()],
                    |r| r.get(0),
                )
                .unwrap(),
            )
        }
        Kind::Redis => {
            let client = ::redis::Client::open(f.url.as_str()).unwrap();
            let mut c = client.get_connection().unwrap();
            let keys: Vec<String> = ::redis::cmd("KEYS")
                .arg(format!("xfollow:quota:{{{}}}:*", f.app.as_str()))
                .query(&mut c)
                .unwrap();
            let mut n = 0;
            for k in keys {
                let t: String = ::redis::cmd("TYPE").arg(&k).query(&mut c).unwrap();
                if t == "zset" {
                    n += ::redis::cmd("ZCARD").arg(&k).query::<i64>(&mut c).unwrap();
                }
            }
            Some(n)
        }
    }
}

/// Issue 10 item 5: one answer with a reset in the year 5138 must not close the window for
/// ever; it is taken as 24 hours ahead.
fn a_far_future_reset_is_clamped_to_a_day(kind: Kind) {
    let f = Fixture::new(kind);
    let l = f.ledger(QuotaLimits::default());
    let far = ServerWindow {
        scope: Scope::App,
        limit: 1000,
        remaining: 0,
        reset: 99_999_999_999,
    };
    assert_eq!(
        l.observe_server_window(&f.app, "42", Action::Follow, far)
            .unwrap(),
        1000
    );
    let user_far = ServerWindow {
        scope: Scope::User,
        reset: i64::MAX,
        ..far
    };
    l.observe_server_window(&f.app, "42", Action::Follow, user_far)
        .unwrap();
    let e = refused(l.reserve(&f.app, "42", Action::Follow));
    assert_eq!(
        (e.scope, e.limit, e.used, e.next_free_at),
        (Scope::User, 400, 400, T0 + DAY)
    );
    let s = l.status(&f.app, "42").unwrap();
    assert_eq!(
        (s.app_used, s.app_remaining, s.next_free_at),
        (1000, Some(0), Some(T0 + DAY))
    );
    f.at(T0 + DAY - 1);
    refused(l.reserve(&f.app, "42", Action::Follow));
    f.at(T0 + DAY);
    follow(&f, &l, "42").commit();
    let s = l.status(&f.app, "42").unwrap();
    assert_eq!((s.app_used, s.user_used), (1, 1));
}

/// Issue 10 item 5: "none left until T" is one marker per window, not one entry per slot,
/// whatever limit X claims; the marker lapses at T.
fn none_left_is_one_marker_not_n_entries(kind: Kind) {
    let f = Fixture::new(kind);
    let l = f.ledger(limits(400, 10_000, 500));
    follow(&f, &l, "7").commit();
    let huge = |scope| ServerWindow {
        scope,
        limit: 1_000_000,
        remaining: 0,
        reset: T0 + 600,
    };
    assert_eq!(
        l.observe_server_window(&f.app, "7", Action::Follow, huge(Scope::App))
            .unwrap(),
        9_999
    );
    assert_eq!(
        l.observe_server_window(&f.app, "7", Action::Follow, huge(Scope::User))
            .unwrap(),
        399
    );
    assert_eq!(
        l.observe_server_window(&f.app, "7", Action::Unfollow, huge(Scope::App))
            .unwrap(),
        500
    );
    // The one real follow, in the user's and the app's window: nothing else.
    if let Some(n) = stored_entries(&f, kind) {
        assert_eq!(n, 2);
    }
    // A second answer: the marker stays one, and keeps the later time.
    let earlier = ServerWindow {
        reset: T0 + 300,
        ..huge(Scope::App)
    };
    assert_eq!(
        l.observe_server_window(&f.app, "7", Action::Follow, earlier)
            .unwrap(),
        0
    );
    if let Some(n) = stored_entries(&f, kind) {
        assert_eq!(n, 2);
    }
    let e = refused(l.reserve(&f.app, "8", Action::Follow));
    assert_eq!(
        (e.scope, e.limit, e.used, e.next_free_at),
        (Scope::App, 10_000, 10_000, T0 + 600)
    );
    let e = refused(l.reserve(&f.app, "8", Action::Unfollow));
    assert_eq!((e.limit, e.used, e.next_free_at), (500, 500, T0 + 600));
    f.at(T0 + 599);
    refused(l.reserve(&f.app, "8", Action::Follow));
    f.at(T0 + 600);
    let s = l.status(&f.app, "7").unwrap();
    assert_eq!(
        (s.user_used, s.app_used, s.unfollows_used, s.next_free_at),
        (1, 1, 0, None)
    );
    follow(&f, &l, "7").commit();
    l.reserve(&f.app, "8", Action::Unfollow).unwrap().commit();
}

/// Issue 10 item 5: limits near `u32::MAX` from X change nothing but the marker.
fn limits_near_u32_max_from_x_write_nothing(kind: Kind) {
    let f = Fixture::new(kind);
    let l = f.ledger(QuotaLimits::default());
    let w = |remaining| ServerWindow {
        scope: Scope::App,
        limit: u32::MAX,
        remaining,
        reset: T0 + 60,
    };
    assert_eq!(
        l.observe_server_window(&f.app, "7", Action::Follow, w(u32::MAX - 1))
            .unwrap(),
        0
    );
    assert_eq!(
        l.observe_server_window(&f.app, "7", Action::Follow, w(0))
            .unwrap(),
        1000
    );
    if let Some(n) = stored_entries(&f, kind) {
        assert_eq!(n, 0);
    }
    let e = refused(l.reserve(&f.app, "7", Action::Follow));
    assert_eq!((e.limit, e.used, e.next_free_at), (1000, 1000, T0 + 60));
}

macro_rules! for_each_store {
    ($($name:ident),* $(,)?) => {
        mod memory { $( #[test] fn $name() { super::$name(super::Kind::Memory) } )* }
        mod sqlite { $( #[test] fn $name() { super::$name(super::Kind::Sqlite) } )* }
        mod redis { $( #[test] fn $name() { super::$name(super::Kind::Redis) } )* }
    };
}

for_each_store!(
    user_cap_refuses_the_next_follow,
    app_cap_refuses_across_users,
    unfollow_cap_is_separate,
    release_frees_commit_and_drop_do_not,
    the_clock_frees_exactly_the_expired_slots,
    server_correction_lowers_room_and_never_raises_it,
    zero_turns_a_cap_off,
    five_users_share_the_app_cap,
    the_window_that_frees_last_is_named,
    an_over_full_window_frees_when_enough_entries_expire,
    apps_do_not_share_windows,
    bad_user_ids_are_refused,
    two_ledgers_on_one_store_share_the_count,
    a_far_future_reset_is_clamped_to_a_day,
    none_left_is_one_marker_not_n_entries,
    limits_near_u32_max_from_x_write_nothing,
);

/// Issue 10 item 5: a configured cap is at most 10,000 (ten times X's largest documented
/// daily cap); a larger one is refused before anything is stored.
#[test]
fn configured_caps_above_the_maximum_are_refused() {
    let dir = TempDir::new("quota-max");
    let url = format!("sqlite:{}", dir.path().join("q.db").display());
    for (l, text) in [
        (
            limits(u32::MAX, 1000, 500),
            "invalid quota limit: follows_per_user is 4294967295: at most 10000 per 24 hours (0 turns the cap off)",
        ),
        (
            limits(400, 10_001, 500),
            "invalid quota limit: follows_per_app is 10001: at most 10000 per 24 hours (0 turns the cap off)",
        ),
        (
            limits(400, 1000, u32::MAX - 1),
            "invalid quota limit: unfollows_per_app is 4294967294: at most 10000 per 24 hours (0 turns the cap off)",
        ),
    ] {
        for u in ["memory:", url.as_str()] {
            let e = Ledger::open(u, l).unwrap_err();
            assert_eq!(e.to_string(), text);
        }
    }
    let max = limits(10_000, 10_000, 10_000);
    assert_eq!(Ledger::open(&url, max).unwrap().limits(), max);
}

/// A version-1 file (before markers) is upgraded in place; a newer one is refused.
#[test]
fn sqlite_schema_1_is_upgraded_and_unknown_versions_refused() {
    let dir = TempDir::new("quota-schema");
    let path = dir.path().join("q.db");
    let url = format!("sqlite:{}", path.display());
    drop(Ledger::open(&url, QuotaLimits::default()).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TABLE xfollow_quota_markers; UPDATE xfollow_quota_meta SET value = 1 WHERE name = 'schema';",
    )
    .unwrap();
    let l = Ledger::open(&url, QuotaLimits::default()).unwrap();
    let app = AppId::from_key("schema");
    let none_left = ServerWindow {
        scope: Scope::App,
        limit: 1000,
        remaining: 0,
        reset: l.now() + 60,
    };
    assert_eq!(
        l.observe_server_window(&app, "1", Action::Follow, none_left)
            .unwrap(),
        1000
    );
    let version: i64 = conn
        .query_row(
            "SELECT value FROM xfollow_quota_meta WHERE name = 'schema'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, 2);
    conn.execute(
        "UPDATE xfollow_quota_meta SET value = 3 WHERE name = 'schema'",
        [],
    )
    .unwrap();
    let e = Ledger::open(&url, QuotaLimits::default()).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("ledger schema version 3 is not supported (expected 1 or 2)"),
        "{e}"
    );
}

/// A ledger file poisoned before markers existed (placeholders stamped centuries ahead) is
/// healed when its windows are next written.
#[test]
fn sqlite_entries_stamped_beyond_a_day_ahead_are_dropped() {
    let f = Fixture::new(Kind::Sqlite);
    let l = f.ledger(limits(3, 0, 0));
    follow(&f, &l, "9").commit();
    let path = f.url.strip_prefix("sqlite:").unwrap();
    let conn = rusqlite::Connection::open(path).unwrap();
    for entry in 1_000..1_005 {
        conn.execute(
            "INSERT INTO xfollow_quota_slots (app, win, stamp, entry) VALUES (?1, 'follows:user:9', ?2, ?3)",
            rusqlite::params![f.app.as_str(), 99_999_999_999i64 - DAY, entry],
        )
        .unwrap();
    }
    drop(conn);
    follow(&f, &l, "9").commit();
    let s = l.status(&f.app, "9").unwrap();
    assert_eq!((s.user_used, s.user_remaining), (2, Some(1)));
    assert_eq!(stored_entries(&f, Kind::Sqlite), Some(4));
}

// ---------------------------------------------------------------------------------------------

#[test]
fn store_urls_select_the_store() {
    let l = Ledger::open("memory:", QuotaLimits::default()).unwrap();
    assert_eq!(l.store_kind(), StoreKind::Memory);
    assert_eq!(
        Ledger::open("", QuotaLimits::default())
            .unwrap()
            .store_kind(),
        StoreKind::Memory
    );
    let dir = TempDir::new("quota-url");
    let path = dir.path().join("q.db");
    let l = Ledger::open(
        &format!("sqlite://{}", path.display()),
        QuotaLimits::default(),
    )
    .unwrap();
    assert_eq!(l.store_kind(), StoreKind::Sqlite);
    assert!(path.exists());
    assert_eq!(l.limits(), QuotaLimits::default());
}

#[test]
fn sqlite_file_uses_wal() {
    let dir = TempDir::new("quota-wal");
    let path = dir.path().join("q.db");
    let l = Ledger::open(
        &format!("sqlite:{}", path.display()),
        QuotaLimits::default(),
    )
    .unwrap();
    let app = AppId::from_key("wal");
    l.reserve(&app, "1", Action::Follow).unwrap().commit();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let n: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM xfollow_quota_slots WHERE app = ?1",
            [app.as_str()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        n, 2,
        "one follow is one entry in the user's and in the app's window"
    );
}

#[test]
fn sqlite_unopenable_path_is_a_store_error() {
    let dir = TempDir::new("quota-bad");
    let url = format!(
        "sqlite:{}",
        dir.path().join("missing-dir").join("q.db").display()
    );
    match Ledger::open(&url, QuotaLimits::default()) {
        Err(QuotaError::Store {
            kind: StoreKind::Sqlite,
            message,
        }) => {
            assert!(message.starts_with("cannot open "), "{message}")
        }
        other => panic!("expected a store error, got {other:?}"),
    }
}

#[test]
fn redis_unreachable_is_a_store_error_without_the_password() {
    let port = quota_support::free_port();
    let url = format!("redis://:hunter2secret@127.0.0.1:{port}/0");
    match Ledger::open(&url, QuotaLimits::default()) {
        Err(
            e @ QuotaError::Store {
                kind: StoreKind::Redis,
                ..
            },
        ) => {
            let text = format!("{e} {e:?}");
            assert!(text.starts_with("quota store error (Redis): "), "{text}");
            assert!(!text.contains("hunter2secret"), "{text}");
        }
        other => panic!("expected a store error, got {other:?}"),
    }
}

#[test]
fn redis_keys_are_namespaced_by_the_app_hash() {
    let redis = RedisServer::start();
    let l = Ledger::open(&redis.url(), QuotaLimits::default()).unwrap();
    let key = "consumer-key-abc";
    let app = AppId::from_key(key);
    l.reserve(&app, "77", Action::Follow).unwrap().commit();
    l.reserve(&app, "77", Action::Unfollow).unwrap().commit();
    let client = ::redis::Client::open(redis.url()).unwrap();
    let mut c = client.get_connection().unwrap();
    let mut keys: Vec<String> = ::redis::cmd("KEYS").arg("*").query(&mut c).unwrap();
    keys.sort();
    let p = format!("xfollow:quota:{{{}}}:", app.as_str());
    assert_eq!(
        keys,
        vec![
            format!("{p}follows:app"),
            format!("{p}follows:user:77"),
            format!("{p}seq"),
            format!("{p}unfollows:app"),
        ]
    );
    assert!(keys.iter().all(|k| !k.contains(key)));
}

#[test]
fn redis_reconnects_when_its_connection_was_closed() {
    let redis = RedisServer::start();
    let l = Ledger::open(&redis.url(), limits(0, 3, 0)).unwrap();
    let app = AppId::from_key("reconnect");
    l.reserve(&app, "1", Action::Follow).unwrap().commit();
    // Close every other client's connection, the ledger's pooled one included.
    let client = ::redis::Client::open(redis.url()).unwrap();
    let mut c = client.get_connection().unwrap();
    let killed: i64 = ::redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("normal")
        .query(&mut c)
        .unwrap();
    assert!(killed >= 1, "{killed}");
    l.reserve(&app, "1", Action::Follow).unwrap().commit();
    assert_eq!(l.status(&app, "1").unwrap().app_used, 2);
}

#[test]
fn ledgers_reservations_and_policies_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Ledger>();
    send_sync::<Reservation>();
    send_sync::<xfollow::retry::RetryPolicy>();
    send_sync::<xfollow::retry::Cancel>();
}

/// Many short processes (a cron job's one follow each) on one SQLite file: each closes the
/// last connection, which checkpoints the WAL, so the next one never reads a long WAL to
/// rebuild its index. (Skipping that checkpoint, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, saves two
/// fsyncs per process but lets the WAL grow by every commit: 2.7 MB after 150.)
#[test]
fn sqlite_wal_stays_short_across_short_lived_ledgers() {
    let dir = TempDir::new("quota-wal");
    let url = format!("sqlite:{}", dir.path().join("q.db").display());
    let app = AppId::from_key("wal-app-key");
    for _ in 0..150 {
        let l = Ledger::open(&url, QuotaLimits::default()).unwrap();
        l.reserve(&app, "11", Action::Follow).unwrap().commit();
    }
    let wal = std::fs::metadata(dir.path().join("q.db-wal")).map_or(0, |m| m.len());
    assert!(wal <= 64 * 4120, "WAL of {wal} bytes");
    let l = Ledger::open(&url, QuotaLimits::default()).unwrap();
    assert_eq!(l.status(&app, "11").unwrap().user_used, 150);
}
