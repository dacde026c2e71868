//! Getting a staged file onto the disk while its bytes still arrive.
//!
//! A piece is fsynced before it is acknowledged (a client that was told "stored" must not lose
//! it to a crash). Left alone, that fsync did all the work at the end while the client's
//! connection waited: first the kernel's writeback of the whole piece, and then the disk's own
//! cache flush, which on a virtual disk that took writes at 680 MB/s still cost about 0.8 ms per
//! MiB written since the last flush. So each stretch of the file is flushed as it lands: a thread
//! of its own (see [`advisor`]) calls `fdatasync` on the file, then
//! `posix_fadvise(POSIX_FADV_DONTNEED)` to drop the now clean pages (a staged piece is rarely
//! read back soon: assembling hard-links it). The final fsync is left the last stretch.
//!
//! At 1 Gbit/s with 256 MiB (`BENCH_SHAPED_LINKS=1gbit`), on a machine where the disk's flush
//! showed: one request from a Rust client went at 102–111 MiB/s with only writeback started
//! along the way (its final fsync took 65–290 ms with under 3 MB left dirty: the flush) and at
//! 113.0–113.7 with each stretch flushed (final fsync 3–15 ms). In medians of 5 rounds the
//! browser's plain PUT went from 103.3 to 113.7 MiB/s and Skiff regular from 96.5 to 107.8
//! (tus-js-client to @tus/server, which never fsyncs, 113.3). Flushing every 4 MiB instead gave
//! Skiff regular 105.2, never within a 6 MiB part 96, and stretches of 1 MiB 107.1 (2 MiB then;
//! 1 MiB since, see [`STRETCH`]). On the first machine measured, starting writeback alone had
//! taken a PUT from 107.7 to 113.6.
//!
//! The flushes run on their own open file description of the piece: a write error is then
//! reported to the writer's final fsync too, not used up by the thread's (on Linux each open file
//! description is told of an error once).
//!
//! Elsewhere than Linux, nothing is done early and the final fsync does all the work, as before.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

/// Bytes between two flushes: large enough that the disk gets long writes, small enough that a
/// 6 MiB part leaves the final fsync at most a sixth of itself. Against 2 MiB, at 1 Gbit/s with
/// 256 MiB (7 rounds a run, `BENCH_SHAPED_LINKS=1gbit`), the time the disk added to Skiff
/// regular (its median against the same client's with the server's data on a tmpfs) went from
/// 17 and 23 ms to 6, 5 and 13 in runs alternating with them (512 KiB: 15); the final fsync of a
/// part took 1.2 ms in the median with 2 MiB.
const STRETCH: u64 = 1 << 20;

/// How far a file's early flushing has got.
#[derive(Debug, Default)]
pub(super) struct Writeback {
    asked_upto: u64,
    /// The file opened a second time for the advisor: `None` until the first stretch, and for
    /// good once opening failed (the final fsync then does the work).
    flusher: Option<Option<Arc<File>>>,
}

impl Writeback {
    /// `on_disk` bytes of the file at `path` have been written to it (not counting a writer's
    /// buffer): hands what landed since the last request to the advisor, once that is a whole
    /// stretch. A request the advisor has no room for stays for the next one, which then covers
    /// both. Errors are ignored here: the final fsync reports any failure to write.
    pub(super) fn written(&mut self, path: &Path, on_disk: u64) {
        if !cfg!(target_os = "linux") || on_disk < self.asked_upto + STRETCH {
            return;
        }
        let flusher = self
            .flusher
            .get_or_insert_with(|| File::open(path).ok().map(Arc::new));
        if let Some(file) = flusher {
            if start(file, self.asked_upto, on_disk - self.asked_upto) {
                self.asked_upto = on_disk;
            }
        }
    }
}

/// Hands `len` bytes of `file` from `from` to the advisor; false where it has no room (or no
/// thread could be started).
#[cfg(target_os = "linux")]
fn start(file: &Arc<File>, from: u64, len: u64) -> bool {
    advisor().is_some_and(|advisor| advisor.try_send((Arc::clone(file), from, len)).is_ok())
}

/// The queue of the one thread that flushes stretches. Flushing waits for the disk, and the
/// thread that writes a piece (and hashes it) must not: at 1 Gbit/s even giving the writeback
/// advice there (which can block where the disk's queue is full) held a 256 MiB request to
/// 103 MiB/s against 112 without it. The writer hands each stretch over and goes on. One thread
/// serves every piece being written: where it falls behind, requests wait in the queue or are
/// folded into the next (see [`Writeback::written`]), and the final fsyncs do more.
#[cfg(target_os = "linux")]
fn advisor() -> Option<&'static std::sync::mpsc::SyncSender<(Arc<File>, u64, u64)>> {
    use rustix::fs::{Advice, fadvise};
    use std::sync::OnceLock;
    type Queue = std::sync::mpsc::SyncSender<(Arc<File>, u64, u64)>;
    static ADVISOR: OnceLock<Option<Queue>> = OnceLock::new();
    ADVISOR
        .get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<(Arc<File>, u64, u64)>(64);
            let flush = move || {
                for (file, from, len) in rx {
                    if file.sync_data().is_ok() {
                        let _ = fadvise(
                            &*file,
                            from,
                            std::num::NonZeroU64::new(len),
                            Advice::DontNeed,
                        );
                    }
                }
            };
            std::thread::Builder::new()
                .name("skiff-writeback".into())
                .spawn(flush)
                .ok()
                .map(|_| tx)
        })
        .as_ref()
}

#[cfg(not(target_os = "linux"))]
fn start(_: &Arc<File>, _: u64, _: u64) -> bool {
    false
}

// Elsewhere than Linux nothing is asked.
#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn asks_once_per_whole_stretch() {
        let mut w = Writeback::default();
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let bytes: Vec<u8> = (0..STRETCH * 2 + 5).map(|i| (i % 251) as u8).collect();
        f.write_all(&bytes).unwrap();
        w.written(f.path(), STRETCH - 1);
        assert_eq!(w.asked_upto, 0, "less than a stretch waits");
        w.written(f.path(), STRETCH + 3);
        assert_eq!(w.asked_upto, STRETCH + 3);
        w.written(f.path(), STRETCH * 2);
        assert_eq!(w.asked_upto, STRETCH + 3);
        w.written(f.path(), STRETCH * 2 + 5);
        assert_eq!(w.asked_upto, STRETCH * 2 + 5);
        // The bytes are all still there (flushing and dropping clean pages never lose data).
        f.as_file().sync_all().unwrap();
        assert!(std::fs::read(f.path()).unwrap() == bytes);
    }

    #[test]
    fn a_file_it_cannot_open_again_is_left_to_the_final_fsync() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writeback::default();
        w.written(&dir.path().join("gone"), STRETCH * 3);
        assert_eq!(w.asked_upto, 0);
        assert!(matches!(w.flusher, Some(None)), "it does not try again");
    }
}
