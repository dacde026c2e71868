//! Microsoft Graph for OneDrive and OneDrive for Business (cloud-sources.md §4.5): the identity
//! platform's v2 endpoints under a tenant (`/{tenant}/oauth2/v2.0/authorize` and `/token`, PKCE
//! S256, refresh tokens that rotate, AADSTS-style errors), `GET /v1.0/me`, folder children by
//! root, by item and by drive with `$top` paging through an absolute `@odata.nextLink` (with a
//! `$skiptoken`) pointing back here, `$expand=thumbnails` and `…/thumbnails/0/{size}/content`
//! (a 302 to the picture, pre-authenticated like downloads), and downloads: `…/content` answers a
//! 302 to the content host, a pre-authenticated URL carrying its own short-lived token, which
//! serves the bytes with Range and refuses any request carrying `Authorization` (as a client
//! that leaked its bearer token there must fail a test). Errors in Graph's JSON shape.
//!
//! Two drives: the user's own (`/me/drive`, personal-style ids `CID!n`) and another person's
//! (business-style ids, a `b!…` drive id) whose items the user added to My files: those appear
//! in the user's root as `remoteItem`s and are reachable only through `/drives/{driveId}/…`, so
//! a client that forgets the drive id fails. OneNote notebooks (`package{type:"oneNote"}`) sit
//! in the root too and cannot be downloaded.

use crate::core::{Bearer, Core, OAuthRules, Refresh, StandIn};
use crate::files::{self, Entry, Tree, ranged};
use axum::body::to_bytes;
use axum::extract::{Form, OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The client id tests register.
pub const CLIENT_ID: &str = "3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b";
/// Its secret.
pub const CLIENT_SECRET: &str = "graph-secret";
/// The user's own drive.
pub const MY_DRIVE: &str = "8a6f1c2d3e4b5a69";
/// The drive of the person who shared items with the user (a business drive id, which has a
/// `!` of its own).
pub const SHARED_DRIVE: &str = "b!t18F8ybsHUq1z3LTz8xvZqP8zaSWjkFNhsME-Fepo75dTf9vQKfeRblBZjoSQrd7";
/// The user's mail.
pub const MAIL: &str = "ana.lima@contoso.example";

/// Ids of the items that are not in a tree (added shortcuts, notebooks) start here.
const ADDED_BASE: u64 = 10_000;
const NOTEBOOK_BASE: u64 = 20_000;

/// One drive: its id, kind and files.
#[derive(Debug)]
struct Drive {
    id: &'static str,
    kind: &'static str,
    tree: Tree,
}

impl Drive {
    /// The Graph id of the tree entry `n`: `CID!n` for a personal drive, 34 upper-case
    /// characters for a business one.
    fn item_id(&self, n: u64) -> String {
        if self.kind == "personal" {
            format!("{}!{n}", self.id.to_uppercase())
        } else {
            format!("01BYE5RZ{n:026}")
        }
    }

    fn number(&self, id: &str) -> Option<u64> {
        let digits = if self.kind == "personal" {
            id.strip_prefix(&format!("{}!", self.id.to_uppercase()))?
        } else {
            id.strip_prefix("01BYE5RZ")?
        };
        digits.parse().ok()
    }

    fn root(&self) -> Option<&Entry> {
        self.tree.at("", false)
    }
}

/// An item a request addresses.
#[derive(Debug, Clone, Copy)]
enum Item<'a> {
    /// A file or folder of a drive's tree.
    Entry(usize, &'a Entry),
    /// A shared item added to the user's root: the shortcut (index into `added`).
    Added(usize),
    /// A OneNote notebook in the user's root (index into `notebooks`).
    Notebook(usize),
}

/// A pre-authenticated download URL's token.
#[derive(Debug)]
struct Link {
    drive: usize,
    entry: u64,
    pdf: bool,
    expires: Instant,
}

#[derive(Debug)]
struct Graph {
    core: Arc<Core>,
    drives: [Drive; 2],
    /// Shortcuts in the user's root to entries of the shared drive.
    added: Vec<u64>,
    notebooks: Vec<&'static str>,
    page: usize,
    link_ttl: Duration,
    links: Mutex<HashMap<String, Link>>,
    /// `sha256Hash` of each file, by (drive, entry), computed once.
    hashes: HashMap<(usize, u64), String>,
    /// The main and content hosts' base URLs, known once both listen.
    urls: OnceLock<(String, String)>,
}

type S = State<Arc<Graph>>;

fn random_hex(n: usize) -> String {
    (0..n)
        .map(|_| format!("{:x}", rand::random::<u8>() & 15))
        .collect()
}

fn guid() -> String {
    let h = random_hex(32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Graph's error body: `{"error":{"code","message","innerError":{date,request-id,…}}}`.
fn graph_error(status: StatusCode, code: &str, message: &str) -> Response {
    let request_id = guid();
    (
        status,
        Json(json!({"error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": "2026-05-01T10:00:00",
                "request-id": request_id,
                "client-request-id": request_id,
            },
        }})),
    )
        .into_response()
}

/// A queued failure in Graph's shape.
fn error(status: u16) -> Response {
    let (code, message) = match status {
        // What Graph says at first use when the tenant has no SharePoint licence.
        400 => ("BadRequest", "Tenant does not have a SPO license."),
        401 => (
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        ),
        403 => (
            "accessDenied",
            "The caller does not have permission to perform the action.",
        ),
        404 => ("itemNotFound", "The resource could not be found."),
        429 => (
            "activityLimitReached",
            "The app or user has been throttled.",
        ),
        503 => (
            "serviceNotAvailable",
            "The service is temporarily unavailable.",
        ),
        _ => ("generalException", "An unspecified error has occurred."),
    };
    graph_error(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        code,
        message,
    )
}

fn not_found() -> Response {
    graph_error(
        StatusCode::NOT_FOUND,
        "itemNotFound",
        "The resource could not be found.",
    )
}

fn invalid(message: &str) -> Response {
    graph_error(StatusCode::BAD_REQUEST, "invalidRequest", message)
}

fn auth(g: &Graph, headers: &HeaderMap) -> Result<(), Response> {
    g.core.bearer(headers).map(|_| ()).map_err(|why| {
        let message = match why {
            Bearer::Missing => "Access token is empty.",
            Bearer::Expired => "Access token has expired or is not yet valid.",
            Bearer::Invalid => "IDX14100: JWT is not well formed, there are no dots (.).",
        };
        let mut r = graph_error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
            ),
        );
        r
    })
}

