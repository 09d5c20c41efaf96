//! `Debug` of a client builder shows no secret: credentials are redacted, and so is the
//! userinfo of the proxy and quota store URLs.

use xfollow::tokens::{Secret, TokenSet};
use xfollow::{ClientBuilder, OAuth2Refreshing};

#[test]
fn builder_debug_redacts_userinfo_and_credentials() {
    let b = ClientBuilder::new()
        .oauth2_token("tok-secret-1")
        .proxy(Some("http://user:pa55word@proxy.example:8080".into()))
        .quota("redis://:hunter22@127.0.0.1:6379/0");
    let d = format!("{b:?}");
    for secret in ["pa55word", "hunter22", "user:pa", "tok-secret-1"] {
        assert!(!d.contains(secret), "{secret} in {d}");
    }
    assert!(
        d.contains(r#"proxy: Some("http://<redacted>@proxy.example:8080")"#),
        "{d}"
    );
    assert!(
        d.contains(r#"quota_url: "redis://<redacted>@127.0.0.1:6379/0""#),
        "{d}"
    );
    assert!(d.contains(r#"base_url: "https://api.x.com""#), "{d}");
    assert!(
        d.contains(r#"credentials: Some(OAuth2("<redacted>"))"#),
        "{d}"
    );
}

#[test]
fn urls_without_userinfo_are_shown_as_they_are() {
    let b = ClientBuilder::new()
        .proxy(Some("socks5://127.0.0.1:1080/x@y".into()))
        .quota("sqlite:/var/lib/app/quota.db");
    let d = format!("{b:?}");
    assert!(
        d.contains(r#"proxy: Some("socks5://127.0.0.1:1080/x@y")"#),
        "{d}"
    );
    assert!(
        d.contains(r#"quota_url: "sqlite:/var/lib/app/quota.db""#),
        "{d}"
    );
    let b = ClientBuilder::new().proxy(Some("socks5://u@h:1".into()));
    assert!(format!("{b:?}").contains(r#"proxy: Some("socks5://<redacted>@h:1")"#));
}

#[test]
fn a_password_with_a_raw_question_mark_or_hash_is_redacted_too() {
    for (url, shown) in [
        (
            "redis://:p?ss@127.0.0.1:6379/0",
            "redis://<redacted>@127.0.0.1:6379/0",
        ),
        ("redis://u:p#ss@h:6379", "redis://<redacted>@h:6379"),
    ] {
        let d = format!("{:?}", ClientBuilder::new().quota(url));
        assert!(d.contains(&format!(r#"quota_url: "{shown}""#)), "{d}");
        assert!(!d.contains("ss@"), "{d}");
    }
}

#[test]
fn refreshing_credential_debug_shows_no_token() {
    let set = TokenSet::new(
        "acc-secret-9",
        Some(Secret::new("ref-secret-9")),
        None,
        vec![],
    );
    let b = ClientBuilder::new()
        .oauth2_refreshing(OAuth2Refreshing::new(set, "cid").client_secret("cs-secret-9"));
    let d = format!("{b:?}");
    for secret in ["acc-secret-9", "ref-secret-9", "cs-secret-9"] {
        assert!(!d.contains(secret), "{secret} in {d}");
    }
}

#[test]
fn redact_userinfo_hides_only_the_userinfo() {
    for (url, shown) in [
        ("redis://:pw@h:6379/0", "redis://<redacted>@h:6379/0"),
        ("rediss://u:p@ss@h", "rediss://<redacted>@h"),
        ("redis://h:6379", "redis://h:6379"),
        ("sqlite:/a/b@c", "sqlite:/a/b@c"),
        ("memory:", "memory:"),
    ] {
        assert_eq!(xfollow::redact_userinfo(url), shown, "{url}");
    }
}
