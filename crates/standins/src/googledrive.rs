//! Google OAuth 2.0 and the Drive API v3 (cloud-sources.md §4.1): PKCE, offline refresh tokens
//! that a refresh does not send again, RFC 7009 revocation at `/revoke`; `about`, `files`
//! listings by `'<id>' in parents and trashed=false` (alias `root`) with `pageSize` and
//! `pageToken`, ordered folders first, `size` as a string (absent for folders and Google's own
//! documents), a file's metadata, `alt=media` with Range (a Google document there is a 403
//! `fileNotDownloadable`), `export` of Google documents, shortcuts with `shortcutDetails`,
//! `hasThumbnail` and a `thumbnailLink` for images and videos (on the content host, to the bearer
//! only, as a file that is not public is), and Google's error shape `{"error": {"code", "message", "errors": [{"domain", "reason"}],
//! "status"}}`.

use crate::core::{Core, OAuthRules, Refresh, StandIn, oauth_routes};
use crate::files::{self, Entry, Tree, ranged};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The client id tests register.
pub const CLIENT_ID: &str = "gdrive-client.apps.example";
/// Its secret.
pub const CLIENT_SECRET: &str = "gdrive-secret";
/// What exporting the Google document fixture gives, whatever the format asked.
pub const EXPORTED: &[u8] = b"PK\x03\x04 an exported document";
const FOLDER: &str = "application/vnd.google-apps.folder";
const DOCUMENT: &str = "application/vnd.google-apps.document";
/// The formats a document's `exportLinks` offer.
const EXPORT_TYPES: [&str; 2] = [
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/pdf",
];
const SHORTCUT: &str = "application/vnd.google-apps.shortcut";

/// Extra entries beside the given files.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// A Google document `Plan` at the root.
    pub document: bool,
    /// A shortcut `Link to readme` at the root, to `/readme.txt`.
    pub shortcut: bool,
    /// A shared drive `Team Drive` holding `roadmap.txt` ([`SHARED_FILE`]).
    pub shared_drive: bool,
    /// The document exports to more than Drive's 10 MB export cap ([`big_export`] bytes):
    /// `export` refuses it, and its `exportLinks` (on the content host) serve it.
    pub big_document: bool,
}

/// Drive's cap on what `files.export` returns.
pub const EXPORT_CAP: usize = 10 * 1000 * 1000;

/// What the big document exports to.
pub fn big_export() -> Vec<u8> {
    (0..EXPORT_CAP + 17).map(|i| (i % 251) as u8).collect()
}

/// What the shared drive's one file holds.
pub const SHARED_FILE: &[u8] = b"the team's roadmap";
const DRIVE_ID: &str = "0ADrive1";
const SHARED_ID: &str = "1dSD1";

#[derive(Debug)]
struct Drive {
    core: Arc<Core>,
    tree: Tree,
    options: Options,
    page: usize,
    /// The content host's base URL (export links), known once it is bound.
    content: std::sync::Mutex<String>,
}

type S = State<Arc<Drive>>;

/// Ids of the extra entries (outside the tree's numbering).
const DOC_ID: &str = "1dDOC";
const SHORTCUT_ID: &str = "1dLINK";

fn google_error(status: u16, reason: &str, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let domain = if status == 429 || reason.contains("RateLimit") {
        "usageLimits"
    } else {
        "global"
    };
    (
        code,
        Json(json!({"error": {"code": status, "message": message,
                    "errors": [{"domain": domain, "reason": reason, "message": message}],
                    "status": code.canonical_reason().unwrap_or("").to_uppercase().replace(' ', "_")}})),
    )
        .into_response()
}

fn error(status: u16) -> Response {
    match status {
        401 => google_error(
            401,
            "authError",
            "Request had invalid authentication credentials.",
        ),
        429 => google_error(429, "rateLimitExceeded", "Rate Limit Exceeded"),
        _ => google_error(status, "backendError", "Backend Error"),
    }
}

fn auth(d: &Drive, headers: &HeaderMap) -> Result<(), Response> {
    d.core.bearer(headers).map(|_| ()).map_err(|_| {
        google_error(
            401,
            "authError",
            "Request had invalid authentication credentials.",
        )
    })
}

fn id_of(e: &Entry) -> String {
    if e.path.is_empty() {
        "root".into()
    } else {
        format!("1d{}", e.id)
    }
}

fn mime_of(e: &Entry) -> &'static str {
    if e.folder {
        return FOLDER;
    }
    match e.name().rsplit_once('.').map(|(_, x)| x) {
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("mp4") => "video/mp4",
        _ => "application/octet-stream",
    }
}

