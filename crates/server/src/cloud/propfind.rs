//! Reading a WebDAV `207 Multi-Status` answer to `PROPFIND` (RFC 4918 §9.1, §14.16): one
//! `<response>` per resource, each with one `<href>` and one or more `<propstat>`, of which only
//! the `200` ones carry properties. Element names are matched by local name, so any namespace
//! prefix the server picks works.

use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// The body `PROPFIND` sends: only the properties a listing needs.
pub(super) const REQUEST: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:displayname/><d:getcontentlength/><d:getcontenttype/><d:getlastmodified/><d:resourcetype/></d:prop></d:propfind>"#;

/// One resource of the answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Resource {
    /// The path part of its `href`, percent-decoded.
    pub(super) path: String,
    /// A folder (`<resourcetype><collection/>`).
    pub(super) collection: bool,
    /// `getcontentlength`.
    pub(super) length: Option<u64>,
    /// `getcontenttype`.
    pub(super) content_type: Option<String>,
}

/// The properties of one `<propstat>`, kept only if its status is 200.
#[derive(Default)]
struct Props {
    ok: bool,
    collection: bool,
    length: Option<u64>,
    content_type: Option<String>,
}

/// The text element being read.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    Href,
    Status,
    Length,
    ContentType,
}

/// The resources of a multistatus body, in the order the server sent them.
pub(super) fn parse(xml: &str) -> Result<Vec<Resource>, String> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    let mut current: Option<Resource> = None;
    let mut props: Option<Props> = None;
    let mut field: Option<Field> = None;
    let mut text = String::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("the PROPFIND answer is not XML: {e}"))?;
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let local = e.local_name();
                match local.as_ref() {
                    b"response" => current = Some(Resource::default()),
                    b"propstat" => props = Some(Props::default()),
                    b"collection" => {
                        if let Some(p) = props.as_mut() {
                            p.collection = true;
                        }
                    }
                    b"href" if props.is_none() => field = Some(Field::Href),
                    b"status" => field = Some(Field::Status),
                    b"getcontentlength" => field = Some(Field::Length),
                    b"getcontenttype" => field = Some(Field::ContentType),
                    _ => {}
                }
                text.clear();
            }
            Event::Text(t) if field.is_some() => {
                let s = t
                    .decode()
                    .map_err(|e| format!("the PROPFIND answer has bad text: {e}"))?;
                text.push_str(&s);
            }
            // An entity or character reference inside a text field (`&amp;`, `&#252;`).
            Event::GeneralRef(r) if field.is_some() => {
                let name = r
                    .decode()
                    .map_err(|e| format!("the PROPFIND answer has a bad reference: {e}"))?;
                text.push_str(&resolve_ref(&name)?);
            }
            Event::End(e) => {
                let local = e.local_name();
                match (local.as_ref(), field) {
                    (b"href", Some(Field::Href)) => {
                        if let Some(r) = current.as_mut() {
                            r.path = href_path(text.trim())?;
                        }
                        field = None;
                    }
                    (b"status", Some(Field::Status)) => {
                        if let Some(p) = props.as_mut() {
                            p.ok = text.split_whitespace().nth(1) == Some("200");
                        }
                        field = None;
                    }
                    (b"getcontentlength", Some(Field::Length)) => {
                        if let Some(p) = props.as_mut() {
                            p.length = text.trim().parse().ok();
                        }
                        field = None;
                    }
                    (b"getcontenttype", Some(Field::ContentType)) => {
                        if let Some(p) = props.as_mut() {
                            p.content_type = Some(text.trim().to_owned()).filter(|t| !t.is_empty());
                        }
                        field = None;
                    }
                    (b"propstat", _) => {
                        if let (Some(p), Some(r)) = (props.take(), current.as_mut()) {
                            if p.ok {
                                r.collection |= p.collection;
                                r.length = r.length.or(p.length);
                                r.content_type = r.content_type.take().or(p.content_type);
                            }
                        }
                    }
                    (b"response", _) => {
                        if let Some(r) = current.take() {
                            out.push(r);
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// The text of an XML reference: the five predefined entities and numeric character references.
fn resolve_ref(name: &str) -> Result<String, String> {
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let code = name
                .strip_prefix("#x")
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| name.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32);
            code.ok_or_else(|| format!("the PROPFIND answer has an unknown reference &{name};"))?
        }
    };
    Ok(c.to_string())
}

/// The decoded path of an `href`, which may be a path or an absolute URL.
fn href_path(href: &str) -> Result<String, String> {
    let raw = if href.starts_with("http://") || href.starts_with("https://") {
        url::Url::parse(href)
            .map_err(|e| format!("the PROPFIND answer has a bad href {href:?}: {e}"))?
            .path()
            .to_owned()
    } else {
        href.to_owned()
    };
    percent_encoding::percent_decode_str(&raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| format!("the href {href:?} is not UTF-8 once decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_resources_from_any_prefix_and_only_200_properties() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<D:multistatus xmlns:D="DAV:">
 <D:response><D:href>/dav/docs/</D:href>
  <D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
 </D:response>
 <D:response><D:href>/dav/docs/%C3%9Cberblick%20%E2%80%93%202026.txt</D:href>
  <D:propstat><D:prop><D:getcontentlength>7</D:getcontentlength><D:getcontenttype>text/plain; charset=utf-8</D:getcontenttype><D:resourcetype/></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
  <D:propstat><D:prop><D:displayname/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>
 </D:response>
 <response xmlns="DAV:"><href>http://h:1/dav/docs/a&amp;b/</href>
  <propstat><prop><resourcetype><collection/></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat>
 </response>
 <D:response><D:href>/dav/docs/ghost</D:href>
  <D:propstat><D:prop><D:getcontentlength>99</D:getcontentlength><D:resourcetype><D:collection/></D:resourcetype></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>
 </D:response>
</D:multistatus>"#;
        let r = parse(xml).unwrap();
        assert_eq!(r.len(), 4);
        assert_eq!((r[0].path.as_str(), r[0].collection), ("/dav/docs/", true));
        assert_eq!(r[1].path, "/dav/docs/Überblick – 2026.txt");
        assert_eq!(
            (r[1].collection, r[1].length, r[1].content_type.as_deref()),
            (false, Some(7), Some("text/plain; charset=utf-8"))
        );
        assert_eq!(
            (r[2].path.as_str(), r[2].collection),
            ("/dav/docs/a&b/", true)
        );
        // Properties under a 404 propstat do not count.
        assert_eq!((r[3].collection, r[3].length), (false, None));
    }

    #[test]
    fn refuses_what_is_not_xml() {
        assert!(parse("<a><b></a>").is_err());
    }
}
