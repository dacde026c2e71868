//! App keys, policies and signatures at the edge of each call (docs/protocol.md §9).

use crate::AppState;
use crate::config::AppConfig;
use crate::error::{ApiError, ApiResult};
use crate::state::StoreTarget;
use axum::http::{HeaderMap, StatusCode};
use skiff_protocol::ErrorCode;
use skiff_protocol::policy::{self, Access, Call};
use skiff_protocol::wire::Security;
use std::collections::HashMap;

/// The app with key `key`, or a 400/403 naming the problem.
pub fn app<'a>(state: &'a AppState, key: Option<&str>) -> ApiResult<&'a AppConfig> {
    let key = key
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            ApiError::bad(
                ErrorCode::MissingApiKey,
                "an API key is required (`apikey` in the body or `key` in the query)",
            )
        })?;
    state.app(key).ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::InvalidApiKey,
            format!("no app has the API key {key:?}"),
        )
    })
}

/// Whether the request carries HTTP basic auth `app:<secret>` (the File API's alternative).
fn basic_auth_ok(headers: Option<&HeaderMap>, secret: &str) -> bool {
    use base64::Engine as _;
    let Some(value) = headers
        .and_then(|h| h.get(axum::http::header::AUTHORIZATION))
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let expected = format!("app:{secret}");
    decoded.len() == expected.len()
        && decoded
            .iter()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Enforces the app's security on a call: apps without a secret allow everything; apps with
/// one need a valid, unexpired policy that allows `access`, or basic auth with the secret.
pub fn authorize(
    state: &AppState,
    app: &AppConfig,
    security: &Security,
    headers: Option<&HeaderMap>,
    access: &Access<'_>,
) -> ApiResult<()> {
    let Some(secret) = app.secret.as_deref() else {
        return Ok(());
    };
    if basic_auth_ok(headers, secret) {
        return Ok(());
    }
    let (Some(p), Some(s)) = (
        security.policy.as_deref().filter(|p| !p.is_empty()),
        security.signature.as_deref().filter(|s| !s.is_empty()),
    ) else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::SecurityRequired,
            "this app requires a policy and signature (`policy` and `signature`)",
        ));
    };
    let policy = policy::verify(secret, p, s)?;
    policy.check(access, (state.now_ms() / 1000).max(0) as u64)?;
    Ok(())
}

/// What storing a file asks of a policy: `store` (or `pick`, which uploads through the picker
/// also allow), the file's size when known, its path and container, and the source URL.
pub fn store_access<'a>(
    target: &'a StoreTarget,
    size: Option<u64>,
    url: Option<&'a str>,
) -> Access<'a> {
    Access {
        call: Some(Call::Store),
        alternatives: &[Call::Pick],
        size,
        path: target.path.as_deref(),
        container: Some(&target.container),
        url,
        ..Access::default()
    }
}

/// `policy` and `signature` from a query string (the File API's way to send them).
pub fn query_security(q: &HashMap<String, String>) -> Security {
    Security {
        policy: q.get("policy").cloned(),
        signature: q.get("signature").cloned(),
    }
}
