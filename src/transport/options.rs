//! [`TransportOptions`]: how requests are sent (timeouts, proxy, extra roots, gzip). One set
//! serves a client's API calls and the token flows' requests.

use crate::error::Error;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Default connect timeout.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default overall timeout of one request (connect, send, receive).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Transport settings: 10 s connect and 30 s overall timeouts, no proxy, the built-in roots,
/// gzip asked for. `Debug` hides the proxy URL's userinfo.
#[derive(Clone, PartialEq, Eq)]
pub struct TransportOptions {
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) proxy: Option<String>,
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) gzip: bool,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            proxy: None,
            ca_file: None,
            gzip: true,
        }
    }
}

impl fmt::Debug for TransportOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportOptions")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("proxy", &self.proxy.as_deref().map(redact_userinfo))
            .field("ca_file", &self.ca_file)
            .field("gzip", &self.gzip)
            .finish()
    }
}

impl From<&TransportOptions> for TransportOptions {
    fn from(o: &TransportOptions) -> Self {
        o.clone()
    }
}

impl TransportOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Connect timeout (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }
    /// Overall timeout of one request (default 30 s).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }
    /// An explicit proxy (`http://host:port`, `socks5://host:port`...). `*_PROXY`
    /// environment variables are never read.
    pub fn proxy(mut self, url: Option<String>) -> Self {
        self.proxy = url;
        self
    }
    /// A PEM file of extra root certificates, trusted beside the built-in roots.
    pub fn ca_file(mut self, path: Option<PathBuf>) -> Self {
        self.ca_file = path;
        self
    }
    /// Ask for gzip-compressed responses (default true); a gzip body is decoded either way.
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// These settings, if usable (both timeouts above zero).
    pub(crate) fn checked(&self) -> Result<&Self, Error> {
        if self.connect_timeout.is_zero() || self.timeout.is_zero() {
            return Err(Error::invalid_argument(
                "timeouts must be greater than zero",
            ));
        }
        Ok(self)
    }
}

/// `url` with any userinfo (`user:pass@` after `scheme://`) replaced by `<redacted>`: how
/// the library shows a URL (proxy, ledger, store) in messages and `Debug` output.
pub fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The authority ends at the path's '/' only: a password with a raw '?' or '#' (malformed,
    // but typed by people) must not end it early and be shown.
    let end = rest.find('/').unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://<redacted>{}", &rest[at..]),
        None => url.to_owned(),
    }
}
