//! The real `skiff-server` binary on loopback: a crash (SIGKILL) in the middle of uploads, and a
//! webhook receiver that is down and comes back (across a server restart too).
//! Run: `cargo test -p skiff-server --test process`.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use md5::Digest;
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(args: &[&str], port: u16) -> Server {
        skiff_server::fetch::ensure_crypto_provider();
        let listen = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_skiff-server"))
            .args(["--listen", &listen])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("skiff-server starts");
        // Owned before waiting, so a failed start still stops the process.
        let server = Server {
            child,
            base: format!("http://{listen}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{}/health", server.base))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "skiff-server did not answer on {}",
                server.base
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    /// SIGKILL: no chance to flush or clean up, like a power cut of the process.
    fn crash(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            (i as u32)
                .wrapping_mul(2_654_435_761)
                .rotate_left(u32::from(seed)) as u8
        })
        .collect()
}

fn md5_b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(data))
}

async fn post(base: &str, path: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

/// upload → PUT; returns the ETag.
async fn send(base: &str, start: &Value, part: u64, data: &[u8], offset: Option<u64>) -> String {
    let mut body = json!({ "apikey": "k", "upload_id": start["upload_id"], "uri": start["uri"], "region": start["region"], "part": part, "size": data.len(), "md5": md5_b64(data) });
    if let Some(off) = offset {
        body["fii"] = json!(true);
        body["offset"] = json!(off);
    }
    let up = post(base, "/multipart/upload", body).await;
    let r = reqwest::Client::new()
        .put(up["url"].as_str().unwrap())
        .header(
            "x-skiff-part",
            up["headers"]["X-Skiff-Part"].as_str().unwrap(),
        )
        .body(data.to_vec())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "PUT {}", r.status());
    r.headers()["etag"].to_str().unwrap().to_owned()
}

async fn download(base: &str, handle: &str) -> Vec<u8> {
    reqwest::get(format!("{base}/{handle}"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn uploads_interrupted_by_a_crash_complete_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap().to_owned();
    let port = free_port();
    let args = ["--data", &data_dir, "--app", "k"];
    let server = Server::start(&args, port).await;
    let base = server.base.clone();

    let regular = bytes(3 * 1024 * 1024 + 77, 3);
    let parts: Vec<&[u8]> = regular.chunks(900_000).collect();
    let r_start = post(
        &base,
        "/multipart/start",
        json!({ "apikey": "k", "filename": "r.bin", "size": regular.len() }),
    )
    .await;
    let e1 = send(&base, &r_start, 1, parts[0], None).await;
    let e2 = send(&base, &r_start, 2, parts[1], None).await;

    let fii = bytes(600_000, 5);
    let f_start = post(
        &base,
        "/multipart/start",
        json!({ "apikey": "k", "filename": "f.bin", "size": fii.len(), "fii": true }),
    )
    .await;
    send(&base, &f_start, 1, &fii[..200_000], Some(0)).await;
    send(&base, &f_start, 1, &fii[200_000..400_000], Some(200_000)).await;
    post(
        &base,
        "/multipart/commit",
        json!({ "apikey": "k", "upload_id": f_start["upload_id"], "part": 1, "size": fii.len() }),
    )
    .await;
    send(&base, &f_start, 2, &fii[400_000..500_000], Some(0)).await;

    server.crash();
    let server = Server::start(&args, port).await;

    let e3 = send(&base, &r_start, 3, parts[2], None).await;
    let e4 = send(&base, &r_start, 4, parts[3], None).await;
    let parts_list = json!([
        { "part_number": 1, "etag": e1 }, { "part_number": 2, "etag": e2 },
        { "part_number": 3, "etag": e3 }, { "part_number": 4, "etag": e4 }
    ]);
    let done = post(&base, "/multipart/complete", json!({ "apikey": "k", "upload_id": r_start["upload_id"], "size": regular.len(), "parts": parts_list, "upload_tags": { "after": "crash" } })).await;
    assert_eq!(
        download(&base, done["handle"].as_str().unwrap()).await,
        regular
    );

    send(&base, &f_start, 2, &fii[500_000..], Some(100_000)).await;
    post(
        &base,
        "/multipart/commit",
        json!({ "apikey": "k", "upload_id": f_start["upload_id"], "part": 2, "size": fii.len() }),
    )
    .await;
    let done = post(
        &base,
        "/multipart/complete",
        json!({ "apikey": "k", "upload_id": f_start["upload_id"], "size": fii.len(), "fii": true }),
    )
    .await;
    let handle = done["handle"].as_str().unwrap().to_owned();
    assert_eq!(download(&base, &handle).await, fii);

    // Staging is cleaned once uploads complete (just after complete answers), and files survive
    // a crash too.
    let staging = Path::new(&data_dir).join("files/staging");
    let staged = || std::fs::read_dir(&staging).unwrap().count();
    for _ in 0..100 {
        if staged() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.crash();
    let _server = Server::start(&args, port).await;
    assert_eq!(download(&base, &handle).await, fii);
    let left: Vec<_> = std::fs::read_dir(&staging).unwrap().collect();
    assert!(left.is_empty(), "staged parts left behind: {left:?}");
}

#[derive(Debug, Clone)]
struct Delivery {
    timestamp: String,
    signature: String,
    body: String,
}

/// A webhook receiver on `port` that records every POST.
async fn receiver(
    port: u16,
) -> (
    tokio::sync::mpsc::UnboundedReceiver<Delivery>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let tx = tx.clone();
            async move {
                let h = |n: &str| {
                    headers
                        .get(n)
                        .map(|v| v.to_str().unwrap().to_owned())
                        .unwrap_or_default()
                };
                tx.send(Delivery {
                    timestamp: h("fs-timestamp"),
                    signature: h("fs-signature"),
                    body,
                })
                .unwrap();
                axum::http::StatusCode::OK
            }
        }),
    );
    (
        rx,
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() }),
    )
}

