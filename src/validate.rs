//! Input checks done before any network traffic.

use crate::error::Error;

/// Maximum length of a user id (`^[0-9]{1,19}$`).
pub const MAX_ID_LEN: usize = 19;
/// Maximum length of a username (`^[A-Za-z0-9_]{1,15}$`).
pub const MAX_USERNAME_LEN: usize = 15;

/// True when `s` matches `^[0-9]{1,19}$`.
pub fn is_user_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_ID_LEN && s.bytes().all(|b| b.is_ascii_digit())
}

/// True when `s` matches `^[A-Za-z0-9_]{1,15}$`.
pub fn is_username(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_USERNAME_LEN
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Checks a user id; `what` names the argument in the error message.
pub fn user_id(what: &str, s: &str) -> Result<(), Error> {
    if is_user_id(s) {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "{what} must be a user id of 1 to 19 digits"
        )))
    }
}

/// Checks a username.
pub fn username(s: &str) -> Result<(), Error> {
    if is_username(s) {
        Ok(())
    } else {
        Err(Error::invalid_argument(
            "username must be 1 to 15 characters of A-Z, a-z, 0-9 and _",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(is_user_id("0"));
        assert!(is_user_id("1500000000000000001"));
        assert!(is_user_id("9999999999999999999"));
        assert!(!is_user_id(""));
        assert!(!is_user_id("15000000000000000011")); // 20 digits
        assert!(!is_user_id("12a"));
        assert!(!is_user_id(" 12"));
        assert!(!is_user_id("-1"));
        assert!(!is_user_id("１２")); // full-width digits
        assert!(!is_user_id("12/../me"));
    }

    #[test]
    fn usernames() {
        assert!(is_username("a"));
        assert!(is_username("XDevelopers"));
        assert!(is_username("abc_DEF_12345ab")); // 15
        assert!(!is_username("abc_DEF_12345abc")); // 16
        assert!(!is_username(""));
        assert!(!is_username("al ice"));
        assert!(!is_username("alice?x=1"));
        assert!(!is_username("älice"));
        assert!(!is_username("al-ice"));
    }

    #[test]
    fn messages() {
        let e = user_id("target", "x").unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::InvalidArgument);
        assert_eq!(e.message(), "target must be a user id of 1 to 19 digits");
        assert!(!e.may_have_reached_server());
        let e = username("a b").unwrap_err();
        assert_eq!(
            e.message(),
            "username must be 1 to 15 characters of A-Z, a-z, 0-9 and _"
        );
    }
}
