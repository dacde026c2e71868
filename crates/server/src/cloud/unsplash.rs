//! Unsplash image search, also answering Filestack's `imagesearch` name. The server's access
//! key signs every call (Unsplash's guidelines keep it off the browser), so a person needs no
//! sign-in. A search is a folder: `/<query>/` lists the photos that match, 30 a page; the root
//! is empty until one searches. Thumbnails are Unsplash's own hotlinked URLs, as the guidelines
//! ask; importing a photo reads its full-size image and reports the download to Unsplash
//! (`download_location`), which the guidelines require of every use.

use super::provider::{http_client, range_from, ranged, refusal, unreachable};
use super::{CloudItem, CloudPath, Download, Page, Preview, Source, SourceError};
use async_trait::async_trait;
use reqwest::{StatusCode, header};
use serde::Deserialize;

const NAME: &str = "Unsplash";
/// Photos per page (Unsplash's documented maximum).
const PER_PAGE: u32 = 30;

/// Unsplash as a source.
pub struct UnsplashSource {
    key: String,
    api: url::Url,
    http: reqwest::Client,
}

impl std::fmt::Debug for UnsplashSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnsplashSource")
            .field("api", &self.api.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Search {
    total_pages: u32,
    results: Vec<Photo>,
}

#[derive(Deserialize)]
struct Photo {
    id: String,
    urls: Urls,
    links: Links,
}

#[derive(Deserialize)]
struct Urls {
    full: String,
    thumb: String,
}

#[derive(Deserialize)]
struct Links {
    download_location: String,
}

impl UnsplashSource {
    /// Unsplash at `api` (its real API when absent) with the server's access `key`.
    pub fn new(key: &str, api: Option<&str>) -> Result<Self, String> {
        let api = super::providers::url_or(
            api.map(str::to_owned).as_ref(),
            "https://api.unsplash.com",
            "api_url",
        )?;
        Ok(Self {
            key: key.to_owned(),
            api,
            http: http_client(),
        })
    }

    fn get(&self, url: &str) -> reqwest::RequestBuilder {
        self.http
            .get(url)
            .header(header::AUTHORIZATION, format!("Client-ID {}", self.key))
            .header("Accept-Version", "v1")
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        what: &str,
    ) -> Result<T, SourceError> {
        let resp = self
            .get(url)
            .send()
            .await
            .map_err(|e| unreachable(NAME, &e))?;
        if !resp.status().is_success() {
            return Err(failure(resp, what).await);
        }
        resp.json()
            .await
            .map_err(|e| SourceError::Upstream(format!("{NAME} answered unreadable JSON: {e}")))
    }
}

/// The hour's budget spent is a 403 with `X-Ratelimit-Remaining: 0`.
async fn failure(resp: reqwest::Response, what: &str) -> SourceError {
    let status = resp.status();
    let headers = resp.headers().clone();
    if status == StatusCode::FORBIDDEN
        && headers
            .get("x-ratelimit-remaining")
            .is_some_and(|v| v.as_bytes() == b"0")
    {
        return SourceError::RateLimited { retry_after: None };
    }
    let message = resp
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|v| v["errors"][0].as_str().map(str::to_owned))
        .unwrap_or_default();
    if status == StatusCode::UNAUTHORIZED {
        // The server's key, not the person: nothing to sign in to.
        return SourceError::Upstream(format!("{NAME} refused the server's access key: {message}"));
    }
    refusal(NAME, status, &headers, what, &message)
}

/// The query of a search folder `/<query>/`, and a photo's id in it (`<id>.jpg`).
fn parse(p: &CloudPath) -> (Option<String>, Option<String>) {
    let segs: Vec<&str> = p.as_str().split('/').filter(|s| !s.is_empty()).collect();
    let query = segs.first().map(|q| {
        percent_encoding::percent_decode_str(q)
            .decode_utf8_lossy()
            .into_owned()
    });
    let photo = segs.get(1).map(|f| f.trim_end_matches(".jpg").to_owned());
    if segs.len() > 2 {
        return (None, None);
    }
    (query, photo)
}

