//! Where file bytes live: the narrow [`Storage`] port, with a local-filesystem backend (the
//! embedded default, cargo feature `fs`), an S3-compatible one ([`S3Storage`]) and an in-memory
//! one for tests. All pass the `conformance` suite (compiled for tests, and for other crates'
//! backends with the cargo feature `conformance`).
//!
//! An upload's bytes arrive as *staged pieces* (a regular part, or one chunk of an intelligent
//! part); complete *assembles* the pieces, in order, into an object. Backends may assemble without
//! copying (the filesystem backend hard-links the pieces and serves them in sequence).

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;
use std::ops::Range;
use std::pin::Pin;
use std::time::SystemTime;

mod azure;
#[cfg(test)]
pub(crate) mod azurite;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod direct;
#[cfg(feature = "fs")]
mod fs;
mod memory;
mod objects;
mod s3;
#[cfg(test)]
pub(crate) mod seaweed;
mod writeback;

pub use azure::{AzureSettings, AzureStorage};
#[cfg(any(test, feature = "conformance"))]
pub use direct::conformance as direct_conformance;
pub use direct::{DirectUpload, DirectUploads, PresignedPart};
#[cfg(feature = "fs")]
pub use fs::FsStorage;
pub use memory::MemoryStorage;
pub use s3::cors as bucket_cors;
pub use s3::{S3SetupError, S3Storage, S3StorageSettings};

/// A stream of body bytes.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// Errors of a storage backend.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The bytes' MD5 differs from the one declared.
    #[error("MD5 mismatch: expected {expected}, got {actual}")]
    Md5Mismatch {
        /// Declared, base64.
        expected: String,
        /// Received, base64.
        actual: String,
    },
    /// More or fewer bytes than declared.
    #[error("size mismatch: expected {expected}, got {actual}")]
    SizeMismatch {
        /// Declared.
        expected: u64,
        /// Received (may stop counting once past `expected`).
        actual: u64,
    },
    /// A body with no declared size went past the limit.
    #[error("body larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// No such object or piece.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// The client's body failed (connection cut, timeout).
    #[error("request body: {cause}")]
    Body {
        /// Why.
        cause: String,
    },
    /// The backend cannot be reached or failed on its side (connection refused or cut, a 5xx
    /// after its retries): an outage that may pass, so the request may be tried again.
    #[error("storage unavailable for {what}: {cause}")]
    Unavailable {
        /// What was being accessed.
        what: String,
        /// Why (never a secret).
        cause: String,
    },
    /// The backend refused a request as malformed (a 4xx of its own: a wrong part ETag, a
    /// part too small, an out-of-range part number); sending it again will not help.
    #[error("{what}: refused: {cause}")]
    Refused {
        /// What was being accessed.
        what: String,
        /// The backend's reason.
        cause: String,
    },
    /// The backend failed.
    #[error("storage I/O on {path}: {source}")]
    Io {
        /// What was being accessed.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// What a body must be to be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Exactly this many bytes, with this MD5 when given.
    Exact {
        /// Length.
        size: u64,
        /// MD5 digest.
        md5: Option<[u8; 16]>,
    },
    /// Any length up to this limit.
    AtMost(u64),
}

/// A staged piece or a stored object: how long it is and its MD5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Backend-chosen id of the piece (unique per write; empty for objects).
    pub id: String,
    /// Length in bytes.
    pub size: u64,
    /// MD5 digest of the bytes.
    pub md5: [u8; 16],
}

/// One piece of an object being assembled.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Piece {
    /// The staged piece's id.
    pub id: String,
    /// Its length.
    pub size: u64,
}

/// One stored object as [`Storage::list`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Object name (a file handle).
    pub name: String,
    /// Length in bytes.
    pub size: u64,
    /// When it was last written, by the backend's clock. The orphan sweep compares it with a
    /// grace period: an object another instance is still recording must not look abandoned.
    pub modified: SystemTime,
}

/// The storage port.
///
/// Contract: every write is atomic and durable before it returns `Ok` (a crash never leaves a
/// half-written piece or object visible, and an acknowledged one survives); a failed write leaves
/// nothing behind. Pieces are scoped by upload id; ids are unique, so re-sending a part never
/// overwrites bytes another record still points at.
#[async_trait]
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// A short name for metadata (`location`), e.g. `local`.
    fn location(&self) -> &'static str;

    /// Stores one piece of `upload`, checking it against `expect`.
    async fn stage(
        &self,
        upload: &str,
        body: ByteStream,
        expect: Expect,
    ) -> Result<Written, StorageError>;

    /// Drops one staged piece (no error if it is already gone).
    async fn discard(&self, upload: &str, id: &str) -> Result<(), StorageError>;

    /// Drops every piece staged for `upload` (no error if there are none).
    async fn discard_upload(&self, upload: &str) -> Result<(), StorageError>;

    /// Makes object `name` out of `pieces`, in order. The pieces stay staged until
    /// [`Storage::discard_upload`]; assembling again replaces the object.
    ///
    /// Piece sizes: none is promised. The pieces are what clients sent, each checked against
    /// its declared `size`: regular parts (filestack-js sends at least 5 MiB, but the protocol
    /// does not insist, and the last is short) and the chunks of intelligent parts (often
    /// 32 KiB to a few MiB); an empty file has no pieces at all. A backend whose store needs
    /// large parts (S3 multipart: every part but the last at least 5 MiB) groups consecutive
    /// pieces with [`runs`], copies a single-piece run server-side and concatenates the
    /// bytes of a longer run. Finishing parts one by one as they arrive would not spare that
    /// work: which part is last, and which re-sent piece wins, is known only at complete.
    async fn assemble(
        &self,
        upload: &str,
        name: &str,
        pieces: &[Piece],
    ) -> Result<u64, StorageError>;

    /// Stores a whole object from one body.
    async fn put(
        &self,
        name: &str,
        body: ByteStream,
        expect: Expect,
    ) -> Result<Written, StorageError>;

    /// Reads `range` of an object (the whole object when `None`); the range must lie inside it.
    /// A read that has begun gets every byte of the version it began on, even if the object is
    /// deleted or replaced meanwhile (a transfer deletes the landed copy while downloads of it
    /// may still run); the conformance suite checks it.
    async fn get(&self, name: &str, range: Option<Range<u64>>) -> Result<ByteStream, StorageError>;

    /// Deletes an object (no error if it is already gone).
    async fn delete(&self, name: &str) -> Result<(), StorageError>;

    /// Every object stored, in no particular order (for garbage collection of unreferenced
    /// ones).
    async fn list(&self) -> Result<Vec<ObjectInfo>, StorageError>;

    /// Direct uploads, when clients can send parts straight to this storage.
    fn direct(&self) -> Option<&dyn DirectUploads> {
        None
    }
}

