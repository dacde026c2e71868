//! The engine: files, the requests in flight, its inputs and the output queue. Outcome handling
//! lives in `handle.rs`, scheduling (what may start now) in `schedule.rs`.

use crate::backoff::Backoff;
use crate::chunk::ChunkController;
use crate::connections::MAX_IN_FLIGHT;
use crate::file::{FileState, FileUpload, Flow, PartState};
use crate::id_map::IdMap;
use crate::options::Options;
use crate::progress::Meter;
use crate::types::{
    Body, Event, FileId, FileSpec, Millis, Output, ProgressInfo, Request, RequestId, RequestKind,
};
use crate::widen::Widen;
use skiff_protocol::limits::INTELLIGENT_PART_SIZE;
use std::collections::VecDeque;

/// A request in flight.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Inflight {
    pub(crate) file: FileId,
    pub(crate) kind: RequestKind,
    pub(crate) deadline: Millis,
}

/// Everything but the files, so handlers can borrow a file and this at once.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) options: Options,
    pub(crate) now: Millis,
    pub(crate) out: VecDeque<Output>,
    pub(crate) inflight: IdMap<RequestId, Inflight>,
    next_req: u64,
    pub(crate) backoff: Backoff,
    pub(crate) chunks: ChunkController,
    /// A fallback upload's PUT failed: every fallback file now sends chunks.
    pub(crate) switched: bool,
    /// Requests this engine keeps in flight at most (see `connections`).
    pub(crate) connections: usize,
    /// Regular parts may still grow (`crate::grow`): the options allow it, and no bigger
    /// parts were tried and failed.
    pub(crate) may_grow: bool,
    /// Whether one more regular part may go on the wire (`crate::widen`).
    pub(crate) widen: Widen,
    meter: Meter,
}

impl Ctx {
    /// Queues a request and tracks it until its outcome or its deadline.
    pub(crate) fn send(
        &mut self,
        file: FileId,
        kind: RequestKind,
        method: &'static str,
        url: String,
        headers: Vec<(String, String)>,
        body: Body,
    ) -> RequestId {
        self.next_req += 1;
        let id = RequestId(self.next_req);
        let timeout_ms = self.options.timeout_ms;
        self.inflight.insert(
            id,
            Inflight {
                file,
                kind,
                deadline: self.now + timeout_ms,
            },
        );
        self.out.push_back(Output::Send(Request {
            id,
            file,
            kind,
            method,
            url,
            headers,
            body,
            timeout_ms,
        }));
        id
    }

    /// Stops tracking `id` and tells the driver to abort it.
    pub(crate) fn abort(&mut self, id: RequestId) {
        if self.inflight.remove(&id).is_some() {
            self.out.push_back(Output::Abort(id));
        }
    }

    pub(crate) fn event(&mut self, e: Event) {
        self.out.push_back(Output::Event(e));
    }

    /// Parts on the wire at most: the `concurrency` asked for (one more on a fast link where
    /// the app left it to Skiff, `crate::widen`), within this engine's connections.
    pub(crate) fn part_slots(&self) -> usize {
        (self.options.concurrency + self.widen.extra()).min(self.connections)
    }
}

/// The sans-IO upload engine. See the crate docs for the contract.
#[derive(Debug)]
pub struct Engine {
    pub(crate) files: IdMap<FileId, FileUpload>,
    pub(crate) ctx: Ctx,
    next_file: u32,
}

impl Engine {
    /// An engine with `options` (check them with [`Options::validate`] first) whose backoff
    /// jitter comes from `seed`.
    pub fn new(options: Options, seed: u64) -> Self {
        let chunks = ChunkController::new(
            options.intelligent_chunk_size,
            options.min_chunk_size,
            INTELLIGENT_PART_SIZE,
            options.chunk_target_ms,
        );
        let backoff = Backoff::new(seed, options.retry_factor, options.retry_max_ms);
        let may_grow = options.grow_parts;
        let widen = Widen::new(options.widen);
        Self {
            files: IdMap::new(),
            ctx: Ctx {
                options,
                now: 0,
                out: VecDeque::new(),
                inflight: IdMap::new(),
                next_req: 0,
                backoff,
                chunks,
                switched: false,
                connections: MAX_IN_FLIGHT,
                may_grow,
                widen,
                meter: Meter::default(),
            },
            next_file: 0,
        }
    }

