//! Retry settings of `x_config`, the on-retry callback, and cancelling a client's waits.

use super::client::x_client;
use super::config::x_config;
use super::{
    boundary, status, x_result, UserData, X_ERR_NETWORK, X_ERR_RATE_LIMITED, X_ERR_SERVER,
    X_ERR_TIMEOUT,
};
use super::{try_mut, try_ref};
use crate::error::Error;
use crate::retry::RetryReason;
use std::ffi::c_void;
use std::time::Duration;

/// The longest retry delay or rate-limit wait accepted, in milliseconds (one hour).
pub const X_MAX_RETRY_DELAY_MS: u32 = 3_600_000;
/// The most attempts accepted by x_config_set_retry.
pub const X_MAX_RETRY_ATTEMPTS: u32 = 100;

/// Called before each wait of the retry policy, on the thread making the call:
/// `attempt` is the attempt that failed (1 for the first), `reason` is `X_ERR_NETWORK`,
/// `X_ERR_TIMEOUT`, `X_ERR_SERVER` (with `http_status` 500, 502, 503 or 504) or
/// `X_ERR_RATE_LIMITED` (with `http_status` 429), `http_status` is 0 for the first two, and
/// `delay_ms` is the wait before the next attempt. It must not call back into the same
/// client's blocking functions, and must return (a long callback delays the call).
pub type x_on_retry_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        attempt: u32,
        reason: x_result,
        http_status: i32,
        delay_ms: u64,
    ),
>;

fn ms(v: u32, what: &str) -> Result<Duration, Error> {
    if v > X_MAX_RETRY_DELAY_MS {
        return Err(Error::invalid_argument(format!(
            "{what} must be at most {X_MAX_RETRY_DELAY_MS} ms"
        )));
    }
    Ok(Duration::from_millis(u64::from(v)))
}

/// Sets the retry policy of every call: `max_attempts` attempts in all (1 to
/// X_MAX_RETRY_ATTEMPTS; 1 never retries), an exponential backoff from `base_delay_ms` up to
/// `max_delay_ms` (0 to X_MAX_RETRY_DELAY_MS each, base at most max) with full jitter, and a
/// 429 waited out only when its reset is at most `max_rate_limit_wait_ms` away (0: never
/// waited). Defaults: 3, 500, 8000, 60000. Retried: network errors, timeouts, HTTP 500, 502,
/// 503, 504 and 429 (within the wait); never 400, 401, 403, 404.
#[no_mangle]
pub unsafe extern "C" fn x_config_set_retry(
    cfg: *mut x_config,
    max_attempts: u32,
    base_delay_ms: u32,
    max_delay_ms: u32,
    max_rate_limit_wait_ms: u32,
) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `cfg` is NULL or a live x_config that no other thread is using.
            let cfg = unsafe { try_mut(cfg) }?;
            if !(1..=X_MAX_RETRY_ATTEMPTS).contains(&max_attempts) {
                return Err(Error::invalid_argument(format!(
                    "max_attempts must be between 1 and {X_MAX_RETRY_ATTEMPTS}"
                )));
            }
            let base = ms(base_delay_ms, "base_delay_ms")?;
            let max = ms(max_delay_ms, "max_delay_ms")?;
            let wait = ms(max_rate_limit_wait_ms, "max_rate_limit_wait_ms")?;
            if base > max {
                return Err(Error::invalid_argument(
                    "base_delay_ms must not exceed max_delay_ms",
                ));
            }
            cfg.update(|b| {
                let mut p = b.retry_policy_ref().clone();
                p.max_attempts = max_attempts;
                p.base_delay = base;
                p.max_delay = max;
                p.max_rate_limit_wait = wait;
                b.retry(p)
            });
            Ok(())
        })
    })
}

/// Full jitter on the backoff (true, the default) or the exact exponential delay (false).
#[no_mangle]
pub unsafe extern "C" fn x_config_set_retry_jitter(cfg: *mut x_config, enabled: bool) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `cfg` is NULL or a live x_config that no other thread is using.
            let cfg = unsafe { try_mut(cfg) }?;
            cfg.update(|b| {
                let mut p = b.retry_policy_ref().clone();
                p.jitter = enabled;
                b.retry(p)
            });
            Ok(())
        })
    })
}

/// Sets (or, with `callback` NULL, removes) the on-retry callback; see x_on_retry_fn.
/// `user_data` is passed back as is; it must stay valid, and be usable from every thread that
/// makes calls, for as long as clients built from this configuration live.
#[no_mangle]
pub unsafe extern "C" fn x_config_set_on_retry(
    cfg: *mut x_config,
    callback: x_on_retry_fn,
    user_data: *mut c_void,
) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `cfg` is NULL or a live x_config that no other thread is using.
            let cfg = unsafe { try_mut(cfg) }?;
            let data = UserData(user_data);
            cfg.update(|b| {
                let mut p = b.retry_policy_ref().clone();
                p.on_retry = None;
                let p = match callback {
                    None => p,
                    Some(f) => p.on_retry(move |attempt, reason, delay| {
                        let (code, status) = match *reason {
                            RetryReason::Network { .. } => (X_ERR_NETWORK, 0),
                            RetryReason::Timeout => (X_ERR_TIMEOUT, 0),
                            RetryReason::Status(s) => (X_ERR_SERVER, i32::from(s)),
                            RetryReason::RateLimited { .. } => (X_ERR_RATE_LIMITED, 429),
                        };
                        let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
                        let d = &data;
                        // SAFETY: a C function pointer given by the caller, with its own
                        // user_data; C code cannot unwind into Rust.
                        unsafe { f(d.0, attempt, code, status, delay_ms) };
                    }),
                };
                b.retry(p)
            });
            Ok(())
        })
    })
}

/// Cancels every retry wait and every request in flight on a direct connection running on
/// `client`, from any thread: those calls return `X_ERR_CANCELLED` at once, and so does
/// every later call on it until x_client_cancel_reset(). A request through a proxy is not
/// interrupted (its timeout bounds it).
#[no_mangle]
pub unsafe extern "C" fn x_client_cancel(client: *const x_client) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `client` is NULL or a live x_client from its constructor.
            unsafe { try_ref(client) }?.inner().cancel();
            Ok(())
        })
    })
}

/// Lets calls on `client` run again after x_client_cancel().
#[no_mangle]
pub unsafe extern "C" fn x_client_cancel_reset(client: *const x_client) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `client` is NULL or a live x_client from its constructor.
            unsafe { try_ref(client) }?.inner().reset_cancel();
            Ok(())
        })
    })
}
