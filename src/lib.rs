//! xfollow: follow and unfollow accounts on X through the X API v2.
//!
//! The safe Rust API is [`Client`], built with [`ClientBuilder`]. The C ABI lives in
//! `ffi` and is described by `include/xfollow.h`. docs/architecture.md shows the layers:
//! each group of modules below uses only the groups after it (tests/layers.rs checks it).

// `unsafe` only in the C ABI (`ffi`, which allows it).
#![deny(unsafe_code)]

// The C ABI and the fuzz entry points: the top, over everything below.
#[allow(unsafe_code)]
pub mod ffi;
#[doc(hidden)]
pub mod fuzz;
// Follow plans: durable, paced lists of intents run through a Client.
pub mod plan;
// The safe Rust API: Client, its builder, paging, the quota and retry around each call.
mod client;
// Authorizers of API calls, then getting and keeping tokens.
pub mod auth;
pub mod tokens;
// One API call: paths and parsing; its OAuth 1.0a signature.
mod api;
mod signature;
// Sending requests; retrying them; checking input (one layer: none uses another).
pub mod retry;
mod transport;
pub mod validate;
// Errors.
mod error;
// Rate-limit headers.
mod ratelimit;
// The daily-cap ledger.
pub mod quota;
// Leaves: no crate import.
mod cancel;
mod clock;
mod form;
mod secret;

pub use api::{FollowOutcome, FollowState, User};
pub use auth::{Credentials, OAuth1Credentials, OAuth2Refreshing};
pub use client::pages::{PageRequest, UserPage, UserPages, MAX_PAGE_SIZE};
pub use client::policy::{OAUTH2_WITHOUT_CLIENT_ID, QUOTA_OFF};
pub use client::{Client, ClientBuilder, Endpoint, DEFAULT_BASE_URL, DEFAULT_QUOTA_URL};
pub use error::{problem_suffix, ApiError, Delivery, Error, ErrorKind, Problem};
pub use plan::{Plan, PlanError, PlanStore, RunOptions, Runner};
pub use quota::{QuotaLimits, QuotaStatus};
pub use ratelimit::{RateLimit, Window, WindowKind};
pub use retry::{Cancel, RetryPolicy};
pub use secret::Secret;
pub use transport::{redact_userinfo, TransportOptions};

/// The library version (from Cargo.toml).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
