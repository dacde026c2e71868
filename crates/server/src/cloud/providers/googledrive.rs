//! Google Drive (API v3) with the `drive.readonly` scope: folders and files by id (the root is
//! `root`), listings ordered folders first with `pageToken` paging, shortcuts resolved to their
//! targets, Google's own documents exported to Office formats or PDF (as Uppy does), other files
//! read with `alt=media` and Range. OAuth with PKCE and `access_type=offline` (`prompt=consent`,
//! since Google otherwise sometimes leaves the refresh token out); a refresh sends no new refresh
//! token; logout revokes at Google's RFC 7009 endpoint.
//!
//! `drive.readonly` is a restricted scope: a deployment for the public needs Google's
//! verification (docs/cloud-sources.md §4.1; the README says so).
//!
//! Pictures: a listing asks for each file's `thumbnailLink` and hands it back to
//! [`Provider::thumbnail`] through the thumbnail capability, which saves asking Drive for the
//! link again when the picture is shown. Such a link lives a few hours and, for a file that is
//! not public, opens only with the bearer token; one that no longer works is asked for anew.

use super::{at, oauth_app, revoke_beside, url_or};
use crate::cloud::oauth::OAuthApp;
use crate::cloud::provider::{
    AccessToken, Provider, by_id, http_client, range_from, ranged, refusal, retry_after,
    unreachable,
};
use crate::cloud::thumbnails::{self, Preview, Thumbnail};
use crate::cloud::{CloudItem, CloudPath, Download, Page, SourceError};
use crate::config::OAuthSourceConfig;
use async_trait::async_trait;
use reqwest::{StatusCode, header};
use serde::Deserialize;

const NAME: &str = "Google Drive";
const FOLDER: &str = "application/vnd.google-apps.folder";
const SHORTCUT: &str = "application/vnd.google-apps.shortcut";
const FIELDS: &str = "id,name,mimeType,size,shortcutDetails(targetId,targetMimeType),exportLinks,hasThumbnail,thumbnailLink";
/// The folder that holds the person's shared drives (an id no Drive item has).
const SHARED_DRIVES: &str = "shareddrives";
const SHARED_DRIVES_NAME: &str = "Shared drives";

