//! One more regular part on the wire once the link has shown itself fast.
//!
//! Why: each part's PUT ends and the next one starts, and on a fast link those hand-overs are
//! where the link idles. At 1 Gbit/s (256 MiB, 6 MiB parts, 2 CPUs shared with the server; one
//! run of 5 rounds each) three parts on the wire gave 105.0 MiB/s, four 110.3, five 108.6 and six
//! 109.7, against 113.1 for tus-js-client's one PATCH. The server was not what held three back: a
//! Rust client with no browser sending the same 6 MiB parts three at a time reached the link's
//! 113.4. Nor was the page's MD5 by itself: one PUT of the whole file while the hashing worker
//! hashed the same file in 6 MiB ranges reached 112.8 in that run. The hashing worker is busy for
//! most of the upload, though (under that load four ranges take 120-200 ms, against about 50 ms
//! in an idle page), and on 2 CPUs that slows each hand-over, which needs the page's thread and
//! the browser's. With the rule below, rounds in pairs against three parts throughout (the app's
//! `concurrency: 3`): four won 7 of 8 in one run (medians 105.8 and 102.4) and 5 of 6 in another
//! (99.2 and 90.8, on a machine that had become slower for everyone hashing).
//!
//! On a slow link a fourth part only makes each part slower to finish and puts more bytes at
//! risk when the connections break, so the parts on the wire grow only on evidence: the first
//! [`EVIDENCE`] PUTs went through and even the slowest took at most [`FAST_MS`] (at 100 Mbit/s a
//! 6 MiB part takes about 1.5 s on each of three connections, and stays at three). The first
//! failed PUT after that (a link that turned poor) goes back to the app's `concurrency` for good;
//! the PUTs on the wire then are left to finish. A PUT whose bytes arrived altered is not a
//! failure of the link, and counts neither way. One more, not up to the browser's six: four
//! PUTs still leave two connections for the parts that ask for their URLs ahead (`ahead`), and
//! more measured no faster.
//!
//! A PUT is timed to its answer. A part sent before its MD5 has its answer handed to the engine
//! only once the digest has landed and matches the ETag, and on a busy machine the first digests
//! can come hundreds of ms after the answers; the driver says when each answer arrived
//! ([`Engine::answered`]), so the wait for a digest does not count as a slow link. (On the
//! loopback in the e2e tests, the digests of the first parts, hashed one at a time, landed up to
//! 180 ms after their answers.)
//!
//! Only where the app did not set `concurrency` itself ([`Options::widen`]): a number it chose
//! is kept.
//!
//! [`Engine::answered`]: crate::Engine::answered
//!
//! [`Options::widen`]: crate::Options::widen

use crate::types::Millis;

/// Whole-part PUTs timed before deciding: one per slot at the default `concurrency`.
const EVIDENCE: u32 = 3;

/// The slowest of those PUTs took at most this long: a link where a part's handover is a
/// noticeable share of its time.
const FAST_MS: Millis = 500;

/// Where an engine stands on widening its regular parts on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Widen {
    /// Timing the first PUTs: how many went through, all within [`FAST_MS`].
    Watching { fast: u32 },
    /// One part more than `concurrency` on the wire.
    Wide,
    /// Not to widen (not allowed, a slow PUT, or a failure): nothing more to decide.
    Settled,
}

impl Widen {
    /// A fresh engine: watching where it may widen.
    pub(crate) fn new(may: bool) -> Widen {
        if may {
            Widen::Watching { fast: 0 }
        } else {
            Widen::Settled
        }
    }

    /// The extra parts on the wire this allows beyond `concurrency`.
    pub(crate) fn extra(self) -> usize {
        usize::from(self == Widen::Wide)
    }

    /// What the outcome of a request of a part (`chunked` or whole) tells the widening: a
    /// whole part's PUT time (`put_took`, to its answer), or a failure. Chunks (the intelligent
    /// flow) have lanes of their own (`lanes`) and tell nothing here.
    pub(crate) fn on_outcome(&mut self, chunked: bool, failed: bool, put_took: Option<Millis>) {
        if chunked {
            return;
        }
        if failed {
            self.failed();
        } else if let Some(took) = put_took {
            self.put_done(took);
        }
    }

    /// A whole-part PUT went through in `took` ms.
    fn put_done(&mut self, took: Millis) {
        if let Widen::Watching { fast } = *self {
            *self = if took > FAST_MS {
                Widen::Settled
            } else if fast + 1 >= EVIDENCE {
                Widen::Wide
            } else {
                Widen::Watching { fast: fast + 1 }
            };
        }
    }

    /// A request of a whole part failed (timed out, cut, refused): back to `concurrency` for
    /// good.
    fn failed(&mut self) {
        *self = Widen::Settled;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(puts: &[Millis]) -> Widen {
        let mut w = Widen::new(true);
        for &took in puts {
            w.put_done(took);
        }
        w
    }

    #[test]
    fn three_fast_puts_widen_by_one() {
        assert_eq!(after(&[160, 170]), Widen::Watching { fast: 2 });
        assert_eq!(after(&[160, 170, 500]), Widen::Wide);
        assert_eq!(after(&[160, 170, 500]).extra(), 1);
        assert_eq!(
            after(&[160, 170, 500, 5_000]),
            Widen::Wide,
            "decided once: a slow PUT later does not undo it"
        );
    }

    #[test]
    fn a_slow_put_among_the_first_settles_it() {
        assert_eq!(after(&[160, 1_500]), Widen::Settled);
        assert_eq!(after(&[160, 1_500, 100, 100, 100]).extra(), 0);
    }

    #[test]
    fn a_failure_goes_back_for_good() {
        let mut w = after(&[100, 100, 100]);
        w.failed();
        assert_eq!(w, Widen::Settled);
        w.put_done(10);
        assert_eq!(w.extra(), 0);
        let mut watching = after(&[100]);
        watching.failed();
        for _ in 0..5 {
            watching.put_done(10);
        }
        assert_eq!(
            watching.extra(),
            0,
            "a failure while watching settles it too"
        );
    }

    #[test]
    fn not_allowed_never_widens() {
        let mut w = Widen::new(false);
        for _ in 0..5 {
            w.put_done(10);
        }
        assert_eq!(w.extra(), 0);
    }
}
