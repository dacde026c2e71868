//! An S3-compatible bucket as a source (`[sources.customsource]`, Filestack's name for the app
//! owner's own bucket), through `object_store`: folders are the common prefixes of a delimited
//! listing, files are read with a ranged GET. Everything stays under the configured `prefix`.

use super::thumbnails::{self, Preview, Thumbnail};
use super::{CloudItem, CloudPath, Download, Page, Source, SourceError};
use async_trait::async_trait;
use futures_util::TryStreamExt;
use object_store::path::Path as Key;
use object_store::{GetOptions, GetRange, ObjectStore};
use std::sync::Arc;

/// The bucket source.
#[derive(Debug)]
pub struct S3Source {
    store: Arc<dyn ObjectStore>,
    prefix: Option<String>,
}

/// How to reach the bucket.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// Endpoint URL (`https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:8333`).
    pub endpoint: Option<String>,
    /// Region (SeaweedFS and MinIO take any).
    pub region: String,
    /// Bucket.
    pub bucket: String,
    /// Key prefix people see as the root (`shared/`), none for the whole bucket.
    pub prefix: Option<String>,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
}

impl S3Source {
    /// A source over the bucket `s` describes.
    pub fn new(s: &S3Settings) -> Result<Self, String> {
        crate::fetch::ensure_crypto_provider();
        // object_store cuts any request after 30 s by default, which would cut a big file's
        // download on a slow link; instead an answer that stops sending for a minute fails (and
        // an import then reopens the file where it stopped).
        let client = object_store::ClientOptions::new()
            .with_timeout_disabled()
            .with_connect_timeout(std::time::Duration::from_secs(10))
            .with_read_timeout(std::time::Duration::from_secs(60));
        let mut b = object_store::aws::AmazonS3Builder::new()
            .with_client_options(client)
            .with_region(&s.region)
            .with_bucket_name(&s.bucket)
            .with_access_key_id(&s.access_key_id)
            .with_secret_access_key(&s.secret_access_key);
        if let Some(e) = &s.endpoint {
            // Path-style requests, as self-hosted servers expect; http only when asked for.
            b = b
                .with_endpoint(e)
                .with_allow_http(e.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        let store = b.build().map_err(|e| format!("the bucket settings: {e}"))?;
        let prefix = s
            .prefix
            .as_deref()
            .map(|p| p.trim_matches('/'))
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        Ok(Self {
            store: Arc::new(store),
            prefix,
        })
    }

    /// The object key of `path` (without a trailing `/`).
    fn key(&self, path: &CloudPath) -> Result<Key, SourceError> {
        let inner = path.as_str().trim_matches('/');
        let full = match (&self.prefix, inner.is_empty()) {
            (Some(p), true) => p.clone(),
            (Some(p), false) => format!("{p}/{inner}"),
            (None, _) => inner.to_owned(),
        };
        Key::parse(&full)
            .map_err(|e| SourceError::Upstream(format!("{path} is not a valid key: {e}")))
    }
}

fn failed(e: object_store::Error, path: &CloudPath) -> SourceError {
    match e {
        object_store::Error::NotFound { .. } => SourceError::NotFound(path.to_string()),
        object_store::Error::Unauthenticated { .. }
        | object_store::Error::PermissionDenied { .. } => SourceError::Unauthorized(e.to_string()),
        other => SourceError::Upstream(format!("the bucket failed: {other}")),
    }
}

#[async_trait]
impl Source for S3Source {
    fn name(&self) -> &'static str {
        "customsource"
    }

    fn display_name(&self) -> &'static str {
        "Custom source"
    }

    async fn list(&self, dir: &CloudPath, cursor: Option<&str>) -> Result<Page, SourceError> {
        if cursor.is_some() {
            // object_store pages through the listing itself; this source gives no cursor.
            return Err(SourceError::Upstream(
                "the bucket source has no further pages".into(),
            ));
        }
        if !dir.is_folder() {
            return Err(SourceError::WrongKind(format!(
                "{dir} is a file, not a folder"
            )));
        }
        let key = self.key(dir)?;
        let prefix = (!key.as_ref().is_empty()).then_some(&key);
        let listed = self
            .store
            .list_with_delimiter(prefix)
            .await
            .map_err(|e| failed(e, dir))?;
        let mut items = Vec::new();
        for p in &listed.common_prefixes {
            let Some(name) = p.filename() else { continue };
            items.push(CloudItem {
                name: name.to_owned(),
                path: dir.join(name, true).map_err(SourceError::Upstream)?,
                folder: true,
                size: 0,
                mimetype: None,
                preview: Preview::Icon,
            });
        }
        let mut files = Vec::new();
        for o in &listed.objects {
            let Some(name) = o.location.filename() else {
                continue;
            };
            files.push(CloudItem {
                name: name.to_owned(),
                path: dir.join(name, false).map_err(SourceError::Upstream)?,
                folder: false,
                size: o.size,
                mimetype: None,
                preview: thumbnails::own_preview(name, None, o.size),
            });
        }
        if dir.as_str() != "/" && items.is_empty() && files.is_empty() {
            // A bucket has no empty folders: a prefix with nothing under it is not there.
            return Err(SourceError::NotFound(dir.to_string()));
        }
        items.sort_by(|a, b| a.name.cmp(&b.name));
        files.sort_by(|a, b| a.name.cmp(&b.name));
        items.extend(files);
        Ok(Page {
            items,
            next: None,
            pick_url: None,
        })
    }