fn file_json(d: &Drive, e: &Entry) -> Value {
    let mut v = json!({"kind": "drive#file", "id": id_of(e), "name": e.name(), "mimeType": mime_of(e),
                       "modifiedTime": "2026-05-01T10:00:00.000Z",
                       "iconLink": "https://drive-thirdparty.example/16/type/text/plain"});
    if !e.folder {
        v["size"] = json!(e.bytes.len().to_string());
        let pictured = files::pictured(e.name());
        v["hasThumbnail"] = json!(pictured);
        if pictured {
            let base = d.content.lock().unwrap_or_else(|p| p.into_inner()).clone();
            v["thumbnailLink"] = json!(format!("{base}/drive-storage/{}=s220", id_of(e)));
        }
    }
    v
}

fn extras(d: &Drive) -> Vec<Value> {
    let mut out = Vec::new();
    if d.options.document || d.options.big_document {
        let links: serde_json::Map<String, Value> = EXPORT_TYPES
            .iter()
            .map(|t| {
                let base = d.content.lock().unwrap_or_else(|p| p.into_inner()).clone();
                (
                    t.to_string(),
                    json!(format!("{base}/export/{DOC_ID}?format={t}")),
                )
            })
            .collect();
        out.push(
            json!({"kind": "drive#file", "id": DOC_ID, "name": "Plan", "mimeType": DOCUMENT,
                        "modifiedTime": "2026-05-01T10:00:00.000Z", "exportLinks": links}),
        );
    }
    if d.options.shortcut {
        let target = d
            .tree
            .at("/readme.txt", false)
            .map(id_of)
            .unwrap_or_default();
        out.push(json!({"kind": "drive#file", "id": SHORTCUT_ID, "name": "Link to readme", "mimeType": SHORTCUT,
                        "shortcutDetails": {"targetId": target, "targetMimeType": "text/plain"}}));
    }
    out
}

fn entry<'a>(d: &'a Drive, id: &str) -> Option<&'a Entry> {
    if id == "root" {
        return d.tree.at("", false);
    }
    id.strip_prefix("1d")
        .and_then(|n| n.parse().ok())
        .and_then(|n| d.tree.by_id(n))
}

async fn about(State(d): S, headers: HeaderMap) -> Response {
    if let Err(r) = auth(&d, &headers) {
        return r;
    }
    Json(json!({"user": {"kind": "drive#user", "displayName": "Ana Lima", "emailAddress": "ana@gmail.example"}}))
        .into_response()
}

async fn list_files(
    State(d): S,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = auth(&d, &headers) {
        return r;
    }
    let query = q.get("q").map(String::as_str).unwrap_or("");
    // Only what the provider asks: `'<id>' in parents and trashed=false`.
    let Some(parent) = query
        .strip_prefix('\'')
        .and_then(|r| r.split_once("' in parents"))
        .map(|(id, _)| id.to_owned())
    else {
        return google_error(400, "invalid", &format!("Invalid Value: q={query}"));
    };
    let shared = json!({"kind": "drive#file", "id": SHARED_ID, "name": "roadmap.txt", "mimeType": "text/plain",
                        "size": SHARED_FILE.len().to_string(), "driveId": DRIVE_ID});
    let mut all: Vec<Value> = match entry(&d, &parent) {
        _ if d.options.shared_drive && parent == DRIVE_ID => vec![shared],
        // Drive answers an empty list for a parent that is a file, or no file at all.
        Some(dir) if dir.folder => d
            .tree
            .children(dir)
            .into_iter()
            .map(|e| file_json(&d, e))
            .collect(),
        _ => Vec::new(),
    };
    if parent == "root" {
        all.extend(extras(&d));
    }
    let size = q
        .get("pageSize")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(1, 1000)
        .min(d.page);
    let from = match q.get("pageToken") {
        Some(t) => {
            let decoded = URL_SAFE_NO_PAD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            match decoded.as_deref().and_then(|s| s.split_once('|')) {
                Some((p, n)) if p == parent => n.parse().unwrap_or(0),
                _ => return google_error(400, "invalid", "Invalid Value: pageToken"),
            }
        }
        None => 0,
    };
    let from = usize::min(from, all.len());
    let end = (from + size).min(all.len());
    let mut out =
        json!({"kind": "drive#fileList", "incompleteSearch": false, "files": all[from..end]});
    if end < all.len() {
        out["nextPageToken"] = json!(URL_SAFE_NO_PAD.encode(format!("{parent}|{end}")));
    }
    Json(out).into_response()
}

