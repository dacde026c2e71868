//! Complete sent ahead of the last parts' answers (`await_parts`): when it goes, what it lists,
//! and what happens when it fails, a PUT goes again, or the upload pauses.

use crate::opts::{chunks, no_md5, opts};
use crate::sim::*;
use serde_json::{Value, json};
use skiff_engine::{Body, Options, RequestId, RequestKind};

/// A sim standing in for skiff-server: part ETags are MD5s and complete may go ahead.
fn held(options: Options) -> Sim {
    let mut sim = Sim::new(Options {
        concurrency: 2,
        ..options
    });
    sim.etag_md5 = true;
    sim.await_parts = true;
    sim
}

/// Each complete sent: its id, when it went, and its body.
fn completes(sim: &Sim) -> Vec<(RequestId, u64, Value)> {
    sim.sent
        .iter()
        .zip(&sim.sent_at)
        .filter(|(r, _)| r.kind == RequestKind::Complete)
        .map(|(r, at)| match &r.body {
            Body::Json { value, .. } => (r.id, *at, value.clone()),
            _ => panic!("complete without a JSON body"),
        })
        .collect()
}

/// The last PUT sent, and when it was answered.
fn last_put(sim: &Sim) -> (RequestId, u64) {
    let put = sim.sent.iter().rev().find(|r| r.method == "PUT").unwrap();
    let at = sim.answered_at.iter().rev().find(|(r, _)| *r == put.id);
    (put.id, at.map_or(u64::MAX, |(_, at)| *at))
}

