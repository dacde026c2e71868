//! Random identifiers: file handles, upload ids, piece ids.

use rand::Rng;
use rand::distr::Alphanumeric;

/// `len` random ASCII letters and digits.
pub(crate) fn random_id(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A new file handle: 20 letters and digits, like Filestack's.
pub(crate) fn handle() -> String {
    random_id(20)
}

/// Whether `s` could be a handle (letters and digits only), so it is safe to use as a name.
pub(crate) fn is_handle(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}
