//! Cloud sources in the picker, as plain Rust: which sources there are (`source`), the Cloud API's
//! request bodies and answers (`wire`, docs/protocol.md §7.2), and the state of one source's
//! folder browser (`browse`) and which of a long folder's items are drawn (`window`). The browser side (requests, the sign-in popup, the views) lives in
//! `web::cloud_api` and `picker::cloud`.

pub mod browse;
pub mod source;
pub mod window;
pub mod wire;

pub use source::CloudSource;
