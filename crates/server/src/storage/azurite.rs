//! A real Azure Blob service for tests: Azurite (the npm package the end-to-end tests use too)
//! on a free loopback port, with its data in a temporary folder, one per test.
//!
//! `azurite-blob` comes from `$SKIFF_AZURITE` (scripts/test.sh points it at the copy in
//! `node_modules/.bin`) or the PATH; where it is missing, see `crate::test_peers`.
//!
//! ```ignore
//! let Some(azurite) = azurite::start().await else { return };
//! azurite.create_container("skiff").await;
//! // azurite.endpoint, ACCOUNT, KEY
//! ```

#![allow(clippy::unwrap_used)] // test support: failures should panic with context

use crate::test_peers::{Running, free_port, installed};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The one account Azurite knows.
pub(crate) const ACCOUNT: &str = "devstoreaccount1";
/// Its key: the emulator's published development key, the same in every Azurite, not a secret.
pub(crate) const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/// The REST API version the container request speaks.
const VERSION: &str = "2021-08-06";

/// A running Azurite; stopped, and its data folder removed, when dropped.
#[derive(Debug)]
pub(crate) struct Azurite {
    /// The Blob service's URL with the account, as a location's `endpoint` takes it.
    pub(crate) endpoint: String,
    process: Running,
    _dir: tempfile::TempDir,
}

/// Starts an Azurite of this test's own and waits until it answers, or `None` when it is not
/// installed and the tests may skip.
pub(crate) async fn start() -> Option<Azurite> {
    crate::fetch::ensure_crypto_provider();
    let bin = std::env::var("SKIFF_AZURITE").unwrap_or_else(|_| "azurite-blob".into());
    if !installed(&bin, "--version", "Azurite", "npm install brings it") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new(bin)
        .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
        .arg("--location")
        .arg(dir.path())
        .args(["--skipApiVersionCheck", "--loose", "--silent"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut azurite = Azurite {
        endpoint: format!("http://127.0.0.1:{port}/{ACCOUNT}"),
        process: Running(child),
        _dir: dir,
    };
    let root = format!("http://127.0.0.1:{port}/");
    for _ in 0..200 {
        if reqwest::get(&root).await.is_ok() {
            return Some(azurite);
        }
        assert!(
            azurite.process.0.try_wait().unwrap().is_none(),
            "azurite-blob exited"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("azurite did not answer within 20 s");
}

impl Azurite {
    /// Creates container `name` (Create Container, signed with the account's Shared Key:
    /// object_store reads and writes blobs but makes no containers).
    pub(crate) async fn create_container(&self, name: &str) {
        let date = {
            use axum::http;
            use headers::HeaderMapExt as _;
            let mut h = http::HeaderMap::new();
            h.typed_insert(headers::Date::from(std::time::SystemTime::now()));
            h[http::header::DATE].to_str().unwrap().to_owned()
        };
        // Shared Key's string to sign: the verb, eleven standard headers (all empty here; a
        // zero Content-Length is written as empty), the x-ms- headers in order, then the
        // resource. The URL's path already holds the account, so it appears twice.
        let to_sign = format!(
            "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{VERSION}\n\
             /{ACCOUNT}/{ACCOUNT}/{name}\nrestype:container"
        );
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&STANDARD.decode(KEY).unwrap()).unwrap();
        mac.update(to_sign.as_bytes());
        let signature = STANDARD.encode(mac.finalize().into_bytes());
        let resp = reqwest::Client::new()
            .put(format!("{}/{name}?restype=container", self.endpoint))
            .header("x-ms-date", date)
            .header("x-ms-version", VERSION)
            .header("content-length", "0")
            .header("authorization", format!("SharedKey {ACCOUNT}:{signature}"))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        assert!(
            status.is_success(),
            "creating container {name}: {status} {}",
            resp.text().await.unwrap_or_default()
        );
    }
}
