//! OneDrive and OneDrive for Business (Microsoft Graph v1.0): one client, two names. Sign-in
//! goes through the identity platform's v2 endpoints under the `common` tenant (personal and
//! work accounts) or `organizations` (work accounts only), with PKCE; refresh tokens rotate and
//! [`crate::cloud::Connected`] stores each new one before use.
//!
//! Folders are addressed by id (paths are `name~id` breadcrumbs). An item added to My files
//! from someone else's drive (`remoteItem`) lives in that drive, so its path keeps the drive id
//! too: the id part is `<driveId>:<itemId>` (each half escaped), and every item listed under it
//! inherits the drive. Listings follow `@odata.nextLink` as the cursor, refused unless it points
//! at the configured Graph origin (the token goes wherever the cursor says). OneNote notebooks
//! (`package`) cannot be downloaded and are left out.
//!
//! Downloads ask `…/content` with the bearer token and `Range`; Graph answers 302 to a
//! pre-authenticated URL, which reqwest follows with `Range` kept and `Authorization` dropped
//! (the host differs), as Graph requires: the range belongs on that URL, the token must not
//! reach it. Graph has no per-app revocation: logging out forgets the tokens here and points
//! the person at the page where they can remove the app.
//!
//! Images and videos get pictures from `…/thumbnails/0/medium/content`, which answers like
//! `…/content`: a redirect to a pre-authenticated URL, followed without the token.

use super::{at, oauth_app, url_or};
use crate::cloud::oauth::{OAuthApp, TokenSet};
use crate::cloud::provider::{
    AccessToken, Provider, Revocation, by_id, http_client, range_from, ranged, refusal, unreachable,
};
use crate::cloud::thumbnails::{self, Preview, Thumbnail};
use crate::cloud::{CloudItem, CloudPath, Download, Page, SourceError};
use crate::config::OAuthSourceConfig;
use async_trait::async_trait;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use reqwest::{StatusCode, header};
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::Value;

/// Which Microsoft accounts sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    /// `onedrive`: personal and work accounts (tenant `common`).
    Personal,
    /// `onedriveforbusiness`: work and school accounts only (tenant `organizations`).
    Business,
}

impl Flavour {
    fn name(self) -> &'static str {
        match self {
            Self::Personal => "onedrive",
            Self::Business => "onedriveforbusiness",
        }
    }

    fn display_name(self) -> &'static str {
        match self {
            Self::Personal => "OneDrive",
            Self::Business => "OneDrive for Business",
        }
    }

    fn tenant(self) -> &'static str {
        match self {
            Self::Personal => "common",
            Self::Business => "organizations",
        }
    }

    /// Where a person removes the app's access: Microsoft account consents, or the work
    /// account's apps page.
    fn manual_revoke(self) -> &'static str {
        match self {
            Self::Personal => "https://account.live.com/consent/Manage",
            Self::Business => "https://myapps.microsoft.com",
        }
    }
}

/// Entries per listing page asked for (Uppy's; Graph may answer fewer and a `nextLink`).
const PAGE: u32 = 999;
/// The driveItem properties a listing reads.
const SELECT: &str = "id,name,size,file,folder,package,remoteItem,parentReference";

/// Ids in URL paths: Graph's ids hold `!` (personal) and drive ids `!`, `-`, `_`; anything a
/// path segment cannot carry is escaped.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// What an id part of a path may not hold unescaped: the drive separator, the `by_id`
/// separator, path separators and the escape character itself.
const ID_PART: &AsciiSet = &CONTROLS.add(b'%').add(b':').add(b'~').add(b'/').add(b'\\');

/// An item as Graph addresses it: in the signed-in user's drive (`/me/drive/items/{id}`), or
/// in another drive (`/drives/{driveId}/items/{id}`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ItemRef {
    drive: Option<String>,
    item: String,
}

impl ItemRef {
    /// The id part of a path: `item`, or `drive:item`.
    fn encode(&self) -> String {
        let esc = |s: &str| utf8_percent_encode(s, ID_PART).to_string();
        match &self.drive {
            Some(d) => format!("{}:{}", esc(d), esc(&self.item)),
            None => esc(&self.item),
        }
    }

    /// Reads an id part back; `None` for one no listing gave.
    fn decode(s: &str) -> Option<Self> {
        let un = |p: &str| {
            percent_decode_str(p)
                .decode_utf8()
                .ok()
                .map(|c| c.into_owned())
                .filter(|c| !c.is_empty())
        };
        Some(match s.split_once(':') {
            Some((d, i)) => Self {
                drive: Some(un(d)?),
                item: un(i)?,
            },
            None => Self {
                drive: None,
                item: un(s)?,
            },
        })
    }

