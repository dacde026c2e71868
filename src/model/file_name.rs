//! File names and types as filestack-js prepares them before upload (protocol.md §8.6).

/// Characters filestack-js's default sanitizer replaces with `-` in the base name.
const UNSAFE: &[char] = &[
    '\\', '{', '}', '|', '%', '`', '"', '\'', '~', '[', ']', '#', '^', '<', '>',
];

/// Replaces unsafe characters in the base name (the extension is kept as is); an empty name
/// becomes `untitled`.
pub fn sanitize(name: &str) -> String {
    sanitize_with(name, &[], "-")
}

/// [`sanitize`] leaving the characters in `exclude` alone and putting `replacement` instead of
/// the others. Path separators and control characters are always replaced.
pub fn sanitize_with(name: &str, exclude: &[char], replacement: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        return "untitled".into();
    }
    let (base, ext) = match name.rfind('.') {
        Some(i) if i > 0 => name.split_at(i),
        _ => (name, ""),
    };
    let mut cleaned = String::with_capacity(base.len());
    for c in base.chars() {
        let always = c == '/' || c == '\\' || c.is_control();
        if always || (UNSAFE.contains(&c) && !exclude.contains(&c)) {
            cleaned.push_str(if always && replacement.contains(['/', '\\']) {
                "-"
            } else {
                replacement
            });
        } else {
            cleaned.push(c);
        }
    }
    format!("{cleaned}{ext}")
}

/// Types of common extensions, for files the browser gives no type (Blobs, some drag-and-drop).
const BY_EXTENSION: &[(&str, &str)] = &[
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("avif", "image/avif"),
    ("heic", "image/heic"),
    ("svg", "image/svg+xml"),
    ("bmp", "image/bmp"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("pdf", "application/pdf"),
    ("txt", "text/plain"),
    ("csv", "text/csv"),
    ("html", "text/html"),
    ("htm", "text/html"),
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("mp4", "video/mp4"),
    ("mov", "video/quicktime"),
    ("webm", "video/webm"),
    ("mp3", "audio/mpeg"),
    ("wav", "audio/wav"),
    ("ogg", "audio/ogg"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("ppt", "application/vnd.ms-powerpoint"),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
];

/// The MIME type to send: the browser's; else the one of the name's extension; else
/// `application/octet-stream`.
pub fn mimetype(browser_type: &str, name: &str) -> String {
    let t = browser_type.trim();
    if !t.is_empty() {
        return t.into();
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    BY_EXTENSION
        .iter()
        .find(|(e, _)| *e == ext)
        .map_or("application/octet-stream", |(_, m)| m)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(sanitize("a{b}|c%.tar.gz"), "a-b--c-.tar.gz");
        assert_eq!(sanitize("../x.txt"), "..-x.txt");
        assert_eq!(sanitize(".bashrc"), ".bashrc");
        assert_eq!(sanitize("  "), "untitled");
        assert_eq!(mimetype("", "blob"), "application/octet-stream");
        assert_eq!(mimetype("image/png", "x.jpg"), "image/png");
        assert_eq!(mimetype("", "Photo.JPG"), "image/jpeg");
        assert_eq!(
            mimetype(" ", "a.docx"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
    }
}
