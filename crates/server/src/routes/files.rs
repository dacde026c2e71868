//! The file API: metadata, delivery (with ranges and ETags) and delete (docs/protocol.md §2.2, §6).

use super::ranges::{self, Selection};
use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::state::{FileRecord, Held};
use crate::storage::Storage;
use crate::{AppState, FileBytes};
use axum::Json;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use futures_util::TryStreamExt;
use serde_json::{Map, Value, json};
use skiff_protocol::ErrorCode;
use skiff_protocol::policy::{Access, Call};
use skiff_protocol::wire::Security;
use std::collections::HashMap;

/// Looks up a file by handle; anything that is not a handle is simply not found.
async fn find(state: &AppState, handle: &str) -> ApiResult<FileRecord> {
    if !crate::ids::is_handle(handle) {
        return Err(ApiError::no_file(handle));
    }
    state
        .state()
        .file(handle)
        .await?
        .ok_or_else(|| ApiError::no_file(handle))
}

/// Where `file`'s bytes are, or the request sent on, as it was asked, to the edge holding them
/// (307 keeps the method and body; the edge answers from its landing storage, or from the
/// final storage once they have moved on).
fn bytes_or_redirect<'a>(
    state: &'a AppState,
    file: &FileRecord,
    uri: &Uri,
) -> Result<&'a dyn Storage, Redirect> {
    match state.file_bytes(file) {
        FileBytes::Here(storage) => Ok(storage),
        FileBytes::Elsewhere(held) => Err(to_edge(&held, uri)),
    }
}

fn to_edge(held: &Held, uri: &Uri) -> Redirect {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    Redirect::temporary(&format!("{}{path}", held.url))
}

/// Reads a CDN-style security path segment, `security=p:<policy>,s:<signature>` (or the long
/// names `policy:` and `signature:`), as filestack-python's signed URLs carry it.
fn path_security(segment: &str) -> Option<Security> {
    let rest = segment.strip_prefix("security=")?;
    let mut sec = Security::default();
    for item in rest.split(',') {
        if let Some(p) = item
            .strip_prefix("p:")
            .or_else(|| item.strip_prefix("policy:"))
        {
            sec.policy = Some(p.to_owned());
        } else if let Some(s) = item
            .strip_prefix("s:")
            .or_else(|| item.strip_prefix("signature:"))
        {
            sec.signature = Some(s.to_owned());
        }
    }
    Some(sec)
}

/// `/{security=…}/{handle}/…`: the handle, and the security from the first segment.
fn signed(first: &str, handle: String) -> ApiResult<(String, Security)> {
    let sec = path_security(first).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no such endpoint",
        )
    })?;
    Ok((handle, sec))
}

/// Applies the file's app security for `call` on this handle.
fn guard(
    state: &AppState,
    file: &FileRecord,
    sec: &Security,
    headers: &HeaderMap,
    call: Call,
) -> ApiResult<()> {
    let Some(app) = state.app(&file.app) else {
        return Ok(());
    };
    let access = Access {
        call: Some(call),
        handle: Some(&file.handle),
        ..Access::default()
    };
    auth::authorize(state, app, sec, Some(headers), &access)
}

