//! Filestack's Cloud API (`/folder/list`, `/store/`, `/auth/logout`) over the in-memory source:
//! the shapes the SDKs read, paging, `accept`, imports with store options, tags and the webhook,
//! and every refusal (unknown or disabled source, bad paths, policies).

use crate::harness::*;
use serde_json::{Value, json};
use skiff_server::cloud::{MemorySource, Source};
use skiff_server::config::{AppConfig, Config};
use std::sync::Arc;

/// A server offering a memory source `memory` (pages of 2) with a small tree.
fn harness_with(config: Config) -> Harness {
    let source = MemorySource::new("memory", "Memory", 2);
    source.put("/readme.txt", b"hello".to_vec());
    source.put("/photo.jpg", b"jpeg".to_vec());
    source.put("/docs/a.txt", b"alpha".to_vec());
    source.put("/docs/Überblick.pdf", b"%PDF".to_vec());
    let sources: Vec<Arc<dyn Source>> = vec![Arc::new(source)];
    Harness::with_sources(config, sources)
}

fn list_body(path: &str, next: Option<&str>) -> Value {
    let mut args = json!({ "path": path });
    if let Some(n) = next {
        args["next"] = json!(n);
    }
    json!({ "apikey": OPEN, "flow": "web", "token": null, "clouds": { "memory": args } })
}

