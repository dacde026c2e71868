//! The OAuth providers, built from their `[sources.<name>]` sections (and an app's overrides).

use super::provider::Provider;
use crate::config::{OAuthSourceConfig, SourcesConfig};
use std::sync::Arc;

mod box_api;
mod dropbox;
mod github;
mod onedrive;

pub use box_api::BoxApi;
pub use dropbox::Dropbox;
pub use github::GitHub;
pub use onedrive::OneDrive;

/// The provider `name` with the settings `config`; an error names the problem.
pub fn build(name: &str, config: &OAuthSourceConfig) -> Result<Arc<dyn Provider>, String> {
    Ok(match name {
        "dropbox" => Arc::new(Dropbox::new(config)?),
        "box" => Arc::new(BoxApi::new(config)?),
        "github" => Arc::new(GitHub::new(config)?),
        "onedrive" => Arc::new(OneDrive::personal(config)?),
        "onedriveforbusiness" => Arc::new(OneDrive::business(config)?),
        other => return Err(format!("{other} is not implemented yet")),
    })
}

/// Every provider `[sources.*]` configures.
pub fn from_config(config: &SourcesConfig) -> Result<Vec<Arc<dyn Provider>>, String> {
    config
        .oauth()
        .into_iter()
        .filter_map(|(name, c)| c.map(|c| (name, c)))
        .map(|(name, c)| build(name, c).map_err(|e| format!("[sources.{name}]: {e}")))
        .collect()
}

/// A URL setting, or the provider's own when absent.
pub(crate) fn url_or(set: Option<&String>, default: &str, key: &str) -> Result<url::Url, String> {
    let raw = set.map_or(default, String::as_str);
    let u = url::Url::parse(raw).map_err(|e| format!("{key} {raw:?}: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!("{key} {raw:?} is not an http(s) URL"));
    }
    Ok(u)
}

/// `base` joined with `path` (`base` may end in `/` or not).
pub(crate) fn at(base: &url::Url, path: &str) -> String {
    format!("{}{path}", base.as_str().trim_end_matches('/'))
}
