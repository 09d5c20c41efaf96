//! `x_redirect_receiver`: the one-shot loopback receiver of a login's browser callback.

use super::oauth1::x_oauth1_request;
use super::str_of;
use super::{arg_str, boundary, c_string, free_raw, out_handle, out_string, x_result};
use super::{castable, try_ref};
use crate::error::Error;
use crate::tokens::RedirectReceiver;
use std::ffi::{c_char, CString};
use std::sync::Mutex;
use std::time::Duration;

/// A one-shot loopback redirect receiver (opaque): listens on 127.0.0.1 (and ::1 for a
/// localhost redirect URI) for the browser's callback. Use it from one thread; free it with x_redirect_receiver_free.
pub struct x_redirect_receiver {
    receiver: Mutex<Option<RedirectReceiver>>,
    redirect_uri: CString,
}

/// Listens for a loopback redirect URI as registered with the app, e.g.
/// "http://127.0.0.1:8765/callback" (host 127.0.0.1 or localhost, which is served on both
/// 127.0.0.1 and ::1; port 0 picks a free port: read the URI back with
/// x_redirect_receiver_redirect_uri). `*out` is written on success.
#[no_mangle]
pub unsafe extern "C" fn x_redirect_receiver_bind(
    redirect_uri: *const c_char,
    out: *mut *mut x_redirect_receiver,
) -> x_result {
    boundary!({
        out_handle(out, || {
            // SAFETY: `redirect_uri` is NULL or NUL-terminated and outlives the call.
            let uri = unsafe { arg_str(redirect_uri, "redirect_uri") }?;
            let r = RedirectReceiver::for_redirect_uri(uri)?;
            Ok(x_redirect_receiver {
                redirect_uri: c_string(&r.redirect_uri()),
                receiver: Mutex::new(Some(r)),
            })
        })
    })
}

/// The redirect URI the receiver listens for (with the bound port). Owned by the receiver;
/// NULL for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_redirect_receiver_redirect_uri(
    r: *const x_redirect_receiver,
) -> *const c_char {
    // SAFETY: `r` is NULL or a live x_redirect_receiver from its constructor.
    unsafe { str_of(r, |r| r.redirect_uri.as_ptr()) }
}

fn take_receiver(r: &x_redirect_receiver) -> Result<RedirectReceiver, Error> {
    r.receiver
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .ok_or_else(|| Error::invalid_argument("the redirect receiver was already used"))
}

fn wait_timeout(ms: u32) -> Result<Duration, Error> {
    if ms == 0 {
        return Err(Error::invalid_argument(
            "timeout_ms must be greater than zero",
        ));
    }
    Ok(Duration::from_millis(u64::from(ms)))
}

/// Waits up to `timeout_ms` for the OAuth 2.0 callback whose `state` is `expected_state`,
/// answers the browser with a short page and returns the authorization code (`*code_out`,
/// free it with x_string_free). A callback with another or no state (any web page can send
/// one) gets an error page and the wait goes on. The receiver is used up: it stops
/// listening whatever the outcome. Errors: X_ERR_UNAUTHORIZED (denied), X_ERR_TIMEOUT (no
/// callback of this login in time), X_ERR_PROTOCOL (no code).
#[no_mangle]
pub unsafe extern "C" fn x_redirect_receiver_wait(
    r: *const x_redirect_receiver,
    expected_state: *const c_char,
    timeout_ms: u32,
    code_out: *mut *mut c_char,
) -> x_result {
    boundary!({
        out_string(code_out, "code_out", || {
            // SAFETY: `r` is NULL or a live x_redirect_receiver from its constructor;
            // `expected_state` is NULL or NUL-terminated and outlives the call.
            let r = unsafe { try_ref(r) }?;
            let state = unsafe { arg_str(expected_state, "expected_state") }?;
            let d = wait_timeout(timeout_ms)?;
            let resp = take_receiver(r)?.wait(state, d)?;
            Ok(c_string(resp.code.expose()))
        })
    })
}

/// Waits up to `timeout_ms` for the OAuth 1.0a callback of `request` (a callback for another
/// oauth_token gets an error page and the wait goes on) and returns its oauth_verifier
/// (`*verifier_out`, free it with x_string_free). The receiver is used up.
#[no_mangle]
pub unsafe extern "C" fn x_redirect_receiver_wait_oauth1(
    r: *const x_redirect_receiver,
    request: *const x_oauth1_request,
    timeout_ms: u32,
    verifier_out: *mut *mut c_char,
) -> x_result {
    boundary!({
        out_string(verifier_out, "verifier_out", || {
            // SAFETY: `r` is NULL or a live x_redirect_receiver from its constructor; `request`
            // is NULL or a live x_oauth1_request from its constructor.
            let r = unsafe { try_ref(r) }?;
            let req = unsafe { try_ref(request) }?;
            let d = wait_timeout(timeout_ms)?;
            let v = take_receiver(r)?.wait_oauth1(&req.request.token, d)?;
            Ok(c_string(v.expose()))
        })
    })
}

/// Frees a receiver (closing its port). NULL is accepted.
#[no_mangle]
pub unsafe extern "C" fn x_redirect_receiver_free(r: *mut x_redirect_receiver) {
    // SAFETY: `r` is NULL or an x_redirect_receiver of ours that C hands back once, here.
    boundary!(default = (), { unsafe { free_raw(r) } })
}

castable! {
    x_redirect_receiver => "receiver", Shared;
}
