//! The API's requests on direct connections: HTTP/1.1 keep-alive over TCP, or TLS (rustls)
//! over TCP, to the one origin of a client's base URL.
//!
//! A follow is one small request and one small answer. A general client spends most of its
//! time around them (request and response objects, header maps, body reader layers, a
//! three-call liveness probe): measured with ureq, 62,000 of a follow's 73,000 instructions.
//! Here a request is one buffer written with one call and an answer is parsed in place
//! from one read buffer; an idle connection is checked with one non-blocking peek.
//!
//! What it keeps from a general client: connect and overall timeouts (the overall one bounds
//! every read and write), certificate verification against the built-in roots and the
//! extra CA file, no redirects (a 3xx is an answer like any other), content-length, chunked
//! and close-delimited bodies, `connection: close`, informational answers skipped, a
//! connection that is not in a clean state never reused.

use super::answer::{io_error, ReadBuf, Stage};
use super::deadline::DeadlineSocket;
use super::{finish, RawResponse, TransportOptions, USER_AGENT};
use crate::cancel::Cancel;
use crate::error::{Delivery, Error, ErrorKind};
use std::io::{self, Write};
use std::mem::MaybeUninit;
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// Idle connections kept (threads sharing one client each take one).
const MAX_IDLE: usize = 32;
/// How long an idle connection is kept (as ureq's default).
const MAX_IDLE_AGE: Duration = Duration::from_secs(15);

/// The connections of one client to its base URL's origin.
pub(super) struct Pool {
    host: String,
    port: u16,
    tls: Option<(
        Arc<rustls::ClientConfig>,
        rustls::pki_types::ServerName<'static>,
    )>,
    connect_timeout: Duration,
    timeout: Duration,
    /// `scheme://authority` of the base URL, and the header lines every request carries
    /// (host, user agent, encoding).
    origin: String,
    common_headers: String,
    idle: Mutex<Vec<Conn>>,
    /// A handle on every open connection, idle or in use, for [`Pool::abort`].
    live: Arc<Live>,
    /// The client's cancellation switch: a connection opened once it is on is not used.
    cancel: Cancel,
}

