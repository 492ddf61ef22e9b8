//! Every error the server answers, as a Graph error envelope: one list of codes, each with its
//! HTTP status and whether Microsoft documents the code or entitle chose it. `docs/errors.md` is
//! generated from [`ErrorCode::VARIANTS`].

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entitle_core::{
    ActionKind, AssignmentRejection, CreateError, DeleteRefusal, Operation, Rejection,
    StageRejection,
};
use entitle_graph::tenant::BodyError;
use entitle_store::{CreateFailure, StoreError, TransitionError};
use strum::VariantArray;

/// An error code the server answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, VariantArray)]
pub enum ErrorCode {
    /// Malformed input: an id that is not a GUID, bad JSON, an unknown filter, a wrong cancel body.
    InvalidRequest,
    /// A body property its type does not define.
    RequestBodyRead,
    /// No valid bearer token.
    Unauthenticated,
    /// The caller may not do this; nothing about the request's state is revealed.
    AccessDenied,
    /// No such request, approval, stage or route.
    ItemNotFound,
    /// The route exists but not with this method.
    NotSupported,
    /// Cancel of a request whose status is not cancelable (including a second cancel).
    RequestNotCancelable,
    /// Another action the request's status does not allow, or whose condition does not hold yet.
    ActionNotAllowed,
    /// The approval stage was already decided.
    StageAlreadyReviewed,
    /// Concurrent writers kept changing the request; nothing was applied. Retry.
    ResourceModified,
    /// The body is larger than the server accepts.
    PayloadTooLarge,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// The client sent too many requests; wait for `Retry-After`.
    ActivityLimitReached,
    /// The server could not reach its storage, or is handling too many requests at once.
    ServiceNotAvailable,
    /// An unexpected server failure.
    GeneralException,
}

