//! Startup: `--tls` (the CA written to --ca-out verifies the server for 127.0.0.1 and
//! localhost), argument errors, binding.

mod common;
use common::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::json;
use std::net::TcpStream;
use std::sync::Arc;

fn tls_client(
    port: u16,
    ca_pem: &[u8],
    name: &str,
) -> Client<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn = rustls::ClientConnection::new(
        Arc::new(cfg),
        ServerName::try_from(name.to_string()).unwrap(),
    )
    .unwrap();
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    Client {
        r: std::io::BufReader::new(rustls::StreamOwned::new(conn, sock)),
        host: format!("{name}:{port}"),
    }
}

#[test]
fn tls_serves_with_the_written_ca_and_signs_https_urls() {
    let dir = TempDir::new("tls");
    let ca = dir.0.join("ca.pem");
    let emu = Emu::start_args(&["--tls", "--ca-out", ca.to_str().unwrap()], None);
    assert!(emu.base.starts_with("https://127.0.0.1:"), "{}", emu.base);
    let pem = std::fs::read(&ca).unwrap();
    assert!(pem.starts_with(b"-----BEGIN CERTIFICATE-----"));
    for name in ["127.0.0.1", "localhost"] {
        let mut c = tls_client(emu.port, &pem, name);
        // OAuth 1.0a over https signs the https URL.
        let path = follow_path(ALICE);
        let url = format!("https://{name}:{}{path}", emu.port);
        let a = sign("POST", &url, &[], CK, CS, Some((ALICE_TOKEN, ALICE_SECRET)));
        let r = c.follow(ALICE, BOB, &a);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            r.json(),
            json!({"data": {"following": true, "pending_follow": false}})
        );
        // The http URL does not verify over https.
        let a = sign(
            "POST",
            &format!("http://{name}:{}{path}", emu.port),
            &[],
            CK,
            CS,
            Some((ALICE_TOKEN, ALICE_SECRET)),
        );
        assert_eq!(c.follow(ALICE, BOB, &a).status, 401);
        // Keep-alive over TLS.
        assert_eq!(c.get("/2/users/me", &bearer(ALICE_BEARER)).status, 200);
    }
    // A client that does not trust the CA fails the handshake.
    let other = TempDir::new("tls2");
    let other_ca = other.0.join("ca.pem");
    let emu2 = Emu::start_args(&["--tls", "--ca-out", other_ca.to_str().unwrap()], None);
    let mut c = tls_client(emu2.port, &pem, "localhost");
    assert!(c.try_request("GET", "/2/users/me", &[], b"").is_err());
}

#[test]
fn tls_flag_needs_ca_out_and_remote_needs_opt_in() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xfollow-emulator"))
        .arg("--tls")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "xfollow-emulator: --tls needs --ca-out FILE (where the CA certificate is written)"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xfollow-emulator"))
        .args(["--host", "0.0.0.0", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "xfollow-emulator: refusing to bind 0.0.0.0 (not loopback) without --allow-remote"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xfollow-emulator"))
        .args(["--config", "/nonexistent/world.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .starts_with("xfollow-emulator: --config /nonexistent/world.json: "));
}

#[test]
fn host_localhost_binds_ipv4_loopback() {
    let emu = Emu::start_args(&["--host", "localhost"], None);
    assert!(emu.base.starts_with("http://127.0.0.1:"), "{}", emu.base);
    assert_eq!(
        emu.client()
            .get("/2/users/me", &bearer(ALICE_BEARER))
            .status,
        200
    );
}
