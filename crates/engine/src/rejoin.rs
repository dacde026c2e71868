//! Carrying on with an upload begun earlier, from a page that has been reloaded since: the
//! driver keeps a [`Checkpoint`] of each upload (from [`Event::Started`], [`Event::PartDone`]
//! and [`Event::Recut`]); given one in [`FileSpec::rejoin`], the engine asks the server what it
//! holds (`POST /multipart/resume`, a Skiff extension) and plans only the rest. Whatever goes
//! wrong on the way (an unknown or expired upload, a server without the extension, another
//! size) starts the upload afresh instead: a rejoin never fails a file a fresh start would save.
//!
//! [`Event::Started`]: crate::Event::Started
//! [`Event::PartDone`]: crate::Event::PartDone
//! [`Event::Recut`]: crate::Event::Recut
//! [`FileSpec::rejoin`]: crate::FileSpec::rejoin

use crate::file::{Flow, Growth, Part, PartState, Transfer};
use crate::plan::{PartPlan, plan_layout};
use crate::types::Event;
use crate::wire::{self, Session};
use skiff_protocol::wire::ResumeResponse;

/// What a client keeps of an upload in progress to carry on with it later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The start answer's `uri`.
    pub uri: String,
    /// Its `region`.
    pub region: String,
    /// Its `upload_id`.
    pub upload_id: String,
    /// The absolute base URL of the calls after start (from `location_url`).
    pub base: String,
    /// Its `location_region`, if any.
    pub location_region: Option<String>,
    /// How the parts travel.
    pub flow: Flow,
    /// The size the parts were cut to.
    pub part_size: u64,
    /// Where the parts were cut again, in order: from that byte on, parts of that size (see
    /// [`Event::Recut`]).
    ///
    /// [`Event::Recut`]: crate::Event::Recut
    pub recuts: Vec<(u64, u64)>,
    /// The file's size.
    pub size: u64,
    /// Parts this client saw done, with the ETag of a regular part: the only record of parts
    /// sent straight to a bucket, which the server does not see.
    pub done: Vec<(u32, Option<String>)>,
}

impl Checkpoint {
    /// The checkpoint of an upload just started as `session`, with no part done yet.
    pub(crate) fn of(session: &Session, flow: Flow, part_size: u64, size: u64) -> Checkpoint {
        Checkpoint {
            uri: session.uri.clone(),
            region: session.region.clone(),
            upload_id: session.upload_id.clone(),
            base: session.base.clone(),
            location_region: session.location_region.clone(),
            flow,
            part_size,
            recuts: Vec::new(),
            size,
            done: Vec::new(),
        }
    }

    /// Keeps what `event` says of this upload's parts (one done, or cut again); whether it did.
    /// The caller picks the events of its file.
    pub fn note(&mut self, event: &Event) -> bool {
        match event {
            Event::PartDone { part, etag, .. } => self.done.push((*part, etag.clone())),
            Event::Recut {
                part,
                from,
                part_size,
                ..
            } => {
                // Parts done from there on were cut otherwise: their numbers now name other
                // bytes, and they go again.
                self.done.retain(|(n, _)| n < part);
                self.recuts.push((*from, *part_size));
            }
            _ => return false,
        }
        true
    }

    /// The session it carries on with; `etag_md5` as the server's resume answer says (it may
    /// have changed its storage since start).
    pub(crate) fn session(&self, etag_md5: bool) -> Session {
        Session {
            uri: self.uri.clone(),
            region: self.region.clone(),
            upload_id: self.upload_id.clone(),
            base: self.base.clone(),
            location_region: self.location_region.clone(),
            intelligent: self.flow != Flow::Regular,
            etag_md5,
            // Kept by the page with the expiry it had from the start.
            expires_in: None,
            // Only a fresh start's answer says so; a rejoined upload completes as usual.
            await_parts: false,
        }
    }
}