/// Groups `pieces` into consecutive runs (index ranges, covering all pieces in order) of at
/// least `min` bytes each, except the last run, which holds what is left. Greedy: a run closes
/// as soon as it is long enough, so it holds at most `min - 1` bytes plus its last piece.
pub fn runs(pieces: &[Piece], min: u64) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut len) = (0, 0u64);
    for (i, p) in pieces.iter().enumerate() {
        len = len.saturating_add(p.size);
        if len >= min {
            out.push(start..i + 1);
            (start, len) = (i + 1, 0);
        }
    }
    if start < pieces.len() {
        out.push(start..pieces.len());
    }
    out
}

/// Checks bytes against an [`Expect`] as they stream past: feed every chunk to
/// [`Checker::update`], then call [`Checker::finish`].
#[derive(Debug)]
pub(crate) struct Checker {
    expect: Expect,
    seen: u64,
    md5: md5::Md5,
}

impl Checker {
    pub(crate) fn new(expect: Expect) -> Self {
        use md5::Digest;
        Self {
            expect,
            seen: 0,
            md5: md5::Md5::new(),
        }
    }

    /// Accounts for `chunk`; fails as soon as the body is longer than allowed.
    pub(crate) fn update(&mut self, chunk: &[u8]) -> Result<(), StorageError> {
        use md5::Digest;
        self.seen += chunk.len() as u64;
        match self.expect {
            Expect::Exact { size, .. } if self.seen > size => {
                return Err(StorageError::SizeMismatch {
                    expected: size,
                    actual: self.seen,
                });
            }
            Expect::AtMost(limit) if self.seen > limit => {
                return Err(StorageError::TooLarge { limit });
            }
            _ => {}
        }
        self.md5.update(chunk);
        Ok(())
    }

    /// The final verdict: size and MD5.
    pub(crate) fn finish(self) -> Result<(u64, [u8; 16]), StorageError> {
        use base64::Engine as _;
        use md5::Digest;
        let digest: [u8; 16] = self.md5.finalize().into();
        if let Expect::Exact { size, md5 } = self.expect {
            if self.seen != size {
                return Err(StorageError::SizeMismatch {
                    expected: size,
                    actual: self.seen,
                });
            }
            if let Some(want) = md5.filter(|want| *want != digest) {
                let b64 = base64::engine::general_purpose::STANDARD;
                return Err(StorageError::Md5Mismatch {
                    expected: b64.encode(want),
                    actual: b64.encode(digest),
                });
            }
        }
        Ok((self.seen, digest))
    }
}

/// A random id for a piece: unique, safe as a file name.
pub(crate) fn piece_id() -> String {
    crate::ids::random_id(16)
}

/// Folds a body's transport error into a [`StorageError::Body`].
pub(crate) fn body_error(e: std::io::Error) -> StorageError {
    StorageError::Body {
        cause: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(sizes: &[u64]) -> Vec<Piece> {
        sizes
            .iter()
            .map(|&size| Piece {
                id: String::new(),
                size,
            })
            .collect()
    }

    #[test]
    fn runs_reach_the_minimum_except_the_last() {
        assert!(runs(&[], 5).is_empty());
        assert_eq!(runs(&sized(&[6, 6, 2]), 5), [0..1, 1..2, 2..3]);
        assert_eq!(runs(&sized(&[1, 2, 3, 0, 9, 1]), 5), [0..3, 3..5, 5..6]);
        assert_eq!(runs(&sized(&[4, 0]), 5), vec![0..2]);
        assert_eq!(runs(&sized(&[5]), 5), vec![0..1]);
        // Every piece lands in exactly one run, in order.
        let pieces = sized(&[3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]);
        let all = runs(&pieces, 7);
        assert_eq!(all.first().map(|r| r.start), Some(0));
        assert_eq!(all.last().map(|r| r.end), Some(pieces.len()));
        for pair in all.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        for r in &all[..all.len() - 1] {
            assert!(pieces[r.clone()].iter().map(|p| p.size).sum::<u64>() >= 7);
        }
    }
}
