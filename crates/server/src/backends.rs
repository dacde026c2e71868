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
use crate::storage::{S3SetupError, S3Storage, S3StorageSettings, Storage};
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

/// Storage backends. `s3` has no feature of its own: object_store (with S3) is always built,
/// for the bucket cloud source.
pub const STORAGE: &[Backend] = &[
    Backend {
        kind: "fs",
        compiled: cfg!(feature = "fs"),
    },
    Backend {
        kind: "s3",
        compiled: true,
    },
    // A location only (`[locations.<name>]`); the config refuses it for `[storage]`.
    Backend {
        kind: "azure",
        compiled: true,
    },
];

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

/// Checks that `kind` names a `what` backend that this build includes; the error names the
/// setting as `section` (`[storage]`, `[locations.archive]`, …) and says what to do.
fn check(section: &str, what: &str, kind: &str, known: &[Backend]) -> Result<(), String> {
    match known.iter().find(|b| b.kind == kind) {
        Some(b) if b.compiled => Ok(()),
        Some(b) => Err(format!(
            "{section} kind = {kind:?}: this build of skiff-server leaves that backend out; \
             build it with the cargo feature `{}`",
            b.kind
        )),
        None => {
            let names: Vec<String> = known.iter().map(|b| format!("{:?}", b.kind)).collect();
            Err(format!(
                "{section} kind = {kind:?} is not a {what} backend (known: {})",
                names.join(", ")
            ))
        }
    }
}

/// Checks the `kind` of a storage section: `[storage]`, an app's `[apps.storage]` or a
/// `[locations.<name>]`, as `section` names it.
pub fn check_storage(section: &str, kind: &str) -> Result<(), String> {
    check(section, "storage", kind, STORAGE)
}

/// Checks `[state] kind`.
pub fn check_state(kind: &str) -> Result<(), String> {
    check("[state]", "state", kind, STATE)
}

/// Opens the storage backend of `kind` that the config's `section` names, at `path`
/// (`Config::storage_path`), on the bucket of `s3` (`StorageConfig::s3_settings`) or in the
/// container of `azure`; messages name the setting as in `section`. Takes these values rather than the config, so that the
/// config can check kinds here without the two modules depending on each other.
#[cfg_attr(not(feature = "fs"), allow(unused_variables))] // `path` is read by the fs arm only
pub fn open_storage(
    section: &str,
    kind: &str,
    path: &Path,
    s3: Option<&S3StorageSettings>,
    azure: Option<&crate::storage::AzureSettings>,
) -> Result<Arc<dyn Storage>, OpenError> {
    check_storage(section, kind).map_err(OpenError::Backend)?;
    match kind {
        #[cfg(feature = "fs")]
        "fs" => Ok(Arc::new(crate::storage::FsStorage::open(path)?)),
        "s3" => {
            let s = s3.ok_or_else(|| {
                OpenError::Backend(format!("{section} the s3 settings are missing"))
            })?;
            let named = |e: S3SetupError| OpenError::Backend(format!("{section} {e}"));
            // Wrong credentials or a missing bucket stop the start: one listing, now. This
            // function is not async, so the check runs on a client and runtime of its own; the
            // serving client is made afresh, not bound to a runtime that ends here.
            apart(
                async {
                    S3Storage::new(s)
                        .map_err(named)?
                        .check()
                        .await
                        .map_err(named)
                },
                |why| OpenError::Backend(format!("{section} {why}")),
            )?;
            Ok(Arc::new(S3Storage::new(s).map_err(named)?))
        }
        "azure" => {
            let s = azure.ok_or_else(|| {
                OpenError::Backend(format!("{section} the azure settings are missing"))
            })?;
            let named = |e: String| OpenError::Backend(format!("{section} {e}"));
            // As for s3: a missing container or a wrong key stops the start.
            apart(
                async {
                    crate::storage::AzureStorage::new(s)
                        .map_err(named)?
                        .check()
                        .await
                        .map_err(named)
                },
                |why| OpenError::Backend(format!("{section} {why}")),
            )?;
            Ok(Arc::new(
                crate::storage::AzureStorage::new(s).map_err(named)?,
            ))
        }
        other => Err(OpenError::Backend(format!(
            "{section} kind = {other:?} cannot be opened"
        ))),
    }
}