/// Google Drive as a provider.
#[derive(Debug)]
pub struct GoogleDrive {
    oauth: OAuthApp,
    api: url::Url,
    /// Where a document's `exportLinks` may point (Google's own host, `docs.google.com`):
    /// exports over Drive's 10 MB cap are read there, with the token, and nowhere else.
    exports: url::Url,
    http: reqwest::Client,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    id: String,
    name: String,
    mime_type: String,
    /// Google sends sizes as strings (int64 in JSON).
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    shortcut_details: Option<Shortcut>,
    /// A Google document's export URLs by type (for exports over the API's 10 MB cap).
    #[serde(default)]
    export_links: std::collections::HashMap<String, String>,
    /// Whether Drive has a picture of it.
    #[serde(default)]
    has_thumbnail: bool,
    /// Where that picture is, for a few hours (with the bearer token when not public).
    #[serde(default)]
    thumbnail_link: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Shortcut {
    target_id: String,
    #[serde(default)]
    target_mime_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileList {
    files: Vec<File>,
    #[serde(default)]
    next_page_token: Option<String>,
}

/// What a Google document is exported as (Uppy's table, but `.pptx` for presentations):
/// the export type and the extension added to the name. `None`: not exportable (forms, sites,
/// maps…), left out of listings.
fn export_of(mime: &str) -> Option<(&'static str, &'static str)> {
    let kind = mime.strip_prefix("application/vnd.google-apps.")?;
    Some(match kind {
        "document" => (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        ),
        "spreadsheet" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        "presentation" => (
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "pptx",
        ),
        "drawing" => ("image/png", "png"),
        "script" => ("application/vnd.google-apps.script+json", "json"),
        "jam" | "form" | "site" | "map" | "fusiontable" | "folder" | "shortcut" | "file"
        | "unknown" => return None,
        _ => ("application/pdf", "pdf"),
    })
}

/// Google's OAuth (Drive and Photos share it): PKCE, `access_type=offline` with
/// `prompt=consent` (Google otherwise sometimes leaves the refresh token out), RFC 7009
/// revocation next to the token endpoint, and the one `scope` asked.
pub(super) fn google_oauth(c: &OAuthSourceConfig, scope: &str) -> Result<OAuthApp, String> {
    let base = oauth_app(
        c,
        "https://accounts.google.com/o/oauth2/v2/auth",
        "https://oauth2.googleapis.com/token",
    )?;
    Ok(OAuthApp {
        revoke_url: Some(revoke_beside(&base.token_url)?),
        scopes: vec![scope.to_owned()],
        extra: vec![
            ("access_type", "offline".into()),
            ("prompt", "consent".into()),
            ("include_granted_scopes", "true".into()),
        ],
        ..base
    })
}

impl GoogleDrive {
    /// From `[sources.googledrive]`.
    pub fn new(c: &OAuthSourceConfig) -> Result<Self, String> {
        Ok(Self {
            oauth: google_oauth(c, "https://www.googleapis.com/auth/drive.readonly")?,
            api: url_or(c.api_url.as_ref(), "https://www.googleapis.com", "api_url")?,
            exports: url_or(
                c.content_url.as_ref(),
                "https://docs.google.com",
                "content_url",
            )?,
            http: http_client(),
        })
    }

    fn get(&self, token: &AccessToken, url: url::Url) -> reqwest::RequestBuilder {
        self.http.get(url).bearer_auth(&token.0)
    }

    fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<url::Url, SourceError> {
        let mut u = url::Url::parse(&at(&self.api, path))
            .map_err(|e| SourceError::Upstream(format!("{NAME} URL: {e}")))?;
        u.query_pairs_mut().extend_pairs(query);
        Ok(u)
    }

    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<reqwest::Response, SourceError> {
        let resp = req.send().await.map_err(|e| unreachable(NAME, &e))?;
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(failure(resp, what).await)
        }
    }

    /// A page of the shared drives: (id, name) pairs and the next page's token.
    async fn drives(
        &self,
        token: &AccessToken,
        cursor: Option<&str>,
        size: u32,
    ) -> Result<(Vec<(String, String)>, Option<String>), SourceError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Drives {
            #[serde(default)]
            drives: Vec<Drive>,
            #[serde(default)]
            next_page_token: Option<String>,
        }
        #[derive(Deserialize)]
        struct Drive {
            id: String,
            name: String,
        }
        let size = size.to_string();
        let mut query = vec![
            ("pageSize", size.as_str()),
            ("fields", "nextPageToken,drives(id,name)"),
        ];
        if let Some(c) = cursor {
            query.push(("pageToken", c));
        }
        let url = self.url("/drive/v3/drives", &query)?;
        let d: Drives = self
            .send(self.get(token, url), "the shared drives")
            .await?
            .json()
            .await
            .map_err(|e| SourceError::Upstream(format!("{NAME} shared drives unreadable: {e}")))?;
        let list = d.drives.into_iter().map(|d| (d.id, d.name)).collect();
        Ok((list, d.next_page_token.filter(|t| !t.is_empty())))
    }

    /// The "Shared drives" folder: each drive as a folder (its root's id is the drive's).
    async fn shared_drives(
        &self,
        token: &AccessToken,
        dir: &CloudPath,
        cursor: Option<&str>,
    ) -> Result<Page, SourceError> {
        let (drives, next) = self.drives(token, cursor, 100).await?;
        let items = drives
            .into_iter()
            .map(|(id, name)| {
                Ok(CloudItem {
                    path: by_id::child(dir, &name, &id, true).map_err(|why| {
                        SourceError::Upstream(format!("{NAME} drive {id}: {why}"))
                    })?,
                    name,
                    folder: true,
                    size: 0,
                    mimetype: None,
                    preview: Preview::Icon,
                })
            })
            .collect::<Result<_, SourceError>>()?;
        Ok(Page {
            items,
            next,
            pick_url: None,
        })
    }

