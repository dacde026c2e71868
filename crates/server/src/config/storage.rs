//! Where file bytes live: `[storage]`, an app's `[apps.storage]`, `[landing]` and each
//! `[locations.<name>]` share these keys, checked against the backend kind.

use super::{ConfigError, Secret};
use serde::Deserialize;
use std::path::PathBuf;

/// Where file bytes live: the `[storage]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Backend name: `fs` (local folder, the default) or `s3` (an S3-compatible bucket).
    pub kind: String,
    /// Folder of the `fs` backend; `<data>/files` when absent.
    pub path: Option<PathBuf>,
    /// `s3`: the service's URL (`http://127.0.0.1:8333`); none for AWS, whose endpoint follows
    /// from the region.
    pub endpoint: Option<String>,
    /// `s3`: the region (default `us-east-1`).
    pub region: Option<String>,
    /// `s3`: the bucket, which must exist.
    pub bucket: Option<String>,
    /// `s3`: the key prefix everything is stored under; none for the bucket's root.
    pub prefix: Option<String>,
    /// `s3`: the access key id.
    pub access_key_id: Option<String>,
    /// `s3`: the secret access key (or `SKIFF_S3_SECRET_ACCESS_KEY`).
    pub secret_access_key: Option<Secret>,
    /// `s3`: path-style requests (`endpoint/bucket/key`); by default on when `endpoint` is set
    /// (SeaweedFS, MinIO and most self-hosted servers want it) and off for AWS.
    pub path_style: Option<bool>,
    /// `azure` (a location only): the storage account.
    pub account: Option<String>,
    /// `azure`: the account's access key (or its `SKIFF_…` variable is not read: keep the file
    /// private).
    pub access_key: Option<Secret>,
    /// `azure`: the container, which must exist.
    pub container: Option<String>,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            kind: "fs".into(),
            path: None,
            endpoint: None,
            region: None,
            bucket: None,
            prefix: None,
            access_key_id: None,
            secret_access_key: None,
            path_style: None,
            account: None,
            access_key: None,
            container: None,
        }
    }
}

impl StorageConfig {
    /// The settings of the `s3` backend, when that is the kind.
    pub fn s3_settings(&self) -> Option<crate::storage::S3StorageSettings> {
        (self.kind == "s3").then(|| crate::storage::S3StorageSettings {
            endpoint: self.endpoint.clone(),
            region: self.region.clone().unwrap_or_else(|| "us-east-1".into()),
            bucket: self.bucket.clone().unwrap_or_default(),
            prefix: self.prefix.clone(),
            access_key_id: self.access_key_id.clone().unwrap_or_default(),
            secret_access_key: self
                .secret_access_key
                .clone()
                .unwrap_or_else(|| Secret(String::new())),
            path_style: self.path_style.unwrap_or(self.endpoint.is_some()),
        })
    }

    /// The settings of the `azure` location, when that is the kind.
    pub fn azure_settings(&self) -> Option<crate::storage::AzureSettings> {
        (self.kind == "azure").then(|| crate::storage::AzureSettings {
            account: self.account.clone().unwrap_or_default(),
            access_key: self
                .access_key
                .clone()
                .unwrap_or_else(|| Secret(String::new())),
            container: self.container.clone().unwrap_or_default(),
            endpoint: self.endpoint.clone(),
            prefix: self.prefix.clone(),
        })
    }

    /// Checks that the keys fit the kind, and that `s3` has what it needs; messages name the
    /// keys as in `section` (`[storage]`, or `[apps.storage]` of one app).
    pub(super) fn validate(&self, section: &str) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        let s3_keys = [
            ("endpoint", self.endpoint.is_some()),
            ("region", self.region.is_some()),
            ("bucket", self.bucket.is_some()),
            ("prefix", self.prefix.is_some()),
            ("access_key_id", self.access_key_id.is_some()),
            ("secret_access_key", self.secret_access_key.is_some()),
            ("path_style", self.path_style.is_some()),
        ];
        if self.kind == "s3" {
            if self.path.is_some() {
                return invalid(format!(
                    "{section} path is read by kind = \"fs\" only; kind = \"s3\" uses `bucket`"
                ));
            }
            let empty = |v: &Option<String>| v.as_deref().is_none_or(|v| v.trim().is_empty());
            let secret_empty = self
                .secret_access_key
                .as_ref()
                .is_none_or(|s| s.0.trim().is_empty());
            for (key, missing) in [
                ("bucket", empty(&self.bucket)),
                ("access_key_id", empty(&self.access_key_id)),
                ("secret_access_key", secret_empty),
            ] {
                if missing {
                    return invalid(format!(
                        "{section} kind = \"s3\" needs `{key}`{}",
                        if key == "secret_access_key" && section == "[storage]" {
                            " (or the SKIFF_S3_SECRET_ACCESS_KEY environment variable)"
                        } else {
                            ""
                        }
                    ));
                }
            }
        } else if self.kind == "azure" {
            let empty = |v: &Option<String>| v.as_deref().is_none_or(|v| v.trim().is_empty());
            let key_empty = self
                .access_key
                .as_ref()
                .is_none_or(|s| s.0.trim().is_empty());
            for (key, missing) in [
                ("account", empty(&self.account)),
                ("access_key", key_empty),
                ("container", empty(&self.container)),
            ] {
                if missing {
                    return invalid(format!("{section} kind = \"azure\" needs `{key}`"));
                }
            }
            let s3_only = [
                "region",
                "bucket",
                "access_key_id",
                "secret_access_key",
                "path_style",
            ];
            if let Some((key, _)) = s3_keys.iter().find(|(k, set)| *set && s3_only.contains(k)) {
                return invalid(format!(
                    "{section} {key} is read by kind = \"s3\" only, not kind = \"azure\""
                ));
            }
            if self.path.is_some() {
                return invalid(format!("{section} path is read by kind = \"fs\" only"));
            }
        } else if let Some((key, _)) = s3_keys.iter().find(|(_, set)| *set) {
            return invalid(format!(
                "{section} {key} is read by kind = \"s3\" only, not kind = {:?}",
                self.kind
            ));
        }
        if self.kind != "azure" {
            let azure_keys = [
                ("account", self.account.is_some()),
                ("access_key", self.access_key.is_some()),
                ("container", self.container.is_some()),
            ];
            if let Some((key, _)) = azure_keys.iter().find(|(_, set)| *set) {
                return invalid(format!(
                    "{section} {key} is read by kind = \"azure\" only, not kind = {:?}",
                    self.kind
                ));
            }
        }
        Ok(())
    }
}

/// How messages name the `[apps.storage]` of app `key`.
pub fn app_storage_section(key: &str) -> String {
    format!("app {key:?}: [apps.storage]")
}
