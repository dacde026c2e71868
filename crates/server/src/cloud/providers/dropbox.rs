//! Dropbox (API v2): folders by path, `files/list_folder` with `has_more` and a cursor,
//! downloads from the content host with the argument in `Dropbox-API-Arg` (JSON with every
//! character above U+007F escaped, as Dropbox requires of headers) and `Range`. OAuth with PKCE
//! and `token_access_type=offline` for a refresh token, which does not rotate; logout revokes
//! the token. A team member's calls are rooted at the team's namespace
//! (`Dropbox-API-Path-Root`), as Uppy does, so team folders show beside their own.
//! Images get pictures from `files/get_thumbnail_v2` (a 256-pixel JPEG); Dropbox answers 409
//! for a type it makes none of.

use super::{at, oauth_app, url_or};
use crate::cloud::oauth::{OAuthApp, TokenSet};
use crate::cloud::provider::{
    AccessToken, Provider, Revocation, http_client, range_from, ranged, refusal, unreachable,
};
use crate::cloud::thumbnails::{self, Preview, Thumbnail};
use crate::cloud::{CloudItem, CloudPath, Download, Page, SourceError};
use crate::config::OAuthSourceConfig;
use async_trait::async_trait;
use reqwest::{StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};

const NAME: &str = "Dropbox";

/// Dropbox as a provider.
#[derive(Debug)]
pub struct Dropbox {
    oauth: OAuthApp,
    api: url::Url,
    content: url::Url,
    /// Per access token (by its SHA-256): the team root namespace its calls go to, if any.
    roots: std::sync::Mutex<std::collections::HashMap<String, Option<String>>>,
    http: reqwest::Client,
    /// For thumbnails: shorter timeouts.
    thumbs: reqwest::Client,
}

impl Dropbox {
    /// From `[sources.dropbox]`.
    pub fn new(c: &OAuthSourceConfig) -> Result<Self, String> {
        Ok(Self {
            oauth: OAuthApp {
                // Dropbox revokes with a bearer call, not RFC 7009 (see `revoke`).
                scopes: [
                    "files.metadata.read",
                    "files.content.read",
                    "account_info.read",
                ]
                .map(String::from)
                .to_vec(),
                extra: vec![("token_access_type", "offline".into())],
                ..oauth_app(
                    c,
                    "https://www.dropbox.com/oauth2/authorize",
                    "https://api.dropboxapi.com/oauth2/token",
                )?
            },
            api: url_or(c.api_url.as_ref(), "https://api.dropboxapi.com", "api_url")?,
            content: url_or(
                c.content_url.as_ref(),
                "https://content.dropboxapi.com",
                "content_url",
            )?,
            http: http_client(),
            thumbs: thumbnails::http_client(),
            roots: std::sync::Mutex::default(),
        })
    }

    /// The `Dropbox-API-Path-Root` a token's calls need: the team's root namespace for a team
    /// member (else their own folders are all they see), none for a personal account. Asked
    /// once per token.
    async fn path_root(&self, token: &AccessToken) -> Result<Option<String>, SourceError> {
        use sha2::Digest;
        let key = hex::encode(sha2::Sha256::digest(token.0.as_bytes()));
        let known = self
            .roots
            .lock()
            .map_err(|_| SourceError::Upstream("a lock was poisoned".into()))?
            .get(&key)
            .cloned();
        if let Some(root) = known {
            return Ok(root);
        }
        let v = self.current_account(token).await?;
        let info = &v["root_info"];
        let root = info["root_namespace_id"]
            .as_str()
            .filter(|r| Some(*r) != info["home_namespace_id"].as_str())
            .map(|r| json!({ ".tag": "root", "root": r }).to_string());
        if let Ok(mut m) = self.roots.lock() {
            // Tokens come and go (refreshes): a bounded memo, not a store.
            if m.len() > 10_000 {
                m.clear();
            }
            m.insert(key, root.clone());
        }
        Ok(root)
    }

    /// `users/get_current_account`: who the token belongs to, and their root namespace.
    async fn current_account(&self, token: &AccessToken) -> Result<Value, SourceError> {
        let endpoint = "/2/users/get_current_account";
        self.rpc(token, endpoint, None, "the account", None).await
    }

