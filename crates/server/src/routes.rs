//! The HTTP surface: one router, thin handlers (parse → session rules → storage/state → answer).

use crate::AppState;
use crate::error::ApiError;
use crate::state::{FileRecord, NewWebhook};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::HandlerWithoutStateExt;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{Redirect, Response};
use axum::routing::{get, post, put};
use skiff_protocol::wire::FileResponse;
use skiff_protocol::{ErrorCode, routes};
use std::path::Path;
use std::time::Duration;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

mod cloud;
mod cloud_auth;
mod direct;
mod edge;
mod files;
mod metrics;
mod multipart;
mod part;
mod ranges;
mod resume;
mod store;
mod store_body;
mod thumbnails;

/// The whole API as a router over `state`.
pub fn app(state: AppState) -> Router {
    let cfg = state.config();
    let api_timeout = Duration::from_secs(cfg.request_timeout_secs);
    let idle = Duration::from_secs(cfg.body_idle_timeout_secs);
    // Calls with small bodies get an overall timeout; bodies that carry file bytes (part PUTs,
    // store) only an idle timeout, since a big part on a slow link may take long.
    let api = Router::new()
        .route(routes::MULTIPART_START, post(multipart::start))
        .route(routes::MULTIPART_UPLOAD, post(multipart::upload))
        .route(routes::MULTIPART_COMMIT, post(multipart::commit))
        .route(routes::MULTIPART_COMPLETE, post(multipart::complete))
        .route(routes::MULTIPART_RESUME, post(resume::resume))
        .route(routes::PROCESS, post(store::process))
        .route(routes::PREFETCH, post(store::prefetch))
        .route(routes::FILE_METADATA, get(files::metadata))
        .route(routes::CDN_METADATA, get(files::metadata))
        .route(
            routes::FILE,
            get(files::download)
                .head(files::download)
                .delete(files::delete),
        )
        .route(routes::CDN_FILE, get(files::download).head(files::download))
        .route(
            routes::CDN_SIGNED_FILE,
            get(files::download_signed).head(files::download_signed),
        )
        .route(routes::CDN_SIGNED_METADATA, get(files::metadata_signed))
        .route(routes::INDEX, get(files::index))
        .route(routes::HEALTH, get(|| async { "ok" }))
        .route(routes::METRICS, get(metrics::metrics))
        .route(routes::CLOUD_LIST, post(cloud::list))
        .route(routes::CLOUD_LOGOUT, post(cloud::logout))
        .route(routes::CLOUD_METADATA, post(cloud::metadata))
        .route(routes::CLOUD_ICON, get(cloud::icon))
        .route(routes::CLOUD_THUMBNAIL, get(thumbnails::thumbnail))
        .route(routes::CLOUD_IMPORT, get(cloud::import_status))
        .route(routes::CLOUD_AUTH_START, get(cloud_auth::start))
        .route(routes::CLOUD_AUTH_CALLBACK, get(cloud_auth::callback))
        .route(routes::CLOUD_AUTH_STATUS, post(cloud_auth::status))
        .route(routes::CLOUD_AUTH_SCRIPT, get(cloud_auth::script))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            api_timeout,
        ));
    let bytes = Router::new()
        .route(routes::MULTIPART_PART, put(part::put_part))
        .route(routes::MULTIPART_PART_OF, put(part::put_part_of))
        .route(routes::STORE, post(store::store))
        // An import streams a whole file from the source before it answers: no overall timeout.
        .route(routes::CLOUD_STORE, post(cloud::store))
        .layer(DefaultBodyLimit::disable());
    let mut router = api.merge(bytes);
    if let Some(dir) = &cfg.demo {
        router = router.merge(demo(dir));
    }
    router
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "no such endpoint",
            )
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::MethodNotAllowed,
                "this endpoint does not take that method",
            )
        })
        .layer(RequestBodyTimeoutLayer::new(idle))
        .layer(cors())
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                // The path only: queries carry OAuth codes and states, API keys, policies and
                // signatures, none of which belongs in a log. A thumbnail's path is a
                // capability (whoever has it sees the picture): its template stands in for it.
                |req: &axum::http::Request<_>| {
                    let path = req.uri().path();
                    let path = if routes::matches(routes::CLOUD_THUMBNAIL, path) {
                        routes::CLOUD_THUMBNAIL
                    } else {
                        path
                    };
                    // tower-http's own target, so `RUST_LOG=tower_http=debug` shows it as before.
                    tracing::debug_span!(
                        target: "tower_http::trace::make_span",
                        "request",
                        method = %req.method(),
                        path = %path
                    )
                },
            ),
        )
        .with_state(state)
}

