//! The JS shapes of the upload driver's typed values, as filestack-js gives them to apps:
//! progress (`{totalPercent, totalBytes, totalSize, speed, eta, files}`), retries, stored files
//! and `{status: "Failed", filename, error, code}`. The JS API and the picker's bridge use these;
//! nothing below them builds app-facing JSON.

use crate::model::failure::Failure;
use crate::upload::events::{FileOutcome, Finished, Progress, Retry};
use serde_json::{Map, Value, json};
use skiff_engine::FileResult;
use wasm_bindgen::JsValue;

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

/// A failure as the `Error` apps get (a rejected `storeURL`, `onFileUploadFailed`'s second
/// argument): the technical message (request, status and the server's code and words), with
/// `code` and `status` properties when they are known, for apps that branch on them.
pub(crate) fn error(f: &Failure) -> JsValue {
    let e = js_sys::Error::new(&f.detail);
    if let Some(code) = &f.code {
        let _ = js_sys::Reflect::set(&e, &"code".into(), &code.into());
    }
    if let Some(status) = f.status {
        let _ = js_sys::Reflect::set(&e, &"status".into(), &status.into());
    }
    e.into()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upload::events::FileProgress;
    use skiff_engine::UploadError;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn progress_has_filestack_js_keys_and_whole_percents() {
        let p = Progress {
            total_percent: 41.7,
            total_bytes: 417,
            total_size: 1000,
            speed_bps: 1234.6,
            eta_ms: None,
            files: vec![FileProgress {
                name: "a.bin".into(),
                percent: 41.7,
                bytes: 417,
            }],
        };
        let want = json!({
            "totalPercent": 41.0, "totalBytes": 417, "totalSize": 1000, "speed": 1235.0, "eta": null,
            "files": { "a.bin": { "totalPercent": 41.0, "totalBytes": 417 } },
        });
        assert_eq!(progress(&p), want);
    }

    #[wasm_bindgen_test]
    fn failures_and_cancels_are_failed_entries_with_a_code() {
        let ended = |outcome| Finished {
            filename: "x.bin".into(),
            outcome,
        };
        let error = UploadError {
            request: None,
            status: Some(500),
            code: None,
            message: "boom".into(),
        };
        assert_eq!(
            finished(&ended(FileOutcome::Failed(error))),
            json!({ "status": "Failed", "filename": "x.bin", "error": "boom", "code": null })
        );
        assert_eq!(
            finished(&ended(FileOutcome::Cancelled)),
            json!({ "status": "Failed", "filename": "x.bin", "error": "the upload was cancelled", "code": "cancelled" })
        );
    }
}
