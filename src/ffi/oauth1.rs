//! The OAuth 1.0a three-legged flow: `x_oauth1_flow`, the request token it gets
//! (`x_oauth1_request`) and the user's access token (`x_oauth1_credentials`).

use super::config::{transport_of, x_config};
use super::CSecret;
use super::{arg_opt_str, arg_str, boundary, c_string, free_raw, out_handle, out_string, x_result};
use super::{castable, opt_ref, try_ref};
use super::{opt_ptr, str_of};
use crate::error::Error;
use crate::tokens::oauth1::{AccessToken, AccessType, AuthorizeOptions, RequestToken};
use crate::tokens::OAuth1Flow;
use std::ffi::{c_char, CString};

/// The OAuth 1.0a three-legged flow of one app (opaque, immutable, thread-safe).
pub struct x_oauth1_flow {
    flow: OAuth1Flow,
}

/// A request token (opaque) from x_oauth1_flow_request_token: the token and the page to
/// send the user to. Free it with x_oauth1_request_free.
pub struct x_oauth1_request {
    pub(super) request: RequestToken,
    token: CString,
    authorize_url: CString,
}

/// A user's OAuth 1.0a access token (opaque) from x_oauth1_flow_access_token. Free it with
/// x_oauth1_credentials_free; its strings are zeroized then.
pub struct x_oauth1_credentials {
    token: CSecret,
    token_secret: CSecret,
    user_id: Option<CString>,
    screen_name: Option<CString>,
}

impl x_oauth1_credentials {
    fn new(a: AccessToken) -> x_oauth1_credentials {
        x_oauth1_credentials {
            token: CSecret::new(a.token.expose()),
            token_secret: CSecret::new(a.token_secret.expose()),
            user_id: a.user_id.as_deref().map(c_string),
            screen_name: a.screen_name.as_deref().map(c_string),
        }
    }
}

/// Creates an OAuth 1.0a flow for the app's consumer key and secret. `callback`: NULL or
/// "oob" for the PIN flow, else a callback URL registered with the app. `base_url`: NULL for
/// https://api.x.com (the authorize page is then on https://x.com), or another API base
/// (the emulator; the authorize page is then under it). `cfg` (may be NULL) lends its
/// timeouts, proxy and CA file. `*out` is written on success.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_flow_new(
    cfg: *const x_config,
    consumer_key: *const c_char,
    consumer_secret: *const c_char,
    callback: *const c_char,
    base_url: *const c_char,
    out: *mut *mut x_oauth1_flow,
) -> x_result {
    boundary!({
        out_handle(out, || {
            // SAFETY: `consumer_key` is NULL or NUL-terminated and outlives the call;
            // `consumer_secret` is NULL or NUL-terminated and outlives the call; `callback` is
            // NULL or NUL-terminated and outlives the call; `base_url` is NULL or
            // NUL-terminated and outlives the call; `cfg` is NULL or a live x_config from its
            // constructor.
            let ck = unsafe { arg_str(consumer_key, "consumer_key") }?;
            let cs = unsafe { arg_str(consumer_secret, "consumer_secret") }?;
            let cb = unsafe { arg_opt_str(callback, "callback") }?;
            let base = unsafe { arg_opt_str(base_url, "base_url") }?;
            let transport = transport_of(unsafe { opt_ref(cfg) });
            let mut flow = OAuth1Flow::new(ck, cs)?.transport(&transport)?;
            if let Some(cb) = cb {
                flow = flow.callback(cb)?;
            }
            if let Some(b) = base {
                flow = flow.base_url(b)?;
            }
            Ok(x_oauth1_flow { flow })
        })
    })
}

/// Frees a flow. NULL is accepted.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_flow_free(flow: *mut x_oauth1_flow) {
    // SAFETY: `flow` is NULL or an x_oauth1_flow of ours that C hands back once, here.
    boundary!(default = (), { unsafe { free_raw(flow) } })
}

/// Step 1: POST /oauth/request_token (checks oauth_callback_confirmed). `access_type`:
/// NULL, "read" or "write" (x_auth_access_type). `*out` is written on success; free it with
/// x_oauth1_request_free. Blocks for the network round trip.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_flow_request_token(
    flow: *const x_oauth1_flow,
    access_type: *const c_char,
    out: *mut *mut x_oauth1_request,
) -> x_result {
    boundary!({
        out_handle(out, || {
            // SAFETY: `flow` is NULL or a live x_oauth1_flow from its constructor;
            // `access_type` is NULL or NUL-terminated and outlives the call.
            let f = unsafe { try_ref(flow) }?;
            let at = match unsafe { arg_opt_str(access_type, "access_type") }? {
                None => None,
                Some("read") => Some(AccessType::Read),
                Some("write") => Some(AccessType::Write),
                Some(_) => {
                    return Err(Error::invalid_argument(
                        "access_type must be NULL, \"read\" or \"write\"",
                    ))
                }
            };
            let flow = f.flow.clone().access_type(at);
            let request = flow.request_token()?;
            let url = flow.authorize_url(&request.token, &AuthorizeOptions::default());
            Ok(x_oauth1_request {
                token: c_string(&request.token),
                authorize_url: c_string(&url),
                request,
            })
        })
    })
}

/// Frees a request token. NULL is accepted.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_request_free(r: *mut x_oauth1_request) {
    // SAFETY: `r` is NULL or an x_oauth1_request of ours that C hands back once, here.
    boundary!(default = (), { unsafe { free_raw(r) } })
}

/// The request token (`oauth_token`, public). Owned by the request; NULL for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_request_token(r: *const x_oauth1_request) -> *const c_char {
    // SAFETY: `r` is NULL or a live x_oauth1_request from its constructor.
    unsafe { str_of(r, |r| r.token.as_ptr()) }
}

