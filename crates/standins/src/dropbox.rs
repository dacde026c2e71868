//! Dropbox API v2 (cloud-sources.md §4.3): OAuth with PKCE and offline refresh tokens that do
//! not rotate, RPC endpoints on the API host (`users/get_current_account`,
//! `files/list_folder` and `/continue` with a small page, `auth/token/revoke`) and the download
//! endpoint on the content host, its argument in the `Dropbox-API-Arg` header (which must be
//! ASCII: Dropbox refuses raw non-ASCII there), its metadata in `Dropbox-API-Result`, Range
//! honoured; `files/get_thumbnail_v2` there too (a JPEG of an image, 409
//! `unsupported_extension` for other files). Errors in Dropbox's shapes: 401
//! `expired_access_token`, 409 `path/not_found/`.

use crate::core::{Bearer, Core, OAuthRules, Refresh, StandIn, oauth_routes};
use crate::files::{self, Entry, Tree, ranged};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The client id tests register.
pub const CLIENT_ID: &str = "dbx-client";
/// Its secret.
pub const CLIENT_SECRET: &str = "dbx-secret";

#[derive(Debug)]
struct Dbx {
    core: Arc<Core>,
    tree: Tree,
    page: usize,
    team: bool,
}

/// A team account's root namespace (its team folders live there, not in the member's home).
pub const TEAM_ROOT: &str = "9000";
/// The team folder a team account shows only to calls rooted at [`TEAM_ROOT`].
pub const TEAM_FOLDER: &str = "/Team Shared";

/// Whether a call asked for the team's root (`Dropbox-API-Path-Root`).
fn team_rooted(headers: &HeaderMap) -> bool {
    headers
        .get("Dropbox-API-Path-Root")
        .and_then(|v| serde_json::from_slice::<Value>(v.as_bytes()).ok())
        .is_some_and(|v| v[".tag"] == "root" && v["root"] == TEAM_ROOT)
}

/// Whether `e` is visible to a call: team folders need the team root.
fn visible(d: &Dbx, e: &Entry, headers: &HeaderMap) -> bool {
    let in_team = e
        .path
        .to_lowercase()
        .starts_with(&TEAM_FOLDER.to_lowercase());
    !in_team || (d.team && team_rooted(headers))
}

type S = State<Arc<Dbx>>;

fn error(status: u16) -> Response {
    let body = match status {
        401 => {
            json!({"error_summary": "expired_access_token/", "error": {".tag": "expired_access_token"}})
        }
        429 => {
            json!({"error_summary": "too_many_requests/..", "error": {"reason": {".tag": "too_many_requests"}, "retry_after": 1}})
        }
        _ => return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response(),
    };
    (StatusCode::OK, Json(body)).into_response()
}

fn path_error(tag: &str) -> Response {
    (
        StatusCode::CONFLICT,
        Json(json!({
            "error_summary": format!("path/{tag}/.."),
            "error": {".tag": "path", "path": {".tag": tag}},
        })),
    )
        .into_response()
}

fn auth(d: &Dbx, headers: &HeaderMap) -> Result<(), Response> {
    d.core.bearer(headers).map(|_| ()).map_err(|why| {
        let tag = match why {
            Bearer::Expired => "expired_access_token",
            Bearer::Missing | Bearer::Invalid => "invalid_access_token",
        };
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error_summary": format!("{tag}/"), "error": {".tag": tag}})),
        )
            .into_response()
    })
}

fn metadata(e: &Entry) -> Value {
    let id = format!("id:dbx{}", e.id);
    if e.folder {
        json!({".tag": "folder", "name": e.name(), "id": id,
               "path_lower": e.path.to_lowercase(), "path_display": e.path})
    } else {
        json!({".tag": "file", "name": e.name(), "id": id,
               "path_lower": e.path.to_lowercase(), "path_display": e.path,
               "client_modified": "2026-05-01T10:00:00Z", "server_modified": "2026-05-01T10:00:01Z",
               "rev": "015f0000000001", "size": e.bytes.len(), "is_downloadable": true,
               "content_hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"})
    }
}

/// Finds `path` as Dropbox reads it: `""` the root, `/a/b` without case, or `id:…`.
fn find<'a>(d: &'a Dbx, path: &str) -> Option<&'a Entry> {
    if let Some(id) = path.strip_prefix("id:dbx") {
        return id.parse().ok().and_then(|n| d.tree.by_id(n));
    }
    if !path.is_empty() && !path.starts_with('/') {
        return None;
    }
    d.tree.at(path, true)
}

