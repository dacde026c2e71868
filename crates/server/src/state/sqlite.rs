//! SQLite state: one file in the data folder, WAL journal with `synchronous=FULL` so that every
//! acknowledged write survives a crash or power loss.

use super::{
    ChunkRecord, FileRecord, NewWebhook, PartRecord, QueueCounts, Session, StateError, StateStore,
    TransferJob, WebhookJob,
};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// SQLite-backed [`StateStore`].
#[derive(Debug, Clone)]
pub struct SqliteState {
    conn: Arc<Mutex<Connection>>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    completed TEXT
);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS parts (
    upload TEXT NOT NULL,
    part INTEGER NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (upload, part)
);
CREATE TABLE IF NOT EXISTS chunks (
    upload TEXT NOT NULL,
    part INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    size INTEGER NOT NULL,
    piece TEXT NOT NULL,
    PRIMARY KEY (upload, part, offset)
);
CREATE TABLE IF NOT EXISTS files (
    handle TEXT PRIMARY KEY,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hook TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS webhooks_due ON webhooks (state, next_at);
CREATE TABLE IF NOT EXISTS transfers (
    handle TEXT PRIMARY KEY,
    dest TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS transfers_due ON transfers (state, next_at);
CREATE INDEX IF NOT EXISTS sessions_handle ON sessions (json_extract(record, '$.handle'));
";

/// Columns added after a table was first released: `CREATE TABLE IF NOT EXISTS` leaves an
/// older database's table as it was, so each is added when missing.
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    // The edge region holding a transfer's bytes (NULL: any instance may move it).
    ("transfers", "holder", "TEXT"),
];

pub(crate) fn db(e: rusqlite::Error) -> StateError {
    StateError::Db(e.to_string())
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("records serialize")
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    what: &str,
    s: &str,
) -> Result<T, StateError> {
    serde_json::from_str(s).map_err(|e| StateError::Corrupt {
        what: what.to_owned(),
        cause: e.to_string(),
    })
}

impl SqliteState {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StateError> {
        let conn = Connection::open(path).map_err(db)?;
        Self::init(conn)
    }

    /// A private in-memory database (tests).
    pub fn in_memory() -> Result<Self, StateError> {
        Self::init(Connection::open_in_memory().map_err(db)?)
    }

    fn init(conn: Connection) -> Result<Self, StateError> {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        for (table, column, kind) in ADDED_COLUMNS {
            let present: bool = conn
                .query_row(
                    "SELECT COUNT(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
                    [table, column],
                    |r| r.get(0),
                )
                .map_err(db)?;
            if !present {
                conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"))
                    .map_err(db)?;
            }
        }
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on a blocking thread.
    async fn with<T, F>(&self, f: F) -> Result<T, StateError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StateError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StateError::Db(format!("database task failed: {e}")))?
    }
}

fn insert_webhooks(
    tx: &rusqlite::Transaction<'_>,
    webhooks: &[NewWebhook],
    now: i64,
) -> Result<(), StateError> {
    for hook in webhooks {
        tx.execute(
            "INSERT INTO webhooks (hook, next_at, created_at) VALUES (?1, ?2, ?2)",
            params![to_json(hook), now],
        )
        .map_err(db)?;
    }
    Ok(())
}

/// Records a failed attempt of the job whose `key_column` is `key` in `queue` (the webhook
/// outbox, the transfer queue): due again at `next_at`, or kept as failed when it is `None`.
fn job_failed(
    c: &Connection,
    queue: &str,
    key_column: &str,
    key: &dyn rusqlite::ToSql,
    attempts: u32,
    next_at: Option<i64>,
    error: &str,
) -> Result<(), StateError> {
    let sql = format!(
        "UPDATE {queue} SET attempts = ?2, next_at = COALESCE(?3, next_at),
         state = CASE WHEN ?3 IS NULL THEN 'failed' ELSE state END, last_error = ?4
         WHERE {key_column} = ?1"
    );
    c.prepare_cached(&sql)
        .and_then(|mut st| st.execute(params![key, attempts, next_at, error]))
        .map_err(db)?;
    Ok(())
}

/// Records a file and, when it is on its way to a location, its transfer.
fn insert_file_row(
    tx: &rusqlite::Transaction<'_>,
    file: &FileRecord,
    now: i64,
) -> Result<(), StateError> {
    tx.execute(
        "INSERT INTO files (handle, record) VALUES (?1, ?2)",
        params![file.handle, to_json(file)],
    )
    .map_err(db)?;
    if let Some(t) = &file.transfer {
        tx.execute(
            "INSERT INTO transfers (handle, dest, next_at, holder) VALUES (?1, ?2, ?3, ?4)",
            params![
                file.handle,
                super::dest_column(t.to.as_deref()),
                now,
                t.held.as_ref().map(|h| &h.region)
            ],
        )
        .map_err(db)?;
    }
    Ok(())
}

