//! MD5 of file parts, for the uploader's Web Worker (`www/hash-worker.js`): the page's thread
//! stays free while the parts ahead are hashed. A module of its own, a few KiB, rather than the
//! uploader's: a worker that loaded the whole uploader would fetch and instantiate ten times the
//! code to use one function of it.
//!
//! The worker reads each part in pieces (one reused buffer) and feeds them to an [`Md5Stream`];
//! the raw digest goes back to the page, which sends it in base64 as the protocol wants. When
//! several parts are waiting, it hashes up to four at once with [`Md5Lanes`], a multi-buffer MD5
//! ([`multi`]) that the WebAssembly build computes with SIMD instructions ([`lanes`]).

mod lanes;
pub mod multi;

use md5::{Digest as _, Md5};
use multi::Md5x4;
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

/// Four MD5s fed side by side, each lane its own message (a part): with WebAssembly SIMD, four
/// parts take about the time of two hashed one by one. Pieces of equal lengths go fastest; a
/// lane given less (or nothing) waits.
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct Md5Lanes(Md5x4);

#[wasm_bindgen]
impl Md5Lanes {
    /// Four empty messages.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Md5Lanes {
        Md5Lanes::default()
    }

    /// Feeds the next piece of each lane's message (an empty one for a lane with nothing new).
    pub fn update(&mut self, a: &[u8], b: &[u8], c: &[u8], d: &[u8]) {
        self.0.update([a, b, c, d]);
    }

    /// The raw 16-byte digest of everything fed to `lane` (0 to 3); that lane is empty again
    /// afterwards, the others go on.
    pub fn finish(&mut self, lane: usize) -> Vec<u8> {
        self.0.finish(lane).to_vec()
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

    /// Random bytes of `size`.
    fn bytes(size: usize, seed: &mut u64) -> Vec<u8> {
        (0..size).map(|_| next(seed) as u8).collect()
    }

    #[test]
    fn lanes_of_different_lengths_each_give_their_own_digest() {
        let mut seed = 0x1a4e5_u64;
        // Lengths around the padding and block edges, in every mix across the lanes.
        let edges = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129];
        for round in 0..200 {
            let sizes: [usize; 4] = core::array::from_fn(|_| {
                let pick = next(&mut seed) as usize;
                if round % 2 == 0 {
                    edges[pick % edges.len()]
                } else {
                    pick % 5_000
                }
            });
            let data = sizes.map(|size| bytes(size, &mut seed));
            let mut lanes = Md5Lanes::new();
            lanes.update(&data[0], &data[1], &data[2], &data[3]);
            for (lane, data) in data.iter().enumerate() {
                assert_eq!(lanes.finish(lane), Md5::digest(data).to_vec(), "{sizes:?}");
            }
        }
    }

    #[test]
    fn pieces_of_random_sizes_in_each_lane_give_the_digest_of_the_whole() {
        let mut seed = 0xfeed_u64;
        let mut lanes = Md5x4::new();
        for _ in 0..60 {
            // Parts of similar sizes (the common case: a shorter last part) and unrelated ones.
            let base = (next(&mut seed) % 200_000) as usize;
            let sizes: [usize; 4] = core::array::from_fn(|_| match next(&mut seed) % 4 {
                0 => (next(&mut seed) % 300) as usize,
                1 => (next(&mut seed) % 300_000) as usize,
                _ => base,
            });
            let data = sizes.map(|size| bytes(size, &mut seed));
            let mut at = [0usize; 4];
            while at.iter().zip(&sizes).any(|(a, s)| a < s) {
                // Each lane gets a random piece (maybe nothing) of what it has left.
                let pieces: [&[u8]; 4] = core::array::from_fn(|lane| {
                    let left = sizes[lane] - at[lane];
                    let take = match next(&mut seed) % 5 {
                        0 => 0,
                        1 => (next(&mut seed) % 70) as usize,
                        _ => (next(&mut seed) % 80_000) as usize,
                    }
                    .min(left);
                    let piece = &data[lane][at[lane]..at[lane] + take];
                    at[lane] += take;
                    piece
                });
                lanes.update(pieces);
            }
            for (lane, data) in data.iter().enumerate() {
                assert_eq!(
                    lanes.finish(lane),
                    Md5::digest(data).as_slice(),
                    "{sizes:?}"
                );
            }
        }
    }

    #[test]
    fn a_finished_lane_takes_a_new_message_while_the_others_go_on() {
        let mut seed = 0xab_u64;
        let long = bytes(10_000, &mut seed);
        let shorts: Vec<Vec<u8>> = (0..6).map(|n| bytes(n * 97 + 3, &mut seed)).collect();
        let mut lanes = Md5x4::new();
        let mut at = 0;
        for short in &shorts {
            // Lane 2 carries one long message; lane 0 hashes one short message after another.
            let piece = &long[at..at + 1_000];
            at += 1_000;
            lanes.update([short, &[], piece, &[]]);
            assert_eq!(lanes.finish(0), Md5::digest(short).as_slice());
        }
        lanes.update([&[], &[], &long[at..], &[]]);
        assert_eq!(lanes.finish(2), Md5::digest(&long).as_slice());
        // Lanes never fed give the digest of nothing.
        assert_eq!(lanes.finish(3), Md5::digest(b"").as_slice());
    }
}