fn page(d: &Dbx, dir: &Entry, from: usize, headers: &HeaderMap) -> Response {
    let all: Vec<&Entry> = d
        .tree
        .children(dir)
        .into_iter()
        .filter(|e| visible(d, e, headers))
        .collect();
    let end = (from + d.page).min(all.len());
    let cursor = URL_SAFE_NO_PAD.encode(format!("{}|{end}", dir.path));
    Json(json!({
        "entries": all[from..end].iter().map(|e| metadata(e)).collect::<Vec<_>>(),
        "cursor": cursor,
        "has_more": end < all.len(),
    }))
    .into_response()
}

async fn list_folder(State(d): S, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if let Err(r) = auth(&d, &headers) {
        return r;
    }
    let Some(path) = body["path"].as_str() else {
        return (
            StatusCode::BAD_REQUEST,
            "Error in call to API function \"files/list_folder\": missing path",
        )
            .into_response();
    };
    if path == "/" {
        // Dropbox names the root "", and refuses "/".
        return (StatusCode::BAD_REQUEST, "Error in call to API function \"files/list_folder\": request body: path: 'root' should be empty string").into_response();
    }
    match find(&d, path).filter(|e| visible(&d, e, &headers)) {
        None => path_error("not_found"),
        Some(e) if !e.folder => path_error("not_folder"),
        Some(e) => page(&d, e, 0, &headers),
    }
}

async fn list_continue(State(d): S, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if let Err(r) = auth(&d, &headers) {
        return r;
    }
    let decoded = body["cursor"]
        .as_str()
        .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let Some((dir, from)) = decoded.as_deref().and_then(|c| c.rsplit_once('|')) else {
        return (
            StatusCode::CONFLICT,
            Json(json!({"error_summary": "reset/..", "error": {".tag": "reset"}})),
        )
            .into_response();
    };
    match (d.tree.at(dir, false), from.parse()) {
        (Some(e), Ok(from)) => page(&d, e, from, &headers),
        _ => path_error("not_found"),
    }
}

async fn account(State(d): S, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = auth(&d, &headers) {
        return r;
    }
    if !body.is_empty() && &body[..] != b"null" {
        return (StatusCode::BAD_REQUEST, "this function takes no arguments").into_response();
    }
    Json(json!({
        "account_id": "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc",
        "name": {"display_name": "Ana Lima"},
        "email": "ana@dropbox.example",
        "root_info": if d.team {
            json!({".tag": "team", "root_namespace_id": TEAM_ROOT, "home_namespace_id": "3235641", "home_path": "/Ana Lima"})
        } else {
            json!({".tag": "user", "root_namespace_id": "3235641", "home_namespace_id": "3235641"})
        },
    }))
    .into_response()
}

async fn revoke(State(d): S, headers: HeaderMap) -> Response {
    match d.core.bearer(&headers) {
        Ok(token) => {
            d.core.revoke(&token);
            Json(Value::Null).into_response()
        }
        Err(_) => auth(&d, &headers)
            .err()
            .unwrap_or_else(|| StatusCode::UNAUTHORIZED.into_response()),
    }
}

async fn download(State(d): S, headers: HeaderMap) -> Response {
    if let Err(r) = auth(&d, &headers) {
        return r;
    }
    let Some(arg) = headers.get("Dropbox-API-Arg") else {
        return (StatusCode::BAD_REQUEST, "missing Dropbox-API-Arg").into_response();
    };
    if !arg.as_bytes().iter().all(u8::is_ascii) {
        return (
            StatusCode::BAD_REQUEST,
            "Error in call to API function \"files/download\": HTTP header \"Dropbox-API-Arg\": could not decode input as JSON",
        )
            .into_response();
    }
    let Ok(arg) = serde_json::from_slice::<Value>(arg.as_bytes()) else {
        return (StatusCode::BAD_REQUEST, "Dropbox-API-Arg is not JSON").into_response();
    };
    let Some(e) = arg["path"]
        .as_str()
        .and_then(|p| find(&d, p))
        .filter(|e| visible(&d, e, &headers))
    else {
        return path_error("not_found");
    };
    if e.folder {
        return path_error("not_file");
    }
    let mut result = metadata(e).to_string();
    // Dropbox escapes non-ASCII in this header the same way clients must in the argument.
    result = result
        .chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                c.encode_utf16(&mut [0; 2])
                    .iter()
                    .map(|u| format!("\\u{u:04x}"))
                    .collect()
            }
        })
        .collect();
    let mut extra = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&result) {
        extra.insert("Dropbox-API-Result", v);
    }
    extra.insert(
        "Content-Type",
        HeaderValue::from_static("application/octet-stream"),
    );
    ranged(&e.bytes, &headers, extra)
}

