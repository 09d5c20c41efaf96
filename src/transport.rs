//! The HTTP agent: timeouts, TLS roots, proxy, no redirects, loopback-only plain http.
//!
//! Proxy rule: the library never reads `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` or
//! `NO_PROXY`. A proxy is used only when the caller sets one explicitly (a program that
//! wants the environment's proxy passes its value on). This keeps signed requests from
//! being routed through a proxy nobody chose.

use crate::error::{Delivery, Error, ErrorKind};
use crate::ratelimit::RateLimit;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::time::Duration as TimeoutDuration;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, DefaultConnector, NextTimeout, Transport,
};
use ureq::Agent;

/// Largest response body read (the API's bodies are a few hundred bytes).
const MAX_BODY: u64 = 1 << 20;

pub(crate) struct AgentOptions<'a> {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub proxy: Option<&'a str>,
    pub ca_file: Option<&'a Path>,
    pub gzip: bool,
}

pub(crate) fn agent(o: &AgentOptions<'_>) -> Result<Agent, Error> {
    let mut tls = TlsConfig::builder();
    if let Some(path) = o.ca_file {
        tls = tls.root_certs(roots_with(path)?);
    }
    let proxy = match o.proxy {
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
        // A gzip body is decoded (by `gunzip`, not ureq) whether it was asked for or not.
        .accept_encoding(if o.gzip { "gzip" } else { "identity" })
        // Enough idle connections for many threads sharing one client on one host.
        .max_idle_connections(64)
        .max_idle_connections_per_host(32)
        .timeout_connect(Some(o.connect_timeout))
        .timeout_global(Some(o.timeout))
        .user_agent(concat!("xfollow/", env!("CARGO_PKG_VERSION")))
        .proxy(proxy)
        .tls_config(tls.build())
        .build();
    let connector = DefaultConnector::new().chain(Coalesce);
    Ok(Agent::with_parts(
        config,
        connector,
        CachingResolver::default(),
    ))
}

/// Wraps every connection (TCP, or TLS over TCP) in a [`CoalescingTransport`].
#[derive(Debug)]
struct Coalesce;

impl Connector<Box<dyn Transport>> for Coalesce {
    type Out = Box<dyn Transport>;

    fn connect(
        &self,
        _: &ConnectionDetails,
        chained: Option<Box<dyn Transport>>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| {
            Box::new(CoalescingTransport {
                inner,
                pending: Vec::new(),
                io_since_probe: false,
            }) as Box<dyn Transport>
        }))
    }
}

/// ureq writes a request's head and its body with two separate writes, which on a
/// no-delay socket means two TCP segments (two TLS records) per follow. This transport
/// keeps what is written until the first read, so the whole request leaves in one write.
///
/// It also halves the liveness probes: ureq probes a connection (a non-blocking read, with
/// two `ioctl`s) both when it goes back to the pool and when it is taken out. The probe on
/// return is skipped (there was I/O since the last probe); the probe on checkout, which
/// sees both a closed connection and stray bytes, is kept.
#[derive(Debug)]
struct CoalescingTransport {
    inner: Box<dyn Transport>,
    pending: Vec<u8>,
    io_since_probe: bool,
}

/// Pending bytes beyond which the request is written without waiting for the first read.
const COALESCE_LIMIT: usize = 16 * 1024;

/// The remaining time rounded up to whole milliseconds. ureq hands the socket the time
/// left until the request's deadline before every read and write, and sets it with a
/// `setsockopt` whenever it differs from the last value: with microsecond precision that is
/// two system calls per request. Rounded up, the value stays the same from one request to
/// the next and the deadline moves by less than a millisecond.
fn coarse(mut t: NextTimeout) -> NextTimeout {
    if let TimeoutDuration::Exact(d) = t.after {
        let ms = d.as_nanos().div_ceil(1_000_000);
        t.after =
            TimeoutDuration::Exact(Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX)));
    }
    t
}

