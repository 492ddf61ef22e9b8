//! Who is calling: the bearer token checked, and the core caller resolved against the directory.
//!
//! Actions are authorized by entitle-core. Reads, creation and deletion are not part of the core's
//! lifecycle; their permission checks here follow Microsoft's permission tables (decision D15).

use axum::http::{HeaderMap, header};
use entitle_auth::Identity;
use entitle_core::{Caller, Permission, Principal, Role, Roles, SubjectId};
use entitle_graph::AssignmentRequest;
use entitle_graph::RequestType;
use entitle_store::Directory;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The caller's identity from the `Authorization` header.
///
/// # Errors
/// `401 unauthenticated` when the token is missing or invalid.
pub fn identify(state: &AppState, headers: &HeaderMap) -> Result<Identity, ApiError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    state
        .verifier
        .verify(authorization)
        .map_err(|error| ApiError::new(ErrorCode::Unauthenticated, error.to_string()))
}

/// The core caller for `identity` acting on `record`: its token's permissions and directory roles, its
/// catalog roles for the request's access package, and `Approver` when it may decide the current stage.
pub fn caller_for(
    identity: &Identity,
    directory: &Directory,
    record: &AssignmentRequest,
) -> Caller {
    identity.caller(directory.current_roles(identity.id, record))
}

fn denied(what: &str) -> ApiError {
    ApiError::new(ErrorCode::AccessDenied, format!("not authorized to {what}"))
}

fn has(identity: &Identity, permission: Permission) -> bool {
    identity.permissions.contains(permission)
}

/// Reading any request: `EntitlementManagement.Read.All` or `ReadWrite.All`, delegated or application.
///
/// # Errors
/// `403 accessDenied`.
pub fn may_read_all(identity: &Identity) -> Result<(), ApiError> {
    let allowed = identity.principal != Principal::PersonalAccount
        && (has(identity, Permission::ReadAll) || has(identity, Permission::ReadWriteAll));
    if allowed {
        Ok(())
    } else {
        Err(denied("read assignment requests"))
    }
}

/// Reading one request: as [`may_read_all`], or its requestor or target with
/// `EntitlementMgmt-SubjectAccess.ReadWrite`.
///
/// # Errors
/// `403 accessDenied`.
pub fn may_read(identity: &Identity, record: &AssignmentRequest) -> Result<(), ApiError> {
    let own = identity.principal == Principal::WorkOrSchoolUser
        && has(identity, Permission::SubjectAccessReadWrite)
        && (record.request.requestor == identity.id || record.target_id == identity.id);
    if own { Ok(()) } else { may_read_all(identity) }
}

/// `filterByCurrentUser`: delegated work or school users with any entitlement-management permission.
///
/// # Errors
/// `403 accessDenied`.
pub fn may_filter_by_current_user(identity: &Identity) -> Result<(), ApiError> {
    let allowed = identity.principal == Principal::WorkOrSchoolUser
        && identity.permissions.iter().next().is_some();
    if allowed {
        Ok(())
    } else {
        Err(denied("filter requests by the current user"))
    }
}

/// Creating a request. `userAdd` is a work or school user asking for themselves, with
/// `SubjectAccess.ReadWrite` or `ReadWrite.All`. `adminAdd` assigns someone: an application with
/// `ReadWrite.All`, or a user with `ReadWrite.All` holding an administrator role (`roles`: their
/// catalog roles for the package and their directory roles). Personal accounts are refused.
///
/// # Errors
/// `403 accessDenied`.
pub fn may_create(
    identity: &Identity,
    request_type: RequestType,
    target: SubjectId,
    roles: Roles,
) -> Result<(), ApiError> {
    let user = identity.principal == Principal::WorkOrSchoolUser;
    let allowed = match request_type {
        RequestType::UserAdd => {
            user && target == identity.id
                && (has(identity, Permission::SubjectAccessReadWrite)
                    || has(identity, Permission::ReadWriteAll))
        }
        RequestType::AdminAdd => match identity.principal {
            Principal::Application => has(identity, Permission::ReadWriteAll),
            Principal::WorkOrSchoolUser => {
                has(identity, Permission::ReadWriteAll)
                    && Role::ADMINISTRATOR.iter().any(|role| roles.contains(*role))
            }
            Principal::PersonalAccount | Principal::System => false,
        },
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(denied("create this assignment request"))
    }
}

/// Deleting a request: `ReadWrite.All`, delegated (work or school) or application.
///
/// # Errors
/// `403 accessDenied`.
pub fn may_delete(identity: &Identity) -> Result<(), ApiError> {
    let allowed = matches!(
        identity.principal,
        Principal::WorkOrSchoolUser | Principal::Application
    ) && has(identity, Permission::ReadWriteAll);
    if allowed {
        Ok(())
    } else {
        Err(denied("delete assignment requests"))
    }
}
