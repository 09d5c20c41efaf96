//! Getting and keeping user tokens through the C ABI: the OAuth 1.0a three-legged flow,
//! OAuth 2.0 PKCE (exchange, refresh, revoke), token sets, the loopback redirect receiver,
//! and the refreshing OAuth 2.0 credential of a configuration.

use super::client::x_client;
use super::config::x_config;
use super::{
    arg_opt_str, arg_str, boundary, c_string, check_out, free_raw, out_handle, out_string, status,
    write_out, x_result,
};
use super::{castable, opt_ref, try_mut, try_ref};
use crate::auth::OAuth2Refreshing;
use crate::error::Error;
use crate::tokens::oauth1::{AccessToken, AccessType, AuthorizeOptions, RequestToken};
use crate::tokens::oauth2::TokenTypeHint;
use crate::tokens::{OAuth1Flow, OAuth2Flow, RedirectReceiver, Secret, TokenSet};
use crate::transport::TransportOptions;
use std::ffi::{c_char, c_int, c_void, CString};
use std::ptr;
use std::sync::Mutex;
use std::time::Duration;

/// A C copy of a secret, zeroized when dropped.
struct CSecret(CString);

impl CSecret {
    fn new(s: &str) -> CSecret {
        CSecret(c_string(s))
    }
    fn as_ptr(&self) -> *const c_char {
        self.0.as_ptr()
    }
}

impl Drop for CSecret {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0).into_bytes_with_nul();
        zeroize::Zeroize::zeroize(&mut bytes);
    }
}

/// The transport settings of an optional config (NULL: the defaults).
fn transport_of(cfg: Option<&x_config>) -> TransportOptions {
    cfg.map_or_else(TransportOptions::default, |c| {
        c.builder().transport_options().clone()
    })
}

// ---------------------------------------------------------------------------------------
// Token sets

/// An OAuth 2.0 token set (opaque): access token, refresh token, absolute expiry, scopes.
/// Immutable; read it with the accessors; free it with x_token_set_free. Its strings are
/// owned by it and zeroized when it is freed.
pub struct x_token_set {
    set: TokenSet,
    access: CSecret,
    refresh: Option<CSecret>,
    scopes: CString,
}

impl x_token_set {
    pub(crate) fn new(set: TokenSet) -> x_token_set {
        x_token_set {
            access: CSecret::new(set.access_token.expose()),
            refresh: set.refresh_token.as_ref().map(|r| CSecret::new(r.expose())),
            scopes: c_string(&set.scope_string()),
            set,
        }
    }
}

/// Makes a token set from saved values (for example to build a refreshing client after a
/// restart). `refresh_token` and `scopes` (space-separated) may be NULL; `expires_at` is in
/// Unix seconds, 0 when unknown. `*out` is written on success; free it with
/// x_token_set_free.
#[no_mangle]
pub unsafe extern "C" fn x_token_set_new(
    access_token: *const c_char,
    refresh_token: *const c_char,
    expires_at: u64,
    scopes: *const c_char,
    out: *mut *mut x_token_set,
) -> x_result {
    boundary!({
        out_handle(out, || {
            // SAFETY: `access_token` is NULL or NUL-terminated and outlives the call;
            // `refresh_token` is NULL or NUL-terminated and outlives the call; `scopes` is NULL
            // or NUL-terminated and outlives the call.
            let at = unsafe { arg_str(access_token, "access_token") }?;
            let rt = unsafe { arg_opt_str(refresh_token, "refresh_token") }?;
            let sc = unsafe { arg_opt_str(scopes, "scopes") }?.unwrap_or("");
            if at.is_empty() {
                return Err(Error::invalid_argument("access_token is empty"));
            }
            let set = TokenSet::new(
                at,
                rt.filter(|r| !r.is_empty()).map(Secret::new),
                (expires_at != 0).then_some(expires_at),
                sc.split_whitespace().map(str::to_owned).collect(),
            );
            Ok(x_token_set::new(set))
        })
    })
}

