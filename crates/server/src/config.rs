//! Server settings: command line, environment (`SKIFF_*`) and an optional TOML file, in that
//! order of precedence, over built-in defaults.

use clap::Parser;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

mod sources;
pub use sources::*;

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
    fn validate(&self, section: &str) -> Result<(), ConfigError> {
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

/// Where sessions, file records and the webhook outbox live: the `[state]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateConfig {
    /// Backend name: `sqlite` (one database file, the default) or `postgres` (one database
    /// shared by several instances).
    pub kind: String,
    /// Database file of the `sqlite` backend; `<data>/skiff.db` when absent.
    pub path: Option<PathBuf>,
    /// Connection URL of the `postgres` backend (`postgres://user:password@host:5432/db`, or
    /// `SKIFF_STATE_URL`); a secret, since it may hold the password.
    pub url: Option<Secret>,
}

impl Default for StateConfig {
    fn default() -> Self {
        Self {
            kind: "sqlite".into(),
            path: None,
            url: None,
        }
    }
}

impl StateConfig {
    /// Checks that the keys fit the kind: a key the chosen backend ignores is most likely a
    /// mistake (a URL left behind while switching back to SQLite).
    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        match (self.kind.as_str(), &self.path, &self.url) {
            ("postgres", _, None) => invalid(
                "[state] kind = \"postgres\" needs `url` (postgres://user:password@host:5432/database, \
                 or the SKIFF_STATE_URL environment variable)"
                    .into(),
            ),
            ("postgres", Some(_), _) => invalid(
                "[state] path is read by kind = \"sqlite\" only; kind = \"postgres\" uses `url`"
                    .into(),
            ),
            ("postgres", None, Some(url)) if url.0.trim().is_empty() => {
                invalid("[state] url is empty".into())
            }
            (kind, _, Some(_)) if kind != "postgres" => invalid(format!(
                "[state] url is read by kind = \"postgres\" only, not kind = {kind:?}"
            )),
            _ => Ok(()),
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

/// `skiff-server`: a self-hostable upload API that speaks Filestack's wire protocol.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// TOML configuration file (command line and environment override it).
    #[arg(long, env = "SKIFF_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "SKIFF_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Data folder [default: ./data].
    #[arg(long, env = "SKIFF_DATA")]
    pub data: Option<PathBuf>,
    /// Public base URL, e.g. https://uploads.example.com.
    #[arg(long, env = "SKIFF_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// TLS certificate chain (PEM); serves https.
    #[arg(long, env = "SKIFF_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, env = "SKIFF_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// An app as KEY or KEY:SECRET (repeat for several; env: comma-separated).
    #[arg(long = "app", env = "SKIFF_APPS", value_delimiter = ',')]
    pub apps: Vec<String>,
    /// Webhook URL for the apps given with --app.
    #[arg(long, env = "SKIFF_WEBHOOK_URL")]
    pub webhook: Option<String>,
    /// Webhook signing secret for the apps given with --app.
    #[arg(long, env = "SKIFF_WEBHOOK_SECRET", requires = "webhook")]
    pub webhook_secret: Option<String>,
    /// Allow fetching loopback/private/link-local URLs in /process and store-from-URL.
    #[arg(long, env = "SKIFF_ALLOW_PRIVATE_URLS")]
    pub allow_private_urls: bool,
    /// Largest file accepted, bytes.
    #[arg(long, env = "SKIFF_MAX_FILE_SIZE")]
    pub max_file_size: Option<u64>,
    /// Upload session lifetime, seconds.
    #[arg(long, env = "SKIFF_SESSION_TTL")]
    pub session_ttl: Option<u64>,
    /// Folder of static files to serve under /demo/ (e.g. the picker demo site).
    #[arg(long, env = "SKIFF_DEMO", value_name = "DIR")]
    pub demo: Option<PathBuf>,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "SKIFF_LOG_JSON")]
    pub log_json: bool,
    /// Instead of serving, one task.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What `s3-setup` is to do (`crate::s3_setup`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SetupArgs {
    /// An origin whose pages upload (repeat for several; `*` for any) [default: every app's
    /// allowed_origins].
    #[arg(long = "origin", value_name = "ORIGIN")]
    pub origins: Vec<String>,
    /// Put the rule in the bucket when it is missing (without it, only check).
    #[arg(long)]
    pub apply: bool,
}

/// The storage locations that name this server's own storage (`s3` is every client's default).
/// Other names are the `[locations]` the config adds; any other location is refused rather than
/// stored somewhere else.
pub const OWN_LOCATIONS: &[&str] = &["s3", "local", "default"];

