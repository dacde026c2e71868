//! Storing to another location (`store.location` = a `[locations.<name>]`): the file lands in
//! the app's storage, is usable at once (`InTransit`), then the transfer queue moves it, after
//! which it reads from the location, says `Complete` and its webhook goes out; a transfer that
//! cannot be done is retried, then kept as failed and shown.

use crate::harness::{Harness, OPEN, config, object_names, random_bytes};
use axum::http::Method;
use serde_json::json;
use skiff_server::storage::conformance::body;
use skiff_server::storage::{Expect, MemoryStorage, Storage};
use skiff_server::transfer;
use std::sync::Arc;

struct Setup {
    h: Harness,
    landed: Arc<MemoryStorage>,
    archive: Arc<MemoryStorage>,
}

fn setup() -> Setup {
    let landed = Arc::new(MemoryStorage::new());
    let archive = Arc::new(MemoryStorage::new());
    let mut cfg = config();
    cfg.apps[0].webhook_url = Some("http://hooks.test/skiff".into());
    let mut h = Harness::with_storage(cfg, landed.clone(), Vec::new());
    drop(h.router); // holds the state, which must not be shared while it is configured
    h.state = h.state.with_location("archive", archive.clone());
    h.router = skiff_server::app(h.state.clone());
    Setup { h, landed, archive }
}

/// Stores a small file with the File API to the `archive` location; its handle.
async fn store_to_archive(h: &Harness) -> String {
    let r = h
        .request(
            Method::POST,
            &format!("/api/store/archive?key={OPEN}&filename=a.txt"),
            &[("content-type", "text/plain")],
            "hello",
        )
        .await;
    let url = r.ok().json()["url"].as_str().unwrap().to_owned();
    url.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_file_is_usable_in_transit_then_stored_at_its_location() {
    let Setup { h, landed, archive } = setup();
    let data = random_bytes(200_000, 3);
    let start = h
        .start(
            OPEN,
            data.len(),
            json!({ "store": { "location": "Archive" } }),
        )
        .await;
    let etag = h.send(OPEN, &start, 1, &data, None).await;
    let done = h
        .complete(
            OPEN,
            &start,
            data.len(),
            json!({ "parts": [{ "part_number": 1, "etag": etag }], "store": { "location": "archive" } }),
        )
        .await;
    let file = done.ok().json();
    assert_eq!(file["status"], "InTransit");
    let handle = file["handle"].as_str().unwrap().to_owned();
    // Usable at once, from where it landed; no webhook yet.
    assert!(h.download(&handle).await == data);
    let m = h.get(&format!("/{handle}/metadata")).await.ok().json();
    assert_eq!(
        (m["status"].as_str(), m["transfer"]["to"].as_str()),
        (Some("InTransit"), Some("archive"))
    );
    assert!(
        h.state
            .state()
            .due_webhooks(i64::MAX, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(object_names(&landed).await, std::slice::from_ref(&handle));

    assert_eq!(transfer::drain(&h.state).await, 1);
    assert_eq!(object_names(&archive).await, std::slice::from_ref(&handle));
    assert!(
        object_names(&landed).await.is_empty(),
        "the landed copy goes"
    );
    assert!(h.download(&handle).await == data, "read from the location");
    let m = h.get(&format!("/{handle}/metadata")).await.ok().json();
    assert_eq!(
        (m["status"].as_str(), m["location"].as_str()),
        (Some("Complete"), Some("archive"))
    );
    assert!(m.get("transfer").is_none(), "{m}");
    // The webhook, sent now, says Stored and names the client.
    let hooks = h.state.state().due_webhooks(i64::MAX, 10).await.unwrap();
    assert_eq!(hooks.len(), 1);
    let text = &hooks[0].hook.event["text"];
    assert_eq!(
        (text["status"].as_str(), text["client"].as_str()),
        (Some("Stored"), Some("Computer")),
        "{text}"
    );
    assert_eq!(transfer::drain(&h.state).await, 0);

    // Deleting removes it from the location.
    let r = h
        .request(
            Method::DELETE,
            &format!("/api/file/{handle}?key={OPEN}"),
            &[],
            "",
        )
        .await;
    r.ok();
    assert!(object_names(&archive).await.is_empty());
}

#[tokio::test]
async fn the_file_api_store_goes_through_the_queue_too() {
    let Setup { h, archive, .. } = setup();
    let handle = store_to_archive(&h).await;
    assert_eq!(transfer::drain(&h.state).await, 1);
    assert_eq!(object_names(&archive).await, [handle]);
    // An unknown location is still refused, naming the ones there are.
    let r = h
        .request(
            Method::POST,
            &format!("/api/store/gcs?key={OPEN}&filename=a.txt"),
            &[("content-type", "text/plain")],
            "x",
        )
        .await;
    r.refused(400, "unsupported_location");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"archive\"")
    );
}

#[tokio::test]
async fn a_transfer_that_keeps_failing_is_retried_then_kept_and_shown() {
    let Setup { h, landed, archive } = setup();
    let handle = store_to_archive(&h).await;
    // The landed bytes are gone (a broken disk): every attempt fails.
    landed.delete(&handle).await.unwrap();
    assert_eq!(transfer::drain(&h.state).await, 1);
    let m = h.get(&format!("/{handle}/metadata")).await.ok().json();
    assert_eq!(m["transfer"]["attempts"], 1);
    assert_eq!(m["transfer"]["failed"], false);
    assert!(
        m["transfer"]["last_error"]
            .as_str()
            .unwrap()
            .contains("not found"),
        "{m}"
    );
    // Not again before its back-off, then again and again until given up.
    assert_eq!(transfer::drain(&h.state).await, 0);
    for _ in 1..transfer::GIVE_UP_AFTER {
        h.clock
            .advance(transfer::backoff_ms(transfer::GIVE_UP_AFTER));
        assert_eq!(transfer::drain(&h.state).await, 1);
    }
    let m = h.get(&format!("/{handle}/metadata")).await.ok().json();
    assert_eq!(m["status"], "InTransit");
    assert_eq!(m["transfer"]["failed"], true);
    assert_eq!(m["transfer"]["attempts"], transfer::GIVE_UP_AFTER);
    h.clock
        .advance(transfer::backoff_ms(transfer::GIVE_UP_AFTER));
    assert_eq!(
        transfer::drain(&h.state).await,
        0,
        "given up: never claimed again"
    );
    assert!(object_names(&archive).await.is_empty());
    assert!(
        h.state
            .state()
            .due_webhooks(i64::MAX, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Counted where an alert can see it.
    let metrics = h.get("/metrics").await.ok().body.clone();
    let metrics = String::from_utf8(metrics.to_vec()).unwrap();
    assert!(
        metrics.contains("skiff_transfers{state=\"failed\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("skiff_transfers{state=\"pending\"} 0\n"),
        "{metrics}"
    );

    // The disk is mended: `skiff-server retry-transfers` makes it due again, and it moves.
    landed
        .put(&handle, body(b"hello"), Expect::AtMost(100))
        .await
        .unwrap();
    assert_eq!(
        h.state
            .state()
            .retry_failed_transfers(h.state.now_ms())
            .await
            .unwrap(),
        1
    );
    assert_eq!(transfer::drain(&h.state).await, 1);
    assert_eq!(object_names(&archive).await, std::slice::from_ref(&handle));
    let m = h.get(&format!("/{handle}/metadata")).await.ok().json();
    assert_eq!(m["status"], "Complete");
}
