//! Fault injection: the next N requests matching a route misbehave in a chosen way.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Sleep `delay_ms`, then answer normally (the request takes effect).
    Delay,
    /// Answer `status` with a problem body (or `body`); the request does not take effect.
    Status,
    /// Close the connection with a TCP RST, no response; the request does not take effect.
    Reset,
    /// The request takes effect; the headers promise more bytes than are sent, then close.
    Truncate,
    /// The request takes effect; the answer is 200 with a body that is not valid JSON.
    Malformed,
    /// The request takes effect; the answer carries no rate-limit headers.
    NoRateHeaders,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// `"METHOD /path"` or `"/path"` (any method); `*` matches one path segment.
    pub route: String,
    #[serde(default = "one")]
    pub count: u64,
    pub kind: Kind,
    #[serde(default)]
    pub delay_ms: u64,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

fn one() -> u64 {
    1
}

impl Fault {
    pub fn validate(&self) -> Result<(), String> {
        let (_, path) = self.split();
        if !path.starts_with('/') {
            return Err("route must be \"METHOD /path\" or \"/path\"".into());
        }
        if self.kind == Kind::Status && !matches!(self.status, Some(100..=599)) {
            return Err("kind \"status\" needs \"status\" between 100 and 599".into());
        }
        if self.delay_ms > 600_000 {
            return Err("delay_ms is at most 600000".into());
        }
        for k in self.headers.keys() {
            if k.is_empty() || k.bytes().any(|b| b <= b' ' || b == b':' || b >= 0x7f) {
                return Err(format!("invalid header name {k:?}"));
            }
        }
        for v in self.headers.values() {
            if v.contains('\r') || v.contains('\n') {
                return Err("header values cannot contain CR or LF".into());
            }
        }
        Ok(())
    }

    fn split(&self) -> (Option<&str>, &str) {
        let r = self.route.trim();
        match r.split_once(' ') {
            Some((m, p)) => (Some(m.trim()), p.trim()),
            None => (None, r),
        }
    }

    pub fn matches(&self, method: &str, path: &str) -> bool {
        let (m, pattern) = self.split();
        if let Some(m) = m {
            if !m.eq_ignore_ascii_case(method) {
                return false;
            }
        }
        let mut a = pattern.trim_end_matches('/').split('/');
        let mut b = path.trim_end_matches('/').split('/');
        loop {
            match (a.next(), b.next()) {
                (None, None) => return true,
                (Some(p), Some(s)) if p == "*" || p == s => {}
                _ => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(route: &str) -> Fault {
        serde_json::from_str(&format!(r#"{{"route":"{route}","kind":"reset"}}"#)).unwrap()
    }

    #[test]
    fn matching() {
        let x = f("POST /2/users/*/following");
        assert!(x.matches("POST", "/2/users/123/following"));
        assert!(!x.matches("GET", "/2/users/123/following"));
        assert!(!x.matches("POST", "/2/users/123/following/4"));
        assert!(!x.matches("POST", "/2/users/following"));
        let y = f("/2/users/me");
        assert!(y.matches("GET", "/2/users/me"));
        assert!(y.matches("DELETE", "/2/users/me"));
        assert_eq!(x.count, 1);
    }

    #[test]
    fn validation() {
        let s: Fault = serde_json::from_str(r#"{"route":"/x","kind":"status"}"#).unwrap();
        assert!(s.validate().is_err());
        let s: Fault =
            serde_json::from_str(r#"{"route":"/x","kind":"status","status":503}"#).unwrap();
        assert!(s.validate().is_ok());
        assert!(serde_json::from_str::<Fault>(r#"{"route":"/x","kind":"explode"}"#).is_err());
    }
}
