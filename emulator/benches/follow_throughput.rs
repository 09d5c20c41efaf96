//! Follow requests per second from one keep-alive client connection on loopback.
//!
//! Run: `cargo bench -p xfollow-emulator --bench follow_throughput`
//! (starts the release binary with limits high enough never to answer 429).
//! Optional: `XFOLLOW_BENCH_N=200000` requests per case.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use xfollow_emulator::oauth1::{authorization_header, Credentials};

const ALICE: &str = "1500000000000000001";
const TARGETS: [&str; 3] = ["1500000000000000002", "1500000000000000005", "783214"];

fn read_response(r: &mut BufReader<TcpStream>, line: &mut String) -> u16 {
    line.clear();
    r.read_line(line).unwrap();
    let status: u16 = line[9..12].parse().unwrap();
    let mut len = 0usize;
    loop {
        line.clear();
        r.read_line(line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.strip_prefix("content-length: ") {
            len = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    status
}

fn request(auth: &str, target: &str) -> Vec<u8> {
    let body = format!("{{\"target_user_id\":\"{target}\"}}");
    format!(
        "POST /2/users/{ALICE}/following HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn main() {
    let n: usize = std::env::var("XFOLLOW_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let mut world: serde_json::Value =
        serde_json::from_str(xfollow_emulator::config::DEMO_WORLD).unwrap();
    for k in [
        "follow_per_15min",
        "follows_per_user_day",
        "follows_per_app_day",
    ] {
        world["limits"][k] = serde_json::json!(u64::MAX / 2);
    }
    let dir = std::env::temp_dir().join(format!("xfollow-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("world.json");
    std::fs::write(&cfg, world.to_string()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_xfollow-emulator"))
        .args(["--port", "0", "--config", cfg.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().rsplit(':').next().unwrap().parse().unwrap();

    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_nodelay(true).unwrap();
    let mut w = sock.try_clone().unwrap();
    let mut r = BufReader::new(sock);

    // 1. OAuth 2.0 bearer, one request at a time (send, wait for the answer, repeat).
    let reqs: Vec<Vec<u8>> = TARGETS
        .iter()
        .map(|t| request("Bearer alice-demo-oauth2-token", t))
        .collect();
    for i in 0..2000 {
        w.write_all(&reqs[i % 3]).unwrap();
        assert_eq!(read_response(&mut r, &mut line), 200);
    }
    let t = Instant::now();
    for i in 0..n {
        w.write_all(&reqs[i % 3]).unwrap();
        assert_eq!(read_response(&mut r, &mut line), 200);
    }
    let serial = n as f64 / t.elapsed().as_secs_f64();
    println!("bearer, sequential:      {serial:>9.0} follows/s ({n} requests, one keep-alive connection)");

    // 2. Same, pipelined 16 deep.
    let depth = 16;
    let t = Instant::now();
    let mut sent = 0;
    let mut got = 0;
    while got < n {
        while sent < n && sent - got < depth {
            w.write_all(&reqs[sent % 3]).unwrap();
            sent += 1;
        }
        assert_eq!(read_response(&mut r, &mut line), 200);
        got += 1;
    }
    let piped = n as f64 / t.elapsed().as_secs_f64();
    println!("bearer, pipelined x{depth}:   {piped:>9.0} follows/s");

    // 3. OAuth 1.0a, signed freshly per request (client signing time included).
    let creds = Credentials {
        consumer_key: "demo-consumer-key",
        consumer_secret: "demo-consumer-secret",
        token: Some("1500000000000000001-aliceDemoAccessToken"),
        token_secret: Some("alice-demo-token-secret"),
    };
    let url = format!("http://127.0.0.1/2/users/{ALICE}/following");
    let m = n / 4;
    let t = Instant::now();
    for i in 0..m {
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let auth = authorization_header("POST", &url, &[], &creds, &format!("bench{i}"), ts, &[]);
        w.write_all(&request(&auth, TARGETS[i % 3])).unwrap();
        assert_eq!(read_response(&mut r, &mut line), 200);
    }
    let signed = m as f64 / t.elapsed().as_secs_f64();
    println!(
        "oauth1, sequential:      {signed:>9.0} follows/s ({m} requests, each signed and verified)"
    );

    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
