//! `POST /multipart/start|upload|commit|complete` (docs/protocol.md §3, §4).

use super::edge::upload_storage;
use super::{direct, file_response, upload_webhooks};
use crate::AppState;
use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::extract::Payload;
use crate::session;
use crate::state::{FileRecord, PartRecord, Session, StateError};
use crate::token;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use skiff_protocol::wire::{
    CommitRequest, CompleteRequest, FileResponse, PartRef, StartRequest, StartResponse,
    UploadRequest, UploadResponse,
};
use skiff_protocol::{ErrorCode, routes};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;

/// How long a part URL stays valid.
const PART_URL_TTL_MS: i64 = 3_600_000;

/// The longest a complete with `await_parts` waits for its parts. A client sends it only once
/// all its PUTs are on the wire, so the parts should land within one part's transfer; after
/// this the server answers as it would have at once (`part_missing`, `incomplete_upload`), and
/// the client falls back to an ordinary complete once its PUTs are answered.
const HELD_COMPLETE_MS: u64 = 60_000;

/// How often a held complete reads the parts again without being woken: other instances
/// sharing the state (PostgreSQL) record parts this one never hears of, and behind a balancer
/// the last part may land on any of them. Short, since that wait is added to the upload's end;
/// the read is one indexed query.
const HELD_POLL_MS: u64 = 25;

pub(super) async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Payload(req): Payload<StartRequest>,
) -> ApiResult<Json<StartResponse>> {
    let app = auth::app(&state, req.apikey.as_deref())?;
    let size = req.size.ok_or_else(|| ApiError::missing("size"))?;
    let max = state.config().max_file_size;
    if size > max {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!("the file is {size} bytes; this server accepts at most {max}"),
        ));
    }
    let filename = session::filename(req.filename.as_deref())?;
    let mimetype = session::mimetype(req.mimetype.as_deref())?;
    let target = session::store_target(
        req.store.as_ref(),
        &state.config().default_container,
        &state.location_names(),
    )?;
    auth::authorize(
        &state,
        app,
        &req.security,
        Some(&headers),
        &auth::store_access(&target, Some(size), None),
    )?;
    let now = state.now_ms();
    let id = crate::ids::random_id(32);
    let handle = crate::ids::handle();
    let direct = direct::begin(&state, &app.key, &handle, size, req.fii).await?;
    let session = Session {
        id: id.clone(),
        app: app.key.clone(),
        filename,
        mimetype,
        size,
        target,
        fii: req.fii,
        created_at: now,
        expires_at: now + state.config().session_ttl_secs as i64 * 1000,
        completed: None,
        direct,
        handle: handle.clone(),
        edge: state.edge().map(|e| e.region),
    };
    // Part 1 signed with the answer (a Skiff extension): only where the part goes through this
    // server, whose ETag the client can check against the MD5 it has not sent. Checked before
    // the session is stored, so that a bad size leaves nothing behind.
    let first_slot = match req.first_part {
        Some(len) if !req.fii && session.direct.is_none() => Some(session::slot(
            &session,
            Some(1),
            Some(len),
            None,
            false,
            None,
        )?),
        _ => None,
    };
    if let Err(e) = state.state().insert_session(&session).await {
        if let Some(upload) = &session.direct {
            direct::forget(&state, &app.key, upload).await;
        }
        return Err(e.into());
    }
    let direct_parts = session.direct.is_some();
    tracing::info!(upload = %id, size, fii = req.fii, direct = direct_parts, edge = ?session.edge, "upload started");
    let region = state.config().region.clone();
    let first_part = match first_slot {
        Some(slot) => Some(part_url(&state, &id, &slot, now)?),
        None => None,
    };
    Ok(Json(StartResponse {
        uri: format!("/skiff/{id}"),
        region: region.clone().unwrap_or_else(|| "skiff".into()),
        upload_id: id,
        // Later calls go to this instance: at an edge, the bytes land here.
        location_url: state.config().location_url(),
        upload_type: req.fii.then(|| "intelligent_ingestion".to_owned()),
        location_region: region,
        handle: Some(handle),
        part_etag: part_etag(direct_parts),
        expires_in: Some(state.config().session_ttl_secs * 1000),
        first_part,
        // Complete may be sent while the last parts (or commits) are on the wire: this server
        // holds it until they land here. Not where they go to a bucket, which it does not see.
        await_parts: (!direct_parts).then_some(true),
    }))
}

/// What start and resume say of the part ETags (`part_etag`): the MD5 of the bytes where the
/// parts come through the server (part.rs), nothing where they go straight to a bucket, whose
/// ETags are not MD5s under SSE-KMS or SSE-C.
pub(super) fn part_etag(direct: bool) -> Option<String> {
    (!direct).then(|| "md5".to_owned())
}