    /// Adds a file; it starts as soon as a file slot is free.
    pub fn add_file(&mut self, spec: FileSpec, now: Millis) -> FileId {
        self.ctx.now = now;
        self.next_file += 1;
        let id = FileId(self.next_file);
        self.files.insert(
            id,
            FileUpload {
                spec,
                state: FileState::Queued,
                reported: 0,
                digests: Vec::new(),
            },
        );
        self.schedule();
        id
    }

    /// Reports how a request ended. Outcomes of requests the engine no longer tracks (aborted,
    /// timed out) are ignored.
    pub fn handle(&mut self, id: RequestId, outcome: crate::types::Outcome, now: Millis) {
        self.ctx.now = now.max(self.ctx.now);
        if let Some(inflight) = self.ctx.inflight.remove(&id) {
            self.on_outcome(id, inflight, Some(outcome));
        }
        self.schedule();
    }

    /// Reports that the answer of request `id` arrived, where its outcome is handed over only
    /// later ([`Engine::handle`]): a PUT sent before its part's MD5 is checked once the digest
    /// lands. The server has the part from then on: what times the request (`crate::widen`,
    /// `crate::grow`) counts to the answer, not to the digest, and bigger parts on trial count
    /// it as in. Optional: without it, a request is timed to its outcome.
    pub fn answered(&mut self, id: RequestId, now: Millis) {
        self.ctx.now = now.max(self.ctx.now);
        self.on_answer(id);
    }

    /// Reports that `bytes` of a PUT's body have gone out (for finer progress).
    pub fn sent(&mut self, id: RequestId, bytes: u64, now: Millis) {
        self.ctx.now = now.max(self.ctx.now);
        let Some(inflight) = self.ctx.inflight.get(&id).copied() else {
            return;
        };
        if let Some((t, i)) = self
            .files
            .get_mut(&inflight.file)
            .and_then(|f| f.part_of(id))
        {
            let p = &mut t.parts[i];
            if let PartState::Putting { len, .. } = p.state {
                p.in_flight_sent = bytes.min(len);
            }
        }
        self.progress(inflight.file);
    }

    /// Time passes: requests past their deadline are aborted and treated as failed, and waits
    /// that are over end.
    pub fn tick(&mut self, now: Millis) {
        self.ctx.now = now.max(self.ctx.now);
        // In id order (the map's order), so what happens never depends on hashing.
        let expired: Vec<(RequestId, Inflight)> = self
            .ctx
            .inflight
            .iter()
            .filter(|(_, i)| i.deadline <= self.ctx.now)
            .map(|(id, i)| (*id, *i))
            .collect();
        for (id, inflight) in expired {
            self.ctx.inflight.remove(&id);
            self.ctx.out.push_back(Output::Abort(id));
            self.on_outcome(id, inflight, None);
        }
        self.schedule();
    }

    /// Sets how many connections to the server this engine may keep busy at once, its share of
    /// the browser's six when other engines run in the same page ([`crate::connection_share`]);
    /// 1 to 6, six until told otherwise. A smaller share starts nothing new until requests
    /// beyond it have ended; nothing is aborted.
    pub fn set_connections(&mut self, connections: usize, now: Millis) {
        self.ctx.now = now.max(self.ctx.now);
        self.ctx.connections = connections.clamp(1, MAX_IN_FLIGHT);
        self.schedule();
    }

    /// Pauses a file: its requests are aborted; bytes the server confirmed are kept.
    pub fn pause(&mut self, file: FileId, now: Millis) {
        self.ctx.now = now.max(self.ctx.now);
        let Some(f) = self.files.get_mut(&file) else {
            return;
        };
        if f.state.finished() || matches!(f.state, FileState::Paused(_)) {
            return;
        }
        for id in f.state.requests() {
            self.ctx.abort(id);
        }
        let state = std::mem::replace(&mut f.state, FileState::Queued);
        f.state = FileState::Paused(Box::new(quiesce(state, now)));
        self.ctx.event(Event::Paused { file });
        self.schedule();
    }

    /// Resumes a paused file where it stopped.
    pub fn resume(&mut self, file: FileId, now: Millis) {
        self.ctx.now = now.max(self.ctx.now);
        let Some(f) = self.files.get_mut(&file) else {
            return;
        };
        if let FileState::Paused(inner) = std::mem::replace(&mut f.state, FileState::Queued) {
            f.state = *inner;
            self.ctx.event(Event::Resumed { file });
        } else {
            return;
        }
        self.schedule();
    }

