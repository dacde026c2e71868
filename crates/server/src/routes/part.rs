//! The part `PUT` (docs/protocol.md §3.4): the URL `/multipart/upload` handed out, raw bytes in,
//! checked against the declared size and MD5, fsynced, then acknowledged with a quoted `ETag`.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::received::Kind;
use crate::session::{self, Slot};
use crate::state::{ChunkRecord, PartRecord, Session};
use crate::storage::{ByteStream, Expect, Piece};
use crate::token::{self, PartQuery};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use skiff_protocol::ErrorCode;

/// Header carrying the signed grant of one part PUT.
pub(crate) const PART_HEADER: &str = "x-skiff-part";

/// The request body as a byte stream for storage.
pub(crate) fn body_stream(body: Body) -> ByteStream {
    Box::pin(body.into_data_stream().map_err(std::io::Error::other))
}

/// `PUT /multipart/part`: the grant names the upload.
pub(super) async fn put_part(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    put(state, None, query, headers, body).await
}

/// `PUT /multipart/part/{upload_id}`: the URL per upload handed out before; a grant that names
/// an upload must name this one.
pub(super) async fn put_part_of(
    State(state): State<AppState>,
    Path(upload_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    put(state, Some(upload_id), query, headers, body).await
}

async fn put(
    state: AppState,
    in_url: Option<String>,
    query: Option<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let now = state.now_ms();
    let refused = |why: &str| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::InvalidUploadUrl,
            format!("this part upload is not valid: {why}"),
        )
    };
    // The grant travels in the `X-Skiff-Part` header that /multipart/upload hands out (one URL
    // for every part, so browsers preflight it once), or in the query string.
    let grant = headers
        .get(PART_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(query)
        .ok_or_else(|| refused("the X-Skiff-Part header from /multipart/upload is missing"))?;
    let q: PartQuery = serde_urlencoded::from_str(&grant)
        .map_err(|_| refused("the X-Skiff-Part grant is malformed"))?;
    let upload_id = match (in_url, q.upload.clone()) {
        (Some(url), Some(named)) if url != named => {
            return Err(refused("the grant is for another upload"));
        }
        (Some(id), _) | (None, Some(id)) => id,
        (None, None) => return Err(refused("the grant names no upload")),
    };
    let slot = token::verify(state.url_key(), &upload_id, &q, now).map_err(refused)?;
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len != slot.size {
            return Err(ApiError::bad(
                ErrorCode::SizeMismatch,
                format!(
                    "the body is {len} bytes but this part URL is for {} bytes",
                    slot.size
                ),
            ));
        }
    }
    let found = state.state().session(&upload_id).await?;
    let app = found.as_ref().map(|s| s.app.clone()).unwrap_or_default();
    let sess = session::live_session(found, &upload_id, &app, now)?;
    if sess.completed.is_some() {
        return Err(ApiError::bad(
            ErrorCode::UnknownUpload,
            format!("upload {upload_id:?} is already complete"),
        ));
    }
    // Stored and recorded in a task of its own: a client that goes away once its bytes are in
    // (a page reloaded, a tab closed) would otherwise drop this handler between storing the
    // part and recording it, leaving a stored piece nobody knows of and a part its resume must
    // send again. A body cut short still fails the task: nothing is recorded then.
    let task = tokio::spawn(async move { store(&state, &upload_id, &sess, slot, body).await });
    let etag = task
        .await
        .map_err(|e| ApiError::internal(format_args!("storing a part stopped: {e}")))??;
    Ok((StatusCode::OK, [(header::ETAG, format!("\"{etag}\""))]).into_response())
}

/// Stores one part or chunk of `sess` from `body`, checked against `slot`, and records it;
/// its MD5 in hex.
async fn store(
    state: &AppState,
    upload_id: &str,
    sess: &Session,
    slot: Slot,
    body: Body,
) -> ApiResult<String> {
    let written = super::edge::upload_storage(state, sess)?
        .stage(
            upload_id,
            body_stream(body),
            Expect::Exact {
                size: slot.size,
                md5: slot.md5,
            },
        )
        .await?;
    let etag = hex::encode(written.md5);
    match slot.offset {
        Some(offset) => {
            let chunk = ChunkRecord {
                part: slot.part,
                offset,
                size: written.size,
                piece: written.id,
            };
            state.state().put_chunk(upload_id, &chunk).await?;
            state.received().add(Kind::Chunk, written.size);
        }
        None => {
            let part = PartRecord {
                part: slot.part,
                size: written.size,
                etag: Some(etag.clone()),
                pieces: vec![Piece {
                    id: written.id,
                    size: written.size,
                }],
            };
            state.state().put_part(upload_id, &part).await?;
            state.parts_landed().notify_waiters();
            state.received().add(Kind::Part, written.size);
        }
    }
    Ok(etag)
}
