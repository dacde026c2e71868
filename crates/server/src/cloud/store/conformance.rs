//! The one test suite every [`CloudStore`] passes.

#![allow(clippy::unwrap_used)] // a test suite: failures should panic with context

use super::{CloudSession, CloudStore, Credential, Flow, FlowStatus};
use crate::cloud::vault::Sealed;

fn session(id: &str, token: &str, now: i64) -> CloudSession {
    CloudSession {
        id: id.into(),
        token_hash: token.into(),
        prev_hash: None,
        prev_until: 0,
        app: "app".into(),
        created_at: now,
        used_at: now,
        rotate: false,
    }
}

fn flow(id: &str, session: &str, provider: &str, expires_at: i64) -> Flow {
    Flow {
        id: id.into(),
        session: session.into(),
        app: "app".into(),
        provider: provider.into(),
        state_hash: format!("state-of-{id}"),
        verifier: Some(Sealed::from_stored("k.v".into())),
        origin: Some("https://app.example".into()),
        appurl: None,
        binding_hash: None,
        status: FlowStatus::Pending,
        detail: None,
        created_at: expires_at - 600_000,
        expires_at,
    }
}

fn credential(session: &str, provider: &str, access: &str) -> Credential {
    Credential {
        session: session.into(),
        provider: provider.into(),
        account: "ana@example.com".into(),
        access: Sealed::from_stored(access.into()),
        refresh: Some(Sealed::from_stored("k.r".into())),
        expires_at: Some(5_000),
        updated_at: 1_000,
    }
}

