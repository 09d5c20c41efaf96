//! A one-shot loopback redirect receiver for desktop and command-line programs.
//!
//! Bind it on `127.0.0.1` (port 0 picks a free port; a `localhost` redirect URI listens on
//! `::1` too), register or use its [`redirect_uri`](RedirectReceiver::redirect_uri), send the
//! user to the authorize URL, then [`wait`](RedirectReceiver::wait). It accepts connections
//! until the callback of this login arrives (other paths such as `/favicon.ico` get a 404,
//! idle or half-sent connections do not block it, and a callback with another `state` or
//! request token, which any web page could send, gets an error page while the wait goes on),
//! answers the browser with a short page, and closes the port. Nothing the request carries is
//! echoed into the page.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::oauth1::{verify_callback, Verifier};
use super::pkce::ct_eq;
use super::{Error, Secret};
use crate::form::{get, parse_pairs};

/// Longest request head read from the browser.
const MAX_HEAD: usize = 16 * 1024;
/// Most connections kept open at once.
const MAX_CONNS: usize = 32;
/// Bytes read from a connection at a time.
const CHUNK: usize = 2048;
/// A connection that has not sent a full request head by then is dropped.
const IDLE_LIMIT: Duration = Duration::from_secs(10);
/// How often the listener and open connections are polled.
const POLL: Duration = Duration::from_millis(10);

/// What the callback of an OAuth 2.0 authorization carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationResponse {
    /// The authorization code (single-use; on X it expires after 30 seconds).
    pub code: Secret,
    /// The `state`, equal to the one that was sent.
    pub state: String,
}

/// A listening loopback receiver (see the module documentation).
#[derive(Debug)]
pub struct RedirectReceiver {
    /// 127.0.0.1, and ::1 for a `localhost` redirect URI when the host has IPv6.
    listeners: Vec<TcpListener>,
    port: u16,
    path: String,
    host: String,
}

struct Conn {
    stream: TcpStream,
    /// The request head so far; it carries the authorization code or verifier.
    buf: Zeroizing<Vec<u8>>,
    since: Instant,
}

/// What the bytes received so far on a connection hold.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Head {
    /// No blank line yet.
    Incomplete,
    /// A head whose request line cannot be read.
    Bad,
    /// A request line: method and target.
    Request { method: String, target: String },
}

/// Parses the request head a browser sent to the receiver (request line and headers, up to
/// the blank line). Only the request line is used. Never panics, whatever the bytes; the
/// caller bounds the buffer ([`MAX_HEAD`]).
pub(crate) fn parse_head(buf: &[u8]) -> Head {
    let end = match buf.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => i,
        None => match buf.windows(2).position(|w| w == b"\n\n") {
            Some(i) => i,
            None => return Head::Incomplete,
        },
    };
    let head = String::from_utf8_lossy(&buf[..end]);
    let line = head.lines().next().unwrap_or("");
    let mut parts = line.split(' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) if v.starts_with("HTTP/") && !m.is_empty() => Head::Request {
            method: m.to_owned(),
            target: t.to_owned(),
        },
        _ => Head::Bad,
    }
}

fn page(title: &str, message: &str) -> String {
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>{title}</h1><p>{message}</p></body></html>\n"
    )
}

fn respond(stream: &mut TcpStream, status: &str, extra_headers: &str, body: &str) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let msg = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n{extra_headers}Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(msg.as_bytes());
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
}

/// The page for a refused callback: fixed text chosen by the error kind.
fn failure_text(e: &Error) -> &'static str {
    match e {
        Error::StateMismatch => {
            "This answer does not belong to the login this program started (state mismatch). \
             Start the login again from the program."
        }
        Error::TokenMismatch => {
            "This answer does not belong to the login this program started (token mismatch). \
             Start the login again from the program."
        }
        Error::AuthorizationDenied { .. } => {
            "The authorization was not granted. You can close this window."
        }
        _ => "The answer could not be understood. Start the login again from the program.",
    }
}

/// Splits a request target into path and query (an absolute-form target loses its scheme
/// and authority; a fragment is dropped).
pub(crate) fn split_target(target: &str) -> (&str, &str) {
    let t = match target.strip_prefix("http://") {
        Some(rest) => rest.find('/').map(|i| &rest[i..]).unwrap_or("/"),
        None => target,
    };
    let t = t.split('#').next().unwrap_or("");
    match t.split_once('?') {
        Some((p, q)) => (p, q),
        None => (t, ""),
    }
}