const DEFAULT_FIELDS: &[&str] = &[
    "size",
    "mimetype",
    "filename",
    "uploaded",
    "writeable",
    "location",
    "path",
    "container",
    "key",
    "upload_tags",
    "status",
];
const HASHES: &[&str] = &["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];

pub(super) async fn metadata(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path(handle): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let sec = auth::query_security(&q);
    metadata_of(&state, &uri, &handle, &q, &sec, &headers).await
}

pub(super) async fn metadata_signed(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path((first, handle)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (handle, sec) = signed(&first, handle)?;
    metadata_of(&state, &uri, &handle, &q, &sec, &headers).await
}

/// The metadata of an upload that has begun but is not complete: its handle is known from
/// the start response, its file not yet (Skiff's extension, for the `Started` status).
async fn started(
    state: &AppState,
    handle: &str,
    sec: &Security,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let found = if crate::ids::is_handle(handle) {
        state.state().session_for_handle(handle).await?
    } else {
        None
    };
    let sess = found
        .filter(|s| s.completed.is_none() && s.expires_at > state.now_ms())
        .ok_or_else(|| ApiError::no_file(handle))?;
    if let Some(app) = state.app(&sess.app) {
        let access = Access {
            call: Some(Call::Stat),
            handle: Some(handle),
            ..Access::default()
        };
        auth::authorize(state, app, sec, Some(headers), &access)?;
    }
    Ok(Json(json!({
        "handle": handle,
        "status": "Started",
        "filename": sess.filename,
        "mimetype": sess.mimetype,
        "size": sess.size,
    }))
    .into_response())
}

async fn metadata_of(
    state: &AppState,
    uri: &Uri,
    handle: &str,
    q: &HashMap<String, String>,
    sec: &Security,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let state = state.clone();
    let file = match find(&state, handle).await {
        Ok(file) => file,
        Err(e) if e.code == ErrorCode::FileNotFound => {
            return started(&state, handle, sec, headers).await;
        }
        Err(e) => return Err(e),
    };
    guard(&state, &file, sec, headers, Call::Stat)?;
    let truthy = |v: &str| matches!(v, "true" | "1" | "");
    let mut asked: Vec<&str> = q
        .iter()
        .filter(|(k, v)| !matches!(k.as_str(), "policy" | "signature" | "key") && truthy(v))
        .map(|(k, _)| match k.as_str() {
            "sourceUrl" => "source_url",
            "uploadTags" => "upload_tags",
            other => other,
        })
        .collect();
    if asked.is_empty() {
        asked = DEFAULT_FIELDS.to_vec();
    }
    asked.sort_unstable();
    asked.dedup();
    if asked.contains(&"exif") {
        guard(&state, &file, sec, headers, Call::Exif)?;
    }
    let mut out = Map::new();
    let wants_dims = asked.iter().any(|f| *f == "width" || *f == "height");
    let wanted_hashes: Vec<&str> = asked
        .iter()
        .copied()
        .filter(|f| HASHES.contains(f))
        .collect();
    // Fields read from the bytes are answered where the bytes are.
    let bytes = if wants_dims || !wanted_hashes.is_empty() {
        match bytes_or_redirect(&state, &file, uri) {
            Ok(storage) => Some(storage),
            Err(redirect) => return Ok(redirect.into_response()),
        }
    } else {
        None
    };
    let dims = match bytes.filter(|_| wants_dims) {
        Some(storage) => image_size(storage, &file).await,
        None => None,
    };
    let hashes = match bytes.filter(|_| !wanted_hashes.is_empty()) {
        Some(storage) => hash_file(storage, &file, &wanted_hashes).await?,
        None => HashMap::new(),
    };
    for field in asked {
        let value = match field {
            "size" => json!(file.size),
            "mimetype" => json!(file.mimetype),
            "filename" => json!(file.filename),
            "uploaded" => json!(file.uploaded_at),
            "writeable" => json!(false),
            "location" => json!(file.location),
            "path" => json!(file.path.clone().unwrap_or_else(|| file.key.clone())),
            "key" => json!(file.key),
            "container" => json!(file.container),
            "upload_tags" => serde_json::to_value(&file.upload_tags).unwrap_or(Value::Null),
            "width" => json!(dims.map(|d| d.0)),
            "height" => json!(dims.map(|d| d.1)),
            "cloud" => json!(false),
            "source_url" => json!(file.source_url),
            "alt" => json!(file.alt),
            "exif" => Value::Null,
            // `InTransit` while the transfer queue moves the file on from where it landed (an
            // edge, or the app's storage on the way to a location; usable all along), then
            // `Complete`. Before complete, a begun upload's handle says `Started`.
            "status" => json!(if file.transfer.is_some() {
                "InTransit"
            } else {
                "Complete"
            }),
            h if HASHES.contains(&h) => json!(hashes.get(h)),
            other => {
                return Err(ApiError::invalid(
                    other,
                    "is not a metadata field (see the docs for the list)",
                ));
            }
        };
        out.insert(field.to_owned(), value);
    }
    out.insert("handle".into(), json!(file.handle));
    // A transfer that keeps failing shows here, with why (Skiff's extension).
    if let Some(transfer) = &file.transfer {
        if let Some(job) = state.state().transfer(&file.handle).await? {
            out.insert(
                "transfer".into(),
                json!({
                    "to": job.to,
                    "at_edge": transfer.held.as_ref().map(|h| &h.region),
                    "attempts": job.attempts,
                    "failed": job.failed,
                    "last_error": job.last_error,
                }),
            );
        }
    }
    Ok(Json(Value::Object(out)).into_response())
}

/// Width and height of an image file, read from its first bytes.
async fn image_size(storage: &dyn Storage, file: &FileRecord) -> Option<(usize, usize)> {
    let head_len = file.size.min(256 * 1024);
    let chunks: Vec<bytes::Bytes> = storage
        .get(&file.handle, Some(0..head_len))
        .await
        .ok()?
        .try_collect()
        .await
        .ok()?;
    let head = chunks.concat();
    imagesize::blob_size(&head)
        .ok()
        .map(|s| (s.width, s.height))
}

/// Hex digests of the whole file, in one pass.
async fn hash_file(
    storage: &dyn Storage,
    file: &FileRecord,
    which: &[&str],
) -> ApiResult<HashMap<&'static str, String>> {
    use digest::DynDigest;
    let mut hashers: Vec<(&'static str, Box<dyn DynDigest + Send>)> = Vec::new();
    for name in HASHES {
        if !which.contains(name) {
            continue;
        }
        let h: Box<dyn DynDigest + Send> = match *name {
            "md5" => Box::new(md5::Md5::default()),
            "sha1" => Box::new(sha1::Sha1::default()),
            "sha224" => Box::new(sha2::Sha224::default()),
            "sha256" => Box::new(sha2::Sha256::default()),
            "sha384" => Box::new(sha2::Sha384::default()),
            _ => Box::new(sha2::Sha512::default()),
        };
        hashers.push((name, h));
    }
    let mut stream = storage.get(&file.handle, None).await?;
    while let Some(chunk) = stream.try_next().await.map_err(ApiError::internal)? {
        for (_, h) in &mut hashers {
            h.update(&chunk);
        }
    }
    Ok(hashers
        .into_iter()
        .map(|(name, h)| (name, hex::encode(h.finalize())))
        .collect())
}

/// `Content-Disposition` with a plain ASCII fallback and the UTF-8 name.
fn disposition(kind: &str, filename: &str) -> HeaderValue {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded =
        percent_encoding::utf8_percent_encode(filename, percent_encoding::NON_ALPHANUMERIC);
    HeaderValue::from_str(&format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

pub(super) async fn download(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    Path(handle): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let sec = auth::query_security(&q);
    deliver(&state, method, &uri, &handle, &q, &sec, &headers).await
}

pub(super) async fn download_signed(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    Path((first, handle)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (handle, sec) = signed(&first, handle)?;
    deliver(&state, method, &uri, &handle, &q, &sec, &headers).await
}

async fn deliver(
    state: &AppState,
    method: Method,
    uri: &Uri,
    handle: &str,
    q: &HashMap<String, String>,
    sec: &Security,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let file = find(state, handle).await?;
    guard(state, &file, sec, headers, Call::Read)?;
    let storage = match bytes_or_redirect(state, &file, uri) {
        Ok(storage) => storage,
        Err(redirect) => return Ok(redirect.into_response()),
    };
    let etag = format!("\"skiff-{}\"", file.handle);
    let mut h = HeaderMap::new();
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).map_err(ApiError::internal)?,
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&file.mimetype)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Uploaded HTML or SVG must not run as this origin's script.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    let dl = q.get("dl").is_some_and(|v| v == "true" || v == "1");
    h.insert(
        header::CONTENT_DISPOSITION,
        disposition(if dl { "attachment" } else { "inline" }, &file.filename),
    );
    let (status, range) = match ranges::select(headers, &etag, file.size) {
        Selection::NotModified => return Ok((StatusCode::NOT_MODIFIED, h).into_response()),
        Selection::Whole => (StatusCode::OK, 0..file.size),
        Selection::Part(range) => {
            let cr = format!("bytes {}-{}/{}", range.start, range.end - 1, file.size);
            h.insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&cr).map_err(ApiError::internal)?,
            );
            (StatusCode::PARTIAL_CONTENT, range)
        }
        Selection::Unsatisfiable => {
            h.insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{}", file.size))
                    .map_err(ApiError::internal)?,
            );
            let asked = headers
                .get(header::RANGE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let err = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                ErrorCode::RangeNotSatisfiable,
                format!(
                    "the range {asked:?} lies outside the file's {} bytes",
                    file.size
                ),
            );
            return Ok((h, err).into_response());
        }
    };
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(range.end - range.start),
    );
    if method == Method::HEAD {
        return Ok((status, h).into_response());
    }
    let stream = storage.get(&file.handle, Some(range)).await?;
    Ok((status, h, Body::from_stream(stream)).into_response())
}

