//! Part checksums: the Filestack protocol sends each part's MD5 as the base64 of the raw 16-byte
//! digest (the `Content-MD5` form), never as hex.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest as _, Md5};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen::prelude::wasm_bindgen;

/// Base64 (standard alphabet, padded) of the raw MD5 digest of `bytes`: 24 characters, the value
/// the upload protocol's `md5` fields and `Content-MD5` headers expect.
///
/// From JavaScript this takes a `Uint8Array`, which wasm-bindgen copies into wasm memory; hash a
/// file one part (`Blob.slice`) at a time rather than whole. (These docs also end up in the
/// generated JS glue, so no Rust examples here; see the crate docs.)
#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
pub fn md5_base64(bytes: &[u8]) -> String {
    STANDARD.encode(Md5::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::md5_base64;

    #[test]
    fn matches_rfc_1321_vectors_in_base64() {
        // RFC 1321 appendix A.5, plus block-boundary lengths (padding spills into a second block
        // from 56 bytes on); hex digests converted to base64.
        let digit_runs = "1234567890".repeat(8);
        let cases: [(&[u8], &str); 11] = [
            (b"", "1B2M2Y8AsgTpgAmY7PhCfg=="),
            (b"a", "DMF1ucDxtqgxw5niaXcmYQ=="),
            (b"abc", "kAFQmDzST7DWlj99KOF/cg=="),
            (b"message digest", "+WtpfXy3k41SWi8xqvFh0A=="),
            (b"abcdefghijklmnopqrstuvwxyz", "w/zT12GS5AB9+0lsymfhOw=="),
            (digit_runs.as_bytes(), "V+30oivjyVWsSdouIQe2eg=="),
            (b"hello world", "XrY7u+Ae7tCTyyK7j1rNww=="),
            (&[b'a'; 55], "7xdytt/5oSI1hVKVStDfZQ=="),
            (&[b'a'; 56], "OwyKxwP4KLBMbBlwBtFyGA=="),
            (&[b'a'; 64], "AUhC1IC1cUlaSgNjeT9zZw=="),
            (&[b'a'; 1_000_000], "dwfWrk4CfHDuoqk1wilvIQ=="),
        ];
        for (input, expected) in cases {
            assert_eq!(
                md5_base64(input),
                expected,
                "{} bytes of input",
                input.len()
            );
        }
    }
}
