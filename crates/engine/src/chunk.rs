//! The adaptive chunk size of intelligent ingestion, learnt from what the link does: how many
//! bytes per second one connection carries (from chunks that finished, and from the bytes a cut
//! chunk got out before it broke) and how long a connection lives before the link cuts it. The
//! size is the one that fits both: a chunk takes at most half the target time and at most a
//! share of a connection's life. A failure jumps straight to that size (halving step by step
//! from 8 MiB wastes one cut chunk per step); a chunk that took longer than the target shrinks to
//! it; growth waits for a run of chunks that say a bigger one will pass, except on a link that
//! has not failed yet and carries a chunk in a blink (a LAN, the loopback).

use crate::types::Millis;

/// Chunk sizes stay between `min` and `max`; a failure never leaves the size above half the
/// failed chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkController {
    size: u64,
    min: u64,
    max: u64,
    target_ms: Millis,
    /// Full-size chunks in a row that said a bigger one would pass.
    fast_run: u32,
    /// Bytes per second one connection carries (a running mean of finished chunks); 0 until
    /// one finished.
    rate: u64,
    /// The same from chunks that were cut (the bytes they got out before they broke), used
    /// only until a chunk finishes: what the browser counts as sent includes what the socket
    /// buffers held, so it overstates the rate.
    cut_rate: u64,
    /// How long connections last before the link cuts them (a running mean of the cuts seen);
    /// 0 while none was seen, or once forgotten.
    life_ms: Millis,
    /// Chunks that passed since the last cut.
    calm: u32,
    /// Whether any chunk failed yet.
    shaken: bool,
}

/// Fast successes in a row before the size grows.
const GROW_AFTER: u32 = 2;
/// The share of a connection's life a chunk may take, percent. Well under all of it: the
/// browser reuses connections, so a chunk often starts on one that has already aged.
const LIFE_SHARE: u64 = 40;
/// Chunks that pass in a row before the cuts seen stop limiting the size: chunks sized to fit
/// a connection's life never show it to be longer, so only forgetting lets the size probe
/// upwards again (the link may have changed, or one early reset taught too short a life; the
/// next cut teaches it again).
const FORGET_CUTS_AFTER: u32 = 12;
/// Growth is at most this factor per step: one fast chunk can overstate a rate, and before a
/// cut is seen, growing into one wastes the whole chunk.
const MAX_GROWTH: u64 = 2;
/// A chunk that finishes this fast before any failed says the link is clean (a LAN, the
/// loopback): the size grows at once, by up to `QUICK_GROWTH` (at least 8 MiB/s a
/// connection: 2 MiB becomes the 8 MiB cap in one step). Growing two chunks per doubling
/// sent the first 90 MiB of a loopback upload as 2 and 4 MiB chunks (52 requests where 8 MiB
/// chunks take 32; 186 against 205 MiB/s). The slowest hostile link in the benchmark (4 MiB/s
/// per connection) takes 500 ms for the first 2 MiB chunk, so it never passes for clean.
const QUICK_MS: Millis = 250;
const QUICK_GROWTH: u64 = 4;

impl ChunkController {
    /// Starts at `initial`, clamped to `min..=max`.
    pub fn new(initial: u64, min: u64, max: u64, target_ms: Millis) -> Self {
        Self {
            size: initial.clamp(min, max),
            min,
            max,
            target_ms,
            fast_run: 0,
            rate: 0,
            cut_rate: 0,
            life_ms: 0,
            calm: 0,
            shaken: false,
        }
    }

    /// The size of the next chunk.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Bytes per second one connection carried on average so far (0 until measured).
    pub fn rate(&self) -> u64 {
        match self.rate {
            0 => self.cut_rate,
            r => r,
        }
    }

    /// Whether the size rests on evidence that chunks of it get through: one passed since the
    /// last failure, or connections were seen cut mid-body (the size is then fitted to their
    /// life). Not while failures that carried nothing halve it blindly.
    pub fn settled(&self) -> bool {
        self.calm > 0 || self.life_ms > 0
    }

    /// How long the link lets a connection live, from the cuts seen (0: none).
    pub fn life_ms(&self) -> Millis {
        self.life_ms
    }

    /// Adds one measurement of `bytes` carried in `ms` to the running mean `rate`.
    fn note(rate: &mut u64, bytes: u64, ms: Millis) {
        if bytes == 0 || ms == 0 {
            return;
        }
        let r = bytes.saturating_mul(1000) / ms;
        *rate = match *rate {
            0 => r,
            old => (old + r) / 2,
        };
    }

