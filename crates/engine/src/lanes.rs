//! Lanes: more than one chunk of an intelligent part on the wire at once.
//!
//! A part's chunks go one after another, so an upload has as many connections working as parts
//! in flight (three by default). On a link that limits each connection (a proxy's per-connection
//! rate, connections cut after a few seconds) that leaves most of what the browser allows
//! unused: it keeps six connections to a host. Once the chunk size has shrunk well below a part,
//! a part still being sent is split in two: the entry that was sending it keeps the first half
//! of what is left and commits the part once every lane is in; a new entry (a helper lane) sends
//! the second half and never commits. Chunk offsets stay offsets in the part, so the server sees
//! nothing but chunks arriving out of order, which the protocol allows (each names its offset).
//!
//! On a clean link the chunk size stays at a whole part, no part is split, and nothing changes.
//! Lanes of one part sit next to each other in the transfer's list: a helper is inserted right
//! after the lane it was split from.

use crate::file::{Part, PartState};
use crate::types::Millis;

/// A lane is split only while the part of it left after its chunk in flight is more than one
/// chunk and a half: the lane keeps at least one more chunk, the new lane gets at least half of
/// one (a smaller piece gains a connection for a moment and costs a request's round trip).
fn worth_splitting(left: u64, chunk: u64) -> bool {
    left >= chunk + chunk / 2
}

/// Whether the part of the entry at `i` is split into lanes.
pub(crate) fn is_split(parts: &[Part], i: usize) -> bool {
    let number = parts[i].plan.number;
    parts[i].is_helper() || parts.get(i + 1).is_some_and(|q| q.plan.number == number)
}

/// Whether the chunked part of the entry at `i` is under way: split, past its first byte, or
/// tried and failed. Such a part goes on up to [`in_flight_cap`]; only a fresh part waits for
/// the `concurrency` asked for (else a part that failed once would wait behind the lanes of the
/// others until they are all done).
pub(crate) fn under_way(parts: &[Part], i: usize) -> bool {
    let p = &parts[i];
    p.chunked
        && (is_split(parts, i)
            || p.attempts > 0
            || !matches!(p.state, PartState::Ready { offset: 0, .. }))
}

/// Whether every helper lane of the part whose committing lane is at `i` is done.
pub(crate) fn helpers_done(parts: &[Part], i: usize) -> bool {
    let number = parts[i].plan.number;
    parts[i + 1..]
        .iter()
        .take_while(|q| q.plan.number == number)
        .all(|q| matches!(q.state, PartState::Done { .. }))
}

/// Where a lane's next chunk starts once the one in flight is in; `None` for a lane with
/// nothing in flight (a ready lane starts on its own; one waiting on a backoff is left be).
fn next_offset(p: &Part) -> Option<u64> {
    match p.state {
        PartState::Asking { offset, len, .. } | PartState::Putting { offset, len, .. } => {
            Some(offset + len)
        }
        _ => None,
    }
}

/// Requests in flight at most while lanes are at work, for a `concurrency` of parts and the
/// `connections` the engine may use: each part may have two chunks on the wire, within the
/// connections.
pub(crate) fn in_flight_cap(concurrency: usize, connections: usize) -> usize {
    (2 * concurrency).min(connections)
}

