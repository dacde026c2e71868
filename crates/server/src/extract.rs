//! The body of the upload API calls: JSON (filestack-js, filestack-python, Ruby), or the
//! form-encoded variant of Java and PHP (docs/protocol.md §3.7), read into the same types.

use crate::error::ApiError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use skiff_protocol::ErrorCode;

/// Largest JSON or form body of an API call.
pub(crate) const MAX_API_BODY: usize = 1 << 20;

/// A request body parsed from JSON or form fields.
#[derive(Debug)]
pub(crate) struct Payload<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Payload<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let ctype = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let value = if ctype.starts_with("multipart/form-data") {
            let mut form = Multipart::from_request(req, state).await.map_err(|e| {
                ApiError::bad(
                    ErrorCode::MalformedRequest,
                    format!("the form body cannot be read: {e}"),
                )
            })?;
            let mut pairs = Vec::new();
            while let Some(field) = form.next_field().await.map_err(|e| {
                ApiError::bad(
                    ErrorCode::MalformedRequest,
                    format!("the form body cannot be read: {e}"),
                )
            })? {
                let name = field.name().unwrap_or("").to_owned();
                let text = field.text().await.map_err(|e| {
                    ApiError::bad(
                        ErrorCode::MalformedRequest,
                        format!("form field {name:?}: {e}"),
                    )
                })?;
                pairs.push((name, text));
            }
            form_to_json(pairs)
        } else {
            let bytes = axum::body::to_bytes(req.into_body(), MAX_API_BODY)
                .await
                .map_err(|_| {
                    ApiError::new(
                        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                        ErrorCode::PayloadTooLarge,
                        format!("the request body is larger than {MAX_API_BODY} bytes"),
                    )
                })?;
            // `curl -d '{...}'` labels JSON as a form; a body that opens with `{` is JSON.
            let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
            if ctype.starts_with("application/x-www-form-urlencoded") && first != Some(&b'{') {
                form_to_json(serde_urlencoded_pairs(&bytes))
            } else {
                match first {
                    None => {
                        return Err(ApiError::bad(
                            ErrorCode::MalformedRequest,
                            "the request body is empty; send a JSON object",
                        ));
                    }
                    Some(b'{') => {}
                    Some(_) => {
                        return Err(ApiError::bad(
                            ErrorCode::MalformedRequest,
                            "the body must be a JSON object",
                        ));
                    }
                }
                // Straight from the bytes (not via a JSON value) so duplicate keys are seen.
                return serde_json::from_slice::<T>(&bytes)
                    .map(Payload)
                    .map_err(|e| {
                        let what = match e.classify() {
                            serde_json::error::Category::Data => "has a field of the wrong type",
                            _ => "is not valid JSON",
                        };
                        ApiError::bad(ErrorCode::MalformedRequest, format!("the body {what}: {e}"))
                    });
            }
        };
        if !value.is_object() {
            return Err(ApiError::bad(
                ErrorCode::MalformedRequest,
                "the body must be a JSON object",
            ));
        }
        serde_json::from_value(value).map(Payload).map_err(|e| {
            ApiError::bad(
                ErrorCode::MalformedRequest,
                format!("the body has a field of the wrong type: {e}"),
            )
        })
    }
}

fn serde_urlencoded_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Maps flat form fields onto the JSON shape: `store_<x>` → `store.<x>`, `multipart=true` →
/// `fii`, `parts="1:etag;2:etag"` → a parts list, JSON-looking `upload_tags` parsed.
pub(crate) fn form_to_json(pairs: Vec<(String, String)>) -> Value {
    let mut obj = Map::new();
    let mut store = Map::new();
    for (k, v) in pairs {
        if let Some(sub) = k.strip_prefix("store_") {
            store.insert(sub.to_owned(), Value::String(v));
            continue;
        }
        match k.as_str() {
            "multipart" => {
                obj.insert("fii".into(), Value::String(v));
            }
            "parts" => {
                let list: Vec<Value> = v
                    .split(';')
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| {
                        let (n, etag) = s.split_once(':').unwrap_or((s, ""));
                        serde_json::json!({ "part_number": n.trim(), "etag": etag })
                    })
                    .collect();
                obj.insert("parts".into(), Value::Array(list));
            }
            "upload_tags" | "store" if v.trim_start().starts_with(['{', '[']) => {
                let parsed = serde_json::from_str(&v).unwrap_or(Value::String(v));
                obj.insert(k, parsed);
            }
            _ => {
                obj.insert(k, Value::String(v));
            }
        }
    }
    if !store.is_empty() {
        obj.insert("store".into(), Value::Object(store));
    }
    Value::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_protocol::wire::CompleteRequest;

    #[test]
    fn form_fields_map_to_json() {
        let pairs = [
            ("apikey", "k"),
            ("upload_id", "u"),
            ("size", "12"),
            ("store_location", "s3"),
            ("multipart", "true"),
            ("parts", "1:\"e1\";2:e2"),
            ("upload_tags", "{\"a\":\"b\"}"),
        ];
        let v = form_to_json(
            pairs
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        );
        let r: CompleteRequest = serde_json::from_value(v).unwrap();
        assert_eq!(r.size, Some(12));
        assert!(r.fii);
        assert_eq!(r.store.unwrap().location.as_deref(), Some("s3"));
        let parts = r.parts.unwrap();
        assert_eq!(
            (
                parts[0].part_number,
                parts[0].etag.as_str(),
                parts[1].etag.as_str()
            ),
            (1, "\"e1\"", "e2")
        );
        assert_eq!(r.upload_tags.unwrap().get("a"), Some("b"));
    }
}
