//! Regular parts that grow once the link has shown itself fast.
//!
//! Why: every part costs beside its bytes (its `/multipart/upload`, its PUT, reading it to hash
//! it), and on a fast link that cost is what keeps Skiff behind a client that sends the whole
//! file in one request. At 1 Gbit/s (256 MiB, 2 CPUs shared with the server, one run of 5
//! rounds each): 6 MiB parts 105.0 MiB/s, 16 MiB 110.5, 32 MiB 110.5, 64 MiB 111.7, tus-js-client
//! 113.4. Big parts from the first byte would hurt on a poor link, though, where a regular part
//! that is cut is sent whole again; so parts start at the app's size and grow only on evidence.
//!
//! How: the first [`EVIDENCE`] PUTs of a regular upload are timed. If none failed and even the
//! slowest carried its part at a rate where a part at least twice as big would still take no more
//! than [`TARGET_MS`], the untouched tail (parts not asked for, not tried, not being hashed ahead)
//! is cut again into parts of that size (whole MiB, at most [`MAX_GROWN`]). Until one of the bigger
//! parts is in (answered: its PUT's outcome may still wait for its MD5, but the server has it),
//! they are on trial: if one of them fails (a proxy that refuses bodies that big with 413, a link
//! slower than it looked), the others' requests are aborted and the tail, none of it stored, is cut
//! back to the size it had; no file of this engine grows again. Once one is in, the recut is
//! reported ([`Event::Recut`]) for the checkpoint; a reload before that resumes with the parts as
//! they were, and whatever of another size the server got is sent again.
//!
//! A link can turn poor later (a train leaves the station's Wi-Fi), and a bigger part that is cut
//! goes again whole. So once grown, the first failed PUT of a bigger part cuts the bigger parts
//! back to the size they had, from the first of them the server does not hold on: the requests of
//! those on the wire are aborted, a part done after that point (often the short last one) goes
//! again under its new number, and the failure is spent as above. The new cut is reported at once
//! (none of its parts is done), and no file of this engine grows again. One exception
//! ([`cut_point`]): where a part of the first size that may have reached the server would share its
//! number with a part of the new cut, only the parts after the last one done are cut back, and a
//! failed bigger part before them goes again whole.
//!
//! A PUT whose bytes arrived altered (its ETag not its part's MD5, or the server's
//! `md5_mismatch`) tells nothing of the link or of the size a proxy takes: the growth does not
//! hear of it, and the part goes again as it was, bigger or not.
//!
//! The bigger parts go on the wire at once, beside each other. Held back until the first was
//! in, that one went alone for about 250 ms while two connections idled (a lone connection
//! carried about 97 MiB/s of the link's 113), and the others asked for their URLs only then. In
//! medians of 5 rounds the two did not separate (109.3 and 110.4 MiB/s held back, 110.1 at
//! once); at once is the simpler rule, and a failure aborts what is on the wire either way.
//!
//! Off by default (`growParts: true` turns it on), because of Chromium and Blobs held in memory
//! (built from bytes, not a file on disk). In a private context (and in a normal profile, the same
//! test with a persistent one), six 256 MiB in-memory Files uploaded one after another from one
//! page broke the second one (`ERR_BLOB_REFERENCED_BLOB_BROKEN` on every PUT, so the upload failed)
//! with 12, 16, 32 or 64 MiB parts; not with 6 or 8 MiB parts, nor with 16 MiB parts and a garbage
//! collection between the uploads. A first upload in 16 MiB parts broke the next even in 6 MiB
//! parts, and one in 6 MiB parts let five in 16 MiB through. So the blob memory seems to stay held
//! until the page collects its garbage; with `disableIntegrityCheck` too (no worker reading the
//! parts) the second broke. Such Blobs are fragile in Chromium whatever the uploader does: a
//! minimal page in a private context that built six 256 MiB Files in a row from bytes (dropping
//! each before the next) could not read the last MiB of the second to the fifth
//! (`NotReadableError`) without uploading anything, and sending each in one PUT, or in 6 or 32 MiB
//! parts three at a time, failed the second, third, fifth and sixth. Bigger parts only bring the
//! failure sooner in some patterns (the one above), so they stay off where nobody knows. The
//! uploader cannot tell such a Blob from a file on disk, where bigger parts are safe (the bench's
//! files, many uploads in a row), so whoever knows decides: the app, and the picker, which turns it
//! on for the files a person picks, drops or pastes.
//!
//! [`Event::Recut`]: crate::Event::Recut

