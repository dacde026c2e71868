//! Which bytes a download sends: the `Range` header, parsed by `http-range-header` and then
//! measured against the file, under the conditions `If-None-Match` and `If-Range` (parsed and
//! compared with the file's ETag by the `headers` crate; RFC 9110 §13, §14).
//!
//! The crate checks the syntax; what a valid range means for a file of a given size is decided
//! here, because the crate's own check refuses a suffix longer than the file, which RFC 9110
//! serves as the whole file.

use axum::http::{HeaderMap, header};
use headers::{ETag, HeaderMapExt, IfNoneMatch, IfRange};
use http_range_header::{EndPosition, RangeUnsatisfiableError, StartPosition};
use std::ops::Range;

/// What to answer a download with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Selection {
    /// 304: the client's copy is current.
    NotModified,
    /// 200 with every byte.
    Whole,
    /// 206 with these bytes.
    Part(Range<u64>),
    /// 416: the range lies outside the file.
    Unsatisfiable,
}

/// Reads the request's conditions and range for a file of `size` bytes whose ETag is `etag`.
/// A condition header that does not parse is ignored, as RFC 9110 asks of a server.
pub(super) fn select(headers: &HeaderMap, etag: &str, size: u64) -> Selection {
    let tag = etag.parse::<ETag>().ok();
    if let (Some(tag), Some(cond)) = (&tag, headers.typed_get::<IfNoneMatch>()) {
        // Weak comparison: `W/"x"` names the same file as `"x"`; `*` matches any file.
        if !cond.precondition_passes(tag) {
            return Selection::NotModified;
        }
    }
    // If-Range with another validator, or with a date (this server keeps no modification
    // date to compare), means the client's partial copy may be stale: send it all.
    if headers
        .typed_get::<IfRange>()
        .is_some_and(|cond| cond.is_modified(tag.as_ref(), None))
    {
        return Selection::Whole;
    }
    match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(value) => range(value, size),
        None => Selection::Whole,
    }
}

/// One `Range` header value against a file of `size` bytes. A header that does not parse is
/// ignored (the whole file, as RFC 9110 asks); so are several ranges, which would need a
/// multipart answer that no client of this server asks for.
fn range(value: &str, size: u64) -> Selection {
    let ranges = match http_range_header::parse_range_header(value.trim()) {
        Ok(parsed) => parsed.ranges,
        // `bytes=-0` asks for no bytes: well formed, but nothing can satisfy it.
        Err(RangeUnsatisfiableError::ZeroSuffix) => return Selection::Unsatisfiable,
        Err(_) => return Selection::Whole,
    };
    let [one] = ranges.as_slice() else {
        return Selection::Whole;
    };
    let (start, end) = match (one.start, one.end) {
        (StartPosition::FromLast(n), _) => (size.saturating_sub(n), size),
        (StartPosition::Index(a), EndPosition::LastByte) => (a, size),
        // A last position before the first makes the range invalid, so the header is ignored.
        (StartPosition::Index(a), EndPosition::Index(b)) if b < a => return Selection::Whole,
        (StartPosition::Index(a), EndPosition::Index(b)) => (a, b.saturating_add(1).min(size)),
    };
    if start >= end {
        Selection::Unsatisfiable
    } else {
        Selection::Part(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn ranges() {
        use Selection::{Part, Unsatisfiable, Whole};
        let cases = [
            ("bytes=0-9", Part(0..10)),
            ("bytes=5-", Part(5..100)),
            ("bytes=99-", Part(99..100)),
            ("bytes=-10", Part(90..100)),
            ("bytes=-1000", Part(0..100)),
            ("bytes=90-200", Part(90..100)),
            ("bytes=0-18446744073709551615", Part(0..100)),
            ("bytes=100-", Unsatisfiable),
            ("bytes=100-200", Unsatisfiable),
            ("bytes=-0", Unsatisfiable),
            ("bytes=5-2", Whole),
            ("bytes=0-1,5-6", Whole),
            ("bytes=0-1, 5-6", Whole),
            ("bytes=-5,0-1", Whole),
            ("bytes=0-1,0-1", Whole),
            ("items=0-1", Whole),
            ("bytes=", Whole),
            ("bytes=abc", Whole),
            ("bytes=1-2-3", Whole),
            ("bytes=--1", Whole),
            ("bytes=0-99999999999999999999", Whole),
            ("bytes 0-1", Whole),
        ];
        for (h, want) in cases {
            assert_eq!(range(h, 100), want, "{h:?}");
        }
        // An empty file has no byte to send.
        assert_eq!(range("bytes=0-", 0), Unsatisfiable);
        assert_eq!(range("bytes=-5", 0), Unsatisfiable);
    }

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn conditions() {
        fn sel(pairs: &[(header::HeaderName, &'static str)]) -> Selection {
            select(&headers(pairs), "\"skiff-h\"", 100)
        }
        assert_eq!(sel(&[]), Selection::Whole);
        assert_eq!(
            sel(&[(header::IF_NONE_MATCH, "\"skiff-h\"")]),
            Selection::NotModified
        );
        assert_eq!(
            sel(&[(header::IF_NONE_MATCH, "\"a\", W/\"skiff-h\"")]),
            Selection::NotModified
        );
        assert_eq!(sel(&[(header::IF_NONE_MATCH, "*")]), Selection::NotModified);
        assert_eq!(sel(&[(header::IF_NONE_MATCH, "\"a\"")]), Selection::Whole);
        // Not a list of entity tags: ignored.
        assert_eq!(sel(&[(header::IF_NONE_MATCH, "skiff-h")]), Selection::Whole);
        let range = (header::RANGE, "bytes=0-1");
        assert_eq!(sel(std::slice::from_ref(&range)), Selection::Part(0..2));
        assert_eq!(
            sel(&[range.clone(), (header::IF_RANGE, "\"skiff-h\"")]),
            Selection::Part(0..2)
        );
        assert_eq!(
            sel(&[range.clone(), (header::IF_RANGE, "\"other\"")]),
            Selection::Whole
        );
        // If-Range compares strongly: a weak tag cannot vouch for a byte range.
        assert_eq!(
            sel(&[range.clone(), (header::IF_RANGE, "W/\"skiff-h\"")]),
            Selection::Whole
        );
        assert_eq!(
            sel(&[range, (header::IF_RANGE, "Wed, 21 Oct 2015 07:28:00 GMT")]),
            Selection::Whole
        );
    }
}
