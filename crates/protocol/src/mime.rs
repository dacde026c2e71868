//! MIME types of common file extensions: the one table the browser module (for files the
//! browser gives no type) and the server (for stored bodies sent without one) both read, so a
//! file gets the same type whichever side names it.
//!
//! A plain sorted slice searched by halving: no map type and no dependency, so the table adds
//! only its strings to the wasm module. The types are those the server gave before it shared
//! this table, so stored files keep the types they had.
//!
//! ```
//! use skiff_protocol::mime;
//!
//! assert_eq!(mime::from_file_name("Notes.MD"), Some("text/markdown"));
//! assert_eq!(mime::from_file_name("archive.tar.gz"), Some("application/gzip"));
//! assert_eq!(mime::from_file_name("README"), None);
//! ```

use std::cmp::Ordering;

/// The type to assume when nothing better is known.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// `(extension, type)`, extensions in lower case and sorted byte-wise (a test checks both).
const BY_EXTENSION: &[(&str, &str)] = &[
    ("7z", "application/x-7z-compressed"),
    ("aac", "audio/aac"),
    ("avi", "video/x-msvideo"),
    ("avif", "image/avif"),
    ("bmp", "image/bmp"),
    ("css", "text/css"),
    ("csv", "text/csv"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("epub", "application/epub+zip"),
    ("flac", "audio/flac"),
    ("gif", "image/gif"),
    ("gz", "application/gzip"),
    ("heic", "image/heic"),
    ("heif", "image/heif"),
    ("htm", "text/html"),
    ("html", "text/html"),
    ("ico", "image/x-icon"),
    ("jpeg", "image/jpeg"),
    ("jpg", "image/jpeg"),
    ("js", "text/javascript"),
    ("json", "application/json"),
    ("m4a", "audio/m4a"),
    ("markdown", "text/markdown"),
    ("md", "text/markdown"),
    ("mkv", "video/x-matroska"),
    ("mov", "video/quicktime"),
    ("mp3", "audio/mpeg"),
    ("mp4", "video/mp4"),
    ("odp", "application/vnd.oasis.opendocument.presentation"),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("oga", "audio/ogg"),
    ("ogg", "audio/ogg"),
    ("ogv", "video/ogg"),
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("ppt", "application/vnd.ms-powerpoint"),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("rar", "application/x-rar-compressed"),
    ("rtf", "application/rtf"),
    ("svg", "image/svg+xml"),
    ("tar", "application/x-tar"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("tsv", "text/tab-separated-values"),
    ("txt", "text/plain"),
    ("wasm", "application/wasm"),
    ("wav", "audio/wav"),
    ("webm", "video/webm"),
    ("webp", "image/webp"),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("xml", "text/xml"),
    ("zip", "application/zip"),
];

/// Every `(extension, type)` pair known, sorted by extension.
pub fn table() -> &'static [(&'static str, &'static str)] {
    BY_EXTENSION
}

/// Compares `ext` with a lower-case table key, ignoring the case of `ext` (no allocation).
fn cmp_key(key: &str, ext: &str) -> Ordering {
    key.bytes().cmp(ext.bytes().map(|b| b.to_ascii_lowercase()))
}

/// The type of an extension (without its dot, any case).
pub fn from_extension(ext: &str) -> Option<&'static str> {
    BY_EXTENSION
        .binary_search_by(|(key, _)| cmp_key(key, ext))
        .ok()
        .map(|i| BY_EXTENSION[i].1)
}

/// The type of a file name by its extension: the text after the last dot, unless that dot
/// starts the name (`.bashrc` has none).
pub fn from_file_name(name: &str) -> Option<&'static str> {
    match name.rsplit_once('.') {
        Some((base, ext)) if !base.is_empty() && !ext.is_empty() => from_extension(ext),
        _ => None,
    }
}

/// [`from_file_name`], or [`OCTET_STREAM`] when the extension is unknown.
pub fn from_file_name_or_octet_stream(name: &str) -> &'static str {
    from_file_name(name).unwrap_or(OCTET_STREAM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_lower_case() {
        for pair in BY_EXTENSION.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{:?} before {:?}", pair[0], pair[1]);
        }
        for (ext, mime) in BY_EXTENSION {
            assert_eq!(*ext, ext.to_ascii_lowercase());
            assert!(mime.contains('/') && !ext.contains('.'), "{ext} {mime}");
            assert_eq!(from_extension(ext), Some(*mime));
        }
    }

    #[test]
    fn names() {
        assert_eq!(from_file_name("photo.JPG"), Some("image/jpeg"));
        assert_eq!(from_file_name("notes.md"), Some("text/markdown"));
        assert_eq!(from_file_name("a.7z"), Some("application/x-7z-compressed"));
        assert_eq!(from_file_name("zip"), None);
        assert_eq!(from_file_name(".zip"), None);
        assert_eq!(from_file_name("a."), None);
        assert_eq!(from_file_name("a.zipx"), None);
        assert_eq!(from_file_name("a.é"), None);
        assert_eq!(from_file_name_or_octet_stream("blob"), OCTET_STREAM);
    }
}