use crate::engine::Ctx;
use crate::file::{Growth, Part, PartState, Transfer};
use crate::plan::plan_from;
use crate::types::{Event, FileId, Millis, RequestKind};

/// PUTs timed before deciding: one per slot at the default `concurrency`.
const EVIDENCE: u32 = 3;

/// How long a grown part should take on one connection at the slowest rate seen.
const TARGET_MS: u64 = 1_000;

/// The biggest part grown to: the biggest measured (above). Bigger ones would save calls that no
/// longer count, and a part cut late costs more to send again.
const MAX_GROWN: u64 = 64 * MIB;

const MIB: u64 = 1024 * 1024;

/// The part size for a link whose slowest PUT carried `bytes_per_s` on its connection, if it is
/// at least twice `base`.
fn grown_size(bytes_per_s: u64, base: u64) -> Option<u64> {
    let size = (bytes_per_s.saturating_mul(TARGET_MS) / 1000).min(MAX_GROWN) / MIB * MIB;
    (size >= base.saturating_mul(2)).then_some(size)
}

/// Not asked for, never tried, not being hashed: free to be cut again.
fn untouched(p: &Part) -> bool {
    !p.chunked
        && p.attempts == 0
        && p.pin.is_none()
        && matches!(p.state, PartState::Ready { offset: 0, .. })
}

/// Cuts the untouched tail of `parts` into the parts a link of `bytes_per_s` per connection
/// calls for, if the tail holds at least two parts and they would grow at least twofold: the
/// new parts on trial, as [`Growth::Trying`].
fn recut_tail(parts: &mut Vec<Part>, bytes_per_s: u64) -> Option<Growth> {
    let first = parts
        .iter()
        .rposition(|p| !untouched(p))
        .map_or(0, |i| i + 1);
    let tail = parts.get(first..).filter(|t| t.len() >= 2)?;
    let (number, from, base) = (tail[0].plan.number, tail[0].plan.start, tail[0].len());
    let size = grown_size(bytes_per_s, base)?;
    let end = parts.last()?.plan.end;
    parts.truncate(first);
    replan(parts, number, from, end, size);
    Some(Growth::Trying {
        first: number,
        from,
        size,
        base,
    })
}

fn replan(parts: &mut Vec<Part>, number: u32, from: u64, end: u64, size: u64) {
    parts.extend(Part::fresh(plan_from(number, from, end, size), false));
}

/// What the outcome of a request of `t.parts[i]` (`failed`: why, if it did) tells the growth,
/// before the handler's own step: a PUT's time (`put_took`, to its answer), or a failure.
/// `true` when the failure is spent here: a bigger part on trial failed (a 413 from a proxy,
/// say), and the tail goes again in parts of the size it had, each with all its tries; the app's
/// `onRetry` hears why. A flow whose parts do not grow is `Settled`, where none of this does
/// anything.
///
/// Called before the handler's PartDone: a checkpoint written between the two must not hold a
/// bigger part as done under the layout before its recut (a reload would plan it at the old
/// size, and for parts sent to a bucket take its ETag for another part). A recut leaves this
/// part, on the wire and so not untouched, where it is.
pub(crate) fn on_outcome(
    ctx: &mut Ctx,
    file: FileId,
    t: &mut Transfer,
    i: usize,
    request: RequestKind,
    failed: Option<&str>,
    put_took: Option<Millis>,
) -> bool {
    let number = t.parts[i].plan.number;
    match (failed, put_took) {
        (None, Some(took)) => {
            let len = t.parts[i].len();
            put_done(ctx, file, t, number, len, took);
        }
        (None, None) => {}
        (Some(reason), _) => {
            let put = matches!(request, RequestKind::Put { .. }).then(|| t.parts[i].len());
            if let Some((size, base)) = put_failed(ctx, file, t, number, put) {
                ctx.event(Event::Retrying {
                    file,
                    request,
                    attempt: 1,
                    delay_ms: 0,
                    reason: format!(
                        "{reason}; a part of {size} bytes goes again as parts of {base}"
                    ),
                    chunk_size: None,
                });
                return true;
            }
        }
    }
    false
}

/// Regular part `number` of `file` was PUT: `len` bytes in `took` ms.
fn put_done(ctx: &mut Ctx, file: FileId, t: &mut Transfer, number: u32, len: u64, took: Millis) {
    match t.growth {
        Growth::Watching { clean, slowest } => {
            let slowest = slowest.min(len.saturating_mul(1000) / took.max(1));
            t.growth = Growth::Watching {
                clean: clean + 1,
                slowest,
            };
            if clean + 1 < EVIDENCE {
                return;
            }
            t.growth = Growth::Settled;
            if !ctx.may_grow {
                return;
            }
            if let Some(trying) = recut_tail(&mut t.parts, slowest) {
                t.growth = trying;
            }
        }
        Growth::Trying { .. } => in_on_trial(ctx, file, t, number),
        _ => {}
    }
}

