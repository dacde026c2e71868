//! Every class of bad input gets a precise 4xx with a stable code, and nothing is stored.

use crate::harness::*;
use axum::http::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn malformed_bodies() {
    let h = Harness::new();
    let json_ct = [("content-type", "application/json")];
    let cases: &[(&str, &str, u16, &str)] = &[
        ("/multipart/start", "{not json", 400, "malformed_request"),
        ("/multipart/start", "", 400, "malformed_request"),
        ("/multipart/start", "[1,2]", 400, "malformed_request"),
        (
            "/multipart/start",
            r#"{"apikey":"openkey","size":"ten"}"#,
            400,
            "malformed_request",
        ),
        (
            "/multipart/start",
            r#"{"apikey":"openkey","size":-1}"#,
            400,
            "malformed_request",
        ),
        (
            "/multipart/start",
            r#"{"apikey":"openkey","size":1,"fii":"maybe"}"#,
            400,
            "malformed_request",
        ),
        (
            "/multipart/upload",
            r#"{"apikey":"openkey","upload_id":{}}"#,
            400,
            "malformed_request",
        ),
        (
            "/multipart/complete",
            r#"{"apikey":"openkey","upload_id":"x","parts":[{"etag":"e"}]}"#,
            400,
            "malformed_request",
        ),
    ];
    for (path, body, status, code) in cases {
        h.request(Method::POST, path, &json_ct, body.to_string())
            .await
            .refused(*status, code);
    }
    let huge = format!(r#"{{"apikey":"{}"}}"#, "x".repeat(2 << 20));
    h.request(Method::POST, "/multipart/start", &json_ct, huge)
        .await
        .refused(413, "payload_too_large");
    h.get("/no/such/endpoint").await.refused(404, "not_found");
    h.request(Method::PUT, "/multipart/start", &[], "")
        .await
        .refused(405, "method_not_allowed");
}

#[tokio::test]
async fn start_refusals() {
    let h = Harness::new();
    let base = || json!({ "apikey": OPEN, "filename": "a.bin", "mimetype": "application/octet-stream", "size": 10, "store": { "location": "s3" } });
    let with = |patch: Value| {
        let mut b = base();
        merge(&mut b, patch);
        b
    };
    let mut no_key = base();
    no_key.as_object_mut().unwrap().remove("apikey");
    let mut no_size = base();
    no_size.as_object_mut().unwrap().remove("size");
    let cases: Vec<(Value, u16, &str)> = vec![
        (no_key, 400, "missing_api_key"),
        (with(json!({ "apikey": "" })), 400, "missing_api_key"),
        (with(json!({ "apikey": "nope" })), 403, "invalid_api_key"),
        (no_size, 400, "missing_field"),
        (
            with(json!({ "size": 60u64 << 30 })),
            413,
            "payload_too_large",
        ),
        (
            with(json!({ "filename": "../../etc/passwd" })),
            400,
            "invalid_path",
        ),
        (with(json!({ "filename": "a\\b" })), 400, "invalid_path"),
        (with(json!({ "filename": ".." })), 400, "invalid_path"),
        (with(json!({ "filename": "a\u{7}b" })), 400, "invalid_path"),
        (
            with(json!({ "mimetype": "not a type" })),
            400,
            "invalid_field",
        ),
        (
            with(json!({ "store": { "location": "dropbox" } })),
            400,
            "unsupported_location",
        ),
        (
            with(json!({ "store": { "path": "up/../../x" } })),
            400,
            "invalid_path",
        ),
        (
            with(json!({ "store": { "container": "a/b" } })),
            400,
            "invalid_path",
        ),
        (
            with(json!({ "store": { "access": "everyone" } })),
            400,
            "invalid_field",
        ),
    ];
    for (body, status, code) in cases {
        let r = h.post("/multipart/start", body.clone()).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (status, code.to_owned()),
            "{body}"
        );
    }
}

