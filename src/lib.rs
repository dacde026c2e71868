//! Skiff's browser module: the picker and the adaptive uploader, compiled to WebAssembly and
//! shipped on npm as `skiff-picker` (built by `scripts/build-wasm.sh`).
//!
//! Exported to JavaScript so far: [`md5_base64`] (part checksums for the upload driver) and
//! [`version`]. The same functions are plain Rust on other targets:
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
