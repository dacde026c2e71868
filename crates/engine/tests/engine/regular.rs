//! Regular multipart: happy paths, every failure class, out-of-order answers, 202 (what goes
//! ahead of the answers is in `ahead`).

use crate::opts::{chunks, no_md5, opts};
use crate::sim::*;
use serde_json::json;
use skiff_engine::{Event, Options, Outcome, RequestId, RequestKind};

#[test]
fn happy_path_in_parts_with_tags_and_monotonic_progress() {
    let mut sim = Sim::new(opts());
    let f = sim.add(11 * MIB + 5);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let kinds = sim.kinds();
    assert_eq!(kinds[0], RequestKind::Start);
    assert_eq!(*kinds.last().unwrap(), RequestKind::Complete);
    assert_eq!(
        kinds
            .iter()
            .filter(|k| matches!(k, RequestKind::Put { .. }))
            .count(),
        3
    );
    assert_eq!(sim.put_lengths().iter().sum::<u64>(), 11 * MIB + 5);
    let start = sim.body_of(RequestKind::Start);
    assert!(start.get("fii").is_none());
    let complete = sim.body_of(RequestKind::Complete);
    assert_eq!(complete["upload_tags"], json!({ "t": "v" }));
    assert_eq!(complete["parts"].as_array().unwrap().len(), 3);
    assert!(complete.get("fii").is_none());
    let progress = sim.progress_of(f);
    assert!(
        progress.windows(2).all(|w| w[0] <= w[1]),
        "progress went back: {progress:?}"
    );
    assert_eq!(*progress.last().unwrap(), 11 * MIB + 5);
    let done = sim.events.iter().find_map(|e| match e {
        Event::FileDone { result, .. } => Some(result.clone()),
        _ => None,
    });
    assert_eq!(done.unwrap().upload_tags.get("t"), Some("v"));
}

#[test]
fn an_empty_file_has_no_parts() {
    let mut sim = Sim::new(opts());
    let f = sim.add(0);
    sim.run(10_000);
    assert_eq!(sim.kinds(), [RequestKind::Start, RequestKind::Complete]);
    assert!(sim.stored_of(f).is_empty());
}