/// Tasks besides serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Check (or with --apply set) the CORS rule browsers need to send parts straight to the
    /// S3 bucket of [storage], then exit.
    S3Setup(SetupArgs),
    /// Make every transfer that was given up (after 24 failed attempts) due again, once what
    /// made it fail is mended; running instances pick them up within seconds. Then exit.
    RetryTransfers,
}

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

impl Args {
    /// Merges file, environment and command line into one [`Config`].
    pub fn into_config(self) -> Result<Config, ConfigError> {
        let mut cfg = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.clone(),
                    message: e.to_string(),
                })?
            }
            None => Config::default(),
        };
        if let Some(v) = self.listen {
            cfg.listen = v;
        }
        if let Some(v) = self.data {
            cfg.data = v;
        }
        if let Some(v) = self.public_url {
            cfg.public_url = Some(v);
        }
        if let (Some(c), Some(k)) = (self.tls_cert, self.tls_key) {
            cfg.tls_cert = Some(c);
            cfg.tls_key = Some(k);
        }
        for spec in self.apps.iter().filter(|s| !s.trim().is_empty()) {
            let (key, secret) = match spec.split_once(':') {
                Some((k, s)) => (k.trim(), Some(s.to_owned())),
                None => (spec.trim(), None),
            };
            cfg.apps.retain(|a| a.key != key);
            cfg.apps.push(AppConfig {
                key: key.to_owned(),
                secret,
                webhook_url: self.webhook.clone(),
                webhook_secret: self.webhook_secret.clone(),
                sources: None,
                allowed_origins: Vec::new(),
                storage: None,
            });
        }
        cfg.allow_private_urls |= self.allow_private_urls;
        if let Some(v) = self.max_file_size {
            cfg.max_file_size = v;
        }
        if let Some(v) = self.session_ttl {
            cfg.session_ttl_secs = v;
        }
        if let Some(v) = self.demo {
            cfg.demo = Some(v);
        }
        // The vault key only from the environment or the file: a flag would show in `ps`.
        if let Ok(key) = std::env::var("SKIFF_VAULT_KEY") {
            if !key.trim().is_empty() {
                cfg.cloud.vault_key = Some(Secret(key));
            }
        }
        // The database URL, like the vault key, may hold a password: environment or file only.
        if let Ok(url) = std::env::var("SKIFF_STATE_URL") {
            if !url.trim().is_empty() {
                cfg.state.url = Some(Secret(url));
            }
        }
        // The bucket's secret key likewise.
        if let Ok(key) = std::env::var("SKIFF_S3_SECRET_ACCESS_KEY") {
            if !key.trim().is_empty() {
                cfg.storage.secret_access_key = Some(Secret(key));
            }
        }
        // A server needs an app to serve; a task such as s3-setup works on the backends only.
        if self.command.is_none() && cfg.apps.is_empty() {
            return Err(ConfigError::Invalid(
                "no app is configured: pass --app KEY[:SECRET] or add [[apps]] to the config file"
                    .into(),
            ));
        }
        cfg.validate()?;
        Ok(cfg)
    }
}

