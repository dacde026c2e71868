//! Skiff's browser module: the picker and the adaptive uploader, compiled to WebAssembly and
//! shipped on npm as `skiff-picker`.
//!
//! The browser code lands with the upload engine; for now this crate re-exports the wire types
//! it will speak, so the workspace builds for native and `wasm32-unknown-unknown` alike.

pub use skiff_protocol as protocol;
