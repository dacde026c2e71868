//! The Cloud API's store ([`CloudStore`]: picker sessions, sign-in flows, sealed provider
//! tokens) in the same PostgreSQL database as the upload state, so that a picker's next call,
//! a provider's callback or a status poll may reach any instance. Records are JSONB, with the
//! columns they are looked up by, as in the SQLite store.

use super::{PostgresState, get, pg, record};
use crate::cloud::store::{CloudSession, CloudStore, Credential, Flow, FlowStatus};
use crate::state::StateError;
use async_trait::async_trait;
use tokio_postgres::types::{Json, ToSql};

fn status_text(s: FlowStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Deletes a session with its flows and credentials; how many rows went.
async fn forget(tx: &tokio_postgres::Transaction<'_>, session: &str) -> Result<u64, StateError> {
    let mut n = 0;
    for sql in [
        "DELETE FROM skiff_cloud_sessions WHERE id = $1",
        "DELETE FROM skiff_cloud_flows WHERE session = $1",
        "DELETE FROM skiff_cloud_credentials WHERE session = $1",
    ] {
        n += tx.execute(sql, &[&session]).await.map_err(pg)?;
    }
    Ok(n)
}

impl PostgresState {
    /// The record in column 0 of the one row `sql` finds, if any.
    async fn one<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        what: &str,
    ) -> Result<Option<T>, StateError> {
        let rows = self.rows(sql, params).await?;
        rows.first().map(|row| record(row, 0, what)).transpose()
    }

    async fn count(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StateError> {
        let client = self.client().await?;
        let st = client.prepare_cached(sql).await.map_err(pg)?;
        client.execute(&st, params).await.map_err(pg)
    }
}

#[async_trait]
impl CloudStore for PostgresState {
    async fn insert_session(&self, s: &CloudSession) -> Result<(), StateError> {
        self.exec(
            "INSERT INTO skiff_cloud_sessions (id, token_hash, prev_hash, used_at, created_at, record)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&s.id, &s.token_hash, &s.prev_hash, &s.used_at, &s.created_at, &Json(s)],
        )
        .await
    }

    async fn session_by_token(&self, hash: &str) -> Result<Option<CloudSession>, StateError> {
        self.one(
            "SELECT record FROM skiff_cloud_sessions WHERE token_hash = $1 OR prev_hash = $1",
            &[&hash],
            "cloud session",
        )
        .await
    }

    async fn session(&self, id: &str) -> Result<Option<CloudSession>, StateError> {
        self.one(
            "SELECT record FROM skiff_cloud_sessions WHERE id = $1",
            &[&id],
            "cloud session",
        )
        .await
    }

    async fn update_session(&self, s: &CloudSession) -> Result<(), StateError> {
        self.exec(
            "UPDATE skiff_cloud_sessions SET token_hash = $2, prev_hash = $3, used_at = $4, record = $5
             WHERE id = $1",
            &[&s.id, &s.token_hash, &s.prev_hash, &s.used_at, &Json(s)],
        )
        .await
    }

    async fn delete_session(&self, id: &str) -> Result<(), StateError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        forget(&tx, id).await?;
        tx.commit().await.map_err(pg)
    }

    async fn insert_flow(&self, f: &Flow) -> Result<(), StateError> {
        self.exec(
            "INSERT INTO skiff_cloud_flows (id, session, provider, state_hash, status, expires_at, record)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &f.id,
                &f.session,
                &f.provider,
                &f.state_hash,
                &status_text(f.status),
                &f.expires_at,
                &Json(f),
            ],
        )
        .await
    }

    async fn flow(&self, id: &str) -> Result<Option<Flow>, StateError> {
        self.one(
            "SELECT record FROM skiff_cloud_flows WHERE id = $1",
            &[&id],
            "cloud flow",
        )
        .await
    }

    async fn flow_by_state(&self, hash: &str) -> Result<Option<Flow>, StateError> {
        self.one(
            "SELECT record FROM skiff_cloud_flows WHERE state_hash = $1",
            &[&hash],
            "cloud flow",
        )
        .await
    }

    async fn pending_flow(
        &self,
        session: &str,
        provider: &str,
        until: i64,
    ) -> Result<Option<Flow>, StateError> {
        self.one(
            "SELECT record FROM skiff_cloud_flows
             WHERE session = $1 AND provider = $2 AND status = 'pending' AND expires_at >= $3
             ORDER BY expires_at DESC LIMIT 1",
            &[&session, &provider, &until],
            "cloud flow",
        )
        .await
    }

    async fn advance_flow(&self, from: FlowStatus, f: &Flow) -> Result<bool, StateError> {
        // Only from the status the caller read: of two callbacks of one flow, one wins.
        let n = self
            .count(
                "UPDATE skiff_cloud_flows SET status = $3, record = $4, state_hash = $5, expires_at = $6
                 WHERE id = $1 AND status = $2",
                &[
                    &f.id,
                    &status_text(from),
                    &status_text(f.status),
                    &Json(f),
                    &f.state_hash,
                    &f.expires_at,
                ],
            )
            .await?;
        Ok(n == 1)
    }

    async fn put_credential(&self, cr: &Credential) -> Result<(), StateError> {
        self.exec(
            "INSERT INTO skiff_cloud_credentials (session, provider, record) VALUES ($1, $2, $3)
             ON CONFLICT (session, provider) DO UPDATE SET record = excluded.record",
            &[&cr.session, &cr.provider, &Json(cr)],
        )
        .await
    }

    async fn credential(
        &self,
        session: &str,
        provider: &str,
    ) -> Result<Option<Credential>, StateError> {
        self.one(
            "SELECT record FROM skiff_cloud_credentials WHERE session = $1 AND provider = $2",
            &[&session, &provider],
            "cloud credential",
        )
        .await
    }

    async fn credentials(&self, session: &str) -> Result<Vec<Credential>, StateError> {
        let rows = self
            .rows(
                "SELECT record FROM skiff_cloud_credentials WHERE session = $1 ORDER BY provider",
                &[&session],
            )
            .await?;
        rows.iter()
            .map(|row| record(row, 0, "cloud credential"))
            .collect()
    }

    async fn delete_credential(&self, session: &str, provider: &str) -> Result<bool, StateError> {
        let n = self
            .count(
                "DELETE FROM skiff_cloud_credentials WHERE session = $1 AND provider = $2",
                &[&session, &provider],
            )
            .await?;
        Ok(n == 1)
    }

    async fn sweep(
        &self,
        now: i64,
        idle_before: i64,
        created_before: i64,
    ) -> Result<usize, StateError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        let old = tx
            .query(
                "SELECT id FROM skiff_cloud_sessions WHERE used_at < $1 OR created_at < $2
                 FOR UPDATE SKIP LOCKED",
                &[&idle_before, &created_before],
            )
            .await
            .map_err(pg)?;
        let mut n = 0;
        for row in &old {
            let id: String = get(row, 0, "cloud session id")?;
            n += forget(&tx, &id).await?;
        }
        n += tx
            .execute(
                "DELETE FROM skiff_cloud_flows WHERE expires_at < $1",
                &[&now],
            )
            .await
            .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }
}