impl Graph {
    fn main_url(&self) -> &str {
        self.urls.get().map_or("", |u| u.0.as_str())
    }

    fn content_url(&self) -> &str {
        self.urls.get().map_or("", |u| u.1.as_str())
    }

    fn drive_index(&self, id: &str) -> Option<usize> {
        self.drives
            .iter()
            .position(|d| d.id.eq_ignore_ascii_case(id))
    }

    /// The item `id` (`root` is the drive's root) of drive `d`.
    fn find(&self, d: usize, id: &str) -> Option<Item<'_>> {
        let drive = &self.drives[d];
        if id == "root" {
            return drive.root().map(|e| Item::Entry(d, e));
        }
        let n = drive.number(id)?;
        if d == 0 && n >= NOTEBOOK_BASE {
            let i = (n - NOTEBOOK_BASE) as usize;
            return (i < self.notebooks.len()).then_some(Item::Notebook(i));
        }
        if d == 0 && n >= ADDED_BASE {
            let i = (n - ADDED_BASE) as usize;
            return (i < self.added.len()).then_some(Item::Added(i));
        }
        drive.tree.by_id(n).map(|e| Item::Entry(d, e))
    }

    fn parent_of(&self, d: usize, e: &Entry) -> Option<&Entry> {
        let (parent, _) = e.path.rsplit_once('/')?;
        self.drives[d].tree.at(parent, false)
    }

    /// `parentReference` of an entry of drive `d` whose parent is `parent`.
    fn parent_reference(&self, d: usize, parent: &Entry) -> Value {
        let drive = &self.drives[d];
        let root = if d == 0 {
            "/drive/root:".to_owned()
        } else {
            format!("/drives/{}/root:", drive.id)
        };
        json!({
            "driveId": drive.id,
            "driveType": drive.kind,
            "id": drive.item_id(parent.id),
            "path": format!("{root}{}", parent.path),
        })
    }

    fn size(&self, d: usize, e: &Entry) -> usize {
        if !e.folder {
            return e.bytes.len();
        }
        self.drives[d]
            .tree
            .children(e)
            .iter()
            .map(|c| self.size(d, c))
            .sum()
    }

    /// The `file` or `folder` facet of an entry.
    fn facet(&self, d: usize, e: &Entry) -> (&'static str, Value) {
        if e.folder {
            let count = self.drives[d].tree.children(e).len()
                + if d == 0 && e.path.is_empty() {
                    self.added.len() + self.notebooks.len()
                } else {
                    0
                };
            ("folder", json!({"childCount": count}))
        } else {
            let hash = self.hashes.get(&(d, e.id)).cloned().unwrap_or_default();
            (
                "file",
                json!({"mimeType": mime(e.name()), "hashes": {"sha256Hash": hash}}),
            )
        }
    }

    /// A pre-authenticated URL of an entry's picture of `size` (`small`, `medium`, `large`).
    fn thumbnail_url(&self, d: usize, e: &Entry, size: &str) -> String {
        format!(
            "{}/thumbnail/{d}/{}/{size}?tempauth={}",
            self.content_url(),
            e.id,
            random_hex(24)
        )
    }

    fn thumbnails(&self, d: usize, e: &Entry) -> Value {
        if e.folder {
            return json!([]);
        }
        let at = |size: &str| self.thumbnail_url(d, e, size);
        json!([{
            "id": "0",
            "small": {"height": 96, "width": 96, "url": at("small")},
            "medium": {"height": 176, "width": 176, "url": at("medium")},
            "large": {"height": 800, "width": 800, "url": at("large")},
        }])
    }

    /// A driveItem of a tree.
    fn entry_json(&self, d: usize, e: &Entry, thumbs: bool) -> Value {
        let drive = &self.drives[d];
        let id = drive.item_id(e.id);
        let mut v = json!({
            "id": id,
            "name": if e.path.is_empty() { "root" } else { e.name() },
            "size": self.size(d, e),
            "createdDateTime": "2026-04-01T09:00:00Z",
            "lastModifiedDateTime": "2026-05-01T10:00:00Z",
            "eTag": format!("\"{{{id}}},2\""),
            "cTag": format!("\"c:{{{id}}},2\""),
            "webUrl": format!("https://onedrive.example/{}{}", drive.id, e.path),
        });
        match self.parent_of(d, e) {
            Some(parent) => v["parentReference"] = self.parent_reference(d, parent),
            None => v["root"] = json!({}),
        }
        let (facet, body) = self.facet(d, e);
        v[facet] = body;
        if !e.folder {
            v["@microsoft.graph.downloadUrl"] = self.mint(d, e.id, false).into();
        }
        if thumbs {
            v["thumbnails"] = self.thumbnails(d, e);
        }
        v
    }

    fn item_json(&self, item: Item<'_>, thumbs: bool) -> Value {
        match item {
            Item::Entry(d, e) => self.entry_json(d, e, thumbs),
            Item::Added(i) => self.added_json(i, thumbs),
            Item::Notebook(i) => self.notebook_json(i),
        }
    }

    fn in_my_root(&self, n: u64, name: &str, size: usize) -> Value {
        let id = self.drives[0].item_id(n);
        let mut v = json!({
            "id": id,
            "name": name,
            "size": size,
            "createdDateTime": "2026-04-01T09:00:00Z",
            "lastModifiedDateTime": "2026-05-01T10:00:00Z",
            "eTag": format!("\"{{{id}}},1\""),
            "cTag": format!("\"c:{{{id}}},1\""),
        });
        if let Some(root) = self.drives[0].root() {
            v["parentReference"] = self.parent_reference(0, root);
        }
        v
    }

    /// A shared item added to My files: the shortcut's own id in the user's drive, the facets
    /// only inside `remoteItem`, which names the item and its drive.
    fn added_json(&self, i: usize, thumbs: bool) -> Value {
        let Some(target) = self.drives[1].tree.by_id(self.added[i]) else {
            return Value::Null;
        };
        let size = self.size(1, target);
        let mut v = self.in_my_root(ADDED_BASE + i as u64, target.name(), size);
        let shared = &self.drives[1];
        let mut remote = json!({
            "id": shared.item_id(target.id),
            "name": target.name(),
            "size": size,
            "webUrl": format!("https://onedrive.example/{}{}", shared.id, target.path),
            "shared": {"owner": {"user": {"displayName": "Bruno Costa"}}},
        });
        remote["parentReference"] = match self.parent_of(1, target) {
            Some(p) => {
                json!({"driveId": shared.id, "driveType": shared.kind, "id": shared.item_id(p.id)})
            }
            None => json!({"driveId": shared.id, "driveType": shared.kind}),
        };
        let (facet, body) = self.facet(1, target);
        remote[facet] = body;
        v["remoteItem"] = remote;
        if thumbs {
            v["thumbnails"] = self.thumbnails(1, target);
        }
        v
    }

    fn notebook_json(&self, i: usize) -> Value {
        let mut v = self.in_my_root(NOTEBOOK_BASE + i as u64, self.notebooks[i], 4096);
        v["package"] = json!({"type": "oneNote"});
        v
    }

    /// A pre-authenticated download URL for an entry, good for `link_ttl`.
    fn mint(&self, drive: usize, entry: u64, pdf: bool) -> String {
        let token = format!("{}{}", random_hex(32), random_hex(32));
        if let Ok(mut links) = self.links.lock() {
            links.insert(
                token.clone(),
                Link {
                    drive,
                    entry,
                    pdf,
                    expires: Instant::now() + self.link_ttl,
                },
            );
        }
        format!(
            "{}/_layouts/15/download.aspx?UniqueId={}&Translate=false&tempauth={token}&ApiVersion=2.0",
            self.content_url(),
            guid()
        )
    }
}

