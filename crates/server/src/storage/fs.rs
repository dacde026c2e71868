//! Local-filesystem storage, the embedded default.
//!
//! Layout under the root folder:
//! - `staging/<upload>/<piece>`: staged pieces, fsynced before they are acknowledged (their
//!   bytes flushed as they arrive: `writeback.rs`; a long one's folder as it begins: `stage`);
//! - `objects/<name>/`: one object, a `manifest.json` listing the sizes of its segments
//!   `00000`, `00001`, … which are hard links to the staged pieces, so assembling an upload
//!   costs no copy of its bytes;
//! - `objects/.tmp-*`: objects being built, and objects deleted or replaced while reads of them
//!   were running (`reads.rs`); a crash leaves only these, never a half object.

mod reads;

use self::reads::Reads;
use super::writeback::Writeback;
use super::{
    ByteStream, Checker, Expect, ObjectInfo, Piece, Storage, StorageError, Written, body_error,
    piece_id,
};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt, stream};
use std::io::{Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use tokio_util::io::ReaderStream;

/// Filesystem-backed [`Storage`].
#[derive(Debug, Clone)]
pub struct FsStorage {
    root: PathBuf,
    reads: Reads,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Manifest {
    segments: Vec<u64>,
}

const MANIFEST: &str = "manifest.json";
const WRITE_BUFFER: usize = 512 << 10;
const READ_BUFFER: usize = 256 << 10;
/// A staged piece at least this long has its folder fsynced while its bytes arrive (see `stage`).
const NAME_EARLY: u64 = 1 << 20;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StorageError + '_ {
    move |source| StorageError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Names reach the filesystem only when they are plain letters, digits, `-` and `_`.
fn checked(name: &str) -> Result<&str, StorageError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(name)
    } else {
        Err(StorageError::Io {
            path: name.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "unsafe storage name"),
        })
    }
}

fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))
}

