//! [`HashAhead`] and [`EtagChecks`] against the real engine: a small driver loop on a virtual
//! clock does what `driver.rs` does in the browser (upload calls that need a digest go through
//! `request`, or go without it where the server's ETags are MD5s; the hasher takes the digests
//! that answers wait for, then `next` of the engine's `upcoming` ranges; a landed digest releases
//! its calls and its checked answers) while a fake server answers. Hashing is slower than the
//! network, so calls do wait for their digest, and a broken connection makes the intelligent
//! engine re-plan smaller chunks, so digests go stale. Whatever happens, every call that carries
//! a digest carries its own range's, every part sent without one is checked against it before
//! the engine hears of it, and a range is hashed again only after its digest went out with a
//! call (that call failed and the range is asked for once more), never while its digest is held
//! or being computed.

use super::{HashAhead, Range};
use crate::upload::etag_check::{EtagChecks, admit, stored_answer};
use crate::web::md5::digest_base64;
use md5::Digest as _;
use serde_json::json;
use skiff_engine::{
    Body, Engine, Event, FileSpec, Millis, Mode, Options, Outcome, Output, Request, RequestKind,
};

const MIB: u64 = 1024 * 1024;
/// Virtual time one request takes on the wire, and one digest on the page's thread (unless a
/// test hashes faster than the wire).
const WIRE_MS: Millis = 20;
const HASH_MS: Millis = 50;

/// A stand-in digest of a range: the MD5 of its description (hashing the real bytes would only
/// slow the test).
fn md5_of((file, a, b): Range) -> [u8; 16] {
    md5::Md5::digest(format!("file {} bytes {a}..{b}", file.0)).into()
}

/// The digest a range must travel with.
fn digest_of(range: Range) -> String {
    digest_base64(&md5_of(range))
}

/// What the fake server does with a PUT.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    Stored,
    /// The connection breaks.
    Reset,
    /// Stored, but the bytes arrived altered: the ETag is another MD5.
    Altered,
}

/// The fake server: skiff-server's answers, its part ETags the MD5 of the range (and said to be
/// so at start when `etag_md5`).
fn answer(req: &Request, etag_md5: bool, fate: Fate) -> Outcome {
    let ok = |body: serde_json::Value| Outcome::Response {
        status: 200,
        body: body.to_string(),
        etag: None,
    };
    let sent = match &req.body {
        Body::Json { value, .. } => value.clone(),
        _ => serde_json::Value::Null,
    };
    match (req.kind, &req.body) {
        (RequestKind::Start, _) => {
            let mut body = json!({
                "uri": "/u1", "region": "r", "upload_id": "u1", "location_url": "loc.test",
                "upload_type": if sent["fii"] == json!(true) { "intelligent_ingestion" } else { "" },
            });
            if etag_md5 {
                body["part_etag"] = json!("md5");
            }
            ok(body)
        }
        (RequestKind::Upload { .. }, _) => ok(json!({
            "url": "https://loc.test/multipart/part/u1?grant=g", "headers": {},
        })),
        (RequestKind::Put { part, offset }, _) if fate == Fate::Reset => {
            Outcome::Network(format!("connection reset (part {part}, offset {offset})"))
        }
        (RequestKind::Put { .. }, Body::Slice { start, end, .. }) => {
            let mut md5 = md5_of((req.file, *start, *end));
            if fate == Fate::Altered {
                md5[0] ^= 1;
            }
            stored_answer(&md5)
        }
        (RequestKind::Put { .. }, _) => panic!("a PUT without a byte range"),
        (RequestKind::Commit { .. }, _) => ok(json!({})),
        // These uploads never carry on from a checkpoint.
        (RequestKind::Rejoin, _) => Outcome::Network("no resume here".into()),
        (RequestKind::Complete, _) => ok(json!({
            "handle": "H1", "url": "https://cdn.test/H1", "filename": sent["filename"],
            "size": sent["size"], "mimetype": sent["mimetype"], "status": "Stored",
        })),
    }
}

/// What one upload did.
#[derive(Debug, Default)]
struct Run {
    /// The ranges hashed, in order.
    hashed: Vec<Range>,
    /// When each PUT left, and its range.
    puts: Vec<(Millis, Range)>,
    /// The ranges whose upload call went without MD5.
    early: Vec<Range>,
    /// When the first digest landed.
    first_digest: Option<Millis>,
}

