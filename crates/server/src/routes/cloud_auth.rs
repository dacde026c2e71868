//! Signing in to an OAuth provider from the picker (docs/cloud-sources.md §5): a listing of a
//! source the session is not connected to answers `auth.redirect_url`, which opens
//! `/cloud/auth/{provider}/start` in a popup; that sets a binding cookie and sends the browser
//! to the provider, which comes back to `/cloud/auth/{provider}/callback`. The callback checks
//! the `state` (single use, 10 minutes, this provider), the cookie (the same browser that
//! began), exchanges the code with the PKCE verifier, stores the tokens sealed, and shows a
//! static page whose script tells the picker's window, at its allowed origin only, how it
//! went. The picker also learns it by polling `/cloud/auth/status`, or by listing again.
//!
//! No token or code is logged, put in a URL the browser keeps, or sent to the browser. Every
//! page here is `no-store`, `no-referrer` and CSP-locked to its own script.

use crate::AppState;
use crate::auth;
use crate::cloud::Offered;
use crate::cloud::provider::{AccessToken, Provider};
use crate::cloud::sessions::hash;
use crate::cloud::store::{CloudSession, Flow, FlowStatus};
use crate::config::AppConfig;
use crate::error::{ApiError, ApiResult};
use crate::extract::Payload;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};
use skiff_protocol::{ErrorCode, routes};
use std::collections::HashMap;
use std::sync::Arc;

/// How long a sign-in may take from the listing that offered it, ms.
pub(super) const FLOW_TTL_MS: i64 = 10 * 60 * 1000;
/// A pending flow is handed out again while it has at least this long to live, ms.
const REUSE_MIN_MS: i64 = 3 * 60 * 1000;

fn random(bytes: usize) -> String {
    let raw: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    URL_SAFE_NO_PAD.encode(raw)
}

/// The origin of `url` (`https://host[:port]`), if it is an http(s) URL.
fn origin_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.origin().ascii_serialization())
}

fn allowed(app: &AppConfig, origin: &str) -> bool {
    app.allowed_origins
        .iter()
        .any(|o| o.trim_end_matches('/') == origin)
}

/// The `auth` answer of a listing for a provider `session` is not connected to: a
/// `redirect_url` to open (a pending flow of the session is handed out again while it is
/// fresh). The picker's origin (its `Origin` header) is remembered when the app allows it,
/// and `appurl` (redirect mode) must be on an allowed origin.
pub(super) async fn offer(
    state: &AppState,
    app: &AppConfig,
    session: &CloudSession,
    provider: &dyn Provider,
    headers: &HeaderMap,
    appurl: Option<&str>,
) -> ApiResult<Value> {
    let appurl = appurl.filter(|u| !u.is_empty());
    if let Some(u) = appurl {
        let ok = origin_of(u).is_some_and(|o| allowed(app, &o));
        if !ok {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::OriginNotAllowed,
                format!(
                    "appurl {u:?} is not on one of this app's allowed_origins ({})",
                    if app.allowed_origins.is_empty() {
                        "none configured".to_owned()
                    } else {
                        app.allowed_origins.join(", ")
                    }
                ),
            ));
        }
    }
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| allowed(app, o))
        .map(str::to_owned);
    let now = state.now_ms();
    let store = state.connections().store();
    let reusable = store
        .pending_flow(&session.id, provider.name(), now + REUSE_MIN_MS)
        .await?
        .filter(|f| f.origin == origin && f.appurl.as_deref() == appurl);
    let flow = match reusable {
        Some(f) => f,
        None => {
            let id = crate::ids::random_id(32);
            let f = Flow {
                state_hash: format!("unset:{id}"),
                id,
                session: session.id.clone(),
                app: app.key.clone(),
                provider: provider.name().to_owned(),
                verifier: None,
                origin,
                appurl: appurl.map(str::to_owned),
                binding_hash: None,
                status: FlowStatus::Pending,
                detail: None,
                created_at: now,
                expires_at: now + FLOW_TTL_MS,
            };
            store.insert_flow(&f).await?;
            f
        }
    };
    let start = routes::fill(routes::CLOUD_AUTH_START, &[("provider", provider.name())]);
    Ok(json!({
        "auth": {
            "redirect_url": format!("{}{start}?flow={}", state.config().public_url(), flow.id),
            "flow": flow.id,
        },
        "client": provider.name(),
    }))
}