impl CoalescingTransport {
    fn flush(&mut self, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let mut done = 0;
        while done < self.pending.len() {
            let out = self.inner.buffers().output();
            let n = out.len().min(self.pending.len() - done);
            out[..n].copy_from_slice(&self.pending[done..done + n]);
            self.inner.transmit_output(n, coarse(timeout))?;
            done += n;
        }
        self.pending.clear();
        Ok(())
    }
}

impl Transport for CoalescingTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.io_since_probe = true;
        let out = self.inner.buffers().output();
        self.pending.extend_from_slice(&out[..amount]);
        if self.pending.len() >= COALESCE_LIMIT {
            self.flush(timeout)?;
        }
        Ok(())
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.io_since_probe = true;
        self.flush(timeout)?;
        self.inner.maybe_await_input(coarse(timeout))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.io_since_probe = true;
        self.flush(timeout)?;
        self.inner.await_input(coarse(timeout))
    }

    fn is_open(&mut self) -> bool {
        if std::mem::take(&mut self.io_since_probe) {
            // Going back to the pool right after a request: the checkout probes.
            return true;
        }
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// How long a resolved host name is reused.
const DNS_TTL: Duration = Duration::from_secs(60);

/// ureq resolves the host before every request, even when a pooled connection will be
/// used, and with a timeout set it does so on a new thread. This resolver answers IP
/// literals directly and reuses a host name's addresses for [`DNS_TTL`], so that a
/// request on a kept-alive connection costs no lookup and no thread.
#[derive(Debug, Default)]
struct CachingResolver {
    inner: DefaultResolver,
    cache: Mutex<Option<(String, ResolvedSocketAddrs, Instant)>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().unwrap_or_default();
        let port = uri
            .port_u16()
            .unwrap_or(if uri.scheme_str() == Some("http") {
                80
            } else {
                443
            });
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            let mut v = self.empty();
            v.push(SocketAddr::new(ip, port));
            return Ok(v);
        }
        let key = format!("{host}:{port}");
        {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((k, addrs, at)) = cache.as_ref() {
                if *k == key && at.elapsed() < DNS_TTL {
                    return Ok(addrs.clone());
                }
            }
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((key, addrs.clone(), Instant::now()));
        Ok(addrs)
    }
}

/// The webpki roots plus every certificate of a PEM file.
fn roots_with(path: &Path) -> Result<RootCerts, Error> {
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
    Ok(RootCerts::Specific(Arc::new(certs)))
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

/// A received response, body read in full (so that the connection goes back to the pool).
pub(crate) struct RawResponse {
    pub status: u16,
    pub rate_limit: RateLimit,
    pub body: String,
}

pub(crate) fn send(
    agent: &Agent,
    method: &str,
    url: &str,
    authorization: &str,
    json_body: Option<&str>,
) -> Result<RawResponse, Error> {
    let result = match (method, json_body) {
        ("POST", Some(body)) => agent
            .post(url)
            .header("authorization", authorization)
            .content_type("application/json")
            .send(body),
        ("DELETE", None) => agent
            .delete(url)
            .header("authorization", authorization)
            .call(),
        ("GET", None) => agent.get(url).header("authorization", authorization).call(),
        _ => {
            return Err(Error::invalid_argument(format!(
                "unsupported request shape: {method}"
            )))
        }
    };
    read_response(result.map_err(|e| map_ureq(e, false))?)
}

/// POSTs a form-encoded body (the token endpoints), with an `Authorization` header when
/// given, and reads the answer as [`send`] does (gzip decoded, body limit).
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
    read_response(req.send(body).map_err(|e| map_ureq(e, false))?)
}

