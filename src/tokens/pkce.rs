//! OAuth 2.0 PKCE (RFC 7636): code verifier, challenge, `state`, and the authorize URL.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{Error, Secret};
use crate::form::pct_encode;

/// X's authorize page.
pub const DEFAULT_AUTHORIZE_URL: &str = "https://x.com/i/oauth2/authorize";

/// Shortest verifier RFC 7636 allows.
pub const MIN_VERIFIER_LEN: usize = 43;
/// Longest verifier RFC 7636 allows.
pub const MAX_VERIFIER_LEN: usize = 128;
/// Default verifier length: 64 characters from a 66-character alphabet carry about 386 bits
/// of entropy, half again the 256 bits RFC 7636 recommends, while staying well inside the
/// 43..=128 range that strict servers enforce.
pub const DEFAULT_VERIFIER_LEN: usize = 64;

/// The unreserved characters a verifier is made of (RFC 7636 §4.1).
pub const VERIFIER_ALPHABET: &[u8; 66] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/// Fills `buf` from the operating system's CSPRNG.
pub(crate) fn os_random(buf: &mut [u8]) -> Result<(), Error> {
    use rand::RngCore;
    rand::rngs::OsRng
        .try_fill_bytes(buf)
        .map_err(|e| Error::Io(format!("OS random generator: {e}")))
}

/// How the challenge is derived from the verifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeMethod {
    /// `BASE64URL(SHA256(verifier))` without padding. Always use this one.
    S256,
    /// The verifier itself; only for servers that cannot do S256.
    Plain,
}

impl ChallengeMethod {
    /// The `code_challenge_method` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeMethod::S256 => "S256",
            ChallengeMethod::Plain => "plain",
        }
    }
}

/// A PKCE code verifier. Secret: redacted in `Debug`, zeroized on drop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeVerifier(Secret);

impl CodeVerifier {
    /// A new verifier of [`DEFAULT_VERIFIER_LEN`] characters from the OS CSPRNG.
    pub fn generate() -> Result<Self, Error> {
        Self::generate_with_len(DEFAULT_VERIFIER_LEN)
    }

    /// A new verifier of `len` characters (43..=128) from the OS CSPRNG. Each character is
    /// drawn uniformly from [`VERIFIER_ALPHABET`] by rejection sampling (bytes 198..=255 are
    /// dropped, so `byte % 66` has no bias).
    pub fn generate_with_len(len: usize) -> Result<Self, Error> {
        if !(MIN_VERIFIER_LEN..=MAX_VERIFIER_LEN).contains(&len) {
            return Err(Error::InvalidArgument(format!(
                "code verifier length {len} is outside 43..=128"
            )));
        }
        const LIMIT: u8 = (256 / VERIFIER_ALPHABET.len() * VERIFIER_ALPHABET.len()) as u8; // 198
        let mut out = String::with_capacity(len);
        let mut buf = [0u8; 96];
        while out.len() < len {
            os_random(&mut buf)?;
            for &b in buf.iter() {
                if b < LIMIT && out.len() < len {
                    out.push(char::from(VERIFIER_ALPHABET[(b % 66) as usize]));
                }
            }
        }
        zeroize::Zeroize::zeroize(&mut buf);
        Ok(CodeVerifier(Secret::new(out)))
    }

    /// Wraps an existing verifier after checking its length and alphabet.
    pub fn from_string(verifier: &str) -> Result<Self, Error> {
        let len = verifier.len();
        if !(MIN_VERIFIER_LEN..=MAX_VERIFIER_LEN).contains(&len) {
            return Err(Error::InvalidArgument(format!(
                "code verifier length {len} is outside 43..=128"
            )));
        }
        if !verifier.bytes().all(|b| VERIFIER_ALPHABET.contains(&b)) {
            return Err(Error::InvalidArgument(
                "code verifier has characters outside [A-Za-z0-9-._~]".into(),
            ));
        }
        Ok(CodeVerifier(Secret::new(verifier)))
    }

    /// The verifier, to send with the code exchange.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The challenge for `method`.
    pub fn challenge(&self, method: ChallengeMethod) -> String {
        match method {
            ChallengeMethod::S256 => s256_challenge(self.expose()),
            ChallengeMethod::Plain => self.expose().to_owned(),
        }
    }
}

/// `BASE64URL-ENCODE(SHA256(ASCII(verifier)))` without padding.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A random `state` value: 32 bytes from the OS CSPRNG, base64url without padding
/// (43 characters).
pub fn random_state() -> Result<String, Error> {
    let mut buf = [0u8; 32];
    os_random(&mut buf)?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// Constant-time comparison of two strings (used for `state` and tokens in callbacks).
pub(crate) fn ct_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The parts of an authorization request, in the order they appear in the URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizeParams<'a> {
    /// Authorize page; [`DEFAULT_AUTHORIZE_URL`] for X.
    pub authorize_url: &'a str,
    /// The app's OAuth 2.0 client id.
    pub client_id: &'a str,
    /// The redirect URI, exactly as registered with the app.
    pub redirect_uri: &'a str,
    /// Scopes, joined by spaces (sent as `%20`).
    pub scopes: &'a [String],
    /// The random `state` to check on the callback.
    pub state: &'a str,
    /// The code challenge.
    pub code_challenge: &'a str,
    /// How the challenge was made.
    pub method: ChallengeMethod,
}

