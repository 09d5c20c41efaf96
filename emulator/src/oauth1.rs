//! OAuth 1.0a (RFC 5849) HMAC-SHA1: base string, signature, header parsing and a signer.
//!
//! This is the emulator's own implementation, independent of any client library, so that it
//! can judge clients' signatures.

use crate::pct;
use base64::Engine;
use ring::hmac;

/// `scheme://host[:port]/path` as RFC 5849 section 3.4.1.2 normalises it: scheme and host in
/// lowercase, the default port (80 for http, 443 for https) dropped, the path as sent.
pub fn base_uri(scheme: &str, host: &str, path: &str) -> String {
    let scheme = scheme.to_ascii_lowercase();
    let mut host = host.to_ascii_lowercase();
    let default = if scheme == "https" { ":443" } else { ":80" };
    if host.ends_with(default) {
        host.truncate(host.len() - default.len());
    }
    let path = if path.is_empty() { "/" } else { path };
    format!("{scheme}://{host}{path}")
}

/// The normalised parameter string: every pair percent-encoded, sorted by name then value,
/// joined as `k=v&k=v`. `oauth_signature` and `realm` must already be left out.
pub fn normalized_params(params: &[(String, String)]) -> String {
    let mut enc: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (pct::encode(k), pct::encode(v)))
        .collect();
    enc.sort();
    enc.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD&pct(base_uri)&pct(normalized params)`.
pub fn base_string(method: &str, base_uri: &str, params: &[(String, String)]) -> String {
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        pct::encode(base_uri),
        pct::encode(&normalized_params(params))
    )
}

/// Base64 HMAC-SHA1 of the base string with key `pct(consumer_secret)&pct(token_secret)`.
pub fn sign(base_string: &str, consumer_secret: &str, token_secret: Option<&str>) -> String {
    let key = format!(
        "{}&{}",
        pct::encode(consumer_secret),
        pct::encode(token_secret.unwrap_or(""))
    );
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key.as_bytes());
    let tag = hmac::sign(&key, base_string.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

/// Checks a received signature in constant time.
pub fn verify(
    base_string: &str,
    consumer_secret: &str,
    token_secret: Option<&str>,
    signature: &str,
) -> bool {
    let key = format!(
        "{}&{}",
        pct::encode(consumer_secret),
        pct::encode(token_secret.unwrap_or(""))
    );
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key.as_bytes());
    match base64::engine::general_purpose::STANDARD.decode(signature.trim()) {
        Ok(sig) => hmac::verify(&key, base_string.as_bytes(), &sig).is_ok(),
        Err(_) => false,
    }
}

/// Parses an `Authorization: OAuth k="v", ...` header into decoded pairs (realm excluded).
/// Returns `None` when the scheme is not OAuth or a pair is malformed.
pub fn parse_authorization(header: &str) -> Option<Vec<(String, String)>> {
    let header = header.trim();
    let (scheme, rest) = header.split_at(header.find(' ').unwrap_or(header.len()));
    if !scheme.eq_ignore_ascii_case("OAuth") {
        return None;
    }
    let mut out = Vec::new();
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=')?;
        let k = k.trim();
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        if k.eq_ignore_ascii_case("realm") {
            continue;
        }
        out.push((pct::decode(k)?, pct::decode(v)?));
    }
    Some(out)
}

/// What a client needs to sign one request.
pub struct Credentials<'a> {
    pub consumer_key: &'a str,
    pub consumer_secret: &'a str,
    pub token: Option<&'a str>,
    pub token_secret: Option<&'a str>,
}

/// Signs a request and returns the `Authorization` header value.
///
/// `url` is `scheme://host[:port]/path[?query]`; `form` holds form-encoded body parameters
/// (empty for JSON or no body); `extra_oauth` adds `oauth_callback` / `oauth_verifier`.
pub fn authorization_header(
    method: &str,
    url: &str,
    form: &[(String, String)],
    creds: &Credentials<'_>,
    nonce: &str,
    timestamp: u64,
    extra_oauth: &[(&str, &str)],
) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let (hostpath, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (host, path) = match hostpath.find('/') {
        Some(i) => (&hostpath[..i], &hostpath[i..]),
        None => (hostpath, "/"),
    };
    let ts = timestamp.to_string();
    let mut oauth: Vec<(String, String)> = vec![
        ("oauth_consumer_key".into(), creds.consumer_key.into()),
        ("oauth_nonce".into(), nonce.into()),
        ("oauth_signature_method".into(), "HMAC-SHA1".into()),
        ("oauth_timestamp".into(), ts),
        ("oauth_version".into(), "1.0".into()),
    ];
    if let Some(t) = creds.token {
        oauth.push(("oauth_token".into(), t.into()));
    }
    for (k, v) in extra_oauth {
        oauth.push(((*k).into(), (*v).into()));
    }
    let mut all = oauth.clone();
    all.extend(pct::parse_form(query));
    all.extend(form.iter().cloned());
    let base = base_string(method, &base_uri(scheme, host, path), &all);
    let sig = sign(&base, creds.consumer_secret, creds.token_secret);
    oauth.push(("oauth_signature".into(), sig));
    oauth.sort();
    let parts: Vec<String> = oauth
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", pct::encode(k), pct::encode(v)))
        .collect();
    format!("OAuth {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CK: &str = "xvz1evFS4wEEPTGEFPHBog";
    const CS: &str = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
    const TOKEN: &str = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb";
    const TS_SECRET: &str = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";
    const NONCE: &str = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";
    const TS: &str = "1318622958";

    fn oauth_params() -> Vec<(String, String)> {
        vec![
            ("oauth_consumer_key".into(), CK.into()),
            ("oauth_nonce".into(), NONCE.into()),
            ("oauth_signature_method".into(), "HMAC-SHA1".into()),
            ("oauth_timestamp".into(), TS.into()),
            ("oauth_token".into(), TOKEN.into()),
            ("oauth_version".into(), "1.0".into()),
        ]
    }

    fn status_params() -> Vec<(String, String)> {
        let mut p = oauth_params();
        p.push(("include_entities".into(), "true".into()));
        p.push((
            "status".into(),
            "Hello Ladies + Gentlemen, a signed OAuth request!".into(),
        ));
        p
    }

    #[test]
    fn x_worked_example_base_string_and_signature_api_twitter_com() {
        let uri = base_uri("https", "api.twitter.com", "/1.1/statuses/update.json");
        let base = base_string("POST", &uri, &status_params());
        assert_eq!(
            base,
            "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521"
        );
        assert_eq!(
            sign(&base, CS, Some(TS_SECRET)),
            "hCtSmYh+iHYCEqBWrE7C7hYmtUk="
        );
        assert!(verify(
            &base,
            CS,
            Some(TS_SECRET),
            "hCtSmYh+iHYCEqBWrE7C7hYmtUk="
        ));
        assert!(!verify(
            &base,
            CS,
            Some("wrong"),
            "hCtSmYh+iHYCEqBWrE7C7hYmtUk="
        ));
    }

    #[test]
    fn x_worked_example_api_x_com() {
        let uri = base_uri("https", "api.x.com", "/1.1/statuses/update.json");
        let base = base_string("POST", &uri, &status_params());
        assert_eq!(
            base,
            "POST&https%3A%2F%2Fapi.x.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521"
        );
        assert_eq!(
            sign(&base, CS, Some(TS_SECRET)),
            "Ls93hJiZbQ3akF3HF3x1Bz8/zU4="
        );
    }

    #[test]
    fn follow_vector_json_body_unsigned() {
        let uri = base_uri("https", "api.x.com", "/2/users/370773112/following");
        let base = base_string("POST", &uri, &oauth_params());
        assert_eq!(
            base,
            "POST&https%3A%2F%2Fapi.x.com%2F2%2Fusers%2F370773112%2Ffollowing&oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0"
        );
        assert_eq!(
            sign(&base, CS, Some(TS_SECRET)),
            "BovQWZoUxWUtLjZQuxShgaY+qzI="
        );
    }

    #[test]
    fn unfollow_vector() {
        let uri = base_uri(
            "https",
            "api.x.com",
            "/2/users/370773112/following/2244994945",
        );
        let base = base_string("DELETE", &uri, &oauth_params());
        assert_eq!(
            base,
            "DELETE&https%3A%2F%2Fapi.x.com%2F2%2Fusers%2F370773112%2Ffollowing%2F2244994945&oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0"
        );
        assert_eq!(
            sign(&base, CS, Some(TS_SECRET)),
            "ik8nmaA0EeISVcgx+ZPXxDlqAns="
        );
    }

    #[test]
    fn me_vector_with_query() {
        let uri = base_uri("https", "api.x.com", "/2/users/me");
        let mut p = oauth_params();
        p.extend(pct::parse_form("user.fields=created_at,description"));
        let base = base_string("GET", &uri, &p);
        assert_eq!(
            base,
            "GET&https%3A%2F%2Fapi.x.com%2F2%2Fusers%2Fme&oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26user.fields%3Dcreated_at%252Cdescription"
        );
        assert_eq!(
            sign(&base, CS, Some(TS_SECRET)),
            "6LrMvmUKGWB/t3Q+SyTwdj0daEQ="
        );
    }

    #[test]
    fn request_token_vector_without_token() {
        let uri = base_uri("https", "api.twitter.com", "/oauth/request_token");
        let p: Vec<(String, String)> = vec![
            (
                "oauth_callback".into(),
                "http://localhost:3005/the_dance/process_callback?service_provider_id=11".into(),
            ),
            ("oauth_consumer_key".into(), "GDdmIQH6jhtmLUypg82g".into()),
            (
                "oauth_nonce".into(),
                "QP70eNmVz8jvdPevU3oJD2AfF7R7odC2XJcn4XlZJqk".into(),
            ),
            ("oauth_signature_method".into(), "HMAC-SHA1".into()),
            ("oauth_timestamp".into(), "1272323042".into()),
            ("oauth_version".into(), "1.0".into()),
        ];
        let base = base_string("POST", &uri, &p);
        assert_eq!(
            base,
            "POST&https%3A%2F%2Fapi.twitter.com%2Foauth%2Frequest_token&oauth_callback%3Dhttp%253A%252F%252Flocalhost%253A3005%252Fthe_dance%252Fprocess_callback%253Fservice_provider_id%253D11%26oauth_consumer_key%3DGDdmIQH6jhtmLUypg82g%26oauth_nonce%3DQP70eNmVz8jvdPevU3oJD2AfF7R7odC2XJcn4XlZJqk%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1272323042%26oauth_version%3D1.0"
        );
        assert_eq!(
            sign(&base, "MCD8BKwGdgPHvAuvgvz4EQpqDAtx89grbuNMRd7Eh98", None),
            "8wUi7m5HFQy76nowoCThusfgB+Q="
        );
    }

    #[test]
    fn signer_reproduces_vector_and_header_round_trips() {
        let creds = Credentials {
            consumer_key: CK,
            consumer_secret: CS,
            token: Some(TOKEN),
            token_secret: Some(TS_SECRET),
        };
        let h = authorization_header(
            "POST",
            "https://api.x.com/2/users/370773112/following",
            &[],
            &creds,
            NONCE,
            1318622958,
            &[],
        );
        let parsed = parse_authorization(&h).unwrap();
        let sig = parsed.iter().find(|(k, _)| k == "oauth_signature").unwrap();
        assert_eq!(sig.1, "BovQWZoUxWUtLjZQuxShgaY+qzI=");
        assert!(h.contains("oauth_signature=\"BovQWZoUxWUtLjZQuxShgaY%2BqzI%3D\""));
        // With a query string and a form body, as the worked example.
        let form = vec![(
            "status".to_string(),
            "Hello Ladies + Gentlemen, a signed OAuth request!".to_string(),
        )];
        let h = authorization_header(
            "POST",
            "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
            &form,
            &creds,
            NONCE,
            1318622958,
            &[],
        );
        assert!(h.contains("oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\""));
    }

    #[test]
    fn base_uri_normalisation() {
        assert_eq!(
            base_uri("HTTP", "Example.COM:80", "/r%20v"),
            "http://example.com/r%20v"
        );
        assert_eq!(
            base_uri("https", "example.com:443", "/"),
            "https://example.com/"
        );
        assert_eq!(
            base_uri("http", "127.0.0.1:8080", "/a"),
            "http://127.0.0.1:8080/a"
        );
        assert_eq!(base_uri("https", "h:80", "/a"), "https://h:80/a");
    }

    #[test]
    fn parses_header() {
        let p = parse_authorization(
            "OAuth realm=\"x\", oauth_consumer_key=\"a%20b\",oauth_nonce=\"n\"",
        )
        .unwrap();
        assert_eq!(
            p,
            vec![
                ("oauth_consumer_key".to_string(), "a b".to_string()),
                ("oauth_nonce".to_string(), "n".to_string())
            ]
        );
        assert!(parse_authorization("Bearer abc").is_none());
        assert!(parse_authorization("OAuth broken").is_none());
    }
}
