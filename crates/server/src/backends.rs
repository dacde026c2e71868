//! Choosing the storage and state backends that the config's `[storage]` and `[state]`
//! sections name.
//!
//! Each backend sits behind a cargo feature of the same name (`fs`, `sqlite` and `postgres` are
//! on by default), so a build carries only the backends it needs. A new one (an `s3` storage, a
//! `postgres` state) adds a row to [`STORAGE`] or [`STATE`], an arm to [`open_storage`] or
//! [`open_state`] under its feature, and runs the conformance suites (the `conformance`
//! feature exports them to backends kept in other crates).

use crate::OpenError;
use crate::state::StateStore;
use crate::storage::Storage;
use std::path::Path;
use std::sync::Arc;

/// A backend the server knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backend {
    /// The `kind` that names it in the config (and its cargo feature).
    pub kind: &'static str,
    /// Whether this build includes it.
    pub compiled: bool,
}

/// Storage backends.
pub const STORAGE: &[Backend] = &[Backend {
    kind: "fs",
    compiled: cfg!(feature = "fs"),
}];

/// State backends.
pub const STATE: &[Backend] = &[
    Backend {
        kind: "sqlite",
        compiled: cfg!(feature = "sqlite"),
    },
    Backend {
        kind: "postgres",
        compiled: cfg!(feature = "postgres"),
    },
];

/// Checks that `kind` names a backend of `section` that this build includes; the error names
/// the setting and says what to do.
fn check(section: &str, kind: &str, known: &[Backend]) -> Result<(), String> {
    match known.iter().find(|b| b.kind == kind) {
        Some(b) if b.compiled => Ok(()),
        Some(b) => Err(format!(
            "[{section}] kind = {kind:?}: this build of skiff-server leaves that backend out; \
             build it with the cargo feature `{}`",
            b.kind
        )),
        None => {
            let names: Vec<String> = known.iter().map(|b| format!("{:?}", b.kind)).collect();
            Err(format!(
                "[{section}] kind = {kind:?} is not a {section} backend (known: {})",
                names.join(", ")
            ))
        }
    }
}

/// Checks `[storage] kind`.
pub fn check_storage(kind: &str) -> Result<(), String> {
    check("storage", kind, STORAGE)
}

/// Checks `[state] kind`.
pub fn check_state(kind: &str) -> Result<(), String> {
    check("state", kind, STATE)
}

/// Opens the storage backend of `kind` at `path` (`Config::storage_path`). Takes the two values
/// rather than the config, so that the config can check kinds here without the two modules
/// depending on each other.
#[cfg_attr(not(feature = "fs"), allow(unused_variables))] // `path` is read by the fs arm only
pub fn open_storage(kind: &str, path: &Path) -> Result<Arc<dyn Storage>, OpenError> {
    check_storage(kind).map_err(OpenError::Backend)?;
    match kind {
        #[cfg(feature = "fs")]
        "fs" => Ok(Arc::new(crate::storage::FsStorage::open(path)?)),
        other => Err(OpenError::Backend(format!(
            "[storage] kind = {other:?} cannot be opened"
        ))),
    }
}

/// Opens the state backend of `kind` at `path` (`Config::state_path`) or `url` (`[state] url`).
#[cfg_attr(
    not(all(feature = "sqlite", feature = "postgres")),
    allow(unused_variables) // `path` is read by the sqlite arm only, `url` by the postgres one
)]
pub fn open_state(
    kind: &str,
    path: &Path,
    url: Option<&str>,
) -> Result<Arc<dyn StateStore>, OpenError> {
    check_state(kind).map_err(OpenError::Backend)?;
    match kind {
        #[cfg(feature = "sqlite")]
        "sqlite" => Ok(Arc::new(crate::state::SqliteState::open(path)?)),
        // Connects and migrates now, so a wrong URL or a database that is down stops the start.
        #[cfg(feature = "postgres")]
        "postgres" => {
            let url = url.ok_or_else(|| OpenError::Backend("[state] url is missing".into()))?;
            let state = crate::state::PostgresState::open(url)
                .map_err(|e| OpenError::Backend(e.to_string()))?;
            Ok(Arc::new(state))
        }
        other => Err(OpenError::Backend(format!(
            "[state] kind = {other:?} cannot be opened"
        ))),
    }
}

/// The Cloud API's store next to the state `kind` names: SQLite tables in the same database
/// file, or memory for a memory state.
pub fn open_cloud_store(
    kind: &str,
    path: &Path,
) -> Result<Arc<dyn crate::cloud::store::CloudStore>, OpenError> {
    match kind {
        #[cfg(feature = "sqlite")]
        "sqlite" => Ok(Arc::new(crate::cloud::store::SqliteCloudStore::open(path)?)),
        _ => {
            let _ = path;
            Ok(Arc::new(crate::cloud::store::MemoryCloudStore::default()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_setting() {
        let missing = [Backend {
            kind: "s3",
            compiled: false,
        }];
        let err = check("storage", "s3", &missing).unwrap_err();
        assert!(err.contains("[storage] kind = \"s3\"") && err.contains("feature `s3`"));
        let err = check("state", "mongo", STATE).unwrap_err();
        assert!(err.contains("[state] kind = \"mongo\"") && err.contains("\"sqlite\""));
        #[cfg(all(feature = "fs", feature = "sqlite"))]
        assert_eq!(
            (check_storage("fs"), check_state("sqlite")),
            (Ok(()), Ok(()))
        );
    }
}
