//! `GET /2/users/me` and `GET /2/users/by/username/{username}`.

use super::{data_of, protocol};
use crate::error::{ApiError, Error};
use crate::ratelimit::RateLimit;
use crate::validate;

/// A user as returned by the users endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The id (a string: ids exceed 2^53).
    pub id: String,
    /// The @handle, without `@`.
    pub username: String,
    /// The display name.
    pub name: String,
    /// The response's rate-limit windows.
    pub rate_limit: RateLimit,
    /// Partial `errors` that came beside `data`.
    pub errors: Vec<ApiError>,
}

pub(crate) const ME_PATH: &str = "/2/users/me";

pub(crate) fn by_username_path(username: &str) -> String {
    format!("/2/users/by/username/{username}")
}

pub(crate) fn parse(status: u16, body: &str, rate_limit: RateLimit) -> Result<User, Error> {
    let (data, errors) = data_of(status, body, rate_limit)?;
    let field = |k: &str| -> Result<String, Error> {
        data.get(k)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .ok_or_else(|| {
                protocol(
                    status,
                    format!("`data.{k}` is missing or not a string"),
                    rate_limit,
                )
            })
    };
    let id = field("id")?;
    if !validate::is_user_id(&id) {
        return Err(protocol(status, "`data.id` is not a user id", rate_limit));
    }
    Ok(User {
        id,
        username: field("username")?,
        name: field("name")?,
        rate_limit,
        errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user() {
        let u = parse(
            200,
            r#"{"data":{"id":"1072250532645998596","name":"Tweepy Testing","username":"TweepyDev"}}"#,
            RateLimit::default(),
        )
        .unwrap();
        assert_eq!(u.id, "1072250532645998596");
        assert_eq!(u.username, "TweepyDev");
        assert_eq!(u.name, "Tweepy Testing");
        let e = parse(
            200,
            r#"{"data":{"id":1072250532645998596,"name":"a","username":"b"}}"#,
            RateLimit::default(),
        )
        .unwrap_err();
        assert_eq!(e.message(), "`data.id` is missing or not a string");
        assert_eq!(
            by_username_path("XDevelopers"),
            "/2/users/by/username/XDevelopers"
        );
    }
}
