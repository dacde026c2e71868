//! The uploads of one `client.upload` call kept for a later page (`resume`), as the engine's
//! events build them up: the key each file is kept under, its checkpoint so far, until when it is
//! worth keeping, and the digest of the file's ends that a later page compares. Plain Rust,
//! tested here; `crate::upload::resumable` carries out the writes it returns in IndexedDB.
//!
//! Why a type of its own: only a fresh start's event used to carry a checkpoint, so an upload
//! carried on after a reload had none here. The parts it finished, and a cut back of its parts,
//! were never written, and a second reload went back to the first record. And each write moved
//! the expiry a day on, though the server's session ends a day after the start.

use crate::model::checkpoint::{self, KEEP_MS};
use skiff_engine::{Checkpoint, Event, FileId, IdMap};

/// A change to the store.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Keep `text` under `key`, in place of what was there.
    Put { key: String, text: String },
    /// Forget what is kept under `key`.
    Delete { key: String },
}

/// One tracked file.
#[derive(Debug)]
struct Tracked {
    key: String,
    /// The digest of the file's two ends, once read. A file with nothing kept starts before they
    /// are read; its record is written once they are, with what it holds by then.
    ends: Option<String>,
    /// The record found for it before the upload began, with its expiry (unix ms): its
    /// checkpoint from the moment the engine carries on with it ([`Event::Rejoined`]).
    found: Option<(Checkpoint, f64)>,
    /// The checkpoint so far and its expiry, once the upload began or carried on.
    kept: Option<(Checkpoint, f64)>,
}

/// The kept uploads of one call, by file.
#[derive(Debug, Default)]
pub struct Kept {
    files: IdMap<FileId, Tracked>,
}

impl Kept {
    /// `file`'s upload is kept under `key` from now on; `found` is what was kept there before
    /// (its ends matched `ends`), and `ends` the digest of the file's ends if already read.
    pub fn track(
        &mut self,
        file: FileId,
        key: String,
        found: Option<(Checkpoint, f64)>,
        ends: Option<String>,
    ) {
        self.files.insert(
            file,
            Tracked {
                key,
                ends,
                found,
                kept: None,
            },
        );
    }

    /// The digest of `file`'s ends was read: the write held for it until now, if any.
    pub fn ends_read(&mut self, file: FileId, ends: String) -> Option<Write> {
        let t = self.files.get_mut(&file)?;
        t.ends = Some(ends);
        t.write()
    }

    /// The key `file`'s upload is kept under, if it is tracked.
    pub fn key(&self, file: FileId) -> Option<&str> {
        self.files.get(&file).map(|t| t.key.as_str())
    }

    /// What `event` changes in the store (`now`: unix ms), if anything: the record of an upload
    /// that began, carried on, finished a part or was cut again; or its removal once it is
    /// complete or cancelled. A failed upload stays kept, to be carried on later.
    pub fn on_event(&mut self, event: &Event, now: f64) -> Option<Write> {
        let file = match event {
            Event::Started { file, .. }
            | Event::Rejoined { file, .. }
            | Event::PartDone { file, .. }
            | Event::Recut { file, .. }
            | Event::FileDone { file, .. }
            | Event::Cancelled { file } => *file,
            _ => return None,
        };
        let t = self.files.get_mut(&file)?;
        match event {
            // The record lasts as long as the server's session from its start, however often it
            // is written: as the server said (`expires_in`), else skiff-server's default.
            Event::Started {
                checkpoint,
                expires_in,
                ..
            } => {
                let lasts = expires_in.map_or(KEEP_MS, |ms| ms as f64);
                t.kept = Some((checkpoint.clone(), now + lasts));
            }
            // Carried on: the record found goes on from here, with the expiry it had. Nothing
            // to write yet.
            Event::Rejoined { .. } => {
                t.kept = t.found.take();
                return None;
            }
            Event::FileDone { .. } | Event::Cancelled { .. } => {
                t.kept = None;
                return Some(Write::Delete { key: t.key.clone() });
            }
            _ => {
                let (cp, _) = t.kept.as_mut()?;
                if !cp.note(event) {
                    return None;
                }
            }
        }
        t.write()
    }
}

