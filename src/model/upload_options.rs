//! `uploadOptions` as apps pass them to `client.upload` (docs/protocol.md §8.4), and the picker's
//! `uploadConfig`: read into the engine's options with filestack-js's defaults and ranges. Every
//! refusal names the option by its path. Callbacks (`onProgress`, `onRetry`) are taken out by
//! the JS entry before the rest arrives here.

use serde_json::Value;
use skiff_engine::{Mode, Options};
use skiff_protocol::UploadTags;
use skiff_protocol::limits::{MIN_CHUNK_SIZE, MIN_PART_SIZE};

use super::reader::{OptionsError, Reader, got, shown_number};

/// Upload options read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadOptions {
    /// For the engine.
    pub engine: Options,
    /// How often `onProgress` is called, ms.
    pub progress_interval_ms: u64,
    /// Upload tags.
    pub tags: UploadTags,
    /// Keep each unfinished upload in IndexedDB, so that the same file given again after a
    /// reload carries on where it stopped (Skiff's `resume`, on by default).
    pub resume: bool,
    /// `growParts` as the app set it, `None` when it did not. `engine.grow_parts` holds what
    /// `client.upload` does (grow only when asked); the picker also grows the parts of files the
    /// user picks from the device unless told not to (`picker/uploads.rs`).
    pub grow_parts: Option<bool>,
}

impl UploadOptions {
    /// These options for one file the picker uploads. Its parts grow where the app set
    /// `growParts: true` or, when the app did not say, where the user picked the file from the
    /// device: such a File reads from disk, while a large Blob the page holds in memory (which
    /// the app may hand to `crop(files)`) is where bigger parts made Chromium fail a later upload
    /// (`skiff_engine`'s `grow.rs`).
    pub fn for_picked(&self, from_device: bool) -> Self {
        let mut o = self.clone();
        o.engine.grow_parts = self.grow_parts.unwrap_or(from_device);
        o
    }
}

/// Reads `uploadOptions` (a JSON object; `null` or absent means defaults).
pub fn upload_options(value: Value) -> Result<UploadOptions, OptionsError> {
    Reader::root("upload", &value, read_upload_options)
}

