//! `clientOptions` of `init(apikey, clientOptions)`: filestack-js's options plus `urls` (the
//! same keys as filestack-js's `config.urls`) and `baseUrl`, which points every URL at one
//! self-hosted skiff-server. Without either, the URLs are Filestack's hosted ones.

use serde_json::Value;

use super::reader::{OptionsError, Reader};

/// Where each API lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urls {
    /// Multipart upload API (`/multipart/start`).
    pub upload_api: String,
    /// File API (`{fileApiUrl}/{handle}/metadata`, delete).
    pub file_api: String,
    /// Processing API (`/process`, what `storeURL` uses).
    pub process: String,
    /// Delivery.
    pub cdn: String,
    /// Cloud sources API.
    pub cloud_api: String,
}

impl Default for Urls {
    fn default() -> Self {
        Self {
            upload_api: "https://upload.filestackapi.com".into(),
            file_api: "https://www.filestackapi.com/api/file".into(),
            process: "https://process.filestackapi.com".into(),
            cdn: "https://cdn.filestackcontent.com".into(),
            cloud_api: "https://cloud.filestackapi.com".into(),
        }
    }
}

impl Urls {
    /// Each URL, in the order of `URL_KEYS`.
    fn all_mut(&mut self) -> [&mut String; 5] {
        [
            &mut self.upload_api,
            &mut self.file_api,
            &mut self.process,
            &mut self.cdn,
            &mut self.cloud_api,
        ]
    }

    /// Every API on one skiff-server at `base`.
    pub fn at(base: &str) -> Self {
        let b = base.trim_end_matches('/');
        Self {
            upload_api: b.into(),
            file_api: format!("{b}/api/file"),
            process: b.into(),
            cdn: b.into(),
            cloud_api: b.into(),
        }
    }
}

/// Policy and signature for apps that need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Security {
    /// Base64 policy.
    pub policy: String,
    /// Hex signature.
    pub signature: String,
}

impl Security {
    /// `{policy, signature}`, both strings; `None` for anything else.
    pub fn from_value(v: &Value) -> Option<Security> {
        let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        Some(Security {
            policy: field("policy")?,
            signature: field("signature")?,
        })
    }
}

/// filestack-js's `config.urls` keys, as `urls` takes them, in the order of `Urls::all_mut`.
const URL_KEYS: [&str; 5] = [
    "uploadApiUrl",
    "fileApiUrl",
    "processUrl",
    "cdnUrl",
    "cloudApiUrl",
];

/// The client's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// API key.
    pub apikey: String,
    /// Where the APIs are.
    pub urls: Urls,
    /// Default security of every call.
    pub security: Option<Security>,
    /// `sessionCache`: the picker's cloud session outlives the page (`localStorage`).
    pub session_cache: bool,
    /// The upload API is the app's own server (`baseUrl`, or an `uploadApiUrl` of its own), not
    /// Filestack's hosted one under its name or the app's `cname`: uploads may ask it for
    /// Skiff's extensions (part 1 signed with start's answer).
    pub own_upload_api: bool,
}

/// The URL option `key`, trimmed and without a trailing `/`.
fn url(r: &mut Reader<'_>, key: &'static str) -> Result<Option<String>, OptionsError> {
    let Some(url) = r.string(key)? else {
        return Ok(None);
    };
    let u = url.trim();
    if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() < 10 {
        return Err(r.invalid(key, format!("\"{url}\" is not an http(s) URL")));
    }
    Ok(Some(u.trim_end_matches('/').to_owned()))
}

