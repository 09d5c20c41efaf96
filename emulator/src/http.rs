//! A small HTTP/1.1 server side: request parsing (keep-alive, pipelining, Content-Length and
//! chunked bodies, `Expect: 100-continue`) and response serialisation (gzip on request).

use std::io::{self, BufRead, Read, Write};
use std::net::SocketAddr;

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target as sent (path and query).
    pub target: String,
    pub path: String,
    pub query: String,
    /// Header names in lowercase, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub http10: bool,
    pub peer: SocketAddr,
    pub tls: bool,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn query_pairs(&self) -> Vec<(String, String)> {
        crate::pct::parse_form(&self.query)
    }

    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Media type of the body, lowercase, parameters dropped.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    pub fn is_form(&self) -> bool {
        self.media_type().as_deref() == Some("application/x-www-form-urlencoded")
    }

    pub fn form_pairs(&self) -> Vec<(String, String)> {
        if self.is_form() {
            crate::pct::parse_form(&String::from_utf8_lossy(&self.body))
        } else {
            Vec::new()
        }
    }

    pub fn wants_close(&self) -> bool {
        let conn = self.header("connection").map(|v| v.to_ascii_lowercase());
        match conn {
            Some(c) if c.split(',').any(|t| t.trim() == "close") => true,
            Some(c) if c.split(',').any(|t| t.trim() == "keep-alive") => false,
            _ => self.http10,
        }
    }

    pub fn accepts_gzip(&self) -> bool {
        self.header("accept-encoding").is_some_and(|v| {
            v.split(',').any(|part| {
                let mut it = part.split(';');
                let coding = it.next().unwrap_or("").trim();
                let q_zero = it.any(|p| {
                    let p = p.trim().replace(' ', "");
                    p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
                });
                coding.eq_ignore_ascii_case("gzip") && !q_zero
            })
        })
    }
}

/// Why a request could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed the connection between requests.
    Closed,
    Io(io::Error),
    /// Malformed: answer with this status and close.
    Bad(u16, &'static str),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

fn read_line_limited<R: BufRead>(
    r: &mut R,
    buf: &mut Vec<u8>,
    budget: &mut usize,
) -> Result<usize, ReadError> {
    let start = buf.len();
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            return Ok(buf.len() - start);
        }
        let (take, done) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        if take > *budget {
            return Err(ReadError::Bad(431, "header section too large"));
        }
        *budget -= take;
        buf.extend_from_slice(&avail[..take]);
        r.consume(take);
        if done {
            return Ok(buf.len() - start);
        }
    }
}

/// A body read that failed: a timeout stays an I/O error (the server answers 408), anything
/// else is a body cut short.
fn cut_short(msg: &'static str) -> impl Fn(io::Error) -> ReadError {
    move |e| {
        if is_timeout(&e) {
            ReadError::Io(e)
        } else {
            ReadError::Bad(400, msg)
        }
    }
}

/// A socket read timeout shows as `WouldBlock` on Unix and `TimedOut` on Windows.
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

fn trim_crlf(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Reads one request. `W` receives the interim `100 Continue` when the client asks for it.
pub fn read_request<S: Read + Write>(
    r: &mut io::BufReader<S>,
    peer: SocketAddr,
    tls: bool,
) -> Result<Request, ReadError> {
    let mut budget = MAX_HEAD;
    let mut line = Vec::new();
    // Skip empty lines before a request line (RFC 9112 2.2).
    loop {
        line.clear();
        let n = read_line_limited(r, &mut line, &mut budget)?;
        if n == 0 {
            return Err(ReadError::Closed);
        }
        if !trim_crlf(&line).is_empty() {
            break;
        }
    }
    let request_line = String::from_utf8(trim_crlf(&line).to_vec())
        .map_err(|_| ReadError::Bad(400, "request line is not UTF-8"))?;
    let mut parts = request_line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) if !m.is_empty() && !t.is_empty() => (m, t, v),
        _ => return Err(ReadError::Bad(400, "malformed request line")),
    };
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return Err(ReadError::Bad(505, "HTTP version not supported")),
    };
    let mut headers = Vec::new();
    loop {
        line.clear();
        let n = read_line_limited(r, &mut line, &mut budget)?;
        if n == 0 {
            return Err(ReadError::Bad(
                400,
                "connection closed inside the header section",
            ));
        }
        let l = trim_crlf(&line);
        if l.is_empty() {
            break;
        }
        let l = std::str::from_utf8(l).map_err(|_| ReadError::Bad(400, "header is not UTF-8"))?;
        let (k, v) = l
            .split_once(':')
            .ok_or(ReadError::Bad(400, "malformed header line"))?;
        if k.is_empty() || k.ends_with(' ') || k.ends_with('\t') {
            return Err(ReadError::Bad(400, "malformed header name"));
        }
        headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.to_string(), String::new()),
    };
    let mut req = Request {
        method: method.to_string(),
        target: target.to_string(),
        path,
        query,
        headers,
        body: Vec::new(),
        http10,
        peer,
        tls,
    };
    let chunked = req
        .header("transfer-encoding")
        .map(|v| v.to_ascii_lowercase());
    let expect_continue = req
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if let Some(te) = chunked {
        if te.split(',').next_back().map(str::trim) != Some("chunked") {
            return Err(ReadError::Bad(501, "unsupported transfer-encoding"));
        }
        if expect_continue && !http10 {
            r.get_mut().write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            r.get_mut().flush()?;
        }
        req.body = read_chunked(r)?;
    } else if let Some(cl) = req.header("content-length") {
        let n: usize = cl
            .trim()
            .parse()
            .map_err(|_| ReadError::Bad(400, "invalid content-length"))?;
        if n > MAX_BODY {
            return Err(ReadError::Bad(413, "body too large"));
        }
        if expect_continue && !http10 && n > 0 {
            r.get_mut().write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            r.get_mut().flush()?;
        }
        let mut body = vec![0; n];
        r.read_exact(&mut body)
            .map_err(cut_short("connection closed inside the body"))?;
        req.body = body;
    }
    Ok(req)
}

