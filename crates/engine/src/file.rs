//! One file's upload as an explicit state machine (P2): every transition happens in
//! `crate::engine`'s handlers, one `match` per input.

use crate::plan::{PartPlan, plan_parts};
use crate::types::{FileResult, FileSpec, Millis, RequestId, UploadError};
use crate::wire::Session;
use skiff_protocol::limits::INTELLIGENT_PART_SIZE;

/// A single call that may be retried (start, complete).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Call {
    /// In flight.
    pub(crate) req: Option<RequestId>,
    /// Failures so far.
    pub(crate) attempts: u32,
    /// Not before this time (backoff, or the 202 poll interval).
    pub(crate) not_before: Millis,
    /// 202 answers to complete so far.
    pub(crate) polls: u32,
}

/// How a file's parts travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// One PUT per part; complete lists ETags.
    Regular,
    /// Chunks + commit per part.
    Intelligent,
    /// Regular parts, `fii` on start and complete, ready to switch on the first failed PUT.
    Fallback,
}

impl Flow {
    /// The parts' size in this flow (`regular`: the options' part size), and whether they go
    /// in chunks.
    pub(crate) fn layout(self, regular: u64) -> (u64, bool) {
        match self {
            Flow::Regular => (regular, false),
            Flow::Intelligent => (INTELLIGENT_PART_SIZE, true),
            Flow::Fallback => (INTELLIGENT_PART_SIZE, false),
        }
    }

    /// A file of `size` bytes cut into this flow's parts, none sent yet.
    pub(crate) fn fresh_parts(self, size: u64, regular: u64) -> Vec<Part> {
        let (part_size, chunked) = self.layout(regular);
        Part::fresh(plan_parts(size, part_size), chunked).collect()
    }
}

/// Where one part is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PartState {
    /// Next: ask where to PUT the chunk at `offset` (or commit, when `offset` is the part's
    /// length in the intelligent flow), not before `not_before`.
    Ready { offset: u64, not_before: Millis },
    /// `/multipart/upload` in flight for `len` bytes at `offset`.
    Asking {
        req: RequestId,
        offset: u64,
        len: u64,
    },
    /// A whole part's PUT, signed at `at` and waiting for a slot (see `crate::ahead`).
    /// `check_etag`: signed with start's answer, its ETag checked by the driver (`Body::Slice`).
    Asked {
        offset: u64,
        len: u64,
        url: String,
        headers: Vec<(String, String)>,
        at: Millis,
        check_etag: bool,
    },
    /// The PUT in flight, sent at `started`. `answered`: when its answer arrived, where the
    /// driver holds the outcome back until the part's MD5 lands ([`Engine::answered`]): the
    /// server has the bytes, and what they tell of the link ends there.
    ///
    /// [`Engine::answered`]: crate::Engine::answered
    Putting {
        req: RequestId,
        offset: u64,
        len: u64,
        started: Millis,
        answered: Option<Millis>,
    },
    /// `/multipart/commit` in flight.
    Committing { req: RequestId },
    /// Done; regular parts keep their ETag for complete.
    Done { etag: Option<String> },
}

/// One part (or one lane of a chunked part, see `crate::lanes`), its state and its failures
/// since its last progress.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Part {
    pub(crate) plan: PartPlan,
    pub(crate) state: PartState,
    pub(crate) attempts: u32,
    /// Intelligent parts: how this part travels (a fallback part switches mid-way).
    pub(crate) chunked: bool,
    /// Bytes of the in-flight PUT the driver reported as sent.
    pub(crate) in_flight_sent: u64,
    /// The stretch of the part this entry sends, as offsets in the part: all of it
    /// (`0..len`) unless the part was split into lanes. The lane from 0 commits the part.
    pub(crate) from: u64,
    pub(crate) upto: u64,
    /// A chunk whose bytes are being hashed ahead, as (offset in the part, length): the chunk
    /// from that offset is no longer than that, so a chunk size that grows meanwhile does not
    /// waste its digest (see `Engine::hashing`).
    pub(crate) pin: Option<(u64, u64)>,
    /// A rejoined part the server holds but this client never saw checked (its answer, or the
    /// check of its ETag, was lost with the page). It counts as sent; its call carries its MD5
    /// and asks the server whether it holds these bytes (`if_held`): if so it is done without
    /// a PUT, if not it goes again like any part.
    pub(crate) unchecked: bool,
}

