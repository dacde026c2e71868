//! Pure model code of the browser module (no browser APIs): what the JS API reads from apps, and
//! how results look to them. Tested natively.

pub mod accept;
pub mod checkpoint;
pub mod client_options;
pub mod cloud;
pub mod failure;
pub mod file_name;
pub mod kept;
pub mod options;
pub mod picker_options;
pub mod reader;
pub mod selection;
pub mod store_options;
pub mod text;
pub mod upload_options;
