//! The transfer queue in PostgreSQL (`skiff_transfers`): a row per file on its way to a
//! location, written with the file, claimed with `FOR UPDATE SKIP LOCKED` leases like webhooks,
//! settled with the file's new record and its webhooks in one transaction.

use super::{PostgresState, get, insert_webhooks, pg, unsigned};
use crate::state::{FileRecord, NewWebhook, StateError, TransferJob};
use tokio_postgres::Row;
use tokio_postgres::types::Json;

/// Reads `handle, dest, attempts, next_at, last_error, state, holder`.
fn job(row: &Row) -> Result<TransferJob, StateError> {
    Ok(TransferJob {
        handle: get(row, 0, "transfer")?,
        to: crate::state::dest_of(get(row, 1, "transfer")?),
        holder: get(row, 6, "transfer")?,
        attempts: unsigned(row, 2, "transfer")?,
        next_at: get(row, 3, "transfer")?,
        last_error: get(row, 4, "transfer")?,
        failed: get::<String>(row, 5, "transfer")? == "failed",
    })
}

/// Queues the transfer of `file` when it has one (in the transaction that records it).
pub(super) async fn queue(
    tx: &deadpool_postgres::Transaction<'_>,
    file: &FileRecord,
    now: i64,
) -> Result<(), StateError> {
    if let Some(t) = &file.transfer {
        tx.execute(
            "INSERT INTO skiff_transfers (handle, dest, next_at, holder) VALUES ($1, $2, $3, $4)",
            &[
                &file.handle,
                &crate::state::dest_column(t.to.as_deref()),
                &now,
                &t.held.as_ref().map(|h| &h.region),
            ],
        )
        .await
        .map_err(pg)?;
    }
    Ok(())
}

impl PostgresState {
    pub(super) async fn claim_transfers(
        &self,
        now: i64,
        lease_ms: i64,
        limit: usize,
        holder: Option<&str>,
    ) -> Result<Vec<TransferJob>, StateError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let until = now.saturating_add(lease_ms);
        let rows = self
            .rows(
                "WITH due AS (
                     SELECT handle FROM skiff_transfers
                     WHERE state = 'pending' AND next_at <= $1
                     AND (holder IS NULL OR holder = $4)
                     ORDER BY next_at, handle
                     LIMIT $3
                     FOR UPDATE SKIP LOCKED)
                 UPDATE skiff_transfers t SET next_at = $2 FROM due
                 WHERE t.handle = due.handle
                 RETURNING t.handle, t.dest, t.attempts, t.next_at, t.last_error, t.state,
                     t.holder",
                &[&now, &until, &limit, &holder],
            )
            .await?;
        rows.iter().map(job).collect()
    }

    pub(super) async fn finish_transfer(
        &self,
        file: &FileRecord,
        webhooks: &[NewWebhook],
        now: i64,
    ) -> Result<(), StateError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        tx.execute(
            "DELETE FROM skiff_transfers WHERE handle = $1",
            &[&file.handle],
        )
        .await
        .map_err(pg)?;
        // A file deleted meanwhile stays deleted, and sends no event.
        let n = tx
            .execute(
                "UPDATE skiff_files SET record = $2 WHERE handle = $1",
                &[&file.handle, &Json(file)],
            )
            .await
            .map_err(pg)?;
        if n > 0 {
            insert_webhooks(&tx, webhooks, now).await?;
        }
        tx.commit().await.map_err(pg)
    }

    pub(super) async fn fail_transfer(
        &self,
        handle: &str,
        attempts: u32,
        next_at: Option<i64>,
        error: &str,
    ) -> Result<(), StateError> {
        self.job_failed(
            "skiff_transfers",
            "handle",
            &handle,
            attempts,
            next_at,
            error,
        )
        .await
    }

    pub(super) async fn find_transfer(
        &self,
        handle: &str,
    ) -> Result<Option<TransferJob>, StateError> {
        let rows = self
            .rows(
                "SELECT handle, dest, attempts, next_at, last_error, state, holder
                 FROM skiff_transfers WHERE handle = $1",
                &[&handle],
            )
            .await?;
        rows.first().map(job).transpose()
    }

    pub(super) async fn retry_transfers(&self, now: i64) -> Result<u64, StateError> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE skiff_transfers SET state = 'pending', attempts = 0, next_at = $1
                 WHERE state = 'failed'",
                &[&now],
            )
            .await
            .map_err(pg)
    }
}
