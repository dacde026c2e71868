//! Upload sessions, files and the webhook outbox: the narrow [`StateStore`] port, with SQLite
//! (the embedded default, cargo feature `sqlite`) and in-memory implementations. Both pass the
//! `conformance` suite (compiled for tests, and for other crates' backends with the cargo
//! feature `conformance`).
//!
//! Times are unix milliseconds, always passed in by the caller (the store never reads a clock).

use crate::storage::Piece;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use skiff_protocol::UploadTags;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;

pub use memory::MemoryState;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresOpenError, PostgresState};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteState;

/// Errors of a state backend (always internal faults: bad input is refused before it gets here).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The database failed.
    #[error("database: {0}")]
    Db(String),
    /// A stored record could not be read back.
    #[error("corrupt record {what}: {cause}")]
    Corrupt {
        /// Which record.
        what: String,
        /// Why.
        cause: String,
    },
    /// The session was completed or removed meanwhile.
    #[error("upload session {0} is gone")]
    SessionGone(String),
    /// The database cannot be reached right now (down, restarting, out of connections); the
    /// same call may work a moment later.
    #[error("database unavailable: {cause}")]
    Unavailable {
        /// Why.
        cause: String,
    },
}

/// Where and how a file is to be stored, as asked at start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreTarget {
    /// Location name as given (lower-cased), e.g. `s3`.
    pub location: String,
    /// Requested storage path (key or folder ending in `/`).
    pub path: Option<String>,
    /// Container (bucket).
    pub container: String,
    /// Region, if given.
    pub region: Option<String>,
    /// `public` / `private`, if given.
    pub access: Option<String>,
}

/// One multipart upload in progress (or completed, kept until it expires so that a repeated
/// complete answers the same file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Upload id.
    pub id: String,
    /// App key.
    pub app: String,
    /// File name at start.
    pub filename: String,
    /// MIME type at start.
    pub mimetype: String,
    /// Declared file size.
    pub size: u64,
    /// Storage target.
    pub target: StoreTarget,
    /// Intelligent ingestion granted.
    pub fii: bool,
    /// Created, unix ms.
    pub created_at: i64,
    /// Expires, unix ms.
    pub expires_at: i64,
    /// Handle of the file once completed.
    pub completed: Option<String>,
    /// The storage's multipart upload when clients send the parts straight to it (its object
    /// is named by the handle the file will have); `None` when parts come through the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct: Option<crate::storage::DirectUpload>,
    /// The handle the file will have, chosen at start (so the metadata call can say
    /// `Started`); empty in sessions stored before it was (complete then picks one).
    #[serde(default)]
    pub handle: String,
    /// The region of the edge whose landing storage holds this upload's bytes (it began
    /// there); `None` when they are in the app's storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge: Option<String>,
}

/// One part ready for assembly: a regular part (with its ETag) or a committed intelligent part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRecord {
    /// 1-based part number.
    pub part: u32,
    /// Part length.
    pub size: u64,
    /// Hex MD5 of a regular part; `None` for a committed intelligent part.
    pub etag: Option<String>,
    /// The staged pieces, in order.
    pub pieces: Vec<Piece>,
}

/// One received chunk of an intelligent part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkRecord {
    /// 1-based part number.
    pub part: u32,
    /// Offset within the part.
    pub offset: u64,
    /// Length.
    pub size: u64,
    /// Staged piece id.
    pub piece: String,
}

/// A stored file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Handle.
    pub handle: String,
    /// App key.
    pub app: String,
    /// File name.
    pub filename: String,
    /// MIME type.
    pub mimetype: String,
    /// Size in bytes.
    pub size: u64,
    /// Storage key (logical).
    pub key: String,
    /// Storage path as requested.
    pub path: Option<String>,
    /// Container.
    pub container: String,
    /// Location name.
    pub location: String,
    /// Stored, unix ms.
    pub uploaded_at: i64,
    /// Upload tags.
    pub upload_tags: UploadTags,
    /// Hex MD5 of the whole file when known.
    pub md5: Option<String>,
    /// The URL it was fetched from (store from URL).
    pub source_url: Option<String>,
    /// Alt text.
    pub alt: Option<String>,
    /// Where the file is on its way to, while it is: `store.location` named a location of the
    /// config (`[locations.<name>]`), or it was uploaded to an edge; the bytes wait where they
    /// landed (the app's storage, or the edge's), and the transfer queue moves them. `None`
    /// once they are where they belong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<Transfer>,
}

