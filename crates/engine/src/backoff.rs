//! Retry delays: exponential, capped, with jitter from a seeded generator (no global randomness).

use crate::types::Millis;

/// A small deterministic generator (xorshift64*) for jitter.
#[derive(Debug, Clone)]
pub struct Backoff {
    state: u64,
    factor: f64,
    max_ms: Millis,
}

impl Backoff {
    /// Delays `factor^n` seconds for the n-th retry (n from 0), capped at `max_ms`, with
    /// jitter from `seed`.
    pub fn new(seed: u64, factor: f64, max_ms: Millis) -> Self {
        Self {
            state: seed ^ 0x9E37_79B9_7F4A_7C15 | 1,
            factor,
            max_ms,
        }
    }

    fn next_unit(&mut self) -> f64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let x = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The wait before retry number `attempt` (1 = first retry): between half and all of the
    /// exponential delay ("equal jitter"), never over the cap.
    pub fn delay(&mut self, attempt: u32) -> Millis {
        let exp = self.factor.powi(attempt.saturating_sub(1).min(60) as i32) * 1000.0;
        let capped = exp.min(self.max_ms as f64);
        let jittered = capped * (0.5 + 0.5 * self.next_unit());
        jittered.round() as Millis
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_caps_and_jitters_deterministically() {
        let mut a = Backoff::new(42, 2.0, 15_000);
        let mut b = Backoff::new(42, 2.0, 15_000);
        for attempt in 1..=8 {
            let (da, db) = (a.delay(attempt), b.delay(attempt));
            assert_eq!(da, db, "same seed, same delays");
            let full = (2f64.powi(attempt as i32 - 1) * 1000.0).min(15_000.0) as Millis;
            assert!(
                da >= full / 2 && da <= full,
                "attempt {attempt}: {da} not in [{}, {full}]",
                full / 2
            );
        }
        let mut c = Backoff::new(43, 2.0, 15_000);
        let differs = (1..=8).any(|n| c.delay(n) != Backoff::new(42, 2.0, 15_000).delay(n));
        assert!(differs);
    }
}
