//! PostgreSQL state: one database shared by every instance of a deployment (cargo feature
//! `postgres`, `[state] kind = "postgres"` with `url`).
//!
//! - **Connections** come from a small pool that hands out only connections still open, so a
//!   database that restarted is reconnected to by the next call; while it is away, calls fail
//!   with [`StateError::Unavailable`] (a 503 the clients retry), never with a fault.
//! - **Schema** changes are numbered migrations, applied at start in one transaction under an
//!   advisory lock: instances starting together apply each one once, and one started twice
//!   applies nothing.
//! - **Work shared by instances** (the webhook outbox, the sweep of expired sessions) is
//!   handed out with `FOR UPDATE SKIP LOCKED` claims that give each row to one caller.
//!
//! Records are kept as JSONB next to the columns that queries filter on, as the SQLite store
//! keeps them as JSON text.

mod address;
mod cloud;
mod schema;
mod transfers;

pub use address::PostgresOpenError;

use super::{
    ChunkRecord, FileRecord, NewWebhook, PartRecord, QueueCounts, Session, StateError, StateStore,
    TransferJob, WebhookJob,
};
use crate::fetch::error_chain as chain;
use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use schema::{Migration, migrate, migrate_fresh};
use std::time::Duration;
use tokio_postgres::types::{Json, ToSql};
use tokio_postgres::{NoTls, Row};

/// The most connections one instance holds. Each call holds one for a single statement or
/// transaction, so a few serve many requests; several instances times this must stay under the
/// server's `max_connections` (100 by default).
const POOL_SIZE: usize = 16;

/// How long a call waits for a connection (all busy, or the database slow to accept) before it
/// fails as unavailable.
const WAIT: Duration = Duration::from_secs(5);

/// Connect timeout when the URL sets none: an unreachable host fails a call in seconds, not
/// after the operating system's minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a session handed out by [`StateStore::expired_sessions`] stays hidden from other
/// sweeps: long enough for its claimer to discard its staged bytes and delete it, short enough
/// that a sweep cut off by a crash is picked up again soon (expired sessions are harmless
/// meanwhile).
const SWEEP_LEASE_MS: i64 = 5 * 60_000;

/// PostgreSQL-backed [`StateStore`].
#[derive(Clone)]
pub struct PostgresState {
    pool: Pool,
    /// The database as `postgres://user@host:port/db`, for messages (no password).
    target: String,
    /// The key every instance on this database signs part URLs with.
    part_url_key: Vec<u8>,
}

impl std::fmt::Debug for PostgresState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresState")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// A random part-URL key (as long as the file key of the other stores) that this instance
/// offers, kept only if it is the first.
fn fresh_key() -> Vec<u8> {
    crate::ids::random_id(64).into_bytes()
}

impl PostgresState {
    /// Connects to the database at `url`, brings its schema up to date and returns the store.
    /// Fails when the URL is bad, the database is unreachable or refuses the login, or a
    /// migration fails.
    pub async fn connect(url: &str) -> Result<Self, PostgresOpenError> {
        let (config, target) = address::parse(url)?;
        let key = migrate_fresh(&config, &target, &fresh_key()).await?;
        Ok(Self::with_pool(config, target, key))
    }

    /// [`PostgresState::connect`] for callers that cannot await (the server's start, which is
    /// synchronous). The check and the migrations run on a thread of their own with a runtime of
    /// their own, so this works from inside any runtime; the pool then connects lazily on the
    /// caller's runtime.
    pub fn open(url: &str) -> Result<Self, PostgresOpenError> {
        let (config, target) = address::parse(url)?;
        let connect_failed = |cause: String| PostgresOpenError::Connect {
            target: target.clone(),
            cause,
        };
        let fresh = fresh_key();
        let key = crate::backends::apart(migrate_fresh(&config, &target, &fresh), connect_failed)?;
        Ok(Self::with_pool(config, target, key))
    }

