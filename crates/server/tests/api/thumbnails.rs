//! Pictures in Cloud API listings (`GET /cloud/thumbnails/{capability}`): the URLs a listing
//! gives, what loading one answers, and every refusal (altered, made-up, another server's,
//! expired, a source no longer offered, a session signed out or ended), over the in-memory
//! source and the Dropbox stand-in.

use crate::harness::*;
use crate::oauth;
use axum::http::Method;
use serde_json::{Value, json};
use skiff_server::cloud::{MemorySource, Source};
use skiff_server::config::{AppSources, Config, Secret};
use std::sync::Arc;

/// Bytes of an image the memory source serves as its own picture.
const GIF: &[u8] = b"GIF89a-not-really";

fn config_with_key(key: u8) -> Config {
    let mut cfg = config();
    cfg.cloud.vault_key = Some(Secret(hex::encode([key; 32])));
    cfg
}

/// A server offering a memory source `memory` and a `customsource` (both the owner's own).
fn harness(cfg: Config) -> Harness {
    harness_and_memory(cfg).0
}

/// [`harness`], and its `memory` source, to change files in.
fn harness_and_memory(cfg: Config) -> (Harness, Arc<MemorySource>) {
    let memory = Arc::new(MemorySource::new("memory", "Memory", 10));
    memory.put("/photo.gif", GIF.to_vec());
    memory.put("/readme.txt", b"hello".to_vec());
    memory.put("/huge.png", vec![1u8; 1024 * 1024 + 1]);
    let bucket = MemorySource::new("customsource", "Custom source", 10);
    bucket.put("/photo.gif", b"GIF89a-root".to_vec());
    bucket.put("/team/photo.gif", b"GIF89a-team".to_vec());
    let sources: Vec<Arc<dyn Source>> = vec![memory.clone(), Arc::new(bucket)];
    (Harness::with_sources(cfg, sources), memory)
}

/// `thumbnail` of each item of a listing, by name.
async fn thumbnails(h: &Harness, body: Value, source: &str) -> Vec<(String, String)> {
    let v = h.post("/folder/list", body).await.ok().json();
    v[source]["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap().to_owned(),
                i["thumbnail"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn of<'a>(items: &'a [(String, String)], name: &str) -> &'a str {
    &items.iter().find(|(n, _)| n == name).unwrap().1
}

fn list_body(source: &str, path: &str) -> Value {
    json!({ "apikey": OPEN, "clouds": { source: { "path": path } } })
}

/// Checks the headers every answer of the endpoint carries.
fn guarded(r: &Resp) {
    assert_eq!(r.headers["cross-origin-resource-policy"], "cross-origin");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert!(
        r.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
}

#[tokio::test]
async fn an_image_in_a_listing_loads_through_the_server() {
    let h = harness(config());
    let items = thumbnails(&h, list_body("memory", "/"), "memory").await;
    let url = of(&items, "photo.gif").to_owned();
    assert!(
        url.starts_with("http://skiff.test/cloud/thumbnails/"),
        "{url}"
    );
    assert_eq!(
        of(&items, "readme.txt"),
        "http://skiff.test/cloud/icons/file.svg"
    );
    assert_eq!(
        of(&items, "huge.png"),
        "http://skiff.test/cloud/icons/file.svg",
        "over a MiB: no picture"
    );
    let r = h.get(&url).await;
    r.ok();
    assert_eq!(&r.body[..], GIF);
    assert_eq!(r.headers["content-type"], "image/gif");
    let cache = r.headers["cache-control"].to_str().unwrap();
    assert!(cache.starts_with("private, max-age="), "{cache}");
    let age: i64 = cache.rsplit('=').next().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&age), "{age}");
    guarded(&r);
    // Listed again within the hour: the same URL, so the browser's cache answers.
    let again = thumbnails(&h, list_body("memory", "/"), "memory").await;
    assert_eq!(of(&again, "photo.gif"), url);
    // HEAD answers too (an <img> never sends one, but link checkers do).
    let head = h
        .request(Method::HEAD, &url, &[], axum::body::Body::empty())
        .await;
    assert_eq!(head.status, 200);
}

