//! `x_config`: the single-threaded builder of a client.

use super::{arg_opt_str, arg_str, boundary, free_raw, out_handle, status, x_result};
use super::{castable, try_mut};
use crate::client::ClientBuilder;
use crate::error::Error;
use crate::transport::{self, TransportOptions};
use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

/// A client configuration (opaque). Single-threaded: use it from one thread at a time.
/// Free it with x_config_free once the clients are built; clients do not keep it.
pub struct x_config {
    builder: ClientBuilder,
}

impl x_config {
    /// The builder so far.
    pub(crate) fn builder(&self) -> &ClientBuilder {
        &self.builder
    }

    /// Applies one setter of the builder.
    pub(crate) fn update(&mut self, f: impl FnOnce(ClientBuilder) -> ClientBuilder) {
        self.builder = f(std::mem::take(&mut self.builder));
    }
}

/// The largest timeout accepted, in milliseconds (one hour).
pub const X_MAX_TIMEOUT_MS: u32 = 3_600_000;

/// Creates a configuration with the defaults: base URL https://api.x.com, connect timeout
/// 10 s, overall timeout 30 s, no proxy, no credentials. `*out` is written on success.
#[no_mangle]
pub unsafe extern "C" fn x_config_new(out: *mut *mut x_config) -> x_result {
    boundary!({
        out_handle(out, || {
            Ok(x_config {
                builder: ClientBuilder::new(),
            })
        })
    })
}

/// Frees a configuration. NULL is accepted.
#[no_mangle]
pub unsafe extern "C" fn x_config_free(cfg: *mut x_config) {
    // SAFETY: `cfg` is NULL or an x_config of ours that C hands back once, here.
    boundary!(default = (), { unsafe { free_raw(cfg) } })
}

/// Sets the API base URL: https, or plain http for a loopback host only (127.0.0.0/8,
/// ::1, localhost), without query or fragment.
#[no_mangle]
pub unsafe extern "C" fn x_config_set_base_url(cfg: *mut x_config, url: *const c_char) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `cfg` is NULL or a live x_config that no other thread is using; `url` is
            // NULL or NUL-terminated and outlives the call.
            let cfg = unsafe { try_mut(cfg) }?;
            let url = unsafe { arg_str(url, "base_url") }?;
            transport::check_base_url(url)?;
            cfg.update(|b| b.base_url(url));
            Ok(())
        })
    })
}

/// Sets OAuth 1.0a user-context credentials (replacing any credentials set before). The
/// strings are copied; the copies are zeroized when the config and clients are freed.
#[no_mangle]
pub unsafe extern "C" fn x_config_set_oauth1(
    cfg: *mut x_config,
    consumer_key: *const c_char,
    consumer_secret: *const c_char,
    access_token: *const c_char,
    access_token_secret: *const c_char,
) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `cfg` is NULL or a live x_config that no other thread is using;
            // `consumer_key` is NULL or NUL-terminated and outlives the call; `consumer_secret`
            // is NULL or NUL-terminated and outlives the call; `access_token` is NULL or
            // NUL-terminated and outlives the call; `access_token_secret` is NULL or
            // NUL-terminated and outlives the call.
            let cfg = unsafe { try_mut(cfg) }?;
            let ck = unsafe { arg_str(consumer_key, "consumer_key") }?;
            let cs = unsafe { arg_str(consumer_secret, "consumer_secret") }?;
            let at = unsafe { arg_str(access_token, "access_token") }?;
            let ats = unsafe { arg_str(access_token_secret, "access_token_secret") }?;
            cfg.update(|b| b.oauth1(ck, cs, at, ats));
            Ok(())
        })
    })
}

/// Sets an OAuth 2.0 user access token (replacing any credentials set before).
#[no_mangle]
pub unsafe extern "C" fn x_config_set_oauth2_token(
    cfg: *mut x_config,
    access_token: *const c_char,
) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `cfg` is NULL or a live x_config that no other thread is using;
            // `access_token` is NULL or NUL-terminated and outlives the call.
            let cfg = unsafe { try_mut(cfg) }?;
            let t = unsafe { arg_str(access_token, "access_token") }?;
            cfg.update(|b| b.oauth2_token(t));
            Ok(())
        })
    })
}

