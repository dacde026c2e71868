//! The OAuth 2.0 half of a provider, on the `oauth2` crate: the authorization URL (with PKCE
//! S256 where the provider takes it), the code exchange, refresh and RFC 7009 revocation.
//! Tokens travel in [`TokenSet`], whose `Debug` prints no secret, and errors carry the
//! provider's error code and description, never a response body (which could hold a token).

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, StandardErrorResponse,
    StandardRevocableToken, TokenResponse, TokenUrl,
};
use std::fmt;
use std::time::Duration;
use url::Url;

/// How to talk OAuth to one provider, for one app.
#[derive(Clone)]
pub struct OAuthApp {
    /// The app's client id at the provider.
    pub client_id: String,
    /// Its secret (PKCE-only public clients have none).
    pub client_secret: Option<String>,
    /// The provider's authorization endpoint.
    pub auth_url: Url,
    /// Its token endpoint.
    pub token_url: Url,
    /// Its RFC 7009 revocation endpoint, for providers that have one in that shape.
    pub revoke_url: Option<Url>,
    /// The scopes asked for (least privilege: read-only).
    pub scopes: Vec<String>,
    /// Whether the provider takes PKCE.
    pub pkce: bool,
    /// Extra authorization parameters (`access_type=offline`, `token_access_type=offline`, …).
    pub extra: Vec<(&'static str, String)>,
    /// Whether refresh requests name the scopes again (Microsoft's v2 endpoint requires it;
    /// others take the grant's scopes and some refuse parameters they do not expect).
    pub scopes_on_refresh: bool,
}

impl fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("auth_url", &self.auth_url.as_str())
            .field("token_url", &self.token_url.as_str())
            .field("scopes", &self.scopes)
            .field("pkce", &self.pkce)
            .finish_non_exhaustive()
    }
}

/// What a token endpoint gave.
#[derive(Clone)]
pub struct TokenSet {
    /// The access token.
    pub access: String,
    /// The refresh token, when one came (providers that rotate send a new one each time).
    pub refresh: Option<String>,
    /// How long the access token lives, when the provider says.
    pub expires_in: Option<Duration>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("refresh", &self.refresh.is_some())
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Why a token call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The code or refresh token is no longer good (expired, used, revoked): connect again.
    #[error("the provider no longer accepts this grant ({0})")]
    InvalidGrant(String),
    /// Anything else: the provider refused the client, failed or could not be reached.
    #[error("the provider's token endpoint failed: {0}")]
    Failed(String),
}

/// The start of a flow: where to send the browser, and the PKCE verifier to keep.
#[derive(Debug)]
pub struct Authorization {
    /// The provider's authorization URL with every parameter.
    pub url: Url,
    /// The verifier to send with the code (PKCE providers).
    pub verifier: Option<String>,
}

fn http() -> reqwest::Client {
    crate::fetch::ensure_crypto_provider();
    // No redirects: a token endpoint that redirects is refused rather than followed (the
    // oauth2 crate's advice, against SSRF through a misconfigured endpoint).
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default()
}

type Failure = RequestTokenError<
    oauth2::HttpClientError<reqwest::Error>,
    StandardErrorResponse<BasicErrorResponseType>,
>;

fn failure(e: Failure) -> OAuthError {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let what = match r.error_description() {
                Some(d) => format!("{}: {d}", r.error()),
                None => r.error().to_string(),
            };
            if *r.error() == BasicErrorResponseType::InvalidGrant {
                OAuthError::InvalidGrant(what)
            } else {
                OAuthError::Failed(what)
            }
        }
        RequestTokenError::Request(e) => OAuthError::Failed(format!("request failed: {e}")),
        // The body is not quoted: it could hold a token.
        RequestTokenError::Parse(e, _) => {
            OAuthError::Failed(format!("unreadable answer ({})", e.path()))
        }
        RequestTokenError::Other(e) => OAuthError::Failed(e),
    }
}

fn tokens(r: &impl TokenResponse) -> TokenSet {
    TokenSet {
        access: r.access_token().secret().clone(),
        refresh: r.refresh_token().map(|t| t.secret().clone()),
        expires_in: r.expires_in(),
    }
}

impl OAuthApp {
    fn client(
        &self,
        redirect: &Url,
    ) -> oauth2::Client<
        StandardErrorResponse<BasicErrorResponseType>,
        oauth2::basic::BasicTokenResponse,
        oauth2::basic::BasicTokenIntrospectionResponse,
        StandardRevocableToken,
        oauth2::basic::BasicRevocationErrorResponse,
        oauth2::EndpointSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointSet,
    > {
        let mut c = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_auth_uri(AuthUrl::from_url(self.auth_url.clone()))
            .set_token_uri(TokenUrl::from_url(self.token_url.clone()))
            .set_redirect_uri(RedirectUrl::from_url(redirect.clone()))
            // Every provider here takes the secret in the form body; Box takes nothing else.
            .set_auth_type(AuthType::RequestBody);
        if let Some(s) = &self.client_secret {
            c = c.set_client_secret(ClientSecret::new(s.clone()));
        }
        c
    }

