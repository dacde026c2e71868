//! Regular parts that grow once the link has shown itself fast: the untouched tail is cut
//! again into bigger parts, on trial until one is in; a failure among them puts the tail back
//! as it was.

use crate::rejoin::{checkpoint, reload};
use crate::sim::*;
use skiff_engine::{Body, Event, FileId, Options, Request, RequestId, RequestKind};

/// Options with growing parts (`growParts`; off by default).
fn growing() -> Options {
    Options {
        grow_parts: true,
        ..Options::default()
    }
}

/// 25 MB/s per connection: a 6 MiB part takes about a quarter of a second, and a part of about
/// 22 MiB would take a second.
const FAST: u64 = 25_000;

/// The recuts reported so far, as (from, part size).
fn recuts(sim: &Sim) -> Vec<(u64, u64)> {
    sim.events
        .iter()
        .filter_map(|e| match e {
            Event::Recut {
                from, part_size, ..
            } => Some((*from, *part_size)),
            _ => None,
        })
        .collect()
}

/// A file of `size` bytes on a fast link, until the first bigger part is in (the others on the
/// wire).
fn grown(size: u64) -> (Sim, FileId) {
    let mut sim = Sim::new(growing());
    sim.bytes_per_ms = FAST;
    let f = sim.add(size);
    while recuts(&sim).is_empty() {
        sim.step();
    }
    (sim, f)
}

/// How many parts complete listed; their numbers must run 1..=N.
fn completed_parts(sim: &Sim) -> usize {
    let body = sim.body_of(RequestKind::Complete);
    let parts = body["parts"].as_array().expect("complete lists its parts");
    let numbers: Vec<u32> = parts
        .iter()
        .map(|p| p["part_number"].as_u64().unwrap() as u32)
        .collect();
    assert_eq!(numbers, (1..=numbers.len() as u32).collect::<Vec<_>>());
    numbers.len()
}

fn put_range(r: &Request) -> Option<(u32, u64, u64)> {
    match (r.kind, &r.body) {
        (RequestKind::Put { part, .. }, Body::Slice { start, end, .. }) => {
            Some((part, *start, *end))
        }
        _ => None,
    }
}

fn intact(sim: &Sim, f: FileId) {
    assert!(sim.failures().is_empty(), "{:?}", sim.failures());
    assert!(
        sim.stored_of(f) == sim.file_of(f),
        "the bytes arrive intact"
    );
}

#[test]
fn a_fast_link_grows_the_untouched_tail() {
    let mut sim = Sim::new(growing());
    sim.bytes_per_ms = FAST;
    let f = sim.add(120 * MIB);
    sim.run(600_000);
    intact(&sim, f);

    let cuts = recuts(&sim);
    assert_eq!(cuts.len(), 1, "one recut: {cuts:?}");
    let (from, size) = cuts[0];
    assert_eq!(size % MIB, 0);
    assert!((12 * MIB..=24 * MIB).contains(&size), "{size}");
    assert_eq!(
        from % (6 * MIB),
        0,
        "the tail begins where a 6 MiB part did"
    );
    // Every PUT before the recut point is a 6 MiB part; from it on, parts of the new size.
    let puts: Vec<_> = sim.sent.iter().filter_map(put_range).collect();
    for &(_, start, end) in &puts {
        let want = if start < from { 6 * MIB } else { size };
        assert_eq!(end - start, want.min(120 * MIB - start), "PUT at {start}");
    }
    let parts = (from / (6 * MIB)) + (120 * MIB - from).div_ceil(size);
    assert_eq!(completed_parts(&sim), parts as usize);
    assert!(parts < 20, "fewer parts than 6 MiB ones would make");

    // The recut is reported before any bigger part is done, so a checkpoint never holds one
    // under the old layout.
    let first = puts.iter().find(|p| p.1 == from).unwrap().0;
    let recut_at = sim
        .events
        .iter()
        .position(|e| matches!(e, Event::Recut { .. }));
    let done_at = sim
        .events
        .iter()
        .position(|e| matches!(e, Event::PartDone { part, .. } if *part >= first));
    assert!(recut_at < done_at, "{recut_at:?} {done_at:?}");
    // The bigger parts went side by side, not one alone while the others waited.
    let grown = sim.sent_where(|r| put_range(r).is_some_and(|(_, start, _)| start >= from));
    assert!(
        grown[1].1 < sim.answered(grown[0].0),
        "the second went before the first was in"
    );
}

