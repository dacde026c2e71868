//! What every stand-in shares: an OAuth 2.0 authorization server with the provider's rules
//! (PKCE, code lifetime, whether refresh tokens rotate and whether an old one still works),
//! bearer checks, test knobs, a request log, and serving a provider's routers on loopback.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How a provider's refresh tokens behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// A refresh answers an access token only; the refresh token lasts (Google, Dropbox).
    Keep,
    /// A refresh answers a new refresh token too; the old one keeps working (Microsoft).
    Rotate,
    /// A new refresh token each time, and the old one is dead once used (Box).
    SingleUse,
    /// No refresh tokens; access tokens do not expire on a timer (GitHub OAuth apps).
    Never,
}

/// The provider's OAuth rules.
#[derive(Debug, Clone)]
pub struct OAuthRules {
    /// The client registered.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// PKCE is checked when the client sends a challenge; `required` refuses a flow without.
    pub pkce_required: bool,
    /// Whether the provider takes PKCE at all (Box does not: a challenge is ignored).
    pub pkce_supported: bool,
    /// How long a code is good for (Box: 30 s).
    pub code_ttl: Duration,
    /// Access token lifetime, seconds.
    pub access_ttl: u64,
    /// Refresh behaviour.
    pub refresh: Refresh,
    /// The scopes a flow must ask for (each), space-separated in the request.
    pub scopes: Vec<String>,
}

/// One request as the stand-in saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Query string.
    pub query: String,
    /// Which of the stand-in's hosts got it (0: main, 1: content).
    pub host: usize,
    /// Headers.
    pub headers: HeaderMap,
}

#[derive(Debug)]
struct Code {
    redirect_uri: String,
    challenge: Option<String>,
    issued: Instant,
}

#[derive(Debug, Default)]
struct Grants {
    codes: HashMap<String, Code>,
    /// Access token → when it expires.
    access: HashMap<String, Instant>,
    /// Live refresh tokens.
    refresh: HashMap<String, ()>,
    /// Tokens revoked.
    revoked: Vec<String>,
}

/// Test knobs.
#[derive(Debug, Default)]
pub struct Knobs {
    /// The next consent is refused (`error=access_denied`).
    pub deny_next: bool,
    /// Answers to give instead of the real ones: (path prefix, status, `Retry-After`).
    pub queued: VecDeque<(String, u16, Option<u64>)>,
    /// Every request, in order.
    pub log: Vec<Logged>,
    /// Refresh calls answered.
    pub refreshes: usize,
    /// Code exchanges answered.
    pub exchanges: usize,
}

/// The OAuth server and knobs of one stand-in.
#[derive(Debug)]
pub struct Core {
    /// The rules.
    pub rules: OAuthRules,
    grants: Mutex<Grants>,
    knobs: Mutex<Knobs>,
    /// The redirect URI registered (exact match, as providers demand).
    redirect_uri: Mutex<Option<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn random() -> String {
    let raw: [u8; 24] = rand::random();
    URL_SAFE_NO_PAD.encode(raw)
}

/// An RFC 6749 error answer.
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

/// A 302 to `location`, as authorization servers answer.
pub fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.to_owned())]).into_response()
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bearer {
    /// No `Authorization: Bearer` header.
    Missing,
    /// Not a token this stand-in issued, or revoked.
    Invalid,
    /// Issued, but expired.
    Expired,
}

impl Core {
    /// A core with these rules.
    pub fn new(rules: OAuthRules) -> Arc<Self> {
        Arc::new(Self {
            rules,
            grants: Mutex::default(),
            knobs: Mutex::default(),
            redirect_uri: Mutex::default(),
        })
    }

    /// Registers the one redirect URI flows may use.
    pub fn register_redirect(&self, uri: &str) {
        *lock(&self.redirect_uri) = Some(uri.to_owned());
    }

