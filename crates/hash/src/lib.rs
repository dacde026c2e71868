//! MD5 of file parts, for the uploader's Web Worker (`www/hash-worker.js`): the page's thread
//! stays free while the parts ahead are hashed. A module of its own, a few KiB, rather than the
//! uploader's: a worker that loaded the whole uploader would fetch and instantiate ten times the
//! code to use one function of it.
//!
//! The worker reads each part in pieces (one reused buffer) and feeds them to an [`Md5Stream`];
//! the raw digest goes back to the page, which sends it in base64 as the protocol wants.

use md5::{Digest as _, Md5};
use wasm_bindgen::prelude::wasm_bindgen;

/// An MD5 fed piece by piece.
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct Md5Stream(Md5);

#[wasm_bindgen]
impl Md5Stream {
    /// A digest of nothing yet.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Md5Stream {
        Md5Stream::default()
    }

    /// Feeds the next piece.
    pub fn update(&mut self, piece: &[u8]) {
        self.0.update(piece);
    }

    /// The raw 16-byte digest of everything fed; the stream is empty again afterwards.
    pub fn finish(&mut self) -> Vec<u8> {
        self.0.finalize_reset().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small xorshift: reproducible bytes and cut points without a dependency.
    fn next(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    #[test]
    fn pieces_of_any_size_give_the_digest_of_the_whole() {
        let mut seed = 0x5eed_u64;
        // Block and padding edges (55/56/64 bytes), the worker's 256 KiB pieces, and random sizes.
        let mut sizes = vec![
            0, 1, 55, 56, 63, 64, 65, 262_143, 262_144, 262_145, 1_000_003,
        ];
        sizes.extend((0..40).map(|_| (next(&mut seed) % 300_000) as usize));
        let mut stream = Md5Stream::new();
        for size in sizes {
            let data: Vec<u8> = (0..size).map(|_| next(&mut seed) as u8).collect();
            let mut at = 0;
            while at < size {
                let take = 1 + (next(&mut seed) % 70_000) as usize;
                let end = (at + take).min(size);
                stream.update(&data[at..end]);
                at = end;
            }
            assert_eq!(stream.finish(), Md5::digest(&data).to_vec(), "{size} bytes");
        }
    }
}
