//! Multi-buffer MD5: four independent messages hashed side by side, one per lane of [`Lanes`].
//!
//! MD5 is a chain: each 64-byte block's compression needs the previous block's result, so one
//! message cannot be spread over SIMD lanes. Four messages can: the uploader knows the parts
//! ahead, and with WebAssembly SIMD one instruction advances all four. (Not four times as fast:
//! SIMD has no rotate, and the words are shuffled into lanes; in V8 about twice the bytes per
//! second of md-5 on one message.)
//!
//! Lanes are fed and finished independently. Each step compresses one block in every lane that
//! has one; a lane that has run out (a shorter part, or one not fed this time) sits the step out
//! and keeps its state. Bytes short of a block wait in the lane's tail for the next feed or for
//! [`Md5x4::finish`], which feeds that lane its padding and leaves it empty, ready for another
//! message.

use crate::lanes::{LANES, Lanes};

/// MD5's initial state (RFC 1321, 3.3), words A, B, C, D.
const INIT: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// The additive constants, floor(|sin(i + 1)| · 2^32) (RFC 1321, 3.4).
const K: [u32; 64] = [
    0xd76a_a478,
    0xe8c7_b756,
    0x2420_70db,
    0xc1bd_ceee,
    0xf57c_0faf,
    0x4787_c62a,
    0xa830_4613,
    0xfd46_9501,
    0x6980_98d8,
    0x8b44_f7af,
    0xffff_5bb1,
    0x895c_d7be,
    0x6b90_1122,
    0xfd98_7193,
    0xa679_438e,
    0x49b4_0821,
    0xf61e_2562,
    0xc040_b340,
    0x265e_5a51,
    0xe9b6_c7aa,
    0xd62f_105d,
    0x0244_1453,
    0xd8a1_e681,
    0xe7d3_fbc8,
    0x21e1_cde6,
    0xc337_07d6,
    0xf4d5_0d87,
    0x455a_14ed,
    0xa9e3_e905,
    0xfcef_a3f8,
    0x676f_02d9,
    0x8d2a_4c8a,
    0xfffa_3942,
    0x8771_f681,
    0x6d9d_6122,
    0xfde5_380c,
    0xa4be_ea44,
    0x4bde_cfa9,
    0xf6bb_4b60,
    0xbebf_bc70,
    0x289b_7ec6,
    0xeaa1_27fa,
    0xd4ef_3085,
    0x0488_1d05,
    0xd9d4_d039,
    0xe6db_99e5,
    0x1fa2_7cf8,
    0xc4ac_5665,
    0xf429_2244,
    0x432a_ff97,
    0xab94_23a7,
    0xfc93_a039,
    0x655b_59c3,
    0x8f0c_cc92,
    0xffef_f47d,
    0x8584_5dd1,
    0x6fa8_7e4f,
    0xfe2c_e6e0,
    0xa301_4314,
    0x4e08_11a1,
    0xf753_7e82,
    0xbd3a_f235,
    0x2ad7_d2bb,
    0xeb86_d391,
];

/// A block of zeros, compressed in lanes that sit a step out (their result is thrown away).
const IDLE: [u8; 64] = [0; 64];

/// The four auxiliary functions of RFC 1321, 3.4, one per round.
#[inline(always)]
fn f(x: Lanes, y: Lanes, z: Lanes) -> Lanes {
    // (x & y) | (!x & z): y where x has ones, z elsewhere.
    Lanes::select(x, y, z)
}

#[inline(always)]
fn g(x: Lanes, y: Lanes, z: Lanes) -> Lanes {
    // (x & z) | (y & !z)
    Lanes::select(z, x, y)
}

#[inline(always)]
fn h(x: Lanes, y: Lanes, z: Lanes) -> Lanes {
    x.xor(y).xor(z)
}

#[inline(always)]
fn i(x: Lanes, y: Lanes, z: Lanes) -> Lanes {
    y.xor(x.or(z.not()))
}

/// One step: `b + ((a + fun(b, c, d) + k + m) <<< s)`, the new value of `a`.
#[inline(always)]
fn step(
    [a, b, c, d]: [Lanes; 4],
    fun: impl Fn(Lanes, Lanes, Lanes) -> Lanes,
    k: u32,
    m: Lanes,
    s: u32,
) -> Lanes {
    b.add(a.add(fun(b, c, d)).add(Lanes::splat(k)).add(m).rotl(s))
}

/// One round: 16 steps of `fun`, with message word `(first + stride · step) mod 16` and the
/// round's four rotations. Written as four iterations of four steps so that the rotations are
/// constants where they are used (the loop keeps the code small; the wasm is built for size).
#[inline(always)]
fn round(
    v: &mut [Lanes; 4],
    fun: impl Fn(Lanes, Lanes, Lanes) -> Lanes + Copy,
    k: &[u32; 16],
    w: &[Lanes; 16],
    (first, stride): (usize, usize),
    s: [u32; 4],
) {
    let m = |n: usize| w[(first + stride * n) % 16];
    for n in (0..16).step_by(4) {
        let [a, b, c, d] = *v;
        let a = step([a, b, c, d], fun, k[n], m(n), s[0]);
        let d = step([d, a, b, c], fun, k[n + 1], m(n + 1), s[1]);
        let c = step([c, d, a, b], fun, k[n + 2], m(n + 2), s[2]);
        let b = step([b, c, d, a], fun, k[n + 3], m(n + 3), s[3]);
        *v = [a, b, c, d];
    }
}