pub(super) async fn upload(
    State(state): State<AppState>,
    Payload(req): Payload<UploadRequest>,
) -> ApiResult<Json<UploadResponse>> {
    // No policy here: filestack-python never sends one on upload/commit; the session was
    // authorized at start and the app key must still match it.
    let app = auth::app(&state, req.session.apikey.as_deref())?;
    let id = session::upload_id(&req.session)?;
    let now = state.now_ms();
    let found = state.state().session(id).await?;
    let sess = session::live_session(found, id, &app.key, now)?;
    if sess.completed.is_some() {
        return Err(ApiError::bad(
            ErrorCode::UnknownUpload,
            format!("upload {id:?} is already complete"),
        ));
    }
    // Its bytes go where it began: a part URL of this instance would be refused.
    upload_storage(&state, &sess)?;
    if let Some(upload) = &sess.direct {
        return Ok(Json(direct::presign(&state, &sess, upload, &req).await?));
    }
    let slot = session::slot(
        &sess,
        req.part,
        req.size,
        req.offset,
        req.fii,
        req.md5.as_deref(),
    )?;
    let held = match req.if_held {
        true => held_etag(&state, id, &slot).await?,
        false => None,
    };
    Ok(Json(UploadResponse {
        held,
        ..part_url(&state, id, &slot, now)?
    }))
}

/// Where to PUT `slot` of upload `id` on this server: the one part URL, with the signed grant
/// (docs/protocol.md §3.3–3.4) valid for an hour from `now`.
fn part_url(
    state: &AppState,
    id: &str,
    slot: &session::Slot,
    now: i64,
) -> ApiResult<UploadResponse> {
    let q = token::sign(state.url_key(), id, slot, now + PART_URL_TTL_MS);
    let query = serde_urlencoded::to_string(&q).map_err(ApiError::internal)?;
    Ok(UploadResponse {
        url: format!("{}{}", state.config().public_url(), routes::MULTIPART_PART),
        headers: BTreeMap::from([("X-Skiff-Part".to_owned(), query)]),
        held: None,
    })
}

/// The ETag of regular part `slot` if this server holds it whole with the bytes the client
/// hashed (`if_held`, docs/protocol.md §3.3): same size, and an ETag that is the MD5 it
/// declared. A chunk, or a call without MD5, is never matched: there is nothing to compare.
async fn held_etag(state: &AppState, id: &str, slot: &session::Slot) -> ApiResult<Option<String>> {
    let (None, Some(md5)) = (slot.offset, slot.md5) else {
        return Ok(None);
    };
    let want = hex::encode(md5);
    Ok(state
        .state()
        .parts(id)
        .await?
        .into_iter()
        .find(|p| p.part == slot.part && p.size == slot.size)
        .and_then(|p| p.etag)
        .filter(|etag| *etag == want))
}

pub(super) async fn commit(
    State(state): State<AppState>,
    Payload(req): Payload<CommitRequest>,
) -> ApiResult<Json<serde_json::Value>> {
    let app = auth::app(&state, req.session.apikey.as_deref())?;
    let id = session::upload_id(&req.session)?;
    let found = state.state().session(id).await?;
    let sess = session::live_session(found, id, &app.key, state.now_ms())?;
    if sess.completed.is_some() {
        return Err(ApiError::bad(
            ErrorCode::UnknownUpload,
            format!("upload {id:?} is already complete"),
        ));
    }
    if sess.direct.is_some() {
        return Err(ApiError::bad(
            ErrorCode::InvalidField,
            format!(
                "upload {id:?} sends whole parts straight to the storage: there is nothing to commit"
            ),
        ));
    }
    let part = session::part_number(req.part)?;
    if let Some(size) = req.size.filter(|s| *s != sess.size) {
        return Err(ApiError::bad(
            ErrorCode::SizeMismatch,
            format!(
                "commit says the file is {size} bytes but the upload started with {}",
                sess.size
            ),
        ));
    }
    let chunks = state.state().chunks(id, part).await?;
    let record = session::plan_commit(part, &chunks)?;
    state.state().put_part(id, &record).await?;
    state.parts_landed().notify_waiters();
    tracing::debug!(upload = %id, part, size = record.size, chunks = record.pieces.len(), "part committed");
    Ok(Json(serde_json::json!({})))
}

