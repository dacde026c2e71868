//! The regular and intelligent flows, as filestack-js and filestack-python drive them.

use crate::harness::*;
use axum::http::Method;
use serde_json::{Value, json};
use skiff_server::storage::MemoryStorage;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn regular_parts_in_any_order_and_concurrently() {
    let h = Harness::new();
    let data = random_bytes(2_500_000, 1);
    let start = h.start(OPEN, data.len(), json!({})).await;
    assert_eq!(start["location_url"], "http://skiff.test");
    assert!(
        start.get("upload_type").is_none(),
        "regular start must not claim FII: {start}"
    );
    for key in ["file", "parts"] {
        assert!(start.get(key).is_none(), "start must not return {key}");
    }
    assert_eq!(
        start["part_etag"], "md5",
        "parts come through the server: {start}"
    );
    let chunks: Vec<&[u8]> = data.chunks(1_000_000).collect();
    // Parts 3, 1, 2 sent at once.
    let (e3, e1, e2) = tokio::join!(
        h.send(OPEN, &start, 3, chunks[2], None),
        h.send(OPEN, &start, 1, chunks[0], None),
        h.send(OPEN, &start, 2, chunks[1], None),
    );
    assert!(
        e1.starts_with('"') && e1.ends_with('"'),
        "ETag must be quoted: {e1}"
    );
    let tags = json!({ "project": "apollo", "owner": "ünïcødé" });
    let parts = json!([{ "part_number": 2, "etag": e2 }, { "part_number": 1, "etag": e1 }, { "part_number": 3, "etag": e3 }]);
    let r = h
        .complete(
            OPEN,
            &start,
            data.len(),
            json!({ "parts": parts, "upload_tags": tags }),
        )
        .await;
    r.ok();
    let done = r.json();
    for field in [
        "handle",
        "url",
        "filename",
        "size",
        "mimetype",
        "status",
        "key",
        "container",
        "upload_tags",
    ] {
        assert!(done.get(field).is_some(), "complete lacks {field}: {done}");
    }
    assert_eq!(done["status"], "Stored");
    assert_eq!(done["size"], data.len());
    assert_eq!(done["upload_tags"], tags);
    assert_eq!(done["container"], "skiff");
    assert!(done["key"].as_str().unwrap().ends_with("_file.bin"));
    let handle = done["handle"].as_str().unwrap();
    assert_eq!(done["url"], format!("http://skiff.test/{handle}"));
    assert_eq!(h.download(handle).await, data);

    // Tags are kept in the metadata and queued in the signed webhook.
    let meta = h.get(&format!("/api/file/{handle}/metadata")).await;
    assert_eq!(meta.ok().json()["upload_tags"], tags);
    let hooks = h.state.state().due_webhooks(NOW_MS, 10).await.unwrap();
    assert_eq!(hooks.len(), 1);
    let body: serde_json::Value =
        serde_json::from_str(&skiff_server::webhook::body(&hooks[0])).unwrap();
    assert_eq!(body["action"], "fp.upload");
    assert_eq!(body["id"], hooks[0].id);
    assert_eq!(body["text"]["upload_tags"], tags);
    assert_eq!(body["text"]["size"], data.len());
    assert_eq!(body["text"]["url"], done["url"]);
    assert_eq!(hooks[0].hook.secret.as_deref(), Some("whsec"));
}

#[tokio::test]
async fn a_part_sent_without_md5_answers_the_md5_of_its_bytes_as_etag() {
    // What `part_etag: "md5"` promises: a client may PUT before it has hashed the part, and
    // check the ETag against its MD5 afterwards.
    let h = Harness::new();
    let data = random_bytes(300_000, 9);
    let start = h.start(OPEN, data.len(), json!({})).await;
    let mut body = session_fields(OPEN, &start);
    merge(
        &mut body,
        json!({ "part": 1, "size": data.len(), "store": { "location": "s3" } }),
    );
    let r = h.post("/multipart/upload", body).await;
    let v = r.ok().json();
    let grant = v["headers"]["X-Skiff-Part"].as_str().unwrap();
    assert!(
        !grant.contains("md5="),
        "no MD5 asked, none granted: {grant}"
    );
    let put = h
        .request(
            Method::PUT,
            v["url"].as_str().unwrap(),
            &[("x-skiff-part", grant)],
            data.clone(),
        )
        .await;
    put.ok();
    let etag = put.headers["etag"].to_str().unwrap().to_owned();
    use md5::Digest as _;
    assert_eq!(
        etag,
        format!("\"{}\"", hex::encode(md5::Md5::digest(&data)))
    );
}