    /// The knobs (and log).
    pub fn knobs(&self) -> MutexGuard<'_, Knobs> {
        lock(&self.knobs)
    }

    /// Issues an access and a refresh token without a flow (tests that start connected).
    pub fn issue(&self) -> (String, String) {
        let mut g = lock(&self.grants);
        let access = random();
        let refresh = random();
        g.access.insert(
            access.clone(),
            Instant::now() + Duration::from_secs(self.rules.access_ttl),
        );
        g.refresh.insert(refresh.clone(), ());
        (access, refresh)
    }

    /// Expires every access token now (the next call with one gets a 401).
    pub fn expire_access(&self) {
        for at in lock(&self.grants).access.values_mut() {
            *at = Instant::now() - Duration::from_secs(1);
        }
    }

    /// Revokes every refresh token (the next refresh gets `invalid_grant`).
    pub fn revoke_refresh(&self) {
        lock(&self.grants).refresh.clear();
    }

    /// Whether `token` was revoked through the revocation endpoint.
    pub fn was_revoked(&self, token: &str) -> bool {
        lock(&self.grants).revoked.iter().any(|t| t == token)
    }

    /// Revokes `token` (access or refresh).
    pub fn revoke(&self, token: &str) -> bool {
        let mut g = lock(&self.grants);
        let known = g.access.remove(token).is_some() | g.refresh.remove(token).is_some();
        g.revoked.push(token.to_owned());
        known
    }

    /// Checks the request's bearer token.
    pub fn bearer(&self, headers: &HeaderMap) -> Result<String, Bearer> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(Bearer::Missing)?;
        match lock(&self.grants).access.get(token) {
            Some(at) if *at > Instant::now() => Ok(token.to_owned()),
            Some(_) => Err(Bearer::Expired),
            None => Err(Bearer::Invalid),
        }
    }

    /// `GET /authorize`: checks the client, the exact redirect URI, the scopes and the PKCE
    /// challenge, then sends the browser back with a code (or `access_denied`).
    pub fn authorize(&self, q: &HashMap<String, String>) -> Response {
        let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
        if get("client_id") != self.rules.client_id {
            return (StatusCode::BAD_REQUEST, "unknown client_id").into_response();
        }
        let registered = lock(&self.redirect_uri).clone();
        if registered.as_deref() != Some(get("redirect_uri")) {
            return (
                StatusCode::BAD_REQUEST,
                "redirect_uri is not the one registered",
            )
                .into_response();
        }
        if get("response_type") != "code" {
            return (StatusCode::BAD_REQUEST, "response_type must be code").into_response();
        }
        let asked: Vec<&str> = get("scope").split(' ').filter(|s| !s.is_empty()).collect();
        if let Some(missing) = self
            .rules
            .scopes
            .iter()
            .find(|s| !asked.contains(&s.as_str()))
        {
            return (
                StatusCode::BAD_REQUEST,
                format!("scope {missing} not asked for"),
            )
                .into_response();
        }
        let challenge = if self.rules.pkce_supported {
            match (q.get("code_challenge"), get("code_challenge_method")) {
                (Some(c), "S256") => Some(c.clone()),
                (Some(_), m) => {
                    return (
                        StatusCode::BAD_REQUEST,
                        format!("code_challenge_method {m:?}"),
                    )
                        .into_response();
                }
                (None, _) if self.rules.pkce_required => {
                    return (StatusCode::BAD_REQUEST, "code_challenge required").into_response();
                }
                (None, _) => None,
            }
        } else {
            None
        };
        let back = get("redirect_uri").to_owned();
        let state = get("state").to_owned();
        let enc = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        if std::mem::take(&mut self.knobs().deny_next) {
            return found(&format!(
                "{back}?error=access_denied&error_description=The+user+denied+access&state={}",
                enc(&state)
            ));
        }
        let code = random();
        lock(&self.grants).codes.insert(
            code.clone(),
            Code {
                redirect_uri: back.clone(),
                challenge,
                issued: Instant::now(),
            },
        );
        found(&format!("{back}?code={}&state={}", enc(&code), enc(&state)))
    }

    /// `POST /token` (form): the code and refresh grants, with the provider's rules.
    pub fn token(&self, form: &HashMap<String, String>) -> Response {
        let get = |k: &str| form.get(k).map(String::as_str);
        if get("client_id") != Some(self.rules.client_id.as_str()) {
            return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client");
        }
        let secret_ok = get("client_secret") == Some(self.rules.client_secret.as_str());
        if get("client_secret").is_some() && !secret_ok {
            return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "wrong secret");
        }
        let mut g = lock(&self.grants);
        match get("grant_type") {
            Some("authorization_code") => {
                self.knobs().exchanges += 1;
                let Some(code) = get("code").and_then(|c| g.codes.remove(c)) else {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "code unknown or already used",
                    );
                };
                if code.issued.elapsed() > self.rules.code_ttl {
                    return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "code expired");
                }
                if get("redirect_uri") != Some(code.redirect_uri.as_str()) {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "redirect_uri differs from the authorization request",
                    );
                }
                match &code.challenge {
                    Some(challenge) => {
                        let verifier = get("code_verifier").unwrap_or("");
                        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
                        if &computed != challenge {
                            return oauth_error(
                                StatusCode::BAD_REQUEST,
                                "invalid_grant",
                                "code_verifier does not match the challenge",
                            );
                        }
                    }
                    None if !secret_ok => {
                        return oauth_error(
                            StatusCode::UNAUTHORIZED,
                            "invalid_client",
                            "a client without PKCE must send its secret",
                        );
                    }
                    None => {}
                }
                drop(g);
                let (access, refresh) = self.issue();
                if self.rules.refresh == Refresh::Never {
                    lock(&self.grants).refresh.remove(&refresh);
                    return self.token_answer(&access, None);
                }
                self.token_answer(&access, Some(&refresh))
            }
            Some("refresh_token") => {
                self.knobs().refreshes += 1;
                let Some(old) = get("refresh_token").filter(|r| g.refresh.contains_key(*r)) else {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "refresh token unknown, used or revoked",
                    );
                };
                let old = old.to_owned();
                if self.rules.refresh == Refresh::SingleUse {
                    g.refresh.remove(&old);
                }
                drop(g);
                let (access, refresh) = self.issue();
                match self.rules.refresh {
                    Refresh::Keep | Refresh::Never => {
                        lock(&self.grants).refresh.remove(&refresh);
                        self.token_answer(&access, None)
                    }
                    Refresh::Rotate | Refresh::SingleUse => {
                        self.token_answer(&access, Some(&refresh))
                    }
                }
            }
            _ => oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            ),
        }
    }

    fn token_answer(&self, access: &str, refresh: Option<&str>) -> Response {
        let mut body = serde_json::json!({
            "access_token": access,
            "token_type": "bearer",
        });
        if self.rules.refresh != Refresh::Never {
            body["expires_in"] = self.rules.access_ttl.into();
        }
        if let Some(r) = refresh {
            body["refresh_token"] = r.into();
        }
        axum::Json(body).into_response()
    }
}

