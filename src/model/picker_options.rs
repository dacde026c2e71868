//! `client.picker(options)` (docs/protocol.md §8.1): every option filestack-js accepts is either read
//! here or refused by name as not supported yet; unknown options are refused too. Callbacks,
//! `acceptFn`, a DOM-node `container` and tag functions are taken out by the JS entry first.

use super::accept::{AcceptRule, parse_rule};
use super::cloud::CloudSource;
use super::cloud::wire::CustomSource;
use super::reader::{OptionsError, Reader, got};
use super::store_options::{StoreOptions, read_store_options};
use super::upload_options::{UploadOptions, read_upload_options};
use serde_json::Value;

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
    /// A cloud source, through the server's Cloud API.
    Cloud(CloudSource),
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
    /// `customSourceName`, `customSourcePath`, `customSourceContainer`.
    pub custom_source: CustomSource,
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

/// Options filestack-js knows that Skiff's picker does not offer yet: refused by name.
const NOT_YET: &[&str] = &[
    "websearch",
    "cleanupImageExif",
    "customAuthText",
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

/// Sources filestack-js accepts that Skiff does not offer yet (Instagram's API is gone; the
/// others have no server source or no capture view yet).
const SOURCES_NOT_YET: &[&str] = &[
    "facebook",
    "instagram",
    "picasa",
    "webcam",
    "video",
    "audio",
    "gmail",
    "clouddrive",
    "tint",
];

/// What `displayMode` takes, in the order of [`DisplayMode`]'s variants.
const DISPLAY_MODES: [&str; 3] = ["overlay", "inline", "dropPane"];

/// Reads picker options (a JSON object; `null` means defaults).
pub fn picker_options(value: Value) -> Result<PickerOptions, OptionsError> {
    let o = Reader::root("picker", &value, read_picker_options)?;
    // Checks between options come after unknown keys: a misspelt `container` is named as such.
    if o.display_mode != DisplayMode::Overlay && o.container.is_none() {
        return Err(OptionsError(
            "The picker option `container` is required for the inline and dropPane display modes"
                .into(),
        ));
    }
    if o.min_files > o.max_files {
        return Err(OptionsError(format!(
            "The picker options `minFiles` ({}) and `maxFiles` ({}) contradict each other",
            o.min_files, o.max_files
        )));
    }
    Ok(o)
}

fn read_picker_options(r: &mut Reader<'_>) -> Result<PickerOptions, OptionsError> {
    r.unsupported(NOT_YET)?;
    for key in ["disableTransformer", "disableAltText"] {
        // Skiff has no image editor and no alt-text field yet: turning them off is what it does.
        if !matches!(r.get(key), None | Some(Value::Bool(true))) {
            return Err(OptionsError(format!(
                "The picker option `{key}` can only be true: Skiff's picker has no image editor or alt-text field yet"
            )));
        }
    }
    r.skip("useSentryBreadcrumbs");
    let accept = match r.strings("accept")? {
        None => Vec::new(),
        Some(list) if list.is_empty() => {
            return Err(r.invalid(
                "accept",
                "must be a string or a non-empty list of strings; got an empty list",
            ));
        }
        Some(list) => list
            .iter()
            .map(|e| parse_rule(e).map_err(|why| r.invalid("accept", why)))
            .collect::<Result<_, _>>()?,
    };
    let from_sources = match r.get("fromSources") {
        None => vec![Source::Local, Source::Url],
        Some(Value::Array(list)) => sources(r, list)?,
        Some(v) => {
            return Err(r.invalid("fromSources", got("must be a list of source names", v)));
        }
    };
    let display_mode = match r.choice("displayMode", &DISPLAY_MODES)? {
        None | Some(0) => DisplayMode::Overlay,
        Some(1) => DisplayMode::Inline,
        Some(_) => DisplayMode::DropPane,
    };
    let container = match r.get("container") {
        None => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(v) => {
            return Err(r.invalid(
                "container",
                got("must be a selector, an id or a DOM element", v),
            ));
        }
    };
    let lang = match r.choice("lang", LANGS)? {
        Some(i) => LANGS[i],
        None => "en",
    };
    let (paste_to_first_in_viewport, paste_to_first_instance) = r.nested("pasteMode", |p| {
        Ok((
            p.flag("pasteToFirstInViewPort", false)?,
            p.flag("pasteToFirstInstance", false)?,
        ))
    })?;
    let mut store_to = r.nested("storeTo", read_store_options)?;
    // The picker takes `disableStorageKey` at the top level (filestack-js's `storeTo` has no
    // such key): files go to `<storeTo.path>/<filename>` with no random prefix.
    store_to.disable_storage_key = r.flag("disableStorageKey", false)?;
    // filestack-js closes its picker on a failure unless `allowManualRetry`; Skiff never hides a
    // failure (the picker stays open with Retry and Remove on each failed row), so the option is
    // read, for its type check, and needs no field.
    r.flag("allowManualRetry", false)?;
    Ok(PickerOptions {
        accept,
        from_sources,
        display_mode,
        container,
        concurrency: r.whole("concurrency", 1, 20, "")?.unwrap_or(4) as usize,
        custom_text: r.text_pairs("customText")?.unwrap_or_default(),
        lang: lang.to_owned(),
        min_files: r.whole("minFiles", 1, 1_000_000, "")?.unwrap_or(1) as u32,
        max_files: r.whole("maxFiles", 1, 1_000_000, "")?.unwrap_or(1) as u32,
        max_size: r.whole("maxSize", 1, u64::MAX, "bytes")?,
        start_uploading_when_max_files_reached: r
            .flag("startUploadingWhenMaxFilesReached", false)?,
        // filestack-js uploads in the background only with `disableTransformer`, which is off by
        // default: by default the user reviews the selection and presses Upload.
        upload_in_background: r.flag("uploadInBackground", false)?,
        disable_thumbnails: r.flag("disableThumbnails", false)?,
        global_drop_zone: r.flag("globalDropZone", false)?,
        paste_to_first_in_viewport,
        paste_to_first_instance,
        disable_directory_upload: r.flag("disableDirectoryUpload", false)?,
        support_email: r.string("supportEmail")?.map(str::to_owned),
        errors_timeout_ms: r.whole("errorsTimeout", 0, u64::MAX, "ms")?,
        store_to,
        upload_config: r.nested("uploadConfig", read_upload_options)?,
        drop_pane: r.nested("dropPane", read_drop_pane)?,
        custom_source: CustomSource {
            name: r.string("customSourceName")?.map(str::to_owned),
            path: r.string("customSourcePath")?.map(str::to_owned),
            container: r.string("customSourceContainer")?.map(str::to_owned),
        },
    })
}

/// `fromSources`: names Skiff offers, in order; others are refused by name.
fn sources(r: &Reader<'_>, list: &[Value]) -> Result<Vec<Source>, OptionsError> {
    let mut out = Vec::new();
    for v in list {
        let name = v.as_str().ok_or_else(|| {
            OptionsError(
                "The picker option `fromSources`: custom source objects are not supported by Skiff yet"
                    .into(),
            )
        })?;
        match name {
            "local_file_system" => out.push(Source::Local),
            "url" => out.push(Source::Url),
            // A source named twice gets one tab.
            s if CloudSource::from_name(s).is_some() => {
                let src = CloudSource::from_name(s).map(Source::Cloud);
                out.extend(src.filter(|c| !out.contains(c)));
            }
            s if SOURCES_NOT_YET.contains(&s) => {
                return Err(OptionsError(format!(
                    "The source \"{s}\" in `fromSources` is not supported by Skiff yet"
                )));
            }
            s => {
                return Err(OptionsError(format!(
                    "Unknown source \"{s}\" in `fromSources`"
                )));
            }
        }
    }
    if out.is_empty() {
        return Err(r.invalid("fromSources", "name at least one source"));
    }
    Ok(out)
}

/// `dropPane` (§8.3); its callbacks are taken out by the JS entry.
fn read_drop_pane(r: &mut Reader<'_>) -> Result<DropPaneOptions, OptionsError> {
    r.unsupported(&["cropFiles"])?;
    Ok(DropPaneOptions {
        custom_text: r.string("customText")?.map(str::to_owned),
        disable_click: r.flag("disableClick", false)?,
        overlay: r.flag("overlay", false)?,
        show_icon: r.flag("showIcon", true)?,
        show_progress: r.flag("showProgress", true)?,
    })
}

#[cfg(test)]
mod tests;
