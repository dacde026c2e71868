//! The S3 requests `object_store` does not make for us, the multipart driver, and how failures
//! read.
//!
//! `object_store` has no UploadPartCopy, and takes a part only as bytes in memory. Both are sent
//! here to URLs it signs (`Signer::signed_url_opts`): a copy names its source in a signed
//! `x-amz-copy-source` header; a streamed part declares its `Content-Length` and carries the
//! staged pieces' bytes as they are read from the bucket.

use super::S3Storage;
use crate::storage::StorageError;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3;
use object_store::multipart::{MultipartStore as _, PartId};
use object_store::path::Path as Key;
use object_store::signer::{HeaderName, HeaderValue, Method, SignedUrlOptions, Signer as _};
use object_store::{MultipartId, ObjectStoreExt as _};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::time::Duration;

/// How long a URL signed for one of the server's own requests is valid: S3 checks it when the
/// request starts, so this only has to cover the retries.
const OWN_URL_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// Tries of one part request when the bucket seems down, with pauses of 0.2 s then 0.8 s.
const ATTEMPTS: u32 = 3;
/// Parts of one assembly sent at once.
const PART_PARALLEL: usize = 4;

/// What a copy source may keep unencoded: the key's slashes and unreserved characters.
const COPY_SOURCE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// An `object_store` failure about `what` as a [`StorageError`].
pub(in crate::storage) fn failed(e: object_store::Error, what: &str) -> StorageError {
    match e {
        object_store::Error::NotFound { .. } => StorageError::NotFound {
            what: what.to_owned(),
        },
        e if is_outage(&e) => StorageError::Unavailable {
            what: what.to_owned(),
            cause: e.to_string(),
        },
        e => StorageError::Io {
            path: what.to_owned(),
            source: std::io::Error::other(e),
        },
    }
}

/// Whether `e` is an outage: no connection, a cut or timed-out exchange, or a 5xx that
/// outlasted `object_store`'s retries. `object_store` keeps its retry error (which holds the
/// status) private, so this looks for its public transport error in the chain, then for the
/// status in the message ("… status code: 503 Service Unavailable …").
pub(in crate::storage) fn is_outage(e: &object_store::Error) -> bool {
    use object_store::client::{HttpError, HttpErrorKind as Kind};
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        if let Some(http) = err.downcast_ref::<HttpError>() {
            return matches!(
                http.kind(),
                Kind::Connect | Kind::Request | Kind::Timeout | Kind::Interrupted
            );
        }
        next = err.source();
    }
    status_in(&e.to_string()).is_some_and(|s| (500..600).contains(&s))
}

/// The HTTP status `object_store` wrote in an error message, if any.
pub(super) fn status_in(text: &str) -> Option<u16> {
    let (_, rest) = text.split_once("status code: ")?;
    rest.get(..3)?.parse().ok()
}

/// A transport failure of one of our own requests: the bucket is unreachable.
fn unreachable(e: reqwest::Error, what: &str) -> StorageError {
    StorageError::Unavailable {
        what: what.to_owned(),
        // The URL carries a signature: not a secret, but noise in a log.
        cause: e.without_url().to_string(),
    }
}

/// The refusal in an error answer: S3's `<Code>` and `<Message>`, else the start of the body.
fn refusal(body: &str) -> String {
    let field = |tag: &str| {
        let (_, rest) = body.split_once(&format!("<{tag}>"))?;
        let (text, _) = rest.split_once(&format!("</{tag}>"))?;
        Some(text.to_owned())
    };
    match (field("Code"), field("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => body.chars().take(300).collect(),
    }
}

/// Checks the status of an answer about `what`.
async fn accepted(resp: reqwest::Response, what: &str) -> Result<reqwest::Response, StorageError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let cause = format!(
        "{status}: {}",
        refusal(&resp.text().await.unwrap_or_default())
    );
    Err(if status.is_server_error() {
        StorageError::Unavailable {
            what: what.to_owned(),
            cause,
        }
    } else if status == reqwest::StatusCode::NOT_FOUND {
        StorageError::NotFound {
            what: what.to_owned(),
        }
    } else {
        StorageError::Io {
            path: what.to_owned(),
            source: std::io::Error::other(cause),
        }
    })
}

/// The ETag in a CopyPartResult; `None` for an error that S3 sent with status 200, as it may
/// for a copy.
pub(super) fn copied_etag(body: &str) -> Option<String> {
    if body.contains("<Error>") {
        return None;
    }
    let (_, rest) = body.split_once("<ETag>")?;
    let (etag, _) = rest.split_once("</ETag>")?;
    Some(etag.replace("&quot;", "\"").replace("&#34;", "\""))
}

