//! Refresh-token rotation under contention against the emulator: several processes with
//! eight threads each follow through refreshing clients that share one token store, while the
//! emulator issues access tokens that live 2 seconds (`settings.access_token_lifetime: 2`).
//! Most refreshes happen shortly before expiry (margin 1 s); every few seconds the parent also
//! moves the emulator's clock 2 s ahead, so that the live tokens die at once and the clients
//! refresh after a 401.
//!
//! Proofs: no worker saw an error (a reused refresh token would have been answered 400
//! `invalid_request` and reported); every refresh any process made produced a distinct refresh
//! token (logged by the persist callback); every follow a worker counted is in the emulator's
//! 24-hour follow counter; the refresh token left in the store is the live one (a refresh with
//! it succeeds).
//!
//! Knobs (environment): `XF_TOKROT_PROCS` (default 2), `XF_TOKROT_THREADS` (8),
//! `XF_TOKROT_CYCLES` (30).

mod support;

use serde_json::json;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;
use xfollow::tokens::{OAuth2Flow, RedirectReceiver, TokenStore};
use xfollow::OAuth2Refreshing;

const CHILD: &str = "XF_TOKROT_CHILD";
const SCOPES: [&str; 4] = [
    "tweet.read",
    "users.read",
    "follows.write",
    "offline.access",
];

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn browse(url: &str) -> (u16, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .build()
        .new_agent();
    let r = agent.get(url).call().unwrap();
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (r.status().as_u16(), loc)
}

