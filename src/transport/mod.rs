//! Sending requests: timeouts, TLS roots, proxy, no redirects, loopback-only plain http.
//!
//! API requests to the client's own base URL on a direct connection take [`direct`], a
//! purpose-built HTTP/1.1 keep-alive path (the few request shapes of the API, nothing else);
//! requests through a proxy and the token endpoints' form posts go through ureq. Both read
//! answers with the same rules ([`Head`], [`finish`]): rate-limit headers, gzip, body limit.
//!
//! Proxy rule: the library never reads `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` or
//! `NO_PROXY`. A proxy is used only when the caller sets one explicitly (a program that
//! wants the environment's proxy passes its value on). This keeps signed requests from
//! being routed through a proxy nobody chose.

mod answer;
mod deadline;
mod direct;
mod gzip;
mod options;
mod written;

// The fuzz target's entry: the direct path's answer reading over bytes in memory.
pub(crate) use answer::parse_answer_bytes;
pub use options::redact_userinfo;
pub use options::TransportOptions;

use crate::error::{Delivery, Error, ErrorKind};
use crate::ratelimit::RateLimit;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::Agent;

/// Largest response body read (the API's bodies are a few hundred bytes).
const MAX_BODY: u64 = 1 << 20;

const USER_AGENT: &str = concat!("xfollow/", env!("CARGO_PKG_VERSION"));

/// The ureq agent (token endpoints, proxied connections).
pub(crate) fn agent(o: &TransportOptions) -> Result<Agent, Error> {
    let o = o.checked()?;
    agent_with(o, o.ca_file.as_deref().map(roots_with).transpose()?)
}

/// The ureq agent, trusting `roots` (the CA file's and the built-in ones) when given.
fn agent_with(
    o: &TransportOptions,
    roots: Option<Vec<Certificate<'static>>>,
) -> Result<Agent, Error> {
    let mut tls = TlsConfig::builder();
    if let Some(roots) = roots {
        tls = tls.root_certs(RootCerts::Specific(Arc::new(roots)));
    }
    let proxied = o.proxy.is_some();
    let proxy = match o.proxy.as_deref() {
        Some(p) => Some(ureq::Proxy::new(p).map_err(|_| {
            Error::invalid_argument(
                "invalid proxy URL: expected http://, https://, socks4://, socks4a:// or socks5:// and a host",
            )
        })?),
        None => None,
    };
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        // A gzip body is decoded (by `gzip::gunzip`, not ureq) whether it was asked for or not.
        .accept_encoding(if o.gzip { "gzip" } else { "identity" })
        .max_idle_connections(64)
        .max_idle_connections_per_host(32)
        .timeout_connect(Some(o.connect_timeout))
        .timeout_global(Some(o.timeout))
        .user_agent(USER_AGENT)
        .proxy(proxy)
        .tls_config(tls.build())
        .build();
    Ok(Agent::with_parts(
        config,
        written::connector(proxied),
        ureq::unversioned::resolver::DefaultResolver::default(),
    ))
}

/// How a client sends API requests: directly to its base URL when no proxy is set, else
/// through ureq. The ureq agent also serves the token endpoints (refreshes).
pub(crate) struct ApiTransport {
    direct: Option<direct::Pool>,
    agent: Agent,
}

impl ApiTransport {
    /// `base` is a checked base URL ([`check_base_url`]); `cancel`: the client's switch.
    pub(crate) fn new(
        o: &TransportOptions,
        base: &str,
        cancel: crate::cancel::Cancel,
    ) -> Result<Self, Error> {
        // The CA file is read once, for both paths.
        let o = o.checked()?;
        let roots = o.ca_file.as_deref().map(roots_with).transpose()?;
        let direct = match o.proxy {
            None => Some(direct::Pool::new(o, base, roots.as_deref(), cancel)?),
            Some(_) => None,
        };
        let agent = agent_with(o, roots)?;
        Ok(ApiTransport { direct, agent })
    }

    pub(crate) fn agent(&self) -> &Agent {
        &self.agent
    }

    /// Ends the requests in flight on direct connections (a proxied request runs to its
    /// timeout: ureq gives no handle on its sockets).
    pub(crate) fn abort(&self) {
        if let Some(pool) = &self.direct {
            pool.abort();
        }
    }

