//! The command line (and its `SKIFF_*` environment variables), merged over the config file.

use super::{AppConfig, Config, ConfigError, Secret};
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

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
