//! What goes to stdout: a human line, or one JSON object per line with `--json`.

use std::io::Write;

use serde_json::{json, Value};

use crate::failure::{timestamp, Exit, Failure};

#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub json: bool,
}

impl Out {
    /// Prints `human`, or `value` as one JSON line. A closed stdout (`| head`) ends the
    /// process quietly.
    pub fn emit(&self, human: &str, value: Value) {
        let mut out = std::io::stdout().lock();
        let r = if self.json {
            writeln!(out, "{value}")
        } else {
            writeln!(out, "{human}")
        };
        if r.and_then(|_| out.flush()).is_err() {
            std::process::exit(Exit::Failure.code());
        }
    }

    /// Reports a failure: one line on stderr (with the time a limit frees) and, with
    /// `--json`, `{"error":{...}}` on stdout.
    pub fn failure(&self, f: &Failure) {
        let mut line = format!("xfollow: {}", f.message);
        if let Some(t) = f.frees_at() {
            line.push_str(&format!("; frees at {} ({t})", timestamp(t)));
        }
        eprintln!("{line}");
        if self.json {
            self.emit("", json!({ "error": error_json(f) }));
        }
    }
}

/// The `error` object of `--json` output (fields documented in cli/README.md).
pub fn error_json(f: &Failure) -> Value {
    let mut v = json!({
        "exit": f.exit.code(),
        "message": f.message,
    });
    if let Some(t) = f.frees_at() {
        v["frees_at"] = json!(t);
    }
    if let Some(e) = &f.error {
        v["kind"] = json!(kind_name(e.kind()));
        if let Some(s) = e.http_status() {
            v["http_status"] = json!(s);
        }
        if let Some(d) = &e.problem().detail {
            v["detail"] = json!(d);
        }
        if let Some(t) = &e.problem().title {
            v["title"] = json!(t);
        }
        v["may_have_reached_server"] = json!(e.may_have_reached_server());
    }
    v
}

/// A stable snake_case name for each error kind.
pub fn kind_name(k: xfollow::ErrorKind) -> &'static str {
    use xfollow::ErrorKind as K;
    match k {
        K::InvalidArgument => "invalid_argument",
        K::Unauthorized => "unauthorized",
        K::Forbidden => "forbidden",
        K::NotFound => "not_found",
        K::RateLimited => "rate_limited",
        K::Network => "network",
        K::Timeout => "timeout",
        K::Tls => "tls",
        K::Server => "server",
        K::Protocol => "protocol",
        K::Api => "api",
        K::Panic => "panic",
        K::QuotaExhausted => "quota_exhausted",
        K::QuotaStore => "quota_store",
        K::Cancelled => "cancelled",
        K::TokenStore => "token_store",
    }
}

/// Writes `bytes` to stdout as they are (completion scripts, the man page).
pub fn raw(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if out.write_all(bytes).and_then(|_| out.flush()).is_err() {
        std::process::exit(Exit::Failure.code());
    }
}
