//! The cloud sources' settings: `[sources.<name>]` (what the server offers), per app the
//! sources it offers with any keys it overrides (`[apps.sources.<name>]`) and the origins its
//! picker runs on, and `[cloud]` (the token vault's key, picker session lifetimes).

use super::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The cloud sources the server offers: the `[sources.<name>]` sections.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourcesConfig {
    /// The app owner's WebDAV server (`[sources.webdav]`).
    pub webdav: Option<WebdavConfig>,
    /// The app owner's S3-compatible bucket (`[sources.customsource]`, Filestack's name).
    pub customsource: Option<BucketSourceConfig>,
    /// Google Drive (`[sources.googledrive]`).
    pub googledrive: Option<OAuthSourceConfig>,
    /// Dropbox.
    pub dropbox: Option<OAuthSourceConfig>,
    /// Box.
    pub r#box: Option<OAuthSourceConfig>,
    /// OneDrive, personal and work accounts (Microsoft Graph, tenant `common`).
    pub onedrive: Option<OAuthSourceConfig>,
    /// OneDrive for Business (Microsoft Graph, tenant `organizations`).
    pub onedriveforbusiness: Option<OAuthSourceConfig>,
    /// Google Photos (the Photos Picker API).
    pub googlephotos: Option<OAuthSourceConfig>,
    /// GitHub repositories.
    pub github: Option<OAuthSourceConfig>,
    /// Unsplash image search (a server key; also answers Filestack's `imagesearch`).
    pub unsplash: Option<UnsplashConfig>,
}

/// `[sources.customsource]`: a bucket people pick files from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketSourceConfig {
    /// Endpoint URL; AWS's for the region when absent.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Region (default `us-east-1`; self-hosted servers take any).
    #[serde(default = "default_region")]
    pub region: String,
    /// Bucket.
    pub bucket: String,
    /// Key prefix shown as the root; the whole bucket when absent.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key (never logged).
    pub secret_access_key: Secret,
}

fn default_region() -> String {
    "us-east-1".into()
}

impl SourcesConfig {
    /// The names of the configured sources.
    pub fn configured(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.webdav.is_some() {
            names.push("webdav");
        }
        if self.customsource.is_some() {
            names.push("customsource");
        }
        for (name, c) in self.oauth() {
            if c.is_some() {
                names.push(name);
            }
        }
        if self.unsplash.is_some() {
            names.push("unsplash");
            names.push("imagesearch");
        }
        names
    }

    /// Each OAuth source's name and section.
    pub fn oauth(&self) -> [(&'static str, Option<&OAuthSourceConfig>); 7] {
        [
            ("googledrive", self.googledrive.as_ref()),
            ("dropbox", self.dropbox.as_ref()),
            ("box", self.r#box.as_ref()),
            ("onedrive", self.onedrive.as_ref()),
            ("onedriveforbusiness", self.onedriveforbusiness.as_ref()),
            ("googlephotos", self.googlephotos.as_ref()),
            ("github", self.github.as_ref()),
        ]
    }
}

/// `[sources.webdav]`: the tree people pick from, and the server's credentials for it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebdavConfig {
    /// Base URL of the tree (Nextcloud: `https://host/remote.php/dav/files/<user>/`).
    pub url: String,
    /// Basic auth user name.
    #[serde(default)]
    pub username: Option<String>,
    /// Basic auth password (Nextcloud: an app password).
    #[serde(default)]
    pub password: Option<Secret>,
}

/// `[sources.<oauth provider>]`: the OAuth client registered with the provider, and endpoint
/// overrides (a regional endpoint, or a stand-in in tests). Absent endpoints are the
/// provider's real ones.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthSourceConfig {
    /// The client id the provider gave.
    pub client_id: String,
    /// Its secret (never logged; none for a PKCE-only public client).
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// Authorization endpoint.
    #[serde(default)]
    pub auth_url: Option<String>,
    /// Token endpoint.
    #[serde(default)]
    pub token_url: Option<String>,
    /// API base URL.
    #[serde(default)]
    pub api_url: Option<String>,
    /// Content (download) base URL, for providers with a separate one.
    #[serde(default)]
    pub content_url: Option<String>,
}

/// `[sources.unsplash]`: the server's access key (it never reaches the browser).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnsplashConfig {
    /// The access key (`Authorization: Client-ID …`).
    pub api_key: Secret,
    /// API base URL.
    #[serde(default)]
    pub api_url: Option<String>,
}

/// `[apps.sources.<name>]`: keys one app uses instead of the server's (its own OAuth client).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourceOverride {
    /// OAuth client id.
    pub client_id: Option<String>,
    /// OAuth client secret.
    pub client_secret: Option<Secret>,
    /// Unsplash access key.
    pub api_key: Option<Secret>,
    /// Authorization endpoint.
    pub auth_url: Option<String>,
    /// Token endpoint.
    pub token_url: Option<String>,
    /// API base URL.
    pub api_url: Option<String>,
    /// Content base URL.
    pub content_url: Option<String>,
}