/// Where a file is going, and what its webhook will name as its client once it is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// The location's name (`[locations.<name>]`); `None`: the app's own storage (a file
    /// uploaded to an edge, on its way to the final storage).
    pub to: Option<String>,
    /// The `client` of its `fp.upload` webhook ("Computer", a cloud source's name).
    pub client: String,
    /// The edge holding the bytes until they are moved; `None`: they are in the app's storage,
    /// where every instance reads them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<Held>,
}

/// An edge that holds a file's bytes in its landing storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    /// The edge's region (`region`): only its instances read the bytes and move them.
    pub region: String,
    /// Its public URL: other instances send requests for the bytes there.
    pub url: String,
}

/// A file's move to its location, in the transfer queue (recorded with the file, in the same
/// transaction, whenever [`FileRecord::transfer`] is set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferJob {
    /// The file.
    pub handle: String,
    /// The location's name; `None`: the app's own storage.
    pub to: Option<String>,
    /// The region of the edge holding the bytes: only its instances claim the job.
    pub holder: Option<String>,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Due, unix ms (for a claimed job, when its lease ends).
    pub next_at: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Given up after too many attempts: kept, and shown, until someone acts.
    pub failed: bool,
}

/// The `dest` column of a queued transfer: the location's name, or an empty string for the
/// app's own storage (the column predates edges, and a location's name is never empty).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn dest_column(to: Option<&str>) -> &str {
    to.unwrap_or("")
}

/// A transfer's destination from its `dest` column (see [`dest_column`]).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn dest_of(column: String) -> Option<String> {
    Some(column).filter(|c| !c.is_empty())
}

/// A webhook to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWebhook {
    /// App key.
    pub app: String,
    /// Receiver.
    pub url: String,
    /// Signing secret.
    pub secret: Option<String>,
    /// `action`, `timestamp` and `text` of the event; `id` is added at delivery.
    pub event: serde_json::Value,
}

/// A webhook in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookJob {
    /// Outbox id (also the event's `id`).
    pub id: i64,
    /// The webhook.
    pub hook: NewWebhook,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Due, unix ms.
    pub next_at: i64,
    /// Enqueued, unix ms.
    pub created_at: i64,
}

/// The state port. Every method is atomic; `complete` and `insert_file` commit the file and its
/// webhooks together, so an acknowledged upload always has its webhook queued.
#[async_trait]
pub trait StateStore: Send + Sync + std::fmt::Debug {
    /// A key that every instance sharing this store signs part URLs with, when the store
    /// keeps one (PostgreSQL: instances on several machines); `None` to use the key file in
    /// the data folder.
    fn part_url_key(&self) -> Option<&[u8]> {
        None
    }

