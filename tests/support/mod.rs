//! Starts the emulator (one per test) on port 0 and drives its admin API.
#![allow(dead_code)]

pub mod hostile_tls;
pub mod proxies;
pub mod test_ca;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::Once;
use std::time::Duration;
use xfollow::{Client, ClientBuilder};

pub const ALICE: &str = "1500000000000000001";
pub const BOB: &str = "1500000000000000002";
pub const CAROL: &str = "1500000000000000003"; // protected
pub const DAVE: &str = "1500000000000000004"; // suspended
pub const ERIN: &str = "1500000000000000005";
pub const XDEV: &str = "783214";

pub const CONSUMER_KEY: &str = "demo-consumer-key";
pub const CONSUMER_SECRET: &str = "demo-consumer-secret";
pub const ALICE_TOKEN: &str = "1500000000000000001-aliceDemoAccessToken";
pub const ALICE_SECRET: &str = "alice-demo-token-secret";
pub const ALICE_OAUTH2: &str = "alice-demo-oauth2-token";

/// The emulator binary: $XFOLLOW_EMULATOR, else `<target dir>/debug/xfollow-emulator`
/// (built with `cargo build -p xfollow-emulator` when missing).
pub fn emulator_path() -> PathBuf {
    if let Some(p) = std::env::var_os("XFOLLOW_EMULATOR") {
        return PathBuf::from(p);
    }
    // The test binary lives in <target>/<profile>/deps/.
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    let path = profile_dir.join("xfollow-emulator");
    static BUILD: Once = Once::new();
    BUILD.call_once(|| {
        if !path.exists() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let st = Command::new(cargo)
                .args(["build", "-p", "xfollow-emulator"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("run cargo build -p xfollow-emulator");
            assert!(st.success(), "cargo build -p xfollow-emulator failed");
        }
    });
    path
}

/// A fresh directory for one emulator's files.
pub fn temp_dir() -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "xfollow-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct Emulator {
    child: Child,
    pub base: String,
    /// With `--tls`: the PEM file of the CA that signed the emulator's certificate.
    pub ca_file: Option<PathBuf>,
}

impl Emulator {
    pub fn start() -> Emulator {
        Self::spawn(&[])
    }

