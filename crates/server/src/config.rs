//! Server settings: command line, environment (`SKIFF_*`) and an optional TOML file, in that
//! order of precedence, over built-in defaults.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

mod args;
mod check;
mod sources;
mod state;
mod storage;
#[cfg(test)]
mod tests;
pub use args::*;
pub use sources::*;
pub use state::*;
pub use storage::*;

/// One app: an API key, and optionally a secret (then calls need a policy and signature) and
/// a webhook receiver.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// API key.
    pub key: String,
    /// App secret for policies.
    #[serde(default)]
    pub secret: Option<String>,
    /// Where `fp.upload` webhooks go.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Key that signs webhooks (`FS-Signature`).
    #[serde(default)]
    pub webhook_secret: Option<String>,
    /// The cloud sources this app offers (`sources = ["webdav", …]`, or `[apps.sources.<name>]`
    /// tables with keys it overrides); absent: every configured one.
    #[serde(default)]
    pub sources: Option<AppSources>,
    /// Origins this app's picker runs on (`https://app.example.com`): the only ones a sign-in
    /// popup reports back to and redirect mode returns to. Empty: none (the picker then learns
    /// of a sign-in by polling).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Where this app's files live, instead of the server's `[storage]` (an app on its own
    /// bucket); absent: the server's.
    #[serde(default)]
    pub storage: Option<StorageConfig>,
}

/// How webhook deliveries are retried.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookRetry {
    /// Delay before the first retry, ms.
    pub base_ms: u64,
    /// Longest delay between retries, ms.
    pub max_ms: u64,
    /// Give up on an event this long after it was queued, ms.
    pub give_up_after_ms: u64,
    /// Timeout of one delivery attempt, ms.
    pub timeout_ms: u64,
}

impl Default for WebhookRetry {
    fn default() -> Self {
        Self {
            base_ms: 5_000,
            max_ms: 10 * 60_000,
            give_up_after_ms: 3 * 24 * 3_600_000,
            timeout_ms: 15_000,
        }
    }
}

/// A password or key from the config: its `Debug` never shows it, so a logged config leaks nothing.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Everything the server needs to run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Data folder (the part-URL key, and by default the files and the database).
    pub data: PathBuf,
    /// Storage backend.
    pub storage: StorageConfig,
    /// State backend.
    pub state: StateConfig,
    /// Public base URL of this server (file URLs, part URLs, `location_url`); derived from
    /// `listen` when absent.
    pub public_url: Option<String>,
    /// TLS certificate chain (PEM).
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// Apps.
    pub apps: Vec<AppConfig>,
    /// Let `/process` and store-from-URL fetch loopback, private and link-local addresses.
    pub allow_private_urls: bool,
    /// Largest file accepted, bytes.
    pub max_file_size: u64,
    /// How long an upload session lives, seconds.
    pub session_ttl_secs: u64,
    /// Container name reported when a client names none.
    pub default_container: String,
    /// Timeout for API calls (not part bodies), seconds.
    pub request_timeout_secs: u64,
    /// A part or store body may stall this long between bytes, seconds.
    pub body_idle_timeout_secs: u64,
    /// Webhook retry policy.
    pub webhook_retry: WebhookRetry,
    /// The start-up sweep removes objects no file refers to only once they are this old,
    /// seconds: a younger one may belong to an upload another instance is finishing.
    pub orphan_grace_secs: u64,
    /// Folder of static files served under `/demo/` (a demo page of the picker); none by default.
    pub demo: Option<PathBuf>,
    /// Cloud sources (`[sources.<name>]`).
    pub sources: SourcesConfig,
    /// The token vault and picker sessions (`[cloud]`).
    pub cloud: CloudConfig,
    /// Other places files can be stored (`[locations.<name>]`, the [`StorageConfig`] keys):
    /// `store.location = "<name>"` stores there, through the transfer queue.
    pub locations: std::collections::BTreeMap<String, StorageConfig>,
    /// The region this instance serves, e.g. `eu-west`: start answers it as `region` and
    /// `location_region`, and an edge's files are held under it.
    pub region: Option<String>,
    /// An ingestion point: uploads land in `[landing]`, near their users, and the transfer
    /// queue moves them on to the shared storage; the file is usable meanwhile (`InTransit`).
    pub edge: bool,
    /// Where uploads land at an edge (the [`StorageConfig`] keys; a folder `<data>/landing` by
    /// default). Every instance of one region must share it.
    pub landing: Option<StorageConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data: PathBuf::from("data"),
            storage: StorageConfig::default(),
            state: StateConfig::default(),
            public_url: None,
            tls_cert: None,
            tls_key: None,
            apps: Vec::new(),
            allow_private_urls: false,
            max_file_size: 50 * 1024 * 1024 * 1024,
            session_ttl_secs: 24 * 3600,
            default_container: "skiff".into(),
            request_timeout_secs: 60,
            body_idle_timeout_secs: 120,
            webhook_retry: WebhookRetry::default(),
            orphan_grace_secs: 3600,
            demo: None,
            sources: SourcesConfig::default(),
            cloud: CloudConfig::default(),
            locations: std::collections::BTreeMap::new(),
            region: None,
            edge: false,
            landing: None,
        }
    }
}

impl Config {
    /// The folder of the `fs` storage backend.
    pub fn storage_path(&self) -> PathBuf {
        self.storage
            .path
            .clone()
            .unwrap_or_else(|| self.data.join("files"))
    }

    /// The folder of an edge's `fs` landing storage.
    pub fn landing_path(&self) -> PathBuf {
        self.landing
            .as_ref()
            .and_then(|l| l.path.clone())
            .unwrap_or_else(|| self.data.join("landing"))
    }

    /// The edge's region when this instance is an edge (`edge = true`).
    pub fn edge_region(&self) -> Option<&str> {
        self.region.as_deref().filter(|_| self.edge)
    }

    /// The database file of the `sqlite` state backend.
    pub fn state_path(&self) -> PathBuf {
        self.state
            .path
            .clone()
            .unwrap_or_else(|| self.data.join("skiff.db"))
    }

    /// Whether TLS is on.
    pub fn tls(&self) -> bool {
        self.tls_cert.is_some()
    }

    /// The public base URL, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => {
                let scheme = if self.tls() { "https" } else { "http" };
                format!("{scheme}://{}", self.listen)
            }
        }
    }

    /// `location_url` for start responses: scheme-less for https (filestack-python prepends
    /// `https://`; filestack-js does too), the full URL for plain http.
    pub fn location_url(&self) -> String {
        let url = self.public_url();
        match url.strip_prefix("https://") {
            Some(rest) => rest.to_owned(),
            None => url,
        }
    }
}

/// The storage locations that name this server's own storage (`s3` is every client's default).
/// Other names are the `[locations]` the config adds; any other location is refused rather than
/// stored somewhere else.
pub const OWN_LOCATIONS: &[&str] = &["s3", "local", "default"];

/// A configuration problem, reported before the server starts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A setting is invalid.
    #[error("{0}")]
    Invalid(String),
}
