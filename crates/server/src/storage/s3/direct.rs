//! Direct uploads to the bucket: an S3 multipart upload of the final object, one presigned
//! UploadPart URL per part (its `Content-MD5` signed, so S3 takes exactly the bytes the client
//! declared), then CompleteMultipartUpload or AbortMultipartUpload.

use super::S3Storage;
use super::requests::{failed, status_in};
use crate::storage::direct::check_part_number;
use crate::storage::{DirectUpload, DirectUploads, PresignedPart, StorageError};
use async_trait::async_trait;
use base64::Engine as _;
use object_store::ObjectStoreExt as _;
use object_store::multipart::{MultipartStore as _, PartId};
use object_store::signer::{HeaderName, HeaderValue, Method};
use std::time::Duration;

#[async_trait]
impl DirectUploads for S3Storage {
    async fn start_direct(&self, name: &str) -> Result<DirectUpload, StorageError> {
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

    /// S3 refuses the PUT if its `Content-MD5` header is not the signed one or if the bytes do
    /// not match it.
    async fn presign_part(
        &self,
        upload: &DirectUpload,
        number: u32,
        md5: Option<[u8; 16]>,
        lifetime: Duration,
    ) -> Result<PresignedPart, StorageError> {
        let key = self.object(&upload.name)?;
        check_part_number(upload, number)?;
        let query = [
            ("partNumber", number.to_string()),
            ("uploadId", upload.upload_id.clone()),
        ];
        let Some(md5) = md5 else {
            let url = self
                .presign(Method::PUT, &key, &query, None, lifetime)
                .await?;
            return Ok(PresignedPart {
                url,
                headers: Vec::new(),
            });
        };
        let digest = base64::engine::general_purpose::STANDARD.encode(md5);
        let value = HeaderValue::from_str(&digest).map_err(|e| StorageError::Io {
            path: format!("object {}", upload.name),
            source: std::io::Error::other(e),
        })?;
        let name = HeaderName::from_static("content-md5");
        let url = self
            .presign(Method::PUT, &key, &query, Some((name, value)), lifetime)
            .await?;
        Ok(PresignedPart {
            url,
            headers: vec![("Content-MD5".into(), digest)],
        })
    }

    /// S3 leaves the upload open after a refusal (InvalidPart, EntityTooSmall, …): a 4xx
    /// other than a missing upload is [`StorageError::Refused`].
    async fn complete_direct(
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
        let done = self
            .store
            .complete_multipart(&key, &upload.upload_id, parts)
            .await;
        if let Err(object_store::Error::NotFound { .. }) = done {
            // No such upload: completed before (its object is there) or aborted.
            let meta = self.store.head(&key).await.map_err(|e| failed(e, &what))?;
            return Ok(meta.size);
        }
        done.map_err(|e| match status_in(&e.to_string()) {
            Some(status) if (400..500).contains(&status) && status != 404 => {
                StorageError::Refused {
                    what: what.clone(),
                    cause: e.to_string(),
                }
            }
            _ => failed(e, &what),
        })?;
        let meta = self.store.head(&key).await.map_err(|e| failed(e, &what))?;
        Ok(meta.size)
    }

    async fn abort_direct(&self, upload: &DirectUpload) -> Result<(), StorageError> {
        let key = self.object(&upload.name)?;
        match self.store.abort_multipart(&key, &upload.upload_id).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(failed(e, &format!("object {}", upload.name))),
        }
    }
}
