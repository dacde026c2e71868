//! Handler tests through `app(...)` with in-memory backends: every endpoint, every class of
#![allow(unreachable_pub)] // a test binary: `pub` only shares helpers between its modules
//! bad input. Run: `cargo test -p skiff-server --test api`.

mod app_storage;
mod bad_input;
mod cloud;
mod demo;
mod direct;
mod edges;
mod files;
mod harness;
mod multipart;
mod oauth;
mod resume;
mod security;
mod store;
mod thumbnails;
mod transfers;

/// Installs the TLS crypto provider reqwest needs (the server does it in `main`).
pub fn ensure_tls() {
    skiff_server::fetch::ensure_crypto_provider();
}
