//! The files a stand-in serves: a tree of folders and files given by path, with the ids
//! providers that address by id hand out, and ranged reads as HTTP servers answer them.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;

/// The picture a provider's thumbnail service answers here for any image or video: a real
/// JPEG (4×4 pixels), so a client that checks what it relays sees an image.
pub const THUMBNAIL_JPEG: &[u8] = &[
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x10, 0x0b, 0x0c, 0x0e, 0x0c, 0x0a, 0x10,
    0x0e, 0x0d, 0x0e, 0x12, 0x11, 0x10, 0x13, 0x18, 0x28, 0x1a, 0x18, 0x16, 0x16, 0x18, 0x31, 0x23,
    0x25, 0x1d, 0x28, 0x3a, 0x33, 0x3d, 0x3c, 0x39, 0x33, 0x38, 0x37, 0x40, 0x48, 0x5c, 0x4e, 0x40,
    0x44, 0x57, 0x45, 0x37, 0x38, 0x50, 0x6d, 0x51, 0x57, 0x5f, 0x62, 0x67, 0x68, 0x67, 0x3e, 0x4d,
    0x71, 0x79, 0x70, 0x64, 0x78, 0x5c, 0x65, 0x67, 0x63, 0xff, 0xdb, 0x00, 0x43, 0x01, 0x11, 0x12,
    0x12, 0x18, 0x15, 0x18, 0x2f, 0x1a, 0x1a, 0x2f, 0x63, 0x42, 0x38, 0x42, 0x63, 0x63, 0x63, 0x63,
    0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63,
    0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63,
    0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0xff, 0xc0,
    0x00, 0x11, 0x08, 0x00, 0x04, 0x00, 0x04, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11,
    0x01, 0xff, 0xc4, 0x00, 0x15, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xff, 0xc4, 0x00, 0x14, 0x10, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xc4,
    0x00, 0x14, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x05, 0xff, 0xc4, 0x00, 0x14, 0x11, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xda, 0x00, 0x0c, 0x03, 0x01,
    0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00, 0x80, 0x06, 0x86, 0x3f, 0xff, 0xd9,
];

/// Whether a provider makes a picture of the file `name` (images and videos, by extension).
pub fn pictured(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some(
            "jpg"
                | "jpeg"
                | "png"
                | "gif"
                | "webp"
                | "heic"
                | "tif"
                | "tiff"
                | "bmp"
                | "mp4"
                | "mov"
        )
    )
}

/// A thumbnail service's answer: [`THUMBNAIL_JPEG`] as `content_type` (Dropbox calls it
/// `application/octet-stream`, as all its content answers), with `extra` headers.
pub fn thumbnail(content_type: &'static str, extra: HeaderMap) -> Response {
    let mut r = (StatusCode::OK, THUMBNAIL_JPEG.to_vec()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().extend(extra);
    r
}

/// One entry of the tree.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Stable id (`id:` + a counter for Dropbox, digits for Box…; the provider formats it).
    pub id: u64,
    /// Path from the root, without a trailing `/` (`/docs/deep`).
    pub path: String,
    /// A folder.
    pub folder: bool,
    /// A file's bytes.
    pub bytes: Vec<u8>,
}

impl Entry {
    /// The last segment.
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or("")
    }
}

/// A tree of folders and files.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    by_path: BTreeMap<String, Entry>,
}

impl Tree {
    /// The tree holding `files` (by path from the root), with every folder on their way.
    pub fn new(files: &[(&str, Vec<u8>)]) -> Self {
        let mut t = Self::default();
        t.add("", true, Vec::new());
        for (path, bytes) in files {
            let mut at = String::new();
            let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
            for (i, seg) in segs.iter().enumerate() {
                at.push('/');
                at.push_str(seg);
                let last = i + 1 == segs.len();
                if !t.by_path.contains_key(&at) {
                    t.add(&at, !last, if last { bytes.clone() } else { Vec::new() });
                }
            }
        }
        t
    }

    fn add(&mut self, path: &str, folder: bool, bytes: Vec<u8>) {
        let id = self.by_path.len() as u64 + 100;
        self.by_path.insert(
            path.to_owned(),
            Entry {
                id,
                path: path.to_owned(),
                folder,
                bytes,
            },
        );
    }

    /// The entry at `path` (`""` or `/` is the root), compared without case as Dropbox does
    /// when `nocase`.
    pub fn at(&self, path: &str, nocase: bool) -> Option<&Entry> {
        let p = path.trim_end_matches('/');
        if nocase {
            let lower = p.to_lowercase();
            self.by_path
                .values()
                .find(|e| e.path.to_lowercase() == lower)
        } else {
            self.by_path.get(p)
        }
    }

    /// The entry with `id`.
    pub fn by_id(&self, id: u64) -> Option<&Entry> {
        self.by_path.values().find(|e| e.id == id)
    }

    /// The entries directly inside the folder `dir`, folders first, then by name.
    pub fn children(&self, dir: &Entry) -> Vec<&Entry> {
        let prefix = format!("{}/", dir.path);
        let mut out: Vec<&Entry> = self
            .by_path
            .values()
            .filter(|e| e.path.starts_with(&prefix) && !e.path[prefix.len()..].contains('/'))
            .collect();
        out.sort_by(|a, b| b.folder.cmp(&a.folder).then_with(|| a.name().cmp(b.name())));
        out
    }
}

/// The answer to a GET of `bytes` with the request's `Range` (one `bytes=a-b`, `a-` or `-n`
/// range): 206 with `Content-Range`, 416 for a range past the end, else 200.
pub fn ranged(bytes: &[u8], headers: &HeaderMap, extra: HeaderMap) -> Response {
    let total = bytes.len() as u64;
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.split_once('-'));
    let mut out = match range {
        Some((a, b)) => {
            let (start, end) = match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
                (Some(s), Some(e)) => (s, e.min(total.saturating_sub(1))),
                (Some(s), None) => (s, total.saturating_sub(1)),
                (None, Some(n)) => (total.saturating_sub(n), total.saturating_sub(1)),
                (None, None) => (1, 0),
            };
            if start >= total || start > end {
                let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{total}")) {
                    r.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                r
            } else {
                let body = bytes[start as usize..=end as usize].to_vec();
                let mut r = (StatusCode::PARTIAL_CONTENT, body).into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{total}")) {
                    r.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                r
            }
        }
        None => (StatusCode::OK, bytes.to_vec()).into_response(),
    };
    out.headers_mut()
        .insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    out.headers_mut().extend(extra);
    out
}
