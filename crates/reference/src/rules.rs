//! The rules, restated as plain matches from the specification (`docs/decisions.md`): who may do
//! what, where each action leads from each status, and how an assignment moves.

use entitle_core::{
    ActionKind, AssignmentEvent, AssignmentState, Authority, Caller, Condition, Denial, Operation,
    Permission, Principal, RequestStatus, RequestType, Role, SubjectId,
};

/// The administrator roles, written out here rather than taken from the core.
pub const ADMIN_ROLES: [Role; 4] = [
    Role::AccessPackageAssignmentManager,
    Role::AccessPackageManager,
    Role::CatalogOwner,
    Role::IdentityGovernanceAdministrator,
];

/// The roles that let a delegated user read others' requests: all nine.
pub const READER_ROLES: [Role; 9] = [
    Role::CatalogReader,
    Role::AccessPackageAssignmentManager,
    Role::AccessPackageManager,
    Role::CatalogOwner,
    Role::SecurityReader,
    Role::GlobalReader,
    Role::ComplianceAdministrator,
    Role::SecurityAdministrator,
    Role::IdentityGovernanceAdministrator,
];

/// How many days after its first completion a request may be reprocessed.
pub const REPROCESS_WINDOW_MS: u64 = 14 * 24 * 60 * 60 * 1_000;

fn has(caller: &Caller, permission: Permission) -> bool {
    caller.permissions.contains(permission)
}

fn unsupported(operation: Operation, caller: &Caller) -> Denial {
    Denial::PrincipalNotSupported {
        operation,
        principal: caller.principal,
    }
}

fn missing(operation: Operation, permission: Permission) -> Denial {
    Denial::MissingPermission {
        operation,
        permission,
    }
}

fn admin_role(caller: &Caller) -> bool {
    ADMIN_ROLES.iter().any(|role| caller.roles.contains(*role))
}

/// `ReadWrite.All` and an administrator role, for a work or school user.
fn delegated_admin(operation: Operation, caller: &Caller) -> Result<(), Denial> {
    if !has(caller, Permission::ReadWriteAll) {
        Err(missing(operation, Permission::ReadWriteAll))
    } else if !admin_role(caller) {
        Err(Denial::MissingAdministratorRole { operation })
    } else {
        Ok(())
    }
}

/// An application with `ReadWrite.All`, or a delegated administrator; nobody else.
fn app_or_admin(operation: Operation, caller: &Caller) -> Result<(), Denial> {
    match caller.principal {
        Principal::Application if has(caller, Permission::ReadWriteAll) => Ok(()),
        Principal::Application => Err(missing(operation, Permission::ReadWriteAll)),
        Principal::WorkOrSchoolUser => delegated_admin(operation, caller),
        Principal::PersonalAccount | Principal::System => Err(unsupported(operation, caller)),
    }
}

fn any_em_permission(caller: &Caller) -> bool {
    has(caller, Permission::SubjectAccessReadWrite)
        || has(caller, Permission::ReadAll)
        || has(caller, Permission::ReadWriteAll)
}

fn read_permission(caller: &Caller) -> bool {
    has(caller, Permission::ReadAll) || has(caller, Permission::ReadWriteAll)
}

fn own_write_permission(caller: &Caller) -> bool {
    has(caller, Permission::SubjectAccessReadWrite) || has(caller, Permission::ReadWriteAll)
}

/// Reading one request: its requestor or target with any entitlement-management permission;
/// otherwise `Read.All` and a reader role (users), `Read.All` (applications).
fn read(
    operation: Operation,
    caller: &Caller,
    requestor: SubjectId,
    target: SubjectId,
) -> Result<(), Denial> {
    match caller.principal {
        Principal::WorkOrSchoolUser => {
            if (caller.id == requestor || caller.id == target) && any_em_permission(caller) {
                Ok(())
            } else if !read_permission(caller) {
                Err(missing(operation, Permission::ReadAll))
            } else if READER_ROLES.iter().any(|role| caller.roles.contains(*role)) {
                Ok(())
            } else {
                Err(Denial::MissingReaderRole { operation })
            }
        }
        Principal::Application if read_permission(caller) => Ok(()),
        Principal::Application => Err(missing(operation, Permission::ReadAll)),
        Principal::PersonalAccount | Principal::System => Err(unsupported(operation, caller)),
    }
}

