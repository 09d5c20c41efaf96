//! Request paths and bodies, success parsing and error mapping for the endpoints used.

pub(crate) mod follows;
pub(crate) mod lookups;
pub(crate) mod users;

pub use follows::{FollowOutcome, FollowState};
pub use users::User;

use crate::error::{problem_suffix, ApiError, Delivery, Error, ErrorKind, Problem};
use crate::ratelimit::RateLimit;
use serde_json::{Map, Value};

fn str_field(o: &Map<String, Value>, k: &str) -> Option<String> {
    o.get(k).and_then(Value::as_str).map(str::to_owned)
}

/// The problem fields of a JSON object (absent ones `None`).
fn problem_of(o: &Map<String, Value>) -> Problem {
    Problem {
        title: str_field(o, "title"),
        detail: str_field(o, "detail"),
        type_uri: str_field(o, "type"),
        reason: str_field(o, "reason"),
        required_enrollment: str_field(o, "required_enrollment"),
        registration_url: str_field(o, "registration_url"),
        client_id: str_field(o, "client_id"),
    }
}

/// The `errors` array of a JSON object (v2 entries and legacy `{code,message}` entries).
pub(crate) fn errors_of(o: &Map<String, Value>) -> Vec<ApiError> {
    let Some(Value::Array(list)) = o.get("errors") else {
        return Vec::new();
    };
    list.iter()
        .filter_map(Value::as_object)
        .map(|e| ApiError {
            code: e.get("code").and_then(Value::as_i64),
            message: str_field(e, "message").or_else(|| str_field(e, "detail")),
            title: str_field(e, "title"),
            type_uri: str_field(e, "type"),
        })
        .collect()
}

/// The kind a legacy code or a v2 problem name stands for, if it says something specific.
fn kind_of_entry(e: &ApiError) -> Option<ErrorKind> {
    if let Some(code) = e.code {
        return match code {
            32 | 89 | 135 => Some(ErrorKind::Unauthorized),
            88 => Some(ErrorKind::RateLimited),
            50 => Some(ErrorKind::NotFound),
            63 | 161 => Some(ErrorKind::Forbidden),
            _ => None,
        };
    }
    match problem_suffix(e.type_uri.as_deref()?)? {
        "resource-not-found" => Some(ErrorKind::NotFound),
        "not-authorized-for-resource"
        | "client-forbidden"
        | "unsupported-authentication"
        | "disallowed-resource" => Some(ErrorKind::Forbidden),
        "usage-capped" | "rate-limit-exceeded" => Some(ErrorKind::RateLimited),
        _ => None,
    }
}

/// The error for a non-2xx response.
pub(crate) fn error_from_status(status: u16, body: &str, rate_limit: RateLimit) -> Error {
    let parsed: Option<Map<String, Value>> = serde_json::from_str(body).ok();
    let (problem, errors) = match &parsed {
        Some(o) => (problem_of(o), errors_of(o)),
        None => (Problem::default(), Vec::new()),
    };
    build(
        kind_of_status(status),
        Some(status),
        problem,
        errors,
        rate_limit,
    )
}

/// The error for a non-2xx answer whose body is a line of plain text (X's OAuth 1.0a token
/// endpoints answer some refusals so): that line is the problem's detail. The caller has
/// bounded it and taken out what must not be shown.
pub(crate) fn error_from_text(status: u16, detail: String) -> Error {
    let problem = Problem {
        detail: Some(detail),
        ..Problem::default()
    };
    build(
        kind_of_status(status),
        Some(status),
        problem,
        Vec::new(),
        RateLimit::default(),
    )
}

fn kind_of_status(status: u16) -> ErrorKind {
    match status {
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::Forbidden,
        404 => ErrorKind::NotFound,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::Api,
    }
}

/// The error for a 2xx response that carries `errors` and no `data`.
pub(crate) fn error_from_partial(
    status: u16,
    o: &Map<String, Value>,
    rate_limit: RateLimit,
) -> Error {
    let errors = errors_of(o);
    let kind = errors
        .iter()
        .find_map(kind_of_entry)
        .unwrap_or(ErrorKind::Api);
    let mut problem = problem_of(o);
    if problem.is_empty() {
        if let Some(first) = errors.first() {
            problem.title = first.title.clone();
            problem.type_uri = first.type_uri.clone();
            problem.detail = first.message.clone();
        }
    }
    build(kind, Some(status), problem, errors, rate_limit)
}