    fn with_pool(config: tokio_postgres::Config, target: String, part_url_key: Vec<u8>) -> Self {
        // Fast recycling: a connection the server closed (a restart) is known closed by the
        // time it is handed out again and is replaced; one that dies unnoticed fails its call
        // as unavailable, and the next call gets a fresh one.
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(WAIT))
            .build();
        // Building fails only without a runtime for the timeouts, which is given just above.
        #[allow(clippy::expect_used)]
        let pool = pool.expect("a pool with a runtime builds");
        Self {
            pool,
            target,
            part_url_key,
        }
    }

    /// The database, as `postgres://user@host:port/database` (no password).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Applies the migrations this database lacks; returns how many. Safe to call from several
    /// instances at once, and a no-op when the schema is current.
    pub async fn migrate(&self) -> Result<usize, StateError> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let client: &mut tokio_postgres::Client = &mut client;
        match migrate(client).await {
            Ok(n) => Ok(n),
            Err(Migration::Db(e)) => Err(pg(e)),
            Err(Migration::TooNew { found, known }) => Err(StateError::Db(format!(
                "schema version {found} is newer than {known}"
            ))),
        }
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, StateError> {
        self.pool.get().await.map_err(pool_error)
    }

    /// Runs one statement that returns rows.
    async fn rows(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StateError> {
        let client = self.client().await?;
        let st = client.prepare_cached(sql).await.map_err(pg)?;
        client.query(&st, params).await.map_err(pg)
    }

    /// Records a failed attempt of the job whose `key_column` is `key` in `queue` (the
    /// webhook outbox, the transfer queue): due again at `next_at`, or kept as failed when it
    /// is `None`.
    async fn job_failed(
        &self,
        queue: &str,
        key_column: &str,
        key: &(dyn ToSql + Sync),
        attempts: u32,
        next_at: Option<i64>,
        error: &str,
    ) -> Result<(), StateError> {
        let sql = format!(
            "UPDATE {queue} SET attempts = $2, next_at = COALESCE($3::BIGINT, next_at),
             state = CASE WHEN $3::BIGINT IS NULL THEN 'failed' ELSE state END, last_error = $4
             WHERE {key_column} = $1"
        );
        self.exec(&sql, &[key, &i64::from(attempts), &next_at, &error])
            .await
    }

    /// Runs one statement.
    async fn exec(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<(), StateError> {
        let client = self.client().await?;
        let st = client.prepare_cached(sql).await.map_err(pg)?;
        client.execute(&st, params).await.map_err(pg).map(drop)
    }
}

/// Whether an error means the database cannot be used right now (down, restarting, out of
/// connections, the connection lost) rather than that the statement is wrong.
fn is_unavailable(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        // 08: connection exception; 53: insufficient resources (too many connections, disk
        // full); 57P01-57P04: shutting down, crashed, starting up, database dropped.
        Some(code) => {
            let code = code.code();
            code.starts_with("08") || code.starts_with("53") || code.starts_with("57P")
        }
        None => {
            e.is_closed() || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
        }
    }
}

fn pg(e: tokio_postgres::Error) -> StateError {
    if is_unavailable(&e) {
        StateError::Unavailable { cause: chain(&e) }
    } else {
        StateError::Db(chain(&e))
    }
}

/// A connection could not be had: the database is down or refuses new connections (a login
/// that stopped working is an outage too, to be fixed on the database's side), or all are busy.
fn pool_error(e: PoolError) -> StateError {
    match e {
        PoolError::Timeout(_) | PoolError::Backend(_) => {
            StateError::Unavailable { cause: chain(&e) }
        }
        other => StateError::Db(chain(&other)),
    }
}

/// A number the database keeps as BIGINT.
fn big(what: &str, n: u64) -> Result<i64, StateError> {
    i64::try_from(n).map_err(|_| StateError::Db(format!("{what} {n} does not fit the database")))
}

/// Column `idx` of `row`, or why the record is unreadable.
fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    idx: usize,
    what: &str,
) -> Result<T, StateError> {
    row.try_get(idx).map_err(|e| StateError::Corrupt {
        what: what.to_owned(),
        cause: chain(&e),
    })
}

/// A non-negative BIGINT column read back as `u64`/`u32`.
fn unsigned<T: TryFrom<i64>>(row: &Row, idx: usize, what: &str) -> Result<T, StateError> {
    let n: i64 = get(row, idx, what)?;
    T::try_from(n).map_err(|_| StateError::Corrupt {
        what: what.to_owned(),
        cause: format!("{n} is out of range"),
    })
}

/// A JSONB column read back as a record.
fn record<T: serde::de::DeserializeOwned>(
    row: &Row,
    idx: usize,
    what: &str,
) -> Result<T, StateError> {
    let value: serde_json::Value = get(row, idx, what)?;
    serde_json::from_value(value).map_err(|e| StateError::Corrupt {
        what: what.to_owned(),
        cause: e.to_string(),
    })
}

/// Reads `id, hook, attempts, next_at, created_at`.
/// A session from its `record` and `completed` columns.
fn session_of(row: &Row) -> Result<Session, StateError> {
    let mut s: Session = record(row, 0, "session")?;
    s.completed = get(row, 1, "session")?;
    Ok(s)
}

