//! `x_client`: a built, immutable, thread-safe client, and the calls made with it.

use super::config::x_config;
use super::result::{x_follow_result, x_user};
use super::{arg_opt_str, arg_str, boundary, c_string, free_raw, out_handle, out_string, x_result};
use super::{castable, try_ref};
use crate::cancel::Cancel;
use crate::client::Client;
use std::ffi::c_char;

/// A client (opaque). Immutable after x_client_new and safe to share between threads:
/// every function taking a `const x_client *` may be called concurrently. It holds one
/// connection pool. Free it once with x_client_free after all calls have returned.
pub struct x_client {
    inner: Client,
}

impl x_client {
    pub(crate) fn inner(&self) -> &Client {
        &self.inner
    }
}

/// x_follow (`follow`) or x_unfollow: the same checks, then the one call.
unsafe fn relationship(
    client: *const x_client,
    source_user_id: *const c_char,
    target_user_id: *const c_char,
    out: *mut *mut x_follow_result,
    follow: bool,
) -> x_result {
    out_handle(out, || {
        // SAFETY: `client` is NULL or a live x_client from its constructor; `target_user_id` is
        // NULL or NUL-terminated and outlives the call; `source_user_id` is NULL or
        // NUL-terminated and outlives the call.
        let c = unsafe { try_ref(client) }?;
        let target = unsafe { arg_str(target_user_id, "target_user_id") }?;
        let source = unsafe { arg_opt_str(source_user_id, "source_user_id") }?;
        if follow {
            c.inner.follow(source, target)
        } else {
            c.inner.unfollow(source, target)
        }
        .map(x_follow_result::new)
    })
}

/// Builds a client from a configuration (copied; the config may be freed or changed
/// afterwards). Checks the base URL, credentials, timeouts, proxy and CA file; makes no
/// request. `*out` is written on success only.
#[no_mangle]
pub unsafe extern "C" fn x_client_new(cfg: *const x_config, out: *mut *mut x_client) -> x_result {
    boundary!({
        out_handle(out, || {
            // SAFETY: `cfg` is NULL or a live x_config from its constructor.
            let cfg = unsafe { try_ref(cfg) }?;
            // Each client gets its own cancellation switch (x_client_cancel), even when
            // several are built from one config.
            let b = cfg.builder();
            let policy = b.retry_policy_ref().clone().with_cancel(Cancel::new());
            Ok(x_client {
                inner: b.clone().retry(policy).build()?,
            })
        })
    })
}

/// Frees a client. NULL is accepted. No call may be running on it.
#[no_mangle]
pub unsafe extern "C" fn x_client_free(client: *mut x_client) {
    // SAFETY: `client` is NULL or an x_client of ours that C hands back once, here.
    boundary!(default = (), { unsafe { free_raw(client) } })
}

/// Follows `target_user_id` as `source_user_id` (NULL: the authenticated user, from the
/// OAuth 1.0a token without a request, or GET /2/users/me once per client for OAuth 2.0).
/// Ids are 1 to 19 ASCII digits. `*out` is written on success only; free it with
/// x_follow_result_free. Blocks for the network round trip.
#[no_mangle]
pub unsafe extern "C" fn x_follow(
    client: *const x_client,
    source_user_id: *const c_char,
    target_user_id: *const c_char,
    out: *mut *mut x_follow_result,
) -> x_result {
    // SAFETY: `relationship` gets this function's pointers, under the same contract.
    boundary!({ unsafe { relationship(client, source_user_id, target_user_id, out, true) } })
}

/// Unfollows `target_user_id` as `source_user_id` (NULL: the authenticated user). `*out`
/// is written on success only; free it with x_follow_result_free.
#[no_mangle]
pub unsafe extern "C" fn x_unfollow(
    client: *const x_client,
    source_user_id: *const c_char,
    target_user_id: *const c_char,
    out: *mut *mut x_follow_result,
) -> x_result {
    // SAFETY: `relationship` gets this function's pointers, under the same contract.
    boundary!({ unsafe { relationship(client, source_user_id, target_user_id, out, false) } })
}

/// The authenticated user (GET /2/users/me). `*out` is written on success only; free it
/// with x_user_free.
#[no_mangle]
pub unsafe extern "C" fn x_me(client: *const x_client, out: *mut *mut x_user) -> x_result {
    boundary!({
        out_handle(out, || {
            // SAFETY: `client` is NULL or a live x_client from its constructor.
            let c = unsafe { try_ref(client) }?;
            c.inner.me().map(x_user::new)
        })
    })
}

/// A user by @handle without `@` (1 to 15 of A-Z a-z 0-9 _). `*out` is written on success
/// only; free it with x_user_free.
#[no_mangle]
pub unsafe extern "C" fn x_user_by_username(
    client: *const x_client,
    username: *const c_char,
    out: *mut *mut x_user,
) -> x_result {
    boundary!({
        out_handle(out, || {
            // SAFETY: `client` is NULL or a live x_client from its constructor; `username` is
            // NULL or NUL-terminated and outlives the call.
            let c = unsafe { try_ref(client) }?;
            let name = unsafe { arg_str(username, "username") }?;
            c.inner.user_by_username(name).map(x_user::new)
        })
    })
}

/// The authenticated user's id, as used when a source id is NULL. `*out` is written on
/// success only, with a string to free with x_string_free.
#[no_mangle]
pub unsafe extern "C" fn x_client_own_user_id(
    client: *const x_client,
    out: *mut *mut c_char,
) -> x_result {
    boundary!({
        out_string(out, "out", || {
            // SAFETY: `client` is NULL or a live x_client from its constructor.
            let c = unsafe { try_ref(client) }?;
            c.inner.own_user_id().map(|id| c_string(&id))
        })
    })
}

castable! {
    x_client => "client", Shared;
}
