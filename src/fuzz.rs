//! Entry points of the fuzz targets (`fuzz/`): each runs one parser of outside input over
//! arbitrary bytes, as the library meets them. None may panic or allocate without bound,
//! whatever the input. `tests/fuzz_corpora.rs` replays the committed corpora through them,
//! on stable, as part of the test suite.

use crate::api;
use crate::ratelimit::RateLimit;
use crate::tokens::{oauth1, redirect, store, token_set};
use crate::transport;

/// The statuses an error body is read under (each maps to its own kind).
const ERROR_STATUSES: [u16; 7] = [400, 401, 403, 404, 429, 500, 503];

/// A fixed clock for the token parsers (2023-11-14).
const NOW: u64 = 1_700_000_000;

/// Answer framing: status line, headers, content-length, chunked, close-delimited and
/// informational answers, then gzip and UTF-8, as the direct path reads a server's bytes.
pub fn framing(data: &[u8]) {
    let _ = transport::parse_answer_bytes(data);
}

/// A gzip body (`content-encoding: gzip`): members, header fields, CRC and length, 1 MiB cap.
pub fn gzip(data: &[u8]) {
    let head = transport::Head::scan(200, [("content-encoding", &b"gzip"[..])].into_iter());
    let _ = transport::finish(&head, data.to_vec());
}

/// A header block (`name: value` lines, as httparse reads them): the rate-limit windows and
/// what is derived from them after a 429.
pub fn rate_limit(data: &[u8]) {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let Ok(httparse::Status::Complete((_, headers))) = httparse::parse_headers(data, &mut headers)
    else {
        return;
    };
    let head = transport::Head::scan(429, headers.iter().map(|h| (h.name, h.value)));
    let rl = head.rate_limit;
    let _ = (rl.binding_reset(), rl.binding_window(), rl.is_empty());
    let _ = api::error_from_status(429, "", rl);
}

/// `POST /2/users/{id}/following` and `DELETE` answers.
pub fn follow(data: &[u8]) {
    let _ = api::follows::parse(200, &String::from_utf8_lossy(data), RateLimit::default());
}

/// `GET /2/users/me` and `/2/users/by/username/{name}` answers.
pub fn users(data: &[u8]) {
    let _ = api::users::parse(200, &String::from_utf8_lossy(data), RateLimit::default());
}

/// A page of `GET /2/users/{id}/followers` or `/following`.
pub fn pages(data: &[u8]) {
    let _ = api::lookups::parse(200, &String::from_utf8_lossy(data), RateLimit::default());
}

/// Error bodies: problem JSON and legacy `{"errors":[{"code":..}]}` under each error status,
/// and `errors` without `data` in a 200.
pub fn api_error(data: &[u8]) {
    let body = String::from_utf8_lossy(data);
    let rl = RateLimit::default();
    for status in ERROR_STATUSES {
        let e = api::error_from_status(status, &body, rl);
        let _ = crate::ffi::c_string(e.message());
    }
    let _ = api::data_of(200, &body, rl);
}

/// Token endpoint answers: the OAuth 2.0 token JSON and OAuth error bodies, the OAuth 1.0a
/// form-encoded request and access token answers.
pub fn token_answer(data: &[u8]) {
    let body = String::from_utf8_lossy(data);
    for status in [200, 400, 401] {
        if let Ok(set) = token_set::token_set_from_response(status, &body, NOW, &["secret"]) {
            let _ = (set.needs_refresh(NOW, 60), set.scope_string());
        }
    }
    let _ = oauth1::parse_request_token(&body);
    let _ = oauth1::parse_access_token(&body);
}

/// The OAuth 2.0 token store file.
pub fn token_store(data: &[u8]) {
    if let Ok(set) = store::parse_store(data) {
        let _ = (set.needs_refresh(NOW, 60), set.scope_string());
    }
}

/// The redirect receiver's request head, then the callback query of its target, for OAuth
/// 2.0 (`code`, `state`) and OAuth 1.0a (`oauth_token`, `oauth_verifier`).
pub fn redirect_request(data: &[u8]) {
    if let redirect::Head::Request { target, .. } = redirect::parse_head(data) {
        let (_, query) = redirect::split_target(&target);
        let _ = redirect::check_oauth2_callback(query, "state");
        let _ = oauth1::verify_callback(query, "request-token");
    }
}
