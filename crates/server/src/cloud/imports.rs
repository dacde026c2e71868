//! Byte progress of cloud imports in flight, a Skiff extension of `/store/`: the client names an
//! `import_id` of its choosing in the request and polls `GET /cloud/imports/{id}` while the import
//! runs (filestack-js sends no id and never asks). Entries belong to one app key, and are dropped
//! a while after the import ended, so the table stays small.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How long an ended import can still be asked about, ms.
pub const KEEP_ENDED_MS: i64 = 5 * 60_000;

/// Most imports tracked at once; past it, new ids are refused (a client inventing ids in a loop).
pub const MAX_TRACKED: usize = 10_000;

/// What a client sees of one import.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportStatus {
    /// Bytes stored so far.
    pub bytes: u64,
    /// The file's size, when the source said.
    pub size: Option<u64>,
    /// `running`, `done` or `failed`.
    pub state: &'static str,
}

/// One import's counter, held by the stream that stores it.
#[derive(Debug)]
pub struct Counter {
    bytes: AtomicU64,
}

impl Counter {
    /// Counts `n` more bytes stored.
    pub fn add(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }
}

#[derive(Debug)]
struct Entry {
    app: String,
    counter: Arc<Counter>,
    size: Option<u64>,
    ended: Option<(i64, bool)>,
}

/// The imports being tracked.
#[derive(Debug, Default)]
pub struct Imports {
    entries: Mutex<HashMap<String, Entry>>,
}

/// Why an import id was not taken.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Not 8–64 letters, digits, `-` or `_`.
    #[error("must be 8 to 64 letters, digits, `-` or `_`")]
    Malformed,
    /// Already tracked (a client reusing an id).
    #[error("is already in use")]
    Taken,
    /// Too many imports tracked.
    #[error("cannot be tracked now: too many imports are")]
    Full,
}

impl Imports {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts tracking import `id` of `app`, at `now` (ms); returns its counter.
    pub fn start(&self, id: &str, app: &str, now: i64) -> Result<Arc<Counter>, IdError> {
        let ok = (8..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(IdError::Malformed);
        }
        let mut entries = self.entries();
        entries.retain(|_, e| e.ended.is_none_or(|(at, _)| now - at < KEEP_ENDED_MS));
        if entries.contains_key(id) {
            return Err(IdError::Taken);
        }
        if entries.len() >= MAX_TRACKED {
            return Err(IdError::Full);
        }
        let counter = Arc::new(Counter {
            bytes: AtomicU64::new(0),
        });
        entries.insert(
            id.to_owned(),
            Entry {
                app: app.to_owned(),
                counter: counter.clone(),
                size: None,
                ended: None,
            },
        );
        Ok(counter)
    }

    /// The size of import `id`, once the source has said it.
    pub fn sized(&self, id: &str, size: Option<u64>) {
        if let Some(e) = self.entries().get_mut(id) {
            e.size = size;
        }
    }

    /// Import `id` ended at `now`, stored or not.
    pub fn end(&self, id: &str, stored: bool, now: i64) {
        if let Some(e) = self.entries().get_mut(id) {
            e.ended = Some((now, stored));
        }
    }

    /// Where import `id` of `app` is; none for an unknown id or another app's.
    pub fn status(&self, id: &str, app: &str) -> Option<ImportStatus> {
        let entries = self.entries();
        let e = entries.get(id).filter(|e| e.app == app)?;
        Some(ImportStatus {
            bytes: e.counter.bytes.load(Ordering::Relaxed),
            size: e.size,
            state: match e.ended {
                None => "running",
                Some((_, true)) => "done",
                Some((_, false)) => "failed",
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_is_seen_by_its_app_until_a_while_after_it_ended() {
        let imports = Imports::default();
        let c = imports.start("import-0001", "app", 0).unwrap();
        assert_eq!(imports.status("import-0001", "app").unwrap().size, None);
        imports.sized("import-0001", Some(10));
        c.add(4);
        assert_eq!(
            imports.status("import-0001", "app"),
            Some(ImportStatus {
                bytes: 4,
                size: Some(10),
                state: "running"
            })
        );
        assert_eq!(imports.status("import-0001", "other-app"), None);
        assert_eq!(
            imports.start("import-0001", "app", 1).err(),
            Some(IdError::Taken)
        );
        imports.end("import-0001", true, 100);
        assert_eq!(imports.status("import-0001", "app").unwrap().state, "done");
        // A later start sweeps what ended long enough ago.
        imports
            .start("import-0002", "app", 100 + KEEP_ENDED_MS)
            .unwrap();
        assert_eq!(imports.status("import-0001", "app"), None);
        imports.end("import-0002", false, 1);
        assert_eq!(
            imports.status("import-0002", "app").unwrap().state,
            "failed"
        );
    }

    #[test]
    fn ids_are_checked() {
        let imports = Imports::default();
        for bad in [
            "short",
            "has space in it",
            "ü-is-not-ascii",
            &"x".repeat(65),
        ] {
            assert_eq!(
                imports.start(bad, "a", 0).err(),
                Some(IdError::Malformed),
                "{bad}"
            );
        }
    }
}
