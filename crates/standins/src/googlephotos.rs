//! The Google Photos Picker API (cloud-sources.md §4.2), the only way left to choose from a
//! person's whole library: Google's OAuth (as for Drive), picking sessions
//! (`POST /v1/sessions`, `GET`/`DELETE /v1/sessions/{id}`) whose `pickerUri` the person opens
//! to choose, `GET /v1/mediaItems?sessionId` once `mediaItemsSet` (paged), and the media host
//! serving `<baseUrl>=d` (photos) and `=dv` (videos) to a bearer token, with Range, and
//! `=w<width>-h<height>` (optionally `-c`, cropped): a JPEG picture of a photo or a video.
//!
//! Opening a session's `pickerUri` here stands for the person choosing: every fixture is picked.

use crate::core::{Core, OAuthRules, Refresh, StandIn, oauth_routes};
use crate::files::{self, ranged};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The client id tests register.
pub const CLIENT_ID: &str = "gphotos-client.apps.example";
/// Its secret.
pub const CLIENT_SECRET: &str = "gphotos-secret";

/// One library item: (id, file name, MIME type, bytes; `ready` false for a video still being
/// processed).
#[derive(Debug, Clone)]
pub struct Media {
    /// Id.
    pub id: String,
    /// File name.
    pub filename: String,
    /// Type (`image/jpeg`, `video/mp4`).
    pub mime: String,
    /// Bytes.
    pub bytes: Vec<u8>,
    /// Processed (videos only matter).
    pub ready: bool,
}

#[derive(Debug)]
struct Photos {
    core: Arc<Core>,
    media: Vec<Media>,
    /// Session id → picked.
    sessions: Mutex<HashMap<String, bool>>,
    base: Mutex<(String, String)>,
    page: usize,
}

type S = State<Arc<Photos>>;

fn google_error(status: u16, state: &str, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        Json(json!({"error": {"code": status, "message": message, "status": state}})),
    )
        .into_response()
}

fn error(status: u16) -> Response {
    match status {
        401 => google_error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials.",
        ),
        429 => google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded."),
        _ => google_error(
            status,
            "UNAVAILABLE",
            "The service is currently unavailable.",
        ),
    }
}

fn auth(p: &Photos, headers: &HeaderMap) -> Result<(), Response> {
    p.core.bearer(headers).map(|_| ()).map_err(|_| {
        google_error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials.",
        )
    })
}

fn session_json(p: &Photos, id: &str, set: bool) -> Value {
    let main = p.base.lock().unwrap_or_else(|e| e.into_inner()).0.clone();
    json!({"id": id, "pickerUri": format!("{main}/picker/{id}"),
           "pollingConfig": {"pollInterval": "1s", "timeoutIn": if set { "0s" } else { "600s" }},
           "expireTime": "2030-01-01T00:00:00Z", "mediaItemsSet": set})
}

async fn create(State(p): S, headers: HeaderMap) -> Response {
    if let Err(r) = auth(&p, &headers) {
        return r;
    }
    let mut s = p.sessions.lock().unwrap_or_else(|e| e.into_inner());
    let id = format!("ps{}", s.len() + 1);
    s.insert(id.clone(), false);
    drop(s);
    Json(session_json(&p, &id, false)).into_response()
}

async fn session(State(p): S, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = auth(&p, &headers) {
        return r;
    }
    let set = p
        .sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .copied();
    match set {
        Some(set) => Json(session_json(&p, &id, set)).into_response(),
        None => google_error(404, "NOT_FOUND", "Requested entity was not found."),
    }
}

