//! The in-memory [`CloudStore`], for tests and for servers run with `[state] kind = "memory"`.

use super::{CloudSession, CloudStore, Credential, Flow, FlowStatus};
use crate::state::StateError;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Debug, Default)]
struct Tables {
    sessions: BTreeMap<String, CloudSession>,
    flows: BTreeMap<String, Flow>,
    /// By (session, provider).
    credentials: BTreeMap<(String, String), Credential>,
}

/// In-memory [`CloudStore`].
#[derive(Debug, Default)]
pub struct MemoryCloudStore {
    tables: Mutex<Tables>,
}

impl MemoryCloudStore {
    fn with<T>(&self, f: impl FnOnce(&mut Tables) -> T) -> Result<T, StateError> {
        let mut t = self
            .tables
            .lock()
            .map_err(|_| StateError::Db("a writer panicked".into()))?;
        Ok(f(&mut t))
    }
}

fn forget(t: &mut Tables, session: &str) {
    t.sessions.remove(session);
    t.flows.retain(|_, f| f.session != session);
    t.credentials.retain(|(s, _), _| s != session);
}

#[async_trait]
impl CloudStore for MemoryCloudStore {
    async fn insert_session(&self, session: &CloudSession) -> Result<(), StateError> {
        self.with(|t| {
            t.sessions.insert(session.id.clone(), session.clone());
        })
    }

    async fn session_by_token(&self, hash: &str) -> Result<Option<CloudSession>, StateError> {
        self.with(|t| {
            t.sessions
                .values()
                .find(|s| s.token_hash == hash || s.prev_hash.as_deref() == Some(hash))
                .cloned()
        })
    }

    async fn session(&self, id: &str) -> Result<Option<CloudSession>, StateError> {
        self.with(|t| t.sessions.get(id).cloned())
    }

    async fn update_session(&self, session: &CloudSession) -> Result<(), StateError> {
        self.with(|t| {
            if let Some(s) = t.sessions.get_mut(&session.id) {
                *s = session.clone();
            }
        })
    }

    async fn delete_session(&self, id: &str) -> Result<(), StateError> {
        self.with(|t| forget(t, id))
    }

    async fn insert_flow(&self, flow: &Flow) -> Result<(), StateError> {
        self.with(|t| {
            t.flows.insert(flow.id.clone(), flow.clone());
        })
    }

    async fn flow(&self, id: &str) -> Result<Option<Flow>, StateError> {
        self.with(|t| t.flows.get(id).cloned())
    }

    async fn flow_by_state(&self, hash: &str) -> Result<Option<Flow>, StateError> {
        self.with(|t| t.flows.values().find(|f| f.state_hash == hash).cloned())
    }

    async fn pending_flow(
        &self,
        session: &str,
        provider: &str,
        until: i64,
    ) -> Result<Option<Flow>, StateError> {
        self.with(|t| {
            t.flows
                .values()
                .filter(|f| {
                    f.session == session
                        && f.provider == provider
                        && f.status == FlowStatus::Pending
                        && f.expires_at >= until
                })
                .max_by_key(|f| f.expires_at)
                .cloned()
        })
    }

    async fn advance_flow(&self, from: FlowStatus, flow: &Flow) -> Result<bool, StateError> {
        self.with(|t| match t.flows.get_mut(&flow.id) {
            Some(f) if f.status == from => {
                *f = flow.clone();
                true
            }
            _ => false,
        })
    }

    async fn put_credential(&self, credential: &Credential) -> Result<(), StateError> {
        self.with(|t| {
            t.credentials.insert(
                (credential.session.clone(), credential.provider.clone()),
                credential.clone(),
            );
        })
    }

    async fn credential(
        &self,
        session: &str,
        provider: &str,
    ) -> Result<Option<Credential>, StateError> {
        self.with(|t| {
            t.credentials
                .get(&(session.to_owned(), provider.to_owned()))
                .cloned()
        })
    }

    async fn credentials(&self, session: &str) -> Result<Vec<Credential>, StateError> {
        self.with(|t| {
            t.credentials
                .values()
                .filter(|c| c.session == session)
                .cloned()
                .collect()
        })
    }

    async fn delete_credential(&self, session: &str, provider: &str) -> Result<bool, StateError> {
        self.with(|t| {
            t.credentials
                .remove(&(session.to_owned(), provider.to_owned()))
                .is_some()
        })
    }

    async fn sweep(
        &self,
        now: i64,
        idle_before: i64,
        created_before: i64,
    ) -> Result<usize, StateError> {
        self.with(|t| {
            let old: Vec<String> = t
                .sessions
                .values()
                .filter(|s| s.used_at < idle_before || s.created_at < created_before)
                .map(|s| s.id.clone())
                .collect();
            let before = t.sessions.len() + t.flows.len() + t.credentials.len();
            for id in &old {
                forget(t, id);
            }
            t.flows.retain(|_, f| f.expires_at >= now);
            before - (t.sessions.len() + t.flows.len() + t.credentials.len())
        })
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn conformance() {
        super::super::conformance::run(&super::MemoryCloudStore::default()).await;
    }
}
