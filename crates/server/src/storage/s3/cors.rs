//! The bucket's CORS rule that browsers need to send parts straight to it (docs/protocol.md
//! §3.8): the app's origins may `PUT` with a `Content-MD5` header, and the answer's `ETag` is
//! exposed, since the client names each part by it at complete. `skiff-server s3-setup` reads
//! the bucket's rules, says what is missing for each origin and, asked to, puts the rule first
//! (S3 applies the first rule that matches a request) while keeping every other rule.

use super::S3Storage;
use crate::storage::StorageError;
use base64::Engine as _;
use md5::Digest as _;
use object_store::path::Path as Key;
use object_store::signer::{HeaderName, HeaderValue, Method};
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use std::time::Duration;

/// One `<CORSRule>` of a bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsRule {
    /// `AllowedOrigin`s (`*` wildcards allowed, one per origin).
    pub origins: Vec<String>,
    /// `AllowedMethod`s.
    pub methods: Vec<String>,
    /// `AllowedHeader`s (`*` wildcards allowed).
    pub headers: Vec<String>,
    /// `ExposeHeader`s.
    pub expose: Vec<String>,
    /// `MaxAgeSeconds`.
    pub max_age: Option<u32>,
}

/// The rule skiff-server needs for `origins`.
pub fn needed(origins: &[String]) -> CorsRule {
    CorsRule {
        origins: origins.to_vec(),
        methods: vec!["PUT".into()],
        headers: vec!["*".into()],
        expose: vec!["ETag".into()],
        max_age: Some(3600),
    }
}

/// Whether `pattern` (with at most one `*`, as S3 allows) matches `value`, ignoring case when
/// asked (header names).
fn matches(pattern: &str, value: &str, fold: bool) -> bool {
    let (p, v) = if fold {
        (pattern.to_ascii_lowercase(), value.to_ascii_lowercase())
    } else {
        (pattern.to_owned(), value.to_owned())
    };
    match p.split_once('*') {
        None => p == v,
        Some((head, tail)) => {
            v.len() >= head.len() + tail.len() && v.starts_with(head) && v.ends_with(tail)
        }
    }
}

/// What the browser at `origin` would miss under `rules`: `None` when it can send parts, else a
/// sentence saying why not. The first rule matching the origin, `PUT` and `Content-MD5`
/// decides, as S3 does.
pub fn gap(rules: &[CorsRule], origin: &str) -> Option<String> {
    let first = rules.iter().find(|r| {
        r.origins.iter().any(|o| matches(o, origin, false))
            && r.methods.iter().any(|m| m == "PUT")
            && r.headers.iter().any(|h| matches(h, "content-md5", true))
    });
    match first {
        None => Some(format!(
            "no rule lets {origin} PUT with a Content-MD5 header"
        )),
        Some(r) if !r.expose.iter().any(|h| h.eq_ignore_ascii_case("etag")) => Some(format!(
            "the rule for {origin} does not expose ETag, so a browser cannot name its parts"
        )),
        Some(_) => None,
    }
}

/// `rules` with the rule for `origins` put first, the others kept in their order.
pub fn with_needed(rules: &[CorsRule], origins: &[String]) -> Vec<CorsRule> {
    let ours = needed(origins);
    std::iter::once(ours.clone())
        .chain(rules.iter().filter(|r| **r != ours).cloned())
        .collect()
}

/// Reads a `<CORSConfiguration>` document.
pub fn parse(xml: &str) -> Result<Vec<CorsRule>, String> {
    let mut reader = Reader::from_str(xml);
    let mut rules = Vec::new();
    let mut rule: Option<CorsRule> = None;
    // The text of the element being read: quick-xml hands entity references (`&amp;`) over
    // apart from the text around them.
    let mut text = String::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                if e.local_name().as_ref() == b"CORSRule" {
                    rule = Some(CorsRule::default());
                }
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.decode().map_err(|e| e.to_string())?),
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| e.to_string())?;
                let c = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c,
                    None => quick_xml::escape::resolve_predefined_entity(&name)
                        .and_then(|s| s.chars().next())
                        .ok_or_else(|| format!("unknown entity &{name};"))?,
                };
                text.push(c);
            }
            Event::End(e) => {
                let value = text.trim().to_owned();
                text.clear();
                let name = e.local_name();
                if name.as_ref() == b"CORSRule" {
                    rules.extend(rule.take());
                    continue;
                }
                let Some(r) = rule.as_mut() else { continue };
                match name.as_ref() {
                    b"AllowedOrigin" => r.origins.push(value),
                    b"AllowedMethod" => r.methods.push(value),
                    b"AllowedHeader" => r.headers.push(value),
                    b"ExposeHeader" => r.expose.push(value),
                    b"MaxAgeSeconds" => r.max_age = value.parse().ok(),
                    _ => {}
                }
            }
            Event::Eof => return Ok(rules),
            _ => {}
        }
    }
}

