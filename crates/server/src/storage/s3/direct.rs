//! Uploads that clients send straight to the bucket: the server starts a multipart upload of
//! the final object, hands out one presigned UploadPart URL per part (its `Content-MD5`
//! signed, so S3 takes exactly the bytes the client declared), then completes or aborts it.

use super::S3Storage;
use super::requests::failed;
use crate::storage::StorageError;
use base64::Engine as _;
use object_store::ObjectStoreExt as _;
use object_store::multipart::{MultipartStore as _, PartId};
use object_store::signer::{HeaderName, HeaderValue, Method};
use skiff_protocol::limits::MAX_PARTS;
use std::time::Duration;

/// A multipart upload of object `name` whose parts clients send to presigned URLs. Plain data,
/// so that any instance can finish it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DirectUpload {
    /// The object it makes (as [`crate::storage::Storage::get`] names it).
    pub name: String,
    /// S3's id of the multipart upload.
    pub upload_id: String,
}

/// One presigned UploadPart: PUT the part's bytes to `url` with exactly `headers`; the answer's
/// `ETag` header names the part at completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedPart {
    /// Where to send the part (valid for the lifetime asked for).
    pub url: url::Url,
    /// Headers the request must carry as they are (`Content-MD5`).
    pub headers: Vec<(String, String)>,
}

impl S3Storage {
    /// Starts a multipart upload of object `name` for a client to send the parts of.
    pub async fn start_direct(&self, name: &str) -> Result<DirectUpload, StorageError> {
        let key = self.object(name)?;
        let upload_id = self
            .store
            .create_multipart(&key)
            .await
            .map_err(|e| failed(e, &format!("object {name}")))?;
        Ok(DirectUpload {
            name: name.to_owned(),
            upload_id,
        })
    }

    /// Signs the UploadPart of part `number` (1 to 10,000) of `upload`, whose bytes have MD5
    /// `md5`, for `lifetime`. S3 refuses the request if its `Content-MD5` header is not this
    /// one (the signature covers it) or if the bytes do not match it.
    pub async fn presign_part(
        &self,
        upload: &DirectUpload,
        number: u32,
        md5: [u8; 16],
        lifetime: Duration,
    ) -> Result<PresignedPart, StorageError> {
        let key = self.object(&upload.name)?;
        if !(1..=MAX_PARTS).contains(&number) {
            return Err(StorageError::Io {
                path: format!("object {}", upload.name),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("part number {number} is not between 1 and {MAX_PARTS}"),
                ),
            });
        }
        let digest = base64::engine::general_purpose::STANDARD.encode(md5);
        let value = HeaderValue::from_str(&digest).map_err(|e| StorageError::Io {
            path: format!("object {}", upload.name),
            source: std::io::Error::other(e),
        })?;
        let name = HeaderName::from_static("content-md5");
        let query = [
            ("partNumber", number.to_string()),
            ("uploadId", upload.upload_id.clone()),
        ];
        let url = self
            .presign(Method::PUT, &key, &query, Some((name, value)), lifetime)
            .await?;
        Ok(PresignedPart {
            url,
            headers: vec![("Content-MD5".into(), digest)],
        })
    }

    /// Completes `upload` with the ETags S3 gave its parts 1, 2, … in that order; the object's
    /// size. A refusal (a wrong ETag, a part under 5 MiB but the last) leaves the upload open,
    /// so that it can be completed again or aborted.
    pub async fn complete_direct(
        &self,
        upload: &DirectUpload,
        etags: &[String],
    ) -> Result<u64, StorageError> {
        let key = self.object(&upload.name)?;
        let what = format!("object {}", upload.name);
        let parts = etags
            .iter()
            .map(|etag| PartId {
                content_id: etag.clone(),
            })
            .collect();
        self.store
            .complete_multipart(&key, &upload.upload_id, parts)
            .await
            .map_err(|e| failed(e, &what))?;
        let meta = self.store.head(&key).await.map_err(|e| failed(e, &what))?;
        Ok(meta.size)
    }

    /// Aborts `upload`, dropping the parts sent (no error if it is already gone).
    pub async fn abort_direct(&self, upload: &DirectUpload) -> Result<(), StorageError> {
        let key = self.object(&upload.name)?;
        match self.store.abort_multipart(&key, &upload.upload_id).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(failed(e, &format!("object {}", upload.name))),
        }
    }
}
