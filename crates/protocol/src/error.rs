//! Stable error codes. The server answers every refused request with
//! `{"error": {"code": <code>, "message": <text>}}`; the browser module maps the same codes and
//! reads such answers with [`ErrorReply`].

use serde::{Deserialize, Serialize};

/// Stable, machine-readable reason for a refused request. The string form never changes once
/// released; new codes may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The body is not valid JSON/form data, or a field has the wrong type.
    MalformedRequest,
    /// A required field is missing.
    MissingField,
    /// The request has no body where the file's bytes were expected.
    EmptyBody,
    /// A field has a value out of its allowed range.
    InvalidField,
    /// No `apikey`/`key` was given.
    MissingApiKey,
    /// The API key names no app on this server.
    InvalidApiKey,
    /// The app requires a policy and signature and none was given.
    SecurityRequired,
    /// The signature does not match the policy.
    InvalidSignature,
    /// The policy cannot be decoded or has an invalid field.
    InvalidPolicy,
    /// The policy's `expiry` has passed.
    PolicyExpired,
    /// The policy does not allow this call, size, path, container or handle.
    PolicyDenied,
    /// The upload id is unknown, or belongs to another app, or has completed.
    UnknownUpload,
    /// The upload session expired.
    UploadExpired,
    /// A part or chunk's bytes do not match the `md5` declared for them.
    Md5Mismatch,
    /// A body was larger or smaller than declared.
    SizeMismatch,
    /// A part number, offset or size is out of range.
    PartOutOfRange,
    /// A part named at complete was never uploaded, or its ETag differs.
    PartMissing,
    /// The parts do not add up to the declared file size.
    IncompleteUpload,
    /// The part upload URL is invalid, expired or was tampered with.
    InvalidUploadUrl,
    /// A call of an upload reached an instance that is not of the edge holding its bytes.
    WrongEdge,
    /// Upload tags break the tag rules.
    InvalidTags,
    /// A filename or storage path is unsafe (traversal, control characters, too long).
    InvalidPath,
    /// The file is larger than the server accepts.
    PayloadTooLarge,
    /// No file has this handle.
    FileNotFound,
    /// The requested byte range cannot be served.
    RangeNotSatisfiable,
    /// The URL to fetch is not allowed (scheme, private address, ...).
    UrlNotAllowed,
    /// The URL to fetch could not be fetched.
    UrlFetchFailed,
    /// The storage location is not supported by this server.
    UnsupportedLocation,
    /// Unsupported media type for this endpoint.
    UnsupportedMediaType,
    /// The cloud source is not one this server offers to this app.
    UnknownSource,
    /// No such file or folder in the cloud source.
    SourceItemNotFound,
    /// The cloud source asked to slow down (429, with `Retry-After` when it said).
    SourceRateLimited,
    /// The cloud source failed or refused the server (502).
    SourceFailed,
    /// No cloud import with this id is tracked for this app.
    UnknownImport,
    /// The picker session has no connection to this cloud source (never made, ended at the
    /// provider, or revoked): connect again (401).
    SourceNotConnected,
    /// The cloud source refused the request for a reason of its own (424).
    SourceRefused,
    /// The Cloud API `token` is unknown, expired or another app's (401).
    InvalidSession,
    /// No sign-in flow with this id belongs to the session (404). (The sign-in pages themselves
    /// answer people in HTML: expired, used or unbound flows are named there.)
    UnknownAuthFlow,
    /// An origin or `appurl` is not among the app's `allowed_origins` (403).
    OriginNotAllowed,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// No such endpoint.
    NotFound,
    /// The request took too long.
    Timeout,
    /// The server's database is unreachable for now (down, restarting, out of connections):
    /// 503 with `Retry-After`; the same request may be sent again.
    StateUnavailable,
    /// The server's file storage is unreachable for now (an S3 outage): 503 with `Retry-After`;
    /// the same request may be sent again.
    StorageUnavailable,
    /// Something failed inside the server; details are in its log.
    Internal,
}

