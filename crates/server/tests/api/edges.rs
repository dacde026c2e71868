//! An ingestion network: a core instance and an edge (`region = "eu"`, `edge = true`) on one
//! state store and one final storage. An upload to the edge lands in its landing storage; the
//! file is `Started` from the start response's handle, `InTransit` (served by the edge; the
//! core sends reads there) until the edge's transfer worker moves it on, then `Complete` and
//! served by both from the final storage, with its webhook sent only then.

use crate::harness::{Harness, NOW_MS, OPEN, config, object_names, random_bytes};
use axum::http::Method;
use serde_json::json;
use skiff_server::AppState;
use skiff_server::clock::ManualClock;
use skiff_server::state::{MemoryState, StateStore};
use skiff_server::storage::MemoryStorage;
use skiff_server::transfer;
use std::sync::Arc;

const EDGE_URL: &str = "http://eu.skiff.test";

struct Network {
    core: Harness,
    edge: Harness,
    state: Arc<MemoryState>,
    landing: Arc<MemoryStorage>,
    storage: Arc<MemoryStorage>,
}

fn network() -> Network {
    network_landing_in(MemoryStorage::new())
}

/// A core and an edge whose uploads land in `landing`.
fn network_landing_in(landing: MemoryStorage) -> Network {
    let state = Arc::new(MemoryState::new());
    let storage = Arc::new(MemoryStorage::new());
    let landing = Arc::new(landing);
    let clock = Arc::new(ManualClock::at(NOW_MS));
    let mut cfg = config();
    cfg.apps[0].webhook_url = Some("http://hooks.test/skiff".into());
    let instance = |cfg: skiff_server::config::Config| {
        AppState::new(
            cfg,
            storage.clone(),
            state.clone(),
            clock.clone(),
            b"test-key".to_vec(),
        )
    };
    let core = instance(cfg.clone());
    let edge = instance(skiff_server::config::Config {
        region: Some("eu".into()),
        edge: true,
        public_url: Some(EDGE_URL.into()),
        ..cfg
    })
    .with_landing(landing.clone());
    let harness = |state: AppState| Harness {
        router: skiff_server::app(state.clone()),
        state,
        clock: clock.clone(),
    };
    Network {
        core: harness(core),
        edge: harness(edge),
        state,
        landing,
        storage,
    }
}

/// Sends `data` as the one part of the upload `start` began on `h`, and completes it.
async fn one_part(h: &Harness, start: &serde_json::Value, data: &[u8]) -> crate::harness::Resp {
    let etag = h.send(OPEN, start, 1, data, None).await;
    let parts = json!({ "parts": [{ "part_number": 1, "etag": etag }] });
    h.complete(OPEN, start, data.len(), parts).await
}

async fn status(h: &Harness, handle: &str) -> serde_json::Value {
    h.get(&format!("/{handle}/metadata")).await.ok().json()
}

#[tokio::test]
async fn an_upload_to_an_edge_is_served_in_transit_then_complete_everywhere() {
    let n = network();
    let data = random_bytes(300_000, 11);
    let start = n.edge.start(OPEN, data.len(), json!({})).await;
    assert_eq!(
        (start["region"].as_str(), start["location_region"].as_str()),
        (Some("eu"), Some("eu"))
    );
    assert_eq!(
        start["location_url"], EDGE_URL,
        "later calls go to the edge"
    );
    let handle = start["handle"].as_str().unwrap().to_owned();
    // Started, on any instance, before a byte has come.
    let m = status(&n.core, &handle).await;
    assert_eq!(
        (m["status"].as_str(), m["size"].as_u64()),
        (Some("Started"), Some(300_000))
    );

    let file = one_part(&n.edge, &start, &data).await.ok().json();
    assert_eq!(
        file["handle"], handle,
        "the handle the start response promised"
    );
    assert_eq!(file["status"], "InTransit");
    assert_eq!(
        object_names(&n.landing).await,
        std::slice::from_ref(&handle),
        "landed at the edge"
    );
    assert!(object_names(&n.storage).await.is_empty());
    assert!(
        n.state.due_webhooks(i64::MAX, 10).await.unwrap().is_empty(),
        "no webhook yet"
    );

    // In transit: the edge serves it; the core sends reads (and deletes) to the edge.
    assert!(n.edge.download(&handle).await == data);
    let away = n.core.get(&format!("/{handle}?dl=true")).await;
    assert_eq!(away.status, 307);
    assert_eq!(
        away.headers["location"],
        format!("{EDGE_URL}/{handle}?dl=true")
    );
    let hashed = n.core.get(&format!("/{handle}/metadata?md5=true")).await;
    assert_eq!(
        hashed.status, 307,
        "fields read from the bytes are answered at the edge"
    );
    let m = status(&n.core, &handle).await;
    assert_eq!(m["status"], "InTransit");
    assert_eq!(
        (
            m["transfer"]["at_edge"].as_str(),
            m["transfer"]["to"].as_str()
        ),
        (Some("eu"), None)
    );

    // Only the edge moves it.
    assert_eq!(transfer::drain(&n.core.state).await, 0);
    assert_eq!(transfer::drain(&n.edge.state).await, 1);
    assert!(
        object_names(&n.landing).await.is_empty(),
        "the landed copy goes"
    );
    assert_eq!(
        object_names(&n.storage).await,
        std::slice::from_ref(&handle)
    );
    for h in [&n.core, &n.edge] {
        assert_eq!(status(h, &handle).await["status"], "Complete");
        assert!(h.download(&handle).await == data);
    }
    let hooks = n.state.due_webhooks(i64::MAX, 10).await.unwrap();
    assert_eq!(
        hooks.len(),
        1,
        "the webhook, once the file is in its final storage"
    );
    assert_eq!(hooks[0].hook.event["text"]["status"], "Stored");
}

