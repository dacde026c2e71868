//! Request and response bodies of the upload API (docs/protocol.md §2–§4, §6).
//!
//! Requests are lenient: numbers may arrive as strings, flags as `"true"`, `upload_id` as a
//! number, and every field is optional at this level so the server can name exactly what is
//! missing. Responses are what filestack-js and filestack-python read.
//!
//! Clients build their requests from the same types: a field that is `None` (or a flag that is
//! `false`) is left out of the JSON, and fields go out in the order filestack-js writes them.
//! The request types are generic over the `store` object: the server reads it as
//! [`StoreParams`]; a client passes its app's store options through as given (for example a
//! `serde_json::Value`), since they may hold keys this server has no use for (`workflows`,
//! `base64decode`).

use crate::lenient::{flag, string_opt, u64_opt};
use crate::tags::UploadTags;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `store` object of start/upload/commit/complete: where the file goes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoreParams {
    /// Storage location (`s3`, `S3`, `local`, ...); case-insensitive.
    #[serde(default, skip_serializing_if = "is_none")]
    pub location: Option<String>,
    /// Storage path (a key, or a folder when it ends with `/`).
    #[serde(default, skip_serializing_if = "is_none")]
    pub path: Option<String>,
    /// Storage container (bucket).
    #[serde(default, skip_serializing_if = "is_none")]
    pub container: Option<String>,
    /// Storage region.
    #[serde(default, skip_serializing_if = "is_none")]
    pub region: Option<String>,
    /// `public` or `private`.
    #[serde(default, skip_serializing_if = "is_none")]
    pub access: Option<String>,
    /// File name to store under (the `/process` store task carries it here).
    #[serde(default, skip_serializing_if = "is_none")]
    pub filename: Option<String>,
    /// filestack-js's `disableStorageKey: false` pass-through; no effect here.
    #[serde(default, rename = "disableStorageKey", skip_serializing_if = "is_none")]
    pub disable_storage_key: Option<serde_json::Value>,
}

/// Policy and signature fields that may accompany any call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Security {
    /// Base64 policy.
    #[serde(default, skip_serializing_if = "is_none")]
    pub policy: Option<String>,
    /// Hex HMAC-SHA256 of the policy.
    #[serde(default, skip_serializing_if = "is_none")]
    pub signature: Option<String>,
}

/// The fields that identify an upload session after start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRef {
    /// App key.
    #[serde(default, skip_serializing_if = "is_none")]
    pub apikey: Option<String>,
    /// Opaque upload URI from start.
    #[serde(default, skip_serializing_if = "is_none")]
    pub uri: Option<String>,
    /// Region from start.
    #[serde(default, skip_serializing_if = "is_none")]
    pub region: Option<String>,
    /// Upload id from start.
    #[serde(
        default,
        deserialize_with = "string_opt",
        skip_serializing_if = "is_none"
    )]
    pub upload_id: Option<String>,
}

/// `POST /multipart/start`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StartRequest<S = StoreParams> {
    /// App key.
    #[serde(default, skip_serializing_if = "is_none")]
    pub apikey: Option<String>,
    /// File name.
    #[serde(default, skip_serializing_if = "is_none")]
    pub filename: Option<String>,
    /// MIME type.
    #[serde(default, skip_serializing_if = "is_none")]
    pub mimetype: Option<String>,
    /// Whole file size in bytes.
    #[serde(default, deserialize_with = "u64_opt", skip_serializing_if = "is_none")]
    pub size: Option<u64>,
    /// Where to store the file.
    #[serde(default, skip_serializing_if = "is_none")]
    pub store: Option<S>,
    /// Ask for intelligent ingestion.
    #[serde(default, deserialize_with = "flag", skip_serializing_if = "is_false")]
    pub fii: bool,
    /// Skiff extension: the size of part 1 of a regular upload, whose PUT the server signs in
    /// its answer (`first_part`), sparing the client the `/multipart/upload` round trip before
    /// its first byte goes. Only a server whose part ETags are MD5s (`part_etag`) answers it:
    /// the part goes before its MD5 is known, and the client checks the ETag afterwards.
    #[serde(default, deserialize_with = "u64_opt", skip_serializing_if = "is_none")]
    pub first_part: Option<u64>,
    /// Policy and signature.
    #[serde(flatten)]
    pub security: Security,
}

