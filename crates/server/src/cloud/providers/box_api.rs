//! Box (Content API 2.0): folders and files by id (`"0"` the root), folder items with marker
//! paging, downloads that answer 302 to a pre-authenticated URL on another host (reqwest drops
//! `Authorization` there) or 202 + `Retry-After` while a new file is prepared. OAuth as a
//! confidential client (Box takes no PKCE), refresh tokens that work once and come back new
//! each time (`Connected` stores the new pair before using it), RFC 7009 revocation.
//! Images and videos get pictures from `/files/{id}/thumbnail.jpg`; its 202 (still being made)
//! and 302 (none can be made) point at a placeholder graphic, which is not the file's picture.

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
use std::time::Duration;

const NAME: &str = "Box";
/// A file not ready yet is asked for again this many times.
const NOT_READY_TRIES: u32 = 4;
/// The longest `Retry-After` honoured while waiting for a file, seconds.
const NOT_READY_WAIT_MAX: u64 = 10;

/// The sizes asked of `thumbnail.jpg`. Box makes JPEG thumbnails of 32, 160 and 320 pixels
/// only, so one square of 256 (min and max) names none of them; between 160 and 320 lets it
/// answer the sharper one it has for a tile of about 100 to 160 CSS pixels.
const THUMBNAIL_SIZES: &str = "min_width=160&min_height=160&max_width=320&max_height=320";

/// Box as a provider.
#[derive(Debug)]
pub struct BoxApi {
    oauth: OAuthApp,
    api: url::Url,
    http: reqwest::Client,
    /// For thumbnails: no redirects followed (a redirect leads to a placeholder).
    thumbs: reqwest::Client,
}

impl BoxApi {
    /// From `[sources.box]`.
    pub fn new(c: &OAuthSourceConfig) -> Result<Self, String> {
        let base = oauth_app(
            c,
            "https://account.box.com/api/oauth2/authorize",
            "https://api.box.com/oauth2/token",
        )?;
        Ok(Self {
            oauth: OAuthApp {
                revoke_url: Some(revoke_beside(&base.token_url)?),
                scopes: vec!["root_readonly".into()],
                // Box documents no PKCE: a confidential client, its secret on the server.
                pkce: false,
                ..base
            },
            api: url_or(c.api_url.as_ref(), "https://api.box.com", "api_url")?,
            http: http_client(),
            thumbs: thumbnails::http_client(),
        })
    }

    async fn get(
        &self,
        token: &AccessToken,
        path: &str,
        what: &str,
    ) -> Result<reqwest::Response, SourceError> {
        let resp = self
            .http
            .get(at(&self.api, path))
            .bearer_auth(&token.0)
            .send()
            .await
            .map_err(|e| unreachable(NAME, &e))?;
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(failure(resp, what).await)
        }
    }
}

#[derive(Deserialize)]
struct BoxError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

async fn failure(resp: reqwest::Response, what: &str) -> SourceError {
    let status = resp.status();
    let headers = resp.headers().clone();
    let body: Option<BoxError> = resp.json().await.ok();
    let message = body
        .map(|b| format!("{} ({})", b.message, b.code))
        .unwrap_or_default();
    refusal(NAME, status, &headers, what, &message)
}

#[derive(Deserialize)]
struct Items {
    entries: Vec<Entry>,
    #[serde(default)]
    next_marker: Option<String>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    name: String,
    #[serde(default)]
    size: u64,
}

/// The id of the folder `dir` (`"0"` for the root); a path without ids names nothing.
fn folder_id(dir: &CloudPath) -> Result<String, SourceError> {
    match by_id::id(dir) {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Ok("0".into()),
        Err(_) => Err(SourceError::NotFound(dir.to_string())),
    }
}

