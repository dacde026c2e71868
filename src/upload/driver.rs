//! Drives the sans-IO engine in the browser: performs each request with `fetch` (each with its
//! own `AbortController`), aborts what the engine gives up on, wakes it at its deadline, applies
//! pause/resume/cancel, and reports progress, retries and how each file ended as typed values
//! (`super::events`).

use super::events::{FileOutcome, Progress, Retry};
use crate::web::{clock, http};
use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender};
use futures_util::StreamExt;
use skiff_engine::{
    Engine, Event, FileId, IdMap, Outcome, Output, ProgressInfo, Request, RequestId,
};
use web_sys::{AbortController, Blob};

/// What wakes the driver.
#[derive(Debug)]
pub(crate) enum Msg {
    /// A request ended.
    Done(RequestId, Outcome),
    /// The app paused, resumed or cancelled.
    Command(Command),
    /// A deadline passed.
    Wake,
    /// A digest computed ahead is ready (or failed).
    Hashed(FileId, u64, u64, Option<String>),
}

/// The app's commands, for every file of the task.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Command {
    Pause,
    Resume,
    Cancel,
}

/// A listener of one kind of event: an app callback (through the JS API), or the picker.
pub(crate) type Listener<T> = Box<dyn Fn(&T)>;

/// The app's callbacks, and how often progress goes to them.
#[derive(Default)]
pub(crate) struct Callbacks {
    pub(crate) on_progress: Option<Listener<Progress>>,
    pub(crate) on_retry: Option<Listener<Retry>>,
    pub(crate) progress_interval_ms: u64,
    /// How many parts' digests to compute ahead (the part concurrency).
    pub(crate) hash_ahead: usize,
}

impl std::fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callbacks")
            .field("progress_interval_ms", &self.progress_interval_ms)
            .field("hash_ahead", &self.hash_ahead)
            .finish_non_exhaustive()
    }
}

/// The file range whose MD5 `req`'s JSON body must carry, if any.
fn md5_range(req: &Request) -> Option<(FileId, u64, u64)> {
    match &req.body {
        skiff_engine::Body::Json {
            md5_of: Some((a, b)),
            ..
        } => Some((req.file, *a, *b)),
        _ => None,
    }
}

/// Performs `req` in the background (with its `AbortController`'s signal) and reports its outcome
/// to the driver.
fn spawn_request(
    req: Request,
    blobs: &IdMap<FileId, Blob>,
    controllers: &IdMap<RequestId, AbortController>,
    tx: &UnboundedSender<Msg>,
    known_md5: Option<String>,
) {
    let (Some(blob), Some(ctrl)) = (blobs.get(&req.file), controllers.get(&req.id)) else {
        return;
    };
    let blob = blob.clone();
    let signal = ctrl.signal();
    let tx = tx.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = http::perform(&req, &blob, &signal, known_md5).await;
        let _ = tx.unbounded_send(Msg::Done(req.id, outcome));
    });
}

