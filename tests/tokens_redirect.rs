//! The loopback redirect receiver, driven by a raw TCP client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use xfollow::tokens::{Error, RedirectReceiver};

/// Sends `request` and returns the whole answer (status line, headers, body).
fn send(port: u16, request: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn get(port: u16, target: &str) -> String {
    send(
        port,
        &format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: test\r\n\r\n"),
    )
}

fn status_line(answer: &str) -> &str {
    answer.lines().next().unwrap_or("")
}

fn body(answer: &str) -> &str {
    answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("")
}

#[test]
fn binds_port_zero_and_reports_the_redirect_uri() {
    let r = RedirectReceiver::bind(0, "/callback").unwrap();
    assert_ne!(r.port(), 0);
    assert_eq!(r.path(), "/callback");
    assert_eq!(
        r.redirect_uri(),
        format!("http://127.0.0.1:{}/callback", r.port())
    );
}

#[test]
fn receives_the_code_after_ignoring_other_requests() {
    let r = RedirectReceiver::bind(0, "/callback").unwrap();
    let port = r.port();
    let client = thread::spawn(move || {
        // A browser's speculative connection that never sends anything.
        let _idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let fav = get(port, "/favicon.ico");
        // A request head that arrives in pieces.
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(b"GET /callback?state=st4te&co").unwrap();
        thread::sleep(Duration::from_millis(50));
        s.write_all(b"de=AUTH%2Bcode&extra=1 HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        thread::sleep(Duration::from_millis(50));
        s.write_all(b"\r\n").unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        (fav, answer)
    });
    let got = r.wait("st4te", Duration::from_secs(20)).unwrap();
    assert_eq!(got.code.expose(), "AUTH+code");
    assert_eq!(got.state, "st4te");
    assert_eq!(
        format!("{got:?}"),
        "AuthorizationResponse { code: \"<redacted>\", state: \"st4te\" }"
    );
    let (fav, answer) = client.join().unwrap();
    assert_eq!(status_line(&fav), "HTTP/1.1 404 Not Found");
    assert_eq!(status_line(&answer), "HTTP/1.1 200 OK");
    assert!(answer.contains("\r\nContent-Type: text/html; charset=utf-8\r\n"));
    assert!(answer.contains("\r\nCache-Control: no-store\r\n"));
    let b = body(&answer);
    assert!(answer.contains(&format!("\r\nContent-Length: {}\r\n", b.len())));
    assert!(b.contains("<h1>Authorization received</h1>"), "{b}");
    assert!(b.contains("You can close this window."));
    assert!(!b.contains("AUTH"), "the code is not echoed");
    // One-shot: the port is closed once the callback is handled.
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

/// Any web page can send the browser to the callback path: a callback with another state
/// gets a failure page, and the receiver keeps waiting for the one of this login.
#[test]
fn a_forged_callback_gets_a_failure_page_and_the_wait_goes_on() {
    let r = RedirectReceiver::bind(0, "/cb").unwrap();
    let port = r.port();
    let client = thread::spawn(move || {
        let forged = get(port, "/cb?state=forged&code=abc");
        let missing = get(port, "/cb?code=abc");
        let real = get(port, "/cb?state=expected&code=good");
        (forged, missing, real)
    });
    let resp = r.wait("expected", Duration::from_secs(20)).unwrap();
    assert_eq!(resp.code.expose(), "good");
    assert_eq!(resp.state, "expected");
    let (forged, missing, real) = client.join().unwrap();
    for answer in [&forged, &missing] {
        assert_eq!(status_line(answer), "HTTP/1.1 400 Bad Request");
        assert!(body(answer).contains("<h1>Authorization failed</h1>"));
        assert!(body(answer).contains("(state mismatch)"));
        assert!(!answer.contains("forged") && !answer.contains("abc"));
    }
    assert_eq!(status_line(&real), "HTTP/1.1 200 OK");
    assert_eq!(
        Error::StateMismatch.to_string(),
        "the callback's state is missing or does not match the one sent (possible forged request)"
    );
}

#[test]
fn only_forged_callbacks_end_in_the_receivers_timeout() {
    let r = RedirectReceiver::bind(0, "/cb").unwrap();
    let port = r.port();
    let client = thread::spawn(move || get(port, "/cb?code=abc"));
    assert_eq!(
        r.wait("expected", Duration::from_millis(500)),
        Err(Error::RedirectTimeout {
            waited: Duration::from_millis(500)
        })
    );
    assert_eq!(
        status_line(&client.join().unwrap()),
        "HTTP/1.1 400 Bad Request"
    );
}

/// A browser may resolve `localhost` to ::1: a `localhost` redirect URI is served there too.
#[test]
fn a_localhost_redirect_uri_is_served_on_ipv6_loopback_too() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback on this host; skipped");
        return;
    }
    let r = RedirectReceiver::for_redirect_uri("http://localhost:0/cb").unwrap();
    let port = r.port();
    assert_eq!(r.redirect_uri(), format!("http://localhost:{port}/cb"));
    let client = thread::spawn(move || {
        let mut s = TcpStream::connect(("::1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET /cb?state=st&code=v6code HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    });
    assert_eq!(
        r.wait("st", Duration::from_secs(20)).unwrap().code.expose(),
        "v6code"
    );
    assert_eq!(status_line(&client.join().unwrap()), "HTTP/1.1 200 OK");
    // And on 127.0.0.1, as before.
    let r = RedirectReceiver::for_redirect_uri("http://localhost:0/cb").unwrap();
    let port = r.port();
    let client = thread::spawn(move || get(port, "/cb?state=st&code=v4code"));
    assert_eq!(
        r.wait("st", Duration::from_secs(20)).unwrap().code.expose(),
        "v4code"
    );
    assert_eq!(status_line(&client.join().unwrap()), "HTTP/1.1 200 OK");
}

/// Idle connections beyond the limit push the oldest out instead of piling up.
#[test]
fn a_flood_of_idle_connections_does_not_lock_the_browser_out() {
    let r = RedirectReceiver::bind(0, "/cb").unwrap();
    let port = r.port();
    let client = thread::spawn(move || {
        let idle: Vec<TcpStream> = (0..100)
            .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
            .collect();
        thread::sleep(Duration::from_millis(100));
        let answer = get(port, "/cb?state=st&code=c");
        drop(idle);
        answer
    });
    assert_eq!(
        r.wait("st", Duration::from_secs(20)).unwrap().code.expose(),
        "c"
    );
    assert_eq!(status_line(&client.join().unwrap()), "HTTP/1.1 200 OK");
}

#[test]
fn a_denied_authorization_carries_the_provider_words() {
    let r = RedirectReceiver::bind(0, "/cb").unwrap();
    let port = r.port();
    let client = thread::spawn(move || {
        get(
            port,
            "/cb?error=access_denied&error_description=The+user+said+no&state=s",
        )
    });
    let e = r.wait("s", Duration::from_secs(20)).unwrap_err();
    assert_eq!(
        e,
        Error::AuthorizationDenied {
            error: "access_denied".into(),
            description: Some("The user said no".into())
        }
    );
    assert_eq!(
        e.to_string(),
        "authorization refused (access_denied): The user said no"
    );
    let answer = client.join().unwrap();
    assert_eq!(status_line(&answer), "HTTP/1.1 400 Bad Request");
    assert!(body(&answer).contains("The authorization was not granted."));
}

#[test]
fn other_methods_and_garbage_do_not_end_the_wait() {
    let r = RedirectReceiver::bind(0, "/cb").unwrap();
    let port = r.port();
    let client = thread::spawn(move || {
        let post = send(
            port,
            "POST /cb?state=s&code=x HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        );
        let junk = send(port, "hello\r\n\r\n");
        let ok = get(port, "/cb?state=s&code=real");
        (post, junk, ok)
    });
    let got = r.wait("s", Duration::from_secs(20)).unwrap();
    assert_eq!(got.code.expose(), "real");
    let (post, junk, ok) = client.join().unwrap();
    assert_eq!(status_line(&post), "HTTP/1.1 405 Method Not Allowed");
    assert!(post.contains("\r\nAllow: GET\r\n"));
    assert_eq!(status_line(&junk), "HTTP/1.1 400 Bad Request");
    assert_eq!(status_line(&ok), "HTTP/1.1 200 OK");
}

#[test]
fn times_out_cleanly() {
    let r = RedirectReceiver::bind(0, "/cb").unwrap();
    let port = r.port();
    let start = Instant::now();
    let e = r.wait("s", Duration::from_millis(300)).unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        e,
        Error::RedirectTimeout {
            waited: Duration::from_millis(300)
        }
    );
    assert_eq!(
        e.to_string(),
        "no authorization callback arrived within 0.3 s"
    );
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn oauth1_callbacks_check_the_request_token() {
    let r = RedirectReceiver::bind(0, "/oauth1").unwrap();
    let port = r.port();
    let client = thread::spawn(move || get(port, "/oauth1?oauth_token=req-1&oauth_verifier=V3r"));
    assert_eq!(
        r.wait_oauth1("req-1", Duration::from_secs(20))
            .unwrap()
            .expose(),
        "V3r"
    );
    assert_eq!(status_line(&client.join().unwrap()), "HTTP/1.1 200 OK");

    // Another request token's callback is answered and the wait goes on.
    let r = RedirectReceiver::bind(0, "/oauth1").unwrap();
    let port = r.port();
    let client = thread::spawn(move || {
        (
            get(port, "/oauth1?oauth_token=other&oauth_verifier=V3r"),
            get(port, "/oauth1?denied=other"),
            get(port, "/oauth1?oauth_token=req-1&oauth_verifier=mine"),
        )
    });
    assert_eq!(
        r.wait_oauth1("req-1", Duration::from_secs(20))
            .unwrap()
            .expose(),
        "mine"
    );
    let (other, denied, mine) = client.join().unwrap();
    for answer in [&other, &denied] {
        assert_eq!(status_line(answer), "HTTP/1.1 400 Bad Request");
        assert!(body(answer).contains("(token mismatch)"));
    }
    assert_eq!(status_line(&mine), "HTTP/1.1 200 OK");
}

#[test]
fn redirect_uris_and_paths_are_checked() {
    assert_eq!(
        RedirectReceiver::bind(0, "callback").unwrap_err(),
        Error::InvalidArgument(
            "callback path \"callback\" must start with '/' and have no query or fragment".into()
        )
    );
    let r = RedirectReceiver::for_redirect_uri("http://localhost:0/cb").unwrap();
    assert_eq!(
        r.redirect_uri(),
        format!("http://localhost:{}/cb", r.port())
    );
    for bad in [
        "https://127.0.0.1:1/cb",
        "http://example.com:1/cb",
        "http://127.0.0.1/cb",
    ] {
        assert!(matches!(
            RedirectReceiver::for_redirect_uri(bad),
            Err(Error::InvalidArgument(_))
        ));
    }
    // A port in use is an I/O error that names it.
    let taken = RedirectReceiver::bind(0, "/cb").unwrap();
    let e = RedirectReceiver::bind(taken.port(), "/cb").unwrap_err();
    match e {
        Error::Io(m) => assert!(
            m.starts_with(&format!("cannot listen on 127.0.0.1:{}: ", taken.port())),
            "{m}"
        ),
        other => panic!("unexpected {other:?}"),
    }
}
