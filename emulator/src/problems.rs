//! The error bodies X sends, built in one place.

use crate::http::Response;
use serde_json::{json, Value};

pub const PROBLEMS: &str = "https://api.twitter.com/2/problems/";

pub fn unauthorized() -> Response {
    Response::problem(
        401,
        r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#,
    )
}

/// 401 with a legacy v1.1 code beside the problem fields (32, 89 or 135).
pub fn unauthorized_code(code: u32, message: &str) -> Response {
    let body = json!({
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
        "errors": [{"code": code, "message": message}],
    });
    Response::problem(401, body.to_string())
}

pub fn forbidden() -> Response {
    Response::problem(
        403,
        r#"{"title":"Forbidden","type":"about:blank","status":403,"detail":"Forbidden"}"#,
    )
}

pub fn forbidden_detail(detail: &str) -> Response {
    let body =
        json!({"title": "Forbidden", "type": "about:blank", "status": 403, "detail": detail});
    Response::problem(403, body.to_string())
}

pub fn unsupported_authentication() -> Response {
    Response::problem(
        403,
        r#"{"title":"Unsupported Authentication","detail":"Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].","type":"https://api.twitter.com/2/problems/unsupported-authentication","status":403}"#,
    )
}

pub const TOO_MANY: &str = r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#;

pub fn too_many_requests() -> Response {
    Response::problem(429, TOO_MANY)
}

/// 400 invalid-request with one `errors[]` entry naming the parameter and its value(s).
pub fn invalid_request(parameter: &str, values: &[&str], message: &str) -> Response {
    let mut params = serde_json::Map::new();
    params.insert(
        parameter.to_string(),
        Value::Array(
            values
                .iter()
                .map(|v| Value::String((*v).to_string()))
                .collect(),
        ),
    );
    let body = json!({
        "errors": [{"parameters": params, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": format!("{PROBLEMS}invalid-request"),
    });
    Response::problem(400, body.to_string())
}

/// 400 invalid-request whose `errors[]` entry has only a message.
pub fn invalid_request_message(message: &str) -> Response {
    let body = json!({
        "errors": [{"message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": format!("{PROBLEMS}invalid-request"),
    });
    Response::problem(400, body.to_string())
}

pub fn invalid_id(parameter: &str, value: &str) -> Response {
    invalid_request(
        parameter,
        &[value],
        &format!("The {parameter} query parameter value [{value}] is not valid"),
    )
}

/// The partial-error object X puts in `errors[]` for a user it cannot find.
pub fn user_not_found_error(parameter: &str, value: &str) -> Value {
    let what = if parameter == "username" {
        "username"
    } else {
        "id"
    };
    json!({
        "value": value,
        "detail": format!("Could not find user with {what}: [{value}]."),
        "title": "Not Found Error",
        "resource_type": "user",
        "parameter": parameter,
        "resource_id": value,
        "type": format!("{PROBLEMS}resource-not-found"),
    })
}

pub fn user_suspended_error(parameter: &str, value: &str) -> Value {
    json!({
        "value": value,
        "detail": format!("User has been suspended: [{value}]."),
        "title": "Forbidden",
        "resource_type": "user",
        "parameter": parameter,
        "resource_id": value,
        "type": format!("{PROBLEMS}resource-not-found"),
    })
}

/// A whole-request resource-not-found problem (404) for follow/unfollow of an unknown user.
pub fn user_not_found(parameter: &str, value: &str) -> Response {
    let body = json!({
        "title": "Not Found Error",
        "detail": format!("Could not find user with {parameter}: [{value}]."),
        "type": format!("{PROBLEMS}resource-not-found"),
        "status": 404,
        "resource_type": "user",
        "parameter": parameter,
        "value": value,
        "resource_id": value,
    });
    Response::problem(404, body.to_string())
}

/// A problem body for any status (used by the `status` fault).
pub fn for_status(status: u16) -> Response {
    match status {
        401 => unauthorized(),
        403 => forbidden(),
        429 => too_many_requests(),
        _ => {
            let title = crate::http::reason(status);
            let body =
                json!({"title": title, "detail": title, "type": "about:blank", "status": status});
            Response::problem(status, body.to_string())
        }
    }
}

/// X's answer for an unknown path.
pub fn page_not_found() -> Response {
    Response::json(
        404,
        r#"{"errors":[{"message":"Sorry, that page does not exist","code":34}]}"#,
    )
}
