//! A one-shot loopback redirect receiver for desktop and command-line programs.
//!
//! Bind it on `127.0.0.1` (port 0 picks a free port), register or use its
//! [`redirect_uri`](RedirectReceiver::redirect_uri), send the user to the authorize URL, then
//! [`wait`](RedirectReceiver::wait). It accepts connections until the callback path arrives
//! (other paths such as `/favicon.ico` get a 404, idle or half-sent connections do not block
//! it), checks `state`, answers the browser with a short page, and closes the port. Nothing
//! the request carries is echoed into the page.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::form::{get, parse_pairs};
use super::oauth1::{verify_callback, Verifier};
use super::pkce::ct_eq;
use super::{Error, Secret};

/// Longest request head read from the browser.
const MAX_HEAD: usize = 16 * 1024;
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
    listener: TcpListener,
    port: u16,
    path: String,
    host: String,
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
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

impl RedirectReceiver {
    /// Listens on `127.0.0.1:port` (0: any free port) for the callback at `path` (which
    /// starts with `/`, for example `/callback`).
    pub fn bind(port: u16, path: &str) -> Result<Self, Error> {
        if !path.starts_with('/') || path.contains('?') || path.contains('#') {
            return Err(Error::InvalidArgument(format!(
                "callback path {path:?} must start with '/' and have no query or fragment"
            )));
        }
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| Error::io(&format!("cannot listen on 127.0.0.1:{port}"), &e))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::io("cannot read the bound address", &e))?
            .port();
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::io("cannot configure the listener", &e))?;
        Ok(RedirectReceiver {
            listener,
            port,
            path: path.to_owned(),
            host: "127.0.0.1".to_owned(),
        })
    }

    /// Listens for a registered loopback redirect URI such as `http://127.0.0.1:8765/callback`
    /// or `http://localhost:8765/callback` (always on 127.0.0.1; [`Self::redirect_uri`] keeps
    /// the host as written, since it must match the registration exactly).
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
        let mut r = Self::bind(port, path)?;
        r.host = host.to_owned();
        Ok(r)
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

    /// Waits up to `timeout` for the OAuth 2.0 callback, checks `state`, and returns the code.
    /// Errors: [`Error::StateMismatch`], [`Error::AuthorizationDenied`] (`error=` in the
    /// callback), [`Error::InvalidResponse`] (no code), [`Error::RedirectTimeout`].
    pub fn wait(
        self,
        expected_state: &str,
        timeout: Duration,
    ) -> Result<AuthorizationResponse, Error> {
        self.receive(timeout, |q| check_oauth2_callback(q, expected_state))
    }

    /// Waits up to `timeout` for the OAuth 1.0a callback, checks its `oauth_token` against
    /// `request_token`, and returns the verifier.
    pub fn wait_oauth1(self, request_token: &str, timeout: Duration) -> Result<Verifier, Error> {
        self.receive(timeout, |q| verify_callback(q, request_token))
    }

    /// Accepts connections until a GET for the callback path arrives, hands its query to
    /// `check`, answers the browser accordingly and returns `check`'s result.
    pub fn receive<T>(
        self,
        timeout: Duration,
        mut check: impl FnMut(&str) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let start = Instant::now();
        let mut conns: Vec<Conn> = Vec::new();
        loop {
            loop {
                match self.listener.accept() {
                    Ok((stream, _)) => {
                        if stream.set_nonblocking(true).is_ok() {
                            conns.push(Conn {
                                stream,
                                buf: Vec::new(),
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
            let mut i = 0;
            while i < conns.len() {
                let mut chunk = [0u8; 2048];
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
