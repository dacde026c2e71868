//! Running uploads in the browser: the driver that performs the engine's requests.

#[cfg(target_arch = "wasm32")]
pub(crate) mod driver;
