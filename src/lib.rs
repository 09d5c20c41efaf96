//! xfollow: follow and unfollow accounts on X through the X API v2.
//!
//! The safe Rust API is [`Client`], built with [`ClientBuilder`]. The C ABI lives in
//! `ffi` and is described by `include/xfollow.h`.

mod api;
pub mod auth;
mod client;
mod error;
mod limits;
pub mod ffi;
#[doc(hidden)]
pub mod fuzz;
pub mod plan;
pub mod quota;
mod ratelimit;
pub mod retry;
pub mod tokens;
mod transport;
pub mod validate;
mod lookups;

pub use api::{FollowOutcome, FollowState, User};
pub use auth::{Credentials, OAuth1Credentials, OAuth2Refreshing, Secret};
pub use client::{Client, ClientBuilder, Endpoint, DEFAULT_QUOTA_URL};
pub use limits::{OAUTH2_WITHOUT_CLIENT_ID, QUOTA_OFF};
pub use plan::{Plan, PlanError, PlanStore, RunOptions, Runner};
pub use quota::{QuotaLimits, QuotaStatus};
pub use retry::{Cancel, RetryPolicy};
pub use error::{problem_suffix, ApiError, Delivery, Error, ErrorKind, Problem};
pub use ratelimit::{RateLimit, Window, WindowKind};
pub use lookups::{PageRequest, UserPage, UserPages, MAX_PAGE_SIZE};

/// The library version (from Cargo.toml).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