fn mime(name: &str) -> &'static str {
    match name
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .as_deref()
    {
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("pdf") => "application/pdf",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

/// The bytes a `?format=pdf` conversion answers.
const PDF: &[u8] = b"%PDF-1.7\n% converted by the stand-in\n%%EOF\n";

/// Office and OpenDocument formats Graph converts to PDF.
fn converts_to_pdf(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_lowercase());
    matches!(
        ext.as_deref(),
        Some(
            "doc"
                | "docx"
                | "dot"
                | "dotx"
                | "odt"
                | "rtf"
                | "xls"
                | "xlsx"
                | "ods"
                | "ppt"
                | "pptx"
                | "pps"
                | "ppsx"
                | "odp"
                | "msg"
                | "eml"
        )
    )
}

type Q = Query<HashMap<String, String>>;

fn query<'a>(q: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    // OData options are case-insensitive ($skiptoken and $skipToken both occur).
    q.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// One page of a folder's children, from the `$skiptoken` on, at most `$top` (and at most the
/// stand-in's page), with an absolute `@odata.nextLink` when more remain.
fn children(g: &Graph, d: usize, id: &str, q: &HashMap<String, String>, uri: &str) -> Response {
    let Some(item) = g.find(d, id) else {
        return not_found();
    };
    let dir = match item {
        Item::Entry(_, e) if e.folder => e,
        // Only folders (and packages) have children; a file's collection is empty.
        Item::Entry(..) | Item::Notebook(_) => return Json(json!({"value": []})).into_response(),
        // The shortcut lives in the user's drive; its folder is in the sharer's, and is
        // listed there (`/drives/{remoteItem.parentReference.driveId}/items/{remoteItem.id}`).
        Item::Added(_) => return not_found(),
    };
    let top = match query(q, "$top").map(str::parse::<usize>) {
        None => usize::MAX,
        Some(Ok(n)) => n.max(1),
        Some(Err(_)) => return invalid("Invalid value for $top."),
    };
    let thumbs = query(q, "$expand").is_some_and(|v| v.contains("thumbnails"));
    let this = format!("{d}|{}", dir.id);
    let from = match query(q, "$skiptoken") {
        None => 0,
        Some(t) => {
            let decoded = URL_SAFE_NO_PAD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            match decoded.as_deref().and_then(|s| s.rsplit_once('|')) {
                Some((folder, n)) if folder == this => match n.parse() {
                    Ok(n) => n,
                    Err(_) => return invalid("Invalid skip token."),
                },
                _ => return invalid("Invalid skip token."),
            }
        }
    };
    let mut all: Vec<Item<'_>> = g.drives[d]
        .tree
        .children(dir)
        .into_iter()
        .map(|e| Item::Entry(d, e))
        .collect();
    if d == 0 && dir.path.is_empty() {
        all.extend((0..g.added.len()).map(Item::Added));
        all.extend((0..g.notebooks.len()).map(Item::Notebook));
    }
    let from = from.min(all.len());
    let end = from.saturating_add(top.min(g.page)).min(all.len());
    let mut body = json!({
        "@odata.context": format!("{}/v1.0/$metadata#Collection(driveItem)", g.main_url()),
        "value": all[from..end].iter().map(|i| g.item_json(*i, thumbs)).collect::<Vec<_>>(),
    });
    if end < all.len() {
        let (path, _) = uri.split_once('?').unwrap_or((uri, ""));
        let mut next = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in q {
            if !k.eq_ignore_ascii_case("$skiptoken") {
                next.append_pair(k, v);
            }
        }
        next.append_pair(
            "$skiptoken",
            &URL_SAFE_NO_PAD.encode(format!("{this}|{end}")),
        );
        body["@odata.nextLink"] = format!("{}{path}?{}", g.main_url(), next.finish()).into();
    }
    Json(body).into_response()
}