#[tokio::test]
async fn start_signs_part_one_when_asked() {
    // `first_part` (a Skiff extension): part 1's PUT comes with start's answer, as an upload
    // call without MD5 would sign it, and the file completes from it like from any part.
    let h = Harness::new();
    let data = random_bytes(1_500_000, 11);
    let (one, two) = data.split_at(1_000_000);
    let start = h
        .start(OPEN, data.len(), json!({ "first_part": one.len() }))
        .await;
    let signed = &start["first_part"];
    assert_eq!(signed["url"], "http://skiff.test/multipart/part", "{start}");
    let grant = signed["headers"]["X-Skiff-Part"].as_str().unwrap();
    assert!(!grant.contains("md5="), "no MD5 to grant: {grant}");
    assert!(signed.get("held").is_none(), "{start}");
    let put = h
        .request(
            Method::PUT,
            "/multipart/part",
            &[("x-skiff-part", grant)],
            one.to_vec(),
        )
        .await;
    put.ok();
    let e1 = put.headers["etag"].to_str().unwrap().to_owned();
    use md5::Digest as _;
    assert_eq!(e1, format!("\"{}\"", hex::encode(md5::Md5::digest(one))));
    let e2 = h.send(OPEN, &start, 2, two, None).await;
    let parts = json!({ "parts": [
        { "part_number": 1, "etag": e1 },
        { "part_number": 2, "etag": e2 },
    ] });
    let done = h
        .complete(OPEN, &start, data.len(), parts)
        .await
        .ok()
        .json();
    assert_eq!(h.download(done["handle"].as_str().unwrap()).await, data);
}

#[tokio::test]
async fn start_signs_no_part_unless_it_can() {
    let h = Harness::new();
    // Not asked, or an intelligent upload (whose parts go in chunks): nothing signed.
    let plain = h.start(OPEN, 10, json!({})).await;
    let fii = h
        .start(OPEN, 10, json!({ "fii": true, "first_part": 10 }))
        .await;
    for start in [plain, fii] {
        assert!(start.get("first_part").is_none(), "{start}");
    }
    // A size no part can have is refused by name.
    for size in [0, 11] {
        let body = json!({ "apikey": OPEN, "filename": "f", "size": 10, "first_part": size });
        h.post("/multipart/start", body)
            .await
            .refused(400, "part_out_of_range");
    }
}

#[tokio::test]
async fn repeated_complete_answers_the_same_file() {
    let h = Harness::new();
    let data = random_bytes(1000, 2);
    let start = h.start(OPEN, data.len(), json!({})).await;
    let etag = h.send(OPEN, &start, 1, &data, None).await;
    let parts = json!([{ "part_number": 1, "etag": etag }]);
    let first = h
        .complete(OPEN, &start, data.len(), json!({ "parts": parts }))
        .await;
    let again = h
        .complete(OPEN, &start, data.len(), json!({ "parts": parts }))
        .await;
    assert_eq!(first.ok().json()["handle"], again.ok().json()["handle"]);
    // But no more parts are taken.
    h.upload_call(OPEN, &start, 2, b"x", None)
        .await
        .refused(400, "unknown_upload");
}

