//! Drives the sans-IO engine in the browser: performs each request (each with its own
//! `AbortController`), tells the engine how much of each PUT has gone out, aborts what the engine
//! gives up on, wakes it at its deadline, applies pause/resume/cancel, and reports progress,
//! retries and how each file ended as typed values (`super::events`), and lets the kept uploads
//! (`super::resumable`) see every event.

use super::connections::Share;
use super::etag_check::{EtagChecks, admit};
use super::events::{FileOutcome, Progress, Retry};
use super::hash_ahead::{HashAhead, Range};
use super::hash_pace::pace;
use super::resumable::Resumable;
use crate::web::clock::{self, Timeout};
use crate::web::http;
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
    /// This many bytes of a PUT's body have gone out.
    Sent(RequestId, u64),
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
    /// A file's upload carries on one begun before a reload.
    pub(crate) on_rejoined: Option<Listener<()>>,
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
    let on_sent: Box<dyn Fn(u64)> = {
        let (tx, id) = (tx.clone(), req.id);
        Box::new(move |bytes| {
            let _ = tx.unbounded_send(Msg::Sent(id, bytes));
        })
    };
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = http::perform(&req, &blob, &signal, known_md5, on_sent).await;
        let _ = tx.unbounded_send(Msg::Done(req.id, outcome));
    });
}

/// How many of the next calls' ranges are hashed ahead: two batches of the hasher's `width` (or
/// of the parts in flight, `ahead`, if more), so that one batch is hashed while the digests of
/// the other are used.
fn hash_window(ahead: usize, width: usize) -> usize {
    2 * ahead.max(width)
}

/// Reads and hashes `range` in the background (in the hashing worker where one runs, at `pace`,
/// see `hash_pace`) and reports the digest (or its failure: the request then hashes the range
/// itself and reports why).
fn spawn_hash(range: Range, pace: f64, blobs: &IdMap<FileId, Blob>, tx: &UnboundedSender<Msg>) {
    let (file, a, b) = range;
    let Some(blob) = blobs.get(&file).cloned() else {
        return;
    };
    let tx = tx.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let d = crate::web::hash_worker::digest(&blob, a, b, pace)
            .await
            .ok();
        let _ = tx.unbounded_send(Msg::Hashed(file, a, b, d));
    });
}

/// A task's own queue (both ends: requests and timers send to it) and its share of the browser's
/// connections.
pub(crate) struct Queue {
    pub(crate) tx: UnboundedSender<Msg>,
    pub(crate) rx: UnboundedReceiver<Msg>,
    pub(crate) share: Share,
}

