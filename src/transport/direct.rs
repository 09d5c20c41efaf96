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

use super::{finish, AgentOptions, Head, RawResponse, MAX_BODY, USER_AGENT};
use crate::error::{Delivery, Error, ErrorKind};
use std::io::{self, Read, Write};
use std::mem::MaybeUninit;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// Idle connections kept (threads sharing one client each take one).
const MAX_IDLE: usize = 32;
/// How long an idle connection is kept (as ureq's default).
const MAX_IDLE_AGE: Duration = Duration::from_secs(15);
/// Largest response head read.
const MAX_HEAD: usize = 64 * 1024;
/// Longest chunk-size or trailer line.
const MAX_LINE: usize = 4096;
/// The read buffer's first size (an API answer fits in it whole).
const READ_BUFFER: usize = 8 * 1024;

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
}

impl Pool {
    /// `base` is a checked base URL ([`super::check_base_url`]); `roots`: the built-in roots
    /// and the CA file's, when a CA file is set.
    pub(super) fn new(
        o: &AgentOptions<'_>,
        base: &str,
        roots: Option<&[ureq::tls::Certificate<'static>]>,
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
        })
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
        encode_request(
            &mut conn.out,
            [method, path, &self.common_headers, authorization],
            json_body,
        );
        conn.write_request(deadline)?;
        let (head, body, reusable) = conn.read_response(deadline)?;
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
        let stream = match &self.tls {
            None => Stream::Plain(tcp),
            Some((config, name)) => {
                let tls =
                    rustls::ClientConnection::new(config.clone(), name.clone()).map_err(|e| {
                        Error::new(ErrorKind::Tls, format!("TLS error: {e}"), Delivery::NotSent)
                    })?;
                let mut stream = rustls::StreamOwned::new(tls, tcp);
                // The handshake now, so that its failures are told apart from the request's.
                while stream.conn.is_handshaking() {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(timed_out("connect"));
                    }
                    let (sock, tls) = (&mut stream.sock, &mut stream.conn);
                    sock.set_read_timeout(Some(left)).map_err(failed)?;
                    sock.set_write_timeout(Some(left)).map_err(failed)?;
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
            buf: vec![0; READ_BUFFER],
            start: 0,
            end: 0,
            out: Vec::new(),
            read_timeout: None,
            write_timeout: None,
            idle_since: Instant::now(),
        })
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

/// A request's head and body into `out`, to be written with one call.
fn encode_request(
    out: &mut Vec<u8>,
    [method, path, common_headers, authorization]: [&str; 4],
    json_body: Option<&str>,
) {
    out.clear();
    for part in [method, " ", path, " HTTP/1.1\r\n", common_headers] {
        out.extend_from_slice(part.as_bytes());
    }
    for part in ["authorization: ", authorization, "\r\n"] {
        out.extend_from_slice(part.as_bytes());
    }
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

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
}

/// One connection, with its read buffer (unread bytes in `buf[start..end]`), its request
/// buffer, and the socket timeouts last set (so that they are set only when they change).
struct Conn {
    stream: Stream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    out: Vec<u8>,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    idle_since: Instant,
}

/// Where an answer's body ends.
#[derive(Clone, Copy, PartialEq)]
enum Framing {
    Length(u64),
    Chunked,
    /// At the end of the stream: the connection cannot be reused.
    ToEnd,
}

/// How a failed read or write is reported: before the head arrived, or within the body.
#[derive(Clone, Copy, PartialEq)]
enum Stage {
    Request,
    Body,
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

    fn write_request(&mut self, deadline: Instant) -> Result<(), Error> {
        let left = time_left(deadline, Stage::Request)?;
        if self.write_timeout != Some(left) {
            self.stream
                .tcp()
                .set_write_timeout(Some(left))
                .map_err(|e| io_error(&e, Stage::Request))?;
            self.write_timeout = Some(left);
        }
        let out = std::mem::take(&mut self.out);
        let sent = match &mut self.stream {
            Stream::Plain(s) => s.write_all(&out),
            Stream::Tls(s) => s.write_all(&out).and_then(|()| s.flush()),
        };
        self.out = out;
        sent.map_err(|e| io_error(&e, Stage::Request))
    }