async fn file(
    State(d): S,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = auth(&d, &headers) {
        return r;
    }
    let media = q.get("alt").map(String::as_str) == Some("media");
    if d.options.shared_drive && (id == DRIVE_ID || id == SHARED_ID) {
        if id == DRIVE_ID {
            return Json(json!({"kind": "drive#file", "id": DRIVE_ID, "name": "Team Drive", "mimeType": FOLDER, "driveId": DRIVE_ID}))
                .into_response();
        }
        if media {
            return ranged(SHARED_FILE, &headers, HeaderMap::new());
        }
        return Json(json!({"kind": "drive#file", "id": SHARED_ID, "name": "roadmap.txt", "mimeType": "text/plain",
                           "size": SHARED_FILE.len().to_string()}))
            .into_response();
    }
    if let Some(extra) = extras(&d).into_iter().find(|v| v["id"] == id.as_str()) {
        if media && extra["mimeType"] == DOCUMENT {
            return google_error(
                403,
                "fileNotDownloadable",
                "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
            );
        }
        return Json(extra).into_response();
    }
    let Some(e) = entry(&d, &id) else {
        return google_error(404, "notFound", &format!("File not found: {id}."));
    };
    if !media {
        return Json(file_json(&d, e)).into_response();
    }
    if e.folder {
        return google_error(
            403,
            "fileNotDownloadable",
            "Only files with binary content can be downloaded.",
        );
    }
    let mut extra = HeaderMap::new();
    extra.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    ranged(&e.bytes, &headers, extra)
}

async fn export(
    State(d): S,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = auth(&d, &headers) {
        return r;
    }
    if id != DOC_ID || !(d.options.document || d.options.big_document) {
        return google_error(
            403,
            "fileNotExportable",
            "Export only supports Docs Editors files.",
        );
    }
    let Some(mime) = q.get("mimeType") else {
        return google_error(400, "required", "Required parameter: mimeType");
    };
    if d.options.big_document {
        return google_error(
            403,
            "exportSizeLimitExceeded",
            "This file is too large to be exported.",
        );
    }
    let mut r = (StatusCode::OK, EXPORTED.to_vec()).into_response();
    if let Ok(v) = HeaderValue::from_str(mime) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

/// An `exportLinks` URL on the content host: the export, whatever its size, to the bearer.
async fn export_link(State(d): S, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = auth(&d, &headers) {
        return r;
    }
    if id != DOC_ID {
        return StatusCode::NOT_FOUND.into_response();
    }
    let bytes = if d.options.big_document {
        big_export()
    } else {
        EXPORTED.to_vec()
    };
    (StatusCode::OK, bytes).into_response()
}

/// A `thumbnailLink` (content host): the picture, to the bearer only.
async fn thumbnail(State(d): S, Path(name): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = auth(&d, &headers) {
        return r;
    }
    let e = name
        .strip_suffix("=s220")
        .and_then(|id| entry(&d, id))
        .filter(|e| !e.folder && files::pictured(e.name()));
    match e {
        Some(_) => files::thumbnail("image/jpeg", HeaderMap::new()),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /drive/v3/drives`: the shared drives the person belongs to.
async fn drives(State(d): S, headers: HeaderMap) -> Response {
    if let Err(r) = auth(&d, &headers) {
        return r;
    }
    let list: Vec<Value> = if d.options.shared_drive {
        vec![json!({"kind": "drive#drive", "id": DRIVE_ID, "name": "Team Drive"})]
    } else {
        Vec::new()
    };
    Json(json!({"kind": "drive#driveList", "drives": list})).into_response()
}

/// RFC 7009: `token=` in the form; revoking a refresh token ends its access tokens too (here:
/// the token named).
async fn revoke(State(d): S, Form(f): Form<HashMap<String, String>>) -> Response {
    match f.get("token") {
        Some(t) if d.core.revoke(t) => StatusCode::OK.into_response(),
        _ => crate::core::oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_token",
            "Token expired or revoked",
        ),
    }
}

/// Starts a Google Drive stand-in serving `files`.
pub async fn start(files: &[(&str, Vec<u8>)], options: Options) -> StandIn {
    let core = Core::new(OAuthRules {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        pkce_required: false,
        pkce_supported: true,
        code_ttl: Duration::from_secs(600),
        access_ttl: 3599,
        refresh: Refresh::Keep,
        scopes: vec!["https://www.googleapis.com/auth/drive.readonly".into()],
    });
    let d = Arc::new(Drive {
        core: core.clone(),
        tree: Tree::new(files),
        options,
        page: 2,
        content: std::sync::Mutex::default(),
    });
    let main = Router::new()
        .route("/revoke", post(revoke))
        .route("/drive/v3/about", get(about))
        .route("/drive/v3/drives", get(drives))
        .route("/drive/v3/files", get(list_files))
        .route("/drive/v3/files/{id}", get(file))
        .route("/drive/v3/files/{id}/export", get(export))
        .with_state(d.clone())
        .merge(oauth_routes(
            core.clone(),
            "/o/oauth2/v2/auth",
            Some("/token"),
        ));
    let content = Router::new()
        .route("/export/{id}", get(export_link))
        .route("/drive-storage/{name}", get(thumbnail))
        .with_state(d.clone());
    let s = StandIn::serve(core, main, content, error).await;
    *d.content.lock().unwrap_or_else(|p| p.into_inner()) = s.content_url();
    s
}