#[tokio::test]
async fn calls_of_an_edge_upload_elsewhere_are_refused_and_deletes_go_to_the_edge() {
    let n = network();
    let data = random_bytes(10_000, 12);
    let start = n.edge.start(OPEN, data.len(), json!({})).await;
    // The core cannot reach the edge's landing storage: a clear refusal, not a lost part.
    n.core
        .upload_call(OPEN, &start, 1, &data, None)
        .await
        .refused(421, "wrong_edge");
    let handle = one_part(&n.edge, &start, &data).await.ok().json()["handle"]
        .as_str()
        .unwrap()
        .to_owned();
    let del = n
        .core
        .request(
            Method::DELETE,
            &format!("/api/file/{handle}?key={OPEN}"),
            &[],
            "",
        )
        .await;
    assert_eq!(del.status, 307);
    assert_eq!(
        del.headers["location"],
        format!("{EDGE_URL}/api/file/{handle}?key={OPEN}")
    );
    n.edge
        .request(
            Method::DELETE,
            &format!("/api/file/{handle}?key={OPEN}"),
            &[],
            "",
        )
        .await
        .ok();
    assert!(object_names(&n.landing).await.is_empty());
    assert_eq!(
        transfer::drain(&n.edge.state).await,
        0,
        "its transfer went with it"
    );
    n.core
        .get(&format!("/{handle}/metadata"))
        .await
        .refused(404, "file_not_found");
}

#[tokio::test]
async fn a_file_stored_at_an_edge_from_a_url_or_body_lands_there_too() {
    let n = network();
    let r = n
        .edge
        .request(
            Method::POST,
            &format!("/api/store/s3?key={OPEN}&filename=a.txt"),
            &[("content-type", "text/plain")],
            "hello edge",
        )
        .await;
    let file = r.ok().json();
    assert_eq!(file["status"], "InTransit");
    let handle = file["handle"].as_str().unwrap();
    assert_eq!(object_names(&n.landing).await, [handle.to_owned()]);
    assert_eq!(transfer::drain(&n.edge.state).await, 1);
    assert_eq!(n.core.download(handle).await, b"hello edge");
}

#[tokio::test]
async fn an_edge_landing_in_a_bucket_takes_parts_straight_into_it() {
    let n = network_landing_in(MemoryStorage::with_direct());
    let data = random_bytes(5 * 1024 * 1024 + 10, 13);
    let start = n.edge.start(OPEN, data.len(), json!({})).await;
    assert_eq!(
        n.landing.open_direct_uploads(),
        1,
        "opened in the edge's bucket"
    );
    let (first, last) = data.split_at(5 * 1024 * 1024);
    let e1 = crate::direct::send(&n.edge, &n.landing, &start, 1, first).await;
    let e2 = crate::direct::send(&n.edge, &n.landing, &start, 2, last).await;
    let parts =
        json!({ "parts": [{ "part_number": 1, "etag": e1 }, { "part_number": 2, "etag": e2 }] });
    let file = n
        .edge
        .complete(OPEN, &start, data.len(), parts)
        .await
        .ok()
        .json();
    assert_eq!(file["status"], "InTransit");
    let handle = file["handle"].as_str().unwrap().to_owned();
    assert_eq!(start["handle"], handle);
    assert_eq!(
        object_names(&n.landing).await,
        std::slice::from_ref(&handle)
    );
    assert_eq!(transfer::drain(&n.edge.state).await, 1);
    assert_eq!(
        object_names(&n.storage).await,
        std::slice::from_ref(&handle)
    );
    assert!(n.core.download(&handle).await == data);
}