async fn my_root_children(
    State(g): S,
    headers: HeaderMap,
    Query(q): Q,
    uri: OriginalUri,
) -> Response {
    if let Err(r) = auth(&g, &headers) {
        return r;
    }
    children(&g, 0, "root", &q, &uri.to_string())
}

async fn my_children(
    State(g): S,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
    uri: OriginalUri,
) -> Response {
    if let Err(r) = auth(&g, &headers) {
        return r;
    }
    children(&g, 0, &id, &q, &uri.to_string())
}

async fn drive_children(
    State(g): S,
    headers: HeaderMap,
    Path((drive, id)): Path<(String, String)>,
    Query(q): Q,
    uri: OriginalUri,
) -> Response {
    if let Err(r) = auth(&g, &headers) {
        return r;
    }
    match g.drive_index(&drive) {
        Some(d) => children(&g, d, &id, &q, &uri.to_string()),
        None => not_found(),
    }
}

async fn drive_root_children(
    State(g): S,
    headers: HeaderMap,
    Path(drive): Path<String>,
    Query(q): Q,
    uri: OriginalUri,
) -> Response {
    if let Err(r) = auth(&g, &headers) {
        return r;
    }
    match g.drive_index(&drive) {
        Some(d) => children(&g, d, "root", &q, &uri.to_string()),
        None => not_found(),
    }
}