/// The authorize page for this request token (`.../oauth/authorize?oauth_token=...`), to
/// open in the user's browser. Owned by the request; NULL for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_request_authorize_url(
    r: *const x_oauth1_request,
) -> *const c_char {
    // SAFETY: `r` is NULL or a live x_oauth1_request from its constructor.
    unsafe { str_of(r, |r| r.authorize_url.as_ptr()) }
}

/// The authorize (or, with `authenticate`, the "Log in with X" authenticate) page with
/// options: `force_login`, and `screen_name` (NULL: none) to prefill the login form.
/// `*out` is written on success; free it with x_string_free.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_flow_authorize_url(
    flow: *const x_oauth1_flow,
    request: *const x_oauth1_request,
    authenticate: bool,
    force_login: bool,
    screen_name: *const c_char,
    out: *mut *mut c_char,
) -> x_result {
    boundary!({
        out_string(out, "out", || {
            // SAFETY: `flow` is NULL or a live x_oauth1_flow from its constructor; `request` is
            // NULL or a live x_oauth1_request from its constructor; `screen_name` is NULL or
            // NUL-terminated and outlives the call.
            let f = unsafe { try_ref(flow) }?;
            let r = unsafe { try_ref(request) }?;
            let name = unsafe { arg_opt_str(screen_name, "screen_name") }?;
            let opts = AuthorizeOptions {
                force_login,
                screen_name: name.map(str::to_owned),
            };
            let url = if authenticate {
                f.flow.authenticate_url(&r.request.token, &opts)
            } else {
                f.flow.authorize_url(&r.request.token, &opts)
            };
            Ok(c_string(&url))
        })
    })
}

/// Step 3: POST /oauth/access_token with the verifier (the PIN the user typed, or the
/// callback's oauth_verifier). `*out` is written on success; free it with
/// x_oauth1_credentials_free. Blocks for the network round trip.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_flow_access_token(
    flow: *const x_oauth1_flow,
    request: *const x_oauth1_request,
    verifier: *const c_char,
    out: *mut *mut x_oauth1_credentials,
) -> x_result {
    // SAFETY: as this function's contract.
    unsafe {
        access_token_with(
            flow,
            request,
            verifier,
            "verifier",
            out,
            OAuth1Flow::access_token,
        )
    }
}

/// Step 3 from the callback URL (or its query) the browser was sent to: checks that its
/// oauth_token is this request's (else X_ERR_UNAUTHORIZED), then exchanges its
/// oauth_verifier. `*out` is written on success.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_flow_access_token_from_callback(
    flow: *const x_oauth1_flow,
    request: *const x_oauth1_request,
    callback_url: *const c_char,
    out: *mut *mut x_oauth1_credentials,
) -> x_result {
    // SAFETY: as this function's contract.
    unsafe {
        access_token_with(
            flow,
            request,
            callback_url,
            "callback_url",
            out,
            OAuth1Flow::access_token_from_callback,
        )
    }
}

/// Both step-3 exports: borrow the flow, the request and the string argument (named `what`
/// in errors), then `exchange` them for credentials written through `out`.
///
/// # Safety
/// `flow` and `request` are NULL or live handles from their constructors; `arg` is NULL or
/// NUL-terminated and outlives the call.
unsafe fn access_token_with(
    flow: *const x_oauth1_flow,
    request: *const x_oauth1_request,
    arg: *const c_char,
    what: &str,
    out: *mut *mut x_oauth1_credentials,
    exchange: fn(&OAuth1Flow, &RequestToken, &str) -> Result<AccessToken, Error>,
) -> x_result {
    boundary!({
        out_handle(out, || {
            // SAFETY: per this function's contract.
            let f = unsafe { try_ref(flow) }?;
            let r = unsafe { try_ref(request) }?;
            let a = unsafe { arg_str(arg, what) }?;
            exchange(&f.flow, &r.request, a).map(x_oauth1_credentials::new)
        })
    })
}

/// Frees credentials. NULL is accepted.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_credentials_free(c: *mut x_oauth1_credentials) {
    // SAFETY: `c` is NULL or an x_oauth1_credentials of ours that C hands back once, here.
    boundary!(default = (), { unsafe { free_raw(c) } })
}

/// The user's access token (secret). Owned by the credentials; NULL for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_credentials_token(
    c: *const x_oauth1_credentials,
) -> *const c_char {
    // SAFETY: `c` is NULL or a live x_oauth1_credentials from its constructor.
    unsafe { str_of(c, |c| c.token.as_ptr()) }
}

/// The user's access token secret (secret). Owned by the credentials; NULL for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_credentials_token_secret(
    c: *const x_oauth1_credentials,
) -> *const c_char {
    // SAFETY: `c` is NULL or a live x_oauth1_credentials from its constructor.
    unsafe { str_of(c, |c| c.token_secret.as_ptr()) }
}

/// The user's id, or NULL when the answer had none. Owned by the credentials.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_credentials_user_id(
    c: *const x_oauth1_credentials,
) -> *const c_char {
    // SAFETY: `c` is NULL or a live x_oauth1_credentials from its constructor.
    unsafe { str_of(c, |c| opt_ptr(&c.user_id)) }
}

/// The user's @handle, or NULL when the answer had none. Owned by the credentials.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_credentials_screen_name(
    c: *const x_oauth1_credentials,
) -> *const c_char {
    // SAFETY: `c` is NULL or a live x_oauth1_credentials from its constructor.
    unsafe { str_of(c, |c| opt_ptr(&c.screen_name)) }
}

castable! {
    x_oauth1_flow => "flow", Shared;
    x_oauth1_request => "request", Shared;
    x_oauth1_credentials => "credentials", Shared;
}
