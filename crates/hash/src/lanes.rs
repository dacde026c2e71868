//! Four 32-bit words side by side, one per message being hashed: the unit the multi-buffer MD5
//! ([`crate::multi`]) computes with. Built for wasm32 with `simd128` enabled, a [`Lanes`] is one
//! `v128` and each operation one or two SIMD instructions; elsewhere it is a plain `[u32; 4]` with
//! the same operations, so the MD5 built on top of it runs (and is tested) natively too.
//!
//! Only what MD5 needs is here: wrapping addition, the bitwise functions, rotation by a constant,
//! selection by a mask, and reading one word of each of four 64-byte blocks.

/// The number of messages hashed side by side: 128 bits of 32-bit words.
pub(crate) const LANES: usize = 4;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use super::{LANES, word};
    use core::arch::wasm32::{
        i32x4_shuffle, u32x4, u32x4_add, u32x4_extract_lane, u32x4_shl, u32x4_shr, u32x4_splat,
        v128, v128_bitselect, v128_not, v128_or, v128_xor,
    };

    /// One `v128` of four `u32` lanes.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Lanes(v128);

    impl Lanes {
        #[inline(always)]
        pub(crate) fn splat(x: u32) -> Lanes {
            Lanes(u32x4_splat(x))
        }

        #[inline(always)]
        pub(crate) fn from_array(x: [u32; LANES]) -> Lanes {
            Lanes(u32x4(x[0], x[1], x[2], x[3]))
        }

        #[inline(always)]
        pub(crate) fn to_array(self) -> [u32; LANES] {
            [
                u32x4_extract_lane::<0>(self.0),
                u32x4_extract_lane::<1>(self.0),
                u32x4_extract_lane::<2>(self.0),
                u32x4_extract_lane::<3>(self.0),
            ]
        }

        #[inline(always)]
        pub(crate) fn add(self, o: Lanes) -> Lanes {
            Lanes(u32x4_add(self.0, o.0))
        }

        #[inline(always)]
        pub(crate) fn or(self, o: Lanes) -> Lanes {
            Lanes(v128_or(self.0, o.0))
        }

        #[inline(always)]
        pub(crate) fn xor(self, o: Lanes) -> Lanes {
            Lanes(v128_xor(self.0, o.0))
        }

        #[inline(always)]
        pub(crate) fn not(self) -> Lanes {
            Lanes(v128_not(self.0))
        }

        /// Rotation left by `s` bits (1..=31). WebAssembly SIMD has no rotate: two shifts and an or.
        #[inline(always)]
        pub(crate) fn rotl(self, s: u32) -> Lanes {
            Lanes(v128_or(u32x4_shl(self.0, s), u32x4_shr(self.0, 32 - s)))
        }

        /// Bits of `a` where `mask` has ones, of `b` where it has zeros.
        #[inline(always)]
        pub(crate) fn select(mask: Lanes, a: Lanes, b: Lanes) -> Lanes {
            Lanes(v128_bitselect(a.0, b.0, mask.0))
        }

        /// The 16 message words of four blocks, word `i` of block `j` in lane `j` of `words[i]`.
        /// Each block's words are read four at a time (one 16-byte row per block) and the 4×4
        /// square of rows turned into columns with shuffles: fewer instructions than filling
        /// lanes one word at a time. No loops or closures: the module is built for size, which
        /// would keep them as such and pass the words through memory.
        #[inline(always)]
        pub(crate) fn words(blocks: [&[u8; 64]; LANES]) -> [Lanes; 16] {
            let [w0, w1, w2, w3] = columns(blocks, 0);
            let [w4, w5, w6, w7] = columns(blocks, 1);
            let [w8, w9, w10, w11] = columns(blocks, 2);
            let [w12, w13, w14, w15] = columns(blocks, 3);
            [
                w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15,
            ]
        }
    }

    /// Words `4q..4q + 4` of one block.
    #[inline(always)]
    fn row(block: &[u8; 64], q: usize) -> v128 {
        u32x4(
            word(block, 4 * q),
            word(block, 4 * q + 1),
            word(block, 4 * q + 2),
            word(block, 4 * q + 3),
        )
    }

    /// Words `4q..4q + 4` of the four blocks, a word's four lanes in each.
    #[inline(always)]
    fn columns([b0, b1, b2, b3]: [&[u8; 64]; LANES], q: usize) -> [Lanes; 4] {
        let (r0, r1, r2, r3) = (row(b0, q), row(b1, q), row(b2, q), row(b3, q));
        // Interleave pairs of rows, then pairs of pairs.
        let lo01 = i32x4_shuffle::<0, 4, 1, 5>(r0, r1);
        let hi01 = i32x4_shuffle::<2, 6, 3, 7>(r0, r1);
        let lo23 = i32x4_shuffle::<0, 4, 1, 5>(r2, r3);
        let hi23 = i32x4_shuffle::<2, 6, 3, 7>(r2, r3);
        [
            Lanes(i32x4_shuffle::<0, 1, 4, 5>(lo01, lo23)),
            Lanes(i32x4_shuffle::<2, 3, 6, 7>(lo01, lo23)),
            Lanes(i32x4_shuffle::<0, 1, 4, 5>(hi01, hi23)),
            Lanes(i32x4_shuffle::<2, 3, 6, 7>(hi01, hi23)),
        ]
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    use super::{LANES, word};

    /// Four `u32` lanes in an array: the same operations, lane by lane.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Lanes([u32; LANES]);

    /// `Lanes([f(a[0], b[0]), …, f(a[3], b[3])])` spelled out lane by lane: the wasm build is
    /// optimised for size, which keeps a closure or a loop as it is, and this is its inner loop.
    macro_rules! lanewise {
        ($a:expr, $b:expr, |$x:ident, $y:ident| $f:expr) => {{
            let (a, b) = ($a.0, $b.0);
            let lane = |i: usize| (a[i], b[i]);
            Lanes([
                {
                    let ($x, $y) = lane(0);
                    $f
                },
                {
                    let ($x, $y) = lane(1);
                    $f
                },
                {
                    let ($x, $y) = lane(2);
                    $f
                },
                {
                    let ($x, $y) = lane(3);
                    $f
                },
            ])
        }};
    }

    impl Lanes {
        #[inline(always)]
        pub(crate) fn splat(x: u32) -> Lanes {
            Lanes([x; LANES])
        }

        #[inline(always)]
        pub(crate) fn from_array(x: [u32; LANES]) -> Lanes {
            Lanes(x)
        }

        #[inline(always)]
        pub(crate) fn to_array(self) -> [u32; LANES] {
            self.0
        }

        #[inline(always)]
        pub(crate) fn add(self, o: Lanes) -> Lanes {
            lanewise!(self, o, |x, y| x.wrapping_add(y))
        }

        #[inline(always)]
        pub(crate) fn or(self, o: Lanes) -> Lanes {
            lanewise!(self, o, |x, y| x | y)
        }

        #[inline(always)]
        pub(crate) fn xor(self, o: Lanes) -> Lanes {
            lanewise!(self, o, |x, y| x ^ y)
        }

        #[inline(always)]
        pub(crate) fn not(self) -> Lanes {
            lanewise!(self, self, |x, _y| !x)
        }

        /// Rotation left by `s` bits (1..=31).
        #[inline(always)]
        pub(crate) fn rotl(self, s: u32) -> Lanes {
            lanewise!(self, self, |x, _y| x.rotate_left(s))
        }

        /// Bits of `a` where `mask` has ones, of `b` where it has zeros.
        #[inline(always)]
        pub(crate) fn select(mask: Lanes, a: Lanes, b: Lanes) -> Lanes {
            // b ^ ((a ^ b) & mask): where mask has ones, b ^ a ^ b.
            b.xor(lanewise!(a.xor(b), mask, |x, m| x & m))
        }

        /// The 16 message words of four blocks, word `i` of block `j` in lane `j` of `words[i]`.
        #[inline(always)]
        pub(crate) fn words(blocks: [&[u8; 64]; LANES]) -> [Lanes; 16] {
            [
                column(blocks, 0),
                column(blocks, 1),
                column(blocks, 2),
                column(blocks, 3),
                column(blocks, 4),
                column(blocks, 5),
                column(blocks, 6),
                column(blocks, 7),
                column(blocks, 8),
                column(blocks, 9),
                column(blocks, 10),
                column(blocks, 11),
                column(blocks, 12),
                column(blocks, 13),
                column(blocks, 14),
                column(blocks, 15),
            ]
        }
    }

    /// Word `i` of each block.
    #[inline(always)]
    fn column([b0, b1, b2, b3]: [&[u8; 64]; LANES], i: usize) -> Lanes {
        Lanes([word(b0, i), word(b1, i), word(b2, i), word(b3, i)])
    }
}

