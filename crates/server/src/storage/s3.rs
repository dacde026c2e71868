//! S3-compatible storage: an app's own bucket (AWS, SeaweedFS, MinIO, …), through `object_store`.
//!
//! Layout under the configured prefix:
//! - `<prefix>/staging/<upload>/<piece>`: staged pieces, one object each;
//! - `<prefix>/objects/<name>`: stored objects.
//!
//! Every write becomes visible in one step: a body that fits in one S3 part is one PUT, a larger
//! one a multipart upload completed only after its size and MD5 passed; anything that fails is
//! aborted. Writes and assemblies run in a task of their own, so a request dropped halfway (the
//! client went away) still ends with a completed or aborted upload, never an open one.
//!
//! Assembling (see [`Storage::assemble`]) turns the pieces into S3 parts with [`runs`]: a run of
//! one piece is copied inside the bucket (UploadPartCopy, or CopyObject for a one-run object), a
//! longer run is streamed from the staged pieces into one part, so the server never holds more
//! than a few network buffers of it. An outage (no connection, a 5xx after the retries) is
//! [`StorageError::Unavailable`], which clients may retry.

pub mod cors;
mod direct;
mod open;
pub(super) mod requests;
#[cfg(test)]
mod tests;

pub use open::{S3SetupError, S3StorageSettings};

use super::{
    ByteStream, Expect, ObjectInfo, Piece, Storage, StorageError, Written, piece_id, runs,
};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3;
use object_store::multipart::PartId;
use object_store::path::Path as Key;
use object_store::{MultipartId, ObjectStore, ObjectStoreExt as _};
use requests::{failed, multipart};
use skiff_protocol::limits::{MAX_PARTS, MIN_PART_SIZE};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

/// S3-backed [`Storage`]. Cheap to clone.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use skiff_server::config::Secret;
/// use skiff_server::storage::{S3Storage, S3StorageSettings};
/// let storage = S3Storage::open(&S3StorageSettings {
///     endpoint: Some("http://127.0.0.1:8333".into()),
///     region: "us-east-1".into(),
///     bucket: "uploads".into(),
///     prefix: Some("skiff/".into()),
///     access_key_id: "key".into(),
///     secret_access_key: Secret("secret".into()),
///     path_style: true,
/// })
/// .await?; // fails naming the setting at fault: `bucket: no bucket "uploads" at …`
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct S3Storage {
    store: Arc<AmazonS3>,
    /// For the requests `object_store` does not offer (part copies, streamed parts), sent to
    /// URLs it signs.
    http: reqwest::Client,
    layout: Arc<Layout>,
}

/// Where things are: for keys, copy sources and messages.
#[derive(Debug)]
struct Layout {
    bucket: String,
    /// The prefix as a key (empty for the bucket's root).
    root: Key,
    /// The endpoint as configured (for messages), or `AWS`.
    endpoint: String,
}

impl std::fmt::Debug for S3Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Storage")
            .field("endpoint", &self.layout.endpoint)
            .field("bucket", &self.layout.bucket)
            .field("prefix", &self.layout.root.as_ref())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
use super::objects::PART;

impl S3Storage {
    fn staging(&self, upload: &str) -> Result<Key, StorageError> {
        Ok(self
            .layout
            .root
            .clone()
            .join("staging")
            .join(segment(upload)?))
    }

    fn piece(&self, upload: &str, id: &str) -> Result<Key, StorageError> {
        Ok(self.staging(upload)?.join(segment(id)?))
    }

    fn objects(&self) -> Key {
        self.layout.root.clone().join("objects")
    }

    fn object(&self, name: &str) -> Result<Key, StorageError> {
        Ok(self.objects().join(segment(name)?))
    }

