//! Client CPU time per follow (user+sys CPU time of the calling thread, read from
//! /proc/thread-self/schedstat in nanoseconds: the same time getrusage(RUSAGE_THREAD) splits
//! into user and sys, without `unsafe`), sequential on one keep-alive connection to the
//! emulator, for:
//!   raw2     a hand-written HTTP/1.1 keep-alive loop sending a pre-built request with an
//!            OAuth 2.0 bearer token (the floor for any client)
//!   raw1     the same loop sending OAuth 1.0a requests signed before the clock starts (one
//!            per follow: the emulator refuses a nonce twice), the floor for OAuth 1.0a
//!   raw2-gzip, raw1-gzip   the same loops asking for gzip (xfollow's default): the
//!            emulator's compressed answers come later, and an idle wait costs a client CPU
//!            too (caches go cold), so xfollow's gzip rows are compared with these
//!   rust2    xfollow::Client::follow, OAuth 2.0
//!   rust1    xfollow::Client::follow, OAuth 1.0a (a fresh nonce and HMAC per request)
//! The C ABI is measured from C by benches/follow_cpu.c (make bench runs both).
//!
//! Run: make bench   (or: cargo build -p xfollow-emulator && cargo bench -p xfollow --bench follow_cpu)
//! Env: XFOLLOW_BENCH_N (follows per case, default 5000), XFOLLOW_BENCH_ROUNDS (default 5:
//! the cases run in turn, N/ROUNDS follows each per round, and the median round counts),
//! XFOLLOW_BENCH_CASES (a comma list of rust2,rust2-nogzip,rust1,rust1-nogzip; default all; the raw loops
//! always run), XFOLLOW_EMULATOR.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ALICE: &str = "1500000000000000001";
const BOB: &str = "1500000000000000002";

fn thread_cpu() -> Duration {
    // The kernel brings a running thread's total up to date on scheduler events and ticks
    // (4 ms here), not when the file is read: without a yield first, a loop that makes no
    // system call (the signing loop) would be measured in whole ticks.
    std::thread::yield_now();
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    let ns: u64 = stat
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .expect("run time");
    Duration::from_nanos(ns)
}

struct Emulator {
    child: Child,
    base: String,
}

