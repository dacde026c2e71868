//! Picker sessions: the Cloud API's `token`. A token is 256 random bits the client keeps (in
//! memory, or in `localStorage` with filestack-js's `sessionCache`); the server keeps only its
//! SHA-256, so a copy of the database lets nobody act as a picker. A session belongs to one app
//! key, lives while it is used (sliding expiry) up to an absolute cap, and gets a new token
//! after each connection (the old one is still taken for a minute, for requests already sent).

use super::store::{CloudSession, CloudStore};
use crate::state::StateError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// How long the token before a rotation is still taken, ms.
pub const ROTATION_GRACE_MS: i64 = 60_000;

/// Expiry of picker sessions.
#[derive(Debug, Clone, Copy)]
pub struct SessionTtl {
    /// Unused this long, a session ends (ms).
    pub idle_ms: i64,
    /// Whatever the use, a session ends this long after it began (ms).
    pub max_ms: i64,
}

/// A session found (or begun) for a request, with the token to send back when it changed.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The session.
    pub session: CloudSession,
    /// A token the client must adopt (a new session, or a rotation); `None`: keep yours.
    pub new_token: Option<String>,
}

/// SHA-256 (hex) of a secret, as the store keys it.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn new_token() -> String {
    let raw: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(raw)
}

/// The picker sessions of a store.
#[derive(Debug, Clone)]
pub struct Sessions {
    store: Arc<dyn CloudStore>,
    ttl: SessionTtl,
}

impl Sessions {
    /// Sessions kept in `store`, ending as `ttl` says.
    pub fn new(store: Arc<dyn CloudStore>, ttl: SessionTtl) -> Self {
        Self { store, ttl }
    }

    /// The live session of `app` that `token` stands for, marked used. `None` for no token,
    /// or one that is unknown, expired, superseded for over a minute, or another app's.
    pub async fn find(
        &self,
        app: &str,
        token: Option<&str>,
        now: i64,
    ) -> Result<Option<Resolved>, StateError> {
        self.lookup(app, token, now, false).await
    }

    /// The live session of `app` with this internal id, for a request that names it through a
    /// capability the session's listing sealed (a thumbnail URL) rather than by its token.
    /// Unlike [`Sessions::find`] it is not marked used: pictures loading in an open picker do
    /// not keep a session alive; only the person's own calls do.
    pub async fn live(
        &self,
        id: &str,
        app: &str,
        now: i64,
    ) -> Result<Option<CloudSession>, StateError> {
        Ok(self.store.session(id).await?.filter(|s| {
            s.app == app
                && now - s.used_at <= self.ttl.idle_ms
                && now - s.created_at <= self.ttl.max_ms
        }))
    }

    /// Finds the session; `rotate`: issue the new token a connection asked for.
    async fn lookup(
        &self,
        app: &str,
        token: Option<&str>,
        now: i64,
        rotate: bool,
    ) -> Result<Option<Resolved>, StateError> {
        let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 128) else {
            return Ok(None);
        };
        let h = hash(token);
        let Some(mut s) = self.store.session_by_token(&h).await? else {
            return Ok(None);
        };
        let live = s.app == app
            && now - s.used_at <= self.ttl.idle_ms
            && now - s.created_at <= self.ttl.max_ms
            && (s.token_hash == h || now <= s.prev_until);
        if !live {
            return Ok(None);
        }
        let mut new_token = None;
        if rotate && s.rotate && s.token_hash == h {
            let t = new_token_for(&mut s, now);
            new_token = Some(t);
        }
        s.used_at = now;
        self.store.update_session(&s).await?;
        Ok(Some(Resolved {
            session: s,
            new_token,
        }))
    }

    /// For a listing: [`Sessions::find`], with a new token when a connection was made since
    /// the last one was issued, or a new session of `app` when there is none (a first listing,
    /// or a token that expired). Only listings rotate: every client adopts the `token` of a
    /// listing's answer.
    pub async fn find_or_begin(
        &self,
        app: &str,
        token: Option<&str>,
        now: i64,
    ) -> Result<Resolved, StateError> {
        if let Some(r) = self.lookup(app, token, now, true).await? {
            return Ok(r);
        }
        let token = new_token();
        let session = CloudSession {
            id: crate::ids::random_id(24),
            token_hash: hash(&token),
            prev_hash: None,
            prev_until: 0,
            app: app.to_owned(),
            created_at: now,
            used_at: now,
            rotate: false,
        };
        self.store.insert_session(&session).await?;
        Ok(Resolved {
            session,
            new_token: Some(token),
        })
    }

    /// Asks for a new token on the session's next use (a provider was just connected to it).
    pub async fn rotate_soon(&self, session_id: &str) -> Result<(), StateError> {
        match self.store.session(session_id).await? {
            Some(mut s) => {
                s.rotate = true;
                self.store.update_session(&s).await
            }
            None => Ok(()),
        }
    }

    /// Ends a session with every connection it holds.
    pub async fn end(&self, session_id: &str) -> Result<(), StateError> {
        self.store.delete_session(session_id).await
    }

    /// Deletes expired sessions and flows; how many rows went.
    pub async fn sweep(&self, now: i64) -> Result<usize, StateError> {
        self.store
            .sweep(now, now - self.ttl.idle_ms, now - self.ttl.max_ms)
            .await
    }
}