/// The PUT of `t.parts[i]` was answered, and its outcome waits for the part's MD5
/// ([`crate::Engine::answered`]). The server has the part: if it is one of the bigger parts on
/// trial, the trial is over now. Waiting for the digest would leave a window where the link
/// turns, another bigger part fails, and the tail is cut back to the size it had, this part
/// with it, though the server holds it whole.
pub(crate) fn on_answer(ctx: &mut Ctx, file: FileId, t: &mut Transfer, i: usize) {
    if !t.parts[i].chunked {
        in_on_trial(ctx, file, t, t.parts[i].plan.number);
    }
}

/// Regular part `number` of `file` is in: if it is one of the bigger parts on trial, they are
/// grown from now on, and the recut is reported for the checkpoint.
fn in_on_trial(ctx: &mut Ctx, file: FileId, t: &mut Transfer, number: u32) {
    if let Growth::Trying {
        first,
        from,
        size,
        base,
    } = t.growth
    {
        if number >= first {
            t.growth = Growth::Grown { base };
            ctx.event(Event::Recut {
                file,
                part: first,
                from,
                part_size: size,
            });
        }
    }
}

/// A request of regular part `number` failed (`put`: its PUT, of that many bytes). While
/// watching, that settles it: no growth. If it is one of the bigger parts on trial, the tail
/// goes back to the size it had (its other requests aborted) and no file grows again; the
/// answer is then the bigger size and the size it goes back to, and the failure is spent (the
/// bytes go again in parts of the old size, each with all its tries). Once grown, the PUT of a
/// bigger part that fails cuts back what is not stored ([`cut_point`]), reported at once.
fn put_failed(
    ctx: &mut Ctx,
    file: FileId,
    t: &mut Transfer,
    number: u32,
    put: Option<u64>,
) -> Option<(u64, u64)> {
    match (t.growth, put) {
        (Growth::Grown { base }, Some(size)) if size > base => {
            t.growth = Growth::Settled;
            ctx.may_grow = false;
            let (first, from) = cut_point(&t.parts, base).and_then(|at| cut(ctx, t, at, base))?;
            ctx.event(Event::Recut {
                file,
                part: first,
                from,
                part_size: base,
            });
            (number >= first).then_some((size, base))
        }
        (Growth::Watching { .. }, _) => {
            t.growth = Growth::Settled;
            None
        }
        (
            Growth::Trying {
                first, size, base, ..
            },
            _,
        ) if number >= first => {
            t.growth = Growth::Settled;
            ctx.may_grow = false;
            let at = t.parts.iter().position(|p| p.plan.number == first)?;
            cut(ctx, t, at, base)?;
            Some((size, base))
        }
        _ => None,
    }
}

/// Aborts the requests of `t.parts[at..]` and cuts their bytes into parts of `size`, numbered
/// as they were from there on; the first one's number and first byte.
fn cut(ctx: &mut Ctx, t: &mut Transfer, at: usize, size: u64) -> Option<(u32, u64)> {
    let (first, from) = t.parts.get(at).map(|p| (p.plan.number, p.plan.start))?;
    let end = t.parts.last()?.plan.end;
    for id in t.parts[at..].iter().filter_map(Part::request) {
        ctx.abort(id);
    }
    t.parts.truncate(at);
    replan(&mut t.parts, first, from, end, size);
    Some((first, from))
}