/// Reads `handle, dest, attempts, next_at, last_error, state, holder`.
fn transfer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TransferJob> {
    Ok(TransferJob {
        handle: r.get(0)?,
        to: super::dest_of(r.get(1)?),
        attempts: r.get(2)?,
        next_at: r.get(3)?,
        last_error: r.get(4)?,
        failed: r.get::<_, String>(5)? == "failed",
        holder: r.get(6)?,
    })
}

/// A session from its `record` and `completed` columns.
fn session_of((record, completed): (String, Option<String>)) -> Result<Session, StateError> {
    let mut s: Session = from_json("session", &record)?;
    s.completed = completed;
    Ok(s)
}

/// The columns of an outbox row, as `job` reads them.
type JobRow = (i64, String, u32, i64, i64);

/// Reads `id, hook, attempts, next_at, created_at`.
fn job_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn job((id, hook, attempts, next_at, created_at): JobRow) -> Result<WebhookJob, StateError> {
    Ok(WebhookJob {
        id,
        hook: from_json("webhook", &hook)?,
        attempts,
        next_at,
        created_at,
    })
}

#[async_trait]
impl StateStore for SqliteState {
    async fn insert_session(&self, s: &Session) -> Result<(), StateError> {
        let (id, record, expires) = (s.id.clone(), to_json(s), s.expires_at);
        self.with(move |c| {
            c.execute(
                "INSERT INTO sessions (id, record, expires_at) VALUES (?1, ?2, ?3)",
                params![id, record, expires],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn session(&self, id: &str) -> Result<Option<Session>, StateError> {
        let id = id.to_owned();
        self.with(move |c| {
            let row: Option<(String, Option<String>)> = c
                .query_row(
                    "SELECT record, completed FROM sessions WHERE id = ?1",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(db)?;
            row.map(session_of).transpose()
        })
        .await
    }

    async fn session_for_handle(&self, handle: &str) -> Result<Option<Session>, StateError> {
        let handle = handle.to_owned();
        self.with(move |c| {
            let row: Option<(String, Option<String>)> = c
                .query_row(
                    "SELECT record, completed FROM sessions
                     WHERE json_extract(record, '$.handle') = ?1",
                    [&handle],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(db)?;
            row.map(session_of).transpose()
        })
        .await
    }

    async fn put_part(&self, upload: &str, part: &PartRecord) -> Result<(), StateError> {
        let (upload, n, record) = (upload.to_owned(), part.part, to_json(part));
        self.with(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO parts (upload, part, record) VALUES (?1, ?2, ?3)",
                params![upload, n, record],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn parts(&self, upload: &str) -> Result<Vec<PartRecord>, StateError> {
        let upload = upload.to_owned();
        self.with(move |c| {
            let mut st = c
                .prepare_cached("SELECT record FROM parts WHERE upload = ?1 ORDER BY part")
                .map_err(db)?;
            let rows = st
                .query_map([&upload], |r| r.get::<_, String>(0))
                .map_err(db)?;
            rows.map(|r| from_json("part", &r.map_err(db)?)).collect()
        })
        .await
    }

    async fn put_chunk(&self, upload: &str, ch: &ChunkRecord) -> Result<(), StateError> {
        let (upload, ch) = (upload.to_owned(), ch.clone());
        self.with(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO chunks (upload, part, offset, size, piece) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![upload, ch.part, ch.offset as i64, ch.size as i64, ch.piece],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn chunks(&self, upload: &str, part: u32) -> Result<Vec<ChunkRecord>, StateError> {
        let upload = upload.to_owned();
        self.with(move |c| {
            let mut st = c
                .prepare_cached("SELECT offset, size, piece FROM chunks WHERE upload = ?1 AND part = ?2 ORDER BY offset")
                .map_err(db)?;
            let rows = st
                .query_map(params![upload, part], |r| {
                    Ok(ChunkRecord { part, offset: r.get::<_, i64>(0)? as u64, size: r.get::<_, i64>(1)? as u64, piece: r.get(2)? })
                })
                .map_err(db)?;
            rows.map(|r| r.map_err(db)).collect()
        })
        .await
    }

    async fn upload_chunks(&self, upload: &str) -> Result<Vec<ChunkRecord>, StateError> {
        let upload = upload.to_owned();
        self.with(move |c| {
            let mut st = c
                .prepare_cached(
                    "SELECT part, offset, size, piece FROM chunks WHERE upload = ?1
                     ORDER BY part, offset",
                )
                .map_err(db)?;
            let rows = st
                .query_map([upload], |r| {
                    Ok(ChunkRecord {
                        part: r.get(0)?,
                        offset: r.get::<_, i64>(1)? as u64,
                        size: r.get::<_, i64>(2)? as u64,
                        piece: r.get(3)?,
                    })
                })
                .map_err(db)?;
            rows.map(|r| r.map_err(db)).collect()
        })
        .await
    }

    async fn complete(
        &self,
        upload: &str,
        file: &FileRecord,
        webhooks: &[NewWebhook],
        now: i64,
    ) -> Result<(), StateError> {
        let (upload, handle, file, webhooks) = (
            upload.to_owned(),
            file.handle.clone(),
            file.clone(),
            webhooks.to_vec(),
        );
        self.with(move |c| {
            let tx = c.transaction().map_err(db)?;
            let n = tx
                .execute(
                    "UPDATE sessions SET completed = ?2 WHERE id = ?1 AND completed IS NULL",
                    params![upload, handle],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(StateError::SessionGone(upload));
            }
            tx.execute("DELETE FROM parts WHERE upload = ?1", [&upload])
                .map_err(db)?;
            tx.execute("DELETE FROM chunks WHERE upload = ?1", [&upload])
                .map_err(db)?;
            insert_file_row(&tx, &file, now)?;
            insert_webhooks(&tx, &webhooks, now)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn insert_file(
        &self,
        file: &FileRecord,
        webhooks: &[NewWebhook],
        now: i64,
    ) -> Result<(), StateError> {
        let (file, webhooks) = (file.clone(), webhooks.to_vec());
        self.with(move |c| {
            let tx = c.transaction().map_err(db)?;
            insert_file_row(&tx, &file, now)?;
            insert_webhooks(&tx, &webhooks, now)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn file(&self, handle: &str) -> Result<Option<FileRecord>, StateError> {
        let handle = handle.to_owned();
        self.with(move |c| {
            let record: Option<String> = c
                .query_row(
                    "SELECT record FROM files WHERE handle = ?1",
                    [&handle],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            record.map(|r| from_json("file", &r)).transpose()
        })
        .await
    }

    async fn handles(&self) -> Result<Vec<String>, StateError> {
        self.with(|c| {
            let mut st = c.prepare("SELECT handle FROM files").map_err(db)?;
            let rows = st.query_map([], |r| r.get::<_, String>(0)).map_err(db)?;
            rows.map(|r| r.map_err(db)).collect()
        })
        .await
    }

    async fn delete_file(&self, handle: &str) -> Result<bool, StateError> {
        let handle = handle.to_owned();
        self.with(move |c| {
            let tx = c.transaction().map_err(db)?;
            tx.execute("DELETE FROM transfers WHERE handle = ?1", [&handle])
                .map_err(db)?;
            let n = tx
                .execute("DELETE FROM files WHERE handle = ?1", [&handle])
                .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(n > 0)
        })
        .await
    }

    async fn expired_sessions(&self, now: i64, limit: usize) -> Result<Vec<String>, StateError> {
        self.with(move |c| {
            let mut st = c
                .prepare_cached("SELECT id FROM sessions WHERE expires_at <= ?1 LIMIT ?2")
                .map_err(db)?;
            let rows = st
                .query_map(params![now, limit as i64], |r| r.get::<_, String>(0))
                .map_err(db)?;
            rows.map(|r| r.map_err(db)).collect()
        })
        .await
    }

    async fn delete_session(&self, id: &str) -> Result<(), StateError> {
        let id = id.to_owned();
        self.with(move |c| {
            let tx = c.transaction().map_err(db)?;
            tx.execute("DELETE FROM parts WHERE upload = ?1", [&id])
                .map_err(db)?;
            tx.execute("DELETE FROM chunks WHERE upload = ?1", [&id])
                .map_err(db)?;
            tx.execute("DELETE FROM sessions WHERE id = ?1", [&id])
                .map_err(db)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn due_webhooks(&self, now: i64, limit: usize) -> Result<Vec<WebhookJob>, StateError> {
        self.with(move |c| {
            let mut st = c
                .prepare_cached(
                    "SELECT id, hook, attempts, next_at, created_at FROM webhooks
                     WHERE state = 'pending' AND next_at <= ?1 ORDER BY next_at, id LIMIT ?2",
                )
                .map_err(db)?;
            let rows = st
                .query_map(params![now, limit as i64], job_row)
                .map_err(db)?;
            rows.map(|r| job(r.map_err(db)?)).collect()
        })
        .await
    }

    async fn claim_due_webhooks(
        &self,
        now: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<WebhookJob>, StateError> {
        let until = now.saturating_add(lease_ms);
        self.with(move |c| {
            // One statement, so one atomic write: a second claimer (another connection or
            // process on this file) waits for it and then no longer sees these jobs as due.
            let mut st = c
                .prepare_cached(
                    "UPDATE webhooks SET next_at = ?2 WHERE id IN (
                         SELECT id FROM webhooks WHERE state = 'pending' AND next_at <= ?1
                         ORDER BY next_at, id LIMIT ?3)
                     RETURNING id, hook, attempts, next_at, created_at",
                )
                .map_err(db)?;
            let rows = st
                .query_map(params![now, until, limit as i64], job_row)
                .map_err(db)?;
            let mut jobs = rows
                .map(|r| job(r.map_err(db)?))
                .collect::<Result<Vec<_>, _>>()?;
            // RETURNING gives no order; deliver oldest first as `due_webhooks` lists them.
            jobs.sort_by_key(|j| (j.created_at, j.id));
            Ok(jobs)
        })
        .await
    }

    async fn next_webhook_at(&self) -> Result<Option<i64>, StateError> {
        self.with(|c| {
            c.query_row(
                "SELECT MIN(next_at) FROM webhooks WHERE state = 'pending'",
                [],
                |r| r.get(0),
            )
            .map_err(db)
        })
        .await
    }

    async fn webhook_delivered(&self, id: i64) -> Result<(), StateError> {
        self.with(move |c| {
            c.execute("DELETE FROM webhooks WHERE id = ?1", [id])
                .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn webhook_failed(
        &self,
        id: i64,
        attempts: u32,
        next_at: Option<i64>,
        error: &str,
    ) -> Result<(), StateError> {
        let error = error.to_owned();
        self.with(move |c| job_failed(c, "webhooks", "id", &id, attempts, next_at, &error))
            .await
    }

    async fn claim_due_transfers(
        &self,
        now: i64,
        lease_ms: i64,
        limit: usize,
        holder: Option<&str>,
    ) -> Result<Vec<TransferJob>, StateError> {
        let until = now.saturating_add(lease_ms);
        let holder = holder.map(str::to_owned);
        self.with(move |c| {
            // One statement, one atomic write, as for webhooks.
            let mut st = c
                .prepare_cached(
                    "UPDATE transfers SET next_at = ?2 WHERE handle IN (
                         SELECT handle FROM transfers WHERE state = 'pending' AND next_at <= ?1
                         AND (holder IS NULL OR holder = ?4)
                         ORDER BY next_at, handle LIMIT ?3)
                     RETURNING handle, dest, attempts, next_at, last_error, state, holder",
                )
                .map_err(db)?;
            let rows = st
                .query_map(params![now, until, limit as i64, holder], transfer_row)
                .map_err(db)?;
            rows.map(|r| r.map_err(db)).collect()
        })
        .await
    }

    async fn transfer_done(
        &self,
        file: &FileRecord,
        webhooks: &[NewWebhook],
        now: i64,
    ) -> Result<(), StateError> {
        let (file, webhooks) = (file.clone(), webhooks.to_vec());
        self.with(move |c| {
            let tx = c.transaction().map_err(db)?;
            tx.execute("DELETE FROM transfers WHERE handle = ?1", [&file.handle])
                .map_err(db)?;
            // A file deleted meanwhile stays deleted, and sends no event.
            let n = tx
                .execute(
                    "UPDATE files SET record = ?2 WHERE handle = ?1",
                    params![file.handle, to_json(&file)],
                )
                .map_err(db)?;
            if n > 0 {
                insert_webhooks(&tx, &webhooks, now)?;
            }
            tx.commit().map_err(db)
        })
        .await
    }

    async fn transfer_failed(
        &self,
        handle: &str,
        attempts: u32,
        next_at: Option<i64>,
        error: &str,
    ) -> Result<(), StateError> {
        let (handle, error) = (handle.to_owned(), error.to_owned());
        self.with(move |c| job_failed(c, "transfers", "handle", &handle, attempts, next_at, &error))
            .await
    }

    async fn transfer(&self, handle: &str) -> Result<Option<TransferJob>, StateError> {
        let handle = handle.to_owned();
        self.with(move |c| {
            c.query_row(
                "SELECT handle, dest, attempts, next_at, last_error, state, holder FROM transfers
                 WHERE handle = ?1",
                [&handle],
                transfer_row,
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    async fn retry_failed_transfers(&self, now: i64) -> Result<u64, StateError> {
        self.with(move |c| {
            c.execute(
                "UPDATE transfers SET state = 'pending', attempts = 0, next_at = ?1
                 WHERE state = 'failed'",
                [now],
            )
            .map(|n| n as u64)
            .map_err(db)
        })
        .await
    }

    async fn queue_counts(&self) -> Result<QueueCounts, StateError> {
        self.with(|c| {
            c.query_row(
                "SELECT
                   (SELECT COUNT(*) FROM transfers WHERE state = 'pending'),
                   (SELECT COUNT(*) FROM transfers WHERE state = 'failed'),
                   (SELECT COUNT(*) FROM webhooks WHERE state = 'pending'),
                   (SELECT COUNT(*) FROM webhooks WHERE state = 'failed')",
                [],
                |r| {
                    Ok(QueueCounts {
                        transfers_pending: r.get(0)?,
                        transfers_failed: r.get(1)?,
                        webhooks_pending: r.get(2)?,
                        webhooks_failed: r.get(3)?,
                    })
                },
            )
            .map_err(db)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn conformance() {
        super::super::conformance::run(&super::SqliteState::in_memory().unwrap()).await;
    }

    /// A database made before a column was added gets it when opened, and keeps its rows.
    #[tokio::test]
    async fn an_older_database_gains_the_added_columns() {
        use super::super::StateStore;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let old = rusqlite::Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE transfers (handle TEXT PRIMARY KEY, dest TEXT NOT NULL,
                 attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
                 state TEXT NOT NULL DEFAULT 'pending', last_error TEXT);
             INSERT INTO transfers (handle, dest, next_at) VALUES ('old', 'archive', 5);",
        )
        .unwrap();
        drop(old);
        let store = super::SqliteState::open(&path).unwrap();
        let jobs = store.claim_due_transfers(10, 100, 10, None).await.unwrap();
        assert_eq!(
            (
                jobs[0].handle.as_str(),
                jobs[0].to.as_deref(),
                jobs[0].holder.as_deref()
            ),
            ("old", Some("archive"), None)
        );
        drop(store);
        super::SqliteState::open(&path).unwrap(); // and opens again once it has them
    }

    /// A queued transfer outlives the process: reopened, the store hands it out.
    #[tokio::test]
    async fn transfers_survive_a_restart() {
        use super::super::{FileRecord, StateStore, Transfer};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let file = FileRecord {
            transfer: Some(Transfer {
                to: Some("archive".into()),
                client: "Computer".into(),
                held: None,
            }),
            ..super::super::conformance::file("moving")
        };
        super::SqliteState::open(&path)
            .unwrap()
            .insert_file(&file, &[], 10)
            .await
            .unwrap();
        let again = super::SqliteState::open(&path).unwrap();
        let jobs = again.claim_due_transfers(10, 1000, 10, None).await.unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(
            (jobs[0].handle.as_str(), jobs[0].to.as_deref()),
            ("moving", Some("archive"))
        );
    }

    #[tokio::test]
    async fn two_instances_never_claim_the_same_job() {
        use super::super::StateStore;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let a = super::SqliteState::open(&path).unwrap();
        let b = super::SqliteState::open(&path).unwrap();
        let hooks: Vec<_> = (0..40).map(super::super::conformance::hook).collect();
        a.insert_file(&super::super::conformance::file("h"), &hooks, 0)
            .await
            .unwrap();
        let mut claimed = Vec::new();
        // Both claim in small batches at once until nothing is left.
        loop {
            let (x, y) = tokio::join!(
                a.claim_due_webhooks(0, 1000, 3),
                b.claim_due_webhooks(0, 1000, 3)
            );
            let (x, y) = (x.unwrap(), y.unwrap());
            if x.is_empty() && y.is_empty() {
                break;
            }
            claimed.extend(x.into_iter().chain(y).map(|j| j.id));
        }
        claimed.sort_unstable();
        let len = claimed.len();
        claimed.dedup();
        assert_eq!((len, claimed.len()), (40, 40));
    }

    #[tokio::test]
    async fn survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let s = super::SqliteState::open(&path).unwrap();
        super::super::conformance::seed(&s).await;
        drop(s);
        let s = super::SqliteState::open(&path).unwrap();
        super::super::conformance::check_seeded(&s).await;
    }
}
