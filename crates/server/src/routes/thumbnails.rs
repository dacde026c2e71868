//! Pictures in Cloud API listings. A listing gives each item a `thumbnail` URL: the type's icon,
//! a public image (Unsplash's), or `GET /cloud/thumbnails/{capability}` for a picture the source
//! makes, which needs the person's provider token and so comes through the server. The picker
//! loads those with `<img loading="lazy">` as rows scroll into view; an `<img>` sends no headers,
//! and the session's token never goes in a URL, so the URL carries a sealed grant instead
//! (`cloud::thumbnails::grant`): which session, app, source and item, until when.
//!
//! Each use checks the grant, then that the session still lives and is still connected to the
//! source (signing out cuts its pictures off at once), then asks the source, with the token
//! refresh the listing has, and relays what it answers: an image only (never SVG, never
//! anything else), at most `thumbnails::MAX_BYTES`, within `thumbnails::DEADLINE`, cacheable
//! by the browser only, and loadable from pages that require `Cross-Origin-Resource-Policy`.
//!
//! Refusals use the server's error shape with codes of their own, all answered without a
//! server error: `thumbnail_invalid` and `thumbnail_expired` (404: not a grant of this server's,
//! or past its time), `thumbnail_revoked` (410: the session ended, signed out of the source, or
//! the source is no longer offered) and `no_thumbnail` (404: the source has no picture of the
//! item). The picker shows the type's icon whenever a picture fails. Source failures answer as
//! the Cloud API's do (`source_rate_limited`, `source_failed`, …), a slow source 504 `timeout`.

use crate::AppState;
use crate::cloud::thumbnails::grant::{self, Grant, GrantError};
use crate::cloud::thumbnails::{self, Thumbnail};
use crate::cloud::{
    CloudItem, CloudPath, Connected, Offered, Preview, Rooted, Source, SourceError,
};
use crate::error::ApiError;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use skiff_protocol::{ErrorCode, routes};
use std::sync::Arc;

/// How long a browser may keep a picture, at most (s): pictures change rarely, but a person who
/// signed out should not find them in the cache all day.
const CACHE_MAX_SECS: i64 = 3600;

/// What the thumbnails of one listing share: who listed which source, and until when their
/// grants hold.
#[derive(Debug)]
pub(super) struct Pictures<'a> {
    state: &'a AppState,
    app: &'a str,
    source: &'a str,
    session: Option<&'a str>,
    root: Option<String>,
    expires_at: i64,
}

impl<'a> Pictures<'a> {
    /// The pictures of a listing of `source` for `app`: by the picker `session` (its internal
    /// id) for a source the person signed in to, and from the folder `root` for a
    /// `customsource` listed from one.
    pub(super) fn new(
        state: &'a AppState,
        app: &'a str,
        source: &'a str,
        session: Option<&'a str>,
        root: Option<String>,
    ) -> Self {
        Self {
            state,
            app,
            source,
            session,
            root,
            expires_at: grant::expiry(state.now_ms()),
        }
    }

    /// The `thumbnail` URL of `item`: always a URL (the iOS SDK drops items without one).
    pub(super) fn url(&self, item: &CloudItem) -> String {
        let base = self.state.config().public_url();
        match &item.preview {
            Preview::Public(url) => url.clone(),
            Preview::Made(hint) if !item.folder => {
                let capability = Grant {
                    session: self.session.map(str::to_owned),
                    app: self.app.to_owned(),
                    source: self.source.to_owned(),
                    root: self.root.clone(),
                    path: item.path.as_str().to_owned(),
                    hint: hint.clone(),
                    expires_at: self.expires_at,
                }
                .seal(self.state.connections().vault());
                let at = routes::fill(routes::CLOUD_THUMBNAIL, &[("capability", &capability)]);
                format!("{base}{at}")
            }
            _ => {
                let icon = if item.folder {
                    "folder.svg"
                } else {
                    "file.svg"
                };
                format!(
                    "{base}{}",
                    routes::fill(routes::CLOUD_ICON, &[("name", icon)])
                )
            }
        }
    }
}

/// Why a picture is not served.
#[derive(Debug)]
enum Refusal {
    /// The capability is not a live grant of this server's.
    Grant(GrantError),
    /// What the grant stood on is gone.
    Revoked(String),
    /// The source has no picture of the item (or none the server relays).
    NoPicture,
    /// The source failed, or the server's state did.
    Api(ApiError),
}

impl From<GrantError> for Refusal {
    fn from(e: GrantError) -> Self {
        Self::Grant(e)
    }
}

impl From<crate::state::StateError> for Refusal {
    fn from(e: crate::state::StateError) -> Self {
        Self::Api(e.into())
    }
}

