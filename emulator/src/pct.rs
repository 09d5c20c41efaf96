//! Percent-encoding as RFC 3986 / RFC 5849 define it, and form decoding.

/// Encodes every byte outside the RFC 3986 unreserved set as `%XX` (uppercase hex).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes; `plus_is_space` also turns `+` into a space (form encoding).
/// Returns `None` for a malformed escape or a result that is not UTF-8.
pub fn decode_with(s: &str, plus_is_space: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = hex(*bytes.get(i + 1)?)?;
                let lo = hex(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Strict percent-decoding (`+` stays `+`).
pub fn decode(s: &str) -> Option<String> {
    decode_with(s, false)
}

/// Parses `application/x-www-form-urlencoded` text (also used for query strings).
/// Malformed escapes are kept verbatim rather than dropped.
pub fn parse_form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                decode_with(k, true).unwrap_or_else(|| k.to_string()),
                decode_with(v, true).unwrap_or_else(|| v.to_string()),
            )
        })
        .collect()
}

/// Builds `k=v&k=v` with RFC 3986 encoding.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_and_utf8() {
        assert_eq!(encode("Ladies + Gentlemen"), "Ladies%20%2B%20Gentlemen");
        assert_eq!(encode("An encoded string!"), "An%20encoded%20string%21");
        assert_eq!(encode("Dogs, Cats & Mice"), "Dogs%2C%20Cats%20%26%20Mice");
        assert_eq!(encode("☃"), "%E2%98%83");
        assert_eq!(encode("a-b.c_d~e"), "a-b.c_d~e");
    }

    #[test]
    fn decodes() {
        assert_eq!(decode("a%20b+c").as_deref(), Some("a b+c"));
        assert_eq!(decode_with("a%20b+c", true).as_deref(), Some("a b c"));
        assert_eq!(decode("%E2%98%83").as_deref(), Some("☃"));
        assert_eq!(decode("%zz"), None);
        assert_eq!(decode("%4"), None);
        assert_eq!(
            parse_form("a=1&b=x+y&c&d=%21"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "".into()),
                ("d".into(), "!".into())
            ]
        );
    }
}