    /// Starts with the demo world changed by `patch` (merged into the top-level objects).
    pub fn start_with(patch: Value) -> Emulator {
        let mut world: Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/emulator/demo-world.json"
            ))
            .expect("demo-world.json"),
        )
        .expect("demo world is JSON");
        for (k, v) in patch.as_object().expect("patch object") {
            match (
                world.get_mut(k).and_then(Value::as_object_mut),
                v.as_object(),
            ) {
                (Some(dst), Some(src)) => {
                    for (k2, v2) in src {
                        dst.insert(k2.clone(), v2.clone());
                    }
                }
                _ => {
                    world[k] = v.clone();
                }
            }
        }
        let file = temp_dir().join("world.json");
        std::fs::write(&file, world.to_string()).unwrap();
        Self::spawn(&["--config", file.to_str().unwrap()])
    }

    /// Serves https with a certificate from a CA made at start (written to `ca_file`).
    pub fn start_tls() -> Emulator {
        let ca = temp_dir().join("ca.pem");
        let mut e = Self::spawn(&["--tls", "--ca-out", ca.to_str().unwrap()]);
        e.ca_file = Some(ca);
        e
    }

    fn spawn(extra: &[&str]) -> Emulator {
        let mut child = Command::new(emulator_path())
            .args(["--port", "0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the emulator");
        let stdout = child.stdout.take().unwrap();
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .expect("read the emulator's first line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        // Keep draining stdout so that the emulator never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });
        Emulator {
            child,
            base,
            ca_file: None,
        }
    }

    /// An agent for the admin API, trusting the emulator's CA under `--tls`.
    fn admin_agent(&self) -> ureq::Agent {
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(10)));
        if let Some(ca) = &self.ca_file {
            let pem = std::fs::read(ca).expect("the emulator's CA file");
            let cert = ureq::tls::Certificate::from_pem(&pem).expect("a PEM certificate");
            let roots = ureq::tls::RootCerts::new_with_certs(&[cert]);
            config = config.tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build());
        }
        config.build().new_agent()
    }

    fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/__emulator/{}", self.base, path);
        let agent = self.admin_agent();
        let mut resp = match (method, body) {
            ("GET", _) => agent.get(&url).call(),
            ("POST", Some(b)) => agent
                .post(&url)
                .content_type("application/json")
                .send(b.to_string()),
            ("POST", None) => agent
                .post(&url)
                .content_type("application/json")
                .send_empty(),
            ("DELETE", _) => agent.delete(&url).call(),
            _ => unreachable!(),
        }
        .expect("admin request");
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap();
        assert_eq!(status, 200, "admin {method} {path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    pub fn state(&self) -> Value {
        self.admin("GET", "state", None)
    }
    pub fn reset(&self) {
        self.admin("POST", "reset", None);
    }
    pub fn advance(&self, seconds: i64) {
        self.admin("POST", "clock", Some(json!({ "advance_seconds": seconds })));
    }
    pub fn now(&self) -> u64 {
        self.admin("GET", "clock", None)["now"].as_u64().unwrap()
    }
    pub fn accepted(&self) -> u64 {
        self.admin("GET", "connections", None)["accepted"]
            .as_u64()
            .unwrap()
    }
    pub fn fault(&self, f: Value) {
        self.admin("POST", "faults", Some(f));
    }

    /// Whether `source` follows `target` in the emulator's state.
    pub fn follows(&self, source: &str, target: &str) -> bool {
        self.edges("follows")
            .iter()
            .any(|(s, t)| s == source && t == target)
    }
    pub fn pending(&self, source: &str, target: &str) -> bool {
        self.edges("pending")
            .iter()
            .any(|(s, t)| s == source && t == target)
    }
    pub fn edges(&self, which: &str) -> Vec<(String, String)> {
        self.state()[which]
            .as_array()
            .unwrap_or_else(|| panic!("state.{which} is an array"))
            .iter()
            .map(|e| {
                (
                    e["source"].as_str().unwrap().to_owned(),
                    e["target"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }
    pub fn user_counter(&self, user: &str, name: &str) -> u64 {
        self.state()["counters"]["users"][user][name]
            .as_u64()
            .unwrap()
    }
    pub fn app_counter(&self, app: &str, name: &str) -> u64 {
        self.state()["counters"]["apps"][app][name]
            .as_u64()
            .unwrap()
    }

    pub fn builder(&self) -> ClientBuilder {
        Client::builder().base_url(self.base.clone())
    }
    pub fn alice_oauth1(&self) -> Client {
        self.builder()
            .oauth1(CONSUMER_KEY, CONSUMER_SECRET, ALICE_TOKEN, ALICE_SECRET)
            .build()
            .unwrap()
    }
    pub fn alice_oauth2(&self) -> Client {
        alice_at(self.base.clone()).build().unwrap()
    }
}

/// A builder for alice's OAuth 2.0 client of the server at `base`.
pub fn alice_at(base: impl Into<String>) -> ClientBuilder {
    Client::builder().base_url(base).oauth2_token(ALICE_OAUTH2)
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A gzip member holding `data` in one stored (uncompressed) deflate block.
pub fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut g = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let len = data.len() as u16;
    g.push(1);
    g.extend_from_slice(&len.to_le_bytes());
    g.extend_from_slice(&(!len).to_le_bytes());
    g.extend_from_slice(data);
    g.extend_from_slice(&crc32(data).to_le_bytes());
    g.extend_from_slice(&(data.len() as u32).to_le_bytes());
    g
}

/// A server on 127.0.0.1 that answers the requests of its n-th connection with the raw
/// answers of `script[n]`, in order, and then closes that connection. Sends back the
/// connection's index and every request it read (head and body, as text).
pub fn scripted_server(script: Vec<Vec<Vec<u8>>>) -> (String, mpsc::Receiver<(usize, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for (n, answers) in script.into_iter().enumerate() {
            let (stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            for answer in answers {
                let Some(request) = read_request(&mut reader) else {
                    break;
                };
                tx.send((n, request)).unwrap();
                // The client may hang up early (a body over the limit): that is no failure here.
                let _ = writer.write_all(&answer);
            }
        }
    });
    (base, rx)
}

/// Reads one request, head and body, as text (None at the end of the connection).
pub fn read_request(reader: &mut impl BufRead) -> Option<String> {
    let mut request = String::new();
    let mut len = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
        request.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    request.push_str(&String::from_utf8(body).unwrap());
    Some(request)
}
