//! The picker's running uploads: starting each queued file (an upload task for a local file, a
//! `/process` call for a link, a `/store/` import for a cloud file) within the concurrency, its commands (pause, resume, cancel), the
//! callbacks of its start, progress and end, and reporting the end of the round.

use super::bridge::{self, Hooks, file_object};
use super::hook::Hook;
use super::picked::{self, Came, Files};
use super::sel::Sel;
use super::{Exit, Setup};
use super::{folders, imports};
use crate::js_api::shapes;
use crate::model::failure::{self, Failure};
use crate::model::options::UploadOptions;
use crate::model::selection::{Action, Entry, EntryId, Origin, Phase, Rate, Selection};
use crate::upload::driver::{Callbacks, Command, Listener, Msg};
use crate::upload::events::{FileOutcome, Progress};
use crate::upload::start::{self, FileInput};
use crate::web::js_value::console_warn;
use futures_channel::mpsc::UnboundedSender;
use futures_util::StreamExt;
use futures_util::future::{Either, select};
use serde_json::Value;
use skiff_engine::IdMap;
use skiff_protocol::UploadTags;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// A file's speed and time left show once its upload has run this long, ms.
const PACE_AFTER_MS: f64 = 3_000.0;

/// The command queue of each running upload, by entry.
pub(crate) type Tasks = Rc<RefCell<IdMap<EntryId, UnboundedSender<Msg>>>>;

/// Sends `c` to the upload of `id`, if it runs.
pub(crate) fn command(tasks: &Tasks, id: EntryId, c: Command) {
    if let Some(tx) = tasks.borrow().get(&id) {
        let _ = tx.unbounded_send(Msg::Command(c));
    }
}

/// Cancels every running upload.
pub(crate) fn cancel_all(tasks: &Tasks) {
    for tx in tasks.borrow().values() {
        let _ = tx.unbounded_send(Msg::Command(Command::Cancel));
    }
}

/// What starting and ending uploads needs: the picker's handles (cheap clones).
#[derive(Clone)]
pub(crate) struct Uploads {
    pub(crate) setup: Rc<Setup>,
    pub(crate) sel: UseReducerHandle<Sel>,
    pub(crate) files: Files,
    pub(crate) tasks: Tasks,
    /// Per-file commands (for the token `onFileUploadStarted` gets).
    pub(crate) act: Callback<Action>,
    /// `onUploadStarted` was called for this round.
    pub(crate) announced: Rc<RefCell<bool>>,
    /// The next entry id (a picked folder's files get theirs when they are listed).
    pub(crate) next: Rc<RefCell<EntryId>>,
}

/// How one file's upload ended, for the selection and the app's callbacks.
enum Ended {
    /// Stored: the file as the selection keeps it.
    Stored(Value),
    /// Failed: why.
    Failed(Failure),
    /// Cancelled by the user or the app.
    Cancelled,
}

impl Uploads {
    /// After a change of the selection `s`: starts what may start, and reports the end of the
    /// round once everything has ended.
    pub(crate) fn advance(&self, s: &Selection) {
        let ids = s.startable();
        if !ids.is_empty() && !self.announced.replace(true) {
            let queued = bridge::file_list(s.entries.iter().filter(|e| e.phase == Phase::Queued));
            self.setup.hooks.call(Hook::UploadStarted, &[queued.into()]);
        }
        for id in ids {
            if let Some(e) = s.entries.iter().find(|e| e.id == id) {
                self.sel.dispatch(Action::Began(id));
                self.begin(e.clone());
            }
        }
        if s.finished() {
            *self.announced.borrow_mut() = false;
            self.sel.dispatch(Action::Reported);
            finish(&self.setup, s);
        }
    }

    /// The end of the upload of `e`: into the selection, and to the app.
    fn ended(&self, e: &Entry, r: Ended) {
        let (id, hooks) = (e.id, &self.setup.hooks);
        self.tasks.borrow_mut().remove(&id);
        match r {
            Ended::Stored(v) => {
                let mut done = e.clone();
                done.phase = Phase::Done(v.clone());
                self.sel.dispatch(Action::Ended(id, Ok(v)));
                hooks.call(Hook::FileUploadFinished, &[file_object(&done, None)]);
            }
            Ended::Cancelled => {
                self.sel.dispatch(Action::Cancelled(id));
                hooks.call(Hook::FileUploadCancel, &[file_object(e, None)]);
            }
            Ended::Failed(f) => {
                // The row shows people a short sentence; developers get the technical message
                // (request, status, code) here and in the app's callback.
                console_warn(&format!("{} failed: {}", e.name, f.detail));
                let error = shapes::error(&f);
                self.sel.dispatch(Action::Ended(id, Err(f)));
                hooks.call(Hook::FileUploadFailed, &[file_object(e, None), error]);
            }
        }
    }

