//! What the upload driver tells its listeners, as typed values: progress snapshots, retries, and
//! how each file ended. The JS API and the picker turn them into the shapes apps see (the JSON
//! lives at those edges, not here), so the picker reads fields instead of parsing strings back.

use skiff_engine::{FileId, FileResult, IdMap, Millis, ProgressInfo, RequestKind, UploadError};

/// Progress of one upload task: the totals of its files, and each file's own share.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Progress {
    /// Percent of all files, 0–100.
    pub(crate) total_percent: f64,
    /// Bytes of all files sent.
    pub(crate) total_bytes: u64,
    /// Size of all files.
    pub(crate) total_size: u64,
    /// Recent speed, bytes per second.
    pub(crate) speed_bps: f64,
    /// Estimated time left, ms (none until the speed is known).
    pub(crate) eta_ms: Option<Millis>,
    /// Each file that has reported progress, in file order.
    pub(crate) files: Vec<FileProgress>,
}

/// One file's part of a [`Progress`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FileProgress {
    /// The name the file is stored under.
    pub(crate) name: String,
    /// Percent of the file, 0–100.
    pub(crate) percent: f64,
    /// Bytes of the file sent.
    pub(crate) bytes: u64,
}

impl Progress {
    /// The snapshot of the latest report of each file. The engine computes the totals in every
    /// report, so the most recent one (the last file's, in id order) carries them; before any
    /// report, everything is zero (the snapshot sent when a task starts).
    pub(crate) fn new(
        latest: &IdMap<FileId, ProgressInfo>,
        names: &IdMap<FileId, String>,
    ) -> Progress {
        let last = latest.values().last();
        let files = latest
            .iter()
            .map(|(id, p)| FileProgress {
                name: names.get(id).cloned().unwrap_or_else(|| id.0.to_string()),
                percent: p.file_percent,
                bytes: p.file_bytes,
            })
            .collect();
        Progress {
            total_percent: last.map_or(0.0, |p| p.total_percent),
            total_bytes: last.map_or(0, |p| p.total_bytes),
            total_size: last.map_or(0, |p| p.total_size),
            speed_bps: last.map_or(0.0, |p| p.speed_bps),
            eta_ms: last.and_then(|p| p.eta_ms),
            files,
        }
    }
}

/// A request failed and will be tried again.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Retry {
    /// The file's name (none if the driver does not know the file).
    pub(crate) filename: Option<String>,
    /// The request that failed.
    pub(crate) request: RequestKind,
    /// Failures of this request so far.
    pub(crate) attempt: u32,
    /// Wait before the next try, ms.
    pub(crate) delay_ms: Millis,
    /// What went wrong.
    pub(crate) reason: String,
    /// The chunk size of the next try (intelligent uploads).
    pub(crate) chunk_size: Option<u64>,
}

/// How one file ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FileOutcome {
    /// The server stored it.
    Stored(FileResult),
    /// It failed for good.
    Failed(UploadError),
    /// The app or the user cancelled it.
    Cancelled,
}

/// One file of a task once it has ended, in the order the files were given.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finished {
    /// The name the file was (or would have been) stored under.
    pub(crate) filename: String,
    /// How it ended.
    pub(crate) outcome: FileOutcome,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(file: u32, file_bytes: u64, total_bytes: u64) -> ProgressInfo {
        ProgressInfo {
            file: FileId(file),
            file_bytes,
            file_size: 100,
            file_percent: file_bytes as f64,
            total_bytes,
            total_size: 200,
            total_percent: total_bytes as f64 / 2.0,
            speed_bps: 1000.0,
            eta_ms: Some(50),
        }
    }

    #[test]
    fn before_any_report_everything_is_zero() {
        let p = Progress::new(&IdMap::new(), &IdMap::new());
        assert_eq!(
            (p.total_percent, p.total_bytes, p.total_size, p.eta_ms),
            (0.0, 0, 0, None)
        );
        assert!(p.files.is_empty());
    }

    #[test]
    fn totals_come_from_the_last_file_and_each_file_keeps_its_name() {
        let mut latest = IdMap::new();
        latest.insert(FileId(0), info(0, 40, 40));
        latest.insert(FileId(1), info(1, 10, 50));
        let mut names = IdMap::new();
        names.insert(FileId(0), "a.bin".to_owned());
        let p = Progress::new(&latest, &names);
        assert_eq!(
            (p.total_bytes, p.total_size, p.total_percent),
            (50, 200, 25.0)
        );
        assert_eq!((p.speed_bps, p.eta_ms), (1000.0, Some(50)));
        let files: Vec<(&str, u64)> = p.files.iter().map(|f| (&*f.name, f.bytes)).collect();
        // A file without a name is listed under its id.
        assert_eq!(files, [("a.bin", 40), ("1", 10)]);
    }
}
