//! Hashing parts ahead of their upload calls: which range to hash next, which calls wait for a
//! digest, and which to release when a digest lands. Plain Rust (no browser), so it is tested
//! here on the host; the driver performs what it decides (reads and hashes, sends).
//!
//! Why: each `/multipart/upload` call carries its part's MD5. Hashing inside the call's slot kept
//! the slots in lockstep (every slot read and hashed, then sent); hashing the next parts while
//! earlier ones are on the wire lets a freed slot send at once. A range is never hashed twice while
//! its digest is held or being computed. How many are hashed at once is the driver's `width`: one
//! where the page's thread hashes, several where the hashing worker hashes them side by side
//! (its MD5 runs over several parts at once in SIMD lanes).

use skiff_engine::{FileId, IdMap};

/// Bytes `start..end` of a file: what one digest covers.
pub(crate) type Range = (FileId, u64, u64);

/// The digests computed ahead, the calls waiting for one, and the ranges that could not be read.
/// `R` is the driver's request (only held and handed back).
#[derive(Debug)]
pub(crate) struct HashAhead<R> {
    /// Digests ready before their call asked.
    digests: IdMap<Range, String>,
    /// The ranges being read and hashed.
    hashing: Vec<Range>,
    /// Calls waiting for the digest of their range, in the order they came.
    waiting: Vec<(Range, R)>,
    /// Ranges whose read failed. They are not hashed ahead again (on a file that has gone that
    /// would loop without pause); their calls read them themselves, and fail and back off like
    /// any other request.
    unreadable: Vec<Range>,
    /// How many digests are hashed one at a time at the start, and how many have landed. The
    /// worker's lanes move in lockstep, so a part hashed in a lane waits for three others, and
    /// at the start, where no digest is banked yet, a PUT then waits with its slot idle. On a
    /// 1 Gbit/s link (256 MiB, 6 MiB parts, three slots; Resource Timing of each run): with only
    /// the first digest alone, the third PUT left 163-193 ms after `upload()` (15-21 ms without
    /// MD5); with the first three alone, at 95-136 ms, but the next four then landed together and
    /// the fourth PUT left 43-88 ms after its slot was free; with six alone, the first batch of
    /// four still came late for the seventh (2.0-2.6 PUTs on the wire in the fourth 100 ms of 4
    /// runs in 5). The driver asks for three rounds of slots alone (nine parts by default): the
    /// third PUT at 115-133 ms, 2.9-3.0 PUTs on the wire from then on, 108.3 MiB/s (104.9 before).
    ramp: usize,
    landed: usize,
    /// A batch of ranges ahead is being handed out (see [`HashAhead::next`]).
    batch: bool,
}

impl<R> HashAhead<R> {
    /// Nothing hashed, nothing waiting; the first `ramp` digests are hashed one at a time.
    pub(crate) fn new(ramp: usize) -> Self {
        HashAhead {
            digests: IdMap::new(),
            hashing: Vec::new(),
            waiting: Vec::new(),
            unreadable: Vec::new(),
            ramp: ramp.max(1),
            landed: 0,
            batch: false,
        }
    }

    /// A call wants the digest of `range`. Returns it to be sent now, with the digest when it is
    /// known (`None`: the range could not be read ahead, the call reads it itself); or holds it
    /// until [`HashAhead::hashed`] releases it.
    pub(crate) fn request(&mut self, range: Range, req: R) -> Option<(R, Option<String>)> {
        match self.take(range) {
            Some(d) => Some((req, d)),
            // Not ready: wait for the hasher (one read and one hash per range, never a second
            // one racing the first).
            None => {
                self.waiting.push((range, req));
                None
            }
        }
    }

    /// The digest of `range` if it is known, taken (`Some(None)`: the range could not be
    /// read ahead); `None` if it is not known yet.
    pub(crate) fn take(&mut self, range: Range) -> Option<Option<String>> {
        if self.unreadable.contains(&range) {
            return Some(None);
        }
        self.digests.remove(&range).map(Some)
    }

    /// Whether a call for `range` would leave at once: its digest is held, or the range could
    /// not be read ahead (the call reads it itself).
    pub(crate) fn ready(&self, range: Range) -> bool {
        self.digests.contains_key(&range) || self.unreadable.contains(&range)
    }

