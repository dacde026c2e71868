//! `uploadOptions` and `storeOptions` as apps pass them to `client.upload` (protocol.md §8.4),
//! read into the engine's options and the file's store object, with filestack-js's defaults and
//! ranges. Every refusal names the option. Callbacks (`onProgress`, `onRetry`) are taken out by
//! the JS entry before the rest arrives here.

use serde_json::{Map, Value, json};
use skiff_engine::{Mode, Options};
use skiff_protocol::UploadTags;

/// A refused option, as the JS `Error` message reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OptionsError(pub String);

/// The upload options apps pass, as filestack-js names them. Read by hand from the JSON object
/// (serde's derived reader costs kilobytes of wasm and gives vaguer messages).
#[derive(Debug, Clone, Default, PartialEq)]
struct RawUploadOptions {
    part_size: Option<f64>,
    concurrency: Option<f64>,
    /// `true`, `false` or `"fallback"`.
    intelligent: Option<Value>,
    intelligent_chunk_size: Option<f64>,
    retry: Option<f64>,
    retry_factor: Option<f64>,
    retry_max_time: Option<f64>,
    timeout: Option<f64>,
    progress_interval: Option<f64>,
    disable_integrity_check: Option<bool>,
    tags: Option<UploadTags>,
    /// Skiff: how long a chunk should take before it grows or shrinks, ms.
    chunk_target_time: Option<f64>,
}

impl RawUploadOptions {
    fn read(value: Value) -> Result<Self, OptionsError> {
        let mut raw = Self::default();
        let obj = match value {
            Value::Null => return Ok(raw),
            Value::Object(m) => m,
            _ => {
                return Err(OptionsError(
                    "Invalid upload options: must be an object".into(),
                ));
            }
        };
        let number = |k: &str, v: &Value| match v {
            Value::Number(n) => Ok(n.as_f64()),
            _ => Err(OptionsError(format!(
                "Invalid upload option `{k}`: must be a number"
            ))),
        };
        for (k, v) in obj {
            if v.is_null() {
                continue; // like an absent option
            }
            match k.as_str() {
                "partSize" => raw.part_size = number(&k, &v)?,
                "concurrency" => raw.concurrency = number(&k, &v)?,
                "intelligent" => raw.intelligent = Some(v),
                "intelligentChunkSize" => raw.intelligent_chunk_size = number(&k, &v)?,
                "retry" => raw.retry = number(&k, &v)?,
                "retryFactor" => raw.retry_factor = number(&k, &v)?,
                "retryMaxTime" => raw.retry_max_time = number(&k, &v)?,
                "timeout" => raw.timeout = number(&k, &v)?,
                "progressInterval" => raw.progress_interval = number(&k, &v)?,
                "chunkTargetTime" => raw.chunk_target_time = number(&k, &v)?,
                "disableIntegrityCheck" => {
                    raw.disable_integrity_check = Some(v.as_bool().ok_or_else(|| {
                        OptionsError(format!(
                            "Invalid upload option `{k}`: must be true or false"
                        ))
                    })?)
                }
                "tags" => {
                    raw.tags =
                        Some(serde_json::from_value(v).map_err(|e| {
                            OptionsError(format!("Invalid upload option `tags`: {e}"))
                        })?)
                }
                _ => return Err(OptionsError(format!("Unknown upload option `{k}`"))),
            }
        }
        Ok(raw)
    }
}

/// Upload options read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadOptions {
    /// For the engine.
    pub engine: Options,
    /// How often `onProgress` is called, ms.
    pub progress_interval_ms: u64,
    /// Upload tags.
    pub tags: UploadTags,
}

/// A number for a message. Integers print exactly; anything else is described, which keeps
/// Rust's float formatting (about 5 KB of wasm) out of the module.
fn shown(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        (v as i64).to_string()
    } else if v.is_finite() {
        format!("{} and a fraction", v.trunc() as i64)
    } else {
        "not a finite number".into()
    }
}

fn whole(name: &str, v: f64, min: f64, max: f64) -> Result<u64, OptionsError> {
    if !v.is_finite() || v.fract() != 0.0 || v < min || v > max {
        let range = if max == f64::MAX {
            format!("at least {}", shown(min))
        } else {
            format!("{} to {}", shown(min), shown(max))
        };
        return Err(OptionsError(format!(
            "Invalid upload option `{name}`: must be a whole number, {range}; got {}",
            shown(v)
        )));
    }
    Ok(v as u64)
}