/// A name of a location or region: lower-case letters, digits, `-` and `_`, at most 32.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl Config {
    /// `region`, `edge` and `[landing]`, checked with `landing` (a storage where uploads land).
    fn validate_edge(
        &self,
        landing: &dyn Fn(&str, &StorageConfig) -> Result<(), ConfigError>,
    ) -> Result<(), ConfigError> {
        if let Some(region) = self.region.as_deref().filter(|r| !is_name(r)) {
            return Err(ConfigError::Invalid(format!(
                "region {region:?}: a region's name is lower-case letters, digits, `-` and `_` \
                 (at most 32)"
            )));
        }
        if !self.edge {
            return match self.landing {
                Some(_) => Err(ConfigError::Invalid(
                    "[landing] is where an edge's uploads land; it needs edge = true".into(),
                )),
                None => Ok(()),
            };
        }
        if self.region.is_none() {
            return Err(ConfigError::Invalid(
                "edge = true needs region: the files an edge holds are known by its region, \
                 and only its instances move them on"
                    .into(),
            ));
        }
        // Other instances send requests for the files this edge holds to its public URL,
        // which a wildcard listening address does not give.
        if self.public_url.is_none() && self.listen.ip().is_unspecified() {
            return Err(ConfigError::Invalid(format!(
                "edge = true needs public_url when listening on {}: other instances send \
                 requests for the files this edge holds there",
                self.listen
            )));
        }
        match &self.landing {
            Some(l) => landing("[landing]", l),
            None => Ok(()),
        }
    }

    /// Checks settings that would otherwise fail later or silently.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for app in &self.apps {
            if app.key.is_empty() || !app.key.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ConfigError::Invalid(format!(
                    "app key {:?} must be non-empty printable ASCII",
                    app.key
                )));
            }
            for name in app.sources.iter().flat_map(AppSources::names) {
                if !self.sources.configured().contains(&name) {
                    return Err(ConfigError::Invalid(format!(
                        "app {} offers the source {name:?}, which has no [sources.{name}] section (configured: {})",
                        app.key,
                        self.sources.configured().join(", ")
                    )));
                }
            }
            for origin in &app.allowed_origins {
                let ok = url::Url::parse(origin).is_ok_and(|u| {
                    matches!(u.scheme(), "http" | "https")
                        && u.origin().ascii_serialization() == origin.trim_end_matches('/')
                });
                if !ok {
                    return Err(ConfigError::Invalid(format!(
                        "allowed origin {origin:?} of app {} is not an origin (scheme://host[:port], no path)",
                        app.key
                    )));
                }
            }
            if let Some(url) = &app.webhook_url {
                let ok = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
                if !ok {
                    return Err(ConfigError::Invalid(format!(
                        "webhook URL {url:?} of app {} is not an http(s) URL",
                        app.key
                    )));
                }
            }
        }
        if let Some(u) = &self.public_url {
            let ok = url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !ok {
                return Err(ConfigError::Invalid(format!(
                    "public URL {u:?} is not an http(s) URL"
                )));
            }
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(ConfigError::Invalid(
                "TLS needs both a certificate and a key".into(),
            ));
        }
        for key in self
            .cloud
            .vault_key
            .iter()
            .chain(&self.cloud.previous_vault_keys)
        {
            crate::cloud::vault::parse_key(&key.0)
                .map_err(|e| ConfigError::Invalid(format!("[cloud] vault_key: {e}")))?;
        }
        if self.cloud.session_ttl_secs == 0 || self.cloud.session_max_secs == 0 {
            return Err(ConfigError::Invalid(
                "[cloud] session_ttl_secs and session_max_secs must be above 0".into(),
            ));
        }
        // Azure takes finished files only; uploads land in [storage] or [apps.storage].
        let landing = |section: &str, storage: &StorageConfig| {
            if storage.kind == "azure" {
                return Err(ConfigError::Invalid(format!(
                    "{section} kind = \"azure\": Azure Blob Storage is a location files are moved \
                     to ([locations.<name>]), not where uploads land; use \"fs\" or \"s3\" here"
                )));
            }
            crate::backends::check_storage(section, &storage.kind).map_err(ConfigError::Invalid)?;
            storage.validate(section)
        };
        landing("[storage]", &self.storage)?;
        crate::backends::check_state(&self.state.kind).map_err(ConfigError::Invalid)?;
        self.state.validate()?;
        for app in &self.apps {
            if let Some(own) = &app.storage {
                landing(&app_storage_section(&app.key), own)?;
            }
        }
        self.validate_edge(&landing)?;
        for (name, location) in &self.locations {
            let section = format!("[locations.{name}]");
            if !is_name(name) || OWN_LOCATIONS.contains(&name.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "{section}: a location's name is lower-case letters, digits, `-` and `_` \
                     (at most 32), and not one of {:?}, which name this server's own storage",
                    OWN_LOCATIONS
                )));
            }
            crate::backends::check_storage(&section, &location.kind)
                .map_err(ConfigError::Invalid)?;
            location.validate(&section)?;
        }
        if let Some(dir) = self.demo.as_deref().filter(|d| !d.is_dir()) {
            return Err(ConfigError::Invalid(format!(
                "demo folder {} is not a directory",
                dir.display()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_read_checked_and_their_secrets_never_printed() {
        let text = r#"
[[apps]]
key = "a"
sources = ["webdav"]
[sources.webdav]
url = "https://dav.example.com/files/"
username = "u"
password = "dav-password"
[sources.customsource]
bucket = "picks"
prefix = "shared/"
access_key_id = "AKIA"
secret_access_key = "bucket-secret"
"#;
        let cfg: Config = toml::from_str(text).unwrap();
        cfg.validate().unwrap();
        assert_eq!(cfg.sources.configured(), ["webdav", "customsource"]);
        let shown = format!("{cfg:?}");
        assert!(
            !shown.contains("dav-password") && !shown.contains("bucket-secret"),
            "{shown}"
        );
        let bad: Config =
            toml::from_str(&text.replace(r#"sources = ["webdav"]"#, r#"sources = ["dropbox"]"#))
                .unwrap();
        let e = bad.validate().unwrap_err().to_string();
        assert!(
            e.contains("\"dropbox\"") && e.contains("configured: webdav, customsource"),
            "{e}"
        );
        assert!(toml::from_str::<Config>(&text.replace("bucket = ", "bukket = ")).is_err());
    }

    #[test]
    fn cli_over_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("skiff.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\nmax_file_size = 10\n[[apps]]\nkey = \"filekey\"\nsecret = \"s\"\n[webhook_retry]\nbase_ms = 1\n",
        )
        .unwrap();
        let args = Args::parse_from([
            "skiff-server",
            "--config",
            file.to_str().unwrap(),
            "--app",
            "k2:sec",
            "--webhook",
            "http://h/x",
            "--max-file-size",
            "20",
        ]);
        let cfg = args.into_config().unwrap();
        assert_eq!(cfg.listen.port(), 9000);
        assert_eq!(cfg.max_file_size, 20);
        assert_eq!(cfg.webhook_retry.base_ms, 1);
        assert_eq!(cfg.apps.len(), 2);
        assert_eq!(cfg.apps[1].secret.as_deref(), Some("sec"));
        assert_eq!(cfg.apps[1].webhook_url.as_deref(), Some("http://h/x"));
    }

    #[test]
    fn errors_are_named() {
        let err = Args::parse_from(["skiff-server"])
            .into_config()
            .unwrap_err()
            .to_string();
        assert!(err.contains("no app is configured"), "{err}");
        let err = Args::parse_from(["skiff-server", "--app", "k", "--public-url", "ftp://x"])
            .into_config()
            .unwrap_err();
        assert!(err.to_string().contains("ftp://x"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "lissen = 1").unwrap();
        let err = Args::parse_from(["skiff-server", "--config", file.to_str().unwrap()])
            .into_config()
            .unwrap_err();
        assert!(err.to_string().contains("lissen"), "{err}");
    }

    #[test]
    fn backend_sections() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("skiff.toml");
        let load = |toml: &str| {
            std::fs::write(&file, format!("{toml}\n[[apps]]\nkey = \"k\"\n")).unwrap();
            Args::parse_from(["skiff-server", "--config", file.to_str().unwrap()]).into_config()
        };
        // Without the sections: the flat `data` folder holds everything, as before.
        let cfg = load("data = \"/srv/skiff\"").unwrap();
        assert_eq!(cfg.storage, StorageConfig::default());
        assert_eq!(cfg.state, StateConfig::default());
        assert_eq!(cfg.storage_path(), PathBuf::from("/srv/skiff/files"));
        assert_eq!(cfg.state_path(), PathBuf::from("/srv/skiff/skiff.db"));
        let cfg = load(
            "[storage]\nkind = \"fs\"\npath = \"/mnt/files\"\n[state]\nkind = \"sqlite\"\npath = \"/db/s.db\"",
        )
        .unwrap();
        assert_eq!(cfg.storage_path(), PathBuf::from("/mnt/files"));
        assert_eq!(cfg.state_path(), PathBuf::from("/db/s.db"));
        let err = load("[storage]\nkind = \"tape\"").unwrap_err().to_string();
        assert!(
            err.contains("[storage] kind") && err.contains("tape"),
            "{err}"
        );
        let err = load("[state]\nkind = \"postgres\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[state] kind") && err.contains("postgres"),
            "{err}"
        );
        let err = load("[state]\nkind = \"sqlite\"\nurl = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("url"), "{err}");
    }

    #[test]
    fn s3_storage_keys_are_checked_against_the_kind() {
        let cfg = |toml: &str| -> Config {
            toml::from_str(&format!("[[apps]]\nkey = \"k\"\n{toml}")).unwrap()
        };
        let err = |toml: &str| {
            cfg(toml)
                .storage
                .validate("[storage]")
                .unwrap_err()
                .to_string()
        };
        assert!(err("[storage]\nkind = \"s3\"\n").contains("needs `bucket`"));
        assert!(
            err("[storage]\nkind = \"s3\"\nbucket = \"b\"\naccess_key_id = \"k\"\n")
                .contains("SKIFF_S3_SECRET_ACCESS_KEY")
        );
        assert!(err("[storage]\nbucket = \"b\"\n").contains("read by kind = \"s3\" only"));
        let ok = cfg(
            "[storage]\nkind = \"s3\"\nendpoint = \"http://127.0.0.1:8333\"\nbucket = \"b\"\n\
             access_key_id = \"k\"\nsecret_access_key = \"s\"\n",
        );
        ok.storage.validate("[storage]").unwrap();
        let s = ok.storage.s3_settings().unwrap();
        assert!(s.path_style, "path style by default with an endpoint");
        assert_eq!(s.region, "us-east-1");
        assert!(
            !format!("{:?}", ok.storage).contains("\"s\""),
            "the secret is not shown"
        );
        assert!(
            cfg("[storage]\nkind = \"fs\"\n")
                .storage
                .s3_settings()
                .is_none()
        );
    }

    #[test]
    fn an_app_storage_is_checked_like_the_server_one() {
        let validate = |toml: &str| {
            let cfg: Config = toml::from_str(toml).unwrap();
            cfg.validate().map(|_| cfg).map_err(|e| e.to_string())
        };
        let ok = validate(
            "[[apps]]\nkey = \"own\"\n[apps.storage]\nkind = \"s3\"\nbucket = \"b\"\n\
             access_key_id = \"k\"\nsecret_access_key = \"s\"\n[[apps]]\nkey = \"shared\"\n",
        )
        .unwrap();
        assert_eq!(
            ok.apps[0].storage.as_ref().unwrap().bucket.as_deref(),
            Some("b")
        );
        assert_eq!(ok.apps[1].storage, None);
        let err = validate("[[apps]]\nkey = \"own\"\n[apps.storage]\nkind = \"s3\"\n").unwrap_err();
        assert!(
            err.contains("app \"own\": [apps.storage] kind = \"s3\" needs `bucket`"),
            "{err}"
        );
        let err =
            validate("[[apps]]\nkey = \"own\"\n[apps.storage]\nkind = \"ftp\"\n").unwrap_err();
        assert!(
            err.contains("app \"own\": [apps.storage] kind = \"ftp\""),
            "{err}"
        );
        let err =
            validate("[[apps]]\nkey = \"own\"\n[apps.storage]\nbucket = \"b\"\n").unwrap_err();
        assert!(
            err.contains("[apps.storage] bucket is read by kind = \"s3\" only"),
            "{err}"
        );
    }

    #[test]
    fn an_edge_needs_a_region_and_a_public_url() {
        let validate = |toml: &str| {
            toml::from_str::<Config>(toml)
                .map_err(|e| e.to_string())
                .and_then(|c| c.validate().map(|()| c).map_err(|e| e.to_string()))
        };
        let ok = validate(
            "region = \"eu-west\"\nedge = true\npublic_url = \"https://eu.example\"\n\
             [landing]\npath = \"/srv/landing\"\n",
        )
        .unwrap();
        assert_eq!(ok.edge_region(), Some("eu-west"));
        assert_eq!(ok.landing_path(), PathBuf::from("/srv/landing"));
        assert_eq!(validate("region = \"eu\"\n").unwrap().edge_region(), None);
        for (toml, says) in [
            (
                "edge = true\npublic_url = \"https://e.example\"\n",
                "edge = true needs region",
            ),
            (
                "edge = true\nregion = \"eu\"\nlisten = \"0.0.0.0:8080\"\n",
                "edge = true needs public_url when listening on 0.0.0.0:8080",
            ),
            ("region = \"EU west\"\n", "region \"EU west\""),
            (
                "[landing]\npath = \"/x\"\n",
                "[landing] is where an edge's uploads land",
            ),
            (
                "edge = true\nregion = \"eu\"\npublic_url = \"https://e.example\"\n\
                 [landing]\nkind = \"azure\"\n",
                "[landing] kind = \"azure\"",
            ),
        ] {
            let err = validate(toml).unwrap_err();
            assert!(err.contains(says), "{toml}: {err}");
        }
    }

    #[test]
    fn locations_are_checked_by_kind_and_name() {
        let validate = |toml: &str| {
            let cfg: Config = toml::from_str(&format!("[[apps]]\nkey = \"k\"\n{toml}")).unwrap();
            cfg.validate().map(|_| cfg).map_err(|e| e.to_string())
        };
        let azure = "[locations.azure]\nkind = \"azure\"\naccount = \"a\"\naccess_key = \"k\"\n\
                     container = \"c\"\nendpoint = \"http://127.0.0.1:10000/a\"\n";
        let ok = validate(azure).unwrap();
        let s = ok.locations["azure"].azure_settings().unwrap();
        assert_eq!((s.account.as_str(), s.container.as_str()), ("a", "c"));
        assert!(!format!("{ok:?}").contains("access_key: Some(Secret(\"k\"))"));
        let err = validate("[locations.azure]\nkind = \"azure\"\naccount = \"a\"\n").unwrap_err();
        assert!(
            err.contains("[locations.azure] kind = \"azure\" needs `access_key`"),
            "{err}"
        );
        let err = validate(&format!("{azure}bucket = \"b\"\n")).unwrap_err();
        assert!(
            err.contains("bucket is read by kind = \"s3\" only"),
            "{err}"
        );
        let err = validate("[locations.archive]\nkind = \"fs\"\ncontainer = \"c\"\n").unwrap_err();
        assert!(
            err.contains("container is read by kind = \"azure\" only"),
            "{err}"
        );
        let err = validate("[locations.S3]\nkind = \"fs\"\n").unwrap_err();
        assert!(err.contains("a location's name"), "{err}");
        let err = validate("[locations.s3]\nkind = \"fs\"\n").unwrap_err();
        assert!(err.contains("a location's name"), "{err}");
        let err = validate("[storage]\nkind = \"azure\"\n").unwrap_err();
        assert!(err.contains("is a location files are moved to"), "{err}");
    }

    #[test]
    fn state_keys_fit_the_kind() {
        let cfg = |toml: &str| -> Config {
            toml::from_str(&format!("[[apps]]\nkey = \"k\"\n{toml}")).unwrap()
        };
        let pg = cfg("[state]\nkind = \"postgres\"\nurl = \"postgres://skiff:pw-123@db/skiff\"");
        assert_eq!(
            pg.state.url.as_ref().map(|u| u.0.as_str()),
            Some("postgres://skiff:pw-123@db/skiff")
        );
        assert!(!format!("{pg:?}").contains("pw-123"));
        if cfg!(feature = "postgres") {
            pg.validate().unwrap();
        }
        // The keys alone, whichever backends this build has.
        let err = |toml: &str| cfg(toml).state.validate().unwrap_err().to_string();
        assert!(err("[state]\nkind = \"postgres\"").contains("needs `url`"));
        assert!(
            err("[state]\nkind = \"postgres\"\nurl = \"x\"\npath = \"/db\"")
                .contains("[state] path")
        );
        assert!(err("[state]\nkind = \"postgres\"\nurl = \" \"").contains("empty"));
        assert!(err("[state]\nurl = \"postgres://db/x\"").contains("[state] url is read by"));
    }

    #[test]
    fn demo_folder() {
        let dir = tempfile::tempdir().unwrap();
        let (site, other) = (dir.path().join("site"), dir.path().join("other"));
        std::fs::create_dir(&site).unwrap();
        std::fs::create_dir(&other).unwrap();
        let file = dir.path().join("skiff.toml");
        let toml = format!(
            "demo = {:?}\n[[apps]]\nkey = \"k\"\n",
            site.to_str().unwrap()
        );
        std::fs::write(&file, toml).unwrap();
        let cfg = Args::parse_from(["skiff-server", "--config", file.to_str().unwrap()])
            .into_config()
            .unwrap();
        assert_eq!(cfg.demo.as_deref(), Some(site.as_path()));
        let cfg = Args::parse_from([
            "skiff-server",
            "--config",
            file.to_str().unwrap(),
            "--demo",
            other.to_str().unwrap(),
        ])
        .into_config()
        .unwrap();
        assert_eq!(cfg.demo.as_deref(), Some(other.as_path()));
        let cfg = Args::parse_from(["skiff-server", "--app", "k"])
            .into_config()
            .unwrap();
        assert_eq!(cfg.demo, None);
        let missing = dir.path().join("missing");
        let err = Args::parse_from([
            "skiff-server",
            "--app",
            "k",
            "--demo",
            missing.to_str().unwrap(),
        ])
        .into_config()
        .unwrap_err();
        assert!(err.to_string().contains("not a directory"), "{err}");
    }

    #[test]
    fn location_url_drops_https_only() {
        let mut cfg = Config {
            public_url: Some("https://up.example:8443/".into()),
            ..Config::default()
        };
        assert_eq!(cfg.location_url(), "up.example:8443");
        cfg.public_url = Some("http://127.0.0.1:8080".into());
        assert_eq!(cfg.location_url(), "http://127.0.0.1:8080");
    }
}
