//! Connections: a picker session's sealed provider credentials, and [`Connected`], the
//! [`Source`] a provider becomes for one session.
//!
//! Tokens are opened only for the call that needs them. An access token within a minute of
//! expiry is refreshed first, and a provider's 401 is answered by one refresh and one retry.
//! Refreshes of one (session, provider) are serialised: the second caller waits, then finds
//! the token the first one stored and uses it. That matters for Box, whose refresh tokens work
//! once, and Microsoft, which rotates them: the new pair is stored before it is used, and a
//! lost race must not spend the old one again. A refresh the provider refuses as
//! `invalid_grant` forgets the connection, and the session is asked to connect again.
//!
//! (The lock is per process: instances sharing a database, the next issue's scale-out, will
//! need it in the database as well.)

use super::oauth::{OAuthError, TokenSet};
use super::provider::{AccessToken, Provider, Revocation};
use super::store::{CloudStore, Credential};
use super::vault::{Sealed, Vault};
use super::{CloudPath, Download, Page, Source, SourceError, Thumbnail};
use crate::clock::Clock;
use crate::state::StateError;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Refresh an access token this close to its expiry, ms.
pub const REFRESH_AHEAD_MS: i64 = 60_000;

fn context(session: &str, provider: &str, column: &str) -> String {
    format!("{session}|{provider}|{column}")
}

fn internal(e: StateError) -> SourceError {
    SourceError::Upstream(format!("the server's state failed: {e}"))
}

/// Every session's connections, sealed in a [`CloudStore`].
#[derive(Debug)]
pub struct Connections {
    store: Arc<dyn CloudStore>,
    vault: Vault,
    clock: Arc<dyn Clock>,
    /// Where providers send the browser back to; `{provider}` is replaced.
    callback: String,
    /// One lock per (session, provider), held while a refresh runs.
    refreshing: Mutex<HashMap<(String, String), RefreshLock>>,
}

/// Held while one (session, provider) refreshes.
type RefreshLock = Arc<tokio::sync::Mutex<()>>;

impl Connections {
    /// Connections kept in `store`, sealed by `vault`; `callback` is the redirect URI pattern
    /// (`https://host/cloud/auth/{provider}/callback`).
    pub fn new(
        store: Arc<dyn CloudStore>,
        vault: Vault,
        clock: Arc<dyn Clock>,
        callback: String,
    ) -> Self {
        Self {
            store,
            vault,
            clock,
            callback,
            refreshing: Mutex::new(HashMap::new()),
        }
    }

    /// The vault (flows seal their PKCE verifiers, listings their cursors).
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn CloudStore> {
        &self.store
    }

    /// The redirect URI registered with `provider`.
    pub fn redirect_uri(&self, provider: &str) -> url::Url {
        let s = self.callback.replace("{provider}", provider);
        url::Url::parse(&s).unwrap_or_else(|_| {
            // The pattern comes from the server's own public URL, checked at start.
            url::Url::parse("http://localhost/").expect("a literal URL")
        })
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Stores a fresh connection of `session` to `provider` (after a sign-in).
    pub async fn connect(
        &self,
        session: &str,
        provider: &str,
        account: &str,
        tokens: &TokenSet,
    ) -> Result<(), StateError> {
        let c = self.sealed(session, provider, account, tokens, None);
        self.store.put_credential(&c).await
    }

    fn sealed(
        &self,
        session: &str,
        provider: &str,
        account: &str,
        tokens: &TokenSet,
        keep_refresh: Option<Sealed>,
    ) -> Credential {
        let now = self.now();
        Credential {
            session: session.to_owned(),
            provider: provider.to_owned(),
            account: account.to_owned(),
            access: self.vault.seal(
                &context(session, provider, "access"),
                tokens.access.as_bytes(),
            ),
            refresh: match &tokens.refresh {
                Some(r) => Some(
                    self.vault
                        .seal(&context(session, provider, "refresh"), r.as_bytes()),
                ),
                // Google and Dropbox do not send the refresh token again: keep the old one.
                None => keep_refresh,
            },
            expires_at: tokens
                .expires_in
                .map(|d| now + i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)),
            updated_at: now,
        }
    }

    fn open_tokens(&self, c: &Credential) -> Result<TokenSet, SourceError> {
        let open = |column: &str, s: &Sealed| {
            self.vault
                .open_str(&context(&c.session, &c.provider, column), s)
                .map_err(|e| SourceError::NotConnected(format!("{} ({e})", c.provider)))
        };
        Ok(TokenSet {
            access: open("access", &c.access)?,
            refresh: c.refresh.as_ref().map(|r| open("refresh", r)).transpose()?,
            expires_in: None,
        })
    }

    /// The session's connection to `provider`, if any: who is connected.
    pub async fn account(
        &self,
        session: &str,
        provider: &str,
    ) -> Result<Option<String>, StateError> {
        Ok(self
            .store
            .credential(session, provider)
            .await?
            .map(|c| c.account))
    }