/// The person's choice: every fixture.
async fn picker(State(p): S, Path(id): Path<String>) -> Response {
    match p
        .sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_mut(&id)
    {
        Some(set) => {
            *set = true;
            (StatusCode::OK, "Chosen. You can close this window.").into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such session").into_response(),
    }
}

async fn media_items(
    State(p): S,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = auth(&p, &headers) {
        return r;
    }
    let id = q.get("sessionId").cloned().unwrap_or_default();
    let set = p
        .sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .copied();
    match set {
        None => return google_error(404, "NOT_FOUND", "Requested entity was not found."),
        Some(false) => {
            return google_error(
                400,
                "FAILED_PRECONDITION",
                "The user has not picked any media items yet.",
            );
        }
        Some(true) => {}
    }
    let media = p.base.lock().unwrap_or_else(|e| e.into_inner()).1.clone();
    let per = q
        .get("pageSize")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(25)
        .clamp(1, 100)
        .min(p.page);
    let from: usize = q
        .get("pageToken")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
        .min(p.media.len());
    let end = (from + per).min(p.media.len());
    let items: Vec<Value> = p.media[from..end]
        .iter()
        .map(|m| {
            let video = m.mime.starts_with("video/");
            let mut meta = json!({"width": 4000, "height": 3000});
            if video {
                meta["videoMetadata"] = json!({"processingStatus": if m.ready { "READY" } else { "PROCESSING" }});
            } else {
                meta["photoMetadata"] = json!({});
            }
            json!({"id": m.id, "createTime": "2026-04-01T09:00:00Z", "type": if video { "VIDEO" } else { "PHOTO" },
                   "mediaFile": {"baseUrl": format!("{media}/lh/{}", m.id), "mimeType": m.mime,
                                 "filename": m.filename, "mediaFileMetadata": meta}})
        })
        .collect();
    let mut out = json!({ "mediaItems": items });
    if end < p.media.len() {
        out["nextPageToken"] = json!(end.to_string());
    }
    Json(out).into_response()
}

/// Whether `params` asks for a picture: `w<n>-h<n>`, optionally `-c`.
fn sized(params: &str) -> bool {
    let params = params.strip_suffix("-c").unwrap_or(params);
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    params
        .strip_prefix('w')
        .and_then(|r| r.split_once("-h"))
        .is_some_and(|(w, h)| number(w) && number(h))
}

/// `<baseUrl>=d` / `=dv`: the bytes; `=w…-h…`: a picture; to the bearer only.
async fn bytes(State(p): S, Path(name): Path<String>, headers: HeaderMap) -> Response {
    if p.core.bearer(&headers).is_err() {
        return StatusCode::FORBIDDEN.into_response();
    }
    let Some((id, kind)) = name.split_once('=') else {
        return (StatusCode::BAD_REQUEST, "a base URL needs =d or =dv").into_response();
    };
    if sized(kind) {
        return match p.media.iter().find(|m| m.id == id) {
            Some(_) => files::thumbnail("image/jpeg", HeaderMap::new()),
            None => StatusCode::NOT_FOUND.into_response(),
        };
    }
    match p.media.iter().find(|m| m.id == id) {
        Some(m)
            if (kind == "dv") == m.mime.starts_with("video/") && (kind == "d" || kind == "dv") =>
        {
            let mut extra = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&m.mime) {
                extra.insert(header::CONTENT_TYPE, v);
            }
            ranged(&m.bytes, &headers, extra)
        }
        Some(_) => (
            StatusCode::BAD_REQUEST,
            "wrong download parameter for this type",
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn revoke(State(p): S, Form(f): Form<HashMap<String, String>>) -> Response {
    match f.get("token") {
        Some(t) if p.core.revoke(t) => StatusCode::OK.into_response(),
        _ => crate::core::oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_token",
            "Token expired or revoked",
        ),
    }
}

/// Starts a Google Photos stand-in whose library is `media`.
pub async fn start(media: Vec<Media>) -> StandIn {
    let core = Core::new(OAuthRules {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        pkce_required: false,
        pkce_supported: true,
        code_ttl: Duration::from_secs(600),
        access_ttl: 3599,
        refresh: Refresh::Keep,
        scopes: vec!["https://www.googleapis.com/auth/photospicker.mediaitems.readonly".into()],
    });
    let p = Arc::new(Photos {
        core: core.clone(),
        media,
        sessions: Mutex::default(),
        base: Mutex::default(),
        page: 2,
    });
    let main = Router::new()
        .route("/revoke", post(revoke))
        .route("/v1/sessions", post(create))
        .route("/v1/sessions/{id}", get(session))
        .route("/v1/mediaItems", get(media_items))
        .route("/picker/{id}", get(picker))
        .with_state(p.clone())
        .merge(oauth_routes(
            core.clone(),
            "/o/oauth2/v2/auth",
            Some("/token"),
        ));
    let content = Router::new()
        .route("/lh/{name}", get(bytes))
        .with_state(p.clone());
    let s = StandIn::serve(core, main, content, error).await;
    *p.base.lock().unwrap_or_else(|e| e.into_inner()) = (s.url(), s.content_url());
    s
}