impl Part {
    /// The whole part, in `state`.
    pub(crate) fn new(plan: PartPlan, state: PartState, chunked: bool) -> Self {
        Self {
            plan,
            state,
            attempts: 0,
            chunked,
            in_flight_sent: 0,
            from: 0,
            upto: plan.end - plan.start,
            pin: None,
            unchecked: false,
        }
    }

    /// Parts of `plans`, none of them sent yet.
    pub(crate) fn fresh(plans: Vec<PartPlan>, chunked: bool) -> impl Iterator<Item = Part> {
        let ready = PartState::Ready {
            offset: 0,
            not_before: 0,
        };
        plans
            .into_iter()
            .map(move |plan| Part::new(plan, ready.clone(), chunked))
    }

    pub(crate) fn len(&self) -> u64 {
        self.plan.end - self.plan.start
    }

    /// Bytes the next request from `offset` sends: a chunk of at most `chunk` bytes of the lane's
    /// stretch (and of the length pinned for that offset), or the whole part.
    pub(crate) fn next_len(&self, offset: u64, chunk: u64) -> u64 {
        if self.chunked {
            let pinned = match self.pin {
                Some((at, len)) if at == offset => len,
                _ => chunk,
            };
            chunk.min(pinned).min(self.upto - offset)
        } else {
            self.len()
        }
    }

    /// A lane split off another one: it sends the chunks of `from..upto` and never commits.
    pub(crate) fn is_helper(&self) -> bool {
        self.from > 0
    }

    /// Holds one of the `concurrency` slots: a PUT or commit on the wire, or a chunk's
    /// `/multipart/upload` (a whole part's is asked ahead, outside the slots).
    pub(crate) fn busy(&self) -> bool {
        match self.state {
            PartState::Putting { .. } | PartState::Committing { .. } => true,
            PartState::Asking { .. } => self.chunked,
            _ => false,
        }
    }

    /// A whole part whose signed PUT is asked for or in hand, not yet on the wire.
    pub(crate) fn ahead(&self) -> bool {
        !self.chunked
            && matches!(
                self.state,
                PartState::Asking { .. } | PartState::Asked { .. }
            )
    }

    /// Bytes of this part's stretch the server has (plus what is in flight).
    pub(crate) fn sent(&self) -> u64 {
        if self.unchecked {
            return self.upto - self.from;
        }
        match &self.state {
            PartState::Done { .. } | PartState::Committing { .. } => self.upto - self.from,
            PartState::Ready { offset, .. }
            | PartState::Asking { offset, .. }
            | PartState::Asked { offset, .. } => offset - self.from,
            PartState::Putting { offset, .. } => offset - self.from + self.in_flight_sent,
        }
    }

    /// The server holds this part: done, or its PUT answered and only its digest awaited.
    pub(crate) fn stored(&self) -> bool {
        matches!(
            self.state,
            PartState::Done { .. }
                | PartState::Putting {
                    answered: Some(_),
                    ..
                }
        )
    }

    pub(crate) fn request(&self) -> Option<RequestId> {
        match &self.state {
            PartState::Asking { req, .. }
            | PartState::Putting { req, .. }
            | PartState::Committing { req } => Some(*req),
            _ => None,
        }
    }

    /// Drops what is in flight, keeping confirmed progress (pause, timeout, failure).
    pub(crate) fn reset(&mut self, not_before: Millis) {
        let offset = match &self.state {
            PartState::Done { .. } => return,
            PartState::Committing { .. } => self.upto,
            PartState::Ready { offset, .. }
            | PartState::Asking { offset, .. }
            | PartState::Asked { offset, .. }
            | PartState::Putting { offset, .. } => *offset,
        };
        self.in_flight_sent = 0;
        self.state = PartState::Ready { offset, not_before };
    }
}

/// Where a regular upload stands on growing its parts: the state that `crate::grow`'s rule moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Growth {
    /// Timing its first PUTs: how many went through without a failure, and the slowest rate
    /// among them (bytes per second).
    Watching { clean: u32, slowest: u64 },
    /// The tail from byte `from`, from part `first` on, was cut into parts of `size`, none of
    /// them in yet; `base` is the size the tail had.
    Trying {
        first: u32,
        from: u64,
        size: u64,
        base: u64,
    },
    /// Grown, one of the bigger parts in: the first failure of one cuts back to `base`.
    Grown { base: u64 },
    /// Not to grow, or cut back: nothing more to decide.
    Settled,
}

