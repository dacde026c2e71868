//! `skiff-server`: a self-hostable upload API that speaks Filestack's wire protocol, so Skiff's
//! browser module, filestack-js and filestack-python can all upload to it.
//!
//! The server is a value: build an [`AppState`] and call [`app`] for an axum `Router`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use skiff_server::{AppState, config::{AppConfig, Config}};
//! let config = Config {
//!     apps: vec![AppConfig { key: "demo".into(), secret: None, webhook_url: None, webhook_secret: None, sources: None }],
//!     ..Config::default()
//! };
//! let state = AppState::open(config)?; // local disk + SQLite under ./data by default
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, skiff_server::app(state)).await?;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod backends;
pub mod clock;
pub mod cloud;
pub mod config;
pub mod error;
mod extract;
pub mod fetch;
mod ids;
mod routes;
pub mod session;
pub mod state;
pub mod storage;
pub mod tasks;
mod token;
pub mod webhook;

use crate::clock::Clock;
use crate::config::{AppConfig, Config};
use crate::state::StateStore;
use crate::storage::Storage;
use std::collections::HashMap;
use std::sync::Arc;

pub use routes::app;

/// Everything a handler needs, cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    apps: HashMap<String, AppConfig>,
    storage: Arc<dyn Storage>,
    state: Arc<dyn StateStore>,
    clock: Arc<dyn Clock>,
    url_key: Vec<u8>,
    fetcher: fetch::Fetcher,
    /// Cloud sources by name.
    sources: std::collections::BTreeMap<&'static str, Arc<dyn cloud::Source>>,
    /// Cloud imports in flight, for their progress.
    imports: cloud::Imports,
    webhook_wake: tokio::sync::Notify,
}

/// Failure to open the embedded storage or state.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] storage::StorageError),
    /// State failed.
    #[error(transparent)]
    State(#[from] state::StateError),
    /// The config names a backend this build cannot open.
    #[error("{0}")]
    Backend(String),
    /// The key file failed.
    #[error("cannot read or create {path}: {source}")]
    Key {
        /// The key file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl AppState {
    /// State over explicit backends (tests, embedding).
    pub fn new(
        config: Config,
        storage: Arc<dyn Storage>,
        state: Arc<dyn StateStore>,
        clock: Arc<dyn Clock>,
        url_key: Vec<u8>,
    ) -> Self {
        let apps = config
            .apps
            .iter()
            .map(|a| (a.key.clone(), a.clone()))
            .collect();
        let fetcher = fetch::Fetcher::new(config.allow_private_urls);
        Self {
            inner: Arc::new(Inner {
                config,
                apps,
                storage,
                state,
                clock,
                url_key,
                fetcher,
                sources: std::collections::BTreeMap::new(),
                imports: cloud::Imports::default(),
                webhook_wake: tokio::sync::Notify::new(),
            }),
        }
    }

    /// The backends the config names (by default files under `<data>/files` and state in
    /// `<data>/skiff.db`), with the part-URL key in `<data>/url.key` (created on first run).
    pub fn open(config: Config) -> Result<Self, OpenError> {
        std::fs::create_dir_all(&config.data).map_err(|source| OpenError::Key {
            path: config.data.display().to_string(),
            source,
        })?;
        let storage = backends::open_storage(&config.storage.kind, &config.storage_path())?;
        let state = backends::open_state(&config.state.kind, &config.state_path())?;
        let key = load_or_create_key(&config.data.join("url.key"))?;
        let sources = cloud::from_config(&config.sources).map_err(OpenError::Backend)?;
        Ok(
            Self::new(config, storage, state, Arc::new(clock::SystemClock), key)
                .with_sources(sources),
        )
    }

    /// Adds cloud sources (tests and embedding; [`AppState::open`] adds the configured ones).
    /// Call it before the state is shared: it panics on a state already cloned.
    pub fn with_sources(mut self, sources: Vec<Arc<dyn cloud::Source>>) -> Self {
        #[allow(clippy::expect_used)] // a programming error, caught by the first test that does it
        let inner = Arc::get_mut(&mut self.inner).expect("with_sources before the state is shared");
        for s in sources {
            inner.sources.insert(s.name(), s);
        }
        self
    }

    /// Cloud imports in flight.
    pub fn imports(&self) -> &cloud::Imports {
        &self.inner.imports
    }

    /// The names of the sources `app` offers.
    pub fn offered_sources(&self, app: &AppConfig) -> Vec<&'static str> {
        self.inner
            .sources
            .keys()
            .copied()
            .filter(|n| self.source(app, n).is_some())
            .collect()
    }

    /// The source `name` if `app` offers it: the app's `sources` list, or every source.
    pub fn source(&self, app: &AppConfig, name: &str) -> Option<&Arc<dyn cloud::Source>> {
        let offered = app
            .sources
            .as_ref()
            .is_none_or(|list| list.iter().any(|n| n == name));
        self.inner.sources.get(name).filter(|_| offered)
    }

    /// Settings.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The app with this key.
    pub fn app(&self, key: &str) -> Option<&AppConfig> {
        self.inner.apps.get(key)
    }

    /// File storage.
    pub fn storage(&self) -> &dyn Storage {
        self.inner.storage.as_ref()
    }

    /// Session and file state.
    pub fn state(&self) -> &dyn StateStore {
        self.inner.state.as_ref()
    }

    /// Now, unix ms.
    pub fn now_ms(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    fn url_key(&self) -> &[u8] {
        &self.inner.url_key
    }

    fn fetcher(&self) -> &fetch::Fetcher {
        &self.inner.fetcher
    }

    /// Wakes the webhook worker (an event was queued).
    pub fn wake_webhooks(&self) {
        self.inner.webhook_wake.notify_one();
    }

    async fn webhook_wakeup(&self) {
        self.inner.webhook_wake.notified().await;
    }
}

/// Reads the part-URL signing key, creating it on first run (a short or damaged key is
/// replaced: that only invalidates part URLs handed out before).
fn load_or_create_key(path: &std::path::Path) -> Result<Vec<u8>, OpenError> {
    let err = |source| OpenError::Key {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read(path) {
        Ok(key) if key.len() >= 32 => return Ok(key),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e)),
    }
    let key: Vec<u8> = ids::random_id(64).into_bytes();
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, &key).map_err(err)?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)?;
    Ok(key)
}
