//! The demo site (`--demo DIR`): static files under `/demo/`, nothing else shadowed, no escape
//! out of the folder.

use crate::harness::*;
use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::json;
use skiff_server::config::Config;

const INDEX: &str = "<!doctype html><title>Skiff demo</title>";
const SECRET: &str = "outside the demo folder";

/// A folder holding `site/` (the demo) and, next to it, a file that must stay unreachable.
fn site() -> (tempfile::TempDir, Harness) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    for sub in ["dist/lang", "sub"] {
        std::fs::create_dir_all(site.join(sub)).unwrap();
    }
    std::fs::write(site.join("index.html"), INDEX).unwrap();
    std::fs::write(site.join("demo.js"), "export {};").unwrap();
    std::fs::write(site.join("dist/skiff_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(site.join("dist/lang/de.json"), "{}").unwrap();
    std::fs::write(site.join("sub/metadata"), "a demo file").unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), SECRET).unwrap();
    let h = Harness::with(Config {
        demo: Some(site),
        ..config()
    });
    (dir, h)
}

fn content_type(r: &Resp) -> &str {
    r.headers["content-type"].to_str().unwrap()
}

#[tokio::test]
async fn serves_the_folder_with_content_types() {
    let (_dir, h) = site();
    let r = h.get("/demo").await;
    assert_eq!(r.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(r.headers["location"], "/demo/");

    for path in ["/demo/", "/demo/index.html"] {
        let r = h.get(path).await;
        assert_eq!(r.ok().body, INDEX.as_bytes(), "{path}");
        assert!(content_type(&r).starts_with("text/html"), "{path}");
    }
    let cases = [
        ("/demo/demo.js", "text/javascript"),
        ("/demo/dist/skiff_bg.wasm", "application/wasm"),
        ("/demo/dist/lang/de.json", "application/json"),
    ];
    for (path, want) in cases {
        let r = h.get(path).await;
        assert_eq!(content_type(r.ok()), want, "{path}");
    }
    let head = h
        .request(Method::HEAD, "/demo/dist/skiff_bg.wasm", &[], Body::empty())
        .await;
    assert_eq!(content_type(head.ok()), "application/wasm");
    assert_eq!(head.headers["content-length"], "8");

    // A folder without its slash goes to the folder, under /demo/.
    let r = h.get("/demo/dist").await;
    assert_eq!(r.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(r.headers["location"], "/demo/dist/");

    h.get("/demo/missing.js").await.refused(404, "not_found");
    h.get("/demo/dist/lang/xx.json")
        .await
        .refused(404, "not_found");
}

#[tokio::test]
async fn no_path_escapes_the_folder() {
    let (_dir, h) = site();
    let escapes = [
        "/demo/../Cargo.toml",
        "/demo/%2e%2e/Cargo.toml",
        "/demo/%2E%2E/Cargo.toml",
        "/demo/..%2fCargo.toml",
        "/demo/..%2FCargo.toml",
        "/demo/%2e%2e%2fCargo.toml",
        "/demo/dist/../../Cargo.toml",
        "/demo/dist/%2e%2e%2f%2e%2e%2fCargo.toml",
        "/demo/..%5cCargo.toml",
        "/demo//Cargo.toml",
        "/demo/%2fCargo.toml",
    ];
    for path in escapes {
        let r = h.get(path).await;
        assert!(!r.status.is_success(), "{path}: {}", r.status);
        assert!(
            !String::from_utf8_lossy(&r.body).contains(SECRET),
            "{path} leaked the file"
        );
    }
    // An absolute path in the tail does not leave the folder either.
    let r = h.get("/demo/%2fetc%2fpasswd").await;
    assert!(!r.status.is_success(), "{}", r.status);
}

#[tokio::test]
async fn the_api_is_unchanged_around_it() {
    let (_dir, h) = site();
    // `demo/…` is the demo's, even where a file route would match.
    let r = h.get("/demo/sub/metadata").await;
    assert_eq!(r.ok().body, "a demo file".as_bytes());
    // Files are still delivered by handle, and the API still answers.
    let data = random_bytes(1000, 3);
    let done = h.upload_regular(&data, 1 << 20, json!({})).await;
    let handle = done["handle"].as_str().unwrap();
    assert_eq!(h.download(handle).await, data);
    assert_eq!(h.get("/health").await.ok().body, "ok".as_bytes());
    h.get("/nope/nope/nope").await.refused(404, "not_found");
    // The index page links the demo.
    let index = h.get("/").await;
    assert!(String::from_utf8_lossy(&index.ok().body).contains("href=\"demo/\""));
}

#[tokio::test]
async fn without_the_option_there_is_no_demo() {
    let h = Harness::new();
    h.get("/demo").await.refused(404, "file_not_found");
    h.get("/demo/").await.refused(404, "not_found");
    h.get("/demo/index.html").await.refused(404, "not_found");
    let index = h.get("/").await;
    assert!(!String::from_utf8_lossy(&index.ok().body).contains("demo"));
}
