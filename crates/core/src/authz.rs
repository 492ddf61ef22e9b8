//! Who may perform which operation: a pure decision over the caller and the people the request
//! concerns.
//!
//! The decision never sees the request's status, so it is made before the status is looked at and a
//! denial reveals nothing about it.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;

use crate::action::ActionKind;
use crate::actor::{Caller, Permission, Principal, Role};
use crate::operation::{Operation, Parties};
use crate::provenance::{Decision, Provenance, Source};
use crate::request_type::{Effect, Submitter};

/// The rule that authorized an operation, recorded with each transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Authority {
    /// The service's own engine.
    System,
    /// The requestor acting on their own request, with this permission.
    OwnRequest(Permission),
    /// The user the request is for (its target), with this permission.
    Target(Permission),
    /// A signed-in user asking about themselves, with this permission.
    SignedInUser(Permission),
    /// An administrator holding this role, with `EntitlementManagement.ReadWrite.All`.
    Administrator(Role),
    /// A reader holding this role, with `EntitlementManagement.Read.All` or more.
    Reader(Role),
    /// An approver of the request's policy, for the stage in question.
    Approver,
    /// Someone the policy lets ask on the target's behalf (the target's manager), with this
    /// permission.
    OnBehalf(Permission),
    /// An application acting as itself, with this permission: a custom extension calling back, an
    /// automation, a reader.
    Application(Permission),
}

impl Authority {
    /// Where the rule that granted `operation` comes from.
    pub const fn provenance(self, operation: Operation) -> Provenance {
        use ActionKind as A;
        use Operation as O;
        let modelled = Provenance::Modelled(Decision::OperationAccess);
        match (self, operation) {
            (Self::OwnRequest(_) | Self::Administrator(_), O::Act(A::Cancel)) => {
                Provenance::Documented(Source::CancelApi)
            }
            (Self::Approver, O::Act(_)) => Provenance::Documented(Source::ApprovalStageApi),
            (Self::Approver, O::ReadStages) => Provenance::Modelled(Decision::ApprovalStages),
            (Self::System | Self::Approver, O::Create(_)) => {
                Provenance::Modelled(Decision::RequestTypes)
            }
            (Self::Application(_) | Self::Administrator(_), O::Act(A::Reprocess)) => {
                Provenance::Documented(Source::ReprocessApi)
            }
            (
                Self::Administrator(_),
                O::Act(A::ResumeContinue | A::ResumeDeny | A::ResumeCancel),
            )
            | (Self::Application(_), O::Act(_)) => Provenance::Documented(Source::ResumeApi),
            (
                Self::OwnRequest(_)
                | Self::OnBehalf(_)
                | Self::Administrator(_)
                | Self::Application(_),
                O::Create(_),
            ) => Provenance::Documented(Source::CreateApi),
            (Self::Reader(_) | Self::Application(_), O::Get) => {
                Provenance::Documented(Source::GetApi)
            }
            (Self::Reader(_), O::ReadStages) => Provenance::Documented(Source::ApprovalStagesApi),
            (Self::Reader(_) | Self::Application(_), O::ReadAssignment) => {
                Provenance::Documented(Source::AssignmentsApi)
            }
            (Self::SignedInUser(_), O::FilterAssignmentsByCurrentUser) => {
                Provenance::Documented(Source::AssignmentFilterApi)
            }
            (Self::SignedInUser(_) | Self::Application(_), O::List) => {
                Provenance::Documented(Source::ListApi)
            }
            (Self::SignedInUser(_), O::FilterByCurrentUser) => {
                Provenance::Documented(Source::FilterByCurrentUserApi)
            }
            (Self::Application(_), O::Delete) => Provenance::Documented(Source::DeleteApi),
            (_, O::Act(_)) => Provenance::Modelled(Decision::ActionAuthority),
            _ => modelled,
        }
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::System => f.write_str("system"),
            Self::OwnRequest(permission) => write!(f, "requestor on own request ({permission})"),
            Self::Target(permission) => write!(f, "target of the request ({permission})"),
            Self::SignedInUser(permission) => write!(f, "signed-in user ({permission})"),
            Self::Administrator(role) => write!(f, "administrator: {role}"),
            Self::Reader(role) => write!(f, "reader: {role}"),
            Self::Approver => f.write_str("approver of the stage"),
            Self::OnBehalf(permission) => {
                write!(f, "on-behalf requestor for the target ({permission})")
            }
            Self::Application(permission) => write!(f, "application ({permission})"),
        }
    }
}

/// Why a caller may not perform an operation. Never depends on, nor reveals, the request's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
pub enum Denial {
    /// The kind of caller can never perform this operation.
    #[error("`{principal}` callers cannot `{operation}`")]
    PrincipalNotSupported {
        /// The operation asked for.
        operation: Operation,
        /// The caller's kind.
        principal: Principal,
    },
    /// The call lacks a permission the operation needs.
    #[error("`{operation}` needs the `{permission}` permission")]
    MissingPermission {
        /// The operation asked for.
        operation: Operation,
        /// The least privileged permission that would do.
        permission: Permission,
    },
    /// The operation needs an administrator role on the request's catalog, or the directory role.
    #[error("`{operation}` needs one of the roles {roles}", roles = role_list(&Role::ADMINISTRATOR))]
    MissingAdministratorRole {
        /// The operation asked for.
        operation: Operation,
    },
    /// Reading others' requests needs a reader role on the request's catalog, or a directory role.
    #[error("`{operation}` needs one of the roles {roles}", roles = role_list(&Role::READER))]
    MissingReaderRole {
        /// The operation asked for.
        operation: Operation,
    },
    /// Only an approver of the stage in question (or, for `approverRemove`, of the policy) may do it.
    #[error("`{operation}` needs an approver of the approval stage")]
    NotAnApprover {
        /// The operation asked for.
        operation: Operation,
    },
    /// A requestor may not decide on, or resume, their own request.
    #[error("a requestor cannot `{operation}` their own request")]
    OwnRequest {
        /// The operation asked for.
        operation: Operation,
    },
    /// An end user's request is for the signed-in user only.
    #[error("`{operation}` is for the signed-in user's own assignment only")]
    NotTheTarget {
        /// The operation asked for.
        operation: Operation,
    },
    /// The request type cannot be submitted by anyone.
    #[error("`{operation}` is not supported")]
    NotRequestable {
        /// The operation asked for.
        operation: Operation,
    },
}

