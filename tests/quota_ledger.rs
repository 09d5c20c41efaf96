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
);

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
