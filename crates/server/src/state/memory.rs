//! In-memory [`StateStore`] for tests.

use super::{
    ChunkRecord, FileRecord, NewWebhook, PartRecord, QueueCounts, Session, StateError, StateStore,
    TransferJob, WebhookJob,
};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

#[derive(Debug, Default)]
struct Inner {
    sessions: HashMap<String, Session>,
    parts: BTreeMap<(String, u32), PartRecord>,
    chunks: BTreeMap<(String, u32, u64), ChunkRecord>,
    files: HashMap<String, FileRecord>,
    webhooks: BTreeMap<i64, (WebhookJob, bool)>,
    next_id: i64,
    transfers: BTreeMap<String, TransferJob>,
}

impl Inner {
    /// Records `file`, with its transfer when it has one, and queues `webhooks`.
    fn put_file(&mut self, file: &FileRecord, webhooks: &[NewWebhook], now: i64) {
        self.files.insert(file.handle.clone(), file.clone());
        if let Some(t) = &file.transfer {
            let job = TransferJob {
                handle: file.handle.clone(),
                to: t.to.clone(),
                holder: t.held.as_ref().map(|h| h.region.clone()),
                attempts: 0,
                next_at: now,
                last_error: None,
                failed: false,
            };
            self.transfers.insert(file.handle.clone(), job);
        }
        self.queue(webhooks, now);
    }

    fn queue(&mut self, webhooks: &[NewWebhook], now: i64) {
        for hook in webhooks {
            self.next_id += 1;
            let job = WebhookJob {
                id: self.next_id,
                hook: hook.clone(),
                attempts: 0,
                next_at: now,
                created_at: now,
            };
            self.webhooks.insert(self.next_id, (job, true));
        }
    }

    /// Ids of the pending webhooks due at `now`, oldest first, at most `limit`.
    fn due(&self, now: i64, limit: usize) -> Vec<i64> {
        let mut due: Vec<(i64, i64)> = self
            .webhooks
            .values()
            .filter(|(j, pending)| *pending && j.next_at <= now)
            .map(|(j, _)| (j.next_at, j.id))
            .collect();
        due.sort_unstable();
        due.into_iter().take(limit).map(|(_, id)| id).collect()
    }

    fn drop_upload(&mut self, upload: &str) {
        self.parts.retain(|(u, _), _| u != upload);
        self.chunks.retain(|(u, _, _), _| u != upload);
    }
}

/// Keeps all state in memory.
#[derive(Debug, Default)]
pub struct MemoryState {
    inner: Mutex<Inner>,
}

impl MemoryState {
    /// Empty state.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl StateStore for MemoryState {
    async fn insert_session(&self, s: &Session) -> Result<(), StateError> {
        let mut inner = self.lock();
        if inner.sessions.contains_key(&s.id) {
            return Err(StateError::Db(format!("session {} exists", s.id)));
        }
        inner.sessions.insert(s.id.clone(), s.clone());
        Ok(())
    }

    async fn session(&self, id: &str) -> Result<Option<Session>, StateError> {
        Ok(self.lock().sessions.get(id).cloned())
    }

    async fn session_for_handle(&self, handle: &str) -> Result<Option<Session>, StateError> {
        Ok(self
            .lock()
            .sessions
            .values()
            .find(|s| !s.handle.is_empty() && s.handle == handle)
            .cloned())
    }

    async fn put_part(&self, upload: &str, part: &PartRecord) -> Result<(), StateError> {
        self.lock()
            .parts
            .insert((upload.to_owned(), part.part), part.clone());
        Ok(())
    }

    async fn parts(&self, upload: &str) -> Result<Vec<PartRecord>, StateError> {
        Ok(self
            .lock()
            .parts
            .iter()
            .filter(|((u, _), _)| u == upload)
            .map(|(_, p)| p.clone())
            .collect())
    }

    async fn put_chunk(&self, upload: &str, ch: &ChunkRecord) -> Result<(), StateError> {
        self.lock()
            .chunks
            .insert((upload.to_owned(), ch.part, ch.offset), ch.clone());
        Ok(())
    }

    async fn chunks(&self, upload: &str, part: u32) -> Result<Vec<ChunkRecord>, StateError> {
        Ok(self
            .lock()
            .chunks
            .iter()
            .filter(|((u, p, _), _)| u == upload && *p == part)
            .map(|(_, c)| c.clone())
            .collect())
    }

    async fn upload_chunks(&self, upload: &str) -> Result<Vec<ChunkRecord>, StateError> {
        Ok(self
            .lock()
            .chunks
            .iter()
            .filter(|((u, _, _), _)| u == upload)
            .map(|(_, c)| c.clone())
            .collect())
    }

    async fn complete(
        &self,
        upload: &str,
        file: &FileRecord,
        webhooks: &[NewWebhook],
        now: i64,
    ) -> Result<(), StateError> {
        let mut inner = self.lock();
        match inner.sessions.get_mut(upload) {
            Some(s) if s.completed.is_none() => s.completed = Some(file.handle.clone()),
            _ => return Err(StateError::SessionGone(upload.to_owned())),
        }
        inner.drop_upload(upload);
        inner.put_file(file, webhooks, now);
        Ok(())
    }

    async fn insert_file(
        &self,
        file: &FileRecord,
        webhooks: &[NewWebhook],
        now: i64,
    ) -> Result<(), StateError> {
        self.lock().put_file(file, webhooks, now);
        Ok(())
    }

    async fn file(&self, handle: &str) -> Result<Option<FileRecord>, StateError> {
        Ok(self.lock().files.get(handle).cloned())
    }

