//! `GET /2/users/{id}/followers` and `GET /2/users/{id}/following`: paths, input checks and
//! page parsing.

use super::{error_from_partial, errors_of, protocol};
use crate::error::{ApiError, Error};
use crate::ratelimit::RateLimit;
use crate::validate;
use serde_json::{Map, Value};

use super::User;

/// The largest `max_results` the API accepts.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// The longest pagination token accepted (X's are 16 characters; the API documents none).
pub const MAX_TOKEN_LEN: usize = 256;

/// Which page to ask for. `Default`: the first page of the API's default size (100).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageRequest<'a> {
    /// Users per page, 1 to 1000 (`None`: the API's default, 100).
    pub max_results: Option<u32>,
    /// The `next_token` (or `previous_token`) of an earlier page (`None`: the first page).
    pub pagination_token: Option<&'a str>,
}

/// One page of a followers or following list, newest relationship first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPage {
    /// The users of this page (each carries the page's rate limit).
    pub users: Vec<User>,
    /// `meta.result_count`: the number of users on this page.
    pub result_count: u32,
    /// `meta.next_token`: the token of the next page; `None` on the last page.
    pub next_token: Option<String>,
    /// `meta.previous_token`: the token of the previous page; `None` on the first page.
    pub previous_token: Option<String>,
    /// The response's rate-limit windows.
    pub rate_limit: RateLimit,
    /// Partial `errors` that came beside `data`.
    pub errors: Vec<ApiError>,
}

/// True when `s` is a plausible pagination token: 1 to 256 of A-Z a-z 0-9 `_` `-`, none of
/// which needs escaping in a query.
pub fn is_pagination_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_TOKEN_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Checks a page request before any request is made.
pub fn check_page(page: &PageRequest<'_>) -> Result<(), Error> {
    if let Some(n) = page.max_results {
        if !(1..=MAX_PAGE_SIZE).contains(&n) {
            return Err(Error::invalid_argument(format!(
                "max_results must be between 1 and {MAX_PAGE_SIZE} (got {n})"
            )));
        }
    }
    if let Some(t) = page.pagination_token {
        if !is_pagination_token(t) {
            return Err(Error::invalid_argument(format!(
                "pagination token must be 1 to {MAX_TOKEN_LEN} characters of A-Z, a-z, 0-9, _ and -"
            )));
        }
    }
    Ok(())
}

/// `/2/users/{id}/followers` or `/following`, with the page's query (checked beforehand).
pub(crate) fn list_path(user_id: &str, followers: bool, page: &PageRequest<'_>) -> String {
    let mut p = format!(
        "/2/users/{user_id}/{}",
        if followers { "followers" } else { "following" }
    );
    let mut sep = '?';
    if let Some(n) = page.max_results {
        p.push_str(&format!("{sep}max_results={n}"));
        sep = '&';
    }
    if let Some(t) = page.pagination_token {
        p.push_str(&format!("{sep}pagination_token={t}"));
    }
    p
}

fn user_of(status: u16, i: usize, v: &Value, rate_limit: RateLimit) -> Result<User, Error> {
    let o = v
        .as_object()
        .ok_or_else(|| protocol(status, format!("`data[{i}]` is not an object"), rate_limit))?;
    let field = |k: &str| -> Result<String, Error> {
        o.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                protocol(
                    status,
                    format!("`data[{i}].{k}` is missing or not a string"),
                    rate_limit,
                )
            })
    };
    let id = field("id")?;
    if !validate::is_user_id(&id) {
        return Err(protocol(
            status,
            format!("`data[{i}].id` is not a user id"),
            rate_limit,
        ));
    }
    Ok(User {
        id,
        username: field("username")?,
        name: field("name")?,
        rate_limit,
        errors: Vec::new(),
    })
}

fn token_of(
    status: u16,
    meta: &Map<String, Value>,
    k: &str,
    rate_limit: RateLimit,
) -> Result<Option<String>, Error> {
    match meta.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if is_pagination_token(s) => Ok(Some(s.clone())),
        Some(_) => Err(protocol(
            status,
            format!("`meta.{k}` is not a pagination token"),
            rate_limit,
        )),
    }
}

