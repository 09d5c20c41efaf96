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

pub(crate) fn parse(
    status: u16,
    body: &str,
    rate_limit: RateLimit,
) -> Result<FollowOutcome, Error> {
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
    let state = if following {
        FollowState::Following
    } else if pending_follow {
        FollowState::Pending
    } else {
        FollowState::NotFollowing
    };
    Ok(FollowOutcome {
        following,
        pending_follow,
        state,
        http_status: status,
        rate_limit,
        errors,
    })
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
        let o = parse(
            200,
            r#"{"data":{"following":true,"pending_follow":false}}"#,
            rl,
        )
        .unwrap();
        assert_eq!(
            (o.following, o.pending_follow, o.state),
            (true, false, FollowState::Following)
        );
        let o = parse(
            200,
            r#"{"data":{"pending_follow":true,"following":false}}"#,
            rl,
        )
        .unwrap();
        assert_eq!(o.state, FollowState::Pending);
        let o = parse(200, r#"{"data":{"following":false}}"#, rl).unwrap();
        assert_eq!(
            (o.following, o.pending_follow, o.state),
            (false, false, FollowState::NotFollowing)
        );
        let o = parse(
            200,
            r#"{"data":{"following":true},"errors":[{"code":160,"message":"You've already requested to follow."}]}"#,
            rl,
        )
        .unwrap();
        assert_eq!(o.errors.len(), 1);
        assert_eq!(o.errors[0].code, Some(160));
        let e = parse(200, r#"{"data":{"following":"yes"}}"#, rl).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Protocol);
        assert_eq!(e.message(), "`data.following` is missing or not a boolean");
    }
}
