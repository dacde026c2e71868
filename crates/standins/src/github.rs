//! GitHub (cloud-sources.md §4.7): an OAuth app's web flow (PKCE S256; tokens that do not
//! expire and come without a refresh token; the token answer in JSON when asked with
//! `Accept: application/json`), revocation with `DELETE /applications/{client_id}/token` under
//! the app's Basic credentials; `GET /user`, `GET /user/repos` and `/repos/{o}/{r}/branches`
//! paged by `page`/`per_page` with a `Link: <…>; rel="next"` header, and
//! `/repos/{o}/{r}/contents/{path}?ref=`: a folder's entries as an array, a file's raw bytes
//! with `Accept: application/vnd.github.raw+json`. Every API call needs a `User-Agent`, as
//! GitHub's does. Errors: `{"message", "documentation_url", "status"}`.

use crate::core::{Core, OAuthRules, Refresh, StandIn, oauth_routes};
use crate::files::{Tree, ranged};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The client id tests register.
pub const CLIENT_ID: &str = "gh-client";
/// Its secret.
pub const CLIENT_SECRET: &str = "gh-secret";
/// The repository that holds the files, on branch `main`.
pub const REPO: &str = "octo/fixtures";

#[derive(Debug)]
struct Gh {
    core: Arc<Core>,
    tree: Tree,
    page: usize,
    base: std::sync::Mutex<String>,
}

type S = State<Arc<Gh>>;

fn gh_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"message": message,
                    "documentation_url": "https://docs.github.com/rest",
                    "status": status.as_u16().to_string()})),
    )
        .into_response()
}

fn error(status: u16) -> Response {
    let s = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = gh_error(
        s,
        if status == 429 {
            "API rate limit exceeded"
        } else {
            "Server Error"
        },
    );
    if status == 429 {
        r.headers_mut()
            .insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
    }
    r
}

fn auth(g: &Gh, headers: &HeaderMap) -> Result<(), Response> {
    if !headers.contains_key(header::USER_AGENT) {
        return Err(gh_error(
            StatusCode::FORBIDDEN,
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header",
        ));
    }
    g.core
        .bearer(headers)
        .map(|_| ())
        .map_err(|_| gh_error(StatusCode::UNAUTHORIZED, "Bad credentials"))
}