fn item(g: &Graph, d: usize, id: &str, q: &HashMap<String, String>) -> Response {
    let thumbs = query(q, "$expand").is_some_and(|v| v.contains("thumbnails"));
    match g.find(d, id) {
        Some(i) => Json(g.item_json(i, thumbs)).into_response(),
        None => not_found(),
    }
}

async fn my_item(State(g): S, headers: HeaderMap, Path(id): Path<String>, Query(q): Q) -> Response {
    if let Err(r) = auth(&g, &headers) {
        return r;
    }
    item(&g, 0, &id, &q)
}

async fn drive_item(
    State(g): S,
    headers: HeaderMap,
    Path((drive, id)): Path<(String, String)>,
    Query(q): Q,
) -> Response {
    if let Err(r) = auth(&g, &headers) {
        return r;
    }
    match g.drive_index(&drive) {
        Some(d) => item(&g, d, &id, &q),
        None => not_found(),
    }
}

/// `…/content`: a 302 to a fresh pre-authenticated URL (Range belongs on that URL, not here).
fn content(g: &Graph, d: usize, id: &str, q: &HashMap<String, String>) -> Response {
    let e = match g.find(d, id) {
        Some(Item::Entry(_, e)) => e,
        Some(Item::Notebook(_)) => {
            return invalid("OneNote notebooks cannot be downloaded; open them in OneNote.");
        }
        // The shortcut has no content of its own; its target is in the sharer's drive.
        Some(Item::Added(_)) | None => return not_found(),
    };
    if e.folder {
        return invalid("The item is a folder: only files have content.");
    }
    let pdf = match query(q, "format") {
        None => false,
        Some("pdf") if converts_to_pdf(e.name()) => true,
        Some(f) => {
            return graph_error(
                StatusCode::NOT_ACCEPTABLE,
                "notSupported",
                &format!("Conversion of this item to {f} is not supported."),
            );
        }
    };
    let location = g.mint(d, e.id, pdf);
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// `…/thumbnails/{thumb-id}/{size}/content`: a 302 to the picture's pre-authenticated URL (a
/// file's only set is `0`); 404 for a folder or an item not found.
fn thumbnail_content(g: &Graph, d: usize, id: &str, set: &str, size: &str) -> Response {
    let e = match g.find(d, id) {
        Some(Item::Entry(_, e)) if !e.folder => e,
        _ => return not_found(),
    };
    if set != "0" || !matches!(size, "small" | "medium" | "large") {
        return not_found();
    }
    let location = g.thumbnail_url(d, e, size);
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

async fn my_thumbnail(
    State(g): S,
    headers: HeaderMap,
    Path((id, set, size)): Path<(String, String, String)>,
) -> Response {
    if let Err(r) = auth(&g, &headers) {
        return r;
    }
    thumbnail_content(&g, 0, &id, &set, &size)
}

async fn drive_thumbnail(
    State(g): S,
    headers: HeaderMap,
    Path((drive, id, set, size)): Path<(String, String, String, String)>,
) -> Response {
    if let Err(r) = auth(&g, &headers) {
        return r;
    }
    match g.drive_index(&drive) {
        Some(d) => thumbnail_content(&g, d, &id, &set, &size),
        None => not_found(),
    }
}

async fn my_content(
    State(g): S,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    if let Err(r) = auth(&g, &headers) {
        return r;
    }
    content(&g, 0, &id, &q)
}

async fn drive_content(
    State(g): S,
    headers: HeaderMap,
    Path((drive, id)): Path<(String, String)>,
    Query(q): Q,
) -> Response {
    if let Err(r) = auth(&g, &headers) {
        return r;
    }
    match g.drive_index(&drive) {
        Some(d) => content(&g, d, &id, &q),
        None => not_found(),
    }
}

async fn me(State(g): S, headers: HeaderMap) -> Response {
    if let Err(r) = auth(&g, &headers) {
        return r;
    }
    Json(json!({
        "@odata.context": format!("{}/v1.0/$metadata#users/$entity", g.main_url()),
        "businessPhones": [],
        "displayName": "Ana Lima",
        "givenName": "Ana",
        "surname": "Lima",
        "mail": MAIL,
        "userPrincipalName": MAIL,
        "id": "48d31887-5fad-4d73-a9f5-3c356e68a038",
    }))
    .into_response()
}

/// Pre-authenticated URLs carry their own token: one that also carries `Authorization` is
/// refused, as the real hosts would be handed a bearer token they must never see.
fn pre_authenticated(headers: &HeaderMap) -> Result<(), Response> {
    if headers.contains_key(header::AUTHORIZATION) {
        return Err((
            StatusCode::UNAUTHORIZED,
            "a pre-authenticated download URL must not carry an Authorization header",
        )
            .into_response());
    }
    Ok(())
}

/// The content host: the bytes of a live link, with Range.
async fn download(State(g): S, headers: HeaderMap, Query(q): Q) -> Response {
    if let Err(r) = pre_authenticated(&headers) {
        return r;
    }
    let link = q.get("tempauth").and_then(|t| {
        let links = g.links.lock().ok()?;
        let l = links.get(t)?;
        Some((l.drive, l.entry, l.pdf, l.expires))
    });
    let Some((d, n, pdf, expires)) = link else {
        return (StatusCode::UNAUTHORIZED, "Invalid tempauth token.").into_response();
    };
    if expires <= Instant::now() {
        return (StatusCode::UNAUTHORIZED, "The tempauth token has expired.").into_response();
    }
    let Some(e) = g.drives[d].tree.by_id(n) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (bytes, name, mime) = if pdf {
        let stem = e.name().rsplit_once('.').map_or(e.name(), |(s, _)| s);
        (PDF, format!("{stem}.pdf"), "application/pdf")
    } else {
        (&e.bytes[..], e.name().to_owned(), mime(e.name()))
    };
    let mut extra = HeaderMap::new();
    extra.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    let encoded = percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC);
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{encoded}")) {
        extra.insert(header::CONTENT_DISPOSITION, v);
    }
    ranged(bytes, &headers, extra)
}

