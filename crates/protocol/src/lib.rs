//! The Filestack-compatible upload protocol as Skiff speaks it: wire types, tag rules, policies
//! and signatures, limits and stable error codes.
//!
//! This crate is pure (no I/O, no clock, no randomness) and builds for native targets and for
//! `wasm32-unknown-unknown`, so the server and the browser module share one definition of every
//! rule. Time is always a parameter.
//!
//! ```
//! use skiff_protocol::tags::UploadTags;
//!
//! let tags: UploadTags = serde_json::from_str(r#"{"project":"apollo"}"#).unwrap();
//! tags.validate().unwrap();
//! assert_eq!(tags.get("project"), Some("apollo"));
//! ```

pub mod error;
mod lenient;
pub mod limits;
pub mod mime;
#[cfg(feature = "policy")]
pub mod policy;
pub mod routes;
pub mod tags;
pub mod wire;

pub use error::{ErrorCode, ErrorReply};
#[cfg(feature = "policy")]
pub use policy::{Call, Policy, PolicyError};
pub use tags::{TagError, UploadTags};
