//! The bytes the bench writes and their MD5s: deterministic random data, the prepared upload
//! parts, and the `md5` command that measures how fast the md-5 crate hashes them.

use crate::units::MIB;
use crate::{Md5Args, Res};
use base64::Engine as _;
use bytes::Bytes;
use md5::Digest as _;
use serde_json::json;
use std::time::Instant;

/// Deterministic pseudo-random bytes (splitmix64): incompressible, cheap, no extra crate.
pub(crate) fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

pub(crate) fn md5_b64(bytes: &[u8]) -> String {
    let digest: [u8; 16] = md5::Md5::digest(bytes).into();
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// The part bytes, prepared before timing: `buffers` random buffers of one part each, cycled
/// over the part numbers, with their MD5s; plus the shorter last part when the size is not a
/// multiple of the part size.
#[derive(Debug)]
pub(crate) struct Parts {
    pub(crate) count: u64,
    pub(crate) part_size: u64,
    pub(crate) total: u64,
    full: Vec<(Bytes, String)>,
    last: Option<(Bytes, String)>,
}

impl Parts {
    pub(crate) fn prepare(total: u64, part_size: u64, buffers: usize) -> Self {
        let count = total.div_ceil(part_size);
        let full_count = total / part_size;
        let distinct = (buffers.max(1) as u64).min(full_count.max(1)) as usize;
        let full: Vec<(Bytes, String)> = (0..distinct)
            .map(|i| {
                let b = Bytes::from(random_bytes(part_size as usize, i as u64 + 1));
                let m = md5_b64(&b);
                (b, m)
            })
            .collect();
        let tail = total % part_size;
        let last = (tail > 0).then(|| {
            let b = Bytes::from(random_bytes(tail as usize, 0xFFFF));
            let m = md5_b64(&b);
            (b, m)
        });
        Self {
            count,
            part_size,
            total,
            full,
            last,
        }
    }

    /// Bytes and MD5 of 1-based part `n` (the `Bytes` clone shares the buffer).
    pub(crate) fn get(&self, n: u64) -> (Bytes, &str) {
        if n == self.count {
            if let Some((b, m)) = &self.last {
                return (b.clone(), m);
            }
        }
        let (b, m) = &self.full[((n - 1) % self.full.len() as u64) as usize];
        (b.clone(), m)
    }
}

pub(crate) fn md5_speed(a: Md5Args) -> Res<bool> {
    let buf = random_bytes(8 << 20, 7);
    let rounds = a.size.div_ceil(buf.len() as u64).max(1);
    let t0 = Instant::now();
    let mut h = md5::Md5::new();
    for _ in 0..rounds {
        h.update(&buf);
    }
    let digest: [u8; 16] = h.finalize().into();
    let secs = t0.elapsed().as_secs_f64();
    let bytes = rounds * buf.len() as u64;
    println!(
        "{}",
        json!({ "kind": "md5", "bytes": bytes, "seconds": secs, "mib_per_s": bytes as f64 / MIB / secs, "digest0": digest[0] })
    );
    Ok(true)
}
