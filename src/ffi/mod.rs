//! The C ABI: panic boundary, pointer and UTF-8 checks, handle casts, the thread-local
//! last error and type conversions. No business logic lives here. All `unsafe` code of
//! the crate is in this module.
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

mod client;
mod config;
mod last_error;
mod plan;
mod quota;
mod result;
mod retry;
mod tokens;
mod version;
mod lookups;

use crate::error::Error;
use std::any::Any;
use std::cell::Cell;
use std::ffi::{c_char, c_int, CStr, CString};
use std::sync::Once;

pub use client::*;
pub use config::*;
pub use last_error::*;
pub use plan::*;
pub use quota::*;
pub use result::*;
pub use retry::*;
pub use tokens::*;
pub use version::*;
pub use lookups::*;

/// A status code: `X_SUCCESS` (0) or one of the `X_ERR_*` codes. Codes are stable: they are
/// never renumbered or reused, and new codes are added at the end.
pub type x_result = c_int;

/// Success.
pub const X_SUCCESS: x_result = 0;
/// A NULL pointer, invalid UTF-8, a malformed id or username, an out-of-range option or
/// an incomplete configuration. Detected before any network traffic.
pub const X_ERR_INVALID_ARGUMENT: x_result = 1;
/// HTTP 401: the credentials were refused. Also a token flow that was refused: the token
/// endpoint's OAuth error (the provider's message is in x_last_error_message, the OAuth
/// `error` code in x_last_error_title), a failed refresh, a `state` or token mismatch on a
/// callback, or a denied authorization.
pub const X_ERR_UNAUTHORIZED: x_result = 2;
/// HTTP 403: not allowed (wrong source user, app not enrolled...).
pub const X_ERR_FORBIDDEN: x_result = 3;
/// HTTP 404 or a resource-not-found problem.
pub const X_ERR_NOT_FOUND: x_result = 4;
/// HTTP 429: rate limited; see x_last_error_retry_at().
pub const X_ERR_RATE_LIMITED: x_result = 5;
/// Could not connect, or the connection broke.
pub const X_ERR_NETWORK: x_result = 6;
/// The connect or overall timeout expired.
pub const X_ERR_TIMEOUT: x_result = 7;
/// TLS handshake or certificate verification failed.
pub const X_ERR_TLS: x_result = 8;
/// HTTP 5xx.
pub const X_ERR_SERVER: x_result = 9;
/// A malformed or unexpected response (bad JSON, missing fields).
pub const X_ERR_PROTOCOL: x_result = 10;
/// Any other API error (HTTP 400 and other 4xx).
pub const X_ERR_API: x_result = 11;
/// A panic inside the library was caught at the boundary.
pub const X_ERR_PANIC: x_result = 12;
/// A follow or unfollow refused locally by the quota ledger, without a request: a daily cap
/// is reached. x_last_error_next_free_at() tells when a slot frees.
pub const X_ERR_QUOTA_EXHAUSTED: x_result = 13;
/// The quota ledger's store failed (SQLite I/O, Redis unreachable); nothing was sent.
pub const X_ERR_QUOTA_STORE: x_result = 14;
/// Cancelled by x_client_cancel(): before the first attempt, during an attempt on a direct
/// connection, or while waiting to retry.
pub const X_ERR_CANCELLED: x_result = 15;
/// The OAuth 2.0 token store could not be read, locked or written (or is readable by
/// group or others), or a refreshed token set could not be persisted.
pub const X_ERR_TOKEN_STORE: x_result = 16;

/// Runs an exported function's body, turning a panic into `X_ERR_PANIC` (with the last
/// error set to the panic's message) or into the given safe default for functions that do
/// not return a code. A panic caught here prints nothing (see [`Inside`]).
macro_rules! boundary {
    ($body:block) => {{
        let _inside = $crate::ffi::Inside::enter();
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(
            || -> $crate::ffi::x_result { $body },
        )) {
            Ok(code) => code,
            Err(payload) => {
                $crate::ffi::last_error::set($crate::error::Error::panic(
                    $crate::ffi::panic_message(&*payload),
                ));
                $crate::ffi::X_ERR_PANIC
            }
        }
    }};
    (default = $default:expr, $body:block) => {{
        let _inside = $crate::ffi::Inside::enter();
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(_) => $default,
        }
    }};
}
pub(crate) use boundary;

