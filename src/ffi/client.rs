//! `x_client`: a built, immutable, thread-safe client, and the calls made with it.

use super::config::{builder, x_config};
use super::result::{x_follow_result, x_user};
use super::{
    arg_opt_str, arg_str, boundary, c_string, check_out, fail, handle, last_error, write_out,
    x_result, X_SUCCESS,
};
use crate::client::Client;
use crate::error::Error;
use std::ffi::c_char;

/// A client (opaque). Immutable after x_client_new and safe to share between threads:
/// every function taking a `const x_client *` may be called concurrently. It holds one
/// connection pool. Free it once with x_client_free after all calls have returned.
pub struct x_client {
    inner: Client,
}

/// The Rust client behind a handle.
pub(crate) fn inner(c: &x_client) -> &Client {
    &c.inner
}

fn run<T>(out: *mut *mut T, f: impl FnOnce() -> Result<T, Error>) -> x_result {
    last_error::clear();
    let r = check_out(out, "out").and_then(|_| f());
    match r {
        Ok(v) => {
            // SAFETY: `out` was checked non-NULL.
            unsafe { write_out(out, Box::into_raw(Box::new(v))) };
            X_SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// Builds a client from a configuration (copied; the config may be freed or changed
/// afterwards). Checks the base URL, credentials, timeouts, proxy and CA file; makes no
/// request. `*out` is written on success only.
#[no_mangle]
pub unsafe extern "C" fn x_client_new(cfg: *const x_config, out: *mut *mut x_client) -> x_result {
    boundary!({
        run(out, || {
            // SAFETY: pointer contract of the C API.
            let cfg = unsafe { handle(cfg, "config") }?;
            Ok(x_client {
                inner: builder(cfg).build()?,
            })
        })
    })
}

/// Frees a client. NULL is accepted. No call may be running on it.
#[no_mangle]
pub unsafe extern "C" fn x_client_free(client: *mut x_client) {
    boundary!(default = (), {
        if !client.is_null() {
            // SAFETY: `client` came from x_client_new and is freed once.
            drop(unsafe { Box::from_raw(client) });
        }
    })
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
    boundary!({
        run(out, || {
            // SAFETY: pointer contracts of the C API.
            let c = unsafe { handle(client, "client") }?;
            let target = unsafe { arg_str(target_user_id, "target_user_id") }?;
            let source = unsafe { arg_opt_str(source_user_id, "source_user_id") }?;
            c.inner.follow(source, target).map(x_follow_result::new)
        })
    })
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
    boundary!({
        run(out, || {
            // SAFETY: pointer contracts of the C API.
            let c = unsafe { handle(client, "client") }?;
            let target = unsafe { arg_str(target_user_id, "target_user_id") }?;
            let source = unsafe { arg_opt_str(source_user_id, "source_user_id") }?;
            c.inner.unfollow(source, target).map(x_follow_result::new)
        })
    })
}

/// The authenticated user (GET /2/users/me). `*out` is written on success only; free it
/// with x_user_free.
#[no_mangle]
pub unsafe extern "C" fn x_me(client: *const x_client, out: *mut *mut x_user) -> x_result {
    boundary!({
        run(out, || {
            // SAFETY: pointer contract of the C API.
            let c = unsafe { handle(client, "client") }?;
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
        run(out, || {
            // SAFETY: pointer contracts of the C API.
            let c = unsafe { handle(client, "client") }?;
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
        last_error::clear();
        let r = check_out(out, "out").and_then(|_| {
            // SAFETY: pointer contract of the C API.
            let c = unsafe { handle(client, "client") }?;
            c.inner.own_user_id()
        });
        match r {
            Ok(id) => {
                // SAFETY: `out` was checked non-NULL.
                unsafe { write_out(out, c_string(&id).into_raw()) };
                X_SUCCESS
            }
            Err(e) => fail(e),
        }
    })
}
