//! In-memory [`Storage`] for tests, with a twin of direct uploads when made
//! [`MemoryStorage::with_direct`].

use super::{
    ByteStream, Checker, Expect, ObjectInfo, Piece, Storage, StorageError, Written, body_error,
    piece_id,
};
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Mutex;
use std::time::SystemTime;

mod direct;

/// Keeps every piece and object in memory.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    staged: Mutex<HashMap<(String, String), Bytes>>,
    objects: Mutex<HashMap<String, (Bytes, SystemTime)>>,
    direct: Option<Mutex<direct::Open>>,
}

impl MemoryStorage {
    /// Empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    /// Empty storage that offers direct uploads, as a bucket does.
    pub fn with_direct() -> Self {
        Self {
            direct: Some(Mutex::default()),
            ..Self::default()
        }
    }

    /// How many staged pieces (parts and chunks not yet dropped) it holds, of every upload.
    pub fn staged_pieces(&self) -> usize {
        self.staged.lock().unwrap().len()
    }

    /// How many direct uploads are open (started, neither completed nor aborted).
    pub fn open_direct_uploads(&self) -> usize {
        self.direct.as_ref().map_or(0, |d| d.lock().unwrap().len())
    }

    async fn collect(
        mut body: ByteStream,
        expect: Expect,
    ) -> Result<(Bytes, u64, [u8; 16]), StorageError> {
        let mut checker = Checker::new(expect);
        let mut buf = Vec::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(body_error)?;
            checker.update(&chunk)?;
            buf.extend_from_slice(&chunk);
        }
        let (size, md5) = checker.finish()?;
        Ok((Bytes::from(buf), size, md5))
    }
}

#[async_trait]
impl Storage for MemoryStorage {
    fn location(&self) -> &'static str {
        "memory"
    }

    async fn stage(
        &self,
        upload: &str,
        body: ByteStream,
        expect: Expect,
    ) -> Result<Written, StorageError> {
        let (bytes, size, md5) = Self::collect(body, expect).await?;
        let id = piece_id();
        self.staged
            .lock()
            .unwrap()
            .insert((upload.to_owned(), id.clone()), bytes);
        Ok(Written { id, size, md5 })
    }

    async fn discard(&self, upload: &str, id: &str) -> Result<(), StorageError> {
        self.staged
            .lock()
            .unwrap()
            .remove(&(upload.to_owned(), id.to_owned()));
        Ok(())
    }

    async fn discard_upload(&self, upload: &str) -> Result<(), StorageError> {
        self.staged.lock().unwrap().retain(|(u, _), _| u != upload);
        Ok(())
    }

    async fn assemble(
        &self,
        upload: &str,
        name: &str,
        pieces: &[Piece],
    ) -> Result<u64, StorageError> {
        let staged = self.staged.lock().unwrap();
        let mut out = Vec::new();
        for p in pieces {
            let bytes = staged
                .get(&(upload.to_owned(), p.id.clone()))
                .ok_or_else(|| StorageError::NotFound {
                    what: format!("piece {}", p.id),
                })?;
            if bytes.len() as u64 != p.size {
                return Err(StorageError::SizeMismatch {
                    expected: p.size,
                    actual: bytes.len() as u64,
                });
            }
            out.extend_from_slice(bytes);
        }
        let len = out.len() as u64;
        self.objects
            .lock()
            .unwrap()
            .insert(name.to_owned(), (Bytes::from(out), SystemTime::now()));
        Ok(len)
    }

    async fn put(
        &self,
        name: &str,
        body: ByteStream,
        expect: Expect,
    ) -> Result<Written, StorageError> {
        let (bytes, size, md5) = Self::collect(body, expect).await?;
        self.objects
            .lock()
            .unwrap()
            .insert(name.to_owned(), (bytes, SystemTime::now()));
        Ok(Written {
            id: String::new(),
            size,
            md5,
        })
    }

    async fn get(&self, name: &str, range: Option<Range<u64>>) -> Result<ByteStream, StorageError> {
        let bytes = self
            .objects
            .lock()
            .unwrap()
            .get(name)
            .map(|(bytes, _)| bytes.clone())
            .ok_or_else(|| StorageError::NotFound {
                what: format!("object {name}"),
            })?;
        let range = range.unwrap_or(0..bytes.len() as u64);
        let slice = bytes.slice(range.start as usize..range.end as usize);
        Ok(Box::pin(futures_util::stream::once(
            async move { Ok(slice) },
        )))
    }

    async fn delete(&self, name: &str) -> Result<(), StorageError> {
        self.objects.lock().unwrap().remove(name);
        Ok(())
    }

    async fn list(&self) -> Result<Vec<ObjectInfo>, StorageError> {
        let objects = self.objects.lock().unwrap();
        Ok(objects
            .iter()
            .map(|(name, (bytes, modified))| ObjectInfo {
                name: name.clone(),
                size: bytes.len() as u64,
                modified: *modified,
            })
            .collect())
    }

    fn direct(&self) -> Option<&dyn super::DirectUploads> {
        self.direct
            .as_ref()
            .map(|_| self as &dyn super::DirectUploads)
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStorage;

    #[tokio::test]
    async fn conformance() {
        super::super::conformance::run(&MemoryStorage::new()).await;
        super::super::conformance::run(&MemoryStorage::with_direct()).await;
    }

    #[tokio::test]
    async fn direct_conformance() {
        let storage = MemoryStorage::with_direct();
        let send = |part: super::super::PresignedPart, bytes: Vec<u8>| {
            let got = storage
                .receive(&part.url, &part.headers, bytes.into())
                .map_err(|e| e.to_string());
            async move { got }
        };
        super::super::direct_conformance::run(&storage, send).await;
        assert_eq!(storage.open_direct_uploads(), 0);
    }
}