/// Where bigger parts that failed once grown are cut back to `base`: from the first of them the
/// server does not hold on ([`Part::stored`]: done, or answered and waiting for its digest), the
/// index of the first part cut again.
///
/// Parts done after that point are sent again under their new numbers: the last, short part
/// is often done first. Except where one of them, or one that may have reached the server, is
/// exactly `base` long: after a reload the server's record of it would pass for the part of
/// the new cut with its number, which holds other bytes. Then only the parts after the last
/// one done are cut back, and none if that has the same flaw.
fn cut_point(parts: &[Part], base: u64) -> Option<usize> {
    let grown = parts.iter().position(|p| p.len() > base)?;
    let first_open = (grown..parts.len()).find(|&i| !parts[i].stored())?;
    let clear = |at: usize| {
        at < parts.len() && !parts[at..].iter().any(|p| p.len() == base && !untouched(p))
    };
    if clear(first_open) {
        return Some(first_open);
    }
    let after_done = parts.iter().rposition(Part::stored).map_or(0, |i| i + 1);
    Some(after_done.max(first_open)).filter(|&at| clear(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::Flow;

    fn parts(size: u64, part: u64) -> Vec<Part> {
        Flow::Regular.fresh_parts(size, part)
    }

    #[test]
    fn sizes_follow_the_slowest_rate() {
        // 1 Gbit/s over three connections: about 38 MiB/s each.
        assert_eq!(grown_size(38 * MIB + 1000, 6 * MIB), Some(38 * MIB));
        // Capped.
        assert_eq!(grown_size(500 * MIB, 6 * MIB), Some(64 * MIB));
        // 100 Mbit/s over three: under 4 MiB/s each, a part already takes over a second.
        assert_eq!(grown_size(4 * MIB, 6 * MIB), None);
        // Less than twice the size is not worth a recut.
        assert_eq!(grown_size(11 * MIB, 6 * MIB), None);
        assert_eq!(grown_size(12 * MIB, 6 * MIB), Some(12 * MIB));
        assert_eq!(grown_size(u64::MAX, 6 * MIB), Some(64 * MIB));
    }

    #[test]
    fn only_the_untouched_tail_is_cut_again() {
        let mut p = parts(100 * MIB, 6 * MIB); // 17 parts
        p[0].state = PartState::Done { etag: None };
        p[2].attempts = 1; // tried and failed: keeps its size
        p[3].pin = Some((0, 6 * MIB)); // being hashed
        let got = recut_tail(&mut p, 32 * MIB);
        let trying = Growth::Trying {
            first: 5,
            from: 24 * MIB,
            size: 32 * MIB,
            base: 6 * MIB,
        };
        assert_eq!(got, Some(trying));
        let sizes: Vec<u64> = p.iter().map(Part::len).collect();
        assert_eq!(sizes, [6, 6, 6, 6, 32, 32, 12].map(|m| m * MIB));
        let numbers: Vec<u32> = p.iter().map(|p| p.plan.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(p.last().unwrap().plan.end, 100 * MIB);
    }

    /// 6 MiB parts up to 24 MiB, then 32 MiB ones up to `size`.
    fn grown(size: u64) -> Vec<Part> {
        let mut p = parts(size, 6 * MIB);
        p.truncate(4);
        replan(&mut p, 5, 24 * MIB, size, 32 * MIB);
        p
    }

    fn done(p: &mut Part) {
        p.state = PartState::Done { etag: None };
    }

    #[test]
    fn bigger_parts_go_back_from_the_first_not_done() {
        // 24 + 4 × 32 + 10 MiB: parts 5-8 of 32 MiB, part 9 of 10.
        let mut p = grown(162 * MIB);
        done(&mut p[0]);
        done(&mut p[4]); // the first bigger part: keeps its number
        done(&mut p[8]); // the short last part, done early: sent again
        p[5].attempts = 1; // failed
        assert_eq!(cut_point(&p, 6 * MIB), Some(5));
        // Nothing bigger, or every bigger part done: nothing to cut back.
        assert_eq!(cut_point(&parts(60 * MIB, 6 * MIB), 6 * MIB), None);
        let mut all = grown(88 * MIB);
        for q in &mut all {
            done(q);
        }
        assert_eq!(cut_point(&all, 6 * MIB), None);
    }

    #[test]
    fn a_part_of_the_first_size_among_those_cut_back_must_not_have_reached_the_server() {
        // 24 + 4 × 32 + 6 MiB: the last part is 6 MiB long, as the new cut's parts are.
        let mut p = grown(158 * MIB);
        done(&mut p[4]);
        p[5].attempts = 1;
        done(&mut p[8]);
        // Part 9 is done: cut back only after it, which leaves nothing.
        assert_eq!(cut_point(&p, 6 * MIB), None);
        // Part 9 untouched: from the first bigger part not done.
        let mut p = grown(158 * MIB);
        done(&mut p[4]);
        p[5].attempts = 1;
        assert_eq!(cut_point(&p, 6 * MIB), Some(5));
    }

    #[test]
    fn a_short_tail_or_a_slow_link_keeps_the_parts() {
        let mut p = parts(12 * MIB, 6 * MIB);
        p[0].state = PartState::Done { etag: None };
        assert_eq!(recut_tail(&mut p, 64 * MIB), None);
        let mut p = parts(100 * MIB, 6 * MIB);
        assert_eq!(recut_tail(&mut p, 8 * MIB), None);
        assert_eq!(p.len(), 17);
    }
}