    /// Records a new session.
    async fn insert_session(&self, session: &Session) -> Result<(), StateError>;
    /// The session with this id.
    async fn session(&self, id: &str) -> Result<Option<Session>, StateError>;
    /// The session whose file will have this handle ([`Session::handle`]), completed or not.
    async fn session_for_handle(&self, handle: &str) -> Result<Option<Session>, StateError>;
    /// Records a part, replacing an earlier record of the same number.
    async fn put_part(&self, upload: &str, part: &PartRecord) -> Result<(), StateError>;
    /// The parts of an upload, by number.
    async fn parts(&self, upload: &str) -> Result<Vec<PartRecord>, StateError>;
    /// Records a chunk, replacing an earlier one at the same part and offset.
    async fn put_chunk(&self, upload: &str, chunk: &ChunkRecord) -> Result<(), StateError>;
    /// The chunks of one part, by offset.
    async fn chunks(&self, upload: &str, part: u32) -> Result<Vec<ChunkRecord>, StateError>;
    /// Every chunk of an upload, by part and offset (what it holds, for a resumed upload).
    async fn upload_chunks(&self, upload: &str) -> Result<Vec<ChunkRecord>, StateError>;
    /// Marks the session completed as `file`, drops its part and chunk records, stores the file
    /// and queues `webhooks`, all at once. Fails with [`StateError::SessionGone`] when the
    /// session is missing or already completed.
    async fn complete(
        &self,
        upload: &str,
        file: &FileRecord,
        webhooks: &[NewWebhook],
        now: i64,
    ) -> Result<(), StateError>;
    /// Stores a file (not from a session) and queues `webhooks`, at once.
    async fn insert_file(
        &self,
        file: &FileRecord,
        webhooks: &[NewWebhook],
        now: i64,
    ) -> Result<(), StateError>;
    /// The file with this handle.
    async fn file(&self, handle: &str) -> Result<Option<FileRecord>, StateError>;
    /// Every file's handle (for garbage collection).
    async fn handles(&self) -> Result<Vec<String>, StateError>;
    /// Removes a file record; whether there was one.
    async fn delete_file(&self, handle: &str) -> Result<bool, StateError>;
    /// Sessions that expired at `now` (at most `limit`). A store shared by several instances
    /// may hand each one to a single caller for a while (a lease), so that one sweep removes it.
    async fn expired_sessions(&self, now: i64, limit: usize) -> Result<Vec<String>, StateError>;
    /// Removes a session with its parts and chunks.
    async fn delete_session(&self, id: &str) -> Result<(), StateError>;
    /// Webhooks due at `now`, oldest first (at most `limit`), without claiming them: a look at
    /// the outbox. Delivery uses [`StateStore::claim_due_webhooks`].
    async fn due_webhooks(&self, now: i64, limit: usize) -> Result<Vec<WebhookJob>, StateError>;
    /// Claims the webhooks due at `now`, oldest first (at most `limit`), for `lease_ms`: until
    /// `now + lease_ms` no other claim returns them, so instances sharing the outbox never send
    /// one event twice. The claimer settles each job with [`StateStore::webhook_delivered`] or
    /// [`StateStore::webhook_failed`]; when it dies instead, the lease runs out and the job is
    /// due again. The lease must outlast one delivery attempt. Returned jobs carry the lease's
    /// end as `next_at`.
    async fn claim_due_webhooks(
        &self,
        now: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<WebhookJob>, StateError>;
    /// The earliest time a pending webhook is due (for a claimed one, when its lease ends).
    async fn next_webhook_at(&self) -> Result<Option<i64>, StateError>;
    /// A webhook was delivered: it leaves the outbox.
    async fn webhook_delivered(&self, id: i64) -> Result<(), StateError>;
    /// A delivery failed: try again at `next_at`, or give up when `next_at` is `None`.
    async fn webhook_failed(
        &self,
        id: i64,
        attempts: u32,
        next_at: Option<i64>,
        error: &str,
    ) -> Result<(), StateError>;

    /// Claims the transfers due at `now` (at most `limit`) for `lease_ms`, as
    /// [`StateStore::claim_due_webhooks`] claims webhooks: no other claim returns them until
    /// the lease ends, and a claimer that dies leaves them due again after it. Only jobs any
    /// instance can do (no holder) and those held by the edge region `holder` are claimed.
    async fn claim_due_transfers(
        &self,
        now: i64,
        lease_ms: i64,
        limit: usize,
        holder: Option<&str>,
    ) -> Result<Vec<TransferJob>, StateError>;
    /// The transfer of `file` is done: its record becomes `file` (moved, `transfer` cleared),
    /// the job leaves the queue and `webhooks` are queued, in one transaction.
    async fn transfer_done(
        &self,
        file: &FileRecord,
        webhooks: &[NewWebhook],
        now: i64,
    ) -> Result<(), StateError>;
    /// An attempt failed: try again at `next_at`, or give up when it is `None` (the job stays,
    /// marked failed, for [`StateStore::transfer`] to show).
    async fn transfer_failed(
        &self,
        handle: &str,
        attempts: u32,
        next_at: Option<i64>,
        error: &str,
    ) -> Result<(), StateError>;
    /// The queued transfer of a file, if it has one.
    async fn transfer(&self, handle: &str) -> Result<Option<TransferJob>, StateError>;
    /// Makes every given-up transfer due at `now` again, its attempts counted afresh (after
    /// the cause was mended); how many.
    async fn retry_failed_transfers(&self, now: i64) -> Result<u64, StateError>;

    /// How many transfers and webhooks wait, and how many were given up (for `/metrics`).
    async fn queue_counts(&self) -> Result<QueueCounts, StateError>;
}

/// The sizes of the transfer queue and the webhook outbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// Transfers waiting or being worked on.
    pub transfers_pending: u64,
    /// Transfers given up (kept, shown in the file's metadata).
    pub transfers_failed: u64,
    /// Webhooks waiting or being delivered.
    pub webhooks_pending: u64,
    /// Webhooks given up.
    pub webhooks_failed: u64,
}