#[tokio::test]
async fn upload_and_put_refusals() {
    let h = Harness::new();
    let data = random_bytes(100, 7);
    let start = h.start(OPEN, data.len(), json!({})).await;
    let post = |patch: Value| {
        let mut b = session_fields(OPEN, &start);
        merge(
            &mut b,
            json!({ "part": 1, "size": 10, "md5": md5_b64(&data[..10]) }),
        );
        merge(&mut b, patch);
        h.post("/multipart/upload", b)
    };
    post(json!({ "upload_id": "unknown" }))
        .await
        .refused(400, "unknown_upload");
    post(json!({ "upload_id": null }))
        .await
        .refused(400, "missing_field");
    post(json!({ "apikey": SECURE }))
        .await
        .refused(400, "unknown_upload");
    post(json!({ "part": 0 }))
        .await
        .refused(400, "part_out_of_range");
    post(json!({ "part": 10_001 }))
        .await
        .refused(400, "part_out_of_range");
    post(json!({ "size": 0 }))
        .await
        .refused(400, "part_out_of_range");
    post(json!({ "size": 101 }))
        .await
        .refused(400, "part_out_of_range");
    post(json!({ "fii": true, "offset": 95 }))
        .await
        .refused(400, "part_out_of_range");
    post(json!({ "md5": "not base64!" }))
        .await
        .refused(400, "invalid_field");

    // A PUT must match what /multipart/upload declared, or nothing is stored.
    let (url, grant) = h.part_target(OPEN, &start, 1, &data[..10], None).await;
    let with = |g: &str| vec![("x-skiff-part", g.to_owned())];
    let put = |u: String, g: Vec<(&'static str, String)>, body: Vec<u8>| {
        let h = &h;
        async move {
            let hs: Vec<(&str, &str)> = g.iter().map(|(k, v)| (*k, v.as_str())).collect();
            h.request(Method::PUT, &u, &hs, body).await
        }
    };
    let mut wrong = data[..10].to_vec();
    wrong[0] ^= 1;
    put(url.clone(), with(&grant), wrong)
        .await
        .refused(400, "md5_mismatch");
    put(url.clone(), with(&grant), data[..9].to_vec())
        .await
        .refused(400, "size_mismatch");
    put(url.clone(), with(&grant), data[..11].to_vec())
        .await
        .refused(400, "size_mismatch");
    let tampered = grant.replace("size=10", "size=11");
    put(url.clone(), with(&tampered), data[..11].to_vec())
        .await
        .refused(403, "invalid_upload_url");
    // The grant names its upload, under the signature: another upload's name is refused, and
    // so is a grant that names none at the one URL for every part.
    let id = start["upload_id"].as_str().unwrap();
    assert!(
        url.ends_with("/multipart/part"),
        "one URL for every part: {url}"
    );
    let other = grant.replace(&format!("upload={id}"), "upload=someoneelse");
    let unnamed = grant.replace(&format!("upload={id}&"), "");
    assert!(other != grant && unnamed != grant);
    // The URL per upload handed out before still takes a grant, for its own upload only.
    let per_upload = format!("{url}/{id}");
    let elsewhere = format!("{url}/someoneelse");
    for (u, g) in [
        (&url, &other),
        (&url, &unnamed),
        (&elsewhere, &grant),
        (&elsewhere, &unnamed),
    ] {
        put(u.clone(), with(g), data[..10].to_vec())
            .await
            .refused(403, "invalid_upload_url");
    }
    put(url.clone(), vec![], data[..10].to_vec())
        .await
        .refused(403, "invalid_upload_url");
    put(url.clone(), with("garbage"), data[..10].to_vec())
        .await
        .refused(403, "invalid_upload_url");
    assert!(
        h.state
            .state()
            .parts(start["upload_id"].as_str().unwrap())
            .await
            .unwrap()
            .is_empty(),
        "a refused PUT left a part"
    );
    // The grant also works in the query string (for hand-made requests).
    let by_query = put(format!("{url}?{grant}"), vec![], data[..10].to_vec()).await;
    by_query.ok();
    // And at the URL per upload, with a grant as handed out before (naming no upload) or now.
    put(per_upload.clone(), with(&unnamed), data[..10].to_vec())
        .await
        .ok();
    put(per_upload, with(&grant), data[..10].to_vec())
        .await
        .ok();
    // Grants expire.
    h.clock.advance(3_600_001);
    put(url, with(&grant), data[..10].to_vec())
        .await
        .refused(403, "invalid_upload_url");
}

