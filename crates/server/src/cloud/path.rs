//! A path inside a source, as the client sends it back: checked before any source sees it.

use std::fmt;

/// A path from a source's root: starts with `/`; folders end with `/`; no empty, `.` or `..`
/// segment, no NUL, no backslash, at most [`CloudPath::MAX_LEN`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CloudPath(String);

impl CloudPath {
    /// Longest path accepted, bytes.
    pub const MAX_LEN: usize = 4096;

    /// The root folder.
    pub fn root() -> Self {
        Self("/".into())
    }

    /// Checks a path a client sent. An empty path is the root, as clients send it on first use.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Ok(Self::root());
        }
        if raw.len() > Self::MAX_LEN {
            return Err(format!("is longer than {} bytes", Self::MAX_LEN));
        }
        if !raw.starts_with('/') {
            return Err("must start with `/`".into());
        }
        if raw.contains(['\0', '\\']) {
            return Err("contains a NUL or a backslash".into());
        }
        let inner = raw.trim_start_matches('/').trim_end_matches('/');
        if raw != "/" && raw.starts_with("//") {
            return Err("has an empty segment".into());
        }
        if !inner.is_empty() {
            for seg in inner.split('/') {
                match seg {
                    "" => return Err("has an empty segment".into()),
                    "." | ".." => return Err("has a `.` or `..` segment".into()),
                    _ => {}
                }
            }
        }
        Ok(Self(raw.to_owned()))
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A folder's path (ends with `/`).
    pub fn is_folder(&self) -> bool {
        self.0.ends_with('/')
    }

    /// The entry `name` inside this folder (`folder`: a sub-folder). `name` must be one segment.
    pub fn join(&self, name: &str, folder: bool) -> Result<Self, String> {
        let base = if self.is_folder() {
            self.0.clone()
        } else {
            format!("{}/", self.0)
        };
        Self::parse(&format!("{base}{name}{}", if folder { "/" } else { "" })).and_then(|p| {
            if name.contains('/') {
                Err("a name must not contain `/`".into())
            } else {
                Ok(p)
            }
        })
    }

    /// The last segment (empty for the root).
    pub fn name(&self) -> &str {
        self.0
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
    }
}

impl fmt::Display for CloudPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::CloudPath;

    #[test]
    fn client_paths_are_checked() {
        for ok in ["", "/", "/a", "/a/", "/a b/ç.txt", "/x/y/z/"] {
            assert!(CloudPath::parse(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "a", "//", "//a", "/a//b", "/..", "/a/../b", "/./a", "/a\0", "/a\\b",
        ] {
            assert!(CloudPath::parse(bad).is_err(), "{bad:?}");
        }
        assert!(CloudPath::parse(&format!("/{}", "a".repeat(5000))).is_err());
    }

    #[test]
    fn joins_and_names() {
        let root = CloudPath::root();
        let docs = root.join("docs", true).unwrap();
        assert_eq!(docs.as_str(), "/docs/");
        assert!(docs.is_folder());
        let f = docs.join("a.txt", false).unwrap();
        assert_eq!((f.as_str(), f.name()), ("/docs/a.txt", "a.txt"));
        assert_eq!(docs.name(), "docs");
        assert_eq!(root.name(), "");
        assert!(docs.join("..", false).is_err());
        assert!(docs.join("a/b", false).is_err());
    }
}