/// Frees a token set. NULL is accepted.
#[no_mangle]
pub unsafe extern "C" fn x_token_set_free(t: *mut x_token_set) {
    // SAFETY: `t` is NULL or an x_token_set of ours that C hands back once, here.
    boundary!(default = (), { unsafe { free_raw(t) } })
}

/// The access token (secret). Owned by the token set; NULL for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_token_set_access_token(t: *const x_token_set) -> *const c_char {
    boundary!(default = ptr::null(), {
        // SAFETY: `t` is NULL or a live x_token_set from its constructor.
        unsafe { opt_ref(t) }.map_or(ptr::null(), |t| t.access.as_ptr())
    })
}

/// The refresh token (secret), or NULL when the set has none (no `offline.access`). Owned
/// by the token set.
#[no_mangle]
pub unsafe extern "C" fn x_token_set_refresh_token(t: *const x_token_set) -> *const c_char {
    boundary!(default = ptr::null(), {
        // SAFETY: `t` is NULL or a live x_token_set from its constructor.
        unsafe { opt_ref(t) }
            .and_then(|t| t.refresh.as_ref())
            .map_or(ptr::null(), |r| r.as_ptr())
    })
}

/// When the access token expires, in Unix seconds; 0 when unknown (or for NULL).
#[no_mangle]
pub unsafe extern "C" fn x_token_set_expires_at(t: *const x_token_set) -> u64 {
    boundary!(default = 0, {
        // SAFETY: `t` is NULL or a live x_token_set from its constructor.
        unsafe { opt_ref(t) }
            .and_then(|t| t.set.expires_at)
            .unwrap_or(0)
    })
}

/// The granted scopes, joined by spaces. Owned by the token set; NULL for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_token_set_scopes(t: *const x_token_set) -> *const c_char {
    boundary!(default = ptr::null(), {
        // SAFETY: `t` is NULL or a live x_token_set from its constructor.
        unsafe { opt_ref(t) }.map_or(ptr::null(), |t| t.scopes.as_ptr())
    })
}

// ---------------------------------------------------------------------------------------
// OAuth 1.0a

/// The OAuth 1.0a three-legged flow of one app (opaque, immutable, thread-safe).
pub struct x_oauth1_flow {
    flow: OAuth1Flow,
}