thread_local! {
    /// How many boundaries this thread is inside.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Marks the current thread as inside a boundary while it lives. The first one installs a
/// panic hook that stays silent for panics inside a boundary (they are reported through the
/// last error, not on the host's stderr) and hands every other panic to the previous hook.
pub(crate) struct Inside(());

impl Inside {
    pub(crate) fn enter() -> Inside {
        static HOOK: Once = Once::new();
        // set_hook panics when called during a panic; the hook waits for a later call then.
        if !std::thread::panicking() {
            HOOK.call_once(|| {
                let previous = std::panic::take_hook();
                std::panic::set_hook(Box::new(move |info| {
                    if DEPTH.try_with(Cell::get).unwrap_or(0) == 0 {
                        previous(info);
                    }
                }));
            });
        }
        let _ = DEPTH.try_with(|d| d.set(d.get().saturating_add(1)));
        Inside(())
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        let _ = DEPTH.try_with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// The last error message for a caught panic: its own message when it has one.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
    match what {
        Some(m) => format!("internal panic caught at the C boundary: {m}"),
        None => "internal panic caught at the C boundary".to_owned(),
    }
}

/// Records `e` as the thread's last error and returns its code.
pub(crate) fn fail(e: Error) -> x_result {
    let code = e.kind().code();
    last_error::set(e);
    code
}

/// Borrows a C string argument as UTF-8; `what` names it in the error message.
pub(crate) unsafe fn arg_str<'a>(p: *const c_char, what: &str) -> Result<&'a str, Error> {
    if p.is_null() {
        return Err(Error::invalid_argument(format!("{what} is NULL")));
    }
    // SAFETY: the caller passes a NUL-terminated string that outlives this call.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str()
        .map_err(|_| Error::invalid_argument(format!("{what} is not valid UTF-8")))
}

/// Like [`arg_str`], with NULL meaning "not given".
pub(crate) unsafe fn arg_opt_str<'a>(
    p: *const c_char,
    what: &str,
) -> Result<Option<&'a str>, Error> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { arg_str(p, what) }.map(Some)
    }
}

/// Borrows a handle; NULL is an invalid argument.
pub(crate) unsafe fn handle<'a, T>(p: *const T, what: &str) -> Result<&'a T, Error> {
    // SAFETY: non-NULL handles come from this library's constructors and are live.
    unsafe { p.as_ref() }.ok_or_else(|| Error::invalid_argument(format!("{what} is NULL")))
}

/// Writes `v` through an out-pointer (checked non-NULL beforehand).
pub(crate) unsafe fn write_out<T>(out: *mut T, v: T) {
    // SAFETY: `out` was checked non-NULL and points to writable storage for a T.
    unsafe { out.write(v) }
}

pub(crate) fn check_out<T>(out: *mut T, what: &str) -> Result<(), Error> {
    if out.is_null() {
        Err(Error::invalid_argument(format!("{what} is NULL")))
    } else {
        Ok(())
    }
}

/// Runs `f` with the last error cleared; a failure becomes the last error and its code.
pub(crate) fn status(f: impl FnOnce() -> Result<(), Error>) -> x_result {
    last_error::clear();
    match f() {
        Ok(()) => X_SUCCESS,
        Err(e) => fail(e),
    }
}

/// Like [`status`] for a function with one out-parameter, `what`: checked non-NULL before
/// `f` runs, written with `into(value)` only when `f` succeeds.
fn out_with<T, P>(
    out: *mut P,
    what: &str,
    f: impl FnOnce() -> Result<T, Error>,
    into: impl FnOnce(T) -> P,
) -> x_result {
    status(|| {
        check_out(out, what)?;
        let v = f()?;
        // SAFETY: `out` was checked non-NULL.
        unsafe { write_out(out, into(v)) };
        Ok(())
    })
}

/// Writes the value `f` makes through `out` as a new handle (freed by its type's `_free`).
pub(crate) fn out_handle<T>(out: *mut *mut T, f: impl FnOnce() -> Result<T, Error>) -> x_result {
    out_with(out, "out", f, |v| Box::into_raw(Box::new(v)))
}

/// Writes the string `f` makes through `out` (named `what` in errors), to be freed with
/// x_string_free.
pub(crate) fn out_string(
    out: *mut *mut c_char,
    what: &str,
    f: impl FnOnce() -> Result<CString, Error>,
) -> x_result {
    out_with(out, what, f, CString::into_raw)
}

/// Frees a handle this library made with `Box::into_raw`. NULL is accepted.
pub(crate) unsafe fn free_box<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: `p` came from Box::into_raw in this library and is freed once.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// A C string copy of `s` (interior NULs, impossible in API JSON strings, are dropped).
pub(crate) fn c_string(s: &str) -> CString {
    CString::new(s).unwrap_or_else(|_| CString::new(s.replace('\0', "")).unwrap_or_default())
}

/// Frees a string returned by this library (for example by x_client_own_user_id), after
/// overwriting its bytes with zeros (it may be a code verifier or an authorization code).
/// NULL is accepted. Never pass a string documented as static or borrowed.
#[no_mangle]
pub unsafe extern "C" fn x_string_free(s: *mut c_char) {
    boundary!(default = (), {
        if !s.is_null() {
            // SAFETY: `s` came from CString::into_raw in this library and is freed once.
            let mut bytes = unsafe { CString::from_raw(s) }.into_bytes_with_nul();
            zeroize::Zeroize::zeroize(&mut bytes);
        }
    })
}

