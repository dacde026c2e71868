//! Filestack's Cloud API at the server's root, so a client's `cloudApiUrl` is the server's URL:
//! `POST /folder/list`, `POST /store/` and `POST /auth/logout`, in the shapes filestack-js's
//! `CloudClient` and the Java and iOS SDKs send and read (docs/protocol.md §7).
//!
//! Two kinds of source answer here. The app owner's own (WebDAV, a bucket) need no sign-in by
//! the person. An OAuth provider's files are the person's: a listing names a picker session
//! (the `token` the client keeps, begun on first use), and a source the session is not
//! connected to answers `auth.redirect_url` (see `cloud_auth.rs`) instead of contents.

use super::cloud_auth;
use super::store::{NewFile, may_store, store_bytes, store_json};
use super::thumbnails::Pictures;
use crate::AppState;
use crate::auth;
use crate::cloud::provider::Revocation;
use crate::cloud::{CloudItem, CloudPath, Connected, Offered, Source, SourceError, resuming};
use crate::config::AppConfig;
use crate::error::{ApiError, ApiResult};
use crate::extract::Payload;
use crate::session;
use crate::state::StoreTarget;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use futures_util::TryStreamExt;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use skiff_protocol::policy::{Access, Call};
use skiff_protocol::wire::{Security, StoreParams};
use skiff_protocol::{ErrorCode, UploadTags};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A Cloud API request: what the three calls share. `flow` (`web`, `mobile`) is accepted and
/// ignored, as the hosted API does.
#[derive(Debug, Deserialize)]
pub(super) struct CloudRequest {
    #[serde(default)]
    apikey: Option<String>,
    /// The picker session's token, from an earlier answer.
    #[serde(default)]
    token: Option<String>,
    /// Redirect mode: the page to come back to after signing in (an allowed origin).
    #[serde(default)]
    appurl: Option<String>,
    /// Per source name, its arguments.
    #[serde(default)]
    clouds: BTreeMap<String, CloudArgs>,
    /// MIME patterns a listing keeps files of (`image/*`, `application/pdf`, `.pdf`).
    #[serde(default)]
    accept: Option<Vec<String>>,
    #[serde(default)]
    upload_tags: Option<UploadTags>,
    /// The Java SDK repeats the store options here.
    #[serde(default)]
    store: Option<StoreParams>,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    signature: Option<String>,
}

/// One source's arguments in `clouds`.
#[derive(Debug, Default, Deserialize)]
struct CloudArgs {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    store: Option<StoreParams>,
    /// **Skiff:** an id of the client's choosing to follow an import's progress by.
    #[serde(default)]
    import_id: Option<String>,
    /// `customsource`: the folder of the bucket the picker shows as the root.
    #[serde(default, rename = "customSourcePath")]
    custom_source_path: Option<String>,
    /// `customsource`: the bucket; it must be the one configured.
    #[serde(default, rename = "customSourceContainer")]
    custom_source_container: Option<String>,
}

impl CloudRequest {
    fn security(&self) -> Security {
        Security {
            policy: self.policy.clone(),
            signature: self.signature.clone(),
        }
    }
}

/// The source `name`, if this server offers it to `app`; else a 400 naming it and what is offered.
fn offered(state: &AppState, app: &AppConfig, name: &str) -> ApiResult<Offered> {
    state.offered(app, name).ok_or_else(|| {
        let offered = state.offered_sources(app);
        ApiError::bad(
            ErrorCode::UnknownSource,
            format!(
                "the source `{name}` is not offered by this server to this app (offered: {})",
                if offered.is_empty() {
                    "none".to_owned()
                } else {
                    offered.join(", ")
                }
            ),
        )
    })
}

/// An open source as this request sees it: for `customsource`, from the folder
/// `customSourcePath` names, and only in the configured bucket.
fn scoped_source(
    state: &AppState,
    source: Arc<dyn Source>,
    name: &str,
    args: &CloudArgs,
) -> ApiResult<Arc<dyn Source>> {
    if name != "customsource" {
        return Ok(source);
    }
    if let Some(asked) = args
        .custom_source_container
        .as_deref()
        .filter(|c| !c.is_empty())
    {
        let bucket = state
            .config()
            .sources
            .customsource
            .as_ref()
            .map(|b| b.bucket.as_str());
        if bucket != Some(asked) {
            return Err(ApiError::invalid(
                "clouds.customsource.customSourceContainer",
                format!("names the bucket `{asked}`, which is not this server's custom source"),
            ));
        }
    }
    let Some(folder) = custom_root(name, args) else {
        return Ok(source);
    };
    let root = CloudPath::parse(&folder)
        .map_err(|why| ApiError::invalid("clouds.customsource.customSourcePath", why))?;
    let rooted = crate::cloud::Rooted::new(source, root)
        .map_err(|why| ApiError::invalid("clouds.customsource.customSourcePath", why))?;
    Ok(Arc::new(rooted))
}

