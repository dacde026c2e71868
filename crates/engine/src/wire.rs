//! The JSON of each call and the reading of each answer (docs/protocol.md §3–§5).
//!
//! Request bodies are the protocol crate's request types, the ones the server reads, so the two
//! sides share one definition of every field. Answers are read by hand from a JSON value, for
//! two reasons. Size: the browser module links the JSON value reader anyway, while reading the
//! start, upload and complete answers as the protocol's `StartResponse`, `UploadResponse` and
//! `FileResponse` measured 8.8 KB more gzip in the uploader wasm (89.2 → 98.0 KB, over its
//! 95 KB budget). Tolerance: the engine must take what other Filestack-compatible servers
//! answer too (a numeric `upload_id`, `location_region`, a complete answer without `type` or
//! `workflows`), which those strict types refuse.

use crate::types::{FileResult, FileSpec, RequestKind, UploadError};
use serde::Serialize;
use serde_json::{Map, Value};
use skiff_protocol::wire::{
    CommitRequest, CompleteRequest, HeldChunk, HeldPart, PartRef, ResumeResponse, Security,
    SessionRef, StartRequest, UploadRequest,
};
use skiff_protocol::{ErrorReply, UploadTags};

/// What start answered; every later call of the file goes to `location_url`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Session {
    pub(crate) uri: String,
    pub(crate) region: String,
    /// As text: the protocol's requests carry it as a string, and servers read a number or a
    /// string alike.
    pub(crate) upload_id: String,
    /// Absolute base URL for upload/commit/complete.
    pub(crate) base: String,
    pub(crate) location_region: Option<String>,
    /// The server confirmed intelligent ingestion.
    pub(crate) intelligent: bool,
    /// The server said its part PUTs answer with the MD5 of the bytes as ETag (`part_etag`,
    /// a Skiff extension), so a part may go before its MD5 is known (see `Body::Json`).
    pub(crate) etag_md5: bool,
    /// How long the server keeps the upload, in ms from its start answer (`expires_in`, a Skiff
    /// extension), if it said.
    pub(crate) expires_in: Option<u64>,
    /// The server answers a complete sent while the last parts are still on the wire once it
    /// holds them (`await_parts`, a Skiff extension; see `crate::early`).
    pub(crate) await_parts: bool,
}

/// The `Content-Type` of a JSON call. `text/plain` is one of the types a browser sends
/// cross-origin without a preflight, so a page's first upload does not wait a round trip for
/// each call's; it goes only to a server that has shown it is skiff-server (see
/// [`Session::headers`]), which reads any body that opens with `{` as JSON. Any other server
/// gets `application/json`, as filestack-js sends: a proxy or another implementation of the
/// protocol may read JSON only when it is labelled so.
pub(crate) fn json_headers(plain: bool) -> Vec<(String, String)> {
    let ctype = match plain {
        true => "text/plain;charset=UTF-8",
        false => "application/json",
    };
    vec![("Content-Type".to_owned(), ctype.to_owned())]
}

impl Session {
    /// Headers of the calls after start: `text/plain` JSON (see [`json_headers`]) once the
    /// server's answer carried one of Skiff's extensions (`part_etag`, `expires_in`).
    pub(crate) fn headers(&self) -> Vec<(String, String)> {
        let mut h = json_headers(self.etag_md5 || self.expires_in.is_some());
        if let Some(r) = &self.location_region {
            h.push(("Filestack-Upload-Region".to_owned(), r.clone()));
        }
        h
    }
}

/// `location_url` is used as is when it has a scheme; otherwise `https://` goes in front (what
/// both Filestack clients do).
pub(crate) fn absolute(location_url: &str) -> String {
    let base = location_url.trim_end_matches('/');
    if base.starts_with("http://") || base.starts_with("https://") {
        base.to_owned()
    } else {
        format!("https://{base}")
    }
}

/// The JSON of a request body. Serialising these types cannot fail (every map key is a string);
/// should it ever, the server refuses the `null` with a clear error instead of the engine
/// panicking.
pub(crate) fn to_json(body: &impl Serialize) -> Value {
    serde_json::to_value(body).unwrap_or(Value::Null)
}

