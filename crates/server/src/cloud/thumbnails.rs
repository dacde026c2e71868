//! Pictures of listed items, for the picker's rows and tiles. A listing marks each item with a
//! [`Preview`]: the type's icon, a public URL (Unsplash's hotlinked thumbnails), or a picture the
//! source makes, which the browser loads through the server (`GET /cloud/thumbnails/{capability}`,
//! see [`grant`]) because it needs the person's provider token, which never leaves the server.
//! Listing stays as fast as before: marking an item asks the provider nothing; the picture is
//! fetched only when its row scrolls into view.
//!
//! The values and rules every source shares live here: what counts as a picture ([`pictured`]),
//! how a provider's answer becomes a [`Thumbnail`], the size limits, and the rule for sources
//! with no thumbnail service of their own ([`own_picture`]).

use super::{Download, SourceError};
use crate::storage::ByteStream;
use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::header;
use std::fmt;
use std::time::Duration;

pub mod grant;

/// The most bytes of a picture the server relays. Providers' thumbnails are a few KiB to a few
/// hundred; anything bigger is not a thumbnail, and the picker shows the type's icon instead.
pub const MAX_BYTES: u64 = 2 * 1024 * 1024;

/// The largest image a source without thumbnails serves as its own picture (see
/// [`own_picture`]).
pub const OWN_MAX_BYTES: u64 = 1024 * 1024;

/// How long a source may take to start answering for a picture. A row waiting longer is better
/// shown with its icon (the picker hides a picture that fails) than held up.
pub const WAIT: Duration = Duration::from_secs(15);

/// How long a whole picture may take to arrive, from the request on.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// What a listing shows for an item.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Preview {
    /// The type's icon: folders, and files the source makes no picture of.
    #[default]
    Icon,
    /// A public image URL the browser loads as it is (Unsplash's, which its guidelines ask
    /// apps to hotlink).
    Public(String),
    /// A picture the source makes ([`super::Source::thumbnail`]), loaded through the server.
    /// The source may want something of the listing back then, opaque to everyone else: a
    /// short-lived link it was given (Google's `thumbnailLink`, a Photos `baseUrl`), which saves
    /// asking the provider for it again.
    Made(Option<String>),
}

impl Preview {
    /// [`Preview::Made`] without a hint when `made`, else the icon.
    pub fn made_if(made: bool) -> Self {
        if made { Self::Made(None) } else { Self::Icon }
    }
}

/// A picture of an item, as a source gives it.
pub struct Thumbnail {
    /// Its media type (`image/…`).
    pub mimetype: String,
    /// Its length, when the source said.
    pub size: Option<u64>,
    /// The bytes.
    pub body: ByteStream,
}

impl fmt::Debug for Thumbnail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Thumbnail")
            .field("mimetype", &self.mimetype)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// The media type of a file named `name`: `mimetype` when the source gave one, else a guess
/// from the name.
fn type_of<'a>(name: &str, mimetype: Option<&'a str>) -> &'a str {
    match mimetype.filter(|m| !m.is_empty() && *m != skiff_protocol::mime::OCTET_STREAM) {
        Some(m) => m,
        None => skiff_protocol::mime::from_file_name(name).unwrap_or(""),
    }
}

/// Whether `mimetype` (parameters allowed) is one the server relays as a picture: an image,
/// but not SVG, which is a document that can carry script; relayed from the server's origin it
/// would run there if someone opened its URL in a tab.
pub fn relayable(mimetype: &str) -> bool {
    let essence = mimetype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("image/") && essence.len() > 6 && essence != "image/svg+xml"
}

/// Whether the file `name` (of type `mimetype`, when the source says) is an image the server
/// would relay.
pub fn pictured(name: &str, mimetype: Option<&str>) -> bool {
    relayable(type_of(name, mimetype))
}

/// Whether the file `name` is a video (some providers make pictures of those too).
pub fn moving(name: &str, mimetype: Option<&str>) -> bool {
    type_of(name, mimetype).starts_with("video/")
}

/// The preview of a file in a source without a thumbnail service: its own bytes when it is an
/// image of at most [`OWN_MAX_BYTES`] (see [`own_picture`]), else the icon.
pub fn own_preview(name: &str, mimetype: Option<&str>, size: u64) -> Preview {
    Preview::made_if(size <= OWN_MAX_BYTES && pictured(name, mimetype))
}

/// The picture of a file in a source with no thumbnail service (WebDAV, an S3 bucket, GitHub:
/// none of them makes smaller images): the image itself, when it is at most [`OWN_MAX_BYTES`],
/// for the browser to scale down. A bigger one gets no picture: a few hundred pixels of tile are
/// not worth megabytes of the person's bandwidth and the server's. `open` reads the file from
/// its start; it runs only for a file whose name says image.
pub async fn own_picture<F>(name: &str, open: F) -> Result<Option<Thumbnail>, SourceError>
where
    F: std::future::Future<Output = Result<Download, SourceError>>,
{
    if !pictured(name, None) {
        return Ok(None);
    }
    let d = open.await?;
    // A file of unknown length could be any size: not worth reading to find out.
    let Some(size) = d.size.filter(|s| *s <= OWN_MAX_BYTES) else {
        return Ok(None);
    };
    let mimetype = type_of(name, d.mimetype.as_deref());
    if !relayable(mimetype) {
        return Ok(None);
    }
    Ok(Some(Thumbnail {
        mimetype: mimetype.to_owned(),
        size: Some(size),
        body: d.body,
    }))
}

