//! Operations on an object_store bucket that the S3 storage and the Azure location share:
//! streamed writes checked as they go, ranged reads, idempotent deletes, listing one folder.

use super::s3::requests::failed;
use super::{ByteStream, Checker, Expect, ObjectInfo, StorageError, body_error};
use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path as Key;
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt as _, PutPayloadMut, WriteMultipart,
};
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How every bucket client (the S3 storage, the Azure location) talks to its server. Long
/// transfers (a part of several GiB) must not be cut by a total timeout; an answer that stalls
/// for a minute fails instead.
pub(super) fn client_options() -> object_store::ClientOptions {
    object_store::ClientOptions::new()
        .with_timeout_disabled()
        .with_connect_timeout(Duration::from_secs(5))
        .with_read_timeout(Duration::from_secs(60))
}

/// Few retries, so that an outage reaches clients as a 503 they retry within seconds (and a
/// background transfer as a failed attempt the queue tries again), rather than a request
/// hanging for minutes (object_store's default retries for up to three).
pub(super) fn retry_config() -> object_store::RetryConfig {
    object_store::RetryConfig {
        backoff: object_store::BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            base: 2.0,
        },
        max_retries: 3,
        retry_timeout: Duration::from_secs(10),
    }
}

/// Bodies up to this size are one PUT; larger ones a multipart upload in parts of this size.
pub(super) const PART: usize = skiff_protocol::limits::MIN_PART_SIZE as usize;
/// Parts of one body in flight at once: memory per write stays near
/// `PART * (WRITE_PARALLEL + 1)`.
const WRITE_PARALLEL: usize = 2;

/// Writes `body` to `key` of `store` once it passed `expect`: one PUT when it fits in [`PART`],
/// else a multipart upload completed after the last check (and aborted on any failure).
pub(super) async fn write(
    store: Arc<dyn ObjectStore>,
    key: Key,
    mut body: ByteStream,
    expect: Expect,
) -> Result<(u64, [u8; 16]), StorageError> {
    let mut checker = Checker::new(expect);
    let mut buffer = PutPayloadMut::new();
    let mut upload: Option<WriteMultipart> = None;
    let what = key.to_string();
    let read = async {
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(body_error)?;
            checker.update(&chunk)?;
            if let Some(parts) = upload.as_mut() {
                parts
                    .wait_for_capacity(WRITE_PARALLEL)
                    .await
                    .map_err(|e| failed(e, &what))?;
                parts.put(chunk);
                continue;
            }
            buffer.push(chunk);
            if buffer.content_length() >= PART {
                let started = store
                    .put_multipart(&key)
                    .await
                    .map_err(|e| failed(e, &what))?;
                let mut parts = WriteMultipart::new_with_chunk_size(started, PART);
                for held in std::mem::take(&mut buffer).freeze() {
                    parts.put(held);
                }
                upload = Some(parts);
            }
        }
        Ok(())
    };
    let read: Result<(), StorageError> = read.await;
    let verdict = read.and_then(|()| checker.finish());
    match (verdict, upload) {
        (Ok(v), None) => {
            store
                .put(&key, buffer.freeze())
                .await
                .map_err(|e| failed(e, &what))?;
            Ok(v)
        }
        // `finish` aborts the upload itself when completing fails.
        (Ok(v), Some(parts)) => parts
            .finish()
            .await
            .map(|_| v)
            .map_err(|e| failed(e, &what)),
        (Err(e), Some(parts)) => {
            let _ = parts.abort().await;
            Err(e)
        }
        (Err(e), None) => Err(e),
    }
}

/// Reads `range` of `key` (all of it when `None`).
pub(super) async fn read(
    store: &dyn ObjectStore,
    key: &Key,
    what: &str,
    range: Option<Range<u64>>,
) -> Result<ByteStream, StorageError> {
    if range.as_ref().is_some_and(|r| r.is_empty()) {
        // No store takes an empty range; the object must still exist.
        store.head(key).await.map_err(|e| failed(e, what))?;
        return Ok(Box::pin(futures_util::stream::empty()));
    }
    let options = GetOptions {
        range: range.map(GetRange::Bounded),
        ..GetOptions::default()
    };
    let got = store
        .get_opts(key, options)
        .await
        .map_err(|e| failed(e, what))?;
    Ok(Box::pin(got.into_stream().map_err(std::io::Error::other)))
}

/// Deletes `key`; no error when it is already gone.
pub(super) async fn delete(
    store: &dyn ObjectStore,
    key: &Key,
    what: &str,
) -> Result<(), StorageError> {
    match store.delete(key).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(failed(e, what)),
    }
}

/// The objects directly in `dir` (keys deeper down were not written there).
pub(super) async fn list(
    store: &dyn ObjectStore,
    dir: &Key,
) -> Result<Vec<ObjectInfo>, StorageError> {
    let what = dir.to_string();
    let depth = dir.parts().count() + 1;
    store
        .list(Some(dir))
        .map_err(|e| failed(e, &what))
        .try_filter_map(|meta| async move {
            let name = meta.location.filename().map(str::to_owned);
            Ok(name
                .filter(|_| meta.location.parts().count() == depth)
                .map(|name| ObjectInfo {
                    name,
                    size: meta.size,
                    modified: SystemTime::from(meta.last_modified),
                }))
        })
        .try_collect()
        .await
}