#[tokio::test]
async fn altered_made_up_and_foreign_capabilities_are_refused() {
    let h = harness(config_with_key(1));
    let items = thumbnails(&h, list_body("memory", "/"), "memory").await;
    let url = of(&items, "photo.gif").to_owned();
    let mut altered = url.clone().into_bytes();
    let at = altered.len() - 3;
    altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    for bad in [
        altered.as_str(),
        "/cloud/thumbnails/made-up",
        "/cloud/thumbnails/x.y",
        "/cloud/thumbnails/%00",
    ] {
        let r = h.get(bad).await;
        r.refused(404, "thumbnail_invalid");
        assert_eq!(r.headers["cache-control"], "no-store");
        guarded(&r);
    }
    // Another server (another vault key) cannot open it.
    let other = harness(config_with_key(2));
    other.get(&url).await.refused(404, "thumbnail_invalid");
    // The same key, but the app no longer offers the source.
    let mut cfg = config_with_key(1);
    cfg.apps[0].sources = Some(AppSources::Names(vec!["customsource".into()]));
    let narrowed = harness(cfg);
    narrowed.get(&url).await.refused(410, "thumbnail_revoked");
    // Six hours on, it has expired.
    h.clock.advance(6 * 3_600_000);
    h.get(&url).await.refused(404, "thumbnail_expired");
}

#[tokio::test]
async fn an_item_with_no_picture_any_more_is_no_thumbnail() {
    let (h, memory) = harness_and_memory(config());
    let items = thumbnails(&h, list_body("memory", "/"), "memory").await;
    let url = of(&items, "photo.gif").to_owned();
    // Replaced since the listing by an image too big to be its own picture.
    memory.put("/photo.gif", vec![1u8; 2 * 1024 * 1024]);
    let r = h.get(&url).await;
    r.refused(404, "no_thumbnail");
    assert_eq!(r.headers["cache-control"], "no-store");
    guarded(&r);
}

#[tokio::test]
async fn a_custom_source_folder_stays_the_root_of_its_pictures() {
    let h = harness(config());
    let mut body = list_body("customsource", "/");
    body["clouds"]["customsource"]["customSourcePath"] = json!("team/");
    let items = thumbnails(&h, body, "customsource").await;
    let r = h.get(of(&items, "photo.gif")).await;
    assert_eq!(&r.ok().body[..], b"GIF89a-team");
    let root = thumbnails(&h, list_body("customsource", "/"), "customsource").await;
    assert_ne!(of(&root, "photo.gif"), of(&items, "photo.gif"));
    assert_eq!(
        &h.get(of(&root, "photo.gif")).await.body[..],
        b"GIF89a-root"
    );
}

#[tokio::test]
async fn a_picture_needs_the_session_signed_in_and_never_shows_its_token() {
    crate::ensure_tls();
    let (h, s) = oauth::setup().await;
    let token = oauth::connected(&h).await;
    let v = h
        .post("/folder/list", oauth::list(Some(&token), "/Fotos/"))
        .await
        .ok()
        .json();
    let token = v["token"].as_str().unwrap_or(&token).to_owned();
    let items: Vec<(String, String)> = v["dropbox"]["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let name = i["name"].as_str().unwrap().to_owned();
            (name, i["thumbnail"].as_str().unwrap().to_owned())
        })
        .collect();
    let url = of(&items, "beach.jpg").to_owned();
    assert!(url.contains("/cloud/thumbnails/"), "{url}");
    assert!(of(&items, "Überblick 😀.txt").ends_with("/cloud/icons/file.svg"));
    // Nothing in the URL names the session: not its token, nor the hash kept of it.
    let session = h
        .state
        .sessions()
        .find(OPEN, Some(&token), h.state.now_ms())
        .await
        .unwrap()
        .unwrap()
        .session;
    for secret in [
        token.as_str(),
        session.token_hash.as_str(),
        session.id.as_str(),
        "beach",
        "Fotos",
    ] {
        assert!(!url.contains(secret), "{secret} in {url}");
    }

    let r = h.get(&url).await;
    r.ok();
    assert_eq!(&r.body[..], skiff_standins::files::THUMBNAIL_JPEG);
    assert_eq!(r.headers["content-type"], "image/jpeg");
    guarded(&r);
    // An expired access token is refreshed on the way, as for listings.
    let refreshes = s.core.knobs().refreshes;
    s.core.expire_access();
    h.get(&url).await.ok();
    assert_eq!(s.core.knobs().refreshes, refreshes + 1);

    // Signed out of Dropbox: the session's pictures stop at once.
    let out = json!({ "apikey": OPEN, "token": token, "clouds": { "dropbox": {} } });
    h.post("/auth/logout", out).await.ok();
    let gone = h.get(&url).await;
    gone.refused(410, "thumbnail_revoked");
    guarded(&gone);
    // The session ended altogether: the same.
    h.post("/auth/logout", json!({ "apikey": OPEN, "token": token }))
        .await
        .ok();
    h.get(&url).await.refused(410, "thumbnail_revoked");
}