/// Reads `uploadOptions` (a JSON object; `null` or absent means defaults).
pub fn upload_options(value: Value) -> Result<UploadOptions, OptionsError> {
    let raw = RawUploadOptions::read(value)?;
    let mut o = Options::default();
    if let Some(v) = raw.part_size {
        o.part_size = whole(
            "partSize",
            v,
            skiff_protocol::limits::MIN_PART_SIZE as f64,
            f64::MAX,
        )?;
    }
    if let Some(v) = raw.concurrency {
        o.concurrency = whole("concurrency", v, 1.0, 20.0)? as usize;
    }
    o.mode = match raw.intelligent {
        None | Some(Value::Bool(false)) => Mode::Regular, // null was skipped as absent
        Some(Value::Bool(true)) => Mode::Intelligent,
        Some(Value::String(w)) if w == "fallback" => Mode::Fallback,
        Some(other) => {
            return Err(OptionsError(format!(
                "Invalid upload option `intelligent`: must be true, false or \"fallback\"; got {other}"
            )));
        }
    };
    if let Some(v) = raw.intelligent_chunk_size {
        o.intelligent_chunk_size = whole(
            "intelligentChunkSize",
            v,
            skiff_protocol::limits::MIN_CHUNK_SIZE as f64,
            f64::MAX,
        )?;
    }
    if let Some(v) = raw.retry {
        o.retry = whole("retry", v, 0.0, 20.0)? as u32;
    }
    if let Some(v) = raw.retry_factor {
        if !(v.is_finite() && v >= 1.0) {
            return Err(OptionsError(format!(
                "Invalid upload option `retryFactor`: must be a number ≥ 1; got {}",
                shown(v)
            )));
        }
        o.retry_factor = v;
    }
    if let Some(v) = raw.retry_max_time {
        o.retry_max_ms = whole("retryMaxTime", v, 0.0, f64::MAX)?;
    }
    if let Some(v) = raw.timeout {
        o.timeout_ms = whole("timeout", v, 1.0, 3_600_000.0)?;
    }
    if let Some(v) = raw.chunk_target_time {
        o.chunk_target_ms = whole("chunkTargetTime", v, 100.0, 3_600_000.0)?;
    }
    o.disable_integrity_check = raw.disable_integrity_check.unwrap_or(false);
    let progress_interval_ms = match raw.progress_interval {
        Some(v) => whole("progressInterval", v, 1.0, f64::MAX)?,
        None => 1000,
    };
    let tags = raw.tags.unwrap_or_default();
    tags.validate()
        .map_err(|e| OptionsError(format!("Invalid upload option `tags`: {e}")))?;
    o.validate().map_err(|e| {
        OptionsError(format!(
            "Invalid upload option `{}`: {}",
            e.option, e.reason
        ))
    })?;
    Ok(UploadOptions {
        engine: o,
        progress_interval_ms,
        tags,
    })
}

/// `storeOptions` read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreOptions {
    /// The `store` object of the upload calls.
    pub store: Value,
    /// File name override.
    pub filename: Option<String>,
    /// MIME type override.
    pub mimetype: Option<String>,
    /// Alt text.
    pub alt: Option<String>,
    /// `disableStorageKey: true`: the file is stored at `<path>/<filename>`, with no random prefix.
    pub disable_storage_key: bool,
    /// How file names are cleaned before upload.
    pub sanitizer: Sanitizer,
}

/// filestack-js's `sanitizer` store option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sanitizer {
    /// Names are sent as they are.
    Off,
    /// The default set of characters is replaced, except `exclude`, by `replacement`.
    On {
        /// Characters left alone.
        exclude: Vec<char>,
        /// What replaces the others.
        replacement: String,
    },
}

impl Default for Sanitizer {
    fn default() -> Self {
        Sanitizer::On {
            exclude: Vec::new(),
            replacement: "-".into(),
        }
    }
}

impl StoreOptions {
    /// The `store` object for a file named `filename`: with `disableStorageKey`, the path becomes
    /// `<path with a trailing '/'><filename>` (or `/<filename>`), as filestack-js does.
    pub fn store_for(&self, filename: &str) -> Value {
        let mut store = self.store.clone();
        if self.disable_storage_key {
            let folder = store
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or("/")
                .to_owned();
            let folder = if folder.ends_with('/') {
                folder
            } else {
                format!("{folder}/")
            };
            store["path"] = json!(format!("{folder}{filename}"));
        }
        store
    }

    /// The name to send for a file the browser calls `name`.
    pub fn clean_name(&self, name: &str) -> String {
        match &self.sanitizer {
            Sanitizer::Off if !name.trim().is_empty() => name.to_owned(),
            Sanitizer::Off => super::file_name::sanitize(name),
            Sanitizer::On {
                exclude,
                replacement,
            } => super::file_name::sanitize_with(name, exclude, replacement),
        }
    }
}

