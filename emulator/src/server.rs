//! The listener and the per-connection loop (a thread per connection, at most
//! `max_connections` at once; HTTP/1.1 keep-alive, pipelining-safe buffered reads under an
//! idle timeout and a whole-request deadline), with raw socket control for the reset and
//! truncate faults.

use crate::config::Config;
use crate::http::{self, ReadError, Response};
use crate::routes::{self, Outcome};
use crate::state::World;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Everything the connection threads share.
pub struct Shared {
    pub world: Mutex<World>,
    pub accepted: AtomicU64,
    /// Connections being served now (each holds a thread).
    pub active: AtomicUsize,
    /// Connections closed at once because `max_connections` were being served.
    pub refused: AtomicU64,
    /// `--public-base`: the scheme and host clients sign with.
    pub public_base: Option<(String, String)>,
    /// The address the listener is bound to (an admin `Host` may name it).
    pub bound: SocketAddr,
    /// Set when the admin API needs `Authorization: Bearer <token>`.
    pub admin_token: Option<crate::admin::Token>,
}

pub struct Options {
    pub host: String,
    pub port: u16,
    pub config: Config,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub public_base: Option<String>,
    pub allow_remote: bool,
    /// The admin API's bearer token; with `allow_remote` and none given, one is generated.
    pub admin_token: Option<String>,
    /// How long a connection may wait for the next byte (or for its next request).
    pub idle_timeout: Duration,
    /// How long one request (head and body) may take to arrive once it has started.
    pub request_timeout: Duration,
    /// Connections served at once; beyond, new ones get a 503 and are closed.
    pub max_connections: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            host: "127.0.0.1".into(),
            port: 0,
            config: Config::demo(),
            tls: None,
            public_base: None,
            allow_remote: false,
            admin_token: None,
            idle_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 256,
        }
    }
}

pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: ConnLimits,
    /// The admin token when the emulator made it up (to be shown to the operator once).
    generated_token: Option<String>,
}

#[derive(Clone, Copy)]
struct ConnLimits {
    idle: Duration,
    request: Duration,
    max: usize,
}

/// Parses `scheme://host[:port][/...]` into (scheme, host[:port]).
pub fn parse_public_base(url: &str) -> Result<(String, String), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("--public-base {url:?}: expected scheme://host"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "--public-base {url:?}: scheme must be http or https"
        ));
    }
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() {
        return Err(format!("--public-base {url:?}: no host"));
    }
    Ok((scheme, host.to_ascii_lowercase()))
}

impl Server {
    pub fn bind(opts: Options) -> Result<Server, String> {
        // Prefer IPv4 (`localhost` may resolve to ::1 first).
        let addrs: Vec<SocketAddr> = (opts.host.as_str(), opts.port)
            .to_socket_addrs()
            .map_err(|e| format!("--host {}: {e}", opts.host))?
            .collect();
        let addr = addrs
            .iter()
            .find(|a| a.is_ipv4())
            .or_else(|| addrs.first())
            .copied()
            .ok_or_else(|| format!("--host {}: no address", opts.host))?;
        if !addr.ip().is_loopback() && !opts.allow_remote {
            return Err(format!(
                "refusing to bind {} (not loopback) without --allow-remote",
                addr.ip()
            ));
        }
        if opts.idle_timeout.is_zero()
            || opts.request_timeout.is_zero()
            || opts.max_connections == 0
        {
            return Err("timeouts and max_connections must be above zero".into());
        }
        let (token, generated_token) = match opts.admin_token {
            Some(t) => (Some(crate::admin::Token::new(&t)?), None),
            None if opts.allow_remote => {
                let t = crate::admin::Token::generate()?;
                (Some(crate::admin::Token::new(&t)?), Some(t))
            }
            None => (None, None),
        };
        let listener = TcpListener::bind(addr).map_err(|e| format!("bind {addr}: {e}"))?;
        let bound = listener
            .local_addr()
            .map_err(|e| format!("bind {addr}: {e}"))?;
        let public_base = opts
            .public_base
            .as_deref()
            .map(parse_public_base)
            .transpose()?;
        let shared = Arc::new(Shared {
            world: Mutex::new(World::new(Arc::new(opts.config))),
            accepted: AtomicU64::new(0),
            active: AtomicUsize::new(0),
            refused: AtomicU64::new(0),
            public_base,
            bound,
            admin_token: token,
        });
        Ok(Server {
            listener,
            shared,
            tls: opts.tls,
            limits: ConnLimits {
                idle: opts.idle_timeout,
                request: opts.request_timeout,
                max: opts.max_connections,
            },
            generated_token,
        })
    }

