//! Tests of the C ABI's pointer, string, handle and out-parameter rules that need no network
//! and no C dependency, so that they also run under miri (`make miri`). A test that must
//! reach a C dependency or the OS is marked `cfg_attr(miri, ignore)` and says why.

use super::*;
use crate::ratelimit::RateLimit;
use std::ptr;

/// A C string borrowed from the library, as text.
fn text(p: *const c_char) -> Option<String> {
    // SAFETY: the library's strings are NUL-terminated and live until the next call.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

#[test]
fn string_arguments() {
    // SAFETY: NULL or NUL-terminated strings.
    unsafe {
        let e = arg_str(ptr::null(), "user_id").unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::InvalidArgument);
        assert_eq!(e.message(), "user_id is NULL");
        assert_eq!(arg_str(c"783214".as_ptr(), "user_id").unwrap(), "783214");
        let bad = [0xffu8, 0xfe, 0];
        let e = arg_str(bad.as_ptr().cast(), "username").unwrap_err();
        assert_eq!(e.message(), "username is not valid UTF-8");
        assert_eq!(arg_opt_str(ptr::null(), "scopes").unwrap(), None);
        assert_eq!(arg_opt_str(c"".as_ptr(), "scopes").unwrap(), Some(""));
        assert_eq!(
            arg_opt_str(bad.as_ptr().cast(), "scopes")
                .unwrap_err()
                .message(),
            "scopes is not valid UTF-8"
        );
    }
}

/// A handle type for the tests of the handle functions.
#[derive(Debug, PartialEq)]
struct Probe(u32);

castable! {
    Probe => "client", Shared;
}

#[test]
fn handles_and_out_parameters() {
    // SAFETY: NULL, or a pointer to a live local Probe.
    unsafe {
        assert_eq!(
            try_ref::<Probe>(ptr::null()).unwrap_err().message(),
            "client is NULL"
        );
        assert_eq!(opt_ref::<Probe>(ptr::null()), None);
        let v = Probe(7);
        assert_eq!(*try_ref(&v).unwrap(), Probe(7));
    }
    // NULL out: refused before the value is made.
    let mut made = false;
    let code = out_handle::<Probe>(ptr::null_mut(), || {
        made = true;
        Ok(Probe(1))
    });
    assert_eq!((code, made), (X_ERR_INVALID_ARGUMENT, false));
    assert_eq!(text(x_last_error_message()).as_deref(), Some("out is NULL"));
    // A failure leaves *out untouched.
    let mut untouched = Probe(0);
    let sentinel: *mut Probe = &mut untouched;
    let mut out = sentinel;
    let code = out_handle::<Probe>(&mut out, || Err(Error::invalid_argument("no")));
    assert_eq!((code, out), (X_ERR_INVALID_ARGUMENT, sentinel));
    assert_eq!(x_last_error_code(), X_ERR_INVALID_ARGUMENT);
    // Success writes a handle, and clears the last error.
    let code = out_handle(&mut out, || Ok(Probe(41)));
    assert_eq!(code, X_SUCCESS);
    assert_eq!(x_last_error_code(), X_SUCCESS);
    assert_eq!(text(x_last_error_message()).as_deref(), Some("no error"));
    // SAFETY: `out` came from out_handle and is freed once; NULL is accepted.
    unsafe {
        assert_eq!(*out, Probe(41));
        free_raw(out);
        free_raw::<Probe>(ptr::null_mut());
    }
}

#[test]
fn the_config_is_borrowed_exclusively_and_names_itself() {
    let mut cfg: *mut x_config = ptr::null_mut();
    // SAFETY: a config made here and freed once; NULL for the refusal.
    unsafe {
        assert_eq!(x_config_new(&mut cfg), X_SUCCESS);
        assert!(try_mut(cfg).is_ok());
        let e = try_mut::<x_config>(ptr::null_mut())
            .err()
            .map(|e| e.message().to_owned());
        assert_eq!(e.as_deref(), Some("config is NULL"));
        x_config_free(cfg);
    }
}