#[async_trait]
impl Provider for BoxApi {
    fn name(&self) -> &'static str {
        "box"
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
        #[derive(Deserialize)]
        struct Me {
            login: Option<String>,
            name: Option<String>,
        }
        let me: Me = self
            .get(token, "/2.0/users/me?fields=login,name", "the account")
            .await?
            .json()
            .await
            .map_err(|e| SourceError::Upstream(format!("{NAME} account unreadable: {e}")))?;
        Ok(me.login.or(me.name).unwrap_or_else(|| "Box account".into()))
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
        let id = folder_id(dir)?;
        let query = {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            q.append_pair("fields", "id,type,name,size,modified_at")
                .append_pair("limit", "1000")
                .append_pair("usemarker", "true");
            if let Some(m) = cursor {
                q.append_pair("marker", m);
            }
            q.finish()
        };
        let path = format!("/2.0/folders/{id}/items?{query}");
        let items: Items = self
            .get(token, &path, dir.as_str())
            .await?
            .json()
            .await
            .map_err(|e| SourceError::Upstream(format!("{NAME} listing unreadable: {e}")))?;
        let mut out = Vec::new();
        for e in items.entries {
            // Web links are bookmarks, not files.
            let folder = match e.kind.as_str() {
                "folder" => true,
                "file" => false,
                _ => continue,
            };
            let pictured = !folder
                && (thumbnails::pictured(&e.name, None) || thumbnails::moving(&e.name, None));
            out.push(CloudItem {
                path: by_id::child(dir, &e.name, &e.id, folder)
                    .map_err(|why| SourceError::Upstream(format!("{NAME} item {}: {why}", e.id)))?,
                size: if folder { 0 } else { e.size },
                mimetype: None,
                preview: Preview::made_if(pictured),
                folder,
                name: e.name,
            });
        }
        Ok(Page {
            items: out,
            next: items.next_marker.filter(|m| !m.is_empty()),
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
        let url = at(&self.api, &format!("/2.0/files/{id}/content"));
        for _ in 0..NOT_READY_TRIES {
            let mut req = self.http.get(&url).bearer_auth(&token.0);
            if let Some(r) = range_from(from) {
                req = req.header(header::RANGE, r);
            }
            let resp = req.send().await.map_err(|e| unreachable(NAME, &e))?;
            match resp.status() {
                // A file just uploaded to Box is not ready yet: wait as asked, then again.
                StatusCode::ACCEPTED => {
                    let wait = retry_after(resp.headers())
                        .unwrap_or(1)
                        .min(NOT_READY_WAIT_MAX);
                    tokio::time::sleep(Duration::from_secs(wait)).await;
                }
                s if s.is_success() => {
                    return ranged(NAME, resp, from, by_id::name(path), None);
                }
                _ => return Err(failure(resp, path.as_str()).await),
            }
        }
        Err(SourceError::Upstream(format!(
            "{NAME} kept saying {path} is not ready to download"
        )))
    }

    async fn thumbnail(
        &self,
        token: &AccessToken,
        path: &CloudPath,
        _hint: Option<&str>,
    ) -> Result<Option<Thumbnail>, SourceError> {
        let id = match by_id::id(path) {
            Ok(Some(id)) if !path.is_folder() => id,
            _ => return Ok(None),
        };
        let url = at(
            &self.api,
            &format!("/2.0/files/{id}/thumbnail.jpg?{THUMBNAIL_SIZES}"),
        );
        let resp = self
            .thumbs
            .get(url)
            .bearer_auth(&token.0)
            .send()
            .await
            .map_err(|e| unreachable(NAME, &e))?;
        let status = resp.status();
        if status == StatusCode::OK {
            return Ok(thumbnails::from_response(resp, Some("image/jpeg")));
        }
        // 202: still being made (a placeholder until then); 302: Box makes none of this type.
        // Either way the picker shows the type's icon, and a later listing asks again.
        if status == StatusCode::ACCEPTED || status.is_redirection() {
            return Ok(None);
        }
        Err(failure(resp, path.as_str()).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Source;
    use crate::cloud::provider_checks;
    use skiff_standins::box_api;
    use std::sync::Arc;

    fn pointed_at(s: &skiff_standins::StandIn) -> Arc<dyn Provider> {
        let client = (box_api::CLIENT_ID, box_api::CLIENT_SECRET);
        let c = provider_checks::config(s, client, "/api/oauth2/authorize", "/oauth2/token");
        Arc::new(BoxApi::new(&c).unwrap())
    }

    #[tokio::test]
    async fn passes_the_provider_checks_against_its_stand_in() {
        let s = box_api::start(&provider_checks::files(), box_api::Options::default()).await;
        provider_checks::run(pointed_at(&s), &s).await;
        // Downloads went to the content host without the token, with a Range when resuming.
        let fetched = s.requests("/d/1/");
        assert!(!fetched.is_empty());
        assert!(
            fetched
                .iter()
                .all(|l| l.host == 1 && !l.headers.contains_key("authorization"))
        );
        assert!(fetched.iter().any(|l| l.headers.contains_key("range")));
        // (Box's refresh tokens work once: the checks' four concurrent calls after an expiry
        // would end the connection if two of them refreshed.)
    }

    #[tokio::test]
    async fn a_file_not_ready_is_waited_for_and_web_links_are_left_out() {
        let files = [
            ("/new.txt", b"fresh".to_vec()),
            ("/old.txt", b"old".to_vec()),
        ];
        let s = box_api::start(
            &files,
            box_api::Options {
                warming: vec!["/new.txt".into()],
                web_link: true,
                ..Default::default()
            },
        )
        .await;
        let source = provider_checks::signed_in(pointed_at(&s), &s).await;
        let items = provider_checks::all_items(&source, &CloudPath::root()).await;
        let names: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["new.txt", "old.txt"], "the web link is not a file");
        let new = items.iter().find(|i| i.name == "new.txt").unwrap();
        let d = source.open(&new.path, 0).await.unwrap();
        let bytes: Vec<bytes::Bytes> = futures_util::TryStreamExt::try_collect(d.body)
            .await
            .unwrap();
        assert_eq!(bytes.concat(), b"fresh");
        assert_eq!(s.requests("/2.0/files/").len(), 2, "a 202, then the file");
    }

    #[tokio::test]
    async fn a_picture_still_being_made_or_never_made_is_none() {
        let files = [
            ("/new.jpg", vec![1u8; 10]),
            ("/clip.mp4", vec![2u8; 10]),
            ("/notes.txt", b"n".to_vec()),
        ];
        let options = box_api::Options {
            thumbnail_warming: vec!["/new.jpg".into()],
            ..Default::default()
        };
        let s = box_api::start(&files, options).await;
        let source = provider_checks::signed_in(pointed_at(&s), &s).await;
        let items = provider_checks::all_items(&source, &CloudPath::root()).await;
        let item = |name: &str| items.iter().find(|i| i.name == name).unwrap().clone();
        assert_eq!(item("clip.mp4").preview, Preview::Made(None), "videos too");
        assert_eq!(item("notes.txt").preview, Preview::Icon);
        let picture = |name: &str| {
            let (source, path) = (source.clone(), item(name).path);
            async move { source.thumbnail(&path, None).await.unwrap() }
        };
        // 202 while it is made (its placeholder is not fetched), then the picture.
        assert!(picture("new.jpg").await.is_none());
        let t = picture("new.jpg").await.expect("made by now");
        assert_eq!(t.mimetype, "image/jpeg");
        // 302: Box makes none of this type.
        assert!(picture("notes.txt").await.is_none());
        assert!(s.requests("/placeholder/").is_empty());
        let asked = s.requests("/2.0/files/");
        let thumbs: Vec<_> = asked
            .iter()
            .filter(|l| l.path.ends_with("/thumbnail.jpg"))
            .collect();
        assert_eq!(thumbs.len(), 3);
        assert!(thumbs.iter().all(|l| l.query.contains("max_width=320")));
    }

    #[tokio::test]
    async fn streams_a_big_file_whole() {
        let big = crate::cloud::conformance::bytes_of(20 * 1024 * 1024 + 5, 4);
        let s = box_api::start(&[("/big.bin", big.clone())], box_api::Options::default()).await;
        provider_checks::big_file(pointed_at(&s), &s, &big).await;
    }
}