fn job(row: &Row) -> Result<WebhookJob, StateError> {
    Ok(WebhookJob {
        id: get(row, 0, "webhook")?,
        hook: record(row, 1, "webhook")?,
        attempts: unsigned(row, 2, "webhook")?,
        next_at: get(row, 3, "webhook")?,
        created_at: get(row, 4, "webhook")?,
    })
}

async fn insert_webhooks(
    tx: &deadpool_postgres::Transaction<'_>,
    webhooks: &[NewWebhook],
    now: i64,
) -> Result<(), StateError> {
    if webhooks.is_empty() {
        return Ok(());
    }
    let st = tx
        .prepare_cached(
            "INSERT INTO skiff_webhooks (hook, next_at, created_at) VALUES ($1, $2, $2)",
        )
        .await
        .map_err(pg)?;
    for hook in webhooks {
        tx.execute(&st, &[&Json(hook), &now]).await.map_err(pg)?;
    }
    Ok(())
}

async fn insert_file(
    tx: &deadpool_postgres::Transaction<'_>,
    file: &FileRecord,
    now: i64,
) -> Result<(), StateError> {
    tx.execute(
        "INSERT INTO skiff_files (handle, record) VALUES ($1, $2)",
        &[&file.handle, &Json(file)],
    )
    .await
    .map_err(pg)?;
    transfers::queue(tx, file, now).await
}

#[async_trait]
impl StateStore for PostgresState {
    fn part_url_key(&self) -> Option<&[u8]> {
        Some(&self.part_url_key)
    }

    async fn insert_session(&self, s: &Session) -> Result<(), StateError> {
        self.exec(
            "INSERT INTO skiff_sessions (id, record, expires_at) VALUES ($1, $2, $3)",
            &[&s.id, &Json(s), &s.expires_at],
        )
        .await
    }

    async fn session(&self, id: &str) -> Result<Option<Session>, StateError> {
        let rows = self
            .rows(
                "SELECT record, completed FROM skiff_sessions WHERE id = $1",
                &[&id],
            )
            .await?;
        rows.first().map(session_of).transpose()
    }

    async fn session_for_handle(&self, handle: &str) -> Result<Option<Session>, StateError> {
        let rows = self
            .rows(
                "SELECT record, completed FROM skiff_sessions WHERE record->>'handle' = $1",
                &[&handle],
            )
            .await?;
        rows.first().map(session_of).transpose()
    }

    async fn put_part(&self, upload: &str, part: &PartRecord) -> Result<(), StateError> {
        self.exec(
            "INSERT INTO skiff_parts (upload, part, record) VALUES ($1, $2, $3)
             ON CONFLICT (upload, part) DO UPDATE SET record = EXCLUDED.record",
            &[&upload, &i64::from(part.part), &Json(part)],
        )
        .await
    }

    async fn parts(&self, upload: &str) -> Result<Vec<PartRecord>, StateError> {
        let rows = self
            .rows(
                "SELECT record FROM skiff_parts WHERE upload = $1 ORDER BY part",
                &[&upload],
            )
            .await?;
        rows.iter().map(|row| record(row, 0, "part")).collect()
    }

    async fn put_chunk(&self, upload: &str, ch: &ChunkRecord) -> Result<(), StateError> {
        self.exec(
            "INSERT INTO skiff_chunks (upload, part, byte_offset, size, piece)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (upload, part, byte_offset)
             DO UPDATE SET size = EXCLUDED.size, piece = EXCLUDED.piece",
            &[
                &upload,
                &i64::from(ch.part),
                &big("chunk offset", ch.offset)?,
                &big("chunk size", ch.size)?,
                &ch.piece,
            ],
        )
        .await
    }

