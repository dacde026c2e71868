//! What goes in and out of the engine.

use skiff_protocol::{UploadTags, routes};
use std::fmt;

/// Milliseconds on the driver's monotonic clock.
pub type Millis = u64;

/// One file in the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// One request the engine asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// A file to upload, and where to.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSpec {
    /// Base URL of the upload API (`/multipart/start` is appended).
    pub upload_url: String,
    /// App key.
    pub apikey: String,
    /// File name.
    pub filename: String,
    /// MIME type.
    pub mimetype: String,
    /// Size in bytes.
    pub size: u64,
    /// The `store` object (location, path, container, region, access, …).
    pub store: serde_json::Value,
    /// Upload tags, sent at complete.
    pub tags: UploadTags,
    /// Policy and signature, when the app needs them.
    pub security: Option<(String, String)>,
    /// Alt text.
    pub alt: Option<String>,
    /// An upload of this file begun earlier, to carry on with (see [`crate::Checkpoint`]).
    pub rejoin: Option<crate::Checkpoint>,
    /// The upload API is the app's own server, not Filestack's hosted one: start asks it to
    /// sign part 1 (`first_part`, a Skiff extension that skiff-server answers). Off for
    /// Filestack's hosts, which were never tried with a field they do not know.
    pub own_server: bool,
}

impl FileSpec {
    /// A spec with the default store (`s3`), no tags and no security.
    pub fn new(upload_url: &str, apikey: &str, filename: &str, mimetype: &str, size: u64) -> Self {
        Self {
            upload_url: upload_url.trim_end_matches('/').to_owned(),
            apikey: apikey.to_owned(),
            filename: filename.to_owned(),
            mimetype: mimetype.to_owned(),
            size,
            store: serde_json::json!({ "location": "s3" }),
            tags: UploadTags::new(),
            security: None,
            alt: None,
            rejoin: None,
            own_server: false,
        }
    }
}

/// Which call a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// `POST /multipart/start`.
    Start,
    /// `POST /multipart/upload` for a part (offset 0) or a chunk at `offset`.
    Upload {
        /// Part number, 1-based.
        part: u32,
        /// Offset of the chunk within the part.
        offset: u64,
    },
    /// The PUT of a part's or chunk's bytes.
    Put {
        /// Part number, 1-based.
        part: u32,
        /// Offset of the chunk within the part.
        offset: u64,
    },
    /// `POST /multipart/commit`.
    Commit {
        /// Part number, 1-based.
        part: u32,
    },
    /// `POST /multipart/complete`.
    Complete,
    /// `POST /multipart/resume` (Skiff): what the server holds of an upload begun earlier.
    Rejoin,
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Start => f.write_str(routes::MULTIPART_START),
            Self::Upload { part, offset: 0 } => {
                write!(f, "{} for part {part}", routes::MULTIPART_UPLOAD)
            }
            Self::Upload { part, offset } => {
                let path = routes::MULTIPART_UPLOAD;
                write!(f, "{path} for part {part} at offset {offset}")
            }
            Self::Put { part, offset: 0 } => write!(f, "PUT of part {part}"),
            Self::Put { part, offset } => write!(f, "PUT of part {part} at offset {offset}"),
            Self::Commit { part } => write!(f, "{} of part {part}", routes::MULTIPART_COMMIT),
            Self::Complete => f.write_str(routes::MULTIPART_COMPLETE),
            Self::Rejoin => f.write_str(routes::MULTIPART_RESUME),
        }
    }
}

/// The body of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A JSON object. When `md5_of` is set, the driver adds `"md5"`: the base64 MD5 of that byte
    /// range of the file.
    Json {
        /// The object.
        value: serde_json::Value,
        /// Byte range of the file whose MD5 goes in `"md5"`.
        md5_of: Option<(u64, u64)>,
        /// The call may go without `"md5"` if the digest is not ready yet. Set on a whole
        /// part's first try when the server said its part ETags are MD5s: the driver then
        /// checks the PUT's ETag against the digest once it lands, and reports
        /// [`Outcome::Unverified`] if they differ (the part is sent again, with its MD5).
        md5_later: bool,
    },
    /// Bytes `start..end` of the file.
    Slice {
        /// First byte.
        start: u64,
        /// One past the last byte.
        end: u64,
        /// The server signed this PUT without the part's MD5 and no call of the driver's said
        /// so: part 1, signed with start's answer (`first_part`, a Skiff extension). The driver
        /// checks the PUT's ETag against the range's digest, as for a call sent without its
        /// MD5 (`md5_later`).
        check_etag: bool,
    },
}

/// A request to perform.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Its id, for [`crate::Engine::handle`].
    pub id: RequestId,
    /// The file it is for.
    pub file: FileId,
    /// Which call.
    pub kind: RequestKind,
    /// `POST` or `PUT`.
    pub method: &'static str,
    /// Absolute URL.
    pub url: String,
    /// Headers to send.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Body,
    /// The engine gives up on it after this long (and asks the driver to abort it).
    pub timeout_ms: Millis,
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An HTTP answer.
    Response {
        /// Status code.
        status: u16,
        /// Body text.
        body: String,
        /// `ETag` header, if readable.
        etag: Option<String>,
    },
    /// No answer: connection refused or cut, DNS, CORS, …
    Network(String),
    /// Not sent: the bytes it needed to hash could not be read from the file. Retried
    /// like a network error: a read can fail once and work again, and a file that has gone
    /// stays unreadable until the retries run out.
    Unreadable(String),
    /// A PUT sent before its part's MD5 was known was answered, but its `ETag` is not that MD5
    /// (or the range could not be read to check it), and why, as the retry's reason. Retried
    /// like a network error; the retry carries the MD5, so the server checks the bytes itself.
    Unverified(String),
}

