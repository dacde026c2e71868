//! `storeOptions` of `client.upload` and `storeURL`, and the picker's `storeTo` (filestack-js's
//! `StoreParamsSchema`): the `store` object sent with each upload, plus what the client itself
//! does with the file's name and type. Every refusal names the option by its path.

use serde_json::{Map, Value, json};

use super::reader::{OptionsError, Reader, got, one_of};

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

/// Keys passed to the server in the `store` object as the app wrote them (it checks them).
const PASSED: [&str; 5] = ["path", "container", "region", "workflows", "base64decode"];
/// Where files may go, in any case (filestack-js's schema lowercases them).
const LOCATIONS: [&str; 5] = ["s3", "gcs", "azure", "rackspace", "dropbox"];

/// Reads `storeOptions` (a JSON object; `null` or absent means defaults).
pub fn store_options(value: Value) -> Result<StoreOptions, OptionsError> {
    Reader::root("store", &value, read_store_options)
}

/// Reads store options from `r` (the top level of `storeOptions`, or the picker's `storeTo`).
pub fn read_store_options(r: &mut Reader<'_>) -> Result<StoreOptions, OptionsError> {
    let mut store = Map::new();
    let location = match r.string("location")? {
        None => "s3",
        Some(l) if LOCATIONS.contains(&l.to_ascii_lowercase().as_str()) => l,
        Some(l) => {
            return Err(r.invalid(
                "location",
                got(
                    &format!("must be {} (any case)", one_of(&LOCATIONS)),
                    &json!(l),
                ),
            ));
        }
    };
    store.insert("location".into(), json!(location));
    for key in PASSED {
        if let Some(v) = r.get(key) {
            store.insert(key.into(), v.clone());
        }
    }
    if let Some(i) = r.choice("access", &["public", "private"])? {
        store.insert("access".into(), json!(["public", "private"][i]));
    }
    let filename = r.string("filename")?.map(str::to_owned);
    let mimetype = at_most(r, "mimetype", 255)?;
    let alt = at_most(r, "altText", 125)?;
    let disable_storage_key = r.flag("disableStorageKey", false)?;
    let sanitizer = read_sanitizer(r)?;
    // Skiff sends upload tags from `uploadOptions.tags`; filestack-js's store schema accepts this
    // key too, so it is allowed and has no effect here.
    r.skip("tags");
    Ok(StoreOptions {
        store: Value::Object(store),
        filename,
        mimetype,
        alt,
        disable_storage_key,
        sanitizer,
    })
}

/// A string of at most `max` characters.
fn at_most(
    r: &mut Reader<'_>,
    key: &'static str,
    max: usize,
) -> Result<Option<String>, OptionsError> {
    match r.string(key)? {
        Some(s) if s.chars().count() > max => Err(r.invalid(
            key,
            format!(
                "must be at most {max} characters; got {}",
                s.chars().count()
            ),
        )),
        s => Ok(s.map(str::to_owned)),
    }
}

