//! Skiff's browser module: the picker and the adaptive uploader, compiled to WebAssembly and
//! shipped on npm as `skiff-picker` (built by `scripts/build-wasm.sh`; the package entry
//! `www/index.js` loads it and wraps it in filestack-js's API).
//!
//! Its layers, from JavaScript down:
//! - `js_api`: what JavaScript calls, as opaque handles (`Client`, `UploadTask`); the only place,
//!   with the picker's bridge, that turns typed values into the JS shapes apps see.
//! - `picker` (feature `picker`, on by default; the uploader-only build leaves it out): the Yew
//!   picker behind the `Picker` handle.
//! - `upload`: runs the sans-IO engine (`skiff-engine`) in the browser; reports typed progress,
//!   retries and per-file outcomes.
//! - [`model`]: the options, the picker's selection rules and words, as plain Rust.
//! - `web`: the adapters over the browser's APIs (fetch, clock and timers, listeners, JS values).
//!
//! Browser-only code is gated on `target_arch = "wasm32"`; the rest builds and is tested natively,
//! where the exported functions are plain Rust too:
//!
//! ```
//! assert_eq!(skiff::md5_base64(b""), "1B2M2Y8AsgTpgAmY7PhCfg==");
//! ```

#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod js_api;
pub mod model;
#[cfg(all(target_arch = "wasm32", feature = "picker"))]
mod picker;
mod upload;
mod web;

pub use skiff_protocol as protocol;
pub use web::{md5_base64, version};
// For the package's entry module only (it hands the wasm its hashing worker).
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub use web::set_hasher;
