//! The picker's selection: every file the user picked, refused or uploaded, as one explicit state
//! per file, changed only by [`Selection::reduce`]. The rules (accept, sizes, counts, concurrency)
//! are plain data; effects (calling the app, starting uploads) live in the picker's hooks, which
//! read [`Selection::startable`] and [`Selection::finished`] after each change.

use super::accept::{AcceptRule, accepts};
use super::cloud::CloudSource;
use super::failure::Failure;
use serde_json::Value;

/// A file's id within one picker.
pub type EntryId = u32;

/// Where a file comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The user's device (the picker holds the `File`).
    Local,
    /// A link the server fetches.
    Url(String),
    /// A file of a cloud source, imported by the server (`/store/`), or a whole folder (its path
    /// ends with `/`, as every folder path of the Cloud API does), whose files take its place
    /// when the upload starts.
    Cloud(CloudSource, String),
}

impl Origin {
    /// Whether this is a whole cloud folder.
    pub fn is_folder(&self) -> bool {
        matches!(self, Origin::Cloud(_, p) if p.ends_with('/'))
    }
}

/// Why a file was refused (shown next to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not in `accept`.
    Type,
    /// Larger than `maxSize`.
    TooBig(u64),
    /// Over `maxFiles`.
    TooMany(u32),
    /// `acceptFn`, `onFileSelected` or the tag rules said no, with this reason.
    Vetoed(String),
}

/// Where one file is.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// The app's checks (`acceptFn`, `onFileSelected`) are running.
    Checking,
    /// Refused; kept in the list with the reason.
    Refused(Refusal),
    /// Picked, waiting for the user to start.
    Ready,
    /// Waiting for a free upload slot.
    Queued,
    /// Uploading.
    Uploading {
        /// Bytes sent.
        bytes: u64,
        /// Whole percent.
        percent: u8,
    },
    /// Paused by the user.
    Paused {
        /// Bytes sent.
        bytes: u64,
        /// Whole percent.
        percent: u8,
    },
    /// Stored: the upload's result object.
    Done(Value),
    /// Failed: why, for people and for developers.
    Failed(Failure),
    /// Cancelled by the user or the app.
    Cancelled,
}

impl Phase {
    /// A stable name (the `data-state` of the file's row).
    pub fn name(&self) -> &'static str {
        match self {
            Phase::Checking => "checking",
            Phase::Refused(_) => "refused",
            Phase::Ready => "ready",
            Phase::Queued => "queued",
            Phase::Uploading { .. } => "uploading",
            Phase::Paused { .. } => "paused",
            Phase::Done(_) => "done",
            Phase::Failed(_) => "failed",
            Phase::Cancelled => "cancelled",
        }
    }

    fn counts(&self) -> bool {
        !matches!(self, Phase::Refused(_) | Phase::Cancelled)
    }

    fn active(&self) -> bool {
        matches!(self, Phase::Uploading { .. } | Phase::Paused { .. })
    }

    fn pending(&self) -> bool {
        matches!(
            self,
            Phase::Checking
                | Phase::Ready
                | Phase::Queued
                | Phase::Uploading { .. }
                | Phase::Paused { .. }
        )
    }
}

/// One file of the selection.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Id within the picker.
    pub id: EntryId,
    /// Name (after any rename by `onFileSelected`).
    pub name: String,
    /// Size in bytes (0 for links, unknown until fetched).
    pub size: u64,
    /// MIME type.
    pub mimetype: String,
    /// Where it comes from.
    pub origin: Origin,
    /// Where it is.
    pub phase: Phase,
    /// How fast its upload goes, once it has run for a few seconds (shown while it uploads).
    pub rate: Option<Rate>,
    /// Its upload carries on one begun before the page was reloaded.
    pub resumed: bool,
}

/// The pace of one upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Recent speed, bytes per second.
    pub speed_bps: u64,
    /// Time left, ms, once the speed is known.
    pub eta_ms: Option<u64>,
}

/// A file being added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// Its id, chosen by the picker (which keeps the `File` under it).
    pub id: EntryId,
    /// Name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// MIME type.
    pub mimetype: String,
    /// Where it comes from.
    pub origin: Origin,
}