    /// Whether a `thumbnailLink` points where the bearer token may go: Google's image hosts
    /// (`*.googleusercontent.com`) or its documents host (`content_url`, where older links
    /// point). The token never goes anywhere a listing merely named.
    fn thumbnail_host(&self, link: &str) -> bool {
        let Ok(u) = url::Url::parse(link) else {
            return false;
        };
        u.origin() == self.exports.origin()
            || (u.scheme() == "https"
                && u.host_str()
                    .is_some_and(|h| h.ends_with(".googleusercontent.com")))
    }

    /// The picture at a `thumbnailLink`, with the token. A link from the listing (`fresh`
    /// false) that does not work any more is `None`, to ask Drive for a new one; a new one
    /// refused with 401 is the token's fault (refreshed once, by [`crate::cloud::Connected`]).
    async fn picture(
        &self,
        token: &AccessToken,
        link: &str,
        fresh: bool,
    ) -> Result<Option<Thumbnail>, SourceError> {
        let resp = self
            .http
            .get(link)
            .bearer_auth(&token.0)
            .send()
            .await
            .map_err(|e| unreachable(NAME, &e.without_url()))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(thumbnails::from_response(resp, None));
        }
        if fresh && status == StatusCode::UNAUTHORIZED {
            return Err(SourceError::Unauthorized(format!(
                "{NAME} HTTP 401 for a thumbnail"
            )));
        }
        Ok(None)
    }

    async fn metadata(
        &self,
        token: &AccessToken,
        id: &str,
        what: &str,
    ) -> Result<File, SourceError> {
        let url = self.url(
            &format!("/drive/v3/files/{id}"),
            &[("fields", FIELDS), ("supportsAllDrives", "true")],
        )?;
        self.send(self.get(token, url), what)
            .await?
            .json()
            .await
            .map_err(|e| SourceError::Upstream(format!("{NAME} file unreadable: {e}")))
    }
}

/// Google's refusals: its rate limits come as 403 with a usage-limit reason as well as 429.
async fn failure(resp: reqwest::Response, what: &str) -> SourceError {
    let status = resp.status();
    let headers = resp.headers().clone();
    let v: serde_json::Value = resp.json().await.unwrap_or_default();
    classify(status, &headers, &v, what)
}

/// A refusal's meaning, from its status and Google's error body.
fn classify(
    status: StatusCode,
    headers: &header::HeaderMap,
    v: &serde_json::Value,
    what: &str,
) -> SourceError {
    let reason = v["error"]["errors"][0]["reason"].as_str().unwrap_or("");
    let message = v["error"]["message"].as_str().unwrap_or("");
    if status == StatusCode::FORBIDDEN
        && matches!(
            reason,
            "userRateLimitExceeded" | "rateLimitExceeded" | "dailyLimitExceeded"
        )
    {
        return SourceError::RateLimited {
            retry_after: retry_after(headers),
        };
    }
    refusal(NAME, status, headers, what, message)
}

