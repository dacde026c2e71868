//! The version of the running module, so a page can tell which `skiff-picker` build it loaded.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::prelude::wasm_bindgen;

/// The crate version this module was built from (the npm package carries the same number).
#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
