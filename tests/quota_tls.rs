//! `rediss://` ledgers: TLS to Redis, with the server's certificate checked (issue 10 item 13).

mod quota_support;
#[path = "support/test_ca.rs"]
mod test_ca;

use std::path::Path;

use quota_support::{marked_lines, spawn_child, RedisServer, TempDir};
use test_ca::{test_ca, TestCa};
use xfollow::quota::{Action, AppId, Ledger, QuotaError, QuotaLimits, StoreKind};

const MARK: &str = "TLS-CHILD: ";

/// A test CA named `ca_name` and a server certificate for `localhost` signed by it, as PEM
/// files in `dir`: `(ca, cert, key)`.
fn certificates(
    dir: &Path,
    ca_name: &str,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let TestCa { ca, leaf, key } = test_ca(ca_name, "localhost");
    let paths = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&paths.0, ca.pem()).unwrap();
    std::fs::write(&paths.1, leaf.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    paths
}

/// The ledger reaches a TLS-only port through `rediss://` when the server's CA is trusted
/// (named by `SSL_CERT_FILE`, in a child process), and refuses the server when it is not.
#[test]
fn rediss_ledgers_verify_the_server_and_count_over_tls() {
    let dir = TempDir::new("quota-tls");
    let (ca, cert, key) = certificates(dir.path(), "xfollow quota test CA");
    let redis = RedisServer::start_tls(&cert, &key);
    let url = format!("rediss://localhost:{}/0", redis.tls_port.unwrap());

    // Trusted: two follows pass, the third is refused, all through TLS.
    let mut child = spawn_child(
        "tls_child",
        &[
            ("XFOLLOW_TEST_REDISS_URL", url.clone()),
            ("SSL_CERT_FILE", ca.display().to_string()),
        ],
    );
    let lines = marked_lines(&mut child, MARK);
    assert!(child.wait().unwrap().success());
    assert_eq!(lines, vec!["reserved 1", "reserved 2", "refused 2 of 2"]);
    // The entries are in the server (read over its plain port).
    let c = ::redis::Client::open(redis.url()).unwrap();
    let mut c = c.get_connection().unwrap();
    let app = AppId::from_key("tls-app");
    let n: i64 = ::redis::cmd("ZCARD")
        .arg(format!("xfollow:quota:{{{}}}:follows:app", app.as_str()))
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 2);

    // Another CA trusted: the handshake is made and the certificate refused.
    let other = TempDir::new("quota-tls-other");
    let (other_ca, _, _) = certificates(other.path(), "another test CA");
    let mut child = spawn_child(
        "tls_child",
        &[
            ("XFOLLOW_TEST_REDISS_URL", url),
            ("SSL_CERT_FILE", other_ca.display().to_string()),
        ],
    );
    let lines = marked_lines(&mut child, MARK);
    assert!(child.wait().unwrap().success());
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("open failed: quota store error (Redis): ")
            && lines[0].contains("invalid peer certificate: UnknownIssuer"),
        "{lines:?}"
    );
}

/// TLS to a server that does not speak it fails at open, as a store error.
#[test]
fn rediss_to_a_plain_port_is_a_store_error() {
    let redis = RedisServer::start();
    let url = format!("rediss://localhost:{}/0", redis.port);
    match Ledger::open(&url, QuotaLimits::default()) {
        Err(QuotaError::Store {
            kind: StoreKind::Redis,
            ..
        }) => {}
        other => panic!("expected a store error, got {other:?}"),
    }
}

#[test]
#[ignore = "run by rediss_ledgers_verify_the_server_and_count_over_tls in a child process"]
fn tls_child() {
    let url = std::env::var("XFOLLOW_TEST_REDISS_URL").unwrap();
    let limits = QuotaLimits {
        follows_per_user: 0,
        follows_per_app: 2,
        unfollows_per_app: 0,
    };
    let l = match Ledger::open(&url, limits) {
        Ok(l) => l,
        Err(e) => {
            println!("{MARK}open failed: {e}");
            return;
        }
    };
    let app = AppId::from_key("tls-app");
    for i in 1..=2 {
        l.reserve(&app, "1", Action::Follow).unwrap().commit();
        println!("{MARK}reserved {i}");
    }
    match l.reserve(&app, "1", Action::Follow) {
        Err(QuotaError::Exhausted(e)) => println!("{MARK}refused {} of {}", e.used, e.limit),
        other => println!("{MARK}unexpected {other:?}"),
    }
}