    /// The stored connection and its tokens opened.
    async fn stored(
        &self,
        session: &str,
        name: &str,
    ) -> Result<(Credential, TokenSet), SourceError> {
        let c = self
            .store
            .credential(session, name)
            .await
            .map_err(internal)?
            .ok_or_else(|| SourceError::NotConnected(name.to_owned()))?;
        let tokens = self.open_tokens(&c)?;
        Ok((c, tokens))
    }

    /// An access token for a call: the stored one, or a refreshed one when it is about to
    /// expire (or when `stale`, the token a provider just refused, is still the stored one).
    async fn access(
        &self,
        session: &str,
        provider: &dyn Provider,
        stale: Option<&AccessToken>,
    ) -> Result<AccessToken, SourceError> {
        let name = provider.name();
        let needs = |c: &Credential, tokens: &TokenSet| {
            stale.is_some_and(|s| s.0 == tokens.access)
                || c.expires_at
                    .is_some_and(|at| at - REFRESH_AHEAD_MS <= self.now())
        };
        let (current, tokens) = self.stored(session, name).await?;
        if !needs(&current, &tokens) {
            self.reseal_if_stale(&current, &tokens).await;
            return Ok(AccessToken(tokens.access));
        }
        let lock = {
            let mut map = self
                .refreshing
                .lock()
                .map_err(|_| SourceError::Upstream("a refresh panicked".into()))?;
            map.entry((session.to_owned(), name.to_owned()))
                .or_default()
                .clone()
        };
        let _held = lock.lock().await;
        // Read again under the lock: another call may have refreshed meanwhile.
        let (current, tokens) = self.stored(session, name).await?;
        if !needs(&current, &tokens) {
            return Ok(AccessToken(tokens.access));
        }
        let Some(refresh) = tokens.refresh.as_deref() else {
            // No refresh token (GitHub OAuth apps): a refused token means signing in again.
            if stale.is_some() {
                self.store
                    .delete_credential(session, name)
                    .await
                    .map_err(internal)?;
                return Err(SourceError::NotConnected(name.to_owned()));
            }
            return Ok(AccessToken(tokens.access));
        };
        match provider
            .oauth()
            .refresh(&self.redirect_uri(name), refresh)
            .await
        {
            Ok(fresh) => {
                // Stored before it is used: a rotated refresh token must not be lost.
                let c = self.sealed(
                    session,
                    name,
                    &current.account,
                    &fresh,
                    current.refresh.clone(),
                );
                self.store.put_credential(&c).await.map_err(internal)?;
                tracing::debug!(provider = name, "refreshed an access token");
                Ok(AccessToken(fresh.access))
            }
            Err(OAuthError::InvalidGrant(why)) => {
                tracing::info!(provider = name, %why, "a connection ended at the provider");
                self.store
                    .delete_credential(session, name)
                    .await
                    .map_err(internal)?;
                Err(SourceError::NotConnected(name.to_owned()))
            }
            Err(OAuthError::Failed(why)) => Err(SourceError::Upstream(format!(
                "{} did not refresh the sign-in: {why}",
                provider.display_name()
            ))),
        }
    }

    /// Seals a credential found under an earlier vault key again under the current one.
    async fn reseal_if_stale(&self, c: &Credential, tokens: &TokenSet) {
        let stale = self.vault.is_stale(&c.access)
            || c.refresh.as_ref().is_some_and(|r| self.vault.is_stale(r));
        if !stale {
            return;
        }
        let mut fresh = self.sealed(&c.session, &c.provider, &c.account, tokens, None);
        fresh.expires_at = c.expires_at;
        if let Err(e) = self.store.put_credential(&fresh).await {
            tracing::warn!(error = %e, "could not re-seal a credential under the current key");
        }
    }

    /// Logs the session out of `provider`: revokes at the provider where it can, and forgets
    /// the connection either way. `None` when there was no connection.
    pub async fn disconnect(
        &self,
        session: &str,
        provider: &dyn Provider,
    ) -> Result<Option<Revocation>, StateError> {
        let name = provider.name();
        let Some(c) = self.store.credential(session, name).await? else {
            return Ok(None);
        };
        self.store.delete_credential(session, name).await?;
        let revocation = match self.open_tokens(&c) {
            Ok(tokens) => provider.revoke(&tokens, &self.redirect_uri(name)).await,
            Err(e) => Revocation::Failed(e.to_string()),
        };
        if let Revocation::Failed(why) = &revocation {
            tracing::warn!(provider = name, %why, "revoking a connection failed");
        }
        Ok(Some(revocation))
    }
}

/// A provider as one picker session sees it: a [`Source`].
#[derive(Debug, Clone)]
pub struct Connected {
    connections: Arc<Connections>,
    provider: Arc<dyn Provider>,
    session: String,
}

impl Connected {
    /// `provider` through `session`'s connection to it.
    pub fn new(connections: Arc<Connections>, provider: Arc<dyn Provider>, session: &str) -> Self {
        Self {
            connections,
            provider,
            session: session.to_owned(),
        }
    }