/// One page of `all` by `page`/`per_page`, with GitHub's `Link` header when more follow.
fn paged(g: &Gh, path: &str, all: Vec<Value>, q: &HashMap<String, String>) -> Response {
    let per = q
        .get("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100)
        .min(g.page);
    let page = q
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let from = ((page - 1) * per).min(all.len());
    let end = (from + per).min(all.len());
    let mut r = Json(&all[from..end]).into_response();
    if end < all.len() {
        let base = g.base.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let link = format!(
            "<{base}{path}?per_page={per}&page={}>; rel=\"next\"",
            page + 1
        );
        if let Ok(v) = HeaderValue::from_str(&link) {
            r.headers_mut().insert(header::LINK, v);
        }
    }
    r
}

async fn user(State(g): S, headers: HeaderMap) -> Response {
    if let Err(r) = auth(&g, &headers) {
        return r;
    }
    Json(json!({"login": "ana-gh", "id": 583231, "name": "Ana Lima", "email": null}))
        .into_response()
}

async fn repos(
    State(g): S,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = auth(&g, &headers) {
        return r;
    }
    let all = ["octo/archive", REPO, "octo/zzz-notes"]
        .iter()
        .enumerate()
        .map(|(i, full)| {
            let (owner, name) = full.split_once('/').unwrap_or(("octo", full));
            json!({"id": 1000 + i, "name": name, "full_name": full, "private": i == 1,
                   "owner": {"login": owner}, "default_branch": "main"})
        })
        .collect();
    paged(&g, "/user/repos", all, &q)
}

async fn branches(
    State(g): S,
    Path((owner, repo)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = auth(&g, &headers) {
        return r;
    }
    if format!("{owner}/{repo}") != REPO {
        return gh_error(StatusCode::NOT_FOUND, "Not Found");
    }
    let all = ["main", "feature/x"]
        .iter()
        .map(|b| json!({"name": b, "commit": {"sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e"}, "protected": false}))
        .collect();
    paged(&g, &format!("/repos/{owner}/{repo}/branches"), all, &q)
}

async fn contents_root(
    s: S,
    Path((owner, repo)): Path<(String, String)>,
    headers: HeaderMap,
    q: Query<HashMap<String, String>>,
) -> Response {
    contents(s, Path((owner, repo, String::new())), headers, q).await
}

async fn contents(
    State(g): S,
    Path((owner, repo, path)): Path<(String, String, String)>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = auth(&g, &headers) {
        return r;
    }
    let branch_ok = matches!(
        q.get("ref").map(String::as_str),
        None | Some("main") | Some("feature/x")
    );
    if format!("{owner}/{repo}") != REPO || !branch_ok {
        return gh_error(StatusCode::NOT_FOUND, "Not Found");
    }
    let Some(e) = g.tree.at(&format!("/{}", path.trim_matches('/')), false) else {
        return gh_error(StatusCode::NOT_FOUND, "Not Found");
    };
    let raw = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/vnd.github.raw"));
    let describe = |e: &crate::files::Entry| {
        let p = e.path.trim_start_matches('/');
        json!({"type": if e.folder { "dir" } else { "file" }, "name": e.name(), "path": p,
               "sha": format!("{:040x}", e.id), "size": e.bytes.len(),
               "download_url": if e.folder { Value::Null } else { json!(format!("https://raw.example/{REPO}/main/{p}")) }})
    };
    if e.folder {
        return Json(
            g.tree
                .children(e)
                .into_iter()
                .map(describe)
                .collect::<Vec<_>>(),
        )
        .into_response();
    }
    if raw {
        let mut extra = HeaderMap::new();
        extra.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/vnd.github.raw+json"),
        );
        return ranged(&e.bytes, &headers, extra);
    }
    let mut d = describe(e);
    d["encoding"] = json!("base64");
    d["content"] = json!(base64::engine::general_purpose::STANDARD.encode(&e.bytes));
    Json(d).into_response()
}

async fn revoke(
    State(g): S,
    Path(client): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if client != CLIENT_ID
        || headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            != Some(basic.as_str())
    {
        return gh_error(StatusCode::NOT_FOUND, "Not Found");
    }
    match body["access_token"].as_str() {
        Some(t) if g.core.revoke(t) => StatusCode::NO_CONTENT.into_response(),
        _ => gh_error(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed"),
    }
}

/// GitHub answers form-encoded unless asked for JSON.
async fn token(
    State(g): S,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let json_asked = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    if !json_asked {
        return (StatusCode::OK, "error=unsupported_accept&error_description=send+Accept%3A+application%2Fjson+in+this+stand-in")
            .into_response();
    }
    g.core.token(&f)
}

/// Starts a GitHub stand-in whose repository [`REPO`] holds `files` on every branch.
pub async fn start(files: &[(&str, Vec<u8>)]) -> StandIn {
    let core = Core::new(OAuthRules {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        pkce_required: false,
        pkce_supported: true,
        code_ttl: Duration::from_secs(600),
        access_ttl: 10 * 365 * 24 * 3600,
        refresh: Refresh::Never,
        scopes: vec!["repo".into()],
    });
    let g = Arc::new(Gh {
        core: core.clone(),
        tree: Tree::new(files),
        page: 2,
        base: std::sync::Mutex::new(String::new()),
    });
    let main = Router::new()
        .route("/login/oauth/access_token", post(token))
        .route("/applications/{client}/token", delete(revoke))
        .route("/user", get(user))
        .route("/user/repos", get(repos))
        .route("/repos/{owner}/{repo}/branches", get(branches))
        .route("/repos/{owner}/{repo}/contents", get(contents_root))
        .route("/repos/{owner}/{repo}/contents/", get(contents_root))
        .route("/repos/{owner}/{repo}/contents/{*path}", get(contents))
        .with_state(g.clone())
        .merge(oauth_routes(core.clone(), "/login/oauth/authorize", None));
    let s = StandIn::serve(core, main, Router::new(), error).await;
    *g.base.lock().unwrap_or_else(|p| p.into_inner()) = s.url();
    s
}