    /// A call to the content host (`client`'s): the argument in `Dropbox-API-Arg`, rooted as
    /// the token's calls are.
    async fn content_call(
        &self,
        client: &reqwest::Client,
        token: &AccessToken,
        endpoint: &str,
        arg: &Value,
    ) -> Result<reqwest::RequestBuilder, SourceError> {
        let root = self.path_root(token).await?;
        let req = client
            .post(at(&self.content, endpoint))
            .bearer_auth(&token.0)
            .header("Dropbox-API-Arg", header_json(arg));
        Ok(match root {
            Some(r) => req.header("Dropbox-API-Path-Root", r),
            None => req,
        })
    }

    /// An RPC call: JSON in, JSON out, rooted at `root` when given.
    async fn rpc(
        &self,
        token: &AccessToken,
        endpoint: &str,
        body: Option<Value>,
        what: &str,
        root: Option<&str>,
    ) -> Result<Value, SourceError> {
        let mut req = self
            .http
            .post(at(&self.api, endpoint))
            .bearer_auth(&token.0);
        if let Some(r) = root {
            req = req.header("Dropbox-API-Path-Root", r);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|e| unreachable(NAME, &e))?;
        if resp.status().is_success() {
            return resp.json().await.map_err(|e| {
                SourceError::Upstream(format!("{NAME} answered unreadable JSON: {e}"))
            });
        }
        Err(failure(resp, what).await)
    }
}

/// Reads a refusal: 409's `error_summary` says what is wrong with the path.
async fn failure(resp: reqwest::Response, what: &str) -> SourceError {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    let summary = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["error_summary"].as_str().map(str::to_owned))
        .unwrap_or_else(|| text.chars().take(200).collect());
    if status == StatusCode::CONFLICT {
        if summary.contains("not_found") {
            return SourceError::NotFound(what.to_owned());
        }
        if summary.contains("not_folder") {
            return SourceError::WrongKind(format!("{what} is a file, not a folder"));
        }
        if summary.contains("not_file") {
            return SourceError::WrongKind(format!("{what} is a folder, not a file"));
        }
    }
    refusal(NAME, status, &headers, what, &summary)
}