/// The result of a completed upload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileResult {
    /// Handle.
    pub handle: String,
    /// Download URL.
    pub url: String,
    /// File name.
    pub filename: String,
    /// Size.
    pub size: u64,
    /// MIME type.
    pub mimetype: String,
    /// `Stored` or `InTransit`.
    pub status: String,
    /// Storage key.
    pub key: Option<String>,
    /// Storage container.
    pub container: Option<String>,
    /// Upload tags as the server echoed them.
    pub upload_tags: UploadTags,
}

/// Why an upload failed: which request, and what the server or network said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct UploadError {
    /// The request that failed last (none for a refusal before any request).
    pub request: Option<RequestKind>,
    /// HTTP status, if there was an answer.
    pub status: Option<u16>,
    /// The server's error code, if it sent one.
    pub code: Option<String>,
    /// A readable explanation.
    pub message: String,
}

/// Progress of one file and of everything.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressInfo {
    /// The file.
    pub file: FileId,
    /// Bytes of the file sent (never decreases).
    pub file_bytes: u64,
    /// The file's size.
    pub file_size: u64,
    /// Percent of the file, 0–100.
    pub file_percent: f64,
    /// Bytes of all files sent (never decreases).
    pub total_bytes: u64,
    /// Size of all files.
    pub total_size: u64,
    /// Percent of all files, 0–100.
    pub total_percent: f64,
    /// Recent speed, bytes per second.
    pub speed_bps: f64,
    /// Estimated time left for all files, ms (none until the speed is known).
    pub eta_ms: Option<Millis>,
}

/// Something the driver or the app should know.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The server accepted the upload.
    Started {
        /// The file.
        file: FileId,
        /// Upload id.
        upload_id: String,
        /// Whether intelligent ingestion is in use.
        intelligent: bool,
        /// What to keep to carry on with this upload after a reload (no part done yet).
        checkpoint: crate::Checkpoint,
        /// How long the server keeps the upload, in ms from now, if it said (`expires_in`):
        /// what is kept of it is worth keeping that long.
        expires_in: Option<Millis>,
    },
    /// An upload begun earlier carries on: the server holds `held` bytes of it, which are not
    /// sent again.
    Rejoined {
        /// The file.
        file: FileId,
        /// Upload id.
        upload_id: String,
        /// Bytes the server holds.
        held: u64,
    },
    /// An upload begun earlier could not be carried on; the file is uploaded afresh.
    RejoinRefused {
        /// The file.
        file: FileId,
        /// Why.
        reason: String,
    },
    /// Bytes went out.
    Progress(ProgressInfo),
    /// A part is done.
    PartDone {
        /// The file.
        file: FileId,
        /// Part number.
        part: u32,
        /// The ETag of a regular part (to keep in the checkpoint).
        etag: Option<String>,
    },
    /// The parts of a regular upload from byte `from` on are cut again, into parts of
    /// `part_size`: bigger ones (the link has shown itself fast; the first of them is in), or
    /// back to the first size (one of the bigger ones failed; none of the new ones is done).
    /// For the checkpoint.
    Recut {
        /// The file.
        file: FileId,
        /// The number of the first part cut again (it keeps its number).
        part: u32,
        /// The first byte of the first part cut again.
        from: u64,
        /// Their size (the last may be shorter).
        part_size: u64,
    },
    /// A request failed and will be tried again.
    Retrying {
        /// The file.
        file: FileId,
        /// The request that failed.
        request: RequestKind,
        /// Failures of this request so far.
        attempt: u32,
        /// Wait before the next try, ms.
        delay_ms: Millis,
        /// What went wrong.
        reason: String,
        /// The chunk size for the next try (intelligent uploads).
        chunk_size: Option<u64>,
    },
    /// A fallback upload switched to intelligent ingestion.
    SwitchedToIntelligent {
        /// The file whose PUT failed.
        file: FileId,
    },
    /// The file is stored.
    FileDone {
        /// The file.
        file: FileId,
        /// What the server answered.
        result: FileResult,
    },
    /// The file failed for good.
    FileFailed {
        /// The file.
        file: FileId,
        /// Why.
        error: UploadError,
    },
    /// The file was paused.
    Paused {
        /// The file.
        file: FileId,
    },
    /// The file was resumed.
    Resumed {
        /// The file.
        file: FileId,
    },
    /// The file was cancelled.
    Cancelled {
        /// The file.
        file: FileId,
    },
}

/// What the driver must do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Perform this request and report its outcome.
    Send(Request),
    /// Abort this request (timed out, paused or cancelled); do not report its outcome.
    Abort(RequestId),
    /// Tell the app.
    Event(Event),
}
