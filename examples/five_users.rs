//! X's five-users example, with the quota ledger: an app may follow 1,000 accounts a day
//! across all its users, and each user 400. Two users take 400 each; the other three share
//! the last 200. Every follow over a cap is refused by the ledger, before any request.
//!
//! Runs against the emulator (built by `cargo build -p xfollow-emulator`, or
//! `$XFOLLOW_EMULATOR`), configured with X's daily caps and no 15-minute limit, and with one
//! SQLite ledger that the five users' clients share, as five workers of one app would:
//!
//! ```sh
//! cargo build -p xfollow-emulator && cargo run --example five_users
//! ```

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use xfollow::{Client, ErrorKind};

const CONSUMER_KEY: &str = "five-users-consumer-key";
const USERS: [&str; 5] = [
    "2100000000000000001",
    "2100000000000000002",
    "2100000000000000003",
    "2100000000000000004",
    "2100000000000000005",
];
const TARGETS: [&str; 3] = ["783214", "2200000000000000001", "2200000000000000002"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("xfollow-five-users-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let world = dir.join("world.json");
    let mut users: Vec<serde_json::Value> = USERS
        .iter()
        .enumerate()
        .map(|(i, id)| serde_json::json!({"id": id, "username": format!("user{}", i + 1), "name": format!("User {}", i + 1)}))
        .collect();
    for (i, id) in TARGETS.iter().enumerate() {
        users.push(
            serde_json::json!({"id": id, "username": format!("target{i}"), "name": "Target"}),
        );
    }
    let tokens: Vec<serde_json::Value> = USERS
        .iter()
        .map(|id| serde_json::json!({"app": "five", "token": format!("{id}-token"), "secret": "token-secret", "user_id": id}))
        .collect();
    std::fs::write(
        &world,
        serde_json::json!({
            "apps": [{"id": "five", "consumer_key": CONSUMER_KEY, "consumer_secret": "consumer-secret"}],
            "users": users,
            "oauth1_tokens": tokens,
            "limits": {"follow_per_15min": 1_000_000, "follows_per_user_day": 400,
                       "follows_per_app_day": 1000},
        })
        .to_string(),
    )?;

    let emulator = std::env::var("XFOLLOW_EMULATOR").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/debug/xfollow-emulator").to_owned()
    });
    let mut child = Command::new(&emulator)
        .args(["--port", "0", "--config"])
        .arg(&world)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {emulator}: {e} (cargo build -p xfollow-emulator)"))?;
    let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    out.read_line(&mut line)?;
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or("unexpected first line")?
        .to_owned();
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = out.read_to_end(&mut sink);
    });

    let ledger = format!("sqlite:{}", dir.join("quota.db").display());
    println!("ledger: {ledger} (caps: 400 follows per user, 1000 per app, per 24 hours)");
    let clients: Vec<Client> = USERS
        .iter()
        .map(|id| {
            Client::builder()
                .base_url(base.clone())
                .oauth1(
                    CONSUMER_KEY,
                    "consumer-secret",
                    format!("{id}-token"),
                    "token-secret",
                )
                .quota(ledger.clone())
                .build()
        })
        .collect::<Result<_, _>>()?;

    let mut sent = [0u32; 5];
    let mut refusal = vec![String::new(); 5];
    // Users 1 and 2 follow until refused; then users 3, 4 and 5 take turns.
    let mut turn = |i: usize, sent: &mut [u32; 5]| -> bool {
        match clients[i].follow(None, TARGETS[sent[i] as usize % TARGETS.len()]) {
            Ok(_) => {
                sent[i] += 1;
                true
            }
            Err(e) if e.kind() == ErrorKind::QuotaExhausted => {
                refusal[i] = e.message().split(';').next().unwrap_or("").to_owned();
                false
            }
            Err(e) => panic!("user {}: {e}", i + 1),
        }
    };
    for i in 0..2 {
        while turn(i, &mut sent) {}
    }
    let mut open = vec![2, 3, 4];
    while !open.is_empty() {
        open.retain(|&i| turn(i, &mut sent));
    }

    let mut resp = ureq::get(format!("{base}/__emulator/state")).call()?;
    let state: serde_json::Value = serde_json::from_str(&resp.body_mut().read_to_string()?)?;
    println!("user  follows sent  emulator received  first refusal");
    for (i, id) in USERS.iter().enumerate() {
        let received = state["counters"]["users"][id]["follow_requests"]
            .as_u64()
            .unwrap_or(0);
        println!(
            "{:>4}  {:>12}  {:>17}  {}",
            i + 1,
            sent[i],
            received,
            refusal[i]
        );
    }
    let s = clients[2].quota_status(None)?.ok_or("no ledger")?;
    println!(
        "app: {} follows sent, emulator received {}; ledger: app {} used, {} remaining",
        sent.iter().sum::<u32>(),
        state["counters"]["apps"]["five"]["follow_requests"],
        s.app_used,
        s.app_remaining.unwrap_or(0),
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