    /// The Graph URL of the item (`tail`: `""`, `/children`, `/content`).
    fn url(&self, api: &url::Url, tail: &str) -> String {
        let item = utf8_percent_encode(&self.item, SEGMENT);
        match &self.drive {
            Some(d) => at(
                api,
                &format!(
                    "/v1.0/drives/{}/items/{item}{tail}",
                    utf8_percent_encode(d, SEGMENT)
                ),
            ),
            None => at(api, &format!("/v1.0/me/drive/items/{item}{tail}")),
        }
    }
}

/// OneDrive (personal or business) as a provider.
#[derive(Debug)]
pub struct OneDrive {
    flavour: Flavour,
    oauth: OAuthApp,
    api: url::Url,
    http: reqwest::Client,
}

impl OneDrive {
    /// `onedrive`, from `[sources.onedrive]`.
    pub fn personal(c: &OAuthSourceConfig) -> Result<Self, String> {
        Self::new(c, Flavour::Personal)
    }

    /// `onedriveforbusiness`, from `[sources.onedriveforbusiness]`.
    pub fn business(c: &OAuthSourceConfig) -> Result<Self, String> {
        Self::new(c, Flavour::Business)
    }

    fn new(c: &OAuthSourceConfig, flavour: Flavour) -> Result<Self, String> {
        let login = format!(
            "https://login.microsoftonline.com/{}/oauth2/v2.0",
            flavour.tenant()
        );
        Ok(Self {
            flavour,
            oauth: OAuthApp {
                // Microsoft has no per-app revocation (see `revoke`).
                // Files.Read.All: the user's files and those shared with them; offline_access
                // for a refresh token; User.Read for `/me`.
                scopes: ["Files.Read.All", "offline_access", "User.Read"]
                    .map(String::from)
                    .to_vec(),
                extra: vec![
                    ("response_mode", "query".into()),
                    ("prompt", "select_account".into()),
                ],
                scopes_on_refresh: true,
                ..oauth_app(c, &format!("{login}/authorize"), &format!("{login}/token"))?
            },
            api: url_or(c.api_url.as_ref(), "https://graph.microsoft.com", "api_url")?,
            http: http_client(),
        })
    }

    fn display(&self) -> &'static str {
        self.flavour.display_name()
    }

    /// A GET of Graph JSON with the bearer token.
    async fn get_json<T: DeserializeOwned>(
        &self,
        token: &AccessToken,
        url: &str,
        what: &str,
    ) -> Result<T, SourceError> {
        let resp = self
            .http
            .get(url)
            .bearer_auth(&token.0)
            .send()
            .await
            .map_err(|e| unreachable(self.display(), &e))?;
        if !resp.status().is_success() {
            return Err(self.failure(resp, what).await);
        }
        resp.json().await.map_err(|e| {
            SourceError::Upstream(format!("{} answered unreadable JSON: {e}", self.display()))
        })
    }

    /// Reads a refusal: Graph's `error.code` and `error.message` (shown to people: a 400 or
    /// 403 at first use says the tenant has no SharePoint licence or the OneDrive is not
    /// provisioned yet).
    async fn failure(&self, resp: reqwest::Response, what: &str) -> SourceError {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let said = match serde_json::from_str::<GraphError>(&text) {
            Ok(GraphError {
                error: GraphErrorBody { code, message },
            }) => match (code.is_empty(), message.is_empty()) {
                (false, false) => format!("{message} ({code})"),
                (true, _) => message,
                (false, true) => code,
            },
            Err(_) => text.chars().take(200).collect(),
        };
        refusal(self.display(), status, &headers, what, &said)
    }

    /// A `@odata.nextLink` cursor, if it points at the Graph this provider is configured with:
    /// the bearer token goes wherever it points.
    fn next_link(&self, cursor: &str) -> Result<url::Url, SourceError> {
        let refused = || {
            SourceError::Refused(format!(
                "the `next` cursor is not a {} link",
                self.display()
            ))
        };
        let u = url::Url::parse(cursor).map_err(|_| refused())?;
        let base = self.api.path().trim_end_matches('/');
        if u.origin() != self.api.origin()
            || !u.username().is_empty()
            || u.password().is_some()
            || !u.path().starts_with(&format!("{base}/v1.0/"))
        {
            return Err(refused());
        }
        Ok(u)
    }
}

#[derive(Deserialize)]
struct GraphError {
    error: GraphErrorBody,
}