/// Static text for any code, known or not (never NULL, never freed).
#[no_mangle]
pub extern "C" fn x_result_str(code: x_result) -> *const c_char {
    let s: &'static CStr = match code {
        X_SUCCESS => c"ok",
        X_ERR_INVALID_ARGUMENT => c"invalid argument",
        X_ERR_UNAUTHORIZED => c"unauthorized (HTTP 401)",
        X_ERR_FORBIDDEN => c"forbidden (HTTP 403)",
        X_ERR_NOT_FOUND => c"not found",
        X_ERR_RATE_LIMITED => c"rate limited (HTTP 429)",
        X_ERR_NETWORK => c"network error",
        X_ERR_TIMEOUT => c"timeout",
        X_ERR_TLS => c"TLS error",
        X_ERR_SERVER => c"server error (HTTP 5xx)",
        X_ERR_PROTOCOL => c"malformed response",
        X_ERR_API => c"API error",
        X_ERR_PANIC => c"internal panic",
        X_ERR_QUOTA_EXHAUSTED => c"daily quota exhausted (refused locally, not sent)",
        X_ERR_QUOTA_STORE => c"quota ledger store error",
        X_ERR_CANCELLED => c"cancelled",
        X_ERR_TOKEN_STORE => c"token store error",
        _ => c"unknown result code",
    };
    s.as_ptr()
}

/// Test-only entry point: panics inside the boundary and so returns `X_ERR_PANIC` with
/// the last error set. It exists to prove that no panic crosses the C boundary; never
/// call it in a program.
#[no_mangle]
pub extern "C" fn x_test_panic() -> x_result {
    boundary!({
        let v: Vec<u8> = Vec::new();
        let i = v.len() + 3;
        if i > 2 {
            panic!("x_test_panic: deliberate panic for tests");
        }
        X_SUCCESS
    })
}

#[cfg(test)]
mod abi_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn codes_match_error_kinds() {
        assert_eq!(X_ERR_INVALID_ARGUMENT, ErrorKind::InvalidArgument.code());
        assert_eq!(X_ERR_UNAUTHORIZED, ErrorKind::Unauthorized.code());
        assert_eq!(X_ERR_FORBIDDEN, ErrorKind::Forbidden.code());
        assert_eq!(X_ERR_NOT_FOUND, ErrorKind::NotFound.code());
        assert_eq!(X_ERR_RATE_LIMITED, ErrorKind::RateLimited.code());
        assert_eq!(X_ERR_NETWORK, ErrorKind::Network.code());
        assert_eq!(X_ERR_TIMEOUT, ErrorKind::Timeout.code());
        assert_eq!(X_ERR_TLS, ErrorKind::Tls.code());
        assert_eq!(X_ERR_SERVER, ErrorKind::Server.code());
        assert_eq!(X_ERR_PROTOCOL, ErrorKind::Protocol.code());
        assert_eq!(X_ERR_API, ErrorKind::Api.code());
        assert_eq!(X_ERR_PANIC, ErrorKind::Panic.code());
        assert_eq!(X_ERR_QUOTA_EXHAUSTED, ErrorKind::QuotaExhausted.code());
        assert_eq!(X_ERR_QUOTA_STORE, ErrorKind::QuotaStore.code());
        assert_eq!(X_ERR_CANCELLED, ErrorKind::Cancelled.code());
        assert_eq!(X_ERR_TOKEN_STORE, ErrorKind::TokenStore.code());
        for k in 1..=16 {
            // SAFETY: static strings.
            let s = unsafe { CStr::from_ptr(x_result_str(k)) }.to_str().unwrap();
            assert_ne!(s, "unknown result code");
            let kind = [
                ErrorKind::InvalidArgument,
                ErrorKind::Unauthorized,
                ErrorKind::Forbidden,
                ErrorKind::NotFound,
                ErrorKind::RateLimited,
                ErrorKind::Network,
                ErrorKind::Timeout,
                ErrorKind::Tls,
                ErrorKind::Server,
                ErrorKind::Protocol,
                ErrorKind::Api,
                ErrorKind::Panic,
                ErrorKind::QuotaExhausted,
                ErrorKind::QuotaStore,
                ErrorKind::Cancelled,
                ErrorKind::TokenStore,
            ][(k - 1) as usize];
            assert_eq!(s, kind.as_str());
        }
        // SAFETY: static string.
        let s = unsafe { CStr::from_ptr(x_result_str(X_ERR_TOKEN_STORE)) };
        assert_eq!(s.to_str().unwrap(), "token store error");
    }

    #[test]
    fn panic_is_caught() {
        assert_eq!(x_test_panic(), X_ERR_PANIC);
        assert_eq!(x_last_error_code(), X_ERR_PANIC);
    }
}