/// Answer to `POST /multipart/start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartResponse {
    /// Opaque upload URI.
    pub uri: String,
    /// Region.
    pub region: String,
    /// Upload id.
    pub upload_id: String,
    /// Host (and port) for every later call; scheme-less when the server serves TLS.
    pub location_url: String,
    /// `"intelligent_ingestion"` when `fii` was asked for and granted.
    #[serde(default, skip_serializing_if = "is_none")]
    pub upload_type: Option<String>,
    /// The region of the instance that takes the upload (filestack-js then sends it as
    /// `Filestack-Upload-Region` on every later call).
    #[serde(default, skip_serializing_if = "is_none")]
    pub location_region: Option<String>,
    /// Skiff: the handle the file will have once complete (its metadata says `Started` until
    /// then).
    #[serde(default, skip_serializing_if = "is_none")]
    pub handle: Option<String>,
    /// Skiff: `"md5"` when the `ETag` of every part PUT of this upload is the hex MD5 of the bytes
    /// stored (skiff-server's own part route; not said of a bucket's presigned URLs, whose ETags
    /// are not MD5s under SSE-KMS). A client may then PUT a part before its MD5 is known and
    /// check the ETag against it afterwards, instead of holding the part until it is hashed.
    #[serde(default, skip_serializing_if = "is_none")]
    pub part_etag: Option<String>,
    /// Skiff: how long the server keeps this upload, in ms from its answer. A client that keeps
    /// the upload for a later page (to carry on after a reload) forgets it then. Relative, so
    /// that the server's and the browser's clocks need not agree.
    #[serde(default, skip_serializing_if = "is_none")]
    pub expires_in: Option<u64>,
    /// Skiff: where to PUT part 1, asked for with `first_part`: what `/multipart/upload` would
    /// answer for that part without an MD5.
    #[serde(default, skip_serializing_if = "is_none")]
    pub first_part: Option<UploadResponse>,
    /// Skiff: `true` when complete of this upload may be sent while its last parts are still on
    /// the wire (`await_parts` on complete).
    #[serde(default, skip_serializing_if = "is_none")]
    pub await_parts: Option<bool>,
}

/// `POST /multipart/upload`: ask where to PUT one part, or one chunk of a part.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UploadRequest<S = StoreParams> {
    /// Session fields.
    #[serde(flatten)]
    pub session: SessionRef,
    /// Storage target (ignored after start).
    #[serde(default, skip_serializing_if = "is_none")]
    pub store: Option<S>,
    /// 1-based part number.
    #[serde(default, deserialize_with = "u64_opt", skip_serializing_if = "is_none")]
    pub part: Option<u64>,
    /// Length of the bytes to PUT.
    #[serde(default, deserialize_with = "u64_opt", skip_serializing_if = "is_none")]
    pub size: Option<u64>,
    /// Chunk of an intelligent-ingestion part.
    #[serde(default, deserialize_with = "flag", skip_serializing_if = "is_false")]
    pub fii: bool,
    /// Byte offset of the chunk within its part (intelligent ingestion).
    #[serde(default, deserialize_with = "u64_opt", skip_serializing_if = "is_none")]
    pub offset: Option<u64>,
    /// Base64 of the MD5 digest of those bytes. Skiff's browser driver adds it last, once the
    /// bytes are hashed, so the engine leaves it `None`.
    #[serde(default, skip_serializing_if = "is_none")]
    pub md5: Option<String>,
    /// Skiff extension, for a part the server holds that the client never saw checked (its
    /// answer was lost with a reloaded page): where the server holds this regular part whole,
    /// of `size` bytes and of this `md5`, it says so (`held`) and the PUT can be skipped.
    #[serde(default, deserialize_with = "flag", skip_serializing_if = "is_false")]
    pub if_held: bool,
    /// Policy and signature (optional here).
    #[serde(flatten)]
    pub security: Security,
}

/// Answer to `POST /multipart/upload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResponse {
    /// Absolute URL to PUT the bytes to.
    pub url: String,
    /// Headers to send with the PUT, exactly.
    pub headers: BTreeMap<String, String>,
    /// Skiff extension, asked for with `if_held`: the ETag (hex MD5) of the part the server
    /// already holds with these bytes. The PUT is then not needed (`url` still works).
    #[serde(default, skip_serializing_if = "is_none")]
    pub held: Option<String>,
}