/// Runs every check against `store`, which must start empty.
pub async fn run(store: &dyn CloudStore) {
    // Sessions: found by the current token's hash, and by the previous one after a rotation.
    let mut s1 = session("s1", "h1", 1_000);
    store.insert_session(&s1).await.unwrap();
    store
        .insert_session(&session("s2", "h2", 1_000))
        .await
        .unwrap();
    assert_eq!(
        store.session_by_token("h1").await.unwrap(),
        Some(s1.clone())
    );
    assert_eq!(store.session_by_token("nope").await.unwrap(), None);
    assert_eq!(store.session("s1").await.unwrap(), Some(s1.clone()));
    assert_eq!(store.session("h1").await.unwrap(), None);
    s1.prev_hash = Some("h1".into());
    s1.token_hash = "h1b".into();
    s1.prev_until = 9_000;
    s1.used_at = 2_000;
    store.update_session(&s1).await.unwrap();
    assert_eq!(
        store.session_by_token("h1b").await.unwrap(),
        Some(s1.clone())
    );
    assert_eq!(
        store.session_by_token("h1").await.unwrap(),
        Some(s1.clone())
    );

    // Flows: by id, by state, the newest pending one of a session and provider.
    let f1 = flow("f1", "s1", "dropbox", 600_000);
    let f2 = flow("f2", "s1", "dropbox", 700_000);
    store.insert_flow(&f1).await.unwrap();
    store.insert_flow(&f2).await.unwrap();
    store
        .insert_flow(&flow("f3", "s1", "box", 900_000))
        .await
        .unwrap();
    assert_eq!(store.flow("f1").await.unwrap(), Some(f1.clone()));
    assert_eq!(
        store.flow_by_state("state-of-f2").await.unwrap(),
        Some(f2.clone())
    );
    assert_eq!(store.flow("nope").await.unwrap(), None);
    assert_eq!(
        store.pending_flow("s1", "dropbox", 0).await.unwrap(),
        Some(f2.clone())
    );
    assert_eq!(
        store.pending_flow("s1", "dropbox", 800_000).await.unwrap(),
        None
    );
    assert_eq!(store.pending_flow("s2", "dropbox", 0).await.unwrap(), None);

    // A flow moves on once: the second taker of the same step is refused.
    let mut started = f2.clone();
    started.status = FlowStatus::Started;
    started.binding_hash = Some("b".into());
    // Starting gives the flow its OAuth state: it is found by it from then on.
    started.state_hash = "state-at-start".into();
    assert!(
        store
            .advance_flow(FlowStatus::Pending, &started)
            .await
            .unwrap()
    );
    assert_eq!(
        store.flow_by_state("state-at-start").await.unwrap(),
        Some(started.clone())
    );
    assert_eq!(store.flow_by_state("state-of-f2").await.unwrap(), None);
    assert!(
        !store
            .advance_flow(FlowStatus::Pending, &started)
            .await
            .unwrap()
    );
    assert_eq!(store.flow("f2").await.unwrap(), Some(started.clone()));
    assert_eq!(
        store.pending_flow("s1", "dropbox", 0).await.unwrap(),
        Some(f1.clone()),
        "a started flow is no longer pending"
    );
    let mut exchanging = started.clone();
    exchanging.status = FlowStatus::Exchanging;
    assert!(
        store
            .advance_flow(FlowStatus::Started, &exchanging)
            .await
            .unwrap()
    );
    assert!(
        !store
            .advance_flow(FlowStatus::Started, &exchanging)
            .await
            .unwrap()
    );
    let mut gone = flow("nope", "s1", "dropbox", 1);
    gone.status = FlowStatus::Done;
    assert!(
        !store
            .advance_flow(FlowStatus::Pending, &gone)
            .await
            .unwrap()
    );

    // Credentials: one per session and provider, replaced, listed, deleted.
    store
        .put_credential(&credential("s1", "dropbox", "k.a1"))
        .await
        .unwrap();
    store
        .put_credential(&credential("s1", "box", "k.b1"))
        .await
        .unwrap();
    store
        .put_credential(&credential("s2", "dropbox", "k.c1"))
        .await
        .unwrap();
    let newer = credential("s1", "dropbox", "k.a2");
    store.put_credential(&newer).await.unwrap();
    assert_eq!(
        store.credential("s1", "dropbox").await.unwrap(),
        Some(newer)
    );
    assert_eq!(store.credential("s1", "github").await.unwrap(), None);
    let all: Vec<String> = store
        .credentials("s1")
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.provider)
        .collect();
    assert_eq!(all, ["box", "dropbox"]);
    assert!(store.delete_credential("s1", "box").await.unwrap());
    assert!(!store.delete_credential("s1", "box").await.unwrap());

    // Deleting a session takes its flows and credentials, not another session's.
    store.delete_session("s1").await.unwrap();
    assert_eq!(store.session_by_token("h1b").await.unwrap(), None);
    assert_eq!(store.flow("f1").await.unwrap(), None);
    assert_eq!(store.credentials("s1").await.unwrap(), []);
    assert!(store.credential("s2", "dropbox").await.unwrap().is_some());

    // Sweeping: sessions idle or too old go with what hangs off them; expired flows go.
    let mut idle = session("s3", "h3", 1_000);
    idle.used_at = 1_000;
    store.insert_session(&idle).await.unwrap();
    let mut fresh = session("s4", "h4", 50_000);
    fresh.used_at = 60_000;
    store.insert_session(&fresh).await.unwrap();
    store
        .insert_flow(&flow("f5", "s4", "box", 10_000))
        .await
        .unwrap();
    store
        .insert_flow(&flow("f6", "s4", "box", 90_000))
        .await
        .unwrap();
    store
        .put_credential(&credential("s3", "box", "k.x"))
        .await
        .unwrap();
    let n = store.sweep(20_000, 10_000, 0).await.unwrap();
    assert!(n >= 3, "swept {n}");
    assert_eq!(store.session_by_token("h3").await.unwrap(), None);
    assert_eq!(store.credential("s3", "box").await.unwrap(), None);
    assert_eq!(store.flow("f5").await.unwrap(), None);
    assert!(store.flow("f6").await.unwrap().is_some());
    assert!(store.session_by_token("h4").await.unwrap().is_some());
    // The absolute cap: created too long ago, however recently used.
    store.sweep(20_000, 0, 55_000).await.unwrap();
    assert_eq!(store.session_by_token("h4").await.unwrap(), None);
    assert_eq!(store.flow("f6").await.unwrap(), None);
}

/// After [`run`], a second handle on the same database sees what the first wrote.
pub async fn survives_reopen(first: &dyn CloudStore, second: &dyn CloudStore) {
    first
        .insert_session(&session("r1", "hr1", 1))
        .await
        .unwrap();
    first
        .put_credential(&credential("r1", "box", "k.z"))
        .await
        .unwrap();
    assert!(second.session_by_token("hr1").await.unwrap().is_some());
    assert_eq!(
        second
            .credential("r1", "box")
            .await
            .unwrap()
            .map(|c| c.access),
        Some(Sealed::from_stored("k.z".into()))
    );
}
