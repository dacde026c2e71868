//! The checks every OAuth provider passes against its stand-in, on top of the source
//! conformance suite (which also asks each for a picture of its image): signing in with the code flow (PKCE where the provider takes it), one
//! refresh after the access token expires even under concurrent calls, a refused refresh
//! (`invalid_grant`) ending the connection, 401/429/5xx mapped as Companion maps them, a big
//! file streamed whole, and logging out revoking at the provider.

#![allow(clippy::unwrap_used)] // a test suite: failures should panic with context

use super::conformance;
use super::provider::{Provider, Revocation};
use super::store::MemoryCloudStore;
use super::vault::Vault;
use super::{CloudPath, Connected, Connections, Source, SourceError};
use crate::clock::SystemClock;
use bytes::Bytes;
use futures_util::TryStreamExt;
use skiff_standins::StandIn;
use std::sync::Arc;

/// Where tests say providers send the browser back to.
pub(crate) const CALLBACK: &str = "http://127.0.0.1:9/cloud/auth/{provider}/callback";

/// Connections in memory, as a server would keep them.
pub(crate) fn connections() -> Arc<Connections> {
    Arc::new(Connections::new(
        Arc::new(MemoryCloudStore::default()),
        Vault::new(&[7; 32], &[]),
        Arc::new(SystemClock),
        CALLBACK.into(),
    ))
}

/// Settings pointing a provider at `standin`: its client, its authorize and token paths on
/// the main host, the API there, and the content host.
pub(crate) fn config(
    standin: &StandIn,
    client: (&str, &str),
    authorize: &str,
    token: &str,
) -> crate::config::OAuthSourceConfig {
    crate::config::OAuthSourceConfig {
        client_id: client.0.into(),
        client_secret: Some(crate::config::Secret(client.1.into())),
        auth_url: Some(format!("{}{authorize}", standin.url())),
        token_url: Some(format!("{}{token}", standin.url())),
        api_url: Some(standin.url()),
        content_url: Some(standin.content_url()),
    }
}

/// `provider` as a session signed in through `standin` sees it.
pub(crate) async fn signed_in(provider: Arc<dyn Provider>, standin: &StandIn) -> Connected {
    let conns = connections();
    sign_in(&conns, provider.as_ref(), standin, "s1").await;
    Connected::new(conns, provider, "s1")
}

/// Every entry of `dir`, page after page, in the order the source gave them.
pub(crate) async fn all_items(source: &dyn Source, dir: &CloudPath) -> Vec<super::CloudItem> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = source.list(dir, cursor.as_deref()).await.unwrap();
        items.extend(page.items);
        match page.next {
            Some(n) => cursor = Some(n),
            None => return items,
        }
    }
}

/// The files of the conformance tree, for a stand-in.
pub(crate) fn files() -> Vec<(&'static str, Vec<u8>)> {
    conformance::tree()
}

/// Signs `session` in through the stand-in's real authorize and token endpoints: the
/// authorization URL the provider builds, the stand-in's redirect with a code, the exchange.
pub(crate) async fn sign_in(
    conns: &Connections,
    provider: &dyn Provider,
    standin: &StandIn,
    session: &str,
) {
    let redirect = conns.redirect_uri(provider.name());
    standin.core.register_redirect(redirect.as_str());
    let auth = provider.oauth().authorize(&redirect, "st4te");
    crate::fetch::ensure_crypto_provider();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = http.get(auth.url.clone()).send().await.unwrap();
    assert_eq!(
        resp.status(),
        302,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let back = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "st4te");
    let tokens = provider
        .oauth()
        .exchange(&redirect, &q["code"], auth.verifier.as_deref())
        .await
        .unwrap();
    // A code works once.
    assert!(
        provider
            .oauth()
            .exchange(&redirect, &q["code"], auth.verifier.as_deref())
            .await
            .is_err()
    );
    let account = provider
        .account(&super::provider::AccessToken(tokens.access.clone()))
        .await
        .unwrap();
    assert!(!account.is_empty());
    conns
        .connect(session, provider.name(), &account, &tokens)
        .await
        .unwrap();
}

async fn read(source: &dyn Source, path: &CloudPath) -> Vec<u8> {
    let d = source.open(path, 0).await.unwrap();
    let chunks: Vec<Bytes> = d.body.try_collect().await.unwrap();
    chunks.concat()
}

