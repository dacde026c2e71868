//! The picker's state hook: the selection (a reducer over [`Selection`]), the picked `File`s and
//! their previews, the running uploads, and the effects that follow each change: the app's checks,
//! starting queued uploads within the concurrency, the callbacks, and ending the picker.

use super::bridge::{self, Hooks, file_object};
use super::hook::Hook;
use super::{Exit, Setup};
use crate::model::selection::{Action, Entry, EntryId, NewFile, Origin, Phase, Selection};
use crate::model::{file_name, options::UploadOptions};
use crate::upload::driver::{Callbacks, Command, Listener, Msg};
use crate::upload::events::{FileOutcome, Progress};
use crate::upload::start::{self, FileInput};
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
use web_sys::{File, Url};
use yew::prelude::*;

/// The selection as a Yew reducer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sel(pub(crate) Selection);

impl Reducible for Sel {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        Rc::new(Sel(self.0.clone().reduce(action)))
    }
}

/// A picked local file and its preview URL (revoked when dropped).
#[derive(Debug)]
pub(crate) struct Picked {
    pub(crate) file: File,
    pub(crate) thumb: Option<String>,
}

impl Drop for Picked {
    fn drop(&mut self) {
        if let Some(u) = &self.thumb {
            let _ = Url::revoke_object_url(u);
        }
    }
}

type Files = Rc<RefCell<IdMap<EntryId, Picked>>>;
type Tasks = Rc<RefCell<IdMap<EntryId, UnboundedSender<Msg>>>>;

/// What the picker's views use.
#[derive(Clone)]
pub(crate) struct PickerState {
    /// The selection.
    pub(crate) sel: UseReducerHandle<Sel>,
    /// Picked files, by entry.
    pub(crate) files: Files,
    /// Adds picked, dropped or pasted files.
    pub(crate) add_files: Callback<Vec<File>>,
    /// Adds a link; `false` when the text is not one.
    pub(crate) add_url: Rc<dyn Fn(String) -> bool>,
    /// Per-file commands and Upload.
    pub(crate) act: Callback<Action>,
}

impl PartialEq for PickerState {
    fn eq(&self, other: &Self) -> bool {
        self.sel == other.sel
    }
}

fn command(tasks: &Tasks, id: EntryId, c: Command) {
    if let Some(tx) = tasks.borrow().get(&id) {
        let _ = tx.unbounded_send(Msg::Command(c));
    }
}

fn entry(sel: &Selection, id: EntryId) -> Option<Entry> {
    sel.entries.iter().find(|e| e.id == id).cloned()
}