fn digest(s: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One worker process: `threads` threads follow through one refreshing client until the
/// stop file appears.
#[test]
fn rotation_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let base = std::env::var("XF_TOKROT_BASE").unwrap();
    let store = PathBuf::from(std::env::var("XF_TOKROT_STORE").unwrap());
    let log = PathBuf::from(std::env::var("XF_TOKROT_LOG").unwrap());
    let stop = PathBuf::from(std::env::var("XF_TOKROT_STOP").unwrap());
    let threads = env_num("XF_TOKROT_THREADS", 8);
    let set = TokenStore::new(&store).load().unwrap().unwrap();
    let log_file = Arc::new(Mutex::new(
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&log)
            .unwrap(),
    ));
    let client = Arc::new(
        xfollow::Client::builder()
            .base_url(base)
            // Thousands of follows as one user: the daily caps are not what is tested here.
            .quota(xfollow::QUOTA_OFF)
            .oauth2_refreshing(
                OAuth2Refreshing::new(set, "demo-client-id")
                    .margin(Duration::from_secs(1))
                    .token_store(&store)
                    .on_refresh(move |t| {
                        let line = format!(
                            "{} {}\n",
                            std::process::id(),
                            digest(t.refresh_token.as_ref().unwrap().expose())
                        );
                        let mut f = log_file.lock().unwrap();
                        f.write_all(line.as_bytes()).map_err(|e| e.to_string())
                    }),
            )
            .build()
            .unwrap(),
    );
    let follows = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let (c, f, e, stop) = (
                client.clone(),
                follows.clone(),
                errors.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                let target = if i % 2 == 0 { BOB } else { ERIN };
                while !stop.exists() {
                    match c.follow(Some(ALICE), target) {
                        Ok(o) if o.following => {
                            f.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(o) => e.lock().unwrap().push(format!("not following: {o:?}")),
                        Err(err) => e.lock().unwrap().push(err.to_string()),
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    for e in errors.lock().unwrap().iter() {
        println!("ERROR {e}");
    }
    println!(
        "RESULT follows={} errors={}",
        follows.load(Ordering::SeqCst),
        errors.lock().unwrap().len()
    );
}

fn result_field(out: &str, name: &str) -> u64 {
    let line = out
        .lines()
        .find_map(|l| l.find("RESULT ").map(|i| &l[i..]))
        .unwrap_or_else(|| panic!("no RESULT line in:\n{out}"));
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap()
        .parse()
        .unwrap()
}

fn log_lines(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn rotation_under_contention_against_the_emulator() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let procs = env_num("XF_TOKROT_PROCS", 2);
    let threads = env_num("XF_TOKROT_THREADS", 8);
    let cycles = env_num("XF_TOKROT_CYCLES", 30);
    let receiver = RedirectReceiver::bind(0, "/callback").unwrap();
    let redirect = receiver.redirect_uri();
    let e = Emulator::start_with(json!({
        "apps": [{"id": "demo", "consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET,
                  "client_id": "demo-client-id", "client_secret": null,
                  "redirect_uris": [redirect]}],
        "limits": {"follow_per_15min": 1_000_000_000u64, "unfollow_per_15min": 1_000_000_000u64,
                   "me_per_15min": 1_000_000_000u64,
                   "follows_per_user_day": 1_000_000_000u64,
                   "follows_per_app_day": 1_000_000_000u64},
        "settings": {"access_token_lifetime": 2}
    }));
    let flow = OAuth2Flow::new("demo-client-id", redirect.clone(), SCOPES)
        .unwrap()
        .base_url(&e.base)
        .unwrap();
    let req = flow.authorization_request().unwrap();
    let url = format!("{}&as_user=alice", req.url);
    let browser = std::thread::spawn(move || {
        let (status, loc) = browse(&url);
        assert_eq!(status, 302);
        browse(&loc.unwrap())
    });
    let code = receiver.wait(&req.state, Duration::from_secs(10)).unwrap();
    browser.join().unwrap();
    let before = xfollow::tokens::unix_now();
    let set = flow
        .exchange(code.code.expose(), req.verifier.expose())
        .unwrap();
    let after = xfollow::tokens::unix_now();
    // Two seconds from the answer, whichever second boundary the exchange crossed.
    let lifetime_from = set.expires_at.unwrap() - 2;
    assert!(
        (before..=after).contains(&lifetime_from),
        "{before} {lifetime_from} {after}"
    );

    let dir = temp_dir();
    let store = dir.join("tokens.json");
    let log = dir.join("refreshes.log");
    let stop = dir.join("stop");
    TokenStore::new(&store).save(&set).unwrap();

    let children: Vec<_> = (0..procs)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "rotation_child",
                    "--exact",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD, "1")
                .env("XF_TOKROT_BASE", &e.base)
                .env("XF_TOKROT_STORE", &store)
                .env("XF_TOKROT_LOG", &log)
                .env("XF_TOKROT_STOP", &stop)
                .env("XF_TOKROT_THREADS", threads.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();

    // Wait for the refresh cycles; now and then kill every live token at once.
    let start = Instant::now();
    let mut last_jump = Instant::now();
    while (log_lines(&log).len() as u64) < cycles {
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "only {} refreshes in 180 s",
            log_lines(&log).len()
        );
        if last_jump.elapsed() > Duration::from_secs(3) {
            e.advance(2);
            last_jump = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::write(&stop, b"").unwrap();

    let mut total_follows = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "child failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(result_field(&stdout, "errors"), 0, "{stdout}");
        let n = result_field(&stdout, "follows");
        assert!(n > 0, "{stdout}");
        total_follows += n;
    }

    // Every refresh rotated to a new refresh token: none was used twice.
    let lines = log_lines(&log);
    assert!(lines.len() as u64 >= cycles);
    let tokens: HashSet<&str> = lines
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(tokens.len(), lines.len(), "a refresh token came back twice");
    let pids: HashSet<&str> = lines
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    eprintln!(
        "{} refreshes by {} of {procs} processes, {total_follows} follows",
        lines.len(),
        pids.len()
    );

    // No follow lost: every follow a worker counted was answered 200 and counted by the
    // emulator (its 24-hour window counts every 200 follow, repeats included).
    assert_eq!(e.user_counter(ALICE, "follows_24h"), total_follows);
    assert!(e.follows(ALICE, BOB) && e.follows(ALICE, ERIN));

    // The stored refresh token is the live one, and it is the last one logged.
    let stored = TokenStore::new(&store).load().unwrap().unwrap();
    let rt = stored.refresh_token.unwrap();
    assert_eq!(
        lines.last().unwrap().split_whitespace().nth(1).unwrap(),
        digest(rt.expose())
    );
    flow.refresh(rt.expose()).unwrap();
}