/// A provider's successful answer to a thumbnail request as a [`Thumbnail`]: its type is the
/// answer's when that is an image, else `assumed` (the format the request asked for: Dropbox
/// answers thumbnails as `application/octet-stream`). `None` when it is no image, or is bigger
/// than [`MAX_BYTES`].
pub fn from_response(resp: reqwest::Response, assumed: Option<&str>) -> Option<Thumbnail> {
    let said = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_owned());
    let mimetype = match said {
        Some(t) if relayable(&t) => t,
        _ => assumed.filter(|t| relayable(t))?.to_owned(),
    };
    let size = resp.content_length();
    if size.is_some_and(|s| s > MAX_BYTES) {
        return None;
    }
    Some(Thumbnail {
        mimetype,
        size,
        body: Box::pin(
            resp.bytes_stream()
                .map(|r| r.map_err(|e| std::io::Error::other(e.without_url()))),
        ),
    })
}

/// An HTTP client for thumbnail requests: short timeouts, and no redirects followed (Box
/// answers a placeholder graphic with a redirect, which is not the file's picture).
pub fn http_client() -> reqwest::Client {
    crate::fetch::ensure_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(WAIT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// `body` cut off with an error after `max` bytes, or when `deadline` passes before it ends.
pub fn capped(body: ByteStream, max: u64, deadline: tokio::time::Instant) -> ByteStream {
    let cut = |why: &str| Some(Err(std::io::Error::other(why.to_owned())));
    let stream = futures_util::stream::unfold(
        (body, 0u64, false),
        move |(mut body, seen, done)| async move {
            if done {
                return None;
            }
            let next = match tokio::time::timeout_at(deadline, body.next()).await {
                Err(_) => cut("the picture took too long to arrive"),
                Ok(Some(Ok(chunk))) if seen + chunk.len() as u64 > max => {
                    cut("the picture is larger than the server relays")
                }
                Ok(other) => other,
            };
            let item: Result<Bytes, std::io::Error> = next?;
            let seen = seen + item.as_ref().map_or(0, |c| c.len() as u64);
            let failed = item.is_err();
            Some((item, (body, seen, failed)))
        },
    );
    Box::pin(stream)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt;

    #[test]
    fn what_counts_as_a_picture() {
        assert!(pictured("IMG 1.JPG", None));
        assert!(pictured("scan", Some("image/png")));
        assert!(pictured("x.png", Some("application/octet-stream")));
        assert!(!pictured("logo.svg", None), "SVG can carry script");
        assert!(!pictured("a.png", Some("image/svg+xml")));
        assert!(!pictured("notes.txt", None));
        assert!(!pictured("README", None));
        assert!(moving("clip.mp4", None) && !moving("a.jpg", None));
        assert!(relayable("image/jpeg; q=1") && !relayable("image/") && !relayable("text/html"));
        assert_eq!(
            own_preview("a.gif", None, OWN_MAX_BYTES),
            Preview::Made(None)
        );
        assert_eq!(own_preview("a.gif", None, OWN_MAX_BYTES + 1), Preview::Icon);
        assert_eq!(own_preview("a.txt", None, 3), Preview::Icon);
    }

    fn download(name: &str, size: Option<u64>, mimetype: Option<&str>) -> Download {
        let bytes = Bytes::from(vec![7u8; size.unwrap_or(5) as usize]);
        Download {
            name: name.into(),
            size,
            mimetype: mimetype.map(str::to_owned),
            body: Box::pin(futures_util::stream::iter([Ok(bytes)])),
        }
    }

    #[tokio::test]
    async fn small_images_are_their_own_pictures() {
        let open = |size, mime: Option<&'static str>| async move {
            Ok::<_, SourceError>(download("a.png", size, mime))
        };
        let t = own_picture("a.png", open(Some(10), None))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((t.mimetype.as_str(), t.size), ("image/png", Some(10)));
        let t = own_picture("a.png", open(Some(10), Some("image/webp")))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.mimetype, "image/webp", "the source's own type wins");
        let big = own_picture("a.png", open(Some(OWN_MAX_BYTES + 1), None)).await;
        assert!(big.unwrap().is_none());
        assert!(
            own_picture("a.png", open(None, None))
                .await
                .unwrap()
                .is_none()
        );
        let html = own_picture("a.png", open(Some(3), Some("text/html"))).await;
        assert!(
            html.unwrap().is_none(),
            "the server's answer said otherwise"
        );
        // A name that says no image is not even opened.
        let never = async { panic!("opened a text file") };
        assert!(own_picture("a.txt", never).await.unwrap().is_none());
        let missing = own_picture("a.png", async {
            Err::<Download, _>(SourceError::NotFound("/a.png".into()))
        });
        assert!(matches!(missing.await, Err(SourceError::NotFound(_))));
    }

    #[tokio::test]
    async fn a_relayed_body_stops_at_its_limit_and_its_deadline() {
        let chunks = |n: usize| -> ByteStream {
            Box::pin(futures_util::stream::iter(
                (0..n).map(|_| Ok(Bytes::from_static(&[1u8; 100]))),
            ))
        };
        let later = tokio::time::Instant::now() + Duration::from_secs(5);
        let all: Vec<Bytes> = capped(chunks(3), 300, later).try_collect().await.unwrap();
        assert_eq!(all.concat().len(), 300);
        let over: Result<Vec<Bytes>, _> = capped(chunks(4), 300, later).try_collect().await;
        assert!(over.is_err());
        let stalled: ByteStream = Box::pin(futures_util::stream::pending());
        let soon = tokio::time::Instant::now() + Duration::from_millis(20);
        let r: Result<Vec<Bytes>, _> = capped(stalled, 300, soon).try_collect().await;
        assert!(r.is_err(), "a stalled picture is given up on");
    }
}
