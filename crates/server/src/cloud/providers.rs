//! The OAuth providers, built from their `[sources.<name>]` sections (and an app's overrides).

use super::provider::Provider;
use crate::config::{OAuthSourceConfig, SourcesConfig};
use std::sync::Arc;

mod box_api;
mod dropbox;
mod github;
mod googledrive;
mod googlephotos;
mod onedrive;

pub use box_api::BoxApi;
pub use dropbox::Dropbox;
pub use github::GitHub;
pub use googledrive::GoogleDrive;
pub use googlephotos::GooglePhotos;
pub use onedrive::OneDrive;

/// The provider `name` with the settings `config`; an error names the problem.
pub fn build(name: &str, config: &OAuthSourceConfig) -> Result<Arc<dyn Provider>, String> {
    Ok(match name {
        "dropbox" => Arc::new(Dropbox::new(config)?),
        "box" => Arc::new(BoxApi::new(config)?),
        "github" => Arc::new(GitHub::new(config)?),
        "googledrive" => Arc::new(GoogleDrive::new(config)?),
        "googlephotos" => Arc::new(GooglePhotos::new(config)?),
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

/// The OAuth half of a provider from its section: the client, and the authorization and token
/// endpoints (the provider's own, `auth` and `token`, unless the section overrides them). No
/// scopes, PKCE on, no revocation endpoint: each provider sets its own on top.
pub(crate) fn oauth_app(
    c: &OAuthSourceConfig,
    auth: &str,
    token: &str,
) -> Result<crate::cloud::oauth::OAuthApp, String> {
    Ok(crate::cloud::oauth::OAuthApp {
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.as_ref().map(|s| s.0.clone()),
        auth_url: url_or(c.auth_url.as_ref(), auth, "auth_url")?,
        token_url: url_or(c.token_url.as_ref(), token, "token_url")?,
        revoke_url: None,
        scopes: Vec::new(),
        pkce: true,
        extra: Vec::new(),
        scopes_on_refresh: false,
    })
}

/// The revocation endpoint next to a token endpoint (`…/token` → `…/revoke`: Google, Box).
pub(crate) fn revoke_beside(token_url: &url::Url) -> Result<url::Url, String> {
    token_url
        .join("revoke")
        .map_err(|e| format!("token_url: {e}"))
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
