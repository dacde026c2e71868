//! An app with storage of its own (`[apps.storage]`): its files, staged parts and direct
//! uploads are there and nowhere else, while the other apps keep the server's storage.

use crate::harness::{Harness, config, object_names, random_bytes};
use serde_json::json;
use skiff_server::config::AppConfig;
use skiff_server::storage::MemoryStorage;
use std::sync::Arc;

const OWN: &str = "ownkey";

#[tokio::test]
async fn an_app_keeps_its_files_in_its_own_storage() {
    let shared = Arc::new(MemoryStorage::new());
    let own = Arc::new(MemoryStorage::with_direct());
    let mut cfg = config();
    cfg.apps.push(AppConfig {
        key: OWN.into(),
        secret: None,
        webhook_url: None,
        webhook_secret: None,
        sources: None,
        allowed_origins: Vec::new(),
        storage: None, // the harness hands the storage over itself
    });
    let mut h = Harness::with_storage(cfg, shared.clone(), Vec::new());
    drop(h.router); // holds the state, which must not be shared while it is configured
    h.state = h.state.with_app_storage(OWN, own.clone());
    h.router = skiff_server::app(h.state.clone());

    // The open app: staged through the server, into the shared storage.
    let data = random_bytes(300_000, 1);
    let file = h.upload_regular(&data, 100_000, json!({})).await;
    let shared_handle = file["handle"].as_str().unwrap().to_owned();
    assert_eq!(
        object_names(&shared).await,
        std::slice::from_ref(&shared_handle)
    );

    // The app with its own (bucket-like) storage: parts straight there, the file there only.
    let start = h.start(OWN, data.len(), json!({})).await;
    let r = h.upload_call(OWN, &start, 1, &data, None).await;
    let v = r.ok().json();
    let url = url::Url::parse(v["url"].as_str().unwrap()).unwrap();
    let headers = vec![(
        "Content-MD5".to_owned(),
        v["headers"]["Content-MD5"].as_str().unwrap().to_owned(),
    )];
    let etag = own.receive(&url, &headers, data.clone().into()).unwrap();
    let r = h
        .complete(
            OWN,
            &start,
            data.len(),
            json!({ "parts": [{ "part_number": 1, "etag": etag }] }),
        )
        .await;
    let own_handle = r.ok().json()["handle"].as_str().unwrap().to_owned();
    assert_eq!(object_names(&own).await, std::slice::from_ref(&own_handle));
    assert_eq!(
        object_names(&shared).await,
        std::slice::from_ref(&shared_handle)
    );
    assert!(h.download(&own_handle).await == data);
    assert!(h.download(&shared_handle).await == data);

    // A stored file of the app, also from a URL-less store call.
    let r = h
        .request(
            axum::http::Method::POST,
            &format!("/api/store/S3?key={OWN}&filename=a.txt"),
            &[("content-type", "text/plain")],
            "hello".to_owned(),
        )
        .await;
    let stored = r.ok().json()["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    assert!(object_names(&own).await.contains(&stored));

    // Deleting goes to the app's storage; an expired direct upload is aborted there.
    let r = h
        .request(
            axum::http::Method::DELETE,
            &format!("/api/file/{own_handle}?key={OWN}"),
            &[],
            "",
        )
        .await;
    r.ok();
    assert!(!object_names(&own).await.contains(&own_handle));
    let _open = h.start(OWN, data.len(), json!({})).await;
    assert_eq!(own.open_direct_uploads(), 1);
    let ttl = h.state.config().session_ttl_secs as i64 * 1000;
    h.clock.advance(ttl + 1);
    skiff_server::tasks::sweep_expired(&h.state).await;
    assert_eq!(own.open_direct_uploads(), 0);
}
