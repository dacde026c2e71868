//! Unfinished uploads kept across page loads (`resume`, on by default): each file's upload is
//! kept in IndexedDB under a fingerprint of the file from its start until it completes or is
//! cancelled; given the same file again (same name, size, last change, type, first and last
//! 64 KiB), `client.upload` hands the engine the checkpoint, and the engine asks the server what
//! it holds and sends the rest. The file's ends are read before its start only when a record
//! turns up, to compare with it; otherwise once the upload is under way (the record waits for
//! them). Writes go out in the background, in order (IndexedDB runs a store's read-write
//! transactions in the order they were made); a write that fails costs only the chance to
//! resume. Without IndexedDB, uploads run as before, and the console says so once.

use crate::model::checkpoint::{self, Record};
use crate::model::kept::{Kept, Write};
use crate::web::http::digest;
use crate::web::idb::Store;
use crate::web::js_value::describe;
use skiff_engine::{Checkpoint, Event, FileId};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use web_sys::Blob;

/// Bytes at each end of a file that its fingerprint covers.
const ENDS: u64 = 64 * 1024;

thread_local! {
    static SAID: Cell<bool> = const { Cell::new(false) };
    /// Keys of the uploads running in this page: the same file given again while its upload
    /// runs is a second upload, not the first one's to carry on.
    /// (A list: a page runs a handful, and a HashSet would bring its hasher into the wasm.)
    static RUNNING: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Adds `key` to `running` unless it is there; whether it was not.
fn claim(running: &mut Vec<String>, key: &str) -> bool {
    let free = !running.iter().any(|k| k == key);
    if free {
        running.push(key.to_owned());
    }
    free
}

/// What was found for one file: the key its upload is kept under, the kept upload with its
/// expiry, and the digest of the file's ends if they were read to compare with a record.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub(crate) key: Option<String>,
    pub(crate) kept: Option<(Checkpoint, f64)>,
    pub(crate) ends: Option<String>,
}

/// The kept uploads of one `client.upload` call, and the store they are written to. `kept` is
/// shared with the reads of files' ends that finish while the uploads run.
#[derive(Debug)]
pub(crate) struct Resumable {
    store: Store,
    kept: Rc<RefCell<Kept>>,
    /// Files whose ends are still to be read, once their starts are on their way.
    unread: Vec<(FileId, Blob)>,
}

impl Resumable {
    /// The store, or `None` when this browser keeps none here (said once in the console).
    async fn open() -> Option<Resumable> {
        match Store::shared().await {
            Ok(store) => Some(Resumable {
                store,
                kept: Rc::default(),
                unread: Vec::new(),
            }),
            Err(why) => {
                if !SAID.with(|s| s.replace(true)) {
                    crate::web::js_value::console_warn(&format!(
                        "uploads cannot be resumed after a reload here: {why}"
                    ));
                }
                None
            }
        }
    }

    /// The key of `blob`'s upload for this app and server (nothing of it is read).
    fn key_of(blob: &Blob, apikey: &str, upload_url: &str) -> String {
        let (name, modified, mime) = match wasm_bindgen::JsCast::dyn_ref::<web_sys::File>(blob) {
            Some(f) => (f.name(), f.last_modified(), f.type_()),
            None => (String::new(), 0.0, blob.type_()),
        };
        checkpoint::fingerprint(
            apikey,
            upload_url,
            &name,
            blob.size() as u64,
            modified,
            &mime,
        )
    }

    /// The digest of `blob`'s first and last 64 KiB, hashed as one (a Blob of the two slices),
    /// so one read serves both.
    async fn ends_of(blob: &Blob) -> Result<String, String> {
        let size = blob.size() as u64;
        let slice = |a: u64, b: u64| blob.slice_with_f64_and_f64(a as f64, b as f64);
        let head = slice(0, size.min(ENDS)).map_err(|e| describe(&e))?;
        let tail = slice(size.saturating_sub(ENDS), size).map_err(|e| describe(&e))?;
        let ends = Blob::new_with_blob_sequence(&js_sys::Array::of2(&head, &tail))
            .map_err(|e| describe(&e))?;
        digest(&ends, 0, ends.size() as u64).await
    }