    /// The authorization URL for a flow whose `state` is given, coming back to `redirect`.
    pub fn authorize(&self, redirect: &Url, state: &str) -> Authorization {
        let client = self.client(redirect);
        let state = state.to_owned();
        let mut req = client
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(self.scopes.iter().cloned().map(Scope::new));
        for (k, v) in &self.extra {
            req = req.add_extra_param(*k, v.clone());
        }
        let verifier = if self.pkce {
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            req = req.set_pkce_challenge(challenge);
            Some(verifier.secret().clone())
        } else {
            None
        };
        let (url, _) = req.url();
        Authorization { url, verifier }
    }

    /// Trades the callback's `code` (with the flow's PKCE verifier) for tokens.
    pub async fn exchange(
        &self,
        redirect: &Url,
        code: &str,
        verifier: Option<&str>,
    ) -> Result<TokenSet, OAuthError> {
        let client = self.client(redirect);
        let mut req = client.exchange_code(AuthorizationCode::new(code.to_owned()));
        if let Some(v) = verifier {
            req = req.set_pkce_verifier(PkceCodeVerifier::new(v.to_owned()));
        }
        let http = http();
        req.request_async(&http)
            .await
            .map(|r| tokens(&r))
            .map_err(failure)
    }

    /// A new access token (and, from providers that rotate, a new refresh token).
    pub async fn refresh(&self, redirect: &Url, refresh: &str) -> Result<TokenSet, OAuthError> {
        let client = self.client(redirect);
        let rt = RefreshToken::new(refresh.to_owned());
        let http = http();
        let mut req = client.exchange_refresh_token(&rt);
        if self.scopes_on_refresh {
            req = req.add_scopes(self.scopes.iter().cloned().map(Scope::new));
        }
        req.request_async(&http)
            .await
            .map(|r| tokens(&r))
            .map_err(failure)
    }

    /// RFC 7009 revocation of `token` (the refresh token when there is one: revoking it ends
    /// its access tokens too), with the client's credentials in the form as the token calls
    /// send them. Ok(false) when the provider has no such endpoint.
    ///
    /// Sent by hand rather than through the oauth2 crate, which refuses revocation endpoints
    /// that are not https (the stand-ins tests run against are plain http on loopback).
    pub async fn revoke(&self, token: &TokenSet) -> Result<bool, OAuthError> {
        let Some(url) = &self.revoke_url else {
            return Ok(false);
        };
        let (value, hint) = match &token.refresh {
            Some(r) => (r.as_str(), "refresh_token"),
            None => (token.access.as_str(), "access_token"),
        };
        let mut form = vec![
            ("token", value),
            ("token_type_hint", hint),
            ("client_id", self.client_id.as_str()),
        ];
        if let Some(s) = &self.client_secret {
            form.push(("client_secret", s.as_str()));
        }
        let resp = http()
            .post(url.clone())
            .form(&form)
            .send()
            .await
            .map_err(|e| OAuthError::Failed(format!("request failed: {}", e.without_url())))?;
        if resp.status().is_success() {
            Ok(true)
        } else {
            Err(OAuthError::Failed(format!(
                "the revocation endpoint answered HTTP {}",
                resp.status()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(pkce: bool) -> OAuthApp {
        OAuthApp {
            client_id: "cid".into(),
            client_secret: Some("shh".into()),
            auth_url: Url::parse("https://id.example/authorize").unwrap(),
            token_url: Url::parse("https://id.example/token").unwrap(),
            revoke_url: None,
            scopes: vec!["files.read".into(), "account.read".into()],
            pkce,
            extra: vec![("token_access_type", "offline".into())],
            scopes_on_refresh: false,
        }
    }

    #[test]
    fn authorization_urls_carry_state_scopes_and_pkce() {
        let back = Url::parse("https://skiff.example/cloud/auth/x/callback").unwrap();
        let a = app(true).authorize(&back, "st4te");
        let q: std::collections::HashMap<String, String> =
            a.url.query_pairs().into_owned().collect();
        assert_eq!(q["state"], "st4te");
        assert_eq!(q["client_id"], "cid");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["redirect_uri"], back.as_str());
        assert_eq!(q["scope"], "files.read account.read");
        assert_eq!(q["token_access_type"], "offline");
        assert_eq!(q["code_challenge_method"], "S256");
        let v = a.verifier.unwrap();
        let expect = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(v));
        assert_eq!(&q["code_challenge"], expect.as_str());
        assert!(
            !a.url.as_str().contains("shh"),
            "the secret stays on the server"
        );

        let plain = app(false).authorize(&back, "s");
        assert!(plain.verifier.is_none());
        assert!(!plain.url.as_str().contains("code_challenge"));
    }

    #[test]
    fn debug_prints_no_secret() {
        let t = TokenSet {
            access: "acc-secret".into(),
            refresh: Some("ref-secret".into()),
            expires_in: None,
        };
        let shown = format!("{t:?} {:?}", app(true));
        assert!(
            !shown.contains("secret") && !shown.contains("shh"),
            "{shown}"
        );
    }
}