/// Checks an OAuth 2.0 callback query against the expected `state`.
pub fn check_oauth2_callback(
    query: &str,
    expected_state: &str,
) -> Result<AuthorizationResponse, Error> {
    let pairs = parse_pairs(query);
    let state = match get(&pairs, "state") {
        Some(s) if ct_eq(s, expected_state) => s.to_owned(),
        _ => return Err(Error::StateMismatch),
    };
    if let Some(error) = get(&pairs, "error") {
        return Err(Error::AuthorizationDenied {
            error: error.to_owned(),
            description: get(&pairs, "error_description")
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
        });
    }
    match get(&pairs, "code") {
        Some(c) if !c.is_empty() => Ok(AuthorizationResponse {
            code: Secret::new(c),
            state,
        }),
        _ => Err(Error::InvalidResponse("callback has no code".into())),
    }
}

fn check_path(path: &str) -> Result<(), Error> {
    if !path.starts_with('/') || path.contains('?') || path.contains('#') {
        return Err(Error::InvalidArgument(format!(
            "callback path {path:?} must start with '/' and have no query or fragment"
        )));
    }
    Ok(())
}

/// A non-blocking listener on `addr:port`.
fn listen(addr: IpAddr, port: u16) -> Result<TcpListener, Error> {
    let shown = SocketAddr::new(addr, port);
    let l = TcpListener::bind(shown)
        .map_err(|e| Error::io(&format!("cannot listen on {shown}"), &e))?;
    l.set_nonblocking(true)
        .map_err(|e| Error::io("cannot configure the listener", &e))?;
    Ok(l)
}

fn bound_port(l: &TcpListener) -> Result<u16, Error> {
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::io("cannot read the bound address", &e))
}

/// Accepts every pending connection of `listener`.
fn accept_all(listener: &TcpListener, conns: &mut Vec<Conn>) {
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                if conns.len() >= MAX_CONNS {
                    // A flood of idle connections must not lock the browser out: the
                    // oldest one goes.
                    if let Some(oldest) = (0..conns.len()).min_by_key(|&i| conns[i].since) {
                        conns.swap_remove(oldest);
                    }
                }
                if stream.set_nonblocking(true).is_ok() {
                    conns.push(Conn {
                        stream,
                        // Room for the longest head read, so that growing never
                        // leaves an unwiped copy behind.
                        buf: Zeroizing::new(Vec::with_capacity(MAX_HEAD + CHUNK)),
                        since: Instant::now(),
                    });
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            // WouldBlock: nothing pending. Anything else (a connection reset before it
            // was accepted, descriptors exhausted for a moment) must not end the wait.
            Err(_) => break,
        }
    }
}

/// A callback that belongs to another login (or to a forger): answered, then ignored.
fn is_foreign(e: &Error) -> bool {
    matches!(e, Error::StateMismatch | Error::TokenMismatch)
}

impl RedirectReceiver {
    /// Listens on `127.0.0.1:port` (0: any free port) for the callback at `path` (which
    /// starts with `/`, for example `/callback`).
    pub fn bind(port: u16, path: &str) -> Result<Self, Error> {
        check_path(path)?;
        let v4 = listen(Ipv4Addr::LOCALHOST.into(), port)?;
        let port = bound_port(&v4)?;
        Ok(RedirectReceiver {
            listeners: vec![v4],
            port,
            path: path.to_owned(),
            host: "127.0.0.1".to_owned(),
        })
    }

