//! Azure Blob Storage as a location files are moved to (`[locations.<name>] kind = "azure"`,
//! docs/protocol.md §6.2), through object_store: whole objects written, read, deleted and
//! listed under `<prefix>/objects/` of one container. Uploads never land here (no staged
//! pieces, no assembly): the transfer queue copies finished files in.

use super::objects;
use super::{ByteStream, Expect, ObjectInfo, Piece, Storage, StorageError, Written};
use crate::config::Secret;
use async_trait::async_trait;
use object_store::ObjectStore;
use object_store::azure::{MicrosoftAzure, MicrosoftAzureBuilder};
use object_store::path::Path as Key;
use std::ops::Range;
use std::sync::Arc;

/// What an Azure location needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureSettings {
    /// Storage account name.
    pub account: String,
    /// The account's access key (never shown).
    pub access_key: Secret,
    /// Container, which must exist.
    pub container: String,
    /// The Blob service's URL with the account (`http://127.0.0.1:10000/devstoreaccount1` for
    /// Azurite); none for Azure itself (`https://<account>.blob.core.windows.net`).
    pub endpoint: Option<String>,
    /// Key prefix everything is stored under; none for the container's root.
    pub prefix: Option<String>,
}

/// One container of Azure Blob Storage (or Azurite).
#[derive(Debug, Clone)]
pub struct AzureStorage {
    store: Arc<MicrosoftAzure>,
    root: Key,
    account: String,
    container: String,
    /// The service's URL, for messages.
    endpoint: String,
}

impl AzureStorage {
    /// A client for the container; the error names the setting at fault.
    pub fn new(s: &AzureSettings) -> Result<Self, String> {
        crate::fetch::ensure_crypto_provider();
        for (key, value) in [("account", &s.account), ("container", &s.container)] {
            if value.trim().is_empty() {
                return Err(format!("{key} is empty"));
            }
        }
        let mut builder = MicrosoftAzureBuilder::new()
            .with_client_options(super::objects::client_options())
            .with_retry(super::objects::retry_config())
            .with_account(&s.account)
            .with_access_key(&s.access_key.0)
            .with_container_name(&s.container);
        if let Some(endpoint) = &s.endpoint {
            builder = builder
                .with_endpoint(endpoint.clone())
                .with_allow_http(endpoint.starts_with("http://"));
        }
        let store = builder
            .build()
            .map_err(|e| format!("endpoint: {}", crate::fetch::error_chain(&e)))?;
        let prefix = s.prefix.as_deref().unwrap_or_default().trim_matches('/');
        Ok(Self {
            store: Arc::new(store),
            root: Key::from(prefix),
            account: s.account.clone(),
            container: s.container.clone(),
            endpoint: s
                .endpoint
                .clone()
                .unwrap_or_else(|| format!("https://{}.blob.core.windows.net", s.account)),
        })
    }

    /// Lists at most one blob: the container exists and the key may read it. The error names
    /// the setting most likely at fault, never the key.
    pub async fn check(&self) -> Result<(), String> {
        use futures_util::StreamExt as _;
        let mut listing = self.store.list(Some(&self.root));
        let e = match listing.next().await {
            None | Some(Ok(_)) => return Ok(()),
            Some(Err(e)) => e,
        };
        let (container, endpoint) = (&self.container, &self.endpoint);
        // object_store reports a missing container as a generic error; the service's error
        // code (in the body it quotes) says what happened. Its text repeats that body once per
        // level of the chain, so the messages below quote it only where nothing more specific
        // can be said.
        let text = e.to_string();
        let has = |code: &str| text.contains(code);
        Err(if has("ContainerNotFound") {
            format!("container: no container {container:?} at {endpoint} (create it first)")
        } else if has("AuthenticationFailed") || has("AuthorizationFailure") || has(" 403 ") {
            // An account key may do anything in its account, so a refusal means the signature
            // was wrong (Azure says AuthenticationFailed, Azurite AuthorizationFailure).
            format!("access_key: {endpoint} refused the signature: the key is not the account's")
        } else if has("ResourceNotFound") || has("AccountNotFound") {
            format!("account: {endpoint} has no account {:?}", self.account)
        } else if super::s3::requests::is_outage(&e) {
            format!("endpoint: cannot reach {endpoint}: {text}")
        } else {
            format!("endpoint: listing container {container:?} at {endpoint}: {text}")
        })
    }

    fn object(&self, name: &str) -> Result<Key, StorageError> {
        Ok(self.objects().join(super::s3::segment(name)?))
    }

    fn objects(&self) -> Key {
        self.root.clone().join("objects")
    }
}

/// Uploads land in an app's storage, never in a location.
fn not_for_uploads() -> StorageError {
    StorageError::Refused {
        what: "azure".into(),
        cause: "Azure Blob Storage is a location files are moved to, not where uploads land".into(),
    }
}

