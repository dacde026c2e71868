//! Unfinished uploads kept across page loads (`resume`, on by default): each file's upload is
//! kept in IndexedDB under a fingerprint of the file from its start until it completes or is
//! cancelled; given the same file again (same name, size, last change, type, first and last
//! 64 KiB), `client.upload` hands the engine the checkpoint, and the engine asks the server what
//! it holds and sends the rest. Writes go out in the background, in order (IndexedDB runs a
//! store's read-write transactions in the order they were made); a write that fails costs only
//! the chance to resume. Without IndexedDB, uploads run as before, and the console says so once.

use crate::model::checkpoint;
use crate::model::kept::{Kept, Write};
use crate::web::http::digest;
use crate::web::idb::Store;
use crate::web::js_value::describe;
use skiff_engine::{Checkpoint, Event, FileId};
use std::cell::{Cell, RefCell};
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

/// What was found for one file: the key its upload is kept under, and the kept upload with its
/// expiry.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub(crate) key: Option<String>,
    pub(crate) kept: Option<(Checkpoint, f64)>,
}

/// The kept uploads of one `client.upload` call, and the store they are written to.
#[derive(Debug)]
pub(crate) struct Resumable {
    store: Store,
    kept: Kept,
}

impl Resumable {
    /// The store, or `None` when this browser keeps none here (said once in the console).
    async fn open() -> Option<Resumable> {
        match Store::shared().await {
            Ok(store) => Some(Resumable {
                store,
                kept: Kept::default(),
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

    /// The fingerprint of `blob` for this app and server; its first and last 64 KiB are hashed
    /// as one (a Blob of the two slices), so one digest call serves both.
    async fn key_of(blob: &Blob, apikey: &str, upload_url: &str) -> Result<String, String> {
        let size = blob.size() as u64;
        let slice = |a: u64, b: u64| blob.slice_with_f64_and_f64(a as f64, b as f64);
        let head = slice(0, size.min(ENDS)).map_err(|e| describe(&e))?;
        let tail = slice(size.saturating_sub(ENDS), size).map_err(|e| describe(&e))?;
        let ends = Blob::new_with_blob_sequence(&js_sys::Array::of2(&head, &tail))
            .map_err(|e| describe(&e))?;
        let ends = digest(&ends, 0, ends.size() as u64).await?;
        let (name, modified, mime) = match wasm_bindgen::JsCast::dyn_ref::<web_sys::File>(blob) {
            Some(f) => (f.name(), f.last_modified(), f.type_()),
            None => (String::new(), 0.0, blob.type_()),
        };
        Ok(checkpoint::fingerprint(
            apikey, upload_url, &name, size, modified, &mime, &ends,
        ))
    }

    /// The kept upload under `key` and its expiry, if any and not expired.
    async fn find(&self, key: &str) -> Option<(Checkpoint, f64)> {
        let text = self.store.get(key).await.ok()??;
        checkpoint::from_json(&text, js_sys::Date::now())
    }

    /// Finds the kept upload of each file (as (blob, app key, upload URL), or `None` for a file
    /// not kept: `resume` off, or see [`checkpoint::worth_keeping`]), with the key each is kept
    /// under from now on. The store is not opened when no file is kept.
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
                let key = Resumable::key_of(&blob, &apikey, &url).await.ok();
                // Claimed at once: the same file given again while this upload runs (in this
                // call or another) is another upload, started afresh and not kept.
                f.key = key.filter(|k| RUNNING.with(|r| claim(&mut r.borrow_mut(), k)));
                if let Some(key) = &f.key {
                    f.kept = r.find(key).await;
                }
            }
            found.push(f);
        }
        (store, found)
    }

    /// `file`'s upload no longer runs in this page.
    fn release(&self, file: FileId) {
        if let Some(key) = self.kept.key(file) {
            RUNNING.with(|r| r.borrow_mut().retain(|k| k != key));
        }
    }

    /// `file`'s upload is kept under `key` from now on; `found` is what was kept there before.
    pub(crate) fn track(&mut self, file: FileId, key: String, found: Option<(Checkpoint, f64)>) {
        self.kept.track(file, key, found);
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
        let Some(write) = self.kept.on_event(event, js_sys::Date::now()) else {
            return;
        };
        let store = self.store.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = match write {
                Write::Put { key, text } => store.put(&key, &text).await,
                Write::Delete { key } => store.delete(&key).await,
            };
        });
    }
}

/// Forgets every kept upload (`client.clearResumableUploads()`).
pub(crate) async fn clear() -> Result<(), String> {
    Store::shared().await?.clear().await
}