/// A page of the sign-in: static text, the outcome in `data-` attributes for the script.
fn page(
    status: StatusCode,
    outcome: &str,
    flow: Option<&Flow>,
    title: &str,
    text: &str,
) -> Response {
    let attr = |v: &str| escape(v);
    let (id, provider, origin) = flow.map_or(("", "", ""), |f| {
        (
            f.id.as_str(),
            f.provider.as_str(),
            f.origin.as_deref().unwrap_or(""),
        )
    });
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{t}</title>\
         <script src=\"{script}\" defer></script></head>\
         <body data-outcome=\"{o}\" data-flow=\"{id}\" data-provider=\"{p}\" data-origin=\"{origin}\">\
         <h1>{t}</h1><p>{text}</p></body></html>\n",
        t = escape(title),
        text = escape(text),
        script = routes::CLOUD_AUTH_SCRIPT,
        o = attr(outcome),
        id = attr(id),
        p = attr(provider),
        origin = attr(origin),
    );
    let mut r = (status, html).into_response();
    locked(r.headers_mut(), "text/html; charset=utf-8");
    r
}

/// A start link opened a second time.
fn link_used(flow: &Flow) -> Response {
    page(
        StatusCode::CONFLICT,
        "used",
        Some(flow),
        "Sign-in link already used",
        "This sign-in link was already opened. Go back to the file picker and choose the source again.",
    )
}

/// A callback that comes a second time (a replay, or a reload of the page).
fn sign_in_used(flow: &Flow) -> Response {
    page(
        StatusCode::CONFLICT,
        "used",
        Some(flow),
        "Sign-in already finished",
        "This sign-in was already used. Go back to the file picker.",
    )
}