/// Parses a 2xx list body. `data` may be absent on an empty page; a body with `errors` and
/// neither `data` nor `meta` (an unknown or suspended user) is the error it stands for.
pub(crate) fn parse(status: u16, body: &str, rate_limit: RateLimit) -> Result<UserPage, Error> {
    let o: Map<String, Value> = serde_json::from_str(body).map_err(|e| {
        protocol(
            status,
            format!("malformed JSON in HTTP {status} response: {e}"),
            rate_limit,
        )
    })?;
    if !o.contains_key("data") && !o.contains_key("meta") && o.contains_key("errors") {
        return Err(error_from_partial(status, &o, rate_limit));
    }
    let users = match o.get("data") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, v)| user_of(status, i, v, rate_limit))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(protocol(status, "`data` is not an array", rate_limit)),
    };
    let empty = Map::new();
    let meta = match o.get("meta") {
        Some(Value::Object(m)) => m,
        None => &empty,
        Some(_) => return Err(protocol(status, "`meta` is not an object", rate_limit)),
    };
    let result_count = match meta.get("result_count") {
        None => u32::try_from(users.len()).unwrap_or(u32::MAX),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| protocol(status, "`meta.result_count` is not a count", rate_limit))?,
    };
    Ok(UserPage {
        users,
        result_count,
        next_token: token_of(status, meta, "next_token", rate_limit)?,
        previous_token: token_of(status, meta, "previous_token", rate_limit)?,
        rate_limit,
        errors: errors_of(&o),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const RL: RateLimit = RateLimit {
        endpoint: None,
        user_24h: None,
        app_24h: None,
    };

    #[test]
    fn paths() {
        assert_eq!(
            list_path("783214", true, &PageRequest::default()),
            "/2/users/783214/followers"
        );
        assert_eq!(
            list_path(
                "783214",
                false,
                &PageRequest {
                    max_results: Some(5),
                    pagination_token: Some("KNBGDJ8PVCQ1EZZZ"),
                }
            ),
            "/2/users/783214/following?max_results=5&pagination_token=KNBGDJ8PVCQ1EZZZ"
        );
        assert_eq!(
            list_path(
                "1",
                true,
                &PageRequest {
                    max_results: None,
                    pagination_token: Some("abc"),
                }
            ),
            "/2/users/1/followers?pagination_token=abc"
        );
    }

    #[test]
    fn page_checks() {
        let ok = |m, t| {
            check_page(&PageRequest {
                max_results: m,
                pagination_token: t,
            })
        };
        assert!(ok(None, None).is_ok());
        assert!(ok(Some(1), None).is_ok());
        assert!(ok(Some(1000), Some("0000000000034ZZZ")).is_ok());
        let e = ok(Some(0), None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            e.message(),
            "max_results must be between 1 and 1000 (got 0)"
        );
        assert_eq!(
            ok(Some(1001), None).unwrap_err().message(),
            "max_results must be between 1 and 1000 (got 1001)"
        );
        let long = "A".repeat(257);
        let longest = "A".repeat(256);
        for bad in ["", "a b", "a&max_results=1", "tok%20", "ä", &long] {
            let e = ok(None, Some(bad)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
            assert_eq!(
                e.message(),
                "pagination token must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -"
            );
            assert!(!e.may_have_reached_server());
        }
        assert!(ok(None, Some(&longest)).is_ok());
    }

    #[test]
    fn pages() {
        let p = parse(
            200,
            r#"{"data":[{"id":"2","name":"Bob","username":"bob"},{"id":"5","name":"Erin","username":"erin"}],"meta":{"result_count":2,"next_token":"0000000000000002"}}"#,
            RL,
        )
        .unwrap();
        assert_eq!(p.users.len(), 2);
        assert_eq!(p.users[0].id, "2");
        assert_eq!(p.users[1].username, "erin");
        assert_eq!(p.users[1].name, "Erin");
        assert_eq!(p.result_count, 2);
        assert_eq!(p.next_token.as_deref(), Some("0000000000000002"));
        assert_eq!(p.previous_token, None);

        let p = parse(200, r#"{"meta":{"result_count":0}}"#, RL).unwrap();
        assert!(p.users.is_empty());
        assert_eq!(p.result_count, 0);
        assert_eq!(p.next_token, None);
    }

    #[test]
    fn unknown_user_and_malformed() {
        let e = parse(
            200,
            r#"{"errors":[{"value":"1","detail":"Could not find user with id: [1].","title":"Not Found Error","resource_type":"user","parameter":"id","resource_id":"1","type":"https://api.twitter.com/2/problems/resource-not-found"}]}"#,
            RL,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(
            e.message(),
            "HTTP 200 Not Found Error: Could not find user with id: [1]."
        );
        let m = |b: &str| parse(200, b, RL).unwrap_err().message().to_owned();
        assert_eq!(m(r#"{"data":{}}"#), "`data` is not an array");
        assert_eq!(
            m(r#"{"data":[{"id":2,"name":"a","username":"b"}]}"#),
            "`data[0].id` is missing or not a string"
        );
        assert_eq!(
            m(r#"{"data":[{"id":"x","name":"a","username":"b"}]}"#),
            "`data[0].id` is not a user id"
        );
        assert_eq!(
            m(r#"{"meta":{"result_count":0,"next_token":"a b"}}"#),
            "`meta.next_token` is not a pagination token"
        );
        assert_eq!(
            m(r#"{"meta":{"result_count":-1}}"#),
            "`meta.result_count` is not a count"
        );
        assert!(m("[").starts_with("malformed JSON in HTTP 200 response: "));
    }
}
