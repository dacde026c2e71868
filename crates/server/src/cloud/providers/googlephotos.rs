//! Google Photos through the Photos Picker API, the only way Google still lets an app read from
//! a person's whole library (since 2025-03-31). The person chooses in Google's own picker page:
//! the root lists one folder, "Photos you chose", named by a new picking session, and carries
//! the session's `pickerUri` as the listing's `pick_url`. Listing that folder answers the chosen
//! photos and ready videos once the person is done (and the `pick_url` again until then);
//! importing one reads `<baseUrl>=d` (`=dv` for a video) with the bearer token, after checking
//! the base URL is Google's media host (a listing's URLs are never fetched blindly).
//! A picture is `<baseUrl>=w256-h256` (a frame, for a video), with the bearer token; the
//! listing hands the base URL on through the thumbnail capability, and one that expired (they
//! live about an hour) is looked up again in the session.

use super::url_or;
use crate::cloud::oauth::OAuthApp;
use crate::cloud::provider::{
    AccessToken, Provider, by_id, http_client, range_from, ranged, refusal, unreachable,
};
use crate::cloud::thumbnails::{self, Preview, Thumbnail};
use crate::cloud::{CloudItem, CloudPath, Download, Page, SourceError};
use crate::config::OAuthSourceConfig;
use async_trait::async_trait;
use reqwest::header;
use serde::Deserialize;

const NAME: &str = "Google Photos";
/// The root's one folder.
const CHOSEN: &str = "Photos you chose";