/// Reads a whole response: status, rate-limit headers and the body (gzip decoded).
fn read_response(mut resp: ureq::http::Response<ureq::Body>) -> Result<RawResponse, Error> {
    let status = resp.status().as_u16();
    // One pass over the response's headers instead of a hashed lookup per rate-limit name
    // (nine of them); the first value of a name counts, as with `HeaderMap::get`.
    let mut found: [Option<Option<&str>>; RATE_LIMIT_HEADERS.len()] = Default::default();
    let mut gzip = None;
    let mut length = None;
    for (name, value) in resp.headers() {
        let name = name.as_str();
        if name.starts_with("x-") {
            if let Some(i) = RATE_LIMIT_HEADERS.iter().position(|h| *h == name) {
                found[i].get_or_insert(value.to_str().ok());
            }
        } else if name == "content-encoding" {
            gzip.get_or_insert(value.as_bytes() == b"gzip");
        } else if name == "content-length" {
            length.get_or_insert(value.to_str().ok().and_then(|v| v.parse::<u64>().ok()));
        }
    }
    let gzip = gzip.unwrap_or(false);
    let rate_limit = RateLimit::from_lookup(|k| {
        let i = RATE_LIMIT_HEADERS.iter().position(|h| *h == k)?;
        found[i].flatten()
    });
    // Room for the whole body up front (no regrowing), within the limit.
    let capacity = length.flatten().unwrap_or(0).min(MAX_BODY) as usize + 1;
    let in_body = |mut err: Error| {
        err.0.http_status = Some(status);
        err.0.rate_limit = rate_limit;
        err
    };
    let body = resp.body_mut().with_config().limit(MAX_BODY);
    let body = if gzip {
        // An empty body stays empty (a gzip header with nothing behind it, as some proxies send
        // on error statuses).
        let mut raw = Vec::with_capacity(capacity);
        read_all(body, &mut raw).map_err(|e| in_body(map_ureq(e, true)))?;
        let plain = if raw.is_empty() {
            Ok(raw)
        } else {
            gunzip(&raw)
        };
        let plain = plain.map_err(|why| {
            in_body(Error::new(
                ErrorKind::Protocol,
                format!("cannot decode gzip response body: {why}"),
                Delivery::MaybeSent,
            ))
        })?;
        String::from_utf8(plain).map_err(|_| {
            in_body(Error::new(
                ErrorKind::Network,
                "I/O error: stream did not contain valid UTF-8",
                Delivery::MaybeSent,
            ))
        })?
    } else {
        let mut raw = Vec::with_capacity(capacity);
        read_all(body, &mut raw).map_err(|e| in_body(map_ureq(e, true)))?;
        String::from_utf8(raw).map_err(|_| {
            in_body(Error::new(
                ErrorKind::Network,
                "I/O error: stream did not contain valid UTF-8",
                Delivery::MaybeSent,
            ))
        })?
    };
    Ok(RawResponse {
        status,
        rate_limit,
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

/// Reads a body to its end into `out` (sized by the caller), as ureq's `read_to_vec`
/// without its growth steps; the body's limit errors come back as ureq errors.
fn read_all(body: ureq::BodyWithConfig<'_>, out: &mut Vec<u8>) -> Result<(), ureq::Error> {
    use std::io::Read;
    body.reader()
        .read_to_end(out)
        .map(drop)
        .map_err(ureq::Error::from)
}

/// Decodes a gzip body (RFC 1952, one or more members, each checked against its CRC-32 and
/// length), up to [`MAX_BODY`] bytes.
///
/// ureq's own decoder (flate2) allocates, zeroes and moves a 43 KB inflate state for every
/// response: on the API's 50-byte bodies that was a third of the client's instructions per
/// follow. Here each thread keeps one raw-deflate decompressor and resets it per member,
/// which costs nothing: only its state field is reset, the tables are rebuilt per block.
fn gunzip(mut input: &[u8]) -> Result<Vec<u8>, &'static str> {
    use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
    use miniz_oxide::inflate::TINFLStatus;
    use std::cell::RefCell;
    thread_local! {
        static INFLATE: RefCell<Option<Box<DecompressorOxide>>> = const { RefCell::new(None) };
    }
    let limit = usize::try_from(MAX_BODY).unwrap_or(usize::MAX);
    let mut out = vec![0u8; input.len().saturating_mul(4).clamp(256, limit)];
    let mut len = 0;
    INFLATE.with(|cell| {
        let mut fresh = None;
        let mut slot = cell.try_borrow_mut();
        let d: &mut DecompressorOxide = match slot.as_deref_mut() {
            Ok(s) => s.get_or_insert_with(Box::default),
            Err(_) => fresh.get_or_insert_with(Box::<DecompressorOxide>::default),
        };
        loop {
            input = gzip_member_start(input)?;
            d.init();
            let start = len;
            loop {
                let (status, used, produced) = decompress(
                    d,
                    input,
                    &mut out,
                    len,
                    inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
                );
                input = &input[used.min(input.len())..];
                len += produced;
                match status {
                    TINFLStatus::Done => break,
                    TINFLStatus::HasMoreOutput if out.len() < limit => {
                        out.resize(out.len().saturating_mul(2).min(limit), 0);
                    }
                    TINFLStatus::HasMoreOutput => return Err("body larger than 1 MiB"),
                    TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
                        return Err("unexpected end of gzip data")
                    }
                    _ => return Err("invalid deflate data"),
                }
            }
            let trailer = input.get(..8).ok_or("unexpected end of gzip data")?;
            let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
            let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
            if crc != crc32fast::hash(&out[start..len]) {
                return Err("CRC-32 mismatch");
            }
            if size != (len - start) as u32 {
                return Err("length mismatch");
            }
            input = &input[8..];
            if input.is_empty() {
                break;
            }
        }
        out.truncate(len);
        Ok(out)
    })
}

/// The deflate data of the gzip member at the start of `b` (its header skipped).
fn gzip_member_start(b: &[u8]) -> Result<&[u8], &'static str> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let eof = "unexpected end of gzip data";
    let head = b.get(..10).ok_or(eof)?;
    if head[..3] != [0x1f, 0x8b, 8] || head[3] & 0xe0 != 0 {
        return Err("invalid gzip header");
    }
    let flags = head[3];
    let mut rest = &b[10..];
    if flags & FEXTRA != 0 {
        let n = rest.get(..2).ok_or(eof)?;
        let n = usize::from(u16::from_le_bytes([n[0], n[1]]));
        rest = rest.get(2 + n..).ok_or(eof)?;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let end = rest.iter().position(|&c| c == 0).ok_or(eof)?;
            rest = &rest[end + 1..];
        }
    }
    if flags & FHCRC != 0 {
        rest = rest.get(2..).ok_or(eof)?;
    }
    Ok(rest)
}