/// Builds the authorize URL:
/// `base?response_type=code&client_id=..&redirect_uri=..&scope=..&state=..&code_challenge=..&code_challenge_method=S256`.
/// Every value is percent-encoded (RFC 3986; spaces as `%20`). If the base already has a
/// query, the parameters are appended with `&`.
pub fn authorize_url(p: &AuthorizeParams<'_>) -> String {
    let scope = p.scopes.join(" ");
    let pairs = [
        ("response_type", "code"),
        ("client_id", p.client_id),
        ("redirect_uri", p.redirect_uri),
        ("scope", scope.as_str()),
        ("state", p.state),
        ("code_challenge", p.code_challenge),
        ("code_challenge_method", p.method.as_str()),
    ];
    let sep = if p.authorize_url.contains('?') {
        '&'
    } else {
        '?'
    };
    let mut url = String::from(p.authorize_url);
    url.push(sep);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            url.push('&');
        }
        url.push_str(k);
        url.push('=');
        url.push_str(&pct_encode(v));
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        let v = CodeVerifier::from_string("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(
            v.challenge(ChallengeMethod::S256),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(
            v.challenge(ChallengeMethod::Plain),
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        );
    }

    #[test]
    fn verifier_lengths_and_alphabet() {
        for len in [43, 44, 64, 100, 127, 128] {
            for _ in 0..50 {
                let v = CodeVerifier::generate_with_len(len).unwrap();
                assert_eq!(v.expose().len(), len);
                assert!(v.expose().bytes().all(|b| VERIFIER_ALPHABET.contains(&b)));
            }
        }
        assert_eq!(CodeVerifier::generate().unwrap().expose().len(), 64);
        for len in [0, 42, 129, 1000] {
            assert_eq!(
                CodeVerifier::generate_with_len(len),
                Err(Error::InvalidArgument(format!(
                    "code verifier length {len} is outside 43..=128"
                )))
            );
        }
    }

    #[test]
    fn verifiers_cover_the_whole_alphabet_evenly() {
        // 2,000 draws of 128 characters: 256,000 characters, about 3,879 per symbol.
        let mut counts = [0u32; 256];
        for _ in 0..2000 {
            for b in CodeVerifier::generate_with_len(128)
                .unwrap()
                .expose()
                .bytes()
            {
                counts[b as usize] += 1;
            }
        }
        let expected = 256_000.0 / 66.0;
        for &c in VERIFIER_ALPHABET {
            let n = counts[c as usize] as f64;
            // Binomial sd is about 61; 8 sd either side fails only on a real bias.
            assert!(
                (n - expected).abs() < 500.0,
                "symbol {} drawn {n} times, expected about {expected}",
                c as char
            );
        }
        let total: u32 = counts.iter().sum();
        assert_eq!(total, 256_000);
    }

    #[test]
    fn two_verifiers_differ() {
        let a = CodeVerifier::generate().unwrap();
        let b = CodeVerifier::generate().unwrap();
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn from_string_checks() {
        assert!(CodeVerifier::from_string(&"a".repeat(43)).is_ok());
        assert_eq!(
            CodeVerifier::from_string(&format!("{}+", "a".repeat(43))),
            Err(Error::InvalidArgument(
                "code verifier has characters outside [A-Za-z0-9-._~]".into()
            ))
        );
        assert!(CodeVerifier::from_string(&"a".repeat(42)).is_err());
    }

    #[test]
    fn verifier_debug_is_redacted() {
        let v = CodeVerifier::from_string("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(format!("{v:?}"), "CodeVerifier(\"<redacted>\")");
    }

    #[test]
    fn state_is_43_url_safe_chars_and_random() {
        let a = random_state().unwrap();
        let b = random_state().unwrap();
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
    }

    #[test]
    fn constant_time_eq() {
        assert!(ct_eq("abc", "abc"));
        assert!(!ct_eq("abc", "abd"));
        assert!(!ct_eq("abc", "abcd"));
        assert!(ct_eq("", ""));
    }

    #[test]
    fn authorize_url_exact() {
        let scopes: Vec<String> = [
            "tweet.read",
            "users.read",
            "follows.write",
            "offline.access",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let url = authorize_url(&AuthorizeParams {
            authorize_url: DEFAULT_AUTHORIZE_URL,
            client_id: "M1M5R3BMVy13QmpScXkzTUt5OE46MTpjaQ",
            redirect_uri: "http://127.0.0.1:8765/callback",
            scopes: &scopes,
            state: "st4te-_x",
            code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            method: ChallengeMethod::S256,
        });
        assert_eq!(
            url,
            "https://x.com/i/oauth2/authorize?response_type=code\
             &client_id=M1M5R3BMVy13QmpScXkzTUt5OE46MTpjaQ\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback\
             &scope=tweet.read%20users.read%20follows.write%20offline.access\
             &state=st4te-_x\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256"
        );
    }

    #[test]
    fn authorize_url_with_custom_base_and_query() {
        let scopes = vec!["users.read".to_string()];
        let url = authorize_url(&AuthorizeParams {
            authorize_url: "http://127.0.0.1:9000/i/oauth2/authorize?lang=en",
            client_id: "c i",
            redirect_uri: "app://cb",
            scopes: &scopes,
            state: "s",
            code_challenge: "plainverifier",
            method: ChallengeMethod::Plain,
        });
        assert_eq!(
            url,
            "http://127.0.0.1:9000/i/oauth2/authorize?lang=en&response_type=code&client_id=c%20i\
             &redirect_uri=app%3A%2F%2Fcb&scope=users.read&state=s&code_challenge=plainverifier\
             &code_challenge_method=plain"
        );
    }
}
