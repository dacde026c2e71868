//! The SQLite [`CloudStore`]: three tables in the state database (its own connection, so the
//! upload state and the cloud state never wait on one lock), records as JSON with the columns
//! that are looked up by.

use super::{CloudSession, CloudStore, Credential, Flow, FlowStatus};
use crate::state::StateError;
use crate::state::sqlite::{db, from_json, to_json};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// SQLite-backed [`CloudStore`].
#[derive(Debug, Clone)]
pub struct SqliteCloudStore {
    conn: Arc<Mutex<Connection>>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cloud_sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    prev_hash TEXT,
    used_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cloud_sessions_prev ON cloud_sessions (prev_hash);
CREATE TABLE IF NOT EXISTS cloud_flows (
    id TEXT PRIMARY KEY,
    session TEXT NOT NULL,
    provider TEXT NOT NULL,
    state_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cloud_flows_session ON cloud_flows (session, provider);
CREATE TABLE IF NOT EXISTS cloud_credentials (
    session TEXT NOT NULL,
    provider TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (session, provider)
);
";

fn status_text(s: FlowStatus) -> String {
    to_json(&s).trim_matches('"').to_owned()
}

impl SqliteCloudStore {
    /// Opens (or creates) the tables in the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, StateError> {
        let conn = Connection::open(path).map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db)?;
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")
            .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StateError>,
    ) -> Result<T, StateError> {
        let mut conn = self
            .conn
            .lock()
            .map_err(|_| StateError::Db("a writer panicked".into()))?;
        f(&mut conn)
    }
}

fn forget(tx: &rusqlite::Transaction<'_>, session: &str) -> Result<usize, StateError> {
    let mut n = tx
        .execute("DELETE FROM cloud_sessions WHERE id = ?1", [session])
        .map_err(db)?;
    n += tx
        .execute("DELETE FROM cloud_flows WHERE session = ?1", [session])
        .map_err(db)?;
    n += tx
        .execute(
            "DELETE FROM cloud_credentials WHERE session = ?1",
            [session],
        )
        .map_err(db)?;
    Ok(n)
}