    /// The admin token the emulator generated (`allow_remote` without `admin_token`).
    pub fn generated_admin_token(&self) -> Option<&str> {
        self.generated_token.as_deref()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener")
    }

    /// `http://127.0.0.1:PORT` (or `https://`).
    pub fn url(&self) -> String {
        let a = self.local_addr();
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        match a.ip() {
            IpAddr::V6(ip) => format!("{scheme}://[{ip}]:{}", a.port()),
            IpAddr::V4(ip) => format!("{scheme}://{ip}:{}", a.port()),
        }
    }

    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// Accepts connections until the process ends.
    pub fn run(self) {
        for stream in self.listener.incoming() {
            let Ok(stream) = stream else {
                // Out of descriptors, say: do not spin.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            self.shared.accepted.fetch_add(1, Ordering::SeqCst);
            let Some(slot) = Slot::take(&self.shared, self.limits.max) else {
                self.shared.refused.fetch_add(1, Ordering::SeqCst);
                refuse(stream);
                continue;
            };
            let shared = self.shared.clone();
            let tls = self.tls.clone();
            let limits = self.limits;
            // A failed spawn drops the closure, and with it the slot.
            let spawned = std::thread::Builder::new()
                .name("conn".into())
                .spawn(move || {
                    let _slot = slot;
                    let _ = stream.set_nodelay(true);
                    let _ = stream.set_write_timeout(Some(limits.idle));
                    let Ok(peer) = stream.peer_addr() else { return };
                    match tls {
                        None => serve(stream, &shared, peer, false, limits),
                        Some(cfg) => {
                            let Ok(conn) = rustls::ServerConnection::new(cfg) else {
                                return;
                            };
                            let conn = rustls::StreamOwned::new(conn, stream);
                            serve(conn, &shared, peer, true, limits)
                        }
                    }
                });
            drop(spawned);
        }
    }
}

/// One of the `max_connections` places; given back on drop.
struct Slot(Arc<Shared>);

impl Slot {
    fn take(shared: &Arc<Shared>, max: usize) -> Option<Slot> {
        shared
            .active
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(shared.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Answers 503 without blocking the accept loop (the answer fits the socket buffer) and closes.
fn refuse(stream: TcpStream) {
    let mut resp = http::error_response(503, "Too many open connections; retry later.");
    common_headers(&mut resp);
    let mut out = http::head_bytes(&resp, resp.body.len(), true, false);
    out.extend_from_slice(&resp.body);
    let mut stream = stream;
    if stream.set_nonblocking(true).is_ok() {
        let _ = stream.write(&out);
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// A byte stream over a TCP socket (plain or TLS).
pub trait Conn: Read + Write {
    fn tcp(&self) -> &TcpStream;
}

impl Conn for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl Conn for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn tcp(&self) -> &TcpStream {
        &self.sock
    }
}

/// A connection whose reads give up at a deadline, and after `idle` without a byte.
struct Timed<S> {
    inner: S,
    idle: Duration,
    deadline: Instant,
    /// The socket's read timeout as last set (only changed near the deadline).
    set: Option<Duration>,
}

impl<S: Conn> Timed<S> {
    fn deadline_in(&mut self, d: Duration) {
        self.deadline = Instant::now() + d;
    }
}

impl<S: Conn> Read for Timed<S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        let wait = left.min(self.idle);
        if self.set != Some(wait) {
            self.inner.tcp().set_read_timeout(Some(wait))?;
            self.set = Some(wait);
        }
        self.inner.read(buf)
    }
}

impl<S: Conn> Write for Timed<S> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<S: Conn> Conn for Timed<S> {
    fn tcp(&self) -> &TcpStream {
        self.inner.tcp()
    }
}

fn common_headers(resp: &mut Response) {
    resp.headers
        .push(("date".into(), http_date(crate::clock::wall_now())));
    resp.headers
        .push(("server".into(), "xfollow-emulator".into()));
}

fn serve<S: Conn>(stream: S, shared: &Shared, peer: SocketAddr, tls: bool, limits: ConnLimits) {
    let stream = Timed {
        inner: stream,
        idle: limits.idle,
        deadline: Instant::now() + limits.idle,
        set: None,
    };
    let mut r = BufReader::with_capacity(16 * 1024, stream);
    let mut out = Vec::with_capacity(4096);
    loop {
        // Waiting for the next request (or the TLS handshake): at most `idle`.
        r.get_mut().deadline_in(limits.idle);
        match r.fill_buf() {
            Ok([]) | Err(_) => return,
            Ok(_) => {}
        }
        r.get_mut().deadline_in(limits.request);
        let req = match http::read_request(&mut r, peer, tls) {
            Ok(req) => req,
            Err(ReadError::Io(e)) if http::is_timeout(&e) => {
                let resp = http::error_response(408, "The request did not arrive in time.");
                answer_and_close(&mut r, resp);
                lingering_close(&mut r);
                return;
            }
            Err(ReadError::Closed) | Err(ReadError::Io(_)) => return,
            Err(ReadError::Bad(status, msg)) => {
                answer_and_close(&mut r, http::error_response(status, msg));
                lingering_close(&mut r);
                return;
            }
        };
        let close = req.wants_close();
        match routes::dispatch(shared, &req) {
            Outcome::Respond(mut resp) => {
                common_headers(&mut resp);
                http::maybe_gzip(&req, &mut resp);
                out.clear();
                out.extend_from_slice(&http::head_bytes(&resp, resp.body.len(), close, false));
                out.extend_from_slice(&resp.body);
                let w = r.get_mut();
                if w.write_all(&out).is_err() || w.flush().is_err() {
                    return;
                }
                if close {
                    let _ = r.get_ref().tcp().shutdown(Shutdown::Write);
                    return;
                }
            }
            Outcome::Reset => {
                let _ = socket2::SockRef::from(r.get_ref().tcp()).set_linger(Some(Duration::ZERO));
                return;
            }
            Outcome::Truncate(mut resp) => {
                common_headers(&mut resp);
                http::maybe_gzip(&req, &mut resp);
                let sent = resp.body.len() / 2;
                let w = r.get_mut();
                let _ = w.write_all(&http::head_bytes(
                    &resp,
                    resp.body.len().max(1) + 16,
                    true,
                    false,
                ));
                let _ = w.write_all(&resp.body[..sent]);
                let _ = w.flush();
                let _ = r.get_ref().tcp().shutdown(Shutdown::Write);
                return;
            }
        }
    }
}

/// Sends a final answer (no request to go with it) and closes.
fn answer_and_close<S: Conn>(r: &mut BufReader<Timed<S>>, mut resp: Response) {
    common_headers(&mut resp);
    let w = r.get_mut();
    let _ = w.write_all(&http::head_bytes(&resp, resp.body.len(), true, false));
    let _ = w.write_all(&resp.body);
    let _ = w.flush();
    let _ = r.get_ref().tcp().shutdown(Shutdown::Write);
}

/// After an error answer, reads (and drops) what the client is still sending for a moment, so
/// that closing with unread data does not reset the connection before the answer is read.
fn lingering_close<S: Conn>(r: &mut BufReader<Timed<S>>) {
    r.get_mut().deadline_in(Duration::from_millis(500));
    let mut buf = [0u8; 8192];
    let mut total = 0usize;
    while total < 4 * 1024 * 1024 {
        match r.get_mut().read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => total += n,
        }
    }
}

/// IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    // Civil from days (H. Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if mo <= 2 { y + 1 } else { y };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(mo - 1) as usize];
    format!("{weekday}, {d:02} {month} {y} {h:02}:{m:02}:{s:02} GMT")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1651929654), "Sat, 07 May 2022 13:20:54 GMT");
    }

    #[test]
    fn public_base() {
        assert_eq!(
            parse_public_base("https://API.x.com/").unwrap(),
            ("https".to_string(), "api.x.com".to_string())
        );
        assert!(parse_public_base("api.x.com").is_err());
        assert!(parse_public_base("ftp://x").is_err());
    }
}
