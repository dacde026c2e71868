//! Regular multipart, what goes ahead: part 1 with start's answer, calls after start without a
//! preflight, the next PUT the moment a slot frees (its URL asked for ahead), signed URLs held
//! too long, and the browser's connections.

use crate::opts::{chunks, no_md5, opts};
use crate::regular::altered_once;
use crate::sim::*;
use skiff_engine::{Options, RequestKind};

#[test]
fn part_one_goes_with_starts_answer() {
    // Start asks for part 1's PUT (`first_part`); skiff-server signs it, so part 1 goes with no
    // `/multipart/upload`, marked for the driver to check its ETag.
    let mut sim = Sim::new(opts());
    sim.etag_md5 = true;
    let f = sim.add(11 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert_eq!(sim.first_parts_asked(), [Some(opts().part_size)]);
    assert_eq!(
        sim.kinds()[..3],
        [
            RequestKind::Start,
            RequestKind::Put { part: 1, offset: 0 },
            RequestKind::Upload { part: 2, offset: 0 },
        ]
    );
    assert_eq!(sim.put_checks(), [(1, true), (2, false), (3, false)]);

    // Its bytes arrive altered: the retry asks for a URL like any part, with the MD5 for the
    // server to check, and the PUT after it needs no check of the driver's.
    let sim = altered_once(1, MIB);
    assert_eq!(sim.md5_later(), [(1, false)]);
    assert_eq!(sim.put_checks(), [(1, true), (1, false)]);

    // A server that signs nothing with its answer (Filestack, a bucket): part 1 asks as before.
    // Without integrity checks there is nothing to check. Intelligent ingestion cuts parts in
    // chunks: nothing to ask for, and an empty file has no part 1.
    // Each: options, whether ETags are MD5s, the size, what start asks to have signed, the
    // PUTs (checked or not), and whether part 1 asks for its URL.
    type Case = (
        Options,
        bool,
        u64,
        Option<u64>,
        &'static [(u32, bool)],
        bool,
    );
    let cases: [Case; 4] = [
        (opts(), false, MIB, Some(MIB), &[(1, false)], true),
        (no_md5(), true, MIB, Some(MIB), &[(1, false)], false),
        (chunks(), true, MIB, None, &[(1, false)], true),
        (opts(), true, 0, None, &[], false),
    ];
    for (options, etag_md5, size, asked, puts, asks) in cases {
        let mut sim = Sim::new(options);
        sim.etag_md5 = etag_md5;
        let f = sim.add(size);
        sim.run(600_000);
        assert_eq!(sim.stored_of(f), sim.file_of(f));
        assert_eq!(sim.first_parts_asked(), [asked]);
        assert_eq!(sim.put_checks(), puts);
        let asked_url = sim
            .kinds()
            .contains(&RequestKind::Upload { part: 1, offset: 0 });
        assert_eq!(asked_url, asks, "{size} {asked:?}");
    }

    // Filestack's hosted API (not the app's own server) is not asked: a field it does not know
    // was never tried there.
    let mut sim = Sim::new(opts());
    sim.etag_md5 = true;
    let f = sim.add_with(MIB, |spec| spec.own_server = false);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert_eq!(sim.first_parts_asked(), [None]);
    assert_eq!(sim.put_checks(), [(1, false)]);
}

#[test]
fn calls_after_start_go_without_a_preflight_to_a_server_that_speaks_skiffs_extensions() {
    // text/plain is a type a browser sends cross-origin without asking first. Start, before
    // anything is known of the server, and every call to a server without Skiff's extensions
    // (Filestack's API, a proxy, another implementation) go as application/json.
    for (skiff, types) in [
        (true, vec!["application/json", "text/plain;charset=UTF-8"]),
        (false, vec!["application/json"]),
    ] {
        let mut sim = Sim::new(opts());
        sim.etag_md5 = skiff;
        let f = sim.add(13 * MIB);
        sim.run(600_000);
        assert_eq!(sim.stored_of(f), sim.file_of(f));
        assert!(sim.kinds().contains(&RequestKind::Complete));
        assert_eq!(sim.json_content_types(), types, "skiff-server: {skiff}");
    }
}

/// When each PUT went out, and when the one before it answered.
fn put_gaps(sim: &Sim) -> Vec<(u64, u64)> {
    let puts = sim.sent_where(|r| matches!(r.kind, RequestKind::Put { .. }));
    puts.windows(2)
        .map(|w| (w[1].1, sim.answered(w[0].0)))
        .collect()
}

#[test]
fn a_freed_slot_starts_the_next_put_at_once_with_a_url_asked_ahead() {
    let mut sim = Sim::new(Options {
        part_size: 5 * MIB,
        concurrency: 1,
        ..Options::default()
    });
    let f = sim.add(20 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let gaps = put_gaps(&sim);
    assert_eq!(gaps.len(), 3);
    for (sent, previous_answered) in gaps {
        assert_eq!(sent, previous_answered, "no round trip between two PUTs");
    }
    assert_eq!(sim.max_puts, 1, "still one PUT at a time");
    let asks = sim
        .kinds()
        .iter()
        .filter(|k| matches!(k, RequestKind::Upload { .. }))
        .count();
    assert_eq!(asks, 4, "one ask per part, none wasted");
}

#[test]
fn a_signed_url_held_too_long_is_asked_for_again() {
    let mut sim = Sim::new(Options {
        part_size: 5 * MIB,
        concurrency: 1,
        timeout_ms: 600_000,
        ..Options::default()
    });
    // Part 1's PUT takes six minutes: part 2's URL, asked for meanwhile, is too old to trust.
    sim.script(|req, _| match req.kind {
        RequestKind::Put { part: 1, .. } => Action::Slow(6 * 60_000),
        _ => Action::Serve,
    });
    let f = sim.add(10 * MIB);
    sim.run(3_600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let asks_for_2 = sim
        .kinds()
        .iter()
        .filter(|k| matches!(k, RequestKind::Upload { part: 2, .. }))
        .count();
    assert_eq!(asks_for_2, 2);
    let gaps = put_gaps(&sim);
    assert!(gaps[0].0 > gaps[0].1, "part 2 waited for its new URL");
}

#[test]
fn asks_ahead_stay_within_the_browsers_connections() {
    for (concurrency, puts) in [(3, 3), (4, 4), (6, 6), (8, 6)] {
        let mut sim = Sim::new(Options {
            part_size: 5 * MIB,
            concurrency,
            ..Options::default()
        });
        let f = sim.add(60 * MIB);
        sim.run(600_000);
        assert_eq!(sim.stored_of(f), sim.file_of(f));
        assert_eq!(sim.max_puts, puts, "concurrency {concurrency}");
        // PUTs and asks together never queue in the browser (six connections to a host).
        assert!(
            sim.max_in_flight <= 6,
            "concurrency {concurrency}: {} part requests at once",
            sim.max_in_flight
        );
    }
}

#[test]
fn a_share_of_the_connections_bounds_the_part_requests_and_a_bigger_share_is_used_at_once() {
    for share in [1, 2, 3, 4] {
        let mut sim = Sim::new(Options {
            part_size: 5 * MIB,
            ..Options::default()
        });
        sim.engine.set_connections(share, 0);
        let f = sim.add(60 * MIB);
        sim.run(600_000);
        assert_eq!(sim.stored_of(f), sim.file_of(f));
        assert!(
            sim.max_in_flight <= share,
            "share {share}: {} part requests at once",
            sim.max_in_flight
        );
        assert_eq!(sim.max_puts, share.min(3), "share {share}");
    }
    // Another engine's file ends, and this one's share grows: the next parts use it at once.
    let mut sim = Sim::new(Options {
        part_size: 5 * MIB,
        ..Options::default()
    });
    sim.engine.set_connections(1, 0);
    let f = sim.add(60 * MIB);
    sim.run(1_000);
    assert_eq!(sim.max_puts, 1);
    sim.engine.set_connections(6, sim.now);
    sim.pump();
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert_eq!(
        sim.max_puts, 3,
        "the concurrency asked for, once the share allows it"
    );
}

#[test]
fn parts_go_before_their_digest_only_where_etags_are_md5s() {
    // What lets the driver hash at the upload's pace: no call of these parts waits for an MD5.
    // Each: options, whether the server's ETags are MD5s, and the answer once parts are going.
    let cases = [
        (opts(), true, true),
        (opts(), false, false),
        (chunks(), true, false),
    ];
    for (options, etag_md5, want) in cases {
        let mut sim = Sim::new(options);
        sim.etag_md5 = etag_md5;
        let f = sim.add(12 * MIB);
        assert!(
            !sim.engine.sent_before_digest(f),
            "not while start is in flight"
        );
        while !sim
            .kinds()
            .iter()
            .any(|k| matches!(k, RequestKind::Put { .. } | RequestKind::Upload { .. }))
        {
            sim.step();
        }
        assert_eq!(sim.engine.sent_before_digest(f), want, "{etag_md5} {want}");
        sim.run(600_000);
        assert_eq!(sim.stored_of(f), sim.file_of(f));
        assert!(!sim.engine.sent_before_digest(f), "not once done");
    }
}
