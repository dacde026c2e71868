//! The File API store and `/process` (store from URL), including the refusal of internal URLs.

use crate::harness::*;
use axum::http::Method;
use serde_json::json;
use skiff_server::config::Config;

/// A body sent without a type gets the one of its name's extension, from the table the
/// browser module reads too (so `.md` is Markdown on both sides).
#[tokio::test]
async fn store_names_the_type_from_the_shared_table() {
    let h = Harness::new();
    for (name, want) in [
        ("notes.md", "text/markdown"),
        ("Photo.JPG", "image/jpeg"),
        ("blob", "application/octet-stream"),
    ] {
        let r = h
            .request(
                Method::POST,
                &format!("/api/store/s3?key={OPEN}&filename={name}"),
                &[("content-type", "application/octet-stream")],
                "bytes",
            )
            .await;
        assert_eq!(r.ok().json()["type"], want, "{name}");
        assert_eq!(
            skiff_protocol::mime::from_file_name_or_octet_stream(name),
            want
        );
    }
}

#[tokio::test]
async fn store_from_a_form_a_raw_body_or_base64() {
    let h = Harness::new();
    let form = "--B\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name=\"fileUpload\"; filename=\"hello.txt\"\r\nContent-Type: text/plain\r\n\r\nhello form\r\n--B--\r\n";
    let r = h
        .request(
            Method::POST,
            &format!("/api/store/S3?key={OPEN}&path=docs/"),
            &[("content-type", "multipart/form-data; boundary=B")],
            form,
        )
        .await;
    let body = r.ok().json();
    assert_eq!(
        (
            body["filename"].as_str(),
            body["type"].as_str(),
            body["size"].as_u64()
        ),
        (Some("hello.txt"), Some("text/plain"), Some(10))
    );
    assert!(body["key"].as_str().unwrap().starts_with("docs/"));
    let handle = body["handle"].as_str().unwrap();
    assert_eq!(body["url"], format!("http://skiff.test/{handle}"));
    assert_eq!(h.download(handle).await, b"hello form");
    // The store webhook is queued too.
    assert_eq!(
        h.state
            .state()
            .due_webhooks(NOW_MS, 10)
            .await
            .unwrap()
            .len(),
        1
    );

    let raw = h
        .request(
            Method::POST,
            &format!(
                "/api/store/s3?key={OPEN}&filename=r.json&upload_tags=%7B%22a%22%3A%22b%22%7D"
            ),
            &[("content-type", "application/json")],
            "{\"raw\":1}",
        )
        .await;
    let raw = raw.ok().json();
    assert_eq!(
        (raw["type"].as_str(), raw["upload_tags"].clone()),
        (Some("application/json"), json!({ "a": "b" }))
    );

    let b64 = h
        .request(
            Method::POST,
            &format!("/api/store/s3?key={OPEN}&base64decode=true&filename=d.bin"),
            &[],
            "aGVsbG8=",
        )
        .await;
    assert_eq!(
        h.download(b64.ok().json()["handle"].as_str().unwrap())
            .await,
        b"hello"
    );
}