impl Tracked {
    /// The record as it stands, once there is one and the file's ends are read.
    fn write(&self) -> Option<Write> {
        let (cp, expires) = self.kept.as_ref()?;
        Some(Write::Put {
            key: self.key.clone(),
            text: checkpoint::to_json(cp, *expires, self.ends.as_deref()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_engine::Flow;

    const F: FileId = FileId(1);

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            uri: "/skiff/u1".into(),
            region: "eu".into(),
            upload_id: "u1".into(),
            base: "https://up.example".into(),
            location_region: None,
            flow: Flow::Regular,
            part_size: 10,
            recuts: Vec::new(),
            size: 35,
            done: Vec::new(),
        }
    }

    /// The upload of `F` began; the server keeps it `expires_in` ms, if it said.
    fn started(expires_in: Option<u64>) -> Event {
        Event::Started {
            file: F,
            upload_id: "u1".into(),
            intelligent: false,
            checkpoint: checkpoint(),
            expires_in,
        }
    }

    fn done(part: u32) -> Event {
        Event::PartDone {
            file: F,
            part,
            etag: Some(format!("\"e{part}\"")),
        }
    }

    /// The checkpoint and expiry a write keeps.
    fn written(w: Option<Write>) -> (Checkpoint, f64) {
        match w {
            Some(Write::Put { key, text }) => {
                assert_eq!(key, "k");
                let expires = serde_json::from_str::<serde_json::Value>(&text).unwrap()["expires"]
                    .as_f64()
                    .unwrap();
                let record = checkpoint::from_json(&text, 0.0).unwrap();
                assert_eq!(record.ends, "ends");
                (record.checkpoint, expires)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_fresh_upload_is_kept_for_a_day_from_its_start_however_often_it_is_written() {
        let mut k = Kept::default();
        k.track(F, "k".into(), None, Some("ends".into()));
        let (cp, expires) = written(k.on_event(&started(None), 1_000.0));
        assert_eq!((cp, expires), (checkpoint(), 1_000.0 + KEEP_MS));
        let (cp, expires) = written(k.on_event(&done(1), 50_000_000.0));
        assert_eq!(cp.done, [(1, Some("\"e1\"".into()))]);
        assert_eq!(expires, 1_000.0 + KEEP_MS, "not moved on by the write");
        let end = Event::Cancelled { file: F };
        assert_eq!(
            k.on_event(&end, 0.0),
            Some(Write::Delete { key: "k".into() })
        );
        assert_eq!(k.on_event(&done(2), 0.0), None, "nothing kept any more");
    }

    #[test]
    fn a_server_that_keeps_uploads_for_an_hour_has_them_kept_for_an_hour() {
        let mut k = Kept::default();
        k.track(F, "k".into(), None, Some("ends".into()));
        let (_, expires) = written(k.on_event(&started(Some(3_600_000)), 1_000.0));
        assert_eq!(expires, 3_601_000.0);
        let (_, expires) = written(k.on_event(&done(1), 2_000_000.0));
        assert_eq!(expires, 3_601_000.0);
    }

    #[test]
    fn an_upload_carried_on_after_a_reload_goes_on_being_kept() {
        let mut found = checkpoint();
        found.done = vec![(1, Some("\"e1\"".into()))];
        let mut k = Kept::default();
        k.track(
            F,
            "k".into(),
            Some((found.clone(), 7_000.0)),
            Some("ends".into()),
        );
        // Nothing is written for it until the engine carries on with it.
        assert_eq!(k.on_event(&done(2), 0.0), None);
        let rejoined = Event::Rejoined {
            file: F,
            upload_id: "u1".into(),
            held: 10,
        };
        assert_eq!(k.on_event(&rejoined, 0.0), None);
        let (cp, expires) = written(k.on_event(&done(2), 5_000.0));
        assert_eq!(cp.done.len(), 2, "the part done after the reload is kept");
        assert_eq!(expires, 7_000.0, "the expiry it was found with");
        let recut = Event::Recut {
            file: F,
            part: 3,
            from: 20,
            part_size: 5,
        };
        let (cp, _) = written(k.on_event(&recut, 5_000.0));
        assert_eq!(cp.recuts, [(20, 5)]);
        let result = Event::FileFailed {
            file: F,
            error: skiff_engine::UploadError {
                message: "gone".into(),
                status: None,
                code: None,
                request: None,
            },
        };
        assert_eq!(k.on_event(&result, 0.0), None, "a failed upload stays kept");
    }

    #[test]
    fn files_not_tracked_are_not_kept() {
        let mut k = Kept::default();
        assert_eq!(k.on_event(&done(1), 0.0), None);
        assert_eq!(k.key(F), None);
        k.track(F, "k".into(), None, Some("ends".into()));
        assert_eq!(k.key(F), Some("k"));
    }

    #[test]
    fn a_record_waits_for_the_files_ends_and_then_holds_all_done_by_then() {
        let mut k = Kept::default();
        k.track(F, "k".into(), None, None);
        assert_eq!(k.on_event(&started(None), 1_000.0), None, "no ends yet");
        assert_eq!(k.on_event(&done(1), 2_000.0), None);
        let (cp, expires) = written(k.ends_read(F, "ends".into()));
        assert_eq!(cp.done, [(1, Some("\"e1\"".into()))]);
        assert_eq!(expires, 1_000.0 + KEEP_MS);
        let (cp, _) = written(k.on_event(&done(2), 3_000.0));
        assert_eq!(cp.done.len(), 2, "written as before from here on");
    }

    #[test]
    fn ends_read_after_the_upload_ended_write_nothing() {
        let mut k = Kept::default();
        k.track(F, "k".into(), None, None);
        assert_eq!(k.on_event(&started(None), 1_000.0), None);
        assert_eq!(
            k.on_event(&Event::Cancelled { file: F }, 0.0),
            Some(Write::Delete { key: "k".into() })
        );
        assert_eq!(k.ends_read(F, "ends".into()), None);
        assert_eq!(k.ends_read(FileId(2), "ends".into()), None, "not tracked");
    }
}
