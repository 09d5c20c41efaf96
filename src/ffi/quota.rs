//! The quota ledger through the C ABI: its settings on `x_config`, `x_quota_status`, and the
//! client's latest rate-limit snapshot per endpoint.

use super::client::x_client;
use super::config::x_config;
use super::result::window_out;
use super::{
    arg_opt_str, arg_str, boundary, free_raw, out_handle, status, value_of, x_rate_window, x_result,
};
use super::{castable, try_mut, try_ref};
use crate::client::policy::quota_error;
use crate::client::Endpoint;
use crate::error::Error;
use crate::quota::{QuotaLimits, QuotaStatus};
use std::ffi::c_char;
use std::ffi::c_int;

/// An endpoint whose latest rate-limit windows x_client_rate_limit() reads.
pub type x_endpoint = c_int;
/// `POST /2/users/{id}/following`.
pub const X_ENDPOINT_FOLLOW: x_endpoint = 0;
/// `DELETE /2/users/{source}/following/{target}`.
pub const X_ENDPOINT_UNFOLLOW: x_endpoint = 1;
/// `GET /2/users/me`.
pub const X_ENDPOINT_ME: x_endpoint = 2;
/// `GET /2/users/by/username/{username}`.
pub const X_ENDPOINT_USER_BY_USERNAME: x_endpoint = 3;
/// `GET /2/users/{id}/followers`.
pub const X_ENDPOINT_FOLLOWERS: x_endpoint = 4;
/// `GET /2/users/{id}/following`.
pub const X_ENDPOINT_FOLLOWING: x_endpoint = 5;

/// Sets the quota ledger's store: `"memory:"` (the default: one table per process),
/// `"sqlite:PATH"` (shared by every process of the machine), `"redis://host:port[/db]"` or
/// `"rediss://host:port[/db]"` (TLS; shared by every machine), or `"off"` (no ledger). The
/// store is opened by x_client_new, which fails with X_ERR_INVALID_ARGUMENT (bad URL) or
/// X_ERR_QUOTA_STORE (cannot open).
#[no_mangle]
pub unsafe extern "C" fn x_config_set_quota(cfg: *mut x_config, url: *const c_char) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `cfg` is NULL or a live x_config that no other thread is using; `url` is
            // NULL or NUL-terminated and outlives the call.
            let cfg = unsafe { try_mut(cfg) }?;
            let url = unsafe { arg_str(url, "quota") }?;
            cfg.update(|b| b.quota(url));
            Ok(())
        })
    })
}

/// Sets the daily caps the ledger enforces, on rolling 24-hour windows (defaults 400, 1000,
/// 500). 0 turns that cap off (its window is still counted and reported). A cap above 10000
/// fails with X_ERR_INVALID_ARGUMENT and leaves the configuration as it was.
#[no_mangle]
pub unsafe extern "C" fn x_config_set_quota_limits(
    cfg: *mut x_config,
    follows_per_user: u32,
    follows_per_app: u32,
    unfollows_per_app: u32,
) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `cfg` is NULL or a live x_config that no other thread is using.
            let cfg = unsafe { try_mut(cfg) }?;
            let limits = QuotaLimits {
                follows_per_user,
                follows_per_app,
                unfollows_per_app,
            };
            limits.check().map_err(quota_error)?;
            cfg.update(|b| b.quota_limits(limits));
            Ok(())
        })
    })
}

/// Sets the OAuth 2.0 client id (public, never the client secret), or NULL for none: the
/// app's name in the quota ledger for OAuth 2.0 credentials (OAuth 1.0a uses the consumer
/// key). Without one, every OAuth 2.0 client sharing a store counts as one app. Only a hash
/// of it is stored.
#[no_mangle]
pub unsafe extern "C" fn x_config_set_client_id(
    cfg: *mut x_config,
    client_id: *const c_char,
) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `cfg` is NULL or a live x_config that no other thread is using;
            // `client_id` is NULL or NUL-terminated and outlives the call.
            let cfg = unsafe { try_mut(cfg) }?;
            let id = unsafe { arg_opt_str(client_id, "client_id") }?;
            if id.is_some_and(str::is_empty) {
                return Err(Error::invalid_argument("client_id is empty"));
            }
            let id = id.map(str::to_owned);
            cfg.update(|b| b.client_id(id));
            Ok(())
        })
    })
}

/// The ledger's counts for one user at one moment (opaque; free with x_quota_status_free).
pub struct x_quota_status {
    s: QuotaStatus,
}

/// The ledger's counts for `user_id` (NULL: the authenticated user), now. `*out` is written
/// on success only. X_ERR_INVALID_ARGUMENT when the ledger is off; X_ERR_QUOTA_STORE when its
/// store fails.
#[no_mangle]
pub unsafe extern "C" fn x_client_quota_status(
    client: *const x_client,
    user_id: *const c_char,
    out: *mut *mut x_quota_status,
) -> x_result {
    boundary!({
        out_handle(out, || {
            // SAFETY: `client` is NULL or a live x_client from its constructor; `user_id` is
            // NULL or NUL-terminated and outlives the call.
            let c = unsafe { try_ref(client) }?;
            let user = unsafe { arg_opt_str(user_id, "user_id") }?;
            c.inner()
                .quota_status(user)?
                .map(|s| x_quota_status { s })
                .ok_or_else(|| Error::invalid_argument("the quota ledger is off (quota \"off\")"))
        })
    })
}