#[tokio::test]
async fn store_refusals() {
    let h = Harness::new();
    h.request(Method::POST, "/api/store/s3", &[], "x")
        .await
        .refused(400, "missing_api_key");
    h.request(
        Method::POST,
        &format!("/api/store/azure?key={OPEN}"),
        &[],
        "x",
    )
    .await
    .refused(400, "unsupported_location");
    h.request(
        Method::POST,
        &format!("/api/store/s3?key={OPEN}&filename=../x"),
        &[],
        "x",
    )
    .await
    .refused(400, "invalid_path");
    h.request(
        Method::POST,
        &format!("/api/store/s3?key={OPEN}&base64decode=true"),
        &[],
        "!!",
    )
    .await
    .refused(400, "malformed_request");
    let nofield = "--B\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--B--\r\n";
    h.request(
        Method::POST,
        &format!("/api/store/s3?key={OPEN}"),
        &[("content-type", "multipart/form-data; boundary=B")],
        nofield,
    )
    .await
    .refused(400, "missing_field");
    let urlform = [("content-type", "application/x-www-form-urlencoded")];
    h.request(
        Method::POST,
        &format!("/api/store/s3?key={OPEN}"),
        &urlform,
        "url=http://127.0.0.1:1/x",
    )
    .await
    .refused(400, "url_not_allowed");
    h.request(
        Method::POST,
        &format!("/api/store/s3?key={OPEN}"),
        &urlform,
        "url=file:///etc/passwd",
    )
    .await
    .refused(400, "url_not_allowed");
    h.request(
        Method::POST,
        &format!("/api/store/s3?key={OPEN}&upload_tags=%5B1%5D"),
        &[],
        "x",
    )
    .await
    .refused(400, "invalid_tags");

    // A body over the limit is refused and leaves nothing behind.
    let small = Harness::with(Config {
        max_file_size: 10,
        ..config()
    });
    small
        .request(
            Method::POST,
            &format!("/api/store/s3?key={OPEN}"),
            &[],
            "0123456789A",
        )
        .await
        .refused(413, "payload_too_large");
    assert!(small.state.storage().list().await.unwrap().is_empty());
    assert!(small.state.state().handles().await.unwrap().is_empty());
}

#[tokio::test]
async fn process_refuses_internal_urls_by_default() {
    let h = Harness::new();
    for url in [
        "http://127.0.0.1:8080/x",
        "http://localhost/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://10.0.0.1/x",
        "ftp://example.com/x",
    ] {
        let r = h.post("/process", json!({ "apikey": OPEN, "sources": [url], "tasks": [{ "name": "store", "params": { "location": "s3" } }] })).await;
        r.refused(400, "url_not_allowed");
    }
    let base = |patch: serde_json::Value| {
        let mut b = json!({ "apikey": OPEN, "sources": ["https://example.com/x"], "tasks": [{ "name": "store", "params": { "location": "s3" } }] });
        merge(&mut b, patch);
        h.post("/process", b)
    };
    base(json!({ "tasks": [] }))
        .await
        .refused(400, "missing_field");
    base(json!({ "sources": [] }))
        .await
        .refused(400, "missing_field");
    base(json!({ "sources": ["https://a.example/1", "https://a.example/2"] }))
        .await
        .refused(400, "invalid_field");
    base(json!({ "tasks": [{ "name": "resize", "params": { "width": 10 } }] }))
        .await
        .refused(400, "invalid_field");
    base(json!({ "upload_tags": { "a": 5 } }))
        .await
        .refused(400, "malformed_request");
    base(json!({ "apikey": SECURE }))
        .await
        .refused(403, "security_required");
}

/// Serves one file on an ephemeral loopback port, for /process with private URLs allowed.
async fn serve_file(body: &'static [u8]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().route(
        "/files/{name}",
        axum::routing::get(move || async move { ([("content-type", "text/csv")], body) }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/files/report%20q3.csv")
}

#[tokio::test]
async fn process_stores_a_url_when_private_urls_are_allowed() {
    let h = Harness::with(Config {
        allow_private_urls: true,
        ..config()
    });
    let url = serve_file(b"a,b\n1,2\n").await;
    let r = h
        .post(
            "/process",
            json!({
                "apikey": OPEN,
                "sources": [url],
                "tasks": [{ "name": "store", "params": { "location": "s3", "path": "imports/" } }],
                "upload_tags": { "source": "crm" }
            }),
        )
        .await;
    let body = r.ok().json();
    assert_eq!(body["filename"], "report q3.csv");
    assert_eq!(body["mimetype"], "text/csv");
    assert_eq!(body["upload_tags"], json!({ "source": "crm" }));
    let handle = body["handle"].as_str().unwrap();
    assert_eq!(h.download(handle).await, b"a,b\n1,2\n");
    let m = h
        .get(&format!("/{handle}/metadata?source_url=true"))
        .await
        .ok()
        .json();
    assert_eq!(m["source_url"], url);
    let missing = url.replace("files/", "nope/");
    let r = h
        .post(
            "/process",
            json!({ "apikey": OPEN, "sources": [missing], "tasks": [{ "name": "store" }] }),
        )
        .await;
    r.refused(400, "url_fetch_failed");
}