    /// Reads more into the buffer (growing it when full); 0 at the end of the stream.
    fn fill(&mut self, deadline: Instant, stage: Stage) -> Result<usize, Error> {
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        } else if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                (self.start, self.end) = (0, self.end - self.start);
            } else {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        let left = time_left(deadline, stage)?;
        if self.read_timeout != Some(left) {
            self.stream
                .tcp()
                .set_read_timeout(Some(left))
                .map_err(|e| io_error(&e, stage))?;
            self.read_timeout = Some(left);
        }
        let into = &mut self.buf[self.end..];
        let n = match &mut self.stream {
            Stream::Plain(s) => s.read(into),
            Stream::Tls(s) => s.read(into),
        };
        let n = match n {
            Ok(n) => n,
            // A TLS peer that closes without close_notify: the same as a plain end of stream.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(io_error(&e, stage)),
        };
        self.end += n;
        Ok(n)
    }

    /// Reads the answer: its head (informational answers skipped), then the whole body.
    /// Also says whether the connection can carry another request.
    fn read_response(&mut self, deadline: Instant) -> Result<(Head, Vec<u8>, bool), Error> {
        let (head, http11) = loop {
            let parsed = {
                let mut headers = [httparse::EMPTY_HEADER; 64];
                let mut resp = httparse::Response::new(&mut headers);
                match resp.parse(&self.buf[self.start..self.end]) {
                    Ok(httparse::Status::Complete(len)) => {
                        let status = resp.code.unwrap_or(0);
                        let head =
                            Head::scan(status, resp.headers.iter().map(|h| (h.name, h.value)));
                        Some((len, head, resp.version == Some(1)))
                    }
                    Ok(httparse::Status::Partial) => None,
                    Err(httparse::Error::TooManyHeaders) => return Err(head_too_large()),
                    Err(e) => return Err(protocol(format!("HTTP protocol error: {e}"))),
                }
            };
            match parsed {
                Some((len, head, http11)) => {
                    self.start += len;
                    if (100..200).contains(&head.status) && head.status != 101 {
                        continue;
                    }
                    break (head, http11);
                }
                None if self.end - self.start >= MAX_HEAD => return Err(head_too_large()),
                None => {
                    if self.fill(deadline, Stage::Request)? == 0 {
                        return Err(Error::new(
                            ErrorKind::Network,
                            "connection lost: closed by the server before an answer",
                            Delivery::MaybeSent,
                        ));
                    }
                }
            }
        };
        let framing = if head.status == 204 || head.status == 304 {
            Framing::Length(0)
        } else if head.chunked {
            Framing::Chunked
        } else if head.other_coding {
            Framing::ToEnd
        } else {
            match head.length {
                Some(Ok(n)) => Framing::Length(n),
                Some(Err(())) => {
                    let e = protocol("HTTP protocol error: invalid content-length".into());
                    return Err(head.in_body(e));
                }
                None => Framing::ToEnd,
            }
        };
        let body = match framing {
            Framing::Length(n) if n > MAX_BODY => Err(too_large()),
            Framing::Length(n) => self.read_exact(n as usize, deadline),
            Framing::Chunked => self.read_chunked(deadline),
            Framing::ToEnd => self.read_to_end(deadline),
        };
        let body = body.map_err(|e| head.in_body(e))?;
        let reusable = http11 && !head.close && framing != Framing::ToEnd && self.start == self.end;
        Ok((head, body, reusable))
    }

    fn read_exact(&mut self, n: usize, deadline: Instant) -> Result<Vec<u8>, Error> {
        let mut body = Vec::with_capacity(n);
        while body.len() < n {
            if self.start == self.end && self.fill(deadline, Stage::Body)? == 0 {
                return Err(body_cut());
            }
            let take = (n - body.len()).min(self.end - self.start);
            body.extend_from_slice(&self.buf[self.start..self.start + take]);
            self.start += take;
        }
        Ok(body)
    }

