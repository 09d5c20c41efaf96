//! The followers/following lookups on [`Client`], and [`UserPages`], an iterator over
//! every page of a list.

use super::{ApiRequest, Client, Endpoint};
use crate::api::lookups::{self, check_page};
use crate::error::Error;
use crate::validate;

pub use crate::api::lookups::{PageRequest, UserPage, MAX_PAGE_SIZE};

impl Client {
    /// One page of the users who follow `user_id` (`None`: the authenticated user), newest
    /// first (`GET /2/users/{id}/followers`). `max_results` (1 to 1000) and the pagination
    /// token are checked before any request. OAuth 2.0 tokens need the `follows.read` scope.
    pub fn followers(
        &self,
        user_id: Option<&str>,
        page: &PageRequest<'_>,
    ) -> Result<UserPage, Error> {
        self.list(user_id, page, true)
    }

    /// One page of the users `user_id` follows (`None`: the authenticated user), newest
    /// first (`GET /2/users/{id}/following`). Checks as for [`followers`](Self::followers).
    pub fn following(
        &self,
        user_id: Option<&str>,
        page: &PageRequest<'_>,
    ) -> Result<UserPage, Error> {
        self.list(user_id, page, false)
    }

    /// Every page of `user_id`'s followers, `page_size` users per page (`None`: 100), from
    /// the first to the last. One request per `next()`; after an error the iterator ends.
    /// The number of pages is the caller's to bound (`.take(n)`).
    pub fn followers_iter(&self, user_id: Option<&str>, page_size: Option<u32>) -> UserPages<'_> {
        UserPages::new(self, user_id, page_size, true)
    }

    /// Every page of the users `user_id` follows; see [`followers_iter`](Self::followers_iter).
    pub fn following_iter(&self, user_id: Option<&str>, page_size: Option<u32>) -> UserPages<'_> {
        UserPages::new(self, user_id, page_size, false)
    }

    fn list(
        &self,
        user_id: Option<&str>,
        page: &PageRequest<'_>,
        followers: bool,
    ) -> Result<UserPage, Error> {
        check_page(page)?;
        let id = match user_id {
            Some(s) => {
                validate::user_id("user id", s)?;
                s.to_owned()
            }
            None => self.own_user_id()?,
        };
        let path = lookups::list_path(&id, followers, page);
        self.call(
            &ApiRequest {
                endpoint: if followers {
                    Endpoint::Followers
                } else {
                    Endpoint::Following
                },
                method: "GET",
                path: &path,
                json_body: None,
                quota: None,
            },
            lookups::parse,
        )
    }
}

/// The pages of a followers or following list, first to last (see
/// [`Client::followers_iter`]). Yields `Err` once and then ends on a failure.
#[derive(Debug)]
pub struct UserPages<'c> {
    client: &'c Client,
    user_id: Option<String>,
    page_size: Option<u32>,
    followers: bool,
    next: Option<String>,
    done: bool,
}

impl<'c> UserPages<'c> {
    fn new(
        client: &'c Client,
        user_id: Option<&str>,
        page_size: Option<u32>,
        followers: bool,
    ) -> UserPages<'c> {
        UserPages {
            client,
            user_id: user_id.map(str::to_owned),
            page_size,
            followers,
            next: None,
            done: false,
        }
    }
}

impl Iterator for UserPages<'_> {
    type Item = Result<UserPage, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.user_id.is_none() {
            // Resolved once, so that later pages never ask for the own id again.
            match self.client.own_user_id() {
                Ok(id) => self.user_id = Some(id),
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        let page = PageRequest {
            max_results: self.page_size,
            pagination_token: self.next.as_deref(),
        };
        let r = self
            .client
            .list(self.user_id.as_deref(), &page, self.followers);
        match r {
            Ok(p) => match &p.next_token {
                Some(t) if self.next.as_deref() == Some(t.as_str()) => {
                    // A server that hands back the token just used would loop forever.
                    self.done = true;
                    Some(Err(crate::api::protocol(
                        200,
                        "the API returned the same pagination token again",
                        p.rate_limit,
                    )))
                }
                Some(t) => {
                    self.next = Some(t.clone());
                    Some(Ok(p))
                }
                None => {
                    self.done = true;
                    Some(Ok(p))
                }
            },
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl std::iter::FusedIterator for UserPages<'_> {}
