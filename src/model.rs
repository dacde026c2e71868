//! Pure model code of the browser module (no browser APIs): what the JS API reads from apps.

pub mod options;