/// The naive authorization of `operation` by `caller` on a request of `requestor` for `target`;
/// `approves` is whether the caller approves the stage in question (for a review addressed to one
/// stage), or any stage (otherwise).
///
/// # Errors
/// The denial of the first rule the caller fails.
pub fn authorize(
    operation: Operation,
    caller: &Caller,
    requestor: SubjectId,
    target: SubjectId,
    approves: bool,
) -> Result<(), Denial> {
    use ActionKind as A;
    let user = caller.principal == Principal::WorkOrSchoolUser;
    match operation {
        Operation::Get => read(operation, caller, requestor, target),
        Operation::ReadAssignment => read_assignment(operation, caller, target),
        Operation::FilterAssignmentsByCurrentUser => filter_assignments(operation, caller),
        Operation::List => match caller.principal {
            Principal::WorkOrSchoolUser | Principal::Application if read_permission(caller) => {
                Ok(())
            }
            Principal::WorkOrSchoolUser | Principal::Application => {
                Err(missing(operation, Permission::ReadAll))
            }
            Principal::PersonalAccount | Principal::System => Err(unsupported(operation, caller)),
        },
        Operation::FilterByCurrentUser => {
            if !user {
                Err(unsupported(operation, caller))
            } else if any_em_permission(caller) {
                Ok(())
            } else {
                Err(missing(operation, Permission::SubjectAccessReadWrite))
            }
        }
        Operation::ReadStages => {
            if !user {
                Err(unsupported(operation, caller))
            } else if caller.approver_of.any() && any_em_permission(caller) {
                Ok(())
            } else {
                read(operation, caller, requestor, target)
            }
        }
        Operation::Create(kind) => create(operation, kind, caller, target),
        Operation::Delete => app_or_admin(operation, caller),
        Operation::Act(
            A::Process
            | A::Escalate
            | A::Expire
            | A::ReachStart
            | A::Deliver
            | A::DeliverPartially
            | A::FailDelivery,
        ) => {
            if caller.principal == Principal::System {
                Ok(())
            } else {
                Err(unsupported(operation, caller))
            }
        }
        Operation::Act(A::ResumeContinue | A::ResumeDeny | A::ResumeCancel | A::Reprocess) => {
            if user && caller.id == requestor {
                Err(Denial::OwnRequest { operation })
            } else {
                app_or_admin(operation, caller)
            }
        }
        Operation::Act(A::Approve | A::Deny) => {
            if !user {
                Err(unsupported(operation, caller))
            } else if !has(caller, Permission::ReadWriteAll) {
                Err(missing(operation, Permission::ReadWriteAll))
            } else if caller.id == requestor {
                Err(Denial::OwnRequest { operation })
            } else if approves {
                Ok(())
            } else {
                Err(Denial::NotAnApprover { operation })
            }
        }
        Operation::Act(A::Cancel) => {
            if !user {
                Err(unsupported(operation, caller))
            } else if caller.id == requestor {
                if own_write_permission(caller) {
                    Ok(())
                } else {
                    Err(missing(operation, Permission::SubjectAccessReadWrite))
                }
            } else {
                delegated_admin(operation, caller)
            }
        }
    }
}

fn create(
    operation: Operation,
    kind: RequestType,
    caller: &Caller,
    target: SubjectId,
) -> Result<(), Denial> {
    use RequestType as T;
    let user = caller.principal == Principal::WorkOrSchoolUser;
    let end_user = || {
        if !user {
            Err(unsupported(operation, caller))
        } else if own_write_permission(caller) {
            Ok(())
        } else {
            Err(missing(operation, Permission::SubjectAccessReadWrite))
        }
    };
    match kind {
        T::UserAdd | T::UserUpdate | T::UserRemove | T::UserExtend => {
            end_user()?;
            // The target's manager, where the policy names managers, may only ask to add them.
            if caller.id == target || (caller.on_behalf_of_target && kind == T::UserAdd) {
                Ok(())
            } else {
                Err(Denial::NotTheTarget { operation })
            }
        }
        T::ApproverRemove => {
            end_user()?;
            if caller.approver_of.any() {
                Ok(())
            } else {
                Err(Denial::NotAnApprover { operation })
            }
        }
        T::AdminAdd | T::AdminUpdate | T::AdminRemove => app_or_admin(operation, caller),
        T::SystemAdd | T::SystemUpdate | T::SystemRemove => {
            if caller.principal == Principal::System {
                Ok(())
            } else {
                Err(unsupported(operation, caller))
            }
        }
        T::NotSpecified | T::OnBehalfAdd => Err(Denial::NotRequestable { operation }),
    }
}