/// A request token (opaque) from x_oauth1_flow_request_token: the token and the page to
/// send the user to. Free it with x_oauth1_request_free.
pub struct x_oauth1_request {
    request: RequestToken,
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
pub unsafe extern "C" fn x_oauth1_request_get_token(r: *const x_oauth1_request) -> *const c_char {
    boundary!(default = ptr::null(), {
        // SAFETY: `r` is NULL or a live x_oauth1_request from its constructor.
        unsafe { opt_ref(r) }.map_or(ptr::null(), |r| r.token.as_ptr())
    })
}

/// The authorize page for this request token (`.../oauth/authorize?oauth_token=...`), to
/// open in the user's browser. Owned by the request; NULL for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_request_authorize_url(
    r: *const x_oauth1_request,
) -> *const c_char {
    boundary!(default = ptr::null(), {
        // SAFETY: `r` is NULL or a live x_oauth1_request from its constructor.
        unsafe { opt_ref(r) }.map_or(ptr::null(), |r| r.authorize_url.as_ptr())
    })
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
    boundary!({
        out_handle(out, || {
            // SAFETY: `flow` is NULL or a live x_oauth1_flow from its constructor; `request` is
            // NULL or a live x_oauth1_request from its constructor; `verifier` is NULL or
            // NUL-terminated and outlives the call.
            let f = unsafe { try_ref(flow) }?;
            let r = unsafe { try_ref(request) }?;
            let v = unsafe { arg_str(verifier, "verifier") }?;
            f.flow
                .access_token(&r.request, v)
                .map(x_oauth1_credentials::new)
        })
    })
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
    boundary!({
        out_handle(out, || {
            // SAFETY: `flow` is NULL or a live x_oauth1_flow from its constructor; `request` is
            // NULL or a live x_oauth1_request from its constructor; `callback_url` is NULL or
            // NUL-terminated and outlives the call.
            let f = unsafe { try_ref(flow) }?;
            let r = unsafe { try_ref(request) }?;
            let cb = unsafe { arg_str(callback_url, "callback_url") }?;
            f.flow
                .access_token_from_callback(&r.request, cb)
                .map(x_oauth1_credentials::new)
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
    boundary!(default = ptr::null(), {
        // SAFETY: `c` is NULL or a live x_oauth1_credentials from its constructor.
        unsafe { opt_ref(c) }.map_or(ptr::null(), |c| c.token.as_ptr())
    })
}

/// The user's access token secret (secret). Owned by the credentials; NULL for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_credentials_token_secret(
    c: *const x_oauth1_credentials,
) -> *const c_char {
    boundary!(default = ptr::null(), {
        // SAFETY: `c` is NULL or a live x_oauth1_credentials from its constructor.
        unsafe { opt_ref(c) }.map_or(ptr::null(), |c| c.token_secret.as_ptr())
    })
}

/// The user's id, or NULL when the answer had none. Owned by the credentials.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_credentials_user_id(
    c: *const x_oauth1_credentials,
) -> *const c_char {
    boundary!(default = ptr::null(), {
        // SAFETY: `c` is NULL or a live x_oauth1_credentials from its constructor.
        unsafe { opt_ref(c) }
            .and_then(|c| c.user_id.as_ref())
            .map_or(ptr::null(), |s| s.as_ptr())
    })
}

/// The user's @handle, or NULL when the answer had none. Owned by the credentials.
#[no_mangle]
pub unsafe extern "C" fn x_oauth1_credentials_screen_name(
    c: *const x_oauth1_credentials,
) -> *const c_char {
    boundary!(default = ptr::null(), {
        // SAFETY: `c` is NULL or a live x_oauth1_credentials from its constructor.
        unsafe { opt_ref(c) }
            .and_then(|c| c.screen_name.as_ref())
            .map_or(ptr::null(), |s| s.as_ptr())
    })
}

// ---------------------------------------------------------------------------------------
// OAuth 2.0 PKCE

/// OAuth 2.0 Authorization Code with PKCE for one app (opaque, immutable, thread-safe).
pub struct x_oauth2_flow {
    flow: OAuth2Flow,
}

/// Which token x_oauth2_flow_revoke revokes (`token_type_hint`).
pub type x_token_kind = c_int;
/// An access token.
pub const X_TOKEN_ACCESS: x_token_kind = 0;
/// A refresh token.
pub const X_TOKEN_REFRESH: x_token_kind = 1;

/// Creates a PKCE flow. `client_secret`: NULL for a public client (client_id in the body),
/// else a confidential one (HTTP Basic). `scopes`: space-separated, e.g. "tweet.read
/// users.read follows.write offline.access". `authorize_url`: NULL for
/// https://x.com/i/oauth2/authorize (or `<base_url>/i/oauth2/authorize` when a base URL is
/// given). `base_url`: NULL for https://api.x.com (token and revoke endpoints). `cfg` (may be
/// NULL) lends its timeouts, proxy and CA file. `*out` is written on success.
#[no_mangle]
pub unsafe extern "C" fn x_oauth2_flow_new(
    cfg: *const x_config,
    client_id: *const c_char,
    client_secret: *const c_char,
    redirect_uri: *const c_char,
    scopes: *const c_char,
    authorize_url: *const c_char,
    base_url: *const c_char,
    out: *mut *mut x_oauth2_flow,
) -> x_result {
    boundary!({
        out_handle(out, || {
            // SAFETY: `client_id` is NULL or NUL-terminated and outlives the call;
            // `client_secret` is NULL or NUL-terminated and outlives the call; `redirect_uri`
            // is NULL or NUL-terminated and outlives the call; `scopes` is NULL or
            // NUL-terminated and outlives the call; `authorize_url` is NULL or NUL-terminated
            // and outlives the call; `base_url` is NULL or NUL-terminated and outlives the
            // call; `cfg` is NULL or a live x_config from its constructor.
            let id = unsafe { arg_str(client_id, "client_id") }?;
            let secret = unsafe { arg_opt_str(client_secret, "client_secret") }?;
            let redirect = unsafe { arg_str(redirect_uri, "redirect_uri") }?;
            let scopes = unsafe { arg_str(scopes, "scopes") }?;
            let authorize = unsafe { arg_opt_str(authorize_url, "authorize_url") }?;
            let base = unsafe { arg_opt_str(base_url, "base_url") }?;
            let transport = transport_of(unsafe { opt_ref(cfg) });
            let mut flow =
                OAuth2Flow::new(id, redirect, scopes.split_whitespace())?.transport(&transport)?;
            if let Some(s) = secret {
                flow = flow.client_secret(s);
            }
            if let Some(a) = authorize {
                flow = flow.authorize_url(a)?;
            }
            if let Some(b) = base {
                flow = flow.base_url(b)?;
            }
            Ok(x_oauth2_flow { flow })
        })
    })
}

/// Frees a flow. NULL is accepted.
#[no_mangle]
pub unsafe extern "C" fn x_oauth2_flow_free(flow: *mut x_oauth2_flow) {
    // SAFETY: `flow` is NULL or an x_oauth2_flow of ours that C hands back once, here.
    boundary!(default = (), { unsafe { free_raw(flow) } })
}

/// A new authorization request: the URL to open in the user's browser, the `state` to
/// check on the callback, and the code verifier to keep (secret) for the exchange. Fresh
/// random state and verifier from the OS CSPRNG, S256 challenge. The three out-parameters
/// are written on success only; free each with x_string_free.
#[no_mangle]
pub unsafe extern "C" fn x_oauth2_flow_authorization_request(
    flow: *const x_oauth2_flow,
    url_out: *mut *mut c_char,
    state_out: *mut *mut c_char,
    code_verifier_out: *mut *mut c_char,
) -> x_result {
    boundary!({
        status(|| {
            check_out(url_out, "url_out")?;
            check_out(state_out, "state_out")?;
            check_out(code_verifier_out, "code_verifier_out")?;
            // SAFETY: `flow` is NULL or a live x_oauth2_flow from its constructor.
            let f = unsafe { try_ref(flow) }?;
            let r = f.flow.authorization_request()?;
            unsafe {
                write_out(url_out, c_string(&r.url).into_raw());
                write_out(state_out, c_string(&r.state).into_raw());
                write_out(code_verifier_out, c_string(r.verifier.expose()).into_raw());
            }
            Ok(())
        })
    })
}

/// Exchanges the callback's `code` and the request's code verifier for a token set.
/// `*out` is written on success; free it with x_token_set_free. A refused exchange is
/// X_ERR_UNAUTHORIZED with the provider's message. Blocks for the network round trip.
#[no_mangle]
pub unsafe extern "C" fn x_oauth2_flow_exchange(
    flow: *const x_oauth2_flow,
    code: *const c_char,
    code_verifier: *const c_char,
    out: *mut *mut x_token_set,
) -> x_result {
    boundary!({
        out_handle(out, || {
            // SAFETY: `flow` is NULL or a live x_oauth2_flow from its constructor; `code` is
            // NULL or NUL-terminated and outlives the call; `code_verifier` is NULL or
            // NUL-terminated and outlives the call.
            let f = unsafe { try_ref(flow) }?;
            let code = unsafe { arg_str(code, "code") }?;
            let v = unsafe { arg_str(code_verifier, "code_verifier") }?;
            f.flow.exchange(code, v).map(x_token_set::new)
        })
    })
}

/// Refreshes with `refresh_token` (spent afterwards on X: keep the new set). `*out` is
/// written on success; free it with x_token_set_free. A refused refresh is
/// X_ERR_UNAUTHORIZED with the provider's message.
#[no_mangle]
pub unsafe extern "C" fn x_oauth2_flow_refresh(
    flow: *const x_oauth2_flow,
    refresh_token: *const c_char,
    out: *mut *mut x_token_set,
) -> x_result {
    boundary!({
        out_handle(out, || {
            // SAFETY: `flow` is NULL or a live x_oauth2_flow from its constructor;
            // `refresh_token` is NULL or NUL-terminated and outlives the call.
            let f = unsafe { try_ref(flow) }?;
            let rt = unsafe { arg_str(refresh_token, "refresh_token") }?;
            f.flow.refresh(rt).map(x_token_set::new)
        })
    })
}

/// Revokes a token (`kind`: X_TOKEN_ACCESS or X_TOKEN_REFRESH).
#[no_mangle]
pub unsafe extern "C" fn x_oauth2_flow_revoke(
    flow: *const x_oauth2_flow,
    token: *const c_char,
    kind: x_token_kind,
) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `flow` is NULL or a live x_oauth2_flow from its constructor; `token` is
            // NULL or NUL-terminated and outlives the call.
            let f = unsafe { try_ref(flow) }?;
            let t = unsafe { arg_str(token, "token") }?;
            let hint = match kind {
                X_TOKEN_ACCESS => TokenTypeHint::AccessToken,
                X_TOKEN_REFRESH => TokenTypeHint::RefreshToken,
                _ => {
                    return Err(Error::invalid_argument(
                        "kind must be X_TOKEN_ACCESS or X_TOKEN_REFRESH",
                    ))
                }
            };
            f.flow.revoke(t, hint)
        })
    })
}

