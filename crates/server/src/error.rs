//! The one error type at the HTTP edge. Every refusal is `{"error": {"code", "message"}}` with a
//! precise 4xx for bad input, a 503 to retry while the database is away, and a generic 500 for
//! internal faults (details go to the log only).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use skiff_protocol::error::{ErrorBody, ErrorDetail};
use skiff_protocol::{ErrorCode, PolicyError, TagError};

/// An error answer: status, stable code and a message naming the problem.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code.
    pub code: ErrorCode,
    /// Human message (never internals).
    pub message: String,
    /// Seconds a client should wait before trying again (`Retry-After`), when known.
    pub retry_after: Option<u64>,
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A refusal with an explicit status.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 with `code`.
    pub fn bad(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 400 `missing_field`.
    pub fn missing(field: &str) -> Self {
        Self::bad(
            ErrorCode::MissingField,
            format!("the field `{field}` is required"),
        )
    }

    /// 400 `invalid_field`.
    pub fn invalid(field: &str, why: impl std::fmt::Display) -> Self {
        Self::bad(
            ErrorCode::InvalidField,
            format!("the field `{field}` {why}"),
        )
    }

    /// 404 `file_not_found`.
    pub fn no_file(handle: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::FileNotFound,
            format!("no file has the handle {handle:?}"),
        )
    }

    /// 500 `internal`; the cause is logged here, never sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "the server failed to handle the request; see its log",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
            },
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        resp
    }
}

impl From<TagError> for ApiError {
    fn from(e: TagError) -> Self {
        Self::bad(ErrorCode::InvalidTags, e.to_string())
    }
}

impl From<PolicyError> for ApiError {
    fn from(e: PolicyError) -> Self {
        let code = match e {
            PolicyError::BadSignature => ErrorCode::InvalidSignature,
            PolicyError::Malformed { .. } => ErrorCode::InvalidPolicy,
            PolicyError::Expired { .. } => ErrorCode::PolicyExpired,
            _ => ErrorCode::PolicyDenied,
        };
        Self::new(StatusCode::FORBIDDEN, code, e.to_string())
    }
}

impl From<crate::storage::StorageError> for ApiError {
    fn from(e: crate::storage::StorageError) -> Self {
        use crate::storage::StorageError as S;
        match e {
            S::Md5Mismatch { expected, actual } => Self::bad(
                ErrorCode::Md5Mismatch,
                format!(
                    "the bytes received have MD5 {actual} but the request declared {expected}; nothing was stored"
                ),
            ),
            S::SizeMismatch { expected, actual } => Self::bad(
                ErrorCode::SizeMismatch,
                format!(
                    "{actual} bytes were received but {expected} were declared; nothing was stored"
                ),
            ),
            S::TooLarge { limit } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                format!("the body is larger than the {limit} bytes allowed; nothing was stored"),
            ),
            S::NotFound { .. } => Self::new(
                StatusCode::NOT_FOUND,
                ErrorCode::FileNotFound,
                "the file's bytes are gone",
            ),
            S::Body { cause } => Self::bad(
                ErrorCode::MalformedRequest,
                format!("reading the request body failed: {cause}"),
            ),
            // An outage of the storage (S3 down or failing): a 503 clients retry, never a 500.
            S::Unavailable { .. } => {
                tracing::warn!(cause = %e, "storage unavailable");
                Self {
                    retry_after: Some(5),
                    ..Self::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        ErrorCode::StorageUnavailable,
                        "the file storage cannot be reached just now; try again shortly",
                    )
                }
            }
            S::Refused { what, cause } => Self::bad(
                ErrorCode::PartMissing,
                format!("the storage refused the upload's parts ({what}): {cause}"),
            ),
            S::Io { .. } => Self::internal(e),
        }
    }
}

impl From<crate::cloud::SourceError> for ApiError {
    /// As Companion maps provider answers: a rate limit stays a 429 (with `Retry-After`), a
    /// source that fails or refuses the server is a 502 (the server's upstream failed, not the
    /// request), a missing item a 404, a connection the provider no longer honours a 401 (sign
    /// in again), any other refusal of the provider's a 424.
    fn from(e: crate::cloud::SourceError) -> Self {
        use crate::cloud::SourceError as S;
        let message = e.to_string();
        match e {
            S::NotFound(_) => Self::new(
                StatusCode::NOT_FOUND,
                ErrorCode::SourceItemNotFound,
                message,
            ),
            S::WrongKind(_) => Self::bad(ErrorCode::InvalidField, message),
            S::RateLimited { retry_after } => Self {
                retry_after,
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorCode::SourceRateLimited,
                    message,
                )
            },
            S::NotConnected(_) => Self::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::SourceNotConnected,
                message,
            ),
            S::Refused(_) => Self::new(
                StatusCode::FAILED_DEPENDENCY,
                ErrorCode::SourceRefused,
                message,
            ),
            _ => Self::new(StatusCode::BAD_GATEWAY, ErrorCode::SourceFailed, message),
        }
    }
}

/// What a client is told to wait before retrying while the database is away: a restart takes
/// seconds, and clients back off further on their own.
const STATE_RETRY_AFTER_SECS: u64 = 2;

impl From<crate::state::StateError> for ApiError {
    /// An unreachable database is an outage, not a fault of this request or of the server's
    /// code: 503 `state_unavailable` with `Retry-After`, which clients retry. The cause goes to
    /// the log only. Anything else is a 500.
    fn from(e: crate::state::StateError) -> Self {
        match e {
            crate::state::StateError::Unavailable { cause } => {
                tracing::warn!(%cause, "database unavailable");
                Self {
                    retry_after: Some(STATE_RETRY_AFTER_SECS),
                    ..Self::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        ErrorCode::StateUnavailable,
                        "the server's database is unavailable for now; try again shortly",
                    )
                }
            }
            other => Self::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::StateError;

    #[test]
    fn an_unreachable_database_is_a_503_to_retry() {
        let e = ApiError::from(StateError::Unavailable {
            cause: "connection refused".into(),
        });
        assert_eq!(
            (e.status, e.code, e.retry_after),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::StateUnavailable,
                Some(2)
            )
        );
        assert!(!e.message.contains("refused"), "{}", e.message);
        let resp = e.into_response();
        assert_eq!(resp.headers()[axum::http::header::RETRY_AFTER], "2");
        let e = ApiError::from(StateError::Db("syntax error".into()));
        assert_eq!(
            (e.status, e.code),
            (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
        );
    }
}