#[test]
fn server_errors_and_network_failures_are_retried_with_backoff() {
    let mut sim = Sim::new(opts());
    // Failures left per request: start 1 (503), part 2's upload call 2 (network), part 1's PUT 1
    // (500), complete 1 (429).
    let mut left = [1, 2, 1, 1];
    sim.script(move |req, _| {
        let (slot, action) = match req.kind {
            RequestKind::Start => (0, Action::Status(503, "busy")),
            RequestKind::Upload { part: 2, .. } => (1, Action::Network),
            RequestKind::Put { part: 1, .. } => (2, Action::Status(500, "oops")),
            RequestKind::Complete => (3, Action::Status(429, "slow down")),
            _ => return Action::Serve,
        };
        if left[slot] > 0 {
            left[slot] -= 1;
            action
        } else {
            Action::Serve
        }
    });
    let f = sim.add(11 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let retries: Vec<(RequestKind, u32, u64)> = sim
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Retrying {
                request,
                attempt,
                delay_ms,
                ..
            } => Some((*request, *attempt, *delay_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(retries.len(), 5, "{retries:?}");
    // Backoff doubles per attempt of the same request (with jitter in [half, full]).
    let part2: Vec<_> = retries
        .iter()
        .filter(|r| matches!(r.0, RequestKind::Upload { part: 2, .. }))
        .collect();
    assert_eq!(part2.iter().map(|r| r.1).collect::<Vec<_>>(), [1, 2]);
    assert!(
        (500..=1000).contains(&part2[0].2) && (1000..=2000).contains(&part2[1].2),
        "{part2:?}"
    );
}

#[test]
fn an_unreadable_range_is_retried_and_named_when_the_retries_run_out() {
    // Part 1's range cannot be read once: retried, and the upload completes.
    let mut sim = Sim::new(opts());
    sim.once(
        |k| matches!(k, RequestKind::Upload { part: 1, .. }),
        Action::Unreadable,
    );
    let f = sim.add(11 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert_eq!(
        sim.retry_reasons(),
        ["the file could not be read: NotReadableError: gone"]
    );

    // A file that stays unreadable fails, and the error says so.
    let mut sim = Sim::new(Options { retry: 2, ..opts() });
    sim.script(|req, _| match req.kind {
        RequestKind::Upload { .. } => Action::Unreadable,
        _ => Action::Serve,
    });
    sim.add(MIB);
    sim.run(600_000);
    let failures = sim.failures();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].contains("the file could not be read: NotReadableError: gone")
            && failures[0].contains("gave up after 3 tries"),
        "{failures:?}"
    );
    assert!(!sim.kinds().contains(&RequestKind::Complete));
}

/// A file of `size` bytes uploaded to a server whose part ETags are MD5s, the first PUT of
/// `part` arriving altered; the sim once the bytes are stored whole.
pub fn altered_once(part: u32, size: u64) -> Sim {
    let mut sim = Sim::new(opts());
    sim.etag_md5 = true;
    sim.once(
        move |k| matches!(k, RequestKind::Put { part: p, .. } if p == part),
        Action::Altered,
    );
    let f = sim.add(size);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    sim
}

#[test]
fn a_part_goes_before_its_md5_only_on_its_first_try_and_only_where_etags_are_md5s() {
    // A server that does not say its part ETags are MD5s (Filestack, a bucket's presigned URLs):
    // every call waits for its MD5.
    let mut sim = Sim::new(opts());
    let f = sim.add(11 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert_eq!(sim.md5_later(), [(1, false), (2, false), (3, false)]);
    assert_eq!(sim.put_checks(), [(1, false), (2, false), (3, false)]);

    // skiff-server says so: first tries may go first (part 1 with start's answer, see
    // `part_one_goes_with_starts_answer`). Part 2 comes back altered once; its second try
    // carries its MD5, and the retry names the reason.
    let sim = altered_once(2, 11 * MIB);
    assert_eq!(sim.md5_later(), [(2, true), (3, true), (2, false)]);
    assert_eq!(
        sim.retry_reasons(),
        ["the part arrived altered: its ETag is not its MD5"]
    );

    // Without integrity checks nothing is hashed, and nothing is marked to be checked later;
    // chunks (intelligent ingestion) always carry their MD5.
    for (options, size) in [(no_md5(), 6 * MIB), (chunks(), 3 * MIB)] {
        let mut sim = Sim::new(options);
        sim.etag_md5 = true;
        let f = sim.add(size);
        sim.run(600_000);
        assert_eq!(sim.stored_of(f), sim.file_of(f));
        assert!(sim.md5_later().iter().all(|(_, later)| !later));
    }
}

#[test]
fn client_errors_fail_at_once_with_the_servers_reason() {
    let mut sim = Sim::new(opts());
    sim.script(|req, _| match req.kind {
        RequestKind::Put { part: 2, .. } => Action::Status(
            400,
            r#"{"error":{"code":"size_mismatch","message":"part 2 is 6 bytes"}}"#,
        ),
        _ => Action::Serve,
    });
    sim.add(11 * MIB);
    sim.run(600_000);
    assert_eq!(
        sim.failures(),
        ["the PUT of part 2 request failed with HTTP 400 (size_mismatch): part 2 is 6 bytes"]
    );
    assert!(
        !sim.events
            .iter()
            .any(|e| matches!(e, Event::Retrying { .. }))
    );
    assert!(!sim.kinds().contains(&RequestKind::Complete));
    assert!(sim.engine.is_idle());
}

#[test]
fn a_put_refused_as_altered_on_the_way_is_sent_again() {
    // skiff-server's md5_mismatch, then S3's BadDigest (a presigned URL that signed
    // Content-MD5): the bytes changed on the way, so the part goes again, asked for anew.
    for body in [
        r#"{"error":{"code":"md5_mismatch","message":"bytes differ"}}"#,
        "<Error><Code>BadDigest</Code><Message>The Content-MD5 you specified did not match what we received.</Message></Error>",
    ] {
        let mut sim = Sim::new(opts());
        sim.once(
            |k| matches!(k, RequestKind::Put { part: 2, .. }),
            Action::Status(400, body),
        );
        let f = sim.add(11 * MIB);
        sim.run(600_000);
        assert_eq!(sim.stored_of(f), sim.file_of(f), "{body}");
        let reasons = sim.retry_reasons();
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(
            reasons[0].starts_with("the PUT of part 2 request failed with HTTP 400"),
            "{reasons:?}"
        );
        let upload_calls = |part: u32| {
            sim.kinds()
                .iter()
                .filter(|k| matches!(k, RequestKind::Upload { part: p, .. } if *p == part))
                .count()
        };
        assert_eq!(upload_calls(2), 2, "its URL asked for again");
    }
}

#[test]
fn a_part_altered_on_every_try_fails_as_damaged_once_the_retries_run_out() {
    let mut sim = Sim::new(Options { retry: 2, ..opts() });
    sim.script(|req, _| match req.kind {
        RequestKind::Put { part: 1, .. } => Action::Status(
            400,
            r#"{"error":{"code":"md5_mismatch","message":"bytes differ"}}"#,
        ),
        _ => Action::Serve,
    });
    sim.add(MIB);
    sim.run(600_000);
    let failed: Vec<_> = sim
        .events
        .iter()
        .filter_map(|e| match e {
            Event::FileFailed { error, .. } => Some(error),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].code.as_deref(), Some("md5_mismatch"));
    assert!(
        failed[0].message.contains("gave up after 3 tries"),
        "{}",
        failed[0].message
    );
}

#[test]
fn retries_run_out() {
    let mut sim = Sim::new(Options { retry: 3, ..opts() });
    sim.script(|req, _| {
        if matches!(req.kind, RequestKind::Upload { .. }) {
            Action::Network
        } else {
            Action::Serve
        }
    });
    sim.add(MIB);
    sim.run(600_000);
    let failures = sim.failures();
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].contains("/multipart/upload for part 1")
            && failures[0].contains("gave up after 4 tries"),
        "{failures:?}"
    );
}

#[test]
fn requests_time_out_and_are_aborted() {
    let mut sim = Sim::new(Options {
        timeout_ms: 5_000,
        ..opts()
    });
    let mut hung = false;
    sim.script(move |req, _| match req.kind {
        RequestKind::Put { .. } if !hung => {
            hung = true;
            Action::Hang
        }
        _ => Action::Serve,
    });
    let f = sim.add(MIB);
    sim.run(600_000);
    assert_eq!(sim.aborted.len(), 1);
    let reason = sim.events.iter().find_map(|e| match e {
        Event::Retrying { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert_eq!(reason.as_deref(), Some("no answer within 5000 ms"));
    assert_eq!(sim.stored_of(f), sim.file_of(f));
}

#[test]
fn answers_in_any_order_and_complete_lists_parts_in_order() {
    let mut sim = Sim::new(Options {
        concurrency: 4,
        ..opts()
    });
    // Later parts answer first: part n's PUT takes (5 - n) seconds longer.
    sim.script(|req, _| match req.kind {
        RequestKind::Put { part, .. } => Action::Slow(u64::from(5 - part) * 1000),
        _ => Action::Serve,
    });
    let f = sim.add(20 * MIB);
    sim.run(600_000);
    let done: Vec<u32> = sim
        .events
        .iter()
        .filter_map(|e| match e {
            Event::PartDone { part, .. } => Some(*part),
            _ => None,
        })
        .collect();
    assert_eq!(done, [4, 3, 2, 1], "answers arrived in reverse");
    let parts = sim.body_of(RequestKind::Complete)["parts"].clone();
    let numbers: Vec<u64> = parts
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["part_number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
}

#[test]
fn complete_answering_202_is_asked_again() {
    let mut sim = Sim::new(opts());
    sim.complete_202s = 2;
    let f = sim.add(MIB);
    sim.run(600_000);
    assert_eq!(
        sim.kinds()
            .iter()
            .filter(|k| **k == RequestKind::Complete)
            .count(),
        3
    );
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    assert!(
        !sim.events
            .iter()
            .any(|e| matches!(e, Event::Retrying { .. })),
        "202 is not a failure"
    );
}

#[test]
fn an_unreadable_etag_is_explained() {
    let mut sim = Sim::new(opts());
    sim.omit_etag = true;
    sim.add(MIB);
    sim.run(600_000);
    let f = sim.failures();
    assert!(
        f[0].contains("Access-Control-Expose-Headers: ETag"),
        "{f:?}"
    );
}

#[test]
fn a_bad_start_answer_is_named() {
    let mut sim = Sim::new(opts());
    sim.script(|req, _| {
        if req.kind == RequestKind::Start {
            Action::Status(200, r#"{"uri":"/u"}"#)
        } else {
            Action::Serve
        }
    });
    sim.add(MIB);
    sim.run(10_000);
    assert_eq!(
        sim.failures(),
        ["the /multipart/start request failed: the start answer lacks `region`"]
    );
}

#[test]
fn upcoming_ranges_are_the_next_md5_requests() {
    let mut sim = Sim::new(Options {
        part_size: 5 * MIB,
        concurrency: 1,
        ..Options::default()
    });
    // Another server than the app's own (Filestack's): while start is in flight, the parts as
    // they will be cut, so that part 1's MD5 is ready when start answers.
    let f = sim.add_with(12 * MIB, |spec| spec.own_server = false);
    assert_eq!(
        sim.engine.upcoming(5),
        [
            (f, 0, 5 * MIB),
            (f, 5 * MIB, 10 * MIB),
            (f, 10 * MIB, 12 * MIB)
        ]
    );
    assert_eq!(sim.engine.upcoming(2).len(), 2);
    // Let start finish: part 1 is asked for, parts 2 and 3 wait.
    while !sim
        .kinds()
        .iter()
        .any(|k| matches!(k, RequestKind::Upload { .. }))
    {
        sim.step();
    }
    assert_eq!(
        sim.engine.upcoming(5),
        [(f, 5 * MIB, 10 * MIB), (f, 10 * MIB, 12 * MIB)]
    );
    assert_eq!(sim.engine.upcoming(1).len(), 1);
    sim.run(600_000);
    assert!(sim.engine.upcoming(5).is_empty());
    let none = Sim::new(Options {
        disable_integrity_check: true,
        ..Options::default()
    });
    assert!(none.engine.upcoming(5).is_empty());
    // The app's own server signs part 1 with start's answer and takes parts before their MD5:
    // nothing is hashed while start is in flight, where it would only slow start down.
    let mut own = Sim::new(opts());
    let f = own.add(12 * MIB);
    assert!(own.engine.upcoming(5).is_empty());
    own.run(600_000);
    assert_eq!(own.stored_of(f), own.file_of(f));
}

#[test]
fn bytes_of_a_put_in_flight_move_progress_and_a_failed_put_never_takes_it_back() {
    let mut sim = Sim::new(opts());
    let size = 11 * MIB;
    let f = sim.add(size);
    let puts = |sim: &Sim| -> Vec<RequestId> {
        sim.wire
            .iter()
            .filter(|(_, r, _)| matches!(r.kind, RequestKind::Put { .. }))
            .map(|(_, r, _)| r.id)
            .collect()
    };
    while puts(&sim).len() < 2 {
        sim.step();
    }
    let (a, b) = (puts(&sim)[0], puts(&sim)[1]);
    let last = |sim: &Sim| *sim.progress_of(f).last().unwrap();
    // What the browser reports as sent shows at once, across the parts in flight.
    sim.engine.sent(a, MIB, sim.now);
    sim.pump();
    assert_eq!(last(&sim), MIB);
    sim.engine.sent(a, 3 * MIB, sim.now);
    sim.engine.sent(b, 2 * MIB, sim.now);
    sim.pump();
    assert_eq!(last(&sim), 5 * MIB);
    // More than the part (a browser counting headers) is capped at the part's length.
    sim.engine.sent(b, 9 * MIB, sim.now);
    sim.pump();
    assert_eq!(last(&sim), 8 * MIB);
    // A request the engine does not know is ignored.
    sim.engine.sent(RequestId(9_999), MIB, sim.now);
    // The first PUT's connection breaks: its bytes are sent again, the reported value stays.
    let i = sim.wire.iter().position(|(_, r, _)| r.id == a).unwrap();
    sim.wire.remove(i);
    sim.engine
        .handle(a, Outcome::Network("connection reset".into()), sim.now);
    sim.pump();
    assert_eq!(last(&sim), 8 * MIB);
    sim.run(600_000);
    assert_eq!(sim.stored_of(f), sim.file_of(f));
    let progress = sim.progress_of(f);
    assert!(
        progress.windows(2).all(|w| w[0] <= w[1]),
        "progress went back: {progress:?}"
    );
    assert_eq!(*progress.last().unwrap(), size);
}
