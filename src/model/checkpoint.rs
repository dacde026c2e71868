//! What the uploader keeps of an unfinished upload between page loads: the engine's
//! [`Checkpoint`] with an expiry, as one JSON string per file in IndexedDB, found again by a
//! fingerprint of the file. Written and read by hand (a few fields): serde's derived code for
//! them would cost the uploader's wasm more than this.

use serde_json::{Value, json};
use skiff_engine::{Checkpoint, Flow, Mode};
use skiff_protocol::wire::json_text;

/// How long a kept upload is worth trying where start's answer does not say how long the server
/// keeps it (`expires_in`): skiff-server's default session lifetime. A server that forgets
/// sooner refuses the upload, which then starts afresh.
pub const KEEP_MS: f64 = 24.0 * 3_600_000.0;

/// Whether an upload of `size` bytes is worth keeping for a reload. A regular upload of one part
/// is not: a reload sends its one part again either way, and keeping it would cost an IndexedDB
/// lookup before `/multipart/start`, a read of its two ends and a write or two while it runs.
/// 40 files of 64 KiB in one `multiupload` (medians of 5 calls, when the ends were still read
/// before start) took 774 ms with those, the first `/multipart/start` leaving 129 ms after the
/// call, and 596 ms with `resume: false`; kept only where it is worth it, 634 ms and 2 ms.
/// Intelligent uploads (and those that may fall back to it) are kept at any size: their chunks
/// are acknowledged one by one, so a part cut short is carried on, not sent again.
pub fn worth_keeping(mode: Mode, part_size: u64, size: u64) -> bool {
    mode != Mode::Regular || size > part_size
}

/// The key of a file's upload: the app and server, and the file by name, size, last change and
/// type. Nothing of its bytes: the key is known without reading the file, so an upload with
/// nothing kept (nearly all of them) starts after one lookup. The record holds the digest of the
/// file's first and last 64 KiB ([`Record::ends`]), compared only when there is a record, so
/// that another file of the same name, size and date, or this one changed, is not taken for it.
pub fn fingerprint(
    apikey: &str,
    upload_url: &str,
    name: &str,
    size: u64,
    last_modified: f64,
    mime: &str,
) -> String {
    json_text(&json!([
        apikey,
        upload_url,
        name,
        size,
        last_modified,
        mime
    ]))
}

/// A kept upload as stored: its checkpoint, until when it is worth trying (unix ms), and the
/// digest of the file's two ends when it began.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub checkpoint: Checkpoint,
    pub expires: f64,
    pub ends: String,
}

/// The stored form of `cp`, kept until `expires` (unix ms), for a file whose ends digest to
/// `ends`.
pub fn to_json(cp: &Checkpoint, expires: f64, ends: &str) -> String {
    let flow = match cp.flow {
        Flow::Regular => "regular",
        Flow::Intelligent => "intelligent",
        Flow::Fallback => "fallback",
    };
    json!({
        "uri": cp.uri, "region": cp.region, "upload_id": cp.upload_id, "base": cp.base,
        "location_region": cp.location_region, "flow": flow, "part_size": cp.part_size,
        "recuts": cp.recuts, "size": cp.size, "done": cp.done, "expires": expires, "ends": ends,
    })
    .to_string()
}

/// The record stored as `text`, unless it expired by `now` (unix ms) or does not read.
pub fn from_json(text: &str, now: f64) -> Option<Record> {
    let v: Value = serde_json::from_str(text).ok()?;
    let expires = v.get("expires")?.as_f64()?;
    if expires <= now {
        return None;
    }
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let n = |k: &str| v.get(k).and_then(Value::as_u64);
    let flow = match v.get("flow")?.as_str()? {
        "regular" => Flow::Regular,
        "intelligent" => Flow::Intelligent,
        "fallback" => Flow::Fallback,
        _ => return None,
    };
    let mut done = Vec::new();
    for d in v.get("done")?.as_array()? {
        let part = u32::try_from(d.get(0)?.as_u64()?).ok()?;
        done.push((part, d.get(1)?.as_str().map(str::to_owned)));
    }
    let mut recuts = Vec::new();
    for r in v.get("recuts")?.as_array()? {
        recuts.push((r.get(0)?.as_u64()?, r.get(1)?.as_u64()?));
    }
    let cp = Checkpoint {
        uri: s("uri")?,
        region: s("region")?,
        upload_id: s("upload_id")?,
        base: s("base")?,
        location_region: s("location_region"),
        flow,
        part_size: n("part_size")?,
        recuts,
        size: n("size")?,
        done,
    };
    Some(Record {
        checkpoint: cp,
        expires,
        ends: s("ends")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint(flow: Flow) -> Checkpoint {
        Checkpoint {
            uri: "/skiff/u1".into(),
            region: "eu".into(),
            upload_id: "u1".into(),
            base: "https://up.example".into(),
            location_region: Some("eu".into()),
            flow,
            part_size: 6 << 20,
            recuts: vec![(12 << 20, 32 << 20)],
            size: 13 << 20,
            done: vec![(1, Some("\"e1\"".into())), (2, None)],
        }
    }

    #[test]
    fn a_regular_upload_of_one_part_is_not_kept() {
        let part = 6 << 20;
        for size in [0, 1, part] {
            assert!(!worth_keeping(Mode::Regular, part, size), "{size} B");
            assert!(worth_keeping(Mode::Intelligent, part, size), "{size} B");
            assert!(worth_keeping(Mode::Fallback, part, size), "{size} B");
        }
        assert!(worth_keeping(Mode::Regular, part, part + 1));
    }

    #[test]
    fn a_record_reads_back_as_written_until_it_expires() {
        for flow in [Flow::Regular, Flow::Intelligent, Flow::Fallback] {
            let cp = checkpoint(flow);
            let text = to_json(&cp, 2_000.0, "ends");
            let record = Record {
                checkpoint: cp,
                expires: 2_000.0,
                ends: "ends".into(),
            };
            assert_eq!(from_json(&text, 1_999.0), Some(record));
            assert_eq!(from_json(&text, 2_000.0), None, "expired");
        }
        let mut cp = checkpoint(Flow::Regular);
        cp.location_region = None;
        let back = from_json(&to_json(&cp, 10.0, "e"), 0.0).unwrap();
        assert_eq!(back.checkpoint, cp);
    }

    #[test]
    fn what_does_not_read_is_no_checkpoint() {
        for text in ["", "[]", "{}", r#"{"expires": 5}"#, "not json"] {
            assert_eq!(from_json(text, 0.0), None, "{text}");
        }
        let text = to_json(&checkpoint(Flow::Regular), 10.0, "e");
        assert_eq!(from_json(&text.replace("regular", "sideways"), 0.0), None);
        // Kept by a version that keyed records by their ends: no digest to compare with.
        assert_eq!(from_json(&text.replace(r#","ends":"e""#, ""), 0.0), None);
    }

    #[test]
    fn fingerprints_tell_files_apart_without_reading_them() {
        let f = |name: &str, size, modified| {
            fingerprint("key", "https://up", name, size, modified, "image/png")
        };
        let base = f("a.png", 10, 1.0);
        assert_eq!(base, f("a.png", 10, 1.0));
        for other in [
            f("b.png", 10, 1.0),
            f("a.png", 11, 1.0),
            f("a.png", 10, 2.0),
            fingerprint("key", "https://up", "a.png", 10, 1.0, "image/jpeg"),
            fingerprint("key", "https://other", "a.png", 10, 1.0, "image/png"),
            fingerprint("other", "https://up", "a.png", 10, 1.0, "image/png"),
        ] {
            assert_ne!(base, other);
        }
    }
}
