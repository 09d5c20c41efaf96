//! xfollow: follow and unfollow accounts on X through the X API v2.

pub mod quota;
pub mod retry;