/// The transfer to carry on with for a file of `size` bytes, from what the server says it
/// `held`; `Err` (why) when the upload must start afresh instead. With `check` (the parts carry
/// their MD5), a regular part the server holds but the checkpoint does not list as checked is
/// asked about again with its MD5 ([`Part::unchecked`]) rather than trusted.
pub(crate) fn rebuild(
    cp: &Checkpoint,
    size: u64,
    held: &ResumeResponse,
    check: bool,
) -> Result<Transfer, String> {
    // Static messages: each formatted one costs the wasm more than it tells.
    if cp.size != size {
        return Err("the checkpoint is of another file (its size differs)".into());
    }
    if held.size != cp.size || held.upload_id != cp.upload_id {
        return Err("the server's upload is of another size, or another upload".into());
    }
    if cp.part_size == 0 {
        return Err("the checkpoint has no part size".into());
    }
    let chunked = cp.flow == Flow::Intelligent;
    let complete = held.handle.is_some();
    let mut parts = Vec::new();
    let layout = plan_layout(cp.size, cp.part_size, &cp.recuts)
        .ok_or("the checkpoint's recut parts do not line up")?;
    for plan in layout {
        let len = plan.end - plan.start;
        let mine = cp.done.iter().find(|(n, _)| *n == plan.number);
        let theirs = held
            .parts
            .iter()
            .find(|p| p.part == plan.number && p.size == len);
        let state = match (theirs, mine) {
            // Held, but this client never saw it checked: a part sent before its MD5 whose
            // check the reload cut short may hold bytes altered on their way. Its call asks.
            (Some(p), mine)
                if check && !chunked && !mine.is_some_and(|(_, e)| same_etag(e, &p.etag)) =>
            {
                let mut part = Part::new(
                    plan,
                    PartState::Ready {
                        offset: 0,
                        not_before: 0,
                    },
                    false,
                );
                part.unchecked = true;
                parts.push(part);
                continue;
            }
            // The server's word for it; the ETag as its PUT answered it (quoted).
            (Some(p), _) => PartState::Done {
                etag: p.etag.as_deref().map(wire::quoted),
            },
            // The bucket holds what the server cannot see (or the upload is complete):
            // this client's own record.
            (None, Some((_, etag))) if held.direct || complete => {
                PartState::Done { etag: etag.clone() }
            }
            _ if complete => PartState::Done { etag: None },
            _ if chunked => {
                push_lanes(&mut parts, plan, held);
                continue;
            }
            _ => PartState::Ready {
                offset: 0,
                not_before: 0,
            },
        };
        parts.push(Part::new(plan, state, chunked));
    }
    Ok(Transfer {
        session: cp.session(held.part_etag.as_deref() == Some("md5")),
        flow: cp.flow,
        parts,
        // Its parts stay as the checkpoint has them, except that bigger parts not cut back
        // yet still go back to the first size if one of them fails.
        growth: match cp.recuts.last() {
            Some(&(_, size)) if size > cp.part_size => Growth::Grown { base: cp.part_size },
            _ => Growth::Settled,
        },
        early: crate::early::Early::Unsent,
    })
}

/// Whether an ETag this client saw checked is the one the server holds (quoted or not).
fn same_etag(mine: &Option<String>, theirs: &Option<String>) -> bool {
    match (mine, theirs) {
        (Some(a), Some(b)) => a.trim_matches('"') == b.trim_matches('"'),
        _ => false,
    }
}

/// How far the chunks the server holds of part `number` run back to back from `from`.
fn covered_from(held: &ResumeResponse, number: u32, from: u64) -> u64 {
    // Extended while some chunk reaches past the end so far. A part has a handful of chunks;
    // this spares the uploader's wasm a sort routine (about 3 KiB).
    let mut end = from;
    while let Some(c) = held
        .chunks
        .iter()
        .find(|c| c.part == number && c.offset <= end && c.offset + c.size > end)
    {
        end = c.offset + c.size;
    }
    end
}