/// The picker options that decide what is admitted and when uploads run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rules {
    /// `accept` (empty: anything).
    pub accept: Vec<AcceptRule>,
    /// `maxSize`, bytes.
    pub max_size: Option<u64>,
    /// `minFiles`.
    pub min_files: u32,
    /// `maxFiles`.
    pub max_files: u32,
    /// Files uploaded at once.
    pub concurrency: usize,
    /// The app checks each file (`acceptFn` or `onFileSelected`): files start as `Checking`.
    pub app_checks: bool,
    /// Start uploading once `max_files` files are ready.
    pub start_at_max: bool,
    /// Upload each file as soon as it is admitted.
    pub background: bool,
}

/// What changes the selection.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Files picked, dropped, pasted or linked.
    Add(Vec<NewFile>),
    /// The app's checks ended: `Ok(Some(name))` renames, `Err(reason)` refuses.
    Checked(EntryId, Result<Option<String>, String>),
    /// The user removed a file that is not uploading.
    Remove(EntryId),
    /// The user pressed Upload: ready files are queued and the picker finishes when all end.
    Start,
    /// Finish once nothing is pending (the drop pane, which uploads every admitted file).
    Finish,
    /// The picker began uploading a queued file.
    Began(EntryId),
    /// Bytes sent so far, whole percent, and the pace when it is worth showing.
    Progress(EntryId, u64, u8, Option<Rate>),
    /// A file's upload carries on one begun before a reload (the server holds some of it).
    Resumed(EntryId),
    /// The user paused a file.
    Pause(EntryId),
    /// The user resumed a file.
    Resume(EntryId),
    /// A file's upload ended.
    Ended(EntryId, Result<Value, Failure>),
    /// A file's upload was cancelled (or a waiting file dropped by a cancel).
    Cancelled(EntryId),
    /// A picked folder's files were listed (they take its place, each admitted by the rules and
    /// joining the running upload), or listing them failed.
    Expanded(EntryId, Result<Vec<NewFile>, Failure>),
    /// The user retries a failed file.
    Retry(EntryId),
    /// Everything not yet ended is cancelled.
    CancelAll,
    /// The end of the upload was reported to the app.
    Reported,
    /// A new round (the drop pane's next drop): ended and refused files leave the list.
    Clear,
}

/// The selection of one picker.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selection {
    /// Files in the order they were added.
    pub entries: Vec<Entry>,
    /// The rules files are admitted by.
    pub rules: Rules,
    /// The user asked to upload: the picker ends once nothing is pending.
    pub finishing: bool,
    /// The end was reported (`onUploadDone` called).
    pub reported: bool,
}

impl Selection {
    /// An empty selection under `rules`.
    pub fn new(rules: Rules) -> Selection {
        Selection {
            rules,
            ..Selection::default()
        }
    }

