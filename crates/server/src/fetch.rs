//! Fetching a remote URL for `/process` and store-from-URL, safely: http(s) only, and no
//! loopback, private, link-local or other internal address (checked on every DNS answer and
//! every redirect, so neither a hostname nor a redirect can reach inside) unless the operator
//! allows private URLs.

use crate::storage::ByteStream;
use futures_util::TryStreamExt;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Why a URL was not fetched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL is not allowed (scheme, address).
    #[error("{0}")]
    NotAllowed(String),
    /// The fetch failed (network, status).
    #[error("{0}")]
    Failed(String),
}

/// Whether `ip` is loopback, private, link-local, or otherwise not a public internet address.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10, carrier-grade NAT
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15, benchmarking
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x64 && s[1] == 0xff9b) // NAT64 can reach IPv4 internals
        }
    }
}

/// Resolves names and drops internal addresses.
#[derive(Debug)]
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                addrs.into_iter().filter(|a| !is_internal(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves only to internal addresses").into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// The fetched body and what the server said about it.
pub struct Fetched {
    /// Body bytes.
    pub body: ByteStream,
    /// `Content-Type`, without parameters.
    pub mimetype: Option<String>,
    /// Name from `Content-Disposition` or the last path segment.
    pub filename: Option<String>,
    /// `Content-Length`.
    pub length: Option<u64>,
    /// Final URL after redirects.
    pub url: String,
}

impl std::fmt::Debug for Fetched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetched")
            .field("url", &self.url)
            .field("mimetype", &self.mimetype)
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

/// An HTTP client for fetching user-given URLs.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    allow_private: bool,
}

fn host_allowed(url: &url::Url, allow_private: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "only http and https URLs can be fetched, not {}:",
            url.scheme()
        ));
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(url::Host::Domain(d))
            if !allow_private
                && (d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost")) =>
        {
            return Err(format!(
                "{d} is a loopback host; this server does not fetch internal addresses"
            ));
        }
        Some(url::Host::Domain(_)) => None,
        None => return Err("the URL has no host".into()),
    };
    match ip {
        Some(ip) if !allow_private && is_internal(ip) => Err(format!(
            "{ip} is a loopback, private or link-local address; this server does not fetch internal addresses"
        )),
        _ => Ok(()),
    }
}

/// Makes ring the process's TLS crypto provider unless one is already set (outgoing https for
/// fetches and webhooks; incoming TLS uses the same).
pub fn ensure_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Fetcher {
    /// A fetcher; `allow_private` lets it reach internal addresses.
    pub fn new(allow_private: bool) -> Self {
        ensure_crypto_provider();
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                return attempt.error("too many redirects");
            }
            match host_allowed(attempt.url(), allow_private) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e),
            }
        });
        let mut builder = reqwest::Client::builder()
            .redirect(policy)
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(60))
            .user_agent(concat!("skiff-server/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly)).no_proxy();
        }
        let client = builder.build().expect("the HTTP client builds");
        Self {
            client,
            allow_private,
        }
    }

    /// Fetches `url` with optional extra request headers.
    pub async fn fetch(
        &self,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<Fetched, FetchError> {
        let parsed = url::Url::parse(url)
            .map_err(|e| FetchError::NotAllowed(format!("{url:?} is not a valid URL ({e})")))?;
        host_allowed(&parsed, self.allow_private).map_err(FetchError::NotAllowed)?;
        let mut req = self.client.get(parsed.clone());
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let resp = req.send().await.map_err(|e| {
            let text = error_chain(&e);
            if text.contains("internal address") || text.contains("does not fetch") {
                FetchError::NotAllowed(format!("fetching {url} was refused: {text}"))
            } else {
                FetchError::Failed(format!("fetching {url} failed: {text}"))
            }
        })?;
        if !resp.status().is_success() {
            return Err(FetchError::Failed(format!(
                "fetching {url} answered HTTP {}",
                resp.status()
            )));
        }
        let mimetype = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_owned())
            .filter(|v| !v.is_empty());
        let filename = resp
            .headers()
            .get(reqwest::header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split(';')
                    .find_map(|p| p.trim().strip_prefix("filename="))
                    .map(|f| f.trim_matches('"').to_owned())
            })
            .or_else(|| {
                resp.url()
                    .path_segments()
                    .and_then(|mut s| s.next_back())
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        percent_encoding::percent_decode_str(s)
                            .decode_utf8_lossy()
                            .into_owned()
                    })
            });
        let length = resp.content_length();
        let final_url = resp.url().to_string();
        let body = Box::pin(resp.bytes_stream().map_err(std::io::Error::other));
        Ok(Fetched {
            body,
            mimetype,
            filename,
            length,
            url: final_url,
        })
    }
}

/// An error with its causes, `: `-joined: many crates put the useful words in the source.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        text.push_str(": ");
        text.push_str(&s.to_string());
        src = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls() {
        let ok = |u: &str, private| host_allowed(&url::Url::parse(u).unwrap(), private);
        assert!(ok("http://127.0.0.1:8080/x", false).is_err());
        assert!(ok("http://[::1]/x", false).is_err());
        assert!(ok("http://localhost/x", false).is_err());
        assert!(ok("file:///etc/passwd", true).is_err());
        assert!(ok("ftp://example.com/x", false).is_err());
        assert!(ok("https://example.com/x", false).is_ok());
        assert!(ok("http://127.0.0.1:8080/x", true).is_ok());
    }
}
