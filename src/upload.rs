//! Running uploads in the browser: the driver that performs the engine's requests, and starting
//! uploads and single calls for the JS API and the picker.

#[cfg(target_arch = "wasm32")]
pub(crate) mod connections;
#[cfg(target_arch = "wasm32")]
pub(crate) mod driver;
// Plain Rust: also compiled natively, where their tests run (only the wasm driver uses them).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod etag_check;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod events;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod hash_ahead;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod hash_pace;
#[cfg(target_arch = "wasm32")]
pub(crate) mod resumable;
#[cfg(target_arch = "wasm32")]
pub(crate) mod start;
