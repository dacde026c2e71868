//! `POST /multipart/resume` (Skiff, docs/protocol.md §3.9): what the server holds of an upload
//! in progress. A client that lost its page (a reload, a crash) and kept the upload's ids asks
//! this before it carries on, and sends only the parts and chunks that are missing.

use crate::AppState;
use crate::auth;
use crate::error::ApiResult;
use crate::extract::Payload;
use crate::session;
use axum::Json;
use axum::extract::State;
use skiff_protocol::wire::{HeldChunk, HeldPart, ResumeRequest, ResumeResponse};

pub(super) async fn resume(
    State(state): State<AppState>,
    Payload(req): Payload<ResumeRequest>,
) -> ApiResult<Json<ResumeResponse>> {
    // Like upload and commit: the session was authorized at start, and its app must match.
    let app = auth::app(&state, req.session.apikey.as_deref())?;
    let id = session::upload_id(&req.session)?;
    let found = state.state().session(id).await?;
    let sess = session::live_session(found, id, &app.key, state.now_ms())?;
    let mut held = ResumeResponse {
        upload_id: sess.id.clone(),
        size: sess.size,
        fii: sess.fii,
        expires_at: sess.expires_at,
        handle: sess.completed.clone(),
        direct: sess.direct.is_some(),
        parts: Vec::new(),
        chunks: Vec::new(),
        part_etag: super::multipart::part_etag(sess.direct.is_some()),
    };
    // A completed upload holds nothing more to send; a direct one's parts are in the bucket,
    // where the server does not see them (it records only the sizes it presigned).
    if held.handle.is_some() || held.direct {
        return Ok(Json(held));
    }
    held.parts = state
        .state()
        .parts(id)
        .await?
        .into_iter()
        .map(|p| HeldPart {
            part: p.part,
            size: p.size,
            etag: p.etag,
        })
        .collect();
    let committed = |part: u32| held.parts.iter().any(|p| p.part == part);
    held.chunks = state
        .state()
        .upload_chunks(id)
        .await?
        .into_iter()
        .filter(|c| !committed(c.part))
        .map(|c| HeldChunk {
            part: c.part,
            offset: c.offset,
            size: c.size,
        })
        .collect();
    Ok(Json(held))
}