#[test]
fn out_strings_and_their_free() {
    let mut s: *mut c_char = ptr::null_mut();
    assert_eq!(
        out_string(ptr::null_mut(), "user_id_out", || Ok(c_string("1"))),
        X_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        text(x_last_error_message()).as_deref(),
        Some("user_id_out is NULL")
    );
    assert_eq!(
        out_string(&mut s, "user_id_out", || Ok(c_string("2244994945"))),
        X_SUCCESS
    );
    assert_eq!(text(s).as_deref(), Some("2244994945"));
    // SAFETY: `s` came from out_string; NULL is accepted.
    unsafe {
        x_string_free(s);
        x_string_free(ptr::null_mut());
    }
    // Interior NULs (impossible in API JSON strings) are dropped, never truncate or fail.
    assert_eq!(c_string("a\0b").as_bytes(), b"ab");
}

#[test]
fn every_free_takes_null() {
    // SAFETY: NULL is accepted by every _free.
    unsafe {
        x_string_free(ptr::null_mut());
        x_config_free(ptr::null_mut());
        x_client_free(ptr::null_mut());
        x_follow_result_free(ptr::null_mut());
        x_user_free(ptr::null_mut());
        x_user_page_free(ptr::null_mut());
        x_quota_status_free(ptr::null_mut());
        x_token_set_free(ptr::null_mut());
        x_oauth1_flow_free(ptr::null_mut());
        x_oauth1_request_free(ptr::null_mut());
        x_oauth1_credentials_free(ptr::null_mut());
        x_oauth2_flow_free(ptr::null_mut());
        x_redirect_receiver_free(ptr::null_mut());
    }
}

#[test]
fn accessors_of_null_handles_answer_their_defaults() {
    // SAFETY: NULL handles and out-pointers are accepted by accessors.
    unsafe {
        assert!(x_user_id(ptr::null()).is_null());
        assert!(x_user_name(ptr::null()).is_null());
        assert!(!x_follow_result_following(ptr::null()));
        assert_eq!(x_follow_result_http_status(ptr::null()), 0);
        assert_eq!(x_follow_result_error_count(ptr::null()), 0);
        assert!(x_follow_result_error_message(ptr::null(), 0).is_null());
        assert_eq!(x_user_page_count(ptr::null()), 0);
        assert!(x_user_page_user_id(ptr::null(), 0).is_null());
        assert!(x_user_page_next_token(ptr::null()).is_null());
        assert_eq!(x_quota_status_user_used(ptr::null()), 0);
        assert!(x_token_set_access_token(ptr::null()).is_null());
        assert!(!x_follow_result_rate_limit(
            ptr::null(),
            X_WINDOW_ENDPOINT,
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut()
        ));
    }
}

#[test]
fn follow_result_and_user_objects() {
    let rl = RateLimit::from_lookup(|k| match k {
        "x-rate-limit-limit" => Some("50"),
        "x-rate-limit-remaining" => Some("49"),
        "x-rate-limit-reset" => Some("1700000900"),
        _ => None,
    });
    let body = r#"{"data":{"following":false,"pending_follow":true},"errors":[{"code":160,"message":"You've already requested to follow."}]}"#;
    let outcome = crate::api::follows::parse(200, body, rl).unwrap();
    let r = to_raw(x_follow_result::new(outcome));
    let (mut limit, mut reset) = (0u64, 0u64);
    // SAFETY: `r` is live until freed below; out-pointers are local or NULL.
    unsafe {
        assert!(!x_follow_result_following(r));
        assert!(x_follow_result_pending_follow(r));
        assert_eq!(x_follow_result_state(r), X_STATE_PENDING);
        assert_eq!(x_follow_result_http_status(r), 200);
        assert!(x_follow_result_rate_limit(
            r,
            X_WINDOW_ENDPOINT,
            &mut limit,
            ptr::null_mut(),
            &mut reset
        ));
        assert_eq!((limit, reset), (50, 1700000900));
        assert!(!x_follow_result_rate_limit(
            r,
            X_WINDOW_USER_24H,
            &mut limit,
            ptr::null_mut(),
            ptr::null_mut()
        ));
        assert!(!x_follow_result_rate_limit(
            r,
            99,
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut()
        ));
        assert_eq!(x_follow_result_error_count(r), 1);
        assert_eq!(x_follow_result_error_code(r, 0), 160);
        assert_eq!(x_follow_result_error_code(r, 1), -1);
        assert_eq!(
            text(x_follow_result_error_message(r, 0)).as_deref(),
            Some("You've already requested to follow.")
        );
        assert!(x_follow_result_error_message(r, usize::MAX).is_null());
        x_follow_result_free(r);
    }

    let body =
        r#"{"data":{"id":"2244994945","name":"X Dev\u0000elopers","username":"XDevelopers"}}"#;
    let user = crate::api::users::parse(200, body, RateLimit::default()).unwrap();
    let u = to_raw(x_user::new(user));
    // SAFETY: `u` is live until freed below.
    unsafe {
        assert_eq!(text(x_user_id(u)).as_deref(), Some("2244994945"));
        assert_eq!(text(x_user_username(u)).as_deref(), Some("XDevelopers"));
        assert_eq!(text(x_user_name(u)).as_deref(), Some("X Developers"));
        assert!(!x_user_rate_limit(
            u,
            X_WINDOW_ENDPOINT,
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut()
        ));
        x_user_free(u);
    }
}

