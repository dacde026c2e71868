//! Background work: webhook delivery, expiry of stale upload sessions, and collection of
//! objects no file refers to (left by a crash between writing bytes and recording them).

use crate::AppState;
use std::time::Duration;

/// Removes sessions that expired, with their staged parts; returns how many.
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
        for id in ids {
            // Bytes first: a crash in between leaves a session whose parts are gone, which is
            // swept again next time, never bytes that nothing will ever remove.
            if let Err(e) = state.storage().discard_upload(&id).await {
                tracing::error!(upload = %id, error = %e, "cannot remove staged parts");
                return removed;
            }
            if let Err(e) = state.state().delete_session(&id).await {
                tracing::error!(upload = %id, error = %e, "cannot remove session");
                return removed;
            }
            tracing::info!(upload = %id, "expired upload removed");
            removed += 1;
        }
    }
}

/// Deletes stored objects that no file record names; run before serving.
pub async fn collect_orphans(state: &AppState) -> usize {
    let (Ok(objects), Ok(handles)) = (state.storage().list().await, state.state().handles().await)
    else {
        tracing::warn!("cannot list objects or files; skipping orphan collection");
        return 0;
    };
    let known: std::collections::HashSet<String> = handles.into_iter().collect();
    let mut n = 0;
    for name in objects.into_iter().filter(|o| !known.contains(o)) {
        if state.storage().delete(&name).await.is_ok() {
            tracing::info!(object = %name, "removed an object no file refers to");
            n += 1;
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
        }
    });
    vec![hooks, sweeper]
}
