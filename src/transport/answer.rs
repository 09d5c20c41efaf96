//! Reading one HTTP/1.1 answer from a byte stream: status line and headers (informational
//! answers skipped), then a content-length, chunked or close-delimited body, within limits.
//!
//! The stream bounds its own waits (a socket under a deadline, see [`super::deadline`]): a
//! timeout comes back from it as an I/O error of kind `TimedOut`.

use super::{finish, Head, RawResponse, MAX_BODY};
use crate::error::{Delivery, Error, ErrorKind};
use std::io::{self, Read};

/// Largest response head read.
const MAX_HEAD: usize = 64 * 1024;
/// Longest chunk-size or trailer line.
const MAX_LINE: usize = 4096;
/// The read buffer's first size (an API answer fits in it whole).
const READ_BUFFER: usize = 8 * 1024;

/// Runs the direct path's answer reading and [`finish`] over `bytes`, as if a server had sent
/// them and then closed the connection. Never panics, and allocates at most a few times the
/// limits, whatever the input (the fuzz target's entry).
pub(crate) fn parse_answer_bytes(mut bytes: &[u8]) -> Result<RawResponse, Error> {
    let (head, body, _) = ReadBuf::new().read_response(&mut bytes)?;
    finish(&head, body)
}

/// A connection's read buffer: unread bytes in `buf[start..end]`. It grows only while a head
/// or a framing line is incomplete, so it stays within twice [`MAX_HEAD`].
pub(super) struct ReadBuf {
    buf: Vec<u8>,
    start: usize,
    end: usize,
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
pub(super) enum Stage {
    Request,
    Body,
}

impl ReadBuf {
    pub(super) fn new() -> ReadBuf {
        ReadBuf {
            buf: vec![0; READ_BUFFER],
            start: 0,
            end: 0,
        }
    }

    /// Reads more into the buffer (growing it when full); 0 at the end of the stream.
    fn fill(&mut self, src: &mut impl Read, stage: Stage) -> Result<usize, Error> {
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
        let n = match src.read(&mut self.buf[self.end..]) {
            Ok(n) => n,
            // A TLS peer that closes without close_notify: the same as a plain end of stream.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(io_error(&e, stage)),
        };
        self.end += n.min(self.buf.len() - self.end);
        Ok(n)
    }

    /// Reads the answer: its head (informational answers skipped), then the whole body.
    /// Also says whether the connection can carry another request.
    pub(super) fn read_response(
        &mut self,
        src: &mut impl Read,
    ) -> Result<(Head, Vec<u8>, bool), Error> {
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
                    if self.fill(src, Stage::Request)? == 0 {
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
            Framing::Length(n) => match usize::try_from(n) {
                Ok(n) if n as u64 <= MAX_BODY => self.read_exact(src, n),
                _ => Err(too_large()),
            },
            Framing::Chunked => self.read_chunked(src),
            Framing::ToEnd => self.read_to_end(src),
        };
        let body = body.map_err(|e| head.in_body(e))?;
        let reusable = http11 && !head.close && framing != Framing::ToEnd && self.start == self.end;
        Ok((head, body, reusable))
    }

    /// Exactly `n` more bytes of body (`n` within [`MAX_BODY`]).
    fn read_exact(&mut self, src: &mut impl Read, n: usize) -> Result<Vec<u8>, Error> {
        let mut body = Vec::with_capacity(n);
        while body.len() < n {
            if self.start == self.end && self.fill(src, Stage::Body)? == 0 {
                return Err(body_cut());
            }
            let take = (n - body.len()).min(self.end - self.start);
            body.extend_from_slice(&self.buf[self.start..self.start + take]);
            self.start += take;
        }
        Ok(body)
    }

    /// A body without a length: everything up to the end of the stream.
    fn read_to_end(&mut self, src: &mut impl Read) -> Result<Vec<u8>, Error> {
        let mut body = Vec::new();
        loop {
            body.extend_from_slice(&self.buf[self.start..self.end]);
            self.start = self.end;
            if body.len() as u64 > MAX_BODY {
                return Err(too_large());
            }
            if self.fill(src, Stage::Body)? == 0 {
                return Ok(body);
            }
        }
    }