impl FsStorage {
    /// Storage rooted at `root` (created if missing).
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StorageError> {
        let root = root.into();
        for sub in ["staging", "objects"] {
            let dir = root.join(sub);
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        }
        // Objects half-built before a crash are never referenced: remove them.
        let objects = root.join("objects");
        if let Ok(entries) = std::fs::read_dir(&objects) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(".tmp-") {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        Ok(Self {
            root,
            reads: Reads::default(),
        })
    }

    fn staging(&self, upload: &str) -> Result<PathBuf, StorageError> {
        Ok(self.root.join("staging").join(checked(upload)?))
    }

    fn object(&self, name: &str) -> Result<PathBuf, StorageError> {
        Ok(self.root.join("objects").join(checked(name)?))
    }

    fn tmp_object(&self) -> PathBuf {
        self.root
            .join("objects")
            .join(format!(".tmp-{}", piece_id()))
    }

    /// Takes object `name` (folder `dir`) out of place; its folder is removed now, or by the
    /// last read of it still running. Blocking.
    fn take_away(&self, name: &str, dir: &Path) -> Result<(), StorageError> {
        let trash = self.tmp_object();
        if let Some(gone) = self.reads.take_away(name, dir, trash).map_err(io(dir))? {
            std::fs::remove_dir_all(&gone).map_err(io(&gone))?;
        }
        Ok(())
    }

    /// Fsyncs folder `dir` on a blocking thread.
    fn sync_folder(dir: PathBuf) -> tokio::task::JoinHandle<Result<(), StorageError>> {
        tokio::task::spawn_blocking(move || sync_dir(&dir))
    }

    /// Creates an empty file at `path`, on a blocking thread.
    async fn create(path: &Path) -> Result<std::fs::File, StorageError> {
        let at = path.to_owned();
        tokio::task::spawn_blocking(move || std::fs::File::create(&at))
            .await
            .map_err(|e| io(path)(std::io::Error::other(e)))?
            .map_err(io(path))
    }

    /// Writes `body` to `file`, just created at `path`, on a blocking thread (hashing there too),
    /// fsyncs it, and removes it again on any failure.
    async fn write_file(
        path: PathBuf,
        file: std::fs::File,
        mut body: ByteStream,
        expect: Expect,
    ) -> Result<(u64, [u8; 16]), StorageError> {
        // A short queue: each part in flight holds at most a few network chunks plus the write
        // buffer, so memory stays flat however many parts arrive at once.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(4);
        let writer_path = path.clone();
        let writer =
            tokio::task::spawn_blocking(move || -> Result<(u64, [u8; 16]), StorageError> {
                let mut out = std::io::BufWriter::with_capacity(WRITE_BUFFER, file);
                let mut checker = Checker::new(expect);
                let (mut writeback, mut written) = (Writeback::default(), 0u64);
                while let Some(chunk) = rx.blocking_recv() {
                    checker.update(&chunk)?;
                    out.write_all(&chunk).map_err(io(&writer_path))?;
                    written += chunk.len() as u64;
                    writeback.written(&writer_path, written - out.buffer().len() as u64);
                }
                let verdict = checker.finish()?;
                let file = out
                    .into_inner()
                    .map_err(|e| io(&writer_path)(e.into_error()))?;
                file.sync_all().map_err(io(&writer_path))?;
                Ok(verdict)
            });
        let mut body_failed = None;
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(chunk) => {
                    if tx.send(chunk).await.is_err() {
                        break; // the writer refused the bytes; its error says why
                    }
                }
                Err(e) => {
                    body_failed = Some(body_error(e));
                    break;
                }
            }
        }
        drop(tx);
        let written = writer.await.map_err(|e| StorageError::Io {
            path: path.display().to_string(),
            source: std::io::Error::other(e),
        });
        let result = match (body_failed, written) {
            (Some(e), _) => Err(e),
            (None, Ok(r)) => r,
            (None, Err(e)) => Err(e),
        };
        if result.is_err() {
            let _ = tokio::fs::remove_file(&path).await;
        }
        result
    }

    /// Size and write time of the object in folder `dir`: the manifest is written last, so its
    /// time is the object's. A folder without a readable manifest (which publishing never
    /// leaves) is reported empty, with the folder's own time, so the orphan sweep can take it.
    /// `None` when the object went away meanwhile (another request or instance deleted it).
    async fn describe(dir: PathBuf, name: String) -> Result<Option<ObjectInfo>, StorageError> {
        let mpath = dir.join(MANIFEST);
        let (size, meta) = match tokio::fs::read(&mpath).await {
            Ok(bytes) => {
                let size = serde_json::from_slice::<Manifest>(&bytes)
                    .map_or(0, |m| m.segments.iter().sum());
                (size, tokio::fs::metadata(&mpath).await)
            }
            Err(_) => (0, tokio::fs::metadata(&dir).await),
        };
        let meta = match meta {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&dir)(e)),
        };
        Ok(Some(ObjectInfo {
            name,
            size,
            modified: meta.modified().map_err(io(&dir))?,
        }))
    }

    /// Moves a fully built object folder into place, replacing any older version (whose reads
    /// that have begun still finish). Blocking.
    fn publish(
        &self,
        name: &str,
        tmp: &Path,
        dest: &Path,
        manifest: &Manifest,
    ) -> Result<(), StorageError> {
        let mpath = tmp.join(MANIFEST);
        let mut f = std::fs::File::create(&mpath).map_err(io(&mpath))?;
        f.write_all(&serde_json::to_vec(manifest).expect("manifest serializes"))
            .map_err(io(&mpath))?;
        f.sync_all().map_err(io(&mpath))?;
        sync_dir(tmp)?;
        self.take_away(name, dest)?;
        std::fs::rename(tmp, dest).map_err(io(dest))?;
        sync_dir(dest.parent().expect("objects folder"))
    }
}

