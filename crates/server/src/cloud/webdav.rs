//! A WebDAV server as a source (`[sources.webdav]`): the app owner's own file server, Nextcloud or
//! ownCloud. Folders are listed with `PROPFIND` at `Depth: 1` (never `infinity`, which Apache
//! refuses and which could walk a whole tree), files read with `GET` and `Range`. Every request
//! stays under the configured base URL: paths are joined segment by segment, percent-encoded, and
//! hrefs in answers are used only for the entries directly inside the folder asked for.

use super::propfind::{self, Resource};
use super::thumbnails::{self, Preview, Thumbnail};
use super::{CloudItem, CloudPath, Download, Page, Source, SourceError};
use async_trait::async_trait;
use futures_util::TryStreamExt;
use reqwest::{Method, StatusCode, header};

/// How long an answer may send nothing before the request fails.
const STALL_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// The WebDAV source.
#[derive(Debug)]
pub struct WebdavSource {
    base: url::Url,
    username: Option<String>,
    password: Option<String>,
    http: reqwest::Client,
}

impl WebdavSource {
    /// A source over the tree at `base` (http or https), with Basic credentials when given.
    pub fn new(
        base: &str,
        username: Option<String>,
        password: Option<String>,
    ) -> Result<Self, String> {
        Self::with_stall_limit(base, username, password, STALL_LIMIT)
    }

    /// [`WebdavSource::new`], giving up on an answer that sends nothing for `stall` (tests).
    pub(crate) fn with_stall_limit(
        base: &str,
        username: Option<String>,
        password: Option<String>,
        stall: std::time::Duration,
    ) -> Result<Self, String> {
        let mut base = url::Url::parse(base)
            .map_err(|e| format!("the WebDAV url {base:?} is not a URL: {e}"))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(format!(
                "the WebDAV url {base} must be an http or https URL"
            ));
        }
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        crate::fetch::ensure_crypto_provider();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(10))
            // No overall timeout (a big file takes as long as it takes), but an answer that stops
            // sending fails, and an import then reopens the file where it stopped.
            .read_timeout(stall)
            .build()
            .map_err(|e| format!("the WebDAV client could not be built: {e}"))?;
        Ok(Self {
            base,
            username,
            password,
            http,
        })
    }

    /// The URL of `path` under the base, each segment percent-encoded.
    fn url_of(&self, path: &CloudPath) -> url::Url {
        let mut url = self.base.clone();
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty();
            let inner = path.as_str().trim_start_matches('/');
            segs.extend(inner.split('/'));
        }
        url
    }

    fn request(&self, method: Method, url: url::Url) -> reqwest::RequestBuilder {
        let r = self.http.request(method, url);
        match &self.username {
            Some(u) => r.basic_auth(u, self.password.as_deref()),
            None => r,
        }
    }
}

/// What an answer's status means for a source call on `path`.
fn refusal(status: StatusCode, path: &CloudPath, resp: &reqwest::Response) -> SourceError {
    match status {
        StatusCode::NOT_FOUND | StatusCode::GONE => SourceError::NotFound(path.to_string()),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            SourceError::Unauthorized(format!("HTTP {status}"))
        }
        StatusCode::TOO_MANY_REQUESTS => SourceError::RateLimited {
            retry_after: resp
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok()),
        },
        _ => SourceError::Upstream(format!(
            "the WebDAV server answered HTTP {status} for {path}"
        )),
    }
}

fn network(e: reqwest::Error) -> SourceError {
    SourceError::Upstream(format!("the WebDAV server could not be reached: {e}"))
}