/// Google Photos as a provider.
#[derive(Debug)]
pub struct GooglePhotos {
    oauth: OAuthApp,
    api: url::Url,
    /// The media host base URLs must be on: this origin when configured (tests), else Google's
    /// `*.googleusercontent.com` over https.
    media: Option<url::Url>,
    http: reqwest::Client,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Session {
    id: String,
    picker_uri: String,
    #[serde(default)]
    media_items_set: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Items {
    #[serde(default)]
    media_items: Vec<Item>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    id: String,
    #[serde(rename = "type", default)]
    kind: String,
    media_file: MediaFile,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MediaFile {
    base_url: String,
    mime_type: String,
    filename: String,
    #[serde(default)]
    media_file_metadata: serde_json::Value,
}

impl Item {
    /// Photos, and videos Google has finished processing (Uppy's rule).
    fn usable(&self) -> bool {
        match self.kind.as_str() {
            "PHOTO" => true,
            "VIDEO" => {
                self.media_file.media_file_metadata["videoMetadata"]["processingStatus"] == "READY"
            }
            _ => false,
        }
    }
}

impl GooglePhotos {
    /// From `[sources.googlephotos]`.
    pub fn new(c: &OAuthSourceConfig) -> Result<Self, String> {
        Ok(Self {
            oauth: super::googledrive::google_oauth(
                c,
                "https://www.googleapis.com/auth/photospicker.mediaitems.readonly",
            )?,
            api: url_or(
                c.api_url.as_ref(),
                "https://photospicker.googleapis.com",
                "api_url",
            )?,
            media: c
                .content_url
                .as_ref()
                .map(|u| url_or(Some(u), "", "content_url"))
                .transpose()?,
            http: http_client(),
        })
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
        token: &AccessToken,
        what: &str,
    ) -> Result<T, SourceError> {
        let resp = req
            .bearer_auth(&token.0)
            .send()
            .await
            .map_err(|e| unreachable(NAME, &e))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let headers = resp.headers().clone();
            let v: serde_json::Value = resp.json().await.unwrap_or_default();
            let message = v["error"]["message"].as_str().unwrap_or("");
            return Err(refusal(NAME, status, &headers, what, message));
        }
        resp.json()
            .await
            .map_err(|e| SourceError::Upstream(format!("{NAME} answered unreadable JSON: {e}")))
    }

    fn url(&self, path: &str) -> Result<url::Url, SourceError> {
        url::Url::parse(&super::at(&self.api, path))
            .map_err(|e| SourceError::Upstream(format!("{NAME} URL: {e}")))
    }

    /// One page of a session's chosen items (all of them, usable or not: paging is Google's).
    async fn items(
        &self,
        token: &AccessToken,
        session: &str,
        cursor: Option<&str>,
        what: &str,
    ) -> Result<Items, SourceError> {
        let mut url = self.url("/v1/mediaItems")?;
        url.query_pairs_mut()
            .append_pair("sessionId", session)
            .append_pair("pageSize", "100");
        if let Some(c) = cursor {
            url.query_pairs_mut().append_pair("pageToken", c);
        }
        self.call(self.http.get(url), token, what).await
    }

    /// The chosen item at `path`, with its current base URL (base URLs live about an hour, so
    /// it is looked up in the session each time).
    async fn find(&self, token: &AccessToken, path: &CloudPath) -> Result<Item, SourceError> {
        let not_found = || SourceError::NotFound(path.to_string());
        let segs: Vec<&str> = path.as_str().trim_matches('/').split('/').collect();
        let [session_seg, _] = segs.as_slice() else {
            return Err(not_found());
        };
        let session = session_seg
            .rsplit_once('~')
            .and_then(|(_, s)| session_of(s))
            .ok_or_else(not_found)?;
        let wanted = by_id::id(path).ok().flatten().ok_or_else(not_found)?;
        let mut cursor: Option<String> = None;
        loop {
            let page = self
                .items(token, session, cursor.as_deref(), path.as_str())
                .await?;
            if let Some(it) = page.media_items.into_iter().find(|i| i.id == wanted) {
                return Ok(it);
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(n) => cursor = Some(n),
                None => return Err(not_found()),
            }
        }
    }

    /// The picture at `base` (a base URL on the media host): `=w256-h256`, with the token.
    /// `None` for an answer that is not a picture (a base URL that expired).
    async fn picture(
        &self,
        token: &AccessToken,
        base: &str,
    ) -> Result<Option<Thumbnail>, SourceError> {
        let resp = self
            .http
            .get(format!("{base}=w256-h256"))
            .bearer_auth(&token.0)
            .send()
            .await
            .map_err(|e| unreachable(NAME, &e.without_url()))?;
        if !resp.status().is_success() {
            return Ok(None);
        }
        Ok(thumbnails::from_response(resp, None))
    }

    /// Whether `base` is on the media host.
    fn trusted(&self, base: &str) -> bool {
        let Ok(u) = url::Url::parse(base) else {
            return false;
        };
        match &self.media {
            Some(m) => u.origin() == m.origin(),
            None => {
                u.scheme() == "https"
                    && u.host_str()
                        .is_some_and(|h| h.ends_with(".googleusercontent.com"))
            }
        }
    }
}

/// Session ids are letters, digits, `-` and `_`.
fn session_of(seg: &str) -> Option<&str> {
    Some(seg).filter(|s| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

#[async_trait]
impl Provider for GooglePhotos {
    fn name(&self) -> &'static str {
        "googlephotos"
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

    /// The Picker API says nothing of who signed in (its one scope reads picked items only).
    async fn account(&self, _token: &AccessToken) -> Result<String, SourceError> {
        Ok("your Google account".into())
    }

    async fn list(
        &self,
        token: &AccessToken,
        dir: &CloudPath,
        cursor: Option<&str>,
    ) -> Result<Page, SourceError> {
        if !dir.is_folder() {
            return Err(SourceError::WrongKind(format!(
                "{dir} is a photo, not a folder"
            )));
        }
        let id = by_id::id(dir).map_err(|_| SourceError::NotFound(dir.to_string()))?;
        let Some(id) = id else {
            // The root: a new picking session, and its page for the person to choose on.
            let s: Session = self
                .call(
                    self.http
                        .post(self.url("/v1/sessions")?)
                        .json(&serde_json::json!({})),
                    token,
                    "a picking session",
                )
                .await?;
            let folder = by_id::child(dir, CHOSEN, &s.id, true)
                .map_err(|why| SourceError::Upstream(format!("{NAME} session {}: {why}", s.id)))?;
            return Ok(Page {
                items: vec![CloudItem {
                    name: CHOSEN.into(),
                    path: folder,
                    folder: true,
                    size: 0,
                    mimetype: None,
                    preview: Preview::Icon,
                }],
                next: None,
                pick_url: Some(s.picker_uri),
            });
        };
        let session = session_of(&id).ok_or_else(|| SourceError::NotFound(dir.to_string()))?;
        if dir.as_str().trim_matches('/').contains('/') {
            return Err(SourceError::WrongKind(format!(
                "{dir} is a photo, not a folder"
            )));
        }
        let s: Session = self
            .call(
                self.http.get(self.url(&format!("/v1/sessions/{session}"))?),
                token,
                dir.as_str(),
            )
            .await?;
        if !s.media_items_set {
            // Not chosen yet: nothing to show but where to choose.
            return Ok(Page {
                items: Vec::new(),
                next: None,
                pick_url: Some(s.picker_uri),
            });
        }
        let page = self.items(token, session, cursor, dir.as_str()).await?;
        let mut items = Vec::new();
        for it in page.media_items.iter().filter(|i| i.usable()) {
            let name = it.media_file.filename.clone();
            items.push(CloudItem {
                path: by_id::child(dir, &name, &it.id, false).map_err(|why| {
                    SourceError::Upstream(format!("{NAME} item {}: {why}", it.id))
                })?,
                name,
                folder: false,
                // The Picker API does not say how big a file is.
                size: 0,
                mimetype: Some(it.media_file.mime_type.clone()),
                preview: Preview::Made(Some(it.media_file.base_url.clone())),
            });
        }
        Ok(Page {
            items,
            next: page.next_page_token.filter(|t| !t.is_empty()),
            pick_url: None,
        })
    }

    async fn thumbnail(
        &self,
        token: &AccessToken,
        path: &CloudPath,
        hint: Option<&str>,
    ) -> Result<Option<Thumbnail>, SourceError> {
        if path.is_folder() {
            return Ok(None);
        }
        if let Some(base) = hint.filter(|b| self.trusted(b)) {
            if let Some(t) = self.picture(token, base).await? {
                return Ok(Some(t));
            }
        }
        let item = self.find(token, path).await?;
        if !self.trusted(&item.media_file.base_url) {
            return Ok(None);
        }
        self.picture(token, &item.media_file.base_url).await
    }

    async fn open(
        &self,
        token: &AccessToken,
        path: &CloudPath,
        from: u64,
    ) -> Result<Download, SourceError> {
        if path.is_folder() {
            return Err(SourceError::WrongKind(format!(
                "{path} is a folder, not a photo"
            )));
        }
        let item = self.find(token, path).await?;
        if !item.usable() {
            return Err(SourceError::Refused(format!(
                "{} is not ready in {NAME} yet",
                item.media_file.filename
            )));
        }
        if !self.trusted(&item.media_file.base_url) {
            return Err(SourceError::Upstream(format!(
                "{NAME} gave a media URL off its media host for {}",
                item.media_file.filename
            )));
        }
        let suffix = if item.kind == "VIDEO" { "=dv" } else { "=d" };
        let mut req = self
            .http
            .get(format!("{}{suffix}", item.media_file.base_url))
            .bearer_auth(&token.0);
        if let Some(r) = range_from(from) {
            req = req.header(header::RANGE, r);
        }
        let resp = req.send().await.map_err(|e| unreachable(NAME, &e))?;
        if !resp.status().is_success() {
            let (status, headers) = (resp.status(), resp.headers().clone());
            return Err(refusal(NAME, status, &headers, path.as_str(), ""));
        }
        ranged(
            NAME,
            resp,
            from,
            item.media_file.filename,
            Some(item.media_file.mime_type),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Source;
    use crate::cloud::provider_checks::{self, Checks};
    use futures_util::TryStreamExt;
    use skiff_standins::googlephotos::{self, Media};
    use std::sync::Arc;

    fn library() -> Vec<Media> {
        let m = |id: &str, name: &str, mime: &str, n: usize, ready: bool| Media {
            id: id.into(),
            filename: name.into(),
            mime: mime.into(),
            bytes: crate::cloud::conformance::bytes_of(n, n as u8),
            ready,
        };
        vec![
            m("m1", "IMG_0001.jpg", "image/jpeg", 3000, true),
            m("m2", "Strand – Überblick.heic", "image/heic", 4000, true),
            m("m3", "clip.mp4", "video/mp4", 5000, true),
            m("m4", "raw clip.mp4", "video/mp4", 6000, false),
        ]
    }

    fn pointed_at(s: &skiff_standins::StandIn) -> Arc<dyn Provider> {
        let client = (googlephotos::CLIENT_ID, googlephotos::CLIENT_SECRET);
        let c = provider_checks::config(s, client, "/o/oauth2/v2/auth", "/token");
        Arc::new(GooglePhotos::new(&c).unwrap())
    }

    #[tokio::test]
    async fn passes_the_oauth_checks_against_its_stand_in() {
        let s = googlephotos::start(library()).await;
        let checks = Checks {
            conformance: false,
            ..Checks::default()
        };
        provider_checks::run_with(pointed_at(&s), &s, checks).await;
    }

    #[tokio::test]
    async fn the_person_chooses_in_google_photos_then_imports() {
        let s = googlephotos::start(library()).await;
        let source = provider_checks::signed_in(pointed_at(&s), &s).await;
        let root = source.list(&CloudPath::root(), None).await.unwrap();
        let pick = root.pick_url.clone().expect("where to choose");
        let chosen = &root.items[0];
        assert_eq!((chosen.name.as_str(), chosen.folder), (CHOSEN, true));
        assert_eq!(source.folder_name(&chosen.path), CHOSEN);
        // Before choosing: nothing, and where to choose again.
        let before = source.list(&chosen.path, None).await.unwrap();
        assert!(before.items.is_empty());
        assert_eq!(before.pick_url.as_deref(), Some(pick.as_str()));
        // The person chooses.
        reqwest::get(&pick)
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        let items = provider_checks::all_items(&source, &chosen.path).await;
        let names: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            ["IMG_0001.jpg", "Strand – Überblick.heic", "clip.mp4"],
            "the unready video is left out"
        );
        for (i, (len, seed)) in [(3000, 3000usize), (4000, 4000), (5000, 5000)]
            .iter()
            .enumerate()
        {
            let d = source.open(&items[i].path, 0).await.unwrap();
            assert_eq!(d.name, items[i].name);
            let got: Vec<bytes::Bytes> = d.body.try_collect().await.unwrap();
            assert_eq!(
                got.concat(),
                crate::cloud::conformance::bytes_of(*len, *seed as u8)
            );
        }
        let d = source.open(&items[2].path, 100).await.unwrap();
        let rest: Vec<bytes::Bytes> = d.body.try_collect().await.unwrap();
        assert_eq!(
            rest.concat(),
            crate::cloud::conformance::bytes_of(5000, 5000usize as u8)[100..]
        );
        let media = s.requests("/lh/");
        assert!(
            media.iter().any(|l| l.path.ends_with("m3=dv")),
            "a video is read with =dv"
        );
        assert!(
            media
                .iter()
                .all(|l| l.headers.contains_key("authorization")),
            "with the bearer"
        );
        // Pictures: of the base URL the listing gave, or of the current one when that one
        // fails or is missing; a frame for a video.
        let Preview::Made(Some(base)) = &items[0].preview else {
            panic!("{:?}", items[0].preview);
        };
        for (i, hint) in [(0, Some(base.clone())), (0, None), (2, None)] {
            let t = source.thumbnail(&items[i].path, hint.as_deref()).await;
            let t = t.unwrap().expect("a picture");
            assert_eq!(t.mimetype, "image/jpeg");
        }
        let stale = format!("{base}-gone");
        assert!(
            source
                .thumbnail(&items[0].path, Some(&stale))
                .await
                .unwrap()
                .is_some()
        );
        let sized = s.requests("/lh/");
        let sized: Vec<_> = sized
            .iter()
            .filter(|l| l.path.ends_with("=w256-h256"))
            .collect();
        assert_eq!(sized.len(), 5, "one failed try of the stale base URL");
        assert!(
            sized
                .iter()
                .all(|l| l.headers.contains_key("authorization"))
        );
        // Made-up paths name nothing.
        let bogus = CloudPath::parse("/x~ps1/nope.jpg").unwrap();
        assert!(matches!(
            source.open(&bogus, 0).await,
            Err(SourceError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn streams_a_big_video_whole() {
        let big = crate::cloud::conformance::bytes_of(20 * 1024 * 1024 + 5, 9);
        let video = Media {
            id: "v1".into(),
            filename: "long.mp4".into(),
            mime: "video/mp4".into(),
            bytes: big.clone(),
            ready: true,
        };
        let s = googlephotos::start(vec![video]).await;
        let source = provider_checks::signed_in(pointed_at(&s), &s).await;
        let root = source.list(&CloudPath::root(), None).await.unwrap();
        reqwest::get(root.pick_url.unwrap()).await.unwrap();
        let items = provider_checks::all_items(&source, &root.items[0].path).await;
        let d = source.open(&items[0].path, 0).await.unwrap();
        let got: Vec<bytes::Bytes> = d.body.try_collect().await.unwrap();
        assert!(got.concat() == big, "20 MiB streamed whole");
    }

    #[test]
    fn only_the_media_host_is_fetched() {
        let p = GooglePhotos::new(&OAuthSourceConfig {
            client_id: "c".into(),
            ..Default::default()
        })
        .unwrap();
        assert!(p.trusted("https://lh3.googleusercontent.com/abc"));
        assert!(!p.trusted("http://lh3.googleusercontent.com/abc"));
        assert!(!p.trusted("https://169.254.169.254/latest/meta-data"));
        assert!(!p.trusted("https://googleusercontent.com.evil.example/x"));
    }
}
