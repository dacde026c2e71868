//! `POST /multipart/resume` (Skiff): what the server holds of an upload, for a client that
//! carries on after losing its page: regular parts with their ETags, committed intelligent
//! parts, the chunks of parts not committed yet; the file's handle once complete; clear
//! refusals for ids that are unknown, of another app, or expired.

use crate::harness::{Harness, OPEN, SECURE, md5_b64, random_bytes, session_fields};
use serde_json::{Value, json};

async fn resume(h: &Harness, key: &str, start: &Value) -> crate::harness::Resp {
    h.post("/multipart/resume", session_fields(key, start))
        .await
}

#[tokio::test]
async fn a_regular_upload_lists_the_parts_received_with_their_etags() {
    let h = Harness::new();
    let data = random_bytes(30_000, 21);
    let start = h.start(OPEN, data.len(), json!({})).await;
    // Start says how long the upload is kept (a client keeps it for a later page as long).
    let ttl_ms = h.state.config().session_ttl_secs * 1000;
    assert_eq!(start["expires_in"], ttl_ms);
    let fresh = resume(&h, OPEN, &start).await.ok().json();
    assert_eq!(fresh["parts"], json!([]));
    assert_eq!(
        (fresh["size"].as_u64(), fresh["fii"].as_bool()),
        (Some(30_000), Some(false))
    );
    assert_eq!(fresh["direct"], false);
    // As start said: parts through the server answer their MD5 as ETag.
    assert_eq!(fresh["part_etag"], "md5");
    assert!(fresh["expires_at"].as_i64().unwrap() > 0);

    let parts: Vec<&[u8]> = data.chunks(10_000).collect();
    let e1 = h.send(OPEN, &start, 1, parts[0], None).await;
    let e3 = h.send(OPEN, &start, 3, parts[2], None).await;
    let held = resume(&h, OPEN, &start).await.ok().json();
    assert_eq!(
        held["parts"],
        json!([
            { "part": 1, "size": 10_000, "etag": e1.trim_matches('"') },
            { "part": 3, "size": 10_000, "etag": e3.trim_matches('"') },
        ])
    );
    // The missing part, then complete with all three: the file is whole.
    let e2 = h.send(OPEN, &start, 2, parts[1], None).await;
    let listed = json!([
        { "part_number": 1, "etag": e1 }, { "part_number": 2, "etag": e2 }, { "part_number": 3, "etag": e3 }
    ]);
    let file = h
        .complete(OPEN, &start, data.len(), json!({ "parts": listed }))
        .await
        .ok()
        .json();
    let handle = file["handle"].as_str().unwrap();
    assert!(h.download(handle).await == data);
    // Asked again after complete (its answer was lost with the page): the file's handle.
    let done = resume(&h, OPEN, &start).await.ok().json();
    assert_eq!(done["handle"], handle);
}