    /// Cancels a file: its requests are aborted and it is not resumed.
    pub fn cancel(&mut self, file: FileId, now: Millis) {
        self.ctx.now = now.max(self.ctx.now);
        let Some(f) = self.files.get_mut(&file) else {
            return;
        };
        if f.state.finished() {
            return;
        }
        let state = std::mem::replace(&mut f.state, FileState::Cancelled);
        let inner = if let FileState::Paused(inner) = state {
            *inner
        } else {
            state
        };
        for id in inner.requests() {
            self.ctx.abort(id);
        }
        self.ctx.event(Event::Cancelled { file });
        self.schedule();
    }

    /// The next thing for the driver to do.
    pub fn poll(&mut self) -> Option<Output> {
        self.ctx.out.pop_front()
    }

    /// When to call [`Engine::tick`] next, if anything waits on time.
    pub fn deadline(&self) -> Option<Millis> {
        let mut at: Option<Millis> = self.ctx.inflight.values().map(|i| i.deadline).min();
        let mut consider = |t: Millis| {
            if t > self.ctx.now {
                at = Some(at.map_or(t, |a| a.min(t)));
            }
        };
        for f in self.files.values() {
            match &f.state {
                FileState::Starting(c) | FileState::Completing(_, c) if c.req.is_none() => {
                    consider(c.not_before)
                }
                FileState::Uploading(t) => {
                    for p in &t.parts {
                        if let PartState::Ready { not_before, .. } = p.state {
                            consider(not_before);
                        }
                    }
                }
                _ => {}
            }
        }
        at
    }

    /// Whether nothing is left to do (every file finished, paused or cancelled).
    pub fn is_idle(&self) -> bool {
        self.ctx.inflight.is_empty()
            && self.ctx.out.is_empty()
            && self
                .files
                .values()
                .all(|f| f.state.finished() || matches!(f.state, FileState::Paused(_)))
    }

    /// The current chunk size of intelligent uploads.
    pub fn chunk_size(&self) -> u64 {
        self.ctx.chunks.size()
    }

    /// Emits a progress event for `file` if its byte count grew.
    pub(crate) fn progress(&mut self, file: FileId) {
        let Some(f) = self.files.get_mut(&file) else {
            return;
        };
        let sent = f.sent().max(f.reported);
        if sent == f.reported && sent != 0 {
            return;
        }
        f.reported = sent;
        let (file_bytes, file_size) = (f.reported, f.spec.size);
        let counted =
            |f: &FileUpload| !matches!(f.state, FileState::Cancelled | FileState::Failed(_));
        let total_size: u64 = self
            .files
            .values()
            .filter(|f| counted(f))
            .map(|f| f.spec.size)
            .sum();
        let total_bytes: u64 = self
            .files
            .values()
            .filter(|f| counted(f))
            .map(|f| f.reported)
            .sum();
        let total_bytes = self.ctx.meter.update(total_bytes, self.ctx.now);
        let pct = |a: u64, b: u64| {
            if b == 0 {
                100.0
            } else {
                (a as f64 * 100.0 / b as f64).min(100.0)
            }
        };
        let info = ProgressInfo {
            file,
            file_bytes,
            file_size,
            file_percent: pct(file_bytes, file_size),
            total_bytes,
            total_size,
            total_percent: pct(total_bytes, total_size),
            speed_bps: self.ctx.meter.speed(),
            eta_ms: self.ctx.meter.eta(total_size.saturating_sub(total_bytes)),
        };
        self.ctx.event(Event::Progress(info));
    }
}

/// A state with nothing in flight, keeping what the server confirmed.
fn quiesce(state: FileState, now: Millis) -> FileState {
    match state {
        FileState::Starting(mut c) => {
            c.req = None;
            FileState::Starting(c)
        }
        FileState::Rejoining(mut c) => {
            c.req = None;
            FileState::Rejoining(c)
        }
        FileState::Uploading(mut t) => {
            for p in &mut t.parts {
                p.reset(now);
            }
            // Its parts go again, and complete may go ahead of them again.
            t.early = crate::early::Early::Unsent;
            FileState::Uploading(t)
        }
        FileState::Completing(mut t, mut c) => {
            c.req = None;
            t.early = crate::early::Early::Refused;
            FileState::Completing(t, c)
        }
        other => other,
    }
}

/// The flow a file's parts take after start.
pub(crate) fn flow_after_start(
    mode: crate::options::Mode,
    confirmed: bool,
    switched: bool,
) -> Flow {
    use crate::options::Mode;
    match (mode, confirmed) {
        (Mode::Regular, _) | (_, false) => Flow::Regular,
        (Mode::Intelligent, true) => Flow::Intelligent,
        (Mode::Fallback, true) if switched => Flow::Intelligent,
        (Mode::Fallback, true) => Flow::Fallback,
    }
}