#[test]
fn a_put_is_timed_to_its_answer_not_to_the_digest_it_waited_for() {
    // Each answer reaches the driver after about a quarter of a second and waits 1.2 s more for
    // its part's MD5: timed to the outcome, the first PUTs would look too slow to grow.
    let mut sim = Sim::new(growing());
    sim.bytes_per_ms = FAST;
    sim.script(|r, _| match r.kind {
        RequestKind::Put { .. } => Action::Checked(1_200),
        _ => Action::Serve,
    });
    let f = sim.add(120 * MIB);
    sim.run(600_000);
    intact(&sim, f);
    assert_eq!(recuts(&sim).len(), 1, "{:?}", recuts(&sim));
}

#[test]
fn a_link_that_is_not_fast_enough_keeps_the_parts() {
    // 10 MB/s per connection: a 12 MiB part would take more than a second.
    let mut sim = Sim::new(growing());
    let f = sim.add(60 * MIB);
    sim.run(600_000);
    intact(&sim, f);
    assert!(recuts(&sim).is_empty());
    assert!(sim.put_lengths().iter().all(|&l| l == 6 * MIB));
}

#[test]
fn parts_keep_their_size_by_default_and_where_the_flow_is_not_regular() {
    let fallback = Options {
        mode: skiff_engine::Mode::Fallback,
        ..growing()
    };
    for options in [Options::default(), fallback] {
        let mut sim = Sim::new(options);
        sim.bytes_per_ms = FAST;
        let f = sim.add(60 * MIB);
        sim.run(600_000);
        intact(&sim, f);
        assert!(recuts(&sim).is_empty());
        assert!(sim.put_lengths().iter().all(|&l| l <= 8 * MIB));
    }
}

#[test]
fn a_failure_among_the_first_parts_keeps_the_parts() {
    let mut sim = Sim::new(growing());
    sim.bytes_per_ms = FAST;
    sim.once(|k| matches!(k, RequestKind::Put { .. }), Action::Network);
    let f = sim.add(60 * MIB);
    sim.run(600_000);
    intact(&sim, f);
    assert!(recuts(&sim).is_empty());
}

#[test]
fn bigger_parts_refused_as_too_large_put_the_tail_back_and_no_file_grows_again() {
    let mut sim = Sim::new(growing());
    sim.bytes_per_ms = FAST;
    // A proxy in front of the server takes bodies of up to 8 MiB.
    sim.script(|r, _| match put_range(r) {
        Some((_, start, end)) if end - start > 8 * MIB => {
            Action::Status(413, "<html>413 Request Entity Too Large</html>")
        }
        _ => Action::Serve,
    });
    let a = sim.add(60 * MIB);
    sim.run(600_000);
    let b = sim.add(60 * MIB);
    sim.run(600_000);
    intact(&sim, a);
    intact(&sim, b);
    assert!(
        recuts(&sim).is_empty(),
        "the recut never reached a checkpoint"
    );
    // One PUT was refused: the probe. Every other was a 6 MiB part (the last one shorter).
    let big: Vec<u64> = sim
        .put_lengths()
        .into_iter()
        .filter(|&l| l > 6 * MIB)
        .collect();
    assert_eq!(big.len(), 1, "{big:?}");
    let reasons = sim.retry_reasons();
    assert_eq!(reasons.len(), 1);
    assert!(reasons[0].contains("413"), "{}", reasons[0]);
    assert!(
        reasons[0].contains(&format!("goes again as parts of {}", 6 * MIB)),
        "{}",
        reasons[0]
    );
}

