//! How fast the hashing worker hashes the parts ahead. Where parts go before their MD5
//! (`Engine::sent_before_digest`), no call waits for a digest: each one only has to be in by the
//! time its PUT answers (to check the ETag) and complete goes. Hashed as fast as the worker can,
//! it took a whole CPU in bursts, four parts at a time, while the link carried one part in
//! 50 ms; on 2 CPUs shared with Chromium's network threads and the server, the PUTs slowed down
//! under those bursts. Hashed at a little more than the upload's own speed, the same work is
//! spread over the upload and the hasher still keeps ahead of the wire.
//!
//! 1 Gbit/s link, 256 MiB (7 rounds a run, Skiff regular's median behind tus-js-client's in the
//! same run): the worker held to a fixed rate, 50, 55 and 60 ms as fast as it can; 28 and 46 ms
//! at 120 MiB/s, 31 and 42 at 150, 29 and 55 at 200. At this pace, in runs alternating with
//! runs without it: 21, 31, 21 and 24 ms, against 29, 56, 21 and 36.
//!
//! Where a call or an answer waits for a digest after all (a retried part, a part's answer
//! landing before its digest), the driver has the worker hurry (`web::hash_worker::hurry`) and
//! asks for the next ranges at full speed.

/// The hasher keeps this much ahead of the upload's recent speed.
const HEADROOM: f64 = 1.25;

/// Never slower than this, bytes per millisecond (8 MiB/s): a speed measured while the
/// connections ramp up is low, and a range asked for then keeps its pace until it is hashed
/// (or the worker is told to hurry).
const FLOOR: f64 = 8.0 * 1024.0 * 1024.0 / 1000.0;

/// The pace for a range hashed ahead, in bytes per millisecond; 0 for as fast as it can. `speed`:
/// the upload's recent speed in bytes per second (0 while unknown); `sent_first`: no call waits
/// for this range's digest; `waited`: a call or an answer waits for some digest now.
pub(crate) fn pace(speed: f64, sent_first: bool, waited: bool) -> f64 {
    if !sent_first || waited || speed.is_nan() || speed <= 0.0 {
        return 0.0;
    }
    (speed * HEADROOM / 1000.0).max(FLOOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: f64 = 1024.0 * 1024.0;

    #[test]
    fn a_little_above_the_upload_speed() {
        // 112 MiB/s on the wire: hashed at 140 MiB/s.
        let p = pace(112.0 * MIB, true, false);
        assert!((p - 140.0 * MIB / 1000.0).abs() < 1.0, "{p}");
    }

    #[test]
    fn full_speed_where_something_waits_or_nothing_is_known() {
        assert_eq!(
            pace(112.0 * MIB, false, false),
            0.0,
            "calls wait for these digests"
        );
        assert_eq!(
            pace(112.0 * MIB, true, true),
            0.0,
            "a call waits for a digest now"
        );
        assert_eq!(pace(0.0, true, false), 0.0, "no speed measured yet");
        assert_eq!(pace(f64::NAN, true, false), 0.0);
    }

    #[test]
    fn never_below_the_floor() {
        assert_eq!(pace(100_000.0, true, false), FLOOR);
    }
}