impl ErrorCode {
    /// The `error.code` string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalidRequest",
            Self::RequestBodyRead => "RequestBodyRead",
            Self::Unauthenticated => "unauthenticated",
            Self::AccessDenied => "accessDenied",
            Self::ItemNotFound => "itemNotFound",
            Self::NotSupported => "notSupported",
            Self::RequestNotCancelable => "requestNotCancelable",
            Self::ActionNotAllowed => "actionNotAllowed",
            Self::StageAlreadyReviewed => "stageAlreadyReviewed",
            Self::ResourceModified => "resourceModified",
            Self::PayloadTooLarge => "payloadTooLarge",
            Self::UnsupportedMediaType => "unsupportedMediaType",
            Self::ActivityLimitReached => "activityLimitReached",
            Self::ServiceNotAvailable => "serviceNotAvailable",
            Self::GeneralException => "generalException",
        }
    }

    /// The HTTP status answered with this code.
    pub const fn status(self) -> StatusCode {
        match self {
            Self::InvalidRequest | Self::RequestBodyRead => StatusCode::BAD_REQUEST,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::AccessDenied => StatusCode::FORBIDDEN,
            Self::ItemNotFound => StatusCode::NOT_FOUND,
            Self::NotSupported => StatusCode::METHOD_NOT_ALLOWED,
            Self::RequestNotCancelable
            | Self::ActionNotAllowed
            | Self::StageAlreadyReviewed
            | Self::ResourceModified => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::ActivityLimitReached => StatusCode::TOO_MANY_REQUESTS,
            Self::ServiceNotAvailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::GeneralException => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Whether Microsoft's error documentation lists this code (otherwise entitle chose it).
    pub const fn is_documented(self) -> bool {
        matches!(
            self,
            Self::InvalidRequest
                | Self::Unauthenticated
                | Self::AccessDenied
                | Self::ItemNotFound
                | Self::NotSupported
                | Self::ResourceModified
                | Self::ActivityLimitReached
                | Self::ServiceNotAvailable
                | Self::GeneralException
        )
    }

    /// When the server answers with this code, for docs/errors.md.
    pub const fn when(self) -> &'static str {
        match self {
            Self::InvalidRequest => {
                "Malformed input: an id that is not a GUID, malformed JSON (or an array where an object belongs), an unknown `$filter`, an empty `$select` or `$expand` item, a beta cancel body whose `id` or `requestStatus` is wrong, an unknown `requestType`; a create body with a property of the wrong type, an unknown policy, package or target, an assignment policy of another package, a package with several policies and none named; `GET /me` with an application token. Also the code of a `408`: a request, its body included, not complete within the request timeout."
            }
            Self::RequestBodyRead => {
                "A create body with a property its Graph type does not define (read-only properties a client echoes back are accepted and ignored). Graph's OData layer answers such a body with this code."
            }
            Self::Unauthenticated => {
                "No bearer token, or one whose signature, issuer, audience or lifetime is invalid."
            }
            Self::AccessDenied => {
                "The caller's token and roles do not allow the action; the answer does not depend on the request's status."
            }
            Self::ItemNotFound => {
                "No request, approval, stage, assignment, catalog, access package, policy, user or group with this id (Graph's directory answers `Request_ResourceNotFound` for users and groups; entitle keeps one code, D31); an unknown route."
            }
            Self::NotSupported => "A known route asked with another method.",
            Self::RequestNotCancelable => {
                "`cancel` of a request whose status is not `Accepted`, `PendingApproval`, `PendingNotBefore` or `PendingApprovalEscalated`, including a second cancel. The message names the current status."
            }
            Self::ActionNotAllowed => {
                "Another action (reprocess, delete, approve, deny, a control-API event) that the request's status does not allow, or whose condition does not hold yet; a review of a stage not started yet; a change or removal of an assignment whose state does not allow it."
            }
            Self::StageAlreadyReviewed => {
                "A review of an approval stage that was already reviewed (Microsoft documents `409 Conflict` for this case, not the code)."
            }
            Self::ResourceModified => {
                "Concurrent writers kept changing the request and the store gave up; nothing was applied."
            }
            Self::PayloadTooLarge => "A request body over the server's limit.",
            Self::UnsupportedMediaType => "A non-empty body that is not `application/json`.",
            Self::ActivityLimitReached => {
                "Too many requests from one client (its token's `oid`, else its address); `Retry-After` says when to retry."
            }
            Self::ServiceNotAvailable => {
                "The database cannot be reached, is full or is read-only (D35), or the server is handling too many requests at once; always with `Retry-After`; retry later."
            }
            Self::GeneralException => {
                "An unexpected failure, or stored data entitle refuses to decide on (corrupt or of another version); retrying does not help. The server's log has the details."
            }
        }
    }
}

/// An error answer: a code and a message. The request-id, client-request-id and date are added by
/// the envelope middleware.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The code.
    pub code: ErrorCode,
    /// The message (lowercase, values in backticks).
    pub message: String,
    /// Seconds a client should wait before retrying, answered as `Retry-After`.
    pub retry_after: Option<u64>,
}

/// `Retry-After` of a `503` answered because the database is unreachable, full or read-only, in
/// seconds (D35).
pub const STORE_RETRY_AFTER: u64 = 1;

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// This error, answered with `Retry-After: seconds`.
    #[must_use]
    pub const fn retrying_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// `400 invalidRequest` with `message`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    /// The answer to an operation the core or the store refused.
    pub fn from_transition(operation: Operation, error: TransitionError) -> Self {
        match error {
            TransitionError::NotFound(id) => {
                Self::new(ErrorCode::ItemNotFound, format!("request `{id}` not found"))
            }
            TransitionError::Rejected(rejection) => Self::from_rejection(operation, &rejection),
            TransitionError::Store(error) => Self::from(error),
        }
    }

    /// The answer to a refusal by the core. A denial never names the request's status.
    pub fn from_rejection(operation: Operation, rejection: &Rejection) -> Self {
        let message = rejection.to_string();
        let code = match rejection {
            Rejection::Unauthorized(denial) => {
                return Self::new(
                    ErrorCode::AccessDenied,
                    format!("not authorized to `{operation}`: {denial}"),
                );
            }
            Rejection::NotAllowed { .. } if operation == Operation::Act(ActionKind::Cancel) => {
                ErrorCode::RequestNotCancelable
            }
            Rejection::Stage(StageRejection::AlreadyReviewed { .. }) => {
                ErrorCode::StageAlreadyReviewed
            }
            Rejection::Stage(
                StageRejection::NotAssigned { .. } | StageRejection::NotEscalated { .. },
            ) => ErrorCode::AccessDenied,
            Rejection::Stage(StageRejection::NoSuchStage { .. }) => ErrorCode::ItemNotFound,
            Rejection::NotAllowed { .. }
            | Rejection::ConditionNotMet { .. }
            | Rejection::Stage(StageRejection::NotStarted { .. })
            | Rejection::Assignment(_)
            | Rejection::NotDeletable { .. } => ErrorCode::ActionNotAllowed,
        };
        Self::new(code, message)
    }
}