    /// How many calls wait for a digest.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Forgets the waiting calls `gone` picks (the engine aborted them).
    pub(crate) fn forget(&mut self, mut gone: impl FnMut(&R) -> bool) {
        self.waiting.retain(|(_, r)| !gone(r));
    }

    /// The next range to hash now, while fewer than `width` are under way (one until the first
    /// `ramp` digests have landed). The driver calls it until it answers `None`, hashes what it
    /// got, and reports each with [`HashAhead::hashed`].
    ///
    /// What is waited for goes first, whenever there is room: the ranges of waiting calls, then
    /// `urgent` (answers held until their digest lands). The ranges ahead (`upcoming`: those the
    /// next calls will ask for, in order, less those known, unreadable or under way) go only
    /// into idle lanes, as a whole batch: `width` of them, or fewer when `upcoming` is all there
    /// is left to hash (`last`). Why batches: the worker hashes its ranges in SIMD lanes that
    /// move in lockstep, and a step costs the same however many lanes are busy. Handed one range
    /// each time a call took a digest, it hashed nearly every range alone. 1 Gbit/s, 256 MiB,
    /// 6 MiB parts, 12 rounds each over two runs: the renderer spent 1.09-1.12 CPU-seconds one
    /// by one, 0.88-0.91 in batches; the throughput did not move (108.6 and 108.9 MiB/s).
    pub(crate) fn next(
        &mut self,
        urgent: &[Range],
        upcoming: &[Range],
        width: usize,
        last: bool,
    ) -> Option<Range> {
        let width = if self.landed >= self.ramp {
            width.max(1)
        } else {
            1
        };
        let open = std::mem::take(&mut self.batch);
        if self.hashing.len() >= width {
            return None;
        }
        // Neither known, nor unreadable, nor under way.
        let startable = |h: &Self, k: &Range| {
            !h.hashing.contains(k) && !h.digests.contains_key(k) && !h.unreadable.contains(k)
        };
        let waited = self.waiting.len();
        for i in 0..waited + urgent.len() {
            let k = match self.waiting.get(i) {
                Some((k, _)) => *k,
                None => urgent[i - waited],
            };
            if startable(self, &k) {
                self.batch = open || self.hashing.is_empty();
                self.hashing.push(k);
                return Some(k);
            }
        }
        // The first range ahead, and how many there are.
        let mut ahead = upcoming.iter().filter(|k| startable(self, k));
        let first = ahead.next().copied();
        let more = ahead.count();
        let room = width - self.hashing.len();
        let whole = open || (self.hashing.is_empty() && (last || 1 + more >= room));
        let k = first.filter(|_| whole)?;
        self.batch = true;
        self.hashing.push(k);
        Some(k)
    }

    /// The digest of `range` is ready (`None`: the range could not be read). Returns the calls
    /// to send now, with the digest. A digest no call waits for is kept if `still_wanted` lists
    /// its range; digests of ranges not listed there any more (sent, or re-planned after a chunk
    /// size change) are dropped.
    pub(crate) fn hashed(
        &mut self,
        range: Range,
        digest: Option<String>,
        still_wanted: &[Range],
    ) -> Vec<(R, Option<String>)> {
        self.hashing.retain(|k| *k != range);
        self.landed += 1;
        if digest.is_none() && !self.unreadable.contains(&range) {
            self.unreadable.push(range);
        }
        let (ready, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|(k, _)| *k == range);
        self.waiting = rest;
        if ready.is_empty() {
            if let Some(d) = &digest {
                self.digests.insert(range, d.clone());
            }
        }
        self.digests.retain(|k, _| still_wanted.contains(k));
        ready
            .into_iter()
            .map(|(_, r)| (r, digest.clone()))
            .collect()
    }
}

#[cfg(test)]
mod with_engine;

#[cfg(test)]
mod tests {
    use super::*;

    const A: Range = (FileId(0), 0, 100);
    const B: Range = (FileId(0), 100, 200);
    const C: Range = (FileId(1), 0, 50);
    const D: Range = (FileId(1), 50, 100);
    const E: Range = (FileId(1), 100, 150);

