//! An OAuth provider's API (Google Drive, Dropbox, Box, OneDrive, GitHub, …) behind the narrow
//! [`Provider`] port: the same calls as a [`super::Source`], each given the access token to use.
//! [`super::Connected`] turns a provider and a picker session's connection into a `Source`
//! (fresh tokens, one refresh on a 401, sealed cursors), so every provider runs the one
//! conformance suite against its stand-in.
//!
//! Also the pieces providers share: an HTTP client that keeps credentials off redirects to
//! other hosts, Companion's mapping of provider answers to [`SourceError`], ranged downloads
//! that cope with a server ignoring `Range`, and paths for providers that address items by id.

use super::oauth::{OAuthApp, TokenSet};
use super::{CloudPath, Download, Page, SourceError, Thumbnail};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use reqwest::{StatusCode, header};
use std::fmt;
use std::time::Duration;

/// An access token, lent to one provider call. Its `Debug` prints nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(pub String);

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(..)")
    }
}

/// What logging out did at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// The provider revoked the grant.
    Revoked,
    /// The provider has no way to revoke one app's grant; the person can at this page.
    Manual(String),
    /// Revoking failed (the connection is forgotten here all the same).
    Failed(String),
}

/// One OAuth provider's API.
#[async_trait]
pub trait Provider: Send + Sync + fmt::Debug {
    /// The source name clients use (`dropbox`, `box`, …).
    fn name(&self) -> &'static str;
    /// The name people and webhooks see.
    fn display_name(&self) -> &'static str;
    /// How to sign in (this app's client, the provider's endpoints, the scopes asked).
    fn oauth(&self) -> &OAuthApp;
    /// Who signed in (an email or login), shown in the picker.
    async fn account(&self, token: &AccessToken) -> Result<String, SourceError>;
    /// One page of the folder `dir`, from a cursor this provider gave.
    async fn list(
        &self,
        token: &AccessToken,
        dir: &CloudPath,
        cursor: Option<&str>,
    ) -> Result<Page, SourceError>;
    /// The file at `path` from byte `from` on.
    async fn open(
        &self,
        token: &AccessToken,
        path: &CloudPath,
        from: u64,
    ) -> Result<Download, SourceError>;
    /// The name a person reads for the folder `dir` (providers that put ids in paths override
    /// it with [`by_id::name`]).
    fn folder_name(&self, dir: &CloudPath) -> String {
        dir.name().to_owned()
    }
    /// A picture of the file at `path` from the provider's thumbnail service, given the
    /// `hint` its listing put in [`super::Preview::Made`]; `Ok(None)` when it has none of it.
    async fn thumbnail(
        &self,
        token: &AccessToken,
        path: &CloudPath,
        hint: Option<&str>,
    ) -> Result<Option<Thumbnail>, SourceError> {
        let _ = (token, path, hint);
        Ok(None)
    }
    /// Ends the grant at the provider (RFC 7009 where the provider has that endpoint).
    async fn revoke(&self, tokens: &TokenSet, redirect: &url::Url) -> Revocation {
        let _ = redirect;
        match self.oauth().revoke(tokens).await {
            Ok(true) => Revocation::Revoked,
            Ok(false) => Revocation::Failed("the provider has no revocation endpoint".into()),
            Err(e) => Revocation::Failed(e.to_string()),
        }
    }
}

/// The HTTP client providers call their APIs with. Redirects are followed (a content endpoint
/// answers 302 to a pre-authenticated download host), and reqwest drops `Authorization` when a
/// redirect changes host or port, so a token never reaches that host (the Box and OneDrive
/// stand-ins refuse a request that carries one). Reading an answer
/// may stall at most a minute (imports then resume); a whole download may take as long as it
/// needs.
pub fn http_client() -> reqwest::Client {
    crate::fetch::ensure_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .read_timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .unwrap_or_default()
}

