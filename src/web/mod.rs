//! Browser adapters: the thin layer over the browser's APIs that the uploader and the picker use
//! (`http`: fetch and part digests; `hash_worker`: part digests from the hashing Web Worker; `cloud_api`, `cloud_token`: the picker's Cloud API calls and
//! its session token; `redirect`: signing in in this tab; `xhr`: PUTs that report the bytes sent; `clock`: the monotonic clock and cancellable timers;
//! `listener`: event listeners removed on drop; `idb`: a key-value store in IndexedDB; `js_value`: plain data across the JS boundary),
//! and the two functions exported as they are ([`md5_base64()`], [`version()`]). The browser-only
//! parts are gated on `target_arch = "wasm32"` and tested in a browser (wasm-bindgen-test); `md5`
//! is plain Rust, tested on the host.

#[cfg(target_arch = "wasm32")]
pub(crate) mod clock;
#[cfg(all(target_arch = "wasm32", feature = "picker"))]
pub(crate) mod cloud_api;
#[cfg(all(target_arch = "wasm32", feature = "picker"))]
pub(crate) mod cloud_token;
#[cfg(target_arch = "wasm32")]
pub(crate) mod hash_worker;
#[cfg(target_arch = "wasm32")]
pub(crate) mod http;
#[cfg(target_arch = "wasm32")]
pub(crate) mod idb;
#[cfg(target_arch = "wasm32")]
pub(crate) mod js_value;
#[cfg(all(target_arch = "wasm32", feature = "picker"))]
pub(crate) mod listener;
pub(crate) mod md5;
#[cfg(all(target_arch = "wasm32", feature = "picker"))]
pub(crate) mod redirect;
mod version;
#[cfg(target_arch = "wasm32")]
mod xhr;

#[cfg(target_arch = "wasm32")]
pub use hash_worker::set_hasher;
pub use md5::md5_base64;
pub use version::version;