    /// The selection after `action`.
    pub fn reduce(mut self, action: Action) -> Selection {
        match action {
            Action::Add(files) => {
                if self.reported && !self.busy() {
                    // Files added after a reported round start the next one (an inline picker
                    // used again): the ended rows leave, so the footer, the live region and
                    // `maxFiles` follow the new batch instead of the one already reported.
                    self = self.reduce(Action::Clear);
                }
                for f in files {
                    let e = self.admitted(f);
                    self.entries.push(e);
                }
            }
            Action::Expanded(id, listed) => {
                let at = self.entries.iter().position(|e| {
                    e.id == id && e.origin.is_folder() && matches!(e.phase, Phase::Uploading { .. })
                });
                match (at, listed) {
                    (Some(at), Ok(files)) => {
                        // Out first, so the folder does not count against its own files; each
                        // file counts against the ones before it, then all move to its place.
                        self.entries.remove(at);
                        let start = self.entries.len();
                        for f in files {
                            let e = self.admitted(f);
                            self.entries.push(e);
                        }
                        let new: Vec<Entry> = self.entries.drain(start..).collect();
                        self.entries.splice(at..at, new);
                    }
                    (Some(at), Err(f)) => self.entries[at].phase = Phase::Failed(f),
                    // Cancelled or removed meanwhile.
                    (None, _) => {}
                }
            }
            Action::Checked(id, result) => {
                let admitted = self.admitted_phase();
                if let Some(e) = self.entry_mut(id).filter(|e| e.phase == Phase::Checking) {
                    match result {
                        Ok(rename) => {
                            if let Some(n) = rename.filter(|n| !n.trim().is_empty()) {
                                e.name = n;
                            }
                            e.phase = admitted;
                        }
                        Err(reason) => e.phase = Phase::Refused(Refusal::Vetoed(reason)),
                    }
                }
            }
            Action::Remove(id) => {
                self.entries
                    .retain(|e| e.id != id || e.phase.active() || matches!(e.phase, Phase::Queued));
            }
            Action::Start => {
                if self.reported {
                    // A new round after a reported one (an inline picker used again): only the
                    // new files take part, and count towards `maxFiles`.
                    self = self.reduce(Action::Clear);
                }
                if self.can_start().is_ok() {
                    self.finishing = true;
                    for e in &mut self.entries {
                        if e.phase == Phase::Ready {
                            e.phase = Phase::Queued;
                        }
                    }
                }
            }
            Action::Finish => self.finishing = true,
            Action::Began(id) => self.set(
                id,
                |p| matches!(p, Phase::Queued),
                Phase::Uploading {
                    bytes: 0,
                    percent: 0,
                },
            ),
            Action::Progress(id, bytes, percent, rate) => {
                if let Some(e) = self.entry_mut(id) {
                    e.rate = rate;
                    // A paused row keeps the figure it paused at: the last report of the bytes
                    // on the wire at the click can arrive just after it (the driver spaces its
                    // calls by progressInterval), and those bytes are dropped by the pause.
                    if let Phase::Uploading {
                        bytes: b,
                        percent: p,
                    } = &mut e.phase
                    {
                        *b = (*b).max(bytes);
                        *p = (*p).max(percent.min(100));
                    }
                }
            }
            Action::Resumed(id) => {
                if let Some(e) = self.entry_mut(id) {
                    e.resumed = matches!(e.phase, Phase::Uploading { .. } | Phase::Paused { .. });
                }
            }
            Action::Pause(id) => {
                if let Some(e) = self.entry_mut(id) {
                    if let Phase::Uploading { bytes, percent } = e.phase {
                        e.phase = Phase::Paused { bytes, percent };
                    }
                }
            }
            Action::Resume(id) => {
                if let Some(e) = self.entry_mut(id) {
                    if let Phase::Paused { bytes, percent } = e.phase {
                        e.phase = Phase::Uploading { bytes, percent };
                    }
                }
            }
            Action::Ended(id, result) => {
                let phase = match result {
                    Ok(v) => Phase::Done(v),
                    Err(m) => Phase::Failed(m),
                };
                self.set(id, |p| p.pending(), phase);
            }
            Action::Cancelled(id) => self.set(id, |p| p.pending(), Phase::Cancelled),
            Action::Retry(id) => {
                self.set(id, |p| matches!(p, Phase::Failed(_)), Phase::Queued);
                if let Some(e) = self.entry_mut(id) {
                    e.resumed = false;
                }
                self.reported = false;
            }
            Action::CancelAll => {
                for e in &mut self.entries {
                    if e.phase.pending() {
                        e.phase = Phase::Cancelled;
                    }
                }
            }
            Action::Reported => self.reported = true,
            Action::Clear => {
                self.entries.retain(|e| e.phase.pending());
                self.finishing = false;
                self.reported = false;
            }
        }
        // A round whose every file was cancelled is over, with nothing to report: a file picked
        // next waits for Upload instead of joining it.
        if self.finishing
            && !self
                .entries
                .iter()
                .any(|e| e.phase.pending() || matches!(e.phase, Phase::Done(_) | Phase::Failed(_)))
        {
            self.finishing = false;
        }
        if self.rules.start_at_max
            && !self.finishing
            && self.count_in(|p| *p == Phase::Ready) as u32 == self.rules.max_files
        {
            return self.reduce(Action::Start);
        }
        self
    }

    /// A new file as it joins: refused with the reason, checked by the app first, or admitted.
    /// A whole folder is not checked: its files are, when they take its place.
    fn admitted(&self, f: NewFile) -> Entry {
        let phase = match self.admit(&f) {
            Err(r) => Phase::Refused(r),
            Ok(()) if self.rules.app_checks && !f.origin.is_folder() => Phase::Checking,
            Ok(()) => self.admitted_phase(),
        };
        let NewFile {
            id,
            name,
            size,
            mimetype,
            origin,
        } = f;
        Entry {
            id,
            name,
            size,
            mimetype,
            origin,
            phase,
            rate: None,
            resumed: false,
        }
    }

    fn admitted_phase(&self) -> Phase {
        // A file admitted while an upload runs (a folder's files) joins it.
        if self.rules.background || self.finishing {
            Phase::Queued
        } else {
            Phase::Ready
        }
    }

