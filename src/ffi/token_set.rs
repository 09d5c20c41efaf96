//! `x_token_set`: an OAuth 2.0 token set, and the refreshing credential of a configuration
//! (`x_config_set_oauth2_refreshing`, `x_client_token_set`) that keeps one alive.

use super::client::x_client;
use super::config::x_config;
use super::str_of;
use super::CSecret;
use super::{
    arg_opt_str, arg_str, boundary, c_string, free_raw, out_handle, status, x_result, UserData,
};
use super::{castable, opt_ref, try_mut, try_ref};
use crate::auth::OAuth2Refreshing;
use crate::error::Error;
use crate::tokens::{Secret, TokenSet};
use std::ffi::{c_char, c_void, CString};
use std::ptr;
use std::time::Duration;

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
    // SAFETY: `t` is NULL or a live x_token_set from its constructor.
    unsafe { str_of(t, |t| t.access.as_ptr()) }
}

/// The refresh token (secret), or NULL when the set has none (no `offline.access`). Owned
/// by the token set.
#[no_mangle]
pub unsafe extern "C" fn x_token_set_refresh_token(t: *const x_token_set) -> *const c_char {
    // SAFETY: `t` is NULL or a live x_token_set from its constructor.
    unsafe {
        str_of(t, |t| {
            t.refresh.as_ref().map_or(ptr::null(), CSecret::as_ptr)
        })
    }
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
    // SAFETY: `t` is NULL or a live x_token_set from its constructor.
    unsafe { str_of(t, |t| t.scopes.as_ptr()) }
}

/// Called with every new token set after a refresh, before it is used: store it. The token
/// set is valid only during the call (copy what you need; do not free it). It may be called
/// from any thread that uses the client, one call at a time per client.
pub type x_persist_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, tokens: *const x_token_set)>;

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

castable! {
    x_token_set => "tokens", Shared;
}