/// The headers every sign-in answer carries.
fn locked(h: &mut HeaderMap, content_type: &'static str) {
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn cookie_name(flow: &str) -> String {
    format!("skiff_auth_{flow}")
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The provider `name` as the flow's app offers it.
fn provider_of(state: &AppState, flow: &Flow) -> Option<Arc<dyn Provider>> {
    let app = state.app(&flow.app)?;
    match state.offered(app, &flow.provider)? {
        Offered::OAuth(p) => Some(p),
        Offered::Open(_) => None,
    }
}

fn display(state: &AppState, flow: &Flow) -> String {
    provider_of(state, flow).map_or_else(|| flow.provider.clone(), |p| p.display_name().to_owned())
}

/// `GET /cloud/auth/{provider}/start?flow=`: binds the flow to this browser with a cookie and
/// sends it to the provider. A flow starts once.
pub(super) async fn start(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let store = state.connections().store();
    let flow = match q.get("flow") {
        Some(id) => store.flow(id).await.ok().flatten(),
        None => None,
    };
    let Some(flow) = flow.filter(|f| f.provider == provider) else {
        return page(
            StatusCode::NOT_FOUND,
            "unknown",
            None,
            "Sign-in link not recognised",
            "This sign-in link is not one this server gave out. Go back to the file picker and choose the source again.",
        );
    };
    let now = state.now_ms();
    if now > flow.expires_at {
        return page(
            StatusCode::GONE,
            "expired",
            Some(&flow),
            "Sign-in link expired",
            "This sign-in link is more than 10 minutes old. Go back to the file picker and choose the source again.",
        );
    }
    if flow.status != FlowStatus::Pending {
        return link_used(&flow);
    }
    let Some(p) = provider_of(&state, &flow) else {
        return page(
            StatusCode::NOT_FOUND,
            "unknown",
            Some(&flow),
            "Source not offered",
            "This server no longer offers this source to this app.",
        );
    };
    let binding = random(32);
    let oauth_state = random(32);
    let auth = p
        .oauth()
        .authorize(&state.connections().redirect_uri(p.name()), &oauth_state);
    let mut started = flow.clone();
    started.status = FlowStatus::Started;
    started.state_hash = hash(&oauth_state);
    started.binding_hash = Some(hash(&binding));
    started.verifier = auth.verifier.as_ref().map(|v| {
        state
            .connections()
            .vault()
            .seal(&format!("flow|{}|verifier", flow.id), v.as_bytes())
    });
    match store.advance_flow(FlowStatus::Pending, &started).await {
        Ok(true) => {}
        Ok(false) => {
            return link_used(&flow);
        }
        Err(e) => return ApiError::from(e).into_response(),
    }
    let secure = if state.config().public_url().starts_with("https:") {
        "; Secure"
    } else {
        ""
    };
    let set_cookie = format!(
        "{}={binding}; Path=/cloud/auth; Max-Age=600; HttpOnly; SameSite=Lax{secure}",
        cookie_name(&flow.id)
    );
    let mut r = StatusCode::FOUND.into_response();
    let h = r.headers_mut();
    locked(h, "text/plain; charset=utf-8");
    if let (Ok(loc), Ok(c)) = (
        HeaderValue::from_str(auth.url.as_str()),
        HeaderValue::from_str(&set_cookie),
    ) {
        h.insert(header::LOCATION, loc);
        h.insert(header::SET_COOKIE, c);
    }
    r
}

/// What the provider sends back.
#[derive(Debug, Deserialize)]
pub(super) struct Callback {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// `GET /cloud/auth/{provider}/callback`: checks everything about the flow before the code is
/// used, then connects the session.
pub(super) async fn callback(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    Query(cb): Query<Callback>,
) -> Response {
    let store = state.connections().store().clone();
    let flow = match cb.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => store.flow_by_state(&hash(s)).await.ok().flatten(),
        None => None,
    };
    let Some(flow) = flow.filter(|f| f.provider == provider) else {
        return page(
            StatusCode::NOT_FOUND,
            "unknown",
            None,
            "Sign-in not recognised",
            "This sign-in did not start here, or its link was changed. Go back to the file picker and try again.",
        );
    };
    let name = display(&state, &flow);
    if state.now_ms() > flow.expires_at {
        return page(
            StatusCode::GONE,
            "expired",
            Some(&flow),
            "Sign-in expired",
            &format!(
                "Signing in to {name} took more than 10 minutes. Go back to the file picker and try again."
            ),
        );
    }
    if flow.status != FlowStatus::Started {
        return sign_in_used(&flow);
    }
    let bound = cookie(&headers, &cookie_name(&flow.id))
        .is_some_and(|c| Some(hash(&c)) == flow.binding_hash);
    if !bound {
        return page(
            StatusCode::FORBIDDEN,
            "unbound",
            Some(&flow),
            "Sign-in not finished in this browser",
            &format!(
                "The sign-in to {name} must end in the browser window it began in. Go back to the file picker and try again there."
            ),
        );
    }
    // Single use from here: a second callback with the same state finds it taken.
    let mut taken = flow.clone();
    taken.status = FlowStatus::Exchanging;
    if !matches!(
        store.advance_flow(FlowStatus::Started, &taken).await,
        Ok(true)
    ) {
        return sign_in_used(&flow);
    }
    let outcome = finish(&state, &taken, &cb).await;
    let mut ended = taken.clone();
    let (status, title, text) = match &outcome {
        Ok(account) => {
            ended.status = FlowStatus::Done;
            ended.detail = Some(account.clone());
            (
                StatusCode::OK,
                format!("Connected to {name}"),
                format!(
                    "Signed in as {account}. You can close this window and go back to the file picker."
                ),
            )
        }
        Err((FlowStatus::Denied, why)) => {
            ended.status = FlowStatus::Denied;
            ended.detail = Some(why.clone());
            (
                StatusCode::OK,
                format!("{name} not connected"),
                format!("Access to {name} was not granted. You can close this window."),
            )
        }
        Err((_, why)) => {
            ended.status = FlowStatus::Failed;
            ended.detail = Some(why.clone());
            (
                StatusCode::BAD_GATEWAY,
                format!("{name} could not be connected"),
                format!("{why}. Close this window and try again from the file picker."),
            )
        }
    };
    if let Err(e) = store.advance_flow(FlowStatus::Exchanging, &ended).await {
        return ApiError::from(e).into_response();
    }
    let clear = format!(
        "{}=; Path=/cloud/auth; Max-Age=0; HttpOnly; SameSite=Lax",
        cookie_name(&flow.id)
    );
    let mut r = match (&ended.appurl, &outcome) {
        // Redirect mode: back to the app's page (an allowed origin, checked when the flow was
        // made), with the source to reopen; nothing secret rides along.
        (Some(appurl), outcome) => match back_to(
            appurl,
            &flow.provider,
            outcome.is_err().then(|| ended_outcome(&ended)),
        ) {
            Some(url) => {
                let mut r = StatusCode::FOUND.into_response();
                locked(r.headers_mut(), "text/plain; charset=utf-8");
                if let Ok(v) = HeaderValue::from_str(&url) {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                r
            }
            None => page(status, ended_outcome(&ended), Some(&ended), &title, &text),
        },
        (None, _) => page(status, ended_outcome(&ended), Some(&ended), &title, &text),
    };
    if let Ok(v) = HeaderValue::from_str(&clear) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

fn ended_outcome(f: &Flow) -> &'static str {
    match f.status {
        FlowStatus::Done => "done",
        FlowStatus::Denied => "denied",
        _ => "failed",
    }
}

/// `appurl` with `fs-tab` naming the provider (filestack-js sends `fs-tab=init` there) and, for
/// a sign-in that did not work, `skiff-auth` saying how it ended (`denied`, `failed`), so the
/// picker can say so; filestack-js ignores it.
fn back_to(appurl: &str, provider: &str, failed: Option<&str>) -> Option<String> {
    let mut u = url::Url::parse(appurl).ok()?;
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| k != "fs-tab" && k != "skiff-auth")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut q = u.query_pairs_mut();
    q.clear().extend_pairs(kept).append_pair("fs-tab", provider);
    if let Some(how) = failed {
        q.append_pair("skiff-auth", how);
    }
    drop(q);
    Some(u.into())
}

/// Exchanges the code and connects the session; the account on success, else the flow's end
/// and a reason a person can read (the provider's error code, never a token).
async fn finish(
    state: &AppState,
    flow: &Flow,
    cb: &Callback,
) -> Result<String, (FlowStatus, String)> {
    if let Some(e) = &cb.error {
        let why = cb.error_description.clone().unwrap_or_else(|| e.clone());
        let status = if e == "access_denied" {
            FlowStatus::Denied
        } else {
            FlowStatus::Failed
        };
        return Err((status, why.chars().take(200).collect()));
    }
    let code = cb
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or((FlowStatus::Failed, "The provider sent no code".to_owned()))?;
    let p = provider_of(state, flow).ok_or((
        FlowStatus::Failed,
        "This server no longer offers this source to this app".to_owned(),
    ))?;
    let conns = state.connections();
    let verifier = match &flow.verifier {
        Some(v) => Some(
            conns
                .vault()
                .open_str(&format!("flow|{}|verifier", flow.id), v)
                .map_err(|_| {
                    (
                        FlowStatus::Failed,
                        "The sign-in could not be resumed".to_owned(),
                    )
                })?,
        ),
        None => None,
    };
    let tokens = p
        .oauth()
        .exchange(&conns.redirect_uri(p.name()), code, verifier.as_deref())
        .await
        .map_err(|e| {
            tracing::warn!(provider = p.name(), error = %e, "a sign-in's code exchange failed");
            (
                FlowStatus::Failed,
                format!("{} refused the sign-in", p.display_name()),
            )
        })?;
    let account = p
        .account(&AccessToken(tokens.access.clone()))
        .await
        .map_err(|e| {
            tracing::warn!(provider = p.name(), error = %e, "reading the signed-in account failed");
            (
                FlowStatus::Failed,
                format!("{} did not say who signed in", p.display_name()),
            )
        })?;
    conns
        .connect(&flow.session, p.name(), &account, &tokens)
        .await
        .map_err(|e| {
            (
                FlowStatus::Failed,
                format!("The server could not keep the sign-in ({e})"),
            )
        })?;
    state
        .sessions()
        .rotate_soon(&flow.session)
        .await
        .map_err(|e| {
            (
                FlowStatus::Failed,
                format!("The server could not keep the sign-in ({e})"),
            )
        })?;
    tracing::info!(provider = p.name(), "a picker session connected a provider");
    Ok(account)
}

/// `POST /cloud/auth/status`.
#[derive(Debug, Deserialize)]
pub(super) struct StatusRequest {
    #[serde(default)]
    apikey: Option<String>,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    flow: Option<String>,
}

/// `POST /cloud/auth/status` (`{apikey, token, flow}`): where a sign-in of this session
/// stands: `pending` (not opened), `started` (at the provider), `done` (with the account),
/// `denied`, `failed` (with a reason) or `expired`.
pub(super) async fn status(
    State(state): State<AppState>,
    Payload(req): Payload<StatusRequest>,
) -> ApiResult<Json<Value>> {
    let app = auth::app(&state, req.apikey.as_deref())?;
    let id = req
        .flow
        .as_deref()
        .filter(|f| !f.is_empty())
        .ok_or_else(|| ApiError::missing("flow"))?;
    let now = state.now_ms();
    let session = state
        .sessions()
        .find(&app.key, req.token.as_deref(), now)
        .await?
        .ok_or_else(invalid_session)?;
    let flow = state
        .connections()
        .store()
        .flow(id)
        .await?
        .filter(|f| f.session == session.session.id)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownAuthFlow,
                format!("no sign-in `{id}` belongs to this session"),
            )
        })?;
    let expired =
        now > flow.expires_at && matches!(flow.status, FlowStatus::Pending | FlowStatus::Started);
    let word = if expired {
        "expired"
    } else {
        match flow.status {
            FlowStatus::Pending => "pending",
            FlowStatus::Started | FlowStatus::Exchanging => "started",
            FlowStatus::Done => "done",
            FlowStatus::Denied => "denied",
            FlowStatus::Failed => "failed",
        }
    };
    let mut out = json!({ "flow": flow.id, "provider": flow.provider, "status": word });
    match flow.status {
        FlowStatus::Done => out["account"] = json!(flow.detail),
        FlowStatus::Denied | FlowStatus::Failed => out["message"] = json!(flow.detail),
        _ => {}
    }
    if let Some(t) = session.new_token {
        out["token"] = json!(t);
    }
    Ok(Json(out))
}

