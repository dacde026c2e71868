//! Single-request stores: the File API's `POST /api/store/{location}` (a form's `fileUpload` or
//! `url`, a urlencoded `url`, or a raw body: `store_body`), the Processing API's `POST /process` store task (what `storeURL` uses),
//! and `POST /prefetch`.

use super::store_body::{self, Source};
use super::{file_response, upload_webhooks};
use crate::AppState;
use crate::auth;
use crate::config::AppConfig;
use crate::error::{ApiError, ApiResult};
use crate::fetch::FetchError;
use crate::session;
use crate::state::{FileRecord, StoreTarget};
use crate::storage::{ByteStream, Expect};
use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use futures_util::TryStreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use skiff_protocol::wire::{FileResponse, Security, StoreParams};
use skiff_protocol::{ErrorCode, UploadTags};
use std::collections::HashMap;

/// What a store needs besides the bytes.
pub(super) struct NewFile<'a> {
    pub(super) app: &'a AppConfig,
    pub(super) target: StoreTarget,
    pub(super) filename: Option<String>,
    pub(super) mimetype: Option<String>,
    pub(super) tags: UploadTags,
    pub(super) source_url: Option<String>,
    /// Who the `fp.upload` webhook says sent it ("Computer", "URL", a cloud source's name).
    pub(super) client: &'static str,
}

/// Streams `body` into a new object and records the file with its webhooks.
pub(super) async fn store_bytes(
    state: &AppState,
    nf: NewFile<'_>,
    body: ByteStream,
    sec: &Security,
    headers: &HeaderMap,
) -> ApiResult<FileResponse> {
    let filename = session::filename(nf.filename.as_deref())?;
    let mime = match nf
        .mimetype
        .as_deref()
        .filter(|m| !m.is_empty() && *m != "application/octet-stream")
    {
        Some(m) => session::mimetype(Some(m))?,
        None => guess_mimetype(&filename).to_owned(),
    };
    let handle = crate::ids::handle();
    let limit = state.config().max_file_size;
    let storage = state.intake(&nf.app.key);
    let written = storage.put(&handle, body, Expect::AtMost(limit)).await?;
    // The size is known only now: check it against the policy, and drop the bytes if refused.
    let access = auth::store_access(&nf.target, Some(written.size), nf.source_url.as_deref());
    if let Err(e) = auth::authorize(state, nf.app, sec, Some(headers), &access) {
        let _ = storage.delete(&handle).await;
        return Err(e);
    }
    let now = state.now_ms();
    let file = FileRecord {
        handle: handle.clone(),
        app: nf.app.key.clone(),
        key: session::storage_key(&nf.target, &filename, &crate::ids::random_id(20)),
        filename,
        mimetype: mime,
        size: written.size,
        path: nf.target.path.clone(),
        container: nf.target.container.clone(),
        location: storage.location().to_owned(),
        uploaded_at: now,
        upload_tags: nf.tags,
        md5: Some(hex::encode(written.md5)),
        source_url: nf.source_url,
        alt: None,
        // `intake` is the edge's landing storage when this instance is an edge.
        transfer: super::transfer(state, &nf.target, nf.client, state.edge().is_some()),
    };
    let hooks = upload_webhooks(state, &file, nf.client);
    if let Err(e) = state.state().insert_file(&file, &hooks, now).await {
        let _ = storage.delete(&handle).await;
        return Err(e.into());
    }
    if !hooks.is_empty() {
        state.wake_webhooks();
    }
    tracing::info!(%handle, size = file.size, "file stored");
    Ok(file_response(state, &file))
}

/// Refuses early what the app's policy refuses whatever the size (call, path, container); the
/// size is checked once the bytes are in (`store_bytes`).
pub(super) fn may_store(
    state: &AppState,
    app: &AppConfig,
    sec: &Security,
    headers: &HeaderMap,
    target: &StoreTarget,
) -> ApiResult<()> {
    auth::authorize(
        state,
        app,
        sec,
        Some(headers),
        &auth::store_access(target, None, None),
    )
}

pub(super) fn fetch_error(e: FetchError) -> ApiError {
    match e {
        FetchError::NotAllowed(m) => ApiError::bad(ErrorCode::UrlNotAllowed, m),
        FetchError::Failed(m) => {
            ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::UrlFetchFailed, m)
        }
    }
}

/// `upload_tags` from the query or the form: a JSON object (or array, protocol.md §5) of strings.
fn parse_tags(raw: &str) -> ApiResult<UploadTags> {
    let tags: UploadTags = serde_json::from_str(raw).map_err(|e| {
        ApiError::bad(
            ErrorCode::InvalidTags,
            format!("upload_tags must be a JSON object of strings: {e}"),
        )
    })?;
    tags.validate()?;
    Ok(tags)
}