// ---------------------------------------------------------------------------------------
// Loopback redirect receiver

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
    boundary!(default = ptr::null(), {
        // SAFETY: `r` is NULL or a live x_redirect_receiver from its constructor.
        unsafe { opt_ref(r) }.map_or(ptr::null(), |r| r.redirect_uri.as_ptr())
    })
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

// ---------------------------------------------------------------------------------------
// Refreshing clients

/// Called with every new token set after a refresh, before it is used: store it. The token
/// set is valid only during the call (copy what you need; do not free it). It may be called
/// from any thread that uses the client, one call at a time per client.
pub type x_persist_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, tokens: *const x_token_set)>;

/// The user data handed to the persist callback; the caller guarantees it may be used from
/// the client's threads.
struct UserData(*mut c_void);
// SAFETY: the C caller promises (in the header) that user_data may be used from any thread
// that uses the client; the library only passes it back.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

/// Authorizes with an OAuth 2.0 token set that the client refreshes `margin_s` seconds
/// before it expires (0: the default, 60 s) and once after a 401, one refresh at a time
/// across the client's threads (replacing any credentials set before). `tokens` is copied
/// and must hold a refresh token. `client_secret`: NULL for a public client. `persist` (may
/// be NULL) is called with each new set before it is used, with `user_data`; user_data must
/// stay valid, and usable from the client's threads, as long as any client built from this
/// config. `token_store_path` (may be NULL): a file shared with other processes (created
/// mode 0600, locked, replaced atomically): a refresh takes its lock, re-reads it and uses a
/// set another process already rotated. The token endpoint is under the config's base URL.
/// Every client built from this config (x_client_new called more than once) shares one
/// refresher, so no two of them spend the same refresh token; set the credential again for
/// a token set of its own.
#[no_mangle]
pub unsafe extern "C" fn x_config_set_oauth2_refreshing(
    cfg: *mut x_config,
    tokens: *const x_token_set,
    client_id: *const c_char,
    client_secret: *const c_char,
    margin_s: u32,
    persist: x_persist_fn,
    user_data: *mut c_void,
    token_store_path: *const c_char,
) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `tokens` is NULL or a live x_token_set from its constructor; `client_id`
            // is NULL or NUL-terminated and outlives the call; `client_secret` is NULL or
            // NUL-terminated and outlives the call; `token_store_path` is NULL or
            // NUL-terminated and outlives the call.
            let t = unsafe { try_ref(tokens) }?;
            let id = unsafe { arg_str(client_id, "client_id") }?;
            let secret = unsafe { arg_opt_str(client_secret, "client_secret") }?;
            let store = unsafe { arg_opt_str(token_store_path, "token_store_path") }?;
            let mut cred = OAuth2Refreshing::new(t.set.clone(), id);
            if margin_s > 0 {
                cred = cred.margin(Duration::from_secs(u64::from(margin_s)));
            }
            if let Some(s) = secret {
                cred = cred.client_secret(s);
            }
            if let Some(p) = store {
                if p.is_empty() {
                    return Err(Error::invalid_argument("token_store_path is empty"));
                }
                cred = cred.token_store(p);
            }
            if let Some(f) = persist {
                let ud = UserData(user_data);
                cred = cred.on_refresh(move |set: &TokenSet| {
                    let ud = &ud;
                    let view = x_token_set::new(set.clone());
                    // A C function cannot unwind; nothing in between can panic into C.
                    // SAFETY: `f` is the caller's callback, `view` lives during the call.
                    unsafe { f(ud.0, &view) };
                    Ok(())
                });
            }
            cred.check()?;
            unsafe { try_mut(cfg) }.map(|c| c.update(|b| b.oauth2_refreshing(cred)))
        })
    })
}