/// What the lifecycle says about an authorized action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Move to this status (entering `PendingApproval` at stage 0 if it is that).
    To(RequestStatus),
    /// Approve with stages remaining: `PendingApproval` at the next stage.
    NextStage,
    /// A row exists but its condition does not hold now.
    Unmet(Condition),
    /// No row for this status and action.
    NotAllowed,
}

/// The facts the lifecycle reads: the truth of each condition.
#[derive(Clone, Copy, Debug)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "one flag per condition of the table, as the specification names them"
)]
pub struct Facts {
    /// The policy requires approval and approval applies to the request's type.
    pub approval_required: bool,
    /// The policy runs a custom extension at creation and the request's type grants access.
    pub callout: bool,
    /// The scheduled start is after now.
    pub starts_later: bool,
    /// Stages remain after the current one.
    pub more_stages: bool,
    /// The current stage's escalation time has passed (escalation on).
    pub escalation_due: bool,
    /// The current stage's approval timeout has passed.
    pub timed_out: bool,
    /// The scheduled start is reached (or there is none).
    pub start_reached: bool,
    /// The request first completed at most 14 days ago.
    pub within_window: bool,
}

fn route(facts: Facts) -> Outcome {
    if facts.approval_required {
        Outcome::To(RequestStatus::PendingApproval)
    } else if facts.starts_later {
        Outcome::To(RequestStatus::PendingNotBefore)
    } else {
        Outcome::To(RequestStatus::Delivering)
    }
}

fn unless(holds: bool, to: RequestStatus, condition: Condition) -> Outcome {
    if holds {
        Outcome::To(to)
    } else {
        Outcome::Unmet(condition)
    }
}

/// The lifecycle, as a plain match on (status, action).
pub fn lifecycle(status: RequestStatus, action: ActionKind, facts: &Facts) -> Outcome {
    use ActionKind as A;
    use RequestStatus as S;
    match (status, action) {
        (S::Accepted, A::Process) if facts.callout => Outcome::To(S::WaitingForCallback),
        (S::Accepted, A::Process) | (S::WaitingForCallback, A::ResumeContinue) => route(*facts),
        (
            S::Accepted | S::PendingApproval | S::PendingApprovalEscalated | S::PendingNotBefore,
            A::Cancel,
        )
        | (S::WaitingForCallback, A::ResumeCancel) => Outcome::To(S::Canceled),
        (S::WaitingForCallback, A::ResumeDeny)
        | (S::PendingApproval | S::PendingApprovalEscalated, A::Deny) => Outcome::To(S::Denied),
        (S::PendingApproval | S::PendingApprovalEscalated, A::Approve) => {
            if facts.more_stages {
                Outcome::NextStage
            } else if facts.starts_later {
                Outcome::To(S::PendingNotBefore)
            } else {
                Outcome::To(S::Delivering)
            }
        }
        (S::PendingApproval | S::PendingApprovalEscalated, A::Expire) => {
            unless(facts.timed_out, S::Expired, Condition::DecisionTimedOut)
        }
        (S::PendingApproval, A::Escalate) => unless(
            facts.escalation_due,
            S::PendingApprovalEscalated,
            Condition::EscalationDue,
        ),
        (S::PendingNotBefore, A::ReachStart) => {
            unless(facts.start_reached, S::Delivering, Condition::StartReached)
        }
        (S::Delivering, A::Deliver) => Outcome::To(S::Delivered),
        (S::Delivering, A::DeliverPartially) => Outcome::To(S::PartiallyDelivered),
        (S::Delivering, A::FailDelivery) => Outcome::To(S::DeliveryFailed),
        (S::PartiallyDelivered | S::DeliveryFailed, A::Reprocess) => unless(
            facts.within_window,
            S::Delivering,
            Condition::WithinReprocessWindow,
        ),
        _ => Outcome::NotAllowed,
    }
}

/// Whether a status records a completion time.
pub fn completed(status: RequestStatus) -> bool {
    matches!(
        status,
        RequestStatus::Delivered
            | RequestStatus::PartiallyDelivered
            | RequestStatus::DeliveryFailed
            | RequestStatus::Denied
            | RequestStatus::Expired
            | RequestStatus::Canceled
    )
}