/// JSON for an HTTP header: every character above U+007F as `\uXXXX` (UTF-16 units).
fn header_json(v: &Value) -> String {
    let mut out = String::new();
    for c in v.to_string().chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Dropbox's path of a folder or file: `""` for the root, else without a trailing `/`.
fn dropbox_path(p: &CloudPath) -> String {
    if p.as_str() == "/" {
        String::new()
    } else {
        p.as_str().trim_end_matches('/').to_owned()
    }
}

#[derive(Deserialize)]
struct ListAnswer {
    entries: Vec<Value>,
    cursor: String,
    has_more: bool,
}

fn item(dir: &CloudPath, e: &Value) -> Option<CloudItem> {
    let folder = match e[".tag"].as_str()? {
        "folder" => true,
        "file" => {
            // Paper docs and other cloud-only files cannot be downloaded.
            if e["is_downloadable"].as_bool() == Some(false) {
                return None;
            }
            false
        }
        _ => return None,
    };
    let name = e["name"].as_str()?.to_owned();
    Some(CloudItem {
        path: dir.join(&name, folder).ok()?,
        size: e["size"].as_u64().unwrap_or(0),
        mimetype: None,
        // Dropbox lists no types; it makes thumbnails of images (by their extension).
        preview: Preview::made_if(!folder && thumbnails::pictured(&name, None)),
        folder,
        name,
    })
}

#[async_trait]
impl Provider for Dropbox {
    fn name(&self) -> &'static str {
        "dropbox"
    }

    fn display_name(&self) -> &'static str {
        NAME
    }

    fn oauth(&self) -> &OAuthApp {
        &self.oauth
    }

    async fn account(&self, token: &AccessToken) -> Result<String, SourceError> {
        let v = self.current_account(token).await?;
        Ok(v["email"]
            .as_str()
            .or(v["name"]["display_name"].as_str())
            .unwrap_or("Dropbox account")
            .to_owned())
    }

    async fn list(
        &self,
        token: &AccessToken,
        dir: &CloudPath,
        cursor: Option<&str>,
    ) -> Result<Page, SourceError> {
        if !dir.is_folder() {
            return Err(SourceError::WrongKind(format!(
                "{dir} is a file, not a folder"
            )));
        }
        let what = dir.to_string();
        let root = self.path_root(token).await?;
        let root = root.as_deref();
        let v = match cursor {
            Some(c) => {
                self.rpc(
                    token,
                    "/2/files/list_folder/continue",
                    Some(json!({"cursor": c})),
                    &what,
                    root,
                )
                .await?
            }
            None => {
                let body = json!({
                    "path": dropbox_path(dir),
                    "recursive": false,
                    "include_deleted": false,
                    "include_mounted_folders": true,
                    "include_non_downloadable_files": false,
                    "limit": 2000,
                });
                self.rpc(token, "/2/files/list_folder", Some(body), &what, root)
                    .await?
            }
        };
        let answer: ListAnswer = serde_json::from_value(v)
            .map_err(|e| SourceError::Upstream(format!("{NAME} listing unreadable: {e}")))?;
        Ok(Page {
            items: answer.entries.iter().filter_map(|e| item(dir, e)).collect(),
            next: answer.has_more.then_some(answer.cursor),
            pick_url: None,
        })
    }

    async fn open(
        &self,
        token: &AccessToken,
        path: &CloudPath,
        from: u64,
    ) -> Result<Download, SourceError> {
        if path.is_folder() {
            return Err(SourceError::WrongKind(format!(
                "{path} is a folder, not a file"
            )));
        }
        let arg = json!({ "path": dropbox_path(path) });
        let mut req = self
            .content_call(&self.http, token, "/2/files/download", &arg)
            .await?;
        if let Some(r) = range_from(from) {
            req = req.header(header::RANGE, r);
        }
        let resp = req.send().await.map_err(|e| unreachable(NAME, &e))?;
        if !resp.status().is_success() {
            return Err(failure(resp, path.as_str()).await);
        }
        // The file's metadata comes in a header; its name is the one people gave it.
        let name = resp
            .headers()
            .get("Dropbox-API-Result")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| serde_json::from_str::<Value>(v).ok())
            .and_then(|v| v["name"].as_str().map(str::to_owned))
            .unwrap_or_else(|| path.name().to_owned());
        ranged(NAME, resp, from, name, None)
    }

    async fn thumbnail(
        &self,
        token: &AccessToken,
        path: &CloudPath,
        _hint: Option<&str>,
    ) -> Result<Option<Thumbnail>, SourceError> {
        if path.is_folder() {
            return Ok(None);
        }
        let arg = json!({
            "resource": { ".tag": "path", "path": dropbox_path(path) },
            "format": "jpeg",
            "size": "w256h256",
            "mode": "strict",
        });
        let req = self
            .content_call(&self.thumbs, token, "/2/files/get_thumbnail_v2", &arg)
            .await?;
        let resp = req
            .send()
            .await
            .map_err(|e| unreachable(NAME, &e.without_url()))?;
        match resp.status() {
            s if s.is_success() => Ok(thumbnails::from_response(resp, Some("image/jpeg"))),
            // A type Dropbox makes no thumbnail of, or an image it could not read.
            StatusCode::CONFLICT => Ok(None),
            _ => Err(failure(resp, path.as_str()).await),
        }
    }

    async fn revoke(&self, tokens: &TokenSet, redirect: &url::Url) -> Revocation {
        let resp = self
            .http
            .post(at(&self.api, "/2/auth/token/revoke"))
            .bearer_auth(&tokens.access)
            .send()
            .await;
        match resp {
            Ok(r) if r.status().is_success() => Revocation::Revoked,
            // An access token that expired can no longer revoke; get a fresh one first.
            Ok(r) if r.status() == StatusCode::UNAUTHORIZED => match &tokens.refresh {
                Some(refresh) => match self.oauth.refresh(redirect, refresh).await {
                    Ok(fresh) => {
                        Box::pin(self.revoke(
                            &TokenSet {
                                refresh: None,
                                ..fresh
                            },
                            redirect,
                        ))
                        .await
                    }
                    Err(e) => Revocation::Failed(e.to_string()),
                },
                None => Revocation::Failed("the access token expired".into()),
            },
            Ok(r) => Revocation::Failed(format!("{NAME} answered HTTP {}", r.status())),
            Err(e) => Revocation::Failed(unreachable(NAME, &e).to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Source;
    use crate::cloud::provider_checks;
    use skiff_standins::dropbox;
    use std::sync::Arc;

    fn pointed_at(s: &skiff_standins::StandIn) -> Arc<dyn Provider> {
        let client = (dropbox::CLIENT_ID, dropbox::CLIENT_SECRET);
        let c = provider_checks::config(s, client, "/oauth2/authorize", "/oauth2/token");
        Arc::new(Dropbox::new(&c).unwrap())
    }

    #[tokio::test]
    async fn passes_the_provider_checks_against_its_stand_in() {
        let s = dropbox::start(&provider_checks::files(), dropbox::Options::default()).await;
        provider_checks::run(pointed_at(&s), &s).await;
        // Downloads carried the path ASCII-escaped, and a Range when resuming.
        let downloads = s.requests("/2/files/download");
        assert!(downloads.iter().all(|l| l.host == 1));
        assert!(downloads.iter().any(|l| l.headers.contains_key("range")));
    }

    #[tokio::test]
    async fn a_team_member_sees_the_team_folders() {
        let files = [
            ("/mine.txt", b"mine".to_vec()),
            ("/Team Shared/plan.txt", b"team plan".to_vec()),
        ];
        let options = dropbox::Options {
            team: true,
            ..Default::default()
        };
        let s = dropbox::start(&files, options).await;
        let source = provider_checks::signed_in(pointed_at(&s), &s).await;
        let root = provider_checks::all_items(&source, &CloudPath::root()).await;
        let names: Vec<&str> = root.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["Team Shared", "mine.txt"]);
        let team = provider_checks::all_items(&source, &root[0].path).await;
        let d = source.open(&team[0].path, 0).await.unwrap();
        let bytes: Vec<bytes::Bytes> = futures_util::TryStreamExt::try_collect(d.body)
            .await
            .unwrap();
        assert_eq!(bytes.concat(), b"team plan");
        // The account was asked once for this token, not per call.
        assert_eq!(
            s.requests("/2/users/get_current_account").len(),
            2,
            "sign-in and one lookup"
        );
    }

    #[tokio::test]
    async fn images_get_dropbox_thumbnails_and_other_files_none() {
        let files = [
            ("/Fotos/Strand ü.jpg", vec![1u8; 10]),
            ("/a.txt", b"a".to_vec()),
        ];
        let s = dropbox::start(&files, dropbox::Options::default()).await;
        let source = provider_checks::signed_in(pointed_at(&s), &s).await;
        let root = provider_checks::all_items(&source, &CloudPath::root()).await;
        let fotos = provider_checks::all_items(&source, &root[0].path).await;
        assert_eq!(fotos[0].preview, Preview::Made(None));
        let t = source
            .thumbnail(&fotos[0].path, None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.mimetype, "image/jpeg", "the format asked for");
        let text = root.iter().find(|i| i.name == "a.txt").unwrap();
        assert_eq!(text.preview, Preview::Icon);
        assert!(
            source.thumbnail(&text.path, None).await.unwrap().is_none(),
            "409"
        );
        let asked = s.requests("/2/files/get_thumbnail_v2");
        assert!(asked.iter().all(|l| l.host == 1));
        let arg: Value =
            serde_json::from_slice(asked[0].headers["dropbox-api-arg"].as_bytes()).unwrap();
        assert_eq!(
            (arg["format"].as_str(), arg["size"].as_str()),
            (Some("jpeg"), Some("w256h256"))
        );
        assert_eq!(arg["resource"]["path"], "/Fotos/Strand ü.jpg");
    }

    #[tokio::test]
    async fn streams_a_big_file_whole() {
        let big = crate::cloud::conformance::bytes_of(20 * 1024 * 1024 + 5, 3);
        let s = dropbox::start(&[("/big.bin", big.clone())], dropbox::Options::default()).await;
        provider_checks::big_file(pointed_at(&s), &s, &big).await;
    }

    #[test]
    fn header_json_is_ascii() {
        let s = header_json(&json!({"path": "/docs/Überblick – 2026 😀.txt"}));
        assert!(s.is_ascii(), "{s}");
        assert!(s.contains("\\u00dc") && s.contains("\\u2013") && s.contains("\\ud83d\\ude00"));
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["path"], "/docs/Überblick – 2026 😀.txt");
    }
}
