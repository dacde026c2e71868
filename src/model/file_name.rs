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

/// The MIME type to send: the browser's, else `application/octet-stream`.
pub fn mimetype(browser_type: &str) -> String {
    let t = browser_type.trim();
    if t.is_empty() {
        "application/octet-stream".into()
    } else {
        t.into()
    }
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
        assert_eq!(mimetype(""), "application/octet-stream");
        assert_eq!(mimetype("image/png"), "image/png");
    }
}