/// A clone of each open connection's socket (one `dup` per connection), by connection id.
#[derive(Default)]
struct Live {
    sockets: Mutex<Vec<(u64, TcpStream)>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl Live {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, TcpStream)>> {
        self.sockets.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A connection's entry in [`Live`], removed when the connection is dropped.
struct Registration {
    live: Arc<Live>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.live.lock().retain(|(id, _)| *id != self.id);
    }
}

impl Pool {
    /// `base` is a checked base URL ([`super::check_base_url`]); `roots`: the built-in roots
    /// and the CA file's, when a CA file is set.
    pub(super) fn new(
        o: &TransportOptions,
        base: &str,
        roots: Option<&[ureq::tls::Certificate<'static>]>,
        cancel: Cancel,
    ) -> Result<Pool, Error> {
        let bad = || Error::invalid_argument("invalid base URL");
        let uri: ureq::http::Uri = base.parse().map_err(|_| bad())?;
        let scheme = uri.scheme_str().ok_or_else(bad)?;
        let authority = uri.authority().ok_or_else(bad)?.as_str();
        let tls = scheme == "https";
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let host = uri.host().ok_or_else(bad)?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tls = if tls {
            let name = rustls::pki_types::ServerName::try_from(host.clone()).map_err(|_| bad())?;
            Some((Arc::new(tls_config(roots)?), name))
        } else {
            None
        };
        let encoding = if o.gzip { "gzip" } else { "identity" };
        Ok(Pool {
            host,
            port,
            tls,
            connect_timeout: o.connect_timeout,
            timeout: o.timeout,
            origin: format!("{scheme}://{authority}"),
            common_headers: format!(
                "host: {authority}\r\nuser-agent: {USER_AGENT}\r\naccept-encoding: {encoding}\r\n"
            ),
            idle: Mutex::new(Vec::new()),
            live: Arc::default(),
            cancel,
        })
    }

    /// Shuts every open connection down: a request in flight on one fails at once (its
    /// read or write ends), an idle one is dropped at its next checkout.
    pub(super) fn abort(&self) {
        for (_, sock) in self.live.lock().iter() {
            let _ = sock.shutdown(Shutdown::Both);
        }
    }

    /// Sends one request (`url` on the base URL's origin) and reads the whole answer.
    pub(super) fn send(
        &self,
        method: &str,
        url: &str,
        authorization: &str,
        json_body: Option<&str>,
    ) -> Result<RawResponse, Error> {
        let path = url
            .strip_prefix(self.origin.as_str())
            .filter(|p| p.starts_with('/'))
            .ok_or_else(|| Error::invalid_argument("invalid request URL"))?;
        let deadline = Instant::now() + self.timeout;
        let mut conn = match self.checkout() {
            Some(c) => c,
            None => self.connect(deadline)?,
        };
        let secret = encode_request(
            &mut conn.out,
            [method, path, &self.common_headers, authorization],
            json_body,
        );
        conn.stream.sock_mut().set_deadline(deadline);
        let sent = conn.write_request();
        // The credential does not stay in a pooled connection's buffer.
        wipe(&mut conn.out[secret]);
        sent?;
        let (head, body, reusable) = conn.input.read_response(&mut conn.stream)?;
        if reusable {
            conn.idle_since = Instant::now();
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
        finish(&head, body)
    }

    /// The most recently used idle connection that is still open and quiet, and has not been
    /// idle so long that a server or a middlebox may have dropped it without a word.
    fn checkout(&self) -> Option<Conn> {
        loop {
            let conn = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop()?;
            if conn.idle_since.elapsed() < MAX_IDLE_AGE && conn.is_quiet() {
                return Some(conn);
            }
        }
    }

    fn connect(&self, deadline: Instant) -> Result<Conn, Error> {
        let deadline = deadline.min(Instant::now() + self.connect_timeout);
        let timed_out = |what: &str| {
            Error::new(
                ErrorKind::Timeout,
                format!("timed out ({what})"),
                Delivery::NotSent,
            )
        };
        let mut last = None;
        let mut tcp = None;
        for addr in self.resolve(deadline)? {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(timed_out("connect"));
            }
            match TcpStream::connect_timeout(&addr, left) {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let tcp = tcp.ok_or_else(|| match last.map(|e| e.kind()) {
            Some(io::ErrorKind::ConnectionRefused) => {
                Error::new(ErrorKind::Network, "connection refused", Delivery::NotSent)
            }
            Some(io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) => timed_out("connect"),
            _ => Error::new(ErrorKind::Network, "connection failed", Delivery::NotSent),
        })?;
        let failed = |_| Error::new(ErrorKind::Network, "connection failed", Delivery::NotSent);
        tcp.set_nodelay(true).map_err(failed)?;
        let registration = self.register(&tcp).map_err(failed)?;
        let stream = match &self.tls {
            None => Stream::Plain(DeadlineSocket::new(tcp, deadline)),
            Some((config, name)) => {
                let tls =
                    rustls::ClientConnection::new(config.clone(), name.clone()).map_err(|e| {
                        Error::new(ErrorKind::Tls, format!("TLS error: {e}"), Delivery::NotSent)
                    })?;
                let mut stream = rustls::StreamOwned::new(tls, DeadlineSocket::new(tcp, deadline));
                // The handshake now, so that its failures are told apart from the request's;
                // every socket read and write in it is bounded by the time left.
                while stream.conn.is_handshaking() {
                    let (sock, tls) = (&mut stream.sock, &mut stream.conn);
                    tls.complete_io(sock)
                        .map_err(|e| match super::tls_failure(&e) {
                            Some(t) => Error::new(
                                ErrorKind::Tls,
                                format!("TLS error: {t}"),
                                Delivery::NotSent,
                            ),
                            None if is_timeout(&e) => timed_out("connect"),
                            None => Error::new(
                                ErrorKind::Network,
                                "connection failed",
                                Delivery::NotSent,
                            ),
                        })?;
                }
                Stream::Tls(Box::new(stream))
            }
        };
        Ok(Conn {
            stream,
            _registration: registration,
            input: ReadBuf::new(),
            out: Vec::new(),
            idle_since: Instant::now(),
        })
    }

    /// Enters a new connection in [`Live`]. Under the same lock as [`Pool::abort`]'s sweep:
    /// either the sweep shuts this socket down, or the switch, turned on before the sweep,
    /// is seen on here.
    fn register(&self, tcp: &TcpStream) -> io::Result<Registration> {
        let clone = tcp.try_clone()?;
        let id = self
            .live
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.live.lock().push((id, clone));
        let registration = Registration {
            live: self.live.clone(),
            id,
        };
        if self.cancel.is_cancelled() {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
        }
        Ok(registration)
    }

    /// The host's addresses: an IP literal as it is, a name looked up on a helper thread so
    /// that the connect timeout bounds the lookup too.
    fn resolve(&self, deadline: Instant) -> Result<Vec<SocketAddr>, Error> {
        if let Ok(ip) = self.host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, self.port)]);
        }
        let (tx, rx) = mpsc::channel();
        let target = (self.host.clone(), self.port);
        std::thread::spawn(move || {
            let _ = tx.send(target.to_socket_addrs().map(Vec::from_iter));
        });
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(Error::new(
                ErrorKind::Timeout,
                "timed out (resolve)",
                Delivery::NotSent,
            )),
            _ => Err(Error::new(
                ErrorKind::Network,
                "host not found",
                Delivery::NotSent,
            )),
        }
    }
}

