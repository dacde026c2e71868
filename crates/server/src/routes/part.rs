//! The part `PUT` (protocol.md §3.4): the URL `/multipart/upload` handed out, raw bytes in,
//! checked against the declared size and MD5, fsynced, then acknowledged with a quoted `ETag`.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::session;
use crate::state::{ChunkRecord, PartRecord};
use crate::storage::{ByteStream, Expect, Piece};
use crate::token::{self, PartQuery};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use skiff_protocol::ErrorCode;

/// The request body as a byte stream for storage.
pub(crate) fn body_stream(body: Body) -> ByteStream {
    Box::pin(body.into_data_stream().map_err(std::io::Error::other))
}

pub(super) async fn put_part(
    State(state): State<AppState>,
    Path(upload_id): Path<String>,
    Query(q): Query<PartQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let now = state.now_ms();
    let slot = token::verify(state.url_key(), &upload_id, &q, now).map_err(|why| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::InvalidUploadUrl,
            format!("this part URL is not valid: {why}"),
        )
    })?;
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
    let written = state
        .storage()
        .stage(
            &upload_id,
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
            state.state().put_chunk(&upload_id, &chunk).await?;
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
            state.state().put_part(&upload_id, &part).await?;
        }
    }
    Ok((StatusCode::OK, [(header::ETAG, format!("\"{etag}\""))]).into_response())
}