/// The seconds of a `Retry-After` header.
pub fn retry_after(headers: &header::HeaderMap) -> Option<u64> {
    headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Companion's mapping of a provider's refusal: 401 an auth failure (refresh once, then sign
/// in again), 404 not found, 429 a rate limit, 5xx an upstream failure, any other 4xx a
/// refusal with the provider's `message` (its own words, never a token).
pub fn refusal(
    provider: &str,
    status: StatusCode,
    headers: &header::HeaderMap,
    what: &str,
    message: &str,
) -> SourceError {
    let said = if message.is_empty() {
        String::new()
    } else {
        format!(": {}", message.chars().take(300).collect::<String>())
    };
    match status {
        StatusCode::UNAUTHORIZED => SourceError::Unauthorized(format!("{provider} HTTP 401{said}")),
        StatusCode::NOT_FOUND | StatusCode::GONE => SourceError::NotFound(what.to_owned()),
        StatusCode::TOO_MANY_REQUESTS => SourceError::RateLimited {
            retry_after: retry_after(headers),
        },
        s if s.is_server_error() => {
            // Graph and others throttle with 503 + Retry-After too.
            if s == StatusCode::SERVICE_UNAVAILABLE && retry_after(headers).is_some() {
                return SourceError::RateLimited {
                    retry_after: retry_after(headers),
                };
            }
            SourceError::Upstream(format!("{provider} answered HTTP {s} for {what}{said}"))
        }
        s => SourceError::Refused(format!("{provider} answered HTTP {s} for {what}{said}")),
    }
}

/// A request that did not get an answer.
pub fn unreachable(provider: &str, e: &reqwest::Error) -> SourceError {
    SourceError::Upstream(format!("{provider} could not be reached: {e}"))
}

/// The bytes of a download answer from byte `from`: a 206 as it is; a 200 (a server that
/// ignored `Range`) with its first `from` bytes skipped. `size` is the whole file's when the
/// answer says (`Content-Range`'s total, or a 200's length).
pub fn ranged(
    provider: &str,
    resp: reqwest::Response,
    from: u64,
    name: String,
    mimetype: Option<String>,
) -> Result<Download, SourceError> {
    let status = resp.status();
    let size = match status {
        StatusCode::PARTIAL_CONTENT => resp
            .headers()
            .get(header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit_once('/'))
            .and_then(|(_, total)| total.parse().ok()),
        StatusCode::OK => resp.content_length(),
        _ => {
            return Err(SourceError::Upstream(format!(
                "{provider} answered HTTP {status} to a download"
            )));
        }
    };
    let mimetype = mimetype.or_else(|| {
        resp.headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_owned())
            .filter(|v| !v.is_empty() && v != "application/octet-stream")
    });
    let body = resp.bytes_stream().map_err(std::io::Error::other);
    let body: crate::storage::ByteStream = if status == StatusCode::OK && from > 0 {
        let mut skip = from;
        Box::pin(body.filter_map(move |chunk| {
            let out = match chunk {
                Ok(mut c) if skip > 0 => {
                    let n = skip.min(c.len() as u64);
                    skip -= n;
                    let rest = c.split_off(n as usize);
                    (!rest.is_empty()).then_some(Ok(rest))
                }
                other => Some(other),
            };
            std::future::ready(out)
        }))
    } else {
        Box::pin(body)
    };
    Ok(Download {
        name,
        size,
        mimetype,
        body,
    })
}

/// The `Range` header value for a download from `from` (none from 0).
pub fn range_from(from: u64) -> Option<String> {
    (from > 0).then(|| format!("bytes={from}-"))
}

/// Paths for providers that address items by id (Drive, Box, OneDrive): each segment is the
/// item's name, `~`, and its id (`/Photos~0B7x/IMG 1.jpg~1aZ`), so a path reads as a breadcrumb
/// and still names the item exactly (names repeat; ids do not). A `/`, `~` or `%` in a name is
/// percent-encoded so the segment splits back.
pub mod by_id {
    use super::super::CloudPath;

    fn encode(name: &str) -> String {
        name.replace('%', "%25")
            .replace('/', "%2F")
            .replace('~', "%7E")
    }

    /// A segment naming `name` with `id`.
    pub fn segment(name: &str, id: &str) -> String {
        format!("{}~{id}", encode(name))
    }

    /// The entry `name` (id `id`) inside `dir`.
    pub fn child(dir: &CloudPath, name: &str, id: &str, folder: bool) -> Result<CloudPath, String> {
        dir.join(&segment(name, id), folder)
    }

    fn last(path: &CloudPath) -> &str {
        path.as_str()
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
    }

    /// The id the path's last segment names; `None` for the root. A segment without an id
    /// (typed by hand, or made up) names nothing: `Err` with the segment.
    pub fn id(path: &CloudPath) -> Result<Option<String>, String> {
        let last = last(path);
        if last.is_empty() {
            return Ok(None);
        }
        match last.rsplit_once('~') {
            Some((_, id)) if !id.is_empty() => Ok(Some(id.to_owned())),
            _ => Err(last.to_owned()),
        }
    }

    /// The name the path's last segment shows.
    pub fn name(path: &CloudPath) -> String {
        let last = last(path);
        let shown = last.rsplit_once('~').map_or(last, |(n, _)| n);
        percent_encoding::percent_decode_str(shown)
            .decode_utf8_lossy()
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::by_id;
    use super::*;

    #[test]
    fn id_paths_read_as_breadcrumbs_and_split_back() {
        let root = CloudPath::root();
        let dir = by_id::child(&root, "Fotos / 2026 ~ 100%", "0B7x", true).unwrap();
        assert_eq!(dir.as_str(), "/Fotos %2F 2026 %7E 100%25~0B7x/");
        assert_eq!(by_id::id(&dir).unwrap().as_deref(), Some("0B7x"));
        assert_eq!(by_id::name(&dir), "Fotos / 2026 ~ 100%");
        let file = by_id::child(&dir, "Überblick.txt", "1aZ", false).unwrap();
        assert_eq!(by_id::id(&file).unwrap().as_deref(), Some("1aZ"));
        assert_eq!(by_id::id(&root).unwrap(), None);
        let bare = CloudPath::parse("/docs/nope.txt").unwrap();
        assert_eq!(by_id::id(&bare), Err("nope.txt".into()));
        let no_id = CloudPath::parse("/a~/").unwrap();
        assert!(by_id::id(&no_id).is_err());
    }

    #[test]
    fn refusals_map_as_companion_does() {
        let h = header::HeaderMap::new();
        let r = |s: u16| refusal("Box", StatusCode::from_u16(s).unwrap(), &h, "/x", "msg");
        assert!(matches!(r(401), SourceError::Unauthorized(_)));
        assert!(matches!(r(404), SourceError::NotFound(_)));
        assert!(matches!(
            r(429),
            SourceError::RateLimited { retry_after: None }
        ));
        assert!(matches!(r(500), SourceError::Upstream(_)));
        assert!(matches!(r(403), SourceError::Refused(m) if m.contains("msg")));
        let mut ra = header::HeaderMap::new();
        ra.insert(header::RETRY_AFTER, "7".parse().unwrap());
        assert!(matches!(
            refusal("Graph", StatusCode::SERVICE_UNAVAILABLE, &ra, "/x", ""),
            SourceError::RateLimited {
                retry_after: Some(7)
            }
        ));
        assert_eq!(
            format!("{:?}", AccessToken("t0ken".into())),
            "AccessToken(..)"
        );
    }
}
