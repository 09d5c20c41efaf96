//! Hostile https servers on 127.0.0.1, with a throw-away CA (rcgen) for the client to trust.

use super::temp_dir;
use super::test_ca::{test_ca, TestCa};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long a hostile server keeps a connection open, far past every timeout here.
const HOLD: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Hostile {
    /// Handshakes at full speed, then sends its answer one byte every 50 ms.
    TrickleAnswer,
    /// Sends its handshake one byte every 50 ms.
    TrickleHandshake,
    /// Reads the ClientHello and never answers.
    StallHandshake,
    /// Accepts and never sends a byte.
    Silent,
    /// Handshakes, reads the request, then sends a record that is not valid TLS.
    GarbageAfterRequest,
}

/// A CA and a server certificate for 127.0.0.1; the CA written to a PEM file.
pub fn tls_setup() -> (Arc<rustls::ServerConfig>, PathBuf) {
    let TestCa { ca, leaf, key } = test_ca("xfollow hostile test CA", "127.0.0.1");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let file = temp_dir().join("ca.pem");
    std::fs::write(&file, ca.pem()).unwrap();
    (Arc::new(config), file)
}

/// A hostile https server on 127.0.0.1; its base URL and the CA file to trust.
pub fn hostile_server(how: Hostile) -> (String, PathBuf) {
    let (config, ca) = tls_setup();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            let config = config.clone();
            std::thread::spawn(move || serve(tcp, config, how));
        }
    });
    (base, ca)
}

fn serve(mut tcp: TcpStream, config: Arc<rustls::ServerConfig>, how: Hostile) {
    tcp.set_nodelay(true).unwrap();
    match how {
        Hostile::Silent => return std::thread::sleep(HOLD),
        Hostile::StallHandshake => {
            let _ = tcp.read(&mut [0; 4096]);
            return std::thread::sleep(HOLD);
        }
        _ => {}
    }
    let mut tls = rustls::ServerConnection::new(config).unwrap();
    let mut request = Vec::new();
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        if tls.wants_write() {
            let trickle = how == Hostile::TrickleHandshake && tls.is_handshaking();
            if send(&mut tcp, &mut tls, trickle).is_err() {
                return;
            }
            continue;
        }
        match tls.read_tls(&mut tcp) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if tls.process_new_packets().is_err() {
            return;
        }
        let mut buf = [0; 4096];
        if let Ok(n) = tls.reader().read(&mut buf) {
            request.extend_from_slice(&buf[..n]);
        }
    }
    if how == Hostile::GarbageAfterRequest {
        let _ = tcp.write_all(b"\x17\x03\x03\x00\x05hello");
        return std::thread::sleep(HOLD);
    }
    tls.writer()
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
        .unwrap();
    let _ = send(&mut tcp, &mut tls, true);
    std::thread::sleep(HOLD);
}

/// Sends what rustls has to send, at once or one byte every 50 ms.
fn send(
    tcp: &mut TcpStream,
    tls: &mut rustls::ServerConnection,
    trickle: bool,
) -> std::io::Result<()> {
    let mut out = Vec::new();
    while tls.wants_write() {
        tls.write_tls(&mut out)?;
    }
    if !trickle {
        return tcp.write_all(&out);
    }
    for b in out {
        tcp.write_all(&[b])?;
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
