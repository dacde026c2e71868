//! Where the upload and store options used to live together: their readers are now
//! `upload_options` and `store_options` (on the shared `reader`); these names stay for the code
//! that imports them from here.

pub use super::reader::OptionsError;
pub use super::store_options::{Sanitizer, StoreOptions, store_options};
pub use super::upload_options::{UploadOptions, upload_options};