#[test]
fn an_upload_cut_again_carries_on_after_a_reload_with_the_same_parts() {
    let (mut sim, f) = grown(120 * MIB);
    let cp = checkpoint(&sim, f);
    assert_eq!(cp.recuts, recuts(&sim));
    reload(&mut sim, growing());
    let g = sim.add_with(120 * MIB, |s| s.rejoin = Some(cp.clone()));
    sim.run(600_000);
    intact(&sim, g);
    // The grown parts the server held were not sent again, and the layout was kept.
    let (from, size) = cp.recuts[0];
    for (_, start, end) in sim.sent.iter().filter_map(put_range) {
        let want = if start < from { 6 * MIB } else { size };
        assert_eq!(end - start, want.min(120 * MIB - start));
    }
    assert!(sim.put_lengths().iter().sum::<u64>() < 120 * MIB);
}

/// Once grown, the link turns poor: 2 MB/s per connection, each connection cut after 4 s. A
/// 6 MiB part takes about 3 s; a bigger one never gets through. (No part of the tests' grown cuts
/// is 6 MiB long; `cut_point` in grow.rs says why that matters.)
fn turn_poor(sim: &mut Sim) {
    sim.bytes_per_ms = 2_000;
    sim.script(|r, _| match r.kind {
        RequestKind::Put { .. } => Action::CutAfter(4_000),
        _ => Action::Serve,
    });
}

#[test]
fn a_link_that_turns_poor_cuts_the_bigger_parts_back() {
    let (mut sim, f) = grown(241 * MIB);
    turn_poor(&mut sim);
    sim.run(3_600_000);
    intact(&sim, f);

    let cuts = recuts(&sim);
    assert_eq!(cuts.len(), 2, "grown, then cut back: {cuts:?}");
    let ((grown_from, size), (back_from, back)) = (cuts[0], cuts[1]);
    assert!(size > 6 * MIB);
    assert_eq!(back, 6 * MIB, "back to the size the parts had");
    assert!(back_from >= grown_from && (back_from - grown_from) % size == 0);
    // Bigger parts went out only until the first was cut: those stored, and one per
    // connection that carried one when the link turned (four: the fast link widened them).
    let big_puts = sim.put_lengths().iter().filter(|&&l| l > 6 * MIB).count();
    let grown_parts = (back_from - grown_from) / size;
    assert!(
        big_puts as u64 <= grown_parts + 4,
        "{big_puts} PUTs of bigger parts for {grown_parts} stored"
    );
    let reasons = sim.retry_reasons();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains(&format!("goes again as parts of {}", 6 * MIB))),
        "{reasons:?}"
    );
    // complete names every part once, numbered 1..=N, over the new cut.
    let parts = grown_from / (6 * MIB) + grown_parts + (241 * MIB - back_from).div_ceil(6 * MIB);
    assert_eq!(completed_parts(&sim), parts as usize);
}

/// A fast link where hashing has fallen behind: every bigger part's answer waits 3 s for its
/// MD5. Runs a file of `size` bytes until the first bigger part is answered (the server has it,
/// its digest is not in yet): that PUT's id, and its part, first byte and end.
fn first_bigger_answered(size: u64) -> (Sim, FileId, RequestId, (u32, u64, u64)) {
    let mut sim = Sim::new(growing());
    sim.bytes_per_ms = FAST;
    sim.script(|r, _| match put_range(r) {
        Some((_, start, end)) if end - start > 6 * MIB => Action::Checked(3_000),
        _ => Action::Serve,
    });
    let f = sim.add(size);
    let bigger = |sim: &Sim, id| {
        sim.sent
            .iter()
            .filter(|r| r.id == id)
            .find_map(put_range)
            .filter(|(_, start, end)| end - start > 6 * MIB)
    };
    let (held, part) = loop {
        sim.step();
        if let Some(hit) = sim
            .answered_at
            .iter()
            .find_map(|&(id, _)| bigger(&sim, id).map(|p| (id, p)))
        {
            break hit;
        }
    };
    let first_bigger = sim.sent.iter().filter_map(put_range);
    let first_bigger = first_bigger
        .filter(|(_, s, e)| e - s > 6 * MIB)
        .map(|p| p.0);
    assert_eq!(
        first_bigger.min(),
        Some(part.0),
        "the first bigger part answered first"
    );
    (sim, f, held, part)
}

