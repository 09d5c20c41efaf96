//! The single-flight refresher within one process.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use xfollow::tokens::{Error, Refresher, Secret, TokenSet, TokenStore};

fn set(n: usize, expires_at: u64) -> TokenSet {
    TokenSet::new(
        format!("acc-{n}"),
        Some(Secret::new(format!("ref-{n}"))),
        Some(expires_at),
        vec!["users.read".into(), "offline.access".into()],
    )
}

/// A fake token endpoint with rotation: refresh token `ref-N` is live only while N is the
/// newest; each refresh returns `acc-N+1`/`ref-N+1`; a dead refresh token gets
/// `invalid_request`.
struct FakeServer {
    live: Mutex<usize>,
    calls: AtomicUsize,
    reused: AtomicUsize,
    delay: Duration,
}

impl FakeServer {
    fn new(delay: Duration) -> Arc<Self> {
        Arc::new(FakeServer {
            live: Mutex::new(0),
            calls: AtomicUsize::new(0),
            reused: AtomicUsize::new(0),
            delay,
        })
    }

    fn refresh(&self, rt: &Secret, expires_at: u64) -> Result<TokenSet, Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        thread::sleep(self.delay);
        let mut live = self.live.lock().unwrap();
        if rt.expose() != format!("ref-{}", *live) {
            self.reused.fetch_add(1, Ordering::SeqCst);
            return Err(invalid_request());
        }
        *live += 1;
        Ok(set(*live, expires_at))
    }
}

fn invalid_request() -> Error {
    Error::OAuth {
        status: 400,
        error: "invalid_request".into(),
        description: Some("Value passed for the token was invalid.".into()),
    }
}

fn refresher(server: &Arc<FakeServer>, initial: TokenSet, new_expiry: u64) -> Refresher {
    let s = server.clone();
    Refresher::builder(initial, move |rt: &Secret| s.refresh(rt, new_expiry))
        .margin(Duration::from_secs(60))
        .build()
}

