//! Who is calling: the bearer token checked, the core caller resolved against the directory, and
//! entitle-core's authorization asked. Nothing is decided here.

use axum::http::{HeaderMap, header};
use entitle_auth::{AuthError, Identity, single_credential};
use entitle_core::{
    Caller, NotAdmitted, Operation, Parties, RequestType, SubjectId, admit, authorize,
};
use entitle_store::{AssignmentPolicy, Directory, ExternalSubject, RequestRecord};

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The one `Authorization` value of a request (a value that is not text counts as empty).
///
/// # Errors
/// [`AuthError::RepeatedCredential`] for several.
pub fn authorization(headers: &HeaderMap) -> Result<Option<&str>, AuthError> {
    single_credential(
        headers
            .get_all(header::AUTHORIZATION)
            .iter()
            .map(|value| value.to_str().unwrap_or_default()),
    )
}

/// The caller's identity from the `Authorization` header.
///
/// # Errors
/// `400 invalidRequest` for more than one credential; `401 unauthenticated` when the token is
/// missing or invalid.
pub fn identify(state: &AppState, headers: &HeaderMap) -> Result<Identity, ApiError> {
    authorization(headers)
        .and_then(|authorization| state.verifier.verify(authorization))
        .map_err(|error| {
            let code = if error.is_invalid_request() {
                ErrorCode::InvalidRequest
            } else {
                ErrorCode::Unauthenticated
            };
            ApiError::new(code, error.to_string())
        })
        .inspect(|identity| {
            // The request's span names who called, by object id (never the token).
            tracing::Span::current().record("caller", tracing::field::display(identity.id));
        })
}

/// The core caller for `identity` acting in access package `package_id` under policy `policy_id`, on
/// a request for `target`: its token's permissions and directory roles, its roles in the package's
/// catalog, and the stages of the policy it approves for that target.
pub fn caller_in(
    identity: &Identity,
    directory: &Directory,
    package_id: &str,
    policy_id: &str,
    target: Option<SubjectId>,
) -> Caller {
    let mut caller = identity.caller(directory.catalog_roles(identity.id, package_id));
    caller.approver_of = directory.approver_of(policy_id, identity.id, target);
    caller
}

/// Asks entitle-core whether `policy` admits a request of `kind` for `target` (`external` when not
/// in the directory yet) submitted by `submitter`: its requestor settings and target scope, over
/// the directory's facts about the target (D29).
///
/// # Errors
/// The core's [`NotAdmitted`] reason.
pub fn admission(
    directory: &Directory,
    policy: &AssignmentPolicy,
    kind: RequestType,
    target: SubjectId,
    external: Option<&ExternalSubject>,
    submitter: SubjectId,
) -> Result<(), NotAdmitted> {
    let facts = directory.target_facts(&policy.id, target, external);
    admit(kind, &policy.requestors, facts, target != submitter)
}

/// The core caller for `identity` acting on the request of `record`.
pub fn caller_for(identity: &Identity, directory: &Directory, record: &RequestRecord) -> Caller {
    caller_in(
        identity,
        directory,
        &record.access_package_id,
        &record.assignment_policy_id,
        Some(record.request.target),
    )
}

/// The core caller for `identity` with its token alone: for operations that concern no request.
pub fn caller_alone(identity: &Identity) -> Caller {
    identity.caller(entitle_core::Roles::NONE)
}

/// Asks entitle-core whether `caller` may perform `operation` on a request concerning `parties`.
///
/// # Errors
/// `403 accessDenied` with the core's reason.
pub fn authorized(operation: Operation, caller: &Caller, parties: Parties) -> Result<(), ApiError> {
    authorize(operation, caller, parties)
        .map(|_| ())
        .map_err(|denial| {
            ApiError::new(
                ErrorCode::AccessDenied,
                format!("not authorized to `{operation}`: {denial}"),
            )
        })
}

/// Asks entitle-core whether `identity` may perform `operation` on the request of `record`.
///
/// # Errors
/// `403 accessDenied` with the core's reason.
pub fn authorized_on(
    operation: Operation,
    identity: &Identity,
    directory: &Directory,
    record: &RequestRecord,
) -> Result<(), ApiError> {
    authorized(
        operation,
        &caller_for(identity, directory, record),
        record.request.parties(),
    )
}
