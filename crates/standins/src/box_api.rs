//! Box Content API 2.0 (cloud-sources.md §4.4): OAuth without PKCE (a confidential client),
//! codes good for 30 s, refresh tokens that work once and come back new with every refresh
//! (the old one dead), RFC 7009 revocation with the client's secret; folder items by id
//! (`"0"` the root) in offset and marker paging; `users/me`; downloads that answer 302 to a
//! pre-authenticated URL on the content host valid for 15 minutes, which refuses a request
//! carrying `Authorization`, or 202 + `Retry-After` while a file is not ready; thumbnails
//! (`/files/{id}/thumbnail.jpg|png`, sizes 32 to 320): an image or video's picture, 202 with a
//! placeholder's `Location` and `Retry-After` while one is being made, 302 to a placeholder for
//! a type Box makes none of. Errors in Box's shape: `{type: "error", status, code, message,
//! request_id}`.

use crate::core::{Core, OAuthRules, Refresh, StandIn, oauth_routes};
use crate::files::{self, Entry, Tree, ranged};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The client id tests register.
pub const CLIENT_ID: &str = "box-client";
/// Its secret.
pub const CLIENT_SECRET: &str = "box-secret";

#[derive(Debug)]
struct BoxApi {
    core: Arc<Core>,
    tree: Tree,
    page: usize,
    /// The content host's base URL (set once both hosts are bound).
    content: Mutex<String>,
    /// Files whose first download answers 202 (not ready yet).
    warming: Mutex<HashSet<u64>>,
    /// Download URLs handed out: signature → (file id, valid until).
    links: Mutex<HashMap<String, (u64, Instant)>>,
    /// Web links shown in the root (not downloadable).
    web_link: bool,
    /// Files whose first thumbnail request answers 202 (still being made).
    thumbnail_warming: Mutex<HashSet<u64>>,
}

type S = State<Arc<BoxApi>>;

fn box_error(status: u16, code: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        Json(json!({
            "type": "error", "status": status, "code": code, "message": message,
            "context_info": {}, "help_url": "https://developer.box.com/guides/api-calls/permissions-and-errors/common-errors/",
            "request_id": "abcdef123456",
        })),
    )
        .into_response()
}

fn error(status: u16) -> Response {
    match status {
        401 => box_error(401, "unauthorized", "Unauthorized"),
        429 => box_error(
            429,
            "rate_limit_exceeded",
            "Request rate limit exceeded, please try again later",
        ),
        _ => box_error(status, "internal_server_error", "Internal Server Error"),
    }
}

fn auth(b: &BoxApi, headers: &HeaderMap) -> Result<(), Response> {
    b.core
        .bearer(headers)
        .map(|_| ())
        .map_err(|_| box_error(401, "unauthorized", "Unauthorized"))
}

fn mini(e: &Entry) -> Value {
    if e.folder {
        json!({"type": "folder", "id": e.id.to_string(), "name": e.name(), "etag": "0",
               "modified_at": "2026-05-01T10:00:00-07:00", "size": 0})
    } else {
        json!({"type": "file", "id": e.id.to_string(), "name": e.name(), "etag": "0",
               "size": e.bytes.len(), "modified_at": "2026-05-01T10:00:00-07:00",
               "sha1": "85136c79cbf9fe36bb9d05d0639c70c265c18d37"})
    }
}

fn folder<'a>(b: &'a BoxApi, id: &str) -> Option<&'a Entry> {
    if id == "0" {
        return b.tree.at("", false);
    }
    id.parse()
        .ok()
        .and_then(|n| b.tree.by_id(n))
        .filter(|e| e.folder)
}

/// The file with the id `id`.
fn file<'a>(b: &'a BoxApi, id: &str) -> Option<&'a Entry> {
    id.parse()
        .ok()
        .and_then(|n| b.tree.by_id(n))
        .filter(|e| !e.folder)
}