impl Denial {
    /// The operation that was refused.
    pub const fn operation(self) -> Operation {
        match self {
            Self::PrincipalNotSupported { operation, .. }
            | Self::MissingPermission { operation, .. }
            | Self::MissingAdministratorRole { operation }
            | Self::MissingReaderRole { operation }
            | Self::NotAnApprover { operation }
            | Self::OwnRequest { operation }
            | Self::NotTheTarget { operation }
            | Self::NotRequestable { operation } => operation,
        }
    }

    /// Where the rule that refused the operation comes from.
    pub const fn provenance(self) -> Provenance {
        use ActionKind as A;
        use Operation as O;
        match (self, self.operation()) {
            (
                Self::OwnRequest { .. }
                | Self::PrincipalNotSupported {
                    principal: Principal::System,
                    ..
                },
                O::Act(_),
            ) => Provenance::Modelled(Decision::ActionAuthority),
            (_, O::Act(A::Cancel)) => Provenance::Documented(Source::CancelApi),
            (_, O::Act(A::Approve | A::Deny)) => Provenance::Documented(Source::ApprovalStageApi),
            (
                Self::MissingPermission { .. } | Self::MissingAdministratorRole { .. },
                O::Act(A::Reprocess),
            ) => Provenance::Documented(Source::ReprocessApi),
            (
                Self::MissingPermission { .. } | Self::MissingAdministratorRole { .. },
                O::Act(A::ResumeContinue | A::ResumeDeny | A::ResumeCancel),
            ) => Provenance::Documented(Source::ResumeApi),
            (_, O::Act(_)) => Provenance::Modelled(Decision::ActionAuthority),
            (
                Self::PrincipalNotSupported { .. }
                | Self::MissingPermission { .. }
                | Self::MissingAdministratorRole { .. }
                | Self::NotTheTarget { .. }
                | Self::NotRequestable { .. },
                O::Create(_),
            ) => Provenance::Documented(Source::CreateApi),
            (_, O::Create(_)) => Provenance::Modelled(Decision::RequestTypes),
            (Self::PrincipalNotSupported { .. } | Self::MissingPermission { .. }, O::Get) => {
                Provenance::Documented(Source::GetApi)
            }
            (Self::MissingReaderRole { .. }, O::Get) => Provenance::Documented(Source::GetApi),
            (Self::PrincipalNotSupported { .. } | Self::MissingPermission { .. }, O::List) => {
                Provenance::Documented(Source::ListApi)
            }
            (_, O::FilterByCurrentUser) => Provenance::Documented(Source::FilterByCurrentUserApi),
            (
                Self::PrincipalNotSupported { .. }
                | Self::MissingPermission { .. }
                | Self::MissingReaderRole { .. },
                O::ReadStages,
            ) => Provenance::Documented(Source::ApprovalStagesApi),
            (
                Self::PrincipalNotSupported { .. }
                | Self::MissingPermission { .. }
                | Self::MissingReaderRole { .. },
                O::ReadAssignment,
            ) => Provenance::Documented(Source::AssignmentsApi),
            (
                Self::PrincipalNotSupported { .. } | Self::MissingPermission { .. },
                O::FilterAssignmentsByCurrentUser,
            ) => Provenance::Documented(Source::AssignmentFilterApi),
            (Self::PrincipalNotSupported { .. } | Self::MissingPermission { .. }, O::Delete) => {
                Provenance::Documented(Source::DeleteApi)
            }
            _ => Provenance::Modelled(Decision::OperationAccess),
        }
    }
}

/// Role names in backticks, as the messages list them.
fn role_list(roles: &[Role]) -> String {
    let names: Vec<String> = roles
        .iter()
        .map(|role| alloc::format!("`{role}`"))
        .collect();
    names.join(", ")
}

/// Decides whether `caller` may perform `operation` on a request that concerns `parties`. For a
/// creation, the parties are the request to be created.
///
/// # Errors
/// The [`Denial`] naming the first rule the caller fails.
#[inline]
pub fn authorize(
    operation: Operation,
    caller: &Caller,
    parties: Parties,
) -> Result<Authority, Denial> {
    use ActionKind as A;
    match operation {
        Operation::Get => read(operation, caller, parties),
        Operation::List => list(caller),
        Operation::FilterByCurrentUser => filter_by_current_user(caller),
        Operation::ReadStages => read_stages(caller, parties),
        Operation::ReadAssignment => read_assignment(caller, parties),
        Operation::FilterAssignmentsByCurrentUser => filter_assignments_by_current_user(caller),
        Operation::Create(kind) => create(operation, kind.submitter(), caller, parties),
        Operation::Delete => application_or_administrator(operation, caller),
        Operation::Act(action) => match action {
            A::Process
            | A::Escalate
            | A::Expire
            | A::ReachStart
            | A::Deliver
            | A::DeliverPartially
            | A::FailDelivery => system_only(operation, caller),
            A::ResumeContinue | A::ResumeDeny | A::ResumeCancel | A::Reprocess => {
                resume_or_reprocess(operation, caller, parties)
            }
            A::Approve | A::Deny => review(operation, caller, parties, caller.approver_of.any()),
            A::Cancel => cancel(caller, parties),
        },
    }
}