/// Whether a status waits for an approver.
pub fn pending_approval(status: RequestStatus) -> bool {
    matches!(
        status,
        RequestStatus::PendingApproval | RequestStatus::PendingApprovalEscalated
    )
}

/// What a request of `kind` does to an assignment, written out per type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    /// Nothing.
    Nothing,
    /// Creates one.
    Add,
    /// Changes an existing one.
    Change,
    /// Removes an existing one.
    Remove,
}

/// The intent of each type.
pub fn intent(kind: RequestType) -> Intent {
    use RequestType as T;
    match kind {
        T::NotSpecified => Intent::Nothing,
        T::UserAdd | T::AdminAdd | T::SystemAdd | T::OnBehalfAdd => Intent::Add,
        T::UserUpdate | T::AdminUpdate | T::SystemUpdate | T::UserExtend => Intent::Change,
        T::UserRemove | T::AdminRemove | T::SystemRemove | T::ApproverRemove => Intent::Remove,
    }
}

/// The assignment event a request of `kind` causes by `action` moving it to `to`.
pub fn event(kind: RequestType, action: ActionKind, to: RequestStatus) -> Option<AssignmentEvent> {
    match (intent(kind), action) {
        (Intent::Add, ActionKind::Deliver) => Some(AssignmentEvent::Delivered),
        (Intent::Add, ActionKind::DeliverPartially) => Some(AssignmentEvent::PartiallyDelivered),
        (Intent::Add, ActionKind::FailDelivery) => Some(AssignmentEvent::DeliveryFailed),
        (Intent::Add, _) if to == RequestStatus::Delivering => {
            Some(AssignmentEvent::DeliveryStarted)
        }
        (Intent::Change, ActionKind::Deliver) => Some(AssignmentEvent::Updated),
        (Intent::Remove, ActionKind::Deliver) => Some(AssignmentEvent::Removed),
        _ => None,
    }
}

/// Where an assignment in `state` (`None`: not created yet) goes on `event`.
///
/// # Errors
/// `true` when the only row's condition (the schedule's end) does not hold, `false` when there is no
/// row.
pub fn assignment_move(
    state: Option<AssignmentState>,
    event: AssignmentEvent,
    end_reached: bool,
) -> Result<AssignmentState, bool> {
    use AssignmentEvent as E;
    use AssignmentState as S;
    match (state, event) {
        (None | Some(S::PartiallyDelivered | S::DeliveryFailed), E::DeliveryStarted) => {
            Ok(S::Delivering)
        }
        (Some(S::Delivering), E::Delivered) => Ok(S::Delivered),
        (Some(S::Delivering), E::PartiallyDelivered) => Ok(S::PartiallyDelivered),
        (Some(S::Delivering), E::DeliveryFailed) => Ok(S::DeliveryFailed),
        (Some(S::PartiallyDelivered), E::Updated) => Ok(S::PartiallyDelivered),
        (Some(S::Delivered), E::Updated) => Ok(S::Delivered),
        (Some(S::PartiallyDelivered | S::Delivered | S::DeliveryFailed), E::Removed) => {
            Ok(S::Expired)
        }
        (Some(S::PartiallyDelivered | S::Delivered), E::ScheduleEnded) => {
            if end_reached {
                Ok(S::Expired)
            } else {
                Err(true)
            }
        }
        _ => Err(false),
    }
}

/// The first of `permissions` the caller holds.
fn first_held(caller: &Caller, permissions: &[Permission]) -> Option<Permission> {
    permissions
        .iter()
        .copied()
        .find(|permission| has(caller, *permission))
}

/// The least privileged of `roles` the caller holds.
fn first_role(caller: &Caller, roles: &[Role]) -> Option<Role> {
    roles
        .iter()
        .copied()
        .find(|role| caller.roles.contains(*role))
}

/// Reading an assignment held by `holder`: `Read.All`, and a reader role unless the caller holds it.
fn read_assignment(operation: Operation, caller: &Caller, holder: SubjectId) -> Result<(), Denial> {
    match caller.principal {
        Principal::WorkOrSchoolUser | Principal::Application if !read_permission(caller) => {
            Err(missing(operation, Permission::ReadAll))
        }
        Principal::WorkOrSchoolUser
            if caller.id != holder && first_role(caller, &READER_ROLES).is_none() =>
        {
            Err(Denial::MissingReaderRole { operation })
        }
        Principal::WorkOrSchoolUser | Principal::Application => Ok(()),
        Principal::PersonalAccount | Principal::System => Err(unsupported(operation, caller)),
    }
}