/// The picker's state and effects.
#[hook]
pub(crate) fn use_picker(setup: Rc<Setup>) -> PickerState {
    let sel = use_reducer(|| Sel(Selection::new(setup.rules())));
    let files: Files = use_mut_ref(IdMap::new);
    let tasks: Tasks = use_mut_ref(IdMap::new);
    let next = use_mut_ref(|| 0 as EntryId);
    let announced = use_mut_ref(|| false);

    // Adds new entries; runs the app's checks on those that need them.
    let admit: Rc<dyn Fn(Vec<NewFile>)> = {
        let (sel, files, setup) = (sel.clone(), files.clone(), setup.clone());
        Rc::new(move |new: Vec<NewFile>| {
            let mut after = sel.0.clone();
            if setup.is_pane() && !after.busy() {
                sel.dispatch(Action::Clear); // a new drop starts a new round
                after = after.reduce(Action::Clear);
            }
            let ids: Vec<EntryId> = new.iter().map(|n| n.id).collect();
            let after = after.reduce(Action::Add(new.clone()));
            sel.dispatch(Action::Add(new));
            if setup.is_pane() {
                sel.dispatch(Action::Finish);
            }
            for id in ids {
                let Some(e) = entry(&after, id).filter(|e| e.phase == Phase::Checking) else {
                    continue;
                };
                let file = files
                    .borrow()
                    .get(&id)
                    .map(|p| JsValue::from(p.file.clone()));
                let (sel, hooks) = (sel.clone(), setup.hooks.clone());
                spawn_local(async move {
                    let verdict = hooks.check(file_object(&e, file.as_ref())).await;
                    sel.dispatch(Action::Checked(id, verdict));
                });
            }
        })
    };

    let add_files = {
        let (files, setup, next, admit) =
            (files.clone(), setup.clone(), next.clone(), admit.clone());
        Callback::from(move |picked: Vec<File>| {
            let mut new = Vec::new();
            for f in picked {
                let id = next.replace_with(|n| *n + 1);
                let name = f.name();
                let mimetype = file_name::mimetype(&f.type_(), &name);
                let thumb = (mimetype.starts_with("image/") && !setup.opts.disable_thumbnails)
                    .then(|| Url::create_object_url_with_blob(&f).ok())
                    .flatten();
                let size = f.size() as u64;
                new.push(NewFile {
                    id,
                    name,
                    size,
                    mimetype,
                    origin: Origin::Local,
                });
                files.borrow_mut().insert(id, Picked { file: f, thumb });
            }
            admit(new);
        })
    };

    let add_url: Rc<dyn Fn(String) -> bool> = {
        let next = next.clone();
        Rc::new(move |url: String| {
            let url = url.trim().to_owned();
            let valid = (url.starts_with("https://") || url.starts_with("http://"))
                && url.len() > 10
                && !url.contains(char::is_whitespace);
            if valid {
                let id = next.replace_with(|n| *n + 1);
                let path = url.split(['?', '#']).next().unwrap_or("");
                let name = path
                    .rsplit('/')
                    .find(|s| !s.is_empty())
                    .unwrap_or("file")
                    .to_owned();
                let mimetype = file_name::mimetype("", &name);
                admit(vec![NewFile {
                    id,
                    name,
                    size: 0,
                    mimetype,
                    origin: Origin::Url(url),
                }]);
            }
            valid
        })
    };

    let act = {
        let (sel, tasks, files) = (sel.clone(), tasks.clone(), files.clone());
        Callback::from(move |a: Action| {
            match a {
                Action::Pause(id) => command(&tasks, id, Command::Pause),
                Action::Resume(id) => command(&tasks, id, Command::Resume),
                // A running upload ends as cancelled through its task.
                Action::Cancelled(id) if tasks.borrow().contains_key(&id) => {
                    return command(&tasks, id, Command::Cancel);
                }
                Action::CancelAll => {
                    for tx in tasks.borrow().values() {
                        let _ = tx.unbounded_send(Msg::Command(Command::Cancel));
                    }
                }
                Action::Remove(id) => {
                    files.borrow_mut().remove(&id);
                }
                _ => {}
            }
            sel.dispatch(a);
        })
    };

    // Start what may start; report the end. Runs after every change of the selection.
    {
        let (setup, sel2, files, tasks, announced, act) = (
            setup.clone(),
            sel.clone(),
            files.clone(),
            tasks.clone(),
            announced.clone(),
            act.clone(),
        );
        use_effect_with(sel.clone(), move |sel| {
            let s = &sel.0;
            let ids = s.startable();
            if !ids.is_empty() && !*announced.borrow() {
                *announced.borrow_mut() = true;
                let queued =
                    bridge::file_list(s.entries.iter().filter(|e| e.phase == Phase::Queued));
                setup.hooks.call(Hook::UploadStarted, &[queued.into()]);
            }
            for id in ids {
                if let Some(e) = entry(s, id) {
                    sel2.dispatch(Action::Began(id));
                    begin(&setup, &sel2, &files, &tasks, &act, e);
                }
            }
            if s.finished() {
                *announced.borrow_mut() = false;
                sel2.dispatch(Action::Reported);
                finish(&setup, s);
            }
        });
    }

    // Unmounting stops every upload still running.
    {
        let tasks = tasks.clone();
        use_effect_with((), move |_| {
            move || {
                for tx in tasks.borrow().values() {
                    let _ = tx.unbounded_send(Msg::Command(Command::Cancel));
                }
            }
        });
    }

    PickerState {
        sel,
        files,
        add_files,
        add_url,
        act,
    }
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

/// How one file's upload ended, for the selection and the app's callbacks.
enum Ended {
    /// Stored: the file as the selection keeps it.
    Stored(Value),
    /// Failed, with the reason.
    Failed(String),
    /// Cancelled by the user or the app.
    Cancelled,
}

/// Starts uploading one file.
fn begin(
    setup: &Rc<Setup>,
    sel: &UseReducerHandle<Sel>,
    files: &Files,
    tasks: &Tasks,
    act: &Callback<Action>,
    e: Entry,
) {
    let hooks = setup.hooks.clone();
    let id = e.id;
    let obj = file_object(&e, None);
    let up = &setup.opts.upload_config;
    let ended = {
        let (sel, hooks, tasks) = (sel.clone(), hooks.clone(), tasks.clone());
        let e = e.clone();
        move |r: Ended| {
            tasks.borrow_mut().remove(&id);
            match r {
                Ended::Stored(v) => {
                    let mut done = e.clone();
                    done.phase = Phase::Done(v.clone());
                    sel.dispatch(Action::Ended(id, Ok(v)));
                    hooks.call(Hook::FileUploadFinished, &[file_object(&done, None)]);
                }
                Ended::Cancelled => {
                    sel.dispatch(Action::Cancelled(id));
                    hooks.call(Hook::FileUploadCancel, &[file_object(&e, None)]);
                }
                Ended::Failed(m) => {
                    sel.dispatch(Action::Ended(id, Err(m.clone())));
                    hooks.call(
                        Hook::FileUploadFailed,
                        &[file_object(&e, None), js_sys::Error::new(&m).into()],
                    );
                }
            }
        }
    };
    let tags = match tags_for(up, &hooks, &obj) {
        Ok(t) => t,
        Err(m) => return ended(Ended::Failed(m)),
    };
    let security = setup
        .client
        .security
        .clone()
        .map(|s| (s.policy, s.signature));
    match &e.origin {
        Origin::Url(url) => {
            hooks.call(Hook::FileUploadStarted, &[obj]);
            let call = start::store_url(
                &setup.client,
                url,
                &setup.opts.store_to,
                Some(tags),
                security,
            );
            // The server's fetch cannot be stopped, but a cancel ends the file at once.
            let (tx, mut rx) = futures_channel::mpsc::unbounded::<Msg>();
            tasks.borrow_mut().insert(id, tx);
            spawn_local(async move {
                let cancelled = async move {
                    while let Some(m) = rx.next().await {
                        if matches!(m, Msg::Command(Command::Cancel)) {
                            return;
                        }
                    }
                    std::future::pending::<()>().await;
                };
                let r = match select(Box::pin(call), Box::pin(cancelled)).await {
                    Either::Left((Ok(v), _)) => Ended::Stored(v),
                    Either::Left((Err(m), _)) => Ended::Failed(m),
                    Either::Right(_) => Ended::Cancelled,
                };
                ended(r)
            });
        }
        Origin::Local => {
            let Some(blob) = files.borrow().get(&id).map(|p| p.file.clone()) else {
                return ended(Ended::Failed("the file is no longer available".into()));
            };
            let progress = {
                let (sel, hooks, obj) = (sel.clone(), hooks.clone(), obj.clone());
                let last = Cell::new(u64::MAX);
                Box::new(move |p: &Progress| {
                    let (percent, bytes) = bridge::percent_and_bytes(p);
                    if last.replace(bytes) != bytes {
                        sel.dispatch(Action::Progress(id, bytes, percent));
                        let arg = bridge::file_progress(percent, bytes);
                        hooks.call(Hook::FileUploadProgress, &[obj.clone(), arg]);
                    }
                }) as Listener<Progress>
            };
            let cb = Callbacks {
                on_progress: Some(progress),
                on_retry: None,
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
            tasks.borrow_mut().insert(id, tx);
            hooks.call(Hook::FileUploadStarted, &[obj, token(act, id)]);
            spawn_local(async move {
                let outcome = fut.await.into_iter().next().map(|f| f.outcome);
                ended(match outcome {
                    Some(FileOutcome::Stored(r)) => Ended::Stored(bridge::stored(&r)),
                    Some(FileOutcome::Failed(e)) => Ended::Failed(e.message),
                    Some(FileOutcome::Cancelled) => Ended::Cancelled,
                    None => Ended::Failed("the upload failed".to_owned()),
                })
            });
        }
    }
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

/// Reports the end of the upload and closes the picker when it should.
fn finish(setup: &Rc<Setup>, s: &Selection) {
    let (done, failed) = s.outcome();
    if setup.is_pane() {
        for (name, list) in [(Hook::PaneSuccess, &done), (Hook::PaneError, &failed)] {
            if !list.is_empty() {
                let files = bridge::file_list(list.iter().copied());
                setup.hooks.call(name, &[files.into()]);
            }
        }
        return;
    }
    setup
        .hooks
        .call(Hook::UploadDone, &[bridge::response(&done, &failed)]);
    let keep_open = !failed.is_empty() && setup.opts.allow_manual_retry;
    if setup.is_overlay() && !keep_open {
        setup.on_exit.emit(Exit::Done);
    }
}