/// 401 `invalid_session`.
pub(super) fn invalid_session() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidSession,
        "the Cloud API token is unknown, expired or another app's: list the source again to get a new one",
    )
}

/// The sign-in page's script: tells the picker's window how it went (only at the origin the
/// server checked), then closes the popup; a page that cannot close says so.
const DONE_JS: &str = r#""use strict";
(function () {
  var d = document.body.dataset;
  if (window.opener && d.origin) {
    try {
      window.opener.postMessage(
        { type: "skiff-auth", flow: d.flow, provider: d.provider, status: d.outcome },
        d.origin
      );
    } catch (e) {}
  }
  if (d.outcome === "done" || d.outcome === "denied") {
    setTimeout(function () { window.close(); }, 300);
  }
})();
"#;

/// `GET /cloud/auth/done.js`.
pub(super) async fn script() -> Response {
    let mut r = DONE_JS.into_response();
    locked(r.headers_mut(), "text/javascript; charset=utf-8");
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_and_back_urls_name_the_tab() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(
            back_to("https://app.example/p?fs-tab=init&x=1", "dropbox", None).as_deref(),
            Some("https://app.example/p?x=1&fs-tab=dropbox")
        );
        assert_eq!(
            back_to(
                "https://app.example/p?skiff-auth=denied&fs-tab=init",
                "box",
                Some("denied")
            )
            .as_deref(),
            Some("https://app.example/p?fs-tab=box&skiff-auth=denied")
        );
        assert_eq!(
            origin_of("https://app.example:8443/a?b"),
            Some("https://app.example:8443".into())
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; skiff_auth_F=xyz".parse().unwrap());
        assert_eq!(cookie(&h, "skiff_auth_F").as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, "skiff_auth_G"), None);
    }
}
