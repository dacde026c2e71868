//! The transfer queue's worker: moves each file stored with `store.location` = a configured
//! location (`[locations.<name>]`) from its app's storage, where it landed, to that location,
//! and each file uploaded to an edge from the edge's landing storage to its final storage (the
//! app's, or a location). Only an edge's own instances claim the files it holds.
//! The file is usable from the moment it is recorded (`InTransit`, read from where it landed);
//! once moved, its record says so (`Complete` in its metadata, read from where it went), the
//! copy where it landed goes, and its `fp.upload` webhook is sent. Jobs live in the state
//! store, so they survive restarts and are claimed by one instance at a time (leases); an
//! attempt that fails is tried again with a growing delay, and after [`GIVE_UP_AFTER`] attempts
//! the job is kept as failed, shown by the file's metadata and logged as an error, never
//! dropped.

use crate::state::{FileRecord, TransferJob};
use crate::storage::Expect;
use crate::{AppState, FileBytes};
use std::time::Duration;

/// How long a claimed transfer is this instance's: long enough for a big file to be copied.
const LEASE_MS: i64 = 15 * 60_000;
/// Attempts before a transfer is given up (a little over a day of trying).
pub const GIVE_UP_AFTER: u32 = 24;
/// Jobs claimed at once.
const BATCH: usize = 4;

/// The delay before attempt `attempts + 1`: 5 s, doubling, at most two hours.
pub fn backoff_ms(attempts: u32) -> i64 {
    (5_000i64 << attempts.min(20)).min(2 * 3_600_000)
}

/// Runs the queue until the runtime stops.
pub async fn run(state: AppState) {
    loop {
        if drain(&state).await == 0 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// Claims the transfers due now and works on them; how many were claimed.
pub async fn drain(state: &AppState) -> usize {
    let jobs = match state
        .state()
        .claim_due_transfers(
            state.now_ms(),
            LEASE_MS,
            BATCH,
            state.edge().as_ref().map(|e| e.region.as_str()),
        )
        .await
    {
        Ok(jobs) => jobs,
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim transfers");
            return 0;
        }
    };
    let n = jobs.len();
    for job in jobs {
        attempt(state, job).await;
    }
    n
}

async fn attempt(state: &AppState, job: TransferJob) {
    let handle = job.handle.clone();
    let to = job.to.as_deref().unwrap_or("its app's storage");
    match move_file(state, &job).await {
        Ok(()) => tracing::info!(%handle, %to, "file transferred"),
        Err(why) => {
            let attempts = job.attempts + 1;
            let next = (attempts < GIVE_UP_AFTER).then(|| state.now_ms() + backoff_ms(attempts));
            if next.is_none() {
                tracing::error!(%handle, %to, attempts, error = %why, "transfer given up");
            } else {
                tracing::warn!(%handle, %to, attempts, error = %why, "transfer failed; will try again");
            }
            if let Err(e) = state
                .state()
                .transfer_failed(&handle, attempts, next, &why)
                .await
            {
                tracing::warn!(%handle, error = %e, "cannot record a failed transfer; its lease will run out");
            }
        }
    }
}

/// Copies the file to its location and records it there; why not, when it could not.
async fn move_file(state: &AppState, job: &TransferJob) -> Result<(), String> {
    let Some(file) = state
        .state()
        .file(&job.handle)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(()); // deleted meanwhile: its job went with it
    };
    let dest = match &job.to {
        Some(name) => state
            .location(name)
            .ok_or_else(|| format!("no location {name:?} is configured"))?,
        None => state.storage_for(&file.app),
    };
    let from = match state.file_bytes(&file) {
        FileBytes::Here(from) => from,
        // Claims hand out only jobs whose bytes this instance holds.
        FileBytes::Elsewhere(held) => {
            return Err(format!("the bytes are at the edge {:?}", held.region));
        }
    };
    let body = from
        .get(&file.handle, None)
        .await
        .map_err(|e| e.to_string())?;
    let expect = Expect::Exact {
        size: file.size,
        md5: None,
    };
    dest.put(&file.handle, body, expect)
        .await
        .map_err(|e| e.to_string())?;
    let client = file
        .transfer
        .as_ref()
        .map_or("Computer".to_owned(), |t| t.client.clone());
    let moved = FileRecord {
        location: job.to.clone().unwrap_or_else(|| dest.location().to_owned()),
        transfer: None,
        ..file
    };
    let hooks = crate::routes::upload_webhooks(state, &moved, &client);
    state
        .state()
        .transfer_done(&moved, &hooks, state.now_ms())
        .await
        .map_err(|e| e.to_string())?;
    if !hooks.is_empty() {
        state.wake_webhooks();
    }
    // The record points at the location now; the landed copy may go. If this fails, the copy
    // stays behind (logged), which costs space but never the file.
    if let Err(e) = from.delete(&moved.handle).await {
        tracing::warn!(handle = %moved.handle, error = %e, "could not remove the copy a transfer left behind");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_caps() {
        assert_eq!(backoff_ms(0), 5_000);
        assert_eq!(backoff_ms(1), 10_000);
        assert_eq!(backoff_ms(3), 40_000);
        assert_eq!(backoff_ms(GIVE_UP_AFTER), 2 * 3_600_000);
        let total: i64 = (1..GIVE_UP_AFTER).map(backoff_ms).sum();
        assert!(total > 24 * 3_600_000, "{total}");
    }
}
