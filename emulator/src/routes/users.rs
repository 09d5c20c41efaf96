//! `GET /2/users/me` and `GET /2/users/by/username/{username}`.

use crate::auth::Principal;
use crate::config::{valid_username, User};
use crate::http::{Request, Response};
use crate::problems;
use crate::state::World;
use serde_json::{json, Value};

/// The `user.fields` the emulator can fill in beyond id, name and username.
fn wanted_fields(req: &Request) -> Vec<String> {
    req.query_param("user.fields")
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
        .unwrap_or_default()
}

pub fn user_json(u: &User, fields: &[String]) -> Value {
    let mut v = json!({"id": u.id, "name": u.name, "username": u.username});
    if fields.iter().any(|f| f == "protected") {
        v["protected"] = Value::Bool(u.protected);
    }
    v
}

pub fn me(w: &mut World, p: &Principal, req: &Request) -> Response {
    let Some(user) = p.user() else {
        return problems::unsupported_authentication();
    };
    let u = &w.cfg.users[user];
    let body = json!({"data": user_json(u, &wanted_fields(req))});
    Response::json(200, body.to_string())
}

pub fn by_username(w: &mut World, req: &Request, username: &str) -> Response {
    let name = crate::pct::decode(username).unwrap_or_else(|| username.to_string());
    if !valid_username(&name) {
        return problems::invalid_request(
            "username",
            &[&name],
            &format!("The `username` query parameter value [{name}] does not match ^[A-Za-z0-9_]{{1,15}}$"),
        );
    }
    let body = match w.user_by_name.get(&name.to_ascii_lowercase()) {
        None => json!({"errors": [problems::user_not_found_error("username", &name)]}),
        Some(&i) if w.cfg.users[i].suspended => {
            json!({"errors": [problems::user_suspended_error("username", &name)]})
        }
        Some(&i) => json!({"data": user_json(&w.cfg.users[i], &wanted_fields(req))}),
    };
    Response::json(200, body.to_string())
}
