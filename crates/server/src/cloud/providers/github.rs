//! GitHub: a person's repositories, their branches, and the files on a branch, through an
//! OAuth app. Paths are `/<owner>%2F<repo>/<branch>/<path in the repository>` (a repository's
//! full name and a branch name may hold `/`, which a path segment cannot, so it is written
//! `%2F` and `%` as `%25`). Repositories and branches page by number; a folder's contents
//! come in one answer (GitHub caps a folder at 1,000 entries). Files are read raw (GitHub's
//! contents API serves up to 100 MB that way). OAuth-app tokens do not expire and have no
//! refresh token; logout deletes the token with the app's credentials.

use super::{at, oauth_app, url_or};
use crate::cloud::oauth::{OAuthApp, TokenSet};
use crate::cloud::provider::{
    AccessToken, Provider, Revocation, http_client, range_from, ranged, refusal, retry_after,
    unreachable,
};
use crate::cloud::thumbnails::{self, Preview, Thumbnail};
use crate::cloud::{CloudItem, CloudPath, Download, Page, SourceError};
use crate::config::OAuthSourceConfig;
use async_trait::async_trait;
use reqwest::{StatusCode, header};
use serde::Deserialize;

const NAME: &str = "GitHub";
const API_VERSION: &str = "2022-11-28";
const PER_PAGE: u32 = 100;

/// GitHub as a provider.
#[derive(Debug)]
pub struct GitHub {
    oauth: OAuthApp,
    api: url::Url,
    http: reqwest::Client,
}

fn encode(s: &str) -> String {
    s.replace('%', "%25").replace('/', "%2F")
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Where a path points.
enum Place {
    /// The repositories.
    Repos,
    /// A repository's branches.
    Branches { repo: String },
    /// A file or folder on a branch (`path` empty: the branch's root).
    Contents {
        repo: String,
        branch: String,
        path: Vec<String>,
    },
}

fn place(p: &CloudPath) -> Place {
    let segs: Vec<&str> = p
        .as_str()
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match segs.as_slice() {
        [] => Place::Repos,
        [repo] => Place::Branches { repo: decode(repo) },
        [repo, branch, rest @ ..] => Place::Contents {
            repo: decode(repo),
            branch: decode(branch),
            path: rest.iter().map(|s| (*s).to_owned()).collect(),
        },
    }
}

#[derive(Deserialize)]
struct Repo {
    full_name: String,
}

#[derive(Deserialize)]
struct Branch {
    name: String,
}

#[derive(Deserialize)]
struct Content {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    #[serde(default)]
    size: u64,
}

impl GitHub {
    /// From `[sources.github]`.
    pub fn new(c: &OAuthSourceConfig) -> Result<Self, String> {
        Ok(Self {
            oauth: OAuthApp {
                // GitHub deletes a token through its REST API (see `revoke`). An OAuth app has
                // no read-only scope for private repositories; `repo` is the least that lists
                // them (a GitHub App could do with "Contents: read").
                scopes: vec!["repo".into()],
                ..oauth_app(
                    c,
                    "https://github.com/login/oauth/authorize",
                    "https://github.com/login/oauth/access_token",
                )?
            },
            api: url_or(c.api_url.as_ref(), "https://api.github.com", "api_url")?,
            http: http_client(),
        })
    }

    fn request(&self, token: &AccessToken, url: url::Url) -> reqwest::RequestBuilder {
        self.http
            .get(url)
            .bearer_auth(&token.0)
            .header(header::USER_AGENT, "skiff-server")
            .header("X-GitHub-Api-Version", API_VERSION)
    }

    /// The API URL of `path` (segments given unencoded), with `query`.
    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> url::Url {
        let mut u = self.api.clone();
        if let Ok(mut p) = u.path_segments_mut() {
            p.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            u.query_pairs_mut().extend_pairs(query);
        }
        u
    }

    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<reqwest::Response, SourceError> {
        let resp = req.send().await.map_err(|e| unreachable(NAME, &e))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        Err(failure(resp, what).await)
    }

    /// A page of a numbered listing; the next page's number when GitHub links one.
    async fn numbered<T: serde::de::DeserializeOwned>(
        &self,
        token: &AccessToken,
        segments: &[&str],
        extra: &[(&str, &str)],
        cursor: Option<&str>,
        what: &str,
    ) -> Result<(Vec<T>, Option<String>), SourceError> {
        let page = cursor
            .and_then(|c| c.parse::<u32>().ok())
            .unwrap_or(1)
            .to_string();
        let per = PER_PAGE.to_string();
        let mut query = vec![("per_page", per.as_str()), ("page", page.as_str())];
        query.extend_from_slice(extra);
        let resp = self
            .send(self.request(token, self.url(segments, &query)), what)
            .await?;
        let more = resp
            .headers()
            .get_all(header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains("rel=\"next\""));
        let next = more.then(|| (page.parse::<u32>().unwrap_or(1) + 1).to_string());
        let items = resp
            .json()
            .await
            .map_err(|e| SourceError::Upstream(format!("{NAME} answered unreadable JSON: {e}")))?;
        Ok((items, next))
    }
}

/// GitHub's refusals; an exhausted rate limit is a 403 or 429 with `x-ratelimit-remaining: 0`.
async fn failure(resp: reqwest::Response, what: &str) -> SourceError {
    let status = resp.status();
    let headers = resp.headers().clone();
    let exhausted = headers
        .get("x-ratelimit-remaining")
        .is_some_and(|v| v.as_bytes() == b"0");
    if matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
    ) && (exhausted || headers.contains_key(header::RETRY_AFTER))
    {
        let reset_in = headers
            .get("x-ratelimit-reset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .and_then(|at| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()?
                    .as_secs();
                at.checked_sub(now)
            });
        return SourceError::RateLimited {
            retry_after: retry_after(&headers).or(reset_in),
        };
    }
    let message = resp
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_default();
    refusal(NAME, status, &headers, what, &message)
}

