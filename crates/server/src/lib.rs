//! `skiff-server`: a self-hostable upload API that speaks Filestack's wire protocol, so Skiff's
//! browser module, filestack-js and filestack-python can all upload to it.
//!
//! The server is a value: build an [`AppState`] and call [`app`] for an axum `Router`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use skiff_server::{AppState, config::{AppConfig, Config}};
//! let config = Config {
//!     apps: vec![AppConfig { key: "demo".into(), secret: None, webhook_url: None, webhook_secret: None, sources: None, allowed_origins: vec![], storage: None }],
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
pub mod received;
mod routes;
pub mod s3_setup;
pub mod session;
pub mod state;
pub mod storage;
pub mod tasks;
#[cfg(test)]
mod test_peers;
mod token;
pub mod transfer;
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
    /// Apps with storage of their own (`[apps.storage]`), by app key.
    app_storage: HashMap<String, Arc<dyn Storage>>,
    /// Other locations (`[locations.<name>]`), by name: files move there through the
    /// transfer queue.
    locations: std::collections::BTreeMap<String, Arc<dyn Storage>>,
    /// Where uploads land when this instance is an edge (`edge = true`, `[landing]`).
    landing: Option<Arc<dyn Storage>>,
    state: Arc<dyn StateStore>,
    clock: Arc<dyn Clock>,
    url_key: Vec<u8>,
    fetcher: fetch::Fetcher,
    /// Cloud sources that need no sign-in (the owner's), by name.
    sources: std::collections::BTreeMap<&'static str, Arc<dyn cloud::Source>>,
    /// OAuth providers by name.
    providers: std::collections::BTreeMap<&'static str, Arc<dyn cloud::provider::Provider>>,
    /// Open sources an app overrides keys of (its own Unsplash key), by (app key, name).
    app_sources: HashMap<(String, &'static str), Arc<dyn cloud::Source>>,
    /// Providers an app overrides keys of (`[apps.sources.<name>]`), by (app key, name).
    app_providers: HashMap<(String, &'static str), Arc<dyn cloud::provider::Provider>>,
    /// Picker sessions (the Cloud API's `token`).
    sessions: cloud::sessions::Sessions,
    /// Their sealed provider connections.
    connections: Arc<cloud::Connections>,
    /// Cloud imports in flight, for their progress.
    imports: cloud::Imports,
    webhook_wake: tokio::sync::Notify,
    /// Woken whenever this instance records a part (a part PUT, a commit), for the completes
    /// held until their parts land (`await_parts`).
    parts_landed: tokio::sync::Notify,
    /// Parts and chunks stored since start (`GET /metrics`).
    received: received::Received,
}

/// Where a file's bytes can be read from this instance.
#[derive(Debug)]
pub enum FileBytes<'a> {
    /// In this storage.
    Here(&'a dyn Storage),
    /// At another edge, which holds them until they reach the final storage: requests for
    /// them go there.
    Elsewhere(state::Held),
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
        // Until `with_cloud_store` says otherwise: connections in memory, sealed with the
        // configured key or, without one, a key that lives as long as the process.
        let vault_key = config
            .cloud
            .vault_key
            .as_ref()
            .and_then(|k| cloud::vault::parse_key(&k.0).ok())
            .unwrap_or_else(rand::random);
        let (sessions, connections) = cloud_parts(
            &config,
            Arc::new(cloud::store::MemoryCloudStore::default()),
            &vault_key,
            clock.clone(),
        );
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
                providers: std::collections::BTreeMap::new(),
                app_providers: HashMap::new(),
                app_sources: HashMap::new(),
                app_storage: HashMap::new(),
                locations: std::collections::BTreeMap::new(),
                landing: None,
                sessions,
                connections,
                imports: cloud::Imports::default(),
                webhook_wake: tokio::sync::Notify::new(),
                parts_landed: tokio::sync::Notify::new(),
                received: received::Received::default(),
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
        let storage = backends::open_storage(
            "[storage]",
            &config.storage.kind,
            &config.storage_path(),
            config.storage.s3_settings().as_ref(),
            None,
        )?;
        let mut app_storages = Vec::new();
        for app in &config.apps {
            let Some(own) = &app.storage else { continue };
            // A folder of its own under the data folder unless it names one.
            let path = own
                .path
                .clone()
                .unwrap_or_else(|| config.data.join("apps").join(&app.key).join("files"));
            let section = config::app_storage_section(&app.key);
            let storage = backends::open_storage(
                &section,
                &own.kind,
                &path,
                own.s3_settings().as_ref(),
                None,
            )?;
            app_storages.push((app.key.clone(), storage));
        }
        let mut locations = Vec::new();
        for (name, location) in &config.locations {
            let path = location
                .path
                .clone()
                .unwrap_or_else(|| config.data.join("locations").join(name));
            let storage = backends::open_storage(
                &format!("[locations.{name}]"),
                &location.kind,
                &path,
                location.s3_settings().as_ref(),
                location.azure_settings().as_ref(),
            )?;
            locations.push((name.clone(), storage));
        }
        let landing = match (config.edge, &config.landing) {
            (false, _) => None,
            (true, landing) => {
                let default = config::StorageConfig::default();
                let landing = landing.as_ref().unwrap_or(&default);
                Some(backends::open_storage(
                    "[landing]",
                    &landing.kind,
                    &config.landing_path(),
                    landing.s3_settings().as_ref(),
                    None,
                )?)
            }
        };
        let backends::States { state, cloud } = backends::open_state(
            &config.state.kind,
            &config.state_path(),
            config.state.url.as_ref().map(|u| u.0.as_str()),
        )?;
        let key = match state.part_url_key() {
            Some(shared) => shared.to_vec(),
            None => load_or_create_key(&config.data.join("url.key"))?,
        };
        let sources = cloud::from_config(&config.sources).map_err(OpenError::Backend)?;
        let providers =
            cloud::providers::from_config(&config.sources).map_err(OpenError::Backend)?;
        let app_providers = app_providers(&config).map_err(OpenError::Backend)?;
        let vault_key = match &config.cloud.vault_key {
            Some(k) => cloud::vault::parse_key(&k.0)
                .map_err(|e| OpenError::Backend(format!("[cloud] vault_key: {e}")))?,
            // Instances on one PostgreSQL database open each other's sealed tokens: a key
            // file of each one's own would not do.
            None if config.state.kind == "postgres"
                && !(providers.is_empty() && app_providers.is_empty()) =>
            {
                return Err(OpenError::Backend(
                    "[cloud] vault_key is needed with [state] kind = \"postgres\": every \
                     instance must open the provider tokens the others sealed (64 hex \
                     characters, e.g. from `openssl rand -hex 32`; or SKIFF_VAULT_KEY)"
                        .into(),
                ));
            }
            None => load_or_create_vault_key(&config.data.join("vault.key"))?,
        };
        let mut state = Self::new(config, storage, state, Arc::new(clock::SystemClock), key)
            .with_sources(sources)
            .with_providers(providers)
            .with_cloud_store(cloud, &vault_key);
        for ((app, _), p) in app_providers {
            state = state.with_app_provider(&app, p);
        }
        for (app, storage) in app_storages {
            state = state.with_app_storage(&app, storage);
        }
        for (name, storage) in locations {
            state = state.with_location(&name, storage);
        }
        if let Some(landing) = landing {
            state = state.with_landing(landing);
        }
        for ((app, name), source) in
            app_unsplash(&state.inner.config).map_err(OpenError::Backend)?
        {
            state.inner_mut().app_sources.insert((app, name), source);
        }
        Ok(state)
    }

    fn inner_mut(&mut self) -> &mut Inner {
        #[allow(clippy::expect_used)] // a programming error, caught by the first test that does it
        Arc::get_mut(&mut self.inner).expect("configure the state before it is shared")
    }

    /// Adds OAuth providers (tests and embedding; [`AppState::open`] adds the configured
    /// ones). Call it before the state is shared.
    pub fn with_providers(mut self, providers: Vec<Arc<dyn cloud::provider::Provider>>) -> Self {
        let inner = self.inner_mut();
        for p in providers {
            inner.providers.insert(p.name(), p);
        }
        self
    }

    /// Adds a location files can be stored to (`store.location = name`), through the transfer
    /// queue. Call it before the state is shared.
    pub fn with_location(mut self, name: &str, storage: Arc<dyn Storage>) -> Self {
        self.inner_mut().locations.insert(name.to_owned(), storage);
        self
    }

    /// Keeps `app`'s files in `storage` instead of the server's. Call it before the state is
    /// shared.
    pub fn with_app_storage(mut self, app: &str, storage: Arc<dyn Storage>) -> Self {
        self.inner_mut().app_storage.insert(app.to_owned(), storage);
        self
    }

    /// Uses `provider` for one app in place of the server-wide one of the same name (the
    /// app's own OAuth client). Call it before the state is shared.
    pub fn with_app_provider(
        mut self,
        app: &str,
        provider: Arc<dyn cloud::provider::Provider>,
    ) -> Self {
        self.inner_mut()
            .app_providers
            .insert((app.to_owned(), provider.name()), provider);
        self
    }

    /// Keeps picker sessions and connections in `store`, sealed with `vault_key` (and the
    /// configured earlier keys). Call it before the state is shared.
    pub fn with_cloud_store(
        mut self,
        store: Arc<dyn cloud::store::CloudStore>,
        vault_key: &[u8; cloud::vault::KEY_LEN],
    ) -> Self {
        let inner = self.inner_mut();
        let (sessions, connections) =
            cloud_parts(&inner.config, store, vault_key, inner.clock.clone());
        inner.sessions = sessions;
        inner.connections = connections;
        self
    }

    /// Adds cloud sources (tests and embedding; [`AppState::open`] adds the configured ones).
    /// Call it before the state is shared: it panics on a state already cloned.
    pub fn with_sources(mut self, sources: Vec<Arc<dyn cloud::Source>>) -> Self {
        let inner = self.inner_mut();
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
        let mut names: Vec<&'static str> = self
            .inner
            .sources
            .keys()
            .chain(self.inner.providers.keys())
            .copied()
            .filter(|n| self.offered(app, n).is_some())
            .collect();
        names.sort_unstable();
        names
    }

    /// The source `name` if `app` offers it (its `sources`, or every source when it names
    /// none): one that needs no sign-in, or an OAuth provider (the app's own client if it
    /// configures one).
    pub fn offered(&self, app: &AppConfig, name: &str) -> Option<cloud::Offered> {
        // Filestack's picker calls Unsplash's search `imagesearch`.
        let canonical = if name == "imagesearch" {
            "unsplash"
        } else {
            name
        };
        let listed = app
            .sources
            .as_ref()
            .is_none_or(|s| s.names().iter().any(|n| *n == name || *n == canonical));
        if !listed {
            return None;
        }
        let name = canonical;
        if let Some(s) = self.inner.app_sources.get(&(app.key.clone(), name)) {
            return Some(cloud::Offered::Open(s.clone()));
        }
        if let Some(s) = self.inner.sources.get(name) {
            return Some(cloud::Offered::Open(s.clone()));
        }
        let own = self
            .inner
            .providers
            .keys()
            .find(|k| **k == name)
            .and_then(|k| self.inner.app_providers.get(&(app.key.clone(), *k)));
        own.or_else(|| self.inner.providers.get(name))
            .map(|p| cloud::Offered::OAuth(p.clone()))
    }

    /// Picker sessions.
    pub fn sessions(&self) -> &cloud::sessions::Sessions {
        &self.inner.sessions
    }

    /// Provider connections.
    pub fn connections(&self) -> &Arc<cloud::Connections> {
        &self.inner.connections
    }

    /// Settings.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The app with this key.
    pub fn app(&self, key: &str) -> Option<&AppConfig> {
        self.inner.apps.get(key)
    }

    /// The server's file storage (`[storage]`).
    pub fn storage(&self) -> &dyn Storage {
        self.inner.storage.as_ref()
    }

    /// Where the files of `app` live: its own storage (`[apps.storage]`) or the server's.
    pub fn storage_for(&self, app: &str) -> &dyn Storage {
        self.inner
            .app_storage
            .get(app)
            .map_or(self.inner.storage.as_ref(), |s| s.as_ref())
    }

    /// The location named `name` (`[locations.<name>]`), if the config has it.
    pub fn location(&self, name: &str) -> Option<&dyn Storage> {
        self.inner.locations.get(name).map(|s| s.as_ref())
    }

    /// Makes this instance an edge whose uploads land in `storage` (the config must say
    /// `edge = true` and name a region; `open` does this from `[landing]`).
    pub fn with_landing(mut self, storage: Arc<dyn Storage>) -> Self {
        self.inner_mut().landing = Some(storage);
        self
    }

    /// The edge this instance is: its region and public URL, which files landed here record
    /// as their holder; `None` unless it is an edge.
    pub fn edge(&self) -> Option<state::Held> {
        let region = self.inner.config.edge_region()?;
        self.inner.landing.as_ref()?;
        Some(state::Held {
            region: region.to_owned(),
            url: self.inner.config.public_url(),
        })
    }

    /// Whether this instance holds the bytes `held` names: it is an edge of that region.
    fn holds(&self, held: &state::Held) -> bool {
        self.inner.config.edge_region() == Some(held.region.as_str())
    }

    /// Where new uploads and stored files of `app` land here: the edge's landing storage, or
    /// the app's storage.
    pub fn intake(&self, app: &str) -> &dyn Storage {
        match (&self.inner.landing, self.inner.config.edge_region()) {
            (Some(landing), Some(_)) => landing.as_ref(),
            _ => self.storage_for(app),
        }
    }

    /// Where the staged bytes of `sess` are: the app's storage, or the landing storage of the
    /// edge it began at; `Err` with that edge's region when this instance is not of it.
    pub fn upload_storage(&self, sess: &state::Session) -> Result<&dyn Storage, String> {
        match (&sess.edge, &self.inner.landing) {
            (None, _) => Ok(self.storage_for(&sess.app)),
            (Some(region), Some(landing))
                if self.inner.config.edge_region() == Some(region.as_str()) =>
            {
                Ok(landing.as_ref())
            }
            (Some(region), _) => Err(region.clone()),
        }
    }

    /// The names of the configured locations.
    pub fn location_names(&self) -> Vec<&str> {
        self.inner.locations.keys().map(String::as_str).collect()
    }

    /// Where `file`'s bytes are now: its location once the transfer queue has moved them
    /// there, the landing storage of the edge holding them while they are on their way (here,
    /// or at another edge), else its app's storage.
    pub fn file_bytes(&self, file: &state::FileRecord) -> FileBytes<'_> {
        match &file.transfer {
            Some(state::Transfer {
                held: Some(held), ..
            }) => match (&self.inner.landing, self.holds(held)) {
                (Some(landing), true) => FileBytes::Here(landing.as_ref()),
                _ => FileBytes::Elsewhere(held.clone()),
            },
            Some(_) => FileBytes::Here(self.storage_for(&file.app)),
            None => FileBytes::Here(
                self.location(&file.location)
                    .unwrap_or_else(|| self.storage_for(&file.app)),
            ),
        }
    }

    /// Every storage files land in: the server's, each app's own, and an edge's landing
    /// storage (sweeps go over all of them).
    pub fn storages(&self) -> Vec<&dyn Storage> {
        std::iter::once(self.inner.storage.as_ref())
            .chain(self.inner.app_storage.values().map(|s| s.as_ref()))
            .chain(self.inner.landing.as_deref())
            .collect()
    }

    /// Parts and chunks this instance has stored since it started.
    pub fn received(&self) -> &received::Received {
        &self.inner.received
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

    /// Notified (`notify_waiters`) each time this instance records a part; held completes
    /// wait on it. Parts other instances record are not heard of here.
    pub(crate) fn parts_landed(&self) -> &tokio::sync::Notify {
        &self.inner.parts_landed
    }
}

