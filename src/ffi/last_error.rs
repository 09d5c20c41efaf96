//! The thread-local last error (libgit2's model): details of the last failed call on
//! this thread, read right after the call on the same thread.

use super::{boundary, c_string, opt_ptr, result::window_out, x_rate_window, x_result, X_SUCCESS};
use crate::error::Error;
use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::ptr;

struct LastError {
    error: Error,
    message: CString,
    title: Option<CString>,
    detail: Option<CString>,
    type_uri: Option<CString>,
    type_suffix: Option<CString>,
    reason: Option<CString>,
    required_enrollment: Option<CString>,
    registration_url: Option<CString>,
    error_messages: Vec<Option<CString>>,
}

thread_local! {
    static LAST: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

/// Records `e` as this thread's last error.
pub(crate) fn set(e: Error) {
    let opt = |s: &Option<String>| s.as_deref().map(c_string);
    let p = e.problem();
    let last = LastError {
        message: c_string(e.message()),
        title: opt(&p.title),
        detail: opt(&p.detail),
        type_uri: opt(&p.type_uri),
        type_suffix: p.type_suffix().map(c_string),
        reason: opt(&p.reason),
        required_enrollment: opt(&p.required_enrollment),
        registration_url: opt(&p.registration_url),
        error_messages: e.errors().iter().map(|x| opt(&x.message)).collect(),
        error: e,
    };
    let _ = LAST.try_with(|l| *l.borrow_mut() = Some(last));
}

/// Forgets the last error (done at the start of every fallible call).
pub(crate) fn clear() {
    let _ = LAST.try_with(|l| *l.borrow_mut() = None);
}

fn with<T>(default: T, f: impl FnOnce(&LastError) -> T) -> T {
    LAST.try_with(|l| l.borrow().as_ref().map(f))
        .ok()
        .flatten()
        .unwrap_or(default)
}

/// The code of the last failed call on this thread, or `X_SUCCESS` when the last call
/// succeeded (every fallible call clears the last error first).
#[no_mangle]
pub extern "C" fn x_last_error_code() -> x_result {
    boundary!(default = X_SUCCESS, {
        with(X_SUCCESS, |l| l.error.kind().code())
    })
}

/// A one-line message for the last failed call (never NULL, never contains a secret).
/// `"no error"` when there was none. Valid until the next call on this thread of a
/// function that returns an `x_result`; do not free.
#[no_mangle]
pub extern "C" fn x_last_error_message() -> *const c_char {
    boundary!(default = c"internal panic".as_ptr(), {
        with(c"no error".as_ptr(), |l| l.message.as_ptr())
    })
}

/// The HTTP status of the failed response, or 0 when no response was received.
#[no_mangle]
pub extern "C" fn x_last_error_http_status() -> i32 {
    boundary!(default = 0, {
        with(0, |l| l.error.http_status().map_or(0, i32::from))
    })
}

/// True when the failed request may have reached the server; false when it provably
/// never left (invalid argument, connect refused, DNS or TLS handshake failure).
#[no_mangle]
pub extern "C" fn x_last_error_may_have_reached_server() -> bool {
    boundary!(default = true, {
        with(false, |l| l.error.may_have_reached_server())
    })
}

/// The problem `title` of the error body (e.g. "Client Forbidden").
/// NULL when absent. Valid until the next `x_result`-returning call on this thread.
#[no_mangle]
pub extern "C" fn x_last_error_title() -> *const c_char {
    boundary!(default = ptr::null(), {
        with(ptr::null(), |l| opt_ptr(&l.title))
    })
}

/// The problem `detail` of the error body.
/// NULL when absent. Valid until the next `x_result`-returning call on this thread.
#[no_mangle]
pub extern "C" fn x_last_error_detail() -> *const c_char {
    boundary!(default = ptr::null(), {
        with(ptr::null(), |l| opt_ptr(&l.detail))
    })
}

/// The problem `type` URI, as sent.
/// NULL when absent. Valid until the next `x_result`-returning call on this thread.
#[no_mangle]
pub extern "C" fn x_last_error_type() -> *const c_char {
    boundary!(default = ptr::null(), {
        with(ptr::null(), |l| opt_ptr(&l.type_uri))
    })
}

/// The problem type name after `/2/problems/` (e.g. "client-forbidden"), whatever the host.
/// NULL when absent. Valid until the next `x_result`-returning call on this thread.
#[no_mangle]
pub extern "C" fn x_last_error_type_name() -> *const c_char {
    boundary!(default = ptr::null(), {
        with(ptr::null(), |l| opt_ptr(&l.type_suffix))
    })
}

/// The problem `reason` (e.g. "client-not-enrolled").
/// NULL when absent. Valid until the next `x_result`-returning call on this thread.
#[no_mangle]
pub extern "C" fn x_last_error_reason() -> *const c_char {
    boundary!(default = ptr::null(), {
        with(ptr::null(), |l| opt_ptr(&l.reason))
    })
}

/// The problem `required_enrollment`.
/// NULL when absent. Valid until the next `x_result`-returning call on this thread.
#[no_mangle]
pub extern "C" fn x_last_error_required_enrollment() -> *const c_char {
    boundary!(default = ptr::null(), {
        with(ptr::null(), |l| opt_ptr(&l.required_enrollment))
    })
}

/// The problem `registration_url`.
/// NULL when absent. Valid until the next `x_result`-returning call on this thread.
#[no_mangle]
pub extern "C" fn x_last_error_registration_url() -> *const c_char {
    boundary!(default = ptr::null(), {
        with(ptr::null(), |l| opt_ptr(&l.registration_url))
    })
}

/// The number of entries in the error body's `errors` array (legacy `{code, message}`
/// entries and v2 entries).
#[no_mangle]
pub extern "C" fn x_last_error_api_error_count() -> usize {
    boundary!(default = 0, { with(0, |l| l.error.errors().len()) })
}

/// The legacy numeric `code` of entry `index` (e.g. 88, 89, 135), or -1 when absent.
#[no_mangle]
pub extern "C" fn x_last_error_api_error_code(index: usize) -> i64 {
    boundary!(default = -1, {
        with(-1, |l| {
            l.error
                .errors()
                .get(index)
                .and_then(|e| e.code)
                .unwrap_or(-1)
        })
    })
}

/// The `message` of entry `index`, or NULL. Valid until the next `x_result`-returning
/// call on this thread.
#[no_mangle]
pub extern "C" fn x_last_error_api_error_message(index: usize) -> *const c_char {
    boundary!(default = ptr::null(), {
        with(ptr::null(), |l| {
            l.error_messages.get(index).map_or(ptr::null(), opt_ptr)
        })
    })
}

/// Copies one rate-limit window of the failed response into the out-parameters (each
/// may be NULL). Returns true when the response carried that window.
#[no_mangle]
pub unsafe extern "C" fn x_last_error_rate_limit(
    window: x_rate_window,
    limit_out: *mut u64,
    remaining_out: *mut u64,
    reset_out: *mut u64,
) -> bool {
    boundary!(default = false, {
        let rl = with(None, |l| Some(*l.error.rate_limit()));
        // SAFETY: The three out-pointers are NULL or writable uint64_t.
        unsafe { window_out(rl.as_ref(), window, limit_out, remaining_out, reset_out) }
    })
}

/// After `X_ERR_RATE_LIMITED`: the Unix time (seconds) to wait for, the latest reset
/// among the exhausted windows. 0 when unknown or for other errors.
#[no_mangle]
pub extern "C" fn x_last_error_retry_at() -> u64 {
    boundary!(default = 0, {
        with(0, |l| l.error.retry_at().unwrap_or(0))
    })
}

/// After `X_ERR_QUOTA_EXHAUSTED`: the Unix time (seconds) at which the exhausted daily window
/// has a free slot again. 0 for other errors.
#[no_mangle]
pub extern "C" fn x_last_error_next_free_at() -> i64 {
    boundary!(default = 0, {
        with(0, |l| l.error.next_free_at().unwrap_or(0))
    })
}

/// After `X_ERR_RATE_LIMITED`: the window that is exhausted (`X_WINDOW_ENDPOINT`,
/// `X_WINDOW_USER_24H` or `X_WINDOW_APP_24H`), the one whose reset x_last_error_retry_at()
/// gives. -1 without rate-limit headers, or for other errors.
#[no_mangle]
pub extern "C" fn x_last_error_exhausted_window() -> x_rate_window {
    use crate::ratelimit::WindowKind;
    boundary!(default = -1, {
        with(-1, |l| match l.error.exhausted_window() {
            Some(WindowKind::Endpoint) => super::X_WINDOW_ENDPOINT,
            Some(WindowKind::User24h) => super::X_WINDOW_USER_24H,
            Some(WindowKind::App24h) => super::X_WINDOW_APP_24H,
            None => -1,
        })
    })
}
