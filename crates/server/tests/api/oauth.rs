//! Signing in to an OAuth provider through the Cloud API, against the Dropbox stand-in: the
//! `redirect_url` a listing offers, the start and callback pages, the status endpoint, session
//! tokens, imports and logout, and every refusal (expired, replayed or unbound flows, origins
//! and `appurl`s not allowed, foreign or ended sessions, a denied consent).

use crate::harness::*;
use axum::http::Method;
use serde_json::{Value, json};
use skiff_server::config::{AppConfig, Config, OAuthSourceConfig, Secret};
use skiff_standins::{StandIn, dropbox};
use std::collections::HashMap;

const APP_ORIGIN: &str = "https://app.example";

/// A server offering the Dropbox stand-in, which holds a few files (one image).
pub async fn setup() -> (Harness, StandIn) {
    let files = vec![
        ("/readme.txt", b"hello from dropbox\n".to_vec()),
        ("/Fotos/Überblick 😀.txt", "grüße".as_bytes().to_vec()),
        ("/Fotos/beach.jpg", vec![0xff, 0xd8, 0xff, 0xd9]),
        ("/empty.bin", Vec::new()),
    ];
    let s = dropbox::start(&files, dropbox::Options::default()).await;
    let mut cfg: Config = config();
    for app in &mut cfg.apps {
        app.allowed_origins = vec![APP_ORIGIN.into()];
    }
    cfg.apps.push(AppConfig {
        key: "other".into(),
        secret: None,
        webhook_url: None,
        webhook_secret: None,
        sources: None,
        allowed_origins: Vec::new(),
        storage: None,
    });
    let provider = skiff_server::cloud::providers::build(
        "dropbox",
        &OAuthSourceConfig {
            client_id: dropbox::CLIENT_ID.into(),
            client_secret: Some(Secret(dropbox::CLIENT_SECRET.into())),
            auth_url: Some(format!("{}/oauth2/authorize", s.url())),
            token_url: Some(format!("{}/oauth2/token", s.url())),
            api_url: Some(s.url()),
            content_url: Some(s.content_url()),
        },
    )
    .unwrap();
    let h = Harness::with_providers(cfg, vec![provider]);
    s.core.register_redirect(&format!(
        "{}/cloud/auth/dropbox/callback",
        h.state.config().public_url()
    ));
    (h, s)
}

pub fn list(token: Option<&str>, path: &str) -> Value {
    json!({ "apikey": OPEN, "flow": "web", "token": token, "clouds": { "dropbox": { "path": path } } })
}

async fn list_from(h: &Harness, body: Value, origin: &str) -> Resp {
    h.request(
        Method::POST,
        "/folder/list",
        &[("content-type", "application/json"), ("origin", origin)],
        body.to_string(),
    )
    .await
}

/// The path and query of an absolute URL of the server.
fn local(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    format!("{}?{}", u.path(), u.query().unwrap_or(""))
}

fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn location(r: &Resp) -> String {
    r.headers["location"].to_str().unwrap().to_owned()
}

/// A picker session signed in to Dropbox (the whole popup flow): its token.
pub async fn connected(h: &Harness) -> String {
    let (token, _, cookie, authorize) = begin(h, None).await;
    let back = consent(&authorize).await;
    assert_eq!(callback(h, &back, Some(&cookie)).await.status, 200);
    token
}

/// The first half of a sign-in: a listing's offer and `/start`. Returns the token, the flow
/// id, the cookie `/start` set (`name=value`), and the provider's authorization URL.
async fn begin(h: &Harness, token: Option<&str>) -> (String, String, String, String) {
    let r = list_from(h, list(token, "/"), APP_ORIGIN).await;
    let v = r.ok().json();
    let token = v["token"]
        .as_str()
        .map_or_else(|| token.unwrap().to_owned(), str::to_owned);
    let redirect = v["dropbox"]["auth"]["redirect_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let flow = v["dropbox"]["auth"]["flow"].as_str().unwrap().to_owned();
    assert!(v["dropbox"].get("contents").is_none());
    let (pair, authorize) = open_link(h, &redirect).await;
    (token, flow, pair, authorize)
}

/// Opens a `redirect_url` as the popup does: the binding cookie (`name=value`) and where it
/// sends the browser.
async fn open_link(h: &Harness, redirect: &str) -> (String, String) {
    let start = h.get(&local(redirect)).await;
    assert_eq!(
        start.status,
        302,
        "{:?}",
        String::from_utf8_lossy(&start.body)
    );
    let cookie = start.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && cookie.contains("Path=/cloud/auth"),
        "{cookie}"
    );
    assert_eq!(start.headers["referrer-policy"], "no-referrer");
    let pair = cookie.split(';').next().unwrap().to_owned();
    (pair, location(&start))
}

