//! The adaptive chunk size of intelligent ingestion: halve on failure down to a floor, and
//! follow the measured throughput so that a chunk takes about the target time: double after a
//! run of chunks that finished well under it, halve after one that took longer.

use crate::types::Millis;

/// Chunk sizes stay between `min` and `max`; a failure halves the failed chunk's length.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkController {
    size: u64,
    min: u64,
    max: u64,
    target_ms: Millis,
    fast_run: u32,
}

/// Fast successes in a row before the size doubles.
const GROW_AFTER: u32 = 2;

impl ChunkController {
    /// Starts at `initial`, clamped to `min..=max`.
    pub fn new(initial: u64, min: u64, max: u64, target_ms: Millis) -> Self {
        Self {
            size: initial.clamp(min, max),
            min,
            max,
            target_ms,
            fast_run: 0,
        }
    }

    /// The size of the next chunk.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// A chunk of `len` bytes failed (timeout, network, 5xx): the next try is half its size.
    /// Returns `false` when `len` was already the minimum, so the upload must fail.
    pub fn failed(&mut self, len: u64) -> bool {
        self.fast_run = 0;
        if len <= self.min {
            return false;
        }
        self.size = (len / 2).max(self.min).min(self.size.max(self.min));
        true
    }

    /// A chunk of `len` bytes took `took_ms`.
    pub fn succeeded(&mut self, len: u64, took_ms: Millis) {
        let took = took_ms.max(1);
        if took > self.target_ms {
            self.fast_run = 0;
            self.size = (self.size / 2).max(self.min);
            return;
        }
        // Only full-size chunks say anything about a bigger size (a short tail is always fast).
        if len < self.size {
            return;
        }
        // Throughput-based: would a chunk twice as large still take well under the target?
        let projected = took.saturating_mul(2);
        if projected * 2 <= self.target_ms {
            self.fast_run += 1;
            if self.fast_run >= GROW_AFTER {
                self.size = (self.size * 2).min(self.max);
                self.fast_run = 0;
            }
        } else {
            self.fast_run = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: u64 = 1024;

    #[test]
    fn shrinks_to_the_floor_then_says_stop() {
        let mut c = ChunkController::new(8 * K * K, 32 * K, 8 * K * K, 8000);
        let mut len = c.size();
        let mut steps = 0;
        while c.failed(len) {
            len = c.size();
            steps += 1;
        }
        assert_eq!(
            (steps, c.size()),
            (8, 32 * K),
            "8 MiB halves 8 times to 32 KiB"
        );
    }

    #[test]
    fn grows_back_after_fast_runs_and_shrinks_when_slow() {
        let mut c = ChunkController::new(256 * K, 32 * K, 8 * K * K, 8000);
        c.succeeded(256 * K, 1000);
        assert_eq!(c.size(), 256 * K, "one fast chunk is not a run");
        c.succeeded(256 * K, 1000);
        assert_eq!(c.size(), 512 * K);
        // A short tail chunk says nothing.
        c.succeeded(10 * K, 1);
        c.succeeded(10 * K, 1);
        assert_eq!(c.size(), 512 * K);
        // Not "well under" the target: no growth.
        c.succeeded(512 * K, 3000);
        c.succeeded(512 * K, 3000);
        assert_eq!(c.size(), 512 * K);
        c.succeeded(512 * K, 9000);
        assert_eq!(c.size(), 256 * K, "slower than the target halves");
        for _ in 0..40 {
            let s = c.size();
            c.succeeded(s, 10);
        }
        assert_eq!(c.size(), 8 * K * K, "capped at the part size");
    }
}
