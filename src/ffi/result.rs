//! Opaque results read through accessor functions, so that they can grow without an ABI
//! break.

use super::{boundary, c_string, free_raw, value_of};
use super::{castable, opt_ref, Castable};
use super::{opt_ptr, str_of};
use crate::api::{FollowOutcome, FollowState, User};
use crate::ratelimit::RateLimit;
use std::ffi::{c_char, c_int, CString};
use std::ptr;

/// Which rate-limit window to read.
pub type x_rate_window = c_int;
/// `x-rate-limit-*`: the endpoint's 15-minute window.
pub const X_WINDOW_ENDPOINT: x_rate_window = 0;
/// `x-user-limit-24hour-*`: the user's 24-hour window.
pub const X_WINDOW_USER_24H: x_rate_window = 1;
/// `x-app-limit-24hour-*`: the app's 24-hour window.
pub const X_WINDOW_APP_24H: x_rate_window = 2;

/// The relationship after a follow or unfollow.
pub type x_follow_state = c_int;
/// Neither following nor pending (after an unfollow).
pub const X_STATE_NOT_FOLLOWING: x_follow_state = 0;
/// Following.
pub const X_STATE_FOLLOWING: x_follow_state = 1;
/// A follow request is pending (protected target).
pub const X_STATE_PENDING: x_follow_state = 2;

/// Copies one window of `rl` into the out-parameters that are not NULL; false when there is
/// no `rl` or it lacks that window.
pub(crate) unsafe fn window_out(
    rl: Option<&RateLimit>,
    window: x_rate_window,
    limit_out: *mut u64,
    remaining_out: *mut u64,
    reset_out: *mut u64,
) -> bool {
    let Some(rl) = rl else { return false };
    let w = match window {
        X_WINDOW_ENDPOINT => rl.endpoint,
        X_WINDOW_USER_24H => rl.user_24h,
        X_WINDOW_APP_24H => rl.app_24h,
        _ => None,
    };
    let Some(w) = w else { return false };
    for (p, v) in [
        (limit_out, w.limit),
        (remaining_out, w.remaining),
        (reset_out, w.reset),
    ] {
        if !p.is_null() {
            // SAFETY: non-NULL out-pointers point to writable uint64_t storage.
            unsafe { p.write(v) };
        }
    }
    true
}

/// An object's rate-limit accessor: one window of the `RateLimit` that `get` reads from the
/// object into the out-parameters (see [`window_out`]); false for a NULL object.
///
/// # Safety
/// `p` is NULL or a live `T` from its constructor; each out-pointer is NULL or writable.
pub(crate) unsafe fn rate_limit_of<T: Castable>(
    p: *const T,
    get: impl FnOnce(&T) -> &RateLimit,
    window: x_rate_window,
    limit_out: *mut u64,
    remaining_out: *mut u64,
    reset_out: *mut u64,
) -> bool {
    boundary!(default = false, {
        // SAFETY: this function's contract, passed on.
        unsafe {
            window_out(
                opt_ref(p).map(get),
                window,
                limit_out,
                remaining_out,
                reset_out,
            )
        }
    })
}

/// The outcome of x_follow / x_unfollow (opaque; read it with the accessors, free it with
/// x_follow_result_free).
pub struct x_follow_result {
    outcome: FollowOutcome,
    messages: Vec<Option<CString>>,
}

impl x_follow_result {
    pub(crate) fn new(outcome: FollowOutcome) -> x_follow_result {
        let messages = outcome
            .errors
            .iter()
            .map(|e| e.message.as_deref().map(c_string))
            .collect();
        x_follow_result { outcome, messages }
    }
}

/// Frees a follow result. NULL is accepted.
#[no_mangle]
pub unsafe extern "C" fn x_follow_result_free(r: *mut x_follow_result) {
    // SAFETY: `r` is NULL or an x_follow_result of ours that C hands back once, here.
    boundary!(default = (), { unsafe { free_raw(r) } })
}

/// `data.following` (false for NULL).
#[no_mangle]
pub unsafe extern "C" fn x_follow_result_following(r: *const x_follow_result) -> bool {
    // SAFETY: `r` is NULL or a live x_follow_result from its constructor.
    unsafe { value_of(r, false, |r| r.outcome.following) }
}

/// `data.pending_follow` (false when absent, as after an unfollow, and for NULL).
#[no_mangle]
pub unsafe extern "C" fn x_follow_result_pending_follow(r: *const x_follow_result) -> bool {
    // SAFETY: `r` is NULL or a live x_follow_result from its constructor.
    unsafe { value_of(r, false, |r| r.outcome.pending_follow) }
}