#[test]
fn last_error_fields_live_until_the_next_call() {
    let rl = RateLimit::from_lookup(|k| match k {
        "x-user-limit-24hour-limit" => Some("400"),
        "x-user-limit-24hour-remaining" => Some("0"),
        "x-user-limit-24hour-reset" => Some("1700080000"),
        _ => None,
    });
    let body = r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","errors":[{"code":88,"message":"Rate limit exceeded"},{"message":"second"}]}"#;
    last_error::set(crate::api::error_from_status(429, body, rl));
    let title = x_last_error_title();
    let first = x_last_error_api_error_message(0);
    assert_eq!(x_last_error_code(), X_ERR_RATE_LIMITED);
    assert_eq!(x_last_error_http_status(), 429);
    assert_eq!(x_last_error_retry_at(), 1700080000);
    assert_eq!(x_last_error_exhausted_window(), X_WINDOW_USER_24H);
    assert_eq!(x_last_error_api_error_count(), 2);
    assert_eq!(x_last_error_api_error_code(0), 88);
    assert_eq!(x_last_error_api_error_code(1), -1);
    assert_eq!(x_last_error_api_error_code(usize::MAX), -1);
    assert!(x_last_error_api_error_message(2).is_null());
    assert!(x_last_error_reason().is_null());
    assert_eq!(text(x_last_error_type()).as_deref(), Some("about:blank"));
    // Reading fields does not move or free the ones read before.
    assert_eq!(text(title).as_deref(), Some("Too Many Requests"));
    assert_eq!(text(first).as_deref(), Some("Rate limit exceeded"));
    let mut reset = 0u64;
    // SAFETY: out-pointers are local or NULL.
    unsafe {
        assert!(x_last_error_rate_limit(
            X_WINDOW_USER_24H,
            ptr::null_mut(),
            ptr::null_mut(),
            &mut reset
        ));
        assert!(!x_last_error_rate_limit(
            X_WINDOW_APP_24H,
            ptr::null_mut(),
            ptr::null_mut(),
            &mut reset
        ));
    }
    assert_eq!(reset, 1700080000);
    // A failing call replaces the last error; a succeeding one clears it.
    // SAFETY: NULL config and string.
    let code = unsafe { x_config_set_base_url(ptr::null_mut(), ptr::null()) };
    assert_eq!(code, X_ERR_INVALID_ARGUMENT);
    assert_eq!(
        text(x_last_error_message()).as_deref(),
        Some("config is NULL")
    );
    assert!(x_last_error_title().is_null());
    assert_eq!(x_last_error_api_error_count(), 0);
    assert!(!x_last_error_may_have_reached_server());
    assert_eq!(x_result_str(X_SUCCESS), c"ok".as_ptr());
    assert_eq!(
        text(x_result_str(-1)).as_deref(),
        Some("unknown result code")
    );
    assert_eq!(
        text(x_result_str(i32::MAX)).as_deref(),
        Some("unknown result code")
    );
}

