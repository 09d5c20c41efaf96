//! Loopback proxies written with std: an HTTP CONNECT proxy and a SOCKS5 proxy (no
//! authentication, CONNECT only). Each tunnels any number of connections and sends back the
//! target each one asked for.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;

/// Copies both ways between `client` (with bytes already buffered in `reader`) and `upstream`.
fn tunnel(client: TcpStream, reader: impl Read + Send + 'static, upstream: TcpStream) {
    let mut up_read = upstream.try_clone().unwrap();
    let mut down = client;
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_read, &mut down);
        let _ = down.shutdown(std::net::Shutdown::Both);
    });
    let mut reader = reader;
    let mut up_write = upstream;
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut reader, &mut up_write);
        let _ = up_write.shutdown(std::net::Shutdown::Write);
    });
}

/// An HTTP CONNECT proxy; sends back each CONNECT line it read. Returns its port.
pub fn connect_proxy() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end().to_owned();
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                }
                let target = line.split(' ').nth(1).unwrap().to_owned();
                let _ = tx.send(line);
                let upstream = TcpStream::connect(target).unwrap();
                (&client)
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .unwrap();
                tunnel(client, reader, upstream);
            });
        }
    });
    (port, rx)
}

/// A SOCKS5 proxy (RFC 1928: no authentication, CONNECT to an IPv4 address, IPv6 address or
/// domain name); sends back each target as `host:port`. Returns its port.
pub fn socks5_proxy() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut greeting = [0u8; 2];
                client.read_exact(&mut greeting).unwrap();
                assert_eq!(greeting[0], 5);
                let mut methods = vec![0u8; greeting[1] as usize];
                client.read_exact(&mut methods).unwrap();
                assert!(methods.contains(&0), "no-authentication not offered");
                client.write_all(&[5, 0]).unwrap();
                let mut req = [0u8; 4];
                client.read_exact(&mut req).unwrap();
                assert_eq!(req[..3], [5, 1, 0], "only CONNECT is served");
                let host = match req[3] {
                    1 => {
                        let mut a = [0u8; 4];
                        client.read_exact(&mut a).unwrap();
                        std::net::Ipv4Addr::from(a).to_string()
                    }
                    4 => {
                        let mut a = [0u8; 16];
                        client.read_exact(&mut a).unwrap();
                        format!("[{}]", std::net::Ipv6Addr::from(a))
                    }
                    3 => {
                        let mut len = [0u8; 1];
                        client.read_exact(&mut len).unwrap();
                        let mut name = vec![0u8; len[0] as usize];
                        client.read_exact(&mut name).unwrap();
                        String::from_utf8(name).unwrap()
                    }
                    t => panic!("address type {t}"),
                };
                let mut p = [0u8; 2];
                client.read_exact(&mut p).unwrap();
                let target = format!("{host}:{}", u16::from_be_bytes(p));
                let _ = tx.send(target.clone());
                let upstream = TcpStream::connect(&target).unwrap();
                // Succeeded; bound address 0.0.0.0:0.
                client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).unwrap();
                let reader = client.try_clone().unwrap();
                tunnel(client, reader, upstream);
            });
        }
    });
    (port, rx)
}