    /// Sends one API request and reads the whole answer. `url` starts with the base URL.
    pub(crate) fn send(
        &self,
        method: &str,
        url: &str,
        authorization: &str,
        json_body: Option<&str>,
    ) -> Result<RawResponse, Error> {
        if !matches!(
            (method, json_body),
            ("POST", Some(_)) | ("DELETE", None) | ("GET", None)
        ) {
            return Err(Error::invalid_argument(format!(
                "unsupported request shape: {method}"
            )));
        }
        match &self.direct {
            Some(pool) => pool.send(method, url, authorization, json_body),
            None => send_ureq(&self.agent, method, url, authorization, json_body),
        }
    }
}

/// The webpki roots plus every certificate of a PEM file.
fn roots_with(path: &Path) -> Result<Vec<Certificate<'static>>, Error> {
    let pem = std::fs::read(path).map_err(|e| {
        Error::invalid_argument(format!("cannot read CA file {}: {e}", path.display()))
    })?;
    let mut certs: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|c| Certificate::from_der(c.as_ref()))
        .collect();
    let before = certs.len();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(_) => {
                return Err(Error::invalid_argument(format!(
                    "CA file {} is not valid PEM",
                    path.display()
                )))
            }
        }
    }
    if certs.len() == before {
        return Err(Error::invalid_argument(format!(
            "CA file {} holds no certificate",
            path.display()
        )));
    }
    Ok(certs)
}

/// Checks a base URL: https, or http for a loopback host only; no query, no fragment.
/// Returns it without a trailing slash.
pub(crate) fn check_base_url(s: &str) -> Result<String, Error> {
    let bad = |why: &str| Error::invalid_argument(format!("invalid base URL: {why}"));
    let uri: ureq::http::Uri = s.parse().map_err(|_| bad("not a URL"))?;
    let scheme = uri.scheme_str().ok_or_else(|| bad("no scheme"))?;
    let host = uri.host().ok_or_else(|| bad("no host"))?;
    if uri.query().is_some() || s.contains('#') {
        return Err(bad("it must not have a query or fragment"));
    }
    if s.contains('@') {
        return Err(bad("it must not carry user information"));
    }
    match scheme {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(bad(
                "plain http is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost)",
            ))
        }
        _ => return Err(bad("the scheme must be https")),
    }
    Ok(s.trim_end_matches('/').to_owned())
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// A received response, body read in full.
pub(crate) struct RawResponse {
    pub status: u16,
    pub rate_limit: RateLimit,
    pub body: String,
}

fn send_ureq(
    agent: &Agent,
    method: &str,
    url: &str,
    authorization: &str,
    json_body: Option<&str>,
) -> Result<RawResponse, Error> {
    let (result, written) = written::watch(|| match json_body {
        Some(body) => agent
            .post(url)
            .header("authorization", authorization)
            .content_type("application/json")
            .send(body),
        None if method == "DELETE" => agent
            .delete(url)
            .header("authorization", authorization)
            .call(),
        None => agent.get(url).header("authorization", authorization).call(),
    });
    read_response(result.map_err(|e| map_ureq(e, step(written)))?)
}

/// POSTs a form-encoded body (the token endpoints), with an `Authorization` header when
/// given, and reads the answer as API requests are read (gzip decoded, body limit).
pub(crate) fn post_form(
    agent: &Agent,
    url: &str,
    authorization: Option<&str>,
    body: &str,
) -> Result<RawResponse, Error> {
    let mut req = agent
        .post(url)
        .content_type("application/x-www-form-urlencoded");
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    let (result, written) = written::watch(|| req.send(body));
    read_response(result.map_err(|e| map_ureq(e, step(written)))?)
}

/// Reads a whole ureq response: its head, then the body.
fn read_response(mut resp: ureq::http::Response<ureq::Body>) -> Result<RawResponse, Error> {
    use std::io::Read;
    let head = Head::scan(
        resp.status().as_u16(),
        resp.headers()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_bytes())),
    );
    let mut raw = Vec::with_capacity(head.body_capacity());
    resp.body_mut()
        .with_config()
        .limit(MAX_BODY)
        .reader()
        .read_to_end(&mut raw)
        .map_err(|e| head.in_body(map_ureq(ureq::Error::from(e), Step::Body)))?;
    finish(&head, raw)
}

/// What the client takes from a response's head.
pub(crate) struct Head {
    pub status: u16,
    pub rate_limit: RateLimit,
    /// `content-encoding: gzip`.
    pub gzip: bool,
    /// `content-length`: `Some(Err(()))` when it is not a number.
    pub length: Option<Result<u64, ()>>,
    /// The last transfer coding is `chunked`.
    pub chunked: bool,
    /// Some other transfer coding: the body runs to the end of the connection.
    pub other_coding: bool,
    /// `connection: close`.
    pub close: bool,
}