/// A thumbnail (pre-authenticated like downloads).
async fn thumbnail(headers: HeaderMap) -> Response {
    if let Err(r) = pre_authenticated(&headers) {
        return r;
    }
    files::thumbnail("image/jpeg", HeaderMap::new())
}

/// The tenants the v2 endpoints take: the three aliases or a tenant id.
fn tenant_ok(t: &str) -> bool {
    matches!(t, "common" | "organizations" | "consumers")
        || (t.len() == 36 && t.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
}

fn aadsts(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    (
        status,
        Json(json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {description} Trace ID: {} Correlation ID: {} Timestamp: 2026-05-01 10:00:00Z", guid(), guid()),
            "error_codes": [code],
            "timestamp": "2026-05-01 10:00:00Z",
            "trace_id": guid(),
            "correlation_id": guid(),
        })),
    )
        .into_response()
}

async fn authorize(
    State(g): S,
    Path(tenant): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !tenant_ok(&tenant) {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!("Tenant '{tenant}' not found."),
        );
    }
    // The code must come back in the query: a fragment never reaches the server and
    // form_post needs a POST handler.
    if let Some(mode) = q.get("response_mode").filter(|m| m.as_str() != "query") {
        return (
            StatusCode::BAD_REQUEST,
            format!("the stand-in answers response_mode=query only, not {mode}"),
        )
            .into_response();
    }
    if let Some(p) = q.get("prompt")
        && !matches!(p.as_str(), "login" | "none" | "consent" | "select_account")
    {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90023,
            &format!("Invalid prompt value {p}."),
        );
    }
    g.core.authorize(&q)
}