    /// The record kept under `key`, if any and not expired.
    async fn find(&self, key: &str) -> Option<Record> {
        let text = self.store.get(key).await.ok()??;
        checkpoint::from_json(&text, js_sys::Date::now())
    }

    /// Finds the kept upload of each file (as (blob, app key, upload URL), or `None` for a file
    /// not kept: `resume` off, or see [`checkpoint::worth_keeping`]), with the key each is kept
    /// under from now on. The store is not opened when no file is kept; a file's ends are read
    /// only when a record is found for it, to tell whether it is the same file.
    pub(crate) async fn prepare(
        files: Vec<Option<(Blob, String, String)>>,
    ) -> (Option<Resumable>, Vec<Found>) {
        let store = match files.iter().any(Option::is_some) {
            true => Resumable::open().await,
            false => None,
        };
        let mut found = Vec::new();
        for file in files {
            let mut f = Found::default();
            if let (Some(r), Some((blob, apikey, url))) = (&store, file) {
                let key = Resumable::key_of(&blob, &apikey, &url);
                // Claimed at once: the same file given again while this upload runs (in this
                // call or another) is another upload, started afresh and not kept.
                if RUNNING.with(|r| claim(&mut r.borrow_mut(), &key)) {
                    if let Some(record) = r.find(&key).await {
                        // Unreadable ends: the upload will say why; it is not carried on.
                        f.ends = Resumable::ends_of(&blob).await.ok();
                        if f.ends.as_ref() == Some(&record.ends) {
                            f.kept = Some((record.checkpoint, record.expires));
                        }
                    }
                    f.key = Some(key);
                }
            }
            found.push(f);
        }
        (store, found)
    }

    /// `file`'s upload no longer runs in this page.
    fn release(&self, file: FileId) {
        if let Some(key) = self.kept.borrow().key(file) {
            RUNNING.with(|r| r.borrow_mut().retain(|k| k != key));
        }
    }

    /// `file`'s upload (of `blob`) is kept under `found.key` from now on, if it has one. Where
    /// its ends were not read before its start, [`Resumable::read_ends`] reads them, and its
    /// record is written once they are.
    pub(crate) fn track(&mut self, file: FileId, found: Found, blob: &Blob) {
        let Some(key) = found.key else { return };
        if found.ends.is_none() {
            self.unread.push((file, blob.clone()));
        }
        self.kept
            .borrow_mut()
            .track(file, key, found.kept, found.ends);
    }

    /// Reads, in the background, the ends of the files tracked without them. Called once the
    /// uploads' first requests are spawned, so that these reads queue behind them: slicing a
    /// file from disk and joining the slices costs the page's thread 1–2 ms before anything is
    /// read, which start would otherwise wait for, and the read then overlaps start's round trip.
    pub(crate) fn read_ends(&mut self) {
        for (file, blob) in self.unread.drain(..) {
            let (kept, store) = (self.kept.clone(), self.store.clone());
            wasm_bindgen_futures::spawn_local(async move {
                // Unreadable ends: the upload's own reads will fail and say why; nothing is kept.
                let Ok(ends) = Resumable::ends_of(&blob).await else {
                    return;
                };
                let write = kept.borrow_mut().ends_read(file, ends);
                if let Some(write) = write {
                    Resumable::write(&store, write).await;
                }
            });
        }
    }

    /// Writes what `event` changes of the kept uploads (`crate::model::kept`), in the
    /// background; a file that completed, was cancelled or failed no longer runs here.
    pub(crate) fn on_event(&mut self, event: &Event) {
        if let Event::FileDone { file, .. }
        | Event::Cancelled { file }
        | Event::FileFailed { file, .. } = event
        {
            self.release(*file);
        }
        let Some(write) = self.kept.borrow_mut().on_event(event, js_sys::Date::now()) else {
            return;
        };
        let store = self.store.clone();
        wasm_bindgen_futures::spawn_local(async move { Resumable::write(&store, write).await });
    }

    /// Carries out `write`; a failure costs only the chance to resume.
    async fn write(store: &Store, write: Write) {
        let _ = match write {
            Write::Put { key, text } => store.put(&key, &text).await,
            Write::Delete { key } => store.delete(&key).await,
        };
    }
}

/// Forgets every kept upload (`client.clearResumableUploads()`).
pub(crate) async fn clear() -> Result<(), String> {
    Store::shared().await?.clear().await
}
