//! Background work: webhook delivery, expiry of stale upload sessions and picker sessions, and
//! collection of objects no file refers to (left by a crash between writing bytes and
//! recording them).

use crate::AppState;
use crate::storage::ObjectInfo;
use std::collections::HashSet;
use std::time::{Duration, SystemTime};

/// Removes sessions that expired, with their staged parts; returns how many. A session that
/// began at another edge is left to that edge's instances, which hold its bytes.
pub async fn sweep_expired(state: &AppState) -> usize {
    let mut removed = 0;
    loop {
        let ids = match state.state().expired_sessions(state.now_ms(), 100).await {
            Ok(ids) if !ids.is_empty() => ids,
            Ok(_) => return removed,
            Err(e) => {
                tracing::error!(error = %e, "cannot list expired sessions");
                return removed;
            }
        };
        let before = removed;
        for id in ids {
            // Bytes first: a crash in between leaves a session whose parts are gone, which is
            // swept again next time, never bytes that nothing will ever remove.
            match release(state, &id).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::error!(upload = %id, error = %e, "cannot remove the upload's parts");
                    return removed;
                }
            }
            if let Err(e) = state.state().delete_session(&id).await {
                tracing::error!(upload = %id, error = %e, "cannot remove session");
                return removed;
            }
            tracing::info!(upload = %id, "expired upload removed");
            removed += 1;
        }
        // Only sessions of other edges are left in this batch (a store without leases hands
        // them out again): they wait for their edge.
        if removed == before {
            return removed;
        }
    }
}

/// Drops what an expired upload left where it landed: the staged pieces, and the storage's
/// own multipart upload when its parts went straight there (a bucket keeps the parts of an
/// open upload, and bills them, until it is aborted). `false` when its bytes are at another
/// edge, out of this instance's reach.
async fn release(state: &AppState, id: &str) -> Result<bool, String> {
    let sess = state.state().session(id).await.map_err(|e| e.to_string())?;
    let storage = match &sess {
        Some(s) => match state.upload_storage(s) {
            Ok(storage) => storage,
            Err(_) => return Ok(false),
        },
        None => state.storage(),
    };
    if let (Some(s), Some(direct)) = (&sess, storage.direct()) {
        if let (None, Some(upload)) = (&s.completed, &s.direct) {
            direct
                .abort_direct(upload)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    storage
        .discard_upload(id)
        .await
        .map(|()| true)
        .map_err(|e| e.to_string())
}

/// The objects to remove: those no file record names and last written before `cutoff`. A
/// younger unreferenced object may be one that another instance (or a request still running)
/// has written and is about to record, so it is left for a later sweep.
pub fn orphans(
    objects: Vec<ObjectInfo>,
    known: &HashSet<String>,
    cutoff: SystemTime,
) -> Vec<ObjectInfo> {
    objects
        .into_iter()
        .filter(|o| !known.contains(&o.name) && o.modified < cutoff)
        .collect()
}

/// Deletes stored objects that no file record names and that are older than the configured
/// grace period at `now`; run before serving. `now` is wall-clock time, not the app's clock,
/// because it is compared with the storage's write times.
pub async fn collect_orphans(state: &AppState, now: SystemTime) -> usize {
    let Ok(handles) = state.state().handles().await else {
        tracing::warn!("cannot list files; skipping orphan collection");
        return 0;
    };
    let known: HashSet<String> = handles.into_iter().collect();
    let grace = Duration::from_secs(state.config().orphan_grace_secs);
    let cutoff = now.checked_sub(grace).unwrap_or(SystemTime::UNIX_EPOCH);
    let mut n = 0;
    // Handles are unique across apps, so one set of known ones serves every storage.
    for storage in state.storages() {
        let Ok(objects) = storage.list().await else {
            tracing::warn!(
                location = storage.location(),
                "cannot list objects; skipping it"
            );
            continue;
        };
        for object in orphans(objects, &known, cutoff) {
            if storage.delete(&object.name).await.is_ok() {
                tracing::info!(object = %object.name, size = object.size, "removed an object no file refers to");
                n += 1;
            }
        }
    }
    n
}

/// Starts webhook delivery and the periodic expiry sweep; they run until the runtime stops.
pub fn spawn(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let hooks = tokio::spawn(crate::webhook::run(state.clone()));
    let sweeper_state = state.clone();
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            sweep_expired(&sweeper_state).await;
            // Picker sessions past their expiry (with their sealed connections) and sign-in
            // flows past their 10 minutes.
            if let Err(e) = sweeper_state.sessions().sweep(sweeper_state.now_ms()).await {
                tracing::error!(error = %e, "cannot sweep expired picker sessions");
            }
        }
    });
    let transfers = tokio::spawn(crate::transfer::run(state.clone()));
    vec![hooks, sweeper, transfers]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::config::Config;
    use crate::state::MemoryState;
    use crate::storage::{Expect, MemoryStorage, Storage, conformance::body};
    use std::sync::Arc;

    #[tokio::test]
    async fn sweep_spares_fresh_and_referenced_objects() {
        let storage = Arc::new(MemoryStorage::new());
        let config = Config {
            orphan_grace_secs: 3600,
            ..Config::default()
        };
        let state = AppState::new(
            config,
            storage.clone(),
            Arc::new(MemoryState::new()),
            Arc::new(ManualClock::at(0)),
            vec![0; 32],
        );
        for name in ["orphan", "h"] {
            storage
                .put(name, body(b"x"), Expect::AtMost(1))
                .await
                .unwrap();
        }
        let file = crate::state::conformance::file("h");
        state.state().insert_file(&file, &[], 0).await.unwrap();
        // Just written: another instance may be about to record it.
        assert_eq!(collect_orphans(&state, SystemTime::now()).await, 0);
        let half_later = SystemTime::now() + Duration::from_secs(1800);
        assert_eq!(collect_orphans(&state, half_later).await, 0);
        let later = SystemTime::now() + Duration::from_secs(3601);
        assert_eq!(collect_orphans(&state, later).await, 1);
        let left: Vec<String> = storage
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.name)
            .collect();
        assert_eq!(left, ["h"]);
    }

    #[test]
    fn orphans_are_unreferenced_and_old() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let object = |name: &str, age: u64| ObjectInfo {
            name: name.into(),
            size: 1,
            modified: t0 - Duration::from_secs(age),
        };
        let known: HashSet<String> = ["kept".to_owned()].into();
        let objects = vec![
            object("kept", 10_000),
            object("old", 3601),
            object("edge", 3600),
            object("fresh", 5),
        ];
        let cutoff = t0 - Duration::from_secs(3600);
        let names: Vec<String> = orphans(objects, &known, cutoff)
            .into_iter()
            .map(|o| o.name)
            .collect();
        assert_eq!(names, ["old"]);
    }
}