#[async_trait]
impl Provider for GitHub {
    fn name(&self) -> &'static str {
        "github"
    }

    fn display_name(&self) -> &'static str {
        NAME
    }

    fn oauth(&self) -> &OAuthApp {
        &self.oauth
    }

    fn folder_name(&self, dir: &CloudPath) -> String {
        decode(dir.name())
    }

    async fn account(&self, token: &AccessToken) -> Result<String, SourceError> {
        #[derive(Deserialize)]
        struct User {
            login: String,
        }
        let u: User = self
            .send(self.request(token, self.url(&["user"], &[])), "the account")
            .await?
            .json()
            .await
            .map_err(|e| SourceError::Upstream(format!("{NAME} account unreadable: {e}")))?;
        Ok(u.login)
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
        let child = |name: &str, shown: String, folder: bool, size: u64| {
            dir.join(name, folder)
                .map(|path| CloudItem {
                    preview: if folder {
                        Preview::Icon
                    } else {
                        thumbnails::own_preview(&shown, None, size)
                    },
                    name: shown,
                    path,
                    folder,
                    size,
                    mimetype: None,
                })
                .map_err(|why| SourceError::Upstream(format!("{NAME} entry {name:?}: {why}")))
        };
        match place(dir) {
            Place::Repos => {
                let sort = [("sort", "full_name")];
                let (repos, next) = self
                    .numbered::<Repo>(
                        token,
                        &["user", "repos"],
                        &sort,
                        cursor,
                        "your repositories",
                    )
                    .await?;
                let items = repos
                    .into_iter()
                    .map(|r| child(&encode(&r.full_name), r.full_name.clone(), true, 0))
                    .collect::<Result<_, _>>()?;
                Ok(Page {
                    items,
                    next,
                    pick_url: None,
                })
            }
            Place::Branches { repo } => {
                let (owner, name) = repo
                    .split_once('/')
                    .ok_or_else(|| SourceError::NotFound(dir.to_string()))?;
                let segs = ["repos", owner, name, "branches"];
                let (branches, next) = self
                    .numbered::<Branch>(token, &segs, &[], cursor, dir.as_str())
                    .await?;
                let items = branches
                    .into_iter()
                    .map(|b| child(&encode(&b.name), b.name.clone(), true, 0))
                    .collect::<Result<_, _>>()?;
                Ok(Page {
                    items,
                    next,
                    pick_url: None,
                })
            }
            Place::Contents { repo, branch, path } => {
                let (owner, name) = repo
                    .split_once('/')
                    .ok_or_else(|| SourceError::NotFound(dir.to_string()))?;
                let mut segs = vec!["repos", owner, name, "contents"];
                segs.extend(path.iter().map(String::as_str));
                let resp = self
                    .send(
                        self.request(token, self.url(&segs, &[("ref", branch.as_str())])),
                        dir.as_str(),
                    )
                    .await?;
                let v: serde_json::Value = resp.json().await.map_err(|e| {
                    SourceError::Upstream(format!("{NAME} answered unreadable JSON: {e}"))
                })?;
                // A file's path answers one object, a folder's an array.
                if !v.is_array() {
                    return Err(SourceError::WrongKind(format!(
                        "{dir} is a file, not a folder"
                    )));
                }
                let entries: Vec<Content> = serde_json::from_value(v)
                    .map_err(|e| SourceError::Upstream(format!("{NAME} folder unreadable: {e}")))?;
                let mut items = Vec::new();
                for e in entries {
                    // Symlinks and submodules are not files here.
                    let folder = match e.kind.as_str() {
                        "dir" => true,
                        "file" => false,
                        _ => continue,
                    };
                    items.push(child(
                        &e.name,
                        e.name.clone(),
                        folder,
                        if folder { 0 } else { e.size },
                    )?);
                }
                Ok(Page {
                    items,
                    next: None,
                    pick_url: None,
                })
            }
        }
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
        let Place::Contents {
            repo,
            branch,
            path: inner,
        } = place(path)
        else {
            return Err(SourceError::WrongKind(format!(
                "{path} is not a file in a repository"
            )));
        };
        let (owner, name) = repo
            .split_once('/')
            .ok_or_else(|| SourceError::NotFound(path.to_string()))?;
        let mut segs = vec!["repos", owner, name, "contents"];
        segs.extend(inner.iter().map(String::as_str));
        let mut req = self
            .request(token, self.url(&segs, &[("ref", branch.as_str())]))
            .header(header::ACCEPT, "application/vnd.github.raw+json");
        if let Some(r) = range_from(from) {
            req = req.header(header::RANGE, r);
        }
        let resp = self.send(req, path.as_str()).await?;
        ranged(NAME, resp, from, path.name().to_owned(), None)
    }

    /// GitHub makes no thumbnails: a small image in a repository is its own picture.
    async fn thumbnail(
        &self,
        token: &AccessToken,
        path: &CloudPath,
        _hint: Option<&str>,
    ) -> Result<Option<Thumbnail>, SourceError> {
        let open = async {
            let mut d = self.open(token, path, 0).await?;
            // The raw answer's type names GitHub's media type, not the file's: the name says.
            d.mimetype = None;
            Ok(d)
        };
        thumbnails::own_picture(path.name(), open).await
    }

    async fn revoke(&self, tokens: &TokenSet, _redirect: &url::Url) -> Revocation {
        let url = at(
            &self.api,
            &format!("/applications/{}/token", self.oauth.client_id),
        );
        let resp = self
            .http
            .delete(url)
            .basic_auth(&self.oauth.client_id, self.oauth.client_secret.as_deref())
            .header(header::USER_AGENT, "skiff-server")
            .header("X-GitHub-Api-Version", API_VERSION)
            .json(&serde_json::json!({ "access_token": tokens.access }))
            .send()
            .await;
        match resp {
            Ok(r) if r.status().is_success() => Revocation::Revoked,
            Ok(r) => Revocation::Failed(format!("{NAME} answered HTTP {}", r.status())),
            Err(e) => Revocation::Failed(unreachable(NAME, &e).to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Source;
    use crate::cloud::provider_checks::{self, Checks};
    use skiff_standins::github;
    use std::sync::Arc;

    fn pointed_at(s: &skiff_standins::StandIn) -> Arc<dyn Provider> {
        let client = (github::CLIENT_ID, github::CLIENT_SECRET);
        let c = provider_checks::config(
            s,
            client,
            "/login/oauth/authorize",
            "/login/oauth/access_token",
        );
        Arc::new(GitHub::new(&c).unwrap())
    }

    #[tokio::test]
    async fn passes_the_provider_checks_against_its_stand_in() {
        let s = github::start(&provider_checks::files()).await;
        let root = CloudPath::parse("/octo%2Ffixtures/main/").unwrap();
        provider_checks::run_with(
            pointed_at(&s),
            &s,
            Checks {
                root: Some(root),
                refreshes: false,
                ..Checks::default()
            },
        )
        .await;
        let api = [s.requests("/user"), s.requests("/repos")].concat();
        assert!(api.iter().all(|l| l.headers.contains_key("user-agent")));
        assert!(
            api.iter().any(|l| l.headers.contains_key("range")),
            "a resumed read"
        );
    }

    #[tokio::test]
    async fn streams_a_big_file_whole() {
        let big = crate::cloud::conformance::bytes_of(20 * 1024 * 1024 + 5, 8);
        let s = github::start(&[("/big.bin", big.clone())]).await;
        let source = provider_checks::signed_in(pointed_at(&s), &s).await;
        let path = CloudPath::parse("/octo%2Ffixtures/main/big.bin").unwrap();
        let d = source.open(&path, 0).await.unwrap();
        assert_eq!(d.size, Some(big.len() as u64));
        let got: Vec<bytes::Bytes> = futures_util::TryStreamExt::try_collect(d.body)
            .await
            .unwrap();
        assert!(got.concat() == big, "20 MiB streamed whole");
    }

    #[tokio::test]
    async fn repositories_and_branches_page_and_read_as_people_name_them() {
        let s = github::start(&[("/a.txt", b"a".to_vec())]).await;
        let source = provider_checks::signed_in(pointed_at(&s), &s).await;
        let first = source.list(&CloudPath::root(), None).await.unwrap();
        let second = source
            .list(&CloudPath::root(), first.next.as_deref())
            .await
            .unwrap();
        assert!(second.next.is_none());
        let names: Vec<String> = first
            .items
            .iter()
            .chain(&second.items)
            .map(|i| i.name.clone())
            .collect();
        assert_eq!(names, ["octo/archive", "octo/fixtures", "octo/zzz-notes"]);
        let repo = &first.items[1];
        assert_eq!(repo.path.as_str(), "/octo%2Ffixtures/");
        assert_eq!(source.folder_name(&repo.path), "octo/fixtures");
        let branches = source.list(&repo.path, None).await.unwrap();
        let b: Vec<&str> = branches.items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(b, ["main", "feature/x"]);
        let feature = &branches.items[1].path;
        assert_eq!(source.folder_name(feature), "feature/x");
        let files = source.list(feature, None).await.unwrap();
        assert_eq!(files.items[0].name, "a.txt");
    }
}