/// The folder `customSourcePath` makes the root of a `customsource` request, if any.
fn custom_root(name: &str, args: &CloudArgs) -> Option<String> {
    let raw = args
        .custom_source_path
        .as_deref()
        .filter(|p| name == "customsource" && !p.is_empty() && *p != "/")?;
    // Filestack writes it as `folder/`; a leading and a trailing `/` are implied.
    Some(format!("/{}/", raw.trim_matches('/')))
}

fn path_of(name: &str, raw: Option<&str>) -> ApiResult<CloudPath> {
    CloudPath::parse(raw.unwrap_or(""))
        .map_err(|why| ApiError::invalid(&format!("clouds.{name}.path"), why))
}

/// Whether a file of type `mime` named `name` passes the `accept` patterns.
fn accepted(accept: &[String], name: &str, mime: &str) -> bool {
    accept.is_empty()
        || accept.iter().any(|p| {
            let p = p.trim().to_ascii_lowercase();
            if p == "*/*" || p == "*" {
                true
            } else if let Some(ext) = p.strip_prefix('.') {
                name.to_ascii_lowercase().ends_with(&format!(".{ext}"))
            } else if let Some(major) = p.strip_suffix("/*") {
                mime.split('/').next() == Some(major)
            } else {
                p == mime
            }
        })
}

/// An item as the SDKs read it: `size` a string, `bytes` a number, a thumbnail URL always (iOS
/// drops items without one), folder paths ending in `/`.
fn item_json(pictures: &Pictures<'_>, item: &CloudItem, mime: &str) -> Value {
    json!({
        "name": item.name,
        "path": item.path.as_str(),
        "mimetype": mime,
        "thumbnail": pictures.url(item),
        "size": item.size.to_string(),
        "bytes": item.size,
        "folder": item.folder,
    })
}

fn type_of(item: &CloudItem) -> String {
    if item.folder {
        return "inode/directory".into();
    }
    item.mimetype.clone().unwrap_or_else(|| {
        skiff_protocol::mime::from_file_name_or_octet_stream(&item.name).to_owned()
    })
}

/// Whether any source named is an OAuth provider (the request then needs a session).
fn needs_session(state: &AppState, app: &AppConfig, req: &CloudRequest) -> bool {
    req.clouds
        .keys()
        .any(|n| matches!(state.offered(app, n), Some(Offered::OAuth(_))))
}