/// `POST /multipart/commit`: all chunks of one intelligent part are sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CommitRequest<S = StoreParams> {
    /// Session fields.
    #[serde(flatten)]
    pub session: SessionRef,
    /// Storage target (ignored after start; filestack-js sends it).
    #[serde(default, skip_serializing_if = "is_none")]
    pub store: Option<S>,
    /// 1-based part number.
    #[serde(default, deserialize_with = "u64_opt", skip_serializing_if = "is_none")]
    pub part: Option<u64>,
    /// The whole file's size (not the part's; both clients send it so).
    #[serde(default, deserialize_with = "u64_opt", skip_serializing_if = "is_none")]
    pub size: Option<u64>,
    /// Policy and signature (optional here).
    #[serde(flatten)]
    pub security: Security,
}

/// `POST /multipart/resume` (Skiff): the upload to look at.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResumeRequest {
    /// Session fields.
    #[serde(flatten)]
    pub session: SessionRef,
}

/// Answer to `POST /multipart/resume`: what the server holds of the upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeResponse {
    /// Upload id.
    pub upload_id: String,
    /// The file size the upload started with (a file of another size is another file).
    pub size: u64,
    /// Intelligent ingestion.
    pub fii: bool,
    /// When the server forgets the upload, unix ms.
    pub expires_at: i64,
    /// The handle of the file once complete: the upload needs nothing more.
    #[serde(default, skip_serializing_if = "is_none")]
    pub handle: Option<String>,
    /// Whether the parts go straight to the storage (§3.8): then the server cannot see them,
    /// `parts` is empty, and the client sends again any part it has no ETag of.
    pub direct: bool,
    /// Parts received whole: regular parts with their ETag (hex MD5), and committed
    /// intelligent parts (no ETag).
    pub parts: Vec<HeldPart>,
    /// Chunks of intelligent parts not committed yet.
    pub chunks: Vec<HeldChunk>,
    /// As start's answer says it (`"md5"`: each part PUT answers the hex MD5 of the bytes it
    /// stored), so that the parts sent after a rejoin may go before their MD5 too.
    #[serde(default, skip_serializing_if = "is_none")]
    pub part_etag: Option<String>,
}

/// A part the server holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldPart {
    /// 1-based part number.
    pub part: u32,
    /// Its length.
    pub size: u64,
    /// Hex MD5 of a regular part, as its PUT answered it.
    #[serde(default, skip_serializing_if = "is_none")]
    pub etag: Option<String>,
}

/// A chunk of an intelligent part the server holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldChunk {
    /// 1-based part number.
    pub part: u32,
    /// Offset within the part.
    pub offset: u64,
    /// Its length.
    pub size: u64,
}

/// One part named at complete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRef {
    /// 1-based part number.
    #[serde(deserialize_with = "part_number")]
    pub part_number: u64,
    /// ETag as received from the part PUT (quotes included or not).
    pub etag: String,
}

/// Absent fields stay out of the JSON (`Option::is_none`, short enough to keep each field's
/// attribute on one line).
fn is_none<T>(v: &Option<T>) -> bool {
    v.is_none()
}

/// Flags travel only when set, as filestack-js sends them.
fn is_false(flag: &bool) -> bool {
    !*flag
}

fn part_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    u64_opt(d)?.ok_or_else(|| serde::de::Error::custom("part_number is required"))
}