#[async_trait]
impl Storage for AzureStorage {
    fn location(&self) -> &'static str {
        "azure"
    }

    async fn stage(&self, _: &str, _: ByteStream, _: Expect) -> Result<Written, StorageError> {
        Err(not_for_uploads())
    }

    async fn discard(&self, _: &str, _: &str) -> Result<(), StorageError> {
        Ok(())
    }

    async fn discard_upload(&self, _: &str) -> Result<(), StorageError> {
        Ok(())
    }

    async fn assemble(&self, _: &str, _: &str, _: &[Piece]) -> Result<u64, StorageError> {
        Err(not_for_uploads())
    }

    async fn put(
        &self,
        name: &str,
        body: ByteStream,
        expect: Expect,
    ) -> Result<Written, StorageError> {
        let key = self.object(name)?;
        let store: Arc<dyn ObjectStore> = self.store.clone();
        let (size, md5) = objects::write(store, key, body, expect).await?;
        Ok(Written {
            id: String::new(),
            size,
            md5,
        })
    }

    async fn get(&self, name: &str, range: Option<Range<u64>>) -> Result<ByteStream, StorageError> {
        let key = self.object(name)?;
        objects::read(self.store.as_ref(), &key, &format!("blob {name}"), range).await
    }

    async fn delete(&self, name: &str) -> Result<(), StorageError> {
        let key = self.object(name)?;
        objects::delete(self.store.as_ref(), &key, &format!("blob {name}")).await
    }

    async fn list(&self) -> Result<Vec<ObjectInfo>, StorageError> {
        objects::list(self.store.as_ref(), &self.objects()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{azurite, conformance};

    fn settings(az: &azurite::Azurite, container: &str, key: &str) -> AzureSettings {
        AzureSettings {
            account: azurite::ACCOUNT.into(),
            access_key: Secret(key.into()),
            container: container.into(),
            endpoint: Some(az.endpoint.clone()),
            prefix: None,
        }
    }

    /// The shared suite's checks for a location, at the container's root and under a prefix,
    /// which keeps the two apart.
    #[tokio::test]
    async fn passes_the_location_suite_on_azurite() {
        let Some(az) = azurite::start().await else {
            return;
        };
        az.create_container("skiff").await;
        let root = AzureStorage::new(&settings(&az, "skiff", azurite::KEY)).unwrap();
        root.check().await.unwrap();
        conformance::run_location(&root).await;

        let under = AzureStorage::new(&AzureSettings {
            prefix: Some("/tenant/a/".into()),
            ..settings(&az, "skiff", azurite::KEY)
        })
        .unwrap();
        conformance::run_location(&under).await;
        under
            .put("kept", conformance::body(b"x"), Expect::AtMost(1))
            .await
            .unwrap();
        assert!(root.list().await.unwrap().is_empty());
        assert_eq!(under.list().await.unwrap().len(), 1);
    }

    /// `check` names the setting at fault, and never says the key.
    #[tokio::test]
    async fn check_names_the_setting_at_fault() {
        let Some(az) = azurite::start().await else {
            return;
        };
        az.create_container("skiff").await;
        let missing = AzureStorage::new(&settings(&az, "nope", azurite::KEY)).unwrap();
        assert_eq!(
            missing.check().await.unwrap_err(),
            format!(
                "container: no container \"nope\" at {} (create it first)",
                az.endpoint
            )
        );
        // A key of the right form that is not the account's.
        let wrong_key = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7; 64]);
        let wrong = AzureStorage::new(&settings(&az, "skiff", &wrong_key)).unwrap();
        assert_eq!(
            wrong.check().await.unwrap_err(),
            format!(
                "access_key: {} refused the signature: the key is not the account's",
                az.endpoint
            )
        );

        let stranger = AzureStorage::new(&AzureSettings {
            account: "nobody".into(),
            endpoint: Some(az.endpoint.replace(azurite::ACCOUNT, "nobody")),
            ..settings(&az, "skiff", azurite::KEY)
        })
        .unwrap();
        assert_eq!(
            stranger.check().await.unwrap_err(),
            format!(
                "account: {} has no account \"nobody\"",
                az.endpoint.replace(azurite::ACCOUNT, "nobody")
            )
        );

        let port = crate::test_peers::free_port();
        let nobody = AzureStorage::new(&AzureSettings {
            endpoint: Some(format!("http://127.0.0.1:{port}/{}", azurite::ACCOUNT)),
            ..settings(&az, "skiff", azurite::KEY)
        })
        .unwrap();
        let err = nobody.check().await.unwrap_err();
        assert!(
            err.starts_with(&format!("endpoint: cannot reach http://127.0.0.1:{port}/")),
            "{err}"
        );

        for (field, s) in [
            (
                "account",
                AzureSettings {
                    account: " ".into(),
                    ..settings(&az, "skiff", azurite::KEY)
                },
            ),
            ("container", settings(&az, "", azurite::KEY)),
        ] {
            assert_eq!(
                AzureStorage::new(&s).unwrap_err(),
                format!("{field} is empty")
            );
        }
    }
}