    /// The largest chunk the evidence says passes (once a rate is known): it takes at most
    /// half the target time, and at most its share of a connection's life.
    fn fitting(&self) -> Option<u64> {
        let rate = self.rate();
        if rate == 0 {
            return None;
        }
        let mut ms = self.target_ms / 2;
        if self.life_ms > 0 {
            ms = ms.min(self.life_ms * LIFE_SHARE / 100);
        }
        Some((rate.saturating_mul(ms) / 1000).clamp(self.min, self.max))
    }

    /// A chunk of `len` bytes failed (timeout, network, 5xx) after `lived_ms`, having got
    /// `sent` bytes out: the next try is the size that fits what the link showed, and at most
    /// half the failed chunk. Returns `false` when `len` was already the minimum, so the upload
    /// must fail.
    pub fn failed(&mut self, len: u64, sent: u64, lived_ms: Millis) -> bool {
        self.fast_run = 0;
        self.calm = 0;
        self.shaken = true;
        if len <= self.min {
            return false;
        }
        if sent > 0 {
            // The connection carried bytes until it broke: the link cut it, and its life is
            // evidence of how long the next ones last.
            Self::note(&mut self.cut_rate, sent, lived_ms);
            let mut life = lived_ms;
            if self.rate > 0 && self.rate.saturating_mul(lived_ms) / 1000 >= len {
                // At the rate finished chunks showed, one connection living that long would
                // have carried the whole chunk: it went out twice. A browser sends a request
                // again, unseen, when a reused keep-alive connection breaks under it, so the
                // failure came after two connections' lives.
                life /= 2;
            }
            self.life_ms = match self.life_ms {
                0 => life,
                old => (old + life) / 2,
            };
        }
        let half = (len / 2).max(self.min);
        let next = self.fitting().map_or(half, |fit| fit.min(half));
        self.size = next.min(self.size).max(self.min);
        true
    }

