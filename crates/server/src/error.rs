//! API errors: one enum, each variant mapped to an HTTP status and a JSON body
//! `{"error": "not_found", "message": "..."}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rightstat_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("sign in first")]
    Unauthenticated,
    /// What the public may not ask, said why: sign in to ask it (401).
    #[error("{0}")]
    NeedsSignIn(String),
    #[error("invalid, expired or revoked API token")]
    BadToken,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("the file has errors; nothing was imported")]
    Unprocessable(serde_json::Value),
    /// A format the client asks for that this service does not write (406).
    #[error("{0}")]
    NotAcceptable(String),
    /// A body that parses but that the data refuse (a date that is no date, a code that
    /// names nothing, an incomplete term): 422, the message says why, nothing changed.
    #[error("{0}")]
    Refused(String),
    /// An answer larger than one response may be: 413, the message says how to narrow it.
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rightstat_portal::PortalError> for ApiError {
    fn from(e: rightstat_portal::PortalError) -> ApiError {
        use rightstat_portal::PortalError;
        match e {
            PortalError::Store(e) => ApiError::Store(e),
            PortalError::TooLarge { .. } => ApiError::TooLarge(e.to_string()),
            // Releases kept coming while the figures were read: asked again shortly, it works.
            PortalError::Stale => ApiError::Store(StoreError::Busy("public figures are being released: try again shortly".into())),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl ApiError {
    /// A store error on a request's body: what the store refuses as invalid is the body's
    /// content refused (422), anything else as it is.
    pub fn refused(e: StoreError) -> ApiError {
        match e {
            StoreError::Invalid(m) => ApiError::Refused(m),
            other => ApiError::Store(other),
        }
    }
}

/// Seconds a client is asked to wait before it tries again after a 503 (the store refuses an
/// import only when its expected wait is longer: `rightstat_store::writers::MAX_EXPECTED_WAIT`).
pub const RETRY_AFTER_SECS: u64 = 5;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Store(e) = &self
            && e.is_overloaded()
        {
            tracing::warn!(error = %self, "overloaded: asked the client to retry");
            let message = match e {
                StoreError::Busy(m) => m.clone(),
                _ => "the database is busy with other requests; nothing was done: try again shortly".to_string(),
            };
            let body = serde_json::json!({ "error": "busy", "message": message });
            return (StatusCode::SERVICE_UNAVAILABLE, [(axum::http::header::RETRY_AFTER, RETRY_AFTER_SECS.to_string())], Json(body))
                .into_response();
        }
        let (status, code) = match &self {
            ApiError::BadRequest(_) | ApiError::Store(StoreError::Invalid(_)) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::NotFound(_) | ApiError::Store(StoreError::NotFound(_)) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Unauthenticated | ApiError::BadToken | ApiError::NeedsSignIn(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::Refused(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_data"),
            ApiError::NotAcceptable(_) => (StatusCode::NOT_ACCEPTABLE, "not_acceptable"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::Unprocessable(report) => {
                let body = serde_json::json!({ "error": "invalid_data", "message": self.to_string(), "report": report });
                return (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
            }
            ApiError::Store(e) if e.is_disk_full() => {
                tracing::error!(error = %self, "the disk is full");
                let body = serde_json::json!({
                    "error": "insufficient_storage",
                    "message": "the server's disk is full: nothing was saved; try again once its administrators have made room",
                });
                return (StatusCode::INSUFFICIENT_STORAGE, Json(body)).into_response();
            }
            ApiError::Store(_) | ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            // Database details stay in the log, not in the response.
            tracing::error!(error = %self, "request failed");
            "internal error".to_string()
        } else {
            self.to_string()
        };
        (status, Json(serde_json::json!({ "error": code, "message": message }))).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overload_is_503_with_retry_after_never_500() {
        for e in [StoreError::Busy("32 imports are waiting".into())] {
            let r = ApiError::Store(e).into_response();
            assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(r.headers().get(axum::http::header::RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("5"));
        }
        assert_eq!(ApiError::Store(StoreError::Corrupt("x".into())).into_response().status(), StatusCode::INTERNAL_SERVER_ERROR);
        // A client is refused only when waiting would take longer than coming back.
        assert_eq!(RETRY_AFTER_SECS, rightstat_store::writers::MAX_EXPECTED_WAIT.as_secs());
    }
}