/// A request's head and body into `out`, to be written with one call. Returns where the
/// `authorization` value lies in `out`.
fn encode_request(
    out: &mut Vec<u8>,
    [method, path, common_headers, authorization]: [&str; 4],
    json_body: Option<&str>,
) -> std::ops::Range<usize> {
    out.clear();
    for part in [
        method,
        " ",
        path,
        " HTTP/1.1\r\n",
        common_headers,
        "authorization: ",
    ] {
        out.extend_from_slice(part.as_bytes());
    }
    let secret = out.len()..out.len() + authorization.len();
    out.extend_from_slice(authorization.as_bytes());
    out.extend_from_slice(b"\r\n");
    if let Some(body) = json_body {
        let length = body.len().to_string();
        for part in [
            "content-type: application/json\r\ncontent-length: ",
            &length,
            "\r\n\r\n",
            body,
        ] {
            out.extend_from_slice(part.as_bytes());
        }
    } else {
        out.extend_from_slice(b"\r\n");
    }
    secret
}

/// rustls trusting `roots`, or the built-in (Mozilla) roots when there is no CA file.
fn tls_config(
    roots: Option<&[ureq::tls::Certificate<'static>]>,
) -> Result<rustls::ClientConfig, Error> {
    let mut store = rustls::RootCertStore::empty();
    match roots {
        Some(certs) => store.add_parsable_certificates(
            certs
                .iter()
                .map(|c| rustls::pki_types::CertificateDer::from(c.der().to_vec())),
        ),
        None => store
            .add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned()),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(ErrorKind::Tls, format!("TLS error: {e}"), Delivery::NotSent))?
        .with_root_certificates(store)
        .with_no_client_auth())
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

/// Zeroes bytes in place (writes `zeroize` keeps from being optimised away).
fn wipe(out: &mut [u8]) {
    use zeroize::Zeroize;
    out.zeroize();
}

enum Stream {
    Plain(DeadlineSocket),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, DeadlineSocket>>),
}

impl Stream {
    fn sock_mut(&mut self) -> &mut DeadlineSocket {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &mut s.sock,
        }
    }

    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s.tcp(),
            Stream::Tls(s) => s.sock.tcp(),
        }
    }
}

impl io::Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

/// One connection, with its read buffer and its request buffer (its credential wiped after
/// each write).
struct Conn {
    stream: Stream,
    _registration: Registration,
    input: ReadBuf,
    out: Vec<u8>,
    idle_since: Instant,
}

impl Conn {
    /// True when the peer has neither closed the connection nor sent anything unasked
    /// (one `recv` with `MSG_PEEK | MSG_DONTWAIT`).
    fn is_quiet(&self) -> bool {
        let mut byte = [MaybeUninit::<u8>::uninit()];
        let probe = socket2::SockRef::from(self.stream.tcp())
            .recv_with_flags(&mut byte, libc::MSG_PEEK | libc::MSG_DONTWAIT);
        matches!(probe, Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }

    fn write_request(&mut self) -> Result<(), Error> {
        let sent = match &mut self.stream {
            Stream::Plain(s) => s.write_all(&self.out),
            Stream::Tls(s) => s.write_all(&self.out).and_then(|()| s.flush()),
        };
        sent.map_err(|e| io_error(&e, Stage::Request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;

    #[test]
    fn a_pooled_connection_keeps_no_byte_of_its_last_request() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let (s, _) = listener.accept().unwrap();
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            while r.read_line(&mut line).unwrap() > 0 && !line.ends_with("\r\n\r\n") {}
            (&s).write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
                .unwrap();
            std::thread::sleep(Duration::from_secs(2));
        });
        let o = TransportOptions::new()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(5))
            .gzip(false);
        let pool = Pool::new(&o, &base, None, Cancel::new()).unwrap();
        let url = format!("{base}/2/users/me");
        let answer = pool.send("GET", &url, "Bearer SECRET-TOKEN", None).unwrap();
        assert_eq!((answer.status, answer.body.as_str()), (200, "{}"));
        let idle = pool.idle.lock().unwrap();
        assert_eq!(idle.len(), 1);
        let out = &idle[0].out;
        assert!(out.starts_with(b"GET /2/users/me HTTP/1.1\r\n"));
        assert!(!out.windows(6).any(|w| w == b"SECRET"));
        assert!(!out.windows(6).any(|w| w == b"Bearer"));
    }
}
