//! Cloud sources: places a person picks files from that are not their device (the app owner's
//! WebDAV server or S3-compatible bucket today; OAuth providers to come), behind the narrow [`Source`] port. Every
//! source passes the `conformance` suite; [`MemorySource`] is the in-memory twin the API tests
//! use. The Filestack Cloud API (`/folder/list`, `/store/`, `/auth/logout`) lives in
//! `routes/cloud.rs` and only ever sees this port.
//!
//! Items carry a [`Preview`]: the type's icon, a public image, or a picture the source makes,
//! which [`Source::thumbnail`] fetches when the picker shows it (`thumbnails`).
//!
//! Paths are the client's handle on an item and come back from it, so they are opaque to the
//! client and checked again here ([`CloudPath`]): a source never sees `..`, a NUL or a path that
//! does not start at its root.

use crate::config::SourcesConfig;
use crate::storage::ByteStream;
use async_trait::async_trait;
use std::fmt;
use std::sync::Arc;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod connected;
mod imports;
mod memory;
pub mod oauth;
mod path;
mod propfind;
pub mod provider;
#[cfg(test)]
mod provider_checks;
pub mod providers;
mod resume;
mod rooted;
mod s3;
pub mod sessions;
pub mod store;
pub mod thumbnails;
mod unsplash;
pub mod vault;
mod webdav;

pub use connected::{Connected, Connections, REFRESH_AHEAD_MS};
pub use imports::{Counter, IdError, ImportStatus, Imports, KEEP_ENDED_MS, MAX_TRACKED};
pub use memory::MemorySource;
pub use path::CloudPath;
pub use resume::{MAX_RESUMES, resuming};
pub use rooted::Rooted;
pub use s3::{S3Settings, S3Source};
pub use thumbnails::{Preview, Thumbnail};
pub use unsplash::UnsplashSource;
pub use webdav::WebdavSource;

/// One entry of a folder: a file, or a folder (whose path ends with `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudItem {
    /// The name a person reads.
    pub name: String,
    /// Where it is, for a later list or import.
    pub path: CloudPath,
    /// A folder.
    pub folder: bool,
    /// Bytes (0 for folders).
    pub size: u64,
    /// Media type, when the source knows one (else the server guesses from the name).
    pub mimetype: Option<String>,
    /// What the listing shows as its thumbnail.
    pub preview: Preview,
}

/// One page of a folder's entries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    /// Entries, folders first, then by name.
    pub items: Vec<CloudItem>,
    /// Where the next page starts, when there is one (opaque to the client).
    pub next: Option<String>,
    /// A page at the provider where the person first chooses what this folder will hold
    /// (Google Photos' picker), when that is how the source works.
    pub pick_url: Option<String>,
}

/// A file's bytes from some offset on.
pub struct Download {
    /// The file's name.
    pub name: String,
    /// Its whole size, when the source says.
    pub size: Option<u64>,
    /// Its media type, when the source says.
    pub mimetype: Option<String>,
    /// The bytes from the offset asked for to the end.
    pub body: ByteStream,
}

impl fmt::Debug for Download {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Download")
            .field("name", &self.name)
            .field("size", &self.size)
            .field("mimetype", &self.mimetype)
            .finish_non_exhaustive()
    }
}

/// Why a source could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// No such file or folder.
    #[error("{0} was not found in the source")]
    NotFound(String),
    /// A file was asked to list, or a folder to download.
    #[error("{0}")]
    WrongKind(String),
    /// The source refused the server's credentials.
    #[error("the source refused the server's credentials ({0})")]
    Unauthorized(String),
    /// The source asked to slow down.
    #[error("the source asked to slow down")]
    RateLimited {
        /// Seconds it asked to wait, when it said.
        retry_after: Option<u64>,
    },
    /// The source failed or answered something unreadable.
    #[error("the source failed: {0}")]
    Upstream(String),
    /// The picker session holds no (longer a) connection to this provider: connect again.
    #[error("not connected to {0}: sign in again")]
    NotConnected(String),
    /// The provider refused the request for a reason of its own (a 4xx that is not about
    /// credentials, rate or existence), with what it said.
    #[error("the source refused the request: {0}")]
    Refused(String),
}

/// A place files are picked from.
#[async_trait]
pub trait Source: Send + Sync + fmt::Debug {
    /// The name clients use (`webdav`, `dropbox`, …), the key of `clouds` in the Cloud API.
    fn name(&self) -> &'static str;

    /// The name people and webhooks see ("WebDAV", "Dropbox", …).
    fn display_name(&self) -> &'static str;

    /// One page of the folder `dir`, from `cursor` (a [`Page::next`] this source gave).
    async fn list(&self, dir: &CloudPath, cursor: Option<&str>) -> Result<Page, SourceError>;

    /// The file at `path`, from byte `from` on (to resume an import whose connection dropped).
    async fn open(&self, path: &CloudPath, from: u64) -> Result<Download, SourceError>;

    /// The name a person reads for the folder `dir` (sources that put ids in paths override it).
    fn folder_name(&self, dir: &CloudPath) -> String {
        dir.name().to_owned()
    }

    /// A picture of the file at `path`, for an item this source listed with
    /// [`Preview::Made`], given that preview's `hint`. `Ok(None)`: the source makes no picture
    /// of it (the default: the listing shows the type's icon).
    async fn thumbnail(
        &self,
        path: &CloudPath,
        hint: Option<&str>,
    ) -> Result<Option<Thumbnail>, SourceError> {
        let _ = (path, hint);
        Ok(None)
    }
}

/// A source an app offers.
#[derive(Debug, Clone)]
pub enum Offered {
    /// One that needs no sign-in: the owner's own (WebDAV, a bucket) or a server-key search.
    Open(Arc<dyn Source>),
    /// An OAuth provider: a [`Connected`] source per picker session.
    OAuth(Arc<dyn provider::Provider>),
}

/// The sources `[sources.*]` configures; an error names the section and the problem.
pub fn from_config(config: &SourcesConfig) -> Result<Vec<Arc<dyn Source>>, String> {
    let mut sources: Vec<Arc<dyn Source>> = Vec::new();
    if let Some(w) = &config.webdav {
        let password = w.password.as_ref().map(|p| p.0.clone());
        let source = WebdavSource::new(&w.url, w.username.clone(), password)
            .map_err(|e| format!("[sources.webdav] url: {e}"))?;
        sources.push(Arc::new(source));
    }
    if let Some(b) = &config.customsource {
        let settings = S3Settings {
            endpoint: b.endpoint.clone(),
            region: b.region.clone(),
            bucket: b.bucket.clone(),
            prefix: b.prefix.clone(),
            access_key_id: b.access_key_id.clone(),
            secret_access_key: b.secret_access_key.0.clone(),
        };
        let source =
            S3Source::new(&settings).map_err(|e| format!("[sources.customsource]: {e}"))?;
        sources.push(Arc::new(source));
    }
    if let Some(u) = &config.unsplash {
        let source = UnsplashSource::new(&u.api_key.0, u.api_url.as_deref())
            .map_err(|e| format!("[sources.unsplash] {e}"))?;
        sources.push(Arc::new(source));
    }
    Ok(sources)
}
