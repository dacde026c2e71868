//! Intelligent ingestion and fallback: chunks, commits, shrinking, growing back.

use crate::sim::*;
use serde_json::json;
use skiff_engine::{Body, Event, Mode, Options, RequestKind};

fn opts() -> Options {
    Options {
        mode: Mode::Intelligent,
        ..Options::default()
    }
}

/// Intelligent ingestion starting with whole 8 MiB parts as chunks (filestack-js's start).
fn whole_parts() -> Options {
    Options {
        intelligent_chunk_size: 8 * MIB,
        ..opts()
    }
}

/// Whether a fallback upload switched to chunks.
fn switched(sim: &Sim) -> bool {
    sim.events
        .iter()
        .any(|e| matches!(e, Event::SwitchedToIntelligent { .. }))
}

#[test]
fn chunks_then_commit_then_complete_without_parts() {
    let mut sim = Sim::new(opts());
    let f = sim.add(20 * MIB + 3);
    // While start is in flight: the first chunk of each 8 MiB part, as they will go (2 MiB,
    // the default first chunk).
    assert_eq!(
        sim.engine.upcoming(5),
        [
            (f, 0, 2 * MIB),
            (f, 8 * MIB, 10 * MIB),
            (f, 16 * MIB, 18 * MIB)
        ]
    );
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert_eq!(sim.body_of(RequestKind::Start)["fii"], json!(true));
    let commits = sim
        .kinds()
        .iter()
        .filter(|k| matches!(k, RequestKind::Commit { .. }))
        .count();
    assert_eq!(commits, 3, "8 + 8 + 4 MiB parts");
    let complete = sim.body_of(RequestKind::Complete);
    assert_eq!(complete["fii"], json!(true));
    assert!(complete.get("parts").is_none());
    let upload = sim.body_of(RequestKind::Upload { part: 3, offset: 0 });
    assert_eq!(
        (upload["fii"].clone(), upload["offset"].clone()),
        (json!(true), json!(0))
    );
    assert!(matches!(
        sim.events[0],
        Event::Started {
            intelligent: true,
            ..
        }
    ));
}

#[test]
fn a_failing_chunk_is_resent_from_the_same_offset_at_half_size() {
    let mut sim = Sim::new(Options {
        concurrency: 1,
        ..whole_parts()
    });
    let mut failures = 0;
    sim.script(move |req, _| match (req.kind, &req.body) {
        (RequestKind::Put { .. }, Body::Slice { start, end, .. })
            if end - start > 2 * MIB && failures < 5 =>
        {
            failures += 1;
            Action::Network
        }
        _ => Action::Serve,
    });
    let f = sim.add(8 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let lens = sim.put_lengths();
    assert_eq!(
        &lens[..3],
        &[8 * MIB, 4 * MIB, 2 * MIB],
        "halved after each failure: {lens:?}"
    );
    // The offsets of the re-sends start where the failed chunk started.
    let offsets: Vec<u64> = sim
        .sent
        .iter()
        .filter_map(|r| match r.kind {
            RequestKind::Put { offset, .. } => Some(offset),
            _ => None,
        })
        .collect();
    assert_eq!(&offsets[..3], &[0, 0, 0]);
    let sizes: Vec<Option<u64>> = sim
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Retrying { chunk_size, .. } => Some(*chunk_size),
            _ => None,
        })
        .collect();
    assert_eq!(&sizes[..2], &[Some(4 * MIB), Some(2 * MIB)]);
    // After fast 2 MiB chunks the size grew again, met the bad link, and shrank back.
    assert!(sizes[2..].iter().all(|s| *s == Some(2 * MIB)), "{sizes:?}");
}

