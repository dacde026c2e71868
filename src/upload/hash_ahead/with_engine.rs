//! [`HashAhead`] against the real engine: a small driver loop on a virtual clock does what
//! `driver.rs` does in the browser (upload calls that need a digest go through `request`, the
//! hasher takes `next` of the engine's `upcoming` ranges, a landed digest releases its calls)
//! while a fake server answers. Hashing is slower than the network, so calls do wait for their
//! digest, and a broken connection makes the intelligent engine re-plan smaller chunks, so
//! digests go stale. Whatever happens, every call leaves with its own range's digest, and a range
//! is hashed again only after its digest went out with a call (that call failed and the range is
//! asked for once more), never while its digest is held or being computed.

use super::{HashAhead, Range};
use serde_json::json;
use skiff_engine::{
    Body, Engine, Event, FileSpec, Millis, Mode, Options, Outcome, Output, Request, RequestKind,
};

const MIB: u64 = 1024 * 1024;
/// Virtual time one request takes on the wire, and one digest on the page's thread (unless a
/// test hashes faster than the wire).
const WIRE_MS: Millis = 20;
const HASH_MS: Millis = 50;

/// The digest a range must travel with.
fn digest_of((file, a, b): Range) -> String {
    format!("md5 of file {} bytes {a}..{b}", file.0)
}

/// What the fake server answers; `fail_put` breaks the connection of the PUTs it picks.
fn answer(req: &Request, fail_put: &mut dyn FnMut(&Request) -> bool) -> Outcome {
    let ok = |body: serde_json::Value| Outcome::Response {
        status: 200,
        body: body.to_string(),
        etag: None,
    };
    let sent = match &req.body {
        Body::Json { value, .. } => value.clone(),
        _ => serde_json::Value::Null,
    };
    match req.kind {
        RequestKind::Start => ok(json!({
            "uri": "/u1", "region": "r", "upload_id": "u1", "location_url": "loc.test",
            "upload_type": if sent["fii"] == json!(true) { "intelligent_ingestion" } else { "" },
        })),
        RequestKind::Upload { .. } => ok(json!({
            "url": "https://loc.test/multipart/part/u1?grant=g", "headers": {},
        })),
        RequestKind::Put { part, offset } if fail_put(req) => {
            Outcome::Network(format!("connection reset (part {part}, offset {offset})"))
        }
        RequestKind::Put { part, .. } => Outcome::Response {
            status: 200,
            body: String::new(),
            etag: Some(format!("\"e{part}\"")),
        },
        RequestKind::Commit { .. } => ok(json!({})),
        // These uploads never carry on from a checkpoint.
        RequestKind::Rejoin => Outcome::Network("no resume here".into()),
        RequestKind::Complete => ok(json!({
            "handle": "H1", "url": "https://cdn.test/H1", "filename": sent["filename"],
            "size": sent["size"], "mimetype": sent["mimetype"], "status": "Stored",
        })),
    }
}

/// Uploads one file of `size` bytes, each digest taking `hash_ms`; returns the ranges hashed,
/// in order.
fn upload(
    options: Options,
    size: u64,
    hash_ms: Millis,
    mut fail_put: impl FnMut(&Request) -> bool,
) -> Vec<Range> {
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
    let mut hashing: Option<(Millis, Range)> = None;
    let mut hashed = Vec::new();
    // Ranges whose digest went out with a call: only those may be hashed a second time.
    let mut released: Vec<Range> = Vec::new();
    let mut wire: Vec<(Millis, Request)> = Vec::new();
    let mut stored = false;
    for _ in 0..100_000 {
        while let Some(out) = engine.poll() {
            match out {
                Output::Send(req) => {
                    let range = match req.body {
                        Body::Json {
                            md5_of: Some((a, b)),
                            ..
                        } => Some((req.file, a, b)),
                        _ => None,
                    };
                    let Some(range) = range else {
                        wire.push((now + WIRE_MS, req));
                        continue;
                    };
                    if let Some((req, digest)) = hash.request(range, req) {
                        assert_eq!(digest, Some(digest_of(range)), "{:?} leaves", req.kind);
                        released.push(range);
                        wire.push((now + WIRE_MS, req));
                    }
                }
                Output::Abort(id) => {
                    wire.retain(|(_, r)| r.id != id);
                    hash.forget(|r: &Request| r.id == id);
                }
                Output::Event(Event::FileDone { .. }) => stored = true,
                Output::Event(Event::FileFailed { error, .. }) => {
                    panic!("the upload failed: {error:?}")
                }
                Output::Event(_) => {}
            }
        }
        if stored {
            return hashed;
        }
        if hashing.is_none() {
            if let Some(range) = hash.next(&engine.upcoming(ahead), 1) {
                assert!(
                    !hashed.contains(&range) || released.contains(&range),
                    "{range:?} hashed again while its digest was held, after {hashed:?}"
                );
                hashed.push(range);
                engine.hashing(range.0, range.1, range.2);
                hashing = Some((now + hash_ms, range));
            }
        }
        // The earliest of: a request ends, a digest lands, the engine's deadline.
        let next_wire = wire.iter().map(|(t, _)| *t).min();
        let next_hash = hashing.map(|(t, _)| t);
        let next = [next_wire, next_hash, engine.deadline()]
            .into_iter()
            .flatten()
            .min()
            .expect("stuck: nothing in flight, nothing hashing, no deadline");
        now = now.max(next);
        if next_hash == Some(next) {
            let (_, range) = hashing.take().unwrap();
            let wanted = engine.upcoming(ahead * 2);
            for (req, digest) in hash.hashed(range, Some(digest_of(range)), &wanted) {
                assert_eq!(digest, Some(digest_of(range)), "{:?} leaves", req.kind);
                released.push(range);
                wire.push((now + WIRE_MS, req));
            }
        } else if next_wire == Some(next) {
            let i = wire.iter().position(|(t, _)| *t == next).unwrap();
            let (_, req) = wire.remove(i);
            let outcome = answer(&req, &mut fail_put);
            engine.handle(req.id, outcome, now);
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
    let hashed = upload(options, 23 * MIB, HASH_MS, |_| false);
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
    let hashed = upload(options, 20 * MIB, HASH_MS, move |req| {
        let first_tries = matches!(req.kind, RequestKind::Put { .. }) && broken < 2;
        broken += usize::from(first_tries);
        first_tries
    });
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
    let hashed = upload(options, size, 2, |_| false);
    let sizes: Vec<u64> = hashed.iter().map(|(_, a, b)| b - a).collect();
    // Fast chunks grow the size while the next ones are hashed at the old one: those go at
    // the length they were hashed at, and every byte is read and hashed once.
    assert!(
        sizes.iter().any(|&l| l > 2 * MIB),
        "the size grew: {sizes:?}"
    );
    assert_eq!(sizes.iter().sum::<u64>(), size, "{sizes:?}");
}