/// Maps a transport error. `in_body`: the status line was already received.
pub(crate) fn map_ureq(e: ureq::Error, in_body: bool) -> Error {
    use ureq::Error as U;
    use Delivery::{MaybeSent, NotSent};
    let sent = if in_body { MaybeSent } else { NotSent };
    match e {
        U::Timeout(t) => {
            let d = match t {
                ureq::Timeout::Resolve | ureq::Timeout::Connect if !in_body => NotSent,
                _ => MaybeSent,
            };
            Error::new(ErrorKind::Timeout, format!("timed out ({t})"), d)
        }
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
                    Error::new(ErrorKind::Timeout, format!("timed out ({io})"), MaybeSent)
                }
                K::UnexpectedEof if in_body => Error::new(
                    ErrorKind::Network,
                    "connection closed before the whole response body arrived",
                    MaybeSent,
                ),
                K::ConnectionReset | K::BrokenPipe | K::UnexpectedEof | K::ConnectionAborted => {
                    Error::new(
                        ErrorKind::Network,
                        format!("connection lost: {io}"),
                        MaybeSent,
                    )
                }
                _ => Error::new(ErrorKind::Network, format!("I/O error: {io}"), MaybeSent),
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
            MaybeSent,
        ),
        U::Protocol(p) => Error::new(
            ErrorKind::Protocol,
            format!("HTTP protocol error: {p}"),
            MaybeSent,
        ),
        U::LargeResponseHeader(..) => {
            Error::new(ErrorKind::Protocol, "response header too large", MaybeSent)
        }
        U::BodyStalled => Error::new(ErrorKind::Timeout, "response body stalled", MaybeSent),
        U::BadUri(_) | U::Http(_) => Error::invalid_argument("invalid request URL"),
        other => Error::new(
            ErrorKind::Network,
            format!("transport error: {other}"),
            MaybeSent,
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

    /// One gzip member of `data`, compressed at `level`, with the header flags `flags` and
    /// the optional fields they announce.
    fn gzip(data: &[u8], level: u8, flags: u8) -> Vec<u8> {
        let mut g = vec![0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 0xff];
        if flags & 4 != 0 {
            g.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
        }
        if flags & 8 != 0 {
            g.extend_from_slice(b"body.json\0");
        }
        if flags & 16 != 0 {
            g.extend_from_slice(b"a comment\0");
        }
        if flags & 2 != 0 {
            g.extend_from_slice(&[0x12, 0x34]);
        }
        g.extend(miniz_oxide::deflate::compress_to_vec(data, level));
        g.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
        g.extend_from_slice(&(data.len() as u32).to_le_bytes());
        g
    }

    #[test]
    fn gunzip_members_and_header_fields() {
        let body = br#"{"data":{"following":true,"pending_follow":false}}"#;
        for level in [0, 1, 6, 10] {
            for flags in [0, 2, 4, 8, 16, 30] {
                assert_eq!(gunzip(&gzip(body, level, flags)).unwrap(), body);
            }
        }
        // Several members are concatenated (as flate2's MultiGzDecoder, which ureq used).
        let mut two = gzip(b"{\"data\":", 6, 0);
        two.extend(gzip(b"{}}", 1, 8));
        assert_eq!(gunzip(&two).unwrap(), b"{\"data\":{}}");
        // The per-thread decompressor is reset between bodies: a long body, then a short one.
        let long: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        assert_eq!(gunzip(&gzip(&long, 6, 0)).unwrap(), long);
        assert_eq!(gunzip(&gzip(b"", 6, 0)).unwrap(), b"");
        assert_eq!(gunzip(&gzip(body, 6, 0)).unwrap(), body);
    }

    #[test]
    fn gunzip_refuses_bad_input() {
        let body = br#"{"data":{"following":true}}"#;
        let good = gzip(body, 6, 0);
        let mut bad_crc = good.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 1;
        assert_eq!(gunzip(&bad_crc), Err("CRC-32 mismatch"));
        let mut bad_len = good.clone();
        bad_len[n - 1] ^= 1;
        assert_eq!(gunzip(&bad_len), Err("length mismatch"));
        for cut in [0, 5, 12, n - 9, n - 1] {
            assert_eq!(
                gunzip(&good[..cut]),
                Err("unexpected end of gzip data"),
                "cut at {cut}"
            );
        }
        assert_eq!(gunzip(body), Err("invalid gzip header"));
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"junk after the member");
        assert_eq!(gunzip(&trailing), Err("invalid gzip header"));
        let mut reserved = good.clone();
        reserved[3] = 0x20;
        assert_eq!(gunzip(&reserved), Err("invalid gzip header"));
        let mut garbage = good[..10].to_vec();
        garbage.extend_from_slice(&[0xff; 16]);
        assert_eq!(gunzip(&garbage), Err("invalid deflate data"));
        // More than MAX_BODY once decoded.
        let big = vec![b' '; (MAX_BODY + 1) as usize];
        assert_eq!(gunzip(&gzip(&big, 6, 0)), Err("body larger than 1 MiB"));
        assert_eq!(
            gunzip(&gzip(&big[..MAX_BODY as usize], 6, 0)).map(|v| v.len()),
            Ok(MAX_BODY as usize)
        );
    }

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