/// Decodes a base64 body (`base64decode=true`), which must fit in memory.
async fn base64_body(body: ByteStream, limit: u64) -> ApiResult<ByteStream> {
    use base64::Engine as _;
    let cap = limit.saturating_mul(4) / 3 + 4;
    let mut buf = Vec::new();
    let mut body = body;
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| ApiError::bad(ErrorCode::MalformedRequest, e.to_string()))?
    {
        if buf.len() as u64 + chunk.len() as u64 > cap {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                "the base64 body is too large",
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    let text: Vec<u8> = buf
        .into_iter()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&text)
        .map_err(|e| {
            ApiError::bad(
                ErrorCode::MalformedRequest,
                format!("base64decode=true but the body is not base64: {e}"),
            )
        })?;
    Ok(Box::pin(futures_util::stream::once(async move {
        Ok(bytes::Bytes::from(decoded))
    })))
}

pub(super) async fn store(
    State(state): State<AppState>,
    Path(location): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    req: Request,
) -> ApiResult<Json<Value>> {
    let app = auth::app(&state, q.get("key").map(String::as_str))?;
    let params = StoreParams {
        location: Some(location),
        path: q.get("path").cloned(),
        container: q.get("container").cloned(),
        region: q.get("region").cloned(),
        access: q.get("access").cloned(),
        filename: None,
        disable_storage_key: None,
    };
    let target = session::store_target(
        Some(&params),
        &state.config().default_container,
        &state.location_names(),
    )?;
    let sec = auth::query_security(&q);
    may_store(&state, app, &sec, &headers, &target)?;
    let b64 = q.get("base64decode").is_some_and(|v| v == "true");
    let sent = store_body::read(&headers, req.into_body()).await?;
    let tags = match (
        q.get("upload_tags").map(String::as_str),
        sent.tags.as_deref(),
    ) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "upload_tags",
                "was sent both in the query and in the form; send it once",
            ));
        }
        (Some(raw), None) | (None, Some(raw)) => parse_tags(raw)?,
        (None, None) => UploadTags::new(),
    };
    let mut nf = NewFile {
        app,
        target,
        filename: q.get("filename").cloned(),
        mimetype: q.get("mimetype").cloned(),
        tags,
        source_url: None,
        client: "Computer",
    };
    let body: ByteStream = match sent.source {
        Source::Bytes {
            body,
            filename,
            mimetype,
        } => {
            nf.filename = nf.filename.or(filename);
            nf.mimetype = nf.mimetype.or(mimetype);
            body
        }
        Source::Url(url) => {
            let fetched = state
                .fetcher()
                .fetch(&url, &[])
                .await
                .map_err(fetch_error)?;
            nf.filename = nf.filename.or(fetched.filename);
            nf.mimetype = nf.mimetype.or(fetched.mimetype);
            nf.source_url = Some(url);
            nf.client = "URL";
            fetched.body
        }
    };
    let resp = store_any(&state, nf, body, b64, &sec, &headers).await?;
    Ok(Json(store_json(resp)))
}

async fn store_any(
    state: &AppState,
    nf: NewFile<'_>,
    body: ByteStream,
    b64: bool,
    sec: &Security,
    headers: &HeaderMap,
) -> ApiResult<FileResponse> {
    let body = if b64 {
        base64_body(body, state.config().max_file_size).await?
    } else {
        body
    };
    store_bytes(state, nf, body, sec, headers).await
}

/// The File API's answer (`type` rather than `mimetype`, plus the handle clients derive).
pub(super) fn store_json(r: FileResponse) -> Value {
    serde_json::to_value(&r).unwrap_or(Value::Null)
}

