//! What the body of a File API store (`POST /api/store/{location}`) carries: a multipart form
//! with the file (`fileUpload`) or a link (`url`), and optionally `upload_tags`; a urlencoded
//! form with `url` (and optionally `upload_tags`); or the file's raw bytes. Every form field is
//! used or refused with a 400 that names it, so nothing a client sends is dropped silently.

use super::part::body_stream;
use crate::error::{ApiError, ApiResult};
use crate::extract::MAX_API_BODY;
use crate::storage::ByteStream;
use axum::body::Body;
use axum::http::{HeaderMap, header};
use futures_util::{StreamExt, TryStreamExt};
use multer::{Field, Multipart};
use skiff_protocol::ErrorCode;

/// The form fields `/api/store` takes, as its refusals list them.
const FIELDS: &str = "`fileUpload` (the file), `url` (a link to fetch) and `upload_tags`";

/// Where the stored bytes come from.
pub(super) enum Source {
    /// The bytes themselves, with the name and type the form gave the file.
    Bytes {
        body: ByteStream,
        filename: Option<String>,
        mimetype: Option<String>,
    },
    /// A link for the server to fetch.
    Url(String),
}

/// A store request's body, read.
pub(super) struct StoreBody {
    pub(super) source: Source,
    /// `upload_tags` as the form sent it (JSON text), for the same rules as the query's.
    pub(super) tags: Option<String>,
}

/// Reads the body of a store request by its `Content-Type`.
pub(super) async fn read(headers: &HeaderMap, body: Body) -> ApiResult<StoreBody> {
    // The boundary is case-sensitive: the type is matched in lower case, the header used as sent.
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let lower = ctype.to_ascii_lowercase();
    if lower.starts_with("multipart/form-data") {
        let boundary = multer::parse_boundary(ctype).map_err(|e| {
            ApiError::bad(
                ErrorCode::MalformedRequest,
                format!("the form body has no valid boundary: {e}"),
            )
        })?;
        multipart(Multipart::new(body.into_data_stream(), boundary)).await
    } else if lower.starts_with("application/x-www-form-urlencoded") {
        urlencoded(body).await
    } else {
        let mimetype =
            Some(lower.split(';').next().unwrap_or("").trim().to_owned()).filter(|m| !m.is_empty());
        Ok(StoreBody {
            source: Source::Bytes {
                body: not_empty(body_stream(body)).await?,
                filename: None,
                mimetype,
            },
            tags: None,
        })
    }
}

fn unreadable(e: multer::Error) -> ApiError {
    ApiError::bad(
        ErrorCode::MalformedRequest,
        format!("the form body cannot be read: {e}"),
    )
}

/// A form field /api/store has no use for: read (bounded, as any text field) and left aside.
/// Uploaders send their own metadata next to the file (Uppy's XHR upload and Companion send
/// `name`, `type`, `provider`, …), and refusing it would refuse those clients.
fn ignored(name: &str) {
    tracing::debug!(
        field = name,
        "an /api/store form field with no meaning here was ignored ({FIELDS} are read)"
    );
}

fn twice(name: &str) -> ApiError {
    ApiError::invalid(name, "was sent more than once")
}

/// The fields before `fileUpload` (or all of them, for a link), then the file, streamed.
async fn multipart(mut form: Multipart<'static>) -> ApiResult<StoreBody> {
    let (mut url, mut tags) = (None, None);
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "upload_tags" if tags.is_none() => tags = Some(text(field, &name).await?),
            "url" if url.is_none() => url = Some(text(field, &name).await?),
            "upload_tags" | "url" => return Err(twice(&name)),
            "fileUpload" => {
                if url.is_some() {
                    return Err(both());
                }
                let filename = field.file_name().map(str::to_owned);
                let mimetype = field.content_type().map(|m| m.essence_str().to_owned());
                return Ok(StoreBody {
                    source: Source::Bytes {
                        body: file_then_end(field, form),
                        filename,
                        mimetype,
                    },
                    tags,
                });
            }
            "" => return Err(ApiError::invalid("(unnamed)", "form field has no name")),
            _ => {
                text(field, &name).await?;
                ignored(&name);
            }
        }
    }
    match url {
        Some(url) => Ok(StoreBody {
            source: Source::Url(url),
            tags,
        }),
        None => Err(ApiError::bad(
            ErrorCode::MissingField,
            "the form has neither `fileUpload` (the file) nor `url` (a link to fetch)",
        )),
    }
}