    /// Runs `work` in a task of its own, so that it finishes (and cleans up after itself)
    /// even when the request that started it is dropped.
    async fn detached<T: Send + 'static>(
        work: impl Future<Output = Result<T, StorageError>> + Send + 'static,
    ) -> Result<T, StorageError> {
        tokio::spawn(work).await.map_err(|e| StorageError::Io {
            path: "s3".into(),
            source: std::io::Error::other(e),
        })?
    }

    /// Writes `body` to `key` once it passed `expect` ([`super::objects::write`]).
    async fn write(
        self,
        key: Key,
        body: ByteStream,
        expect: Expect,
    ) -> Result<(u64, [u8; 16]), StorageError> {
        let store: Arc<dyn ObjectStore> = self.store.clone();
        super::objects::write(store, key, body, expect).await
    }

    /// The size of every piece staged for `upload`, by id (one listing, so that assembly
    /// checks all pieces before it writes anything).
    async fn staged(&self, upload: &str) -> Result<HashMap<String, u64>, StorageError> {
        let dir = self.staging(upload)?;
        let what = dir.to_string();
        self.store
            .list(Some(&dir))
            .map_err(|e| failed(e, &what))
            .try_filter_map(|meta| async move {
                Ok(meta
                    .location
                    .filename()
                    .map(|id| (id.to_owned(), meta.size)))
            })
            .try_collect()
            .await
    }

    /// Assembles `pieces` (checked, none empty) into `dest`.
    async fn assemble_checked(
        self,
        upload: String,
        dest: Key,
        pieces: Vec<Piece>,
    ) -> Result<(), StorageError> {
        let what = dest.to_string();
        let total: u64 = pieces.iter().map(|p| p.size).sum();
        // Every part but the last reaches S3's minimum, and there are never more than S3's
        // 10,000 parts (larger runs for files beyond ~50 GiB).
        let min = MIN_PART_SIZE.max(total.div_ceil(u64::from(MAX_PARTS) - 1));
        let planned = runs(&pieces, min);
        let sources = |run: &Range<usize>| -> Result<Vec<(Key, u64)>, StorageError> {
            pieces[run.clone()]
                .iter()
                .map(|p| Ok((self.piece(&upload, &p.id)?, p.size)))
                .collect()
        };
        match planned.as_slice() {
            [] => self
                .store
                .put(&dest, object_store::PutPayload::new())
                .await
                .map(drop)
                .map_err(|e| failed(e, &what)),
            [run] if run.len() == 1 => {
                let (from, _) = &sources(run)?[0];
                self.store
                    .copy(from, &dest)
                    .await
                    .map_err(|e| failed(e, from.as_ref()))
            }
            [run] => self.send_run(&dest, None, sources(run)?).await.map(drop),
            _ => {
                let all: Vec<Vec<(Key, u64)>> =
                    planned.iter().map(sources).collect::<Result<_, _>>()?;
                multipart(&self.store, &dest, all.len(), |i, id: MultipartId| {
                    let run = all[i].clone();
                    let dest = dest.clone();
                    let this = self.clone();
                    async move {
                        let content_id = this.send_run(&dest, Some((i, &id)), run).await?;
                        Ok(PartId { content_id })
                    }
                })
                .await
            }
        }
    }
}

/// Names become one key segment only when they are plain: letters, digits, `-`, `_` and
/// inner dots, as handles, upload ids and piece ids are.
pub(super) fn segment(name: &str) -> Result<&str, StorageError> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(name)
    } else {
        Err(StorageError::Io {
            path: name.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a valid storage name",
            ),
        })
    }
}

#[async_trait]
impl Storage for S3Storage {
    fn location(&self) -> &'static str {
        "S3"
    }

    async fn stage(
        &self,
        upload: &str,
        body: ByteStream,
        expect: Expect,
    ) -> Result<Written, StorageError> {
        let id = piece_id();
        let key = self.piece(upload, &id)?;
        let (size, md5) = Self::detached(self.clone().write(key, body, expect)).await?;
        Ok(Written { id, size, md5 })
    }

    async fn discard(&self, upload: &str, id: &str) -> Result<(), StorageError> {
        let key = self.piece(upload, id)?;
        match self.store.delete(&key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(failed(e, key.as_ref())),
        }
    }

    async fn discard_upload(&self, upload: &str) -> Result<(), StorageError> {
        let dir = self.staging(upload)?;
        let what = dir.to_string();
        let keys = self
            .store
            .list(Some(&dir))
            .map_ok(|meta| meta.location)
            .boxed();
        self.store
            .delete_stream(keys)
            .try_for_each(|_| async { Ok(()) })
            .await
            .or_else(|e| match e {
                object_store::Error::NotFound { .. } => Ok(()),
                e => Err(failed(e, &what)),
            })
    }

    async fn assemble(
        &self,
        upload: &str,
        name: &str,
        pieces: &[Piece],
    ) -> Result<u64, StorageError> {
        let dest = self.object(name)?;
        let staged = self.staged(upload).await?;
        let mut kept = Vec::with_capacity(pieces.len());
        for p in pieces {
            let size = *staged
                .get(segment(&p.id)?)
                .ok_or_else(|| StorageError::NotFound {
                    what: format!("piece {}", p.id),
                })?;
            if size != p.size {
                return Err(StorageError::SizeMismatch {
                    expected: p.size,
                    actual: size,
                });
            }
            // An empty piece adds nothing, and S3 takes no empty part but the last.
            if size > 0 {
                kept.push(p.clone());
            }
        }
        let total = kept.iter().map(|p| p.size).sum();
        Self::detached(self.clone().assemble_checked(upload.to_owned(), dest, kept)).await?;
        Ok(total)
    }

    async fn put(
        &self,
        name: &str,
        body: ByteStream,
        expect: Expect,
    ) -> Result<Written, StorageError> {
        let key = self.object(name)?;
        let (size, md5) = Self::detached(self.clone().write(key, body, expect)).await?;
        Ok(Written {
            id: String::new(),
            size,
            md5,
        })
    }

    async fn get(&self, name: &str, range: Option<Range<u64>>) -> Result<ByteStream, StorageError> {
        let key = self.object(name)?;
        super::objects::read(self.store.as_ref(), &key, &format!("object {name}"), range).await
    }

    async fn delete(&self, name: &str) -> Result<(), StorageError> {
        let key = self.object(name)?;
        super::objects::delete(self.store.as_ref(), &key, &format!("object {name}")).await
    }

    async fn list(&self) -> Result<Vec<ObjectInfo>, StorageError> {
        super::objects::list(self.store.as_ref(), &self.objects()).await
    }

    fn direct(&self) -> Option<&dyn crate::storage::DirectUploads> {
        Some(self)
    }
}
