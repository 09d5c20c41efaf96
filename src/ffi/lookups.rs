//! `x_followers` / `x_following` and `x_user_page`, one page of a followers or following
//! list read through accessors.

use super::client::x_client;
use super::result::{rate_limit_of, x_rate_window};
use super::{arg_opt_str, boundary, c_string, free_raw, out_handle, value_of, x_result};
use super::{castable, try_ref};
use super::{opt_ptr, str_of};
use crate::client::pages::{PageRequest, UserPage};
use std::ffi::{c_char, CString};
use std::ptr;

/// One page of a followers or following list, newest relationship first (opaque; read it
/// with the accessors, free it with x_user_page_free). Strings it returns are owned by it.
pub struct x_user_page {
    page: UserPage,
    ids: Vec<CString>,
    usernames: Vec<CString>,
    names: Vec<CString>,
    next_token: Option<CString>,
    previous_token: Option<CString>,
}

impl x_user_page {
    fn new(page: UserPage) -> x_user_page {
        let col =
            |f: fn(&crate::api::User) -> &str| page.users.iter().map(|u| c_string(f(u))).collect();
        x_user_page {
            ids: col(|u| &u.id),
            usernames: col(|u| &u.username),
            names: col(|u| &u.name),
            next_token: page.next_token.as_deref().map(c_string),
            previous_token: page.previous_token.as_deref().map(c_string),
            page,
        }
    }
}

unsafe fn list(
    client: *const x_client,
    user_id: *const c_char,
    max_results: u32,
    pagination_token: *const c_char,
    out: *mut *mut x_user_page,
    followers: bool,
) -> x_result {
    out_handle(out, || {
        // SAFETY: `client` is NULL or a live x_client from its constructor; `user_id` is NULL
        // or NUL-terminated and outlives the call; `pagination_token` is NULL or NUL-terminated
        // and outlives the call.
        let c = unsafe { try_ref(client) }?;
        let user = unsafe { arg_opt_str(user_id, "user_id") }?;
        let token = unsafe { arg_opt_str(pagination_token, "pagination_token") }?;
        let page = PageRequest {
            max_results: (max_results != 0).then_some(max_results),
            pagination_token: token,
        };
        if followers {
            c.inner().followers(user, &page)
        } else {
            c.inner().following(user, &page)
        }
        .map(x_user_page::new)
    })
}

/// One page of the users who follow `user_id` (NULL: the authenticated user), newest first
/// (GET /2/users/{id}/followers). `max_results`: 1 to 1000, or 0 for the API's default (100).
/// `pagination_token`: NULL for the first page, else the x_user_page_next_token of the page
/// before (1 to 256 of A-Z a-z 0-9 _ -). Bad arguments fail with X_ERR_INVALID_ARGUMENT
/// before any request; an unknown user fails with X_ERR_NOT_FOUND; an OAuth 2.0 token
/// without the follows.read scope with X_ERR_FORBIDDEN. `*out` is written on success only;
/// free it with x_user_page_free. Blocks for the network round trip.
#[no_mangle]
pub unsafe extern "C" fn x_followers(
    client: *const x_client,
    user_id: *const c_char,
    max_results: u32,
    pagination_token: *const c_char,
    out: *mut *mut x_user_page,
) -> x_result {
    // SAFETY: `list` gets this function's pointers, under the same contract.
    boundary!({ unsafe { list(client, user_id, max_results, pagination_token, out, true) } })
}

/// One page of the users `user_id` follows (NULL: the authenticated user), newest first
/// (GET /2/users/{id}/following). Arguments, errors and ownership as for x_followers.
#[no_mangle]
pub unsafe extern "C" fn x_following(
    client: *const x_client,
    user_id: *const c_char,
    max_results: u32,
    pagination_token: *const c_char,
    out: *mut *mut x_user_page,
) -> x_result {
    // SAFETY: `list` gets this function's pointers, under the same contract.
    boundary!({ unsafe { list(client, user_id, max_results, pagination_token, out, false) } })
}

/// Frees a page. NULL is accepted.
#[no_mangle]
pub unsafe extern "C" fn x_user_page_free(page: *mut x_user_page) {
    // SAFETY: `page` is NULL or an x_user_page of ours that C hands back once, here.
    boundary!(default = (), { unsafe { free_raw(page) } })
}

/// The number of users on the page (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn x_user_page_count(page: *const x_user_page) -> usize {
    // SAFETY: `page` is NULL or a live x_user_page from its constructor.
    unsafe { value_of(page, 0, |p| p.page.users.len()) }
}

/// `meta.result_count` as the API sent it (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn x_user_page_result_count(page: *const x_user_page) -> u32 {
    // SAFETY: `page` is NULL or a live x_user_page from its constructor.
    unsafe { value_of(page, 0, |p| p.page.result_count) }
}

fn nth(v: &[CString], index: usize) -> *const c_char {
    v.get(index).map_or(ptr::null(), |c| c.as_ptr())
}

/// The id of user `index` (0-based). NULL for an index out of range or a NULL page.
#[no_mangle]
pub unsafe extern "C" fn x_user_page_user_id(
    page: *const x_user_page,
    index: usize,
) -> *const c_char {
    // SAFETY: `page` is NULL or a live x_user_page from its constructor.
    unsafe { str_of(page, |p| nth(&p.ids, index)) }
}

/// The @handle (without `@`) of user `index`. NULL for an index out of range.
#[no_mangle]
pub unsafe extern "C" fn x_user_page_username(
    page: *const x_user_page,
    index: usize,
) -> *const c_char {
    // SAFETY: `page` is NULL or a live x_user_page from its constructor.
    unsafe { str_of(page, |p| nth(&p.usernames, index)) }
}

/// The display name (UTF-8) of user `index`. NULL for an index out of range.
#[no_mangle]
pub unsafe extern "C" fn x_user_page_name(page: *const x_user_page, index: usize) -> *const c_char {
    // SAFETY: `page` is NULL or a live x_user_page from its constructor.
    unsafe { str_of(page, |p| nth(&p.names, index)) }
}

/// The token of the next page (pass it to the next x_followers/x_following call), or NULL
/// on the last page. Owned by the page.
#[no_mangle]
pub unsafe extern "C" fn x_user_page_next_token(page: *const x_user_page) -> *const c_char {
    // SAFETY: `page` is NULL or a live x_user_page from its constructor.
    unsafe { str_of(page, |p| opt_ptr(&p.next_token)) }
}

/// The token of the previous page, or NULL on the first page. Owned by the page.
#[no_mangle]
pub unsafe extern "C" fn x_user_page_previous_token(page: *const x_user_page) -> *const c_char {
    // SAFETY: `page` is NULL or a live x_user_page from its constructor.
    unsafe { str_of(page, |p| opt_ptr(&p.previous_token)) }
}

/// Copies one rate-limit window of the response that returned this page (see
/// x_follow_result_rate_limit).
#[no_mangle]
pub unsafe extern "C" fn x_user_page_rate_limit(
    page: *const x_user_page,
    window: x_rate_window,
    limit_out: *mut u64,
    remaining_out: *mut u64,
    reset_out: *mut u64,
) -> bool {
    // SAFETY: `page` is NULL or a live x_user_page; the out-pointers are NULL or writable
    // (the documented contract).
    unsafe {
        rate_limit_of(
            page,
            |p| &p.page.rate_limit,
            window,
            limit_out,
            remaining_out,
            reset_out,
        )
    }
}

castable! {
    x_user_page => "page", Shared;
}