fn round_constants(r: usize) -> &'static [u32; 16] {
    K[16 * r..16 * (r + 1)]
        .try_into()
        .expect("16 constants a round")
}

/// Compresses one block into each lane of `state` where `active` has all ones; the other lanes
/// keep their state.
fn compress(state: &mut [Lanes; 4], blocks: [&[u8; 64]; LANES], active: Lanes) {
    let w = Lanes::words(blocks);
    let mut v = *state;
    round(&mut v, f, round_constants(0), &w, (0, 1), [7, 12, 17, 22]);
    round(&mut v, g, round_constants(1), &w, (1, 5), [5, 9, 14, 20]);
    round(&mut v, h, round_constants(2), &w, (5, 3), [4, 11, 16, 23]);
    round(&mut v, i, round_constants(3), &w, (0, 7), [6, 10, 15, 21]);
    for (s, v) in state.iter_mut().zip(v) {
        *s = Lanes::select(active, s.add(v), *s);
    }
}

/// A mask with all ones in the lanes where `on` is true.
fn mask(on: [bool; LANES]) -> Lanes {
    Lanes::from_array(on.map(|on| if on { u32::MAX } else { 0 }))
}

/// Four MD5s computed side by side (see the module's documentation).
#[derive(Clone, Debug)]
pub struct Md5x4 {
    /// A, B, C and D of every lane.
    state: [Lanes; 4],
    /// Each lane's bytes short of a block, `tail_len[lane]` of them.
    tail: [[u8; 64]; LANES],
    tail_len: [usize; LANES],
    /// Each lane's message length so far, in bytes.
    len: [u64; LANES],
}

impl Default for Md5x4 {
    fn default() -> Md5x4 {
        Md5x4 {
            state: INIT.map(Lanes::splat),
            tail: [[0; 64]; LANES],
            tail_len: [0; LANES],
            len: [0; LANES],
        }
    }
}

impl Md5x4 {
    /// The number of lanes.
    pub const LANES: usize = LANES;

    /// Four empty messages.
    pub fn new() -> Md5x4 {
        Md5x4::default()
    }

    /// Appends `pieces[lane]` to each lane's message (an empty piece leaves a lane as it is).
    /// Steps go on while any lane has a block; the fastest feed is pieces of equal lengths.
    pub fn update(&mut self, mut pieces: [&[u8]; LANES]) {
        for (len, piece) in self.len.iter_mut().zip(&pieces) {
            *len = len.wrapping_add(piece.len() as u64);
        }
        loop {
            // A lane with a started tail completes it first, from the start of its piece.
            for ((tail, have), piece) in self
                .tail
                .iter_mut()
                .zip(&mut self.tail_len)
                .zip(&mut pieces)
            {
                if *have > 0 {
                    let take = (64 - *have).min(piece.len());
                    let (head, rest) = piece.split_at(take);
                    tail[*have..*have + take].copy_from_slice(head);
                    *have += take;
                    *piece = rest;
                }
            }
            // This step's block in each lane: a full tail, else the next 64 bytes of its piece.
            let mut blocks = [&IDLE; LANES];
            let mut active = [false; LANES];
            for lane in 0..LANES {
                if self.tail_len[lane] == 64 {
                    blocks[lane] = &self.tail[lane];
                    active[lane] = true;
                } else if self.tail_len[lane] == 0 {
                    if let Some((block, rest)) = pieces[lane].split_first_chunk::<64>() {
                        blocks[lane] = block;
                        pieces[lane] = rest;
                        active[lane] = true;
                    }
                }
            }
            if active == [false; LANES] {
                break;
            }
            compress(&mut self.state, blocks, mask(active));
            for len in &mut self.tail_len {
                if *len == 64 {
                    *len = 0;
                }
            }
        }
        // What is left of each piece is short of a block (and its lane's tail was empty).
        for (lane, rest) in pieces.iter().enumerate() {
            if !rest.is_empty() {
                self.tail[lane][..rest.len()].copy_from_slice(rest);
                self.tail_len[lane] = rest.len();
            }
        }
    }

    /// The raw 16-byte digest of `lane`'s message; the lane is empty again afterwards. The other
    /// lanes are left as they are.
    ///
    /// # Panics
    /// If `lane` is not below [`Md5x4::LANES`].
    pub fn finish(&mut self, lane: usize) -> [u8; 16] {
        // RFC 1321, 3.1 and 3.2: the message goes on with a one bit, zeros up to 56 bytes into a
        // block, then its length in bits, little-endian; fed like the rest, in this lane alone.
        let bits = self.len[lane].wrapping_mul(8);
        let zeros = (55 - self.tail_len[lane] as isize).rem_euclid(64) as usize;
        let mut padding = [0u8; 1 + 63 + 8];
        padding[0] = 0x80;
        padding[1 + zeros..9 + zeros].copy_from_slice(&bits.to_le_bytes());
        let mut pieces: [&[u8]; LANES] = [&[]; LANES];
        pieces[lane] = &padding[..9 + zeros];
        self.update(pieces);
        let only = mask(core::array::from_fn(|l| l == lane));
        let mut digest = [0u8; 16];
        for (out, word) in digest.chunks_exact_mut(4).zip(self.state) {
            out.copy_from_slice(&word.to_array()[lane].to_le_bytes());
        }
        // Empty the lane for its next message (its tail is empty: the padding ended a block).
        for (word, init) in self.state.iter_mut().zip(INIT) {
            *word = Lanes::select(only, Lanes::splat(init), *word);
        }
        self.len[lane] = 0;
        digest
    }
}
