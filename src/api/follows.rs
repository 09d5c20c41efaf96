//! `POST /2/users/{id}/following` and `DELETE /2/users/{source}/following/{target}`.

use super::{data_of, protocol};
use crate::error::{ApiError, Error};
use crate::ratelimit::RateLimit;
use serde_json::Value;

/// The relationship after a follow or unfollow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowState {
    /// `following: true`.
    Following,
    /// `pending_follow: true`: the target is protected and has to accept.
    Pending,
    /// Neither (after an unfollow).
    NotFollowing,
}

/// The result of a follow or unfollow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowOutcome {
    /// `data.following`.
    pub following: bool,
    /// `data.pending_follow` (false when absent, as in unfollow responses).
    pub pending_follow: bool,
    /// The state these two stand for.
    pub state: FollowState,
    /// The HTTP status (200).
    pub http_status: u16,
    /// The response's rate-limit windows.
    pub rate_limit: RateLimit,
    /// Partial `errors` that came beside `data`.
    pub errors: Vec<ApiError>,
}

pub(crate) fn follow_path(source: &str) -> String {
    format!("/2/users/{source}/following")
}

pub(crate) fn follow_body(target: &str) -> String {
    // `target` is checked as ^[0-9]{1,19}$, so it needs no JSON escaping.
    format!("{{\"target_user_id\":\"{target}\"}}")
}

pub(crate) fn unfollow_path(source: &str, target: &str) -> String {
    format!("/2/users/{source}/following/{target}")
}

/// The usual answer, `{"data":{"following":B[,"pending_follow":B]}}` and nothing else, read
/// without building `serde_json` maps (about half the parsing work of a follow); any other
/// shape goes through [`data_of`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Usual {
    data: UsualData,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UsualData {
    following: bool,
    #[serde(default)]
    pending_follow: Option<bool>,
}

pub(crate) fn parse(
    status: u16,
    body: &str,
    rate_limit: RateLimit,
) -> Result<FollowOutcome, Error> {
    if let Ok(Usual { data }) = serde_json::from_str::<Usual>(body) {
        return Ok(outcome(
            data.following,
            data.pending_follow.unwrap_or(false),
            status,
            rate_limit,
            Vec::new(),
        ));
    }
    let (data, errors) = data_of(status, body, rate_limit)?;
    let following = match data.get("following") {
        Some(Value::Bool(b)) => *b,
        _ => {
            return Err(protocol(
                status,
                "`data.following` is missing or not a boolean",
                rate_limit,
            ))
        }
    };
    let pending_follow = match data.get("pending_follow") {
        Some(Value::Bool(b)) => *b,
        None | Some(Value::Null) => false,
        Some(_) => {
            return Err(protocol(
                status,
                "`data.pending_follow` is not a boolean",
                rate_limit,
            ))
        }
    };
    Ok(outcome(
        following,
        pending_follow,
        status,
        rate_limit,
        errors,
    ))
}

fn outcome(
    following: bool,
    pending_follow: bool,
    status: u16,
    rate_limit: RateLimit,
    errors: Vec<ApiError>,
) -> FollowOutcome {
    let state = if following {
        FollowState::Following
    } else if pending_follow {
        FollowState::Pending
    } else {
        FollowState::NotFollowing
    };
    FollowOutcome {
        following,
        pending_follow,
        state,
        http_status: status,
        rate_limit,
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(
            follow_body("2244994945"),
            r#"{"target_user_id":"2244994945"}"#
        );
        assert_eq!(follow_path("1"), "/2/users/1/following");
        assert_eq!(unfollow_path("1", "2"), "/2/users/1/following/2");
    }

    #[test]
    fn outcomes() {
        let rl = RateLimit::default();
        let ok = |body| parse(200, body, rl).unwrap();
        let o = ok(r#"{"data":{"following":true,"pending_follow":false}}"#);
        assert_eq!(
            (o.following, o.pending_follow, o.state),
            (true, false, FollowState::Following)
        );
        let o = ok(r#"{"data":{"pending_follow":true,"following":false}}"#);
        assert_eq!(o.state, FollowState::Pending);
        let o = ok(r#"{"data":{"following":false}}"#);
        assert_eq!(
            (o.following, o.pending_follow, o.state),
            (false, false, FollowState::NotFollowing)
        );
        let o = ok(
            r#"{"data":{"following":true},"errors":[{"code":160,"message":"You've already requested to follow."}]}"#,
        );
        assert_eq!(o.errors.len(), 1);
        assert_eq!(o.errors[0].code, Some(160));
        // pending_follow null, duplicate keys (the last wins, as in serde_json's maps) and
        // unknown fields take the general path and read the same.
        let o = ok(r#"{"data":{"following":false,"pending_follow":null}}"#);
        assert_eq!(o.state, FollowState::NotFollowing);
        let o = ok(r#"{"data":{"following":false,"following":true}}"#);
        assert_eq!(o.state, FollowState::Following);
        let o = ok(r#"{"data":{"following":true,"extra":1},"meta":{}}"#);
        assert_eq!((o.following, o.errors.len()), (true, 0));
        let e = parse(200, r#"{"data":{"following":true}} trailing"#, rl).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Protocol);
        let e = parse(200, r#"{"data":{"following":"yes"}}"#, rl).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Protocol);
        assert_eq!(e.message(), "`data.following` is missing or not a boolean");
    }
}