    /// Listens on 127.0.0.1 and on ::1 with the same port, since a browser may resolve
    /// `localhost` to either. Without IPv6 on the host, 127.0.0.1 alone. With port 0, a port
    /// free on both is looked for.
    fn bind_localhost(port: u16, path: &str) -> Result<Self, Error> {
        check_path(path)?;
        let mut tries = 0;
        loop {
            let v4 = listen(Ipv4Addr::LOCALHOST.into(), port)?;
            let p = bound_port(&v4)?;
            let mut listeners = vec![v4];
            match TcpListener::bind((Ipv6Addr::LOCALHOST, p)) {
                Ok(v6) => {
                    v6.set_nonblocking(true)
                        .map_err(|e| Error::io("cannot configure the listener", &e))?;
                    listeners.push(v6);
                }
                Err(e) if e.kind() == ErrorKind::AddrInUse => {
                    tries += 1;
                    if port != 0 || tries >= 16 {
                        return Err(Error::io(&format!("cannot listen on [::1]:{p}"), &e));
                    }
                    continue;
                }
                // No IPv6 loopback here: browsers then resolve localhost to 127.0.0.1.
                Err(_) => {}
            }
            return Ok(RedirectReceiver {
                listeners,
                port: p,
                path: path.to_owned(),
                host: "localhost".to_owned(),
            });
        }
    }

