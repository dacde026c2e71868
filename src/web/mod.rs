//! Browser adapters: everything JavaScript calls into. The only module besides `js_api` that may
//! use wasm-bindgen, js-sys and web-sys; those uses are gated on `target_arch = "wasm32"` so the
//! crate still builds and tests natively. Plain Rust functions here are unit-tested on the host;
//! `tests/wasm/main.rs` checks them again inside a browser.

#[cfg(target_arch = "wasm32")]
pub(crate) mod clock;
#[cfg(target_arch = "wasm32")]
pub(crate) mod http;
#[cfg(target_arch = "wasm32")]
pub(crate) mod js_value;
#[cfg(all(target_arch = "wasm32", feature = "picker"))]
pub(crate) mod listener;
mod md5;
mod version;

pub use md5::md5_base64;
pub use version::version;
