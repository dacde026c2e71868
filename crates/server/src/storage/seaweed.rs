//! A real S3-compatible server for tests: SeaweedFS's `weed mini` on loopback, with one identity
//! ([`ACCESS_KEY`], [`SECRET_KEY`]) and a bucket per test.
//!
//! `weed` comes from `$SKIFF_WEED` (scripts/test.sh points it at the copy scripts/setup.sh
//! installs) or the PATH; where it is missing, see `crate::test_peers`.
//!
//! `weed mini` also takes fixed ports (9333 for its master, 8888 for its filer, and those plus
//! 10000), so two cannot run at once: the tests of one process share one server, started by the
//! first test that asks and stopped when the last one holding it finishes. Each test works in a
//! bucket of its own, so they do not see each other's objects.
//!
//! ```ignore
//! let Some(bucket) = seaweed::bucket("picks").await else { return };
//! // bucket.endpoint, bucket.name, ACCESS_KEY, SECRET_KEY, REGION
//! ```

#![allow(clippy::unwrap_used)] // test support: failures should panic with context

use crate::test_peers::{Running, free_port, installed};
use object_store::signer::Signer as _;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

/// The access key id of the server's one identity.
pub(crate) const ACCESS_KEY: &str = "src-key";
/// Its secret key.
pub(crate) const SECRET_KEY: &str = "src-secret";
/// SeaweedFS takes any region; signatures need one.
pub(crate) const REGION: &str = "us-east-1";

/// A bucket made for one test on the shared server, which keeps running while this lives.
#[derive(Debug)]
pub(crate) struct Bucket {
    /// The S3 endpoint (`http://127.0.0.1:<port>`, path-style requests).
    pub(crate) endpoint: String,
    /// The bucket's name.
    pub(crate) name: String,
    _server: Lease,
}

/// Creates bucket `name` on the shared server (starting it if none runs), or `None` when `weed`
/// is not installed and the tests may skip.
pub(crate) async fn bucket(name: &str) -> Option<Bucket> {
    let server = lease().await?;
    let endpoint = server.server().endpoint.clone();
    create_bucket(&endpoint, name).await;
    Some(Bucket {
        endpoint,
        name: name.to_owned(),
        _server: server,
    })
}

/// A running `weed mini`; stopped (so its ports are free) when dropped.
#[derive(Debug)]
struct Server {
    process: Running,
    endpoint: String,
    _dir: tempfile::TempDir,
}

/// The server now running, if any. Every change of its strong count (a new lease, a lease
/// dropped) happens under this lock, so a test that finds no server knows the last one has
/// fully stopped and its ports are free.
static CURRENT: Mutex<Weak<Server>> = Mutex::new(Weak::new());
/// Held while a server starts, so that two tests never start two.
static STARTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn current() -> MutexGuard<'static, Weak<Server>> {
    // A test that panicked while holding the lock left the slot as it was; it is still right.
    CURRENT.lock().unwrap_or_else(|e| e.into_inner())
}

/// A share of the running server.
#[derive(Debug)]
struct Lease(Option<Arc<Server>>);

impl Lease {
    fn server(&self) -> &Server {
        self.0.as_ref().unwrap()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let _current = current();
        // The last lease stops the server here, still under the lock.
        self.0.take();
    }
}

fn weed_binary() -> Option<String> {
    let bin = std::env::var("SKIFF_WEED").unwrap_or_else(|_| "weed".into());
    installed(&bin, "version", "SeaweedFS", "scripts/setup.sh installs it").then_some(bin)
}

async fn lease() -> Option<Lease> {
    crate::fetch::ensure_crypto_provider();
    let bin = weed_binary()?;
    let _starting = STARTING.lock().await;
    let running = current().upgrade();
    if let Some(server) = running {
        return Some(Lease(Some(server)));
    }
    let server = Arc::new(start(&bin).await);
    *current() = Arc::downgrade(&server);
    Some(Lease(Some(server)))
}

async fn start(bin: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("s3.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"identities":[{{"name":"skiff","credentials":[{{"accessKey":"{ACCESS_KEY}","secretKey":"{SECRET_KEY}"}}],"actions":["Admin","Read","List","Write"]}}]}}"#
        ),
    )
    .unwrap();
    let port = free_port();
    let data = dir.path().join("data");
    let child = Command::new(bin)
        .arg("mini")
        .arg(format!("-dir={}", data.display()))
        .args([
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            &format!("-s3.port={port}"),
        ])
        .arg(format!("-s3.config={}", config.display()))
        .args([
            "-master.telemetry=false",
            "-webdav=false",
            "-admin.ui=false",
        ])
        .args(["-s3.port.iceberg=0", "-s3.port.lance=0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut server = Server {
        process: Running(child),
        endpoint: endpoint.clone(),
        _dir: dir,
    };
    for _ in 0..240 {
        if reqwest::get(&endpoint).await.is_ok() {
            break;
        }
        assert!(
            server.process.0.try_wait().unwrap().is_none(),
            "weed mini exited (is another one holding ports 9333 and 8888?)"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    server
}

/// CreateBucket (a signed `PUT /<bucket>/`), retried while the server is still coming up.
async fn create_bucket(endpoint: &str, name: &str) {
    let store = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(endpoint)
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .with_region(REGION)
        .with_bucket_name(name)
        .with_access_key_id(ACCESS_KEY)
        .with_secret_access_key(SECRET_KEY)
        .build()
        .unwrap();
    let root = object_store::path::Path::default();
    let mut last = String::new();
    for _ in 0..100 {
        let url = store
            .signed_url(reqwest::Method::PUT, &root, Duration::from_secs(60))
            .await
            .unwrap();
        match reqwest::Client::new().put(url).send().await {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => last = format!("{}: {}", r.status(), r.text().await.unwrap_or_default()),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("creating bucket {name}: {last}");
}