/// `POST /multipart/complete`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompleteRequest<S = StoreParams> {
    /// Session fields.
    #[serde(flatten)]
    pub session: SessionRef,
    /// Storage target (as at start).
    #[serde(default, skip_serializing_if = "is_none")]
    pub store: Option<S>,
    /// File name.
    #[serde(default, skip_serializing_if = "is_none")]
    pub filename: Option<String>,
    /// MIME type.
    #[serde(default, skip_serializing_if = "is_none")]
    pub mimetype: Option<String>,
    /// Whole file size.
    #[serde(default, deserialize_with = "u64_opt", skip_serializing_if = "is_none")]
    pub size: Option<u64>,
    /// Regular parts with their ETags; absent for pure intelligent uploads.
    #[serde(default, skip_serializing_if = "is_none")]
    pub parts: Option<Vec<PartRef>>,
    /// Upload tags (clients leave them out when there are none).
    #[serde(default, skip_serializing_if = "is_none")]
    pub upload_tags: Option<UploadTags>,
    /// Intelligent ingestion (some or all parts committed chunk-wise).
    #[serde(default, deserialize_with = "flag", skip_serializing_if = "is_false")]
    pub fii: bool,
    /// Alt text.
    #[serde(default, skip_serializing_if = "is_none")]
    pub alt: Option<String>,
    /// Skiff extension, where start's answer said `await_parts`: the client sends complete as
    /// its last PUTs go, and the server answers once it holds every part listed (each with the
    /// ETag listed) or, without a list, parts that add up to the file, so the answer follows
    /// the last part by the server's own work instead of another round trip. A server that
    /// still lacks parts after a while (or an ETag differs) answers as it would without it.
    #[serde(default, deserialize_with = "flag", skip_serializing_if = "is_false")]
    pub await_parts: bool,
    /// Policy and signature.
    #[serde(flatten)]
    pub security: Security,
}

/// A stored file, as complete, store and `/process` answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileResponse {
    /// The file's handle.
    pub handle: String,
    /// Where to download it.
    pub url: String,
    /// File name.
    pub filename: String,
    /// Size in bytes.
    pub size: u64,
    /// MIME type.
    pub mimetype: String,
    /// Same as `mimetype` (the File API's name for it).
    #[serde(rename = "type")]
    pub kind: String,
    /// `Stored` once the bytes are durable.
    pub status: String,
    /// Storage key.
    pub key: String,
    /// Storage container.
    pub container: String,
    /// Upload tags, echoed.
    pub upload_tags: UploadTags,
    /// Workflow jobs started (none on this server).
    pub workflows: Vec<serde_json::Value>,
}

/// `v` as JSON text, for a request body or a hand-off to JS. Through `serde_json::to_string`
/// rather than `Value`'s `Display`, which writes through a `fmt` adapter and carries the pretty
/// printer's code too: 0.1 KB gzip more in each browser module. Writing into a `Vec` cannot fail.
pub fn json_text(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_numbers_and_flags() {
        let r: UploadRequest = serde_json::from_str(
            r#"{"apikey":"k","uri":"/u","region":"r","upload_id":123,"part":"2","size":5.0,"fii":"true","offset":0}"#,
        )
        .unwrap();
        assert_eq!(r.session.upload_id.as_deref(), Some("123"));
        assert_eq!(
            (r.part, r.size, r.fii, r.offset),
            (Some(2), Some(5), true, Some(0))
        );
        assert!(serde_json::from_str::<UploadRequest>(r#"{"part":-1}"#).is_err());
        assert!(serde_json::from_str::<UploadRequest>(r#"{"size":"ten"}"#).is_err());
    }

    #[test]
    fn complete_with_parts_and_tags() {
        let r: CompleteRequest = serde_json::from_str(
            r#"{"upload_id":"u","size":3,"parts":[{"part_number":1,"etag":"\"abc\""}],"upload_tags":{"a":"b"},"fii":true,"upload_type":null}"#,
        )
        .unwrap();
        assert_eq!(r.parts.unwrap()[0].etag, "\"abc\"");
        assert_eq!(r.upload_tags.unwrap().get("a"), Some("b"));
    }

    #[test]
    fn a_client_store_passed_through_reads_as_store_params() {
        let sent = StartRequest {
            apikey: Some("k".into()),
            size: Some(3),
            store: Some(serde_json::json!({ "location": "s3", "workflows": ["w"] })),
            ..StartRequest::default()
        };
        let json = serde_json::to_string(&sent).unwrap();
        assert_eq!(
            json, r#"{"apikey":"k","size":3,"store":{"location":"s3","workflows":["w"]}}"#,
            "absent fields and false flags stay out"
        );
        let read: StartRequest = serde_json::from_str(&json).unwrap();
        assert_eq!(read.store.unwrap().location.as_deref(), Some("s3"));
        assert!(!read.fii && read.filename.is_none());
    }
}