const STORE_KEYS: &[&str] = &[
    "location",
    "path",
    "container",
    "region",
    "access",
    "workflows",
    "base64decode",
];
const LOCATIONS: &[&str] = &["s3", "gcs", "azure", "rackspace", "dropbox"];

/// Reads `storeOptions` (filestack-js's `StoreParamsSchema`).
pub fn store_options(value: Value) -> Result<StoreOptions, OptionsError> {
    let obj = match value {
        Value::Null => Map::new(),
        Value::Object(m) => m,
        _ => {
            return Err(OptionsError(
                "Invalid store options: must be an object".into(),
            ));
        }
    };
    let mut store = Map::new();
    store.insert("location".into(), json!("s3"));
    let mut out = StoreOptions {
        store: Value::Null,
        filename: None,
        mimetype: None,
        alt: None,
        disable_storage_key: false,
        sanitizer: Sanitizer::default(),
    };
    let text = |k: &str, v: &Value| -> Result<String, OptionsError> {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| OptionsError(format!("Invalid store option `{k}`: must be a string")))
    };
    for (k, v) in obj {
        match k.as_str() {
            "filename" => out.filename = Some(text(&k, &v)?),
            "mimetype" => {
                let m = text(&k, &v)?;
                if m.len() > 255 {
                    return Err(OptionsError(
                        "Invalid store option `mimetype`: at most 255 characters".into(),
                    ));
                }
                out.mimetype = Some(m);
            }
            "altText" => {
                let a = text(&k, &v)?;
                if a.chars().count() > 125 {
                    return Err(OptionsError(
                        "Invalid store option `altText`: at most 125 characters".into(),
                    ));
                }
                out.alt = Some(a);
            }
            "location" => {
                let l = text(&k, &v)?;
                if !LOCATIONS.contains(&l.to_ascii_lowercase().as_str()) {
                    return Err(OptionsError(format!(
                        "Invalid store option `location`: \"{l}\" is not one of s3, gcs, azure, rackspace, dropbox"
                    )));
                }
                store.insert(k, json!(l));
            }
            "access" => {
                let a = text(&k, &v)?;
                if a != "public" && a != "private" {
                    return Err(OptionsError(format!(
                        "Invalid store option `access`: must be \"public\" or \"private\"; got \"{a}\""
                    )));
                }
                store.insert(k, json!(a));
            }
            key if STORE_KEYS.contains(&key) => {
                store.insert(k, v);
            }
            "disableStorageKey" => {
                out.disable_storage_key = v.as_bool().ok_or_else(|| {
                    OptionsError(
                        "Invalid store option `disableStorageKey`: must be true or false".into(),
                    )
                })?;
            }
            "sanitizer" => out.sanitizer = sanitizer(&v)?,
            // Skiff sends upload tags from `uploadOptions.tags`; filestack-js's store schema
            // accepts this key too, so it is allowed and has no effect here.
            "tags" => {}
            other => return Err(OptionsError(format!("Unknown store option `{other}`"))),
        }
    }
    out.store = Value::Object(store);
    Ok(out)
}