async fn items(
    State(b): S,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = auth(&b, &headers) {
        return r;
    }
    let Some(dir) = folder(&b, &id) else {
        return box_error(404, "not_found", "Not Found");
    };
    let mut entries: Vec<Value> = b.tree.children(dir).into_iter().map(mini).collect();
    if b.web_link && id == "0" {
        entries.push(
            json!({"type": "web_link", "id": "9001", "name": "A bookmark",
                            "url": "https://example.com/"}),
        );
    }
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(1, 1000)
        .min(b.page);
    if q.get("usemarker").map(String::as_str) == Some("true") {
        let from: usize = q
            .get("marker")
            .and_then(|m| m.strip_prefix("m").and_then(|n| n.parse().ok()))
            .unwrap_or(0);
        let end = (from + limit).min(entries.len());
        let next = (end < entries.len()).then(|| format!("m{end}"));
        return Json(json!({
            "entries": entries[from.min(end)..end], "limit": limit,
            "next_marker": next, "prev_marker": null,
        }))
        .into_response();
    }
    let offset: usize = q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let end = (offset + limit).min(entries.len());
    Json(json!({
        "total_count": entries.len(), "entries": entries[offset.min(end)..end],
        "offset": offset, "limit": limit,
        "order": [{"by": "type", "direction": "ASC"}, {"by": "name", "direction": "ASC"}],
    }))
    .into_response()
}

async fn me(State(b): S, headers: HeaderMap) -> Response {
    if let Err(r) = auth(&b, &headers) {
        return r;
    }
    Json(json!({"type": "user", "id": "11446498", "name": "Ana Lima", "login": "ana@box.example"}))
        .into_response()
}

/// `GET /2.0/files/{id}/content`: 202 while a file warms up, else 302 to a signed URL.
async fn content(State(b): S, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = auth(&b, &headers) {
        return r;
    }
    let Some(file) = file(&b, &id) else {
        return box_error(404, "not_found", "Not Found");
    };
    if b.warming
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&file.id)
    {
        let mut r = StatusCode::ACCEPTED.into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return r;
    }
    let sig: [u8; 12] = rand::random();
    let sig: String = sig.iter().map(|b| format!("{b:02x}")).collect();
    b.links.lock().unwrap_or_else(|p| p.into_inner()).insert(
        sig.clone(),
        (file.id, Instant::now() + Duration::from_secs(900)),
    );
    let base = b.content.lock().unwrap_or_else(|p| p.into_inner()).clone();
    crate::core::found(&format!("{base}/d/1/{sig}/download"))
}

/// `GET /2.0/files/{id}/thumbnail.{jpg|png}` (Box's basic thumbnails).
async fn thumbnail(
    State(b): S,
    Path((id, asked)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = auth(&b, &headers) {
        return r;
    }
    let ext = match asked.as_str() {
        "thumbnail.jpg" => "jpg",
        "thumbnail.png" => "png",
        _ => return box_error(404, "not_found", "Not Found"),
    };
    // Each bound is 32 to 320 pixels, a minimum no larger than its maximum.
    let bound = |k: &str, default: u32| match q.get(k) {
        None => Some(default),
        Some(v) => v.parse::<u32>().ok().filter(|n| (32..=320).contains(n)),
    };
    let sizes = (
        bound("min_width", 32),
        bound("max_width", 320),
        bound("min_height", 32),
        bound("max_height", 320),
    );
    let (Some(min_w), Some(max_w), Some(min_h), Some(max_h)) = sizes else {
        return box_error(400, "bad_request", "Invalid value for a thumbnail size.");
    };
    if min_w > max_w || min_h > max_h {
        return box_error(400, "bad_request", "The minimum size exceeds the maximum.");
    }
    let Some(e) = file(&b, &id) else {
        return box_error(404, "not_found", "Not Found");
    };
    let base = b.content.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let placeholder = format!("{base}/placeholder/{ext}");
    if !files::pictured(e.name()) {
        return crate::core::found(&placeholder);
    }
    if b.thumbnail_warming
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&e.id)
    {
        let mut r = StatusCode::ACCEPTED.into_response();
        if let Ok(v) = HeaderValue::from_str(&placeholder) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        return r;
    }
    files::thumbnail("image/jpeg", HeaderMap::new())
}

