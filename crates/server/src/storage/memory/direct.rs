//! The in-memory twin of direct uploads, for handler tests: the "presigned URL" names the
//! upload and part (and the MD5 it was signed for), and [`MemoryStorage::receive`] plays the
//! bucket taking a client's PUT, with S3's rules (the signed MD5 must be the header's and the
//! bytes', parts under 5 MiB only last, an ETag per part).

use super::MemoryStorage;
use crate::storage::direct::check_part_number;
use crate::storage::{DirectUpload, DirectUploads, PresignedPart, StorageError};
use async_trait::async_trait;
use base64::Engine as _;
use bytes::Bytes;
use md5::Digest as _;
use skiff_protocol::limits::MIN_PART_SIZE;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

/// The open direct uploads: id → (object name, part number → (bytes, ETag)).
pub(super) type Open = HashMap<String, (String, BTreeMap<u32, (Bytes, String)>)>;

const HOST: &str = "http://direct.memory.invalid";

fn b64(md5: [u8; 16]) -> String {
    base64::engine::general_purpose::STANDARD.encode(md5)
}

impl MemoryStorage {
    /// Takes a client's PUT of `body` with `headers` to `url` (a [`PresignedPart`]'s) as a
    /// bucket would; the part's quoted ETag.
    pub fn receive(
        &self,
        url: &url::Url,
        headers: &[(String, String)],
        body: Bytes,
    ) -> Result<String, StorageError> {
        let refused = |cause: &str| StorageError::Refused {
            what: url.to_string(),
            cause: cause.to_owned(),
        };
        let mut segments = url
            .path_segments()
            .ok_or_else(|| refused("not a part URL"))?;
        let (Some(id), Some(number)) = (segments.next(), segments.next()) else {
            return Err(refused("not a part URL"));
        };
        let number: u32 = number.parse().map_err(|_| refused("not a part URL"))?;
        let signed = url
            .query_pairs()
            .find(|(k, _)| k == "signed-md5")
            .map(|(_, v)| v.into_owned());
        let sent = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-md5"))
            .map(|(_, v)| v.clone());
        if signed != sent {
            return Err(refused("SignatureDoesNotMatch"));
        }
        let digest: [u8; 16] = md5::Md5::digest(&body).into();
        if sent.is_some_and(|m| m != b64(digest)) {
            return Err(refused("BadDigest"));
        }
        let etag = format!("\"{}\"", hex::encode(digest));
        let mut open = self.open_direct();
        let (_, parts) = open.get_mut(id).ok_or_else(|| refused("NoSuchUpload"))?;
        parts.insert(number, (body, etag.clone()));
        Ok(etag)
    }

    fn open_direct(&self) -> std::sync::MutexGuard<'_, Open> {
        self.direct
            .as_ref()
            .expect("made with MemoryStorage::with_direct")
            .lock()
            .unwrap()
    }
}

#[async_trait]
impl DirectUploads for MemoryStorage {
    async fn start_direct(&self, name: &str) -> Result<DirectUpload, StorageError> {
        let upload_id = crate::ids::random_id(24);
        self.open_direct()
            .insert(upload_id.clone(), (name.to_owned(), BTreeMap::new()));
        Ok(DirectUpload {
            name: name.to_owned(),
            upload_id,
        })
    }

    async fn presign_part(
        &self,
        upload: &DirectUpload,
        number: u32,
        md5: Option<[u8; 16]>,
        _lifetime: Duration,
    ) -> Result<PresignedPart, StorageError> {
        check_part_number(upload, number)?;
        let mut url =
            url::Url::parse(&format!("{HOST}/{}/{number}", upload.upload_id)).expect("a valid URL");
        let mut headers = Vec::new();
        if let Some(md5) = md5 {
            url.query_pairs_mut().append_pair("signed-md5", &b64(md5));
            headers.push(("Content-MD5".to_owned(), b64(md5)));
        }
        Ok(PresignedPart { url, headers })
    }

    async fn complete_direct(
        &self,
        upload: &DirectUpload,
        etags: &[String],
    ) -> Result<u64, StorageError> {
        let what = format!("object {}", upload.name);
        let refused = |cause: String| StorageError::Refused {
            what: what.clone(),
            cause,
        };
        let mut open = self.open_direct();
        let Some((name, parts)) = open.get(&upload.upload_id) else {
            // Completed before (its object is there) or aborted.
            let objects = self.objects.lock().unwrap();
            return objects
                .get(&upload.name)
                .map(|(bytes, _)| bytes.len() as u64)
                .ok_or(StorageError::NotFound { what });
        };
        let mut whole = Vec::new();
        for (i, etag) in etags.iter().enumerate() {
            let number = i as u32 + 1;
            let (bytes, _) = parts
                .get(&number)
                .filter(|(_, have)| have.trim_matches('"') == etag.trim_matches('"'))
                .ok_or_else(|| refused(format!("InvalidPart: part {number}")))?;
            if number < etags.len() as u32 && (bytes.len() as u64) < MIN_PART_SIZE {
                return Err(refused(format!("EntityTooSmall: part {number}")));
            }
            whole.extend_from_slice(bytes);
        }
        let size = whole.len() as u64;
        let name = name.clone();
        open.remove(&upload.upload_id);
        drop(open);
        self.objects
            .lock()
            .unwrap()
            .insert(name, (Bytes::from(whole), SystemTime::now()));
        Ok(size)
    }

    async fn abort_direct(&self, upload: &DirectUpload) -> Result<(), StorageError> {
        self.open_direct().remove(&upload.upload_id);
        Ok(())
    }
}