/// Writes a `<CORSConfiguration>` document.
pub fn render(rules: &[CorsRule]) -> String {
    let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
    let mut out =
        String::from(r#"<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#);
    for r in rules {
        out.push_str("<CORSRule>");
        let lists = [
            ("AllowedOrigin", &r.origins),
            ("AllowedMethod", &r.methods),
            ("AllowedHeader", &r.headers),
            ("ExposeHeader", &r.expose),
        ];
        for (tag, values) in lists {
            for v in values {
                out.push_str(&format!("<{tag}>{}</{tag}>", esc(v)));
            }
        }
        if let Some(age) = r.max_age {
            out.push_str(&format!("<MaxAgeSeconds>{age}</MaxAgeSeconds>"));
        }
        out.push_str("</CORSRule>");
    }
    out.push_str("</CORSConfiguration>");
    out
}

/// How long the URLs of these two calls are signed for: they are sent at once.
const LIFETIME: Duration = Duration::from_secs(60);

impl S3Storage {
    /// The bucket's CORS rules; empty when it has none (S3's `NoSuchCORSConfiguration`).
    pub async fn cors(&self) -> Result<Vec<CorsRule>, StorageError> {
        let what = format!("the CORS rules of bucket {}", self.layout.bucket);
        let query = [("cors", String::new())];
        let url = self
            .presign(Method::GET, &Key::default(), &query, None, LIFETIME)
            .await?;
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| unavailable(&what, e))?;
        let status = resp.status();
        let body = resp.text().await.map_err(|e| unavailable(&what, e))?;
        if status.as_u16() == 404 && body.contains("NoSuchCORSConfiguration") {
            return Ok(Vec::new());
        }
        if !status.is_success() {
            return Err(refused(&what, status.as_u16(), &body));
        }
        parse(&body).map_err(|cause| StorageError::Refused { what, cause })
    }

    /// Replaces the bucket's CORS rules with `rules`.
    pub async fn set_cors(&self, rules: &[CorsRule]) -> Result<(), StorageError> {
        let what = format!("the CORS rules of bucket {}", self.layout.bucket);
        let body = render(rules);
        // PutBucketCors insists on a Content-MD5; signing it also pins the body.
        let digest: [u8; 16] = md5::Md5::digest(body.as_bytes()).into();
        let md5 = base64::engine::general_purpose::STANDARD.encode(digest);
        let header = (
            HeaderName::from_static("content-md5"),
            HeaderValue::from_str(&md5).map_err(|e| StorageError::Io {
                path: what.clone(),
                source: std::io::Error::other(e),
            })?,
        );
        let query = [("cors", String::new())];
        let url = self
            .presign(Method::PUT, &Key::default(), &query, Some(header), LIFETIME)
            .await?;
        let resp = self
            .http
            .put(url)
            .header("content-md5", md5)
            .body(body)
            .send()
            .await
            .map_err(|e| unavailable(&what, e))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let text = resp.text().await.unwrap_or_default();
        Err(refused(&what, status.as_u16(), &text))
    }
}

fn unavailable(what: &str, e: reqwest::Error) -> StorageError {
    StorageError::Unavailable {
        what: what.to_owned(),
        cause: e.to_string(),
    }
}

fn refused(what: &str, status: u16, body: &str) -> StorageError {
    let code = body
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map_or("", |(code, _)| code);
    let cause = format!("HTTP {status} {code}");
    if status >= 500 {
        StorageError::Unavailable {
            what: what.to_owned(),
            cause,
        }
    } else {
        StorageError::Refused {
            what: what.to_owned(),
            cause,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(origins: &[&str], methods: &[&str], headers: &[&str], expose: &[&str]) -> CorsRule {
        let own = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        CorsRule {
            origins: own(origins),
            methods: own(methods),
            headers: own(headers),
            expose: own(expose),
            max_age: None,
        }
    }

    #[test]
    fn gaps_follow_the_first_matching_rule() {
        let app = "https://app.example.com";
        assert!(gap(&[], app).unwrap().contains("no rule"));
        let good = rule(
            &["https://*.example.com"],
            &["GET", "PUT"],
            &["Content-MD5"],
            &["etag"],
        );
        assert_eq!(gap(std::slice::from_ref(&good), app), None);
        assert!(gap(std::slice::from_ref(&good), "https://example.org").is_some());
        let blind = rule(&["*"], &["PUT"], &["*"], &[]);
        assert!(
            gap(&[blind.clone(), good.clone()], app)
                .unwrap()
                .contains("ETag")
        );
        assert_eq!(gap(&[good.clone(), blind.clone()], app), None);
        let get_only = rule(&["*"], &["GET"], &["*"], &["ETag"]);
        assert!(gap(&[get_only], app).is_some());
        let no_md5 = rule(&["*"], &["PUT"], &["content-type"], &["ETag"]);
        assert!(gap(&[no_md5], app).is_some());
        // The needed rule closes every gap, first in the list.
        let origins = vec![app.to_owned(), "http://localhost:8080".to_owned()];
        let fixed = with_needed(&[blind, good], &origins);
        assert_eq!(fixed.len(), 3);
        for o in &origins {
            assert_eq!(gap(&fixed, o), None, "{o}");
        }
        // Applied twice, it is there once.
        assert_eq!(with_needed(&fixed, &origins).len(), 3);
    }

    #[test]
    fn documents_round_trip() {
        let rules = vec![
            needed(&["https://a.example".into(), "https://b&c.example".into()]),
            rule(&["*"], &["GET", "HEAD"], &[], &["x-amz-request-id"]),
        ];
        assert_eq!(parse(&render(&rules)).unwrap(), rules);
        let aws = r#"<?xml version="1.0" encoding="UTF-8"?>
            <CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <CORSRule><ID>one</ID><AllowedHeader>*</AllowedHeader>
                <AllowedMethod>PUT</AllowedMethod><AllowedOrigin>https://x.test</AllowedOrigin>
                <ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>300</MaxAgeSeconds></CORSRule>
            </CORSConfiguration>"#;
        let parsed = parse(aws).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].max_age, Some(300));
        assert_eq!(gap(&parsed, "https://x.test"), None);
        assert!(parse("<CORSConfiguration><CORSRule>").is_ok_and(|r| r.is_empty()));
    }
}