impl IntoResponse for Refusal {
    /// The server's error shape. The codes are this endpoint's own; every refusal is `no-store`
    /// (a picture that fails now may work after the next listing).
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Self::Grant(e @ GrantError::Invalid) => {
                (StatusCode::NOT_FOUND, "thumbnail_invalid", e.to_string())
            }
            Self::Grant(e @ GrantError::Expired) => {
                (StatusCode::NOT_FOUND, "thumbnail_expired", e.to_string())
            }
            Self::Revoked(why) => (StatusCode::GONE, "thumbnail_revoked", why),
            Self::NoPicture => (
                StatusCode::NOT_FOUND,
                "no_thumbnail",
                "the source has no picture of this item; show its type's icon".to_owned(),
            ),
            Self::Api(e) => return guarded(e.into_response(), "no-store"),
        };
        let body = serde_json::json!({ "error": { "code": code, "message": message } });
        guarded((status, axum::Json(body)).into_response(), "no-store")
    }
}

/// `resp` with the headers every answer of this endpoint carries: a browser may cache it only
/// for itself, load it into pages of any origin (also those requiring CORP), never sniff
/// another type into it, and run nothing from it if it is opened as a page.
fn guarded(mut resp: Response, cache: &str) -> Response {
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(cache) {
        h.insert(header::CACHE_CONTROL, v);
    }
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    resp
}

/// `GET /cloud/thumbnails/{capability}`.
pub(super) async fn thumbnail(
    State(state): State<AppState>,
    Path(capability): Path<String>,
) -> Response {
    match serve(&state, &capability).await {
        Ok(resp) => resp,
        Err(refusal) => refusal.into_response(),
    }
}

async fn serve(state: &AppState, capability: &str) -> Result<Response, Refusal> {
    let now = state.now_ms();
    let started = tokio::time::Instant::now();
    let g = Grant::open(state.connections().vault(), capability, now)?;
    let path = g.path()?;
    let source = source_of(state, &g, now).await?;
    let asked = source.thumbnail(&path, g.hint.as_deref());
    let found = tokio::time::timeout(thumbnails::WAIT, asked)
        .await
        .map_err(|_| {
            Refusal::Api(ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                ErrorCode::Timeout,
                format!("{} took too long to give a picture", source.display_name()),
            ))
        })?;
    let t: Thumbnail = match found {
        Ok(Some(t)) => t,
        Ok(None) => return Err(Refusal::NoPicture),
        Err(SourceError::NotConnected(_)) => {
            return Err(Refusal::Revoked(format!(
                "the picker session is no longer connected to {}",
                source.display_name()
            )));
        }
        Err(e) => return Err(Refusal::Api(e.into())),
    };
    if !thumbnails::relayable(&t.mimetype) || t.size.is_some_and(|s| s > thumbnails::MAX_BYTES) {
        return Err(Refusal::NoPicture);
    }
    let mimetype = HeaderValue::from_str(&t.mimetype).map_err(|_| Refusal::NoPicture)?;
    let body = thumbnails::capped(
        t.body,
        thumbnails::MAX_BYTES,
        started + thumbnails::DEADLINE,
    );
    let mut resp = Body::from_stream(body).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, mimetype);
    if let Some(size) = t.size {
        resp.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    }
    // Kept no longer than the grant, nor than an hour.
    let max_age = ((g.expires_at - now) / 1000).clamp(0, CACHE_MAX_SECS);
    Ok(guarded(resp, &format!("private, max-age={max_age}")))
}

/// The source a grant names, as its listing saw it, if the grant still stands: the app still
/// offers the source, and for one the person signed in to, the session lives and is still
/// connected to it.
async fn source_of(state: &AppState, g: &Grant, now: i64) -> Result<Arc<dyn Source>, Refusal> {
    let gone = || Refusal::Revoked(format!("`{}` is no longer offered to this app", g.source));
    let app = state.app(&g.app).ok_or_else(gone)?;
    match state.offered(app, &g.source).ok_or_else(gone)? {
        Offered::Open(s) => match &g.root {
            Some(root) => {
                let root = CloudPath::parse(root).map_err(|_| GrantError::Invalid)?;
                let rooted = Rooted::new(s, root).map_err(|_| GrantError::Invalid)?;
                Ok(Arc::new(rooted))
            }
            None => Ok(s),
        },
        Offered::OAuth(p) => {
            // A grant for a provider always names the session that listed it.
            let id = g.session.as_deref().ok_or(GrantError::Invalid)?;
            if state.sessions().live(id, &app.key, now).await?.is_none() {
                return Err(Refusal::Revoked(
                    "the picker session that listed this item has ended".into(),
                ));
            }
            if state.connections().account(id, p.name()).await?.is_none() {
                return Err(Refusal::Revoked(format!(
                    "the picker session has signed out of {}",
                    p.display_name()
                )));
            }
            Ok(Arc::new(Connected::new(state.connections().clone(), p, id)))
        }
    }
}