#[test]
fn a_bigger_part_answered_while_its_digest_is_awaited_is_in_when_the_link_turns() {
    let (mut sim, f, held, (number, _, held_end)) = first_bigger_answered(241 * MIB);
    // Now the link turns: the other bigger PUTs on the wire break before that digest lands.
    turn_poor(&mut sim);
    for (_, r, action) in &mut sim.wire {
        if r.id != held && put_range(r).is_some() {
            *action = Action::Network;
        }
    }
    sim.run(3_600_000);
    intact(&sim, f);

    // The held part kept its size and went once; the cut back began after it.
    assert!(!sim.aborted.contains(&held), "the answered PUT was aborted");
    let cuts = recuts(&sim);
    assert_eq!(cuts.len(), 2, "grown, then cut back: {cuts:?}");
    assert_eq!(cuts[1], (held_end, 6 * MIB));
    let sends = sim.sent.iter().filter_map(put_range);
    assert_eq!(
        sends.filter(|p| p.0 == number).count(),
        1,
        "part {number} went again"
    );
}

#[test]
fn a_bigger_part_that_arrived_altered_goes_again_whole_and_the_parts_stay_grown() {
    let (mut sim, f, held, (number, start, end)) = first_bigger_answered(241 * MIB);
    // Its digest lands, and the ETag is not that MD5: the bytes changed on the way.
    for (_, r, action) in &mut sim.wire {
        if r.id == held {
            *action = Action::Altered;
        }
    }
    sim.run(600_000);
    intact(&sim, f);
    // Altered bytes say nothing of the link: no cut back, and the part goes again as it was.
    assert_eq!(recuts(&sim).len(), 1, "{:?}", recuts(&sim));
    let sends = sim
        .sent
        .iter()
        .filter_map(put_range)
        .filter(|p| p.0 == number);
    assert_eq!(sends.collect::<Vec<_>>(), [(number, start, end); 2]);
    let reasons = sim.retry_reasons();
    assert!(
        reasons.len() == 1 && reasons[0].contains("altered"),
        "{reasons:?}"
    );
}

#[test]
fn an_upload_cut_back_carries_on_after_a_reload_with_the_same_parts() {
    let (mut sim, f) = grown(241 * MIB);
    turn_poor(&mut sim);
    while recuts(&sim).len() < 2 {
        sim.step();
    }
    let cp = checkpoint(&sim, f);
    assert_eq!(cp.recuts, recuts(&sim));
    reload(&mut sim, growing());
    let g = sim.add_with(241 * MIB, |s| s.rejoin = Some(cp.clone()));
    sim.run(3_600_000);
    intact(&sim, g);
    // After the reload only 6 MiB parts went (the last one shorter), and in the new cut.
    let (back_from, _) = cp.recuts[1];
    for (_, start, end) in sim.sent.iter().filter_map(put_range) {
        assert!(end - start <= 6 * MIB, "a part of {} bytes", end - start);
        if start >= back_from {
            assert_eq!((start - back_from) % (6 * MIB), 0);
        }
    }
}

#[test]
fn a_rejoined_upload_with_bigger_parts_still_cuts_them_back() {
    let (mut sim, f) = grown(121 * MIB);
    let cp = checkpoint(&sim, f);
    reload(&mut sim, growing());
    turn_poor(&mut sim);
    let g = sim.add_with(121 * MIB, |s| s.rejoin = Some(cp.clone()));
    sim.run(3_600_000);
    intact(&sim, g);
    let cuts = recuts(&sim);
    assert_eq!(cuts.len(), 1, "{cuts:?}");
    assert_eq!(cuts[0].1, 6 * MIB);
}
