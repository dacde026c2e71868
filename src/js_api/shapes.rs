//! The JS shapes of the upload driver's typed values, as filestack-js gives them to apps:
//! progress (`{totalPercent, totalBytes, totalSize, speed, eta, files}`), retries, stored files
//! and `{status: "Failed", filename, error, code}`. The JS API and the picker's bridge use these;
//! nothing below them builds app-facing JSON.

use crate::upload::events::{FileOutcome, Finished, Progress, Retry};
use serde_json::{Map, Value, json};
use skiff_engine::FileResult;

/// Progress in filestack-js's shape (whole percents), plus Skiff's speed and ETA. Files are keyed
/// by name, as filestack-js does; two files of one name share an entry.
pub(crate) fn progress(p: &Progress) -> Value {
    let mut files = Map::new();
    for f in &p.files {
        files.insert(
            f.name.clone(),
            json!({ "totalPercent": f.percent.floor(), "totalBytes": f.bytes }),
        );
    }
    json!({
        "totalPercent": p.total_percent.floor(),
        "totalBytes": p.total_bytes,
        "totalSize": p.total_size,
        "speed": p.speed_bps.round(),
        "eta": p.eta_ms,
        "files": files,
    })
}

/// `onRetry`'s argument.
pub(crate) fn retry(r: &Retry) -> Value {
    json!({
        "filename": r.filename, "request": r.request.to_string(), "attempt": r.attempt,
        "delay": r.delay_ms, "reason": r.reason, "chunkSize": r.chunk_size,
    })
}

/// A stored file, as `upload()` resolves to it.
pub(crate) fn stored(r: &FileResult) -> Value {
    json!({
        "handle": r.handle, "url": r.url, "filename": r.filename, "size": r.size, "mimetype": r.mimetype,
        "status": r.status, "key": r.key, "container": r.container, "uploadTags": r.upload_tags,
    })
}

/// One entry of `UploadTask.done()`: the stored file, or `{status: "Failed", filename, error,
/// code}` (code `"cancelled"` for a cancelled file, which the JS entry turns into its Error).
pub(crate) fn finished(f: &Finished) -> Value {
    let failed = |error: &str, code: Option<&str>| json!({ "status": "Failed", "filename": f.filename, "error": error, "code": code });
    match &f.outcome {
        FileOutcome::Stored(r) => stored(r),
        FileOutcome::Failed(e) => failed(&e.message, e.code.as_deref()),
        FileOutcome::Cancelled => failed("the upload was cancelled", Some("cancelled")),
    }
}