/// Runs `engine` until every file in `blobs` has ended; returns how each ended.
pub(crate) async fn drive(
    mut engine: Engine,
    blobs: IdMap<FileId, Blob>,
    names: IdMap<FileId, String>,
    tx: UnboundedSender<Msg>,
    mut rx: UnboundedReceiver<Msg>,
    cb: Callbacks,
) -> IdMap<FileId, FileOutcome> {
    let mut controllers: IdMap<RequestId, AbortController> = IdMap::new();
    let mut results: IdMap<FileId, FileOutcome> = IdMap::new();
    let mut latest: IdMap<FileId, ProgressInfo> = IdMap::new();
    let mut progress_due = false;
    let mut last_progress: Option<u64> = None;
    let mut timer_at: Option<u64> = None;
    // MD5s of the next parts, computed while earlier parts are on the wire so a freed slot can
    // send its upload call at once (hashing inside the slot kept the slots in lockstep).
    let mut digests: IdMap<(FileId, u64, u64), String> = IdMap::new();
    let mut hashing: Option<(FileId, u64, u64)> = None;
    // Upload calls waiting for the digest of their range, and the ranges whose read failed: those
    // are not hashed ahead again (that would loop on a file that has gone); their upload calls
    // read them themselves, and fail and back off like any other request.
    let mut waiting: Vec<Request> = Vec::new();
    let mut unreadable: Vec<(FileId, u64, u64)> = Vec::new();
    let ahead = cb.hash_ahead.max(1);
    if let Some(f) = &cb.on_progress {
        f(&Progress::new(&latest, &names)); // once at the start, as filestack-js does
    }
    loop {
        while let Some(out) = engine.poll() {
            match out {
                Output::Send(req) => {
                    let Ok(ctrl) = AbortController::new() else {
                        continue;
                    };
                    controllers.insert(req.id, ctrl);
                    match md5_range(&req) {
                        // Its digest is not ready: it waits for the hasher (one read and one
                        // hash per range, never a second one racing the first).
                        Some(k) if !digests.contains_key(&k) && !unreadable.contains(&k) => {
                            waiting.push(req);
                        }
                        Some(k) => {
                            let known = digests.remove(&k);
                            spawn_request(req, &blobs, &controllers, &tx, known);
                        }
                        None => spawn_request(req, &blobs, &controllers, &tx, None),
                    }
                }
                Output::Abort(id) => {
                    if let Some(c) = controllers.remove(&id) {
                        c.abort();
                    }
                    waiting.retain(|r| r.id != id);
                }
                Output::Event(e) => match e {
                    Event::Progress(p) => {
                        latest.insert(p.file, p);
                        progress_due = true;
                    }
                    Event::Retrying {
                        file,
                        request,
                        attempt,
                        delay_ms,
                        reason,
                        chunk_size,
                    } => {
                        if let Some(f) = &cb.on_retry {
                            f(&Retry {
                                filename: names.get(&file).cloned(),
                                request,
                                attempt,
                                delay_ms,
                                reason,
                                chunk_size,
                            });
                        }
                    }
                    Event::FileDone { file, result } => {
                        results.insert(file, FileOutcome::Stored(result));
                    }
                    Event::FileFailed { file, error } => {
                        results.insert(file, FileOutcome::Failed(error));
                    }
                    Event::Cancelled { file } => {
                        results.insert(file, FileOutcome::Cancelled);
                    }
                    _ => {}
                },
            }
        }
        let now = clock::now_ms();
        let interval = cb.progress_interval_ms.max(1);
        let finished = blobs.keys().all(|id| results.contains_key(id));
        if progress_due && (finished || last_progress.is_none_or(|t| now >= t + interval)) {
            if let Some(f) = &cb.on_progress {
                f(&Progress::new(&latest, &names));
            }
            progress_due = false;
            last_progress = Some(now);
        }
        if finished {
            return results;
        }
        if hashing.is_none() {
            // What a waiting call needs comes first, then the ranges the next calls will ask for.
            let next = waiting.iter().filter_map(md5_range).next().or_else(|| {
                engine
                    .upcoming(ahead)
                    .into_iter()
                    .find(|k| !digests.contains_key(k) && !unreadable.contains(k))
            });
            if let Some((file, a, b)) = next {
                hashing = Some((file, a, b));
                let blob = blobs[&file].clone();
                let tx = tx.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let d = http::digest(&blob, a, b).await.ok();
                    let _ = tx.unbounded_send(Msg::Hashed(file, a, b, d));
                });
            }
        }
        // One timer for the earliest of the engine's deadline and the next progress call.
        let mut wake = engine.deadline();
        if progress_due {
            let at = last_progress.map_or(now, |t| t + interval);
            wake = Some(wake.map_or(at, |w| w.min(at)));
        }
        if let Some(at) = wake {
            if timer_at.is_none_or(|t| at < t || t <= now) {
                timer_at = Some(at);
                let tx = tx.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    clock::sleep(at.saturating_sub(clock::now_ms())).await;
                    let _ = tx.unbounded_send(Msg::Wake);
                });
            }
        }
        let Some(msg) = rx.next().await else {
            return results;
        };
        let now = clock::now_ms();
        match msg {
            Msg::Done(id, outcome) => {
                controllers.remove(&id);
                engine.handle(id, outcome, now);
            }
            Msg::Wake => {
                timer_at = None;
                engine.tick(now);
            }
            Msg::Hashed(file, a, b, d) => {
                hashing = None;
                let k = (file, a, b);
                if d.is_none() && !unreadable.contains(&k) {
                    unreadable.push(k);
                }
                let (ready, rest): (Vec<Request>, Vec<Request>) = std::mem::take(&mut waiting)
                    .into_iter()
                    .partition(|r| md5_range(r) == Some(k));
                waiting = rest;
                if ready.is_empty() {
                    if let Some(d) = d {
                        digests.insert(k, d);
                    }
                } else {
                    for req in ready {
                        spawn_request(req, &blobs, &controllers, &tx, d.clone());
                    }
                }
                // Drop digests of ranges that will not be asked for any more (sent, or re-planned
                // after a chunk size change).
                let wanted = engine.upcoming(ahead * 2);
                digests.retain(|k, _| wanted.contains(k));
            }
            Msg::Command(c) => {
                for id in blobs.keys() {
                    match c {
                        Command::Pause => engine.pause(*id, now),
                        Command::Resume => engine.resume(*id, now),
                        Command::Cancel => engine.cancel(*id, now),
                    }
                }
            }
        }
    }
}
