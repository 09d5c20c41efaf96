//! The emulator as a child process, one per test: started on port 0 with the demo world
//! (optionally patched), driven through its admin API, killed on drop. Shared by the
//! library's tests (`tests/support`) and the command line's (`cli/tests/support`, which
//! includes this file by path).

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::Duration;

// Users, app and tokens of the demo world (emulator/demo-world.json).
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

/// A fresh, empty directory.
pub fn temp_dir() -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "xfollow-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The emulator's demo world.
pub fn demo_world() -> Value {
    serde_json::from_str(include_str!("../../emulator/demo-world.json")).expect("JSON")
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

    /// Starts with the demo world changed by `patch` (merged into the top-level objects;
    /// arrays replaced).
    pub fn start_with(patch: Value) -> Emulator {
        let mut world = demo_world();
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
                _ => world[k] = v.clone(),
            }
        }
        Self::start_world(&world, &[])
    }

    /// Starts with `world` (a whole config) and `extra` flags.
    pub fn start_world(world: &Value, extra: &[&str]) -> Emulator {
        Self::start_world_binary(&emulator_path(), world, extra)
    }

    /// The same with the emulator binary at `bin`.
    pub fn start_world_binary(bin: &Path, world: &Value, extra: &[&str]) -> Emulator {
        let file = temp_dir().join("world.json");
        std::fs::write(&file, world.to_string()).unwrap();
        let mut args = vec!["--config", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        Self::spawn_binary(bin, &args)
    }

    /// The demo world whose apps also accept `redirect` as a redirect URI.
    pub fn with_redirect(redirect: &str) -> Emulator {
        let mut apps = demo_world()["apps"].clone();
        for a in apps.as_array_mut().unwrap() {
            a["redirect_uris"]
                .as_array_mut()
                .unwrap()
                .push(json!(redirect));
        }
        Self::start_with(json!({ "apps": apps }))
    }

    /// Serves https with a certificate from a CA made at start (written to `ca_file`).
    pub fn start_tls() -> Emulator {
        let ca = temp_dir().join("ca.pem");
        let mut e = Self::spawn(&["--tls", "--ca-out", ca.to_str().unwrap()]);
        e.ca_file = Some(ca);
        e
    }

    fn spawn(extra: &[&str]) -> Emulator {
        Self::spawn_binary(&emulator_path(), extra)
    }

    fn spawn_binary(bin: &Path, extra: &[&str]) -> Emulator {
        let mut child = Command::new(bin)
            .args(["--port", "0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the emulator");
        let mut reader = BufReader::new(child.stdout.take().unwrap());
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
    /// The request log's entries (`method`, `path`, `source`, `target`, `status`), oldest
    /// first (the first page: enough for a test).
    pub fn requests(&self) -> Vec<Value> {
        self.admin("GET", "requests", None)["requests"]
            .as_array()
            .unwrap()
            .clone()
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
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