#[tokio::test]
async fn a_listing_has_the_sdks_shapes_and_pages() {
    let h = harness_with(config());
    let first = h.post("/folder/list", list_body("/", None)).await;
    let first = first.ok().json();
    let m = &first["memory"];
    assert_eq!(
        (m["client"].as_str(), m["filename"].as_str()),
        (Some("memory"), Some(""))
    );
    assert_eq!(
        m["contents"][0],
        json!({ "name": "docs", "path": "/docs/", "mimetype": "inode/directory",
                "thumbnail": "http://skiff.test/cloud/icons/folder.svg", "size": "0", "bytes": 0, "folder": true })
    );
    // An image's thumbnail is its picture through the server (tests/api/thumbnails.rs).
    let mut photo = m["contents"][1].clone();
    let thumb = photo["thumbnail"].take();
    assert!(
        thumb
            .as_str()
            .unwrap()
            .starts_with("http://skiff.test/cloud/thumbnails/"),
        "{thumb}"
    );
    assert_eq!(
        photo,
        json!({ "name": "photo.jpg", "path": "/photo.jpg", "mimetype": "image/jpeg",
                "thumbnail": null, "size": "4", "bytes": 4, "folder": false })
    );
    let next = m["next"].as_str().unwrap();
    assert!(!next.is_empty(), "a second page: {first}");
    let second = h
        .post("/folder/list", list_body("/", Some(next)))
        .await
        .ok()
        .json();
    let names: Vec<&str> = second["memory"]["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["readme.txt"]);
    assert_eq!(second["memory"]["next"], "", "the last page");

    // `accept` keeps the files of those types, and every folder.
    let mut body = list_body("/", None);
    body["accept"] = json!(["image/*"]);
    let kept = h.post("/folder/list", body).await.ok().json();
    let names: Vec<&str> = kept["memory"]["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["docs", "photo.jpg"]);
    let docs = h
        .post("/folder/list", list_body("/docs/", None))
        .await
        .ok()
        .json();
    assert_eq!(docs["memory"]["filename"], "docs");
    assert_eq!(docs["memory"]["contents"][1]["name"], "Überblick.pdf");
    assert_eq!(docs["memory"]["contents"][1]["mimetype"], "application/pdf");
    // The icons the listing names are served.
    let icon = h.get("/cloud/icons/folder.svg").await;
    icon.ok();
    assert_eq!(icon.headers["content-type"], "image/svg+xml");
}

#[tokio::test]
async fn an_import_is_stored_with_its_options_tags_and_webhook() {
    let h = harness_with(config());
    let body = json!({
        "apikey": OPEN,
        "clouds": { "memory": { "path": "/docs/a.txt",
                                "store": { "location": "s3", "path": "imports/", "filename": "alpha.txt" } } },
        "upload_tags": { "crm": "42" },
    });
    let r = h.post("/store/", body).await;
    let file = r.ok().json()["memory"].clone();
    assert_eq!(
        (
            file["filename"].as_str(),
            file["size"].as_u64(),
            file["client"].as_str()
        ),
        (Some("alpha.txt"), Some(5), Some("Memory"))
    );
    assert_eq!(file["mimetype"], "text/plain");
    assert_eq!(file["upload_tags"], json!({ "crm": "42" }));
    assert!(file["key"].as_str().unwrap().starts_with("imports/"));
    let handle = file["handle"].as_str().unwrap();
    assert_eq!(file["url"], format!("http://skiff.test/{handle}"));
    assert_eq!(h.download(handle).await, b"alpha");
    let hooks = h.state.state().due_webhooks(NOW_MS, 10).await.unwrap();
    assert_eq!(hooks.len(), 1);
    let event = hooks[0].hook.event.to_string();
    assert!(
        event.contains("\"Memory\""),
        "the webhook names the source: {event}"
    );
    // Logging out of the owner's source has nothing to revoke.
    let out = h
        .post(
            "/auth/logout",
            json!({ "apikey": OPEN, "clouds": { "memory": {} } }),
        )
        .await;
    assert_eq!(out.ok().json(), json!({ "memory": {} }));
}

#[tokio::test]
async fn cloud_refusals_name_their_problem() {
    let mut cfg = config();
    // An app that offers no source at all.
    cfg.apps.push(AppConfig {
        key: "closed".into(),
        secret: None,
        webhook_url: None,
        webhook_secret: None,
        sources: Some(skiff_server::config::AppSources::Names(Vec::new())),
        allowed_origins: Vec::new(),
        storage: None,
    });
    let h = harness_with(cfg);
    let refused = |r: Resp, status: u16, code: &str, names: &str| {
        r.refused(status, code);
        let m = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(m.contains(names), "{m:?} should name {names}");
    };
    let list = |clouds: Value| json!({ "apikey": OPEN, "clouds": clouds });
    refused(
        h.post("/folder/list", list(json!({ "dropbox": { "path": "/" } })))
            .await,
        400,
        "unknown_source",
        "`dropbox`",
    );
    refused(
        h.post(
            "/folder/list",
            json!({ "apikey": "closed", "clouds": { "memory": {} } }),
        )
        .await,
        400,
        "unknown_source",
        "`memory` is not offered by this server to this app (offered: none)",
    );
    refused(
        h.post(
            "/folder/list",
            json!({ "apikey": SECURE, "clouds": { "memory": {} } }),
        )
        .await,
        403,
        "security_required",
        "policy",
    );
    for bad in ["/../etc/", "docs", "/docs//x/", "/a\\b/"] {
        refused(
            h.post("/folder/list", list(json!({ "memory": { "path": bad } })))
                .await,
            400,
            "invalid_field",
            "clouds.memory.path",
        );
    }
    refused(
        h.post(
            "/folder/list",
            list(json!({ "memory": { "path": "/nope/" } })),
        )
        .await,
        404,
        "source_item_not_found",
        "/nope/",
    );
    refused(
        h.post("/folder/list", json!({ "apikey": OPEN })).await,
        400,
        "missing_field",
        "clouds",
    );
    refused(
        h.post("/folder/list", json!({ "clouds": { "memory": {} } }))
            .await,
        400,
        "missing_api_key",
        "",
    );
    let store = |clouds: Value| json!({ "apikey": OPEN, "clouds": clouds });
    refused(
        h.post("/store/", store(json!({ "memory": { "path": "/docs/" } })))
            .await,
        400,
        "invalid_field",
        "folder",
    );
    refused(
        h.post(
            "/store/",
            store(json!({ "memory": { "path": "/gone.txt" } })),
        )
        .await,
        404,
        "source_item_not_found",
        "/gone.txt",
    );
    refused(
        h.post(
            "/store/",
            store(json!({ "memory": { "path": "/readme.txt" }, "webdav": { "path": "/x" } })),
        )
        .await,
        400,
        "invalid_field",
        "one source",
    );
    let mut bad_tags = store(json!({ "memory": { "path": "/readme.txt" } }));
    bad_tags["upload_tags"] = json!({ "k": "v".repeat(300) });
    refused(h.post("/store/", bad_tags).await, 400, "invalid_tags", "");
    refused(
        h.post(
            "/store/",
            store(
                json!({ "memory": { "path": "/readme.txt", "store": { "location": "dropbox" } } }),
            ),
        )
        .await,
        400,
        "unsupported_location",
        "",
    );
    assert!(
        h.state.state().handles().await.unwrap().is_empty(),
        "nothing stored"
    );
}

/// A source whose files send their first 1000 bytes, then wait for `release` before the rest.
#[derive(Debug)]
struct Held {
    inner: MemorySource,
    release: Arc<tokio::sync::Notify>,
}

#[async_trait::async_trait]
impl Source for Held {
    fn name(&self) -> &'static str {
        "held"
    }
    fn display_name(&self) -> &'static str {
        "Held"
    }
    async fn list(
        &self,
        dir: &skiff_server::cloud::CloudPath,
        cursor: Option<&str>,
    ) -> Result<skiff_server::cloud::Page, skiff_server::cloud::SourceError> {
        self.inner.list(dir, cursor).await
    }
    async fn open(
        &self,
        path: &skiff_server::cloud::CloudPath,
        from: u64,
    ) -> Result<skiff_server::cloud::Download, skiff_server::cloud::SourceError> {
        use futures_util::{StreamExt, TryStreamExt};
        let mut d = self.inner.open(path, from).await?;
        let all: Vec<bytes::Bytes> = d.body.try_collect().await.unwrap();
        let all = bytes::Bytes::from(all.concat());
        let release = self.release.clone();
        let head = all.slice(..1000);
        let tail = all.slice(1000..);
        d.body = Box::pin(futures_util::stream::iter([Ok(head)]).chain(
            futures_util::stream::once(async move {
                release.notified().await;
                Ok(tail)
            }),
        ));
        Ok(d)
    }
}

