//! `client.picker(options)` (protocol.md §8.1): every option filestack-js accepts is either read
//! here or refused by name as not supported yet; unknown options are refused too. Callbacks,
//! `acceptFn`, a DOM-node `container` and tag functions are taken out by the JS entry first.

use super::accept::{AcceptRule, parse_rule};
use super::options::{OptionsError, StoreOptions, UploadOptions, store_options, upload_options};
use serde_json::{Map, Value};

/// Where the picker shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DisplayMode {
    /// A modal dialog over the page.
    #[default]
    Overlay,
    /// Inside `container`.
    Inline,
    /// A drop area inside `container`.
    DropPane,
}

/// Sources Skiff's picker offers now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Files from the device.
    Local,
    /// A link fetched by the server.
    Url,
}

/// The 20 picker languages of §8.1.
pub const LANGS: &[&str] = &[
    "ca", "da", "de", "en", "es", "fr", "he", "it", "ja", "ko", "nl", "no", "pl", "pt", "sv", "ru",
    "vi", "zh", "tr", "ar",
];

/// Picker options, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct PickerOptions {
    /// `accept` rules (empty: anything).
    pub accept: Vec<AcceptRule>,
    /// Keep the picker open on failure and offer a retry.
    pub allow_manual_retry: bool,
    /// Sources, in order.
    pub from_sources: Vec<Source>,
    /// Display mode.
    pub display_mode: DisplayMode,
    /// CSS selector or id of the mount point (inline and drop pane).
    pub container: Option<String>,
    /// Files uploaded at once (1–20; default 4).
    pub concurrency: usize,
    /// UI string overrides, keyed by the English string.
    pub custom_text: Vec<(String, String)>,
    /// Language code.
    pub lang: String,
    /// Fewest files to upload (default 1).
    pub min_files: u32,
    /// Most files (default 1).
    pub max_files: u32,
    /// Largest file, bytes.
    pub max_size: Option<u64>,
    /// Start uploading as soon as `max_files` are picked.
    pub start_uploading_when_max_files_reached: bool,
    /// Upload each file as soon as it is picked.
    pub upload_in_background: bool,
    /// No image previews.
    pub disable_thumbnails: bool,
    /// Dropping anywhere on the page adds files.
    pub global_drop_zone: bool,
    /// Which picker takes paste events.
    pub paste_to_first_in_viewport: bool,
    /// … and whether only the first instance does.
    pub paste_to_first_instance: bool,
    /// No folder picking.
    pub disable_directory_upload: bool,
    /// Shown in error messages.
    pub support_email: Option<String>,
    /// How long error messages stay, ms.
    pub errors_timeout_ms: Option<u64>,
    /// Where files are stored.
    pub store_to: StoreOptions,
    /// How files are uploaded.
    pub upload_config: UploadOptions,
    /// The drop pane's settings (`dropPane`).
    pub drop_pane: DropPaneOptions,
}

/// `dropPane` (§8.3); its callbacks are taken out by the JS entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DropPaneOptions {
    /// The pane's text.
    pub custom_text: Option<String>,
    /// Clicking the pane does not open the file dialog.
    pub disable_click: bool,
    /// Dropping anywhere on the page drops into the pane.
    pub overlay: bool,
    /// Show an icon in the pane.
    pub show_icon: bool,
    /// Show upload progress in the pane.
    pub show_progress: bool,
}

fn drop_pane(v: Option<&Value>) -> Result<DropPaneOptions, OptionsError> {
    let m = match v {
        None | Some(Value::Null) => {
            return Ok(DropPaneOptions {
                show_icon: true,
                show_progress: true,
                ..Default::default()
            });
        }
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(err(
                "Invalid picker option `dropPane`: must be an object".into()
            ));
        }
    };
    for key in m.keys() {
        match key.as_str() {
            "customText" | "disableClick" | "overlay" | "showIcon" | "showProgress" => {}
            "cropFiles" => {
                return Err(err(
                    "The option `dropPane.cropFiles` is not supported by Skiff yet".into(),
                ));
            }
            k => return Err(err(format!("Unknown picker option `dropPane.{k}`"))),
        }
    }
    let custom_text = match m.get("customText") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(err(
                "Invalid picker option `dropPane.customText`: must be a string".into(),
            ));
        }
    };
    let f = |k: &str, d: bool| {
        flag(m, k, d).map_err(|e| err(e.0.replace(&format!("`{k}`"), &format!("`dropPane.{k}`"))))
    };
    Ok(DropPaneOptions {
        custom_text,
        disable_click: f("disableClick", false)?,
        overlay: f("overlay", false)?,
        show_icon: f("showIcon", true)?,
        show_progress: f("showProgress", true)?,
    })
}