/// The token endpoint: the shared rules, in Microsoft's answer shapes (`scope`,
/// `ext_expires_in`; AADSTS codes in errors).
async fn token(
    State(g): S,
    Path(tenant): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if !tenant_ok(&tenant) {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!("Tenant '{tenant}' not found."),
        );
    }
    // The v2 endpoint wants the scopes named again on a refresh.
    if f.get("grant_type").map(String::as_str) == Some("refresh_token")
        && f.get("scope").is_none_or(|s| s.trim().is_empty())
    {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        );
    }
    let answer = g.core.token(&f);
    let status = answer.status();
    let Ok(body) = to_bytes(answer.into_body(), 1 << 20).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Ok(mut v) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if status.is_success() {
        v["token_type"] = "Bearer".into();
        v["scope"] = g.core.rules.scopes.join(" ").into();
        v["ext_expires_in"] = v["expires_in"].clone();
        return Json(v).into_response();
    }
    let error = v["error"].as_str().unwrap_or("invalid_request").to_owned();
    let description = v["error_description"].as_str().unwrap_or("").to_owned();
    let code = match error.as_str() {
        "invalid_grant" => 70008,
        "invalid_client" => 7_000_215,
        _ => 900_144,
    };
    aadsts(status, &error, code, &description)
}

/// Options of a Graph stand-in.
#[derive(Debug, Clone)]
pub struct Options {
    /// Most entries per children page (a `$top` below it wins).
    pub page: usize,
    /// Access token lifetime, seconds (Microsoft: 60 to 90 min).
    pub access_ttl: u64,
    /// How long a pre-authenticated download URL works.
    pub link_ttl: Duration,
    /// Files of another person's drive.
    pub shared: Vec<(&'static str, Vec<u8>)>,
    /// Paths in that drive the user added to My files (shown in the user's root).
    pub added: Vec<&'static str>,
    /// OneNote notebooks in the user's root.
    pub notebooks: Vec<&'static str>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            page: 2,
            access_ttl: 3600,
            link_ttl: Duration::from_secs(600),
            shared: Vec::new(),
            added: Vec::new(),
            notebooks: Vec::new(),
        }
    }
}

