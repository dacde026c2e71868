//! Running uploads in the browser: the driver that performs the engine's requests, and starting
//! uploads and single calls for the JS API and the picker.

#[cfg(target_arch = "wasm32")]
pub(crate) mod driver;
#[cfg(target_arch = "wasm32")]
pub(crate) mod start;