/// `POST /folder/list`: one page of a folder of each source named in `clouds`; for a provider
/// the session is not connected to, `auth.redirect_url` instead. The answer's `token` is the
/// session's when it began or was rotated here (the client adopts it).
pub(super) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Payload(req): Payload<CloudRequest>,
) -> ApiResult<Json<Value>> {
    let app = auth::app(&state, req.apikey.as_deref())?;
    let access = Access {
        call: Some(Call::Pick),
        ..Access::default()
    };
    auth::authorize(&state, app, &req.security(), Some(&headers), &access)?;
    if req.clouds.is_empty() {
        return Err(ApiError::missing("clouds"));
    }
    let session = if needs_session(&state, app, &req) {
        Some(
            state
                .sessions()
                .find_or_begin(&app.key, req.token.as_deref(), state.now_ms())
                .await?,
        )
    } else {
        None
    };
    let accept = req.accept.clone().unwrap_or_default();
    let mut out = Map::new();
    for (name, args) in &req.clouds {
        let dir = path_of(name, args.path.as_deref())?;
        let cursor = args.next.as_deref().filter(|n| !n.is_empty());
        let listed = match (offered(&state, app, name)?, &session) {
            (Offered::Open(s), _) => Some((scoped_source(&state, s, name, args)?, None)),
            (Offered::OAuth(p), Some(r)) => state
                .connections()
                .account(&r.session.id, name)
                .await?
                .map(|account| {
                    let c = Connected::new(state.connections().clone(), p, &r.session.id);
                    (Arc::new(c) as Arc<dyn Source>, Some(account))
                }),
            (Offered::OAuth(_), None) => unreachable!("a session is begun for OAuth sources"),
        };
        let listed = match listed {
            Some((source, account)) => match source.list(&dir, cursor).await {
                // The provider ended the connection (revoked, or the refresh token expired).
                Err(SourceError::NotConnected(_)) => None,
                page => Some((source, account, page?)),
            },
            None => None,
        };
        let Some((source, account, page)) = listed else {
            // Not connected: offer a sign-in instead of contents.
            let (Some(r), Offered::OAuth(p)) = (&session, offered(&state, app, name)?) else {
                return Err(SourceError::NotConnected(name.clone()).into());
            };
            let offer = cloud_auth::offer(
                &state,
                app,
                &r.session,
                p.as_ref(),
                &headers,
                req.appurl.as_deref(),
            )
            .await?;
            out.insert(name.clone(), offer);
            continue;
        };
        // Pictures of a signed-in source's items are the session's; the owner's own sources
        // need none.
        let session_id = match (&account, &session) {
            (Some(_), Some(r)) => Some(r.session.id.as_str()),
            _ => None,
        };
        let pictures = Pictures::new(&state, &app.key, name, session_id, custom_root(name, args));
        let contents: Vec<Value> = page
            .items
            .iter()
            .filter_map(|item| {
                let mime = type_of(item);
                (item.folder || accepted(&accept, &item.name, &mime))
                    .then(|| item_json(&pictures, item, &mime))
            })
            .collect();
        let mut answer = json!({
            "contents": contents,
            "client": name,
            "filename": source.folder_name(&dir),
            "next": page.next.unwrap_or_default(),
        });
        if let Some(a) = account {
            // **Skiff:** who is connected, for the picker to show with "Sign out".
            answer["account"] = json!(a);
        }
        if let Some(u) = page.pick_url {
            // **Skiff:** where the person chooses what this folder holds (Google Photos).
            answer["pick_url"] = json!(u);
        }
        out.insert(name.clone(), answer);
    }
    if let Some(t) = session.and_then(|r| r.new_token) {
        out.insert("token".into(), json!(t));
    }
    Ok(Json(Value::Object(out)))
}

/// `POST /store/`: imports one file of one source into storage, streamed (never whole in memory)
/// and resumed from where it stopped if the source's connection drops, with the store options
/// and upload tags of an upload, and the `fp.upload` webhook naming the source as its client.
pub(super) async fn store(
    State(state): State<AppState>,
    headers: HeaderMap,
    Payload(req): Payload<CloudRequest>,
) -> ApiResult<Json<Value>> {
    let app = auth::app(&state, req.apikey.as_deref())?;
    let mut clouds = req.clouds.iter();
    let (name, args) = match (clouds.next(), clouds.next()) {
        (Some(one), None) => one,
        (None, _) => return Err(ApiError::missing("clouds")),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "clouds",
                "must name one source: /store/ imports one file",
            ));
        }
    };
    let mut new_token = None;
    let source: Arc<dyn Source> = match offered(&state, app, name)? {
        Offered::Open(s) => scoped_source(&state, s, name, args)?,
        Offered::OAuth(p) => {
            let r = state
                .sessions()
                .find(&app.key, req.token.as_deref(), state.now_ms())
                .await?
                .ok_or_else(cloud_auth::invalid_session)?;
            new_token = r.new_token;
            Arc::new(Connected::new(
                state.connections().clone(),
                p,
                &r.session.id,
            ))
        }
    };
    let path = path_of(name, args.path.as_deref())?;
    if path.is_folder() {
        return Err(ApiError::invalid(
            &format!("clouds.{name}.path"),
            format!("names a folder ({path}); /store/ imports one file"),
        ));
    }
    let params = args.store.as_ref().or(req.store.as_ref());
    let target = session::store_target(
        params,
        &state.config().default_container,
        &state.location_names(),
    )?;
    let sec = req.security();
    may_store(&state, app, &sec, &headers, &target)?;
    let tags = req.upload_tags.clone().unwrap_or_default();
    tags.validate()?;
    let tracked = match args.import_id.as_deref() {
        Some(id) => {
            let counter = state
                .imports()
                .start(id, &app.key, state.now_ms())
                .map_err(|e| ApiError::invalid(&format!("clouds.{name}.import_id"), e))?;
            Some((id, counter))
        }
        None => None,
    };
    // Ends the tracked import as failed if this request is dropped half-way (the client went
    // away), so no entry stays `running` for ever; a finished import ends it below.
    let mut ended = tracked.as_ref().map(|(id, _)| EndImport {
        state: state.clone(),
        id: (*id).to_owned(),
        stored: false,
    });
    let stored = import(
        &state,
        app,
        name,
        &source,
        path,
        target,
        params.and_then(|p| p.filename.clone()),
        tags,
        &sec,
        &headers,
        tracked.as_ref(),
    )
    .await;
    if let Some(e) = ended.as_mut() {
        e.stored = stored.is_ok();
    }
    let Json(mut answer) = stored?;
    if let Some(t) = new_token {
        answer["token"] = json!(t);
    }
    Ok(Json(answer))
}