/// Runs `engine` until every file in `blobs` has ended; returns how each ended.
pub(crate) async fn drive(
    mut engine: Engine,
    blobs: IdMap<FileId, Blob>,
    names: IdMap<FileId, String>,
    queue: Queue,
    cb: Callbacks,
    mut resumable: Option<Resumable>,
) -> IdMap<FileId, FileOutcome> {
    let Queue { tx, mut rx, share } = queue;
    let mut controllers: IdMap<RequestId, AbortController> = IdMap::new();
    let mut results: IdMap<FileId, FileOutcome> = IdMap::new();
    let mut latest: IdMap<FileId, ProgressInfo> = IdMap::new();
    let mut progress_due = false;
    let mut last_progress: Option<u64> = None;
    // The one pending wake-up and when it fires; replacing it clears the old one.
    let mut timer: Option<(u64, Timeout)> = None;
    // MD5s of the next parts, computed while earlier parts are on the wire (see hash_ahead).
    let ahead = cb.hash_ahead.max(1);
    // The first three rounds of parts (three per slot) are hashed one at a time, each part
    // waiting for its own digest only, until the digests are ahead (see HashAhead's `ramp`).
    let mut hasher: HashAhead<Request> = HashAhead::new(3 * ahead);
    // Parts sent before their digest landed, whose PUT's ETag is checked against it.
    let mut checks = EtagChecks::default();
    // How many calls and answers waited for a digest when last looked (see hash_pace).
    let mut waited_before = 0;
    if let Some(f) = &cb.on_progress {
        f(&Progress::new(&latest, &names)); // once at the start, as filestack-js does
    }
    let mut connections = 0;
    loop {
        // This task's share of the connections, as the tasks running now split them.
        let share_now = share.connections();
        if share_now != connections {
            connections = share_now;
            engine.set_connections(connections, clock::now_ms());
        }
        while let Some(out) = engine.poll() {
            match out {
                Output::Send(req) => {
                    let Ok(ctrl) = AbortController::new() else {
                        continue;
                    };
                    controllers.insert(req.id, ctrl);
                    let ready = admit(req, &mut hasher, &mut checks);
                    if let Some((req, known)) = ready {
                        spawn_request(req, &blobs, &controllers, &tx, known);
                    }
                }
                Output::Abort(id) => {
                    if let Some(c) = controllers.remove(&id) {
                        c.abort();
                    }
                    hasher.forget(|r| r.id == id);
                    checks.forget(id);
                }
                Output::Event(e) => {
                    if let Some(r) = &mut resumable {
                        r.on_event(&e);
                    }
                    match e {
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
                        Event::Rejoined { .. } => {
                            if let Some(f) = &cb.on_rejoined {
                                f(&());
                            }
                        }
                        // Not an error (the file is sent afresh), but worth a line for whoever
                        // wonders why a reloaded upload began again.
                        Event::RejoinRefused { reason, .. } => {
                            crate::web::js_value::console_resume_refused(&reason);
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
                    }
                }
            }
        }
        // After the requests just spawned (the starts, the first time round).
        if let Some(r) = &mut resumable {
            r.read_ends();
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
        let width = crate::web::hash_worker::width();
        // Digests that answers wait for come first, then the next calls'.
        let window = hash_window(ahead, width);
        let urgent: Vec<Range> = checks.pending().collect();
        let upcoming = engine.upcoming(window);
        let last = upcoming.len() < window;
        // Ranges no call waits for are hashed at the upload's pace; when more calls or answers
        // wait than before, whatever the worker holds goes at full speed (see hash_pace).
        let waited = urgent.len() + hasher.waiting();
        if waited > waited_before {
            crate::web::hash_worker::hurry();
        }
        waited_before = waited;
        let speed = latest.values().map(|p| p.speed_bps).fold(0.0, f64::max);
        while let Some(range) = hasher.next(&urgent, &upcoming, width, last) {
            engine.hashing(range.0, range.1, range.2);
            let sent_first = engine.sent_before_digest(range.0);
            spawn_hash(range, pace(speed, sent_first, waited > 0), &blobs, &tx);
        }
        // One timer for the earliest of the engine's deadline and the next progress call.
        let mut wake = engine.deadline();
        if progress_due {
            let at = last_progress.map_or(now, |t| t + interval);
            wake = Some(wake.map_or(at, |w| w.min(at)));
        }
        if let Some(at) = wake {
            if timer.as_ref().is_none_or(|(t, _)| at < *t || *t <= now) {
                let tx = tx.clone();
                let fire = move || {
                    let _ = tx.unbounded_send(Msg::Wake);
                };
                // The old timer (if any) is dropped here, and with it its timeout.
                timer = Timeout::new(at.saturating_sub(now), fire).map(|t| (at, t));
            }
        }
        let Some(msg) = rx.next().await else {
            return results;
        };
        let now = clock::now_ms();
        match msg {
            Msg::Done(id, outcome) => {
                controllers.remove(&id);
                match checks.answered(id, outcome) {
                    Some(outcome) => engine.handle(id, outcome, now),
                    // Held until its part's digest lands: the engine still times the PUT to now.
                    None => engine.answered(id, now),
                }
            }
            // Progress within a part; the engine keeps it monotonic and the calls to the app
            // keep to progressInterval (above).
            Msg::Sent(id, bytes) => engine.sent(id, bytes, now),
            Msg::Wake => {
                timer = None;
                engine.tick(now);
            }
            Msg::Hashed(file, a, b, d) => {
                // Complete may list it before the part's PUT has answered (`await_parts`).
                if let Some(d) = &d {
                    engine.digest(file, a, b, d);
                }
                if let Some((id, outcome)) = checks.landed((file, a, b), d.as_deref()) {
                    engine.handle(id, outcome, now);
                }
                // Digests are kept for the ranges the next calls will still ask for.
                let wanted = engine.upcoming(window);
                for (req, d) in hasher.hashed((file, a, b), d, &wanted) {
                    spawn_request(req, &blobs, &controllers, &tx, d);
                }
            }
            Msg::Command(c) => {
                if let Command::Pause | Command::Resume = c {
                    share.sending(matches!(c, Command::Resume));
                }
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
