//! The checks a [`Config`] passes before the server starts: settings that would otherwise fail
//! later, or silently.

use super::{AppSources, Config, ConfigError, OWN_LOCATIONS, StorageConfig, app_storage_section};

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