/// `true`, `false` or `{exclude: [...], replacement: "-"}`.
fn read_sanitizer(r: &mut Reader<'_>) -> Result<Sanitizer, OptionsError> {
    match r.get("sanitizer") {
        None | Some(Value::Bool(true)) => Ok(Sanitizer::default()),
        Some(Value::Bool(false)) => Ok(Sanitizer::Off),
        Some(Value::Object(_)) => r.nested("sanitizer", |s| {
            let exclude = s.strings("exclude")?.unwrap_or_default();
            let replacement = s.string("replacement")?.unwrap_or("-");
            Ok(Sanitizer::On {
                exclude: exclude.iter().flat_map(|e| e.chars()).collect(),
                replacement: replacement.to_owned(),
            })
        }),
        Some(other) => Err(r.invalid(
            "sanitizer",
            got(
                "must be true, false or {exclude: [...], replacement: \"-\"}",
                other,
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_key_and_sanitizer() {
        let s = store_options(json!({ "path": "docs", "disableStorageKey": true })).unwrap();
        assert_eq!(s.store_for("a.txt")["path"], "docs/a.txt");
        let s = store_options(json!({ "path": "docs/", "disableStorageKey": true })).unwrap();
        assert_eq!(s.store_for("a.txt")["path"], "docs/a.txt");
        let s = store_options(json!({ "disableStorageKey": true })).unwrap();
        assert_eq!(s.store_for("a.txt")["path"], "/a.txt");
        let s = store_options(json!({})).unwrap();
        assert!(s.store_for("x").get("path").is_none());
        assert_eq!(s.clean_name("a#b.txt"), "a-b.txt");
        let s = store_options(json!({ "sanitizer": false })).unwrap();
        assert_eq!(s.clean_name("a#b.txt"), "a#b.txt");
        let s = store_options(json!({ "sanitizer": true })).unwrap();
        assert_eq!(s.sanitizer, Sanitizer::default());
        let custom =
            store_options(json!({ "sanitizer": { "exclude": ["#"], "replacement": "_" } }))
                .unwrap();
        assert_eq!(custom.clean_name("a#b%c.txt"), "a#b_c.txt");
        let defaults = store_options(json!({ "sanitizer": {} })).unwrap();
        assert_eq!(defaults.sanitizer, Sanitizer::default());
    }

    #[test]
    fn store_options_build_the_store_object() {
        let s = store_options(json!({
            "location": "S3", "path": "up/", "container": "b", "filename": "x.txt", "altText": "alt",
            "workflows": ["w"], "access": "private", "mimetype": "text/plain", "tags": { "a": "b" }
        }))
        .unwrap();
        assert_eq!(
            s.store,
            json!({ "location": "S3", "path": "up/", "container": "b", "workflows": ["w"], "access": "private" })
        );
        assert_eq!(
            (
                s.filename.as_deref(),
                s.alt.as_deref(),
                s.mimetype.as_deref()
            ),
            (Some("x.txt"), Some("alt"), Some("text/plain"))
        );
        assert_eq!(
            store_options(Value::Null).unwrap().store,
            json!({ "location": "s3" })
        );
    }

    #[test]
    fn each_bad_value_has_its_message() {
        for (v, want) in [
            (
                json!({ "location": "ftp" }),
                "Invalid store option `location`: must be \"s3\", \"gcs\", \"azure\", \"rackspace\" or \"dropbox\" (any case); got \"ftp\"",
            ),
            (
                json!({ "location": 3 }),
                "Invalid store option `location`: must be a string; got 3",
            ),
            (
                json!({ "access": "world" }),
                "Invalid store option `access`: must be \"public\" or \"private\"; got \"world\"",
            ),
            (
                json!({ "altText": "x".repeat(126) }),
                "Invalid store option `altText`: must be at most 125 characters; got 126",
            ),
            (
                json!({ "mimetype": "x".repeat(256) }),
                "Invalid store option `mimetype`: must be at most 255 characters; got 256",
            ),
            (
                json!({ "filename": 5 }),
                "Invalid store option `filename`: must be a string; got 5",
            ),
            (
                json!({ "disableStorageKey": "yes" }),
                "Invalid store option `disableStorageKey`: must be true or false; got \"yes\"",
            ),
            (
                json!({ "sanitizer": 3 }),
                "Invalid store option `sanitizer`: must be true, false or {exclude: [...], replacement: \"-\"}; got 3",
            ),
            (
                json!({ "sanitizer": { "swap": 1 } }),
                "Unknown store option `sanitizer.swap`; valid keys: exclude, replacement",
            ),
            (
                json!({ "sanitizer": { "exclude": [1] } }),
                "Invalid store option `sanitizer.exclude`: entry 0 must be a string; got 1",
            ),
            (
                json!({ "sanitizer": { "replacement": false } }),
                "Invalid store option `sanitizer.replacement`: must be a string; got false",
            ),
            (json!({ "bucket": "x" }), "Unknown store option `bucket`"),
            (
                json!({ "Path": "x" }),
                "Unknown store option `Path`; did you mean `path`?",
            ),
            (
                json!("s3"),
                "Invalid store options: must be an object; got \"s3\"",
            ),
        ] {
            let e = store_options(v.clone()).unwrap_err().to_string();
            assert_eq!(e, want, "{v}");
        }
    }
}