#[test]
fn complete_goes_with_the_last_parts_and_answers_as_they_land() {
    let mut sim = held(opts());
    let f = sim.add(12 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let [(id, at, body)] = &completes(&sim)[..] else {
        panic!("one complete: {:?}", completes(&sim))
    };
    let (_, last) = last_put(&sim);
    assert!(
        *at < last,
        "it went at {at}, before the last PUT's answer at {last}"
    );
    // The server answered it as the last part landed, not a round trip after its answer.
    assert!(sim.answered(*id) <= last + 1);
    assert_eq!(body["await_parts"], json!(true));
    // Done parts with the ETag their PUT answered, the rest with their digest.
    let data = sim.file_of(f);
    let etags: Vec<&str> = body["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["etag"].as_str().unwrap())
        .collect();
    assert_eq!(etags[0], format!("\"e1-{}\"", 5 * MIB));
    assert_eq!(etags[2], hex::encode(md5_of(&data[10 * MIB as usize..])));
    assert_eq!(sim.progress_of(f).last(), Some(&(12 * MIB)));

    // Without the offer, complete waits for the last answer and takes its own round trip.
    let mut sim = held(opts());
    sim.await_parts = false;
    let f = sim.add(12 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let [(id, at, body)] = &completes(&sim)[..] else {
        panic!()
    };
    let (_, last) = last_put(&sim);
    assert!(*at >= last && sim.answered(*id) >= last + sim.latency_ms);
    assert!(body.get("await_parts").is_none(), "{body}");
}

#[test]
fn without_integrity_checks_it_lists_nothing_and_the_parts_add_up() {
    let mut sim = held(no_md5());
    let f = sim.add(12 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let [(_, at, body)] = &completes(&sim)[..] else {
        panic!()
    };
    assert!(
        *at < last_put(&sim).1,
        "{at} {:?} {:?}",
        last_put(&sim),
        sim.kinds()
    );
    assert_eq!(body["await_parts"], json!(true));
    assert!(body.get("parts").is_none(), "{body}");
}

#[test]
fn it_needs_etags_that_are_md5s() {
    // A server that offers it but whose ETags are not MD5s: nothing to list for a part on the
    // wire, so complete goes as usual.
    let mut sim = held(opts());
    sim.etag_md5 = false;
    let f = sim.add(12 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let [(_, _, body)] = &completes(&sim)[..] else {
        panic!()
    };
    assert!(body.get("await_parts").is_none(), "{body}");
}

#[test]
fn a_failed_complete_ahead_leaves_complete_for_later() {
    // Its connection breaks, parts still on the wire: they go on, and an ordinary complete
    // follows the last answer. No retry is reported: nothing was lost.
    let mut sim = held(opts());
    sim.once(|k| k == RequestKind::Complete, Action::Network);
    let f = sim.add(12 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let sent = completes(&sim);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0].2["await_parts"], json!(true));
    assert!(sent[0].1 < last_put(&sim).1);
    assert!(sent[1].2.get("await_parts").is_none());
    assert!(sent[1].1 >= last_put(&sim).1);
    assert!(sim.failures().is_empty() && sim.retry_reasons().is_empty());

    // The server fails it once every part is in (and answered): complete goes again at once.
    let mut sim = held(opts());
    sim.once(|k| k == RequestKind::Complete, Action::Status(503, "busy"));
    let f = sim.add(12 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let sent = completes(&sim);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1].1, sim.answered(sent[0].0), "no backoff");
    assert!(sim.failures().is_empty());
}

#[test]
fn a_put_that_goes_again_is_waited_for() {
    // The last PUT's connection breaks after complete went: its retry lands, and the complete
    // sent ahead answers then. No second complete.
    let mut sim = held(opts());
    sim.once(
        |k| k == RequestKind::Put { part: 3, offset: 0 },
        Action::Network,
    );
    let f = sim.add(12 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert_eq!(completes(&sim).len(), 1);
    assert_eq!(sim.retry_reasons().len(), 1);
}

#[test]
fn an_answer_ahead_of_a_put_checked_later_ends_the_upload() {
    // The server holds the last part, whose answer waits in the driver for its digest: the
    // complete answers first, and what is left of that PUT is aborted.
    let mut sim = held(opts());
    sim.once(
        |k| k == RequestKind::Put { part: 3, offset: 0 },
        Action::Checked(50),
    );
    let f = sim.add(12 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let put = sim
        .sent
        .iter()
        .find(|r| r.kind == RequestKind::Put { part: 3, offset: 0 })
        .unwrap();
    assert!(sim.aborted.contains(&put.id));
    assert_eq!(completes(&sim).len(), 1);
    assert_eq!(sim.progress_of(f).last(), Some(&(12 * MIB)));
}

#[test]
fn a_pause_aborts_it_and_resume_sends_it_again() {
    let mut sim = held(opts());
    sim.bytes_per_ms = 1_000;
    let f = sim.add(12 * MIB);
    while completes(&sim).is_empty() {
        sim.step();
    }
    let (early, _, _) = completes(&sim)[0];
    sim.engine.pause(f, sim.now);
    sim.pump();
    assert!(sim.aborted.contains(&early));
    sim.engine.resume(f, sim.now);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let sent = completes(&sim);
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|(_, _, b)| b["await_parts"] == json!(true)));
}

#[test]
fn a_file_of_one_part_takes_two_round_trips() {
    // Start, then its PUT and complete side by side (the digest hashed while start was on its
    // way): the answer follows the part by the server's work, not by a third round trip.
    for options in [opts(), no_md5()] {
        let mut sim = held(options);
        let f = sim.add(64 * KIB);
        sim.run(600_000);
        assert_eq!(sim.stored_of(f), sim.file_of(f));
        let put = RequestKind::Put { part: 1, offset: 0 };
        assert_eq!(
            sim.kinds(),
            [RequestKind::Start, put, RequestKind::Complete]
        );
        let at = sim.latency_ms;
        assert_eq!(sim.sent_at, [0, at, at]);
    }
}

#[test]
fn it_goes_only_on_a_free_connection() {
    // Four files at once fill the six connections: a complete that waits on the server would
    // hold one the whole time, so it goes only where one is free. In flight never passes six.
    let mut sim = Sim::new(Options {
        file_concurrency: 4,
        concurrency: 6,
        ..opts()
    });
    sim.etag_md5 = true;
    sim.await_parts = true;
    let files: Vec<_> = (0..4).map(|_| sim.add(6 * MIB)).collect();
    let mut most = 0;
    while !sim.engine.is_idle() {
        sim.step();
        most = most.max(sim.wire.len());
    }
    for f in files {
        assert_eq!(sim.stored_of(f), sim.file_of(f));
    }
    assert!(most <= 6, "{most} requests in flight");
    let ahead = completes(&sim)
        .iter()
        .filter(|c| c.2["await_parts"] == json!(true))
        .count();
    assert!(ahead > 0, "some went ahead all the same");
}

#[test]
fn intelligent_complete_goes_with_the_last_commit() {
    // Chunks and a commit per part: complete (listing nothing, with `fii`) goes as the last
    // commit does, and is answered once that commit is in, not a round trip after its answer.
    let mut sim = held(chunks());
    let f = sim.add(20 * MIB + 3);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let [(id, at, body)] = &completes(&sim)[..] else {
        panic!("one complete: {:?}", completes(&sim))
    };
    assert_eq!(body["await_parts"], json!(true));
    assert_eq!(body["fii"], json!(true));
    assert!(body.get("parts").is_none(), "{body}");
    let commits = sim.sent_where(|r| matches!(r.kind, RequestKind::Commit { .. }));
    let (last, sent) = *commits.iter().max_by_key(|c| c.1).unwrap();
    assert_eq!(*at, sent, "it went with the last commit");
    assert!(sim.answered(*id) <= sim.answered(last) + 1);
}
