//! Who may perform which action: a pure decision over the caller and the request's requestor.
//!
//! The decision never sees the request's status, so it is made before the status is looked at and a
//! denial reveals nothing about it.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;

use crate::action::ActionKind;
use crate::actor::{Caller, Permission, Principal, Role};
use crate::id::SubjectId;
use crate::provenance::{Decision, Provenance, Source};

/// The rule that authorized an action, recorded with each transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Authority {
    /// The service's own engine.
    System,
    /// The requestor acting on their own request, with this permission.
    OwnRequest(Permission),
    /// An administrator holding this role, with `EntitlementManagement.ReadWrite.All`.
    Administrator(Role),
    /// An assigned approver of the current stage, with `EntitlementManagement.ReadWrite.All`.
    Approver,
    /// An application acting as itself, with `EntitlementManagement.ReadWrite.All`: a custom
    /// extension calling back, or an automation reprocessing a delivery.
    Application,
}

impl Authority {
    /// Where the rule that granted `action` comes from.
    pub const fn provenance(self, action: ActionKind) -> Provenance {
        match (self, action) {
            (Self::OwnRequest(_) | Self::Administrator(_), ActionKind::Cancel) => {
                Provenance::Documented(Source::CancelApi)
            }
            (Self::Approver, _) => Provenance::Documented(Source::ApprovalStageApi),
            (Self::Application, ActionKind::Reprocess) => {
                Provenance::Documented(Source::ReprocessApi)
            }
            (Self::Application, _) => Provenance::Documented(Source::ResumeApi),
            _ => Provenance::Modelled(Decision::ActionAuthority),
        }
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::System => f.write_str("system"),
            Self::OwnRequest(permission) => write!(f, "requestor on own request ({permission})"),
            Self::Administrator(role) => write!(f, "administrator: {role}"),
            Self::Approver => f.write_str("approver of the current stage"),
            Self::Application => f.write_str("application"),
        }
    }
}

/// Why a caller may not perform an action. Never depends on, nor reveals, the request's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
pub enum Denial {
    /// The kind of caller can never perform this action.
    #[error("`{principal}` callers cannot `{action}`")]
    PrincipalNotSupported {
        /// The action asked for.
        action: ActionKind,
        /// The caller's kind.
        principal: Principal,
    },
    /// The call lacks a permission the action needs.
    #[error("`{action}` needs the `{permission}` permission")]
    MissingPermission {
        /// The action asked for.
        action: ActionKind,
        /// The least privileged permission that would do.
        permission: Permission,
    },
    /// The action needs an administrator role on the request's catalog, or the directory role.
    #[error("`{action}` needs one of the roles {roles}", roles = administrator_roles())]
    MissingAdministratorRole {
        /// The action asked for.
        action: ActionKind,
    },
    /// Only an assigned approver of the current stage may decide.
    #[error("`{action}` needs an approver of the current approval stage")]
    NotAnApprover {
        /// The action asked for.
        action: ActionKind,
    },
    /// A requestor may not decide on, or resume, their own request.
    #[error("a requestor cannot `{action}` their own request")]
    OwnRequest {
        /// The action asked for.
        action: ActionKind,
    },
}

impl Denial {
    /// The action that was refused.
    pub const fn action(self) -> ActionKind {
        match self {
            Self::PrincipalNotSupported { action, .. }
            | Self::MissingPermission { action, .. }
            | Self::MissingAdministratorRole { action }
            | Self::NotAnApprover { action }
            | Self::OwnRequest { action } => action,
        }
    }