    /// Lists a picked folder's files, which then take its place (and start like any file).
    /// A cancel while it lists leaves the folder cancelled: the listing is then ignored.
    fn expand(&self, e: Entry) {
        let Origin::Cloud(source, path) = e.origin else {
            return;
        };
        let s = &self.sel.0;
        // What maxFiles leaves (the folder itself counts as one file until it is listed).
        let room = (s.rules.max_files as usize + 1).saturating_sub(s.counted());
        let limit = room.min(folders::FOLDER_LIMIT);
        let this = self.clone();
        spawn_local(async move {
            let listed = folders::files_in(&this.setup, source, path, limit).await;
            let files = listed.map(|items| {
                items
                    .into_iter()
                    .map(|item| picked::cloud(this.next.replace_with(|n| *n + 1), source, item))
                    .collect()
            });
            if let Err(f) = &files {
                console_warn(&format!("{} failed: {}", e.name, f.detail));
            }
            this.sel.dispatch(Action::Expanded(e.id, files));
        });
    }

    /// Starts uploading one file.
    fn begin(&self, e: Entry) {
        if e.origin.is_folder() {
            return self.expand(e);
        }
        let setup = &self.setup;
        let obj = file_object(&e, None);
        let tags = match tags_for(&setup.opts.upload_config, &setup.hooks, &obj) {
            Ok(t) => t,
            Err(m) => {
                return self.ended(&e, Ended::Failed(Failure::local(Some("invalid_tags"), m)));
            }
        };
        let security = setup
            .client
            .security
            .clone()
            .map(|s| (s.policy, s.signature));
        match e.origin.clone() {
            Origin::Url(url) => {
                setup.hooks.call(Hook::FileUploadStarted, &[obj]);
                let call = start::store_url(
                    &setup.client,
                    &url,
                    &setup.opts.store_to,
                    Some(tags),
                    security,
                );
                // The server's fetch cannot be stopped, but a cancel ends the file at once.
                self.run_cancellable(e, Box::pin(call), Box::new(|| {}));
            }
            Origin::Cloud(source, path) => {
                setup
                    .hooks
                    .call(Hook::FileUploadStarted, std::slice::from_ref(&obj));
                let progress = {
                    let (sel, hooks, id, size) =
                        (self.sel.clone(), setup.hooks.clone(), e.id, e.size);
                    move |bytes: u64, total: Option<u64>| {
                        let total = total.unwrap_or(size).max(1);
                        let percent = (bytes.min(total) * 100 / total) as u8;
                        progressed(&sel, &hooks, &obj, id, (bytes, percent, None));
                    }
                };
                // A cancel aborts the request: the server stops reading and keeps nothing.
                let abort = web_sys::AbortController::new().ok();
                let signal = abort.as_ref().map(|a| a.signal());
                let name = setup.opts.store_to.clean_name(&e.name);
                let call =
                    imports::import(setup.clone(), source, path, name, tags, signal, progress);
                self.run_cancellable(
                    e,
                    Box::pin(call),
                    Box::new(move || {
                        if let Some(a) = abort {
                            a.abort();
                        }
                    }),
                );
            }
            Origin::Local => self.begin_local(e, obj, tags, security),
        }
    }

    /// Runs the request of a link or a cloud file until it ends or the file is cancelled
    /// (`on_cancel` then stops it where it can).
    /// Boxed, not generic: one copy of this state machine serves links and cloud files.
    fn run_cancellable(
        &self,
        e: Entry,
        call: std::pin::Pin<Box<dyn std::future::Future<Output = Result<Value, Failure>>>>,
        on_cancel: Box<dyn FnOnce()>,
    ) {
        let (tx, mut rx) = futures_channel::mpsc::unbounded::<Msg>();
        self.tasks.borrow_mut().insert(e.id, tx);
        let this = self.clone();
        spawn_local(async move {
            let cancelled = async move {
                while let Some(m) = rx.next().await {
                    if matches!(m, Msg::Command(Command::Cancel)) {
                        return;
                    }
                }
                std::future::pending::<()>().await;
            };
            let r = match select(call, Box::pin(cancelled)).await {
                Either::Left((Ok(v), _)) => Ended::Stored(v),
                Either::Left((Err(m), _)) => Ended::Failed(m),
                Either::Right(_) => {
                    on_cancel();
                    Ended::Cancelled
                }
            };
            this.ended(&e, r)
        });
    }