fn both() -> ApiError {
    ApiError::invalid("url", "and `fileUpload` were both sent; send one of them")
}

/// A text field, up to [`MAX_API_BODY`] bytes.
async fn text(mut field: Field<'static>, name: &str) -> ApiResult<String> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
        if buf.len() + chunk.len() > MAX_API_BODY {
            return Err(ApiError::invalid(
                name,
                format!("is longer than {MAX_API_BODY} bytes"),
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    String::from_utf8(buf).map_err(|_| ApiError::invalid(name, "is not UTF-8 text"))
}

/// The file field's bytes, then the end of the form. The file streams straight to storage, so
/// it must be the form's last field: a field after it fails the stream (and so the store, which
/// keeps nothing) with a message naming it, rather than going unread.
fn file_then_end(field: Field<'static>, form: Multipart<'static>) -> ByteStream {
    use std::io::Error as IoError;
    Box::pin(futures_util::stream::try_unfold(
        (field, form),
        |(mut field, mut form)| async move {
            if let Some(chunk) = field.chunk().await.map_err(IoError::other)? {
                return Ok(Some((chunk, (field, form))));
            }
            drop(field);
            match form.next_field().await.map_err(IoError::other)? {
                None => Ok(None),
                Some(next) => Err(IoError::other(format!(
                    "the form field `{}` comes after `fileUpload`; send the file as the form's last field",
                    next.name().unwrap_or("(unnamed)")
                ))),
            }
        },
    ))
}

/// `url=…` and optionally `upload_tags=…`.
async fn urlencoded(body: Body) -> ApiResult<StoreBody> {
    let bytes = axum::body::to_bytes(body, MAX_API_BODY)
        .await
        .map_err(|_| ApiError::bad(ErrorCode::PayloadTooLarge, "the form body is too large"))?;
    let (mut url, mut tags) = (None, None);
    for (k, v) in url::form_urlencoded::parse(&bytes) {
        let slot = match k.as_ref() {
            "url" => &mut url,
            "upload_tags" => &mut tags,
            "fileUpload" => {
                return Err(ApiError::invalid(
                    "fileUpload",
                    "cannot be sent in a urlencoded form; send the file as multipart/form-data or as the raw body",
                ));
            }
            other => {
                ignored(other);
                continue;
            }
        };
        if slot.replace(v.into_owned()).is_some() {
            return Err(twice(&k));
        }
    }
    Ok(StoreBody {
        source: Source::Url(url.ok_or_else(|| ApiError::missing("url"))?),
        tags,
    })
}

/// `body`, refused when it has no bytes at all: an empty raw body is nearly always a client that
/// forgot to attach the file (a `curl --data-binary @` of a missing path, a stream already read).
/// An empty file sent as a form's `fileUpload` is deliberate and is stored.
async fn not_empty(mut body: ByteStream) -> ApiResult<ByteStream> {
    loop {
        match body.try_next().await {
            Ok(Some(first)) if first.is_empty() => continue,
            Ok(Some(first)) => {
                let head = futures_util::stream::once(async move { Ok(first) });
                return Ok(Box::pin(head.chain(body)));
            }
            Ok(None) => {
                return Err(ApiError::bad(
                    ErrorCode::EmptyBody,
                    "the request body is empty: send the file's bytes as the body, as a form's `fileUpload` field, or a `url` to fetch",
                ));
            }
            Err(e) => {
                return Err(ApiError::bad(
                    ErrorCode::MalformedRequest,
                    format!("reading the request body failed: {e}"),
                ));
            }
        }
    }
}
