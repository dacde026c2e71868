//! A server value with in-memory storage and state and a hand-moved clock, plus helpers that
//! speak the protocol the way the clients do.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine as _;
use md5::Digest;
use serde_json::{Value, json};
use skiff_server::clock::ManualClock;
use skiff_server::config::{AppConfig, Config};
use skiff_server::state::MemoryState;
use skiff_server::storage::{MemoryStorage, Storage};
use skiff_server::{AppState, app};
use std::sync::Arc;
use tower::ServiceExt;

pub const OPEN: &str = "openkey";
pub const SECURE: &str = "securekey";
pub const SECRET: &str = "s3cret";
pub const NOW_MS: i64 = 1_800_000_000_000;

pub struct Harness {
    pub state: AppState,
    pub router: Router,
    pub clock: Arc<ManualClock>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    /// The error code of a refusal.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {:?}", self.json()))
            .to_owned()
    }

    /// Asserts a refusal with `status` and `code`, and that the message is readable.
    pub fn refused(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status.as_u16(), self.code().as_str()),
            (status, code),
            "{:?}",
            self.json()
        );
        let msg = self.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(msg.len() > 10, "message too terse: {msg}");
    }

    pub fn ok(&self) -> &Self {
        assert!(
            self.status.is_success(),
            "{} {:?}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        self
    }
}

pub fn md5_b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(data))
}

pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    // xorshift: deterministic, fast, incompressible enough for tests.
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

pub fn config() -> Config {
    Config {
        apps: vec![
            AppConfig {
                key: OPEN.into(),
                secret: None,
                webhook_url: Some("http://127.0.0.1:9/hook".into()),
                webhook_secret: Some("whsec".into()),
                sources: None,
                allowed_origins: Vec::new(),
                storage: None,
            },
            AppConfig {
                key: SECURE.into(),
                secret: Some(SECRET.into()),
                webhook_url: None,
                webhook_secret: None,
                sources: None,
                allowed_origins: Vec::new(),
                storage: None,
            },
        ],
        public_url: Some("http://skiff.test".into()),
        ..Config::default()
    }
}

impl Harness {
    pub fn new() -> Self {
        Self::with(config())
    }

    pub fn with(config: Config) -> Self {
        Self::with_sources(config, Vec::new())
    }

    /// A harness whose server offers these cloud sources.
    pub fn with_sources(
        config: Config,
        sources: Vec<Arc<dyn skiff_server::cloud::Source>>,
    ) -> Self {
        Self::with_storage(config, Arc::new(MemoryStorage::new()), sources)
    }

    /// A harness whose server keeps files in `storage`.
    pub fn with_storage(
        config: Config,
        storage: Arc<MemoryStorage>,
        sources: Vec<Arc<dyn skiff_server::cloud::Source>>,
    ) -> Self {
        let clock = Arc::new(ManualClock::at(NOW_MS));
        let state = AppState::new(
            config,
            storage,
            Arc::new(MemoryState::new()),
            clock.clone(),
            b"test-key".to_vec(),
        )
        .with_sources(sources);
        Self {
            router: app(state.clone()),
            state,
            clock,
        }
    }

    /// A harness whose server offers these OAuth providers.
    pub fn with_providers(
        config: Config,
        providers: Vec<Arc<dyn skiff_server::cloud::provider::Provider>>,
    ) -> Self {
        let mut h = Self::with(config);
        // Rebuilt around the same clock: the state is not shared yet.
        drop(h.router);
        h.state = h.state.with_providers(providers);
        h.router = app(h.state.clone());
        h
    }