#[async_trait]
impl Provider for GoogleDrive {
    fn name(&self) -> &'static str {
        "googledrive"
    }

    fn display_name(&self) -> &'static str {
        NAME
    }

    fn oauth(&self) -> &OAuthApp {
        &self.oauth
    }

    fn folder_name(&self, dir: &CloudPath) -> String {
        by_id::name(dir)
    }

    async fn account(&self, token: &AccessToken) -> Result<String, SourceError> {
        let url = self.url("/drive/v3/about", &[("fields", "user")])?;
        let v: serde_json::Value = self
            .send(self.get(token, url), "the account")
            .await?
            .json()
            .await
            .map_err(|e| SourceError::Upstream(format!("{NAME} account unreadable: {e}")))?;
        Ok(v["user"]["emailAddress"]
            .as_str()
            .or(v["user"]["displayName"].as_str())
            .unwrap_or("Google account")
            .to_owned())
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
        let id = match by_id::id(dir) {
            Ok(id) => id.unwrap_or_else(|| "root".into()),
            Err(_) => return Err(SourceError::NotFound(dir.to_string())),
        };
        if id == SHARED_DRIVES {
            return self.shared_drives(token, dir, cursor).await;
        }
        // Ids are letters, digits, `-` and `_`: nothing that could break out of the quotes.
        if !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(SourceError::NotFound(dir.to_string()));
        }
        let q = format!("'{id}' in parents and trashed=false");
        let fields = format!("nextPageToken,incompleteSearch,files({FIELDS})");
        let mut query = vec![
            ("q", q.as_str()),
            ("fields", fields.as_str()),
            ("pageSize", "1000"),
            ("orderBy", "folder,name"),
            ("supportsAllDrives", "true"),
            ("includeItemsFromAllDrives", "true"),
        ];
        if let Some(c) = cursor {
            query.push(("pageToken", c));
        }
        let list: FileList = self
            .send(
                self.get(token, self.url("/drive/v3/files", &query)?),
                dir.as_str(),
            )
            .await?
            .json()
            .await
            .map_err(|e| SourceError::Upstream(format!("{NAME} listing unreadable: {e}")))?;
        // Drive lists nothing under a file, or under an id that names nothing: say which.
        if list.files.is_empty() && cursor.is_none() && id != "root" {
            let it = self.metadata(token, &id, dir.as_str()).await?;
            if it.mime_type != FOLDER {
                return Err(SourceError::WrongKind(format!(
                    "{dir} is a file, not a folder"
                )));
            }
        }
        let mut items = Vec::new();
        // The root's first page also leads to the shared drives, when the person has any.
        if id == "root" && cursor.is_none() && !self.drives(token, None, 1).await?.0.is_empty() {
            items.push(CloudItem {
                path: by_id::child(dir, SHARED_DRIVES_NAME, SHARED_DRIVES, true)
                    .map_err(|why| SourceError::Upstream(format!("{NAME}: {why}")))?,
                name: SHARED_DRIVES_NAME.into(),
                folder: true,
                size: 0,
                mimetype: None,
                preview: Preview::Icon,
            });
        }
        for f in list.files {
            let (id, mime) = match &f.shortcut_details {
                Some(s) if f.mime_type == SHORTCUT => {
                    (s.target_id.clone(), s.target_mime_type.clone())
                }
                _ => (f.id.clone(), f.mime_type.clone()),
            };
            let folder = mime == FOLDER;
            let (name, mimetype) = if folder || !mime.starts_with("application/vnd.google-apps.") {
                (f.name.clone(), (!folder).then_some(mime.clone()))
            } else {
                match export_of(&mime) {
                    Some((to, ext)) => (format!("{}.{ext}", f.name), Some(to.to_owned())),
                    None => continue,
                }
            };
            let preview = if folder {
                Preview::Icon
            } else if f.shortcut_details.is_some() {
                // The shortcut's own listing says nothing of its target's picture: asked for
                // when shown (`thumbnail` opens the target).
                Preview::made_if(thumbnails::pictured(&name, Some(&mime)))
            } else if f.has_thumbnail || f.thumbnail_link.is_some() {
                Preview::Made(f.thumbnail_link.clone())
            } else {
                Preview::Icon
            };
            items.push(CloudItem {
                path: by_id::child(dir, &name, &id, folder)
                    .map_err(|why| SourceError::Upstream(format!("{NAME} item {id}: {why}")))?,
                name,
                folder,
                // A shortcut's own size is not its target's; Google documents have none.
                size: f
                    .size
                    .as_deref()
                    .and_then(|s| s.parse().ok())
                    .filter(|_| f.shortcut_details.is_none())
                    .unwrap_or(0),
                mimetype: mimetype.filter(|m| m != "application/octet-stream"),
                preview,
            });
        }
        Ok(Page {
            items,
            next: list.next_page_token.filter(|t| !t.is_empty()),
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
        let id = match by_id::id(path) {
            Ok(Some(id)) => id,
            _ => return Err(SourceError::NotFound(path.to_string())),
        };
        let mut file = self.metadata(token, &id, path.as_str()).await?;
        if let (Some(s), true) = (&file.shortcut_details, file.mime_type == SHORTCUT) {
            let target = s.target_id.clone();
            file = self.metadata(token, &target, path.as_str()).await?;
        }
        if file.mime_type == FOLDER {
            return Err(SourceError::WrongKind(format!(
                "{path} is a folder, not a file"
            )));
        }
        if let Some((to, ext)) = export_of(&file.mime_type) {
            // Exports have no Range; `ranged` skips what a resumed read already has.
            let url = self.url(
                &format!("/drive/v3/files/{}/export", file.id),
                &[("mimeType", to)],
            )?;
            let resp = self
                .get(token, url)
                .send()
                .await
                .map_err(|e| unreachable(NAME, &e))?;
            let resp = if resp.status().is_success() {
                resp
            } else {
                let (status, headers) = (resp.status(), resp.headers().clone());
                let v: serde_json::Value = resp.json().await.unwrap_or_default();
                if v["error"]["errors"][0]["reason"] != "exportSizeLimitExceeded" {
                    return Err(classify(status, &headers, &v, path.as_str()));
                }
                // Over the API's 10 MB export cap: Uppy's way round it, the document's own
                // export link, read with the token (and only on Google's host).
                let link = file.export_links.get(to).ok_or_else(|| {
                    SourceError::Refused(format!("{path} is too large for {NAME} to export"))
                })?;
                let trusted =
                    url::Url::parse(link).is_ok_and(|u| u.origin() == self.exports.origin());
                if !trusted {
                    return Err(SourceError::Upstream(format!(
                        "{NAME} gave an export link off its export host for {path}"
                    )));
                }
                let req = self.http.get(link).bearer_auth(&token.0);
                self.send(req, path.as_str()).await?
            };
            return ranged(
                NAME,
                resp,
                from,
                format!("{}.{ext}", file.name),
                Some(to.to_owned()),
            );
        }
        let url = self.url(
            &format!("/drive/v3/files/{}", file.id),
            &[("alt", "media"), ("supportsAllDrives", "true")],
        )?;
        let mut req = self.get(token, url);
        if let Some(r) = range_from(from) {
            req = req.header(header::RANGE, r);
        }
        let resp = self.send(req, path.as_str()).await?;
        let mime = Some(file.mime_type).filter(|m| m != "application/octet-stream");
        let mut d = ranged(NAME, resp, from, file.name, mime)?;
        if d.size.is_none() {
            d.size = file.size.as_deref().and_then(|s| s.parse().ok());
        }
        Ok(d)
    }

    async fn thumbnail(
        &self,
        token: &AccessToken,
        path: &CloudPath,
        hint: Option<&str>,
    ) -> Result<Option<Thumbnail>, SourceError> {
        let id = match by_id::id(path) {
            Ok(Some(id)) if !path.is_folder() => id,
            _ => return Ok(None),
        };
        if let Some(link) = hint.filter(|l| self.thumbnail_host(l)) {
            if let Some(t) = self.picture(token, link, false).await? {
                return Ok(Some(t));
            }
        }
        let mut file = self.metadata(token, &id, path.as_str()).await?;
        if let (Some(s), true) = (&file.shortcut_details, file.mime_type == SHORTCUT) {
            let target = s.target_id.clone();
            file = self.metadata(token, &target, path.as_str()).await?;
        }
        match file.thumbnail_link.filter(|l| self.thumbnail_host(l)) {
            Some(link) => self.picture(token, &link, true).await,
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Source;
    use crate::cloud::provider_checks;
    use futures_util::TryStreamExt;
    use skiff_standins::googledrive;
    use std::sync::Arc;

    fn pointed_at(s: &skiff_standins::StandIn) -> Arc<dyn Provider> {
        let client = (googledrive::CLIENT_ID, googledrive::CLIENT_SECRET);
        let c = provider_checks::config(s, client, "/o/oauth2/v2/auth", "/token");
        Arc::new(GoogleDrive::new(&c).unwrap())
    }

    #[tokio::test]
    async fn passes_the_provider_checks_against_its_stand_in() {
        let s =
            googledrive::start(&provider_checks::files(), googledrive::Options::default()).await;
        provider_checks::run(pointed_at(&s), &s).await;
        let media = s.requests("/drive/v3/files/");
        assert!(
            media.iter().any(|l| l.headers.contains_key("range")),
            "a resumed read"
        );
    }

    #[tokio::test]
    async fn documents_export_and_shortcuts_open_their_target() {
        let files = [
            ("/readme.txt", b"hello".to_vec()),
            ("/z.bin", vec![1, 2, 3]),
        ];
        let options = googledrive::Options {
            document: true,
            shortcut: true,
            ..Default::default()
        };
        let s = googledrive::start(&files, options).await;
        let source = provider_checks::signed_in(pointed_at(&s), &s).await;
        let items = provider_checks::all_items(&source, &CloudPath::root()).await;
        let names: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            ["readme.txt", "z.bin", "Plan.docx", "Link to readme"]
        );
        let read = |i: usize| {
            let source = source.clone();
            let path = items[i].path.clone();
            async move {
                let d = source.open(&path, 0).await.unwrap();
                let name = d.name.clone();
                let bytes: Vec<bytes::Bytes> = d.body.try_collect().await.unwrap();
                (name, bytes.concat())
            }
        };
        let (name, bytes) = read(2).await;
        assert_eq!(
            (name.as_str(), bytes.as_slice()),
            ("Plan.docx", googledrive::EXPORTED)
        );
        assert!(
            items[2]
                .mimetype
                .as_deref()
                .unwrap()
                .contains("wordprocessingml")
        );
        let (name, bytes) = read(3).await;
        assert_eq!(
            (name.as_str(), bytes.as_slice()),
            ("readme.txt", &b"hello"[..])
        );
        // A resumed export skips what it already has.
        let d = source.open(&items[2].path, 3).await.unwrap();
        let rest: Vec<bytes::Bytes> = d.body.try_collect().await.unwrap();
        assert_eq!(rest.concat(), &googledrive::EXPORTED[3..]);
        assert_eq!(export_of("application/vnd.google-apps.form"), None);
        assert_eq!(
            export_of("application/vnd.google-apps.presentation").map(|e| e.1),
            Some("pptx")
        );
    }

    #[tokio::test]
    async fn a_document_over_the_export_cap_is_read_from_its_export_link() {
        let options = googledrive::Options {
            big_document: true,
            ..Default::default()
        };
        let s = googledrive::start(&[("/a.txt", b"a".to_vec())], options).await;
        let source = provider_checks::signed_in(pointed_at(&s), &s).await;
        let items = provider_checks::all_items(&source, &CloudPath::root()).await;
        let doc = items.iter().find(|i| i.name == "Plan.docx").unwrap();
        let d = source.open(&doc.path, 0).await.unwrap();
        let got: Vec<bytes::Bytes> = d.body.try_collect().await.unwrap();
        assert!(
            got.concat() == googledrive::big_export(),
            "the whole export"
        );
        assert_eq!(s.requests("/export/").len(), 1, "through the export link");
        assert!(s.requests("/export/")[0].host == 1);
    }

    #[tokio::test]
    async fn shared_drives_show_in_their_own_folder() {
        let options = googledrive::Options {
            shared_drive: true,
            ..Default::default()
        };
        let s = googledrive::start(&[("/mine.txt", b"m".to_vec())], options).await;
        let source = provider_checks::signed_in(pointed_at(&s), &s).await;
        let root = provider_checks::all_items(&source, &CloudPath::root()).await;
        let names: Vec<&str> = root.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["Shared drives", "mine.txt"]);
        let drives = provider_checks::all_items(&source, &root[0].path).await;
        assert_eq!(drives.len(), 1);
        assert_eq!(source.folder_name(&drives[0].path), "Team Drive");
        let files = provider_checks::all_items(&source, &drives[0].path).await;
        assert_eq!(files[0].name, "roadmap.txt");
        let d = source.open(&files[0].path, 0).await.unwrap();
        let bytes: Vec<bytes::Bytes> = d.body.try_collect().await.unwrap();
        assert_eq!(bytes.concat(), googledrive::SHARED_FILE);
    }

    #[tokio::test]
    async fn pictures_come_from_the_listed_link_or_a_fresh_one_and_only_from_google() {
        let files = [("/beach.jpg", vec![1u8; 50]), ("/notes.txt", b"n".to_vec())];
        let s = googledrive::start(&files, googledrive::Options::default()).await;
        let source = provider_checks::signed_in(pointed_at(&s), &s).await;
        let items = provider_checks::all_items(&source, &CloudPath::root()).await;
        assert!(
            s.requests("/drive/v3/files")[0]
                .query
                .contains("thumbnailLink")
        );
        let beach = items.iter().find(|i| i.name == "beach.jpg").unwrap();
        let Preview::Made(Some(link)) = &beach.preview else {
            panic!("{:?}", beach.preview);
        };
        assert!(link.starts_with(&s.content_url()), "{link}");
        let notes = items.iter().find(|i| i.name == "notes.txt").unwrap();
        assert_eq!(notes.preview, Preview::Icon);
        let picture = |hint: Option<String>| {
            let (source, path) = (source.clone(), beach.path.clone());
            async move {
                let t = source.thumbnail(&path, hint.as_deref()).await.unwrap();
                let t = t.expect("a picture");
                let bytes: Vec<bytes::Bytes> = t.body.try_collect().await.unwrap();
                (t.mimetype, bytes.concat())
            }
        };
        let metadata_calls = || s.requests("/drive/v3/files/").len();
        let before = metadata_calls();
        let (mime, bytes) = picture(Some(link.clone())).await;
        assert_eq!(
            (mime.as_str(), bytes.as_slice()),
            ("image/jpeg", googledrive_thumbnail())
        );
        assert_eq!(metadata_calls(), before, "the listed link saved a call");
        let fetched = s.requests("/drive-storage/");
        assert!(
            fetched
                .iter()
                .all(|l| l.headers.contains_key("authorization"))
        );
        // A link that stopped working, and one off Google's hosts (never fetched): Drive is
        // asked for a fresh one.
        let stale = link.replace("=s220", "x=s220");
        assert_eq!(picture(Some(stale)).await.1, googledrive_thumbnail());
        let elsewhere = "http://169.254.169.254/latest/meta-data=s220".to_owned();
        assert_eq!(picture(Some(elsewhere)).await.1, googledrive_thumbnail());
        assert_eq!(metadata_calls(), before + 2);
        assert_eq!(s.requests("/drive-storage/").len(), fetched.len() + 3);
        assert!(source.thumbnail(&notes.path, None).await.unwrap().is_none());
    }

    fn googledrive_thumbnail() -> &'static [u8] {
        skiff_standins::files::THUMBNAIL_JPEG
    }

    #[tokio::test]
    async fn streams_a_big_file_whole() {
        let big = crate::cloud::conformance::bytes_of(20 * 1024 * 1024 + 5, 6);
        let s = googledrive::start(
            &[("/big.bin", big.clone())],
            googledrive::Options::default(),
        )
        .await;
        provider_checks::big_file(pointed_at(&s), &s, &big).await;
    }
}
