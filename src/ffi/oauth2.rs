//! `x_oauth2_flow`: OAuth 2.0 Authorization Code with PKCE (authorization request,
//! exchange, refresh, revoke).

use super::config::{transport_of, x_config};
use super::token_set::x_token_set;
use super::{
    arg_opt_str, arg_str, boundary, c_string, check_out, free_raw, out_handle, status, write_out,
    x_result,
};
use super::{castable, opt_ref, try_ref};
use crate::error::Error;
use crate::tokens::oauth2::TokenTypeHint;
use crate::tokens::OAuth2Flow;
use std::ffi::{c_char, c_int};

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

/// Secrets are wiped before their memory is freed. A global allocator (this test binary's
/// only one) looks at blocks as they are freed: one block by address, or every block for a
/// marker. It is here because it needs `unsafe`. Not under miri: a freed block's unused
/// bytes are uninitialized, and reading them is undefined behaviour there.
#[cfg(all(test, not(miri)))]
mod wipe_tests {
    use super::*;
    use crate::tokens::oauth2::OAuth2Client;
    use crate::tokens::pkce::CodeVerifier;
    use crate::tokens::Secret;
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::ptr;
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
    x_oauth2_flow => "flow", Shared;
}