/// A type's placeholder graphic (the content host), where thumbnails' 202 and 302 point.
async fn placeholder() -> Response {
    files::thumbnail("image/jpeg", HeaderMap::new())
}

/// The pre-authenticated download host.
async fn download(State(b): S, Path(sig): Path<String>, headers: HeaderMap) -> Response {
    if headers.contains_key(header::AUTHORIZATION) {
        return (
            StatusCode::BAD_REQUEST,
            "this URL is pre-authenticated: do not send Authorization",
        )
            .into_response();
    }
    let link = b
        .links
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&sig)
        .copied();
    match link.and_then(|(id, until)| (until > Instant::now()).then(|| b.tree.by_id(id)).flatten())
    {
        Some(e) => ranged(&e.bytes, &headers, HeaderMap::new()),
        None => (StatusCode::FORBIDDEN, "expired or unknown download link").into_response(),
    }
}

/// RFC 7009, with the client's credentials in the form (Box's rule).
async fn revoke(State(b): S, Form(f): Form<HashMap<String, String>>) -> Response {
    let client_ok = f.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && f.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET);
    if !client_ok {
        return crate::core::oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "The client credentials are invalid",
        );
    }
    if let Some(t) = f.get("token") {
        b.core.revoke(t);
    }
    StatusCode::OK.into_response()
}

/// Options of a Box stand-in.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Entries per page at most (0: 2).
    pub page: usize,
    /// Files (by path) whose first download answers 202.
    pub warming: Vec<String>,
    /// A web link in the root.
    pub web_link: bool,
    /// Code lifetime (default Box's 30 s).
    pub code_ttl: Option<Duration>,
    /// Files (by path) whose first thumbnail request answers 202.
    pub thumbnail_warming: Vec<String>,
}

/// Starts a Box stand-in serving `files`.
pub async fn start(files: &[(&str, Vec<u8>)], options: Options) -> StandIn {
    let core = Core::new(OAuthRules {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        pkce_required: false,
        pkce_supported: false,
        code_ttl: options.code_ttl.unwrap_or(Duration::from_secs(30)),
        access_ttl: 3600,
        refresh: Refresh::SingleUse,
        scopes: vec!["root_readonly".into()],
    });
    let tree = Tree::new(files);
    let ids = |paths: &[String]| -> HashSet<u64> {
        paths
            .iter()
            .filter_map(|p| tree.at(p, false).map(|e| e.id))
            .collect()
    };
    let warming = ids(&options.warming);
    let thumbnail_warming = ids(&options.thumbnail_warming);
    let b = Arc::new(BoxApi {
        core: core.clone(),
        tree,
        page: if options.page == 0 { 2 } else { options.page },
        content: Mutex::new(String::new()),
        warming: Mutex::new(warming),
        links: Mutex::new(HashMap::new()),
        web_link: options.web_link,
        thumbnail_warming: Mutex::new(thumbnail_warming),
    });
    let main = Router::new()
        .route("/oauth2/revoke", post(revoke))
        .route("/2.0/users/me", get(me))
        .route("/2.0/folders/{id}/items", get(items))
        .route("/2.0/files/{id}/content", get(content))
        .route("/2.0/files/{id}/{file}", get(thumbnail))
        .with_state(b.clone())
        .merge(oauth_routes(
            core.clone(),
            "/api/oauth2/authorize",
            Some("/oauth2/token"),
        ));
    let content_host = Router::new()
        .route("/d/1/{sig}/download", get(download))
        .route("/placeholder/{ext}", get(placeholder))
        .with_state(b.clone());
    let s = StandIn::serve(core, main, content_host, error).await;
    *b.content.lock().unwrap_or_else(|p| p.into_inner()) = s.content_url();
    s
}