/// Splits the busy chunked lane with the most left to send after its chunk in flight, if
/// that is [worth splitting](worth_splitting). The lane keeps a whole number of chunks (no short
/// tail chunk of its own), about half of what is left; the new one takes the rest. Returns the
/// index of the new lane, ready to start at `now`.
pub(crate) fn split(parts: &mut Vec<Part>, chunk: u64, now: Millis) -> Option<usize> {
    let chunk = chunk.max(1);
    let (i, next) = parts
        .iter()
        .enumerate()
        .filter(|(_, p)| p.chunked)
        .filter_map(|(i, p)| next_offset(p).map(|next| (i, next)))
        .filter(|(i, next)| worth_splitting(parts[*i].upto.saturating_sub(*next), chunk))
        .max_by_key(|(i, next)| (parts[*i].upto - next, std::cmp::Reverse(*i)))?;
    let upto = parts[i].upto;
    // The lane already has a chunk on the wire, so it keeps the smaller half.
    let keep = ((upto - next) / chunk / 2).max(1) * chunk;
    let mid = next + keep;
    let ready = PartState::Ready {
        offset: mid,
        not_before: now,
    };
    let mut helper = Part::new(parts[i].plan, ready, true);
    helper.from = mid;
    helper.upto = upto;
    parts[i].upto = mid;
    parts.insert(i + 1, helper);
    Some(i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PartPlan;
    use crate::types::RequestId;

    const MIB: u64 = 1024 * 1024;

    fn part(number: u32, state: PartState) -> Part {
        let plan = PartPlan {
            number,
            start: u64::from(number - 1) * 8 * MIB,
            end: u64::from(number) * 8 * MIB,
        };
        Part::new(plan, state, true)
    }

    fn putting(offset: u64, len: u64) -> PartState {
        PartState::Putting {
            req: RequestId(1),
            offset,
            len,
            started: 0,
            answered: None,
        }
    }

    #[test]
    fn a_part_with_chunks_enough_left_is_split_in_the_middle_of_what_is_left_in_whole_chunks() {
        let mut parts = vec![part(1, putting(0, MIB)), part(2, putting(0, MIB))];
        assert_eq!(split(&mut parts, MIB, 5), Some(1));
        // 7 chunks were left after the one in flight: the lane keeps 3, the new one takes 4.
        let mid = 4 * MIB;
        assert_eq!((parts[0].from, parts[0].upto), (0, mid));
        assert_eq!((parts[1].from, parts[1].upto), (mid, 8 * MIB));
        assert_eq!(
            parts[1].state,
            PartState::Ready {
                offset: mid,
                not_before: 5
            }
        );
        assert_eq!(parts[1].plan.number, 1);
        assert!(parts[1].is_helper() && !parts[0].is_helper());
        assert!(is_split(&parts, 0) && is_split(&parts, 1) && !is_split(&parts, 2));
        assert!(under_way(&parts, 0) && under_way(&parts, 2));
        let fresh = PartState::Ready {
            offset: 0,
            not_before: 0,
        };
        parts.push(part(3, fresh));
        assert!(!under_way(&parts, 3));
        parts[3].attempts = 1;
        assert!(under_way(&parts, 3), "a part that failed once");
        // What each lane sends adds up to the part.
        assert_eq!(
            parts[0].upto - parts[0].from + parts[1].upto - parts[1].from,
            8 * MIB
        );
    }

    #[test]
    fn the_lane_with_most_left_is_split_first() {
        let mut parts = vec![part(1, putting(4 * MIB, MIB)), part(2, putting(MIB, MIB))];
        assert_eq!(split(&mut parts, MIB, 0), Some(2));
        assert_eq!(parts[1].plan.number, 2);
        assert_eq!(parts[2].plan.number, 2);
        assert_eq!(parts[2].from, 2 * MIB + 3 * MIB);
    }

    #[test]
    fn nothing_is_split_without_a_chunk_and_a_half_left_or_a_chunk_in_flight() {
        // A whole-part chunk (a clean link): nothing left after it.
        let mut parts = vec![part(1, putting(0, 8 * MIB))];
        assert_eq!(split(&mut parts, 8 * MIB, 0), None);
        // Less than a chunk and a half left.
        let mut parts = vec![part(1, putting(5 * MIB, 2 * MIB))];
        assert_eq!(split(&mut parts, MIB, 0), None);
        // A chunk and a half: the lane keeps one, the new lane takes the half.
        let mut parts = vec![part(1, putting(4 * MIB, 2 * MIB + MIB / 2))];
        assert_eq!(split(&mut parts, MIB, 0), Some(1));
        assert_eq!(parts[1].from, 7 * MIB + MIB / 2);
        // A ready part starts on its own.
        let ready = PartState::Ready {
            offset: 0,
            not_before: 0,
        };
        let mut parts = vec![part(1, ready)];
        assert_eq!(split(&mut parts, MIB, 0), None);
        assert_eq!(parts.len(), 1);
    }

    #[test]
    fn a_part_commits_once_its_helpers_are_done_and_lanes_keep_to_the_cap() {
        let mut parts = vec![part(1, putting(0, 100_000))];
        let i = split(&mut parts, 100_000, 0).unwrap();
        // 82 whole chunks left after the one in flight: the lane keeps 41 of them.
        assert_eq!(parts[i].from, 100_000 + 41 * 100_000);
        assert!(!helpers_done(&parts, 0));
        parts[i].state = PartState::Done { etag: None };
        assert!(helpers_done(&parts, 0));
        assert_eq!(in_flight_cap(1, 6), 2);
        assert_eq!(in_flight_cap(3, 6), 6);
        assert_eq!(in_flight_cap(8, 6), 6, "never above the connections");
        assert_eq!(in_flight_cap(3, 2), 2, "a share of them");
    }
}
