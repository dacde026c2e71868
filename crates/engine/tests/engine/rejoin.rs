//! Carrying on after a reload: the page keeps a checkpoint from the engine's events (start,
//! then each part done); a new engine given it asks the server what it holds and sends only
//! the rest. Whatever makes that impossible starts the upload afresh.

use crate::sim::*;
use skiff_engine::{Body, Checkpoint, Engine, Event, FileId, Mode, Options, RequestKind};

/// The checkpoint a driver keeps from `file`'s events so far.
pub fn checkpoint(sim: &Sim, file: FileId) -> Checkpoint {
    let mut cp = None;
    for e in &sim.events {
        match e {
            Event::Started {
                file: f,
                checkpoint,
                ..
            } if *f == file => cp = Some(checkpoint.clone()),
            Event::PartDone { file: f, .. } | Event::Recut { file: f, .. } if *f == file => {
                if let Some(cp) = cp.as_mut() {
                    cp.note(e);
                }
            }
            _ => {}
        }
    }
    cp.expect("the upload started")
}

/// The page reloads: the engine and everything in flight are gone; the server keeps its
/// sessions. Returns the new page's sim state for `file`'s bytes to be added again.
pub fn reload(sim: &mut Sim, options: Options) {
    sim.engine = Engine::new(options, 2);
    sim.wire.clear();
    sim.sent.clear();
    sim.events.clear();
}

/// An upload of `size` bytes just started (default options), then the page reloads.
fn begun_then_reloaded(size: u64) -> (Sim, Checkpoint) {
    let mut sim = Sim::new(Options::default());
    let f = sim.add(size);
    sim.step();
    let cp = checkpoint(&sim, f);
    reload(&mut sim, Options::default());
    (sim, cp)
}

/// What the server held when the engine rejoined the upload.
fn held_at_rejoin(sim: &Sim) -> u64 {
    sim.events
        .iter()
        .find_map(|e| match e {
            Event::Rejoined { held, .. } => Some(*held),
            _ => None,
        })
        .expect("the upload was rejoined")
}

/// Bytes of PUTs sent so far.
fn put_bytes(sim: &Sim) -> u64 {
    sim.put_lengths().iter().sum()
}

#[test]
fn a_regular_upload_sends_only_the_parts_the_server_lacks() {
    let opts = Options {
        part_size: 5 * MIB,
        concurrency: 1,
        ..Options::default()
    };
    let mut sim = Sim::new(opts.clone());
    let size = 20 * MIB + 5;
    let f = sim.add(size);
    // Until two of five parts are in.
    let parts_done = |sim: &Sim| {
        sim.events
            .iter()
            .filter(|e| matches!(e, Event::PartDone { .. }))
            .count()
    };
    while parts_done(&sim) < 2 {
        sim.step();
    }
    let cp = checkpoint(&sim, f);
    assert_eq!((cp.done.len(), cp.part_size, cp.size), (2, 5 * MIB, size));
    let upload_id = cp.upload_id.clone();

    reload(&mut sim, opts);
    let f2 = sim.add_with(size, |spec| spec.rejoin = Some(cp));
    sim.run(600_000);
    assert_eq!(sim.stored_of(f2), sim.file_of(f2));
    assert!(!sim.kinds().contains(&RequestKind::Start), "no new upload");
    assert_eq!(sim.kinds()[0], RequestKind::Rejoin);
    assert_eq!(
        put_bytes(&sim),
        size - 10 * MIB,
        "only the three missing parts"
    );
    assert!(sim.events.iter().any(|e| matches!(e,
        Event::Rejoined { upload_id: u, held, .. } if *u == upload_id && *held == 10 * MIB)));
    // Progress starts at what the server holds.
    assert!(sim.progress_of(f2).iter().all(|b| *b >= 10 * MIB));
}

/// A 20 MiB + 5 upload in 5 MiB parts, one at a time, parts sent before their MD5; the page
/// reloads once two parts are in, the second's check not yet in the checkpoint (its answer
/// waited for its digest). `alter` then does what it likes to the server's copy of part 2.
/// Returns the sim, carrying on with the file given again, and that file's id.
fn second_part_unchecked_at_reload(alter: impl FnOnce(&mut Vec<u8>)) -> (Sim, FileId) {
    let opts = Options {
        part_size: 5 * MIB,
        concurrency: 1,
        ..Options::default()
    };
    let mut sim = Sim::new(opts.clone());
    sim.etag_md5 = true;
    let size = 20 * MIB + 5;
    let f = sim.add(size);
    while sim.uploads.values().all(|u| u.parts.len() < 2) {
        sim.step();
    }
    let mut cp = checkpoint(&sim, f);
    cp.done.retain(|(n, _)| *n == 1);
    alter(
        sim.uploads
            .values_mut()
            .next()
            .unwrap()
            .parts
            .get_mut(&2)
            .unwrap(),
    );
    reload(&mut sim, opts);
    let f2 = sim.add_with(size, |spec| spec.rejoin = Some(cp));
    sim.run(600_000);
    assert_eq!(sim.stored_of(f2), sim.file_of(f2), "the file is whole");
    (sim, f2)
}

