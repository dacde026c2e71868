//! The URL paths of the API (docs/protocol.md §2–§4, §6): one list, read by the server's router and
//! by the clients that call it, so the two cannot drift apart.
//!
//! A path may hold `{name}` segments (the router's template syntax); [`fill`] puts values in,
//! [`matches`] tells whether a concrete path fits a template.
//!
//! ```
//! use skiff_protocol::routes;
//!
//! let url = format!("https://up.example{}", routes::MULTIPART_START);
//! assert_eq!(url, "https://up.example/multipart/start");
//! let part = routes::fill(routes::MULTIPART_PART_OF, &[("upload_id", "u1")]);
//! assert_eq!(part, "/multipart/part/u1");
//! assert!(routes::matches(routes::MULTIPART_PART_OF, &part));
//! ```

/// `POST`: open an upload session.
pub const MULTIPART_START: &str = "/multipart/start";
/// `POST`: ask where to PUT one part, or one chunk of an intelligent part.
pub const MULTIPART_UPLOAD: &str = "/multipart/upload";
/// `POST`: all chunks of one intelligent part are sent.
pub const MULTIPART_COMMIT: &str = "/multipart/commit";
/// `POST`: all parts are sent; store the file.
pub const MULTIPART_COMPLETE: &str = "/multipart/complete";
/// `POST` (Skiff): what the server holds of an upload in progress, so that a client resuming
/// it (after a page reload) sends only what is missing.
pub const MULTIPART_RESUME: &str = "/multipart/resume";
/// `PUT`: the bytes of a part or chunk. The upload answer hands out this one URL for every part
/// of every upload, with a signed grant naming the upload and the part in a header, so that a
/// browser preflights it once (for up to two hours) instead of once per upload.
pub const MULTIPART_PART: &str = "/multipart/part";
/// `PUT`: the same, at a URL per upload: what skiff-server handed out before, still taken.
pub const MULTIPART_PART_OF: &str = "/multipart/part/{upload_id}";
/// `POST`: the Processing API (`storeURL` stores a remote file through it).
pub const PROCESS: &str = "/process";
/// `POST`: the picker's prefetch of app settings.
pub const PREFETCH: &str = "/prefetch";
/// `POST`: the File API's store of a body or a URL in one request.
pub const STORE: &str = "/api/store/{location}";
/// `GET`/`HEAD`/`DELETE`: a stored file through the File API.
pub const FILE: &str = "/api/file/{handle}";
/// `GET`: a stored file's metadata through the File API.
pub const FILE_METADATA: &str = "/api/file/{handle}/metadata";
/// `GET`/`HEAD`: a stored file on the CDN.
pub const CDN_FILE: &str = "/{handle}";
/// `GET`: a stored file's metadata on the CDN.
pub const CDN_METADATA: &str = "/{handle}/metadata";
/// `GET`/`HEAD`: a stored file on the CDN, security in the first segment
/// (`/security=p:…,s:…/<handle>`). The segment names follow [`CDN_FILE`]'s, since a router
/// cannot tell differently named segments at the same place apart.
pub const CDN_SIGNED_FILE: &str = "/{handle}/{file}";
/// `GET`: a stored file's metadata on the CDN, security in the first segment.
pub const CDN_SIGNED_METADATA: &str = "/{handle}/{file}/metadata";
/// `GET`: the server's welcome page.
pub const INDEX: &str = "/";
/// `GET`: answers `ok` while the server is up.
pub const HEALTH: &str = "/health";
/// `GET`: the transfer queue's and the webhook outbox's sizes, in Prometheus's text format.
pub const METRICS: &str = "/metrics";
/// `POST`: Filestack's Cloud API: one page of a folder of each cloud source named in `clouds`.
pub const CLOUD_LIST: &str = "/folder/list";
/// `POST`: Filestack's Cloud API: import a file from a cloud source into storage.
pub const CLOUD_STORE: &str = "/store/";
/// `POST`: Filestack's Cloud API: what a URL holds (name, type, size) before it is stored.
pub const CLOUD_METADATA: &str = "/metadata";
/// `POST`: Filestack's Cloud API: disconnect cloud sources.
pub const CLOUD_LOGOUT: &str = "/auth/logout";
/// `GET` (`?key=`): **Skiff:** the byte progress of a `/store/` import that named an `import_id`.
pub const CLOUD_IMPORT: &str = "/cloud/imports/{id}";
/// `GET`: the icons Cloud API listings name as thumbnails (`folder.svg`, `file.svg`).
pub const CLOUD_ICON: &str = "/cloud/icons/{name}";
/// `GET`: **Skiff:** the picture of one listed item, fetched through its source. The segment is
/// an opaque capability the listing sealed (which session, app, source and item, until when), so
/// an `<img>` can load it without the session's token, which never goes in a URL.
pub const CLOUD_THUMBNAIL: &str = "/cloud/thumbnails/{capability}";
/// `GET` (`?flow=`): **Skiff:** a sign-in's `redirect_url`; sets the binding cookie and sends the
/// browser on to the provider.
pub const CLOUD_AUTH_START: &str = "/cloud/auth/{provider}/start";
/// `GET`: **Skiff:** where the provider sends the browser back (the redirect URI to register).
pub const CLOUD_AUTH_CALLBACK: &str = "/cloud/auth/{provider}/callback";
/// `POST` (`{apikey, token, flow}`): **Skiff:** where a sign-in stands, for the picker to poll.
pub const CLOUD_AUTH_STATUS: &str = "/cloud/auth/status";
/// `GET`: **Skiff:** the script of the page that ends a sign-in (no inline script: its CSP is
/// `script-src 'self'`).
pub const CLOUD_AUTH_SCRIPT: &str = "/cloud/auth/done.js";