    /// Where the rule that refused the action comes from.
    pub const fn provenance(self) -> Provenance {
        match (self, self.action()) {
            (
                Self::OwnRequest { .. }
                | Self::PrincipalNotSupported {
                    principal: Principal::System,
                    ..
                },
                _,
            ) => Provenance::Modelled(Decision::ActionAuthority),
            (_, ActionKind::Cancel) => Provenance::Documented(Source::CancelApi),
            (_, ActionKind::Approve | ActionKind::Deny) => {
                Provenance::Documented(Source::ApprovalStageApi)
            }
            (Self::MissingPermission { .. }, ActionKind::Reprocess) => {
                Provenance::Documented(Source::ReprocessApi)
            }
            (
                Self::MissingPermission { .. },
                ActionKind::ResumeContinue | ActionKind::ResumeDeny | ActionKind::ResumeCancel,
            ) => Provenance::Documented(Source::ResumeApi),
            _ => Provenance::Modelled(Decision::ActionAuthority),
        }
    }
}

/// The administrator roles, least privileged first, as the message of a missing role lists them.
fn administrator_roles() -> String {
    let names: Vec<String> = Role::ADMINISTRATOR
        .iter()
        .map(|role| alloc::format!("`{role}`"))
        .collect();
    names.join(", ")
}

/// Decides whether `caller` may perform `action` on a request submitted by `requestor`.
///
/// # Errors
/// The [`Denial`] naming the first rule the caller fails.
pub fn authorize(
    action: ActionKind,
    caller: &Caller,
    requestor: SubjectId,
) -> Result<Authority, Denial> {
    use ActionKind as A;
    match action {
        A::Process
        | A::Escalate
        | A::Expire
        | A::ReachStart
        | A::Deliver
        | A::DeliverPartially
        | A::FailDelivery => system_only(action, caller),
        A::ResumeContinue | A::ResumeDeny | A::ResumeCancel | A::Reprocess => {
            application_or_administrator(action, caller, requestor)
        }
        A::Approve | A::Deny => approver(action, caller, requestor),
        A::Cancel => cancel(caller, requestor),
    }
}

fn unsupported(action: ActionKind, caller: &Caller) -> Denial {
    Denial::PrincipalNotSupported {
        action,
        principal: caller.principal,
    }
}

fn require(action: ActionKind, caller: &Caller, permission: Permission) -> Result<(), Denial> {
    if caller.permissions.contains(permission) {
        Ok(())
    } else {
        Err(Denial::MissingPermission { action, permission })
    }
}

/// The least privileged administrator role the caller holds, with `ReadWrite.All`.
fn administrator(action: ActionKind, caller: &Caller) -> Result<Authority, Denial> {
    require(action, caller, Permission::ReadWriteAll)?;
    Role::ADMINISTRATOR
        .into_iter()
        .find(|role| caller.roles.contains(*role))
        .map(Authority::Administrator)
        .ok_or(Denial::MissingAdministratorRole { action })
}

fn system_only(action: ActionKind, caller: &Caller) -> Result<Authority, Denial> {
    match caller.principal {
        Principal::System => Ok(Authority::System),
        _ => Err(unsupported(action, caller)),
    }
}

/// `resume` and `reprocess`: an application with `ReadWrite.All` (a custom extension, an automation), or
/// a delegated administrator acting on someone else's request.
fn application_or_administrator(
    action: ActionKind,
    caller: &Caller,
    requestor: SubjectId,
) -> Result<Authority, Denial> {
    match caller.principal {
        Principal::Application => {
            require(action, caller, Permission::ReadWriteAll)?;
            Ok(Authority::Application)
        }
        Principal::WorkOrSchoolUser if caller.id == requestor => Err(Denial::OwnRequest { action }),
        Principal::WorkOrSchoolUser => administrator(action, caller),
        Principal::PersonalAccount | Principal::System => Err(unsupported(action, caller)),
    }
}

fn approver(
    action: ActionKind,
    caller: &Caller,
    requestor: SubjectId,
) -> Result<Authority, Denial> {
    if caller.principal != Principal::WorkOrSchoolUser {
        return Err(unsupported(action, caller));
    }
    require(action, caller, Permission::ReadWriteAll)?;
    if caller.id == requestor {
        return Err(Denial::OwnRequest { action });
    }
    if caller.roles.contains(Role::Approver) {
        Ok(Authority::Approver)
    } else {
        Err(Denial::NotAnApprover { action })
    }
}

