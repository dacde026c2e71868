//! Reads in progress, so that deleting or replacing an object never cuts one short.
//!
//! A read opens an object's segments one by one as it reaches them: opening them all up front
//! would hold one file descriptor per part, thousands for a big upload. A delete that removed the
//! folder meanwhile would fail the read at its next segment; a download of a file whose transfer
//! to another location has just finished, for one. So a delete renames the folder out of the way
//! (a read that starts afterwards finds nothing) and, while reads of it run, leaves its removal to
//! the last of them. The table is per process; the folder a delete moves is named `.tmp-*`, which
//! [`super::FsStorage::open`] removes after a crash.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The objects being read, shared by every clone of one [`super::FsStorage`].
#[derive(Debug, Default, Clone)]
pub(super) struct Reads(Arc<Mutex<Table>>);

#[derive(Debug, Default)]
struct Table {
    /// Objects still in place with reads running: name → key in `held`.
    live: HashMap<String, u64>,
    /// Every folder with reads running, including those a delete has moved.
    held: HashMap<u64, Held>,
    next: u64,
}

#[derive(Debug)]
struct Held {
    /// Where the object's files are now.
    dir: PathBuf,
    reads: usize,
    /// Moved away by a delete: the last read removes `dir`.
    deleted: bool,
}

/// One read of one object; the files it opens come from wherever the object's folder is now.
#[derive(Debug)]
pub(super) struct Lease {
    reads: Reads,
    key: u64,
    name: String,
}

impl Reads {
    fn lock(&self) -> MutexGuard<'_, Table> {
        // The table stays consistent between statements, so a panic elsewhere does not spoil it.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a read of object `name`, whose folder is `dir`.
    pub(super) fn begin(&self, name: &str, dir: PathBuf) -> Lease {
        let mut t = self.lock();
        let key = match t.live.get(name) {
            Some(&key) => key,
            None => {
                let key = t.next;
                t.next += 1;
                t.live.insert(name.to_owned(), key);
                t.held.insert(
                    key,
                    Held {
                        dir,
                        reads: 0,
                        deleted: false,
                    },
                );
                key
            }
        };
        if let Some(held) = t.held.get_mut(&key) {
            held.reads += 1;
        }
        Lease {
            reads: self.clone(),
            key,
            name: name.to_owned(),
        }
    }

    /// Takes object `name` (folder `dir`) out of place by renaming it to `trash`. Returns the
    /// folder to remove now, or `None` when there is nothing to remove yet: the object was not
    /// there, or reads of it are running and the last one removes it. Blocking.
    pub(super) fn take_away(
        &self,
        name: &str,
        dir: &Path,
        trash: PathBuf,
    ) -> io::Result<Option<PathBuf>> {
        // Under the lock, so no read opens a file between the rename and the table's update.
        let mut t = self.lock();
        match std::fs::rename(dir, &trash) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        }
        let Some(key) = t.live.remove(name) else {
            return Ok(Some(trash));
        };
        if let Some(held) = t.held.get_mut(&key) {
            held.dir = trash;
            held.deleted = true;
        }
        Ok(None)
    }
}

impl Lease {
    /// Opens `file` in the object's folder. Blocking.
    pub(super) fn open(&self, file: &str) -> io::Result<File> {
        let t = self.reads.lock();
        let dir = t
            .held
            .get(&self.key)
            .map(|h| h.dir.join(file))
            .ok_or_else(|| io::Error::other("read of an object no longer held"))?;
        File::open(dir)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let remove = {
            let mut t = self.reads.lock();
            let Some(held) = t.held.get_mut(&self.key) else {
                return;
            };
            held.reads -= 1;
            if held.reads > 0 {
                return;
            }
            let held = t.held.remove(&self.key).expect("just seen");
            if !held.deleted {
                t.live.remove(&self.name);
                return;
            }
            held.dir
        };
        let gone = move || {
            let _ = std::fs::remove_dir_all(&remove);
        };
        // Removing thousands of segment links blocks; keep it off the runtime's threads.
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(gone)),
            Err(_) => gone(),
        }
    }
}