    pub async fn call(&self, req: Request<Body>) -> Resp {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn request(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Resp {
        let uri = uri.strip_prefix("http://skiff.test").unwrap_or(uri);
        let mut b = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.call(b.body(body.into()).unwrap()).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.request(
            Method::POST,
            path,
            &[("content-type", "application/json")],
            body.to_string(),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.request(Method::GET, path, &[], Body::empty()).await
    }

    /// Starts an upload; `extra` fields are merged into the body.
    pub async fn start(&self, key: &str, size: usize, extra: Value) -> Value {
        let mut body = json!({ "apikey": key, "filename": "file.bin", "mimetype": "application/octet-stream", "size": size, "store": { "location": "s3" } });
        merge(&mut body, extra);
        let r = self.post("/multipart/start", body).await;
        r.ok();
        r.json()
    }

    /// Asks for a part URL; returns the response.
    pub async fn upload_call(
        &self,
        key: &str,
        start: &Value,
        part: u64,
        data: &[u8],
        offset: Option<u64>,
    ) -> Resp {
        let mut body = session_fields(key, start);
        merge(
            &mut body,
            json!({ "part": part, "size": data.len(), "md5": md5_b64(data), "store": { "location": "s3" } }),
        );
        if let Some(off) = offset {
            merge(&mut body, json!({ "fii": true, "offset": off }));
        }
        self.post("/multipart/upload", body).await
    }

    /// The URL and grant header of a part PUT.
    pub async fn part_target(
        &self,
        key: &str,
        start: &Value,
        part: u64,
        data: &[u8],
        offset: Option<u64>,
    ) -> (String, String) {
        let r = self.upload_call(key, start, part, data, offset).await;
        let v = r.ok().json();
        (
            v["url"].as_str().unwrap().to_owned(),
            v["headers"]["X-Skiff-Part"].as_str().unwrap().to_owned(),
        )
    }

    /// Sends one part (or chunk) the way clients do; returns the ETag.
    pub async fn send(
        &self,
        key: &str,
        start: &Value,
        part: u64,
        data: &[u8],
        offset: Option<u64>,
    ) -> String {
        let r = self.upload_call(key, start, part, data, offset).await;
        r.ok();
        let url = r.json()["url"].as_str().unwrap().to_owned();
        let grant = r.json()["headers"]["X-Skiff-Part"]
            .as_str()
            .expect("the part grant header")
            .to_owned();
        let put = self
            .request(
                Method::PUT,
                &url,
                &[("x-skiff-part", &grant)],
                data.to_vec(),
            )
            .await;
        put.ok();
        put.headers["etag"].to_str().unwrap().to_owned()
    }

    pub async fn commit(&self, key: &str, start: &Value, part: u64, file_size: usize) -> Resp {
        let mut body = session_fields(key, start);
        merge(
            &mut body,
            json!({ "part": part, "size": file_size, "store": { "location": "s3" } }),
        );
        self.post("/multipart/commit", body).await
    }

    pub async fn complete(&self, key: &str, start: &Value, size: usize, extra: Value) -> Resp {
        let mut body = session_fields(key, start);
        merge(
            &mut body,
            json!({ "filename": "file.bin", "mimetype": "application/octet-stream", "size": size, "store": { "location": "s3" } }),
        );
        merge(&mut body, extra);
        self.post("/multipart/complete", body).await
    }

    /// A whole regular upload in `part_size` parts; returns the complete response.
    pub async fn upload_regular(&self, data: &[u8], part_size: usize, tags: Value) -> Value {
        let start = self.start(OPEN, data.len(), json!({})).await;
        let mut parts = Vec::new();
        for (i, chunk) in data.chunks(part_size).enumerate() {
            let etag = self.send(OPEN, &start, i as u64 + 1, chunk, None).await;
            parts.push(json!({ "part_number": i + 1, "etag": etag }));
        }
        let r = self
            .complete(
                OPEN,
                &start,
                data.len(),
                json!({ "parts": parts, "upload_tags": tags }),
            )
            .await;
        r.ok();
        r.json()
    }

    pub async fn download(&self, handle: &str) -> Vec<u8> {
        let r = self.get(&format!("/{handle}")).await;
        r.ok();
        r.body.to_vec()
    }
}

pub fn session_fields(key: &str, start: &Value) -> Value {
    json!({ "apikey": key, "uri": start["uri"], "region": start["region"], "upload_id": start["upload_id"] })
}

pub fn merge(into: &mut Value, extra: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, extra) {
        for (k, v) in b {
            a.insert(k, v);
        }
    }
}

/// The names of the objects in `storage`, sorted.
pub async fn object_names(storage: &MemoryStorage) -> Vec<String> {
    let mut names: Vec<String> = storage
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    names.sort();
    names
}