/// Runs `work` to its end on a thread and a runtime of its own. The start-up checks are async,
/// [`crate::AppState::open`] is not, and it may be called from inside a runtime, where blocking
/// on a future would panic; `failed` words what stops the thread or its runtime.
pub(crate) fn apart<T: Send, E: Send>(
    work: impl std::future::Future<Output = Result<T, E>> + Send,
    failed: impl Fn(String) -> E + Sync,
) -> Result<T, E> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| failed(format!("cannot start a runtime: {e}")))?
                    .block_on(work)
            })
            .join()
            .unwrap_or_else(|_| Err(failed("the start-up check panicked".into())))
    })
}

/// The stores the `[state]` section opens: the upload state and the Cloud API's store, kept
/// together (in one SQLite file or one PostgreSQL database), so that instances sharing one share
/// the other.
#[derive(Debug)]
pub struct States {
    /// Upload sessions, files, webhooks.
    pub state: Arc<dyn StateStore>,
    /// Picker sessions, sign-in flows, sealed provider tokens.
    pub cloud: Arc<dyn crate::cloud::store::CloudStore>,
}

/// Opens the state backend of `kind` at `path` (`Config::state_path`) or `url` (`[state] url`).
#[cfg_attr(
    not(all(feature = "sqlite", feature = "postgres")),
    allow(unused_variables) // `path` is read by the sqlite arm only, `url` by the postgres one
)]
pub fn open_state(kind: &str, path: &Path, url: Option<&str>) -> Result<States, OpenError> {
    check_state(kind).map_err(OpenError::Backend)?;
    match kind {
        #[cfg(feature = "sqlite")]
        "sqlite" => Ok(States {
            state: Arc::new(crate::state::SqliteState::open(path)?),
            cloud: Arc::new(crate::cloud::store::SqliteCloudStore::open(path)?),
        }),
        // Connects and migrates now, so a wrong URL or a database that is down stops the start.
        #[cfg(feature = "postgres")]
        "postgres" => {
            let url = url.ok_or_else(|| OpenError::Backend("[state] url is missing".into()))?;
            let state = Arc::new(
                crate::state::PostgresState::open(url)
                    .map_err(|e| OpenError::Backend(e.to_string()))?,
            );
            Ok(States {
                state: state.clone(),
                cloud: state,
            })
        }
        other => Err(OpenError::Backend(format!(
            "[state] kind = {other:?} cannot be opened"
        ))),
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
        let err = check("[storage]", "storage", "s3", &missing).unwrap_err();
        assert!(err.contains("[storage] kind = \"s3\"") && err.contains("feature `s3`"));
        let err = check("[state]", "state", "mongo", STATE).unwrap_err();
        assert!(err.contains("[state] kind = \"mongo\"") && err.contains("\"sqlite\""));
        #[cfg(all(feature = "fs", feature = "sqlite"))]
        assert_eq!(
            (check_storage("[storage]", "fs"), check_state("sqlite")),
            (Ok(()), Ok(()))
        );
    }

    #[tokio::test]
    async fn an_s3_storage_opens_on_its_bucket_and_a_wrong_secret_stops_the_start() {
        use crate::storage::seaweed::{self, ACCESS_KEY, REGION, SECRET_KEY};
        let Some(bucket) = seaweed::bucket("backends").await else {
            return;
        };
        let settings = S3StorageSettings {
            endpoint: Some(bucket.endpoint.clone()),
            region: REGION.into(),
            bucket: bucket.name.clone(),
            prefix: Some("skiff".into()),
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: crate::config::Secret(SECRET_KEY.into()),
            path_style: true,
        };
        let unused = Path::new("unused");
        let storage = open_storage("[storage]", "s3", unused, Some(&settings), None).unwrap();
        assert_eq!(storage.location(), "S3");
        let wrong = S3StorageSettings {
            secret_access_key: crate::config::Secret("not-the-secret".into()),
            ..settings.clone()
        };
        let e = open_storage("[storage]", "s3", unused, Some(&wrong), None)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("[storage] secret_access_key"), "{e}");
        assert!(!e.contains("not-the-secret"), "no secret in {e}");
        let missing = S3StorageSettings {
            bucket: format!("{}-absent", bucket.name),
            ..settings
        };
        let e = open_storage("[storage]", "s3", unused, Some(&missing), None)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("[storage] bucket"), "{e}");
    }
}
