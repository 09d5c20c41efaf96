//! `x_result` and its codes: the constants come from the one table, `src/error/codes.rs`
//! (build.rs writes the header's `#define`s from it), and so does `x_result_str`.

use crate::error::ErrorKind;
use std::ffi::{c_char, c_int};

/// A status code: `X_SUCCESS` (0) or one of the `X_ERR_*` codes. Codes are stable: they are
/// never renumbered or reused, and new codes are added at the end.
pub type x_result = c_int;

/// Success.
///
/// cbindgen:ignore
// build.rs writes the header's #define with the table's codes.
pub const X_SUCCESS: x_result = 0;

macro_rules! error_codes {
    ($($code:literal, $kind:ident, $c_name:ident, $text:literal, $doc:literal, $c_doc:literal;)*) => {
        $(#[doc = $c_doc] pub const $c_name: x_result = $code;)*
    };
}
include!("../error/codes.rs");

/// Static text for any code, known or not (never NULL, never freed).
#[no_mangle]
pub extern "C" fn x_result_str(code: x_result) -> *const c_char {
    match code {
        X_SUCCESS => c"ok",
        _ => ErrorKind::from_code(code).map_or(c"unknown result code", ErrorKind::as_c_str),
    }
    .as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    const HEADER: &str = include_str!(concat!(env!("OUT_DIR"), "/xfollow.h"));

    #[test]
    fn the_header_defines_every_code_of_the_table_and_no_other() {
        let defines: Vec<(String, i32)> = HEADER
            .lines()
            .filter_map(|l| l.strip_prefix("#define X_"))
            .filter_map(|l| l.split_once(' '))
            .filter(|(n, _)| *n == "SUCCESS" || n.starts_with("ERR_"))
            .map(|(n, v)| (format!("X_{n}"), v.trim().parse().unwrap()))
            .collect();
        let mut table = vec![("X_SUCCESS".to_owned(), X_SUCCESS)];
        table.extend(
            ErrorKind::ALL
                .iter()
                .map(|k| (k.c_name().to_owned(), k.code())),
        );
        assert_eq!(defines, table);
        assert_eq!(ErrorKind::ALL.len(), 16);
        assert_eq!(X_ERR_RATE_LIMITED, ErrorKind::RateLimited.code());
    }

    #[test]
    fn result_str_reads_the_table() {
        let text = |c| {
            // SAFETY: x_result_str returns a static NUL-terminated string for any code.
            unsafe { CStr::from_ptr(x_result_str(c)) }.to_str().unwrap()
        };
        assert_eq!(text(0), "ok");
        for k in ErrorKind::ALL {
            assert_eq!(text(k.code()), k.as_str());
            assert_eq!(ErrorKind::from_code(k.code()), Some(*k));
        }
        assert_eq!(text(5), "rate limited (HTTP 429)");
        assert_eq!(text(17), "unknown result code");
        assert_eq!(text(-1), "unknown result code");
        assert_eq!(ErrorKind::from_code(0), None);
    }
}
