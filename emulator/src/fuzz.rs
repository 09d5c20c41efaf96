//! Entry points for fuzz targets: the emulator's own parsers run on arbitrary bytes.
//! Neither function may panic, whatever the input.

use crate::http::{self, ReadError};
use std::io::{self, BufReader, Cursor, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};

/// A connection whose reads come from a buffer and whose writes (`100 Continue`) are dropped.
struct Memory<'a>(Cursor<&'a [u8]>);

impl Read for Memory<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Memory<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads requests from `data` as a keep-alive connection would, until it ends or one is
/// malformed, and runs the per-request accessors the routes use.
pub fn request(data: &[u8]) {
    let peer = SocketAddr::from((Ipv4Addr::LOCALHOST, 1));
    let mut reader = BufReader::new(Memory(Cursor::new(data)));
    loop {
        match http::read_request(&mut reader, peer, false) {
            Ok(req) => {
                let _ = req.query_pairs();
                let _ = req.form_pairs();
                let _ = req.wants_close();
                let _ = req.accepts_gzip();
                let _ = crate::auth::oauth1_params(&req);
            }
            Err(ReadError::Closed | ReadError::Io(_) | ReadError::Bad(..)) => return,
        }
    }
}

/// Parses `data` as an `Authorization: OAuth ...` header value (UTF-8 only, as headers are).
pub fn oauth_header(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = crate::oauth1::parse_authorization(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_size_near_usize_max_after_a_chunk_is_refused_not_overflowed() {
        let data =
            b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\nffffffffffffffff\r\n";
        request(data);
        let peer = SocketAddr::from((Ipv4Addr::LOCALHOST, 1));
        let mut reader = BufReader::new(Memory(Cursor::new(&data[..])));
        match http::read_request(&mut reader, peer, false) {
            Err(ReadError::Bad(413, "body too large")) => {}
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        for d in [
            &b""[..],
            b"\r\n\r\n",
            b"GET / HTTP/1.1\r\ncontent-length: 99999999999999999999\r\n\r\n",
            b"GET /?a=%zz&%=b HTTP/1.1\r\nauthorization: OAuth a=\"%\xff\"\r\n\r\n",
            b"GET / HTTP/1.1\r\nauthorization: OAuth ,=,\"\r\n\r\nGET / HTTP/1.0\r\n\r\n",
        ] {
            request(d);
            oauth_header(d);
        }
        oauth_header("OAuth é=\"☃\", realm=x, a".as_bytes());
    }
}