    /// One input and what it must give.
    #[derive(Debug)]
    enum Step {
        /// Call `id` wants the digest of a range: sent now with this digest, or held (`None`).
        Wants(u32, Range, Option<Option<&'static str>>),
        /// The engine aborted call `id`.
        Abort(u32),
        /// The driver asks what to hash, given the upcoming ranges (one at a time).
        Next(&'static [Range], Option<Range>),
        /// The same, with up to two hashed at once: the upcoming ranges, whether they are the
        /// last, and the batch to hash.
        Batch2(&'static [Range], bool, &'static [Range]),
        /// A hash landed (`None`: unreadable), the ranges still wanted; the calls released.
        Hashed(
            Range,
            Option<&'static str>,
            &'static [Range],
            &'static [(u32, Option<&'static str>)],
        ),
    }
    use Step::*;

    /// What the driver hashes in one turn: `next` until it answers `None`.
    fn turn(
        h: &mut HashAhead<u32>,
        urgent: &[Range],
        upcoming: &[Range],
        width: usize,
        last: bool,
    ) -> Vec<Range> {
        std::iter::from_fn(|| h.next(urgent, upcoming, width, last)).collect()
    }

    fn run(name: &str, steps: &[Step]) {
        let mut h: HashAhead<u32> = HashAhead::new(1);
        for (i, step) in steps.iter().enumerate() {
            let at = format!("{name}, step {i} ({step:?})");
            match *step {
                Wants(id, range, expect) => {
                    let got = h.request(range, id);
                    let want = expect.map(|d| (id, d.map(str::to_owned)));
                    assert_eq!(got, want, "{at}");
                }
                Abort(id) => h.forget(|r| *r == id),
                Next(upcoming, expect) => {
                    let batch = turn(&mut h, &[], upcoming, 1, true);
                    assert!(batch.len() <= 1, "{at}: {batch:?}");
                    assert_eq!(batch.first().copied(), expect, "{at}");
                }
                Batch2(upcoming, last, expect) => {
                    assert_eq!(turn(&mut h, &[], upcoming, 2, last), expect, "{at}");
                }
                Hashed(range, digest, wanted, expect) => {
                    let got = h.hashed(range, digest.map(str::to_owned), wanted);
                    let want: Vec<(u32, Option<String>)> = expect
                        .iter()
                        .map(|(id, d)| (*id, d.map(str::to_owned)))
                        .collect();
                    assert_eq!(got, want, "{at}");
                }
            }
        }
    }

