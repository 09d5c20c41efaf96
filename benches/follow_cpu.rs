//! Client CPU time per follow (user+sys CPU time of the calling thread, read from
//! /proc/thread-self/schedstat in nanoseconds: the same time getrusage(RUSAGE_THREAD) splits
//! into user and sys, without `unsafe`), sequential on one keep-alive connection to the
//! emulator, for:
//!   raw      a hand-written HTTP/1.1 keep-alive loop sending a pre-built request with an
//!            OAuth 2.0 bearer token (the floor for any client)
//!   rust2    xfollow::Client::follow, OAuth 2.0
//!   rust1    xfollow::Client::follow, OAuth 1.0a (a fresh nonce and HMAC per request)
//! The C ABI is measured from C by benches/follow_cpu.c (make bench runs both).
//!
//! Run: make bench   (or: cargo build -p xfollow-emulator && cargo bench -p xfollow --bench follow_cpu)
//! Env: XFOLLOW_BENCH_N (requests per case, default 5000), XFOLLOW_BENCH_CASES (a comma
//! list of rust2,rust1; default all), XFOLLOW_EMULATOR.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ALICE: &str = "1500000000000000001";
const BOB: &str = "1500000000000000002";

fn thread_cpu() -> Duration {
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

/// Runs `f` n times after a warm-up; returns (client CPU per call, wall per call).
fn measure(n: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    for _ in 0..(n / 10).max(10) {
        f();
    }
    let cpu0 = thread_cpu();
    let t0 = Instant::now();
    for _ in 0..n {
        f();
    }
    ((thread_cpu() - cpu0) / n as u32, t0.elapsed() / n as u32)
}

fn raw_loop(base: &str) -> impl FnMut() {
    let addr = base.trim_start_matches("http://").to_owned();
    let body = format!("{{\"target_user_id\":\"{BOB}\"}}");
    let req = format!(
        "POST /2/users/{ALICE}/following HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer alice-demo-oauth2-token\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes();
    let stream = TcpStream::connect(&addr).unwrap();
    stream.set_nodelay(true).unwrap();
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    let mut buf = Vec::new();
    move || {
        w.write_all(&req).unwrap();
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

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing useful either.
    let n: usize = std::env::var("XFOLLOW_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let e = Emulator::start();
    let only = std::env::var("XFOLLOW_BENCH_CASES").ok();
    let wanted = |key: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|k| k == key))
    };
    let mut rows = Vec::new();
    let mut case = |name: &str, f: &mut dyn FnMut()| {
        let before = e.accepted();
        let (cpu, wall) = measure(n, f);
        let conns = e.accepted() - before - 1;
        rows.push((name.to_owned(), cpu, wall, conns));
    };

    // The raw loop always runs: it is the floor the others are compared with.
    let mut raw = raw_loop(&e.base);
    case(
        "raw HTTP/1.1 loop, pre-built request, OAuth 2.0 bearer",
        &mut raw,
    );
    drop(raw);

    let c2 = xfollow::Client::builder()
        .base_url(e.base.clone())
        .oauth2_token("alice-demo-oauth2-token")
        .quota("off")
        .build()
        .unwrap();
    if wanted("rust2") {
        case("xfollow Rust API, OAuth 2.0", &mut || {
            assert!(c2.follow(Some(ALICE), BOB).unwrap().following);
        });
    }
    let cg = xfollow::Client::builder()
        .base_url(e.base.clone())
        .oauth2_token("alice-demo-oauth2-token")
        .gzip(false)
        .quota("off")
        .build()
        .unwrap();
    if wanted("rust2-nogzip") {
        case("xfollow Rust API, OAuth 2.0, gzip(false)", &mut || {
            assert!(cg.follow(Some(ALICE), BOB).unwrap().following);
        });
    }
    let c1 = xfollow::Client::builder()
        .base_url(e.base.clone())
        .oauth1(
            "demo-consumer-key",
            "demo-consumer-secret",
            "1500000000000000001-aliceDemoAccessToken",
            "alice-demo-token-secret",
        )
        .quota("off")
        .build()
        .unwrap();
    if wanted("rust1") {
        case("xfollow Rust API, OAuth 1.0a", &mut || {
            assert!(c1.follow(Some(ALICE), BOB).unwrap().following);
        });
    }

    // Signing alone, without the network: what OAuth 1.0a adds per request.
    let creds = xfollow::OAuth1Credentials::new(
        "demo-consumer-key",
        "demo-consumer-secret",
        "1500000000000000001-aliceDemoAccessToken",
        "alice-demo-token-secret",
    );
    let url = format!("{}/2/users/{ALICE}/following", e.base);
    let (sign, _) = measure(n * 4, || {
        std::hint::black_box(creds.authorization("POST", &url, &[]));
    });
    println!(
        "\nOAuth 1.0a signing alone (nonce, timestamp, HMAC-SHA1, header): {:.2} µs",
        sign.as_secs_f64() * 1e6
    );

    let floor = rows[0].1;
    println!("\nclient CPU per follow (user+sys CPU of the calling thread), n = {n} per case\n");
    println!("| case | client CPU per follow | x raw | wall per follow | new connections |");
    println!("|---|---:|---:|---:|---:|");
    for (name, cpu, wall, conns) in &rows {
        println!(
            "| {name} | {:.1} µs | {:.2} | {:.1} µs | {conns} |",
            cpu.as_secs_f64() * 1e6,
            cpu.as_secs_f64() / floor.as_secs_f64(),
            wall.as_secs_f64() * 1e6
        );
    }
}
