//! Progress that never goes backwards, with a smoothed speed and an ETA from supplied times.

use crate::types::Millis;

/// Speed is an exponential moving average over this window.
const WINDOW_MS: f64 = 3_000.0;

/// Tracks bytes sent and the recent speed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meter {
    reported: u64,
    last_bytes: u64,
    last_at: Option<Millis>,
    speed: f64,
}

impl Meter {
    /// Feeds the current byte count at `now`; returns the monotonic value to report.
    pub(crate) fn update(&mut self, bytes: u64, now: Millis) -> u64 {
        match self.last_at {
            None => self.last_at = Some(now),
            Some(at) if now > at => {
                let dt = (now - at) as f64;
                let inst = bytes.saturating_sub(self.last_bytes) as f64 * 1000.0 / dt;
                let alpha = 1.0 - (-dt / WINDOW_MS).exp();
                self.speed += alpha * (inst - self.speed);
                self.last_at = Some(now);
            }
            Some(_) => {}
        }
        self.last_bytes = bytes;
        self.reported = self.reported.max(bytes);
        self.reported
    }

    /// Bytes per second, smoothed.
    pub(crate) fn speed(&self) -> f64 {
        self.speed.max(0.0)
    }

    /// Time left for `remaining` bytes at the current speed.
    pub(crate) fn eta(&self, remaining: u64) -> Option<Millis> {
        (self.speed > 1.0).then(|| (remaining as f64 / self.speed * 1000.0).round() as Millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_and_speed_converges() {
        let mut m = Meter::default();
        assert_eq!(m.update(0, 0), 0);
        for i in 1..=100 {
            m.update(i * 100_000, i * 100); // 1 MB/s for 10 s
        }
        assert!((m.speed() - 1_000_000.0).abs() < 50_000.0, "{}", m.speed());
        // A failed chunk takes bytes back; the reported value does not go down.
        assert_eq!(m.update(9_500_000, 10_100), 10_000_000);
        let eta = m.eta(1_000_000).unwrap();
        assert!(eta > 500 && eta < 3_000, "{eta}");
    }
}