#[test]
fn config_and_token_set_lifecycle() {
    let mut cfg: *mut x_config = ptr::null_mut();
    // SAFETY: `cfg` is made by x_config_new and freed once; strings are NUL-terminated.
    unsafe {
        assert_eq!(x_config_new(&mut cfg), X_SUCCESS);
        assert!(!cfg.is_null());
        assert_eq!(
            x_config_set_base_url(cfg, c"http://127.0.0.1:8080/".as_ptr()),
            X_SUCCESS
        );
        assert_eq!(
            x_config_set_base_url(cfg, c"http://10.0.0.1".as_ptr()),
            X_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            text(x_last_error_message()).as_deref(),
            Some("invalid base URL: plain http is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost)")
        );
        assert_eq!(x_config_set_timeout_ms(cfg, 1500), X_SUCCESS);
        assert_eq!(x_config_set_gzip(cfg, false), X_SUCCESS);
        assert_eq!(x_config_new(ptr::null_mut()), X_ERR_INVALID_ARGUMENT);
        x_config_free(cfg);
    }

    let mut t: *mut x_token_set = ptr::null_mut();
    // SAFETY: `t` is made by x_token_set_new and freed once.
    unsafe {
        assert_eq!(
            x_token_set_new(c"".as_ptr(), ptr::null(), 0, ptr::null(), &mut t),
            X_ERR_INVALID_ARGUMENT
        );
        assert!(t.is_null());
        assert_eq!(
            x_token_set_new(
                c"QUNDRVNT".as_ptr(),
                c"UkVGUkVTSA".as_ptr(),
                1700007200,
                c"users.read follows.write".as_ptr(),
                &mut t
            ),
            X_SUCCESS
        );
        assert_eq!(
            text(x_token_set_access_token(t)).as_deref(),
            Some("QUNDRVNT")
        );
        assert_eq!(
            text(x_token_set_refresh_token(t)).as_deref(),
            Some("UkVGUkVTSA")
        );
        assert_eq!(x_token_set_expires_at(t), 1700007200);
        assert_eq!(
            text(x_token_set_scopes(t)).as_deref(),
            Some("users.read follows.write")
        );
        x_token_set_free(t);
    }
}

#[test]
fn a_panic_becomes_x_err_panic_with_its_message() {
    assert_eq!(x_test_panic(), X_ERR_PANIC);
    assert_eq!(x_last_error_code(), X_ERR_PANIC);
    assert_eq!(
        text(x_last_error_message()).as_deref(),
        Some("internal panic caught at the C boundary: x_test_panic: deliberate panic for tests")
    );
    // An accessor's panic gives its default and leaves the last error alone.
    let v: u32 = boundary!(default = 7, {
        if x_last_error_code() == X_ERR_PANIC {
            panic!("inside an accessor");
        }
        0
    });
    assert_eq!((v, x_last_error_code()), (7, X_ERR_PANIC));
    // A panic with a formatted message (a String payload) keeps it.
    let n = 3;
    assert_eq!(boundary!({ panic!("index {n} out of range") }), X_ERR_PANIC);
    assert_eq!(
        text(x_last_error_message()).as_deref(),
        Some("internal panic caught at the C boundary: index 3 out of range")
    );
}

/// Run in a child process by the two tests below (it does nothing otherwise): a panic
/// inside the boundary, then one outside it; what the C caller sees goes to stdout.
#[test]
fn panic_child() {
    if std::env::var_os("XFOLLOW_PANIC_CHILD").is_none() {
        return;
    }
    let code = x_test_panic();
    println!(
        "code={code} message={}",
        text(x_last_error_message()).unwrap_or_default()
    );
    if std::env::var_os("XFOLLOW_PANIC_OUTSIDE").is_some() {
        let _ = std::panic::catch_unwind(|| panic!("outside the boundary"));
    }
}

fn run_panic_child(outside: bool) -> (String, String) {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "ffi::abi_tests::panic_child",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("XFOLLOW_PANIC_CHILD", "1")
    .env("RUST_BACKTRACE", "0");
    if outside {
        cmd.env("XFOLLOW_PANIC_OUTSIDE", "1");
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}");
    // libtest prints the test's name on the same line, before what the test prints.
    let line = "code=12 message=internal panic caught at the C boundary: \
                x_test_panic: deliberate panic for tests";
    assert!(stdout.lines().any(|l| l.ends_with(line)), "{stdout}");
    (stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A panic caught at the boundary is reported through the last error only: nothing on the
/// host's stderr (the default hook would print the message and where it happened).
#[test]
#[cfg_attr(miri, ignore = "spawns a process")]
fn a_caught_panic_prints_nothing() {
    let (_, stderr) = run_panic_child(false);
    assert_eq!(stderr, "");
}

/// A panic outside any boundary still goes to the previous hook, which prints it.
#[test]
#[cfg_attr(miri, ignore = "spawns a process")]
fn a_panic_outside_the_boundary_is_still_printed() {
    let (_, stderr) = run_panic_child(true);
    assert!(
        stderr.contains("panicked at src/ffi/abi_tests.rs:"),
        "{stderr}"
    );
    assert!(stderr.contains("outside the boundary"), "{stderr}");
    assert!(!stderr.contains("deliberate"), "{stderr}");
}
