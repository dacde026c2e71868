//! One more regular part on the wire once the first PUTs show a fast link (`widen.rs`): only
//! then, only where the app left `concurrency` to Skiff, within the connections, and back for
//! good at the first failure.

use crate::sim::*;
use skiff_engine::{Options, RequestKind};

/// 50 MB/s per connection: a 6 MiB part takes about 150 ms (a 1 Gbit/s link shared by three).
const FAST: u64 = 50_000;

/// The PUTs on the wire when each PUT left, with the time it left.
fn puts_on_the_wire(sim: &Sim) -> Vec<(u64, usize)> {
    let answered = |i: usize| {
        let id = sim.sent[i].id;
        sim.answered_at
            .iter()
            .find(|(r, _)| *r == id)
            .map_or(u64::MAX, |(_, at)| *at)
    };
    let puts: Vec<(u64, u64)> = (0..sim.sent.len())
        .filter(|&i| matches!(sim.sent[i].kind, RequestKind::Put { .. }))
        .map(|i| (sim.sent_at[i], answered(i)))
        .collect();
    puts.iter()
        .map(|&(at, _)| {
            let on = puts.iter().filter(|&&(s, e)| s <= at && at < e).count();
            (at, on)
        })
        .collect()
}

/// One file of `size` bytes at `bytes_per_ms` per connection, after `setup`; stored intact.
fn upload_with(
    options: Options,
    bytes_per_ms: u64,
    size: u64,
    setup: impl FnOnce(&mut Sim),
) -> Sim {
    let mut sim = Sim::new(options);
    sim.bytes_per_ms = bytes_per_ms;
    setup(&mut sim);
    let f = sim.add(size);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    sim
}

fn upload(options: Options, bytes_per_ms: u64) -> Sim {
    upload_with(options, bytes_per_ms, 120 * MIB, |_| {})
}

#[test]
fn a_fast_link_gets_a_fourth_part_on_the_wire_after_three_quick_puts() {
    let sim = upload(Options::default(), FAST);
    assert_eq!(sim.max_puts, 4);
    let on = puts_on_the_wire(&sim);
    assert!(
        on.iter().take(3).all(|&(_, n)| n <= 3),
        "three until the evidence is in: {on:?}"
    );
    // The asks ahead still fit beside the four PUTs.
    assert!(sim.max_in_flight <= 6, "{}", sim.max_in_flight);
}

#[test]
fn a_put_is_timed_to_its_answer_not_to_the_digest_it_waited_for() {
    // Each answer reaches the driver after about 150 ms and waits 600 ms more for its part's
    // MD5: timed to the outcome, the first PUTs would look slow.
    let sim = upload_with(Options::default(), FAST, 120 * MIB, |sim| {
        sim.script(|r, _| match r.kind {
            RequestKind::Put { .. } => Action::Checked(600),
            _ => Action::Serve,
        });
    });
    assert_eq!(sim.max_puts, 4);
}

#[test]
fn a_slow_link_a_number_the_app_chose_or_a_smaller_share_keep_their_count() {
    // 10 MB/s per connection: a 6 MiB part takes over half a second.
    assert_eq!(upload(Options::default(), 10_000).max_puts, 3);
    let chosen = Options {
        concurrency: 3,
        widen: false,
        ..Options::default()
    };
    assert_eq!(upload(chosen, FAST).max_puts, 3);
    let shared = upload_with(Options::default(), FAST, 120 * MIB, |sim| {
        sim.engine.set_connections(3, 0);
    });
    assert_eq!(shared.max_puts, 3, "the engine's share of the connections");
}

#[test]
fn the_first_failure_goes_back_to_the_concurrency_asked_for() {
    // The tenth PUT (well after widening) breaks on the way.
    let sim = upload_with(Options::default(), FAST, 240 * MIB, |sim| {
        let mut puts = 0;
        sim.script(move |r, _| match r.kind {
            RequestKind::Put { .. } => {
                puts += 1;
                if puts == 10 {
                    Action::Network
                } else {
                    Action::Serve
                }
            }
            _ => Action::Serve,
        });
    });
    let on = puts_on_the_wire(&sim);
    let failed_at = on[9].0;
    assert!(
        on[..9].iter().any(|&(_, n)| n == 4),
        "widened before: {on:?}"
    );
    // Once the PUTs on the wire when it failed have ended (each takes about 150 ms), three.
    let after: Vec<_> = on.iter().filter(|&&(at, _)| at > failed_at + 400).collect();
    assert!(
        after.len() > 5 && after.iter().all(|&&(_, n)| n <= 3),
        "{after:?}"
    );
}