    async fn handles(&self) -> Result<Vec<String>, StateError> {
        Ok(self.lock().files.keys().cloned().collect())
    }

    async fn delete_file(&self, handle: &str) -> Result<bool, StateError> {
        let mut inner = self.lock();
        inner.transfers.remove(handle);
        Ok(inner.files.remove(handle).is_some())
    }

    async fn expired_sessions(&self, now: i64, limit: usize) -> Result<Vec<String>, StateError> {
        Ok(self
            .lock()
            .sessions
            .values()
            .filter(|s| s.expires_at <= now)
            .take(limit)
            .map(|s| s.id.clone())
            .collect())
    }

    async fn delete_session(&self, id: &str) -> Result<(), StateError> {
        let mut inner = self.lock();
        inner.sessions.remove(id);
        inner.drop_upload(id);
        Ok(())
    }

    async fn due_webhooks(&self, now: i64, limit: usize) -> Result<Vec<WebhookJob>, StateError> {
        let inner = self.lock();
        Ok(inner
            .due(now, limit)
            .into_iter()
            .filter_map(|id| inner.webhooks.get(&id).map(|(j, _)| j.clone()))
            .collect())
    }

    async fn claim_due_webhooks(
        &self,
        now: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<WebhookJob>, StateError> {
        // One lock for the look and the claim: no other claimer can get in between.
        let mut inner = self.lock();
        let mut claimed = Vec::new();
        for id in inner.due(now, limit) {
            if let Some((job, _)) = inner.webhooks.get_mut(&id) {
                job.next_at = now.saturating_add(lease_ms);
                claimed.push(job.clone());
            }
        }
        Ok(claimed)
    }

    async fn next_webhook_at(&self) -> Result<Option<i64>, StateError> {
        Ok(self
            .lock()
            .webhooks
            .values()
            .filter(|(_, pending)| *pending)
            .map(|(j, _)| j.next_at)
            .min())
    }

    async fn webhook_delivered(&self, id: i64) -> Result<(), StateError> {
        self.lock().webhooks.remove(&id);
        Ok(())
    }

    async fn webhook_failed(
        &self,
        id: i64,
        attempts: u32,
        next_at: Option<i64>,
        _error: &str,
    ) -> Result<(), StateError> {
        if let Some((job, pending)) = self.lock().webhooks.get_mut(&id) {
            job.attempts = attempts;
            match next_at {
                Some(at) => job.next_at = at,
                None => *pending = false,
            }
        }
        Ok(())
    }

    async fn claim_due_transfers(
        &self,
        now: i64,
        lease_ms: i64,
        limit: usize,
        holder: Option<&str>,
    ) -> Result<Vec<TransferJob>, StateError> {
        let mut inner = self.lock();
        let mut due: Vec<&mut TransferJob> = inner
            .transfers
            .values_mut()
            .filter(|j| !j.failed && j.next_at <= now)
            .filter(|j| j.holder.is_none() || j.holder.as_deref() == holder)
            .collect();
        due.sort_by(|a, b| (a.next_at, &a.handle).cmp(&(b.next_at, &b.handle)));
        Ok(due
            .into_iter()
            .take(limit)
            .map(|j| {
                j.next_at = now.saturating_add(lease_ms);
                j.clone()
            })
            .collect())
    }

    async fn transfer_done(
        &self,
        file: &FileRecord,
        webhooks: &[NewWebhook],
        now: i64,
    ) -> Result<(), StateError> {
        let mut inner = self.lock();
        inner.transfers.remove(&file.handle);
        // A file deleted meanwhile stays deleted.
        if inner.files.contains_key(&file.handle) {
            inner.files.insert(file.handle.clone(), file.clone());
            inner.queue(webhooks, now);
        }
        Ok(())
    }

    async fn transfer_failed(
        &self,
        handle: &str,
        attempts: u32,
        next_at: Option<i64>,
        error: &str,
    ) -> Result<(), StateError> {
        if let Some(job) = self.lock().transfers.get_mut(handle) {
            job.attempts = attempts;
            job.last_error = Some(error.to_owned());
            match next_at {
                Some(at) => job.next_at = at,
                None => job.failed = true,
            }
        }
        Ok(())
    }

    async fn transfer(&self, handle: &str) -> Result<Option<TransferJob>, StateError> {
        Ok(self.lock().transfers.get(handle).cloned())
    }

    async fn retry_failed_transfers(&self, now: i64) -> Result<u64, StateError> {
        let mut inner = self.lock();
        let mut n = 0;
        for job in inner.transfers.values_mut().filter(|j| j.failed) {
            (job.failed, job.attempts, job.next_at) = (false, 0, now);
            n += 1;
        }
        Ok(n)
    }

    async fn queue_counts(&self) -> Result<QueueCounts, StateError> {
        let inner = self.lock();
        let count = |it: &mut dyn Iterator<Item = bool>, want: bool| {
            it.filter(|b| *b == want).count() as u64
        };
        Ok(QueueCounts {
            transfers_pending: count(&mut inner.transfers.values().map(|j| !j.failed), true),
            transfers_failed: count(&mut inner.transfers.values().map(|j| !j.failed), false),
            webhooks_pending: count(&mut inner.webhooks.values().map(|(_, p)| *p), true),
            webhooks_failed: count(&mut inner.webhooks.values().map(|(_, p)| *p), false),
        })
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn conformance() {
        super::super::conformance::run(&super::MemoryState::new()).await;
    }
}
