//! Uploads whose parts clients send straight to the storage, not through the server: the
//! server starts a multipart upload of the final object, hands out one presigned URL per part,
//! then completes or aborts it. S3-compatible buckets offer it ([`super::S3Storage`]); the
//! in-memory storage has a twin for handler tests ([`super::MemoryStorage::with_direct`]).
//! Storages without it take every part through the server, as before.

use super::StorageError;
use async_trait::async_trait;
use std::time::Duration;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;

/// A multipart upload of object `name` whose parts clients send to presigned URLs. Plain data
/// kept in the upload's session, so that any instance can finish or abort it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DirectUpload {
    /// The object it makes (as [`super::Storage::get`] names it).
    pub name: String,
    /// The storage's id of the multipart upload.
    pub upload_id: String,
}

/// One presigned part: PUT the part's bytes to `url` with exactly `headers`; the answer's
/// `ETag` header names the part at completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedPart {
    /// Where to send the part (valid for the lifetime asked for).
    pub url: url::Url,
    /// Headers the request must carry as they are (`Content-MD5` when an MD5 was given).
    pub headers: Vec<(String, String)>,
}

/// The port. Every call may come from another instance than the one that started the upload.
#[async_trait]
pub trait DirectUploads: Send + Sync {
    /// Starts a multipart upload of object `name`.
    async fn start_direct(&self, name: &str) -> Result<DirectUpload, StorageError>;

    /// Signs the upload of part `number` (1 to 10,000) of `upload` for `lifetime`. With `md5`,
    /// the storage takes only bytes with that digest (the signature covers `Content-MD5`).
    async fn presign_part(
        &self,
        upload: &DirectUpload,
        number: u32,
        md5: Option<[u8; 16]>,
        lifetime: Duration,
    ) -> Result<PresignedPart, StorageError>;

    /// Completes `upload` with the ETags of its parts 1, 2, … in that order and returns the
    /// object's size. A wrong or missing ETag, or a part under 5 MiB but the last, is
    /// [`StorageError::Refused`] and leaves the upload open, to be completed again or aborted.
    /// Completing again an upload that was completed answers the object's size (the first
    /// answer may have been lost on its way); one that was aborted is
    /// [`StorageError::NotFound`].
    async fn complete_direct(
        &self,
        upload: &DirectUpload,
        etags: &[String],
    ) -> Result<u64, StorageError>;

    /// Aborts `upload`, dropping the parts sent (no error if it is already gone or complete).
    async fn abort_direct(&self, upload: &DirectUpload) -> Result<(), StorageError>;
}

/// Checks a part number against S3's range, the same for every backend.
pub(crate) fn check_part_number(upload: &DirectUpload, number: u32) -> Result<(), StorageError> {
    use skiff_protocol::limits::MAX_PARTS;
    if (1..=MAX_PARTS).contains(&number) {
        return Ok(());
    }
    Err(StorageError::Refused {
        what: format!("object {}", upload.name),
        cause: format!("part number {number} is not between 1 and {MAX_PARTS}"),
    })
}