#[tokio::test]
async fn an_intelligent_upload_lists_committed_parts_and_the_chunks_of_the_others() {
    let h = Harness::new();
    let data = random_bytes(20_000, 22);
    let start = h.start(OPEN, data.len(), json!({ "fii": true })).await;
    h.send(OPEN, &start, 1, &data[..4_000], Some(0)).await;
    h.send(OPEN, &start, 1, &data[4_000..10_000], Some(4_000))
        .await;
    h.commit(OPEN, &start, 1, data.len()).await.ok();
    h.send(OPEN, &start, 2, &data[10_000..13_000], Some(0))
        .await;
    let held = resume(&h, OPEN, &start).await.ok().json();
    assert_eq!(held["fii"], true);
    assert_eq!(held["parts"], json!([{ "part": 1, "size": 10_000 }]));
    assert_eq!(
        held["chunks"],
        json!([{ "part": 2, "offset": 0, "size": 3_000 }])
    );
    // The instance's counters: three chunks stored, 13,000 bytes (what a resumed client's
    // test adds up against the file's size).
    let metrics = h.get("/metrics").await.ok().body.clone();
    let metrics = String::from_utf8_lossy(&metrics);
    assert!(
        metrics.contains("skiff_received_total{kind=\"chunk\"} 3\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("skiff_received_bytes_total{kind=\"chunk\"} 13000\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("skiff_received_bytes_total{kind=\"part\"} 0\n"),
        "{metrics}"
    );
}

/// `/multipart/upload` of `bytes` as part `part`, asking whether the server holds it
/// (`if_held`); its answer's `held`, or `null`.
async fn held(h: &Harness, start: &Value, part: u64, bytes: &[u8], offset: Option<u64>) -> Value {
    let mut body = session_fields(OPEN, start);
    crate::harness::merge(
        &mut body,
        json!({ "part": part, "size": bytes.len(), "md5": md5_b64(bytes), "if_held": true }),
    );
    if let Some(off) = offset {
        crate::harness::merge(&mut body, json!({ "fii": true, "offset": off }));
    }
    let answer = h.post("/multipart/upload", body).await.ok().json();
    // The part URL comes all the same: a client that ignores `held` just sends the part.
    assert!(
        answer["url"].as_str().is_some_and(|u| !u.is_empty()),
        "{answer}"
    );
    answer.get("held").cloned().unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_part_held_with_the_same_bytes_is_said_held_and_any_other_is_not() {
    let h = Harness::new();
    let data = random_bytes(20_000, 24);
    let start = h.start(OPEN, data.len(), json!({})).await;
    let e1 = h.send(OPEN, &start, 1, &data[..10_000], None).await;
    // The same bytes: held, with the ETag its PUT answered.
    assert_eq!(
        held(&h, &start, 1, &data[..10_000], None).await,
        e1.trim_matches('"')
    );
    // Other bytes of the same size (a part altered on its way, or another file), another size,
    // a part not received: not held, so the client sends it.
    let mut other = data[..10_000].to_vec();
    other[0] ^= 1;
    assert_eq!(held(&h, &start, 1, &other, None).await, Value::Null);
    assert_eq!(held(&h, &start, 1, &data[..9_999], None).await, Value::Null);
    assert_eq!(
        held(&h, &start, 2, &data[10_000..], None).await,
        Value::Null
    );
    // Not asked: not said, even when held (filestack-js and the rest see the answer they know).
    let asked = h.upload_call(OPEN, &start, 1, &data[..10_000], None).await;
    assert_eq!(asked.ok().json().get("held"), None);
    // Without an MD5 there is nothing to compare.
    let mut body = session_fields(OPEN, &start);
    crate::harness::merge(
        &mut body,
        json!({ "part": 1, "size": 10_000, "if_held": true }),
    );
    let answer = h.post("/multipart/upload", body).await.ok().json();
    assert_eq!(answer.get("held"), None);
}

#[tokio::test]
async fn chunks_of_an_intelligent_part_are_never_said_held() {
    let h = Harness::new();
    let data = random_bytes(10_000, 25);
    let start = h.start(OPEN, data.len(), json!({ "fii": true })).await;
    h.send(OPEN, &start, 1, &data, Some(0)).await;
    h.commit(OPEN, &start, 1, data.len()).await.ok();
    assert_eq!(held(&h, &start, 1, &data, Some(0)).await, Value::Null);
}

#[tokio::test]
async fn unknown_foreign_and_expired_uploads_are_refused() {
    let h = Harness::new();
    let start = h.start(OPEN, 10, json!({})).await;
    let mut unknown = start.clone();
    unknown["upload_id"] = json!("no-such-upload");
    resume(&h, OPEN, &unknown)
        .await
        .refused(400, "unknown_upload");
    resume(&h, SECURE, &start)
        .await
        .refused(400, "unknown_upload");
    h.post("/multipart/resume", json!({ "apikey": OPEN }))
        .await
        .refused(400, "missing_field");
    h.clock
        .advance(h.state.config().session_ttl_secs as i64 * 1000 + 1);
    resume(&h, OPEN, &start)
        .await
        .refused(400, "upload_expired");
}

/// A server on disk (SQLite, files in a folder) in `data`.
fn on_disk(data: &std::path::Path) -> Harness {
    let config = skiff_server::config::Config {
        data: data.to_owned(),
        ..crate::harness::config()
    };
    let state = skiff_server::AppState::open(config).unwrap();
    Harness {
        router: skiff_server::app(state.clone()),
        state,
        clock: std::sync::Arc::new(skiff_server::clock::ManualClock::at(0)),
    }
}

#[tokio::test]
async fn what_was_received_outlives_a_server_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = random_bytes(20_000, 23);
    let first = on_disk(dir.path());
    let start = first.start(OPEN, data.len(), json!({})).await;
    let e1 = first.send(OPEN, &start, 1, &data[..10_000], None).await;
    drop(first);

    let again = on_disk(dir.path());
    let held = resume(&again, OPEN, &start).await.ok().json();
    assert_eq!(held["parts"][0]["etag"], e1.trim_matches('"'));
    let e2 = again.send(OPEN, &start, 2, &data[10_000..], None).await;
    let listed = json!([{ "part_number": 1, "etag": e1 }, { "part_number": 2, "etag": e2 }]);
    let file = again
        .complete(OPEN, &start, data.len(), json!({ "parts": listed }))
        .await
        .ok()
        .json();
    assert!(again.download(file["handle"].as_str().unwrap()).await == data);
}