    #[test]
    fn scenarios() {
        let table: &[(&str, &[Step])] = &[
            (
                "a waiting call is released when its hash lands",
                &[
                    Next(&[A], Some(A)),
                    Wants(1, A, None),
                    Hashed(A, Some("a"), &[], &[(1, Some("a"))]),
                ],
            ),
            (
                "a digest computed ahead goes with its call at once",
                &[
                    Next(&[A, B], Some(A)),
                    Hashed(A, Some("a"), &[A, B], &[]),
                    Wants(1, A, Some(Some("a"))),
                    Next(&[B], Some(B)),
                ],
            ),
            (
                "a call with no hash under way waits and is hashed first",
                &[
                    Wants(1, C, None),
                    Next(&[A, B], Some(C)),
                    Hashed(C, Some("c"), &[A, B], &[(1, Some("c"))]),
                    Next(&[A, B], Some(A)),
                ],
            ),
            (
                "a failed read marks the range unreadable; it is not hashed again",
                &[
                    Next(&[A, B], Some(A)),
                    Hashed(A, None, &[A, B], &[]),
                    Next(&[A, B], Some(B)),
                    Hashed(B, Some("b"), &[A, B], &[]),
                    Next(&[A, B], None),
                    // Its call reads the range itself.
                    Wants(1, A, Some(None)),
                    Wants(2, A, Some(None)),
                ],
            ),
            (
                "a failed read releases its waiting calls without a digest",
                &[
                    Next(&[A], Some(A)),
                    Wants(1, A, None),
                    Wants(2, A, None),
                    Hashed(A, None, &[A], &[(1, None), (2, None)]),
                    Next(&[A], None),
                ],
            ),
            (
                "stale digests are dropped (re-planned ranges)",
                &[
                    Next(&[A, B], Some(A)),
                    Hashed(A, Some("a"), &[A, B], &[]),
                    Next(&[A, B], Some(B)),
                    // The chunk size changed: only C is planned now; A's digest goes too.
                    Hashed(B, Some("b"), &[C], &[]),
                    Wants(1, A, None),
                    Next(&[C], Some(A)),
                ],
            ),
            (
                "no range is hashed twice",
                &[
                    Next(&[A, B], Some(A)),
                    // One hash at a time: nothing else starts, A least of all.
                    Next(&[A, B], None),
                    Wants(1, A, None),
                    Wants(2, A, None),
                    Hashed(A, Some("a"), &[B], &[(1, Some("a")), (2, Some("a"))]),
                    Next(&[B], Some(B)),
                    Hashed(B, Some("b"), &[B], &[]),
                    // B's digest is held: not hashed again.
                    Next(&[B], None),
                    Wants(3, B, Some(Some("b"))),
                ],
            ),
            (
                "side by side once a digest landed, never the same range twice",
                &[
                    Wants(1, C, None),
                    Batch2(&[A, B], false, &[C]),
                    // The first digest comes alone, sooner.
                    Batch2(&[A, B], false, &[]),
                    Hashed(C, Some("c"), &[A, B], &[(1, Some("c"))]),
                    Batch2(&[A, B], false, &[A, B]),
                    // Both are being hashed: nothing more starts.
                    Batch2(&[A, B], false, &[]),
                    Hashed(A, Some("a"), &[A, B], &[]),
                    Hashed(B, Some("b"), &[A, B], &[]),
                    Batch2(&[A, B], false, &[]),
                    Wants(2, B, Some(Some("b"))),
                ],
            ),
            (
                "ranges ahead go as a whole batch into idle lanes; waited ones go at once",
                &[
                    Batch2(&[A, B, C], false, &[A]),
                    Hashed(A, Some("a"), &[A, B, C], &[]),
                    Batch2(&[A, B, C], false, &[B, C]),
                    Hashed(B, Some("b"), &[C, D], &[]),
                    // A lane is free, but C's is still busy: D waits for the batch to end.
                    Batch2(&[C, D], false, &[]),
                    // Unless a call waits for it.
                    Wants(1, D, None),
                    Batch2(&[C, D], false, &[D]),
                    Hashed(C, Some("c"), &[D, E], &[]),
                    Hashed(D, Some("d"), &[E], &[(1, Some("d"))]),
                    // One range ahead and more to come: not a batch yet.
                    Batch2(&[E], false, &[]),
                    // The last ones go as they are.
                    Batch2(&[E], true, &[E]),
                ],
            ),
            (
                "an aborted call is not released; its digest is kept for the next",
                &[
                    Next(&[A], Some(A)),
                    Wants(1, A, None),
                    Abort(1),
                    Hashed(A, Some("a"), &[A], &[]),
                    Wants(2, A, Some(Some("a"))),
                ],
            ),
        ];
        for (name, steps) in table {
            run(name, steps);
        }
    }

    #[test]
    fn the_first_digests_come_one_at_a_time() {
        let mut h: HashAhead<u32> = HashAhead::new(2);
        let upcoming = [A, B, C, D];
        assert_eq!(turn(&mut h, &[], &upcoming, 4, true), [A]);
        assert_eq!(turn(&mut h, &[], &upcoming, 4, true), [], "the first alone");
        h.hashed(A, Some("a".into()), &upcoming);
        assert_eq!(turn(&mut h, &[], &upcoming, 4, true), [B]);
        assert_eq!(
            turn(&mut h, &[], &upcoming, 4, true),
            [],
            "the second alone too"
        );
        h.hashed(B, Some("b".into()), &upcoming);
        // Two have landed: now side by side, as many as are left.
        assert_eq!(turn(&mut h, &[], &upcoming, 4, true), [C, D]);
        assert_eq!(
            turn(&mut h, &[], &upcoming, 4, true),
            [],
            "nothing left to hash"
        );
    }

    #[test]
    fn a_held_answer_is_hashed_before_the_ranges_ahead() {
        let mut h: HashAhead<u32> = HashAhead::new(1);
        assert_eq!(turn(&mut h, &[C], &[A, B], 1, false), [C]);
        h.hashed(C, Some("c".into()), &[A, B]);
        assert_eq!(turn(&mut h, &[D], &[A, B, E], 2, false), [D, A]);
    }
}
