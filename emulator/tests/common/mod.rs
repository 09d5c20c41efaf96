//! Test helpers: start the emulator binary, a raw HTTP/1.1 client, OAuth 1.0a signing with
//! the emulator's own signer.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use xfollow_emulator::oauth1::{authorization_header, Credentials};

pub const ALICE: &str = "1500000000000000001";
pub const BOB: &str = "1500000000000000002";
pub const CAROL: &str = "1500000000000000003";
pub const DAVE: &str = "1500000000000000004";
pub const ERIN: &str = "1500000000000000005";
pub const XDEV: &str = "783214";

pub const CK: &str = "demo-consumer-key";
pub const CS: &str = "demo-consumer-secret";
pub const ALICE_TOKEN: &str = "1500000000000000001-aliceDemoAccessToken";
pub const ALICE_SECRET: &str = "alice-demo-token-secret";
pub const BOB_TOKEN: &str = "1500000000000000002-bobDemoAccessToken";
pub const BOB_SECRET: &str = "bob-demo-token-secret";
pub const ALICE_BEARER: &str = "alice-demo-oauth2-token";
pub const BOB_READONLY: &str = "bob-demo-oauth2-readonly";
pub const APP_BEARER: &str = "demo-app-only-bearer";

pub struct Emu {
    pub child: Child,
    pub port: u16,
    pub base: String,
    _dir: Option<TempDir>,
}

impl Drop for Emu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "xfollow-emu-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Emu {
    pub fn start() -> Emu {
        Emu::start_args(&[], None)
    }

    /// Starts with a config (JSON text) written to a temporary file.
    pub fn with_config(config: &str) -> Emu {
        Emu::with_config_args(config, &[])
    }

    pub fn with_config_args(config: &str, args: &[&str]) -> Emu {
        let dir = TempDir::new("cfg");
        let path = dir.0.join("world.json");
        std::fs::write(&path, config).unwrap();
        let mut all = vec!["--config".to_string(), path.to_string_lossy().into_owned()];
        all.extend(args.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        Emu::start_args(&refs, Some(dir))
    }

    pub fn start_args(args: &[&str], dir: Option<TempDir>) -> Emu {
        Emu::start_keeping_stdout(args, dir).0
    }

    /// Starts the binary; its stdout after the `listening on` line comes back too.
    pub fn start_keeping_stdout(
        args: &[&str],
        dir: Option<TempDir>,
    ) -> (Emu, BufReader<ChildStdout>) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xfollow-emulator"))
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start emulator");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let line = line.trim_end().to_string();
        let url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line: {line:?}"));
        assert!(
            url.starts_with("http://127.0.0.1:") || url.starts_with("https://127.0.0.1:"),
            "{line}"
        );
        let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
        let emu = Emu {
            child,
            port,
            base: url.to_string(),
            _dir: dir,
        };
        (emu, out)
    }

    pub fn client(&self) -> Client {
        Client::connect(self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let mut c = self.client();
        let body = body.map(|b| b.to_string());
        // The admin API refuses POSTs that are not typed JSON, body or not.
        let mut headers = vec![];
        if body.is_some() || method == "POST" {
            headers.push(("Content-Type", "application/json".to_string()));
        }
        let r = c.request(
            method,
            path,
            &headers,
            body.as_deref().unwrap_or("").as_bytes(),
        );
        assert_eq!(r.status, 200, "admin {method} {path}: {}", r.text());
        r.json()
    }

    /// Whether the emulator's state has the follow edge source -> target.
    pub fn has_follow(&self, source: &str, target: &str) -> bool {
        let edge = serde_json::json!({"source": source, "target": target});
        self.state()["follows"].as_array().unwrap().contains(&edge)
    }

    pub fn state(&self) -> Value {
        self.admin("GET", "/__emulator/state", None)
    }

    pub fn advance(&self, secs: i64) -> i64 {
        self.admin(
            "POST",
            "/__emulator/clock",
            Some(serde_json::json!({"advance_seconds": secs})),
        )["now"]
            .as_i64()
            .unwrap()
    }

    pub fn fault(&self, spec: Value) {
        self.admin("POST", "/__emulator/faults", Some(spec));
    }

    /// Signs with OAuth 1.0a (fresh nonce, real time) for this emulator's URL.
    pub fn oauth1(&self, method: &str, path_query: &str, token: &str, secret: &str) -> String {
        sign(
            method,
            &self.url(path_query),
            &[],
            CK,
            CS,
            Some((token, secret)),
        )
    }

    pub fn alice(&self, method: &str, path_query: &str) -> String {
        self.oauth1(method, path_query, ALICE_TOKEN, ALICE_SECRET)
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn nonce() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "n{}x{}x{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

pub fn sign(
    method: &str,
    url: &str,
    form: &[(String, String)],
    ck: &str,
    cs: &str,
    token: Option<(&str, &str)>,
) -> String {
    sign_at(method, url, form, ck, cs, token, &nonce(), now(), &[])
}

#[allow(clippy::too_many_arguments)]
pub fn sign_at(
    method: &str,
    url: &str,
    form: &[(String, String)],
    ck: &str,
    cs: &str,
    token: Option<(&str, &str)>,
    nonce: &str,
    ts: u64,
    extra: &[(&str, &str)],
) -> String {
    let creds = Credentials {
        consumer_key: ck,
        consumer_secret: cs,
        token: token.map(|t| t.0),
        token_secret: token.map(|t| t.1),
    };
    authorization_header(method, url, form, &creds, nonce, ts, extra)
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as received (still gzip when content-encoding says so).
    pub raw: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn h(&self, name: &str) -> &str {
        self.header(name)
            .unwrap_or_else(|| panic!("no header {name} in {:?}", self.headers))
    }

    pub fn hn(&self, name: &str) -> i64 {
        self.h(name).parse().unwrap()
    }

    pub fn body(&self) -> Vec<u8> {
        if self.header("content-encoding") == Some("gzip") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&self.raw[..])
                .read_to_end(&mut out)
                .unwrap();
            out
        } else {
            self.raw.clone()
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body()).unwrap()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body())
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn has_rate_headers(&self) -> bool {
        [
            "x-rate-limit-limit",
            "x-rate-limit-remaining",
            "x-rate-limit-reset",
        ]
        .iter()
        .all(|h| self.header(h).is_some())
    }
}