#[tokio::test]
async fn webhooks_reach_a_receiver_that_was_down_even_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let hook_port = free_port();
    let config = dir.path().join("skiff.toml");
    std::fs::write(
        &config,
        format!(
            "[[apps]]\nkey = \"k\"\nwebhook_url = \"http://127.0.0.1:{hook_port}/hook\"\nwebhook_secret = \"whsec\"\n\n\
             [webhook_retry]\nbase_ms = 100\nmax_ms = 400\ntimeout_ms = 2000\n"
        ),
    )
    .unwrap();
    let data_dir = dir.path().join("data");
    let args = [
        "--config",
        config.to_str().unwrap(),
        "--data",
        data_dir.to_str().unwrap(),
    ];
    let port = free_port();
    let server = Server::start(&args, port).await;
    let base = server.base.clone();

    // Two uploads while the receiver is down: one multipart with tags, one store.
    let data = bytes(1000, 7);
    let start = post(
        &base,
        "/multipart/start",
        json!({ "apikey": "k", "filename": "a.bin", "size": data.len() }),
    )
    .await;
    let etag = send(&base, &start, 1, &data, None).await;
    let first = post(&base, "/multipart/complete", json!({ "apikey": "k", "upload_id": start["upload_id"], "size": data.len(), "parts": [{ "part_number": 1, "etag": etag }], "upload_tags": { "order": "42", "team": "ops" } })).await;
    let stored = reqwest::Client::new()
        .post(format!("{base}/api/store/s3?key=k&filename=s.txt"))
        .body("stored")
        .send()
        .await
        .unwrap();
    let second: Value = stored.json().await.unwrap();

    tokio::time::sleep(Duration::from_millis(800)).await; // several failed attempts
    server.crash();
    let _server = Server::start(&args, port).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (mut rx, _recv) = receiver(hook_port).await;
    let mut got = Vec::new();
    while got.len() < 2 {
        // An event the crashed instance had claimed waits out its lease (timeout + 10 s).
        let d = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("webhook arrives")
            .unwrap();
        got.push(d);
    }
    let mut handles = Vec::new();
    for d in &got {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"whsec").unwrap();
        mac.update(format!("{}.{}", d.timestamp, d.body).as_bytes());
        assert_eq!(
            d.signature,
            hex::encode(mac.finalize().into_bytes()),
            "FS-Signature"
        );
        let v: Value = serde_json::from_str(&d.body).unwrap();
        assert_eq!(v["action"], "fp.upload");
        if v["text"]["handle"] == first["handle"] {
            assert_eq!(
                v["text"]["upload_tags"],
                json!({ "order": "42", "team": "ops" })
            );
            assert_eq!(v["text"]["size"], 1000);
        }
        handles.push(v["text"]["handle"].as_str().unwrap().to_owned());
    }
    handles.sort();
    let mut want = vec![
        first["handle"].as_str().unwrap().to_owned(),
        second["handle"].as_str().unwrap().to_owned(),
    ];
    want.sort();
    assert_eq!(handles, want);
    // Delivered once each: nothing more arrives.
    assert!(
        tokio::time::timeout(Duration::from_millis(1200), rx.recv())
            .await
            .is_err(),
        "a webhook was delivered twice"
    );
}
