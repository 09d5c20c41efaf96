// The error codes, defined once: `ErrorKind`, the C ABI's `X_ERR_*` constants (and the
// header's #defines, written by build.rs), `x_result_str` and the Rust and C docs all come
// from this table. Never renumber or reuse a code; add new ones at the end.
//
// code, ErrorKind variant, C constant, x_result_str text, Rust doc, C doc.
error_codes! {
    1, InvalidArgument, X_ERR_INVALID_ARGUMENT, "invalid argument",
        "A bad argument or configuration, detected before any network traffic.",
        "A NULL pointer, invalid UTF-8, a malformed id or username, an out-of-range option or
an incomplete configuration. Detected before any network traffic.";
    2, Unauthorized, X_ERR_UNAUTHORIZED, "unauthorized (HTTP 401)",
        "HTTP 401: the credentials were refused (bad secret, revoked token, stale timestamp).",
        "HTTP 401: the credentials were refused. Also a token flow that was refused: the token
endpoint's OAuth error (the provider's message is in x_last_error_message, the OAuth
`error` code in x_last_error_title), a failed refresh, a `state` or token mismatch on a
callback, or a denied authorization.";
    3, Forbidden, X_ERR_FORBIDDEN, "forbidden (HTTP 403)",
        "HTTP 403: not allowed (wrong source user, app not enrolled, unsupported auth...).",
        "HTTP 403: not allowed (wrong source user, app not enrolled...).";
    4, NotFound, X_ERR_NOT_FOUND, "not found",
        "HTTP 404, or a `resource-not-found` problem in a 200.",
        "HTTP 404 or a resource-not-found problem.";
    5, RateLimited, X_ERR_RATE_LIMITED, "rate limited (HTTP 429)",
        "HTTP 429: a rate limit or daily cap was hit; see the binding reset.",
        "HTTP 429: rate limited; see x_last_error_retry_at().";
    6, Network, X_ERR_NETWORK, "network error",
        "Could not connect, or the connection broke.",
        "Could not connect, or the connection broke.";
    7, Timeout, X_ERR_TIMEOUT, "timeout",
        "A connect or overall timeout expired.",
        "The connect or overall timeout expired.";
    8, Tls, X_ERR_TLS, "TLS error",
        "TLS handshake or certificate verification failed.",
        "TLS handshake or certificate verification failed.";
    9, Server, X_ERR_SERVER, "server error (HTTP 5xx)",
        "HTTP 5xx.",
        "HTTP 5xx.";
    10, Protocol, X_ERR_PROTOCOL, "malformed response",
        "A response that is not what the API documents (malformed JSON, missing fields).",
        "A malformed or unexpected response (bad JSON, missing fields).";
    11, Api, X_ERR_API, "API error",
        "Any other API error (400, 409, other 4xx, errors without data in a 200).",
        "Any other API error (HTTP 400 and other 4xx).";
    12, Panic, X_ERR_PANIC, "internal panic",
        "A panic inside the library (only surfaced through the C ABI).",
        "A panic inside the library was caught at the boundary.";
    13, QuotaExhausted, X_ERR_QUOTA_EXHAUSTED, "daily quota exhausted (refused locally, not sent)",
        "A follow or unfollow refused locally by the quota ledger, without a request: a daily
cap is reached; see [`Error::next_free_at`].",
        "A follow or unfollow refused locally by the quota ledger, without a request: a daily cap
is reached. x_last_error_next_free_at() tells when a slot frees.";
    14, QuotaStore, X_ERR_QUOTA_STORE, "quota ledger store error",
        "The quota ledger's store failed (SQLite I/O, Redis unreachable); nothing was sent.",
        "The quota ledger's store failed (SQLite I/O, Redis unreachable); nothing was sent.";
    15, Cancelled, X_ERR_CANCELLED, "cancelled",
        "The call was cancelled (by `Client::cancel`) before its first attempt, during
an attempt on a direct connection, or while waiting to retry.",
        "Cancelled by x_client_cancel(): before the first attempt, during an attempt on a direct
connection, or while waiting to retry.";
    16, TokenStore, X_ERR_TOKEN_STORE, "token store error",
        "The OAuth 2.0 token store could not be read, locked or written (or is readable by
others), or the persist callback of a refreshing client failed.",
        "The OAuth 2.0 token store could not be read, locked or written (or is readable by
group or others), or a refreshed token set could not be persisted.";
}
