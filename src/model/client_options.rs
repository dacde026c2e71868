//! `clientOptions` of `init(apikey, clientOptions)`: filestack-js's options plus `urls` (the
//! same keys as filestack-js's `config.urls`) and `baseUrl`, which points every URL at one
//! self-hosted skiff-server. Without either, the URLs are Filestack's hosted ones.

use serde_json::{Map, Value};

use super::options::OptionsError;

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

// These options are read by hand rather than with serde's derive: the derived readers cost
// kilobytes of wasm each, and the hand-written ones give the messages filestack-js users expect.

/// `value` as an object whose keys are all `known`; the first other key is refused by name.
fn object<'a>(
    value: &'a Value,
    known: &[&str],
    name: &str,
) -> Result<&'a Map<String, Value>, OptionsError> {
    let m = value
        .as_object()
        .ok_or_else(|| OptionsError(format!("Invalid {name}: must be an object")))?;
    match m.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(OptionsError(format!("Unknown client option `{k}`"))),
        None => Ok(m),
    }
}

/// The string option `key` (absent or null: `None`).
fn string(m: &Map<String, Value>, key: &str, name: &str) -> Result<Option<String>, OptionsError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(OptionsError(format!(
            "Invalid client option `{name}`: must be a string"
        ))),
    }
}

/// filestack-js's `config.urls` keys, as `urls` takes them; `pickerUrl` is accepted for drop-in
/// compatibility and unused (Skiff's picker is built in).
const URL_KEYS: [&str; 6] = [
    "uploadApiUrl",
    "fileApiUrl",
    "processUrl",
    "cdnUrl",
    "cloudApiUrl",
    "pickerUrl",
];

/// What `init` takes (www/index.js checks the same list before the wasm loads).
const CLIENT_KEYS: [&str; 6] = [
    "baseUrl",
    "urls",
    "security",
    "cname",
    "sessionCache",
    "forceSentryInit",
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
}

fn check_url(name: &str, url: &str) -> Result<String, OptionsError> {
    let u = url.trim();
    if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() < 10 {
        return Err(OptionsError(format!(
            "Invalid client option `{name}`: \"{url}\" is not an http(s) URL"
        )));
    }
    Ok(u.trim_end_matches('/').to_owned())
}

/// Reads `init(apikey, clientOptions)`.
pub fn client_options(apikey: &str, value: Value) -> Result<ClientOptions, OptionsError> {
    if apikey.trim().is_empty() {
        return Err(OptionsError(
            "An apikey is required to initialize the client".into(),
        ));
    }
    let empty = Map::new();
    let m = if value.is_null() {
        &empty
    } else {
        object(&value, &CLIENT_KEYS, "client options")?
    };
    let mut urls = match string(m, "baseUrl", "baseUrl")? {
        Some(b) => Urls::at(&check_url("baseUrl", &b)?),
        None => Urls::default(),
    };
    if let Some(cname) = string(m, "cname", "cname")?.filter(|c| !c.is_empty()) {
        // filestack-js's rule: the Filestack domain in every URL becomes the cname.
        for u in [
            &mut urls.upload_api,
            &mut urls.file_api,
            &mut urls.process,
            &mut urls.cdn,
            &mut urls.cloud_api,
        ] {
            *u = u.replacen("filestackapi.com", &cname, 1).replacen(
                "filestackcontent.com",
                &cname,
                1,
            );
        }
    }
    if let Some(r) = m.get("urls").filter(|v| !v.is_null()) {
        let r = object(r, &URL_KEYS, "client option `urls`")?;
        for (slot, key) in [
            (&mut urls.upload_api, "uploadApiUrl"),
            (&mut urls.file_api, "fileApiUrl"),
            (&mut urls.process, "processUrl"),
            (&mut urls.cdn, "cdnUrl"),
            (&mut urls.cloud_api, "cloudApiUrl"),
        ] {
            let name = format!("urls.{key}");
            if let Some(v) = string(r, key, &name)? {
                *slot = check_url(&name, &v)?;
            }
        }
    }
    let security = match m.get("security") {
        None | Some(Value::Null) => None,
        Some(v) => Some(Security::from_value(v).ok_or_else(|| {
            OptionsError("Invalid client option `security`: both `policy` and `signature` (strings) are required".into())
        })?),
    };
    for key in ["sessionCache", "forceSentryInit"] {
        if !matches!(m.get(key), None | Some(Value::Null | Value::Bool(_))) {
            return Err(OptionsError(format!(
                "Invalid client option `{key}`: must be true or false"
            )));
        }
    }
    Ok(ClientOptions {
        apikey: apikey.trim().to_owned(),
        urls,
        security,
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
    fn refusals_name_the_option() {
        for (apikey, v, want) in [
            ("", Value::Null, "apikey is required"),
            ("k", json!({ "baseUrl": "ftp://x" }), "`baseUrl`"),
            (
                "k",
                json!({ "urls": { "uploadApiUrl": "nope" } }),
                "`urls.uploadApiUrl`",
            ),
            (
                "k",
                json!({ "urls": { "uploadUrl": "http://x.example" } }),
                "Unknown client option `uploadUrl`",
            ),
            ("k", json!({ "security": { "policy": "p" } }), "`security`"),
            ("k", json!({ "sessionCache": "yes" }), "`sessionCache`"),
            ("k", json!({ "cname": 5 }), "`cname`: must be a string"),
            (
                "k",
                json!({ "urls": "http://x.example" }),
                "`urls`: must be an object",
            ),
            (
                "k",
                json!("http://x.example"),
                "client options: must be an object",
            ),
            (
                "k",
                json!({ "basURL": "http://x" }),
                "Unknown client option `basURL`",
            ),
        ] {
            let e = client_options(apikey, v.clone()).unwrap_err().to_string();
            assert!(e.contains(want), "{v}: {e}");
        }
    }
}