/// Marks a tracked import ended when dropped: `stored` as the request found it.
struct EndImport {
    state: AppState,
    id: String,
    stored: bool,
}

impl Drop for EndImport {
    fn drop(&mut self) {
        self.state
            .imports()
            .end(&self.id, self.stored, self.state.now_ms());
    }
}

/// Streams the file at `path` from `source` into storage and answers as `/store/` does.
#[allow(clippy::too_many_arguments)] // the parts of one request, checked by the caller; a struct
// holding them would only be built to be taken apart here
async fn import(
    state: &AppState,
    app: &AppConfig,
    name: &str,
    source: &Arc<dyn Source>,
    path: CloudPath,
    target: StoreTarget,
    filename: Option<String>,
    tags: UploadTags,
    sec: &Security,
    headers: &HeaderMap,
    tracked: Option<&(&str, Arc<crate::cloud::Counter>)>,
) -> ApiResult<Json<Value>> {
    let download = source.open(&path, 0).await?;
    if let Some((id, _)) = tracked {
        state.imports().sized(id, download.size);
    }
    let nf = NewFile {
        app,
        target,
        filename: filename.or_else(|| Some(download.name.clone())),
        mimetype: download.mimetype.clone(),
        tags,
        source_url: None,
        client: source.display_name(),
    };
    let mut body = resuming(source.clone(), path, download);
    if let Some((_, counter)) = tracked {
        let counter = counter.clone();
        body = Box::pin(body.inspect_ok(move |chunk| counter.add(chunk.len() as u64)));
    }
    let stored = store_bytes(state, nf, body, sec, headers).await?;
    let mut file = store_json(stored);
    if let Value::Object(m) = &mut file {
        m.insert("client".into(), json!(source.display_name()));
    }
    let mut out = Map::new();
    out.insert(name.to_owned(), file);
    Ok(Json(Value::Object(out)))
}

/// `GET /cloud/imports/{id}?key=`: how far an import that named this `import_id` is. No policy is
/// asked for: the answer is byte counts, for an id the client chose at random, of its own app.
pub(super) async fn import_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<crate::cloud::ImportStatus>> {
    let app = auth::app(&state, q.get("key").map(String::as_str))?;
    state
        .imports()
        .status(&id, &app.key)
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownImport,
                format!(
                    "no import `{id}` is tracked for this app (ended imports are kept 5 minutes)"
                ),
            )
        })
}