/// What differs between providers in the checks.
#[derive(Debug, Clone)]
pub(crate) struct Checks {
    /// Where the conformance tree sits, when not at the root (GitHub: a repository's branch).
    pub(crate) root: Option<CloudPath>,
    /// Whether access tokens expire and are refreshed (GitHub OAuth apps: no).
    pub(crate) refreshes: bool,
    /// Whether the source holds the conformance tree (Google Photos holds what the person
    /// chose: no).
    pub(crate) conformance: bool,
}

impl Default for Checks {
    fn default() -> Self {
        Self {
            root: None,
            refreshes: true,
            conformance: true,
        }
    }
}

/// Runs the conformance suite and the OAuth checks. `standin` serves [`files`] and `provider`
/// points at it.
pub(crate) async fn run(provider: Arc<dyn Provider>, standin: &StandIn) {
    run_with(provider, standin, Checks::default()).await;
}

/// [`run`], for a provider that differs as `checks` says.
pub(crate) async fn run_with(provider: Arc<dyn Provider>, standin: &StandIn, checks: Checks) {
    let conns = connections();
    sign_in(&conns, provider.as_ref(), standin, "s1").await;
    let source = Connected::new(conns.clone(), provider.clone(), "s1");
    match &checks.root {
        _ if !checks.conformance => {}
        Some(root) => {
            let inner: Arc<dyn Source> = Arc::new(source.clone());
            conformance::run(&super::Rooted::new(inner, root.clone()).unwrap()).await;
        }
        None => conformance::run(&source).await,
    }

    // A cursor from another folder, session or a made-up one is refused, not followed.
    let top = CloudPath::root();
    let root = source.list(&top, None).await.unwrap();
    assert!(source.list(&top, Some("made-up")).await.is_err());

    // The access token expires: the next calls refresh it once, concurrent or not.
    if checks.refreshes {
        let refreshes = standin.core.knobs().refreshes;
        standin.core.expire_access();
        let calls = (0..4).map(|_| source.list(&top, None));
        let names = |items: &[super::CloudItem]| -> Vec<String> {
            items.iter().map(|i| i.name.clone()).collect()
        };
        for r in futures_util::future::join_all(calls).await {
            assert_eq!(names(&r.unwrap().items), names(&root.items));
        }
        assert_eq!(
            standin.core.knobs().refreshes,
            refreshes + 1,
            "one refresh for four calls"
        );
    }

    // Rate limits and outages are named as such.
    standin.fail_next("", 429, 1, Some(3));
    assert!(matches!(
        source.list(&CloudPath::root(), None).await,
        Err(SourceError::RateLimited {
            retry_after: Some(3)
        })
    ));
    standin.fail_next("", 503, 1, None);
    assert!(matches!(
        source.list(&CloudPath::root(), None).await,
        Err(SourceError::Upstream(_))
    ));
    // A 401 the refresh cannot cure: the connection is over.
    standin.core.expire_access();
    standin.core.revoke_refresh();
    assert!(matches!(
        source.list(&CloudPath::root(), None).await,
        Err(SourceError::NotConnected(_))
    ));
    assert!(
        conns
            .account("s1", provider.name())
            .await
            .unwrap()
            .is_none()
    );

    // Logging out revokes at the provider and forgets the connection.
    sign_in(&conns, provider.as_ref(), standin, "s2").await;
    let r = conns.disconnect("s2", provider.as_ref()).await.unwrap();
    assert!(
        matches!(r, Some(Revocation::Revoked | Revocation::Manual(_))),
        "{r:?}"
    );
    assert!(
        conns
            .account("s2", provider.name())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        conns
            .disconnect("s2", provider.as_ref())
            .await
            .unwrap()
            .is_none()
    );
}

/// Streams a file of ≥ 20 MiB whole from a stand-in serving it at `/big.bin`.
pub(crate) async fn big_file(provider: Arc<dyn Provider>, standin: &StandIn, want: &[u8]) {
    let source = signed_in(provider, standin).await;
    let root = source.list(&CloudPath::root(), None).await.unwrap();
    let item = root.items.iter().find(|i| i.name == "big.bin").unwrap();
    assert_eq!(item.size, want.len() as u64);
    let got = read(&source, &item.path).await;
    assert!(got == want, "20 MiB streamed whole ({} bytes)", got.len());
}