impl From<BodyError> for ApiError {
    fn from(error: BodyError) -> Self {
        let code = match &error {
            BodyError::UnknownProperty { .. } => ErrorCode::RequestBodyRead,
            BodyError::NotAnObject | BodyError::Invalid { .. } | BodyError::IdMismatch { .. } => {
                ErrorCode::InvalidRequest
            }
        };
        Self::new(code, error.to_string())
    }
}

impl From<DeleteRefusal> for ApiError {
    fn from(refusal: DeleteRefusal) -> Self {
        Self::new(ErrorCode::ActionNotAllowed, refusal.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Contended(_) | StoreError::DirectoryChanged => {
                Self::new(ErrorCode::ResourceModified, error.to_string())
            }
            StoreError::Duplicate(_) | StoreError::Directory(_) => {
                Self::new(ErrorCode::InvalidRequest, error.to_string())
            }
            // D35: an unreachable, full or read-only database is transient; the client retries.
            StoreError::Unavailable { .. } => {
                tracing::error!(error = %error, source = ?std::error::Error::source(&error), "store unavailable");
                Self::new(
                    ErrorCode::ServiceNotAvailable,
                    "the store is not available; retry later",
                )
                .retrying_after(STORE_RETRY_AFTER)
            }
            StoreError::Corrupt { .. } | StoreError::Config(_) => {
                tracing::error!(%error, "store refused its data");
                Self::new(
                    ErrorCode::GeneralException,
                    "the stored data cannot be used; the server's log has the details",
                )
            }
        }
    }
}

impl From<CreateFailure> for ApiError {
    fn from(failure: CreateFailure) -> Self {
        match failure {
            CreateFailure::Store(error) => Self::from(error),
            CreateFailure::Refused(refusal) => {
                let message = refusal.to_string();
                let code = match refusal {
                    CreateError::Unauthorized(_) => ErrorCode::AccessDenied,
                    CreateError::Assignment(
                        AssignmentRejection::NotAllowed { .. }
                        | AssignmentRejection::ConditionNotMet { .. },
                    ) => ErrorCode::ActionNotAllowed,
                    CreateError::Invalid(_) | CreateError::Assignment(_) => {
                        ErrorCode::InvalidRequest
                    }
                };
                Self::new(code, message)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.code.status().into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(self);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unavailable_store_is_503_with_retry_after() {
        let failure =
            std::io::Error::new(std::io::ErrorKind::StorageFull, "database or disk is full");
        let error = ApiError::from(StoreError::unavailable("SQLite", failure));
        assert_eq!(error.code, ErrorCode::ServiceNotAvailable);
        assert_eq!(error.retry_after, Some(STORE_RETRY_AFTER));
        assert!(!error.message.contains("full"), "{}", error.message);
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers().get(header::RETRY_AFTER),
            Some(&HeaderValue::from(STORE_RETRY_AFTER))
        );
    }

    #[test]
    fn other_errors_have_no_retry_after() {
        let response = ApiError::invalid("bad").into_response();
        assert!(!response.headers().contains_key(header::RETRY_AFTER));
    }
}