/// Options filestack-js knows that Skiff's picker does not offer yet: refused by name.
const NOT_YET: &[&str] = &[
    "websearch",
    "cleanupImageExif",
    "customAuthText",
    "customSourceContainer",
    "customSourcePath",
    "customSourceName",
    "exposeOriginalFile",
    "hideModalWhenUploading",
    "imageDim",
    "imageMax",
    "imageMin",
    "imageMinMaxBlock",
    "viewType",
    "modalSize",
    "rootId",
    "transformations",
    "transformationsUI",
    "videoResolution",
    "miniUploader",
    "multipleFileUpload",
    "googleDriveAppID",
    "cropFiles",
    "loadCss",
    "failOverMaxFiles",
];

/// Accepted for compatibility, with no effect.
const IGNORED: &[&str] = &["useSentryBreadcrumbs"];

/// Sources filestack-js accepts that Skiff does not offer yet.
const SOURCES_NOT_YET: &[&str] = &[
    "imagesearch",
    "facebook",
    "instagram",
    "googledrive",
    "picasa",
    "unsplash",
    "dropbox",
    "webcam",
    "video",
    "audio",
    "box",
    "github",
    "gmail",
    "googlephotos",
    "onedrive",
    "onedriveforbusiness",
    "clouddrive",
    "customsource",
    "tint",
];

fn err(msg: String) -> OptionsError {
    OptionsError(msg)
}

fn flag(m: &Map<String, Value>, key: &str, default: bool) -> Result<bool, OptionsError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(err(format!(
            "Invalid picker option `{key}`: must be true or false"
        ))),
    }
}

fn count(
    m: &Map<String, Value>,
    key: &str,
    min: u64,
    max: u64,
    default: u64,
) -> Result<u64, OptionsError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_u64()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                err(format!(
                    "Invalid picker option `{key}`: must be a whole number from {min} to {max}"
                ))
            }),
    }
}