    fn read_chunked(&mut self, src: &mut impl Read) -> Result<Vec<u8>, Error> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line(src)?;
            let size = line.split(|&b| b == b';').next().unwrap_or_default();
            let size = std::str::from_utf8(size.trim_ascii())
                .ok()
                .and_then(|s| u64::from_str_radix(s, 16).ok())
                .ok_or_else(|| protocol("HTTP protocol error: invalid chunk size".into()))?;
            if size == 0 {
                // Trailer fields, up to the empty line.
                while !self.read_line(src)?.is_empty() {}
                return Ok(body);
            }
            // Checked: the size is the server's, up to u64::MAX.
            let size = match (body.len() as u64).checked_add(size) {
                Some(total) if total <= MAX_BODY => size as usize,
                _ => return Err(too_large()),
            };
            body.extend(self.read_exact(src, size)?);
            if !self.read_line(src)?.is_empty() {
                return Err(protocol(
                    "HTTP protocol error: chunk longer than its size".into(),
                ));
            }
        }
    }

    /// One line of the body's framing, without its CRLF (or LF).
    fn read_line(&mut self, src: &mut impl Read) -> Result<Vec<u8>, Error> {
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
            if self.fill(src, Stage::Body)? == 0 {
                return Err(body_cut());
            }
        }
    }
}

pub(super) fn timed_out(stage: Stage) -> Error {
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
pub(super) fn io_error(e: &io::Error, stage: Stage) -> Error {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<RawResponse, Error> {
        parse_answer_bytes(bytes)
    }

    #[test]
    fn answers_in_memory_read_as_on_a_connection() {
        let a = parse(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-rate-limit-limit: 9\r\nx-rate-limit-remaining: 7\r\nx-rate-limit-reset: 5\r\n\r\n{}").unwrap();
        assert_eq!((a.status, a.body.as_str()), (200, "{}"));
        assert_eq!(a.rate_limit.endpoint.map(|w| w.remaining), Some(7));
        let a = parse(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
            .unwrap();
        assert_eq!(a.body, "{}");
        let a = parse(b"HTTP/1.0 200 OK\r\n\r\n{}").unwrap();
        assert_eq!(a.body, "{}");
        let e = parse(b"").err().unwrap();
        assert_eq!(
            (e.kind(), e.message()),
            (
                ErrorKind::Network,
                "connection lost: closed by the server before an answer"
            )
        );
    }

    #[test]
    fn a_chunk_size_past_the_limit_is_a_protocol_error_whatever_its_size() {
        for size in ["FFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFF0", "100001"] {
            let answer = format!(
                "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\n{{\r\n{size}\r\n"
            );
            let e = parse(answer.as_bytes()).err().unwrap();
            assert_eq!(
                (e.kind(), e.message(), e.http_status()),
                (
                    ErrorKind::Protocol,
                    "response body larger than 1048576 bytes",
                    Some(200)
                )
            );
        }
        let e =
            parse(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n10000000000000000\r\n")
                .err()
                .unwrap();
        assert_eq!(e.message(), "HTTP protocol error: invalid chunk size");
    }

    #[test]
    fn a_content_length_past_the_limit_is_refused_before_reading() {
        let e = parse(b"HTTP/1.1 200 OK\r\ncontent-length: 18446744073709551615\r\n\r\n")
            .err()
            .unwrap();
        assert_eq!(
            (e.kind(), e.message()),
            (
                ErrorKind::Protocol,
                "response body larger than 1048576 bytes"
            )
        );
    }

    /// Mutated answers (bytes flipped, inserted, cut) end in an answer or an error, never a
    /// panic.
    #[test]
    fn mutated_answers_never_panic() {
        use rand::{Rng, SeedableRng};
        let seeds: [&[u8]; 3] = [
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-encoding: gzip\r\n\r\n5;x=y\r\nhello\r\n0\r\nt: v\r\n\r\n",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 429 Too Many\r\ncontent-length: 4\r\nx-rate-limit-reset: 9\r\n\r\n{\"a\"",
            b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{}",
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let alphabet = b"0123456789abcdefF\r\n:; \xff\x00";
        for _ in 0..20_000 {
            let mut a = seeds[rng.gen_range(0..seeds.len())].to_vec();
            for _ in 0..rng.gen_range(1..6) {
                let at = rng.gen_range(0..=a.len());
                let byte = alphabet[rng.gen_range(0..alphabet.len())];
                match rng.gen_range(0..3) {
                    0 if at < a.len() => a[at] = byte,
                    1 => a.insert(at, byte),
                    _ => a.truncate(at),
                }
            }
            let _ = parse(&a);
        }
    }
}