#[async_trait]
impl CloudStore for SqliteCloudStore {
    async fn insert_session(&self, s: &CloudSession) -> Result<(), StateError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO cloud_sessions (id, token_hash, prev_hash, used_at, created_at, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![s.id, s.token_hash, s.prev_hash, s.used_at, s.created_at, to_json(s)],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    async fn session_by_token(&self, hash: &str) -> Result<Option<CloudSession>, StateError> {
        self.one("cloud_sessions", "token_hash = ?1 OR prev_hash = ?1", hash)
    }

    async fn session(&self, id: &str) -> Result<Option<CloudSession>, StateError> {
        self.one("cloud_sessions", "id = ?1", id)
    }

    async fn update_session(&self, s: &CloudSession) -> Result<(), StateError> {
        self.with(|c| {
            c.execute(
                "UPDATE cloud_sessions SET token_hash = ?2, prev_hash = ?3, used_at = ?4, record = ?5
                 WHERE id = ?1",
                params![s.id, s.token_hash, s.prev_hash, s.used_at, to_json(s)],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    async fn delete_session(&self, id: &str) -> Result<(), StateError> {
        self.with(|c| {
            let tx = c.transaction().map_err(db)?;
            forget(&tx, id)?;
            tx.commit().map_err(db)
        })
    }

    async fn insert_flow(&self, f: &Flow) -> Result<(), StateError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO cloud_flows (id, session, provider, state_hash, status, expires_at, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    f.id,
                    f.session,
                    f.provider,
                    f.state_hash,
                    status_text(f.status),
                    f.expires_at,
                    to_json(f)
                ],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    async fn flow(&self, id: &str) -> Result<Option<Flow>, StateError> {
        self.one("cloud_flows", "id = ?1", id)
    }

    async fn flow_by_state(&self, hash: &str) -> Result<Option<Flow>, StateError> {
        self.one("cloud_flows", "state_hash = ?1", hash)
    }

    async fn pending_flow(
        &self,
        session: &str,
        provider: &str,
        until: i64,
    ) -> Result<Option<Flow>, StateError> {
        self.with(|c| {
            let rec: Option<String> = c
                .query_row(
                    "SELECT record FROM cloud_flows
                     WHERE session = ?1 AND provider = ?2 AND status = 'pending' AND expires_at >= ?3
                     ORDER BY expires_at DESC LIMIT 1",
                    params![session, provider, until],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            rec.map(|r| from_json("cloud flow", &r)).transpose()
        })
    }

    async fn advance_flow(&self, from: FlowStatus, f: &Flow) -> Result<bool, StateError> {
        self.with(|c| {
            let n = c
                .execute(
                    "UPDATE cloud_flows SET status = ?3, record = ?4, state_hash = ?5, expires_at = ?6
                     WHERE id = ?1 AND status = ?2",
                    params![
                        f.id,
                        status_text(from),
                        status_text(f.status),
                        to_json(f),
                        f.state_hash,
                        f.expires_at
                    ],
                )
                .map_err(db)?;
            Ok(n == 1)
        })
    }

    async fn put_credential(&self, cr: &Credential) -> Result<(), StateError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO cloud_credentials (session, provider, record) VALUES (?1, ?2, ?3)
                 ON CONFLICT (session, provider) DO UPDATE SET record = excluded.record",
                params![cr.session, cr.provider, to_json(cr)],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    async fn credential(
        &self,
        session: &str,
        provider: &str,
    ) -> Result<Option<Credential>, StateError> {
        self.with(|c| {
            let rec: Option<String> = c
                .query_row(
                    "SELECT record FROM cloud_credentials WHERE session = ?1 AND provider = ?2",
                    params![session, provider],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            rec.map(|r| from_json("cloud credential", &r)).transpose()
        })
    }

    async fn credentials(&self, session: &str) -> Result<Vec<Credential>, StateError> {
        self.with(|c| {
            let mut stmt = c
                .prepare(
                    "SELECT record FROM cloud_credentials WHERE session = ?1 ORDER BY provider",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map([session], |r| r.get::<_, String>(0))
                .map_err(db)?;
            rows.map(|r| from_json("cloud credential", &r.map_err(db)?))
                .collect()
        })
    }

    async fn delete_credential(&self, session: &str, provider: &str) -> Result<bool, StateError> {
        self.with(|c| {
            let n = c
                .execute(
                    "DELETE FROM cloud_credentials WHERE session = ?1 AND provider = ?2",
                    params![session, provider],
                )
                .map_err(db)?;
            Ok(n == 1)
        })
    }

    async fn sweep(
        &self,
        now: i64,
        idle_before: i64,
        created_before: i64,
    ) -> Result<usize, StateError> {
        self.with(|c| {
            let tx = c.transaction().map_err(db)?;
            let old: Vec<String> = {
                let mut stmt = tx
                    .prepare("SELECT id FROM cloud_sessions WHERE used_at < ?1 OR created_at < ?2")
                    .map_err(db)?;
                let rows = stmt
                    .query_map(params![idle_before, created_before], |r| r.get(0))
                    .map_err(db)?;
                rows.collect::<Result<_, _>>().map_err(db)?
            };
            let mut n = 0;
            for id in &old {
                n += forget(&tx, id)?;
            }
            n += tx
                .execute("DELETE FROM cloud_flows WHERE expires_at < ?1", [now])
                .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(n)
        })
    }
}

impl SqliteCloudStore {
    /// The one record of `table` where `filter` (with `?1` = `value`) holds.
    fn one<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        filter: &str,
        value: &str,
    ) -> Result<Option<T>, StateError> {
        self.with(|c| {
            let rec: Option<String> = c
                .query_row(
                    &format!("SELECT record FROM {table} WHERE {filter}"),
                    [value],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            rec.map(|r| from_json(table, &r)).transpose()
        })
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn conformance() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::SqliteCloudStore::open(&dir.path().join("skiff.db")).unwrap();
        super::super::conformance::run(&store).await;
        // Reopened, it still holds what was written.
        let again = super::SqliteCloudStore::open(&dir.path().join("skiff.db")).unwrap();
        super::super::conformance::survives_reopen(&store, &again).await;
    }
}