#[derive(Deserialize)]
struct GraphErrorBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct Children {
    value: Vec<Value>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DriveItem {
    id: String,
    name: String,
    size: Option<u64>,
    file: Option<FileFacet>,
    folder: Option<IgnoredAny>,
    package: Option<IgnoredAny>,
    remote_item: Option<RemoteItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RemoteItem {
    id: String,
    size: Option<u64>,
    file: Option<FileFacet>,
    folder: Option<IgnoredAny>,
    package: Option<IgnoredAny>,
    parent_reference: Option<ParentReference>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParentReference {
    drive_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileFacet {
    mime_type: Option<String>,
}

#[derive(Deserialize)]
struct Facets {
    folder: Option<IgnoredAny>,
    package: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Me {
    mail: Option<String>,
    user_principal_name: Option<String>,
    display_name: Option<String>,
}

/// The entry a listing of `dir` (in `drive`, `None` for the user's own) shows for `v`:
/// folders and downloadable files; notebooks and anything else are left out.
fn item(dir: &CloudPath, drive: Option<&str>, v: Value) -> Option<CloudItem> {
    let e: DriveItem = serde_json::from_value(v).ok()?;
    if e.package.is_some() {
        return None;
    }
    let (at, folder, file, size) = match e.remote_item {
        Some(r) => {
            if r.package.is_some() {
                return None;
            }
            // The shared item is reached in its own drive; without one named, through the
            // shortcut in this one.
            let at = match r.parent_reference.and_then(|p| p.drive_id) {
                Some(d) => ItemRef {
                    drive: Some(d),
                    item: r.id,
                },
                None => ItemRef {
                    drive: drive.map(str::to_owned),
                    item: e.id,
                },
            };
            let folder = r.folder.is_some() || e.folder.is_some();
            (at, folder, r.file.or(e.file), r.size.or(e.size))
        }
        None => {
            let at = ItemRef {
                drive: drive.map(str::to_owned),
                item: e.id,
            };
            (at, e.folder.is_some(), e.file, e.size)
        }
    };
    if !folder && file.is_none() {
        return None;
    }
    let mimetype = file
        .and_then(|f| f.mime_type)
        .filter(|m| !m.is_empty() && m != "application/octet-stream");
    // Graph makes pictures of images and videos. Its own thumbnail URLs (`$expand=thumbnails`)
    // are pre-authenticated links to the person's files, not for the browser, and asking for
    // them would slow every listing: the server fetches a picture when one is shown.
    let pictured = !folder
        && (thumbnails::pictured(&e.name, mimetype.as_deref())
            || thumbnails::moving(&e.name, mimetype.as_deref()));
    Some(CloudItem {
        path: by_id::child(dir, &e.name, &at.encode(), folder).ok()?,
        size: if folder { 0 } else { size.unwrap_or(0) },
        mimetype: if folder { None } else { mimetype },
        preview: Preview::made_if(pictured),
        folder,
        name: e.name,
    })
}

/// The item a path names; `Ok(None)` for the root.
fn item_ref(path: &CloudPath) -> Result<Option<ItemRef>, SourceError> {
    let not_found = || SourceError::NotFound(path.to_string());
    match by_id::id(path) {
        Ok(None) => Ok(None),
        Ok(Some(id)) => ItemRef::decode(&id).map(Some).ok_or_else(not_found),
        Err(_) => Err(not_found()),
    }
}

#[async_trait]
impl Provider for OneDrive {
    fn name(&self) -> &'static str {
        self.flavour.name()
    }

    fn display_name(&self) -> &'static str {
        self.display()
    }

    fn oauth(&self) -> &OAuthApp {
        &self.oauth
    }

    async fn account(&self, token: &AccessToken) -> Result<String, SourceError> {
        let url = at(
            &self.api,
            "/v1.0/me?$select=mail,userPrincipalName,displayName",
        );
        let me: Me = self.get_json(token, &url, "the account").await?;
        // Personal accounts often have no `mail`; the sign-in name is the next best.
        Ok([me.mail, me.user_principal_name, me.display_name]
            .into_iter()
            .flatten()
            .find(|s| !s.is_empty())
            .unwrap_or_else(|| self.display().to_owned()))
    }

    async fn list(
        &self,
        token: &AccessToken,
        dir: &CloudPath,
        cursor: Option<&str>,
    ) -> Result<Page, SourceError> {
        if !dir.is_folder() {
            return Err(SourceError::WrongKind(format!(
                "{dir} is a file, not a folder"
            )));
        }
        let what = dir.to_string();
        let at_dir = item_ref(dir)?;
        let url = match cursor {
            Some(c) => self.next_link(c)?.to_string(),
            None => {
                let base = match &at_dir {
                    Some(r) => r.url(&self.api, "/children"),
                    None => at(&self.api, "/v1.0/me/drive/root/children"),
                };
                format!("{base}?$top={PAGE}&$select={SELECT}")
            }
        };
        let answer: Children = self.get_json(token, &url, &what).await?;
        let drive = at_dir.as_ref().and_then(|r| r.drive.as_deref());
        let empty = answer.value.is_empty();
        let items: Vec<CloudItem> = answer
            .value
            .into_iter()
            .filter_map(|v| item(dir, drive, v))
            .collect();
        // A file's children are an empty collection, not an error: an empty first page of
        // something that is not the root may be a file asked for as a folder.
        if let (true, None, Some(r)) = (empty, cursor, &at_dir) {
            let url = format!("{}?$select=id,folder,package", r.url(&self.api, ""));
            let facets: Facets = self.get_json(token, &url, &what).await?;
            if facets.folder.is_none() && facets.package.is_none() {
                return Err(SourceError::WrongKind(format!(
                    "{what} is a file, not a folder"
                )));
            }
        }
        Ok(Page {
            items,
            next: answer.next_link,
            pick_url: None,
        })
    }

    async fn open(
        &self,
        token: &AccessToken,
        path: &CloudPath,
        from: u64,
    ) -> Result<Download, SourceError> {
        if path.is_folder() {
            return Err(SourceError::WrongKind(format!(
                "{path} is a folder, not a file"
            )));
        }
        let at_file = item_ref(path)?.ok_or_else(|| SourceError::NotFound(path.to_string()))?;
        // `Range` rides along to the pre-authenticated URL (reqwest keeps it on redirects and
        // drops `Authorization` there, the host being another).
        let mut req = self
            .http
            .get(at_file.url(&self.api, "/content"))
            .bearer_auth(&token.0);
        if let Some(r) = range_from(from) {
            req = req.header(header::RANGE, r);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| unreachable(self.display(), &e))?;
        let status = resp.status();
        if !status.is_success() {
            // The download host refusing its own URL (expired, say) is not about the bearer
            // token: refreshing that would not help.
            let elsewhere = resp.url().origin() != self.api.origin();
            if elsewhere && matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
                return Err(SourceError::Upstream(format!(
                    "{}'s download host refused its own link (HTTP {status})",
                    self.display()
                )));
            }
            return Err(self.failure(resp, path.as_str()).await);
        }
        ranged(self.display(), resp, from, by_id::name(path), None)
    }

    fn folder_name(&self, dir: &CloudPath) -> String {
        by_id::name(dir)
    }

    async fn thumbnail(
        &self,
        token: &AccessToken,
        path: &CloudPath,
        _hint: Option<&str>,
    ) -> Result<Option<Thumbnail>, SourceError> {
        let at_file = match item_ref(path) {
            Ok(Some(r)) if !path.is_folder() => r,
            _ => return Ok(None),
        };
        let resp = self
            .http
            .get(at_file.url(&self.api, "/thumbnails/0/medium/content"))
            .bearer_auth(&token.0)
            .send()
            .await
            .map_err(|e| unreachable(self.display(), &e.without_url()))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(thumbnails::from_response(resp, None));
        }
        // An item Graph has no thumbnail of answers 404, as a missing one does; and the
        // thumbnail host refusing its own link is not about the token.
        let elsewhere = resp.url().origin() != self.api.origin();
        if status == StatusCode::NOT_FOUND || elsewhere {
            return Ok(None);
        }
        Err(self.failure(resp, path.as_str()).await)
    }

    /// Microsoft has no per-app revocation (`revokeSignInSessions` would end every session the
    /// person has): the tokens are forgotten here, and the person is shown where to remove the
    /// app.
    async fn revoke(&self, _tokens: &TokenSet, _redirect: &url::Url) -> Revocation {
        Revocation::Manual(self.flavour.manual_revoke().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::provider_checks;
    use crate::cloud::{Connected, Source};
    use bytes::Bytes;
    use futures_util::TryStreamExt;
    use skiff_standins::onedrive;
    use std::sync::Arc;

    fn config(s: &skiff_standins::StandIn, tenant: &str) -> OAuthSourceConfig {
        OAuthSourceConfig {
            client_id: onedrive::CLIENT_ID.into(),
            client_secret: Some(crate::config::Secret(onedrive::CLIENT_SECRET.into())),
            auth_url: Some(format!("{}/{tenant}/oauth2/v2.0/authorize", s.url())),
            token_url: Some(format!("{}/{tenant}/oauth2/v2.0/token", s.url())),
            api_url: Some(s.url()),
            content_url: None,
        }
    }

    fn pointed_at(s: &skiff_standins::StandIn) -> Arc<dyn Provider> {
        Arc::new(OneDrive::personal(&config(s, "common")).unwrap())
    }

    async fn read(source: &dyn Source, path: &CloudPath) -> Vec<u8> {
        let d = source.open(path, 0).await.unwrap();
        let chunks: Vec<Bytes> = d.body.try_collect().await.unwrap();
        chunks.concat()
    }

    /// Downloads went to the content host with `Range` when resuming and never with the
    /// bearer token; the API calls all carried it.
    fn check_downloads(s: &skiff_standins::StandIn) {
        let downloads = s.requests("/_layouts/15/download.aspx");
        assert!(!downloads.is_empty());
        assert!(downloads.iter().all(|l| l.host == 1));
        assert!(
            downloads
                .iter()
                .all(|l| !l.headers.contains_key("authorization")),
            "the bearer token reached the download host"
        );
        assert!(
            downloads.iter().any(|l| l.headers.contains_key("range")),
            "Range was not forwarded to the download host"
        );
        let api = s.requests("/v1.0/");
        assert!(
            api.iter()
                .all(|l| l.host == 0 && l.headers.contains_key("authorization"))
        );
        // Pictures too: asked of Graph with the token, fetched from the host without it.
        assert!(
            api.iter()
                .any(|l| l.path.ends_with("/thumbnails/0/medium/content"))
        );
        let pictures = s.requests("/thumbnail/");
        assert!(!pictures.is_empty());
        assert!(
            pictures
                .iter()
                .all(|l| l.host == 1 && !l.headers.contains_key("authorization"))
        );
    }

    #[tokio::test]
    async fn passes_the_provider_checks_against_its_stand_in() {
        let s = onedrive::start(&provider_checks::files(), onedrive::Options::default()).await;
        let p = pointed_at(&s);
        assert_eq!((p.name(), p.display_name()), ("onedrive", "OneDrive"));
        provider_checks::run(p.clone(), &s).await;
        check_downloads(&s);
        // Signed in under `common`; listings paged through the stand-in's nextLinks.
        assert!(!s.requests("/common/oauth2/v2.0/authorize").is_empty());
        assert!(!s.requests("/common/oauth2/v2.0/token").is_empty());
        assert!(
            s.requests("/v1.0/")
                .iter()
                .any(|l| l.query.contains("skiptoken"))
        );
        // Logging out points at the Microsoft account's consent page.
        let conns = provider_checks::connections();
        provider_checks::sign_in(&conns, p.as_ref(), &s, "s9").await;
        assert_eq!(
            conns.disconnect("s9", p.as_ref()).await.unwrap(),
            Some(Revocation::Manual(
                "https://account.live.com/consent/Manage".into()
            ))
        );
    }

    #[tokio::test]
    async fn business_signs_in_under_organizations_and_has_its_own_revoke_page() {
        let defaults = OAuthSourceConfig {
            client_id: "cid".into(),
            ..OAuthSourceConfig::default()
        };
        let personal = OneDrive::personal(&defaults).unwrap();
        let business = OneDrive::business(&defaults).unwrap();
        assert_eq!(
            personal.oauth().auth_url.as_str(),
            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
        );
        assert_eq!(
            business.oauth().auth_url.as_str(),
            "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize"
        );
        assert_eq!(
            business.oauth().token_url.as_str(),
            "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"
        );
        assert_eq!(
            (business.name(), business.display_name()),
            ("onedriveforbusiness", "OneDrive for Business")
        );
        let back = url::Url::parse("https://skiff.example/cloud/auth/x/callback").unwrap();
        let a = business.oauth().authorize(&back, "st4te");
        let q: std::collections::HashMap<String, String> =
            a.url.query_pairs().into_owned().collect();
        assert_eq!(q["response_mode"], "query");
        assert_eq!(q["prompt"], "select_account");
        assert_eq!(q["scope"], "Files.Read.All offline_access User.Read");
        assert_eq!(q["code_challenge_method"], "S256");

        let s = onedrive::start(&provider_checks::files(), onedrive::Options::default()).await;
        let p: Arc<dyn Provider> =
            Arc::new(OneDrive::business(&config(&s, "organizations")).unwrap());
        provider_checks::run(p.clone(), &s).await;
        check_downloads(&s);
        assert!(!s.requests("/organizations/oauth2/v2.0/token").is_empty());
        assert!(s.requests("/common/").is_empty());
        let conns = provider_checks::connections();
        provider_checks::sign_in(&conns, p.as_ref(), &s, "s9").await;
        assert_eq!(
            conns.disconnect("s9", p.as_ref()).await.unwrap(),
            Some(Revocation::Manual("https://myapps.microsoft.com".into()))
        );
    }

    #[tokio::test]
    async fn streams_a_big_file_whole() {
        let big = crate::cloud::conformance::bytes_of(20 * 1024 * 1024 + 5, 3);
        let s = onedrive::start(&[("/big.bin", big.clone())], onedrive::Options::default()).await;
        provider_checks::big_file(pointed_at(&s), &s, &big).await;
        let downloads = s.requests("/_layouts/15/download.aspx");
        assert!(
            downloads
                .iter()
                .all(|l| !l.headers.contains_key("authorization"))
        );
    }

    #[tokio::test]
    async fn lists_and_downloads_shared_items_and_skips_notebooks() {
        let options = onedrive::Options {
            shared: vec![
                ("/Team/plan.txt", b"the plan\n".to_vec()),
                ("/Team/sub/deep.txt", b"deep down\n".to_vec()),
                ("/Team/sub/more.txt", b"more\n".to_vec()),
                ("/budget.csv", b"q,amount\n1,2\n".to_vec()),
            ],
            added: vec!["/Team", "/budget.csv"],
            notebooks: vec!["Ana's notebook"],
            ..onedrive::Options::default()
        };
        let s = onedrive::start(&provider_checks::files(), options).await;
        let p = pointed_at(&s);
        let conns = provider_checks::connections();
        provider_checks::sign_in(&conns, p.as_ref(), &s, "s1").await;
        let source = Connected::new(conns, p, "s1");

        let mut root = Vec::new();
        let mut cursor = None;
        loop {
            let page = source
                .list(&CloudPath::root(), cursor.as_deref())
                .await
                .unwrap();
            root.extend(page.items);
            match page.next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        let shown: Vec<(&str, bool)> = root.iter().map(|i| (i.name.as_str(), i.folder)).collect();
        assert_eq!(
            shown,
            [
                ("docs", true),
                ("empty.bin", false),
                ("readme.txt", false),
                ("Team", true),
                ("budget.csv", false),
            ],
            "the notebook is left out"
        );
        let team = &root[3];
        let budget = &root[4];
        assert!(team.path.as_str().contains(onedrive::SHARED_DRIVE));
        assert_eq!(budget.size, 13);
        assert_eq!(budget.mimetype.as_deref(), Some("text/csv"));
        assert_eq!(read(&source, &budget.path).await, b"q,amount\n1,2\n");
        assert_eq!(source.folder_name(&team.path), "Team");

        // The shared folder lists in its own drive, and so does what is inside it.
        let inside = source.list(&team.path, None).await.unwrap();
        let mut items = inside.items;
        if let Some(n) = inside.next {
            items.extend(source.list(&team.path, Some(&n)).await.unwrap().items);
        }
        let names: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["sub", "plan.txt"]);
        assert_eq!(read(&source, &items[1].path).await, b"the plan\n");
        let sub = source.list(&items[0].path, None).await.unwrap();
        assert_eq!(sub.items.len(), 2);
        assert_eq!(read(&source, &sub.items[0].path).await, b"deep down\n");
        let d = source.open(&sub.items[1].path, 2).await.unwrap();
        assert_eq!(d.name, "more.txt");
        let chunks: Vec<Bytes> = d.body.try_collect().await.unwrap();
        assert_eq!(chunks.concat(), b"re\n");

        let shared_prefix = format!("/v1.0/drives/{}/items/", onedrive::SHARED_DRIVE);
        assert!(
            s.requests(&shared_prefix)
                .iter()
                .any(|l| l.path.ends_with("/content"))
        );
        assert!(
            s.requests(&shared_prefix)
                .iter()
                .any(|l| l.path.ends_with("/children"))
        );
        // A notebook was never asked for.
        let notebook = onedrive::MY_DRIVE.to_uppercase() + "!20000";
        assert!(s.requests("/").iter().all(|l| !l.path.contains(&notebook)));
    }

    #[tokio::test]
    async fn refuses_a_cursor_pointing_elsewhere() {
        let s = onedrive::start(&provider_checks::files(), onedrive::Options::default()).await;
        let p = OneDrive::personal(&config(&s, "common")).unwrap();
        let (access, _) = s.core.issue();
        let token = AccessToken(access);
        let root = CloudPath::root();
        let first = p.list(&token, &root, None).await.unwrap();
        let next = first.next.clone().unwrap();
        assert!(next.starts_with(&s.url()), "{next}");
        assert!(p.list(&token, &root, Some(&next)).await.is_ok());

        let forged = [
            next.replacen(&s.url(), &s.content_url(), 1),
            next.replacen("http://", "http://user:pw@", 1),
            "http://169.254.169.254/latest/meta-data/".to_owned(),
            next.replacen("/v1.0/", "/admin/", 1),
            "file:///etc/passwd".to_owned(),
            "not a url".to_owned(),
        ];
        for f in &forged {
            assert!(
                matches!(
                    p.list(&token, &root, Some(f)).await,
                    Err(SourceError::Refused(_))
                ),
                "{f}"
            );
        }
        assert!(
            s.core.knobs().log.iter().all(|l| l.host == 0),
            "nothing went to the other host"
        );
        assert!(s.requests("/admin/").is_empty());
    }

    #[tokio::test]
    async fn shows_graph_refusals_and_throttling() {
        let s = onedrive::start(&provider_checks::files(), onedrive::Options::default()).await;
        let p = OneDrive::business(&config(&s, "organizations")).unwrap();
        let (access, _) = s.core.issue();
        let token = AccessToken(access);
        let root = CloudPath::root();
        // At first use: no SharePoint licence, or no access; people read Graph's words.
        s.fail_next("", 400, 1, None);
        let r = p.list(&token, &root, None).await;
        assert!(
            matches!(&r, Err(SourceError::Refused(m)) if m.contains("Tenant does not have a SPO license")),
            "{r:?}"
        );
        s.fail_next("", 403, 1, None);
        let r = p.list(&token, &root, None).await;
        assert!(
            matches!(&r, Err(SourceError::Refused(m)) if m.contains("accessDenied")),
            "{r:?}"
        );
        s.fail_next("", 503, 1, Some(5));
        assert!(matches!(
            p.list(&token, &root, None).await,
            Err(SourceError::RateLimited {
                retry_after: Some(5)
            })
        ));
        s.fail_next("", 429, 1, Some(2));
        assert!(matches!(
            p.account(&token).await,
            Err(SourceError::RateLimited {
                retry_after: Some(2)
            })
        ));
        assert_eq!(p.account(&token).await.unwrap(), onedrive::MAIL);
        // An id no listing gave, and one Graph does not know.
        let made_up = CloudPath::parse("/nope.txt").unwrap();
        assert!(matches!(
            p.open(&token, &made_up, 0).await,
            Err(SourceError::NotFound(_))
        ));
        let unknown = CloudPath::parse("/gone.txt~8A6F1C2D3E4B5A69!999").unwrap();
        assert!(matches!(
            p.open(&token, &unknown, 0).await,
            Err(SourceError::NotFound(_))
        ));
        let expired = s.core.issue().0;
        s.core.expire_access();
        assert!(matches!(
            p.list(&AccessToken(expired), &root, None).await,
            Err(SourceError::Unauthorized(_))
        ));
    }

    #[tokio::test]
    async fn an_expired_download_link_is_not_blamed_on_the_token() {
        let options = onedrive::Options {
            link_ttl: std::time::Duration::ZERO,
            ..onedrive::Options::default()
        };
        let s = onedrive::start(&provider_checks::files(), options).await;
        let p = OneDrive::personal(&config(&s, "common")).unwrap();
        let token = AccessToken(s.core.issue().0);
        let root = p.list(&token, &CloudPath::root(), None).await.unwrap();
        let file = root.items.iter().find(|i| !i.folder).unwrap();
        assert!(matches!(
            p.open(&token, &file.path, 0).await,
            Err(SourceError::Upstream(_))
        ));
        assert_eq!(s.requests("/_layouts/15/download.aspx").len(), 1);
    }

    #[tokio::test]
    async fn the_stand_in_answers_in_graph_shapes() {
        let options = onedrive::Options {
            shared: vec![("/slides.pptx", b"PK...".to_vec())],
            added: vec!["/slides.pptx"],
            page: 10,
            ..onedrive::Options::default()
        };
        let s = onedrive::start(&provider_checks::files(), options).await;
        let token = s.core.issue().0;
        crate::fetch::ensure_crypto_provider();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let get = |url: String| http.get(url).bearer_auth(&token).send();
        let v: Value = get(format!(
            "{}/v1.0/me/drive/root/children?$top=1&$expand=thumbnails",
            s.url()
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(v["value"].as_array().unwrap().len(), 1, "$top is a maximum");
        let docs = &v["value"][0];
        assert_eq!(docs["name"], "docs");
        assert_eq!(docs["folder"]["childCount"], 4);
        assert_eq!(docs["parentReference"]["driveId"], onedrive::MY_DRIVE);
        assert_eq!(docs["parentReference"]["path"], "/drive/root:");
        let next = v["@odata.nextLink"].as_str().unwrap();
        assert!(
            next.starts_with(&s.url()) && next.contains("skiptoken"),
            "{next}"
        );
        let v: Value = get(next.to_owned()).await.unwrap().json().await.unwrap();
        let empty = &v["value"][0];
        assert_eq!(
            (empty["name"].as_str(), empty["size"].as_u64()),
            (Some("empty.bin"), Some(0))
        );
        assert!(empty["file"]["hashes"]["sha256Hash"].is_string());
        let thumb = empty["thumbnails"][0]["medium"]["url"].as_str().unwrap();
        assert!(thumb.starts_with(&s.content_url()));
        assert_eq!(get(thumb.to_owned()).await.unwrap().status(), 401);
        assert_eq!(http.get(thumb).send().await.unwrap().status(), 200);

        // The shortcut names the shared item and its drive; Office files convert to PDF.
        let v: Value = get(format!("{}/v1.0/me/drive/root/children?$top=10", s.url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let shortcut = &v["value"][3];
        assert_eq!(shortcut["name"], "slides.pptx");
        let remote = &shortcut["remoteItem"];
        assert_eq!(remote["parentReference"]["driveId"], onedrive::SHARED_DRIVE);
        assert!(remote["file"]["mimeType"].is_string() && shortcut["file"].is_null());
        let id = remote["id"].as_str().unwrap();
        let content = format!(
            "{}/v1.0/drives/{}/items/{id}/content",
            s.url(),
            onedrive::SHARED_DRIVE
        );
        let r = get(format!("{content}?format=pdf")).await.unwrap();
        assert_eq!(r.status(), 302);
        let link = r.headers()["location"].to_str().unwrap().to_owned();
        let pdf = http.get(&link).send().await.unwrap();
        assert_eq!(pdf.headers()["content-type"], "application/pdf");
        assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
        // Through the user's drive the shortcut has no content of its own.
        let shortcut_id = shortcut["id"].as_str().unwrap();
        let r = get(format!(
            "{}/v1.0/me/drive/items/{shortcut_id}/content",
            s.url()
        ))
        .await
        .unwrap();
        assert_eq!(r.status(), 404);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["code"], "itemNotFound");
        assert!(e["error"]["innerError"]["request-id"].is_string());

        // A refresh rotates the refresh token; an unknown one is `invalid_grant`.
        let (_, refresh) = s.core.issue();
        let form = |rt: &str| {
            [
                ("grant_type", "refresh_token".to_owned()),
                ("client_id", onedrive::CLIENT_ID.to_owned()),
                ("client_secret", onedrive::CLIENT_SECRET.to_owned()),
                ("refresh_token", rt.to_owned()),
                (
                    "scope",
                    "Files.Read.All offline_access User.Read".to_owned(),
                ),
            ]
        };
        let token_url = format!("{}/common/oauth2/v2.0/token", s.url());
        let v: Value = http
            .post(&token_url)
            .form(&form(&refresh))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_ne!(v["refresh_token"].as_str().unwrap(), refresh);
        assert_eq!(v["token_type"], "Bearer");
        let r = http
            .post(&token_url)
            .form(&form("made-up"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"], "invalid_grant");
        assert!(v["error_codes"].is_array());
    }

    #[test]
    fn item_refs_round_trip() {
        for r in [
            ItemRef {
                drive: None,
                item: "8A6F1C2D3E4B5A69!103".into(),
            },
            ItemRef {
                drive: Some(onedrive::SHARED_DRIVE.into()),
                item: "01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K".into(),
            },
            ItemRef {
                drive: Some("d:1~%/".into()),
                item: "a:b~c%d/e".into(),
            },
        ] {
            let enc = r.encode();
            assert!(!enc.contains(['~', '/']), "{enc}");
            assert_eq!(ItemRef::decode(&enc).as_ref(), Some(&r));
            let path = by_id::child(&CloudPath::root(), "x", &enc, false).unwrap();
            assert_eq!(item_ref(&path).unwrap(), Some(r));
        }
        assert_eq!(ItemRef::decode(":x"), None);
        let api = url::Url::parse("https://graph.microsoft.com").unwrap();
        let r = ItemRef {
            drive: Some("b!abc-_".into()),
            item: "01AB".into(),
        };
        assert_eq!(
            r.url(&api, "/content"),
            "https://graph.microsoft.com/v1.0/drives/b!abc-_/items/01AB/content"
        );
    }
}