/// Decides whether `caller` may review approval stage `stage` (counted from 0) of a request that
/// concerns `parties`: a work or school user with `ReadWrite.All`, not the requestor, who approves that
/// stage as a primary or an escalation approver. Whether the stage can be reviewed now is the
/// request's answer ([`Request::review`](crate::Request::review)).
///
/// # Errors
/// The [`Denial`] naming the first rule the caller fails.
pub fn authorize_review(
    action: ActionKind,
    stage: u8,
    caller: &Caller,
    parties: Parties,
) -> Result<Authority, Denial> {
    review(
        Operation::Act(action),
        caller,
        parties,
        caller.approver_of.of(stage),
    )
}

fn unsupported(operation: Operation, caller: &Caller) -> Denial {
    Denial::PrincipalNotSupported {
        operation,
        principal: caller.principal,
    }
}

fn require(operation: Operation, caller: &Caller, permission: Permission) -> Result<(), Denial> {
    if caller.has(permission) {
        Ok(())
    } else {
        Err(Denial::MissingPermission {
            operation,
            permission,
        })
    }
}

/// The first of `permissions` the caller holds, or the denial naming the first (least privileged).
fn any_of(
    operation: Operation,
    caller: &Caller,
    permissions: &[Permission],
) -> Result<Permission, Denial> {
    permissions
        .iter()
        .copied()
        .find(|permission| caller.has(*permission))
        .ok_or(Denial::MissingPermission {
            operation,
            permission: permissions
                .first()
                .copied()
                .unwrap_or(Permission::ReadWriteAll),
        })
}

const READ: [Permission; 2] = [Permission::ReadAll, Permission::ReadWriteAll];
const ANY: [Permission; 3] = [
    Permission::SubjectAccessReadWrite,
    Permission::ReadAll,
    Permission::ReadWriteAll,
];
const WRITE_OWN: [Permission; 2] = [Permission::SubjectAccessReadWrite, Permission::ReadWriteAll];

/// The least privileged administrator role the caller holds, with `ReadWrite.All`.
fn administrator(operation: Operation, caller: &Caller) -> Result<Authority, Denial> {
    require(operation, caller, Permission::ReadWriteAll)?;
    Role::ADMINISTRATOR
        .into_iter()
        .find(|role| caller.roles.contains(*role))
        .map(Authority::Administrator)
        .ok_or(Denial::MissingAdministratorRole { operation })
}

fn system_only(operation: Operation, caller: &Caller) -> Result<Authority, Denial> {
    match caller.principal {
        Principal::System => Ok(Authority::System),
        _ => Err(unsupported(operation, caller)),
    }
}

/// An application with `ReadWrite.All`, or a delegated administrator.
fn application_or_administrator(
    operation: Operation,
    caller: &Caller,
) -> Result<Authority, Denial> {
    match caller.principal {
        Principal::Application => {
            require(operation, caller, Permission::ReadWriteAll)?;
            Ok(Authority::Application(Permission::ReadWriteAll))
        }
        Principal::WorkOrSchoolUser => administrator(operation, caller),
        Principal::PersonalAccount | Principal::System => Err(unsupported(operation, caller)),
    }
}

/// `resume` and `reprocess`: an application with `ReadWrite.All` (a custom extension, an automation), or
/// a delegated administrator acting on someone else's request.
fn resume_or_reprocess(
    operation: Operation,
    caller: &Caller,
    parties: Parties,
) -> Result<Authority, Denial> {
    if caller.principal == Principal::WorkOrSchoolUser && caller.id == parties.requestor {
        return Err(Denial::OwnRequest { operation });
    }
    application_or_administrator(operation, caller)
}

fn review(
    operation: Operation,
    caller: &Caller,
    parties: Parties,
    approves: bool,
) -> Result<Authority, Denial> {
    if caller.principal != Principal::WorkOrSchoolUser {
        return Err(unsupported(operation, caller));
    }
    require(operation, caller, Permission::ReadWriteAll)?;
    if caller.id == parties.requestor {
        return Err(Denial::OwnRequest { operation });
    }
    if approves {
        Ok(Authority::Approver)
    } else {
        Err(Denial::NotAnApprover { operation })
    }
}

fn cancel(caller: &Caller, parties: Parties) -> Result<Authority, Denial> {
    let operation = Operation::Act(ActionKind::Cancel);
    if caller.principal != Principal::WorkOrSchoolUser {
        return Err(unsupported(operation, caller));
    }
    if caller.id != parties.requestor {
        return administrator(operation, caller);
    }
    any_of(operation, caller, &WRITE_OWN).map(Authority::OwnRequest)
}

/// Reading one request: its requestor or target with any entitlement-management permission, a reader
/// (`Read.All` and a reader role), or an application with `Read.All`.
fn read(operation: Operation, caller: &Caller, parties: Parties) -> Result<Authority, Denial> {
    match caller.principal {
        Principal::WorkOrSchoolUser => {
            if (caller.id == parties.requestor || caller.id == parties.target)
                && let Ok(permission) = any_of(operation, caller, &ANY)
            {
                return Ok(if caller.id == parties.requestor {
                    Authority::OwnRequest(permission)
                } else {
                    Authority::Target(permission)
                });
            }
            any_of(operation, caller, &READ)?;
            Role::READER
                .into_iter()
                .find(|role| caller.roles.contains(*role))
                .map(Authority::Reader)
                .ok_or(Denial::MissingReaderRole { operation })
        }
        Principal::Application => any_of(operation, caller, &READ).map(Authority::Application),
        Principal::PersonalAccount | Principal::System => Err(unsupported(operation, caller)),
    }
}