impl Head {
    /// Reads the headers (names in any case) in one pass; the first value of a name counts.
    pub(crate) fn scan<'a>(
        status: u16,
        headers: impl Iterator<Item = (&'a str, &'a [u8])>,
    ) -> Head {
        let mut found: [Option<&str>; RATE_LIMIT_HEADERS.len()] = Default::default();
        let mut head = Head {
            status,
            rate_limit: RateLimit::default(),
            gzip: false,
            length: None,
            chunked: false,
            other_coding: false,
            close: false,
        };
        let (mut encoding, mut coding) = (false, false);
        for (name, value) in headers {
            if name.len() > 2 && name.as_bytes()[..2].eq_ignore_ascii_case(b"x-") {
                if let Some(i) = RATE_LIMIT_HEADERS
                    .iter()
                    .position(|h| h.eq_ignore_ascii_case(name))
                {
                    if found[i].is_none() {
                        found[i] = std::str::from_utf8(value).ok();
                    }
                }
            } else if name.eq_ignore_ascii_case("content-encoding") && !encoding {
                encoding = true;
                head.gzip = value.trim_ascii().eq_ignore_ascii_case(b"gzip");
            } else if name.eq_ignore_ascii_case("content-length") && head.length.is_none() {
                head.length = Some(
                    std::str::from_utf8(value)
                        .ok()
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .ok_or(()),
                );
            } else if name.eq_ignore_ascii_case("transfer-encoding") && !coding {
                coding = true;
                let last = value.rsplit(|&b| b == b',').next().unwrap_or_default();
                head.chunked = last.trim_ascii().eq_ignore_ascii_case(b"chunked");
                head.other_coding = !head.chunked;
            } else if name.eq_ignore_ascii_case("connection") {
                head.close |= value
                    .split(|&b| b == b',')
                    .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"));
            }
        }
        head.rate_limit = RateLimit::from_lookup(|k| {
            let i = RATE_LIMIT_HEADERS.iter().position(|h| *h == k)?;
            found[i]
        });
        head
    }

    /// Room for the whole body up front (no regrowing), within the limit.
    fn body_capacity(&self) -> usize {
        match self.length {
            Some(Ok(n)) => n.min(MAX_BODY) as usize + 1,
            _ => 1,
        }
    }

    /// An error met while reading the body: it carries the status and rate limits.
    pub(crate) fn in_body(&self, mut err: Error) -> Error {
        err.0.http_status = Some(self.status);
        err.0.rate_limit = self.rate_limit;
        err
    }
}

/// The body as text: gzip decoded (an empty body stays empty: a gzip header with nothing
/// behind it, as some proxies send on error statuses), UTF-8 checked.
pub(crate) fn finish(head: &Head, raw: Vec<u8>) -> Result<RawResponse, Error> {
    let plain = if head.gzip && !raw.is_empty() {
        gzip::gunzip(&raw).map_err(|why| {
            head.in_body(Error::new(
                ErrorKind::Protocol,
                format!("cannot decode gzip response body: {why}"),
                Delivery::MaybeSent,
            ))
        })?
    } else {
        raw
    };
    // A malformed answer, not a network failure: it is not retried.
    let body = String::from_utf8(plain).map_err(|_| {
        head.in_body(Error::new(
            ErrorKind::Protocol,
            "response body is not valid UTF-8",
            Delivery::MaybeSent,
        ))
    })?;
    Ok(RawResponse {
        status: head.status,
        rate_limit: head.rate_limit,
        body,
    })
}

/// The rate-limit headers [`RateLimit::from_lookup`] asks for.
const RATE_LIMIT_HEADERS: [&str; 9] = [
    "x-rate-limit-limit",
    "x-rate-limit-remaining",
    "x-rate-limit-reset",
    "x-user-limit-24hour-limit",
    "x-user-limit-24hour-remaining",
    "x-user-limit-24hour-reset",
    "x-app-limit-24hour-limit",
    "x-app-limit-24hour-remaining",
    "x-app-limit-24hour-reset",
];

/// Where a ureq request was when it failed.
#[derive(Clone, Copy, PartialEq)]
enum Step {
    /// No byte of the request was written: it never left.
    NotWritten,
    Written,
    /// Reading the body (the status line arrived).
    Body,
}

fn step(written: bool) -> Step {
    if written {
        Step::Written
    } else {
        Step::NotWritten
    }
}