pub(super) async fn delete(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path(handle): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let app = auth::app(&state, q.get("key").map(String::as_str))?;
    let file = find(&state, &handle).await?;
    if file.app != app.key {
        return Err(ApiError::no_file(&handle));
    }
    auth::authorize(
        &state,
        app,
        &auth::query_security(&q),
        Some(&headers),
        &Access {
            call: Some(Call::Remove),
            handle: Some(&handle),
            ..Access::default()
        },
    )?;
    // Only the edge holding the bytes can remove them.
    let storage = match bytes_or_redirect(&state, &file, &uri) {
        Ok(storage) => storage,
        Err(redirect) => return Ok(redirect.into_response()),
    };
    // The record goes first: a crash in between leaves unreferenced bytes (collected at the
    // next start), never a record whose bytes are gone.
    state.state().delete_file(&handle).await?;
    let skip_storage = q.get("skip_storage").is_some_and(|v| v == "true");
    if !skip_storage {
        storage.delete(&handle).await?;
    }
    tracing::info!(%handle, "file deleted");
    Ok(Json(json!({ "handle": handle, "status": "deleted" })).into_response())
}

pub(super) async fn index(State(state): State<AppState>) -> Html<String> {
    let url = state.config().public_url();
    let demo = if state.config().demo.is_some() {
        "<p>Try the file picker on the <a href=\"demo/\">demo page</a>.</p>"
    } else {
        ""
    };
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>Skiff upload server</title>\
         <h1>Skiff upload server</h1><p>This server speaks Filestack's upload protocol at <code>{url}</code>.</p>\
         <p>Point filestack-js at it with <code>client.session.urls.uploadApiUrl = '{url}'</code>; see the README for the rest.</p>{demo}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_is_safe() {
        let v = disposition("inline", "naïve \"x\".txt");
        assert_eq!(
            v.to_str().unwrap(),
            "inline; filename=\"na_ve _x_.txt\"; filename*=UTF-8''na%C3%AFve%20%22x%22%2Etxt"
        );
    }
}