fn new_token_for(s: &mut CloudSession, now: i64) -> String {
    let t = new_token();
    s.prev_hash = Some(std::mem::replace(&mut s.token_hash, hash(&t)));
    s.prev_until = now + ROTATION_GRACE_MS;
    s.rotate = false;
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::store::MemoryCloudStore;

    fn sessions() -> Sessions {
        Sessions::new(
            Arc::new(MemoryCloudStore::default()),
            SessionTtl {
                idle_ms: 1_000,
                max_ms: 5_000,
            },
        )
    }

    #[tokio::test]
    async fn tokens_are_random_hashed_app_bound_and_expire() {
        let s = sessions();
        let first = s.find_or_begin("app", None, 0).await.unwrap();
        let token = first.new_token.clone().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_ne!(first.session.token_hash, token, "only the hash is kept");
        // The same token finds the same session, with nothing new to adopt.
        let again = s.find_or_begin("app", Some(&token), 500).await.unwrap();
        assert_eq!(again.session.id, first.session.id);
        assert!(again.new_token.is_none());
        // Another app's key, an unknown token: not this session.
        assert!(s.find("other", Some(&token), 600).await.unwrap().is_none());
        assert!(s.find("app", Some("guess"), 600).await.unwrap().is_none());
        let other = s.find_or_begin("other", Some(&token), 600).await.unwrap();
        assert_ne!(other.session.id, first.session.id);
        // Sliding: used at 500, good at 1 400; then idle past 1 s it is gone.
        assert!(s.find("app", Some(&token), 1_400).await.unwrap().is_some());
        assert!(s.find("app", Some(&token), 2_500).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_session_named_by_its_id_is_checked_but_not_kept_alive() {
        let s = sessions();
        let r = s.find_or_begin("app", None, 0).await.unwrap();
        let id = r.session.id.clone();
        assert!(s.live(&id, "app", 900).await.unwrap().is_some());
        assert!(
            s.live(&id, "other", 900).await.unwrap().is_none(),
            "another app's"
        );
        assert!(s.live("nope", "app", 900).await.unwrap().is_none());
        // Looking did not count as a use: idle since 0, it is over after 1 s.
        assert!(s.live(&id, "app", 1_100).await.unwrap().is_none());
        s.end(&id).await.unwrap();
        assert!(s.live(&id, "app", 10).await.unwrap().is_none(), "ended");
    }

    #[tokio::test]
    async fn the_absolute_cap_holds_however_often_it_is_used() {
        let s = sessions();
        let token = s
            .find_or_begin("app", None, 0)
            .await
            .unwrap()
            .new_token
            .unwrap();
        for t in (900..=4_500).step_by(900) {
            assert!(
                s.find("app", Some(&token), t).await.unwrap().is_some(),
                "at {t}"
            );
        }
        assert!(s.find("app", Some(&token), 5_100).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_connection_rotates_the_token_and_the_old_one_fades() {
        let s = sessions();
        let r = s.find_or_begin("app", None, 0).await.unwrap();
        let old = r.new_token.unwrap();
        s.rotate_soon(&r.session.id).await.unwrap();
        // Only a listing rotates.
        assert!(
            s.find("app", Some(&old), 50)
                .await
                .unwrap()
                .unwrap()
                .new_token
                .is_none()
        );
        let rotated = s.find_or_begin("app", Some(&old), 100).await.unwrap();
        let new = rotated.new_token.unwrap();
        assert_ne!(new, old);
        // Both work for a moment; the new one only, after the grace.
        assert!(s.find("app", Some(&old), 150).await.unwrap().is_some());
        assert!(s.find("app", Some(&new), 150).await.unwrap().is_some());
        let late = 100 + ROTATION_GRACE_MS + 1;
        let s2 = Sessions::new(
            s.store.clone(),
            SessionTtl {
                idle_ms: 10 * ROTATION_GRACE_MS,
                max_ms: 100 * ROTATION_GRACE_MS,
            },
        );
        assert!(s2.find("app", Some(&old), late).await.unwrap().is_none());
        assert!(s2.find("app", Some(&new), late).await.unwrap().is_some());
    }
}