/// `POST /auth/logout`: disconnects the providers named in `clouds` (revoking the grant at
/// the provider where it can: `{"revoked": true}`, or `{"revoked": false,
/// "manual_revoke_url": …}` where the person must do it), or with no `clouds`, every one and
/// the session itself. The owner's own sources hold nothing of the person's: `{}`.
pub(super) async fn logout(
    State(state): State<AppState>,
    Payload(req): Payload<CloudRequest>,
) -> ApiResult<Json<Value>> {
    let app = auth::app(&state, req.apikey.as_deref())?;
    let session = state
        .sessions()
        .find(&app.key, req.token.as_deref(), state.now_ms())
        .await?;
    let conns = state.connections();
    let mut out = Map::new();
    if req.clouds.is_empty() {
        if let Some(r) = &session {
            for c in conns.store().credentials(&r.session.id).await? {
                if let Some(Offered::OAuth(p)) = state.offered(app, &c.provider) {
                    conns.disconnect(&r.session.id, p.as_ref()).await?;
                }
            }
            state.sessions().end(&r.session.id).await?;
        }
        return Ok(Json(Value::Object(out)));
    }
    for name in req.clouds.keys() {
        let answer = match (offered(&state, app, name)?, &session) {
            (Offered::Open(_), _) => json!({}),
            (Offered::OAuth(p), Some(r)) => {
                match conns.disconnect(&r.session.id, p.as_ref()).await? {
                    Some(Revocation::Revoked) => json!({ "revoked": true }),
                    Some(Revocation::Manual(url)) => {
                        json!({ "revoked": false, "manual_revoke_url": url })
                    }
                    Some(Revocation::Failed(_)) | None => json!({ "revoked": false }),
                }
            }
            (Offered::OAuth(_), None) => json!({ "revoked": false }),
        };
        out.insert(name.clone(), answer);
    }
    if let Some(t) = session.and_then(|r| r.new_token) {
        out.insert("token".into(), json!(t));
    }
    Ok(Json(Value::Object(out)))
}

/// `POST /metadata`.
#[derive(Debug, Deserialize)]
pub(super) struct MetadataRequest {
    #[serde(default)]
    apikey: Option<String>,
    #[serde(default)]
    url: Option<String>,
    /// Request headers to send with the fetch (as for store-from-URL).
    #[serde(default)]
    headers: Option<BTreeMap<String, String>>,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    signature: Option<String>,
}

/// `POST /metadata` (`{apikey, url, headers?, policy?, signature?}`): what the URL holds, read
/// from its answer's headers (the body is not read): `{url, filename, mimetype, size}`. The
/// same guard as store-from-URL applies: no internal addresses unless the server allows them.
pub(super) async fn metadata(
    State(state): State<AppState>,
    headers: HeaderMap,
    Payload(req): Payload<MetadataRequest>,
) -> ApiResult<Json<Value>> {
    let app = auth::app(&state, req.apikey.as_deref())?;
    let sec = Security {
        policy: req.policy.clone(),
        signature: req.signature.clone(),
    };
    let access = Access {
        call: Some(Call::Pick),
        ..Access::default()
    };
    auth::authorize(&state, app, &sec, Some(&headers), &access)?;
    let url = req
        .url
        .as_deref()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::missing("url"))?;
    let extra: Vec<(String, String)> = req
        .headers
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let fetched = state
        .fetcher()
        .fetch(url, &extra)
        .await
        .map_err(super::store::fetch_error)?;
    let filename = fetched.filename.clone().unwrap_or_else(|| "file".into());
    let mimetype = fetched.mimetype.clone().unwrap_or_else(|| {
        skiff_protocol::mime::from_file_name_or_octet_stream(&filename).to_owned()
    });
    Ok(Json(json!({
        "url": fetched.url,
        "filename": filename,
        "mimetype": mimetype,
        "size": fetched.length,
    })))
}

const FOLDER_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="#8aa4c8" d="M3 6a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z"/></svg>"##;
const FILE_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="#b8c4d6" d="M6 2h8l5 5v13a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2z"/><path fill="#8aa4c8" d="M14 2v5h5z"/></svg>"##;

/// `GET /cloud/icons/{name}`: the thumbnails listings give folders and files.
pub(super) async fn icon(Path(name): Path<String>) -> impl IntoResponse {
    let svg = match name.as_str() {
        "folder.svg" => FOLDER_SVG,
        "file.svg" => FILE_SVG,
        _ => {
            return ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such icon")
                .into_response();
        }
    };
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        svg,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::accepted;

    #[test]
    fn accept_patterns() {
        let a = |p: &[&str], n: &str, m: &str| {
            accepted(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>(), n, m)
        };
        assert!(a(&[], "x.bin", "application/octet-stream"));
        assert!(a(&["image/*"], "a.PNG", "image/png"));
        assert!(!a(&["image/*"], "a.pdf", "application/pdf"));
        assert!(a(&["application/pdf"], "a.pdf", "application/pdf"));
        assert!(a(&[".PDF"], "report.pdf", "application/octet-stream"));
        assert!(a(&["*/*"], "a", "x/y"));
    }
}