impl Growth {
    /// A fresh upload in `flow`: only regular parts grow, and only where the engine may.
    pub(crate) fn new(flow: Flow, may_grow: bool) -> Growth {
        match flow {
            Flow::Regular if may_grow => Growth::Watching {
                clean: 0,
                slowest: u64::MAX,
            },
            _ => Growth::Settled,
        }
    }
}

/// The parts of a started upload.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Transfer {
    pub(crate) session: Session,
    pub(crate) flow: Flow,
    pub(crate) parts: Vec<Part>,
    pub(crate) growth: Growth,
    pub(crate) early: crate::early::Early,
}

impl Transfer {
    pub(crate) fn sent(&self) -> u64 {
        self.parts.iter().map(Part::sent).sum()
    }

    pub(crate) fn all_done(&self) -> bool {
        self.parts
            .iter()
            .all(|p| matches!(p.state, PartState::Done { .. }))
    }

    /// Whether complete carries `fii`.
    pub(crate) fn fii(&self) -> bool {
        self.flow != Flow::Regular
    }

    pub(crate) fn etags(&self) -> Vec<(u32, String)> {
        self.parts
            .iter()
            .filter_map(|p| match &p.state {
                PartState::Done { etag: Some(e) } => Some((p.plan.number, e.clone())),
                _ => None,
            })
            .collect()
    }
}

/// Where a file's upload is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FileState {
    /// Waiting for a file slot.
    Queued,
    /// `/multipart/start`.
    Starting(Call),
    /// `/multipart/resume`: asking what the server holds of an upload begun earlier.
    Rejoining(Call),
    /// Parts on their way.
    Uploading(Transfer),
    /// `/multipart/complete`.
    Completing(Transfer, Call),
    /// Stored.
    Done(FileResult),
    /// Failed for good.
    Failed(UploadError),
    /// Cancelled by the user.
    Cancelled,
    /// Paused by the user; nothing in flight. Resuming returns to the inner state.
    Paused(Box<FileState>),
}

impl FileState {
    /// Holds a file slot (counts against file concurrency).
    pub(crate) fn active(&self) -> bool {
        matches!(
            self,
            Self::Starting(_) | Self::Rejoining(_) | Self::Uploading(_) | Self::Completing(..)
        )
    }

    pub(crate) fn finished(&self) -> bool {
        matches!(self, Self::Done(_) | Self::Failed(_) | Self::Cancelled)
    }

    /// Every request in flight for this file.
    pub(crate) fn requests(&self) -> Vec<RequestId> {
        match self {
            Self::Starting(c) | Self::Rejoining(c) => c.req.into_iter().collect(),
            Self::Uploading(t) => t
                .parts
                .iter()
                .filter_map(Part::request)
                .chain(t.early.request())
                .collect(),
            Self::Completing(_, c) => c.req.into_iter().collect(),
            _ => Vec::new(),
        }
    }
}

/// A file and its upload.
#[derive(Debug, Clone)]
pub(crate) struct FileUpload {
    pub(crate) spec: FileSpec,
    pub(crate) state: FileState,
    /// Highest byte count reported, so progress never goes back.
    pub(crate) reported: u64,
    /// Hex MD5s of whole parts' byte ranges, as the driver hashed them ([`Engine::digest`]),
    /// for complete to list before those parts' PUTs are answered (`crate::early`).
    ///
    /// [`Engine::digest`]: crate::Engine::digest
    pub(crate) digests: Vec<(u64, u64, String)>,
}

impl FileUpload {
    /// The transfer under way, and the index of its part whose request is `id`.
    pub(crate) fn part_of(&mut self, id: RequestId) -> Option<(&mut Transfer, usize)> {
        let FileState::Uploading(t) = &mut self.state else {
            return None;
        };
        let i = t.parts.iter().position(|p| p.request() == Some(id))?;
        Some((t, i))
    }

    /// Bytes sent, as the state knows it.
    pub(crate) fn sent(&self) -> u64 {
        fn of(state: &FileState, size: u64) -> u64 {
            match state {
                FileState::Queued
                | FileState::Starting(_)
                | FileState::Rejoining(_)
                | FileState::Cancelled
                | FileState::Failed(_) => 0,
                FileState::Uploading(t) => t.sent(),
                FileState::Completing(..) | FileState::Done(_) => size,
                FileState::Paused(inner) => of(inner, size),
            }
        }
        of(&self.state, self.spec.size)
    }
}
