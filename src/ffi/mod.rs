//! The C ABI: panic boundary, pointer and UTF-8 checks, handle casts, the thread-local
//! last error and type conversions. No business logic lives here. All `unsafe` code of
//! the crate is in this module.
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

mod client;
mod codes;
mod config;
mod handle;
mod last_error;
mod lookups;
mod oauth1;
mod oauth2;
mod plan;
mod quota;
mod redirect;
mod result;
mod retry;
mod token_set;
mod version;

use crate::error::Error;
pub(crate) use handle::{castable, free_raw, opt_ref, try_mut, try_ref};
use handle::{to_raw, Castable};
use std::any::Any;
use std::cell::Cell;
use std::ffi::{c_char, CStr, CString};
use std::sync::Once;

pub use client::*;
pub use codes::*;
pub use config::*;
pub use last_error::*;
pub use lookups::*;
pub use oauth1::*;
pub use oauth2::*;
pub use plan::*;
pub use quota::*;
pub use redirect::*;
pub use result::*;
pub use retry::*;
pub use token_set::*;
pub use version::*;

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

/// A callback's `user_data`, which travels with the callback to whatever thread makes a call.
pub(crate) struct UserData(pub(crate) *mut std::ffi::c_void);
// SAFETY: the header's contracts of x_config_set_on_retry and x_config_set_oauth2_refreshing
// make the caller promise that `user_data` may be used from every thread that uses the
// client; the library only passes it back.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

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
        // SAFETY: `p` is NULL or NUL-terminated and outlives the call.
        unsafe { arg_str(p, what) }.map(Some)
    }
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

/// Writes the value `f` makes through `out` (named `what` in errors).
pub(crate) fn out_value<T>(
    out: *mut T,
    what: &str,
    f: impl FnOnce() -> Result<T, Error>,
) -> x_result {
    out_with(out, what, f, |v| v)
}

/// Writes the value `f` makes through `out` as a new handle (freed by its type's `_free`).
pub(crate) fn out_handle<T: Castable>(
    out: *mut *mut T,
    f: impl FnOnce() -> Result<T, Error>,
) -> x_result {
    out_with(out, "out", f, to_raw)
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

/// A C copy of a secret, zeroized when dropped.
pub(crate) struct CSecret(CString);

impl CSecret {
    pub(crate) fn new(s: &str) -> CSecret {
        CSecret(c_string(s))
    }
    pub(crate) fn as_ptr(&self) -> *const c_char {
        self.0.as_ptr()
    }
}

impl Drop for CSecret {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0).into_bytes_with_nul();
        zeroize::Zeroize::zeroize(&mut bytes);
    }
}

/// A C string copy of `s` (interior NULs, impossible in API JSON strings, are dropped).
pub(crate) fn c_string(s: &str) -> CString {
    CString::new(s).unwrap_or_else(|_| CString::new(s.replace('\0', "")).unwrap_or_default())
}

/// An accessor: what `get` reads from the handle, `default` for a NULL handle.
///
/// # Safety
/// `p` is NULL or a live `T` from its constructor.
pub(crate) unsafe fn value_of<T: Castable, V: Copy>(
    p: *const T,
    default: V,
    get: impl FnOnce(&T) -> V,
) -> V {
    boundary!(default = default, {
        // SAFETY: this function's contract, passed on.
        unsafe { opt_ref(p) }.map_or(default, get)
    })
}

/// A string accessor: the pointer `get` reads from the handle (which keeps owning the
/// string), NULL for a NULL handle.
///
/// # Safety
/// `p` is NULL or a live `T` from its constructor.
pub(crate) unsafe fn str_of<T: Castable>(
    p: *const T,
    get: impl FnOnce(&T) -> *const c_char,
) -> *const c_char {
    // SAFETY: this function's contract, passed on.
    unsafe { value_of(p, std::ptr::null(), get) }
}

/// An optional string's pointer, NULL for `None`.
pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
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
    use crate::error::ErrorKind;

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
            let kind = ErrorKind::from_code(k).unwrap();
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