/// Reading an assignment (the parties name its holder): `Read.All`, delegated or application, as the
/// assignments pages list; a delegated caller who is not the holder also needs a reader role.
fn read_assignment(caller: &Caller, parties: Parties) -> Result<Authority, Denial> {
    let operation = Operation::ReadAssignment;
    match caller.principal {
        Principal::WorkOrSchoolUser => {
            let permission = any_of(operation, caller, &READ)?;
            if caller.id == parties.target {
                return Ok(Authority::Target(permission));
            }
            Role::READER
                .into_iter()
                .find(|role| caller.roles.contains(*role))
                .map(Authority::Reader)
                .ok_or(Denial::MissingReaderRole { operation })
        }
        Principal::Application => any_of(operation, caller, &READ).map(Authority::Application),
        Principal::PersonalAccount | Principal::System => Err(unsupported(operation, caller)),
    }
}

/// Listing: `Read.All`, delegated or application. Which rows a delegated caller sees is decided per
/// request by [`Operation::Get`].
fn list(caller: &Caller) -> Result<Authority, Denial> {
    let operation = Operation::List;
    match caller.principal {
        Principal::WorkOrSchoolUser => {
            any_of(operation, caller, &READ).map(Authority::SignedInUser)
        }
        Principal::Application => any_of(operation, caller, &READ).map(Authority::Application),
        Principal::PersonalAccount | Principal::System => Err(unsupported(operation, caller)),
    }
}

/// `filterByCurrentUser`: delegated work or school users, with any entitlement-management permission.
fn filter_by_current_user(caller: &Caller) -> Result<Authority, Denial> {
    let operation = Operation::FilterByCurrentUser;
    if caller.principal != Principal::WorkOrSchoolUser {
        return Err(unsupported(operation, caller));
    }
    any_of(operation, caller, &ANY).map(Authority::SignedInUser)
}

/// `filterByCurrentUser` on assignments: a signed-in work or school user with `Read.All`, as its
/// page lists; no application.
fn filter_assignments_by_current_user(caller: &Caller) -> Result<Authority, Denial> {
    let operation = Operation::FilterAssignmentsByCurrentUser;
    if caller.principal != Principal::WorkOrSchoolUser {
        return Err(unsupported(operation, caller));
    }
    any_of(operation, caller, &READ).map(Authority::SignedInUser)
}

/// Reading the approval stages: delegated only; an approver of any of its stages with any
/// entitlement-management permission, or whoever may read the request.
fn read_stages(caller: &Caller, parties: Parties) -> Result<Authority, Denial> {
    let operation = Operation::ReadStages;
    if caller.principal != Principal::WorkOrSchoolUser {
        return Err(unsupported(operation, caller));
    }
    if caller.approver_of.any() && any_of(operation, caller, &ANY).is_ok() {
        return Ok(Authority::Approver);
    }
    read(operation, caller, parties)
}