/// Runs one multipart upload of `parts` parts to `key`, part `i` (from 0) sent by
/// `send(i, upload id)`, a few at a time; completes it, or aborts it on any failure so that no
/// half-written upload stays open (S3 keeps, and bills, an open upload's parts until then).
pub(super) async fn multipart<F, Fut>(
    store: &AmazonS3,
    key: &Key,
    parts: usize,
    send: F,
) -> Result<(), StorageError>
where
    F: Fn(usize, MultipartId) -> Fut,
    Fut: Future<Output = Result<PartId, StorageError>>,
{
    let what = key.to_string();
    let id = store
        .create_multipart(key)
        .await
        .map_err(|e| failed(e, &what))?;
    let sent: Result<Vec<PartId>, StorageError> = futures_util::stream::iter(0..parts)
        .map(|i| send(i, id.clone()))
        .buffered(PART_PARALLEL)
        .try_collect()
        .await;
    let completed = match sent {
        Ok(ids) => store
            .complete_multipart(key, &id, ids)
            .await
            .map(drop)
            .map_err(|e| failed(e, &what)),
        Err(e) => Err(e),
    };
    if completed.is_err() {
        // If the bucket is down this fails too, and the upload stays until a lifecycle rule
        // for incomplete uploads (recommended for the bucket) removes it.
        let _ = store.abort_multipart(key, &id).await;
    }
    completed
}

impl S3Storage {
    /// A URL `object_store` signed for `method` on `key`, with `query` and, when given, a header
    /// that must be sent as signed.
    pub(super) async fn presign(
        &self,
        method: Method,
        key: &Key,
        query: &[(&str, String)],
        header: Option<(HeaderName, HeaderValue)>,
        lifetime: Duration,
    ) -> Result<url::Url, StorageError> {
        let mut options =
            SignedUrlOptions::default().with_query(query.iter().map(|(k, v)| (*k, v.clone())));
        if let Some((name, value)) = header {
            options = options.with_signed_header(name, value);
        }
        self.store
            .signed_url_opts(method, key, lifetime, &options)
            .await
            .map_err(|e| failed(e, key.as_ref()))
    }

    /// Sends the staged pieces `sources` (key, size) as object `dest` (`part` none) or as part
    /// `part.0` (from 0) of multipart upload `part.1`, trying again while the bucket seems
    /// down; the ETag S3 gave the bytes. A single piece becomes a part by a copy inside the
    /// bucket; several are streamed into one.
    pub(super) async fn send_run(
        &self,
        dest: &Key,
        part: Option<(usize, &str)>,
        sources: Vec<(Key, u64)>,
    ) -> Result<String, StorageError> {
        let query: Vec<(&str, String)> = match part {
            Some((i, id)) => vec![("partNumber", (i + 1).to_string()), ("uploadId", id.into())],
            None => Vec::new(),
        };
        let mut pause = Duration::from_millis(200);
        let mut attempt = 1;
        loop {
            let sent = match (part, sources.as_slice()) {
                (Some(_), [(from, _)]) => self.copy_part(dest, &query, from).await,
                _ => self.stream_part(dest, &query, &sources).await,
            };
            match sent {
                Err(StorageError::Unavailable { .. }) if attempt < ATTEMPTS => {
                    tokio::time::sleep(pause).await;
                    pause *= 4;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// UploadPartCopy of the whole of `from`.
    async fn copy_part(
        &self,
        dest: &Key,
        query: &[(&str, String)],
        from: &Key,
    ) -> Result<String, StorageError> {
        let what = format!("copy of {from} into {dest}");
        let source = format!(
            "{}/{}",
            self.layout.bucket,
            utf8_percent_encode(from.as_ref(), COPY_SOURCE)
        );
        let name = HeaderName::from_static("x-amz-copy-source");
        let value = HeaderValue::from_str(&source).map_err(|e| StorageError::Io {
            path: what.clone(),
            source: std::io::Error::other(e),
        })?;
        let url = self
            .presign(
                Method::PUT,
                dest,
                query,
                Some((name.clone(), value.clone())),
                OWN_URL_LIFETIME,
            )
            .await?;
        let resp = self
            .http
            .put(url)
            .header(name, value)
            .send()
            .await
            .map_err(|e| unreachable(e, &what))?;
        let body = accepted(resp, &what)
            .await?
            .text()
            .await
            .map_err(|e| unreachable(e, &what))?;
        copied_etag(&body).ok_or_else(|| StorageError::Unavailable {
            cause: refusal(&body),
            what,
        })
    }

    /// UploadPart (or PutObject without `query`) of the pieces at `sources`, streamed.
    async fn stream_part(
        &self,
        dest: &Key,
        query: &[(&str, String)],
        sources: &[(Key, u64)],
    ) -> Result<String, StorageError> {
        let what = format!("{} pieces into {dest}", sources.len());
        let length: u64 = sources.iter().map(|(_, size)| size).sum();
        let url = self
            .presign(Method::PUT, dest, query, None, OWN_URL_LIFETIME)
            .await?;
        let store = self.store.clone();
        let keys: Vec<Key> = sources.iter().map(|(key, _)| key.clone()).collect();
        // Each piece is opened when the previous one has been sent.
        let body = futures_util::stream::iter(keys)
            .then(move |key| {
                let store = store.clone();
                async move { store.get(&key).await.map(|got| got.into_stream()) }
            })
            .try_flatten();
        let resp = self
            .http
            .put(url)
            .header(reqwest::header::CONTENT_LENGTH, length)
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await
            .map_err(|e| unreachable(e, &what))?;
        let resp = accepted(resp, &what).await?;
        resp.headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| StorageError::Io {
                path: what,
                source: std::io::Error::other("S3 answered without an ETag"),
            })
    }
}