#[async_trait]
impl Source for UnsplashSource {
    fn name(&self) -> &'static str {
        "unsplash"
    }

    fn display_name(&self) -> &'static str {
        NAME
    }

    async fn list(&self, dir: &CloudPath, cursor: Option<&str>) -> Result<Page, SourceError> {
        if !dir.is_folder() {
            return Err(SourceError::WrongKind(format!(
                "{dir} is a photo, not a search"
            )));
        }
        let (query, photo) = parse(dir);
        let Some(query) = query else {
            // The root: nothing until a search.
            return Ok(Page::default());
        };
        if photo.is_some() {
            return Err(SourceError::NotFound(dir.to_string()));
        }
        let page: u32 = cursor.and_then(|c| c.parse().ok()).unwrap_or(1).max(1);
        let mut url = self.api.clone();
        if let Ok(mut p) = url.path_segments_mut() {
            p.pop_if_empty().extend(["search", "photos"]);
        }
        url.query_pairs_mut()
            .append_pair("query", &query)
            .append_pair("page", &page.to_string())
            .append_pair("per_page", &PER_PAGE.to_string());
        let found: Search = self
            .json(url.as_str(), &format!("the search {query:?}"))
            .await?;
        let items = found
            .results
            .into_iter()
            .filter_map(|photo| {
                let name = format!("{}.jpg", photo.id);
                Some(CloudItem {
                    path: dir.join(&name, false).ok()?,
                    name,
                    folder: false,
                    // Unsplash does not say a photo's size in bytes.
                    size: 0,
                    mimetype: Some("image/jpeg".into()),
                    // Unsplash's guidelines ask for its own image URLs, hotlinked.
                    preview: Preview::Public(photo.urls.thumb),
                })
            })
            .collect();
        Ok(Page {
            items,
            next: (page < found.total_pages).then(|| (page + 1).to_string()),
            pick_url: None,
        })
    }

    async fn open(&self, path: &CloudPath, from: u64) -> Result<Download, SourceError> {
        let (Some(_), Some(id)) = parse(path) else {
            return Err(SourceError::WrongKind(format!("{path} is not a photo")));
        };
        if path.is_folder() || id.is_empty() {
            return Err(SourceError::WrongKind(format!("{path} is not a photo")));
        }
        let photo: Photo = self
            .json(
                &super::providers::at(&self.api, &format!("/photos/{id}")),
                path.as_str(),
            )
            .await?;
        if from == 0 {
            // Every use is reported, as Unsplash's guidelines require (a resumed read is the
            // same use).
            let _: serde_json::Value = self
                .json(&photo.links.download_location, "the download report")
                .await?;
        }
        // The image host needs no key.
        let mut req = self.http.get(&photo.urls.full);
        if let Some(r) = range_from(from) {
            req = req.header(header::RANGE, r);
        }
        let resp = req.send().await.map_err(|e| unreachable(NAME, &e))?;
        if !resp.status().is_success() {
            return Err(failure(resp, path.as_str()).await);
        }
        ranged(
            NAME,
            resp,
            from,
            format!("{id}.jpg"),
            Some("image/jpeg".into()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::conformance::bytes_of;
    use bytes::Bytes;
    use futures_util::TryStreamExt;
    use skiff_standins::unsplash;
    use std::sync::atomic::Ordering;

    fn photos(n: usize) -> Vec<(String, String, Vec<u8>)> {
        (0..n)
            .map(|i| {
                (
                    format!("p{i:02}"),
                    format!("Mountain lake {i}"),
                    bytes_of(1000 + i, i as u8),
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn searches_page_and_imports_report_the_download() {
        crate::fetch::ensure_crypto_provider();
        let u = unsplash::start(photos(35), 100).await;
        let s = UnsplashSource::new(unsplash::ACCESS_KEY, Some(&u.standin.url())).unwrap();
        assert!(
            s.list(&CloudPath::root(), None)
                .await
                .unwrap()
                .items
                .is_empty()
        );
        let dir = CloudPath::parse("/mountain lake/").unwrap();
        let first = s.list(&dir, None).await.unwrap();
        assert_eq!(first.items.len(), 30);
        assert_eq!(first.next.as_deref(), Some("2"));
        let second = s.list(&dir, first.next.as_deref()).await.unwrap();
        assert_eq!((second.items.len(), second.next), (5, None));
        let item = &first.items[3];
        assert_eq!(item.name, "p03.jpg");
        assert!(
            matches!(&item.preview, Preview::Public(u) if u.contains("photo-p03")),
            "hotlinked thumbnail"
        );
        let d = s.open(&item.path, 0).await.unwrap();
        let got: Vec<Bytes> = d.body.try_collect().await.unwrap();
        assert_eq!(got.concat(), bytes_of(1003, 3));
        assert_eq!(
            u.downloads.load(Ordering::SeqCst),
            1,
            "the use was reported"
        );
        // A resumed read is the same use.
        let rest: Vec<Bytes> = s
            .open(&item.path, 10)
            .await
            .unwrap()
            .body
            .try_collect()
            .await
            .unwrap();
        assert_eq!(rest.concat(), bytes_of(1003, 3)[10..]);
        assert_eq!(u.downloads.load(Ordering::SeqCst), 1);
        // The key went in a header, never in a URL.
        assert!(
            u.standin
                .requests("")
                .iter()
                .all(|l| !l.query.contains(unsplash::ACCESS_KEY))
        );
        assert!(u.standin.requests("/photos/").iter().all(|l| l.host == 0));
        assert!(matches!(
            s.open(&CloudPath::parse("/lake/nope.jpg").unwrap(), 0)
                .await,
            Err(SourceError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn a_spent_budget_and_a_wrong_key_are_named() {
        crate::fetch::ensure_crypto_provider();
        let u = unsplash::start(photos(3), 1).await;
        let s = UnsplashSource::new(unsplash::ACCESS_KEY, Some(&u.standin.url())).unwrap();
        let dir = CloudPath::parse("/lake/").unwrap();
        s.list(&dir, None).await.unwrap();
        assert!(matches!(
            s.list(&dir, None).await,
            Err(SourceError::RateLimited { .. })
        ));
        let wrong = UnsplashSource::new("nope", Some(&u.standin.url())).unwrap();
        assert!(
            matches!(wrong.list(&dir, None).await, Err(SourceError::Upstream(m)) if m.contains("access key"))
        );
    }
}