/// Uploads one file of `size` bytes, each digest taking `hash_ms`, against a server whose part
/// ETags are MD5s when `etag_md5`; `fate` decides each PUT's.
fn upload(
    options: Options,
    size: u64,
    hash_ms: Millis,
    etag_md5: bool,
    mut fate: impl FnMut(&Request) -> Fate,
) -> Run {
    let ahead = options.concurrency;
    let mut engine = Engine::new(options, 7);
    let mut now: Millis = 0;
    engine.add_file(
        FileSpec::new(
            "https://up.test",
            "key",
            "f.bin",
            "application/octet-stream",
            size,
        ),
        now,
    );
    let mut hash = HashAhead::new(1);
    let mut checks = EtagChecks::default();
    let mut hashing: Option<(Millis, Range)> = None;
    let mut run = Run::default();
    // Ranges whose digest went out with a call: only those may be hashed a second time.
    let mut released: Vec<Range> = Vec::new();
    let mut wire: Vec<(Millis, Request, Fate)> = Vec::new();
    let mut stored = false;
    for _ in 0..100_000 {
        while let Some(out) = engine.poll() {
            match out {
                Output::Send(req) => {
                    let asked = match req.body {
                        Body::Json {
                            md5_of: Some((a, b)),
                            ..
                        } => Some((req.file, a, b)),
                        _ => None,
                    };
                    if let Body::Slice { start, end, .. } = req.body {
                        run.puts.push((now, (req.file, start, end)));
                    }
                    let Some((req, digest)) = admit(req, &mut hash, &mut checks) else {
                        continue;
                    };
                    match (asked, &req.body) {
                        // Gone without its MD5: its PUT is checked.
                        (Some(range), Body::Json { md5_of: None, .. }) => run.early.push(range),
                        (Some(range), _) => {
                            assert_eq!(digest, Some(digest_of(range)), "{:?} leaves", req.kind);
                            released.push(range);
                        }
                        (None, _) => {}
                    }
                    let f = if asked.is_none() {
                        fate(&req)
                    } else {
                        Fate::Stored
                    };
                    wire.push((now + WIRE_MS, req, f));
                }
                Output::Abort(id) => {
                    wire.retain(|(_, r, _)| r.id != id);
                    hash.forget(|r: &Request| r.id == id);
                    checks.forget(id);
                }
                Output::Event(Event::FileDone { .. }) => stored = true,
                Output::Event(Event::FileFailed { error, .. }) => {
                    panic!("the upload failed: {error:?}")
                }
                Output::Event(_) => {}
            }
        }
        if stored {
            return run;
        }
        if hashing.is_none() {
            let urgent: Vec<Range> = checks.pending().collect();
            let upcoming = engine.upcoming(ahead);
            if let Some(range) = hash.next(&urgent, &upcoming, 1, true) {
                assert!(
                    !run.hashed.contains(&range) || released.contains(&range),
                    "{range:?} hashed again while its digest was held, after {:?}",
                    run.hashed
                );
                run.hashed.push(range);
                engine.hashing(range.0, range.1, range.2);
                hashing = Some((now + hash_ms, range));
            }
        }
        // The earliest of: a request ends, a digest lands, the engine's deadline.
        let next_wire = wire.iter().map(|(t, _, _)| *t).min();
        let next_hash = hashing.map(|(t, _)| t);
        let next = [next_wire, next_hash, engine.deadline()]
            .into_iter()
            .flatten()
            .min()
            .expect("stuck: nothing in flight, nothing hashing, no deadline");
        now = now.max(next);
        if next_hash == Some(next) {
            let (_, range) = hashing.take().unwrap();
            run.first_digest.get_or_insert(now);
            let digest = digest_of(range);
            if let Some((id, outcome)) = checks.landed(range, Some(&digest)) {
                engine.handle(id, outcome, now);
            }
            let wanted = engine.upcoming(ahead * 2);
            for (req, digest) in hash.hashed(range, Some(digest), &wanted) {
                assert_eq!(digest, Some(digest_of(range)), "{:?} leaves", req.kind);
                released.push(range);
                wire.push((now + WIRE_MS, req, Fate::Stored));
            }
        } else if next_wire == Some(next) {
            let i = wire.iter().position(|(t, _, _)| *t == next).unwrap();
            let (_, req, f) = wire.remove(i);
            let outcome = answer(&req, etag_md5, f);
            if let Some(outcome) = checks.answered(req.id, outcome) {
                engine.handle(req.id, outcome, now);
            }
        } else {
            engine.tick(now);
        }
    }
    panic!("the upload did not end");
}

