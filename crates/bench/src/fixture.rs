//! The requests, callers and time at which the core and the peers are compared and measured.
//!
//! For every status, [`request_in`] gives a request in that status whose facts make the **first**
//! row's condition of every (status, action) group of the core's table hold at [`NOW`]:
//!
//! | condition | why it holds at [`NOW`] = [`T0`] + 14 days |
//! | --- | --- |
//! | `calloutConfigured` | the policy runs a custom extension when a request is created |
//! | `approvalRequired` | the policy requires approval |
//! | `moreStagesRemain` | the policy has 2 stages and the request is at stage 0 |
//! | `escalationDue` | the stage started at [`T0`] and escalates after 3 days |
//! | `decisionTimedOut` | the stage started at [`T0`] and times out after 14 days (inclusive) |
//! | `startReached` | the scheduled start is [`T0`] + 1 day |
//! | `withinReprocessWindow` | the request first completed at [`T0`] + 10 days, 4 days before [`NOW`] |
//!
//! [`caller_for`] gives, for every action, a caller that [`entitle_core::authorize`] accepts:
//! the service for its timed and delivery actions, an application with
//! `EntitlementManagement.ReadWrite.All` for a custom extension's resume, an approver of the current
//! stage for approve and deny, a catalog owner for reprocess, and the requestor with
//! `EntitlementMgmt-SubjectAccess.ReadWrite` for cancel.
//!
//! So under this fixture the core accepts an action exactly when its table has a row for the
//! (status, action) pair, and moves to that group's first row's target: the relation the peers model.

use entitle_core::{
    Action, ActionKind, ApprovalRules, AssignmentId, Caller, Duration, Guid, Permission,
    PolicyRules, Rejection, Request, RequestId, RequestStatus, RequestType, Role, Stage, SubjectId,
    Timestamp,
};

/// The request's id.
pub const REQUEST: RequestId =
    RequestId::new(Guid::from_u128(0x6b1e_9d0c_3a2f_4e8b_a5c7_0d9f_8e7a_6b5c));
/// The requestor.
pub const REQUESTOR: SubjectId =
    SubjectId::new(Guid::from_u128(0x2f3c_7a1e_8a4b_4d53_9f0e_7f5c_2b9d_1a01));
/// An approver of the current stage, who is not the requestor.
pub const APPROVER: SubjectId =
    SubjectId::new(Guid::from_u128(0x2f3c_7a1e_8a4b_4d53_9f0e_7f5c_2b9d_1a02));
/// A catalog owner, who is not the requestor.
pub const ADMINISTRATOR: SubjectId =
    SubjectId::new(Guid::from_u128(0x2f3c_7a1e_8a4b_4d53_9f0e_7f5c_2b9d_1a03));
/// The application behind the custom extension.
pub const EXTENSION: SubjectId =
    SubjectId::new(Guid::from_u128(0x2f3c_7a1e_8a4b_4d53_9f0e_7f5c_2b9d_1a04));

/// The submission time, and the start of the current approval stage: 2026-01-01T00:00:00Z.
pub const T0: Timestamp = Timestamp(1_767_225_600_000);
/// The time of every decision: 14 days after [`T0`].
pub const NOW: Timestamp = T0.after(Duration::days(14));

/// The policy: a custom extension on creation, and two approval stages that escalate after 3 days
/// and time out after 14.
pub const POLICY: PolicyRules = PolicyRules {
    approval: Some(ApprovalRules {
        stages: 2,
        decision_timeout: Duration::days(14),
        escalate_after: Some(Duration::days(3)),
    }),
    callout_on_created: true,
};

/// A stage that has not started.
const NOT_STARTED: Stage = Stage {
    started_at: None,
    escalated: false,
    outcome: None,
};

/// The request in `status`, with the facts described in the [module docs](self): a `userAdd` whose
/// first approval stage started at [`T0`].
pub const fn request_in(status: RequestStatus) -> Request {
    Request {
        id: REQUEST,
        kind: RequestType::UserAdd,
        requestor: REQUESTOR,
        target: REQUESTOR,
        assignment: AssignmentId::for_request(REQUEST),
        rules: POLICY,
        starts_at: Some(T0.after(Duration::days(1))),
        ends_at: None,
        status,
        created_at: T0,
        approval_stage: 0,
        stages: [
            Stage {
                started_at: Some(T0),
                escalated: false,
                outcome: None,
            },
            NOT_STARTED,
            NOT_STARTED,
        ],
        completed_at: None,
        first_completed_at: Some(T0.after(Duration::days(10))),
        callout: None,
    }
}

/// The requestor, signed in with the least privileged permission that lets them cancel.
pub const fn requestor() -> Caller {
    Caller::user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite)
}

/// A caller authorized to perform `action` on [`request_in`]'s requests.
pub const fn caller_for(action: ActionKind) -> Caller {
    match action {
        ActionKind::Process
        | ActionKind::Escalate
        | ActionKind::Expire
        | ActionKind::ReachStart
        | ActionKind::Deliver
        | ActionKind::DeliverPartially
        | ActionKind::FailDelivery => Caller::system(),
        ActionKind::ResumeContinue | ActionKind::ResumeDeny | ActionKind::ResumeCancel => {
            Caller::application(EXTENSION).with_permission(Permission::ReadWriteAll)
        }
        ActionKind::Approve | ActionKind::Deny => Caller::user(APPROVER)
            .with_permission(Permission::ReadWriteAll)
            .approving(0)
            .approving(1),
        ActionKind::Reprocess => Caller::user(ADMINISTRATOR)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::CatalogOwner),
        ActionKind::Cancel => requestor(),
    }
}

/// `action` asked for by [`caller_for`]`(action)`.
pub const fn action(action: ActionKind) -> Action {
    Action::new(action, caller_for(action))
}

/// The core's decision on `action` for [`request_in`]`(status)` at [`NOW`]: the status it moves to.
///
/// # Errors
/// The core's [`Rejection`]; under this fixture only [`Rejection::NotAllowed`] is expected.
pub fn core_outcome(status: RequestStatus, action: ActionKind) -> Result<RequestStatus, Rejection> {
    request_in(status)
        .apply(&self::action(action), NOW)
        .map(|step| step.request.status)
}