/// Reads upload options from `r` (the top level of `uploadOptions`, or the picker's
/// `uploadConfig`).
pub fn read_upload_options(r: &mut Reader<'_>) -> Result<UploadOptions, OptionsError> {
    const HOUR_MS: u64 = 3_600_000;
    let mut o = Options::default();
    if let Some(n) = r.whole("partSize", MIN_PART_SIZE, u64::MAX, "bytes")? {
        o.part_size = n;
    }
    if let Some(n) = r.whole("concurrency", 1, 20, "")? {
        // A number the app chose is kept: no extra part on a fast link.
        o.concurrency = n as usize;
        o.widen = false;
    }
    o.mode = match r.get("intelligent") {
        None | Some(Value::Bool(false)) => Mode::Regular,
        Some(Value::Bool(true)) => Mode::Intelligent,
        Some(Value::String(w)) if w == "fallback" => Mode::Fallback,
        Some(other) => {
            return Err(r.invalid(
                "intelligent",
                got("must be true, false or \"fallback\"", other),
            ));
        }
    };
    if let Some(n) = r.whole("intelligentChunkSize", MIN_CHUNK_SIZE, u64::MAX, "bytes")? {
        o.intelligent_chunk_size = n;
    }
    if let Some(n) = r.whole("retry", 0, 20, "")? {
        o.retry = n as u32;
    }
    if let Some(v) = r.number("retryFactor")? {
        if !(v.is_finite() && v >= 1.0) {
            return Err(r.invalid(
                "retryFactor",
                format!("must be a number ≥ 1; got {}", shown_number(v)),
            ));
        }
        o.retry_factor = v;
    }
    if let Some(n) = r.whole("retryMaxTime", 0, u64::MAX, "ms")? {
        o.retry_max_ms = n;
    }
    if let Some(n) = r.whole("timeout", 1, HOUR_MS, "ms")? {
        o.timeout_ms = n;
    }
    // Skiff's own: how long a chunk should take before it grows or shrinks.
    if let Some(n) = r.whole("chunkTargetTime", 100, HOUR_MS, "ms")? {
        o.chunk_target_ms = n;
    }
    o.disable_integrity_check = r.flag("disableIntegrityCheck", false)?;
    let grow_parts = r.bool("growParts")?;
    o.grow_parts = grow_parts.unwrap_or(false);
    let resume = r.flag("resume", true)?;
    let progress_interval_ms = r
        .whole("progressInterval", 1, u64::MAX, "ms")?
        .unwrap_or(1000);
    let tags = match r.get("tags") {
        None => UploadTags::default(),
        // The protocol's reader of tags (the same one `storeURL`'s tags go through).
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| r.invalid("tags", e))?,
    };
    tags.validate().map_err(|e| r.invalid("tags", e))?;
    o.validate().map_err(|e| r.invalid(e.option, e.reason))?;
    Ok(UploadOptions {
        engine: o,
        progress_interval_ms,
        tags,
        resume,
        grow_parts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        assert!(!o.engine.grow_parts, "parts grow only where the app asks");
        assert_eq!(o.grow_parts, None, "the app did not say");
        assert!(
            o.engine.widen,
            "a fourth part on a fast link, when the app did not say"
        );
        assert_eq!(
            (o.engine.mode, o.progress_interval_ms),
            (Mode::Regular, 1000)
        );
        assert_eq!(upload_options(json!({})).unwrap(), o);
        assert_eq!(
            upload_options(json!({ "partSize": null, "intelligent": null })).unwrap(),
            o,
            "null is absent"
        );
    }

    #[test]
    fn the_picker_grows_the_parts_of_files_from_the_device_unless_told() {
        let grows = |v: Value, from_device: bool| {
            upload_options(v)
                .unwrap()
                .for_picked(from_device)
                .engine
                .grow_parts
        };
        assert!(grows(json!({}), true), "picked from the device");
        assert!(!grows(json!({}), false), "the app's own files");
        assert!(
            !grows(json!({ "growParts": false }), true),
            "the app said no"
        );
        assert!(
            grows(json!({ "growParts": true }), false),
            "the app said yes"
        );
    }

    #[test]
    fn values_are_read() {
        let o = upload_options(json!({
            "partSize": 8 << 20, "concurrency": 5, "intelligent": "fallback", "retry": 0, "timeout": 1000,
            "tags": { "a": "b" }, "disableIntegrityCheck": true, "intelligentChunkSize": 65536,
            "retryFactor": 1.5, "retryMaxTime": 5000, "chunkTargetTime": 2000, "progressInterval": 250,
            "growParts": true
        }))
        .unwrap();
        let e = &o.engine;
        assert_eq!(
            (e.part_size, e.concurrency, e.mode, e.retry, e.timeout_ms),
            (8 << 20, 5, Mode::Fallback, 0, 1000)
        );
        assert!(e.grow_parts);
        assert_eq!(o.grow_parts, Some(true));
        assert!(!e.widen, "the concurrency the app chose is kept");
        let three = upload_options(json!({ "concurrency": 3 })).unwrap();
        assert_eq!((three.engine.concurrency, three.engine.widen), (3, false));
        let off = upload_options(json!({ "growParts": false })).unwrap();
        assert_eq!(
            (off.engine.grow_parts, off.grow_parts),
            (false, Some(false))
        );
        assert_eq!(
            (e.intelligent_chunk_size, e.retry_max_ms, e.chunk_target_ms),
            (65536, 5000, 2000)
        );
        assert_eq!((e.retry_factor, o.progress_interval_ms), (1.5, 250));
        assert!(e.disable_integrity_check);
        assert_eq!(o.tags.get("a"), Some("b"));
        assert_eq!(
            upload_options(json!({ "intelligent": true }))
                .unwrap()
                .engine
                .mode,
            Mode::Intelligent
        );
        assert_eq!(
            upload_options(json!({ "partSize": 6e6 }))
                .unwrap()
                .engine
                .part_size,
            6_000_000,
            "a whole number written with an exponent"
        );
    }

    #[test]
    fn each_bad_value_has_its_message() {
        let cases = [
            (
                json!({ "partSize": 1024 }),
                "Invalid upload option `partSize`: must be a whole number of bytes, at least 5242880; got 1024",
            ),
            (
                json!({ "concurrency": 0 }),
                "Invalid upload option `concurrency`: must be a whole number, 1 to 20; got 0",
            ),
            (
                json!({ "concurrency": 2.5 }),
                "Invalid upload option `concurrency`: must be a whole number, 1 to 20; got 2 and a fraction",
            ),
            (
                json!({ "intelligent": "always" }),
                "Invalid upload option `intelligent`: must be true, false or \"fallback\"; got \"always\"",
            ),
            (
                json!({ "intelligent": 5 }),
                "Invalid upload option `intelligent`: must be true, false or \"fallback\"; got 5",
            ),
            (
                json!({ "intelligentChunkSize": 100 }),
                "Invalid upload option `intelligentChunkSize`: must be a whole number of bytes, at least 32768; got 100",
            ),
            (
                json!({ "retry": 21 }),
                "Invalid upload option `retry`: must be a whole number, 0 to 20; got 21",
            ),
            (
                json!({ "retry": -1 }),
                "Invalid upload option `retry`: must be a whole number, 0 to 20; got -1",
            ),
            (
                json!({ "retryFactor": 0.5 }),
                "Invalid upload option `retryFactor`: must be a number ≥ 1; got 0 and a fraction",
            ),
            (
                json!({ "retryFactor": "2" }),
                "Invalid upload option `retryFactor`: must be a number; got \"2\"",
            ),
            (
                json!({ "retryMaxTime": true }),
                "Invalid upload option `retryMaxTime`: must be a whole number of ms, at least 0; got true",
            ),
            (
                json!({ "timeout": 0 }),
                "Invalid upload option `timeout`: must be a whole number of ms, 1 to 3600000; got 0",
            ),
            (
                json!({ "timeout": "60s" }),
                "Invalid upload option `timeout`: must be a whole number of ms, 1 to 3600000; got \"60s\"",
            ),
            (
                json!({ "chunkTargetTime": 99 }),
                "Invalid upload option `chunkTargetTime`: must be a whole number of ms, 100 to 3600000; got 99",
            ),
            (
                json!({ "progressInterval": 0 }),
                "Invalid upload option `progressInterval`: must be a whole number of ms, at least 1; got 0",
            ),
            (
                json!({ "resume": "no" }),
                "Invalid upload option `resume`: must be true or false; got \"no\"",
            ),
            (
                json!({ "disableIntegrityCheck": 1 }),
                "Invalid upload option `disableIntegrityCheck`: must be true or false; got 1",
            ),
            (
                json!({ "tags": { "a": 1 } }),
                "Invalid upload option `tags`: upload tag \"a\" must have a string value",
            ),
            (
                json!({ "tags": { "k".repeat(129): "v" } }),
                "Invalid upload option `tags`: upload tag key \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\"… is 129 characters long; at most 128 are allowed",
            ),
            (
                json!({ "partsize": 6 }),
                "Unknown upload option `partsize`; did you mean `partSize`?",
            ),
            (json!({ "colour": 6 }), "Unknown upload option `colour`"),
            (
                json!([1]),
                "Invalid upload options: must be an object; got a list",
            ),
        ];
        for (v, want) in cases {
            let e = upload_options(v.clone()).unwrap_err().to_string();
            assert_eq!(e, want, "{v}");
        }
    }

    #[test]
    fn eleven_tags_are_refused_by_the_tag_rules() {
        let tags: serde_json::Map<_, _> = (0..11)
            .map(|i| (format!("key{i}"), json!(format!("value{i}"))))
            .collect();
        let e = upload_options(json!({ "tags": tags })).unwrap_err();
        assert_eq!(
            e.0,
            "Invalid upload option `tags`: at most 10 upload tags are allowed, got 11"
        );
    }

    #[test]
    fn uploads_are_kept_for_resuming_unless_told_not_to() {
        assert!(upload_options(Value::Null).unwrap().resume);
        assert!(!upload_options(json!({ "resume": false })).unwrap().resume);
    }
}