fn timeout(ms: u32, what: &str) -> Result<Duration, Error> {
    if ms == 0 || ms > X_MAX_TIMEOUT_MS {
        return Err(Error::invalid_argument(format!(
            "{what} must be between 1 and {X_MAX_TIMEOUT_MS} ms"
        )));
    }
    Ok(Duration::from_millis(u64::from(ms)))
}

/// Sets the connect timeout in milliseconds (1 to X_MAX_TIMEOUT_MS; default 10000).
#[no_mangle]
pub unsafe extern "C" fn x_config_set_connect_timeout_ms(cfg: *mut x_config, ms: u32) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `cfg` is NULL or a live x_config that no other thread is using.
            let cfg = unsafe { try_mut(cfg) }?;
            let d = timeout(ms, "connect timeout")?;
            cfg.update(|b| b.connect_timeout(d));
            Ok(())
        })
    })
}

/// Sets the overall timeout of one request in milliseconds (1 to X_MAX_TIMEOUT_MS;
/// default 30000).
#[no_mangle]
pub unsafe extern "C" fn x_config_set_timeout_ms(cfg: *mut x_config, ms: u32) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `cfg` is NULL or a live x_config that no other thread is using.
            let cfg = unsafe { try_mut(cfg) }?;
            let d = timeout(ms, "timeout")?;
            cfg.update(|b| b.timeout(d));
            Ok(())
        })
    })
}

/// Sets an explicit proxy URL (http://, https://, socks4://, socks4a://, socks5://), or
/// NULL for none. The library never reads HTTP_PROXY, HTTPS_PROXY, ALL_PROXY or NO_PROXY.
#[no_mangle]
pub unsafe extern "C" fn x_config_set_proxy(cfg: *mut x_config, url: *const c_char) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `cfg` is NULL or a live x_config that no other thread is using; `url` is
            // NULL or NUL-terminated and outlives the call.
            let cfg = unsafe { try_mut(cfg) }?;
            let url = unsafe { arg_opt_str(url, "proxy") }?;
            if let Some(u) = url {
                ureq::Proxy::new(u).map_err(|_| Error::invalid_argument("invalid proxy URL"))?;
            }
            let url = url.map(str::to_owned);
            cfg.update(|b| b.proxy(url));
            Ok(())
        })
    })
}

/// Sets a PEM file of extra root certificates trusted beside the built-in (Mozilla)
/// roots, or NULL for none. The file is read by x_client_new.
#[no_mangle]
pub unsafe extern "C" fn x_config_set_ca_file(cfg: *mut x_config, path: *const c_char) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `cfg` is NULL or a live x_config that no other thread is using; `path` is
            // NULL or NUL-terminated and outlives the call.
            let cfg = unsafe { try_mut(cfg) }?;
            let p = unsafe { arg_opt_str(path, "ca_file") }?.map(PathBuf::from);
            cfg.update(|b| b.ca_file(p));
            Ok(())
        })
    })
}

/// Whether to ask for gzip-compressed responses (default true, as X's own clients do).
/// false sends `Accept-Encoding: identity`, which saves CPU on the API's tiny bodies. A
/// compressed body is decoded either way.
#[no_mangle]
pub unsafe extern "C" fn x_config_set_gzip(cfg: *mut x_config, enabled: bool) -> x_result {
    boundary!({
        status(|| {
            // SAFETY: `cfg` is NULL or a live x_config that no other thread is using.
            let cfg = unsafe { try_mut(cfg) }?;
            cfg.update(|b| b.gzip(enabled));
            Ok(())
        })
    })
}

/// The transport settings of an optional config (NULL: the defaults).
pub(crate) fn transport_of(cfg: Option<&x_config>) -> TransportOptions {
    cfg.map_or_else(TransportOptions::default, |c| {
        c.builder().transport_options().clone()
    })
}

castable! {
    x_config => "config", Exclusive;
}