#[async_trait]
impl Storage for FsStorage {
    fn location(&self) -> &'static str {
        "local"
    }

    async fn stage(
        &self,
        upload: &str,
        body: ByteStream,
        expect: Expect,
    ) -> Result<Written, StorageError> {
        let dir = self.staging(upload)?;
        tokio::fs::create_dir_all(&dir).await.map_err(io(&dir))?;
        let id = piece_id();
        let path = dir.join(&id);
        let file = Self::create(&path).await?;
        // The folder is fsynced while a long piece's bytes arrive, not after the last one:
        // making the piece's name durable needs only its entry, and done last it was one more
        // flush that every part's answer waited for. At 1 Gbit/s (6 MiB parts, MD5 checked, a
        // temporary probe in the server) that flush took 0.2-0.45 ms in the median and up to 1.8
        // at the 90th percentile, and the time from a part's last byte to its answer went from
        // 2.8 to 2.4 ms in the median once it moved here. A short piece's bytes are all in
        // before the folder's commit is done, and a journal commits one transaction at a time,
        // so its own fsync would wait for that commit and then make another. For those the
        // folder is still fsynced after, when the file's fsync has already committed its name
        // (files of 64 KiB over a 30 ms round trip, `small-files.bench.mjs`, took 79-85 ms with
        // it after and 81-83 with it early: inside the noise, so they keep the order they had).
        let early = matches!(expect, Expect::Exact { size, .. } if size >= NAME_EARLY);
        let named = early.then(|| Self::sync_folder(dir.clone()));
        let written = Self::write_file(path.clone(), file, body, expect).await;
        // On failure the piece is gone already; a folder's fsync still running is harmless.
        let (size, md5) = written?;
        let named = match named {
            Some(job) => job.await,
            None => Self::sync_folder(dir).await,
        };
        if let Err(e) = named
            .map_err(|e| io(&path)(std::io::Error::other(e)))
            .and_then(|synced| synced)
        {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(e);
        }
        Ok(Written { id, size, md5 })
    }

    async fn discard(&self, upload: &str, id: &str) -> Result<(), StorageError> {
        let path = self.staging(upload)?.join(checked(id)?);
        match tokio::fs::remove_file(&path).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&path)(e)),
            _ => Ok(()),
        }
    }

    async fn discard_upload(&self, upload: &str) -> Result<(), StorageError> {
        let dir = self.staging(upload)?;
        match tokio::fs::remove_dir_all(&dir).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&dir)(e)),
            _ => Ok(()),
        }
    }

    async fn assemble(
        &self,
        upload: &str,
        name: &str,
        pieces: &[Piece],
    ) -> Result<u64, StorageError> {
        let staging = self.staging(upload)?;
        let dest = self.object(name)?;
        let tmp = self.tmp_object();
        let pieces = pieces.to_vec();
        for p in &pieces {
            checked(&p.id)?;
        }
        let (this, name) = (self.clone(), name.to_owned());
        tokio::task::spawn_blocking(move || -> Result<u64, StorageError> {
            let build = || -> Result<u64, StorageError> {
                std::fs::create_dir(&tmp).map_err(io(&tmp))?;
                let mut total = 0;
                for (i, p) in pieces.iter().enumerate() {
                    let src = staging.join(&p.id);
                    let len = std::fs::metadata(&src).map_err(io(&src))?.len();
                    if len != p.size {
                        return Err(StorageError::SizeMismatch {
                            expected: p.size,
                            actual: len,
                        });
                    }
                    std::fs::hard_link(&src, tmp.join(format!("{i:05}"))).map_err(io(&src))?;
                    total += len;
                }
                this.publish(
                    &name,
                    &tmp,
                    &dest,
                    &Manifest {
                        segments: pieces.iter().map(|p| p.size).collect(),
                    },
                )?;
                Ok(total)
            };
            let result = build();
            if result.is_err() {
                let _ = std::fs::remove_dir_all(&tmp);
            }
            result
        })
        .await
        .map_err(|e| StorageError::Io {
            path: "objects".into(),
            source: std::io::Error::other(e),
        })?
    }

    async fn put(
        &self,
        name: &str,
        body: ByteStream,
        expect: Expect,
    ) -> Result<Written, StorageError> {
        let dest = self.object(name)?;
        let tmp = self.tmp_object();
        tokio::fs::create_dir(&tmp).await.map_err(io(&tmp))?;
        let result = async {
            let path = tmp.join("00000");
            let file = Self::create(&path).await?;
            let (size, md5) = Self::write_file(path, file, body, expect).await?;
            let (this, n, t, d) = (self.clone(), name.to_owned(), tmp.clone(), dest.clone());
            tokio::task::spawn_blocking(move || {
                this.publish(
                    &n,
                    &t,
                    &d,
                    &Manifest {
                        segments: vec![size],
                    },
                )
            })
            .await
            .map_err(|e| StorageError::Io {
                path: "objects".into(),
                source: std::io::Error::other(e),
            })??;
            Ok(Written {
                id: String::new(),
                size,
                md5,
            })
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_dir_all(&tmp).await;
        }
        result
    }

    async fn get(&self, name: &str, range: Option<Range<u64>>) -> Result<ByteStream, StorageError> {
        let dir = self.object(name)?;
        let mpath = dir.join(MANIFEST);
        // Held until the stream is dropped: a delete meanwhile leaves the folder to this read.
        let lease = Arc::new(self.reads.begin(name, dir));
        let l = lease.clone();
        let manifest = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut l.open(MANIFEST)?, &mut bytes)?;
            Ok(bytes)
        })
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r);
        let manifest: Manifest = match manifest {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| io(&mpath)(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StorageError::NotFound {
                    what: format!("object {name}"),
                });
            }
            Err(e) => return Err(io(&mpath)(e)),
        };
        let total: u64 = manifest.segments.iter().sum();
        let range = range.unwrap_or(0..total);
        // (segment file, offset within it, length to read)
        let mut reads = Vec::new();
        let mut start = 0;
        for (i, len) in manifest.segments.iter().enumerate() {
            let end = start + len;
            let from = range.start.max(start);
            let to = range.end.min(end);
            if from < to {
                reads.push((format!("{i:05}"), from - start, to - from));
            }
            start = end;
        }
        let stream = stream::iter(reads)
            .then(move |(segment, offset, len)| {
                let lease = lease.clone();
                async move {
                    let file =
                        tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
                            let mut f = lease.open(&segment)?;
                            f.seek(SeekFrom::Start(offset))?;
                            Ok(f)
                        })
                        .await
                        .map_err(std::io::Error::other)??;
                    Ok::<_, std::io::Error>(ReaderStream::with_capacity(
                        tokio::fs::File::from_std(file).take(len),
                        READ_BUFFER,
                    ))
                }
            })
            .try_flatten();
        Ok(Box::pin(stream))
    }

    async fn delete(&self, name: &str) -> Result<(), StorageError> {
        let dir = self.object(name)?;
        let (this, name) = (self.clone(), name.to_owned());
        tokio::task::spawn_blocking(move || this.take_away(&name, &dir))
            .await
            .map_err(|e| StorageError::Io {
                path: "objects".into(),
                source: std::io::Error::other(e),
            })?
    }

    async fn list(&self) -> Result<Vec<ObjectInfo>, StorageError> {
        let dir = self.root.join("objects");
        let mut objects = Vec::new();
        let mut entries = tokio::fs::read_dir(&dir).await.map_err(io(&dir))?;
        while let Some(e) = entries.next_entry().await.map_err(io(&dir))? {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if let Some(object) = Self::describe(e.path(), name).await? {
                objects.push(object);
            }
        }
        Ok(objects)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn conformance() {
        let dir = tempfile::tempdir().unwrap();
        let storage = FsStorage::open(dir.path()).unwrap();
        super::super::conformance::run(&storage).await;
    }

    /// The conformance suite checks that a read that has begun outlives a delete; here, that the
    /// deleted object's folder (moved aside while the read ran) goes with the read.
    #[tokio::test]
    async fn a_deleted_object_goes_with_its_last_read() {
        use super::super::conformance::three_pieces;
        let dir = tempfile::tempdir().unwrap();
        let storage = FsStorage::open(dir.path()).unwrap();
        three_pieces(&storage, "obj", 0).await;
        let mut read = storage.get("obj", None).await.unwrap();
        read.next().await.unwrap().unwrap();
        storage.delete("obj").await.unwrap();
        let objects = || -> Vec<_> {
            std::fs::read_dir(dir.path().join("objects"))
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect()
        };
        assert_eq!(objects().len(), 1, "kept aside for the read");
        drop(read);
        // Removed on a blocking thread: give it a moment.
        for _ in 0..100 {
            if objects().is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(objects().is_empty(), "left behind: {:?}", objects());
    }

    #[tokio::test]
    async fn a_folder_without_manifest_is_listed_for_the_sweep() {
        let dir = tempfile::tempdir().unwrap();
        let storage = FsStorage::open(dir.path()).unwrap();
        std::fs::create_dir(dir.path().join("objects/broken")).unwrap();
        let listed = storage.list().await.unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|o| (o.name.as_str(), o.size))
                .collect::<Vec<_>>(),
            [("broken", 0)]
        );
        storage.delete("broken").await.unwrap();
        assert!(storage.list().await.unwrap().is_empty());
    }

    /// A piece of NAME_EARLY bytes or more has its folder fsynced beside its bytes, a shorter
    /// one after them: both come back whole, and a long one cut short leaves nothing behind.
    #[tokio::test]
    async fn long_and_short_pieces_are_staged_whole() {
        let dir = tempfile::tempdir().unwrap();
        let storage = FsStorage::open(dir.path()).unwrap();
        use super::super::conformance::{body_in, md5, read};
        let body = |data: &[u8]| body_in(data, 64 << 10);
        let long: Vec<u8> = (0..NAME_EARLY + 3).map(|i| (i % 253) as u8).collect();
        let mut pieces = Vec::new();
        for bytes in [&long[..], b"short"] {
            let size = bytes.len() as u64;
            let w = storage
                .stage("u1", body(bytes), Expect::Exact { size, md5: None })
                .await
                .unwrap();
            assert_eq!(w.md5, md5(bytes));
            pieces.push(Piece { id: w.id, size });
        }
        assert_eq!(
            storage.assemble("u1", "obj", &pieces).await.unwrap(),
            NAME_EARLY + 8
        );
        let read = read(&storage, "obj", None).await;
        assert!(read[..long.len()] == long[..] && &read[long.len()..] == b"short");
        let size = NAME_EARLY + 3;
        storage
            .stage("u2", body(&long[..1000]), Expect::Exact { size, md5: None })
            .await
            .unwrap_err();
        assert_eq!(entries(&dir.path().join("staging/u2")), 0);
    }

    /// How many entries folder `dir` holds.
    fn entries(dir: &Path) -> usize {
        std::fs::read_dir(dir).unwrap().count()
    }

    #[tokio::test]
    async fn failed_writes_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let storage = FsStorage::open(dir.path()).unwrap();
        let body = super::super::conformance::body(b"hello");
        let err = storage
            .stage("u1", body, Expect::Exact { size: 4, md5: None })
            .await
            .unwrap_err();
        assert!(matches!(err, StorageError::SizeMismatch { .. }));
        let left: Vec<_> = std::fs::read_dir(dir.path().join("staging/u1"))
            .unwrap()
            .collect();
        assert!(left.is_empty(), "{left:?}");
        let body = super::super::conformance::body(b"hello");
        storage
            .put("obj", body, Expect::AtMost(3))
            .await
            .unwrap_err();
        assert_eq!(entries(&dir.path().join("objects")), 0);
    }
}