#[tokio::test]
async fn an_import_in_flight_reports_its_bytes() {
    let inner = MemorySource::new("held", "Held", 10);
    inner.put("/big.bin", vec![7u8; 5000]);
    let release = Arc::new(tokio::sync::Notify::new());
    let held: Arc<dyn Source> = Arc::new(Held {
        inner,
        release: release.clone(),
    });
    let h = Arc::new(Harness::with_sources(config(), vec![held]));
    let body = json!({ "apikey": OPEN, "clouds": { "held": { "path": "/big.bin", "import_id": "imp-12345678" } } });
    let running = {
        let h = h.clone();
        tokio::spawn(async move { h.post("/store/", body).await })
    };
    let status = |key: &'static str| {
        let h = h.clone();
        async move {
            h.get(&format!("/cloud/imports/imp-12345678?key={key}"))
                .await
        }
    };
    let mut seen = None;
    for _ in 0..200 {
        let r = status(OPEN).await;
        if r.status.is_success() && r.json()["bytes"] == 1000 {
            seen = Some(r.json());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(
        seen,
        Some(json!({ "bytes": 1000, "size": 5000, "state": "running" }))
    );
    // Another app does not see it; the same id cannot start a second import.
    status(SECURE).await.refused(404, "unknown_import");
    let again = json!({ "apikey": OPEN, "clouds": { "held": { "path": "/big.bin", "import_id": "imp-12345678" } } });
    h.post("/store/", again).await.refused(400, "invalid_field");
    release.notify_one();
    let done = running.await.unwrap();
    assert_eq!(done.ok().json()["held"]["size"], 5000);
    assert_eq!(
        status(OPEN).await.ok().json(),
        json!({ "bytes": 5000, "size": 5000, "state": "done" })
    );
    h.get(&format!("/cloud/imports/not-an-import?key={OPEN}"))
        .await
        .refused(404, "unknown_import");
    let bad =
        json!({ "apikey": OPEN, "clouds": { "held": { "path": "/big.bin", "import_id": "x" } } });
    h.post("/store/", bad).await.refused(400, "invalid_field");

    // A client that goes away half-way: its import ends as failed instead of running for ever.
    let body = json!({ "apikey": OPEN, "clouds": { "held": { "path": "/big.bin", "import_id": "imp-dropped" } } });
    let gone = {
        let h = h.clone();
        tokio::spawn(async move { h.post("/store/", body).await })
    };
    let mut state = String::new();
    for _ in 0..400 {
        let r = h
            .get(&format!("/cloud/imports/imp-dropped?key={OPEN}"))
            .await;
        if r.status.is_success() {
            if r.json()["bytes"] == 1000 {
                gone.abort();
            }
            state = r.json()["state"].as_str().unwrap().to_owned();
            if state == "failed" {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(state, "failed");
}

/// `customSourcePath` shows one folder of the owner's bucket as the root, and nothing above it;
/// `customSourceContainer` must name the configured bucket.
#[tokio::test]
async fn the_custom_source_is_seen_from_its_folder_in_its_bucket() {
    let bucket = MemorySource::new("customsource", "Custom source", 10);
    bucket.put("/secret.txt", b"no".to_vec());
    bucket.put("/team/a.txt", b"team file".to_vec());
    let mut cfg = config();
    cfg.sources.customsource = Some(skiff_server::config::BucketSourceConfig {
        endpoint: None,
        region: "us-east-1".into(),
        bucket: "picks".into(),
        prefix: None,
        access_key_id: "k".into(),
        secret_access_key: skiff_server::config::Secret("s".into()),
    });
    let h = Harness::with_sources(cfg, vec![Arc::new(bucket)]);
    let args = |path: &str, container: &str| json!({ "path": path, "customSourcePath": "team/", "customSourceContainer": container });
    let listed = h
        .post(
            "/folder/list",
            json!({ "apikey": OPEN, "clouds": { "customsource": args("/", "picks") } }),
        )
        .await;
    let contents = listed.ok().json()["customsource"]["contents"].clone();
    assert_eq!(contents.as_array().unwrap().len(), 1, "{contents}");
    assert_eq!(
        (contents[0]["name"].as_str(), contents[0]["path"].as_str()),
        (Some("a.txt"), Some("/a.txt"))
    );
    let stored = h
        .post(
            "/store/",
            json!({ "apikey": OPEN, "clouds": { "customsource": args("/a.txt", "") } }),
        )
        .await;
    let handle = stored.ok().json()["customsource"]["handle"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(h.download(&handle).await, b"team file");
    h.post(
        "/store/",
        json!({ "apikey": OPEN, "clouds": { "customsource": args("/../secret.txt", "") } }),
    )
    .await
    .refused(400, "invalid_field");
    h.post(
        "/folder/list",
        json!({ "apikey": OPEN, "clouds": { "customsource": args("/", "other-bucket") } }),
    )
    .await
    .refused(400, "invalid_field");
    let bad_root = json!({ "path": "/", "customSourcePath": "../x" });
    h.post(
        "/folder/list",
        json!({ "apikey": OPEN, "clouds": { "customsource": bad_root } }),
    )
    .await
    .refused(400, "invalid_field");
}

#[tokio::test]
async fn image_search_answers_as_unsplash_and_as_imagesearch() {
    crate::ensure_tls();
    let photos = (0..3)
        .map(|i| (format!("p{i}"), format!("Red kite {i}"), vec![i as u8; 50]))
        .collect();
    let u = skiff_standins::unsplash::start(photos, 100).await;
    let source = skiff_server::cloud::UnsplashSource::new(
        skiff_standins::unsplash::ACCESS_KEY,
        Some(&u.standin.url()),
    )
    .unwrap();
    let h = Harness::with_sources(config(), vec![Arc::new(source)]);
    // Filestack's name for it answers under that name.
    let body = json!({ "apikey": OPEN, "clouds": { "imagesearch": { "path": "/red kite/" } } });
    let v = h.post("/folder/list", body).await.ok().json();
    let items = v["imagesearch"]["contents"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["mimetype"], "image/jpeg");
    let thumb = items[0]["thumbnail"].as_str().unwrap();
    assert!(thumb.starts_with(&u.standin.content_url()), "{thumb}");
    assert!(!v.to_string().contains(skiff_standins::unsplash::ACCESS_KEY));
    let path = items[1]["path"].as_str().unwrap();
    let body = json!({ "apikey": OPEN, "clouds": { "unsplash": { "path": path } } });
    let stored = h.post("/store/", body).await.ok().json();
    assert_eq!(stored["unsplash"]["client"], "Unsplash");
    assert_eq!(stored["unsplash"]["size"], 50);
    assert_eq!(u.downloads.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn metadata_reads_what_a_url_holds_behind_the_url_guard() {
    crate::ensure_tls();
    let photos = vec![("p1".to_owned(), "kite".to_owned(), vec![7u8; 1234])];
    let u = skiff_standins::unsplash::start(photos, 100).await;
    let url = format!("{}/photo-p1", u.standin.content_url());
    // The default server fetches no internal address.
    let h = harness_with(config());
    h.post("/metadata", json!({ "apikey": OPEN, "url": url }))
        .await
        .refused(400, "url_not_allowed");
    h.post("/metadata", json!({ "apikey": OPEN }))
        .await
        .refused(400, "missing_field");
    let mut cfg = config();
    cfg.allow_private_urls = true;
    let h = harness_with(cfg);
    let v = h
        .post("/metadata", json!({ "apikey": OPEN, "url": url }))
        .await
        .ok()
        .json();
    assert_eq!(v["size"], 1234);
    assert_eq!(v["mimetype"], "image/jpeg");
    assert_eq!(v["filename"], "photo-p1");
    h.post(
        "/metadata",
        json!({ "apikey": OPEN, "url": format!("{}/photo-nope", u.standin.content_url()) }),
    )
    .await
    .refused(400, "url_fetch_failed");
}
