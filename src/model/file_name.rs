//! File names and types as filestack-js prepares them before upload (docs/protocol.md §8.6).

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

/// The MIME type to send: the browser's (for files the browser gives no type, such as Blobs and
/// some drag-and-drop, it is empty); else the one of the name's extension; else
/// `application/octet-stream`.
pub fn mimetype(browser_type: &str, name: &str) -> String {
    let t = browser_type.trim();
    if !t.is_empty() {
        return t.into();
    }
    // The table the server reads too, so both sides name a file's type alike.
    skiff_protocol::mime::from_file_name_or_octet_stream(name).into()
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

    #[test]
    fn types_match_the_servers() {
        // The server's API tests expect these same types for bodies stored without one
        // (`.md` once differed between the two sides).
        assert_eq!(mimetype("", "notes.md"), "text/markdown");
        assert_eq!(mimetype("", "Photo.JPG"), "image/jpeg");
        assert_eq!(mimetype("", "e.xml"), "text/xml");
    }
}
