//! A token that is not visible ASCII never reaches the wire, wherever it comes from: the
//! token endpoint's answer, the token store file, an OAuth 1.0a answer.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use xfollow::tokens::oauth1::parse_access_token;
use xfollow::tokens::{Error, Secret, TokenSet, TokenStore};
use xfollow::{ClientBuilder, ErrorKind, OAuth2Refreshing, RetryPolicy};

const BAD: &str =
    "has characters other than visible ASCII (control characters, spaces or non-ASCII)";

/// A loopback HTTP server answering `/2/oauth2/token` with `token_answer` and anything else
/// with a follow answer; every request it read, raw, is kept.
fn fake_server(token_answer: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_millis(300)));
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            // Reads until the peer pauses: enough for one small request, and it shows
            // anything smuggled behind it.
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                raw.extend_from_slice(&buf[..n]);
            }
            let text = String::from_utf8_lossy(&raw).into_owned();
            let body = if text.starts_with("POST /2/oauth2/token ") {
                token_answer
            } else {
                r#"{"data":{"following":true,"pending_follow":false}}"#
            };
            seen2.lock().unwrap().push(text);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (base, seen)
}

/// A follow by a refreshing client whose token set has expired, so that the call refreshes
/// first at `base`'s token endpoint; no retry.
fn follow_with_expired_token(base: &str) -> xfollow::Error {
    let tokens = TokenSet::new("old", Some(Secret::new("r1")), Some(1), vec![]);
    let client = ClientBuilder::new()
        .base_url(base)
        .oauth2_refreshing(OAuth2Refreshing::new(tokens, "client-id"))
        .retry(RetryPolicy::never())
        .quota("off")
        .build()
        .unwrap();
    client.follow(Some("12"), "13").unwrap_err()
}

#[test]
fn a_refreshed_access_token_with_crlf_is_refused_and_nothing_is_smuggled() {
    let (base, seen) = fake_server(
        r#"{"token_type":"bearer","expires_in":7200,"access_token":"good\r\nx-injected: yes\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x","refresh_token":"r2"}"#,
    );
    let e = follow_with_expired_token(&base);
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert_eq!(
        e.message(),
        format!(
            "refreshing the OAuth 2.0 access token failed: unexpected answer: token answer's access_token {BAD}"
        )
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].starts_with("POST /2/oauth2/token "), "{}", seen[0]);
    assert!(!seen
        .iter()
        .any(|r| r.contains("x-injected") || r.contains("/smuggled")));
}

#[test]
fn a_refresh_token_with_a_newline_is_refused() {
    let (base, seen) = fake_server(
        r#"{"token_type":"bearer","expires_in":7200,"access_token":"fine","refresh_token":"r2\nx"}"#,
    );
    let e = follow_with_expired_token(&base);
    assert_eq!(
        e.message(),
        format!(
            "refreshing the OAuth 2.0 access token failed: unexpected answer: token answer's refresh_token {BAD}"
        )
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn a_stored_access_token_with_crlf_is_refused_and_nothing_is_smuggled() {
    let (base, seen) = fake_server(r#"{"access_token":"unused"}"#);
    let dir = std::env::temp_dir().join(format!("xfollow-crlf-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tokens.json");
    let store = TokenStore::new(&path);
    // A valid set first (the store file is created 0600), then the token is replaced.
    store
        .save(&TokenSet::new(
            "ok",
            Some(Secret::new("r1")),
            Some(1),
            vec![],
        ))
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace(
            "\"ok\"",
            r#""good\r\nx-injected: yes\r\n\r\nGET /smuggled HTTP/1.1""#,
        ),
    )
    .unwrap();
    assert_eq!(
        store.load(),
        Err(Error::Store {
            path: path.clone(),
            message: format!("the stored access_token {BAD}")
        })
    );
    // A refreshing client whose refresh reads that store fails the same way and sends
    // nothing: the store is read before the token endpoint is called.
    let tokens = TokenSet::new("old", Some(Secret::new("r1")), Some(1), vec![]);
    let client = ClientBuilder::new()
        .base_url(&base)
        .oauth2_refreshing(OAuth2Refreshing::new(tokens, "client-id").token_store(&path))
        .retry(RetryPolicy::never())
        .quota("off")
        .build()
        .unwrap();
    let e = client.follow(Some("12"), "13").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenStore);
    assert_eq!(
        e.message(),
        format!(
            "refreshing the OAuth 2.0 access token failed: token store {}: the stored access_token {BAD}",
            path.display()
        )
    );
    assert!(seen.lock().unwrap().is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_oauth1_answer_with_crlf_is_refused() {
    assert_eq!(
        parse_access_token("oauth_token=1-a%0D%0Ax-injected:%20yes&oauth_token_secret=s"),
        Err(Error::InvalidResponse(format!(
            "access token answer's oauth_token {BAD}"
        )))
    );
}

#[test]
fn a_token_answer_with_crlf_is_refused() {
    assert_eq!(
        TokenSet::from_token_response(
            r#"{"access_token":"good\r\nx-injected: yes\r\n\r\nGET /smuggled HTTP/1.1"}"#,
            0
        ),
        Err(Error::InvalidResponse(format!(
            "token answer's access_token {BAD}"
        )))
    );
}
