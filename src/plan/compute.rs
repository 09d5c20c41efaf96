//! Plans computed from the lookups: unfollow those who do not follow back, follow back those
//! who follow.

use std::collections::HashSet;

use super::{Intent, Plan, PlanError, Target};
use crate::api::User;
use crate::client::pages::MAX_PAGE_SIZE;
use crate::client::Client;
use crate::quota::Action;

/// The most users read from one followers or following list (100 pages of 1,000).
pub const MAX_LOOKUP_USERS: usize = 100_000;

/// Every user of `user_id`'s followers (or following) list, up to [`MAX_LOOKUP_USERS`]
/// (a longer list is refused rather than cut: a computed plan from half a list is wrong).
pub(crate) fn whole_list(
    client: &Client,
    user_id: &str,
    followers: bool,
) -> Result<Vec<User>, PlanError> {
    let pages = if followers {
        client.followers_iter(Some(user_id), Some(MAX_PAGE_SIZE))
    } else {
        client.following_iter(Some(user_id), Some(MAX_PAGE_SIZE))
    };
    let mut out = Vec::new();
    for page in pages {
        out.extend(page?.users);
        if out.len() > MAX_LOOKUP_USERS {
            return Err(PlanError::InvalidOption(format!(
                "the list has more than {MAX_LOOKUP_USERS} users"
            )));
        }
    }
    Ok(out)
}

impl Plan {
    /// Adds an unfollow of everyone the source follows who does not follow back, except
    /// those in `keep` (ids or `@usernames`, case-insensitive). Returns how many were new.
    pub fn unfollow_non_followers(&self, client: &Client, keep: &[&str]) -> Result<u64, PlanError> {
        self.check_client(client)?;
        let keep = keep
            .iter()
            .map(|k| Target::parse(k))
            .collect::<Result<Vec<_>, _>>()?;
        let keep_ids: HashSet<&str> = keep
            .iter()
            .filter_map(|t| match t {
                Target::Id(id) => Some(id.as_str()),
                Target::Username(_) => None,
            })
            .collect();
        let keep_names: HashSet<String> = keep
            .iter()
            .filter_map(|t| match t {
                Target::Username(n) => Some(n.to_ascii_lowercase()),
                Target::Id(_) => None,
            })
            .collect();
        let following = whole_list(client, self.source_user_id(), false)?;
        let followers: HashSet<String> = whole_list(client, self.source_user_id(), true)?
            .into_iter()
            .map(|u| u.id)
            .collect();
        let intents: Vec<Intent> = following
            .into_iter()
            .filter(|u| !followers.contains(&u.id))
            .filter(|u| {
                !keep_ids.contains(u.id.as_str())
                    && !keep_names.contains(&u.username.to_ascii_lowercase())
            })
            .map(|u| Intent {
                action: Action::Unfollow,
                target: Target::Id(u.id),
            })
            .collect();
        self.add(&intents)
    }

    /// Adds a follow of everyone who follows the source and whom it does not follow yet.
    /// Returns how many were new.
    pub fn follow_back(&self, client: &Client) -> Result<u64, PlanError> {
        self.check_client(client)?;
        let following: HashSet<String> = whole_list(client, self.source_user_id(), false)?
            .into_iter()
            .map(|u| u.id)
            .collect();
        let intents: Vec<Intent> = whole_list(client, self.source_user_id(), true)?
            .into_iter()
            .filter(|u| !following.contains(&u.id))
            .map(|u| Intent {
                action: Action::Follow,
                target: Target::Id(u.id),
            })
            .collect();
        self.add(&intents)
    }

    /// [`PlanError::WrongClient`] unless `client` acts for the plan's source user.
    pub(crate) fn check_client(&self, client: &Client) -> Result<(), PlanError> {
        if client.own_user_id()? == self.source_user_id() {
            Ok(())
        } else {
            Err(PlanError::WrongClient)
        }
    }
}