/// Maps a transport error. Only an error before any byte of the request was written is
/// `NotSent`.
fn map_ureq(e: ureq::Error, step: Step) -> Error {
    use ureq::Error as U;
    use Delivery::{MaybeSent, NotSent};
    let sent = if step == Step::NotWritten {
        NotSent
    } else {
        MaybeSent
    };
    match e {
        U::Timeout(t) => Error::new(ErrorKind::Timeout, format!("timed out ({t})"), sent),
        U::HostNotFound => Error::new(ErrorKind::Network, "host not found", NotSent),
        U::ConnectionFailed => Error::new(ErrorKind::Network, "connection failed", NotSent),
        U::Io(io) if tls_failure(&io).is_some() => {
            let why = tls_failure(&io).map(|e| e.to_string()).unwrap_or_default();
            Error::new(ErrorKind::Tls, format!("TLS error: {why}"), sent)
        }
        U::Io(io) => {
            use std::io::ErrorKind as K;
            match io.kind() {
                K::ConnectionRefused => {
                    Error::new(ErrorKind::Network, "connection refused", NotSent)
                }
                K::TimedOut | K::WouldBlock => {
                    Error::new(ErrorKind::Timeout, format!("timed out ({io})"), sent)
                }
                K::UnexpectedEof if step == Step::Body => Error::new(
                    ErrorKind::Network,
                    "connection closed before the whole response body arrived",
                    sent,
                ),
                K::ConnectionReset | K::BrokenPipe | K::UnexpectedEof | K::ConnectionAborted => {
                    Error::new(ErrorKind::Network, format!("connection lost: {io}"), sent)
                }
                _ => Error::new(ErrorKind::Network, format!("I/O error: {io}"), sent),
            }
        }
        U::Tls(m) => Error::new(ErrorKind::Tls, format!("TLS error: {m}"), sent),
        U::Rustls(r) => Error::new(ErrorKind::Tls, format!("TLS error: {r}"), sent),
        U::Pem(_) => Error::new(ErrorKind::Tls, "TLS error: bad PEM", NotSent),
        U::TlsRequired | U::RequireHttpsOnly(_) => Error::invalid_argument("https is required"),
        U::InvalidProxyUrl => Error::invalid_argument("invalid proxy URL"),
        U::ConnectProxyFailed(_) => Error::new(
            ErrorKind::Network,
            "the proxy refused the connection",
            NotSent,
        ),
        U::BodyExceedsLimit(n) => Error::new(
            ErrorKind::Protocol,
            format!("response body larger than {n} bytes"),
            sent,
        ),
        U::Protocol(p) => Error::new(
            ErrorKind::Protocol,
            format!("HTTP protocol error: {p}"),
            sent,
        ),
        U::LargeResponseHeader(..) => {
            Error::new(ErrorKind::Protocol, "response header too large", sent)
        }
        U::BodyStalled => Error::new(ErrorKind::Timeout, "response body stalled", sent),
        U::BadUri(_) | U::Http(_) => Error::invalid_argument("invalid request URL"),
        other => Error::new(
            ErrorKind::Network,
            format!("transport error: {other}"),
            sent,
        ),
    }
}

/// The TLS error inside an I/O error (rustls reports handshake and certificate failures
/// through the I/O layer).
fn tls_failure(io: &std::io::Error) -> Option<&rustls::Error> {
    let mut e: Option<&(dyn std::error::Error + 'static)> = io.get_ref().map(|e| e as _);
    while let Some(err) = e {
        if let Some(t) = err.downcast_ref::<rustls::Error>() {
            return Some(t);
        }
        e = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            check_base_url("https://api.x.com/").unwrap(),
            "https://api.x.com"
        );
        assert_eq!(
            check_base_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            check_base_url("http://127.1.2.3:1/").unwrap(),
            "http://127.1.2.3:1"
        );
        assert_eq!(check_base_url("http://[::1]:9/").unwrap(), "http://[::1]:9");
        assert_eq!(
            check_base_url("http://localhost:9").unwrap(),
            "http://localhost:9"
        );
        let e = check_base_url("http://api.x.com").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            e.message(),
            "invalid base URL: plain http is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost)"
        );
        assert!(check_base_url("http://10.0.0.1").is_err());
        assert!(check_base_url("ftp://127.0.0.1").is_err());
        assert!(check_base_url("https://api.x.com/?a=b").is_err());
        assert!(check_base_url("https://u:p@api.x.com").is_err());
        assert!(check_base_url("api.x.com").is_err());
        assert!(check_base_url("").is_err());
    }
}
