//! Percent-encoding (RFC 3986) and `application/x-www-form-urlencoded` decoding: token
//! endpoint forms, redirect queries, and the query parameters an OAuth 1.0a signature covers.

use zeroize::Zeroizing;

/// Percent-encodes every byte except the RFC 3986 unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`), with uppercase hex digits; a space becomes `%20`.
pub(crate) fn pct_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(HEX[(b >> 4) as usize]));
            out.push(char::from(HEX[(b & 15) as usize]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Builds `k=v&k=v` with both sides percent-encoded.
pub(crate) fn encode_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&pct_encode(k.as_ref()));
        out.push('=');
        out.push_str(&pct_encode(v.as_ref()));
    }
    out
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one form component: `+` is a space, `%XX` a byte; a `%` not followed by two hex
/// digits stays as it is. Invalid UTF-8 is replaced (U+FFFD).
pub(crate) fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                match (
                    bytes.get(i + 1).copied().and_then(hex_value),
                    bytes.get(i + 2).copied().and_then(hex_value),
                ) {
                    (Some(h), Some(l)) => {
                        out.push(h << 4 | l);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    // Moved, not copied, so that no unwiped copy of a decoded secret is left behind.
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => {
            let mut bytes = e.into_bytes();
            let s = String::from_utf8_lossy(&bytes).into_owned();
            zeroize::Zeroize::zeroize(&mut bytes);
            s
        }
    }
}

/// Parses `k=v&k=v` (a form body or a URL query). Empty pieces are skipped; a piece without
/// `=` has an empty value. Order and repeats are kept. The pairs hold secrets (token
/// secrets, verifiers, codes): they are wiped when dropped.
pub(crate) fn parse_pairs(s: &str) -> Zeroizing<Vec<(String, String)>> {
    Zeroizing::new(
        s.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (form_decode(k), form_decode(v)),
                None => (form_decode(p), String::new()),
            })
            .collect(),
    )
}

/// The first value of `key`, if any.
pub(crate) fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_rfc3986() {
        assert_eq!(pct_encode("a b+c/~._-Z9"), "a%20b%2Bc%2F~._-Z9");
        assert_eq!(pct_encode("é"), "%C3%A9");
        assert_eq!(encode_pairs(&[("a b", "c&d"), ("e", "")]), "a%20b=c%26d&e=");
    }

    #[test]
    fn decodes_forms() {
        assert_eq!(form_decode("a+b%20c%2b"), "a b c+");
        assert_eq!(form_decode("100%"), "100%");
        assert_eq!(form_decode("%4"), "%4");
        assert_eq!(form_decode("%zz"), "%zz");
        assert_eq!(form_decode("%C3%A9"), "é");
        let p = parse_pairs("a=1&&b&c=x%3Dy&a=2");
        assert_eq!(
            *p,
            vec![
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), String::new()),
                ("c".to_owned(), "x=y".to_owned()),
                ("a".to_owned(), "2".to_owned()),
            ]
        );
        assert_eq!(get(&p, "a"), Some("1"));
        assert_eq!(get(&p, "z"), None);
    }
}