#[tokio::test]
async fn staged_parts_are_dropped_once_complete_has_answered() {
    let storage = Arc::new(MemoryStorage::new());
    let h = Harness::with_storage(config(), storage.clone(), Vec::new());
    let data = random_bytes(1000, 3);
    let start = h.start(OPEN, data.len(), json!({})).await;
    let etag = h.send(OPEN, &start, 1, &data, None).await;
    assert_eq!(storage.staged_pieces(), 1);
    let parts = json!([{ "part_number": 1, "etag": etag }]);
    let done = h
        .complete(OPEN, &start, data.len(), json!({ "parts": parts }))
        .await;
    // In a task of their own, after the answer.
    for _ in 0..200 {
        if storage.staged_pieces() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(storage.staged_pieces(), 0, "the staged part is dropped");
    assert_eq!(
        h.download(done.ok().json()["handle"].as_str().unwrap())
            .await,
        data
    );
}

#[tokio::test]
async fn a_resent_part_replaces_the_earlier_one() {
    let h = Harness::new();
    let start = h.start(OPEN, 6, json!({})).await;
    let _old = h.send(OPEN, &start, 1, b"AAA", None).await;
    let e1 = h.send(OPEN, &start, 1, b"abc", None).await;
    let e2 = h.send(OPEN, &start, 2, b"def", None).await;
    let r = h.complete(OPEN, &start, 6, json!({ "parts": [{ "part_number": 1, "etag": e1 }, { "part_number": 2, "etag": e2 }] })).await;
    assert_eq!(
        h.download(r.ok().json()["handle"].as_str().unwrap()).await,
        b"abcdef"
    );
}

#[tokio::test]
async fn empty_file() {
    let h = Harness::new();
    let start = h.start(OPEN, 0, json!({})).await;
    let r = h.complete(OPEN, &start, 0, json!({})).await;
    let done = r.ok().json();
    assert_eq!(done["size"], 0);
    assert!(
        h.download(done["handle"].as_str().unwrap())
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn intelligent_chunks_shrink_commit_and_complete_without_parts() {
    let h = Harness::new();
    let data = random_bytes(300_000, 3);
    let start = h.start(OPEN, data.len(), json!({ "fii": true })).await;
    assert_eq!(start["upload_type"], "intelligent_ingestion");
    // Part 1 = bytes 0..200_000, sent as a 200 000-byte chunk the server stored but the client
    // never heard back from, then re-sent shrunk: 100 000 at 0, 50 000 at 100 000, 50 000 at 150 000.
    let p1 = &data[..200_000];
    h.send(OPEN, &start, 1, p1, Some(0)).await;
    h.send(OPEN, &start, 1, &p1[..100_000], Some(0)).await;
    h.send(OPEN, &start, 1, &p1[100_000..150_000], Some(100_000))
        .await;
    // The same chunk twice is idempotent.
    h.send(OPEN, &start, 1, &p1[150_000..], Some(150_000)).await;
    h.send(OPEN, &start, 1, &p1[150_000..], Some(150_000)).await;
    // Part 2 arrives before part 1 is committed, in one chunk; committed first.
    h.send(OPEN, &start, 2, &data[200_000..], Some(0)).await;
    h.commit(OPEN, &start, 2, data.len()).await.ok();
    h.commit(OPEN, &start, 1, data.len()).await.ok();
    let r = h
        .complete(
            OPEN,
            &start,
            data.len(),
            json!({ "fii": true, "upload_tags": { "a": "b" } }),
        )
        .await;
    let done = r.ok().json();
    assert_eq!(done["upload_tags"], json!({ "a": "b" }));
    assert_eq!(h.download(done["handle"].as_str().unwrap()).await, data);
}

#[tokio::test]
async fn intelligent_gaps_and_uncommitted_parts_are_refused() {
    let h = Harness::new();
    let data = random_bytes(1000, 4);
    let start = h.start(OPEN, data.len(), json!({ "fii": true })).await;
    h.send(OPEN, &start, 1, &data[..300], Some(0)).await;
    h.send(OPEN, &start, 1, &data[400..600], Some(400)).await;
    h.commit(OPEN, &start, 1, data.len())
        .await
        .refused(400, "incomplete_upload");
    h.commit(OPEN, &start, 2, data.len())
        .await
        .refused(400, "part_missing");
    h.commit(OPEN, &start, 1, 999)
        .await
        .refused(400, "size_mismatch");
    h.send(OPEN, &start, 1, &data[300..400], Some(300)).await;
    h.commit(OPEN, &start, 1, data.len()).await.ok();
    // Part 2 was sent but never committed.
    h.send(OPEN, &start, 2, &data[600..], Some(0)).await;
    h.complete(OPEN, &start, data.len(), json!({ "fii": true }))
        .await
        .refused(400, "incomplete_upload");
    h.commit(OPEN, &start, 2, data.len()).await.ok();
    let done = h
        .complete(OPEN, &start, data.len(), json!({ "fii": true }))
        .await;
    assert_eq!(
        h.download(done.ok().json()["handle"].as_str().unwrap())
            .await,
        data
    );
}

#[tokio::test]
async fn fallback_mixes_regular_and_intelligent_parts() {
    let h = Harness::new();
    let data = random_bytes(3000, 5);
    let start = h.start(OPEN, data.len(), json!({ "fii": true })).await;
    let e1 = h.send(OPEN, &start, 1, &data[..1000], None).await;
    h.send(OPEN, &start, 2, &data[1000..1500], Some(0)).await;
    h.send(OPEN, &start, 2, &data[1500..2000], Some(500)).await;
    h.send(OPEN, &start, 3, &data[2000..], Some(0)).await;
    h.commit(OPEN, &start, 2, data.len()).await.ok();
    h.commit(OPEN, &start, 3, data.len()).await.ok();
    let r = h
        .complete(
            OPEN,
            &start,
            data.len(),
            json!({ "fii": true, "parts": [{ "part_number": 1, "etag": e1 }] }),
        )
        .await;
    assert_eq!(
        h.download(r.ok().json()["handle"].as_str().unwrap()).await,
        data
    );
}

#[tokio::test]
async fn form_encoded_clients() {
    // Java/PHP send multipart/form-data with flat fields (docs/protocol.md §3.7).
    let h = Harness::new();
    let data = b"form-encoded upload".to_vec();
    let form = |fields: &[(&str, String)]| {
        let mut body = String::new();
        for (k, v) in fields {
            body.push_str(&format!(
                "--XX\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            ));
        }
        body.push_str("--XX--\r\n");
        body
    };
    let ct = [("content-type", "multipart/form-data; boundary=XX")];
    let start = h
        .request(
            Method::POST,
            "/multipart/start",
            &ct,
            form(&[
                ("apikey", OPEN.into()),
                ("filename", "f.txt".into()),
                ("mimetype", "text/plain".into()),
                ("size", data.len().to_string()),
                ("store_location", "s3".into()),
                ("multipart", "true".into()),
            ]),
        )
        .await;
    let start = start.ok().json();
    assert_eq!(start["upload_type"], "intelligent_ingestion");
    let id = start["upload_id"].as_str().unwrap().to_owned();
    let up = h
        .request(
            Method::POST,
            "/multipart/upload",
            &ct,
            form(&[
                ("apikey", OPEN.into()),
                ("upload_id", id.clone()),
                ("part", "1".into()),
                ("size", data.len().to_string()),
                ("md5", md5_b64(&data)),
                ("multipart", "true".into()),
                ("offset", "0".into()),
            ]),
        )
        .await;
    let up = up.ok().json();
    let url = up["url"].as_str().unwrap().to_owned();
    let grant = up["headers"]["X-Skiff-Part"].as_str().unwrap().to_owned();
    h.request(Method::PUT, &url, &[("x-skiff-part", &grant)], data.clone())
        .await
        .ok();
    let urlenc = [("content-type", "application/x-www-form-urlencoded")];
    h.request(
        Method::POST,
        "/multipart/commit",
        &urlenc,
        format!("apikey={OPEN}&upload_id={id}&part=1&size={}", data.len()),
    )
    .await
    .ok();
    let done = h
        .request(
            Method::POST,
            "/multipart/complete",
            &ct,
            form(&[
                ("apikey", OPEN.into()),
                ("upload_id", id),
                ("size", data.len().to_string()),
                ("filename", "f.txt".into()),
                ("mimetype", "text/plain".into()),
                ("multipart", "true".into()),
            ]),
        )
        .await;
    let done = done.ok().json();
    assert_eq!(done["filename"], "f.txt");
    assert_eq!(h.download(done["handle"].as_str().unwrap()).await, data);
}

#[tokio::test]
async fn json_labelled_text_plain_is_read_as_json() {
    // Skiff's client labels its calls after start text/plain (which browsers send cross-origin
    // without a preflight) once start's answer showed Skiff's extensions; here every call is.
    let h = Harness::new();
    let data = random_bytes(10, 9);
    let plain = [("content-type", "text/plain;charset=UTF-8")];
    let body = |v: serde_json::Value| v.to_string();
    let start = h
        .request(
            Method::POST,
            "/multipart/start",
            &plain,
            body(json!({ "apikey": OPEN, "filename": "t.bin", "size": data.len() })),
        )
        .await;
    let start = start.ok().json();
    let ids = json!({ "apikey": OPEN, "uri": start["uri"], "region": start["region"], "upload_id": start["upload_id"] });
    let mut ask = ids.clone();
    merge(
        &mut ask,
        json!({ "part": 1, "size": data.len(), "md5": md5_b64(&data) }),
    );
    let up = h
        .request(Method::POST, "/multipart/upload", &plain, body(ask))
        .await;
    let up = up.ok().json();
    let grant = up["headers"]["X-Skiff-Part"].as_str().unwrap().to_owned();
    let put = h
        .request(
            Method::PUT,
            up["url"].as_str().unwrap(),
            &[("x-skiff-part", &grant)],
            data.clone(),
        )
        .await;
    put.ok();
    let etag = put.headers["etag"].to_str().unwrap().to_owned();
    let mut done = ids;
    merge(
        &mut done,
        json!({ "size": data.len(), "parts": [{ "part_number": 1, "etag": etag }] }),
    );
    let done = h
        .request(Method::POST, "/multipart/complete", &plain, body(done))
        .await;
    let done = done.ok().json();
    assert_eq!(done["filename"], "t.bin");
    assert_eq!(h.download(done["handle"].as_str().unwrap()).await, data);
}

#[tokio::test]
async fn python_style_complete_echoes_start_fields() {
    // filestack-python copies every start field (minus location_url) into complete, and sends
    // no policy on upload/commit.
    let h = Harness::new();
    let data = random_bytes(10, 6);
    let start = h
        .start(OPEN, data.len(), json!({ "store": { "location": "S3" } }))
        .await;
    let etag = h.send(OPEN, &start, 1, &data, None).await;
    let mut extra = start.clone();
    extra.as_object_mut().unwrap().remove("location_url");
    merge(
        &mut extra,
        json!({ "upload_type": null, "parts": [{ "part_number": 1, "etag": etag }], "upload_tags": { "k": "v" } }),
    );
    let r = h.complete(OPEN, &start, data.len(), extra).await;
    assert_eq!(r.ok().json()["upload_tags"], json!({ "k": "v" }));
}

/// The quoted hex MD5 a part PUT answers as its ETag.
fn md5_etag(data: &[u8]) -> String {
    use md5::Digest as _;
    format!("\"{}\"", hex::encode(md5::Md5::digest(data)))
}

/// Sends a held complete (`await_parts`) in a task of its own; checks it is still waiting a
/// while later, as its parts are not all in.
async fn held_complete(
    h: &Arc<Harness>,
    start: &Value,
    size: usize,
    extra: Value,
) -> tokio::task::JoinHandle<Resp> {
    let (h2, start2) = (h.clone(), start.clone());
    let mut body = json!({ "await_parts": true });
    merge(&mut body, extra);
    let task = tokio::spawn(async move { h2.complete(OPEN, &start2, size, body).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!task.is_finished(), "a held complete waits for its parts");
    task
}

/// The file a held complete answered with, within 5 s (`why` it should have answered by now).
async fn held_answer(task: tokio::task::JoinHandle<Resp>, why: &str) -> Value {
    let done = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect(why)
        .unwrap();
    done.ok().json()
}

#[tokio::test]
async fn a_held_complete_answers_once_its_last_listed_part_lands() {
    let h = Arc::new(Harness::new());
    let data = random_bytes(1_500_000, 21);
    let (one, two) = data.split_at(1_000_000);
    let start = h.start(OPEN, data.len(), json!({})).await;
    assert_eq!(start["await_parts"], true, "{start}");
    let e1 = h.send(OPEN, &start, 1, one, None).await;
    assert_eq!(e1, md5_etag(one));
    let parts = json!({ "parts": [
        { "part_number": 1, "etag": e1 },
        { "part_number": 2, "etag": md5_etag(two) },
    ] });
    let task = held_complete(&h, &start, data.len(), parts).await;
    h.send(OPEN, &start, 2, two, None).await;
    let file = held_answer(task, "the held complete answers once part 2 is in").await;
    assert_eq!(file["size"], data.len());
    assert_eq!(h.download(file["handle"].as_str().unwrap()).await, data);
}

#[tokio::test]
async fn a_held_complete_with_another_etag_answers_at_once() {
    let h = Harness::new();
    let data = random_bytes(2_000, 22);
    let (one, two) = data.split_at(1_000);
    let start = h.start(OPEN, data.len(), json!({})).await;
    h.send(OPEN, &start, 1, one, None).await;
    // Part 1 is held with another ETag: no part that lands can mend that, even though part 2
    // is not in yet.
    let parts = json!([
        { "part_number": 1, "etag": md5_etag(two) },
        { "part_number": 2, "etag": md5_etag(two) },
    ]);
    let began = std::time::Instant::now();
    h.complete(
        OPEN,
        &start,
        data.len(),
        json!({ "parts": parts, "await_parts": true }),
    )
    .await
    .refused(400, "part_missing");
    assert!(
        began.elapsed() < Duration::from_secs(2),
        "{:?}",
        began.elapsed()
    );
    // As without `await_parts`.
    h.complete(OPEN, &start, data.len(), json!({ "parts": parts }))
        .await
        .refused(400, "part_missing");
}

#[tokio::test]
async fn a_held_complete_without_a_list_answers_once_the_parts_hold_the_file() {
    let h = Arc::new(Harness::new());
    let data = random_bytes(3_000, 23);
    let (one, two) = data.split_at(1_000);
    let start = h.start(OPEN, data.len(), json!({})).await;
    h.send(OPEN, &start, 1, one, None).await;
    let task = held_complete(&h, &start, data.len(), json!({})).await;
    h.send(OPEN, &start, 2, two, None).await;
    let file = held_answer(
        task,
        "the held complete answers once the parts add up to the file",
    )
    .await;
    assert_eq!(h.download(file["handle"].as_str().unwrap()).await, data);
}

#[tokio::test]
async fn a_held_intelligent_complete_answers_once_the_last_part_is_committed() {
    let h = Arc::new(Harness::new());
    let data = random_bytes(3_000, 24);
    let start = h.start(OPEN, data.len(), json!({ "fii": true })).await;
    assert_eq!(start["await_parts"], true, "{start}");
    h.send(OPEN, &start, 1, &data[..2_000], Some(0)).await;
    h.send(OPEN, &start, 2, &data[2_000..], Some(0)).await;
    h.commit(OPEN, &start, 1, data.len()).await.ok();
    // Sent with the last commit: part 2's chunks are in, but not committed yet.
    let task = held_complete(&h, &start, data.len(), json!({ "fii": true })).await;
    h.commit(OPEN, &start, 2, data.len()).await.ok();
    let file = held_answer(task, "the held complete answers once part 2 is committed").await;
    assert_eq!(h.download(file["handle"].as_str().unwrap()).await, data);
}