    /// A chunk of `len` bytes took `took_ms`.
    pub fn succeeded(&mut self, len: u64, took_ms: Millis) {
        let took = took_ms.max(1);
        self.calm += 1;
        if self.calm >= FORGET_CUTS_AFTER {
            self.life_ms = 0;
        } else if self.life_ms > 0 {
            // This connection lived at least that long.
            self.life_ms = self.life_ms.max(took);
        }
        // A short tail says little about the rate (its time is mostly latency), nor about a
        // bigger size.
        if len * 2 < self.size {
            return;
        }
        Self::note(&mut self.rate, len, took);
        // Some: the rate was just measured.
        let fit = self.fitting().unwrap_or(self.size);
        if took > self.target_ms {
            self.fast_run = 0;
            self.size = fit.min((self.size / 2).max(self.min));
            return;
        }
        let quick = !self.shaken && took <= QUICK_MS;
        if len < self.size && !quick {
            return;
        }
        if fit > self.size {
            self.fast_run += 1;
            if quick || self.fast_run >= GROW_AFTER {
                let step = if quick { QUICK_GROWTH } else { MAX_GROWTH };
                self.size = fit.min(self.size.saturating_mul(step));
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
    const M: u64 = K * K;

    #[test]
    fn failures_without_progress_halve_to_the_floor_then_say_stop() {
        let mut c = ChunkController::new(8 * M, 32 * K, 8 * M, 8000);
        let mut len = c.size();
        let mut steps = 0;
        while c.failed(len, 0, 100) {
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
    fn a_cut_jumps_to_what_fits_the_connection_life() {
        // 1 MiB/s per connection, connections cut 3 s after they open: an 8 MiB chunk breaks
        // with 3 MiB out. The next chunk fits 40% of 3 s at 1 MiB/s, at once.
        let mut c = ChunkController::new(8 * M, 32 * K, 8 * M, 8000);
        assert!(c.failed(8 * M, 3 * M, 3000));
        assert_eq!((c.rate(), c.life_ms()), (M, 3000));
        assert_eq!(c.size(), 1_258_291, "1.2 MiB, not 4 MiB");
        // The two other parts' chunks, cut at the same moment, change nothing.
        c.failed(8 * M, 3 * M, 3000);
        assert_eq!(c.size(), 1_258_291);
        // Chunks of that size pass in about 1.2 s: no growth while the cut is remembered.
        for _ in 0..FORGET_CUTS_AFTER - 1 {
            c.succeeded(c.size(), 1200);
        }
        assert_eq!(c.size(), 1_258_291);
        c.failed(c.size(), M, 1000);
        assert!(
            c.size() < 1_258_291,
            "a cut after 1 s brings it down: {}",
            c.size()
        );
    }

    #[test]
    fn a_chunk_the_browser_sent_twice_unseen_counts_two_lives() {
        // 1 MiB/s known from a finished chunk; a 2 MiB chunk fails after 6 s: one connection
        // would have carried 6 MiB in that time, so each of its two tries lived 3 s.
        let mut c = ChunkController::new(2 * M, 32 * K, 8 * M, 8000);
        c.succeeded(2 * M, 2000);
        assert!(c.failed(2 * M, 2 * M, 6000));
        assert_eq!(c.life_ms(), 3000);
        // A cut that fits one connection's life is taken as it is.
        let mut c = ChunkController::new(8 * M, 32 * K, 8 * M, 8000);
        c.succeeded(8 * M, 8000);
        assert!(c.failed(8 * M, 3 * M, 3000));
        assert_eq!(c.life_ms(), 3000);
    }

    #[test]
    fn finished_chunks_correct_a_rate_overstated_by_socket_buffers() {
        // 1 MiB/s, cut after 3 s, but the browser counted 6 MiB as sent (socket buffers).
        let mut c = ChunkController::new(8 * M, 32 * K, 8 * M, 8000);
        c.failed(8 * M, 6 * M, 3000);
        assert_eq!(c.rate(), 2 * M, "the cut's figure, until a chunk finishes");
        let first = c.size();
        // One finishes at the true rate; the next cut sizes from that, not from the cut's.
        c.succeeded(first, first * 1000 / M);
        assert!(c.rate().abs_diff(M) < M / 100, "{}", c.rate());
        c.failed(first, 3 * M, 2000);
        assert!(
            c.size() < first / 2 + first / 8,
            "{} after {first}",
            c.size()
        );
    }

    #[test]
    fn a_reset_on_a_good_link_halves_at_most() {
        let mut c = ChunkController::new(8 * M, 32 * K, 8 * M, 8000);
        c.succeeded(8 * M, 800); // 10 MiB/s
        // Reset 500 ms into a chunk (5 MiB out): the fit (40% of 500 ms) is small...
        c.failed(8 * M, 5 * M, 500);
        assert!(c.size() < 4 * M);
        // ...until enough chunks have passed to forget it; then the size grows back, a bounded
        // step at a time.
        let mut sizes = vec![];
        for _ in 0..FORGET_CUTS_AFTER + 4 {
            let s = c.size();
            c.succeeded(s, s * 1000 / (10 * M));
            sizes.push(c.size());
        }
        assert!(sizes.windows(2).all(|w| w[1] <= w[0] * MAX_GROWTH));
        assert_eq!(c.size(), 8 * M, "back to the part size: {sizes:?}");
    }

    #[test]
    fn grows_only_after_fast_runs_and_shrinks_when_slow() {
        let mut c = ChunkController::new(256 * K, 32 * K, 8 * M, 8000);
        c.succeeded(256 * K, 1000);
        assert_eq!(c.size(), 256 * K, "one fast chunk is not a run");
        c.succeeded(256 * K, 1000);
        assert_eq!(
            c.size(),
            512 * K,
            "256 KiB/s fits 1 MiB in half the target; growth is 2x a step"
        );
        // A short tail chunk says nothing.
        c.succeeded(10 * K, 1);
        c.succeeded(10 * K, 1);
        assert_eq!(c.size(), 512 * K);
        // Slower than the target: down to what the measured rate fits.
        c.succeeded(512 * K, 9000);
        assert!(c.size() <= 256 * K, "{}", c.size());
        for _ in 0..40 {
            let s = c.size();
            c.succeeded(s, 10);
        }
        assert_eq!(c.size(), 8 * M, "capped at the part size");
    }

    #[test]
    fn a_clean_link_grows_to_the_part_size_from_the_first_quick_chunk() {
        let mut c = ChunkController::new(2 * M, 32 * K, 8 * M, 8000);
        c.succeeded(2 * M, 10);
        assert_eq!(c.size(), 8 * M, "2 MiB in 10 ms: 8 MiB at once");
        // Not once a chunk failed: the evidence of a bad link then needs a run.
        let mut c = ChunkController::new(2 * M, 32 * K, 8 * M, 8000);
        c.failed(2 * M, 0, 100);
        c.succeeded(M, 10);
        assert_eq!(c.size(), M);
        // Nor on a link of 4 MiB/s a connection.
        let mut c = ChunkController::new(2 * M, 32 * K, 8 * M, 8000);
        c.succeeded(2 * M, 500);
        assert_eq!(c.size(), 2 * M);
    }

    #[test]
    fn cuts_are_forgotten_after_a_long_calm() {
        let mut c = ChunkController::new(8 * M, 32 * K, 8 * M, 8000);
        c.failed(8 * M, 3 * M, 3000);
        for _ in 0..FORGET_CUTS_AFTER {
            let s = c.size();
            c.succeeded(s, s * 1000 / M);
        }
        assert_eq!(c.life_ms(), 0);
        for _ in 0..4 {
            let s = c.size();
            c.succeeded(s, s * 1000 / M);
        }
        let s = c.size();
        assert!(
            s.abs_diff(4 * M) < 4 * M / 100,
            "about half the 8 s target at 1 MiB/s: {s}"
        );
    }
}