fn security(spec: &FileSpec) -> Security {
    let (policy, signature) = spec.security.clone().unzip();
    Security { policy, signature }
}

fn session_ref(spec: &FileSpec, s: &Session) -> SessionRef {
    SessionRef {
        apikey: Some(spec.apikey.clone()),
        uri: Some(s.uri.clone()),
        region: Some(s.region.clone()),
        upload_id: Some(s.upload_id.clone()),
    }
}

/// The app's store options go out as given (see the protocol's `wire` module). `first_part`:
/// the size of part 1, to have its PUT signed with the answer (a Skiff extension; other servers
/// ignore it).
pub(crate) fn start_body(
    spec: &FileSpec,
    fii: bool,
    first_part: Option<u64>,
) -> StartRequest<Value> {
    StartRequest {
        apikey: Some(spec.apikey.clone()),
        filename: Some(spec.filename.clone()),
        mimetype: Some(spec.mimetype.clone()),
        size: Some(spec.size),
        store: Some(spec.store.clone()),
        fii,
        first_part,
        security: security(spec),
    }
}

/// A part (`offset` none) or a chunk of an intelligent part. `md5` is the driver's to add.
pub(crate) fn upload_body(
    spec: &FileSpec,
    s: &Session,
    part: u32,
    len: u64,
    offset: Option<u64>,
) -> UploadRequest<Value> {
    UploadRequest {
        session: session_ref(spec, s),
        store: Some(spec.store.clone()),
        part: Some(part.into()),
        size: Some(len),
        fii: offset.is_some(),
        offset,
        md5: None,
        if_held: false,
        security: security(spec),
    }
}

/// What the server holds of the upload (`/multipart/resume`, a Skiff extension): the body is
/// the session's fields alone (a `ResumeRequest`, written as its one flattened field so the
/// wasm carries no serializer of its own for it).
pub(crate) fn resume_body(spec: &FileSpec, s: &Session) -> SessionRef {
    session_ref(spec, s)
}

pub(crate) fn commit_body(spec: &FileSpec, s: &Session, part: u32) -> CommitRequest<Value> {
    CommitRequest {
        session: session_ref(spec, s),
        store: Some(spec.store.clone()),
        part: Some(part.into()),
        // Both Filestack clients send the whole file's size here, not the part's.
        size: Some(spec.size),
        security: security(spec),
    }
}

pub(crate) fn complete_body(
    spec: &FileSpec,
    s: &Session,
    etags: &[(u32, String)],
    fii: bool,
    await_parts: bool,
) -> CompleteRequest<Value> {
    let parts = etags
        .iter()
        .map(|(n, e)| PartRef {
            part_number: (*n).into(),
            etag: e.clone(),
        })
        .collect::<Vec<_>>();
    CompleteRequest {
        session: session_ref(spec, s),
        store: Some(spec.store.clone()),
        filename: Some(spec.filename.clone()),
        mimetype: Some(spec.mimetype.clone()),
        size: Some(spec.size),
        parts: (!parts.is_empty()).then_some(parts),
        upload_tags: (!spec.tags.is_empty()).then(|| spec.tags.clone()),
        fii,
        alt: spec.alt.clone(),
        await_parts,
        security: security(spec),
    }
}

fn object(body: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err("the answer is not a JSON object".into()),
        Err(e) => Err(format!("the answer is not JSON ({e})")),
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(_) => true,
    }
}

/// A string as it is, anything else (a numeric `upload_id`) as its JSON text.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => skiff_protocol::wire::json_text(other),
    }
}