fn read_chunked<R: BufRead>(r: &mut R) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    let mut budget = MAX_HEAD;
    let mut line = Vec::new();
    loop {
        line.clear();
        if read_line_limited(r, &mut line, &mut budget)? == 0 {
            return Err(ReadError::Bad(400, "connection closed inside a chunk"));
        }
        let l = std::str::from_utf8(trim_crlf(&line))
            .map_err(|_| ReadError::Bad(400, "bad chunk size"))?;
        let size_hex = l.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| ReadError::Bad(400, "bad chunk size"))?;
        if size == 0 {
            // Trailer section until an empty line.
            loop {
                line.clear();
                if read_line_limited(r, &mut line, &mut budget)? == 0 || trim_crlf(&line).is_empty()
                {
                    return Ok(body);
                }
            }
        }
        // The size is the peer's: checked, as a huge hex value would overflow the sum.
        if body
            .len()
            .checked_add(size)
            .is_none_or(|total| total > MAX_BODY)
        {
            return Err(ReadError::Bad(413, "body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])
            .map_err(cut_short("connection closed inside a chunk"))?;
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf)
            .map_err(cut_short("connection closed inside a chunk"))?;
        if &crlf != b"\r\n" {
            return Err(ReadError::Bad(400, "chunk not followed by CRLF"));
        }
    }
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response::new(status, "application/json; charset=utf-8", body)
    }

    pub fn problem(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response::new(status, "application/problem+json", body)
    }

    pub fn header(mut self, k: &str, v: impl Into<String>) -> Response {
        self.headers.push((k.to_string(), v.into()));
        self
    }

    pub fn set_header(&mut self, k: &str, v: impl Into<String>) {
        let v = v.into();
        if let Some(h) = self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
        {
            h.1 = v;
        } else {
            self.headers.push((k.to_string(), v));
        }
    }

    pub fn get_header(&self, k: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
}

pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// Gzips the body when the client accepts it (and the body is not empty).
pub fn maybe_gzip(req: &Request, resp: &mut Response) {
    if resp.body.is_empty() || !req.accepts_gzip() || resp.get_header("content-encoding").is_some()
    {
        return;
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    if enc.write_all(&resp.body).is_ok() {
        if let Ok(z) = enc.finish() {
            resp.body = z;
            resp.headers
                .push(("content-encoding".into(), "gzip".into()));
            resp.headers.push(("vary".into(), "Accept-Encoding".into()));
        }
    }
}

/// Serialises the status line and headers, with `content-length` set to `declared_len`.
pub fn head_bytes(resp: &Response, declared_len: usize, close: bool, head_only: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + resp.headers.len() * 40);
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(resp.status.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(reason(resp.status).as_bytes());
    out.extend_from_slice(b"\r\n");
    for (k, v) in &resp.headers {
        if k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("connection") {
            continue;
        }
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let _ = head_only;
    out.extend_from_slice(b"content-length: ");
    out.extend_from_slice(declared_len.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

pub fn error_response(status: u16, detail: &str) -> Response {
    let body = serde_json::json!({
        "title": reason(status),
        "detail": detail,
        "type": "about:blank",
        "status": status,
    });
    Response::problem(status, body.to_string())
}
