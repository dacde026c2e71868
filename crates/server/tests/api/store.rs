//! The File API store and `/process` (store from URL), including the refusal of internal URLs.

use crate::harness::*;
use axum::http::Method;
use serde_json::json;
use skiff_server::config::Config;

/// A body sent without a type gets the one of its name's extension, from the table the
/// browser module reads too (so `.md` is Markdown on both sides).
/// A multipart body (boundary `B`) of `(name, file name, value)` fields, in order.
fn form(fields: &[(&str, Option<&str>, &str)]) -> String {
    let mut out = String::new();
    for (name, file, value) in fields {
        let file = file
            .map(|f| format!("; filename=\"{f}\""))
            .unwrap_or_default();
        out += &format!(
            "--B\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n{value}\r\n"
        );
    }
    out + "--B--\r\n"
}

const MULTIPART: [(&str, &str); 1] = [("content-type", "multipart/form-data; boundary=B")];
const URLENCODED: [(&str, &str); 1] = [("content-type", "application/x-www-form-urlencoded")];

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
    let form = form(&[
        ("upload_tags", None, r#"{"from":"form"}"#),
        ("fileUpload", Some("hello.txt"), "hello form"),
    ]);
    let r = h
        .request(
            Method::POST,
            &format!("/api/store/S3?key={OPEN}&path=docs/"),
            &[("content-type", "multipart/form-data; boundary=B")],
            form,
        )
        .await;
    let body = r.ok().json();
    assert_eq!(body["upload_tags"], json!({ "from": "form" }));
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
    let nofield = form(&[("upload_tags", None, "{}")]);
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

/// Every form field is used (`fileUpload`, `url`, `upload_tags`) or refused with its name;
/// nothing is stored when a form is refused.
#[tokio::test]
async fn store_form_fields_are_used_or_refused_by_name() {
    let h = Harness::with(Config {
        allow_private_urls: true,
        ..config()
    });
    let store = |body: String, headers: &'static [(&'static str, &'static str)], query: &str| {
        let uri = format!("/api/store/s3?key={OPEN}{query}");
        let h = &h;
        async move { h.request(Method::POST, &uri, headers, body).await }
    };
    let url = serve_file(b"a,b\n").await;

    // `url` as a multipart field, with tags: fetched and stored like the urlencoded form.
    let r = store(
        form(&[
            ("url", None, &url),
            ("upload_tags", None, r#"{"via":"multipart"}"#),
        ]),
        &MULTIPART,
        "",
    )
    .await;
    let body = r.ok().json();
    assert_eq!(body["upload_tags"], json!({ "via": "multipart" }));
    assert_eq!(body["filename"], "report q3.csv");
    assert_eq!(h.download(body["handle"].as_str().unwrap()).await, b"a,b\n");
    // The urlencoded form takes tags too.
    let tags = "%7B%22via%22%3A%22urlencoded%22%7D";
    let r = store(format!("url={url}&upload_tags={tags}"), &URLENCODED, "").await;
    assert_eq!(r.ok().json()["upload_tags"], json!({ "via": "urlencoded" }));
    let stored = h.state.state().handles().await.unwrap().len();

    let refused = |r: Resp, status: u16, code: &str, names: &str| {
        r.refused(status, code);
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains(names), "{message:?} should name {names}");
    };
    let file = ("fileUpload", Some("f.txt"), "bytes");
    refused(
        store(form(&[file, ("upload_tags", None, "{}")]), &MULTIPART, "").await,
        400,
        "malformed_request",
        "`upload_tags` comes after `fileUpload`",
    );
    refused(
        store(
            form(&[("upload_tags", None, "{}"), file]),
            &MULTIPART,
            "&upload_tags=%7B%7D",
        )
        .await,
        400,
        "invalid_field",
        "`upload_tags`",
    );
    refused(
        store(form(&[("url", None, &url), file]), &MULTIPART, "").await,
        400,
        "invalid_field",
        "`fileUpload`",
    );
    refused(
        store(form(&[("upload_tags", None, "[1]"), file]), &MULTIPART, "").await,
        400,
        "invalid_tags",
        "upload_tags",
    );
    refused(
        store(format!("url={url}&url={url}"), &URLENCODED, "").await,
        400,
        "invalid_field",
        "`url`",
    );
    assert_eq!(h.state.state().handles().await.unwrap().len(), stored);
    assert_eq!(h.state.storage().list().await.unwrap().len(), stored);

    // An uploader's own metadata next to the file (Companion sends `provider`, Uppy's XHR
    // upload `name` and `type`) is read and left aside: the file is stored as sent.
    let with_meta = form(&[("provider", None, "webdav"), ("name", None, "x"), file]);
    let r = store(with_meta, &MULTIPART, "").await;
    assert_eq!(r.ok().json()["filename"], "f.txt");
    let r = store(format!("url={url}&name=x"), &URLENCODED, "").await;
    r.ok();
}

/// An empty raw body is refused (a client that forgot the file); an empty file in a form is a
/// file, and is stored.
#[tokio::test]
async fn an_empty_raw_body_is_refused_and_an_empty_form_file_stored() {
    let h = Harness::new();
    let r = h
        .request(
            Method::POST,
            &format!("/api/store/s3?key={OPEN}&filename=e.txt"),
            &[("content-type", "text/plain")],
            "",
        )
        .await;
    r.refused(400, "empty_body");
    assert!(h.state.storage().list().await.unwrap().is_empty());
    let r = h
        .request(
            Method::POST,
            &format!("/api/store/s3?key={OPEN}"),
            &MULTIPART,
            form(&[("fileUpload", Some("empty.txt"), "")]),
        )
        .await;
    let body = r.ok().json();
    assert_eq!(
        (body["filename"].as_str(), body["size"].as_u64()),
        (Some("empty.txt"), Some(0))
    );
}