#[tokio::test]
async fn complete_refusals() {
    let h = Harness::new();
    let data = random_bytes(20, 8);
    let start = h.start(OPEN, data.len(), json!({})).await;
    let e1 = h.send(OPEN, &start, 1, &data[..10], None).await;
    let e2 = h.send(OPEN, &start, 2, &data[10..], None).await;
    let parts = |list: Value| json!({ "parts": list });
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            parts(json!([{ "part_number": 1, "etag": e1 }])),
            400,
            "incomplete_upload",
        ),
        (
            parts(
                json!([{ "part_number": 1, "etag": e1 }, { "part_number": 2, "etag": "\"bad\"" }]),
            ),
            400,
            "part_missing",
        ),
        (
            parts(json!([{ "part_number": 1, "etag": e1 }, { "part_number": 3, "etag": e2 }])),
            400,
            "part_missing",
        ),
        (
            json!({ "size": 21, "parts": [{ "part_number": 1, "etag": e1 }, { "part_number": 2, "etag": e2 }] }),
            400,
            "size_mismatch",
        ),
        (
            json!({ "upload_tags": { "a": 1 } }),
            400,
            "malformed_request",
        ),
        (
            json!({ "upload_tags": (0..11).map(|i| (format!("k{i}"), json!("v"))).collect::<serde_json::Map<_, _>>() }),
            400,
            "invalid_tags",
        ),
        (
            json!({ "upload_tags": { "k".repeat(129): "v" } }),
            400,
            "invalid_tags",
        ),
        (
            json!({ "upload_tags": { "k": "v".repeat(257) } }),
            400,
            "invalid_tags",
        ),
        (json!({ "upload_tags": { "": "v" } }), 400, "invalid_tags"),
        (json!({ "filename": "a/../b" }), 400, "invalid_path"),
        (json!({ "alt": "x".repeat(126) }), 400, "invalid_field"),
    ];
    for (extra, status, code) in cases {
        let r = h.complete(OPEN, &start, data.len(), extra.clone()).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (status, code.to_owned()),
            "{extra}"
        );
    }
    // Duplicate keys in the raw JSON are refused too.
    let raw = format!(
        r#"{{"apikey":"{OPEN}","upload_id":"{}","size":20,"upload_tags":{{"a":"1","a":"2"}}}}"#,
        start["upload_id"].as_str().unwrap()
    );
    let r = h
        .request(
            Method::POST,
            "/multipart/complete",
            &[("content-type", "application/json")],
            raw,
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("more than once")
    );
    // After all that, the upload still completes.
    let ok = h
        .complete(
            OPEN,
            &start,
            20,
            parts(json!([{ "part_number": 1, "etag": e1 }, { "part_number": 2, "etag": e2 }])),
        )
        .await;
    assert_eq!(
        h.download(ok.ok().json()["handle"].as_str().unwrap()).await,
        data
    );
}

#[tokio::test]
async fn expired_sessions_are_refused_and_swept() {
    let h = Harness::new();
    let start = h.start(OPEN, 4, json!({})).await;
    h.send(OPEN, &start, 1, b"abcd", None).await;
    h.clock.advance(24 * 3_600_000);
    h.upload_call(OPEN, &start, 1, b"abcd", None)
        .await
        .refused(400, "upload_expired");
    h.complete(OPEN, &start, 4, json!({}))
        .await
        .refused(400, "upload_expired");
    assert_eq!(skiff_server::tasks::sweep_expired(&h.state).await, 1);
    h.upload_call(OPEN, &start, 1, b"abcd", None)
        .await
        .refused(400, "unknown_upload");
    assert!(
        h.state
            .state()
            .parts(start["upload_id"].as_str().unwrap())
            .await
            .unwrap()
            .is_empty()
    );
}