/// `filterByCurrentUser` on assignments: signed-in users with `Read.All`.
fn filter_assignments(operation: Operation, caller: &Caller) -> Result<(), Denial> {
    match caller.principal {
        Principal::WorkOrSchoolUser if read_permission(caller) => Ok(()),
        Principal::WorkOrSchoolUser => Err(missing(operation, Permission::ReadAll)),
        Principal::Application | Principal::PersonalAccount | Principal::System => {
            Err(unsupported(operation, caller))
        }
    }
}

/// The rule that authorizes `operation` for `caller`, once [`authorize`] allowed it: the least
/// privileged permission or role that does.
pub fn authority(
    operation: Operation,
    caller: &Caller,
    requestor: SubjectId,
    target: SubjectId,
) -> Option<Authority> {
    use ActionKind as A;
    use Permission as P;
    let app = caller.principal == Principal::Application;
    let administrator = || first_role(caller, &ADMIN_ROLES).map(Authority::Administrator);
    let application_or_administrator = || {
        if app {
            Some(Authority::Application(P::ReadWriteAll))
        } else {
            administrator()
        }
    };
    let read = || {
        if app {
            first_held(caller, &[P::ReadAll, P::ReadWriteAll]).map(Authority::Application)
        } else {
            let any = first_held(
                caller,
                &[P::SubjectAccessReadWrite, P::ReadAll, P::ReadWriteAll],
            );
            match any {
                Some(permission) if caller.id == requestor => {
                    Some(Authority::OwnRequest(permission))
                }
                Some(permission) if caller.id == target => Some(Authority::Target(permission)),
                _ => first_role(caller, &READER_ROLES).map(Authority::Reader),
            }
        }
    };
    match operation {
        Operation::Get => read(),
        Operation::ReadAssignment => {
            let held = first_held(caller, &[P::ReadAll, P::ReadWriteAll]);
            match held {
                Some(_) if app => held.map(Authority::Application),
                Some(permission) if caller.id == target => Some(Authority::Target(permission)),
                Some(_) => first_role(caller, &READER_ROLES).map(Authority::Reader),
                None => None,
            }
        }
        Operation::FilterAssignmentsByCurrentUser => {
            first_held(caller, &[P::ReadAll, P::ReadWriteAll]).map(Authority::SignedInUser)
        }
        Operation::List if app => {
            first_held(caller, &[P::ReadAll, P::ReadWriteAll]).map(Authority::Application)
        }
        Operation::List => {
            first_held(caller, &[P::ReadAll, P::ReadWriteAll]).map(Authority::SignedInUser)
        }
        Operation::FilterByCurrentUser => first_held(
            caller,
            &[P::SubjectAccessReadWrite, P::ReadAll, P::ReadWriteAll],
        )
        .map(Authority::SignedInUser),
        Operation::ReadStages if caller.approver_of.any() => Some(Authority::Approver),
        Operation::ReadStages => read(),
        Operation::Create(kind) => match kind {
            RequestType::UserAdd
            | RequestType::UserUpdate
            | RequestType::UserRemove
            | RequestType::UserExtend => {
                let held = first_held(caller, &[P::SubjectAccessReadWrite, P::ReadWriteAll]);
                if caller.id == target {
                    held.map(Authority::OwnRequest)
                } else {
                    held.map(Authority::OnBehalf)
                }
            }
            RequestType::ApproverRemove => Some(Authority::Approver),
            RequestType::AdminAdd | RequestType::AdminUpdate | RequestType::AdminRemove => {
                application_or_administrator()
            }
            _ => Some(Authority::System),
        },
        Operation::Delete => application_or_administrator(),
        Operation::Act(A::ResumeContinue | A::ResumeDeny | A::ResumeCancel | A::Reprocess) => {
            application_or_administrator()
        }
        Operation::Act(A::Approve | A::Deny) => Some(Authority::Approver),
        Operation::Act(A::Cancel) if caller.id == requestor => {
            first_held(caller, &[P::SubjectAccessReadWrite, P::ReadWriteAll])
                .map(Authority::OwnRequest)
        }
        Operation::Act(A::Cancel) => administrator(),
        Operation::Act(_) => Some(Authority::System),
    }
}
