//! Stand-ins for the OAuth cloud providers skiff-server imports from, which cannot be reached
//! from a test: small axum servers on loopback that follow each provider's documented API
//! (endpoints, field names and types, paging, error bodies, token lifetimes and rotation) closely
//! enough that the server's real provider clients run against them unchanged.
//!
//! Every stand-in is stateful: authorization codes (single use, expiring, PKCE-checked), access
//! tokens that expire, refresh tokens that rotate where the provider rotates them. Tests steer
//! them through [`core::Knobs`] (expire tokens, queue 401/429/5xx answers, refuse consent) and
//! read the request log to check what the client sent.

// Handlers answer a refusal as `Err(Response)`: its size does not matter in a test server.
#![allow(clippy::result_large_err)]

pub mod box_api;
pub mod core;
pub mod dropbox;
pub mod files;
pub mod github;
pub mod googledrive;
pub mod googlephotos;
pub mod onedrive;
pub mod unsplash;

pub use core::{Core, Knobs, Logged, OAuthRules, StandIn};
pub use files::Tree;