/// Each `/multipart/upload` call's part and whether it asked `if_held`.
fn asks(sim: &Sim) -> Vec<(u32, bool)> {
    sim.sent
        .iter()
        .filter_map(|r| match (&r.kind, &r.body) {
            (RequestKind::Upload { part, .. }, Body::Json { value, .. }) => {
                Some((*part, value["if_held"] == true))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_held_part_whose_check_went_with_the_page_is_asked_about_and_not_sent_again() {
    let (sim, f2) = second_part_unchecked_at_reload(|_| {});
    // Part 2 is asked about with its MD5, found held, and done without a PUT.
    assert_eq!(asks(&sim), [(2, true), (3, false), (4, false), (5, false)]);
    assert_eq!(put_bytes(&sim), 10 * MIB + 5, "parts 3, 4 and 5 only");
    assert!(sim.events.iter().any(|e| matches!(e,
        Event::PartDone { file, part: 2, etag: Some(etag) } if *file == f2 && etag == "\"e2-5242880\"")));
    // It counts as sent from the start: the server holds it.
    assert_eq!(held_at_rejoin(&sim), 10 * MIB);
    assert!(sim.progress_of(f2).iter().all(|b| *b >= 10 * MIB));
}

#[test]
fn a_held_part_that_arrived_altered_before_the_reload_is_sent_again() {
    // The server stored other bytes than the file's (altered on their way, the check lost).
    let (sim, _) = second_part_unchecked_at_reload(|bytes| bytes[7] ^= 1);
    assert_eq!(asks(&sim), [(2, true), (3, false), (4, false), (5, false)]);
    assert_eq!(
        put_bytes(&sim),
        15 * MIB + 5,
        "part 2 again, then 3, 4 and 5"
    );
}

#[test]
fn an_intelligent_upload_carries_on_from_its_last_chunk() {
    let opts = Options {
        mode: Mode::Intelligent,
        concurrency: 1,
        intelligent_chunk_size: MIB,
        ..Options::default()
    };
    let mut sim = Sim::new(opts.clone());
    let size = 12 * MIB;
    let f = sim.add(size);
    // Part 1 committed (8 MiB), then the first chunk of part 2 arrives: the page reloads.
    let part_2_begun = |sim: &Sim| {
        sim.uploads
            .values()
            .any(|u| u.chunks.keys().any(|(p, _)| *p == 2) && !u.committed.contains_key(&2))
    };
    while !part_2_begun(&sim) {
        sim.step();
    }
    let cp = checkpoint(&sim, f);
    reload(&mut sim, opts);
    let f2 = sim.add_with(size, |spec| spec.rejoin = Some(cp));
    sim.run(600_000);
    assert_eq!(sim.stored_of(f2), sim.file_of(f2));
    let held = held_at_rejoin(&sim);
    assert!(
        held >= 8 * MIB + 2 * MIB,
        "part 1 and part 2's chunks: {held}"
    );
    assert_eq!(put_bytes(&sim), size - held);
    assert!(
        !sim.kinds().contains(&RequestKind::Commit { part: 1 }),
        "part 1 was committed"
    );
}

#[test]
fn after_a_rejoin_parts_go_before_their_md5_where_the_resume_answer_allows_it() {
    for etag_md5 in [true, false] {
        let (mut sim, cp) = begun_then_reloaded(13 * MIB);
        // The resume answer says `part_etag` (skiff-server through its own part route), or
        // not (a server that moved to sending parts straight to a bucket since start).
        sim.etag_md5 = etag_md5;
        let f2 = sim.add_with(13 * MIB, |spec| spec.rejoin = Some(cp));
        sim.run(600_000);
        assert_eq!(sim.stored_of(f2), sim.file_of(f2));
        assert_eq!(sim.kinds()[0], RequestKind::Rejoin);
        // The upload calls after the rejoin, and whether each may go before its MD5.
        let later: Vec<bool> = sim.md5_later().into_iter().map(|(_, l)| l).collect();
        assert_eq!(later, [etag_md5; 3], "part_etag said: {etag_md5}");
    }
}

#[test]
fn an_upload_the_server_forgot_starts_afresh() {
    let (mut sim, cp) = begun_then_reloaded(3 * MIB);
    sim.uploads.clear(); // expired and swept
    let f2 = sim.add_with(3 * MIB, |spec| spec.rejoin = Some(cp));
    sim.run(600_000);
    assert_eq!(sim.stored_of(f2), sim.file_of(f2));
    assert_eq!(&sim.kinds()[..2], [RequestKind::Rejoin, RequestKind::Start]);
    assert!(sim.events.iter().any(|e| matches!(e,
        Event::RejoinRefused { reason, .. } if reason.contains("unknown_upload"))));
}

#[test]
fn a_server_without_the_extension_or_another_size_starts_afresh() {
    for (status, body) in [
        (
            404,
            r#"{"error":{"code":"not_found","message":"no such endpoint"}}"#,
        ),
        (200, "{}"),
    ] {
        let (mut sim, cp) = begun_then_reloaded(MIB);
        sim.script(move |req, _| match req.kind {
            RequestKind::Rejoin => Action::Status(status, body),
            _ => Action::Serve,
        });
        let f2 = sim.add_with(MIB, |spec| spec.rejoin = Some(cp));
        sim.run(600_000);
        assert_eq!(sim.stored_of(f2), sim.file_of(f2), "after a {status}");
        assert!(sim.kinds().contains(&RequestKind::Start));
    }
    // A checkpoint of another file (its size differs) is not used.
    let (mut sim, cp) = begun_then_reloaded(MIB);
    let f2 = sim.add_with(MIB + 1, |spec| spec.rejoin = Some(cp));
    sim.run(600_000);
    assert_eq!(sim.stored_of(f2), sim.file_of(f2));
    assert!(
        sim.events
            .iter()
            .any(|e| matches!(e, Event::RejoinRefused { .. }))
    );
}

#[test]
fn a_complete_upload_whose_answer_was_lost_is_completed_again_without_bytes() {
    let opts = Options::default();
    let mut sim = Sim::new(opts.clone());
    let f = sim.add(2 * MIB);
    sim.run(600_000);
    let cp = checkpoint(&sim, f);
    let first = sim.stored_of(f).to_vec();
    reload(&mut sim, opts);
    let f2 = sim.add_with(2 * MIB, |spec| spec.rejoin = Some(cp));
    sim.run(600_000);
    assert_eq!(put_bytes(&sim), 0);
    assert_eq!(sim.kinds(), [RequestKind::Rejoin, RequestKind::Complete]);
    assert_eq!(sim.stored_of(f2), first);
}

#[test]
fn an_intelligent_part_with_a_hole_sends_only_the_hole() {
    // Lanes send a part's chunks out of order, so a reload can leave holes: here part 2 holds
    // its first chunk and, from a helper lane, its last MiB. Only the hole between goes again.
    let opts = Options {
        mode: Mode::Intelligent,
        concurrency: 1,
        intelligent_chunk_size: MIB,
        ..Options::default()
    };
    let mut sim = Sim::new(opts.clone());
    let size = 20 * MIB;
    let f = sim.add(size);
    let part_2 = |sim: &Sim| -> Vec<(u64, u64)> {
        sim.uploads
            .values()
            .flat_map(|u| u.chunks.iter())
            .filter(|((p, _), _)| *p == 2)
            .map(|((_, o), b)| (*o, b.len() as u64))
            .collect()
    };
    while part_2(&sim).is_empty() {
        sim.step();
    }
    let cp = checkpoint(&sim, f);
    let first = part_2(&sim)[0];
    assert!(
        first.0 == 0 && first.1 < 7 * MIB,
        "part 2's first chunk: {first:?}"
    );
    // What a helper lane had stored of part 2 (file bytes 15..16 MiB) before the reload.
    let tail = sim.file_of(f)[15 * MIB as usize..16 * MIB as usize].to_vec();
    for u in sim.uploads.values_mut() {
        u.chunks.insert((2, 7 * MIB), tail.clone());
    }
    reload(&mut sim, opts);
    let f2 = sim.add_with(size, |spec| spec.rejoin = Some(cp));
    sim.run(600_000);
    assert_eq!(sim.stored_of(f2), sim.file_of(f2));
    let held = held_at_rejoin(&sim);
    assert_eq!(
        held,
        8 * MIB + first.1 + MIB,
        "part 1, and part 2's two held chunks"
    );
    assert_eq!(put_bytes(&sim), size - held, "only the hole and part 3");
    let sent_again: Vec<u64> = sim
        .kinds()
        .iter()
        .filter_map(|k| match k {
            RequestKind::Upload { part: 2, offset } => Some(*offset),
            _ => None,
        })
        .collect();
    assert_eq!(
        sent_again.first(),
        Some(&first.1),
        "from the hole: {sent_again:?}"
    );
    assert!(
        sent_again.iter().all(|o| *o < 7 * MIB),
        "not the held tail: {sent_again:?}"
    );
    let commits = sim
        .kinds()
        .iter()
        .filter(|k| **k == RequestKind::Commit { part: 2 })
        .count();
    assert_eq!(commits, 1);
}