    /// A body without a length: everything up to the end of the stream.
    fn read_to_end(&mut self, deadline: Instant) -> Result<Vec<u8>, Error> {
        let mut body = Vec::new();
        loop {
            body.extend_from_slice(&self.buf[self.start..self.end]);
            self.start = self.end;
            if body.len() as u64 > MAX_BODY {
                return Err(too_large());
            }
            if self.fill(deadline, Stage::Body)? == 0 {
                return Ok(body);
            }
        }
    }

    fn read_chunked(&mut self, deadline: Instant) -> Result<Vec<u8>, Error> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line(deadline)?;
            let size = line.split(|&b| b == b';').next().unwrap_or_default();
            let size = std::str::from_utf8(size.trim_ascii())
                .ok()
                .and_then(|s| u64::from_str_radix(s, 16).ok())
                .ok_or_else(|| protocol("HTTP protocol error: invalid chunk size".into()))?;
            if size == 0 {
                // Trailer fields, up to the empty line.
                while !self.read_line(deadline)?.is_empty() {}
                return Ok(body);
            }
            if body.len() as u64 + size > MAX_BODY {
                return Err(too_large());
            }
            body.extend(self.read_exact(size as usize, deadline)?);
            if !self.read_line(deadline)?.is_empty() {
                return Err(protocol(
                    "HTTP protocol error: chunk longer than its size".into(),
                ));
            }
        }
    }

    /// One line of the body's framing, without its CRLF (or LF).
    fn read_line(&mut self, deadline: Instant) -> Result<Vec<u8>, Error> {
        loop {
            if let Some(i) = self.buf[self.start..self.end]
                .iter()
                .position(|&b| b == b'\n')
            {
                let line = &self.buf[self.start..self.start + i];
                let line = line.strip_suffix(b"\r").unwrap_or(line).to_vec();
                self.start += i + 1;
                return Ok(line);
            }
            if self.end - self.start > MAX_LINE {
                return Err(protocol("HTTP protocol error: chunk line too long".into()));
            }
            if self.fill(deadline, Stage::Body)? == 0 {
                return Err(body_cut());
            }
        }
    }
}

/// The time left before the deadline, rounded up to whole milliseconds: the socket timeout
/// is set only when it changes, and rounded it stays the same from one request to the next.
fn time_left(deadline: Instant, stage: Stage) -> Result<Duration, Error> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(timed_out(stage));
    }
    let ms = u64::try_from(left.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX);
    Ok(Duration::from_millis(ms))
}

fn timed_out(stage: Stage) -> Error {
    let what = if stage == Stage::Body {
        "response body"
    } else {
        "response"
    };
    Error::new(
        ErrorKind::Timeout,
        format!("timed out ({what})"),
        Delivery::MaybeSent,
    )
}

/// A failed read or write once the connection is up: the request may have reached the server.
fn io_error(e: &io::Error, stage: Stage) -> Error {
    use io::ErrorKind as K;
    if let Some(t) = super::tls_failure(e) {
        return Error::new(
            ErrorKind::Tls,
            format!("TLS error: {t}"),
            Delivery::MaybeSent,
        );
    }
    match e.kind() {
        K::TimedOut | K::WouldBlock => timed_out(stage),
        K::UnexpectedEof if stage == Stage::Body => body_cut(),
        K::ConnectionReset | K::BrokenPipe | K::UnexpectedEof | K::ConnectionAborted => Error::new(
            ErrorKind::Network,
            format!("connection lost: {e}"),
            Delivery::MaybeSent,
        ),
        _ => Error::new(
            ErrorKind::Network,
            format!("I/O error: {e}"),
            Delivery::MaybeSent,
        ),
    }
}

fn body_cut() -> Error {
    Error::new(
        ErrorKind::Network,
        "connection closed before the whole response body arrived",
        Delivery::MaybeSent,
    )
}

fn protocol(message: String) -> Error {
    Error::new(ErrorKind::Protocol, message, Delivery::MaybeSent)
}

fn too_large() -> Error {
    protocol(format!("response body larger than {MAX_BODY} bytes"))
}

fn head_too_large() -> Error {
    protocol("response header too large".into())
}
