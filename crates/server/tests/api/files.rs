//! Delivery, metadata, delete, prefetch and CORS.

use crate::harness::*;
use axum::http::Method;
use serde_json::json;

async fn stored(h: &Harness, data: &[u8]) -> String {
    let done = h.upload_regular(data, 1 << 20, json!({ "t": "1" })).await;
    done["handle"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn delivery_with_ranges_and_etags() {
    let h = Harness::new();
    let data = random_bytes(3_000_000, 10);
    let handle = stored(&h, &data).await;
    let full = h.get(&format!("/{handle}")).await;
    assert_eq!(
        full.ok().headers["content-type"],
        "application/octet-stream"
    );
    assert_eq!(full.headers["accept-ranges"], "bytes");
    assert_eq!(
        full.headers["content-length"],
        data.len().to_string().as_str()
    );
    assert!(
        full.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline; filename=\"file.bin\"")
    );
    let etag = full.headers["etag"].to_str().unwrap().to_owned();

    // A range across the 1 MiB part boundary.
    let r = h
        .request(
            Method::GET,
            &format!("/{handle}"),
            &[("range", "bytes=1048000-1049000")],
            "",
        )
        .await;
    assert_eq!(r.status, 206);
    assert_eq!(
        r.headers["content-range"],
        format!("bytes 1048000-1049000/{}", data.len()).as_str()
    );
    assert_eq!(r.body.as_ref(), &data[1_048_000..=1_049_000]);
    let tail = h
        .request(
            Method::GET,
            &format!("/{handle}"),
            &[("range", "bytes=-5")],
            "",
        )
        .await;
    assert_eq!(tail.body.as_ref(), &data[data.len() - 5..]);
    let bad = h
        .request(
            Method::GET,
            &format!("/{handle}"),
            &[("range", "bytes=5000000-")],
            "",
        )
        .await;
    bad.refused(416, "range_not_satisfiable");
    assert_eq!(
        bad.headers["content-range"],
        format!("bytes */{}", data.len()).as_str()
    );
    // A stale If-Range gets the whole file.
    let stale = h
        .request(
            Method::GET,
            &format!("/{handle}"),
            &[("range", "bytes=0-1"), ("if-range", "\"other\"")],
            "",
        )
        .await;
    assert_eq!((stale.status.as_u16(), stale.body.len()), (200, data.len()));

    let cached = h
        .request(
            Method::GET,
            &format!("/{handle}"),
            &[("if-none-match", &etag)],
            "",
        )
        .await;
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());
    let head = h
        .request(Method::HEAD, &format!("/api/file/{handle}"), &[], "")
        .await;
    assert_eq!((head.status.as_u16(), head.body.len()), (200, 0));
    assert_eq!(
        head.headers["content-length"],
        data.len().to_string().as_str()
    );
    let dl = h.get(&format!("/{handle}?dl=true")).await;
    assert!(
        dl.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    // Uploaded content never runs as this origin's script.
    assert_eq!(full.headers["content-security-policy"], "sandbox");
    assert_eq!(full.headers["x-content-type-options"], "nosniff");

    h.get("/AAAAAAAAAAAAAAAAAAAA")
        .await
        .refused(404, "file_not_found");
    h.get("/..%2F..%2Fetc%2Fpasswd")
        .await
        .refused(404, "file_not_found");
}

#[tokio::test]
async fn metadata_fields_and_hashes() {
    let h = Harness::new();
    let data = random_bytes(5000, 11);
    let handle = stored(&h, &data).await;
    let m = h.get(&format!("/{handle}/metadata")).await.ok().json();
    for f in [
        "size",
        "mimetype",
        "filename",
        "uploaded",
        "writeable",
        "location",
        "path",
        "container",
        "upload_tags",
        "status",
    ] {
        assert!(m.get(f).is_some(), "default metadata lacks {f}: {m}");
    }
    assert_eq!(m["status"], "Complete");
    assert_eq!(
        (m["size"].as_u64(), m["filename"].as_str()),
        (Some(5000), Some("file.bin"))
    );
    assert_eq!(m["upload_tags"], json!({ "t": "1" }));
    assert_eq!(m["uploaded"], NOW_MS);
    let m = h
        .get(&format!(
            "/api/file/{handle}/metadata?md5=true&sha256=true&size=true&width=true"
        ))
        .await
        .ok()
        .json();
    use md5::Digest;
    assert_eq!(m["md5"], hex::encode(md5::Md5::digest(&data)));
    assert_eq!(m["sha256"], hex::encode(sha2::Sha256::digest(&data)));
    assert_eq!(m["width"], serde_json::Value::Null);
    assert!(m.get("filename").is_none(), "only what was asked: {m}");
    h.get(&format!("/api/file/{handle}/metadata?colour=true"))
        .await
        .refused(400, "invalid_field");
}

#[tokio::test]
async fn image_dimensions() {
    let h = Harness::new();
    // A 3x2 PNG header is enough for the dimensions.
    let mut png = vec![
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0,
        0, 3, 0, 0, 0, 2, 8, 6, 0, 0, 0,
    ];
    png.extend_from_slice(&[0; 16]);
    let r = h
        .request(
            Method::POST,
            &format!("/api/store/s3?key={OPEN}&filename=p.png"),
            &[("content-type", "image/png")],
            png,
        )
        .await;
    let handle = r.ok().json()["handle"].as_str().unwrap().to_owned();
    let m = h
        .get(&format!(
            "/api/file/{handle}/metadata?width=true&height=true&mimetype=true"
        ))
        .await
        .ok()
        .json();
    assert_eq!(
        (
            m["width"].as_u64(),
            m["height"].as_u64(),
            m["mimetype"].as_str()
        ),
        (Some(3), Some(2), Some("image/png"))
    );
}

#[tokio::test]
async fn delete_needs_the_owning_key() {
    let h = Harness::new();
    let handle = stored(&h, b"bye").await;
    h.request(Method::DELETE, &format!("/api/file/{handle}"), &[], "")
        .await
        .refused(400, "missing_api_key");
    h.request(
        Method::DELETE,
        &format!("/api/file/{handle}?key=nope"),
        &[],
        "",
    )
    .await
    .refused(403, "invalid_api_key");
    h.request(
        Method::DELETE,
        &format!("/api/file/{handle}?key={SECURE}"),
        &[],
        "",
    )
    .await
    .refused(404, "file_not_found");
    h.request(
        Method::DELETE,
        &format!("/api/file/{handle}?key={OPEN}"),
        &[],
        "",
    )
    .await
    .ok();
    h.get(&format!("/{handle}"))
        .await
        .refused(404, "file_not_found");
    assert!(
        h.state.storage().list().await.unwrap().is_empty(),
        "bytes left behind"
    );
    h.request(
        Method::DELETE,
        &format!("/api/file/{handle}?key={OPEN}"),
        &[],
        "",
    )
    .await
    .refused(404, "file_not_found");
}

#[tokio::test]
async fn prefetch_is_minimal_and_honest() {
    let h = Harness::new();
    let r = h
        .post(
            "/prefetch",
            json!({ "apikey": OPEN, "settings": ["inapp_browser"], "events": ["picker"] }),
        )
        .await;
    let body = r.ok().json();
    assert_eq!(body["blocked"], false);
    assert_eq!(body["permissions"]["intelligent_ingestion"], true);
    assert_eq!(body["permissions"]["transforms_ui"], false);
    h.post("/prefetch", json!({ "apikey": "nope" }))
        .await
        .refused(403, "invalid_api_key");
}

/// Range edge cases: several ranges and malformed headers are ignored (the whole file, 200),
/// a suffix longer than the file is the whole file as a 206, and nothing can satisfy `-0` or a
/// range past the end (416).
#[tokio::test]
async fn range_edge_cases() {
    let h = Harness::new();
    let data = random_bytes(1000, 11);
    let handle = stored(&h, &data).await;
    let get = |range: &'static str| {
        let (h, handle) = (&h, &handle);
        async move {
            h.request(Method::GET, &format!("/{handle}"), &[("range", range)], "")
                .await
        }
    };
    for ignored in [
        "bytes=0-1,5-6",
        "bytes=0-1, 10-20",
        "bytes=x-y",
        "bytes=9-2",
        "pages=1-2",
    ] {
        let r = get(ignored).await;
        assert_eq!((r.status.as_u16(), r.body.len()), (200, 1000), "{ignored}");
        assert!(r.headers.get("content-range").is_none(), "{ignored}");
    }
    let longer = get("bytes=-5000").await;
    assert_eq!(longer.status, 206);
    assert_eq!(longer.headers["content-range"], "bytes 0-999/1000");
    assert_eq!(longer.body.as_ref(), &data[..]);
    let last = get("bytes=999-").await;
    assert_eq!(last.headers["content-range"], "bytes 999-999/1000");
    assert_eq!(last.body.as_ref(), &data[999..]);
    for unsatisfiable in ["bytes=-0", "bytes=1000-", "bytes=1000-2000"] {
        let r = get(unsatisfiable).await;
        r.refused(416, "range_not_satisfiable");
        assert_eq!(r.headers["content-range"], "bytes */1000");
    }
}

#[tokio::test]
async fn cors_lets_browsers_read_etags() {
    let h = Harness::new();
    let pre = h
        .request(Method::OPTIONS, "/multipart/upload", &[
            ("origin", "http://app.example"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type,filestack-source,filestack-trace-id,filestack-trace-span,filestack-upload-region"),
        ], "")
        .await;
    assert!(pre.status.is_success(), "{}", pre.status);
    assert_eq!(
        pre.headers["access-control-allow-origin"],
        "http://app.example"
    );
    let allowed = pre.headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("filestack-upload-region"), "{allowed}");
    let start = h.start(OPEN, 3, json!({})).await;
    let (url, grant) = h.part_target(OPEN, &start, 1, b"abc", None).await;
    let put = h
        .request(
            Method::PUT,
            &url,
            &[("origin", "http://app.example"), ("x-skiff-part", &grant)],
            "abc",
        )
        .await;
    put.ok();
    let exposed = put.headers["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("etag"), "{exposed}");
}