/// The token set a refreshing client uses now (after a refresh, the new one). `*out` is
/// written on success; free it with x_token_set_free. X_ERR_INVALID_ARGUMENT for a client
/// without a refreshing credential.
#[no_mangle]
pub unsafe extern "C" fn x_client_token_set(
    client: *const x_client,
    out: *mut *mut x_token_set,
) -> x_result {
    boundary!({
        out_handle(out, || {
            // SAFETY: `client` is NULL or a live x_client from its constructor.
            let c = unsafe { try_ref(client) }?;
            c.inner().token_set().map(x_token_set::new).ok_or_else(|| {
                Error::invalid_argument(
                    "the client was not built with a refreshing OAuth 2.0 token set",
                )
            })
        })
    })
}

/// Secrets are wiped before their memory is freed. A global allocator (this test binary's
/// only one) looks at blocks as they are freed: one block by address, or every block for a
/// marker. It is here because it needs `unsafe`. Not under miri: a freed block's unused
/// bytes are uninitialized, and reading them is undefined behaviour there.
#[cfg(all(test, not(miri)))]
mod wipe_tests {
    use super::*;
    use crate::tokens::oauth2::OAuth2Client;
    use crate::tokens::pkce::CodeVerifier;
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

    struct Watch;

    /// The address of the one block to copy when it is freed (0: none).
    static WATCHED: AtomicUsize = AtomicUsize::new(0);
    static SEEN: [AtomicU8; 256] = [const { AtomicU8::new(0) }; 256];
    static SEEN_LEN: AtomicUsize = AtomicUsize::new(0);
    /// While set, every freed block is searched for MARKER; hits are counted.
    static SCAN: AtomicBool = AtomicBool::new(false);
    static HITS: AtomicUsize = AtomicUsize::new(0);
    const MARKER: &[u8] = b"WIPEMARKER7f3a9c";

