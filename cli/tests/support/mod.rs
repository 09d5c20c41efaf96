//! Runs the built `xfollow` against the emulator (the library's tests' `emulator.rs`, one per
//! test); each test has its own home directory (`XDG_CONFIG_HOME`, `XDG_STATE_HOME`) and a
//! clean environment.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[path = "../../../tests/support/emulator.rs"]
mod emulator;
pub use emulator::*;

/// An HTTP agent that follows no redirect (a browser's first step), trusting `ca` if given.
pub fn agent(ca: Option<&Path>) -> ureq::Agent {
    let mut c = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(20)));
    if let Some(ca) = ca {
        let pem = std::fs::read(ca).unwrap();
        let certs: Vec<_> = ureq::tls::parse_pem(&pem)
            .filter_map(|i| match i {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        c = c.tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(certs)))
                .build(),
        );
    }
    c.build().new_agent()
}

/// GET `url` as a browser would, without following a redirect: status, `location`, body.
pub fn browse(url: &str) -> (u16, Option<String>, String) {
    let mut r = agent(None).get(url).call().unwrap();
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = r.body_mut().read_to_string().unwrap_or_default();
    (r.status().as_u16(), loc, body)
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One user's home: the profile and state directories of every run in it.
pub struct Home {
    pub dir: PathBuf,
}

impl Home {
    pub fn new() -> Home {
        Home { dir: temp_dir() }
    }
    pub fn profile_dir(&self) -> PathBuf {
        self.dir.join("config/xfollow")
    }
    pub fn state_dir(&self) -> PathBuf {
        self.dir.join("state/xfollow")
    }

    /// `xfollow ARGS` with only this home's variables (and `envs`) set.
    pub fn cmd(&self, args: &[&str], envs: &[(&str, &str)]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_xfollow"));
        c.env_clear()
            .env("HOME", &self.dir)
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("XDG_STATE_HOME", self.dir.join("state"))
            .env("RUST_BACKTRACE", "0")
            .args(args)
            .stdin(Stdio::null());
        for (k, v) in envs {
            c.env(k, v);
        }
        c
    }

    pub fn run(&self, args: &[&str], envs: &[(&str, &str)]) -> Run {
        Run::from(self.cmd(args, envs).output().unwrap())
    }

    /// Runs with `input` on stdin.
    pub fn run_with_input(&self, args: &[&str], envs: &[(&str, &str)], input: &str) -> Run {
        let mut child = self
            .cmd(args, envs)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        Run::from(child.wait_with_output().unwrap())
    }

    /// `xfollow --base-url BASE login --no-browser` (OAuth 2.0 PKCE), the test playing the
    /// browser: it fetches the printed authorize URL (the emulator approves at once as
    /// `as_user`) and delivers the redirect to the receiver.
    pub fn login_pkce(&self, emu: &Emulator, redirect: &str, profile: &str, as_user: &str) -> Run {
        let (child, out, first) = self.start_login(
            emu,
            profile,
            &["--json", "login", "--no-browser"],
            &[
                ("X_CLIENT_ID", "demo-client-id"),
                ("X_REDIRECT_URI", redirect),
            ],
            Stdio::null(),
        );
        let url = serde_json::from_str::<Value>(&first).unwrap()["authorize_url"]
            .as_str()
            .unwrap_or_else(|| panic!("no authorize_url in {first:?}"))
            .to_owned();
        let (status, location, _) = browse(&format!("{url}&as_user={as_user}"));
        assert_eq!(status, 302);
        let location = location.unwrap();
        assert!(location.starts_with(&format!("{redirect}?")), "{location}");
        let (status, _, page) = browse(&location);
        assert_eq!(status, 200, "{page}");
        finish(child, out, first)
    }

    /// `xfollow login --oauth1 --no-browser`, the test reading the PIN from the emulator's
    /// authorize page (approving as `as_user`) and typing it.
    pub fn login_pin(&self, emu: &Emulator, profile: &str, as_user: &str) -> Run {
        let (mut child, out, first) = self.start_login(
            emu,
            profile,
            &["login", "--oauth1", "--no-browser"],
            &[
                ("X_CONSUMER_KEY", "demo-consumer-key"),
                ("X_CONSUMER_SECRET", "demo-consumer-secret"),
            ],
            Stdio::piped(),
        );
        let url = first.trim();
        assert!(
            url.starts_with(&format!("{}/oauth/authorize?oauth_token=", emu.base)),
            "{url}"
        );
        let (status, _, page) = browse(&format!("{url}&as_user={as_user}"));
        assert_eq!(status, 200, "{page}");
        let pin = page
            .split("<code id=\"pin\">")
            .nth(1)
            .and_then(|r| r.split('<').next())
            .unwrap_or_else(|| panic!("no PIN in {page}"))
            .to_owned();
        type_line(child.stdin.take().unwrap(), &pin);
        finish(child, out, first)
    }

    /// `xfollow --base-url BASE --json ARGS` with each follow taking 400 ms, sent SIGINT 100 ms
    /// after its first line: the next follow is then waiting for its answer, and the signal
    /// lands in that read.
    pub fn interrupt_after_first_line(
        &self,
        emu: &Emulator,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> Interrupted {
        emu.fault(json!({"route": "POST /2/users/*/following", "kind": "delay", "delay_ms": 400, "count": 10}));
        let mut a = vec!["--base-url", emu.base.as_str(), "--json"];
        a.extend_from_slice(args);
        let (mut child, mut out, first) = start(self.cmd(&a, envs).stderr(Stdio::piped()));
        std::thread::sleep(Duration::from_millis(100));
        let signalled = Instant::now();
        let st = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        let mut rest = String::new();
        out.read_to_string(&mut rest).unwrap();
        let code = child.wait().unwrap().code();
        let took = signalled.elapsed();
        let lines = std::iter::once(first.as_str())
            .chain(rest.lines())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        Interrupted { code, lines, took }
    }

    /// Starts `xfollow --base-url BASE --profile PROFILE ARGS` (stderr piped) and reads
    /// the first line it prints: the authorize URL.
    fn start_login(
        &self,
        emu: &Emulator,
        profile: &str,
        args: &[&str],
        envs: &[(&str, &str)],
        stdin: Stdio,
    ) -> (Child, BufReader<ChildStdout>, String) {
        let mut a = vec!["--base-url", emu.base.as_str(), "--profile", profile];
        a.extend_from_slice(args);
        start(self.cmd(&a, envs).stdin(stdin).stderr(Stdio::piped()))
    }
}

/// A run stopped by SIGINT: its exit code, its stdout (one JSON object per line) and how
/// long it took to exit after the signal.
pub struct Interrupted {
    pub code: Option<i32>,
    pub lines: Vec<Value>,
    pub took: Duration,
}

/// Spawns `cmd` with stdout piped and reads the first line it prints.
fn start(cmd: &mut Command) -> (Child, BufReader<ChildStdout>, String) {
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(!line.is_empty(), "the command printed nothing");
    (child, out, line)
}

fn type_line(mut stdin: ChildStdin, line: &str) {
    stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
}

fn finish(mut child: Child, mut out: BufReader<ChildStdout>, first: String) -> Run {
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: first + &rest,
        stderr: err,
    }
}

/// A finished run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Run {
    fn from(o: std::process::Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8(o.stdout).unwrap(),
            stderr: String::from_utf8(o.stderr).unwrap(),
        }
    }
}

impl Run {
    /// stdout, one JSON object per line.
    pub fn json(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
            .collect()
    }
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
    /// Asserts the exit code, showing the output when it differs.
    pub fn expect(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "exit code; run: {self:#?}");
        self
    }
}
