//! Regular uploads to a storage that takes parts itself (the in-memory twin of an S3 bucket):
//! the part URLs are the storage's, the bytes never pass through the server, complete makes
//! the file from the parts the client names, and what cannot work is refused by name.

use crate::harness::{Harness, OPEN, config, md5_b64, merge, random_bytes, session_fields};
use serde_json::{Value, json};
use skiff_server::storage::MemoryStorage;
use std::sync::Arc;

const MIB: usize = 1024 * 1024;

fn harness() -> (Harness, Arc<MemoryStorage>) {
    let storage = Arc::new(MemoryStorage::with_direct());
    (
        Harness::with_storage(config(), storage.clone(), Vec::new()),
        storage,
    )
}

/// Asks for part `n`'s URL and PUTs `data` there as a client would; the ETag.
pub(crate) async fn send(
    h: &Harness,
    storage: &MemoryStorage,
    start: &Value,
    n: u64,
    data: &[u8],
) -> String {
    let r = h.upload_call(OPEN, start, n, data, None).await;
    let v = r.ok().json();
    let url = url::Url::parse(v["url"].as_str().unwrap()).unwrap();
    assert_eq!(url.host_str(), Some("direct.memory.invalid"), "{v}");
    let headers: Vec<(String, String)> = v["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(headers, [("Content-MD5".to_owned(), md5_b64(data))]);
    storage
        .receive(&url, &headers, data.to_vec().into())
        .unwrap()
}

fn parts(etags: &[(u64, &str)]) -> Value {
    json!(
        etags
            .iter()
            .map(|(n, e)| json!({ "part_number": n, "etag": e }))
            .collect::<Vec<_>>()
    )
}

#[tokio::test]
async fn parts_go_to_the_storage_and_complete_makes_the_file() {
    let (h, storage) = harness();
    let data = random_bytes(5 * MIB + 1234, 7);
    let start = h
        .start(OPEN, data.len(), json!({ "first_part": 5 * MIB }))
        .await;
    assert_eq!(storage.open_direct_uploads(), 1);
    // The bucket's part ETags are not promised to be MD5s (SSE-KMS): clients keep sending them,
    // so no part is signed ahead of its MD5 either.
    assert!(start.get("part_etag").is_none(), "{start}");
    assert!(start.get("first_part").is_none(), "{start}");
    // Nor does the answer of a client that rejoins the upload after a reload.
    let held = h
        .post("/multipart/resume", session_fields(OPEN, &start))
        .await
        .ok()
        .json();
    assert_eq!(held["direct"], true);
    assert!(held.get("part_etag").is_none(), "{held}");
    let (first, last) = data.split_at(5 * MIB);
    let e2 = send(&h, &storage, &start, 2, last).await;
    let e1 = send(&h, &storage, &start, 1, first).await;
    let tags = json!({ "team": "north" });
    let body = json!({ "parts": parts(&[(2, &e2), (1, &e1)]), "upload_tags": tags });
    let r = h.complete(OPEN, &start, data.len(), body.clone()).await;
    let file = r.ok().json();
    assert_eq!(file["size"], data.len());
    assert_eq!(file["upload_tags"], tags);
    assert_eq!(storage.open_direct_uploads(), 0);
    let handle = file["handle"].as_str().unwrap();
    assert!(h.download(handle).await == data, "bytes differ");
    // A repeated complete (the first answer was lost) answers the same file.
    let again = h.complete(OPEN, &start, data.len(), body).await;
    assert_eq!(again.ok().json()["handle"], file["handle"]);
}

#[tokio::test]
async fn wrong_or_missing_parts_are_refused_and_the_upload_stays_open() {
    let (h, storage) = harness();
    let data = random_bytes(5 * MIB + 10, 3);
    let start = h.start(OPEN, data.len(), json!({})).await;
    let (first, last) = data.split_at(5 * MIB);
    let e1 = send(&h, &storage, &start, 1, first).await;
    let e2 = send(&h, &storage, &start, 2, last).await;
    let complete = |list: Value| h.complete(OPEN, &start, data.len(), json!({ "parts": list }));
    complete(json!([])).await.refused(400, "part_missing");
    complete(parts(&[(2, &e2)]))
        .await
        .refused(400, "part_missing");
    complete(parts(&[(1, &e1), (1, &e1), (2, &e2)]))
        .await
        .refused(400, "part_missing");
    // An ETag the storage does not know.
    complete(parts(&[
        (1, "\"00000000000000000000000000000000\""),
        (2, &e2),
    ]))
    .await
    .refused(400, "part_missing");
    // Parts that do not hold the file: the last one left out.
    let short = h
        .complete(
            OPEN,
            &start,
            data.len(),
            json!({ "parts": parts(&[(1, &e1)]) }),
        )
        .await;
    short.refused(400, "incomplete_upload");
    assert!(
        short.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("5242880 bytes"),
        "{}",
        short.json()
    );
    // There is nothing to commit, and no chunk to send.
    h.commit(OPEN, &start, 1, data.len())
        .await
        .refused(400, "invalid_field");
    h.upload_call(OPEN, &start, 1, first, Some(0))
        .await
        .refused(400, "invalid_field");
    // ETags swapped; then the right list completes the upload the refusals left open.
    complete(parts(&[(1, &e2), (2, &e1)]))
        .await
        .refused(400, "part_missing");
    let r = complete(parts(&[(1, &e1), (2, &e2)])).await;
    let handle = r.ok().json()["handle"].as_str().unwrap().to_owned();
    assert!(h.download(&handle).await == data);
}

#[tokio::test]
async fn intelligent_and_empty_uploads_still_come_through_the_server() {
    let (h, storage) = harness();
    let data = random_bytes(300_000, 5);
    let start = h.start(OPEN, data.len(), json!({ "fii": true })).await;
    assert_eq!(storage.open_direct_uploads(), 0);
    assert_eq!(
        start["part_etag"], "md5",
        "chunks come through the server: {start}"
    );
    let (url, _) = h.part_target(OPEN, &start, 1, &data, Some(0)).await;
    assert!(url.starts_with("http://skiff.test/"), "{url}");
    h.send(OPEN, &start, 1, &data, Some(0)).await;
    h.commit(OPEN, &start, 1, data.len()).await.ok();
    let r = h
        .complete(OPEN, &start, data.len(), json!({ "fii": true }))
        .await;
    let handle = r.ok().json()["handle"].as_str().unwrap().to_owned();
    assert!(h.download(&handle).await == data);

    let empty = h.start(OPEN, 0, json!({})).await;
    assert_eq!(storage.open_direct_uploads(), 0);
    let r = h.complete(OPEN, &empty, 0, json!({})).await;
    let handle = r.ok().json()["handle"].as_str().unwrap().to_owned();
    assert!(h.download(&handle).await.is_empty());
}

#[tokio::test]
async fn an_expired_upload_is_aborted_in_the_storage() {
    let (h, storage) = harness();
    let data = random_bytes(2000, 6);
    let start = h.start(OPEN, data.len(), json!({})).await;
    send(&h, &storage, &start, 1, &data).await;
    let done = h.start(OPEN, data.len(), json!({})).await;
    let etag = send(&h, &storage, &done, 1, &data).await;
    let parts = json!({ "parts": parts(&[(1, &etag)]) });
    let r = h.complete(OPEN, &done, data.len(), parts).await;
    let handle = r.ok().json()["handle"].as_str().unwrap().to_owned();
    assert_eq!(storage.open_direct_uploads(), 1);
    let ttl = h.state.config().session_ttl_secs as i64 * 1000;
    h.clock.advance(ttl + 1);
    assert_eq!(skiff_server::tasks::sweep_expired(&h.state).await, 2);
    assert_eq!(storage.open_direct_uploads(), 0);
    // The completed upload's file stays; the expired one is gone.
    assert!(h.download(&handle).await == data);
    let mut body = session_fields(OPEN, &start);
    merge(
        &mut body,
        json!({ "part": 1, "size": data.len(), "md5": md5_b64(&data) }),
    );
    h.post("/multipart/upload", body)
        .await
        .refused(400, "unknown_upload");
}