/// The session and connection halves of the Cloud API over `store`.
fn cloud_parts(
    config: &Config,
    store: Arc<dyn cloud::store::CloudStore>,
    vault_key: &[u8; cloud::vault::KEY_LEN],
    clock: Arc<dyn Clock>,
) -> (cloud::sessions::Sessions, Arc<cloud::Connections>) {
    let earlier: Vec<[u8; cloud::vault::KEY_LEN]> = config
        .cloud
        .previous_vault_keys
        .iter()
        .filter_map(|k| cloud::vault::parse_key(&k.0).ok())
        .collect();
    let vault = cloud::vault::Vault::new(vault_key, &earlier);
    let secs = |s: u64| i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX);
    let sessions = cloud::sessions::Sessions::new(
        store.clone(),
        cloud::sessions::SessionTtl {
            idle_ms: secs(config.cloud.session_ttl_secs),
            max_ms: secs(config.cloud.session_max_secs),
        },
    );
    let callback = format!(
        "{}{}",
        config.public_url(),
        skiff_protocol::routes::CLOUD_AUTH_CALLBACK
    );
    let connections = Arc::new(cloud::Connections::new(store, vault, clock, callback));
    (sessions, connections)
}

/// A source built for one app: ((app key, name), source).
type AppSource = ((String, &'static str), Arc<dyn cloud::Source>);

/// A provider built for one app: ((app key, name), provider).
type AppProvider = ((String, &'static str), Arc<dyn cloud::provider::Provider>);

/// The providers apps configure their own keys for (`[apps.sources.<name>]`).
fn app_providers(config: &Config) -> Result<Vec<AppProvider>, String> {
    let mut out = Vec::new();
    for app in &config.apps {
        let Some(sources) = &app.sources else {
            continue;
        };
        for (name, base) in config.sources.oauth() {
            let (Some(o), Some(base)) = (sources.overrides(name), base) else {
                continue;
            };
            let p = cloud::providers::build(name, &o.apply(base))
                .map_err(|e| format!("app {} [apps.sources.{name}]: {e}", app.key))?;
            out.push(((app.key.clone(), name), p));
        }
    }
    Ok(out)
}

/// Unsplash with an app's own access key (`[apps.sources.unsplash] api_key`).
fn app_unsplash(config: &Config) -> Result<Vec<AppSource>, String> {
    let mut out = Vec::new();
    for app in &config.apps {
        let own = app.sources.as_ref().and_then(|s| s.overrides("unsplash"));
        let (Some(o), Some(base)) = (own, &config.sources.unsplash) else {
            continue;
        };
        let key = o.api_key.as_ref().unwrap_or(&base.api_key);
        let api = o.api_url.as_deref().or(base.api_url.as_deref());
        let source = cloud::UnsplashSource::new(&key.0, api)
            .map_err(|e| format!("app {} [apps.sources.unsplash]: {e}", app.key))?;
        out.push((
            (app.key.clone(), "unsplash"),
            Arc::new(source) as Arc<dyn cloud::Source>,
        ));
    }
    Ok(out)
}

/// Reads the vault key file, creating it on first run. A damaged one is an error, not
/// replaced: replacing it would lose every connection sealed with it.
fn load_or_create_vault_key(
    path: &std::path::Path,
) -> Result<[u8; cloud::vault::KEY_LEN], OpenError> {
    let err = |source| OpenError::Key {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            return cloud::vault::parse_key(&text)
                .map_err(|e| OpenError::Backend(format!("{}: {e}", path.display())));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e)),
    }
    let key: [u8; cloud::vault::KEY_LEN] = rand::random();
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, hex::encode(key)).map_err(err)?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)?;
    Ok(key)
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