/// The authorization endpoint of `core` at `authorize` and its token endpoint at `token`
/// (none: the provider answers tokens its own way), to merge into a provider's router.
pub fn oauth_routes(core: Arc<Core>, authorize: &str, token: Option<&str>) -> Router {
    async fn authorize_h(
        State(core): State<Arc<Core>>,
        axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
    ) -> Response {
        core.authorize(&q)
    }
    async fn token_h(
        State(core): State<Arc<Core>>,
        axum::extract::Form(f): axum::extract::Form<HashMap<String, String>>,
    ) -> Response {
        core.token(&f)
    }
    let r = Router::new().route(authorize, axum::routing::get(authorize_h));
    match token {
        Some(t) => r.route(t, axum::routing::post(token_h)),
        None => r,
    }
    .with_state(core)
}

/// Test hooks over HTTP, for tests outside this process (the browser tests): register the
/// redirect URI (`POST /__standin/redirect`, the URI as the body) and refuse the next consent
/// (`POST /__standin/deny-next`). Loopback only, as every stand-in is.
fn admin_routes(core: Arc<Core>) -> Router {
    async fn redirect(State(core): State<Arc<Core>>, body: String) -> StatusCode {
        core.register_redirect(body.trim());
        StatusCode::NO_CONTENT
    }
    async fn deny(State(core): State<Arc<Core>>) -> StatusCode {
        core.knobs().deny_next = true;
        StatusCode::NO_CONTENT
    }
    Router::new()
        .route("/__standin/redirect", axum::routing::post(redirect))
        .route("/__standin/deny-next", axum::routing::post(deny))
        .with_state(core)
}