/// The session start answered, and part 1's signed PUT if it came along (`first_part`; one
/// that cannot be read is left aside: the part then asks for its URL as any other).
pub(crate) fn parse_start(body: &str) -> Result<(Session, Option<UploadAnswer>), String> {
    let m = object(body)?;
    for field in ["uri", "region", "upload_id", "location_url"] {
        if !truthy(m.get(field)) {
            return Err(format!("the start answer lacks `{field}`"));
        }
    }
    let first_part = match m.get("first_part") {
        Some(Value::Object(signed)) => read_upload(signed).ok(),
        _ => None,
    };
    let session = Session {
        uri: text(&m["uri"]),
        region: text(&m["region"]),
        upload_id: text(&m["upload_id"]),
        base: absolute(
            m["location_url"]
                .as_str()
                .ok_or("`location_url` is not a string")?,
        ),
        location_region: m
            .get("location_region")
            .and_then(Value::as_str)
            .map(str::to_owned),
        intelligent: m.get("upload_type").and_then(Value::as_str) == Some("intelligent_ingestion"),
        etag_md5: m.get("part_etag").and_then(Value::as_str) == Some("md5"),
        expires_in: m.get("expires_in").and_then(Value::as_u64),
        await_parts: m.get("await_parts") == Some(&Value::Bool(true)),
    };
    Ok((session, first_part))
}

