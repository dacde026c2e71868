//! Where sessions, file records and the webhook outbox live: `[state]`.

use super::{ConfigError, Secret};
use serde::Deserialize;
use std::path::PathBuf;

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
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
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
