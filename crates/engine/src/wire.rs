//! The JSON of each call and the reading of each answer (protocol.md §3–§5).

use crate::types::{FileResult, FileSpec, RequestKind, UploadError};
use serde_json::{Map, Value, json};
use skiff_protocol::UploadTags;

/// What start answered; every later call of the file goes to `location_url`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Session {
    pub(crate) uri: Value,
    pub(crate) region: Value,
    pub(crate) upload_id: Value,
    /// Absolute base URL for upload/commit/complete.
    pub(crate) base: String,
    pub(crate) location_region: Option<String>,
    /// The server confirmed intelligent ingestion.
    pub(crate) intelligent: bool,
}

impl Session {
    pub(crate) fn upload_id_text(&self) -> String {
        match &self.upload_id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    /// Headers of the calls after start.
    pub(crate) fn headers(&self) -> Vec<(String, String)> {
        let mut h = vec![("Content-Type".to_owned(), "application/json".to_owned())];
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

fn with_security(mut v: Value, spec: &FileSpec) -> Value {
    if let (Some((p, s)), Value::Object(m)) = (&spec.security, &mut v) {
        m.insert("policy".into(), json!(p));
        m.insert("signature".into(), json!(s));
    }
    v
}

fn session_fields(spec: &FileSpec, s: &Session) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("apikey".into(), json!(spec.apikey));
    m.insert("uri".into(), s.uri.clone());
    m.insert("region".into(), s.region.clone());
    m.insert("upload_id".into(), s.upload_id.clone());
    m.insert("store".into(), spec.store.clone());
    m
}

pub(crate) fn start_body(spec: &FileSpec, fii: bool) -> Value {
    let mut v = json!({
        "apikey": spec.apikey,
        "filename": spec.filename,
        "mimetype": spec.mimetype,
        "size": spec.size,
        "store": spec.store,
    });
    if fii {
        v["fii"] = json!(true);
    }
    with_security(v, spec)
}

pub(crate) fn upload_body(
    spec: &FileSpec,
    s: &Session,
    part: u32,
    len: u64,
    offset: Option<u64>,
) -> Value {
    let mut m = session_fields(spec, s);
    m.insert("part".into(), json!(part));
    m.insert("size".into(), json!(len));
    if let Some(off) = offset {
        m.insert("fii".into(), json!(true));
        m.insert("offset".into(), json!(off));
    }
    with_security(Value::Object(m), spec)
}

pub(crate) fn commit_body(spec: &FileSpec, s: &Session, part: u32) -> Value {
    let mut m = session_fields(spec, s);
    m.insert("part".into(), json!(part));
    // Both Filestack clients send the whole file's size here, not the part's.
    m.insert("size".into(), json!(spec.size));
    with_security(Value::Object(m), spec)
}

pub(crate) fn complete_body(
    spec: &FileSpec,
    s: &Session,
    etags: &[(u32, String)],
    fii: bool,
) -> Value {
    let mut m = session_fields(spec, s);
    m.insert("filename".into(), json!(spec.filename));
    m.insert("mimetype".into(), json!(spec.mimetype));
    m.insert("size".into(), json!(spec.size));
    if !etags.is_empty() {
        let parts: Vec<Value> = etags
            .iter()
            .map(|(n, e)| json!({ "part_number": n, "etag": e }))
            .collect();
        m.insert("parts".into(), Value::Array(parts));
    }
    if !spec.tags.is_empty() {
        m.insert(
            "upload_tags".into(),
            serde_json::to_value(&spec.tags).unwrap_or(Value::Null),
        );
    }
    if fii {
        m.insert("fii".into(), json!(true));
    }
    if let Some(alt) = &spec.alt {
        m.insert("alt".into(), json!(alt));
    }
    with_security(Value::Object(m), spec)
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

pub(crate) fn parse_start(body: &str) -> Result<Session, String> {
    let m = object(body)?;
    for field in ["uri", "region", "upload_id", "location_url"] {
        if !truthy(m.get(field)) {
            return Err(format!("the start answer lacks `{field}`"));
        }
    }
    Ok(Session {
        uri: m["uri"].clone(),
        region: m["region"].clone(),
        upload_id: m["upload_id"].clone(),
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
    })
}

pub(crate) fn parse_upload(body: &str) -> Result<(String, Vec<(String, String)>), String> {
    let m = object(body)?;
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
    Ok((url.to_owned(), headers))
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
/// them (`{"error": {"code", "message"}}`).
pub(crate) fn http_error(kind: RequestKind, status: u16, body: &str) -> UploadError {
    let parsed: Option<(Option<String>, Option<String>)> =
        serde_json::from_str::<Value>(body).ok().map(|v| {
            let e = &v["error"];
            let code = e["code"].as_str().map(str::to_owned);
            let msg = e["message"]
                .as_str()
                .or_else(|| v["message"].as_str())
                .map(str::to_owned);
            (code, msg)
        });
    let (code, msg) = parsed.unwrap_or((None, None));
    let detail = msg.or_else(|| {
        let t = body.trim();
        (!t.is_empty()).then(|| t.chars().take(200).collect())
    });
    let message = match (&code, detail) {
        (Some(c), Some(d)) => format!("the {kind} request failed with HTTP {status} ({c}): {d}"),
        (None, Some(d)) => format!("the {kind} request failed with HTTP {status}: {d}"),
        (_, None) => format!("the {kind} request failed with HTTP {status}"),
    };
    UploadError {
        request: Some(kind),
        status: Some(status),
        code,
        message,
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
        let s = parse_start(r#"{"uri":"/u","region":"r","upload_id":7,"location_url":"up.example:8443","location_region":"eu"}"#).unwrap();
        assert_eq!(
            (s.base.as_str(), s.upload_id_text().as_str(), s.intelligent),
            ("https://up.example:8443", "7", false)
        );
        assert!(
            s.headers()
                .contains(&("Filestack-Upload-Region".into(), "eu".into()))
        );
        let s = parse_start(r#"{"uri":"/u","region":"r","upload_id":"x","location_url":"http://127.0.0.1:1/","upload_type":"intelligent_ingestion"}"#).unwrap();
        assert_eq!(
            (s.base.as_str(), s.intelligent),
            ("http://127.0.0.1:1", true)
        );
        assert!(
            parse_start(r#"{"uri":"/u","region":"r","upload_id":"","location_url":"x"}"#)
                .unwrap_err()
                .contains("upload_id")
        );
        assert!(parse_start("<html>").unwrap_err().contains("not JSON"));
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

    #[test]
    fn complete_body_carries_tags_parts_and_security() {
        let mut spec = FileSpec::new("https://u", "k", "a.bin", "application/octet-stream", 10);
        spec.tags = UploadTags::from_pairs([("a", "b")]);
        spec.security = Some(("p".into(), "s".into()));
        let s =
            parse_start(r#"{"uri":"/u","region":"r","upload_id":"x","location_url":"h"}"#).unwrap();
        let v = complete_body(&spec, &s, &[(1, "\"e\"".into())], true);
        assert_eq!(v["upload_tags"], json!({ "a": "b" }));
        assert_eq!(v["parts"], json!([{ "part_number": 1, "etag": "\"e\"" }]));
        assert_eq!(
            (v["fii"].clone(), v["policy"].clone(), v["size"].clone()),
            (json!(true), json!("p"), json!(10))
        );
        let v = complete_body(
            &FileSpec::new("https://u", "k", "a", "m/m", 0),
            &s,
            &[],
            false,
        );
        assert!(
            v.get("parts").is_none() && v.get("upload_tags").is_none() && v.get("fii").is_none()
        );
    }
}