/// Submitting a request of a type that `submitter` may submit.
fn create(
    operation: Operation,
    submitter: Submitter,
    caller: &Caller,
    parties: Parties,
) -> Result<Authority, Denial> {
    let end_user = |caller: &Caller| {
        if caller.principal == Principal::WorkOrSchoolUser {
            any_of(operation, caller, &WRITE_OWN)
        } else {
            Err(unsupported(operation, caller))
        }
    };
    match submitter {
        Submitter::Target => {
            let permission = end_user(caller)?;
            let adds = matches!(operation, Operation::Create(kind) if kind.effect() == Effect::Add);
            if caller.id == parties.target {
                Ok(Authority::OwnRequest(permission))
            } else if caller.on_behalf_of_target && adds {
                Ok(Authority::OnBehalf(permission))
            } else {
                Err(Denial::NotTheTarget { operation })
            }
        }
        Submitter::Approver => {
            end_user(caller)?;
            if caller.approver_of.any() {
                Ok(Authority::Approver)
            } else {
                Err(Denial::NotAnApprover { operation })
            }
        }
        Submitter::Administrator => application_or_administrator(operation, caller),
        Submitter::System => system_only(operation, caller),
        Submitter::NoOne => Err(Denial::NotRequestable { operation }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{Guid, SubjectId};
    use crate::request_type::RequestType;
    use alloc::string::ToString;

    const REQUESTOR: SubjectId = SubjectId::new(Guid::from_u128(1));

    /// The provenance of every kind of authority and denial for every operation, one line each:
    /// pinned, so a rule's source cannot change unnoticed.
    #[test]
    fn every_rule_names_its_source() {
        use core::fmt::Write as _;
        let authorities = [
            Authority::System,
            Authority::OwnRequest(Permission::SubjectAccessReadWrite),
            Authority::Target(Permission::SubjectAccessReadWrite),
            Authority::SignedInUser(Permission::ReadAll),
            Authority::Administrator(Role::CatalogOwner),
            Authority::Reader(Role::CatalogReader),
            Authority::Approver,
            Authority::OnBehalf(Permission::SubjectAccessReadWrite),
            Authority::Application(Permission::ReadWriteAll),
        ];
        let mut text = String::new();
        for operation in Operation::all() {
            let denials = [
                Denial::PrincipalNotSupported {
                    operation,
                    principal: Principal::System,
                },
                Denial::PrincipalNotSupported {
                    operation,
                    principal: Principal::PersonalAccount,
                },
                Denial::MissingPermission {
                    operation,
                    permission: Permission::ReadAll,
                },
                Denial::MissingAdministratorRole { operation },
                Denial::MissingReaderRole { operation },
                Denial::NotAnApprover { operation },
                Denial::OwnRequest { operation },
                Denial::NotTheTarget { operation },
                Denial::NotRequestable { operation },
            ];
            writeln!(text, "{operation}").unwrap();
            for authority in authorities {
                let provenance = authority.provenance(operation);
                writeln!(text, "  allowed, {authority:?}: {provenance:?}").unwrap();
            }
            for denial in denials {
                let kind = alloc::format!("{denial:?}");
                let kind = kind.split(' ').next().unwrap_or_default();
                writeln!(text, "  denied, {kind}: {:?}", denial.provenance()).unwrap();
            }
        }
        insta::assert_snapshot!(text);
    }
    const OTHER: SubjectId = SubjectId::new(Guid::from_u128(2));
    const TARGET: SubjectId = SubjectId::new(Guid::from_u128(3));
    const OWN: Parties = Parties::own(REQUESTOR);
    const FOR_TARGET: Parties = Parties {
        requestor: REQUESTOR,
        target: TARGET,
    };
    const CANCEL: Operation = Operation::Act(ActionKind::Cancel);

    fn user(id: SubjectId) -> Caller {
        Caller::user(id)
    }

    fn act(action: ActionKind, caller: &Caller, parties: Parties) -> Result<Authority, Denial> {
        authorize(Operation::Act(action), caller, parties)
    }

    #[test]
    fn requestor_cancels_own_request_with_subject_access_and_no_role() {
        let caller = user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite);
        assert_eq!(
            act(ActionKind::Cancel, &caller, OWN),
            Ok(Authority::OwnRequest(Permission::SubjectAccessReadWrite))
        );
        let caller = user(REQUESTOR).with_permission(Permission::ReadWriteAll);
        assert_eq!(
            act(ActionKind::Cancel, &caller, OWN),
            Ok(Authority::OwnRequest(Permission::ReadWriteAll))
        );
    }

    #[test]
    fn requestor_without_a_write_permission_is_denied() {
        let caller = user(REQUESTOR).with_permission(Permission::ReadAll);
        assert_eq!(
            act(ActionKind::Cancel, &caller, OWN),
            Err(Denial::MissingPermission {
                operation: CANCEL,
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
            act(ActionKind::Cancel, &caller, OWN),
            Err(Denial::MissingPermission {
                operation: CANCEL,
                permission: Permission::ReadWriteAll
            })
        );
        // The target of a request someone else submitted is not its requestor.
        let target = user(TARGET).with_permission(Permission::SubjectAccessReadWrite);
        assert!(act(ActionKind::Cancel, &target, FOR_TARGET).is_err());
    }

    #[test]
    fn administrators_cancel_with_read_write_all_and_a_role() {
        for role in Role::ADMINISTRATOR {
            let caller = user(OTHER)
                .with_permission(Permission::ReadWriteAll)
                .with_role(role);
            assert_eq!(
                act(ActionKind::Cancel, &caller, OWN),
                Ok(Authority::Administrator(role))
            );
        }
        let no_role = user(OTHER).with_permission(Permission::ReadWriteAll);
        assert_eq!(
            act(ActionKind::Cancel, &no_role, OWN),
            Err(Denial::MissingAdministratorRole { operation: CANCEL })
        );
        let approver_only = no_role.approving(0).with_role(Role::CatalogReader);
        assert!(act(ActionKind::Cancel, &approver_only, OWN).is_err());
    }

    #[test]
    fn the_least_privileged_role_is_recorded() {
        let caller = user(OTHER)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::IdentityGovernanceAdministrator)
            .with_role(Role::AccessPackageAssignmentManager);
        assert_eq!(
            act(ActionKind::Cancel, &caller, OWN),
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
                act(ActionKind::Cancel, &caller, OWN),
                Err(Denial::PrincipalNotSupported {
                    operation: CANCEL,
                    principal
                })
            );
        }
    }

    #[test]
    fn service_actions_are_for_the_system_only() {
        assert_eq!(
            act(ActionKind::Expire, &Caller::system(), OWN),
            Ok(Authority::System)
        );
        let admin = user(OTHER)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::IdentityGovernanceAdministrator);
        assert!(matches!(
            act(ActionKind::Deliver, &admin, OWN),
            Err(Denial::PrincipalNotSupported { .. })
        ));
    }

    #[test]
    fn approvers_decide_but_not_on_their_own_request() {
        let approver = user(OTHER)
            .with_permission(Permission::ReadWriteAll)
            .approving(1);
        assert_eq!(
            act(ActionKind::Approve, &approver, OWN),
            Ok(Authority::Approver)
        );
        assert_eq!(
            act(ActionKind::Deny, &approver, Parties::own(OTHER)),
            Err(Denial::OwnRequest {
                operation: Operation::Act(ActionKind::Deny)
            })
        );
        let not_approver = user(OTHER).with_permission(Permission::ReadWriteAll);
        assert_eq!(
            act(ActionKind::Approve, &not_approver, OWN),
            Err(Denial::NotAnApprover {
                operation: Operation::Act(ActionKind::Approve)
            })
        );
        let app = Caller::application(OTHER)
            .with_permission(Permission::ReadWriteAll)
            .approving(0);
        assert!(act(ActionKind::Approve, &app, OWN).is_err());
    }

    #[test]
    fn a_review_needs_an_approver_of_that_stage() {
        let escalation = user(OTHER)
            .with_permission(Permission::ReadWriteAll)
            .approving_when_escalated(0);
        assert_eq!(
            authorize_review(ActionKind::Approve, 0, &escalation, OWN),
            Ok(Authority::Approver)
        );
        assert_eq!(
            authorize_review(ActionKind::Approve, 1, &escalation, OWN),
            Err(Denial::NotAnApprover {
                operation: Operation::Act(ActionKind::Approve)
            })
        );
        let requestor = user(REQUESTOR)
            .with_permission(Permission::ReadWriteAll)
            .approving(0);
        assert!(matches!(
            authorize_review(ActionKind::Deny, 0, &requestor, OWN),
            Err(Denial::OwnRequest { .. })
        ));
    }

    #[test]
    fn custom_extensions_resume_with_read_write_all() {
        let app = Caller::application(OTHER).with_permission(Permission::ReadWriteAll);
        assert_eq!(
            act(ActionKind::ResumeCancel, &app, OWN),
            Ok(Authority::Application(Permission::ReadWriteAll))
        );
        let reader = Caller::application(OTHER).with_permission(Permission::ReadAll);
        assert!(matches!(
            act(ActionKind::ResumeDeny, &reader, OWN),
            Err(Denial::MissingPermission { .. })
        ));
        assert!(act(ActionKind::ResumeContinue, &Caller::system(), OWN).is_err());
    }

    #[test]
    fn reprocess_needs_an_administrator_or_an_application() {
        let app = Caller::application(OTHER).with_permission(Permission::ReadWriteAll);
        assert_eq!(
            act(ActionKind::Reprocess, &app, OWN),
            Ok(Authority::Application(Permission::ReadWriteAll))
        );
        let admin = user(OTHER)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::CatalogOwner);
        assert_eq!(
            act(ActionKind::Reprocess, &admin, OWN),
            Ok(Authority::Administrator(Role::CatalogOwner))
        );
        let requestor = user(REQUESTOR).with_permission(Permission::ReadWriteAll);
        assert!(act(ActionKind::Reprocess, &requestor, OWN).is_err());
    }

    #[test]
    fn delegated_resume_needs_an_administrator_acting_on_someone_elses_request() {
        let requestor = user(REQUESTOR)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::CatalogOwner);
        assert_eq!(
            act(ActionKind::ResumeCancel, &requestor, OWN),
            Err(Denial::OwnRequest {
                operation: Operation::Act(ActionKind::ResumeCancel)
            })
        );
        assert_eq!(
            act(ActionKind::ResumeContinue, &requestor, Parties::own(OTHER)),
            Ok(Authority::Administrator(Role::CatalogOwner))
        );
        let no_role = user(OTHER).with_permission(Permission::ReadWriteAll);
        assert_eq!(
            act(ActionKind::ResumeDeny, &no_role, OWN),
            Err(Denial::MissingAdministratorRole {
                operation: Operation::Act(ActionKind::ResumeDeny)
            })
        );
    }

    #[test]
    fn the_requestor_and_the_target_read_their_own_request() {
        let requestor = user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite);
        assert_eq!(
            authorize(Operation::Get, &requestor, FOR_TARGET),
            Ok(Authority::OwnRequest(Permission::SubjectAccessReadWrite))
        );
        let target = user(TARGET).with_permission(Permission::ReadAll);
        assert_eq!(
            authorize(Operation::Get, &target, FOR_TARGET),
            Ok(Authority::Target(Permission::ReadAll))
        );
        let nothing = user(TARGET);
        assert_eq!(
            authorize(Operation::Get, &nothing, FOR_TARGET),
            Err(Denial::MissingPermission {
                operation: Operation::Get,
                permission: Permission::ReadAll
            })
        );
    }

    #[test]
    fn others_read_with_read_all_and_a_reader_role() {
        let no_role = user(OTHER).with_permission(Permission::ReadAll);
        assert_eq!(
            authorize(Operation::Get, &no_role, OWN),
            Err(Denial::MissingReaderRole {
                operation: Operation::Get
            })
        );
        let reader = no_role.with_role(Role::CatalogReader);
        assert_eq!(
            authorize(Operation::Get, &reader, OWN),
            Ok(Authority::Reader(Role::CatalogReader))
        );
        let subject_access = user(OTHER)
            .with_permission(Permission::SubjectAccessReadWrite)
            .with_role(Role::GlobalReader);
        assert!(matches!(
            authorize(Operation::Get, &subject_access, OWN),
            Err(Denial::MissingPermission { .. })
        ));
        let app = Caller::application(OTHER).with_permission(Permission::ReadAll);
        assert_eq!(
            authorize(Operation::Get, &app, OWN),
            Ok(Authority::Application(Permission::ReadAll))
        );
        let personal =
            Caller::new(Principal::PersonalAccount, REQUESTOR).with_permission(Permission::ReadAll);
        assert!(matches!(
            authorize(Operation::Get, &personal, OWN),
            Err(Denial::PrincipalNotSupported { .. })
        ));
    }

    #[test]
    fn assignments_are_read_with_read_all_by_their_holder_readers_and_applications() {
        let holder = Parties::own(REQUESTOR);
        let own = user(REQUESTOR).with_permission(Permission::ReadAll);
        assert_eq!(
            authorize(Operation::ReadAssignment, &own, holder),
            Ok(Authority::Target(Permission::ReadAll))
        );
        let subject_access = user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite);
        assert!(matches!(
            authorize(Operation::ReadAssignment, &subject_access, holder),
            Err(Denial::MissingPermission { .. })
        ));
        let other = user(OTHER).with_permission(Permission::ReadAll);
        assert!(matches!(
            authorize(Operation::ReadAssignment, &other, holder),
            Err(Denial::MissingReaderRole { .. })
        ));
        assert_eq!(
            authorize(
                Operation::ReadAssignment,
                &other.with_role(Role::CatalogReader),
                holder
            ),
            Ok(Authority::Reader(Role::CatalogReader))
        );
        let app = Caller::application(OTHER).with_permission(Permission::ReadWriteAll);
        assert_eq!(
            authorize(Operation::ReadAssignment, &app, holder),
            Ok(Authority::Application(Permission::ReadWriteAll))
        );
        let personal =
            Caller::new(Principal::PersonalAccount, REQUESTOR).with_permission(Permission::ReadAll);
        assert!(matches!(
            authorize(Operation::ReadAssignment, &personal, holder),
            Err(Denial::PrincipalNotSupported { .. })
        ));
    }

    #[test]
    fn only_signed_in_users_with_read_all_filter_their_own_assignments() {
        let operation = Operation::FilterAssignmentsByCurrentUser;
        let reader = user(OTHER).with_permission(Permission::ReadAll);
        assert_eq!(
            authorize(operation, &reader, OWN),
            Ok(Authority::SignedInUser(Permission::ReadAll))
        );
        let subject_access = user(OTHER).with_permission(Permission::SubjectAccessReadWrite);
        assert!(matches!(
            authorize(operation, &subject_access, OWN),
            Err(Denial::MissingPermission { .. })
        ));
        let app = Caller::application(OTHER).with_permission(Permission::ReadAll);
        assert!(matches!(
            authorize(operation, &app, OWN),
            Err(Denial::PrincipalNotSupported { .. })
        ));
    }

    #[test]
    fn listing_needs_read_all_and_filtering_is_for_signed_in_users() {
        let reader = user(OTHER).with_permission(Permission::ReadAll);
        assert_eq!(
            authorize(Operation::List, &reader, OWN),
            Ok(Authority::SignedInUser(Permission::ReadAll))
        );
        let own = user(OTHER).with_permission(Permission::SubjectAccessReadWrite);
        assert!(authorize(Operation::List, &own, OWN).is_err());
        assert_eq!(
            authorize(Operation::FilterByCurrentUser, &own, OWN),
            Ok(Authority::SignedInUser(Permission::SubjectAccessReadWrite))
        );
        let app = Caller::application(OTHER).with_permission(Permission::ReadWriteAll);
        assert!(authorize(Operation::List, &app, OWN).is_ok());
        assert!(matches!(
            authorize(Operation::FilterByCurrentUser, &app, OWN),
            Err(Denial::PrincipalNotSupported { .. })
        ));
        assert!(authorize(Operation::FilterByCurrentUser, &user(OTHER), OWN).is_err());
    }

    #[test]
    fn approvers_and_readers_read_the_stages_applications_never() {
        let approver = user(OTHER)
            .with_permission(Permission::SubjectAccessReadWrite)
            .approving_when_escalated(2);
        assert_eq!(
            authorize(Operation::ReadStages, &approver, OWN),
            Ok(Authority::Approver)
        );
        let reader = user(OTHER)
            .with_permission(Permission::ReadAll)
            .with_role(Role::CatalogReader);
        assert_eq!(
            authorize(Operation::ReadStages, &reader, OWN),
            Ok(Authority::Reader(Role::CatalogReader))
        );
        let app = Caller::application(OTHER).with_permission(Permission::ReadAll);
        assert!(matches!(
            authorize(Operation::ReadStages, &app, OWN),
            Err(Denial::PrincipalNotSupported { .. })
        ));
        let approver_without_permission = user(OTHER).approving(0);
        assert!(authorize(Operation::ReadStages, &approver_without_permission, OWN).is_err());
    }

    #[test]
    fn a_manager_the_policy_names_asks_for_a_report_to_be_added_only() {
        let manager = user(REQUESTOR)
            .with_permission(Permission::SubjectAccessReadWrite)
            .on_behalf_of_target();
        let add = Operation::Create(RequestType::UserAdd);
        assert_eq!(
            authorize(add, &manager, FOR_TARGET),
            Ok(Authority::OnBehalf(Permission::SubjectAccessReadWrite))
        );
        assert_eq!(
            Authority::OnBehalf(Permission::SubjectAccessReadWrite).provenance(add),
            Provenance::Documented(Source::CreateApi)
        );
        for kind in [
            RequestType::UserUpdate,
            RequestType::UserRemove,
            RequestType::UserExtend,
        ] {
            assert_eq!(
                authorize(Operation::Create(kind), &manager, FOR_TARGET),
                Err(Denial::NotTheTarget {
                    operation: Operation::Create(kind)
                })
            );
        }
        // The fact alone grants nothing: the call still needs an end user's permission.
        let without_permission = user(REQUESTOR).on_behalf_of_target();
        assert!(authorize(add, &without_permission, FOR_TARGET).is_err());
    }

    #[test]
    fn end_users_submit_for_themselves_administrators_for_anyone() {
        let me = user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite);
        for kind in [
            RequestType::UserAdd,
            RequestType::UserUpdate,
            RequestType::UserRemove,
            RequestType::UserExtend,
        ] {
            assert_eq!(
                authorize(Operation::Create(kind), &me, OWN),
                Ok(Authority::OwnRequest(Permission::SubjectAccessReadWrite))
            );
            assert_eq!(
                authorize(Operation::Create(kind), &me, FOR_TARGET),
                Err(Denial::NotTheTarget {
                    operation: Operation::Create(kind)
                })
            );
        }
        let admin_add = Operation::Create(RequestType::AdminAdd);
        assert_eq!(
            authorize(admin_add, &me, FOR_TARGET),
            Err(Denial::MissingPermission {
                operation: admin_add,
                permission: Permission::ReadWriteAll
            })
        );
        let manager = user(REQUESTOR)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::AccessPackageAssignmentManager);
        assert_eq!(
            authorize(admin_add, &manager, FOR_TARGET),
            Ok(Authority::Administrator(
                Role::AccessPackageAssignmentManager
            ))
        );
        let app = Caller::application(OTHER).with_permission(Permission::ReadWriteAll);
        assert_eq!(
            authorize(
                Operation::Create(RequestType::AdminRemove),
                &app,
                FOR_TARGET
            ),
            Ok(Authority::Application(Permission::ReadWriteAll))
        );
        assert!(authorize(Operation::Create(RequestType::UserAdd), &app, OWN).is_err());
    }

    #[test]
    fn approvers_remove_service_types_are_the_systems_and_some_types_no_ones() {
        let approver_remove = Operation::Create(RequestType::ApproverRemove);
        let approver = user(OTHER)
            .with_permission(Permission::SubjectAccessReadWrite)
            .approving(0);
        assert_eq!(
            authorize(approver_remove, &approver, FOR_TARGET),
            Ok(Authority::Approver)
        );
        let stranger = user(OTHER).with_permission(Permission::SubjectAccessReadWrite);
        assert_eq!(
            authorize(approver_remove, &stranger, FOR_TARGET),
            Err(Denial::NotAnApprover {
                operation: approver_remove
            })
        );
        let system_add = Operation::Create(RequestType::SystemAdd);
        assert_eq!(
            authorize(system_add, &Caller::system(), OWN),
            Ok(Authority::System)
        );
        assert!(authorize(system_add, &approver, OWN).is_err());
        for kind in [RequestType::NotSpecified, RequestType::OnBehalfAdd] {
            let operation = Operation::Create(kind);
            assert_eq!(
                authorize(operation, &Caller::system(), OWN),
                Err(Denial::NotRequestable { operation })
            );
        }
    }

    #[test]
    fn deleting_needs_an_administrator_or_an_application() {
        let manager = user(OTHER)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::AccessPackageAssignmentManager);
        assert!(authorize(Operation::Delete, &manager, OWN).is_ok());
        let no_role = user(OTHER).with_permission(Permission::ReadWriteAll);
        assert_eq!(
            authorize(Operation::Delete, &no_role, OWN),
            Err(Denial::MissingAdministratorRole {
                operation: Operation::Delete
            })
        );
        let app = Caller::application(OTHER).with_permission(Permission::ReadWriteAll);
        assert!(authorize(Operation::Delete, &app, OWN).is_ok());
    }

    #[test]
    fn messages_are_lowercase_with_values_in_backticks() {
        let denial = Denial::MissingPermission {
            operation: CANCEL,
            permission: Permission::ReadWriteAll,
        };
        assert_eq!(
            denial.to_string(),
            "`cancel` needs the `EntitlementManagement.ReadWrite.All` permission"
        );
        assert_eq!(
            Denial::PrincipalNotSupported {
                operation: CANCEL,
                principal: Principal::Application
            }
            .to_string(),
            "`application` callers cannot `cancel`"
        );
        assert_eq!(
            Authority::Administrator(Role::CatalogOwner).to_string(),
            "administrator: Catalog owner"
        );
        assert_eq!(
            Denial::NotRequestable {
                operation: Operation::Create(RequestType::OnBehalfAdd)
            }
            .to_string(),
            "`create:onBehalfAdd` is not supported"
        );
    }

    #[test]
    fn the_missing_role_messages_list_the_roles() {
        assert_eq!(
            Denial::MissingAdministratorRole { operation: CANCEL }.to_string(),
            "`cancel` needs one of the roles `Access package assignment manager`, `Access package manager`, \
             `Catalog owner`, `Identity Governance Administrator`"
        );
        assert!(
            Denial::MissingReaderRole {
                operation: Operation::Get
            }
            .to_string()
            .starts_with("`get` needs one of the roles `Catalog reader`, ")
        );
    }

    #[test]
    fn provenance_follows_the_rule_not_just_the_operation() {
        let own = act(
            ActionKind::Cancel,
            &user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite),
            OWN,
        )
        .unwrap();
        assert_eq!(
            own.provenance(CANCEL),
            Provenance::Documented(Source::CancelApi)
        );
        let app = Caller::application(OTHER).with_permission(Permission::ReadWriteAll);
        let reprocess = Operation::Act(ActionKind::Reprocess);
        assert_eq!(
            act(ActionKind::Reprocess, &app, OWN)
                .unwrap()
                .provenance(reprocess),
            Provenance::Documented(Source::ReprocessApi)
        );
        let resume = Operation::Act(ActionKind::ResumeDeny);
        assert_eq!(
            act(ActionKind::ResumeDeny, &app, OWN)
                .unwrap()
                .provenance(resume),
            Provenance::Documented(Source::ResumeApi)
        );
        let admin = user(OTHER)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::CatalogOwner);
        // The reprocess page's RBAC include lists the administrator roles.
        assert_eq!(
            act(ActionKind::Reprocess, &admin, OWN)
                .unwrap()
                .provenance(reprocess),
            Provenance::Documented(Source::ReprocessApi)
        );
        assert_eq!(
            Authority::System.provenance(Operation::Act(ActionKind::Expire)),
            Provenance::Modelled(Decision::ActionAuthority)
        );
        assert_eq!(
            Authority::System.provenance(Operation::Create(RequestType::SystemAdd)),
            Provenance::Modelled(Decision::RequestTypes)
        );
        assert_eq!(
            Authority::Approver.provenance(Operation::Act(ActionKind::Approve)),
            Provenance::Documented(Source::ApprovalStageApi)
        );
        assert_eq!(
            Authority::Reader(Role::CatalogReader).provenance(Operation::Get),
            Provenance::Documented(Source::GetApi)
        );
        assert_eq!(
            Authority::OwnRequest(Permission::SubjectAccessReadWrite).provenance(Operation::Get),
            Provenance::Modelled(Decision::OperationAccess)
        );
        assert_eq!(
            Authority::Administrator(Role::CatalogOwner).provenance(Operation::Delete),
            Provenance::Modelled(Decision::OperationAccess)
        );
        assert_eq!(
            Denial::OwnRequest {
                operation: Operation::Act(ActionKind::Approve)
            }
            .provenance(),
            Provenance::Modelled(Decision::ActionAuthority)
        );
        assert_eq!(
            Denial::PrincipalNotSupported {
                operation: CANCEL,
                principal: Principal::Application
            }
            .provenance(),
            Provenance::Documented(Source::CancelApi)
        );
        assert_eq!(
            Denial::NotAnApprover {
                operation: Operation::Act(ActionKind::Deny)
            }
            .provenance(),
            Provenance::Documented(Source::ApprovalStageApi)
        );
        assert_eq!(
            Denial::MissingReaderRole {
                operation: Operation::Get
            }
            .provenance(),
            Provenance::Documented(Source::GetApi)
        );
        assert_eq!(
            Denial::NotAnApprover {
                operation: Operation::Create(RequestType::ApproverRemove)
            }
            .provenance(),
            Provenance::Modelled(Decision::RequestTypes)
        );
    }
}