/// The provider's half: the stand-in's consent, which answers a redirect to the callback.
async fn consent(authorize: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http.get(authorize).send().await.unwrap();
    assert_eq!(r.status(), 302, "{}", r.text().await.unwrap());
    r.headers()["location"].to_str().unwrap().to_owned()
}

async fn callback(h: &Harness, back: &str, cookie: Option<&str>) -> Resp {
    let mut headers = vec![];
    if let Some(c) = cookie {
        headers.push(("cookie", c));
    }
    h.request(
        Method::GET,
        &local(back),
        &headers,
        axum::body::Body::empty(),
    )
    .await
}

async fn status(h: &Harness, token: &str, flow: &str) -> Resp {
    h.post(
        "/cloud/auth/status",
        json!({ "apikey": OPEN, "token": token, "flow": flow }),
    )
    .await
}

#[tokio::test]
async fn a_person_signs_in_browses_imports_and_signs_out() {
    crate::ensure_tls();
    let (h, s) = setup().await;
    let (token, flow, cookie, authorize) = begin(&h, None).await;
    assert_eq!(token.len(), 43, "256 random bits, base64url");
    assert_eq!(
        status(&h, &token, &flow).await.ok().json()["status"],
        "started"
    );

    // The provider is asked for the least it needs, with PKCE and a state of its own.
    let q = query(&authorize);
    assert_eq!(q["client_id"], dropbox::CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["token_access_type"], "offline");
    assert_eq!(
        q["scope"],
        "files.metadata.read files.content.read account_info.read"
    );
    assert_ne!(
        q["state"], flow,
        "the state is not the flow id in the redirect_url"
    );
    assert!(!authorize.contains(dropbox::CLIENT_SECRET));

    let back = consent(&authorize).await;
    let done = callback(&h, &back, Some(&cookie)).await;
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
    let page = String::from_utf8_lossy(&done.body).into_owned();
    let csp = done.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(done.headers["referrer-policy"], "no-referrer");
    assert_eq!(done.headers["cache-control"], "no-store");
    assert!(page.contains("data-outcome=\"done\""), "{page}");
    assert!(
        page.contains(&format!("data-origin=\"{APP_ORIGIN}\"")),
        "{page}"
    );
    assert!(page.contains("ana@dropbox.example"));
    assert!(
        !page.contains(&query(&back)["code"]),
        "the code is not echoed"
    );
    assert!(
        done.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );

    let st = status(&h, &token, &flow).await.ok().json();
    assert_eq!(
        (st["status"].as_str(), st["account"].as_str()),
        (Some("done"), Some("ana@dropbox.example"))
    );

    // Connected: the listing has contents, the account, and a new token (rotated after a
    // connection); the old one still works for a moment.
    let v = list_from(&h, list(Some(&token), "/"), APP_ORIGIN)
        .await
        .ok()
        .json();
    let new_token = v["token"].as_str().expect("a rotated token").to_owned();
    assert_ne!(new_token, token);
    assert_eq!(v["dropbox"]["account"], "ana@dropbox.example");
    let names: Vec<&str> = v["dropbox"]["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "a page of two: {names:?}");
    let next = v["dropbox"]["next"].as_str().unwrap().to_owned();
    assert!(!next.is_empty());
    let mut body = list(Some(&new_token), "/");
    body["clouds"]["dropbox"]["next"] = json!(next);
    let v2 = h.post("/folder/list", body).await.ok().json();
    assert_eq!(v2["dropbox"]["contents"].as_array().unwrap().len(), 1);
    assert!(v2.get("token").is_none(), "nothing new to adopt");
    assert!(
        h.post("/folder/list", list(Some(&token), "/"))
            .await
            .ok()
            .json()["dropbox"]["contents"]
            .is_array()
    );
    // A cursor is sealed for its folder: another folder's listing refuses it.
    let mut moved = list(Some(&new_token), "/Fotos/");
    moved["clouds"]["dropbox"]["next"] = json!(next);
    h.post("/folder/list", moved)
        .await
        .refused(424, "source_refused");

    // Import a file with a non-ASCII name, tags echoed, client named.
    let r = h
        .post(
            "/store/",
            json!({ "apikey": OPEN, "token": new_token, "upload_tags": { "who": "ana" },
                    "clouds": { "dropbox": { "path": "/Fotos/Überblick 😀.txt", "store": { "location": "s3" } } } }),
        )
        .await;
    let stored = r.ok().json();
    let f = &stored["dropbox"];
    assert_eq!(f["filename"], "Überblick 😀.txt");
    assert_eq!(f["client"], "Dropbox");
    assert_eq!(f["size"], 7);
    let handle = f["handle"].as_str().unwrap();
    let got = h.get(&format!("/api/file/{handle}")).await;
    assert_eq!(&got.body[..], "grüße".as_bytes());

    // Sign out: revoked at Dropbox; the next listing offers a sign-in again.
    let out = h
        .post(
            "/auth/logout",
            json!({ "apikey": OPEN, "token": new_token, "clouds": { "dropbox": {} } }),
        )
        .await
        .ok()
        .json();
    assert_eq!(out["dropbox"]["revoked"], true);
    assert_eq!(s.requests("/2/auth/token/revoke").len(), 1);
    let v = h
        .post("/folder/list", list(Some(&new_token), "/"))
        .await
        .ok()
        .json();
    assert!(v["dropbox"]["auth"]["redirect_url"].is_string());
    // Logging out of everything ends the session: its token is refused from then on.
    h.post(
        "/auth/logout",
        json!({ "apikey": OPEN, "token": new_token }),
    )
    .await
    .ok();
    status(&h, &new_token, &flow)
        .await
        .refused(401, "invalid_session");
}

#[tokio::test]
async fn flows_are_single_use_bound_to_their_browser_and_expire() {
    crate::ensure_tls();
    let (h, _s) = setup().await;

    // A callback without the binding cookie (another browser) is refused, and does not use
    // the flow up: the right browser still finishes it. Then a replay is refused.
    let (token, flow, cookie, authorize) = begin(&h, None).await;
    let back = consent(&authorize).await;
    let page = callback(&h, &back, None).await;
    assert_eq!(page.status, 403);
    assert!(String::from_utf8_lossy(&page.body).contains("data-outcome=\"unbound\""));
    let wrong = format!("{}=forged", cookie.split('=').next().unwrap());
    assert_eq!(callback(&h, &back, Some(&wrong)).await.status, 403);
    assert_eq!(callback(&h, &back, Some(&cookie)).await.status, 200);
    let again = callback(&h, &back, Some(&cookie)).await;
    assert_eq!(again.status, 409, "a replayed callback");
    assert_eq!(status(&h, &token, &flow).await.json()["status"], "done");

    // A start link opens once.
    let r = h
        .post(
            "/auth/logout",
            json!({ "apikey": OPEN, "token": token, "clouds": { "dropbox": {} } }),
        )
        .await;
    r.ok();
    let v = list_from(&h, list(Some(&token), "/"), APP_ORIGIN)
        .await
        .ok()
        .json();
    let token = v["token"].as_str().map_or(token.clone(), str::to_owned);
    let redirect = v["dropbox"]["auth"]["redirect_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(h.get(&local(&redirect)).await.status, 302);
    let twice = h.get(&local(&redirect)).await;
    assert_eq!(twice.status, 409);
    assert!(
        twice.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(
        h.get("/cloud/auth/dropbox/start?flow=nope").await.status,
        404
    );
    assert_eq!(
        h.get("/cloud/auth/dropbox/callback?code=x&state=made-up")
            .await
            .status,
        404
    );

    // Ten minutes on, an unopened link and a started flow are both expired.
    let (_, flow2, cookie2, authorize2) = begin(&h, Some(&token)).await;
    let back2 = consent(&authorize2).await;
    let v = list_from(
        &h,
        list(Some(&token), "/Fotos/"),
        "https://elsewhere.example",
    )
    .await
    .ok()
    .json();
    let stale_link = v["dropbox"]["auth"]["redirect_url"]
        .as_str()
        .unwrap()
        .to_owned();
    h.clock.advance(10 * 60 * 1000 + 1);
    let late = callback(&h, &back2, Some(&cookie2)).await;
    assert_eq!(late.status, 410);
    assert_eq!(h.get(&local(&stale_link)).await.status, 410);
    assert_eq!(
        status(&h, &token, &flow2).await.ok().json()["status"],
        "expired"
    );
}

#[tokio::test]
async fn a_refused_consent_is_reported_as_denied() {
    crate::ensure_tls();
    let (h, s) = setup().await;
    let (token, flow, cookie, authorize) = begin(&h, None).await;
    s.core.knobs().deny_next = true;
    let back = consent(&authorize).await;
    assert_eq!(query(&back)["error"], "access_denied");
    let page = callback(&h, &back, Some(&cookie)).await;
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("data-outcome=\"denied\""));
    let st = status(&h, &token, &flow).await.ok().json();
    assert_eq!(st["status"], "denied");
    assert_eq!(s.core.knobs().exchanges, 0, "no code was exchanged");
    // Still not connected.
    let v = h
        .post("/folder/list", list(Some(&token), "/"))
        .await
        .ok()
        .json();
    assert!(v["dropbox"]["auth"].is_object());
}

#[tokio::test]
async fn origins_appurls_and_sessions_are_checked() {
    crate::ensure_tls();
    let (h, _s) = setup().await;
    // An origin the app does not allow: the flow is offered, but its page posts to nobody.
    let v = list_from(&h, list(None, "/"), "https://evil.example")
        .await
        .ok()
        .json();
    let token = v["token"].as_str().unwrap().to_owned();
    let redirect = v["dropbox"]["auth"]["redirect_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let (cookie, authorize) = open_link(&h, &redirect).await;
    let back = consent(&authorize).await;
    let page = callback(&h, &back, Some(&cookie)).await;
    assert!(String::from_utf8_lossy(&page.body).contains("data-origin=\"\""));

    // Redirect mode: an appurl off the allowed origins is refused (no open redirect); on
    // one, the callback sends the page back there with the source's tab.
    let mut body = list(None, "/");
    body["appurl"] = json!("https://evil.example/?fs-tab=init");
    h.post("/folder/list", body)
        .await
        .refused(403, "origin_not_allowed");
    let mut body = list(None, "/");
    body["appurl"] = json!(format!("{APP_ORIGIN}/upload?fs-tab=init"));
    let v = h.post("/folder/list", body).await.ok().json();
    let redirect = v["dropbox"]["auth"]["redirect_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let (cookie, authorize) = open_link(&h, &redirect).await;
    let back = consent(&authorize).await;
    let done = callback(&h, &back, Some(&cookie)).await;
    assert_eq!(done.status, 302);
    assert_eq!(
        location(&done),
        format!("{APP_ORIGIN}/upload?fs-tab=dropbox")
    );

    // Another app's key with this token: a new, empty session, not this one.
    let other =
        json!({ "apikey": "other", "token": token, "clouds": { "dropbox": { "path": "/" } } });
    let v = h.post("/folder/list", other).await.ok().json();
    assert_ne!(v["token"].as_str(), Some(token.as_str()));
    assert!(v["dropbox"]["auth"].is_object());
    // Importing needs a live session of this app.
    let store = |t: &str| json!({ "apikey": OPEN, "token": t, "clouds": { "dropbox": { "path": "/readme.txt" } } });
    h.post("/store/", store("made-up"))
        .await
        .refused(401, "invalid_session");
    let fresh = h.post("/folder/list", list(None, "/")).await.ok().json();
    let fresh = fresh["token"].as_str().unwrap().to_owned();
    h.post("/store/", store(&fresh))
        .await
        .refused(401, "source_not_connected");
    h.post("/store/", store(&token)).await.ok();
    status(&h, "made-up", "x")
        .await
        .refused(401, "invalid_session");
    status(&h, &token, "not-a-flow")
        .await
        .refused(404, "unknown_auth_flow");
    // The checks every Cloud API call makes hold for providers too: the app's policy, the
    // path, the source's name.
    let secure = json!({ "apikey": SECURE, "clouds": { "dropbox": { "path": "/" } } });
    h.post("/folder/list", secure)
        .await
        .refused(403, "security_required");
    h.post("/folder/list", list(Some(&token), "/../etc/"))
        .await
        .refused(400, "invalid_field");
    let unknown =
        json!({ "apikey": OPEN, "token": token, "clouds": { "gdrive": { "path": "/" } } });
    h.post("/folder/list", unknown)
        .await
        .refused(400, "unknown_source");
    // A day idle, the session is over.
    h.clock.advance(25 * 3600 * 1000);
    h.post("/store/", store(&token))
        .await
        .refused(401, "invalid_session");
}