    /// Listens for a registered loopback redirect URI such as `http://127.0.0.1:8765/callback`
    /// or `http://localhost:8765/callback` (on 127.0.0.1, and for `localhost` on ::1 too;
    /// [`Self::redirect_uri`] keeps the host as written, since it must match the registration
    /// exactly).
    pub fn for_redirect_uri(uri: &str) -> Result<Self, Error> {
        let bad = || {
            Error::InvalidArgument(
                "redirect URI must look like http://127.0.0.1:PORT/path or http://localhost:PORT/path"
                    .into(),
            )
        };
        let rest = uri.strip_prefix("http://").ok_or_else(bad)?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = authority.rsplit_once(':').ok_or_else(bad)?;
        if host != "127.0.0.1" && host != "localhost" {
            return Err(bad());
        }
        let port: u16 = port.parse().map_err(|_| bad())?;
        if host == "localhost" {
            Self::bind_localhost(port, path)
        } else {
            Self::bind(port, path)
        }
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The callback path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `http://127.0.0.1:<port><path>` (or the host given to [`Self::for_redirect_uri`]).
    pub fn redirect_uri(&self) -> String {
        format!("http://{}:{}{}", self.host, self.port, self.path)
    }

    /// Waits up to `timeout` for the OAuth 2.0 callback with `expected_state` and returns its
    /// code. A callback with another or no `state` gets an error page and the wait goes on.
    /// Errors: [`Error::AuthorizationDenied`] (`error=` in the callback),
    /// [`Error::InvalidResponse`] (no code), [`Error::RedirectTimeout`].
    pub fn wait(
        self,
        expected_state: &str,
        timeout: Duration,
    ) -> Result<AuthorizationResponse, Error> {
        self.receive(timeout, |q| check_oauth2_callback(q, expected_state))
    }

    /// Waits up to `timeout` for the OAuth 1.0a callback whose `oauth_token` is
    /// `request_token` and returns the verifier; a callback for another token gets an error
    /// page and the wait goes on.
    pub fn wait_oauth1(self, request_token: &str, timeout: Duration) -> Result<Verifier, Error> {
        self.receive(timeout, |q| verify_callback(q, request_token))
    }

    /// Accepts connections until a GET for the callback path arrives, hands its query to
    /// `check`, answers the browser accordingly and returns `check`'s result; a
    /// [`Error::StateMismatch`] or [`Error::TokenMismatch`] from `check` is answered and the
    /// wait goes on.
    pub fn receive<T>(
        self,
        timeout: Duration,
        mut check: impl FnMut(&str) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let start = Instant::now();
        let mut conns: Vec<Conn> = Vec::new();
        loop {
            for listener in &self.listeners {
                accept_all(listener, &mut conns);
            }
            let mut i = 0;
            while i < conns.len() {
                let mut chunk = [0u8; CHUNK];
                let mut drop_it = false;
                loop {
                    match conns[i].stream.read(&mut chunk) {
                        Ok(0) => {
                            drop_it = true;
                            break;
                        }
                        Ok(n) => {
                            conns[i].buf.extend_from_slice(&chunk[..n]);
                            if conns[i].buf.len() > MAX_HEAD {
                                break;
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                        Err(_) => {
                            drop_it = true;
                            break;
                        }
                    }
                }
                let head = parse_head(&conns[i].buf);
                match head {
                    Head::Request { method, target } => {
                        let mut c = conns.swap_remove(i);
                        let (path, query) = split_target(&target);
                        if path != self.path {
                            respond(
                                &mut c.stream,
                                "404 Not Found",
                                "",
                                &page("Not found", "Nothing here."),
                            );
                            continue;
                        }
                        if method != "GET" {
                            respond(
                                &mut c.stream,
                                "405 Method Not Allowed",
                                "Allow: GET\r\n",
                                &page("Method not allowed", "Only GET is answered here."),
                            );
                            continue;
                        }
                        let result = check(query);
                        if let Err(e) = &result {
                            if is_foreign(e) {
                                respond(
                                    &mut c.stream,
                                    "400 Bad Request",
                                    "",
                                    &page("Authorization failed", failure_text(e)),
                                );
                                continue;
                            }
                        }
                        match &result {
                            Ok(_) => respond(
                                &mut c.stream,
                                "200 OK",
                                "",
                                &page(
                                    "Authorization received",
                                    "The program has what it needs. You can close this window.",
                                ),
                            ),
                            Err(e) => respond(
                                &mut c.stream,
                                "400 Bad Request",
                                "",
                                &page("Authorization failed", failure_text(e)),
                            ),
                        }
                        for other in conns.drain(..) {
                            let _ = other.stream.shutdown(Shutdown::Both);
                        }
                        return result;
                    }
                    Head::Bad => {
                        let mut c = conns.swap_remove(i);
                        respond(
                            &mut c.stream,
                            "400 Bad Request",
                            "",
                            &page("Bad request", "The request could not be read."),
                        );
                        continue;
                    }
                    Head::Incomplete => {
                        if conns[i].buf.len() > MAX_HEAD {
                            let mut c = conns.swap_remove(i);
                            respond(
                                &mut c.stream,
                                "431 Request Header Fields Too Large",
                                "",
                                &page("Request too large", "The request was too large."),
                            );
                            continue;
                        }
                        if drop_it || conns[i].since.elapsed() > IDLE_LIMIT {
                            conns.swap_remove(i);
                            continue;
                        }
                    }
                }
                i += 1;
            }
            let waited = start.elapsed();
            if waited >= timeout {
                return Err(Error::RedirectTimeout { waited: timeout });
            }
            std::thread::sleep(POLL.min(timeout - waited));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(split_target("/cb?a=1#f"), ("/cb", "a=1"));
        assert_eq!(split_target("/cb"), ("/cb", ""));
        assert_eq!(split_target("http://127.0.0.1:9/cb?x"), ("/cb", "x"));
        assert_eq!(split_target("http://127.0.0.1:9"), ("/", ""));
    }

    #[test]
    fn oauth2_callback_checks() {
        let ok = check_oauth2_callback("state=s1&code=c%2B1", "s1").unwrap();
        assert_eq!(ok.code.expose(), "c+1");
        assert_eq!(ok.state, "s1");
        assert_eq!(
            check_oauth2_callback("state=s2&code=c", "s1"),
            Err(Error::StateMismatch)
        );
        assert_eq!(
            check_oauth2_callback("code=c", "s1"),
            Err(Error::StateMismatch)
        );
        assert_eq!(
            check_oauth2_callback("state=s1", "s1"),
            Err(Error::InvalidResponse("callback has no code".into()))
        );
        assert_eq!(
            check_oauth2_callback("error=access_denied&state=s1", "s1"),
            Err(Error::AuthorizationDenied {
                error: "access_denied".into(),
                description: None
            })
        );
        // A forged error without the right state is a state mismatch.
        assert_eq!(
            check_oauth2_callback("error=access_denied&state=zz", "s1"),
            Err(Error::StateMismatch)
        );
    }

    #[test]
    fn heads() {
        assert!(matches!(
            parse_head(b"GET /cb HTTP/1.1\r\nHost: x\r\n"),
            Head::Incomplete
        ));
        assert!(matches!(parse_head(b"garbage\r\n\r\n"), Head::Bad));
        match parse_head(b"GET /cb?a=1 HTTP/1.1\r\nHost: x\r\n\r\n") {
            Head::Request { method, target } => {
                assert_eq!(method, "GET");
                assert_eq!(target, "/cb?a=1");
            }
            _ => panic!("not parsed"),
        }
        for junk in [&b"\r\n\r\n"[..], b"\n\n", b" / HTTP/1.1\r\n\r\n"] {
            assert_eq!(parse_head(junk), Head::Bad, "{junk:?}");
        }
    }
}