#[test]
fn shrinks_to_the_minimum_then_fails_clearly() {
    let mut sim = Sim::new(Options {
        retry: 20,
        ..opts()
    });
    sim.script(|req, _| {
        if matches!(req.kind, RequestKind::Put { .. }) {
            Action::Status(502, "bad gateway")
        } else {
            Action::Serve
        }
    });
    sim.add(MIB);
    sim.run(3_600_000);
    let lens = sim.put_lengths();
    assert_eq!(
        lens,
        [MIB, 512 * KIB, 256 * KIB, 128 * KIB, 64 * KIB, 32 * KIB]
    );
    let f = sim.failures();
    assert_eq!(f.len(), 1);
    assert!(
        f[0].contains("smallest size (32768 bytes)") && f[0].contains("HTTP 502"),
        "{f:?}"
    );
}

#[test]
fn shrinks_on_a_bad_link_then_grows_back_when_it_heals() {
    // A link that cuts every connection carrying more than 256 KiB for the first 60 s.
    let mut sim = Sim::new(Options {
        concurrency: 1,
        chunk_target_ms: 8_000,
        ..opts()
    });
    sim.bytes_per_ms = 1_000; // 1 MB/s: an 8 MiB chunk takes ~8.4 s, over the target
    sim.script(|req, sim| match (req.kind, &req.body) {
        (RequestKind::Put { .. }, Body::Slice { start, end, .. })
            if sim.now < 60_000 && end - start > 256 * KIB =>
        {
            Action::Network
        }
        _ => Action::Serve,
    });
    // Two lanes (concurrency 1 allows two chunks in flight) carry 40 MiB before the link heals.
    let f = sim.add(72 * MIB);
    sim.run(3_600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let lens = sim.put_lengths();
    let smallest = *lens.iter().min().unwrap();
    assert_eq!(smallest, 256 * KIB, "{lens:?}");
    let last_quarter = &lens[lens.len() * 3 / 4..];
    assert!(
        last_quarter.iter().any(|l| *l >= 2 * MIB),
        "chunks grew back after the link healed: {lens:?}"
    );
    assert!(lens.iter().all(|l| *l <= 8 * MIB));
}

#[test]
fn fallback_switches_to_chunks_on_the_first_failed_put() {
    let mut sim = Sim::new(Options {
        mode: Mode::Fallback,
        concurrency: 1,
        ..Options::default()
    });
    let mut failed = false;
    sim.script(move |req, _| match req.kind {
        RequestKind::Put { part: 2, offset: 0 } if !failed => {
            failed = true;
            Action::Network
        }
        _ => Action::Serve,
    });
    let f = sim.add(20 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert!(switched(&sim));
    let complete = sim.body_of(RequestKind::Complete);
    assert_eq!(complete["fii"], json!(true));
    let listed: Vec<u64> = complete["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["part_number"].as_u64().unwrap())
        .collect();
    assert_eq!(
        listed,
        [1],
        "part 1 went the regular way; 2 and 3 were committed"
    );
    assert!(sim.kinds().contains(&RequestKind::Commit { part: 2 }));
    assert!(sim.kinds().contains(&RequestKind::Commit { part: 3 }));
}

#[test]
fn a_chunk_or_fallback_part_altered_on_the_way_goes_again_as_it_was() {
    const ALTERED: &str = r#"{"error":{"code":"md5_mismatch","message":"bytes differ"}}"#;
    // A chunk: the same offset and size again; the chunk controller learns nothing from it.
    let mut sim = Sim::new(Options {
        concurrency: 1,
        ..whole_parts()
    });
    sim.once(
        |k| matches!(k, RequestKind::Put { part: 1, offset: 0 }),
        Action::Status(400, ALTERED),
    );
    let f = sim.add(8 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert_eq!(&sim.put_lengths()[..2], &[8 * MIB, 8 * MIB]);
    assert!(
        sim.events.iter().any(
            |e| matches!(e, Event::Retrying { chunk_size, .. } if *chunk_size == Some(8 * MIB))
        )
    );

    // A fallback upload's whole part: sent again whole, without switching to chunks.
    let mut sim = Sim::new(Options {
        mode: Mode::Fallback,
        concurrency: 1,
        ..Options::default()
    });
    sim.once(
        |k| matches!(k, RequestKind::Put { part: 2, .. }),
        Action::Status(400, ALTERED),
    );
    let f = sim.add(20 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert!(!switched(&sim));
    assert_eq!(sim.retry_reasons().len(), 1);
}

#[test]
fn fallback_without_server_support_stays_regular() {
    let mut sim = Sim::new(Options {
        mode: Mode::Fallback,
        ..Options::default()
    });
    sim.confirm_fii = false;
    let mut failed = false;
    sim.script(move |req, _| match req.kind {
        RequestKind::Put { part: 1, .. } if !failed => {
            failed = true;
            Action::Network
        }
        _ => Action::Serve,
    });
    let f = sim.add(13 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert!(!switched(&sim));
    assert!(sim.body_of(RequestKind::Complete).get("fii").is_none());
    assert_eq!(
        sim.put_lengths().iter().filter(|l| **l == 6 * MIB).count(),
        3,
        "6 MiB regular parts, one re-sent"
    );
}

#[test]
fn fallback_parts_in_flight_at_the_switch_come_back_as_chunks() {
    let mut sim = Sim::new(Options {
        mode: Mode::Fallback,
        concurrency: 2,
        ..Options::default()
    });
    // Both first PUTs (parts 1 and 2, in flight together) fail once.
    let mut failed = std::collections::HashSet::new();
    sim.script(move |req, _| match req.kind {
        RequestKind::Put { part, offset: 0 } if part <= 2 && failed.insert(part) => Action::Network,
        _ => Action::Serve,
    });
    let f = sim.add(16 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert!(sim.kinds().contains(&RequestKind::Commit { part: 1 }));
    assert!(sim.kinds().contains(&RequestKind::Commit { part: 2 }));
    assert!(
        sim.body_of(RequestKind::Complete).get("parts").is_none(),
        "no part went the regular way"
    );
}

/// 24 MiB over a link that carries 1 MiB/s per connection and cuts every connection 3 s after
/// it opens (the issue's measured case; skiff took 26 s there when it halved from 8 MiB one cut
/// at a time). Three parts go in parallel; the ideal is 8 s.
fn cut_link(initial_chunk: Option<u64>) -> (Sim, skiff_engine::FileId) {
    let mut sim = Sim::new(Options {
        intelligent_chunk_size: initial_chunk.unwrap_or(opts().intelligent_chunk_size),
        ..opts()
    });
    sim.bytes_per_ms = 1_048; // 1 MiB/s per connection
    sim.script(|req, _| match req.kind {
        RequestKind::Put { .. } => Action::CutAfter(3_000),
        _ => Action::Serve,
    });
    let f = sim.add(24 * MIB);
    sim.run(600_000);
    (sim, f)
}

#[test]
fn a_link_that_cuts_connections_is_learnt_at_the_first_cut() {
    let (sim, f) = cut_link(Some(8 * MIB));
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert!(sim.failures().is_empty(), "{:?}", sim.failures());
    // One round of 8 MiB chunks is cut at 3 s; then chunks of about 1.2 MiB, each well within
    // a connection's life (halving would have sent 4 MiB chunks, cut again, before 2 MiB ones
    // passed).
    let puts = sim.put_lengths();
    let big = puts.iter().filter(|&&l| l > 3 * MIB).count();
    assert_eq!(big, 3, "only the first round is too big: {puts:?}");
    // Once chunks pass, each part's rest is split into two lanes: six connections, not three.
    assert_eq!(sim.max_in_flight, 6);
    assert!(
        sim.now < 10_000,
        "24 MiB in {} ms (the first cut's 3 s, then 4 s at six connections' 6 MiB/s)",
        sim.now
    );
}

#[test]
fn the_default_first_chunk_fits_a_link_that_cuts_connections() {
    let (sim, f) = cut_link(None);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert!(sim.failures().is_empty(), "{:?}", sim.failures());
    // 2 MiB chunks take 2 s of a connection's 3: none is cut, and once the first have passed
    // the parts are split into lanes.
    assert!(sim.put_lengths().iter().all(|&l| l <= 2 * MIB));
    assert_eq!(sim.max_in_flight, 6);
    assert!(sim.now < 7_000, "24 MiB in {} ms", sim.now);
}

#[test]
fn a_clean_link_with_whole_part_chunks_keeps_one_chunk_per_part() {
    let mut sim = Sim::new(whole_parts());
    sim.bytes_per_ms = 1_048;
    let f = sim.add(24 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert_eq!(sim.max_in_flight, 3, "the concurrency asked for");
    assert!(sim.put_lengths().iter().all(|&l| l == 8 * MIB));
}

#[test]
fn a_clean_link_grows_the_default_first_chunk_back_to_whole_parts() {
    let mut sim = Sim::new(opts());
    sim.bytes_per_ms = 10_480; // 10 MiB/s per connection
    let f = sim.add(64 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let puts = sim.put_lengths();
    assert_eq!(puts[0], 2 * MIB);
    assert!(
        puts.windows(2).all(|w| w[0] <= w[1]),
        "never shrinks: {puts:?}"
    );
    assert_eq!(puts.last(), Some(&(8 * MIB)), "{puts:?}");
}

#[test]
fn a_small_first_chunk_grows_only_as_far_as_the_link_lets_it() {
    let (sim, f) = cut_link(Some(MIB));
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let puts = sim.put_lengths();
    // Growing from 1 MiB knows nothing of cuts yet: one round grows into them, and is the last.
    let big = puts.iter().filter(|&&l| l > 3 * MIB).count();
    assert!(
        big <= 3,
        "one round outgrows a connection's life, no more: {puts:?}"
    );
    assert!(sim.now < 12_000, "24 MiB in {} ms (ideal 8 s)", sim.now);
}

#[test]
fn lanes_survive_a_pause_and_each_part_commits_once_all_its_bytes_are_in() {
    let mut sim = Sim::new(opts());
    sim.bytes_per_ms = 1_048;
    sim.script(|req, _| match req.kind {
        RequestKind::Put { .. } => Action::CutAfter(3_000),
        _ => Action::Serve,
    });
    let f = sim.add(24 * MIB);
    // Run until lanes are at work (more PUTs on the wire than parts), then pause and resume.
    while sim.max_in_flight <= 3 {
        sim.step();
    }
    sim.engine.pause(f, sim.now);
    sim.pump();
    sim.now += 10_000;
    sim.engine.resume(f, sim.now);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert!(sim.failures().is_empty(), "{:?}", sim.failures());
    let progress = sim.progress_of(f);
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    assert_eq!(progress.last(), Some(&(24 * MIB)));
    // One commit per part, each once every lane was in (the fake server joins the chunks it
    // holds at commit: an early commit would have stored a short part, and the bytes differ).
    let commits: Vec<_> = sim
        .kinds()
        .into_iter()
        .filter(|k| matches!(k, RequestKind::Commit { .. }))
        .collect();
    assert_eq!(commits.len(), 3, "{commits:?}");
}

#[test]
fn lanes_keep_to_the_engines_share_of_the_connections() {
    let mut sim = Sim::new(opts());
    sim.engine.set_connections(2, 0);
    sim.bytes_per_ms = 1_048;
    sim.script(|req, _| match req.kind {
        RequestKind::Put { .. } => Action::CutAfter(3_000),
        _ => Action::Serve,
    });
    let f = sim.add(24 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert!(sim.failures().is_empty(), "{:?}", sim.failures());
    // Alone on this link the parts split into six lanes (see the tests above); with a share of
    // two, two requests at most.
    assert_eq!(sim.max_in_flight, 2);
}