/// Reads `init(apikey, clientOptions)` (www/index.js refuses unknown top-level keys the same way
/// before the wasm loads).
pub fn client_options(apikey: &str, value: Value) -> Result<ClientOptions, OptionsError> {
    if apikey.trim().is_empty() {
        return Err(OptionsError(
            "An apikey is required to initialize the client".into(),
        ));
    }
    Reader::root("client", &value, |r| {
        let mut urls = match url(r, "baseUrl")? {
            Some(b) => Urls::at(&b),
            None => Urls::default(),
        };
        // Filestack's upload API as this client would name it.
        let mut hosted = Urls::default().upload_api;
        if let Some(cname) = r.string("cname")?.filter(|c| !c.is_empty()) {
            // filestack-js's rule: the Filestack domain in every URL becomes the cname.
            for u in urls.all_mut().into_iter().chain([&mut hosted]) {
                *u = u.replacen("filestackapi.com", cname, 1).replacen(
                    "filestackcontent.com",
                    cname,
                    1,
                );
            }
        }
        r.nested("urls", |r| {
            for (slot, key) in urls.all_mut().into_iter().zip(URL_KEYS) {
                if let Some(u) = url(r, key)? {
                    *slot = u;
                }
            }
            // Accepted for drop-in compatibility and unused: Skiff's picker is built in.
            r.skip("pickerUrl");
            Ok(())
        })?;
        let security = match r.get("security") {
            None => None,
            Some(v) => Some(Security::from_value(v).ok_or_else(|| {
                r.invalid(
                    "security",
                    "both `policy` and `signature` (strings) are required",
                )
            })?),
        };
        // filestack-js's switch for its error reporting: no effect here.
        r.bool("forceSentryInit")?;
        Ok(ClientOptions {
            apikey: apikey.trim().to_owned(),
            own_upload_api: urls.upload_api != hosted,
            urls,
            security,
            session_cache: r.bool("sessionCache")?.unwrap_or(false),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_filestacks_hosts() {
        let c = client_options("key", Value::Null).unwrap();
        assert_eq!(c.urls, Urls::default());
        assert_eq!(c.security, None);
    }

    #[test]
    fn base_url_points_everything_at_one_server_and_urls_override() {
        let c = client_options("key", json!({ "baseUrl": "http://127.0.0.1:8080/", "urls": { "cdnUrl": "https://cdn.example.com" } })).unwrap();
        assert_eq!(c.urls.upload_api, "http://127.0.0.1:8080");
        assert_eq!(c.urls.file_api, "http://127.0.0.1:8080/api/file");
        assert_eq!(c.urls.cdn, "https://cdn.example.com");
        let c = client_options("key", json!({ "cname": "files.example.com" })).unwrap();
        assert_eq!(c.urls.upload_api, "https://upload.files.example.com");
    }

    #[test]
    fn only_an_upload_api_of_the_apps_own_takes_skiffs_extensions() {
        let own = |v: Value| client_options("key", v).unwrap().own_upload_api;
        assert!(!own(Value::Null), "Filestack's hosts");
        assert!(
            !own(json!({ "cname": "files.example.com" })),
            "Filestack's, under a cname"
        );
        assert!(!own(
            json!({ "urls": { "uploadApiUrl": "https://upload.filestackapi.com/" } })
        ));
        assert!(own(json!({ "baseUrl": "http://127.0.0.1:8080" })));
        assert!(own(
            json!({ "urls": { "uploadApiUrl": "https://up.example.com" } })
        ));
        // Only the upload API counts: the other URLs of one's own change nothing.
        assert!(!own(
            json!({ "urls": { "cdnUrl": "https://cdn.example.com" } })
        ));
    }

    #[test]
    fn security_and_switches_are_read() {
        let c = client_options(
            " key ",
            json!({ "security": { "policy": "p", "signature": "s" }, "sessionCache": true,
                    "forceSentryInit": false, "urls": { "pickerUrl": "https://x.example" } }),
        )
        .unwrap();
        assert_eq!(c.apikey, "key");
        assert_eq!(
            c.security,
            Some(Security {
                policy: "p".into(),
                signature: "s".into()
            })
        );
        assert_eq!(c.urls, Urls::default(), "pickerUrl has no effect");
    }

    #[test]
    fn each_bad_value_has_its_message() {
        for (apikey, v, want) in [
            (
                " ",
                Value::Null,
                "An apikey is required to initialize the client",
            ),
            (
                "k",
                json!({ "baseUrl": "ftp://x" }),
                "Invalid client option `baseUrl`: \"ftp://x\" is not an http(s) URL",
            ),
            (
                "k",
                json!({ "urls": { "uploadApiUrl": "nope" } }),
                "Invalid client option `urls.uploadApiUrl`: \"nope\" is not an http(s) URL",
            ),
            (
                "k",
                json!({ "urls": { "cdnUrl": 5 } }),
                "Invalid client option `urls.cdnUrl`: must be a string; got 5",
            ),
            (
                "k",
                json!({ "urls": { "uploadUrl": "http://x.example" } }),
                "Unknown client option `urls.uploadUrl`; valid keys: uploadApiUrl, fileApiUrl, processUrl, cdnUrl, cloudApiUrl, pickerUrl",
            ),
            (
                "k",
                json!({ "urls": { "cdnURL": "http://x.example" } }),
                "Unknown client option `urls.cdnURL`; did you mean `cdnUrl`?",
            ),
            (
                "k",
                json!({ "security": { "policy": "p" } }),
                "Invalid client option `security`: both `policy` and `signature` (strings) are required",
            ),
            (
                "k",
                json!({ "sessionCache": "yes" }),
                "Invalid client option `sessionCache`: must be true or false; got \"yes\"",
            ),
            (
                "k",
                json!({ "cname": 5 }),
                "Invalid client option `cname`: must be a string; got 5",
            ),
            (
                "k",
                json!({ "urls": "http://x.example" }),
                "Invalid client option `urls`: must be an object; got \"http://x.example\"",
            ),
            (
                "k",
                json!("http://x.example"),
                "Invalid client options: must be an object; got \"http://x.example\"",
            ),
            (
                "k",
                json!({ "basURL": "http://x" }),
                "Unknown client option `basURL`; did you mean `baseUrl`?",
            ),
        ] {
            let e = client_options(apikey, v.clone()).unwrap_err().to_string();
            assert_eq!(e, want, "{v}");
        }
    }
}