    async fn open(&self, path: &CloudPath, from: u64) -> Result<Download, SourceError> {
        if path.is_folder() {
            return Err(SourceError::WrongKind(format!(
                "{path} is a folder, not a file"
            )));
        }
        let key = self.key(path)?;
        let options = GetOptions {
            range: (from > 0).then_some(GetRange::Offset(from)),
            ..GetOptions::default()
        };
        let got = match self.store.get_opts(&key, options).await {
            Ok(g) => g,
            Err(e) => return Err(failed(e, path)),
        };
        let size = got.meta.size;
        Ok(Download {
            name: path.name().to_owned(),
            size: Some(size),
            mimetype: None,
            body: Box::pin(got.into_stream().map_err(std::io::Error::other)),
        })
    }

    /// A bucket has no thumbnails: a small image is its own picture (see `own_picture`).
    async fn thumbnail(
        &self,
        path: &CloudPath,
        _hint: Option<&str>,
    ) -> Result<Option<Thumbnail>, SourceError> {
        thumbnails::own_picture(path.name(), self.open(path, 0)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::seaweed;
    use object_store::ObjectStoreExt as _;

    /// The conformance tree in a bucket of the shared SeaweedFS test server (see
    /// `storage::seaweed`), which keeps running while this lives.
    struct Weed {
        settings: S3Settings,
        _bucket: seaweed::Bucket,
    }

    async fn weed() -> Option<Weed> {
        let bucket = seaweed::bucket("picks").await?;
        let mut weed = Weed {
            settings: S3Settings {
                endpoint: Some(bucket.endpoint.clone()),
                region: seaweed::REGION.into(),
                bucket: bucket.name.clone(),
                prefix: Some("shared/".into()),
                access_key_id: seaweed::ACCESS_KEY.into(),
                secret_access_key: seaweed::SECRET_KEY.into(),
            },
            _bucket: bucket,
        };
        // The tree, under the prefix, and a file outside it that must never show.
        let raw = S3Source::new(&S3Settings {
            prefix: None,
            ..weed.settings.clone()
        })
        .unwrap();
        for (path, bytes) in super::super::conformance::tree() {
            let key = Key::parse(format!("shared{path}")).unwrap();
            raw.store.put(&key, bytes.into()).await.unwrap();
        }
        raw.store
            .put(&Key::parse("outside.txt").unwrap(), b"no".to_vec().into())
            .await
            .unwrap();
        weed.settings.prefix = Some("shared/".into());
        Some(weed)
    }

    #[tokio::test]
    async fn a_real_bucket_passes_the_conformance_suite_and_imports_through_the_cloud_api() {
        let Some(weed) = weed().await else { return };
        let source = S3Source::new(&weed.settings).unwrap();
        super::super::conformance::run(&source).await;
        let wrong = S3Source::new(&S3Settings {
            secret_access_key: "wrong".into(),
            ..weed.settings.clone()
        })
        .unwrap();
        let r = wrong.list(&CloudPath::root(), None).await;
        assert!(r.is_err(), "{r:?}");
        imported_through_the_cloud_api(source).await;
    }

    /// `/folder/list` and `/store/` of a server offering the bucket: the imported file's bytes
    /// are the bucket's.
    async fn imported_through_the_cloud_api(source: S3Source) {
        use crate::config::{AppConfig, Config};
        use axum::body::Body;
        use axum::http::Request;
        use tower::ServiceExt as _;
        let config = Config {
            apps: vec![AppConfig {
                key: "k".into(),
                secret: None,
                webhook_url: None,
                webhook_secret: None,
                sources: None,
                allowed_origins: Vec::new(),
                storage: None,
            }],
            ..Config::default()
        };
        let state = crate::AppState::new(
            config,
            Arc::new(crate::storage::MemoryStorage::new()),
            Arc::new(crate::state::MemoryState::new()),
            Arc::new(crate::clock::SystemClock),
            b"k".to_vec(),
        )
        .with_sources(vec![Arc::new(source)]);
        let app = crate::app(state);
        let call = |method: &str, uri: &str, body: serde_json::Value| {
            let req = Request::builder()
                .method(method)
                .uri(uri)
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
            let app = app.clone();
            async move {
                let resp = app.oneshot(req).await.unwrap();
                let status = resp.status();
                let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
                    .await
                    .unwrap();
                (status, bytes)
            }
        };
        let (status, body) = call(
            "POST",
            "/folder/list",
            serde_json::json!({ "apikey": "k", "clouds": { "customsource": { "path": "/docs/deep/" } } }),
        )
        .await;
        assert_eq!(status, 200, "{body:?}");
        let listed: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let item = &listed["customsource"]["contents"][0];
        assert_eq!(item["path"], "/docs/deep/big.bin");
        let (status, body) = call(
            "POST",
            "/store/",
            serde_json::json!({ "apikey": "k", "clouds": { "customsource": { "path": item["path"] } } }),
        )
        .await;
        assert_eq!(status, 200, "{body:?}");
        let stored: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let file = &stored["customsource"];
        assert_eq!(file["client"], "Custom source");
        let handle = file["handle"].as_str().unwrap();
        let (status, got) = call("GET", &format!("/{handle}"), serde_json::Value::Null).await;
        assert_eq!(status, 200);
        assert!(
            got == super::super::conformance::tree()[4].1,
            "the stored bytes are the bucket's"
        );
    }
}