/// Starts a Graph stand-in whose signed-in user's drive holds `files`.
pub async fn start(files: &[(&str, Vec<u8>)], options: Options) -> StandIn {
    let core = Core::new(OAuthRules {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        // Microsoft requires PKCE of SPA redirect URIs only; the stand-in requires it of every
        // flow so a client that stops sending it fails.
        pkce_required: true,
        pkce_supported: true,
        code_ttl: Duration::from_secs(600),
        access_ttl: options.access_ttl,
        refresh: Refresh::Rotate,
        scopes: vec![
            "Files.Read.All".into(),
            "offline_access".into(),
            "User.Read".into(),
        ],
    });
    let drives = [
        Drive {
            id: MY_DRIVE,
            kind: "personal",
            tree: Tree::new(files),
        },
        Drive {
            id: SHARED_DRIVE,
            kind: "business",
            tree: Tree::new(&options.shared),
        },
    ];
    let added = options
        .added
        .iter()
        .filter_map(|p| drives[1].tree.at(p, false).map(|e| e.id))
        .collect();
    let mut hashes = HashMap::new();
    for (d, drive) in drives.iter().enumerate() {
        for (path, _) in if d == 0 { files } else { &options.shared[..] } {
            if let Some(e) = drive.tree.at(path, false) {
                let hex: String = Sha256::digest(&e.bytes)
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect();
                hashes.insert((d, e.id), hex);
            }
        }
    }
    let g = Arc::new(Graph {
        core: core.clone(),
        drives,
        added,
        notebooks: options.notebooks,
        page: options.page.max(1),
        link_ttl: options.link_ttl,
        links: Mutex::default(),
        hashes,
        urls: OnceLock::new(),
    });
    let main = Router::new()
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize))
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/v1.0/me", get(me))
        .route("/v1.0/me/drive/root/children", get(my_root_children))
        .route("/v1.0/me/drive/items/{id}", get(my_item))
        .route("/v1.0/me/drive/items/{id}/children", get(my_children))
        .route("/v1.0/me/drive/items/{id}/content", get(my_content))
        .route(
            "/v1.0/drives/{drive}/root/children",
            get(drive_root_children),
        )
        .route("/v1.0/drives/{drive}/items/{id}", get(drive_item))
        .route(
            "/v1.0/drives/{drive}/items/{id}/children",
            get(drive_children),
        )
        .route(
            "/v1.0/drives/{drive}/items/{id}/content",
            get(drive_content),
        )
        .route(
            "/v1.0/me/drive/items/{id}/thumbnails/{set}/{size}/content",
            get(my_thumbnail),
        )
        .route(
            "/v1.0/drives/{drive}/items/{id}/thumbnails/{set}/{size}/content",
            get(drive_thumbnail),
        )
        .with_state(g.clone());
    let content = Router::new()
        .route("/_layouts/15/download.aspx", get(download))
        .route("/thumbnail/{drive}/{id}/{size}", get(thumbnail))
        .with_state(g.clone());
    let s = StandIn::serve(core, main, content, error).await;
    let _ = g.urls.set((s.url(), s.content_url()));
    s
}