pub(crate) use imp::Lanes;

/// Word `i` of a block, little-endian as MD5 reads it. (A function, not a closure: the wasm
/// build is optimised for size and would call a closure for each word.)
#[inline(always)]
fn word(block: &[u8; 64], i: usize) -> u32 {
    u32::from_le_bytes([
        block[4 * i],
        block[4 * i + 1],
        block[4 * i + 2],
        block[4 * i + 3],
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_put_each_block_in_its_lane() {
        let blocks: [[u8; 64]; LANES] =
            core::array::from_fn(|j| core::array::from_fn(|k| (j * 64 + k) as u8));
        let words = Lanes::words(blocks.each_ref());
        for (i, w) in words.iter().enumerate() {
            let want: [u32; LANES] = core::array::from_fn(|j| {
                u32::from_le_bytes(blocks[j][4 * i..4 * i + 4].try_into().unwrap())
            });
            assert_eq!(w.to_array(), want, "word {i}");
        }
    }

    #[test]
    fn select_rotl_and_add_work_lane_by_lane() {
        let a = Lanes::from_array([1, 0x8000_0001, u32::MAX, 7]);
        let b = Lanes::from_array([2, 3, 1, 0xffff_0000]);
        let mask = Lanes::from_array([u32::MAX, 0, u32::MAX, 0]);
        assert_eq!(
            Lanes::select(mask, a, b).to_array(),
            [1, 3, u32::MAX, 0xffff_0000]
        );
        assert_eq!(a.rotl(4).to_array(), [16, 0x18, u32::MAX, 0x70]);
        assert_eq!(a.add(b).to_array(), [3, 0x8000_0004, 0, 0xffff_0007]);
    }
}
