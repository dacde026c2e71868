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
    container: String,
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
            container: s.container.clone(),
        })
    }

    /// Lists at most one blob: the container exists and the key may read it. The error names
    /// the setting most likely at fault, never the key.
    pub async fn check(&self) -> Result<(), String> {
        use futures_util::StreamExt as _;
        let mut listing = self.store.list(Some(&self.root));
        match listing.next().await {
            None | Some(Ok(_)) => Ok(()),
            Some(Err(object_store::Error::NotFound { .. })) => Err(format!(
                "container: no container {:?} (create it first)",
                self.container
            )),
            Some(Err(e)) => {
                let text = crate::fetch::error_chain(&e);
                let setting = if text.contains("403") || text.contains("AuthenticationFailed") {
                    "access_key"
                } else {
                    "endpoint"
                };
                Err(format!("{setting}: {text}"))
            }
        }
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
