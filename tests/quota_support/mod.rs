//! Helpers for the quota tests: a private `redis-server`, a temporary directory, child
//! processes that re-run the test binary.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A `redis-server` of its own on a free loopback port, stopped on drop.
pub struct RedisServer {
    child: Child,
    pub port: u16,
    /// The TLS port, for one started by [`RedisServer::start_tls`].
    pub tls_port: Option<u16>,
}

impl RedisServer {
    /// Starts one. Panics (the test fails) with a clear message when `redis-server` is missing.
    pub fn start() -> RedisServer {
        RedisServer::spawn(None)
    }

    /// Starts one that also speaks TLS on [`tls_port`](Self::tls_port), with the server
    /// certificate and key in the PEM files `cert` and `key` (clients are not asked for one).
    pub fn start_tls(cert: &Path, key: &Path) -> RedisServer {
        RedisServer::spawn(Some((cert, key)))
    }

    fn spawn(tls: Option<(&Path, &Path)>) -> RedisServer {
        let bin = std::env::var("XFOLLOW_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port();
            let tls_port = tls.map(|_| free_port());
            let mut cmd = Command::new(&bin);
            cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no", "--daemonize", "no"]);
            if let (Some((cert, key)), Some(tls_port)) = (tls, tls_port) {
                cmd.args([
                    "--tls-port",
                    &tls_port.to_string(),
                    "--tls-auth-clients",
                    "no",
                ])
                .arg("--tls-cert-file")
                .arg(cert)
                .arg("--tls-key-file")
                .arg(key);
            }
            let spawned = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            let mut child = match spawned {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                    "`{bin}` is not installed: the Redis ledger tests need it. \
                     Install it with `apt-get install -y redis-server` (`make test` does)."
                ),
                Err(e) => panic!("cannot start `{bin}`: {e}"),
            };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(status)) = child.try_wait() {
                    last = format!("redis-server exited with {status} (port {port} taken?)");
                    break;
                }
                if ping(port)
                    && tls_port.is_none_or(|p| TcpStream::connect(("127.0.0.1", p)).is_ok())
                {
                    return RedisServer {
                        child,
                        port,
                        tls_port,
                    };
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
            if last.is_empty() {
                last = format!("redis-server did not answer PING on port {port} within 5 s");
            }
        }
        panic!("{last}");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// A fresh directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!(
            "xfollow-{tag}-{}-{nanos}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the ignored test `entry` of this same test binary in a child process, with `env`,
/// stdout piped.
pub fn spawn_child(entry: &str, env: &[(&str, String)]) -> Child {
    let exe = std::env::current_exe().expect("current exe");
    let mut cmd = Command::new(exe);
    cmd.args([
        entry,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads",
        "1",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn child test process")
}

/// What follows `marker` on the lines of `child`'s stdout that contain it, until EOF. (The test
/// harness prints `test child_entry ... ` before the child's first line, on the same line.)
pub fn marked_lines(child: &mut Child, marker: &str) -> Vec<String> {
    let out = child.stdout.take().expect("piped stdout");
    BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| after_marker(&l, marker).map(str::to_string))
        .collect()
}

/// What follows `marker` in `line`, if it is there.
pub fn after_marker<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.find(marker).map(|i| &line[i + marker.len()..])
}
