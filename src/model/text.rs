//! The picker's words: English built in, another language as a table from English to that
//! language (`dist/lang/<code>.json`, loaded by the JS entry only when `lang` asks for it), and the
//! app's `customText` on top (keys are the English strings, as in filestack-js). `{name}`
//! placeholders are filled in by [`Text::fill`].

use super::failure::sentence;
use serde_json::{Map, Value};

/// Every string the picker shows, in English. The translation files have exactly these keys.
pub const ENGLISH: &[&str] = &[
    "Select Files to Upload",
    "My Device",
    "Link (URL)",
    "Drag and drop files here",
    "or",
    "Select Files",
    "Select a Folder",
    "You can also paste files here.",
    "Drop files to add them",
    "Paste a link to a file",
    "Add",
    "Close",
    "Cancel",
    "Remove",
    "Pause",
    "Resume",
    "Retry",
    "Done",
    "Upload",
    "Selected files",
    "{count} of {max} files",
    "Pick at least {min} files",
    "Ready",
    "Checking…",
    "Waiting",
    "Uploading {percent}%",
    "Resuming {percent}%",
    "Paused at {percent}%",
    "Uploaded",
    "Failed: {reason}",
    "Cancelled",
    "Not accepted: this file type is not allowed ({accept})",
    "Not accepted: the file is larger than {limit}",
    "Not accepted: at most {max} files can be picked",
    "Not accepted: {reason}",
    "This is not a valid link",
    "Total progress",
    "{done} of {total} files uploaded",
    "Some files could not be uploaded",
    "All files uploaded",
    "Drag and drop, or click to select files",
    "Need help? Write to {email}",
    "Link to a file",
    "Image preview",
    // Why a file failed, for people (model::failure).
    sentence::PRIVATE_LINK,
    sentence::LINK_FETCH,
    sentence::DAMAGED,
    sentence::EXPIRED,
    sentence::API_KEY,
    sentence::PERMISSION,
    sentence::TOO_LARGE,
    sentence::SETTINGS,
    sentence::SERVER_TROUBLE,
    sentence::INTERRUPTED,
    sentence::FILE_GONE,
    sentence::OTHER,
    // The pace of an upload that takes a while (rows::note).
    "{speed}/s",
    "{n} s left",
    "{n} min left",
    "{n} h left",
    // Cloud sources (picker::cloud): tabs, sign-in, the folder browser, imports.
    "Image Search",
    "Custom Source",
    "Connect to {provider}",
    "This app asks to read your files in {provider}. It cannot change or delete them, and you can sign out at any time.",
    "A window opens where you sign in to {provider}. Come back here when you are done.",
    "Waiting for you to sign in to {provider}…",
    "The sign-in window was blocked. Allow pop-ups for this site and try again, or sign in in this tab.",
    "Sign in in this tab",
    "Opening {provider}’s sign-in page. You will come back here afterwards.",
    "The sign-in window was closed before you finished.",
    "Access was not granted at {provider}.",
    "The sign-in took too long and expired.",
    "Signing in did not work. Please try again.",
    "Try again",
    "Signed in as {account}",
    "Sign out",
    "{provider} is not available on this server.",
    "Choose in Google Photos",
    "Google Photos opens in a new window. Choose your photos there, then come back here.",
    "Folder path",
    "Back",
    "Forward",
    "List view",
    "Grid view",
    "Sort by",
    "Name",
    "Size",
    "Type",
    "Filter this folder",
    "Search for images",
    "Search",
    "Loading…",
    "This folder is empty",
    "Nothing in this folder matches “{filter}”",
    "Load more",
    "{count} items",
    "Select all",
    "Folder",
    "Folder: all files inside, up to {max}",
    "Refresh",
    "Importing {percent}%",
    // Why a cloud import failed, for people (model::failure).
    sentence::SIGNED_OUT,
    sentence::RATE_LIMITED,
    sentence::IMPORT_FAILED,
    sentence::SOURCE_REFUSED,
    sentence::ITEM_GONE,
    sentence::FOLDER_TOO_LARGE,
    sentence::FOLDER_EMPTY,
    // A picked folder while its files are listed (rows::note), and its check box (cloud items).
    "Listing the files in this folder…",
    "Pick the whole folder",
];

/// The picker's words for one picker: English, a translation, and overrides.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Text {
    /// (English, words) pairs; a later pair wins. A list, not a map: about a hundred entries
    /// looked up a few dozen times a render, and a map type would add kilobytes to the wasm.
    table: Vec<(String, String)>,
}

impl Text {
    /// Words from a translation (a JSON object from English to the language, or null for English)
    /// and the app's `customText`. Keys that are not picker strings are ignored.
    pub fn new(translation: &Value, custom: &[(String, String)]) -> Text {
        let mut table = Vec::new();
        if let Value::Object(m) = translation {
            merge(&mut table, m);
        }
        table.extend_from_slice(custom);
        Text { table }
    }

    /// The string for `english` (itself when there is no translation or override).
    pub fn get<'a>(&'a self, english: &'a str) -> &'a str {
        self.table
            .iter()
            .rev()
            .find(|(k, _)| k == english)
            .map_or(english, |(_, v)| v.as_str())
    }

