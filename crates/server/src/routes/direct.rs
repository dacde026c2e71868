//! Regular multipart uploads to a storage that takes parts itself (an S3 bucket): start opens a
//! multipart upload of the final object, `/multipart/upload` answers with a presigned URL of
//! the bucket instead of the server's part route, and complete completes it there. Nothing of
//! the file passes through the server. Intelligent ingestion, empty files and storages without
//! direct uploads keep taking parts through the server (docs/protocol.md §3.8).

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::session;
use crate::state::{PartRecord, Session};
use crate::storage::DirectUpload;
use skiff_protocol::ErrorCode;
use skiff_protocol::wire::{PartRef, UploadRequest, UploadResponse};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long a presigned part URL stays valid: as long as the server's own part URLs.
const PART_URL_LIFETIME: Duration = Duration::from_secs(3600);

/// Opens the storage's multipart upload for a new session when its parts can go straight to
/// the storage; `None` when they come through the server.
pub(super) async fn begin(
    state: &AppState,
    app: &str,
    handle: &str,
    size: u64,
    fii: bool,
) -> ApiResult<Option<DirectUpload>> {
    let Some(direct) = state.intake(app).direct() else {
        return Ok(None);
    };
    // An intelligent upload's chunks are assembled by the server; an empty file has no part
    // to send (S3 cannot complete a multipart upload without one).
    if fii || size == 0 {
        return Ok(None);
    }
    Ok(Some(direct.start_direct(handle).await?))
}

/// Aborts the storage's upload of a session that could not be recorded.
pub(super) async fn forget(state: &AppState, app: &str, upload: &DirectUpload) {
    if let Some(direct) = state.intake(app).direct() {
        if let Err(e) = direct.abort_direct(upload).await {
            tracing::warn!(object = %upload.name, error = %e, "could not abort a direct upload; the bucket's lifecycle rules must");
        }
    }
}

/// The presigned URL and headers of one part of `sess`, whose parts go to `upload`.
pub(super) async fn presign(
    state: &AppState,
    sess: &Session,
    upload: &DirectUpload,
    req: &UploadRequest,
) -> ApiResult<UploadResponse> {
    if req.fii {
        return Err(ApiError::invalid(
            "fii",
            "cannot be set here: this upload sends whole parts straight to the storage; ask for intelligent ingestion at start",
        ));
    }
    let slot = session::slot(sess, req.part, req.size, None, false, req.md5.as_deref())?;
    let direct = super::edge::upload_storage(state, sess)?
        .direct()
        .ok_or_else(gone)?;
    // The size asked for, so that complete can check the parts hold the file before the
    // storage joins them for good.
    let asked = PartRecord {
        part: slot.part,
        size: slot.size,
        etag: None,
        pieces: Vec::new(),
    };
    state.state().put_part(&sess.id, &asked).await?;
    let part = direct
        .presign_part(upload, slot.part, slot.md5, PART_URL_LIFETIME)
        .await?;
    Ok(UploadResponse {
        url: part.url.to_string(),
        headers: part.headers.into_iter().collect::<BTreeMap<_, _>>(),
        // The bucket's parts are out of sight: a direct upload keeps its own record of them.
        held: None,
    })
}

/// Completes `upload` in the storage with the parts the client `listed`, checking that they
/// hold the session's size; the object then exists under `upload.name`.
pub(super) async fn finish(
    state: &AppState,
    sess: &Session,
    upload: &DirectUpload,
    listed: Option<&[PartRef]>,
) -> ApiResult<()> {
    let asked = state.state().parts(&sess.id).await?;
    let etags = session::plan_direct(sess, listed, &asked)?;
    let storage = super::edge::upload_storage(state, sess)?;
    let direct = storage.direct().ok_or_else(gone)?;
    let size = direct
        .complete_direct(upload, &etags)
        .await
        .map_err(|e| match e {
            crate::storage::StorageError::NotFound { .. } => ApiError::bad(
                ErrorCode::UnknownUpload,
                format!(
                    "upload {:?} was aborted in the storage; start a new one",
                    sess.id
                ),
            ),
            e => e.into(),
        })?;
    if size != sess.size {
        // Other bytes were sent than were asked for. They cannot become the file, and the
        // parts went with the completed upload.
        let _ = storage.delete(&upload.name).await;
        return Err(ApiError::bad(
            ErrorCode::IncompleteUpload,
            format!(
                "the {} parts sent hold {size} bytes but the file is {} bytes; start a new upload",
                etags.len(),
                sess.size
            ),
        ));
    }
    Ok(())
}

/// A session opened for direct uploads on a server whose storage no longer offers them (its
/// config changed between start and now).
fn gone() -> ApiError {
    ApiError::bad(
        ErrorCode::UnknownUpload,
        "this upload was started for another storage; start a new one",
    )
}