/// Frees a quota status. NULL is accepted.
#[no_mangle]
pub unsafe extern "C" fn x_quota_status_free(s: *mut x_quota_status) {
    // SAFETY: `s` is NULL or an x_quota_status of ours that C hands back once, here.
    boundary!(default = (), { unsafe { free_raw(s) } })
}

fn remaining(r: Option<u32>) -> i64 {
    r.map_or(-1, i64::from)
}

/// When the counts were read (Unix seconds). 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_quota_status_at(s: *const x_quota_status) -> i64 {
    // SAFETY: `s` is NULL or a live x_quota_status from its constructor.
    unsafe { value_of(s, 0, |q| q.s.at) }
}

/// The user's follows in the last 24 hours. 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_quota_status_user_used(s: *const x_quota_status) -> u32 {
    // SAFETY: `s` is NULL or a live x_quota_status from its constructor.
    unsafe { value_of(s, 0, |q| q.s.user_used) }
}

/// Follows the user has left; -1 when the per-user cap is off (or for NULL).
#[no_mangle]
pub unsafe extern "C" fn x_quota_status_user_remaining(s: *const x_quota_status) -> i64 {
    // SAFETY: `s` is NULL or a live x_quota_status from its constructor.
    unsafe { value_of(s, -1, |q| remaining(q.s.user_remaining)) }
}

/// The app's follows (all users) in the last 24 hours. 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_quota_status_app_used(s: *const x_quota_status) -> u32 {
    // SAFETY: `s` is NULL or a live x_quota_status from its constructor.
    unsafe { value_of(s, 0, |q| q.s.app_used) }
}

/// Follows the app has left; -1 when the per-app cap is off (or for NULL).
#[no_mangle]
pub unsafe extern "C" fn x_quota_status_app_remaining(s: *const x_quota_status) -> i64 {
    // SAFETY: `s` is NULL or a live x_quota_status from its constructor.
    unsafe { value_of(s, -1, |q| remaining(q.s.app_remaining)) }
}

/// The app's unfollows in the last 24 hours. 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_quota_status_unfollows_used(s: *const x_quota_status) -> u32 {
    // SAFETY: `s` is NULL or a live x_quota_status from its constructor.
    unsafe { value_of(s, 0, |q| q.s.unfollows_used) }
}

/// Unfollows the app has left; -1 when the unfollow cap is off (or for NULL).
#[no_mangle]
pub unsafe extern "C" fn x_quota_status_unfollows_remaining(s: *const x_quota_status) -> i64 {
    // SAFETY: `s` is NULL or a live x_quota_status from its constructor.
    unsafe { value_of(s, -1, |q| remaining(q.s.unfollows_remaining)) }
}

/// 0 when the user may follow now; else the Unix time (seconds) at which both the user's and
/// the app's follow windows have a free slot.
#[no_mangle]
pub unsafe extern "C" fn x_quota_status_next_free_at(s: *const x_quota_status) -> i64 {
    // SAFETY: `s` is NULL or a live x_quota_status from its constructor.
    unsafe { value_of(s, 0, |q| q.s.next_free_at.unwrap_or(0)) }
}

/// 0 when the app may unfollow now; else the Unix time at which its unfollow window has a
/// free slot.
#[no_mangle]
pub unsafe extern "C" fn x_quota_status_unfollows_next_free_at(s: *const x_quota_status) -> i64 {
    // SAFETY: `s` is NULL or a live x_quota_status from its constructor.
    unsafe { value_of(s, 0, |q| q.s.unfollows_next_free_at.unwrap_or(0)) }
}

/// Copies one window of the latest rate-limit snapshot `client` saw for `endpoint` (an
/// `X_ENDPOINT_*`) into the out-parameters (each may be NULL). Returns true when that
/// endpoint answered with that window; false otherwise, for NULL or an unknown endpoint or
/// window. Thread-safe; does not touch the last error.
#[no_mangle]
pub unsafe extern "C" fn x_client_rate_limit(
    client: *const x_client,
    endpoint: x_endpoint,
    window: x_rate_window,
    limit_out: *mut u64,
    remaining_out: *mut u64,
    reset_out: *mut u64,
) -> bool {
    boundary!(default = false, {
        // SAFETY: `client` is NULL or a live x_client from its constructor.
        let Ok(c) = (unsafe { try_ref(client) }) else {
            return false;
        };
        let ep = match endpoint {
            X_ENDPOINT_FOLLOW => Endpoint::Follow,
            X_ENDPOINT_UNFOLLOW => Endpoint::Unfollow,
            X_ENDPOINT_ME => Endpoint::Me,
            X_ENDPOINT_USER_BY_USERNAME => Endpoint::UserByUsername,
            X_ENDPOINT_FOLLOWERS => Endpoint::Followers,
            X_ENDPOINT_FOLLOWING => Endpoint::Following,
            _ => return false,
        };
        let rl = c.inner().rate_limit(ep);
        unsafe { window_out(rl.as_ref(), window, limit_out, remaining_out, reset_out) }
    })
}

castable! {
    x_quota_status => "status", Shared;
}