/// Reads picker options (a JSON object; `null` means defaults).
pub fn picker_options(value: Value) -> Result<PickerOptions, OptionsError> {
    let m = match value {
        Value::Null => Map::new(),
        Value::Object(m) => m,
        _ => return Err(err("Invalid picker options: must be an object".into())),
    };
    const KNOWN: &[&str] = &[
        "accept",
        "allowManualRetry",
        "fromSources",
        "displayMode",
        "container",
        "concurrency",
        "customText",
        "lang",
        "minFiles",
        "maxFiles",
        "maxSize",
        "startUploadingWhenMaxFilesReached",
        "uploadInBackground",
        "disableThumbnails",
        "globalDropZone",
        "pasteMode",
        "disableDirectoryUpload",
        "supportEmail",
        "errorsTimeout",
        "storeTo",
        "disableStorageKey",
        "disableTransformer",
        "disableAltText",
        "uploadConfig",
        "dropPane",
    ];
    for key in ["disableTransformer", "disableAltText"] {
        // Skiff has no image editor and no alt-text field yet: turning them off is what it does.
        if !matches!(m.get(key), None | Some(Value::Null | Value::Bool(true))) {
            return Err(err(format!(
                "The picker option `{key}` can only be true: Skiff's picker has no image editor or alt-text field yet"
            )));
        }
    }
    for key in m.keys() {
        if NOT_YET.contains(&key.as_str()) {
            return Err(err(format!(
                "The picker option `{key}` is not supported by Skiff yet"
            )));
        }
        if !KNOWN.contains(&key.as_str()) && !IGNORED.contains(&key.as_str()) {
            return Err(err(format!("Unknown picker option `{key}`")));
        }
    }
    let accept = match m.get("accept") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(list)) if !list.is_empty() => list
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    err("Invalid picker option `accept`: entries must be strings".into())
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(err(
                "Invalid picker option `accept`: a string or a non-empty list of strings".into(),
            ));
        }
    }
    .iter()
    .map(|e| parse_rule(e).map_err(|why| err(format!("Invalid picker option `accept`: {why}"))))
    .collect::<Result<Vec<_>, _>>()?;
    let from_sources = match m.get("fromSources") {
        None | Some(Value::Null) => vec![Source::Local, Source::Url],
        Some(Value::Array(list)) => {
            let mut out = Vec::new();
            for v in list {
                let name = v.as_str().ok_or_else(|| err("The picker option `fromSources`: custom source objects are not supported by Skiff yet".into()))?;
                match name {
                    "local_file_system" => out.push(Source::Local),
                    "url" => out.push(Source::Url),
                    s if SOURCES_NOT_YET.contains(&s) => {
                        return Err(err(format!(
                            "The source \"{s}\" in `fromSources` is not supported by Skiff yet"
                        )));
                    }
                    s => return Err(err(format!("Unknown source \"{s}\" in `fromSources`"))),
                }
            }
            if out.is_empty() {
                return Err(err(
                    "Invalid picker option `fromSources`: name at least one source".into(),
                ));
            }
            out
        }
        Some(_) => {
            return Err(err(
                "Invalid picker option `fromSources`: must be a list of source names".into(),
            ));
        }
    };
    let display_mode = match m.get("displayMode").and_then(Value::as_str) {
        None if m.get("displayMode").is_none_or(Value::is_null) => DisplayMode::Overlay,
        Some("overlay") => DisplayMode::Overlay,
        Some("inline") => DisplayMode::Inline,
        Some("dropPane") => DisplayMode::DropPane,
        _ => return Err(err(
            "Invalid picker option `displayMode`: must be \"overlay\", \"inline\" or \"dropPane\""
                .into(),
        )),
    };
    let container = match m.get("container") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(_) => {
            return Err(err(
                "Invalid picker option `container`: a selector, an id or a DOM element".into(),
            ));
        }
    };
    if display_mode != DisplayMode::Overlay && container.is_none() {
        return Err(err(
            "The picker option `container` is required for the inline and dropPane display modes"
                .into(),
        ));
    }
    let custom_text = match m.get("customText") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(t)) => t
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|s| (k.clone(), s.to_owned()))
                    .ok_or_else(|| err(format!("Invalid picker option `customText`: the text for \"{k}\" must be a string")))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(err("Invalid picker option `customText`: an object of strings".into())),
    };
    let lang = match m.get("lang") {
        None | Some(Value::Null) => "en".to_owned(),
        Some(Value::String(l)) if LANGS.contains(&l.as_str()) => l.clone(),
        Some(_) => {
            return Err(err(format!(
                "Invalid picker option `lang`: one of {}",
                LANGS.join(", ")
            )));
        }
    };
    let min_files = count(&m, "minFiles", 1, 1_000_000, 1)? as u32;
    let max_files = count(&m, "maxFiles", 1, 1_000_000, 1)? as u32;
    if min_files > max_files {
        return Err(err(format!(
            "The picker options `minFiles` ({min_files}) and `maxFiles` ({max_files}) contradict each other"
        )));
    }
    let max_size =
        match m.get("maxSize") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().filter(|n| *n >= 1).ok_or_else(|| {
                err("Invalid picker option `maxSize`: a number of bytes ≥ 1".into())
            })?),
        };
    let (paste_to_first_in_viewport, paste_to_first_instance) =
        match m.get("pasteMode") {
            None | Some(Value::Null) => (false, false),
            Some(Value::Object(p)) => (
                flag(p, "pasteToFirstInViewPort", false)?,
                flag(p, "pasteToFirstInstance", false)?,
            ),
            Some(_) => return Err(err(
                "Invalid picker option `pasteMode`: {pasteToFirstInViewPort, pasteToFirstInstance}"
                    .into(),
            )),
        };
    let support_email = match m.get("supportEmail") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(err(
                "Invalid picker option `supportEmail`: must be a string".into(),
            ));
        }
    };
    let errors_timeout_ms = match m.get("errorsTimeout") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| {
            err("Invalid picker option `errorsTimeout`: milliseconds ≥ 0".into())
        })?),
    };
    let mut store_to = store_options(m.get("storeTo").cloned().unwrap_or(Value::Null))
        .map_err(|e| err(e.0.replace("store option", "picker option `storeTo`:")))?;
    // The picker takes `disableStorageKey` at the top level (filestack-js's `storeTo` has no
    // such key): files go to `<storeTo.path>/<filename>` with no random prefix.
    store_to.disable_storage_key = flag(&m, "disableStorageKey", false)?;
    let upload_config = upload_options(m.get("uploadConfig").cloned().unwrap_or(Value::Null))
        .map_err(|e| {
            err(e
                .0
                .replace("upload option", "picker option `uploadConfig`:"))
        })?;
    Ok(PickerOptions {
        accept,
        allow_manual_retry: flag(&m, "allowManualRetry", false)?,
        from_sources,
        display_mode,
        container,
        concurrency: count(&m, "concurrency", 1, 20, 4)? as usize,
        custom_text,
        lang,
        min_files,
        max_files,
        max_size,
        start_uploading_when_max_files_reached: flag(
            &m,
            "startUploadingWhenMaxFilesReached",
            false,
        )?,
        // filestack-js uploads in the background only with `disableTransformer`, which is off by
        // default: by default the user reviews the selection and presses Upload.
        upload_in_background: flag(&m, "uploadInBackground", false)?,
        disable_thumbnails: flag(&m, "disableThumbnails", false)?,
        global_drop_zone: flag(&m, "globalDropZone", false)?,
        paste_to_first_in_viewport,
        paste_to_first_instance,
        disable_directory_upload: flag(&m, "disableDirectoryUpload", false)?,
        support_email,
        errors_timeout_ms,
        store_to,
        upload_config,
        drop_pane: drop_pane(m.get("dropPane"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults() {
        let p = picker_options(Value::Null).unwrap();
        assert_eq!(
            (
                p.display_mode,
                p.concurrency,
                p.min_files,
                p.max_files,
                p.lang.as_str()
            ),
            (DisplayMode::Overlay, 4, 1, 1, "en")
        );
        assert_eq!(p.from_sources, [Source::Local, Source::Url]);
        assert!(!p.upload_in_background && p.accept.is_empty());
        assert!(p.drop_pane.show_icon && p.drop_pane.show_progress && !p.drop_pane.disable_click);
    }

    #[test]
    fn values_are_read() {
        let p = picker_options(json!({
            "accept": ["image/*", ".pdf"], "maxFiles": 5, "minFiles": 2, "maxSize": 1048576, "displayMode": "inline",
            "container": "#picker", "lang": "he", "customText": { "Upload": "Send" }, "fromSources": ["url", "local_file_system"],
            "storeTo": { "location": "s3", "path": "up/" }, "uploadConfig": { "intelligent": true, "tags": { "a": "b" } },
            "pasteMode": { "pasteToFirstInstance": true }, "useSentryBreadcrumbs": false,
            "disableTransformer": true, "disableAltText": true
        }))
        .unwrap();
        assert_eq!(
            (p.accept.len(), p.max_files, p.min_files, p.max_size),
            (2, 5, 2, Some(1_048_576))
        );
        assert_eq!(
            (p.display_mode, p.container.as_deref(), p.lang.as_str()),
            (DisplayMode::Inline, Some("#picker"), "he")
        );
        assert_eq!(p.from_sources, [Source::Url, Source::Local]);
        assert_eq!(p.custom_text, [("Upload".to_owned(), "Send".to_owned())]);
        assert!(p.paste_to_first_instance);
        assert_eq!(p.upload_config.tags.get("a"), Some("b"));
        assert_eq!(
            p.store_to.store_for("a.txt")["path"],
            json!("up/"),
            "a random key by default"
        );
        let p = picker_options(json!({ "storeTo": { "path": "up/" }, "disableStorageKey": true }))
            .unwrap();
        assert_eq!(
            p.store_to.store_for("a.txt")["path"],
            json!("up/a.txt"),
            "disableStorageKey: no random key"
        );
    }

    #[test]
    fn refusals_name_the_option() {
        let cases = [
            (json!({ "colour": "red" }), "Unknown picker option `colour`"),
            (
                json!({ "disableStorageKey": "yes" }),
                "`disableStorageKey`: must be true or false",
            ),
            (
                json!({ "transformations": { "crop": true } }),
                "`transformations` is not supported by Skiff yet",
            ),
            (
                json!({ "fromSources": ["dropbox"] }),
                "\"dropbox\" in `fromSources` is not supported",
            ),
            (
                json!({ "fromSources": ["myspace"] }),
                "Unknown source \"myspace\"",
            ),
            (json!({ "fromSources": [] }), "at least one source"),
            (json!({ "accept": ["pdf"] }), "`accept`"),
            (
                json!({ "displayMode": "inline" }),
                "`container` is required",
            ),
            (json!({ "displayMode": "popup" }), "`displayMode`"),
            (json!({ "maxFiles": 0 }), "`maxFiles`"),
            (json!({ "minFiles": 3, "maxFiles": 2 }), "contradict"),
            (json!({ "lang": "xx" }), "`lang`"),
            (json!({ "concurrency": 21 }), "`concurrency`"),
            (json!({ "storeTo": { "bucket": "x" } }), "`storeTo`"),
            (
                json!({ "uploadConfig": { "partSize": 1 } }),
                "`uploadConfig`",
            ),
            (json!({ "customText": { "Upload": 1 } }), "`customText`"),
            (
                json!({ "dropPane": { "cropFiles": true } }),
                "`dropPane.cropFiles` is not supported",
            ),
            (
                json!({ "dropPane": { "disableClick": 1 } }),
                "`dropPane.disableClick`",
            ),
        ];
        for (v, want) in cases {
            let e = picker_options(v.clone()).unwrap_err().to_string();
            assert!(e.contains(want), "{v}: {e}");
        }
    }
}