/// A running stand-in: its main host (OAuth and API) and its content host (downloads, on its
/// own port so redirects between them cross hosts as the real ones do).
#[derive(Debug)]
pub struct StandIn {
    /// OAuth and knobs.
    pub core: Arc<Core>,
    /// Main host.
    pub main: SocketAddr,
    /// Content host.
    pub content: SocketAddr,
}

impl StandIn {
    /// `http://127.0.0.1:<port>` of the main host.
    pub fn url(&self) -> String {
        format!("http://{}", self.main)
    }

    /// `http://127.0.0.1:<port>` of the content host.
    pub fn content_url(&self) -> String {
        format!("http://{}", self.content)
    }

    /// Requests whose path starts with `prefix`.
    pub fn requests(&self, prefix: &str) -> Vec<Logged> {
        self.core
            .knobs()
            .log
            .iter()
            .filter(|l| l.path.starts_with(prefix))
            .cloned()
            .collect()
    }

    /// The next `n` requests whose path starts with `prefix` get `status` (with `Retry-After`
    /// when given) in the provider's error shape.
    pub fn fail_next(&self, prefix: &str, status: u16, n: usize, retry_after: Option<u64>) {
        let mut k = self.core.knobs();
        for _ in 0..n {
            k.queued.push_back((prefix.to_owned(), status, retry_after));
        }
    }

    /// Serves `main` and `content` on two loopback ports; `error` renders a queued failure in
    /// the provider's error shape.
    pub async fn serve(
        core: Arc<Core>,
        main: Router,
        content: Router,
        error: fn(u16) -> Response,
    ) -> Self {
        let bind = || async {
            tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a loopback port")
        };
        let (l1, l2) = (bind().await, bind().await);
        let (a1, a2) = (
            l1.local_addr().expect("bound"),
            l2.local_addr().expect("bound"),
        );
        let main = main.merge(admin_routes(core.clone()));
        for (i, (listener, router)) in [(l1, main), (l2, content)].into_iter().enumerate() {
            let app = router.layer(middleware::from_fn_with_state(
                (core.clone(), i, error),
                observe,
            ));
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
        }
        Self {
            core,
            main: a1,
            content: a2,
        }
    }
}

type Observed = (Arc<Core>, usize, fn(u16) -> Response);

/// Logs each request and answers a queued failure instead of the real answer.
async fn observe(
    State((core, host, error)): State<Observed>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let queued = {
        let mut k = core.knobs();
        k.log.push(Logged {
            method: req.method().to_string(),
            path: path.clone(),
            query: req.uri().query().unwrap_or("").to_owned(),
            host,
            headers: req.headers().clone(),
        });
        match k
            .queued
            .iter()
            .position(|(p, _, _)| path.starts_with(p.as_str()))
        {
            Some(i) => k.queued.remove(i),
            None => None,
        }
    };
    if let Some((_, status, retry_after)) = queued {
        let mut r = error(status);
        *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(s) = retry_after {
            r.headers_mut().insert(header::RETRY_AFTER, s.into());
        }
        return r;
    }
    next.run(req).await
}