/// `files/get_thumbnail_v2` (content host): the argument in `Dropbox-API-Arg` as for downloads,
/// `resource` naming the file by path; a JPEG of an image, 409 for a folder or another type.
async fn thumbnail(State(d): S, headers: HeaderMap) -> Response {
    if let Err(r) = auth(&d, &headers) {
        return r;
    }
    let arg = headers
        .get("Dropbox-API-Arg")
        .filter(|v| v.as_bytes().iter().all(u8::is_ascii))
        .and_then(|v| serde_json::from_slice::<Value>(v.as_bytes()).ok());
    let Some(arg) = arg else {
        return (
            StatusCode::BAD_REQUEST,
            "Error in call to API function \"files/get_thumbnail_v2\": HTTP header \"Dropbox-API-Arg\": could not decode input as JSON",
        )
            .into_response();
    };
    let known_size = matches!(
        arg["size"].as_str(),
        None | Some("w32h32" | "w64h64" | "w128h128" | "w256h256" | "w480h320" | "w640h480")
    );
    let known_format = matches!(arg["format"].as_str(), None | Some("jpeg" | "png"));
    if arg["resource"][".tag"] != "path" || !known_size || !known_format {
        return (StatusCode::BAD_REQUEST, "Error in call to API function \"files/get_thumbnail_v2\": request body: unknown resource, size or format").into_response();
    }
    let Some(e) = arg["resource"]["path"]
        .as_str()
        .and_then(|p| find(&d, p))
        .filter(|e| visible(&d, e, &headers))
    else {
        return path_error("not_found");
    };
    if e.folder || !files::pictured(e.name()) {
        return (
            StatusCode::CONFLICT,
            Json(json!({"error_summary": "unsupported_extension/..", "error": {".tag": "unsupported_extension"}})),
        )
            .into_response();
    }
    let mut extra = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&metadata(e).to_string()) {
        extra.insert("Dropbox-API-Result", v);
    }
    files::thumbnail("application/octet-stream", extra)
}

/// Options of a Dropbox stand-in.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Entries per `list_folder` page.
    pub page: usize,
    /// Access token lifetime, seconds (Dropbox: 4 h).
    pub access_ttl: u64,
    /// A team account: files under [`TEAM_FOLDER`] show only to calls rooted at the team's
    /// namespace.
    pub team: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            page: 2,
            access_ttl: 14_400,
            team: false,
        }
    }
}

/// Starts a Dropbox stand-in serving `files`.
pub async fn start(files: &[(&str, Vec<u8>)], options: Options) -> StandIn {
    let core = Core::new(OAuthRules {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        pkce_required: false,
        pkce_supported: true,
        code_ttl: Duration::from_secs(600),
        access_ttl: options.access_ttl,
        refresh: Refresh::Keep,
        scopes: vec![
            "files.metadata.read".into(),
            "files.content.read".into(),
            "account_info.read".into(),
        ],
    });
    let d = Arc::new(Dbx {
        core: core.clone(),
        tree: Tree::new(files),
        page: options.page,
        team: options.team,
    });
    let main = Router::new()
        .route("/2/auth/token/revoke", post(revoke))
        .route("/2/users/get_current_account", post(account))
        .route("/2/files/list_folder", post(list_folder))
        .route("/2/files/list_folder/continue", post(list_continue))
        .with_state(d.clone())
        .merge(oauth_routes(
            core.clone(),
            "/oauth2/authorize",
            Some("/oauth2/token"),
        ));
    let content = Router::new()
        .route("/2/files/download", post(download).get(download))
        .route("/2/files/get_thumbnail_v2", post(thumbnail))
        .with_state(d);
    StandIn::serve(core, main, content, error).await
}