#[test]
fn regular_parts_are_each_hashed_once_and_leave_with_their_digest() {
    let options = Options {
        part_size: 5 * MIB,
        ..Options::default()
    };
    let hashed = upload(options, 23 * MIB, HASH_MS, false, |_| Fate::Stored).hashed;
    // Five parts: 5, 5, 5, 5 and 3 MiB; hashing lags the wire, and with no failure none is
    // hashed twice.
    assert_eq!(hashed.len(), 5, "{hashed:?}");
}

#[test]
fn re_planned_chunks_drop_stale_digests_and_hash_the_new_ranges_once() {
    let options = Options {
        mode: Mode::Intelligent,
        ..Options::default()
    };
    // The first two chunk PUTs break: the engine resends from the same offset at half the size,
    // so ranges hashed ahead at the old size are never asked for.
    let mut broken = 0;
    let hashed = upload(options, 20 * MIB, HASH_MS, true, move |req| {
        let first_tries = matches!(req.kind, RequestKind::Put { .. }) && broken < 2;
        broken += usize::from(first_tries);
        if first_tries {
            Fate::Reset
        } else {
            Fate::Stored
        }
    })
    .hashed;
    let sizes: Vec<u64> = hashed.iter().map(|(_, a, b)| b - a).collect();
    assert!(
        sizes.windows(2).any(|w| w[1] < w[0]),
        "chunks shrank after the failures: {sizes:?}"
    );
}

#[test]
fn a_growing_chunk_size_keeps_the_chunks_already_hashed_and_hashes_each_byte_once() {
    let options = Options {
        mode: Mode::Intelligent,
        intelligent_chunk_size: 2 * MIB,
        ..Options::default()
    };
    let size = 40 * MIB;
    // Digests come faster than the wire carries chunks, so they are ready ahead of their calls.
    let hashed = upload(options, size, 2, false, |_| Fate::Stored).hashed;
    let sizes: Vec<u64> = hashed.iter().map(|(_, a, b)| b - a).collect();
    // Fast chunks grow the size while the next ones are hashed at the old one: those go at
    // the length they were hashed at, and every byte is read and hashed once.
    assert!(
        sizes.iter().any(|&l| l > 2 * MIB),
        "the size grew: {sizes:?}"
    );
    assert_eq!(sizes.iter().sum::<u64>(), size, "{sizes:?}");
}

#[test]
fn where_etags_are_md5s_parts_leave_before_their_digest_and_are_checked_after() {
    let options = Options {
        part_size: 5 * MIB,
        ..Options::default()
    };
    let run = upload(options.clone(), 23 * MIB, HASH_MS, true, |_| Fate::Stored);
    // The first PUTs leave without waiting for a digest (one takes HASH_MS, the call WIRE_MS).
    let first_put = run.puts[0].0;
    assert!(
        first_put < run.first_digest.unwrap(),
        "the first PUT left at {first_put} ms, the first digest landed at {:?}",
        run.first_digest
    );
    assert!(!run.early.is_empty());
    // Every part is sent once and hashed once: each answer waited for its digest, which matched.
    assert_eq!(run.puts.len(), 5, "{:?}", run.puts);
    assert_eq!(run.hashed.len(), 5, "{:?}", run.hashed);

    // Against a server that does not say so, each part's call waits for its digest.
    let run = upload(options.clone(), 23 * MIB, HASH_MS, false, |_| Fate::Stored);
    assert!(run.early.is_empty());
    assert!(run.puts[0].0 >= run.first_digest.unwrap());

    // A part whose ETag is not its MD5 is sent again, with the MD5 this time (the digest that
    // found the difference, still held: the part is not read again), so the server checks it.
    let mut altered = false;
    let run = upload(options, 23 * MIB, HASH_MS, true, move |req| {
        let first = matches!(req.kind, RequestKind::Put { part: 2, .. }) && !altered;
        altered |= first;
        if first { Fate::Altered } else { Fate::Stored }
    });
    let part2 = run.puts[1].1;
    let sends = run.puts.iter().filter(|(_, r)| *r == part2).count();
    assert_eq!(sends, 2, "{:?}", run.puts);
    assert_eq!(run.puts.len(), 6);
    assert_eq!(run.early.iter().filter(|r| **r == part2).count(), 1);
    assert_eq!(run.hashed.len(), 5, "{:?}", run.hashed);
}
