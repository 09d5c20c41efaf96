//! OAuth 1.0a signatures: X's documented worked example ("Creating a signature") and the follow, unfollow and me requests signed with its credentials, with injected nonce and timestamp.

use xfollow::OAuth1Credentials;

const NONCE: &str = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";
const TS: u64 = 1318622958;

fn x_example() -> OAuth1Credentials {
    OAuth1Credentials::new(
        "xvz1evFS4wEEPTGEFPHBog",
        "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
        "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    )
}

/// The header's parameters, decoded, in order.
fn params(header: &str) -> Vec<(String, String)> {
    let rest = header.strip_prefix("OAuth ").expect("OAuth scheme");
    rest.split(", ")
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("k=v");
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .expect("quoted");
            (k.to_owned(), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn signature(header: &str) -> String {
    params(header)
        .into_iter()
        .find(|(k, _)| k == "oauth_signature")
        .unwrap()
        .1
}

const STATUS: &str = "Hello Ladies + Gentlemen, a signed OAuth request!";

#[test]
fn x_worked_example_api_x_com() {
    let h = x_example().authorization_with(
        "POST",
        "https://api.x.com/1.1/statuses/update.json?include_entities=true",
        &[("status", STATUS)],
        Some(NONCE),
        Some(TS),
    );
    assert_eq!(signature(&h), "Ls93hJiZbQ3akF3HF3x1Bz8/zU4=");
}

#[test]
fn x_worked_example_api_twitter_com_and_header_format() {
    let h = x_example().authorization_with(
        "POST",
        "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
        &[("status", STATUS)],
        Some(NONCE),
        Some(TS),
    );
    assert_eq!(
        h,
        "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", \
         oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", \
         oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1318622958\", \
         oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", \
         oauth_version=\"1.0\", oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\""
    );
}

#[test]
fn follow_post_json_body_unsigned() {
    let h = x_example().authorization_with(
        "POST",
        "https://api.x.com/2/users/370773112/following",
        &[],
        Some(NONCE),
        Some(TS),
    );
    assert_eq!(signature(&h), "BovQWZoUxWUtLjZQuxShgaY+qzI=");
}

#[test]
fn unfollow_delete() {
    let h = x_example().authorization_with(
        "DELETE",
        "https://api.x.com/2/users/370773112/following/2244994945",
        &[],
        Some(NONCE),
        Some(TS),
    );
    assert_eq!(signature(&h), "ik8nmaA0EeISVcgx+ZPXxDlqAns=");
}

#[test]
fn me_with_encoded_query() {
    let h = x_example().authorization_with(
        "GET",
        "https://api.x.com/2/users/me?user.fields=created_at%2Cdescription",
        &[],
        Some(NONCE),
        Some(TS),
    );
    assert_eq!(signature(&h), "6LrMvmUKGWB/t3Q+SyTwdj0daEQ=");
    // The same query written with a literal comma signs the same.
    let h2 = x_example().authorization_with(
        "GET",
        "https://api.x.com/2/users/me?user.fields=created_at,description",
        &[],
        Some(NONCE),
        Some(TS),
    );
    assert_eq!(signature(&h2), "6LrMvmUKGWB/t3Q+SyTwdj0daEQ=");
}

#[test]
fn fresh_nonce_and_timestamp_by_default() {
    let c = x_example();
    let a = params(&c.authorization("POST", "https://api.x.com/2/users/370773112/following", &[]));
    let b = params(&c.authorization("POST", "https://api.x.com/2/users/370773112/following", &[]));
    let get = |p: &[(String, String)], k: &str| p.iter().find(|(n, _)| n == k).unwrap().1.clone();
    assert_ne!(get(&a, "oauth_nonce"), get(&b, "oauth_nonce"));
    for p in [&a, &b] {
        let n = get(p, "oauth_nonce");
        assert_eq!(n.len(), 24);
        assert!(n.bytes().all(|c| c.is_ascii_alphanumeric()), "{n}");
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ts: u64 = get(&a, "oauth_timestamp").parse().unwrap();
    assert!(ts.abs_diff(now) <= 5);
    let names: Vec<&str> = a.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "oauth_consumer_key",
            "oauth_nonce",
            "oauth_signature_method",
            "oauth_timestamp",
            "oauth_token",
            "oauth_version",
            "oauth_signature"
        ]
    );
}

#[test]
fn request_token_without_a_token() {
    let h = xfollow::auth::oauth1::authorization_header(&xfollow::auth::oauth1::Signing {
        consumer_key: "GDdmIQH6jhtmLUypg82g",
        consumer_secret: "MCD8BKwGdgPHvAuvgvz4EQpqDAtx89grbuNMRd7Eh98",
        token: None,
        callback: Some("http://localhost:3005/the_dance/process_callback?service_provider_id=11"),
        verifier: None,
        method: "POST",
        url: "https://api.twitter.com/oauth/request_token",
        form: &[],
        nonce: Some("QP70eNmVz8jvdPevU3oJD2AfF7R7odC2XJcn4XlZJqk"),
        timestamp: Some(1272323042),
    });
    assert_eq!(signature(&h), "8wUi7m5HFQy76nowoCThusfgB+Q=");
    let p = params(&h);
    assert!(p.iter().all(|(k, _)| k != "oauth_token"));
    assert!(p.iter().any(|(k, v)| k == "oauth_callback"
        && v == "http://localhost:3005/the_dance/process_callback?service_provider_id=11"));
}
