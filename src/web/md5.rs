//! Part checksums: the Filestack protocol sends each part's MD5 as the base64 of the raw 16-byte
//! digest (the `Content-MD5` form), never as hex.

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
    digest_base64(&Md5::digest(bytes).into())
}

/// Base64 (standard alphabet, padded) of a 16-byte digest. Written out rather than taken from
/// the base64 crate, the browser module's only use of it: for these 24 characters its general
/// encoder cost 1.7 KB gzip of the uploader's download and 2.0 KB of the picker's.
pub(crate) fn digest_base64(digest: &[u8; 16]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(24);
    // Five groups of three bytes give four characters each; the sixteenth byte gives two and `==`.
    for group in digest.chunks(3) {
        let b = [
            group[0],
            *group.get(1).unwrap_or(&0),
            *group.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        let chars = group.len() + 1;
        for i in 0..4 {
            out.push(if i < chars {
                char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

/// The 16 bytes of an `ETag` that is a hex MD5, as skiff-server's part PUTs answer: quoted, maybe
/// weak (`W/`), either case. `None` for anything else. (By hand for the same reason as above: the
/// hex crate is not in the browser module.)
pub(crate) fn etag_digest(etag: &str) -> Option<[u8; 16]> {
    // Byte slices, not `str::trim*`: those bring Unicode whitespace tables and the substring
    // searcher into the wasm (browsers hand header values over trimmed already).
    let tag = etag.as_bytes();
    let tag = tag.strip_prefix(b"W/").unwrap_or(tag);
    let hex = tag
        .strip_prefix(b"\"")
        .and_then(|t| t.strip_suffix(b"\""))
        .unwrap_or(tag);
    if hex.len() != 32 {
        return None;
    }
    let nibble = |c: u8| char::from(c).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 16];
    for (byte, pair) in out.iter_mut().zip(hex.chunks(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{digest_base64, etag_digest, md5_base64};
    use base64::Engine as _;

    #[test]
    fn digests_encode_as_the_base64_crate_does() {
        let mut x = 0x9e37_79b9_u32;
        for _ in 0..2000 {
            let mut d = [0u8; 16];
            for b in &mut d {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *b = x as u8;
            }
            let want = base64::engine::general_purpose::STANDARD.encode(d);
            assert_eq!(digest_base64(&d), want, "{d:?}");
        }
        assert_eq!(digest_base64(&[0; 16]), "AAAAAAAAAAAAAAAAAAAAAA==");
        assert_eq!(digest_base64(&[0xff; 16]), "/////////////////////w==");
    }

    #[test]
    fn hex_etags_read_as_digests() {
        let hello = md5_base64(b"hello world");
        for etag in [
            "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"",
            "5eb63bbbe01eeed093cb22bb8f5acdc3",
            "W/\"5EB63BBBE01EEED093CB22BB8F5ACDC3\"",
        ] {
            let d = etag_digest(etag).unwrap_or_else(|| panic!("{etag} not read"));
            assert_eq!(digest_base64(&d), hello, "{etag}");
        }
        for etag in [
            "",
            "\"\"",
            "\"5eb63bbbe01eeed093cb22bb8f5acdc\"",
            "\"5eb63bbbe01eeed093cb22bb8f5acdc3-2\"",
            "\"5eb63bbbe01eeed093cb22bb8f5acdcg\"",
            "\"skiff-Xq8k2LmN0pRt5VwY7zAb12345\"",
            "\"5eb63bbbe01eeed093cb22bb8f5acdé\"",
        ] {
            assert_eq!(etag_digest(etag), None, "{etag}");
        }
    }

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