/// A keep-alive HTTP/1.1 client over one connection, generic over the stream.
pub struct Client<S: Read + Write = TcpStream> {
    pub r: BufReader<S>,
    pub host: String,
}

impl Client<TcpStream> {
    pub fn connect(port: u16) -> Client {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Client {
            r: BufReader::new(s),
            host: format!("127.0.0.1:{port}"),
        }
    }
}

impl<S: Read + Write> Client<S> {
    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.r.get_mut().write_all(bytes)?;
        self.r.get_mut().flush()
    }

    pub fn write_request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> std::io::Result<()> {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.send_raw(&bytes)
    }

    pub fn try_request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> std::io::Result<Resp> {
        self.write_request(method, path, headers, body)?;
        self.read_response()
    }

    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Resp {
        self.try_request(method, path, headers, body).unwrap()
    }

    pub fn read_response(&mut self) -> std::io::Result<Resp> {
        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
        let mut line = String::new();
        if self.r.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed before a response",
            ));
        }
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(&format!("status line {line:?}")))?;
        let mut headers = Vec::new();
        loop {
            let mut l = String::new();
            if self.r.read_line(&mut l)? == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "closed in headers",
                ));
            }
            let l = l.trim_end();
            if l.is_empty() {
                break;
            }
            let (k, v) = l.split_once(':').ok_or_else(|| bad("header"))?;
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        let mut raw = vec![0; len];
        self.r.read_exact(&mut raw)?;
        Ok(Resp {
            status,
            headers,
            raw,
        })
    }

    // Convenience wrappers.
    pub fn get(&mut self, path: &str, auth: &str) -> Resp {
        self.request("GET", path, &[("Authorization", auth.to_string())], b"")
    }

    pub fn follow(&mut self, source: &str, target: &str, auth: &str) -> Resp {
        let body = format!("{{\"target_user_id\":\"{target}\"}}");
        self.post_follow_body(source, auth, Some("application/json"), body.as_bytes())
    }

    /// A follow request with any body and content type (None: no Content-Type header).
    pub fn post_follow_body(
        &mut self,
        source: &str,
        auth: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Resp {
        let mut headers = vec![("Authorization", auth.to_string())];
        headers.extend(content_type.map(|ct| ("Content-Type", ct.to_string())));
        self.request("POST", &follow_path(source), &headers, body)
    }

    pub fn unfollow(&mut self, source: &str, target: &str, auth: &str) -> Resp {
        self.request(
            "DELETE",
            &format!("/2/users/{source}/following/{target}"),
            &[("Authorization", auth.to_string())],
            b"",
        )
    }
}

pub fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

pub fn follow_path(source: &str) -> String {
    format!("/2/users/{source}/following")
}

/// A small world with custom limits, for limit tests.
pub fn world_with_limits(limits: &str) -> String {
    let mut v: Value = serde_json::from_str(xfollow_emulator::config::DEMO_WORLD).unwrap();
    let l: Value = serde_json::from_str(limits).unwrap();
    for (k, val) in l.as_object().unwrap() {
        v["limits"][k] = val.clone();
    }
    v.to_string()
}