#[derive(Debug, Deserialize)]
pub(super) struct ProcessRequest {
    #[serde(default)]
    apikey: Option<String>,
    #[serde(default)]
    sources: Vec<Value>,
    #[serde(default)]
    tasks: Vec<Task>,
    #[serde(default)]
    upload_tags: Option<UploadTags>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Task {
    name: String,
    #[serde(default)]
    params: Value,
}

pub(super) async fn process(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::extract::Payload(req): crate::extract::Payload<ProcessRequest>,
) -> ApiResult<Json<Value>> {
    let app = auth::app(&state, req.apikey.as_deref())?;
    let mut sec = Security::default();
    let mut store: Option<StoreParams> = None;
    for task in &req.tasks {
        match task.name.as_str() {
            "security" => {
                sec = serde_json::from_value(task.params.clone()).map_err(|e| {
                    ApiError::invalid(
                        "tasks[security].params",
                        format!("must hold policy and signature ({e})"),
                    )
                })?;
            }
            "store" => {
                // A store task carrying only `workflows` is filestack-js's workflow trigger.
                if task.params.get("workflows").is_some() && store.is_some() {
                    continue;
                }
                let p: StoreParams =
                    serde_json::from_value(task.params.clone()).unwrap_or_default();
                store = Some(p);
            }
            other => {
                return Err(ApiError::bad(
                    ErrorCode::InvalidField,
                    format!(
                        "the {other:?} task is not supported by this server; only store and security are"
                    ),
                ));
            }
        }
    }
    let Some(store_params) = store else {
        return Err(ApiError::bad(
            ErrorCode::MissingField,
            "a `store` task is required",
        ));
    };
    let (url, fetch_headers) = match req.sources.as_slice() {
        [Value::String(u)] => (u.clone(), Vec::new()),
        [Value::Object(o)] => {
            let url = o
                .get("source")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::missing("sources[0].source"))?;
            let hs = o
                .get("headers")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                        .collect()
                })
                .unwrap_or_default();
            (url.to_owned(), hs)
        }
        [] => return Err(ApiError::missing("sources")),
        _ => {
            return Err(ApiError::invalid(
                "sources",
                "must hold exactly one URL on this server",
            ));
        }
    };
    let tags = req.upload_tags.unwrap_or_default();
    tags.validate()?;
    let target = session::store_target(
        Some(&store_params),
        &state.config().default_container,
        &state.location_names(),
    )?;
    auth::authorize(
        &state,
        app,
        &sec,
        Some(&headers),
        &auth::store_access(&target, None, Some(&url)),
    )?;
    let fetched = state
        .fetcher()
        .fetch(&url, &fetch_headers)
        .await
        .map_err(fetch_error)?;
    let filename = store_params.filename.clone().or(fetched.filename);
    let nf = NewFile {
        app,
        target,
        filename,
        mimetype: fetched.mimetype,
        tags,
        source_url: Some(url),
        client: "URL",
    };
    let resp = store_bytes(&state, nf, fetched.body, &sec, &headers).await?;
    Ok(Json(store_json(resp)))
}

#[derive(Debug, Deserialize)]
pub(super) struct PrefetchRequest {
    #[serde(default)]
    apikey: Option<String>,
}

/// A minimal, honest prefetch: this server blocks nobody, supports intelligent ingestion,
/// and has no transformations UI or enhancement features.
pub(super) async fn prefetch(
    State(state): State<AppState>,
    crate::extract::Payload(req): crate::extract::Payload<PrefetchRequest>,
) -> ApiResult<Json<Value>> {
    auth::app(&state, req.apikey.as_deref())?;
    Ok(Json(json!({
        "blocked": false,
        "settings": { "inapp_browser": false },
        "permissions": {
            "intelligent_ingestion": true,
            "whitelabel": true,
            "transforms_ui": false,
            "enhance": false,
            "advanced_enhance": false
        }
    })))
}

/// The type of a file stored without one: the table the browser uses first, so both sides name
/// the common types alike, then `mime_guess` for the rarer extensions the browser does not list.
fn guess_mimetype(filename: &str) -> &'static str {
    skiff_protocol::mime::from_file_name(filename)
        .or_else(|| mime_guess::from_path(filename).first_raw())
        .unwrap_or(skiff_protocol::mime::OCTET_STREAM)
}

#[cfg(test)]
mod tests {
    /// Types beyond the shared table are still guessed, and unknown ones stay octet-stream.
    #[test]
    fn rarer_extensions_are_still_guessed() {
        assert_eq!(super::guess_mimetype("notes.md"), "text/markdown");
        assert_eq!(super::guess_mimetype("tool.py"), "text/plain");
        assert_eq!(super::guess_mimetype("font.woff2"), "font/woff2");
        assert_eq!(
            super::guess_mimetype("blob.nosuchext"),
            "application/octet-stream"
        );
        assert_eq!(super::guess_mimetype("README"), "application/octet-stream");
    }

    /// The shared table gives every extension it knows the type `mime_guess` gave when the
    /// server used it, so files stored without a type keep getting the same one.
    #[test]
    fn the_shared_mime_table_agrees_with_the_old_guesses() {
        for (ext, mime) in skiff_protocol::mime::table() {
            let old = mime_guess::from_ext(ext).first_raw();
            assert_eq!(old, Some(*mime), ".{ext}");
        }
    }
}
