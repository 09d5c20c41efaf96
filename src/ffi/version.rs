//! Library version, checked against Cargo.toml by the tests.

use super::boundary;
use std::ffi::c_char;

/// Major version of the library this header belongs to.
pub const X_VERSION_MAJOR: u32 = 0;
/// Minor version.
pub const X_VERSION_MINOR: u32 = 1;
/// Patch version.
pub const X_VERSION_PATCH: u32 = 0;
/// MAJOR * 10000 + MINOR * 100 + PATCH, as returned by x_version_number().
pub const X_VERSION_NUMBER: u32 = 100;

/// The library's version, e.g. "0.1.0" (static; never freed).
#[no_mangle]
pub extern "C" fn x_version() -> *const c_char {
    boundary!(default = c"".as_ptr(), {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    })
}

/// The library's version as MAJOR * 10000 + MINOR * 100 + PATCH (compare with
/// X_VERSION_NUMBER to detect a header/library mismatch).
#[no_mangle]
pub extern "C" fn x_version_number() -> u32 {
    boundary!(default = 0, {
        let p = |s: &str| s.parse::<u32>().unwrap_or(0);
        p(env!("CARGO_PKG_VERSION_MAJOR")) * 10000
            + p(env!("CARGO_PKG_VERSION_MINOR")) * 100
            + p(env!("CARGO_PKG_VERSION_PATCH"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macros_match_cargo_toml() {
        assert_eq!(X_VERSION_MAJOR.to_string(), env!("CARGO_PKG_VERSION_MAJOR"));
        assert_eq!(X_VERSION_MINOR.to_string(), env!("CARGO_PKG_VERSION_MINOR"));
        assert_eq!(X_VERSION_PATCH.to_string(), env!("CARGO_PKG_VERSION_PATCH"));
        assert_eq!(X_VERSION_NUMBER, x_version_number());
        assert_eq!(
            X_VERSION_NUMBER,
            X_VERSION_MAJOR * 10000 + X_VERSION_MINOR * 100 + X_VERSION_PATCH
        );
        // SAFETY: static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(x_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