#[async_trait]
impl Source for WebdavSource {
    fn name(&self) -> &'static str {
        "webdav"
    }

    fn display_name(&self) -> &'static str {
        "WebDAV"
    }

    async fn list(&self, dir: &CloudPath, cursor: Option<&str>) -> Result<Page, SourceError> {
        if cursor.is_some() {
            // A PROPFIND answer is one page; this source never gives a cursor.
            return Err(SourceError::Upstream(
                "the WebDAV source has no further pages".into(),
            ));
        }
        if !dir.is_folder() {
            return Err(SourceError::WrongKind(format!(
                "{dir} is a file, not a folder"
            )));
        }
        let url = self.url_of(dir);
        let method =
            Method::from_bytes(b"PROPFIND").map_err(|e| SourceError::Upstream(e.to_string()))?;
        let resp = self
            .request(method, url.clone())
            .header("Depth", "1")
            .header(header::CONTENT_TYPE, "application/xml; charset=utf-8")
            .body(propfind::REQUEST)
            .send()
            .await
            .map_err(network)?;
        let status = resp.status();
        if status != StatusCode::MULTI_STATUS {
            return Err(refusal(status, dir, &resp));
        }
        let xml = resp.text().await.map_err(network)?;
        let resources = propfind::parse(&xml).map_err(SourceError::Upstream)?;
        let own = percent_encoding::percent_decode_str(url.path())
            .decode_utf8_lossy()
            .into_owned();
        let mut items = Vec::new();
        for r in resources {
            if r.path.trim_end_matches('/') == own.trim_end_matches('/') {
                if !r.collection {
                    return Err(SourceError::WrongKind(format!(
                        "{dir} is a file, not a folder"
                    )));
                }
                continue;
            }
            if let Some(item) = entry(dir, &own, &r) {
                items.push(item);
            }
        }
        items.sort_by(|a, b| b.folder.cmp(&a.folder).then_with(|| a.name.cmp(&b.name)));
        Ok(Page {
            items,
            next: None,
            pick_url: None,
        })
    }

    async fn open(&self, path: &CloudPath, from: u64) -> Result<Download, SourceError> {
        if path.is_folder() {
            return Err(SourceError::WrongKind(format!(
                "{path} is a folder, not a file"
            )));
        }
        let mut req = self.request(Method::GET, self.url_of(path));
        if from > 0 {
            req = req.header(header::RANGE, format!("bytes={from}-"));
        }
        let resp = req.send().await.map_err(network)?;
        let status = resp.status();
        let size = match status {
            StatusCode::OK if from == 0 => resp.content_length(),
            StatusCode::PARTIAL_CONTENT if from > 0 => resp
                .headers()
                .get(header::CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit_once('/'))
                .and_then(|(_, total)| total.parse().ok()),
            StatusCode::OK => {
                return Err(SourceError::Upstream(format!(
                    "the WebDAV server ignored the Range of {path} (asked from byte {from})"
                )));
            }
            _ => return Err(refusal(status, path, &resp)),
        };
        let mimetype = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_owned())
            .filter(|v| !v.is_empty());
        Ok(Download {
            name: path.name().to_owned(),
            size,
            mimetype,
            body: Box::pin(resp.bytes_stream().map_err(std::io::Error::other)),
        })
    }

    /// WebDAV has no thumbnails: a small image is its own picture (see `own_picture`).
    async fn thumbnail(
        &self,
        path: &CloudPath,
        _hint: Option<&str>,
    ) -> Result<Option<Thumbnail>, SourceError> {
        thumbnails::own_picture(path.name(), self.open(path, 0)).await
    }
}