impl ErrorCode {
    /// The stable string form, as sent on the wire.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            MalformedRequest => "malformed_request",
            MissingField => "missing_field",
            EmptyBody => "empty_body",
            InvalidField => "invalid_field",
            MissingApiKey => "missing_api_key",
            InvalidApiKey => "invalid_api_key",
            SecurityRequired => "security_required",
            InvalidSignature => "invalid_signature",
            InvalidPolicy => "invalid_policy",
            PolicyExpired => "policy_expired",
            PolicyDenied => "policy_denied",
            UnknownUpload => "unknown_upload",
            UploadExpired => "upload_expired",
            Md5Mismatch => "md5_mismatch",
            SizeMismatch => "size_mismatch",
            PartOutOfRange => "part_out_of_range",
            PartMissing => "part_missing",
            IncompleteUpload => "incomplete_upload",
            InvalidUploadUrl => "invalid_upload_url",
            WrongEdge => "wrong_edge",
            InvalidTags => "invalid_tags",
            InvalidPath => "invalid_path",
            PayloadTooLarge => "payload_too_large",
            FileNotFound => "file_not_found",
            RangeNotSatisfiable => "range_not_satisfiable",
            UrlNotAllowed => "url_not_allowed",
            UrlFetchFailed => "url_fetch_failed",
            UnsupportedLocation => "unsupported_location",
            UnsupportedMediaType => "unsupported_media_type",
            UnknownSource => "unknown_source",
            SourceItemNotFound => "source_item_not_found",
            SourceRateLimited => "source_rate_limited",
            SourceFailed => "source_failed",
            UnknownImport => "unknown_import",
            SourceNotConnected => "source_not_connected",
            SourceRefused => "source_refused",
            InvalidSession => "invalid_session",
            UnknownAuthFlow => "unknown_auth_flow",
            OriginNotAllowed => "origin_not_allowed",
            MethodNotAllowed => "method_not_allowed",
            NotFound => "not_found",
            Timeout => "timeout",
            StateUnavailable => "state_unavailable",
            StorageUnavailable => "storage_unavailable",
            Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The JSON body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error itself.
    pub error: ErrorDetail,
}

/// Code and human message of an error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable code.
    pub code: ErrorCode,
    /// Human-readable explanation naming the problem.
    pub message: String,
}

/// What an error answer says, as a client reads it: the code and message of
/// `{"error": {"code", "message"}}`, a bare `{"message": …}`, or the body's own text (a proxy's
/// "Bad Gateway", an HTML page).
///
/// Read from a JSON value rather than as [`ErrorBody`]: an answer may come from another
/// Filestack-compatible server or a proxy, with codes this crate does not know or no JSON at
/// all, and the browser module links the JSON value reader anyway.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorReply {
    /// The code the server named (`error.code`), kept as text: another server may name one
    /// that [`ErrorCode`] does not list.
    pub code: Option<String>,
    /// The server's message (`error.message`, else `message`), else the body's text trimmed
    /// to [`ErrorReply::TEXT_LIMIT`] characters; none for an empty body.
    pub detail: Option<String>,
}

impl ErrorReply {
    /// How much of a body that is not an error object is kept: enough for a proxy's one-line
    /// reason, not a whole HTML page.
    pub const TEXT_LIMIT: usize = 200;

    /// Reads the body of a refused request; never fails.
    pub fn parse(body: &str) -> Self {
        let json = serde_json::from_str::<serde_json::Value>(body).ok();
        let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        let (code, message) = match &json {
            Some(v) => (
                text(&v["error"]["code"]),
                text(&v["error"]["message"]).or_else(|| text(&v["message"])),
            ),
            None => (None, None),
        };
        let detail = message.or_else(|| {
            let t = body.trim();
            (!t.is_empty()).then(|| t.chars().take(Self::TEXT_LIMIT).collect())
        });
        Self { code, detail }
    }

    /// `HTTP <status> (<code>): <detail>`, leaving out what the answer did not say; callers
    /// put the failed request in front.
    pub fn describe(&self, status: u16) -> String {
        let mut out = format!("HTTP {status}");
        if let Some(code) = &self.code {
            out.push_str(&format!(" ({code})"));
        }
        if let Some(detail) = &self.detail {
            out.push_str(&format!(": {detail}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_replies_of_every_shape() {
        let r = ErrorReply::parse(r#"{"error":{"code":"md5_mismatch","message":"bytes differ"}}"#);
        assert_eq!(r.describe(400), "HTTP 400 (md5_mismatch): bytes differ");
        assert_eq!(r.code.as_deref(), Some(ErrorCode::Md5Mismatch.as_str()));
        let r = ErrorReply::parse(r#"{"message":"slow down"}"#);
        assert_eq!(r.describe(429), "HTTP 429: slow down");
        assert_eq!(r.code, None);
        let r = ErrorReply::parse(r#"{"error":{"code":"quota_exceeded"}}"#);
        assert_eq!(
            r.describe(403),
            r#"HTTP 403 (quota_exceeded): {"error":{"code":"quota_exceeded"}}"#,
            "an unknown code is kept; the body stands in for a missing message"
        );
        assert_eq!(
            ErrorReply::parse(" Bad Gateway\n").describe(502),
            "HTTP 502: Bad Gateway"
        );
        assert_eq!(ErrorReply::parse("").describe(500), "HTTP 500");
        let page = "x".repeat(500);
        let r = ErrorReply::parse(&page);
        assert_eq!(r.detail.unwrap().len(), ErrorReply::TEXT_LIMIT);
    }

    #[test]
    fn as_str_matches_serde() {
        for code in [
            ErrorCode::Md5Mismatch,
            ErrorCode::InvalidTags,
            ErrorCode::UnknownUpload,
            ErrorCode::StateUnavailable,
            ErrorCode::StorageUnavailable,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
