//! What the library's tests share: the emulator (`emulator.rs`) with the library's clients of
//! its demo users, and small scripted servers.
#![allow(dead_code)]

mod emulator;
pub mod hostile_tls;
pub mod proxies;
pub mod test_ca;

pub use emulator::*;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;
use xfollow::{Client, ClientBuilder};

/// The library's clients of the emulator's demo users.
impl Emulator {
    pub fn builder(&self) -> ClientBuilder {
        Client::builder().base_url(self.base.clone())
    }
    pub fn alice_oauth1(&self) -> Client {
        self.builder()
            .oauth1(CONSUMER_KEY, CONSUMER_SECRET, ALICE_TOKEN, ALICE_SECRET)
            .build()
            .unwrap()
    }
    pub fn alice_oauth2(&self) -> Client {
        alice_at(self.base.clone()).build().unwrap()
    }
}

/// A builder for alice's OAuth 2.0 client of the server at `base`.
pub fn alice_at(base: impl Into<String>) -> ClientBuilder {
    Client::builder().base_url(base).oauth2_token(ALICE_OAUTH2)
}

/// A gzip member holding `data` in one stored (uncompressed) deflate block.
pub fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut g = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let len = data.len() as u16;
    g.push(1);
    g.extend_from_slice(&len.to_le_bytes());
    g.extend_from_slice(&(!len).to_le_bytes());
    g.extend_from_slice(data);
    g.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    g.extend_from_slice(&(data.len() as u32).to_le_bytes());
    g
}

/// A server on 127.0.0.1 that answers the requests of its n-th connection with the raw
/// answers of `script[n]`, in order, and then closes that connection. Sends back the
/// connection's index and every request it read (head and body, as text).
pub fn scripted_server(script: Vec<Vec<Vec<u8>>>) -> (String, mpsc::Receiver<(usize, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for (n, answers) in script.into_iter().enumerate() {
            let (stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            for answer in answers {
                let Some(request) = read_request(&mut reader) else {
                    break;
                };
                tx.send((n, request)).unwrap();
                // The client may hang up early (a body over the limit): that is no failure here.
                let _ = writer.write_all(&answer);
            }
        }
    });
    (base, rx)
}

/// Reads one request, head and body, as text (None at the end of the connection).
pub fn read_request(reader: &mut impl BufRead) -> Option<String> {
    let mut request = String::new();
    let mut len = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
        request.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    request.push_str(&String::from_utf8(body).unwrap());
    Some(request)
}