fn hammer<F>(threads: usize, f: F) -> Vec<Result<Secret, Error>>
where
    F: Fn() -> Result<Secret, Error> + Send + Sync + 'static,
{
    let f = Arc::new(f);
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let f = f.clone();
            let b = barrier.clone();
            thread::spawn(move || {
                b.wait();
                f()
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn eight_threads_on_an_expired_token_make_one_refresh() {
    let server = FakeServer::new(Duration::from_millis(100));
    let r = refresher(&server, set(0, 900), 10_000);
    let rr = r.clone();
    let results = hammer(8, move || rr.access_token(1000));
    assert_eq!(server.calls.load(Ordering::SeqCst), 1);
    for res in results {
        assert_eq!(res.unwrap().expose(), "acc-1");
    }
    assert_eq!(r.token_set(), set(1, 10_000));
    assert_eq!(r.stats().refreshes, 1);
    // Still valid: no further refresh.
    assert_eq!(r.access_token(1000).unwrap().expose(), "acc-1");
    assert_eq!(server.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn refreshes_only_inside_the_margin() {
    let server = FakeServer::new(Duration::ZERO);
    let r = refresher(&server, set(0, 1000), 5000);
    assert_eq!(r.access_token(939).unwrap().expose(), "acc-0");
    assert_eq!(server.calls.load(Ordering::SeqCst), 0);
    assert_eq!(r.access_token(940).unwrap().expose(), "acc-1");
    assert_eq!(server.calls.load(Ordering::SeqCst), 1);
    assert_eq!(r.margin_secs(), 60);
}

#[test]
fn after_unauthorized_refreshes_once_per_failed_token() {
    let server = FakeServer::new(Duration::from_millis(50));
    let r = refresher(&server, set(0, 10_000), 20_000);
    let rr = r.clone();
    let results = hammer(8, move || rr.after_unauthorized("acc-0"));
    assert_eq!(server.calls.load(Ordering::SeqCst), 1);
    for res in results {
        assert_eq!(res.unwrap().expose(), "acc-1");
    }
    // A late 401 for the old token: the new one comes back, nothing is refreshed.
    assert_eq!(r.after_unauthorized("acc-0").unwrap().expose(), "acc-1");
    assert_eq!(server.calls.load(Ordering::SeqCst), 1);
    // A 401 for the current token refreshes again.
    assert_eq!(r.after_unauthorized("acc-1").unwrap().expose(), "acc-2");
    assert_eq!(server.calls.load(Ordering::SeqCst), 2);
    assert_eq!(server.reused.load(Ordering::SeqCst), 0);
}

#[test]
fn a_refused_refresh_is_reported_once_and_not_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let r = Refresher::builder(set(0, 900), move |_rt: &Secret| {
        c.fetch_add(1, Ordering::SeqCst);
        thread::sleep(Duration::from_millis(50));
        Err(invalid_request())
    })
    .build();
    let rr = r.clone();
    let results = hammer(8, move || rr.access_token(1000));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    for res in results {
        let e = res.unwrap_err();
        assert_eq!(e, invalid_request());
        assert!(e.is_auth());
        assert_eq!(
            e.to_string(),
            "token endpoint refused the request (HTTP 400, invalid_request): Value passed for the token was invalid."
        );
    }
    // Later calls get the same error without calling the endpoint again.
    assert_eq!(r.access_token(2000), Err(invalid_request()));
    assert_eq!(r.after_unauthorized("acc-0"), Err(invalid_request()));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(r.stats().failures, 1);
    // A new login clears the failure.
    r.replace(set(7, 5000));
    assert_eq!(r.access_token(2000).unwrap().expose(), "acc-7");
}

#[test]
fn a_transient_failure_is_retried_by_the_next_call() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let r = Refresher::builder(set(0, 900), move |_rt: &Secret| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            Err(Error::Transport("connection reset".into()))
        } else {
            Ok(set(1, 9000))
        }
    })
    .build();
    assert_eq!(
        r.access_token(1000),
        Err(Error::Transport("connection reset".into()))
    );
    assert_eq!(r.access_token(1000).unwrap().expose(), "acc-1");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn persist_sees_the_new_set_before_anyone_uses_it() {
    let server = FakeServer::new(Duration::ZERO);
    let me: Arc<OnceLock<Refresher>> = Arc::new(OnceLock::new());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (s, m, sn) = (server.clone(), me.clone(), seen.clone());
    let r = Refresher::builder(set(0, 900), move |rt: &Secret| s.refresh(rt, 9000))
        .on_refresh(move |new: &TokenSet| {
            // While persisting, the refresher still hands out the old set.
            let held = m.get().unwrap().token_set();
            sn.lock().unwrap().push((
                new.access_token.expose().to_owned(),
                held.access_token.expose().to_owned(),
            ));
            Ok(())
        })
        .build();
    me.set(r.clone()).unwrap();
    assert_eq!(r.access_token(1000).unwrap().expose(), "acc-1");
    assert_eq!(
        *seen.lock().unwrap(),
        vec![("acc-1".to_owned(), "acc-0".to_owned())]
    );
}

#[test]
fn a_failed_persist_is_reported_once_and_the_new_set_kept() {
    let server = FakeServer::new(Duration::ZERO);
    let s = server.clone();
    let r = Refresher::builder(set(0, 900), move |rt: &Secret| s.refresh(rt, 9000))
        .on_refresh(|_new: &TokenSet| Err("disk full".to_owned()))
        .build();
    let e = r.access_token(1000).unwrap_err();
    assert_eq!(e, Error::Persist("disk full".into()));
    assert_eq!(
        e.to_string(),
        "persisting the refreshed token set failed: disk full"
    );
    assert_eq!(r.access_token(1000).unwrap().expose(), "acc-1");
    assert_eq!(server.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn no_refresh_token_is_an_auth_error() {
    let r = Refresher::builder(
        TokenSet::new("acc-x", None, Some(900), vec![]),
        |_rt: &Secret| panic!("must not be called"),
    )
    .build();
    let e = r.access_token(1000).unwrap_err();
    assert_eq!(e, Error::NoRefreshToken);
    assert!(e.is_auth());
    // Not expired and no refresh token: the access token is returned.
    let r = Refresher::builder(
        TokenSet::new("acc-y", None, Some(5000), vec![]),
        |_rt: &Secret| panic!("must not be called"),
    )
    .build();
    assert_eq!(r.access_token(1000).unwrap().expose(), "acc-y");
}

#[test]
fn a_server_that_does_not_rotate_keeps_the_refresh_token_and_scopes() {
    let r = Refresher::builder(set(0, 900), |_rt: &Secret| {
        Ok(TokenSet::new("acc-new", None, Some(9000), vec![]))
    })
    .build();
    assert_eq!(r.access_token(1000).unwrap().expose(), "acc-new");
    let t = r.token_set();
    assert_eq!(t.refresh_token.unwrap().expose(), "ref-0");
    assert_eq!(t.scopes, vec!["users.read", "offline.access"]);
}

#[test]
fn a_panicking_refresh_function_does_not_wedge_the_refresher() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let r = Refresher::builder(set(0, 900), move |_rt: &Secret| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("boom");
        }
        Ok(set(1, 9000))
    })
    .build();
    let rr = r.clone();
    assert!(thread::spawn(move || rr.access_token(1000)).join().is_err());
    assert_eq!(r.access_token(1000).unwrap().expose(), "acc-1");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn debug_shows_no_token() {
    let r = Refresher::builder(set(0, 900), |_rt: &Secret| Err(Error::NoRefreshToken)).build();
    let d = format!("{r:?}");
    assert!(!d.contains("acc-0") && !d.contains("ref-0"), "{d}");
    assert!(d.contains("<redacted>"), "{d}");
}

fn temp_store(tag: &str) -> (std::path::PathBuf, TokenStore) {
    let dir = std::env::temp_dir().join(format!(
        "xfollow-refresh-{tag}-{}-{:?}",
        std::process::id(),
        thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = TokenStore::new(dir.join("tokens.json"));
    (dir, store)
}

#[test]
fn with_a_store_a_set_rotated_elsewhere_is_adopted_without_refreshing() {
    let (dir, store) = temp_store("adopt");
    let server = FakeServer::new(Duration::ZERO);
    // "Another process" already rotated 0 -> 1 and stored the result.
    *server.live.lock().unwrap() = 1;
    store.save(&set(1, 5000)).unwrap();
    let s = server.clone();
    let r = Refresher::builder(set(0, 900), move |rt: &Secret| s.refresh(rt, 9000))
        .store(store.clone())
        .build();
    assert_eq!(r.access_token(1000).unwrap().expose(), "acc-1");
    assert_eq!(server.calls.load(Ordering::SeqCst), 0);
    assert_eq!(r.stats().adoptions, 1);
    // The adopted set expires later on: it is refreshed with its own refresh token and stored.
    assert_eq!(r.access_token(4950).unwrap().expose(), "acc-2");
    assert_eq!(server.reused.load(Ordering::SeqCst), 0);
    assert_eq!(store.load().unwrap(), Some(set(2, 9000)));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn with_a_store_an_adopted_set_that_is_expired_too_is_refreshed_from_its_token() {
    let (dir, store) = temp_store("adopt-expired");
    let server = FakeServer::new(Duration::ZERO);
    *server.live.lock().unwrap() = 3;
    store.save(&set(3, 950)).unwrap();
    let s = server.clone();
    let r = Refresher::builder(set(0, 900), move |rt: &Secret| s.refresh(rt, 9000))
        .store(store.clone())
        .build();
    assert_eq!(r.access_token(1000).unwrap().expose(), "acc-4");
    assert_eq!(server.calls.load(Ordering::SeqCst), 1);
    assert_eq!(server.reused.load(Ordering::SeqCst), 0);
    assert_eq!(store.load().unwrap(), Some(set(4, 9000)));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn with_a_store_a_stored_set_with_a_shorter_life_is_still_adopted() {
    // Lifetimes differ between answers: the set we started with lives long, the one another
    // process got from its refresh lives short. The stored one is still the live one.
    let (dir, store) = temp_store("shorter");
    let server = FakeServer::new(Duration::ZERO);
    *server.live.lock().unwrap() = 1;
    store.save(&set(1, 1001)).unwrap();
    let s = server.clone();
    let r = Refresher::builder(set(0, 50_000), move |rt: &Secret| s.refresh(rt, 9000))
        .store(store.clone())
        .build();
    assert_eq!(r.after_unauthorized("acc-0").unwrap().expose(), "acc-1");
    assert_eq!(server.calls.load(Ordering::SeqCst), 0);
    // And when that one expires, it is refreshed with its own refresh token.
    assert_eq!(r.access_token(1001).unwrap().expose(), "acc-2");
    assert_eq!(server.reused.load(Ordering::SeqCst), 0);
    assert_eq!(store.load().unwrap(), Some(set(2, 9000)));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn from_store_needs_a_stored_set() {
    let (dir, store) = temp_store("from");
    let e = Refresher::from_store(store.clone(), |_rt: &Secret| Err(Error::NoRefreshToken))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "token store {}: the store holds no token set yet",
            store.path().display()
        )
    );
    store.save(&set(5, 9000)).unwrap();
    let r = Refresher::from_store(store, |_rt: &Secret| Err(Error::NoRefreshToken))
        .unwrap()
        .build();
    assert_eq!(r.access_token(1000).unwrap().expose(), "acc-5");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn calling_back_into_the_refresher_from_persist_fails_instead_of_hanging() {
    let me: Arc<OnceLock<Refresher>> = Arc::new(OnceLock::new());
    let inner = Arc::new(Mutex::new(None));
    let (m, i) = (me.clone(), inner.clone());
    let r = Refresher::builder(set(0, 900), |_rt: &Secret| Ok(set(1, 9000)))
        .on_refresh(move |_new: &TokenSet| {
            *i.lock().unwrap() = Some(m.get().unwrap().access_token(1000));
            Ok(())
        })
        .build();
    me.set(r.clone()).unwrap();
    assert_eq!(r.access_token(1000).unwrap().expose(), "acc-1");
    assert_eq!(
        inner.lock().unwrap().clone().unwrap(),
        Err(Error::InvalidArgument(
            "the refresher was called from its own refresh function or persist callback".into()
        ))
    );
}