/// Every path above, for checks that a path is part of the API.
pub const ALL: &[&str] = &[
    MULTIPART_START,
    MULTIPART_UPLOAD,
    MULTIPART_COMMIT,
    MULTIPART_COMPLETE,
    MULTIPART_RESUME,
    MULTIPART_PART,
    MULTIPART_PART_OF,
    PROCESS,
    PREFETCH,
    STORE,
    FILE,
    FILE_METADATA,
    CDN_FILE,
    CDN_METADATA,
    CDN_SIGNED_FILE,
    CDN_SIGNED_METADATA,
    INDEX,
    HEALTH,
    METRICS,
    CLOUD_LIST,
    CLOUD_AUTH_START,
    CLOUD_AUTH_CALLBACK,
    CLOUD_AUTH_STATUS,
    CLOUD_AUTH_SCRIPT,
    CLOUD_STORE,
    CLOUD_LOGOUT,
    CLOUD_METADATA,
    CLOUD_IMPORT,
    CLOUD_ICON,
    CLOUD_THUMBNAIL,
];

/// `template` with each `{name}` segment replaced by its value from `values`. Values go in as
/// given: the API's handles, upload ids and locations are URL-safe already. A segment with no
/// value stays as it is, so a missing value shows in the URL instead of vanishing.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let segments: Vec<&str> = template
        .split('/')
        .map(|segment| {
            param(segment)
                .and_then(|name| values.iter().find(|(n, _)| *n == name))
                .map_or(segment, |(_, value)| value)
        })
        .collect();
    segments.join("/")
}

/// Whether `path` (no query, no host) fits `template`: same segments, each `{name}` segment
/// standing for one non-empty segment.
pub fn matches(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(want), Some(got)) if param(want).is_some() && !got.is_empty() => {}
            (Some(want), Some(got)) if want == got => {}
            _ => return false,
        }
    }
}

/// The name of a `{name}` segment.
fn param(segment: &str) -> Option<&str> {
    segment.strip_prefix('{')?.strip_suffix('}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_puts_values_into_named_segments() {
        assert_eq!(
            fill(FILE_METADATA, &[("handle", "H1")]),
            "/api/file/H1/metadata"
        );
        assert_eq!(fill(MULTIPART_START, &[("handle", "H1")]), MULTIPART_START);
        assert_eq!(fill(STORE, &[]), STORE, "a missing value stays visible");
    }

    #[test]
    fn matches_takes_one_segment_per_parameter() {
        assert!(matches(MULTIPART_COMPLETE, "/multipart/complete"));
        assert!(matches(CDN_SIGNED_FILE, "/security=p:x,s:y/H1"));
        assert!(matches(INDEX, "/"));
        assert!(!matches(MULTIPART_PART_OF, "/multipart/part/"));
        assert!(!matches(MULTIPART_PART_OF, "/multipart/part/u1/extra"));
        assert!(!matches(MULTIPART_PART, "/multipart/part/u1"));
        assert!(!matches(MULTIPART_START, "/multipart/starts"));
        assert!(!matches(CDN_FILE, "/"));
    }

    #[test]
    fn every_path_is_absolute_and_listed_once() {
        for (i, path) in ALL.iter().enumerate() {
            assert!(path.starts_with('/'), "{path}");
            assert!(!ALL[..i].contains(path), "{path} twice");
        }
    }
}