/// The answer of `/multipart/resume`, read by hand: serde's derived readers for these types
/// would add several KiB to the uploader's wasm for one small object.
pub(crate) fn parse_resume(body: &str) -> Result<ResumeResponse, String> {
    let m = object(body)?;
    let number = |v: &Map<String, Value>, field: &str| {
        v.get(field)
            .and_then(Value::as_u64)
            .ok_or_else(|| "the resume answer lacks a size, offset or part number".to_owned())
    };
    let entries = |field: &str| {
        m.get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
    };
    let part = |v: &Map<String, Value>| -> Result<u32, String> {
        u32::try_from(number(v, "part")?).map_err(|_| "a part number is out of range".to_owned())
    };
    let mut parts = Vec::new();
    for p in entries("parts") {
        parts.push(HeldPart {
            part: part(p)?,
            size: number(p, "size")?,
            etag: p.get("etag").and_then(Value::as_str).map(str::to_owned),
        });
    }
    let mut chunks = Vec::new();
    for c in entries("chunks") {
        chunks.push(HeldChunk {
            part: part(c)?,
            offset: number(c, "offset")?,
            size: number(c, "size")?,
        });
    }
    Ok(ResumeResponse {
        upload_id: m
            .get("upload_id")
            .map(text)
            .ok_or("the resume answer lacks `upload_id`")?,
        size: number(&m, "size")?,
        fii: m.get("fii").and_then(Value::as_bool).unwrap_or(false),
        expires_at: m.get("expires_at").and_then(Value::as_i64).unwrap_or(0),
        handle: m.get("handle").and_then(Value::as_str).map(str::to_owned),
        direct: m.get("direct").and_then(Value::as_bool).unwrap_or(false),
        parts,
        chunks,
        part_etag: m
            .get("part_etag")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// An ETag in the quotes a PUT's `ETag` header has, whether `etag` has them or not (JSON bodies
/// carry them bare).
pub(crate) fn quoted(etag: &str) -> String {
    format!("\"{}\"", etag.trim_matches('"'))
}

/// What `/multipart/upload` answers: where to PUT the part and with which headers, and the
/// part's ETag if the server says it holds it already (`held`, asked for with `if_held`).
#[derive(Debug)]
pub(crate) struct UploadAnswer {
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) held: Option<String>,
}

pub(crate) fn parse_upload(body: &str) -> Result<UploadAnswer, String> {
    read_upload(&object(body)?)
}

fn read_upload(m: &Map<String, Value>) -> Result<UploadAnswer, String> {
    let url = m
        .get("url")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .ok_or("the upload answer lacks `url`")?;
    let headers = match m.get("headers") {
        Some(Value::Object(h)) => h
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
            .collect(),
        _ => Vec::new(),
    };
    let held = m.get("held").and_then(Value::as_str).map(str::to_owned);
    Ok(UploadAnswer {
        url: url.to_owned(),
        headers,
        held,
    })
}

pub(crate) fn parse_complete(body: &str, spec: &FileSpec) -> Result<FileResult, String> {
    let m = object(body)?;
    let text = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
    let handle = text("handle")
        .filter(|h| !h.is_empty())
        .ok_or("the complete answer lacks `handle`")?;
    let upload_tags = match m.get("upload_tags") {
        Some(v @ Value::Object(_)) => {
            serde_json::from_value::<UploadTags>(v.clone()).unwrap_or_default()
        }
        _ => UploadTags::new(),
    };
    Ok(FileResult {
        url: text("url").unwrap_or_default(),
        filename: text("filename").unwrap_or_else(|| spec.filename.clone()),
        size: m.get("size").and_then(Value::as_u64).unwrap_or(spec.size),
        mimetype: text("mimetype").unwrap_or_else(|| spec.mimetype.clone()),
        status: text("status").unwrap_or_else(|| "Stored".into()),
        key: text("key"),
        container: text("container"),
        upload_tags,
        handle,
    })
}

/// An error for a refused or failed request, with the server's code and message when it sent
/// them (read by the protocol's one reader of error answers).
pub(crate) fn http_error(kind: RequestKind, status: u16, body: &str) -> UploadError {
    let reply = ErrorReply::parse(body);
    UploadError {
        request: Some(kind),
        status: Some(status),
        message: format!("the {kind} request failed with {}", reply.describe(status)),
        code: reply.code,
    }
}

/// An error for a request that got no usable answer.
pub(crate) fn other_error(kind: RequestKind, status: Option<u16>, why: &str) -> UploadError {
    UploadError {
        request: Some(kind),
        status,
        code: None,
        message: format!("the {kind} request failed: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_answers() {
        let (s, first) = parse_start(r#"{"uri":"/u","region":"r","upload_id":7,"location_url":"up.example:8443","location_region":"eu"}"#).unwrap();
        assert!(first.is_none());
        assert_eq!(
            (s.base.as_str(), s.upload_id.as_str(), s.intelligent),
            ("https://up.example:8443", "7", false)
        );
        assert!(
            s.headers()
                .contains(&("Filestack-Upload-Region".into(), "eu".into()))
        );
        assert_eq!(s.expires_in, None, "a server that does not say");
        let (s, _) = parse_start(r#"{"uri":"/u","region":"r","upload_id":"x","location_url":"http://127.0.0.1:1/","upload_type":"intelligent_ingestion","expires_in":3600000}"#).unwrap();
        assert_eq!(
            (s.base.as_str(), s.intelligent),
            ("http://127.0.0.1:1", true)
        );
        assert_eq!(
            s.expires_in,
            Some(3_600_000),
            "skiff-server's session lifetime"
        );
        assert!(
            parse_start(r#"{"uri":"/u","region":"r","upload_id":"","location_url":"x"}"#)
                .unwrap_err()
                .contains("upload_id")
        );
        assert!(parse_start("<html>").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn part_one_signed_with_start() {
        let signed = |first: &str| {
            let body = format!(
                r#"{{"uri":"/u","region":"r","upload_id":"x","location_url":"h","first_part":{first}}}"#
            );
            parse_start(&body).unwrap().1.map(|a| (a.url, a.headers))
        };
        assert_eq!(
            signed(r#"{"url":"https://h/multipart/part","headers":{"X-Skiff-Part":"upload=x"}}"#),
            Some((
                "https://h/multipart/part".to_owned(),
                vec![("X-Skiff-Part".to_owned(), "upload=x".to_owned())]
            ))
        );
        // Unreadable: the part asks for its URL instead, and the upload goes on.
        for bad in [
            r#"{"headers":{}}"#,
            r#"{"url":""}"#,
            r#""https://h""#,
            "null",
        ] {
            assert_eq!(signed(bad), None, "{bad}");
        }
    }

    #[test]
    fn errors_name_the_request_and_the_server_reason() {
        let e = http_error(
            RequestKind::Put { part: 3, offset: 0 },
            400,
            r#"{"error":{"code":"md5_mismatch","message":"bytes differ"}}"#,
        );
        assert_eq!(
            e.to_string(),
            "the PUT of part 3 request failed with HTTP 400 (md5_mismatch): bytes differ"
        );
        assert_eq!(e.code.as_deref(), Some("md5_mismatch"));
        let e = http_error(RequestKind::Complete, 502, "Bad Gateway");
        assert_eq!(
            e.to_string(),
            "the /multipart/complete request failed with HTTP 502: Bad Gateway"
        );
    }

    fn json(body: &impl Serialize) -> String {
        serde_json::to_string(body).unwrap()
    }

    fn session() -> Session {
        parse_start(r#"{"uri":"/u","region":"r","upload_id":"x","location_url":"h"}"#)
            .unwrap()
            .0
    }

    // The bodies byte for byte, keys in the order filestack-js writes them (the browser module
    // keeps JSON keys in insertion order, so this is what goes on the wire).
    #[test]
    fn bodies_keep_their_keys_and_order() {
        let mut spec = FileSpec::new("https://u", "k", "a.bin", "application/octet-stream", 10);
        let s = session();
        assert_eq!(
            json(&start_body(&spec, false, Some(6))),
            r#"{"apikey":"k","filename":"a.bin","mimetype":"application/octet-stream","size":10,"store":{"location":"s3"},"first_part":6}"#
        );
        assert_eq!(
            json(&upload_body(&spec, &s, 2, 4, None)),
            r#"{"apikey":"k","uri":"/u","region":"r","upload_id":"x","store":{"location":"s3"},"part":2,"size":4}"#
        );
        spec.security = Some(("p".into(), "s".into()));
        assert_eq!(
            json(&start_body(&spec, true, None)),
            r#"{"apikey":"k","filename":"a.bin","mimetype":"application/octet-stream","size":10,"store":{"location":"s3"},"fii":true,"policy":"p","signature":"s"}"#
        );
        assert_eq!(
            json(&upload_body(&spec, &s, 1, 4, Some(0))),
            r#"{"apikey":"k","uri":"/u","region":"r","upload_id":"x","store":{"location":"s3"},"part":1,"size":4,"fii":true,"offset":0,"policy":"p","signature":"s"}"#
        );
        assert_eq!(
            json(&commit_body(&spec, &s, 2)),
            r#"{"apikey":"k","uri":"/u","region":"r","upload_id":"x","store":{"location":"s3"},"part":2,"size":10,"policy":"p","signature":"s"}"#
        );
    }

    #[test]
    fn complete_body_carries_tags_parts_and_security() {
        let mut spec = FileSpec::new("https://u", "k", "a.bin", "application/octet-stream", 10);
        spec.tags = UploadTags::from_pairs([("a", "b")]);
        spec.security = Some(("p".into(), "s".into()));
        spec.alt = Some("alt".into());
        assert_eq!(
            json(&complete_body(
                &spec,
                &session(),
                &[(1, "\"e\"".into())],
                true,
                false
            )),
            r#"{"apikey":"k","uri":"/u","region":"r","upload_id":"x","store":{"location":"s3"},"filename":"a.bin","mimetype":"application/octet-stream","size":10,"parts":[{"part_number":1,"etag":"\"e\""}],"upload_tags":{"a":"b"},"fii":true,"alt":"alt","policy":"p","signature":"s"}"#
        );
        let bare = FileSpec::new("https://u", "k", "a", "m/m", 0);
        let v = to_json(&complete_body(&bare, &session(), &[], false, false));
        assert!(
            v.get("parts").is_none()
                && v.get("upload_tags").is_none()
                && v.get("fii").is_none()
                && v.get("await_parts").is_none()
        );
        let held = to_json(&complete_body(&bare, &session(), &[], false, true));
        assert_eq!(held["await_parts"], Value::Bool(true));
    }

    #[test]
    fn a_numeric_upload_id_goes_back_as_text() {
        let (s, _) =
            parse_start(r#"{"uri":"/u","region":"r","upload_id":7,"location_url":"h"}"#).unwrap();
        let spec = FileSpec::new("https://u", "k", "a", "m/m", 1);
        assert_eq!(to_json(&commit_body(&spec, &s, 1))["upload_id"], "7");
    }
}