pub(super) async fn complete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Payload(req): Payload<CompleteRequest>,
) -> ApiResult<Json<FileResponse>> {
    let app = auth::app(&state, req.session.apikey.as_deref())?;
    let id = session::upload_id(&req.session)?.to_owned();
    let now = state.now_ms();
    let found = state.state().session(&id).await?;
    let sess = session::live_session(found, &id, &app.key, now)?;
    auth::authorize(
        &state,
        app,
        &req.security,
        Some(&headers),
        &auth::store_access(&sess.target, Some(sess.size), None),
    )?;
    // A repeated complete (its first answer was lost) gets the same file.
    if let Some(handle) = &sess.completed {
        let file = state
            .state()
            .file(handle)
            .await?
            .ok_or_else(|| ApiError::no_file(handle))?;
        return Ok(Json(file_response(&state, &file)));
    }
    if let Some(size) = req.size.filter(|s| *s != sess.size) {
        return Err(ApiError::bad(
            ErrorCode::SizeMismatch,
            format!(
                "complete says the file is {size} bytes but the upload started with {}",
                sess.size
            ),
        ));
    }
    let tags = req.upload_tags.clone().unwrap_or_default();
    tags.validate()?;
    let filename = match req.filename.as_deref() {
        Some(f) if !f.trim().is_empty() => session::filename(Some(f))?,
        _ => sess.filename.clone(),
    };
    let mimetype = match req.mimetype.as_deref() {
        Some(m) if !m.trim().is_empty() => session::mimetype(Some(m))?,
        _ => sess.mimetype.clone(),
    };
    let alt = req.alt.clone().filter(|a| !a.is_empty());
    if alt.as_ref().is_some_and(|a| a.chars().count() > 125) {
        return Err(ApiError::invalid("alt", "must be at most 125 characters"));
    }
    let storage = upload_storage(&state, &sess)?;
    let handle = match &sess.direct {
        Some(upload) => {
            direct::finish(&state, &sess, upload, req.parts.as_deref()).await?;
            upload.name.clone()
        }
        None => {
            let recorded = if req.await_parts {
                let fii = req.fii || sess.fii;
                held_parts(&state, &sess, req.parts.as_deref(), fii).await?
            } else {
                state.state().parts(&id).await?
            };
            let pieces = session::plan_complete(&sess, &recorded, req.parts.as_deref(), req.fii)?;
            // Sessions stored before handles were chosen at start have none yet.
            let handle = match sess.handle.as_str() {
                "" => crate::ids::handle(),
                chosen => chosen.to_owned(),
            };
            storage.assemble(&id, &handle, &pieces).await?;
            handle
        }
    };
    // The object is the one every complete of this upload makes (its handle was chosen at
    // start): never delete it here, since a concurrent complete may have recorded it. One
    // left unrecorded is an orphan the sweep removes after its grace period.
    let file = FileRecord {
        handle: handle.clone(),
        app: app.key.clone(),
        key: session::storage_key(&sess.target, &filename, &crate::ids::random_id(20)),
        filename,
        mimetype,
        size: sess.size,
        path: sess.target.path.clone(),
        container: sess.target.container.clone(),
        location: storage.location().to_owned(),
        uploaded_at: now,
        upload_tags: tags,
        md5: None,
        source_url: None,
        alt,
        transfer: super::transfer(&state, &sess.target, "Computer", sess.edge.is_some()),
    };
    let hooks = upload_webhooks(&state, &file, "Computer");
    match state.state().complete(&id, &file, &hooks, now).await {
        Ok(()) => {}
        Err(StateError::SessionGone(_)) => {
            // Another complete of the same upload won the race: answer with its file.
            let sess = state.state().session(&id).await?;
            let other = match sess.and_then(|s| s.completed) {
                Some(h) => state.state().file(&h).await?,
                None => None,
            };
            return other
                .map(|f| Json(file_response(&state, &f)))
                .ok_or_else(|| {
                    ApiError::bad(
                        ErrorCode::UnknownUpload,
                        format!("upload {id:?} is no longer in progress"),
                    )
                });
        }
        Err(e) => return Err(e.into()),
    }
    if !hooks.is_empty() {
        state.wake_webhooks();
    }
    tracing::info!(upload = %id, %handle, size = file.size, "upload complete");
    // The staged parts are removed after the answer, which does not wait for it: on a bucket
    // that is a listing and a delete, on a disk an unlink per part. If this process stops
    // first, the expiry sweep removes them with the session.
    let (later, sess) = (state.clone(), sess.clone());
    tokio::spawn(async move {
        let removed = match super::edge::upload_storage(&later, &sess) {
            Ok(storage) => storage.discard_upload(&id).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = removed {
            tracing::warn!(upload = %id, error = %e, "could not remove staged parts; the expiry sweep will");
        }
    });
    Ok(Json(file_response(&state, &file)))
}

/// The recorded parts of `sess` for a held complete (`await_parts`, docs/protocol.md §3.5):
/// read again each time this instance records a part and every [`HELD_POLL_MS`], until they
/// hold what complete needs ([`session::parts_awaited`]) or [`HELD_COMPLETE_MS`] have passed.
/// A client that goes away drops this with its request.
async fn held_parts(
    state: &AppState,
    sess: &Session,
    listed: Option<&[PartRef]>,
    fii: bool,
) -> ApiResult<Vec<PartRecord>> {
    let began = Instant::now();
    let deadline = began + Duration::from_millis(HELD_COMPLETE_MS);
    loop {
        // Enabled before the parts are read, so that a part recorded in between still wakes it.
        let mut landed = std::pin::pin!(state.parts_landed().notified());
        landed.as_mut().enable();
        let recorded = state.state().parts(&sess.id).await?;
        let now = Instant::now();
        let awaited = session::parts_awaited(sess, &recorded, listed, fii);
        if !awaited || now >= deadline {
            tracing::debug!(
                upload = %sess.id,
                waited_ms = now.duration_since(began).as_millis() as u64,
                timed_out = awaited,
                "held complete"
            );
            return Ok(recorded);
        }
        let wake = deadline.min(now + Duration::from_millis(HELD_POLL_MS));
        // Woken by a part, or the poll is due: either way, read the parts again.
        let _ = tokio::time::timeout_at(wake, landed).await;
    }
}