    fn contains_marker(block: &[u8]) -> bool {
        block.windows(MARKER.len()).any(|w| w == MARKER)
    }

    // SAFETY: every call is forwarded to the system allocator unchanged; freed blocks are
    // only read before they are handed back.
    unsafe impl GlobalAlloc for Watch {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: forwarded contract.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: `ptr` is a live block of `layout.size()` bytes until handed back.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            if ptr as usize == WATCHED.load(Ordering::SeqCst) {
                let n = block.len().min(SEEN.len());
                for (i, b) in block[..n].iter().enumerate() {
                    SEEN[i].store(*b, Ordering::SeqCst);
                }
                SEEN_LEN.store(n, Ordering::SeqCst);
                WATCHED.store(0, Ordering::SeqCst);
            }
            if SCAN.load(Ordering::SeqCst) && contains_marker(block) {
                HITS.fetch_add(1, Ordering::SeqCst);
            }
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static ALLOCATOR: Watch = Watch;

    #[test]
    fn x_string_free_wipes_the_code_verifier() {
        let mut flow: *mut x_oauth2_flow = ptr::null_mut();
        let (mut url, mut state, mut verifier) =
            (ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid arguments; every string is freed once below.
        unsafe {
            assert_eq!(
                x_oauth2_flow_new(
                    ptr::null(),
                    c"client".as_ptr(),
                    ptr::null(),
                    c"http://127.0.0.1:1/cb".as_ptr(),
                    c"users.read".as_ptr(),
                    ptr::null(),
                    ptr::null(),
                    &mut flow,
                ),
                crate::ffi::X_SUCCESS
            );
            assert_eq!(
                x_oauth2_flow_authorization_request(flow, &mut url, &mut state, &mut verifier),
                crate::ffi::X_SUCCESS
            );
            let len = std::ffi::CStr::from_ptr(verifier).to_bytes().len();
            assert_eq!(len, 64);
            WATCHED.store(verifier as usize, Ordering::SeqCst);
            crate::ffi::x_string_free(verifier);
            assert_eq!(WATCHED.load(Ordering::SeqCst), 0, "the block was not freed");
            assert!(SEEN_LEN.load(Ordering::SeqCst) > len);
            let seen: Vec<u8> = SEEN[..=len]
                .iter()
                .map(|b| b.load(Ordering::SeqCst))
                .collect();
            assert_eq!(seen, vec![0u8; len + 1]);
            crate::ffi::x_string_free(url);
            crate::ffi::x_string_free(state);
            x_oauth2_flow_free(flow);
        }
    }

    #[test]
    fn token_answers_and_form_answers_are_wiped_after_parsing() {
        let m = std::str::from_utf8(MARKER).unwrap();
        // Made before the scan starts (building a string may regrow it); kept until it ends.
        let ok = format!(
            r#"{{"token_type":"bearer","expires_in":7200,"access_token":"{m}-acc","refresh_token":"{m}-ref","scope":"users.read"}}"#
        );
        let refused = format!(
            r#"{{"error":"invalid_request","error_description":"token {m}-old was invalid"}}"#
        );
        let oauth1 = format!("oauth_token=1-{m}&oauth_token_secret={m}-s&user_id=1");
        let rt = Secret::new(format!("{m}-old"));
        let verifier = CodeVerifier::from_string(&"v".repeat(43)).unwrap();
        let client = OAuth2Client::new("client", "http://127.0.0.1:1/cb", ["users.read"]);
        let answer_ok =
            |_: &str, _: Option<(&str, &str)>, _: &[(&str, &str)]| Ok((200, ok.clone()));
        let answer_refused =
            |_: &str, _: Option<(&str, &str)>, _: &[(&str, &str)]| Ok((400, refused.clone()));

        HITS.store(0, Ordering::SeqCst);
        SCAN.store(true, Ordering::SeqCst);
        let set = client.exchange(&answer_ok, "code", &verifier, 0).unwrap();
        let set2 = client.refresh(&answer_ok, &rt, 0).unwrap();
        let err = client.refresh(&answer_refused, &rt, 0).unwrap_err();
        let a = crate::tokens::oauth1::parse_access_token(&oauth1).unwrap();
        drop((set, set2, err, a));
        SCAN.store(false, Ordering::SeqCst);
        assert_eq!(HITS.load(Ordering::SeqCst), 0);
    }
}

castable! {
    x_token_set => "tokens", Shared;
    x_oauth1_flow => "flow", Shared;
    x_oauth1_request => "request", Shared;
    x_oauth1_credentials => "credentials", Shared;
    x_oauth2_flow => "flow", Shared;
    x_redirect_receiver => "receiver", Shared;
}