/// A chunked part carried on as lanes (see `crate::lanes`), one per hole in the chunks the
/// server holds: on a link bad enough to split parts, chunks after the first hole were often in
/// before the reload, and sending only the holes keeps them. The first lane runs from byte 0 to
/// the end of the first hole, each helper from the end of the hole before it to the end of its
/// own, their offsets at their holes, so that the bytes held between holes count as sent; a held
/// stretch after the last hole is a helper that is done. The first lane commits once every
/// helper is done; with no hole at all, it stands at the part's end, ready to commit.
fn push_lanes(parts: &mut Vec<Part>, plan: PartPlan, held: &ResumeResponse) {
    let len = plan.end - plan.start;
    let mut push = |from: u64, upto: u64, state: PartState| {
        let mut p = Part::new(plan, state, true);
        p.from = from;
        p.upto = upto;
        parts.push(p);
    };
    let mut from = 0;
    loop {
        let hole = covered_from(held, plan.number, from).min(len);
        if hole == len {
            if from == 0 {
                push(
                    0,
                    len,
                    PartState::Ready {
                        offset: len,
                        not_before: 0,
                    },
                );
            } else if from < len {
                push(from, len, PartState::Done { etag: None });
            }
            return;
        }
        // The hole ends where the next chunk held begins.
        let end = held
            .chunks
            .iter()
            .filter(|c| c.part == plan.number && c.offset > hole)
            .fold(len, |end, c| end.min(c.offset));
        push(
            from,
            end,
            PartState::Ready {
                offset: hole,
                not_before: 0,
            },
        );
        from = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_protocol::wire::{HeldChunk, HeldPart};

    fn checkpoint(flow: Flow) -> Checkpoint {
        Checkpoint {
            uri: "/u".into(),
            region: "r".into(),
            upload_id: "u1".into(),
            base: "https://loc.test".into(),
            location_region: None,
            flow,
            part_size: 10,
            recuts: Vec::new(),
            size: 25,
            done: vec![(1, Some("\"a\"".into()))],
        }
    }

    #[test]
    fn a_cut_back_forgets_the_parts_done_under_the_cut_before() {
        // 10-byte parts, then from byte 20 on 30-byte ones: parts 1, 2, then 3 (20..50), 4
        // (50..80), 5 (80..100).
        let mut cp = Checkpoint {
            size: 100,
            recuts: vec![(20, 30)],
            done: vec![(1, None), (3, None), (5, None)],
            ..checkpoint(Flow::Regular)
        };
        // Cut back from part 4: part 5's number now names bytes 60..70.
        assert!(cp.note(&Event::Recut {
            file: crate::types::FileId(1),
            part: 4,
            from: 50,
            part_size: 10,
        }));
        assert_eq!(cp.done, [(1, None), (3, None)]);
        assert_eq!(cp.recuts, [(20, 30), (50, 10)]);
        let layout = plan_layout(cp.size, cp.part_size, &cp.recuts).unwrap();
        assert_eq!(layout.len(), 8);
        assert_eq!((layout[4].number, layout[4].start), (5, 60));
    }

    fn held(parts: Vec<HeldPart>, chunks: Vec<HeldChunk>) -> ResumeResponse {
        ResumeResponse {
            upload_id: "u1".into(),
            size: 25,
            fii: false,
            expires_at: 1,
            handle: None,
            direct: false,
            parts,
            chunks,
            part_etag: None,
        }
    }

    fn states(t: &Transfer) -> Vec<PartState> {
        t.parts.iter().map(|p| p.state.clone()).collect()
    }

    const READY: PartState = PartState::Ready {
        offset: 0,
        not_before: 0,
    };

    /// Regular part `n` of `size` bytes the server holds, with the ETag `e{n}`.
    fn part(n: u32, size: u64) -> HeldPart {
        HeldPart {
            part: n,
            size,
            etag: Some(format!("e{n}")),
        }
    }

    /// A part the server holds with ETag `etag`.
    fn part_etag(n: u32, size: u64, etag: &str) -> HeldPart {
        HeldPart {
            etag: Some(etag.into()),
            ..part(n, size)
        }
    }

    #[test]
    fn regular_parts_the_server_holds_and_this_client_saw_checked_are_done() {
        // Part 1 as the checkpoint saw it checked (its quotes aside); part 3 of the wrong size
        // (another cut) is sent again.
        let t = rebuild(
            &checkpoint(Flow::Regular),
            25,
            &held(vec![part_etag(1, 10, "a"), part(3, 4)], vec![]),
            true,
        )
        .unwrap();
        let done = PartState::Done {
            etag: Some("\"a\"".into()),
        };
        assert_eq!(states(&t), [done, READY, READY]);
        assert!(t.parts.iter().all(|p| !p.unchecked));
        assert_eq!(t.session.upload_id, "u1");
    }

    #[test]
    fn held_parts_this_client_never_saw_checked_are_asked_about_again() {
        // Part 1 held with another ETag than the one checked, part 2 not in the checkpoint
        // (its answer or its check went with the page): both are asked about, with their MD5,
        // and count as sent meanwhile.
        let h = held(vec![part(1, 10), part(2, 10)], vec![]);
        let t = rebuild(&checkpoint(Flow::Regular), 25, &h, true).unwrap();
        assert_eq!(states(&t), [READY, READY, READY]);
        let unchecked: Vec<bool> = t.parts.iter().map(|p| p.unchecked).collect();
        assert_eq!(unchecked, [true, true, false]);
        assert_eq!(t.sent(), 20);
        // Parts that carry no MD5 (`disableIntegrityCheck`) cannot be compared: the server's
        // word stands, as it does for every part it checked.
        let t = rebuild(&checkpoint(Flow::Regular), 25, &h, false).unwrap();
        let etag = |e: &str| PartState::Done {
            etag: Some(e.into()),
        };
        assert_eq!(states(&t), [etag("\"e1\""), etag("\"e2\""), READY]);
        assert!(t.parts.iter().all(|p| !p.unchecked));
    }

    #[test]
    fn recut_parts_are_planned_as_they_were_cut() {
        // Cut again from byte 10 into parts of 12: 0..10, 10..22, 22..25.
        let mut cp = checkpoint(Flow::Regular);
        cp.recuts = vec![(10, 12)];
        cp.done = vec![(2, Some("\"e2\"".into()))];
        let t = rebuild(&cp, 25, &held(vec![part(2, 12)], vec![]), true).unwrap();
        let lens: Vec<u64> = t.parts.iter().map(Part::len).collect();
        assert_eq!(lens, [10, 12, 3]);
        let etag = |e: &str| PartState::Done {
            etag: Some(e.into()),
        };
        assert_eq!(states(&t), [READY, etag("\"e2\""), READY]);
        // A recut that does not begin where a part does: afresh, not a guess.
        cp.recuts = vec![(7, 12)];
        assert!(rebuild(&cp, 25, &held(vec![], vec![]), true).is_err());
    }

    #[test]
    fn parts_sent_to_a_bucket_count_as_this_client_saw_them() {
        let mut h = held(vec![], vec![]);
        h.direct = true;
        let t = rebuild(&checkpoint(Flow::Regular), 25, &h, true).unwrap();
        assert_eq!(
            states(&t),
            [
                PartState::Done {
                    etag: Some("\"a\"".into())
                },
                READY,
                READY
            ]
        );
        // Without the bucket's word, the server's silence means nothing is held.
        let t = rebuild(&checkpoint(Flow::Regular), 25, &held(vec![], vec![]), true).unwrap();
        assert_eq!(states(&t), [READY, READY, READY]);
    }

    #[test]
    fn intelligent_parts_carry_on_after_their_chunks() {
        let chunk = |part, offset, size| HeldChunk { part, offset, size };
        let committed = HeldPart {
            part: 1,
            size: 10,
            etag: None,
        };
        let t = rebuild(
            &checkpoint(Flow::Intelligent),
            25,
            &held(
                vec![committed],
                // Part 2: 0..4 and 4..7 back to back, 8..9 after a gap; part 3: none from 0.
                vec![
                    chunk(2, 4, 3),
                    chunk(2, 0, 4),
                    chunk(2, 8, 1),
                    chunk(3, 2, 2),
                ],
            ),
            true,
        )
        .unwrap();
        let ready = |offset| PartState::Ready {
            offset,
            not_before: 0,
        };
        // Part 2 carries on as two lanes: 7..8 (then commits), and 9..10 after the held 8..9;
        // part 3 as 0..2 and 4..5, with 2..4 held between them.
        assert_eq!(
            states(&t),
            [
                PartState::Done { etag: None },
                ready(7),
                ready(9),
                ready(0),
                ready(4)
            ]
        );
        let stretches: Vec<_> = t
            .parts
            .iter()
            .map(|p| (p.plan.number, p.from, p.upto))
            .collect();
        assert_eq!(
            stretches,
            [(1, 0, 10), (2, 0, 8), (2, 8, 10), (3, 0, 2), (3, 2, 5)]
        );
        assert!(t.parts.iter().all(|p| p.chunked));
        // What counts as sent is exactly what the server holds.
        assert_eq!(t.sent(), 10 + (4 + 3 + 1) + 2);
    }

    #[test]
    fn a_part_with_every_chunk_held_only_commits_and_a_held_tail_is_a_done_lane() {
        let chunk = |part, offset, size| HeldChunk { part, offset, size };
        let h = held(
            vec![],
            vec![chunk(1, 0, 10), chunk(2, 0, 2), chunk(2, 5, 5)],
        );
        let t = rebuild(&checkpoint(Flow::Intelligent), 25, &h, true).unwrap();
        let ready = |offset| PartState::Ready {
            offset,
            not_before: 0,
        };
        assert_eq!(
            states(&t),
            [
                ready(10),
                ready(2),
                PartState::Done { etag: None },
                ready(0)
            ]
        );
        let stretches: Vec<_> = t
            .parts
            .iter()
            .map(|p| (p.plan.number, p.from, p.upto))
            .collect();
        assert_eq!(stretches, [(1, 0, 10), (2, 0, 5), (2, 5, 10), (3, 0, 5)]);
        assert_eq!(t.sent(), 10 + 2 + 5);
    }

    #[test]
    fn a_complete_upload_needs_only_its_complete() {
        let mut h = held(vec![], vec![]);
        h.handle = Some("H".into());
        let t = rebuild(&checkpoint(Flow::Regular), 25, &h, true).unwrap();
        assert!(t.all_done());
    }

    #[test]
    fn another_size_or_upload_starts_afresh() {
        let h = held(vec![], vec![]);
        assert!(
            rebuild(&checkpoint(Flow::Regular), 26, &h, true).is_err(),
            "another file"
        );
        let mut h = held(vec![], vec![]);
        h.size = 26;
        assert!(rebuild(&checkpoint(Flow::Regular), 25, &h, true).is_err());
        let mut h = held(vec![], vec![]);
        h.upload_id = "u2".into();
        assert!(rebuild(&checkpoint(Flow::Regular), 25, &h, true).is_err());
    }
}