fn build(
    kind: ErrorKind,
    status: Option<u16>,
    problem: Problem,
    errors: Vec<ApiError>,
    rate_limit: RateLimit,
) -> Error {
    let mut m = String::new();
    if let Some(s) = status {
        m.push_str(&format!("HTTP {s}"));
    }
    match (&problem.title, &problem.detail) {
        (Some(t), Some(d)) if t != d => m.push_str(&format!(" {t}: {d}")),
        (Some(t), _) => m.push_str(&format!(" {t}")),
        (None, Some(d)) => m.push_str(&format!(": {d}")),
        (None, None) => {
            if errors.is_empty() {
                m.push_str(&format!(" {}", kind.as_str()));
            }
        }
    }
    if let Some(r) = &problem.reason {
        m.push_str(&format!(" (reason: {r})"));
    }
    if let Some(r) = &problem.required_enrollment {
        m.push_str(&format!(" (required enrollment: {r})"));
    }
    for e in &errors {
        match (e.code, &e.message) {
            (Some(c), Some(msg)) => m.push_str(&format!(" [code {c}: {msg}]")),
            (Some(c), None) => m.push_str(&format!(" [code {c}]")),
            (None, Some(msg)) if problem.detail.as_deref() != Some(msg) => {
                m.push_str(&format!(" [{msg}]"))
            }
            _ => {}
        }
    }
    if kind == ErrorKind::RateLimited {
        if let Some(reset) = rate_limit.reset_after_429() {
            m.push_str(&format!(" (retry at {reset})"));
        }
    }
    let mut e = Error::new(kind, m.trim_start(), Delivery::MaybeSent);
    e.0.http_status = status;
    e.0.problem = problem;
    e.0.errors = errors;
    e.0.rate_limit = rate_limit;
    e
}

/// Parses a 2xx body into its `data` object (or the error it stands for) and the partial
/// `errors` beside it.
pub(crate) fn data_of(
    status: u16,
    body: &str,
    rate_limit: RateLimit,
) -> Result<(Map<String, Value>, Vec<ApiError>), Error> {
    let mut o: Map<String, Value> = serde_json::from_str(body).map_err(|e| {
        protocol(
            status,
            format!("malformed JSON in HTTP {status} response: {e}"),
            rate_limit,
        )
    })?;
    match o.remove("data") {
        Some(Value::Object(d)) => Ok((d, errors_of(&o))),
        Some(_) => Err(protocol(status, "`data` is not an object", rate_limit)),
        None if o.contains_key("errors") => Err(error_from_partial(status, &o, rate_limit)),
        None => Err(protocol(status, "response has no `data`", rate_limit)),
    }
}

pub(crate) fn protocol(status: u16, msg: impl Into<String>, rate_limit: RateLimit) -> Error {
    let mut e = Error::new(ErrorKind::Protocol, msg, Delivery::MaybeSent);
    e.0.http_status = Some(status);
    e.0.rate_limit = rate_limit;
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_429_and_binding_reset() {
        let rl = RateLimit {
            endpoint: Some(crate::ratelimit::Window {
                limit: 50,
                remaining: 0,
                reset: 100,
            }),
            user_24h: Some(crate::ratelimit::Window {
                limit: 400,
                remaining: 0,
                reset: 900,
            }),
            app_24h: Some(crate::ratelimit::Window {
                limit: 1000,
                remaining: 5,
                reset: 2000,
            }),
        };
        let e = error_from_status(
            429,
            r#"{"errors":[{"code":88,"message":"Rate limit exceeded"}]}"#,
            rl,
        );
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.errors()[0].code, Some(88));
        assert_eq!(
            e.errors()[0].message.as_deref(),
            Some("Rate limit exceeded")
        );
        assert_eq!(e.retry_at(), Some(900));
        assert_eq!(
            e.message(),
            "HTTP 429 [code 88: Rate limit exceeded] (retry at 900)"
        );
    }

    #[test]
    fn non_json_error_body() {
        let e = error_from_status(502, "<html>bad gateway</html>", RateLimit::default());
        assert_eq!(e.kind(), ErrorKind::Server);
        assert_eq!(e.message(), "HTTP 502 server error (HTTP 5xx)");
        assert!(e.problem().title.is_none());
    }

    #[test]
    fn partial_errors_without_data() {
        let body = r#"{"errors":[{"value":"nobody","detail":"Could not find user with username: [nobody].","title":"Not Found Error","resource_type":"user","parameter":"username","resource_id":"nobody","type":"https://api.twitter.com/2/problems/resource-not-found"}]}"#;
        let e = data_of(200, body, RateLimit::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.problem().type_suffix(), Some("resource-not-found"));
        assert_eq!(
            e.message(),
            "HTTP 200 Not Found Error: Could not find user with username: [nobody]."
        );
    }

    #[test]
    fn malformed() {
        let e = data_of(200, "{\"data\":", RateLimit::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert!(
            e.message()
                .starts_with("malformed JSON in HTTP 200 response: "),
            "{}",
            e.message()
        );
        let e = data_of(200, "{}", RateLimit::default()).unwrap_err();
        assert_eq!(e.message(), "response has no `data`");
    }
}