    async fn chunks(&self, upload: &str, part: u32) -> Result<Vec<ChunkRecord>, StateError> {
        let rows = self
            .rows(
                "SELECT byte_offset, size, piece FROM skiff_chunks
                 WHERE upload = $1 AND part = $2 ORDER BY byte_offset",
                &[&upload, &i64::from(part)],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ChunkRecord {
                    part,
                    offset: unsigned(row, 0, "chunk")?,
                    size: unsigned(row, 1, "chunk")?,
                    piece: get(row, 2, "chunk")?,
                })
            })
            .collect()
    }

    async fn upload_chunks(&self, upload: &str) -> Result<Vec<ChunkRecord>, StateError> {
        let rows = self
            .rows(
                "SELECT part, byte_offset, size, piece FROM skiff_chunks
                 WHERE upload = $1 ORDER BY part, byte_offset",
                &[&upload],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ChunkRecord {
                    part: unsigned(row, 0, "chunk")?,
                    offset: unsigned(row, 1, "chunk")?,
                    size: unsigned(row, 2, "chunk")?,
                    piece: get(row, 3, "chunk")?,
                })
            })
            .collect()
    }

    async fn complete(
        &self,
        upload: &str,
        file: &FileRecord,
        webhooks: &[NewWebhook],
        now: i64,
    ) -> Result<(), StateError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        // Two instances completing the same upload at once: the second waits for the first's
        // row lock, then re-reads the row, finds it completed and changes nothing.
        let n = tx
            .execute(
                "UPDATE skiff_sessions SET completed = $2 WHERE id = $1 AND completed IS NULL",
                &[&upload, &file.handle],
            )
            .await
            .map_err(pg)?;
        if n == 0 {
            return Err(StateError::SessionGone(upload.to_owned()));
        }
        tx.execute("DELETE FROM skiff_parts WHERE upload = $1", &[&upload])
            .await
            .map_err(pg)?;
        tx.execute("DELETE FROM skiff_chunks WHERE upload = $1", &[&upload])
            .await
            .map_err(pg)?;
        insert_file(&tx, file, now).await?;
        insert_webhooks(&tx, webhooks, now).await?;
        tx.commit().await.map_err(pg)
    }

    async fn insert_file(
        &self,
        file: &FileRecord,
        webhooks: &[NewWebhook],
        now: i64,
    ) -> Result<(), StateError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        insert_file(&tx, file, now).await?;
        insert_webhooks(&tx, webhooks, now).await?;
        tx.commit().await.map_err(pg)
    }

    async fn file(&self, handle: &str) -> Result<Option<FileRecord>, StateError> {
        let rows = self
            .rows(
                "SELECT record FROM skiff_files WHERE handle = $1",
                &[&handle],
            )
            .await?;
        rows.first().map(|row| record(row, 0, "file")).transpose()
    }

    async fn handles(&self) -> Result<Vec<String>, StateError> {
        let rows = self.rows("SELECT handle FROM skiff_files", &[]).await?;
        rows.iter().map(|row| get(row, 0, "file")).collect()
    }

    async fn delete_file(&self, handle: &str) -> Result<bool, StateError> {
        self.exec("DELETE FROM skiff_transfers WHERE handle = $1", &[&handle])
            .await?;
        let gone = self
            .rows(
                "DELETE FROM skiff_files WHERE handle = $1 RETURNING handle",
                &[&handle],
            )
            .await?;
        Ok(!gone.is_empty())
    }

    /// Hands each expired session to one sweep at a time: the listed sessions are claimed for
    /// [`SWEEP_LEASE_MS`], so instances sweeping together never discard the same upload's bytes
    /// twice. A claimer that dies leaves its sessions to the sweeps after the lease.
    ///
    /// Once only, for the same reasons as [`StateStore::claim_due_webhooks`]: `SKIP LOCKED`
    /// passes over rows another sweep has locked, and a row that sweep already claimed and
    /// committed is re-checked against the condition after locking and no longer matches
    /// (`sweep_until` is in the future).
    async fn expired_sessions(&self, now: i64, limit: usize) -> Result<Vec<String>, StateError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let until = now.saturating_add(SWEEP_LEASE_MS);
        let rows = self
            .rows(
                "WITH expired AS (
                     SELECT id FROM skiff_sessions
                     WHERE expires_at <= $1 AND sweep_until <= $1
                     ORDER BY expires_at, id
                     LIMIT $3
                     FOR UPDATE SKIP LOCKED)
                 UPDATE skiff_sessions s SET sweep_until = $2 FROM expired
                 WHERE s.id = expired.id
                 RETURNING s.id",
                &[&now, &until, &limit],
            )
            .await?;
        rows.iter().map(|row| get(row, 0, "session")).collect()
    }

    async fn delete_session(&self, id: &str) -> Result<(), StateError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        tx.execute("DELETE FROM skiff_parts WHERE upload = $1", &[&id])
            .await
            .map_err(pg)?;
        tx.execute("DELETE FROM skiff_chunks WHERE upload = $1", &[&id])
            .await
            .map_err(pg)?;
        tx.execute("DELETE FROM skiff_sessions WHERE id = $1", &[&id])
            .await
            .map_err(pg)?;
        tx.commit().await.map_err(pg)
    }

    async fn due_webhooks(&self, now: i64, limit: usize) -> Result<Vec<WebhookJob>, StateError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .rows(
                "SELECT id, hook, attempts, next_at, created_at FROM skiff_webhooks
                 WHERE state = 'pending' AND next_at <= $1 ORDER BY next_at, id LIMIT $2",
                &[&now, &limit],
            )
            .await?;
        rows.iter().map(job).collect()
    }

    /// Exactly once across instances: one statement selects the due rows `FOR UPDATE SKIP
    /// LOCKED` and moves their `next_at` to the lease's end. A concurrent claimer skips rows this
    /// one has locked instead of waiting for them; a row it reaches after this claim committed
    /// is re-checked after locking (READ COMMITTED re-evaluates the `WHERE` on the newest
    /// version) and is no longer due. So until the lease ends no two claims return one job.
    async fn claim_due_webhooks(
        &self,
        now: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<WebhookJob>, StateError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let until = now.saturating_add(lease_ms);
        let rows = self
            .rows(
                "WITH due AS (
                     SELECT id FROM skiff_webhooks
                     WHERE state = 'pending' AND next_at <= $1
                     ORDER BY next_at, id
                     LIMIT $3
                     FOR UPDATE SKIP LOCKED)
                 UPDATE skiff_webhooks w SET next_at = $2 FROM due
                 WHERE w.id = due.id
                 RETURNING w.id, w.hook, w.attempts, w.next_at, w.created_at",
                &[&now, &until, &limit],
            )
            .await?;
        let mut jobs = rows.iter().map(job).collect::<Result<Vec<_>, _>>()?;
        // RETURNING gives no order; deliver oldest first as `due_webhooks` lists them.
        jobs.sort_by_key(|j| (j.created_at, j.id));
        Ok(jobs)
    }

    async fn next_webhook_at(&self) -> Result<Option<i64>, StateError> {
        let rows = self
            .rows(
                "SELECT MIN(next_at) FROM skiff_webhooks WHERE state = 'pending'",
                &[],
            )
            .await?;
        match rows.first() {
            Some(row) => get(row, 0, "webhook"),
            None => Ok(None),
        }
    }

    async fn webhook_delivered(&self, id: i64) -> Result<(), StateError> {
        self.exec("DELETE FROM skiff_webhooks WHERE id = $1", &[&id])
            .await
    }

    async fn webhook_failed(
        &self,
        id: i64,
        attempts: u32,
        next_at: Option<i64>,
        error: &str,
    ) -> Result<(), StateError> {
        self.job_failed("skiff_webhooks", "id", &id, attempts, next_at, error)
            .await
    }

    async fn claim_due_transfers(
        &self,
        now: i64,
        lease_ms: i64,
        limit: usize,
        holder: Option<&str>,
    ) -> Result<Vec<TransferJob>, StateError> {
        self.claim_transfers(now, lease_ms, limit, holder).await
    }

    async fn transfer_done(
        &self,
        file: &FileRecord,
        webhooks: &[NewWebhook],
        now: i64,
    ) -> Result<(), StateError> {
        self.finish_transfer(file, webhooks, now).await
    }

    async fn transfer_failed(
        &self,
        handle: &str,
        attempts: u32,
        next_at: Option<i64>,
        error: &str,
    ) -> Result<(), StateError> {
        self.fail_transfer(handle, attempts, next_at, error).await
    }

    async fn transfer(&self, handle: &str) -> Result<Option<TransferJob>, StateError> {
        self.find_transfer(handle).await
    }

    async fn retry_failed_transfers(&self, now: i64) -> Result<u64, StateError> {
        self.retry_transfers(now).await
    }

    async fn queue_counts(&self) -> Result<QueueCounts, StateError> {
        let rows = self
            .rows(
                "SELECT
                   (SELECT COUNT(*) FROM skiff_transfers WHERE state = 'pending'),
                   (SELECT COUNT(*) FROM skiff_transfers WHERE state = 'failed'),
                   (SELECT COUNT(*) FROM skiff_webhooks WHERE state = 'pending'),
                   (SELECT COUNT(*) FROM skiff_webhooks WHERE state = 'failed')",
                &[],
            )
            .await?;
        let row = rows
            .first()
            .ok_or_else(|| StateError::Db("no counts".into()))?;
        Ok(QueueCounts {
            transfers_pending: unsigned(row, 0, "counts")?,
            transfers_failed: unsigned(row, 1, "counts")?,
            webhooks_pending: unsigned(row, 2, "counts")?,
            webhooks_failed: unsigned(row, 3, "counts")?,
        })
    }
}
