//! `clientOptions` of `init(apikey, clientOptions)`: filestack-js's options plus `urls` (the
//! same keys as filestack-js's `config.urls`) and `baseUrl`, which points every URL at one
//! self-hosted skiff-server. Without either, the URLs are Filestack's hosted ones.

use serde::Deserialize;
use serde_json::Value;

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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Security {
    /// Base64 policy.
    pub policy: String,
    /// Hex signature.
    pub signature: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawUrls {
    upload_api_url: Option<String>,
    file_api_url: Option<String>,
    process_url: Option<String>,
    cdn_url: Option<String>,
    cloud_api_url: Option<String>,
    picker_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawClientOptions {
    base_url: Option<String>,
    urls: Option<RawUrls>,
    security: Option<Value>,
    cname: Option<String>,
    session_cache: Option<bool>,
    force_sentry_init: Option<bool>,
}

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
    let raw: RawClientOptions = if value.is_null() {
        RawClientOptions::default()
    } else {
        serde_json::from_value(value).map_err(|e| {
            let text = e.to_string();
            match text.strip_prefix("unknown field `") {
                Some(rest) => OptionsError(format!(
                    "Unknown client option `{}`",
                    rest.split('`').next().unwrap_or("")
                )),
                None => OptionsError(format!("Invalid client options: {text}")),
            }
        })?
    };
    let mut urls = match &raw.base_url {
        Some(b) => Urls::at(&check_url("baseUrl", b)?),
        None => Urls::default(),
    };
    if let Some(cname) = raw.cname.as_deref().filter(|c| !c.is_empty()) {
        // filestack-js's rule: the Filestack domain in every URL becomes the cname.
        for u in [
            &mut urls.upload_api,
            &mut urls.file_api,
            &mut urls.process,
            &mut urls.cdn,
            &mut urls.cloud_api,
        ] {
            *u =
                u.replacen("filestackapi.com", cname, 1)
                    .replacen("filestackcontent.com", cname, 1);
        }
    }
    if let Some(r) = raw.urls {
        let set = |slot: &mut String, name: &str, v: Option<String>| -> Result<(), OptionsError> {
            if let Some(v) = v {
                *slot = check_url(name, &v)?;
            }
            Ok(())
        };
        set(&mut urls.upload_api, "urls.uploadApiUrl", r.upload_api_url)?;
        set(&mut urls.file_api, "urls.fileApiUrl", r.file_api_url)?;
        set(&mut urls.process, "urls.processUrl", r.process_url)?;
        set(&mut urls.cdn, "urls.cdnUrl", r.cdn_url)?;
        set(&mut urls.cloud_api, "urls.cloudApiUrl", r.cloud_api_url)?;
        let _ = r.picker_url; // Skiff's picker is built in; accepted for drop-in compatibility.
    }
    let security = match raw.security {
        None | Some(Value::Null) => None,
        Some(v) => Some(serde_json::from_value::<Security>(v).map_err(|_| {
            OptionsError("Invalid client option `security`: both `policy` and `signature` (strings) are required".into())
        })?),
    };
    let _ = (raw.session_cache, raw.force_sentry_init);
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