    fn entry_mut(&mut self, id: EntryId) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.id == id)
    }

    fn set(&mut self, id: EntryId, from: impl Fn(&Phase) -> bool, to: Phase) {
        if let Some(e) = self.entry_mut(id).filter(|e| from(&e.phase)) {
            e.phase = to;
        }
    }

    fn count_in(&self, f: impl Fn(&Phase) -> bool) -> usize {
        self.entries.iter().filter(|e| f(&e.phase)).count()
    }

    /// Whether a new file may join, or why not.
    fn admit(&self, f: &NewFile) -> Result<(), Refusal> {
        // A link's name and size are not known before the server fetches it, nor a folder's
        // files before they are listed; a local or cloud file's are.
        if !matches!(f.origin, Origin::Url(_)) && !f.origin.is_folder() {
            if !accepts(&self.rules.accept, &f.name, &f.mimetype) {
                return Err(Refusal::Type);
            }
            if let Some(limit) = self.rules.max_size.filter(|l| f.size > *l) {
                return Err(Refusal::TooBig(limit));
            }
        }
        if self.count_in(Phase::counts) as u32 >= self.rules.max_files {
            return Err(Refusal::TooMany(self.rules.max_files));
        }
        Ok(())
    }

    /// Files that count towards `maxFiles` (not refused, not cancelled).
    pub fn counted(&self) -> usize {
        self.count_in(Phase::counts)
    }

    /// Whether the user can press Upload, or the smallest number of files needed.
    pub fn can_start(&self) -> Result<(), u32> {
        let ready = self.count_in(|p| *p == Phase::Ready) as u32;
        let need = self.rules.min_files.max(1);
        let others = self.count_in(|p| p.counts() && *p != Phase::Ready) as u32;
        if ready == 0 && !(self.rules.background && others > 0) {
            return Err(need);
        }
        if ready + others < need || self.count_in(|p| *p == Phase::Checking) > 0 {
            return Err(need);
        }
        Ok(())
    }

    /// Queued files that may begin now, oldest first, within the concurrency.
    pub fn startable(&self) -> Vec<EntryId> {
        let free = self
            .rules
            .concurrency
            .max(1)
            .saturating_sub(self.count_in(Phase::active));
        self.entries
            .iter()
            .filter(|e| e.phase == Phase::Queued)
            .take(free)
            .map(|e| e.id)
            .collect()
    }

    /// The upload the user asked for has ended (every file stored, failed or cancelled) and was
    /// not reported yet.
    pub fn finished(&self) -> bool {
        self.finishing
            && !self.reported
            && !self.entries.iter().any(|e| e.phase.pending())
            && self
                .entries
                .iter()
                .any(|e| matches!(e.phase, Phase::Done(_) | Phase::Failed(_)))
    }

    /// Whether any file failed.
    pub fn any_failed(&self) -> bool {
        self.entries
            .iter()
            .any(|e| matches!(e.phase, Phase::Failed(_)))
    }

    /// Whether anything is uploading, paused or waiting for a slot.
    pub fn busy(&self) -> bool {
        self.entries
            .iter()
            .any(|e| e.phase.active() || e.phase == Phase::Queued)
    }

    /// Bytes sent and bytes to send over the files that count, and whole percent.
    pub fn total(&self) -> (u64, u64, u8) {
        let (mut sent, mut size) = (0u64, 0u64);
        for e in self.entries.iter().filter(|e| e.phase.counts()) {
            size += e.size;
            sent += match &e.phase {
                Phase::Uploading { bytes, .. } | Phase::Paused { bytes, .. } => *bytes,
                Phase::Done(_) => e.size,
                _ => 0,
            };
        }
        let percent = (sent.min(size) * 100).checked_div(size).unwrap_or(0) as u8;
        (sent, size, percent)
    }

    /// The entry of a cloud file, if it is picked (refused ones included, so the browser can say
    /// why).
    pub fn cloud_entry(&self, source: CloudSource, path: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| {
            matches!(&e.origin, Origin::Cloud(s, p) if *s == source && p == path)
                && e.phase != Phase::Cancelled
        })
    }

    /// Stored files and failed files, in the order they were added.
    pub fn outcome(&self) -> (Vec<&Entry>, Vec<&Entry>) {
        let done = self
            .entries
            .iter()
            .filter(|e| matches!(e.phase, Phase::Done(_)))
            .collect();
        let failed = self
            .entries
            .iter()
            .filter(|e| matches!(e.phase, Phase::Failed(_)))
            .collect();
        (done, failed)
    }
}

#[cfg(test)]
mod tests;