/// The demo site: the files of `dir` under `/demo/` (`index.html` for folders), `/demo` sent to
/// `/demo/`. The static `demo` segment wins over `/{handle}…` (handles are 20 letters and
/// digits, so no file is shadowed); `..` and other escapes out of `dir` are refused by `ServeDir`.
fn demo(dir: &Path) -> Router<AppState> {
    let not_found = || async {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no such file in the demo site",
        )
    };
    let files = ServeDir::new(dir).not_found_service(not_found.into_service());
    Router::new()
        .nest_service("/demo/", files)
        .layer(axum::middleware::map_response(demo_redirect))
        .route("/demo", get(|| async { Redirect::temporary("/demo/") }))
}

/// `ServeDir` sees paths without the `/demo` prefix, so its redirects (a folder asked for without
/// its trailing slash) need it put back.
async fn demo_redirect(mut res: Response) -> Response {
    let location = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .filter(|l| l.starts_with('/'))
        .and_then(|l| HeaderValue::from_str(&format!("/demo{l}")).ok());
    if let Some(l) = location {
        res.headers_mut().insert(header::LOCATION, l);
    }
    res
}

/// CORS for browsers (docs/protocol.md §1.4): any origin, the Filestack headers, and `ETag`
/// readable (filestack-js fails a part without it).
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            header::ETAG,
            header::CONTENT_LENGTH,
            header::CONTENT_RANGE,
            header::ACCEPT_RANGES,
            HeaderName::from_static("content-disposition"),
        ])
        .max_age(Duration::from_secs(86_400))
}

/// Where a file is downloaded from.
pub(crate) fn file_url(state: &AppState, handle: &str) -> String {
    format!("{}/{handle}", state.config().public_url())
}

/// The transfer a new file stored to `target` needs: to its location when `store.location`
/// named a configured location, and on from this edge when its bytes landed here
/// (`landed_at_edge`); none when they are already where they belong.
pub(crate) fn transfer(
    state: &AppState,
    target: &crate::state::StoreTarget,
    client: &str,
    landed_at_edge: bool,
) -> Option<crate::state::Transfer> {
    let to = state
        .location(&target.location)
        .map(|_| target.location.clone());
    let held = state.edge().filter(|_| landed_at_edge);
    (to.is_some() || held.is_some()).then(|| crate::state::Transfer {
        to,
        client: client.to_owned(),
        held,
    })
}

/// The JSON answer for a stored file.
pub(crate) fn file_response(state: &AppState, f: &FileRecord) -> FileResponse {
    FileResponse {
        handle: f.handle.clone(),
        url: file_url(state, &f.handle),
        filename: f.filename.clone(),
        size: f.size,
        mimetype: f.mimetype.clone(),
        kind: f.mimetype.clone(),
        // Usable at once; `Stored` once the transfer queue has moved it to its location.
        status: if f.transfer.is_some() {
            "InTransit"
        } else {
            "Stored"
        }
        .into(),
        key: f.key.clone(),
        container: f.container.clone(),
        upload_tags: f.upload_tags.clone(),
        workflows: Vec::new(),
    }
}

/// The `fp.upload` webhooks of a new file, one per receiver of its app.
pub(crate) fn upload_webhooks(state: &AppState, f: &FileRecord, client: &str) -> Vec<NewWebhook> {
    // A file on its way to a location sends its webhook when it gets there (crate::transfer).
    if f.transfer.is_some() {
        return Vec::new();
    }
    let Some(app) = state.app(&f.app) else {
        return Vec::new();
    };
    let Some(url) = app.webhook_url.clone() else {
        return Vec::new();
    };
    let event = crate::webhook::upload_event(&file_response(state, f), client, state.now_ms());
    vec![NewWebhook {
        app: f.app.clone(),
        url,
        secret: app.webhook_secret.clone(),
        event,
    }]
}
