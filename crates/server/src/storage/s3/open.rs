//! Opening the bucket: the settings, the client `object_store` builds from them, and the check
//! at start that names the setting at fault.

use super::{Layout, S3Storage, requests};
use crate::config::Secret;
use object_store::list::{PaginatedListOptions, PaginatedListStore as _};
use object_store::path::Path as Key;
use std::sync::Arc;
use std::time::Duration;

/// How to reach the bucket; the names are those of the config's `[storage]` keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3StorageSettings {
    /// The S3 service's URL (`http://127.0.0.1:8333`, `https://s3.eu-west-1.amazonaws.com`);
    /// none for AWS, whose endpoint follows from the region.
    pub endpoint: Option<String>,
    /// Region (SeaweedFS and MinIO take any; AWS needs the bucket's).
    pub region: String,
    /// Bucket, which must exist.
    pub bucket: String,
    /// Key prefix everything is stored under (`skiff/`); none for the bucket's root.
    pub prefix: Option<String>,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key (never shown in logs or errors).
    pub secret_access_key: Secret,
    /// Names the bucket in the path (`<endpoint>/<bucket>/<key>`, what SeaweedFS and MinIO
    /// expect) rather than in the host name (`<bucket>.<endpoint host>`, AWS's way).
    pub path_style: bool,
}

/// A setting that stops the storage from opening, and why.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {cause}")]
pub struct S3SetupError {
    /// The setting to fix (a key of [`S3StorageSettings`]).
    pub setting: &'static str,
    /// What is wrong, without secrets.
    pub cause: String,
}

fn setup(setting: &'static str, cause: impl Into<String>) -> S3SetupError {
    S3SetupError {
        setting,
        cause: cause.into(),
    }
}

impl S3Storage {
    /// Storage over the bucket `settings` describe, checked to be reachable with those
    /// credentials (one listing); the error names the setting to fix.
    pub async fn open(settings: &S3StorageSettings) -> Result<Self, S3SetupError> {
        let storage = Self::new(settings)?;
        storage.check().await?;
        Ok(storage)
    }

    /// Storage over the bucket `settings` describe, without contacting it (see
    /// [`S3Storage::check`]).
    pub fn new(s: &S3StorageSettings) -> Result<Self, S3SetupError> {
        crate::fetch::ensure_crypto_provider();
        if s.bucket.is_empty() {
            return Err(setup("bucket", "is empty"));
        }
        let prefix = s.prefix.as_deref().unwrap_or_default().trim_matches('/');
        let root = Key::parse(prefix)
            .map_err(|e| setup("prefix", format!("{prefix:?} is not a valid key: {e}")))?;
        let mut b = object_store::aws::AmazonS3Builder::new()
            .with_client_options(crate::storage::objects::client_options())
            .with_retry(crate::storage::objects::retry_config())
            .with_region(&s.region)
            .with_bucket_name(&s.bucket)
            .with_access_key_id(&s.access_key_id)
            .with_secret_access_key(&s.secret_access_key.0)
            .with_virtual_hosted_style_request(!s.path_style);
        if let Some(e) = &s.endpoint {
            let url = url::Url::parse(e)
                .map_err(|err| setup("endpoint", format!("{e:?} is not a URL: {err}")))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(setup("endpoint", format!("{e:?} is not an http(s) URL")));
            }
            // object_store takes a virtual-hosted endpoint with the bucket already in the host.
            let endpoint = if s.path_style {
                e.trim_end_matches('/').to_owned()
            } else if !matches!(url.host(), Some(url::Host::Domain(_))) {
                return Err(setup(
                    "path_style",
                    format!("must be true: the bucket cannot be in the host name of {e:?}"),
                ));
            } else {
                let mut with_bucket = url.clone();
                let host = format!("{}.{}", s.bucket, url.host_str().unwrap_or_default());
                with_bucket
                    .set_host(Some(&host))
                    .map_err(|err| setup("bucket", format!("cannot be a host name: {err}")))?;
                with_bucket.as_str().trim_end_matches('/').to_owned()
            };
            b = b
                .with_endpoint(endpoint)
                .with_allow_http(url.scheme() == "http");
        }
        let store = b
            .build()
            .map_err(|e| setup("endpoint", format!("the S3 settings: {e}")))?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| setup("endpoint", format!("an HTTP client: {e}")))?;
        Ok(Self {
            store: Arc::new(store),
            http,
            layout: Arc::new(Layout {
                bucket: s.bucket.clone(),
                root,
                endpoint: s.endpoint.clone().unwrap_or_else(|| "AWS".into()),
            }),
        })
    }

    /// Lists at most one key under the prefix: the bucket exists and these credentials may
    /// read it. The error names the setting most likely at fault.
    pub async fn check(&self) -> Result<(), S3SetupError> {
        let options = PaginatedListOptions {
            max_keys: Some(1),
            ..PaginatedListOptions::default()
        };
        let root = self.layout.root.as_ref();
        let prefix = (!root.is_empty()).then(|| format!("{root}/"));
        let Err(e) = self.store.list_paginated(prefix.as_deref(), options).await else {
            return Ok(());
        };
        let (bucket, endpoint) = (&self.layout.bucket, &self.layout.endpoint);
        let text = e.to_string();
        Err(match e {
            object_store::Error::NotFound { .. } => setup(
                "bucket",
                format!("no bucket {bucket:?} at {endpoint} (create it first)"),
            ),
            _ if text.contains("InvalidAccessKeyId") => setup(
                "access_key_id",
                format!("{endpoint} does not know this access key"),
            ),
            _ if text.contains("SignatureDoesNotMatch") => setup(
                "secret_access_key",
                format!("{endpoint} refused the signature: the secret key is wrong"),
            ),
            // AWS names the region it expects, or redirects to it.
            _ if text.contains("AuthorizationHeaderMalformed") || text.contains("redirect") => {
                setup(
                    "region",
                    format!("bucket {bucket:?} at {endpoint} is in another region: {text}"),
                )
            }
            object_store::Error::Unauthenticated { .. }
            | object_store::Error::PermissionDenied { .. } => setup(
                "access_key_id",
                format!("these credentials may not list bucket {bucket:?} at {endpoint}: {text}"),
            ),
            _ if requests::is_outage(&e) => {
                setup("endpoint", format!("cannot reach {endpoint}: {text}"))
            }
            _ => setup(
                "bucket",
                format!("listing {bucket:?} at {endpoint}: {text}"),
            ),
        })
    }
}
