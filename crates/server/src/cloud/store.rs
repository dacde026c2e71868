//! Where the Cloud API keeps who is connected to what: picker sessions (by the hash of their
//! token), OAuth flows in progress, and each session's provider credentials (sealed by the
//! vault before they get here). The narrow [`CloudStore`] port has an in-memory twin and a
//! SQLite implementation (in the state database), and both pass the `conformance` suite.
//!
//! Times are unix milliseconds passed in by the caller; the store never reads a clock and never
//! sees a secret in the clear.

use super::vault::Sealed;
use crate::state::StateError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod memory;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use memory::MemoryCloudStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteCloudStore;

/// A picker session: what the Cloud API's `token` stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudSession {
    /// Internal id (never sent to the client), what flows and credentials hang off.
    pub id: String,
    /// SHA-256 (hex) of the token the client holds now.
    pub token_hash: String,
    /// The token before the last rotation, still accepted until `prev_until` (requests already
    /// on their way when the client learnt the new one).
    pub prev_hash: Option<String>,
    /// Until when `prev_hash` is accepted.
    pub prev_until: i64,
    /// The app key it belongs to.
    pub app: String,
    /// Created (the absolute expiry counts from here).
    pub created_at: i64,
    /// Last used (the sliding expiry counts from here).
    pub used_at: i64,
    /// A provider was connected since the token was last issued: the next answer rotates it.
    pub rotate: bool,
}

/// Where an OAuth flow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowStatus {
    /// Handed out as a `redirect_url`, not opened yet.
    Pending,
    /// Opened: the browser went on to the provider.
    Started,
    /// The provider came back; the code is being exchanged (the flow is used up).
    Exchanging,
    /// Connected.
    Done,
    /// The person said no at the provider.
    Denied,
    /// The exchange failed.
    Failed,
}

/// One OAuth flow: from the `redirect_url` a listing hands out to the provider's callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    /// Random id, in the `redirect_url` (not the OAuth `state`).
    pub id: String,
    /// The picker session it connects.
    pub session: String,
    /// The app key.
    pub app: String,
    /// The provider.
    pub provider: String,
    /// SHA-256 (hex) of the OAuth `state` sent to the provider.
    pub state_hash: String,
    /// The PKCE verifier, sealed (none for providers without PKCE).
    pub verifier: Option<Sealed>,
    /// The picker's origin, checked against the app's `allowed_origins`: the only one the
    /// callback page posts its message to.
    pub origin: Option<String>,
    /// Redirect mode: where the callback sends the whole page back to (an allowed origin).
    pub appurl: Option<String>,
    /// SHA-256 (hex) of the binding cookie `/start` set.
    pub binding_hash: Option<String>,
    /// Where it stands.
    pub status: FlowStatus,
    /// The connected account (done) or what went wrong (failed), for the status endpoint.
    pub detail: Option<String>,
    /// Created.
    pub created_at: i64,
    /// Expires (at most 10 minutes after creation).
    pub expires_at: i64,
}

/// One session's connection to one provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    /// The session.
    pub session: String,
    /// The provider.
    pub provider: String,
    /// Who is connected, as the provider names them (an email, a login).
    pub account: String,
    /// The access token, sealed for (session, provider, `access`).
    pub access: Sealed,
    /// The refresh token, sealed for (session, provider, `refresh`).
    pub refresh: Option<Sealed>,
    /// When the access token expires, if the provider said.
    pub expires_at: Option<i64>,
    /// Last written.
    pub updated_at: i64,
}

/// The Cloud API's store. Every method is atomic.
#[async_trait]
pub trait CloudStore: Send + Sync + std::fmt::Debug {
    /// Records a new session.
    async fn insert_session(&self, session: &CloudSession) -> Result<(), StateError>;
    /// The session whose current or previous token hashes to `hash`.
    async fn session_by_token(&self, hash: &str) -> Result<Option<CloudSession>, StateError>;
    /// The session with this (internal) id.
    async fn session(&self, id: &str) -> Result<Option<CloudSession>, StateError>;
    /// Replaces a session's record (rotation, use).
    async fn update_session(&self, session: &CloudSession) -> Result<(), StateError>;
    /// Deletes a session with its flows and credentials.
    async fn delete_session(&self, id: &str) -> Result<(), StateError>;

    /// Records a new flow.
    async fn insert_flow(&self, flow: &Flow) -> Result<(), StateError>;
    /// The flow with this id.
    async fn flow(&self, id: &str) -> Result<Option<Flow>, StateError>;
    /// The flow whose `state` hashes to `hash`.
    async fn flow_by_state(&self, hash: &str) -> Result<Option<Flow>, StateError>;
    /// A pending flow of this session and provider that is good until at least `until`.
    async fn pending_flow(
        &self,
        session: &str,
        provider: &str,
        until: i64,
    ) -> Result<Option<Flow>, StateError>;
    /// Replaces the flow `flow.id` only if it still stands at `from`; false if it moved on
    /// (another request took it first) or is gone. This is what makes a flow single-use.
    async fn advance_flow(&self, from: FlowStatus, flow: &Flow) -> Result<bool, StateError>;

    /// Records a connection, replacing the session's earlier one to that provider.
    async fn put_credential(&self, credential: &Credential) -> Result<(), StateError>;
    /// The session's connection to `provider`.
    async fn credential(
        &self,
        session: &str,
        provider: &str,
    ) -> Result<Option<Credential>, StateError>;
    /// Every connection of the session.
    async fn credentials(&self, session: &str) -> Result<Vec<Credential>, StateError>;
    /// Forgets the session's connection to `provider`; false if there was none.
    async fn delete_credential(&self, session: &str, provider: &str) -> Result<bool, StateError>;

    /// Deletes sessions last used before `idle_before` or created before `created_before` (with
    /// their flows and credentials) and flows that expired before `now`; how many rows went.
    async fn sweep(
        &self,
        now: i64,
        idle_before: i64,
        created_before: i64,
    ) -> Result<usize, StateError>;
}