/// The item for resource `r` if it sits directly inside the folder at URL path `own`.
fn entry(dir: &CloudPath, own: &str, r: &Resource) -> Option<CloudItem> {
    let base = if own.ends_with('/') {
        own.to_owned()
    } else {
        format!("{own}/")
    };
    let rest = r.path.strip_prefix(&base)?.trim_end_matches('/');
    if rest.is_empty() || rest.contains('/') {
        return None;
    }
    let path = dir.join(rest, r.collection).ok()?;
    let size = if r.collection {
        0
    } else {
        r.length.unwrap_or(0)
    };
    let mimetype = r
        .content_type
        .as_deref()
        .map(|t| t.split(';').next().unwrap_or("").trim().to_owned())
        .filter(|t| !t.is_empty() && !r.collection);
    let preview = if r.collection {
        Preview::Icon
    } else {
        thumbnails::own_preview(rest, mimetype.as_deref(), size)
    };
    Some(CloudItem {
        name: rest.to_owned(),
        path,
        folder: r.collection,
        size,
        mimetype,
        preview,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_peers::{Running, free_port, installed};
    use std::process::{Command, Stdio};

    /// `rclone serve webdav` over a folder filled with the conformance tree, on loopback; killed
    /// when dropped. Where rclone is missing, see `crate::test_peers`.
    struct Rclone {
        _process: Running,
        url: String,
        _dir: tempfile::TempDir,
    }

    /// [`rclone_with`] the conformance tree only.
    async fn rclone() -> Option<Rclone> {
        rclone_with(&[]).await
    }

    /// `rclone serve webdav` over the conformance tree and `extra` files.
    async fn rclone_with(extra: &[(&str, Vec<u8>)]) -> Option<Rclone> {
        if !installed(
            "rclone",
            "version",
            "rclone",
            "scripts/setup.sh installs it",
        ) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        super::super::conformance::fill_dir(dir.path());
        for (path, bytes) in extra {
            std::fs::write(dir.path().join(path.trim_start_matches('/')), bytes).unwrap();
        }
        let addr = format!("127.0.0.1:{}", free_port());
        let child = Command::new("rclone")
            .args([
                "serve",
                "webdav",
                dir.path().to_str().unwrap(),
                "--addr",
                &addr,
            ])
            .args([
                "--user",
                "u",
                "--pass",
                "p",
                "--read-only",
                "--config",
                "/dev/null",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Rclone {
            _process: Running(child),
            url: format!("http://{addr}/"),
            _dir: dir,
        };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(&addr).await.is_ok() {
                return Some(server);
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("rclone did not start listening on {addr}");
    }

    #[tokio::test]
    async fn a_real_webdav_server_passes_the_conformance_suite() {
        let Some(server) = rclone().await else { return };
        let source = WebdavSource::new(&server.url, Some("u".into()), Some("p".into())).unwrap();
        super::super::conformance::run(&source).await;
    }

    #[tokio::test]
    async fn an_image_of_up_to_a_mebibyte_is_its_own_picture() {
        let limit = thumbnails::OWN_MAX_BYTES as usize;
        let extra = [
            ("/small.gif", vec![7u8; limit]),
            ("/large.jpg", vec![7u8; limit + 1]),
        ];
        let Some(server) = rclone_with(&extra).await else {
            return;
        };
        let source = WebdavSource::new(&server.url, Some("u".into()), Some("p".into())).unwrap();
        let root = source.list(&CloudPath::root(), None).await.unwrap().items;
        let item = |name: &str| root.iter().find(|i| i.name == name).unwrap();
        assert_eq!(item("small.gif").preview, Preview::Made(None));
        assert_eq!(
            item("large.jpg").preview,
            Preview::Icon,
            "listed without a picture"
        );
        let t = source
            .thumbnail(&item("small.gif").path, None)
            .await
            .unwrap();
        let t = t.expect("its own bytes");
        assert_eq!(
            (t.mimetype.as_str(), t.size),
            ("image/gif", Some(limit as u64))
        );
        // Even asked for (the file grew since it was listed), a big image gets no picture.
        let big = source
            .thumbnail(&item("large.jpg").path, None)
            .await
            .unwrap();
        assert!(big.is_none());
    }

    #[tokio::test]
    async fn wrong_credentials_are_named() {
        let Some(server) = rclone().await else { return };
        let source =
            WebdavSource::new(&server.url, Some("u".into()), Some("wrong".into())).unwrap();
        let r = source.list(&CloudPath::root(), None).await;
        assert!(matches!(r, Err(SourceError::Unauthorized(_))), "{r:?}");
    }

    /// A file server whose first answer stalls after 100 bytes; later ones honour `Range`.
    async fn stalling_server(data: &'static [u8]) -> String {
        use axum::http::{HeaderMap, StatusCode};
        use axum::response::IntoResponse;
        let served = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let handler = move |headers: HeaderMap| {
            let served = served.clone();
            async move {
                let n = served.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let from: usize = headers
                    .get("range")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("bytes="))
                    .and_then(|v| v.strip_suffix('-'))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                if n == 0 {
                    let head = futures_util::stream::iter([Ok::<_, std::io::Error>(
                        bytes::Bytes::from_static(&data[..100]),
                    )]);
                    let body =
                        futures_util::StreamExt::chain(head, futures_util::stream::pending());
                    let len = data.len().to_string();
                    return (
                        [("content-length", len)],
                        axum::body::Body::from_stream(body),
                    )
                        .into_response();
                }
                let range = format!("bytes {from}-{}/{}", data.len() - 1, data.len());
                (
                    StatusCode::PARTIAL_CONTENT,
                    [("content-range", range)],
                    &data[from..],
                )
                    .into_response()
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().route("/dav/f.bin", axum::routing::get(handler));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/dav/")
    }

    #[tokio::test]
    async fn an_answer_that_stalls_fails_and_the_import_goes_on_where_it_stopped() {
        use futures_util::StreamExt as _;
        static DATA: std::sync::LazyLock<Vec<u8>> =
            std::sync::LazyLock::new(|| super::super::conformance::bytes_of(50_000, 9));
        let url = stalling_server(&DATA).await;
        let stall = std::time::Duration::from_millis(300);
        let source =
            std::sync::Arc::new(WebdavSource::with_stall_limit(&url, None, None, stall).unwrap());
        let path = CloudPath::parse("/f.bin").unwrap();
        let first = source.open(&path, 0).await.unwrap();
        assert_eq!(first.size, Some(50_000));
        // Without a stall limit the first answer would hang the import for ever.
        let all = super::super::resuming(source, path, first).collect::<Vec<_>>();
        let chunks = tokio::time::timeout(std::time::Duration::from_secs(10), all)
            .await
            .expect("the stalled answer was given up on");
        let bytes: Vec<u8> = chunks
            .into_iter()
            .map(Result::unwrap)
            .flat_map(|c| c.to_vec())
            .collect();
        assert!(bytes == *DATA, "{} bytes", bytes.len());
    }

    #[test]
    fn urls_stay_under_the_base() {
        let s = WebdavSource::new("http://h/dav", None, None).unwrap();
        let p = CloudPath::parse("/a b/ü?#.txt").unwrap();
        assert_eq!(s.url_of(&p).as_str(), "http://h/dav/a%20b/%C3%BC%3F%23.txt");
        assert_eq!(s.url_of(&CloudPath::root()).as_str(), "http://h/dav/");
        assert!(WebdavSource::new("ftp://h/", None, None).is_err());
    }
}
