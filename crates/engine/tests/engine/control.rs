//! Pause, resume, cancel, and many files sharing the concurrency.

use crate::sim::*;
use skiff_engine::{Event, Options, Output, RequestKind};

#[test]
fn pause_aborts_in_flight_and_resume_continues() {
    let mut sim = Sim::new(Options {
        part_size: 5 * MIB,
        concurrency: 2,
        ..Options::default()
    });
    sim.bytes_per_ms = 1_000;
    let f = sim.add(20 * MIB);
    // Run until the first part is done, then pause with PUTs in flight.
    while !sim
        .events
        .iter()
        .any(|e| matches!(e, Event::PartDone { .. }))
    {
        sim.step();
    }
    let before = sim.sent.len();
    sim.engine.pause(f, sim.now);
    sim.pump();
    assert!(!sim.aborted.is_empty(), "in-flight requests were aborted");
    assert!(sim.wire.is_empty());
    assert!(sim.engine.is_idle());
    assert_eq!(
        sim.engine.deadline(),
        None,
        "a paused file waits for nothing"
    );
    sim.now += 60_000;
    sim.engine.tick(sim.now);
    sim.pump();
    assert_eq!(sim.sent.len(), before, "nothing is sent while paused");
    sim.engine.resume(f, sim.now);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert!(sim.events.iter().any(|e| matches!(e, Event::Paused { .. })));
    assert!(
        sim.events
            .iter()
            .any(|e| matches!(e, Event::Resumed { .. }))
    );
    let progress = sim.progress_of(f);
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
}

#[test]
fn cancel_stops_everything_for_that_file_only() {
    let mut sim = Sim::new(Options {
        part_size: 5 * MIB,
        ..Options::default()
    });
    sim.bytes_per_ms = 1_000;
    let a = sim.add(20 * MIB);
    let b = sim.add(6 * MIB);
    for _ in 0..6 {
        sim.step();
    }
    sim.engine.cancel(a, sim.now);
    sim.pump();
    assert!(sim.events.contains(&Event::Cancelled { file: a }));
    sim.run(600_000);
    assert_eq!(sim.stored_of(b), sim.file_of(b));
    assert!(
        !sim.events
            .iter()
            .any(|e| matches!(e, Event::FileDone { file, .. } if *file == a))
    );
    assert!(!sim.wire.iter().any(|(_, r, _)| r.file == a));
    // Late answers for aborted requests are ignored.
    if let Some(id) = sim.aborted.first() {
        sim.engine
            .handle(*id, skiff_engine::Outcome::Network("late".into()), sim.now);
        assert!(
            sim.engine
                .poll()
                .is_none_or(|o| !matches!(o, Output::Send(_)))
        );
    }
}

#[test]
fn many_files_share_the_limits() {
    let mut sim = Sim::new(Options {
        part_size: 5 * MIB,
        concurrency: 2,
        file_concurrency: 2,
        ..Options::default()
    });
    let files: Vec<_> = (0..5).map(|i| sim.add(10 * MIB + i)).collect();
    // Only two files may start at first.
    let starts = sim
        .kinds()
        .iter()
        .filter(|k| **k == RequestKind::Start)
        .count();
    assert_eq!(starts, 2);
    sim.run(3_600_000);
    for f in &files {
        assert_eq!(sim.stored_of(*f), sim.file_of(*f));
    }
    assert_eq!(sim.max_puts, 2, "at most 2 PUTs at once");
    // Besides them, at most 2 parts ask for their signed URL ahead.
    assert!(
        sim.max_in_flight <= 4,
        "at most 4 part requests at once, saw {}",
        sim.max_in_flight
    );
    // Total progress reaches 100 % and never goes back.
    let totals: Vec<u64> = sim
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Progress(p) => Some(p.total_bytes),
            _ => None,
        })
        .collect();
    assert!(totals.windows(2).all(|w| w[0] <= w[1]));
    let last = sim
        .events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Progress(p) => Some(p.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(last.total_percent, 100.0);
    assert!(last.speed_bps > 0.0);
}