    /// The string for `english` with `{name}` placeholders filled in.
    pub fn fill(&self, english: &str, args: &[(&str, &str)]) -> String {
        let mut out = self.get(english).to_owned();
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}

fn merge(table: &mut Vec<(String, String)>, m: &Map<String, Value>) {
    for (k, v) in m {
        if let Some(s) = v.as_str() {
            table.push((k.clone(), s.to_owned()));
        }
    }
}

/// Whether a language reads right to left.
pub fn is_rtl(lang: &str) -> bool {
    matches!(lang, "ar" | "he")
}

/// A byte count for people in decimal SI units, as file managers and the demo show sizes:
/// `512 B`, `1.5 kB`, `40 MB` (powers of 1000, one decimal under 10, none from 10 up), so a
/// 40 000 000-byte file reads "40 MB" everywhere. Integer arithmetic only: float formatting would
/// add kilobytes to the wasm.
pub fn human_size(bytes: u64) -> String {
    const UNITS: &[&str] = &["B", "kB", "MB", "GB", "TB"];
    let (mut unit, mut scale) = (0, 1u64);
    // u64 and saturating, not u128: 128-bit division pulls in kilobytes of wasm, and sizes near
    // 2^64 bytes (where this saturates) are not file sizes.
    let round = |scale: u64, by: u64| bytes.saturating_mul(by).saturating_add(scale / 2) / scale;
    // Move up a unit once the figure would round to 1000 or more ("1000 kB" reads "1.0 MB").
    while unit + 1 < UNITS.len() && round(scale, 1) >= 1000 {
        scale *= 1000;
        unit += 1;
    }
    let tenths = round(scale, 10);
    if unit == 0 {
        format!("{bytes} B")
    } else if tenths < 100 {
        format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
    } else {
        format!("{} {}", round(scale, 1), UNITS[unit])
    }
}

/// The time left of an upload as the key of its words and the number to fill in: seconds up to
/// 90 s, minutes up to 90 min, then hours; rounded up, so "0 s left" never shows while bytes are
/// still to go.
pub fn time_left(ms: u64) -> (&'static str, u64) {
    let secs = ms.div_ceil(1000).max(1);
    if secs < 90 {
        ("{n} s left", secs)
    } else if secs < 90 * 60 {
        ("{n} min left", secs.div_ceil(60))
    } else {
        ("{n} h left", secs.div_ceil(3600))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn english_by_default_then_translation_then_custom_text() {
        let t = Text::new(&Value::Null, &[]);
        assert_eq!(t.get("Upload"), "Upload");
        let custom = [("Close".to_owned(), "Shut".to_owned())];
        let t = Text::new(
            &json!({"Upload": "Hochladen", "Close": "Schließen"}),
            &custom,
        );
        assert_eq!(t.get("Upload"), "Hochladen");
        assert_eq!(t.get("Close"), "Shut");
        assert_eq!(
            t.fill("{count} of {max} files", &[("count", "2"), ("max", "5")]),
            "2 of 5 files"
        );
    }

    #[test]
    fn translation_files_have_every_string_and_keep_placeholders() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/www/lang");
        for lang in crate::model::picker_options::LANGS
            .iter()
            .filter(|l| **l != "en")
        {
            let path = format!("{dir}/{lang}.json");
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
            let m = v.as_object().unwrap();
            for english in ENGLISH {
                let t = m.get(*english).and_then(Value::as_str);
                let t = t.unwrap_or_else(|| panic!("{lang}: no translation of {english:?}"));
                assert!(
                    !t.trim().is_empty(),
                    "{lang}: empty translation of {english:?}"
                );
                for p in english
                    .split('{')
                    .skip(1)
                    .filter_map(|s| s.split('}').next())
                {
                    assert!(
                        t.contains(&format!("{{{p}}}")),
                        "{lang}: {english:?} lost {{{p}}}"
                    );
                }
            }
            assert_eq!(
                m.len(),
                ENGLISH.len(),
                "{lang}: keys that are not picker strings"
            );
        }
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1000), "1.0 kB");
        assert_eq!(human_size(1500), "1.5 kB");
        assert_eq!(human_size(9_949), "9.9 kB");
        assert_eq!(human_size(9_950), "10 kB");
        assert_eq!(human_size(999_499), "999 kB");
        assert_eq!(human_size(999_500), "1.0 MB");
        assert_eq!(human_size(40_000_000), "40 MB");
        assert_eq!(human_size(10 * 1024 * 1024), "10 MB");
        assert_eq!(human_size(1_234_567_890), "1.2 GB");
        assert_eq!(human_size(5_000_000_000_000_000), "5000 TB");
        assert_eq!(human_size(u64::MAX), "18446744 TB");
    }

    #[test]
    fn time_left_in_the_unit_people_expect() {
        assert_eq!(time_left(0), ("{n} s left", 1));
        assert_eq!(time_left(12_300), ("{n} s left", 13));
        assert_eq!(time_left(89_000), ("{n} s left", 89));
        assert_eq!(time_left(90_000), ("{n} min left", 2));
        assert_eq!(time_left(5 * 60_000), ("{n} min left", 5));
        assert_eq!(time_left(90 * 60_000), ("{n} h left", 2));
    }

    #[test]
    fn rtl_languages() {
        assert!(is_rtl("ar") && is_rtl("he") && !is_rtl("de"));
    }
}