    /// Starts the upload task of a local file.
    fn begin_local(
        &self,
        e: Entry,
        obj: JsValue,
        tags: UploadTags,
        security: Option<(String, String)>,
    ) {
        let (setup, id) = (&self.setup, e.id);
        let Some((blob, came)) = self
            .files
            .borrow()
            .get(&id)
            .map(|p| (p.file.clone(), p.came))
        else {
            let gone = Failure::local(
                Some(failure::FILE_UNAVAILABLE),
                "the file is no longer available",
            );
            return self.ended(&e, Ended::Failed(gone));
        };
        let up = &setup.opts.upload_config.for_picked(came == Came::Device);
        let progress: Listener<Progress> = {
            let (sel, hooks, obj) = (self.sel.clone(), setup.hooks.clone(), obj.clone());
            let last = Cell::new(u64::MAX);
            let began = js_sys::Date::now();
            Box::new(move |p: &Progress| {
                let (percent, bytes) = bridge::percent_and_bytes(p);
                if last.replace(bytes) != bytes {
                    // Speed and time left only for a file that has taken a few seconds: on a
                    // quick one they would flicker past unread.
                    let rate = (js_sys::Date::now() - began >= PACE_AFTER_MS && p.speed_bps >= 1.0)
                        .then_some(Rate {
                            speed_bps: p.speed_bps as u64,
                            eta_ms: p.eta_ms,
                        });
                    progressed(&sel, &hooks, &obj, id, (bytes, percent, rate));
                }
            })
        };
        let cb = Callbacks {
            on_progress: Some(progress),
            on_retry: None,
            // The row says "Resuming"; the engine's next progress starts at what the server
            // already holds.
            on_rejoined: Some({
                let sel = self.sel.clone();
                Box::new(move |_: &()| sel.dispatch(Action::Resumed(id)))
            }),
            progress_interval_ms: up.progress_interval_ms.min(200),
            hash_ahead: up.engine.concurrency,
        };
        let input = FileInput {
            blob: blob.into(),
            name: Some(e.name.clone()),
            tags: Some(tags),
        };
        let (tx, fut) = start::start(
            &setup.client,
            vec![input],
            up,
            &setup.opts.store_to,
            cb,
            security,
        );
        self.tasks.borrow_mut().insert(id, tx);
        let token = token(&self.act, id);
        setup.hooks.call(Hook::FileUploadStarted, &[obj, token]);
        let this = self.clone();
        spawn_local(async move {
            let outcome = fut.await.into_iter().next().map(|f| f.outcome);
            let r = match outcome {
                Some(FileOutcome::Stored(r)) => Ended::Stored(bridge::stored(&r)),
                Some(FileOutcome::Failed(err)) => Ended::Failed(err.into()),
                Some(FileOutcome::Cancelled) => Ended::Cancelled,
                None => Ended::Failed(Failure::local(None, "the upload ended without a result")),
            };
            this.ended(&e, r);
        });
    }
}

/// A file's progress (bytes, whole percent, pace), into the selection and to the app
/// (`onFileUploadProgress`): the same for uploads and cloud imports.
fn progressed(
    sel: &UseReducerHandle<Sel>,
    hooks: &Hooks,
    file: &JsValue,
    id: EntryId,
    (bytes, percent, rate): (u64, u8, Option<Rate>),
) {
    sel.dispatch(Action::Progress(id, bytes, percent, rate));
    let arg = bridge::file_progress(percent, bytes);
    hooks.call(Hook::FileUploadProgress, &[file.clone(), arg]);
}

/// Tags for one file: the upload options' tags, with the app's tag functions' values on top,
/// checked with the server's rules.
fn tags_for(up: &UploadOptions, hooks: &Hooks, file: &JsValue) -> Result<UploadTags, String> {
    let Some(v) = hooks.tags(file)? else {
        return Ok(up.tags.clone());
    };
    let tags: UploadTags =
        serde_json::from_value(v).map_err(|e| format!("invalid upload tags: {e}"))?;
    tags.validate()
        .map_err(|e| format!("invalid upload tags: {e}"))?;
    Ok(tags)
}

/// `{pause, resume, cancel}` for `onFileUploadStarted`.
fn token(act: &Callback<Action>, id: EntryId) -> JsValue {
    let out = js_sys::Object::new();
    for (name, a) in [
        ("pause", Action::Pause(id)),
        ("resume", Action::Resume(id)),
        ("cancel", Action::Cancelled(id)),
    ] {
        let act = act.clone();
        let f = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || act.emit(a.clone()));
        let _ = js_sys::Reflect::set(&out, &name.into(), &f.into_js_value());
    }
    out.into()
}

/// Reports the end of the round and closes the picker when it should.
fn finish(setup: &Setup, s: &Selection) {
    let (done, failed) = s.outcome();
    if setup.is_pane() {
        for (hook, list) in [(Hook::PaneSuccess, &done), (Hook::PaneError, &failed)] {
            if !list.is_empty() {
                let files = bridge::file_list(list.iter().copied());
                setup.hooks.call(hook, &[files.into()]);
            }
        }
        return;
    }
    setup
        .hooks
        .call(Hook::UploadDone, &[bridge::response(&done, &failed)]);
    // The overlay closes by itself only when every file was stored; otherwise it stays open and
    // shows which files failed and why, with Retry and Remove on each (a failure is never hidden).
    if setup.is_overlay() && failed.is_empty() {
        setup.on_exit.emit(Exit::Done);
    }
}