/// The state: X_STATE_FOLLOWING, X_STATE_PENDING or X_STATE_NOT_FOLLOWING (also for NULL).
#[no_mangle]
pub unsafe extern "C" fn x_follow_result_state(r: *const x_follow_result) -> x_follow_state {
    boundary!(default = X_STATE_NOT_FOLLOWING, {
        // SAFETY: `r` is NULL or a live x_follow_result from its constructor.
        match unsafe { opt_ref(r) }.map(|r| r.outcome.state) {
            Some(FollowState::Following) => X_STATE_FOLLOWING,
            Some(FollowState::Pending) => X_STATE_PENDING,
            _ => X_STATE_NOT_FOLLOWING,
        }
    })
}

/// The HTTP status of the response (200), or 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_follow_result_http_status(r: *const x_follow_result) -> i32 {
    // SAFETY: `r` is NULL or a live x_follow_result from its constructor.
    unsafe { value_of(r, 0, |r| i32::from(r.outcome.http_status)) }
}

/// Copies one rate-limit window of the response into the out-parameters (each may be
/// NULL). Returns true when the response carried that window.
#[no_mangle]
pub unsafe extern "C" fn x_follow_result_rate_limit(
    r: *const x_follow_result,
    window: x_rate_window,
    limit_out: *mut u64,
    remaining_out: *mut u64,
    reset_out: *mut u64,
) -> bool {
    // SAFETY: `r` is NULL or a live x_follow_result; the out-pointers are NULL or writable
    // (the documented contract).
    unsafe {
        rate_limit_of(
            r,
            |r| &r.outcome.rate_limit,
            window,
            limit_out,
            remaining_out,
            reset_out,
        )
    }
}

/// The number of partial `errors` that came beside `data`.
#[no_mangle]
pub unsafe extern "C" fn x_follow_result_error_count(r: *const x_follow_result) -> usize {
    // SAFETY: `r` is NULL or a live x_follow_result from its constructor.
    unsafe { value_of(r, 0, |r| r.outcome.errors.len()) }
}

/// The legacy `code` of partial error `index`, or -1.
#[no_mangle]
pub unsafe extern "C" fn x_follow_result_error_code(
    r: *const x_follow_result,
    index: usize,
) -> i64 {
    boundary!(default = -1, {
        // SAFETY: `r` is NULL or a live x_follow_result from its constructor.
        unsafe { opt_ref(r) }
            .and_then(|r| r.outcome.errors.get(index))
            .and_then(|e| e.code)
            .unwrap_or(-1)
    })
}

/// The `message` of partial error `index`, or NULL. Owned by the result.
#[no_mangle]
pub unsafe extern "C" fn x_follow_result_error_message(
    r: *const x_follow_result,
    index: usize,
) -> *const c_char {
    // SAFETY: `r` is NULL or a live x_follow_result from its constructor.
    unsafe { str_of(r, |r| r.messages.get(index).map_or(ptr::null(), opt_ptr)) }
}

/// A user (opaque; read it with the accessors, free it with x_user_free).
pub struct x_user {
    user: User,
    id: CString,
    username: CString,
    name: CString,
}

impl x_user {
    pub(crate) fn new(user: User) -> x_user {
        x_user {
            id: c_string(&user.id),
            username: c_string(&user.username),
            name: c_string(&user.name),
            user,
        }
    }
}

/// Frees a user. NULL is accepted.
#[no_mangle]
pub unsafe extern "C" fn x_user_free(u: *mut x_user) {
    // SAFETY: `u` is NULL or an x_user of ours that C hands back once, here.
    boundary!(default = (), { unsafe { free_raw(u) } })
}

/// The user id (digits). Owned by the user object; NULL for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_user_id(u: *const x_user) -> *const c_char {
    // SAFETY: `u` is NULL or a live x_user from its constructor.
    unsafe { str_of(u, |u| u.id.as_ptr()) }
}

/// The @handle without `@`. Owned by the user object; NULL for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_user_username(u: *const x_user) -> *const c_char {
    // SAFETY: `u` is NULL or a live x_user from its constructor.
    unsafe { str_of(u, |u| u.username.as_ptr()) }
}

/// The display name (UTF-8). Owned by the user object; NULL for NULL.
#[no_mangle]
pub unsafe extern "C" fn x_user_name(u: *const x_user) -> *const c_char {
    // SAFETY: `u` is NULL or a live x_user from its constructor.
    unsafe { str_of(u, |u| u.name.as_ptr()) }
}

/// Copies one rate-limit window of the response that returned this user (see
/// x_follow_result_rate_limit).
#[no_mangle]
pub unsafe extern "C" fn x_user_rate_limit(
    u: *const x_user,
    window: x_rate_window,
    limit_out: *mut u64,
    remaining_out: *mut u64,
    reset_out: *mut u64,
) -> bool {
    // SAFETY: `u` is NULL or a live x_user; the out-pointers are NULL or writable
    // (the documented contract).
    unsafe {
        rate_limit_of(
            u,
            |u| &u.user.rate_limit,
            window,
            limit_out,
            remaining_out,
            reset_out,
        )
    }
}

castable! {
    x_follow_result => "result", Shared;
    x_user => "user", Shared;
}