fn cancel(caller: &Caller, requestor: SubjectId) -> Result<Authority, Denial> {
    let action = ActionKind::Cancel;
    if caller.principal != Principal::WorkOrSchoolUser {
        return Err(unsupported(action, caller));
    }
    if caller.id != requestor {
        return administrator(action, caller);
    }
    [Permission::SubjectAccessReadWrite, Permission::ReadWriteAll]
        .into_iter()
        .find(|permission| caller.permissions.contains(*permission))
        .map(Authority::OwnRequest)
        .ok_or(Denial::MissingPermission {
            action,
            permission: Permission::SubjectAccessReadWrite,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::Guid;
    use alloc::string::ToString;

    const REQUESTOR: SubjectId = SubjectId::new(Guid::from_u128(1));
    const OTHER: SubjectId = SubjectId::new(Guid::from_u128(2));

    fn user(id: SubjectId) -> Caller {
        Caller::user(id)
    }

    #[test]
    fn requestor_cancels_own_request_with_subject_access_and_no_role() {
        let caller = user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite);
        assert_eq!(
            authorize(ActionKind::Cancel, &caller, REQUESTOR),
            Ok(Authority::OwnRequest(Permission::SubjectAccessReadWrite))
        );
        let caller = user(REQUESTOR).with_permission(Permission::ReadWriteAll);
        assert_eq!(
            authorize(ActionKind::Cancel, &caller, REQUESTOR),
            Ok(Authority::OwnRequest(Permission::ReadWriteAll))
        );
    }

    #[test]
    fn requestor_without_a_write_permission_is_denied() {
        let caller = user(REQUESTOR).with_permission(Permission::ReadAll);
        assert_eq!(
            authorize(ActionKind::Cancel, &caller, REQUESTOR),
            Err(Denial::MissingPermission {
                action: ActionKind::Cancel,
                permission: Permission::SubjectAccessReadWrite
            })
        );
    }

    #[test]
    fn subject_access_does_not_reach_another_users_request() {
        let caller = user(OTHER)
            .with_permission(Permission::SubjectAccessReadWrite)
            .with_role(Role::CatalogOwner);
        assert_eq!(
            authorize(ActionKind::Cancel, &caller, REQUESTOR),
            Err(Denial::MissingPermission {
                action: ActionKind::Cancel,
                permission: Permission::ReadWriteAll
            })
        );
    }

    #[test]
    fn administrators_cancel_with_read_write_all_and_a_role() {
        for role in Role::ADMINISTRATOR {
            let caller = user(OTHER)
                .with_permission(Permission::ReadWriteAll)
                .with_role(role);
            assert_eq!(
                authorize(ActionKind::Cancel, &caller, REQUESTOR),
                Ok(Authority::Administrator(role))
            );
        }
        let no_role = user(OTHER).with_permission(Permission::ReadWriteAll);
        assert_eq!(
            authorize(ActionKind::Cancel, &no_role, REQUESTOR),
            Err(Denial::MissingAdministratorRole {
                action: ActionKind::Cancel
            })
        );
        let approver_only = no_role.with_role(Role::Approver);
        assert!(authorize(ActionKind::Cancel, &approver_only, REQUESTOR).is_err());
    }

    #[test]
    fn the_least_privileged_role_is_recorded() {
        let caller = user(OTHER)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::IdentityGovernanceAdministrator)
            .with_role(Role::AccessPackageAssignmentManager);
        assert_eq!(
            authorize(ActionKind::Cancel, &caller, REQUESTOR),
            Ok(Authority::Administrator(
                Role::AccessPackageAssignmentManager
            ))
        );
    }

    #[test]
    fn application_personal_and_system_callers_cannot_cancel() {
        for principal in [
            Principal::Application,
            Principal::PersonalAccount,
            Principal::System,
        ] {
            let mut caller = Caller::new(principal, REQUESTOR)
                .with_permission(Permission::ReadWriteAll)
                .with_permission(Permission::SubjectAccessReadWrite);
            caller.roles = Role::ADMINISTRATOR.into_iter().collect();
            assert_eq!(
                authorize(ActionKind::Cancel, &caller, REQUESTOR),
                Err(Denial::PrincipalNotSupported {
                    action: ActionKind::Cancel,
                    principal
                })
            );
        }
    }

    #[test]
    fn service_actions_are_for_the_system_only() {
        assert_eq!(
            authorize(ActionKind::Expire, &Caller::system(), REQUESTOR),
            Ok(Authority::System)
        );
        let admin = user(OTHER)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::IdentityGovernanceAdministrator);
        assert!(matches!(
            authorize(ActionKind::Deliver, &admin, REQUESTOR),
            Err(Denial::PrincipalNotSupported { .. })
        ));
    }

    #[test]
    fn approvers_decide_but_not_on_their_own_request() {
        let approver = user(OTHER)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::Approver);
        assert_eq!(
            authorize(ActionKind::Approve, &approver, REQUESTOR),
            Ok(Authority::Approver)
        );
        assert_eq!(
            authorize(ActionKind::Deny, &approver, OTHER),
            Err(Denial::OwnRequest {
                action: ActionKind::Deny
            })
        );
        let not_approver = user(OTHER).with_permission(Permission::ReadWriteAll);
        assert_eq!(
            authorize(ActionKind::Approve, &not_approver, REQUESTOR),
            Err(Denial::NotAnApprover {
                action: ActionKind::Approve
            })
        );
        let app = Caller::application(OTHER)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::Approver);
        assert!(authorize(ActionKind::Approve, &app, REQUESTOR).is_err());
    }

    #[test]
    fn custom_extensions_resume_with_read_write_all() {
        let app = Caller::application(OTHER).with_permission(Permission::ReadWriteAll);
        assert_eq!(
            authorize(ActionKind::ResumeCancel, &app, REQUESTOR),
            Ok(Authority::Application)
        );
        let reader = Caller::application(OTHER).with_permission(Permission::ReadAll);
        assert!(matches!(
            authorize(ActionKind::ResumeDeny, &reader, REQUESTOR),
            Err(Denial::MissingPermission { .. })
        ));
        assert!(authorize(ActionKind::ResumeContinue, &Caller::system(), REQUESTOR).is_err());
    }

    #[test]
    fn reprocess_needs_an_administrator_or_an_application() {
        let app = Caller::application(OTHER).with_permission(Permission::ReadWriteAll);
        assert_eq!(
            authorize(ActionKind::Reprocess, &app, REQUESTOR),
            Ok(Authority::Application)
        );
        let admin = user(OTHER)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::CatalogOwner);
        assert_eq!(
            authorize(ActionKind::Reprocess, &admin, REQUESTOR),
            Ok(Authority::Administrator(Role::CatalogOwner))
        );
        let requestor = user(REQUESTOR).with_permission(Permission::ReadWriteAll);
        assert!(authorize(ActionKind::Reprocess, &requestor, REQUESTOR).is_err());
    }

    #[test]
    fn messages_are_lowercase_with_values_in_backticks() {
        let denial = Denial::MissingPermission {
            action: ActionKind::Cancel,
            permission: Permission::ReadWriteAll,
        };
        assert_eq!(
            denial.to_string(),
            "`cancel` needs the `EntitlementManagement.ReadWrite.All` permission"
        );
        assert_eq!(
            Denial::PrincipalNotSupported {
                action: ActionKind::Cancel,
                principal: Principal::Application
            }
            .to_string(),
            "`application` callers cannot `cancel`"
        );
        assert_eq!(
            Authority::Administrator(Role::CatalogOwner).to_string(),
            "administrator: Catalog owner"
        );
    }

    #[test]
    fn delegated_resume_needs_an_administrator_acting_on_someone_elses_request() {
        let requestor = user(REQUESTOR)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::CatalogOwner);
        assert_eq!(
            authorize(ActionKind::ResumeCancel, &requestor, REQUESTOR),
            Err(Denial::OwnRequest {
                action: ActionKind::ResumeCancel
            })
        );
        assert_eq!(
            authorize(ActionKind::ResumeContinue, &requestor, OTHER),
            Ok(Authority::Administrator(Role::CatalogOwner))
        );
        let no_role = user(OTHER).with_permission(Permission::ReadWriteAll);
        assert_eq!(
            authorize(ActionKind::ResumeDeny, &no_role, REQUESTOR),
            Err(Denial::MissingAdministratorRole {
                action: ActionKind::ResumeDeny
            })
        );
    }

    #[test]
    fn provenance_follows_the_rule_not_just_the_action() {
        let own = authorize(
            ActionKind::Cancel,
            &user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite),
            REQUESTOR,
        )
        .unwrap();
        assert_eq!(
            own.provenance(ActionKind::Cancel),
            Provenance::Documented(Source::CancelApi)
        );
        let app = Caller::application(OTHER).with_permission(Permission::ReadWriteAll);
        assert_eq!(
            authorize(ActionKind::Reprocess, &app, REQUESTOR)
                .unwrap()
                .provenance(ActionKind::Reprocess),
            Provenance::Documented(Source::ReprocessApi)
        );
        assert_eq!(
            authorize(ActionKind::ResumeDeny, &app, REQUESTOR)
                .unwrap()
                .provenance(ActionKind::ResumeDeny),
            Provenance::Documented(Source::ResumeApi)
        );
        let admin = user(OTHER)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::CatalogOwner);
        assert_eq!(
            authorize(ActionKind::Reprocess, &admin, REQUESTOR)
                .unwrap()
                .provenance(ActionKind::Reprocess),
            Provenance::Modelled(Decision::ActionAuthority)
        );
        assert_eq!(
            Authority::System.provenance(ActionKind::Expire),
            Provenance::Modelled(Decision::ActionAuthority)
        );
        assert_eq!(
            Authority::Approver.provenance(ActionKind::Approve),
            Provenance::Documented(Source::ApprovalStageApi)
        );
        assert_eq!(
            Denial::OwnRequest {
                action: ActionKind::Approve
            }
            .provenance(),
            Provenance::Modelled(Decision::ActionAuthority)
        );
        assert_eq!(
            Denial::PrincipalNotSupported {
                action: ActionKind::Cancel,
                principal: Principal::Application
            }
            .provenance(),
            Provenance::Documented(Source::CancelApi)
        );
        assert_eq!(
            Denial::PrincipalNotSupported {
                action: ActionKind::Expire,
                principal: Principal::System
            }
            .provenance(),
            Provenance::Modelled(Decision::ActionAuthority)
        );
        assert_eq!(
            Denial::NotAnApprover {
                action: ActionKind::Deny
            }
            .provenance(),
            Provenance::Documented(Source::ApprovalStageApi)
        );
        assert_eq!(
            Denial::MissingPermission {
                action: ActionKind::ResumeCancel,
                permission: Permission::ReadWriteAll
            }
            .provenance(),
            Provenance::Documented(Source::ResumeApi)
        );
        assert_eq!(
            Denial::MissingPermission {
                action: ActionKind::Reprocess,
                permission: Permission::ReadWriteAll
            }
            .provenance(),
            Provenance::Documented(Source::ReprocessApi)
        );
        assert_eq!(
            Denial::MissingAdministratorRole {
                action: ActionKind::Reprocess
            }
            .provenance(),
            Provenance::Modelled(Decision::ActionAuthority)
        );
    }

    #[test]
    fn the_missing_role_message_lists_the_roles() {
        assert_eq!(
            Denial::MissingAdministratorRole {
                action: ActionKind::Cancel
            }
            .to_string(),
            "`cancel` needs one of the roles `Access package assignment manager`, `Access package manager`, \
             `Catalog owner`, `Identity Governance Administrator`"
        );
    }
}