impl Emulator {
    fn start() -> Emulator {
        // The release emulator when built (make bench builds it), else the debug one.
        let path = std::env::var("XFOLLOW_EMULATOR").unwrap_or_else(|_| {
            let release = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/target/release/xfollow-emulator"
            );
            if std::path::Path::new(release).exists() {
                release.to_owned()
            } else {
                concat!(env!("CARGO_MANIFEST_DIR"), "/target/debug/xfollow-emulator").to_owned()
            }
        });
        let mut world: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/emulator/demo-world.json"
            ))
            .unwrap(),
        )
        .unwrap();
        for k in [
            "follow_per_15min",
            "unfollow_per_15min",
            "me_per_15min",
            "follows_per_user_day",
            "follows_per_app_day",
            "unfollows_per_app_day",
        ] {
            world["limits"][k] = serde_json::json!(1_000_000_000u64);
        }
        let file = std::env::temp_dir().join(format!("xfollow-bench-{}.json", std::process::id()));
        std::fs::write(&file, world.to_string()).unwrap();
        let mut child = Command::new(&path)
            .args(["--port", "0", "--config", file.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {path}: {e} (cargo build -p xfollow-emulator)")
            });
        let mut r = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = r.read_to_end(&mut sink);
        });
        Emulator {
            child,
            base: line
                .trim()
                .strip_prefix("listening on ")
                .unwrap()
                .to_owned(),
        }
    }

    fn accepted(&self) -> u64 {
        let mut resp = ureq::get(format!("{}/__emulator/connections", self.base))
            .call()
            .unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
        v["accepted"].as_u64().unwrap()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One measured case: a follow function and its per-round figures.
struct Case<'a> {
    key: &'static str,
    name: &'static str,
    /// The raw loop this case is compared with (its own key for a raw loop).
    floor: &'static str,
    f: Box<dyn FnMut() + 'a>,
    cpu: Vec<Duration>,
    wall: Vec<Duration>,
    conns: u64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// A raw HTTP/1.1 keep-alive loop: writes one request from `requests` per call (the same
/// one again when there is only one) and reads the whole answer by content-length.
fn raw_loop(base: &str, requests: Vec<Vec<u8>>) -> impl FnMut() {
    let addr = base.trim_start_matches("http://").to_owned();
    let stream = TcpStream::connect(&addr).unwrap();
    stream.set_nodelay(true).unwrap();
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    let mut buf = Vec::new();
    let mut next = 0;
    move || {
        w.write_all(&requests[next]).unwrap();
        if requests.len() > 1 {
            next += 1;
        }
        let mut len = 0usize;
        line.clear();
        r.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        loop {
            line.clear();
            r.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        buf.resize(len, 0);
        r.read_exact(&mut buf).unwrap();
    }
}

/// The follow request as a client sends it, with `authorization`.
/// With `gzip`, the request asks for a gzip answer (as xfollow does by default): the
/// emulator then compresses it, which changes its latency, and the loop reads the compressed
/// body without decoding it.
fn follow_request(addr: &str, authorization: &str, gzip: bool) -> Vec<u8> {
    let body = format!("{{\"target_user_id\":\"{BOB}\"}}");
    let accept = if gzip {
        "accept-encoding: gzip\r\n"
    } else {
        ""
    };
    format!(
        "POST /2/users/{ALICE}/following HTTP/1.1\r\nhost: {addr}\r\nauthorization: {authorization}\r\n\
         {accept}content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn oauth1_credentials() -> xfollow::OAuth1Credentials {
    xfollow::OAuth1Credentials::new(
        "demo-consumer-key",
        "demo-consumer-secret",
        "1500000000000000001-aliceDemoAccessToken",
        "alice-demo-token-secret",
    )
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing useful either.
    let env = |k: &str, d: usize| -> usize {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let n = env("XFOLLOW_BENCH_N", 5000);
    let rounds = env("XFOLLOW_BENCH_ROUNDS", 5).max(1);
    let per_round = (n / rounds).max(1);
    let warm_up = (n / 10).max(10);
    let e = Emulator::start();
    let only = std::env::var("XFOLLOW_BENCH_CASES").ok();
    let wanted = |key: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|k| k == key))
    };
    let addr = e.base.trim_start_matches("http://").to_owned();
    let url = format!("{}/2/users/{ALICE}/following", e.base);

    // The clients alone: no quota ledger (its cost is measured by benches/quota_ledger.rs).
    let c2 = xfollow::Client::builder()
        .base_url(e.base.clone())
        .oauth2_token("alice-demo-oauth2-token")
        .quota("off")
        .build()
        .unwrap();
    let cg = xfollow::Client::builder()
        .base_url(e.base.clone())
        .oauth2_token("alice-demo-oauth2-token")
        .gzip(false)
        .quota("off")
        .build()
        .unwrap();
    let creds = oauth1_credentials();
    let c1 = xfollow::Client::builder()
        .base_url(e.base.clone())
        .credentials(xfollow::Credentials::OAuth1(oauth1_credentials()))
        .quota("off")
        .build()
        .unwrap();

    let c1g = xfollow::Client::builder()
        .base_url(e.base.clone())
        .credentials(xfollow::Credentials::OAuth1(oauth1_credentials()))
        .gzip(false)
        .quota("off")
        .build()
        .unwrap();

    let mut cases: Vec<Case> = Vec::new();
    fn add<'a>(
        cases: &mut Vec<Case<'a>>,
        wanted: bool,
        (key, name, floor): (&'static str, &'static str, &'static str),
        f: Box<dyn FnMut() + 'a>,
    ) {
        if wanted {
            cases.push(Case {
                key,
                name,
                floor,
                f,
                cpu: Vec::new(),
                wall: Vec::new(),
                conns: 0,
            });
        }
    }
    // Each xfollow case is compared with the raw loop that asks for the same encoding.
    for (key, name, gzip) in [
        (
            "raw2",
            "raw HTTP/1.1 loop, one pre-built request, OAuth 2.0 bearer",
            false,
        ),
        (
            "raw2-gzip",
            "raw HTTP/1.1 loop, OAuth 2.0 bearer, accept-encoding: gzip",
            true,
        ),
    ] {
        let req = follow_request(&addr, "Bearer alice-demo-oauth2-token", gzip);
        add(
            &mut cases,
            true,
            (key, name, key),
            Box::new(raw_loop(&e.base, vec![req])),
        );
    }
    // OAuth 1.0a: every request needs its own nonce, so all are signed before the clock runs.
    for (key, name, gzip) in [
        (
            "raw1",
            "raw HTTP/1.1 loop, requests signed beforehand, OAuth 1.0a",
            false,
        ),
        (
            "raw1-gzip",
            "raw HTTP/1.1 loop, signed beforehand, OAuth 1.0a, accept-encoding: gzip",
            true,
        ),
    ] {
        let signed = (0..warm_up + per_round * rounds)
            .map(|_| follow_request(&addr, &creds.authorization("POST", &url, &[]), gzip))
            .collect();
        add(
            &mut cases,
            true,
            (key, name, key),
            Box::new(raw_loop(&e.base, signed)),
        );
    }
    add(
        &mut cases,
        wanted("rust2"),
        (
            "rust2",
            "xfollow Rust API, OAuth 2.0 (asks for gzip, the default)",
            "raw2-gzip",
        ),
        Box::new(|| assert!(c2.follow(Some(ALICE), BOB).unwrap().following)),
    );
    add(
        &mut cases,
        wanted("rust2-nogzip"),
        (
            "rust2-nogzip",
            "xfollow Rust API, OAuth 2.0, gzip(false)",
            "raw2",
        ),
        Box::new(|| assert!(cg.follow(Some(ALICE), BOB).unwrap().following)),
    );
    add(
        &mut cases,
        wanted("rust1"),
        (
            "rust1",
            "xfollow Rust API, OAuth 1.0a (asks for gzip)",
            "raw1-gzip",
        ),
        Box::new(|| assert!(c1.follow(Some(ALICE), BOB).unwrap().following)),
    );
    add(
        &mut cases,
        wanted("rust1-nogzip"),
        (
            "rust1-nogzip",
            "xfollow Rust API, OAuth 1.0a, gzip(false)",
            "raw1",
        ),
        Box::new(|| assert!(c1g.follow(Some(ALICE), BOB).unwrap().following)),
    );

    // Warm-up (and each client's one connection), then the rounds: every round runs every
    // case in turn, so that a change in the machine's load touches all cases alike.
    for c in cases.iter_mut() {
        let before = e.accepted();
        for _ in 0..warm_up {
            (c.f)();
        }
        let _ = e.accepted() - before;
    }
    for _ in 0..rounds {
        for c in cases.iter_mut() {
            let before = e.accepted();
            let cpu0 = thread_cpu();
            let t0 = Instant::now();
            for _ in 0..per_round {
                (c.f)();
            }
            let (cpu, wall) = (thread_cpu() - cpu0, t0.elapsed());
            c.conns += e.accepted() - before - 1;
            c.cpu.push(cpu / per_round as u32);
            c.wall.push(wall / per_round as u32);
        }
    }

    // Signing alone, without the network: what OAuth 1.0a adds per request.
    let mut sign = Vec::new();
    for _ in 0..rounds {
        let cpu0 = thread_cpu();
        for _ in 0..per_round * 4 {
            std::hint::black_box(creds.authorization("POST", &url, &[]));
        }
        sign.push((thread_cpu() - cpu0).as_secs_f64() * 1e6 / (per_round * 4) as f64);
    }
    println!(
        "\nOAuth 1.0a signing alone (nonce, timestamp, HMAC-SHA1, header): {:.2} µs (median of {rounds} rounds)",
        median(sign)
    );

    let us = |d: &Duration| d.as_secs_f64() * 1e6;
    println!(
        "\nclient CPU per follow (user+sys CPU of the calling thread), {rounds} rounds of {per_round} \
         follows per case, interleaved, after {warm_up} warm-up follows; median and range over the rounds; \
         x raw: ratio of the medians\n"
    );
    println!("| case | client CPU per follow (median) | range | x raw | wall per follow (median) | new connections |");
    println!("|---|---:|---:|---:|---:|---:|");
    for c in &cases {
        let floor = cases.iter().find(|f| f.key == c.floor).unwrap_or(c);
        let cpu: Vec<f64> = c.cpu.iter().map(us).collect();
        let floor_cpu = median(floor.cpu.iter().map(us).collect());
        let (lo, hi) = cpu
            .iter()
            .fold((f64::MAX, 0f64), |(l, h), &v| (l.min(v), h.max(v)));
        println!(
            "| {} | {:.1} µs | {lo:.1} to {hi:.1} | {:.2} ({}) | {:.1} µs | {} |",
            c.name,
            median(cpu.clone()),
            median(cpu.clone()) / floor_cpu,
            floor.key,
            median(c.wall.iter().map(us).collect()),
            c.conns
        );
    }
}