impl SourceOverride {
    /// `base` with this override's keys in place of its own.
    pub fn apply(&self, base: &OAuthSourceConfig) -> OAuthSourceConfig {
        let pick = |o: &Option<String>, b: &Option<String>| o.clone().or_else(|| b.clone());
        OAuthSourceConfig {
            client_id: self
                .client_id
                .clone()
                .unwrap_or_else(|| base.client_id.clone()),
            client_secret: self
                .client_secret
                .clone()
                .or_else(|| base.client_secret.clone()),
            auth_url: pick(&self.auth_url, &base.auth_url),
            token_url: pick(&self.token_url, &base.token_url),
            api_url: pick(&self.api_url, &base.api_url),
            content_url: pick(&self.content_url, &base.content_url),
        }
    }
}

/// An app's `sources`: a list of names (`sources = ["dropbox", "webdav"]`), or a table of them
/// with the keys this app overrides (`[apps.sources.dropbox]` `client_id = …`). Either way the
/// app offers exactly the sources named.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum AppSources {
    /// Names only.
    Names(Vec<String>),
    /// Names with overrides.
    Overrides(BTreeMap<String, SourceOverride>),
}

impl AppSources {
    /// The names offered.
    pub fn names(&self) -> Vec<&str> {
        match self {
            Self::Names(n) => n.iter().map(String::as_str).collect(),
            Self::Overrides(m) => m.keys().map(String::as_str).collect(),
        }
    }

    /// The overrides of source `name`, if any.
    pub fn overrides(&self, name: &str) -> Option<&SourceOverride> {
        match self {
            Self::Names(_) => None,
            Self::Overrides(m) => m.get(name),
        }
    }
}

/// `[cloud]`: the token vault and picker sessions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CloudConfig {
    /// The key provider tokens are sealed with: 64 hex digits (also `SKIFF_VAULT_KEY`). When
    /// absent, the server makes one in `<data>/vault.key` on first run; instances that share
    /// a database must share the key, so set it there.
    pub vault_key: Option<Secret>,
    /// Earlier keys, still used to open what they sealed (rotation: the new key goes in
    /// `vault_key`, the old one here until every connection has been used or has expired).
    pub previous_vault_keys: Vec<Secret>,
    /// A picker session unused this long ends, seconds (default 24 h).
    pub session_ttl_secs: u64,
    /// A picker session ends this long after it began however it is used, seconds (default
    /// 30 days: filestack-js's `sessionCache` keeps the token in `localStorage`).
    pub session_max_secs: u64,
}

impl Default for CloudConfig {
    fn default() -> Self {
        Self {
            vault_key: None,
            previous_vault_keys: Vec::new(),
            session_ttl_secs: 24 * 3600,
            session_max_secs: 30 * 24 * 3600,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{AppSources, Config};

    /// The README's example config is one the server takes, sources and overrides included.
    #[test]
    fn the_readme_example_parses_and_validates() {
        let readme = include_str!("../../../../README.md");
        let start = readme.find("```toml\n").expect("a toml block") + 8;
        let end = start + readme[start..].find("```").expect("its end");
        let mut cfg: Config = toml::from_str(&readme[start..end]).expect("the example parses");
        // The example's demo folder exists only after a build.
        cfg.demo = None;
        cfg.validate().expect("the example validates");
        assert_eq!(cfg.apps.len(), 2);
        assert_eq!(
            cfg.apps[0].sources.as_ref().map(AppSources::names),
            Some(vec!["webdav", "dropbox"])
        );
        let partner = cfg.apps[1].sources.as_ref().unwrap();
        assert_eq!(partner.names(), ["dropbox", "webdav"]);
        assert_eq!(
            partner
                .overrides("dropbox")
                .and_then(|o| o.client_id.as_deref()),
            Some("partner-dropbox-app")
        );
        assert!(cfg.sources.configured().contains(&"imagesearch"));
    }

    #[test]
    fn bad_cloud_settings_are_named() {
        let bad = |toml_text: &str| {
            let cfg: Config = toml::from_str(toml_text).unwrap();
            cfg.validate().unwrap_err().to_string()
        };
        let app = "[[apps]]\nkey = \"k\"\n";
        assert!(bad(&format!("{app}[cloud]\nvault_key = \"abc\"\n")).contains("vault_key"));
        assert!(
            bad(&format!(
                "{app}allowed_origins = [\"https://a.example/path\"]\n"
            ))
            .contains("allowed origin")
        );
        assert!(bad(&format!("{app}sources = [\"dropbox\"]\n")).contains("[sources.dropbox]"));
    }
}
