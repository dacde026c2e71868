//! Unsplash API (cloud-sources.md §4.6): a server key (`Authorization: Client-ID <key>`),
//! `GET /search/photos?query&page&per_page` (per_page at most 30) with `total_pages` and the
//! `X-Ratelimit-Limit` / `X-Ratelimit-Remaining` headers, a 403 "Rate Limit Exceeded" when
//! the hour's budget is spent, `GET /photos/{id}`, the `download_location` endpoint a use must
//! call (counted here, for tests to check), and the image host serving the photos with Range.
//! Errors: `{"errors": ["…"]}`.

use crate::core::{Core, OAuthRules, Refresh, StandIn};
use crate::files::ranged;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The access key tests configure.
pub const ACCESS_KEY: &str = "unsplash-access-key";

#[derive(Debug)]
struct Unsplash {
    /// Photos: (id, description, bytes).
    photos: Vec<(String, String, Vec<u8>)>,
    budget: AtomicUsize,
    limit: usize,
    downloads: Arc<AtomicUsize>,
    images: Mutex<String>,
    api: Mutex<String>,
}

type S = State<Arc<Unsplash>>;

fn errors(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "errors": [message] }))).into_response()
}

fn error(status: u16) -> Response {
    errors(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        "Something went wrong",
    )
}

/// Checks the key and spends one request of the budget; the rate-limit headers to send.
fn admit(u: &Unsplash, headers: &HeaderMap) -> Result<HeaderMap, Response> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Client-ID "));
    if key != Some(ACCESS_KEY) {
        return Err(errors(
            StatusCode::UNAUTHORIZED,
            "OAuth error: The access token is invalid",
        ));
    }
    let left = u
        .budget
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
        .map(|b| b - 1);
    let mut h = HeaderMap::new();
    h.insert("x-ratelimit-limit", u.limit.into());
    h.insert("x-ratelimit-remaining", left.unwrap_or(0).into());
    match left {
        Ok(_) => Ok(h),
        Err(_) => {
            let mut r = (StatusCode::FORBIDDEN, "Rate Limit Exceeded").into_response();
            r.headers_mut().extend(h);
            Err(r)
        }
    }
}

fn photo_json(u: &Unsplash, (id, description, _): &(String, String, Vec<u8>)) -> Value {
    let images = u.images.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let api = u.api.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let url = |size: &str| format!("{images}/photo-{id}?ixid=abc&w={size}");
    json!({
        "id": id, "created_at": "2026-03-01T12:00:00Z", "width": 4000, "height": 3000,
        "description": description, "alt_description": description,
        "urls": {"raw": format!("{images}/photo-{id}?ixid=abc"), "full": url("full"),
                 "regular": url("1080"), "small": url("400"), "thumb": url("200")},
        "links": {"self": format!("{api}/photos/{id}"), "html": format!("https://unsplash.example/photos/{id}"),
                  "download": format!("https://unsplash.example/photos/{id}/download"),
                  "download_location": format!("{api}/photos/{id}/download?ixid=abc")},
        "user": {"name": "Noor Haddad", "username": "noor", "links": {"html": "https://unsplash.example/@noor"}},
    })
}

async fn search(
    State(u): S,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let rate = match admit(&u, &headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let Some(query) = q.get("query").filter(|s| !s.is_empty()) else {
        return errors(StatusCode::BAD_REQUEST, "query is missing");
    };
    let per = q
        .get("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(10)
        .clamp(1, 30);
    let page = q
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let hits: Vec<&(String, String, Vec<u8>)> = u
        .photos
        .iter()
        .filter(|(_, d, _)| d.to_lowercase().contains(&query.to_lowercase()))
        .collect();
    let pages = hits.len().div_ceil(per);
    let from = ((page - 1) * per).min(hits.len());
    let end = (from + per).min(hits.len());
    let results: Vec<Value> = hits[from..end].iter().map(|p| photo_json(&u, p)).collect();
    let mut r = Json(json!({ "total": hits.len(), "total_pages": pages, "results": results }))
        .into_response();
    r.headers_mut().extend(rate);
    r
}

async fn photo(State(u): S, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = admit(&u, &headers) {
        return r;
    }
    match u.photos.iter().find(|p| p.0 == id) {
        Some(p) => Json(photo_json(&u, p)).into_response(),
        None => errors(StatusCode::NOT_FOUND, "Couldn't find Photo"),
    }
}

async fn download_location(State(u): S, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = admit(&u, &headers) {
        return r;
    }
    if !u.photos.iter().any(|p| p.0 == id) {
        return errors(StatusCode::NOT_FOUND, "Couldn't find Photo");
    }
    u.downloads.fetch_add(1, Ordering::SeqCst);
    Json(json!({ "url": format!("https://images.unsplash.example/photo-{id}") })).into_response()
}

async fn image(State(u): S, Path(name): Path<String>, headers: HeaderMap) -> Response {
    let id = name.strip_prefix("photo-").unwrap_or("");
    match u.photos.iter().find(|p| p.0 == id) {
        Some((_, _, bytes)) => {
            let mut extra = HeaderMap::new();
            extra.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
            ranged(bytes, &headers, extra)
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A running Unsplash stand-in and its download counter.
#[derive(Debug)]
pub struct Running {
    /// The servers.
    pub standin: StandIn,
    /// How many times `download_location` was called.
    pub downloads: Arc<AtomicUsize>,
}

/// Starts an Unsplash stand-in with `photos` (id, description, bytes) and an hourly budget
/// of `limit` requests.
pub async fn start(photos: Vec<(String, String, Vec<u8>)>, limit: usize) -> Running {
    // Unsplash's picker needs no user sign-in; the core only carries the knobs and log.
    let core = Core::new(OAuthRules {
        client_id: String::new(),
        client_secret: String::new(),
        pkce_required: false,
        pkce_supported: false,
        code_ttl: Duration::from_secs(1),
        access_ttl: 1,
        refresh: Refresh::Never,
        scopes: Vec::new(),
    });
    let downloads = Arc::new(AtomicUsize::new(0));
    let u = Arc::new(Unsplash {
        photos,
        budget: AtomicUsize::new(limit),
        limit,
        downloads: downloads.clone(),
        images: Mutex::new(String::new()),
        api: Mutex::new(String::new()),
    });
    let main = Router::new()
        .route("/search/photos", get(search))
        .route("/photos/{id}", get(photo))
        .route("/photos/{id}/download", get(download_location))
        .with_state(u.clone());
    let images = Router::new()
        .route("/{name}", get(image))
        .with_state(u.clone());
    let standin = StandIn::serve(core, main, images, error).await;
    *u.images.lock().unwrap_or_else(|p| p.into_inner()) = standin.content_url();
    *u.api.lock().unwrap_or_else(|p| p.into_inner()) = standin.url();
    Running { standin, downloads }
}
