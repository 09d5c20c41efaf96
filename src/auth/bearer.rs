//! OAuth 2.0 user access tokens sent as `Authorization: Bearer`.

use super::secret::Secret;

/// The `Authorization` header value for a bearer token.
pub(crate) fn authorization(token: &Secret) -> String {
    let mut s = String::with_capacity(7 + token.expose().len());
    s.push_str("Bearer ");
    s.push_str(token.expose());
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn header() {
        let t = super::Secret::new("abc");
        assert_eq!(super::authorization(&t), "Bearer abc");
    }
}