fn sanitizer(v: &Value) -> Result<Sanitizer, OptionsError> {
    let bad = || {
        OptionsError("Invalid store option `sanitizer`: must be true, false or {exclude: [...], replacement: \"-\"}".into())
    };
    match v {
        Value::Bool(false) => Ok(Sanitizer::Off),
        Value::Bool(true) => Ok(Sanitizer::default()),
        Value::Object(m) => {
            let mut exclude = Vec::new();
            if let Some(list) = m.get("exclude") {
                for item in list.as_array().ok_or_else(bad)? {
                    exclude.extend(item.as_str().ok_or_else(bad)?.chars());
                }
            }
            let replacement = match m.get("replacement") {
                None => "-".to_owned(),
                Some(r) => r.as_str().ok_or_else(bad)?.to_owned(),
            };
            if m.keys().any(|k| k != "exclude" && k != "replacement") {
                return Err(bad());
            }
            Ok(Sanitizer::On {
                exclude,
                replacement,
            })
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_key_and_sanitizer() {
        let s = store_options(json!({ "path": "docs", "disableStorageKey": true })).unwrap();
        assert_eq!(s.store_for("a.txt")["path"], "docs/a.txt");
        let s = store_options(json!({ "disableStorageKey": true })).unwrap();
        assert_eq!(s.store_for("a.txt")["path"], "/a.txt");
        assert!(
            store_options(json!({ "disableStorageKey": true }))
                .unwrap()
                .store_for("x")["path"]
                .is_string()
        );
        assert!(
            store_options(json!({}))
                .unwrap()
                .store_for("x")
                .get("path")
                .is_none()
        );
        assert_eq!(
            store_options(json!({})).unwrap().clean_name("a#b.txt"),
            "a-b.txt"
        );
        assert_eq!(
            store_options(json!({ "sanitizer": false }))
                .unwrap()
                .clean_name("a#b.txt"),
            "a#b.txt"
        );
        let custom =
            store_options(json!({ "sanitizer": { "exclude": ["#"], "replacement": "_" } }))
                .unwrap();
        assert_eq!(custom.clean_name("a#b%c.txt"), "a#b_c.txt");
        for bad in [
            json!({ "sanitizer": 3 }),
            json!({ "sanitizer": { "swap": 1 } }),
            json!({ "disableStorageKey": "yes" }),
        ] {
            assert!(store_options(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_match_filestack_js() {
        let o = upload_options(Value::Null).unwrap();
        assert_eq!(
            (
                o.engine.part_size,
                o.engine.concurrency,
                o.engine.retry,
                o.engine.timeout_ms
            ),
            (6 << 20, 3, 10, 120_000)
        );
        assert_eq!(
            (o.engine.mode, o.progress_interval_ms),
            (Mode::Regular, 1000)
        );
    }

    #[test]
    fn values_are_read() {
        let o = upload_options(json!({
            "partSize": 8 << 20, "concurrency": 5, "intelligent": "fallback", "retry": 0, "timeout": 1000,
            "tags": { "a": "b" }, "disableIntegrityCheck": true, "intelligentChunkSize": 65536
        }))
        .unwrap();
        assert_eq!(
            (
                o.engine.part_size,
                o.engine.concurrency,
                o.engine.mode,
                o.engine.retry
            ),
            (8 << 20, 5, Mode::Fallback, 0)
        );
        assert!(o.engine.disable_integrity_check);
        assert_eq!(o.tags.get("a"), Some("b"));
        assert_eq!(
            upload_options(json!({ "intelligent": true }))
                .unwrap()
                .engine
                .mode,
            Mode::Intelligent
        );
    }

    #[test]
    fn refusals_name_the_option() {
        let cases = [
            (json!({ "partSize": 1024 }), "`partSize`"),
            (json!({ "concurrency": 0 }), "`concurrency`"),
            (json!({ "concurrency": 2.5 }), "`concurrency`"),
            (json!({ "intelligent": "always" }), "`intelligent`"),
            (
                json!({ "intelligent": 5 }),
                "`intelligent`: must be true, false or \"fallback\"; got 5",
            ),
            (
                json!({ "intelligentChunkSize": 100 }),
                "`intelligentChunkSize`",
            ),
            (json!({ "retry": 21 }), "`retry`"),
            (json!({ "timeout": 0 }), "`timeout`"),
            (json!({ "progressInterval": 0 }), "`progressInterval`"),
            (json!({ "tags": { "a": 1 } }), "tag"),
            (json!({ "tags": { "k".repeat(129): "v" } }), "`tags`"),
            (json!({ "partsize": 6 }), "Unknown upload option `partsize`"),
            (json!({ "timeout": "60s" }), "`timeout`: must be a number"),
            (
                json!({ "disableIntegrityCheck": 1 }),
                "`disableIntegrityCheck`: must be true or false",
            ),
            (json!([1]), "Invalid upload options: must be an object"),
        ];
        for (v, want) in cases {
            let e = upload_options(v.clone()).unwrap_err().to_string();
            assert!(e.contains(want), "{v}: {e}");
        }
    }

    #[test]
    fn store_options_build_the_store_object() {
        let s = store_options(json!({ "location": "S3", "path": "up/", "container": "b", "filename": "x.txt", "altText": "alt", "workflows": ["w"] })).unwrap();
        assert_eq!(
            s.store,
            json!({ "location": "S3", "path": "up/", "container": "b", "workflows": ["w"] })
        );
        assert_eq!(
            (s.filename.as_deref(), s.alt.as_deref()),
            (Some("x.txt"), Some("alt"))
        );
        assert_eq!(
            store_options(Value::Null).unwrap().store,
            json!({ "location": "s3" })
        );
        for (v, want) in [
            (json!({ "location": "ftp" }), "`location`"),
            (json!({ "access": "world" }), "`access`"),
            (json!({ "altText": "x".repeat(126) }), "`altText`"),
            (json!({ "bucket": "x" }), "Unknown store option `bucket`"),
            (json!({ "filename": 5 }), "`filename`"),
        ] {
            let e = store_options(v.clone()).unwrap_err().to_string();
            assert!(e.contains(want), "{v}: {e}");
        }
    }
}