    fn cursor_context(&self, dir: &CloudPath) -> String {
        format!("cursor|{}|{}|{dir}", self.session, self.provider.name())
    }

    /// Runs `call` with a fresh token; after a 401, refreshes once and runs it again.
    async fn with_token<T, F, Fut>(&self, call: F) -> Result<T, SourceError>
    where
        F: Fn(AccessToken) -> Fut,
        Fut: std::future::Future<Output = Result<T, SourceError>>,
    {
        let p = self.provider.as_ref();
        let token = self.connections.access(&self.session, p, None).await?;
        match call(token.clone()).await {
            Err(SourceError::Unauthorized(_)) => {
                let fresh = self
                    .connections
                    .access(&self.session, p, Some(&token))
                    .await?;
                match call(fresh).await {
                    Err(SourceError::Unauthorized(_)) => {
                        Err(SourceError::NotConnected(p.name().to_owned()))
                    }
                    other => other,
                }
            }
            other => other,
        }
    }
}

#[async_trait]
impl Source for Connected {
    fn name(&self) -> &'static str {
        self.provider.name()
    }

    fn display_name(&self) -> &'static str {
        self.provider.display_name()
    }

    /// Cursors are sealed for this session, provider and folder before the client sees them:
    /// some are provider URLs (Graph's `@odata.nextLink`) that must not come back altered.
    async fn list(&self, dir: &CloudPath, cursor: Option<&str>) -> Result<Page, SourceError> {
        let vault = self.connections.vault();
        let ctx = self.cursor_context(dir);
        let cursor = match cursor {
            Some(c) => Some(
                vault
                    .open_str(&ctx, &Sealed::from_stored(c.to_owned()))
                    .map_err(|_| {
                        SourceError::Refused(format!(
                            "the `next` cursor is not one this server gave for {dir}"
                        ))
                    })?,
            ),
            None => None,
        };
        let mut page = self
            .with_token(|t| {
                let cursor = cursor.clone();
                async move { self.provider.list(&t, dir, cursor.as_deref()).await }
            })
            .await?;
        page.next = page
            .next
            .map(|n| vault.seal(&ctx, n.as_bytes()).as_str().to_owned());
        Ok(page)
    }

    fn folder_name(&self, dir: &CloudPath) -> String {
        self.provider.folder_name(dir)
    }

    async fn open(&self, path: &CloudPath, from: u64) -> Result<Download, SourceError> {
        self.with_token(|t| async move { self.provider.open(&t, path, from).await })
            .await
    }

    async fn thumbnail(
        &self,
        path: &CloudPath,
        hint: Option<&str>,
    ) -> Result<Option<Thumbnail>, SourceError> {
        self.with_token(|t| async move { self.provider.thumbnail(&t, path, hint).await })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::cloud::provider_checks;
    use crate::cloud::providers::Dropbox;
    use skiff_standins::dropbox;

    #[tokio::test]
    async fn a_new_vault_key_opens_old_seals_and_reseals_them() {
        let s = dropbox::start(&[("/a.txt", b"a".to_vec())], dropbox::Options::default()).await;
        let client = (dropbox::CLIENT_ID, dropbox::CLIENT_SECRET);
        let c = provider_checks::config(&s, client, "/oauth2/authorize", "/oauth2/token");
        let p: Arc<dyn Provider> = Arc::new(Dropbox::new(&c).unwrap());
        let (old, new) = ([1u8; 32], [2u8; 32]);
        let store: Arc<dyn CloudStore> = Arc::new(crate::cloud::store::MemoryCloudStore::default());
        let with = |key: &[u8; 32], earlier: &[[u8; 32]]| {
            Arc::new(Connections::new(
                store.clone(),
                Vault::new(key, earlier),
                Arc::new(SystemClock),
                provider_checks::CALLBACK.into(),
            ))
        };
        provider_checks::sign_in(&with(&old, &[]), p.as_ref(), &s, "s1").await;
        let sealed_by = |c: Option<Credential>| c.unwrap().access.key_id().to_owned();
        let old_id = sealed_by(store.credential("s1", "dropbox").await.unwrap());

        // Rotated: the old key still opens, and the connection is sealed anew on use.
        let rotated = with(&new, &[old]);
        let source = Connected::new(rotated.clone(), p.clone(), "s1");
        assert_eq!(
            source
                .list(&CloudPath::root(), None)
                .await
                .unwrap()
                .items
                .len(),
            1
        );
        let new_id = sealed_by(store.credential("s1", "dropbox").await.unwrap());
        assert_ne!(old_id, new_id);
        assert_eq!(new_id, rotated.vault().current_key_id());

        // The old key can go now; a vault without the key a row needs asks to sign in again.
        let source = Connected::new(with(&new, &[]), p.clone(), "s1");
        assert!(source.list(&CloudPath::root(), None).await.is_ok());
        let lost = Connected::new(with(&[3u8; 32], &[]), p, "s1");
        assert!(matches!(
            lost.list(&CloudPath::root(), None).await,
            Err(SourceError::NotConnected(_))
        ));
    }
}
