//! xfollow-emulator: a local X API v2 (follows, users/me, users/by/username, followers and
//! following, OAuth 1.0a and OAuth 2.0 token flows) for tests and demos, with rate limits,
//! a virtual clock, fault injection and an admin API.
//!
//! The library target exists so that tests and benchmarks can reuse the emulator's own
//! RFC 5849 signer/verifier ([`oauth1`]) and start a server in-process ([`server::Server`]).

pub mod admin;
pub mod auth;
pub mod clock;
pub mod config;
pub mod faults;
#[doc(hidden)]
pub mod fuzz;
pub mod http;
pub mod limits;
pub mod oauth1;
pub mod pct;
pub mod problems;
pub mod requests;
pub mod routes;
pub mod server;
pub mod state;
pub mod tls;
