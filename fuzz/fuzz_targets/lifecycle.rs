//! `lifecycle`: raw bytes become a submission and a run of (action, caller, time advance) steps, driven
//! through `entitle_core::Request::apply`/`apply_in_place` and through an independent reference model
//! written below. Any difference in result or state, any panic and any broken invariant is a crash.
//!
//! The model restates the lifecycle and authorization rules as plain matches. It uses the core's data
//! types (statuses, conditions, denials, authorities, the `Request` struct to compare against) and
//! `Request::submit`, but never its decision logic (`TRANSITIONS`, `rows`, `Condition::holds`,
//! `authorize`, `is_completed`, `is_terminal`, `is_cancelable`).
//!
//! ## Input format
//!
//! Bytes are read front to back; a read past the end yields zero, so every input decodes.
//!
//! - Byte 0, policy flags: bit 0 approval, bit 1 custom extension at creation, bit 2 escalation,
//!   bit 3 scheduled start, bit 4 stages taken raw from byte 1 (0 and 4..=255 must be refused),
//!   bits 5-6 submission time (0: 2026-01-01, 1: that plus a `u32` of ms, 2: a raw `u64`, 3: within a
//!   `u32` of ms of `u64::MAX`), bit 7 raw spans (timeout, escalation and start offset as 8 raw bytes
//!   each instead of the small forms below).
//! - Byte 1: stages (`% 3 + 1` unless raw). Byte 2: decision timeout (`% 14 + 1` days). Byte 3:
//!   escalation (`% 13 + 1` days). Bytes 4-5: start offset, `i8(byte 4)` units of byte 5 `% 4` (day,
//!   hour, minute, ms).
//! - Then up to [`MAX_STEPS`] steps of three bytes: the action (`% 14`, lifecycle order); the caller
//!   (`< 128`: the usual caller of the action, else pool member `% 16`, member 15 built from two more
//!   bytes); the advance (low 3 bits the kind, high 5 bits a magnitude `m`: 0, 1 ms, `m` hours, `m`
//!   days, a day less 1 ms, `m` minutes, `m` days less 1 ms, a raw `u64` of 8 more bytes).

#![no_main]

#[path = "common/bytes.rs"]
mod bytes;

use bytes::Bytes;
use entitle_core::{
    Action, ActionKind, ApprovalPolicy, Authority, Caller, Condition, Denial, Duration, Guid,
    InvalidInput, Permission, Policy, Principal, Rejection, Request, RequestId, RequestState,
    RequestStatus, Role, Step, SubjectId, Timestamp, VariantArray,
};
use libfuzzer_sys::fuzz_target;

const MS_MINUTE: u64 = 60 * 1_000;
const MS_HOUR: u64 = 60 * MS_MINUTE;
const MS_DAY: u64 = 24 * MS_HOUR;
/// 2026-01-01T00:00:00Z.
const T0: u64 = 1_767_225_600_000;
/// The most steps decoded from one input.
const MAX_STEPS: usize = 128;

const ID: RequestId = RequestId::new(Guid::from_u128(0x1d));
const REQUESTOR: SubjectId = SubjectId::new(Guid::from_u128(0xa1));
const OTHER: SubjectId = SubjectId::new(Guid::from_u128(0xb2));
const APPROVER: SubjectId = SubjectId::new(Guid::from_u128(0xc3));
const APP: SubjectId = SubjectId::new(Guid::from_u128(0xd4));

// ---------------------------------------------------------------------------------------------------
// Decoding.
// ---------------------------------------------------------------------------------------------------

/// The callers a step can name: authorized and unauthorized ones of every kind.
#[derive(Clone, Copy, Debug)]
enum Who {
    System,
    RequestorSubjectAccess,
    RequestorReadAll,
    RequestorReadWriteAll,
    AssignmentManager,
    PackageManager,
    CatalogOwner,
    GovernanceAdministrator,
    /// `ReadWrite.All` but no role.
    OtherWithoutRole,
    /// Every role but only `Read.All` and `SubjectAccess.ReadWrite`.
    OtherAdminReadOnly,
    Approver,
    /// The requestor holding the approver role.
    SelfApprover,
    Application,
    /// An application without permissions.
    ApplicationBare,
    /// A personal account with the requestor's id, every permission and every role.
    PersonalEverything,
    /// Built from two bytes: principal, id, permissions and roles.
    Custom(u8, u8),
}

impl Who {
    fn decode(bytes: &mut Bytes<'_>, action: ActionKind) -> Self {
        let byte = bytes.u8();
        if byte < 128 {
            return Self::usual_for(action);
        }
        match byte % 16 {
            0 => Self::System,
            1 => Self::RequestorSubjectAccess,
            2 => Self::RequestorReadAll,
            3 => Self::RequestorReadWriteAll,
            4 => Self::AssignmentManager,
            5 => Self::PackageManager,
            6 => Self::CatalogOwner,
            7 => Self::GovernanceAdministrator,
            8 => Self::OtherWithoutRole,
            9 => Self::OtherAdminReadOnly,
            10 => Self::Approver,
            11 => Self::SelfApprover,
            12 => Self::Application,
            13 => Self::ApplicationBare,
            14 => Self::PersonalEverything,
            _ => Self::Custom(bytes.u8(), bytes.u8()),
        }
    }

    fn usual_for(action: ActionKind) -> Self {
        match action {
            ActionKind::ResumeContinue | ActionKind::ResumeDeny | ActionKind::ResumeCancel => {
                Self::Application
            }
            ActionKind::Approve | ActionKind::Deny => Self::Approver,
            ActionKind::Reprocess => Self::AssignmentManager,
            ActionKind::Cancel => Self::RequestorSubjectAccess,
            _ => Self::System,
        }
    }

    fn caller(self) -> Caller {
        let rwa = Permission::ReadWriteAll;
        let user = Caller::user;
        match self {
            Self::System => Caller::system(),
            Self::RequestorSubjectAccess => {
                user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite)
            }
            Self::RequestorReadAll => user(REQUESTOR).with_permission(Permission::ReadAll),
            Self::RequestorReadWriteAll => user(REQUESTOR).with_permission(rwa),
            Self::AssignmentManager => user(OTHER)
                .with_permission(rwa)
                .with_role(Role::AccessPackageAssignmentManager),
            Self::PackageManager => user(OTHER)
                .with_permission(rwa)
                .with_role(Role::AccessPackageManager),
            Self::CatalogOwner => user(OTHER)
                .with_permission(rwa)
                .with_role(Role::CatalogOwner),
            Self::GovernanceAdministrator => user(OTHER)
                .with_permission(rwa)
                .with_role(Role::IdentityGovernanceAdministrator),
            Self::OtherWithoutRole => user(OTHER).with_permission(rwa),
            Self::OtherAdminReadOnly => {
                let mut caller = user(OTHER)
                    .with_permission(Permission::ReadAll)
                    .with_permission(Permission::SubjectAccessReadWrite);
                caller.roles = Role::VARIANTS.iter().copied().collect();
                caller
            }
            Self::Approver => user(APPROVER)
                .with_permission(rwa)
                .with_role(Role::Approver),
            Self::SelfApprover => user(REQUESTOR)
                .with_permission(rwa)
                .with_role(Role::Approver),
            Self::Application => Caller::application(APP).with_permission(rwa),
            Self::ApplicationBare => Caller::application(APP),
            Self::PersonalEverything => {
                let mut caller = Caller::new(Principal::PersonalAccount, REQUESTOR);
                caller.permissions = Permission::VARIANTS.iter().copied().collect();
                caller.roles = Role::VARIANTS.iter().copied().collect();
                caller
            }
            Self::Custom(kind, grants) => {
                let principal = [
                    Principal::WorkOrSchoolUser,
                    Principal::PersonalAccount,
                    Principal::Application,
                    Principal::System,
                ][usize::from(kind & 3)];
                let id = [REQUESTOR, OTHER, APPROVER, APP][usize::from((kind >> 2) & 3)];
                let mut caller = Caller::new(principal, id);
                caller.permissions = Permission::VARIANTS
                    .iter()
                    .enumerate()
                    .filter(|(bit, _)| grants & (1 << bit) != 0)
                    .map(|(_, permission)| *permission)
                    .collect();
                caller.roles = Role::VARIANTS
                    .iter()
                    .enumerate()
                    .filter(|(bit, _)| grants & (1 << (bit + 3)) != 0)
                    .map(|(_, role)| *role)
                    .collect();
                caller
            }
        }
    }
}

/// The submission: policy facts, scheduled start and submission time.
#[derive(Debug)]
struct Submission {
    policy: Policy,
    starts_at: Option<u64>,
    at: u64,
}

fn decode_submission(bytes: &mut Bytes<'_>) -> Submission {
    let flags = bytes.u8();
    let raw_stages = flags & 0x10 != 0;
    let raw_spans = flags & 0x80 != 0;
    let stages_byte = bytes.u8();
    let timeout_byte = bytes.u8();
    let escalation_byte = bytes.u8();
    let offset_byte = bytes.u8();
    let unit_byte = bytes.u8();
    let at = match (flags >> 5) & 3 {
        0 => T0,
        1 => T0 + u64::from(bytes.u32()),
        2 => bytes.u64(),
        _ => u64::MAX - u64::from(bytes.u32()),
    };
    let mut span = |small: u64| if raw_spans { bytes.u64() } else { small };
    let decision_timeout = Duration(span(u64::from(timeout_byte % 14 + 1) * MS_DAY));
    let escalate_after = Duration(span(u64::from(escalation_byte % 13 + 1) * MS_DAY));
    let unit = [MS_DAY, MS_HOUR, MS_MINUTE, 1][usize::from(unit_byte % 4)];
    // An offset within ±128 units, or any 64-bit offset.
    let small_offset = i64::from(offset_byte.cast_signed()) * unit.cast_signed();
    let offset = if raw_spans {
        bytes.u64().cast_signed()
    } else {
        small_offset
    };
    let approval = (flags & 1 != 0).then_some(ApprovalPolicy {
        stages: if raw_stages {
            stages_byte
        } else {
            stages_byte % 3 + 1
        },
        decision_timeout,
        escalate_after: (flags & 4 != 0).then_some(escalate_after),
    });
    Submission {
        policy: Policy {
            approval,
            callout_on_created: flags & 2 != 0,
        },
        starts_at: (flags & 8 != 0).then(|| at.saturating_add_signed(offset)),
        at,
    }
}

fn decode_advance(bytes: &mut Bytes<'_>) -> u64 {
    let byte = bytes.u8();
    let m = u64::from(byte >> 3);
    match byte & 7 {
        0 => 0,
        1 => 1,
        2 => m * MS_HOUR,
        3 => m * MS_DAY,
        4 => MS_DAY - 1,
        5 => m * MS_MINUTE,
        6 => (m * MS_DAY).saturating_sub(1),
        _ => bytes.u64(),
    }
}

// ---------------------------------------------------------------------------------------------------
// The reference model.
// ---------------------------------------------------------------------------------------------------

/// The administrator roles, least privileged first.
const ADMINS: [Role; 4] = [
    Role::AccessPackageAssignmentManager,
    Role::AccessPackageManager,
    Role::CatalogOwner,
    Role::IdentityGovernanceAdministrator,
];

/// The statuses no action leaves.
const TERMINAL: [RequestStatus; 4] = [
    RequestStatus::Delivered,
    RequestStatus::Denied,
    RequestStatus::Expired,
    RequestStatus::Canceled,
];

/// The statuses `cancel` is documented to work from.
const CANCELABLE: [RequestStatus; 4] = [
    RequestStatus::Accepted,
    RequestStatus::PendingApproval,
    RequestStatus::PendingNotBefore,
    RequestStatus::PendingApprovalEscalated,
];

/// Fourteen days, in milliseconds.
const REPROCESS_MS: u64 = 14 * MS_DAY;

/// Who may do what, decided from the caller and the requestor only.
fn model_authorize(
    action: ActionKind,
    caller: &Caller,
    requestor: SubjectId,
) -> Result<Authority, Denial> {
    use ActionKind as A;
    use Principal as P;
    let rwa = caller.permissions.contains(Permission::ReadWriteAll);
    let unsupported = Denial::PrincipalNotSupported {
        action,
        principal: caller.principal,
    };
    let need_rwa = Denial::MissingPermission {
        action,
        permission: Permission::ReadWriteAll,
    };
    let admin = || -> Result<Authority, Denial> {
        if !rwa {
            return Err(need_rwa);
        }
        for role in ADMINS {
            if caller.roles.contains(role) {
                return Ok(Authority::Administrator(role));
            }
        }
        Err(Denial::MissingAdministratorRole { action })
    };
    match (action, caller.principal) {
        (
            A::Process
            | A::Escalate
            | A::Expire
            | A::ReachStart
            | A::Deliver
            | A::DeliverPartially
            | A::FailDelivery,
            P::System,
        ) => Ok(Authority::System),
        (
            A::Process
            | A::Escalate
            | A::Expire
            | A::ReachStart
            | A::Deliver
            | A::DeliverPartially
            | A::FailDelivery,
            _,
        ) => Err(unsupported),
        // resume (a custom extension calling back) and reprocess: an application with ReadWrite.All,
        // or a delegated administrator acting on someone else's request.
        (A::ResumeContinue | A::ResumeDeny | A::ResumeCancel | A::Reprocess, P::Application) => {
            if rwa {
                Ok(Authority::Application)
            } else {
                Err(need_rwa)
            }
        }
        (
            A::ResumeContinue | A::ResumeDeny | A::ResumeCancel | A::Reprocess,
            P::WorkOrSchoolUser,
        ) => {
            if caller.id == requestor {
                Err(Denial::OwnRequest { action })
            } else {
                admin()
            }
        }
        (A::ResumeContinue | A::ResumeDeny | A::ResumeCancel | A::Reprocess, _) => Err(unsupported),
        (A::Approve | A::Deny, P::WorkOrSchoolUser) => {
            if !rwa {
                Err(need_rwa)
            } else if caller.id == requestor {
                Err(Denial::OwnRequest { action })
            } else if caller.roles.contains(Role::Approver) {
                Ok(Authority::Approver)
            } else {
                Err(Denial::NotAnApprover { action })
            }
        }
        (A::Approve | A::Deny, _) => Err(unsupported),
        (A::Cancel, P::WorkOrSchoolUser) if caller.id == requestor => {
            if caller
                .permissions
                .contains(Permission::SubjectAccessReadWrite)
            {
                Ok(Authority::OwnRequest(Permission::SubjectAccessReadWrite))
            } else if rwa {
                Ok(Authority::OwnRequest(Permission::ReadWriteAll))
            } else {
                Err(Denial::MissingPermission {
                    action,
                    permission: Permission::SubjectAccessReadWrite,
                })
            }
        }
        (A::Cancel, P::WorkOrSchoolUser) => admin(),
        (A::Cancel, _) => Err(unsupported),
    }
}

/// Whether a status records `completedDateTime`.
fn completes(status: RequestStatus) -> bool {
    TERMINAL.contains(&status)
        || matches!(
            status,
            RequestStatus::PartiallyDelivered | RequestStatus::DeliveryFailed
        )
}

/// The model's request: plain integers for times.
#[derive(Clone, Copy, Debug)]
struct Model {
    policy: Policy,
    starts_at: Option<u64>,
    created_at: u64,
    status: RequestStatus,
    stage: u8,
    stage_started_at: Option<u64>,
    completed_at: Option<u64>,
    first_completed_at: Option<u64>,
}

/// A move the lifecycle allows: the condition of the row taken, and the status entered.
type Move = (Condition, RequestStatus);

impl Model {
    fn new(submission: &Submission) -> Self {
        Self {
            policy: submission.policy,
            starts_at: submission.starts_at,
            created_at: submission.at,
            status: RequestStatus::Accepted,
            stage: 0,
            stage_started_at: None,
            completed_at: None,
            first_completed_at: None,
        }
    }

    fn as_request(&self) -> Request {
        Request {
            id: ID,
            requestor: REQUESTOR,
            policy: self.policy,
            starts_at: self.starts_at.map(Timestamp),
            status: self.status,
            created_at: Timestamp(self.created_at),
            approval_stage: self.stage,
            stage_started_at: self.stage_started_at.map(Timestamp),
            completed_at: self.completed_at.map(Timestamp),
            first_completed_at: self.first_completed_at.map(Timestamp),
        }
    }

    fn starts_later(&self, now: u64) -> bool {
        self.starts_at.is_some_and(|start| start > now)
    }

    /// Past the callout: approval first, then a future start, else delivery.
    fn route(&self, now: u64) -> Move {
        if self.policy.approval.is_some() {
            (Condition::ApprovalRequired, RequestStatus::PendingApproval)
        } else if self.starts_later(now) {
            (Condition::StartsLater, RequestStatus::PendingNotBefore)
        } else {
            (Condition::Always, RequestStatus::Delivering)
        }
    }

    fn escalation_due(&self) -> Option<u64> {
        let after = self.policy.approval?.escalate_after?;
        Some(self.stage_started_at?.saturating_add(after.0))
    }

    fn expiry_due(&self) -> Option<u64> {
        let timeout = self.policy.approval?.decision_timeout;
        Some(self.stage_started_at?.saturating_add(timeout.0))
    }

    /// Timed: the move if `due` has come, else the unmet condition.
    fn timed(due: Option<u64>, now: u64, mv: Move) -> Result<Move, Option<Condition>> {
        if due.is_some_and(|due| now >= due) {
            Ok(mv)
        } else {
            Err(Some(mv.0))
        }
    }

    /// The lifecycle: `Err(None)` when no row exists, `Err(Some(c))` when `c` does not hold.
    fn lifecycle(&self, action: ActionKind, now: u64) -> Result<Move, Option<Condition>> {
        use ActionKind as A;
        use Condition as C;
        use RequestStatus as S;
        match (self.status, action) {
            (S::Accepted, A::Process) if self.policy.callout_on_created => {
                Ok((C::CalloutConfigured, S::WaitingForCallback))
            }
            (S::Accepted, A::Process) | (S::WaitingForCallback, A::ResumeContinue) => {
                Ok(self.route(now))
            }
            (S::WaitingForCallback, A::ResumeDeny) => Ok((C::Always, S::Denied)),
            (S::WaitingForCallback, A::ResumeCancel) => Ok((C::Always, S::Canceled)),
            (
                S::Accepted
                | S::PendingApproval
                | S::PendingApprovalEscalated
                | S::PendingNotBefore,
                A::Cancel,
            ) => Ok((C::Always, S::Canceled)),
            (S::PendingApproval | S::PendingApprovalEscalated, A::Approve) => {
                let stages = self.policy.approval.map_or(0, |a| u16::from(a.stages));
                if u16::from(self.stage) + 1 < stages {
                    Ok((C::MoreStagesRemain, S::PendingApproval))
                } else if self.starts_later(now) {
                    Ok((C::StartsLater, S::PendingNotBefore))
                } else {
                    Ok((C::Always, S::Delivering))
                }
            }
            (S::PendingApproval | S::PendingApprovalEscalated, A::Deny) => {
                Ok((C::Always, S::Denied))
            }
            (S::PendingApproval, A::Escalate) => Self::timed(
                self.escalation_due(),
                now,
                (C::EscalationDue, S::PendingApprovalEscalated),
            ),
            (S::PendingApproval | S::PendingApprovalEscalated, A::Expire) => {
                Self::timed(self.expiry_due(), now, (C::DecisionTimedOut, S::Expired))
            }
            (S::PendingNotBefore, A::ReachStart) => Self::timed(
                Some(self.starts_at.unwrap_or(0)),
                now,
                (C::StartReached, S::Delivering),
            ),
            (S::Delivering, A::Deliver) => Ok((C::Always, S::Delivered)),
            (S::Delivering, A::DeliverPartially) => Ok((C::Always, S::PartiallyDelivered)),
            (S::Delivering, A::FailDelivery) => Ok((C::Always, S::DeliveryFailed)),
            (S::PartiallyDelivered | S::DeliveryFailed, A::Reprocess) => {
                let open = self
                    .first_completed_at
                    .is_some_and(|first| now <= first.saturating_add(REPROCESS_MS));
                if open {
                    Ok((C::WithinReprocessWindow, S::Delivering))
                } else {
                    Err(Some(C::WithinReprocessWindow))
                }
            }
            _ => Err(None),
        }
    }

    /// Decides an action; on success returns the authority and row and moves the model.
    fn apply(
        &mut self,
        action: ActionKind,
        caller: &Caller,
        now: u64,
    ) -> Result<(Authority, Move), Rejection> {
        let authority = model_authorize(action, caller, REQUESTOR)?;
        let status = self.status;
        let (when, to) = self.lifecycle(action, now).map_err(|unmet| match unmet {
            Some(unmet) => Rejection::ConditionNotMet {
                status,
                action,
                unmet,
            },
            None => Rejection::NotAllowed { status, action },
        })?;
        if to == RequestStatus::PendingApproval {
            self.stage = if when == Condition::MoreStagesRemain {
                self.stage + 1
            } else {
                0
            };
            self.stage_started_at = Some(now);
        }
        if completes(to) {
            self.completed_at = Some(now);
            self.first_completed_at = Some(self.first_completed_at.unwrap_or(now));
        } else {
            self.completed_at = None;
        }
        self.status = to;
        Ok((authority, (when, to)))
    }

    /// The earliest timed action the model waits for; on a tie the one tried first.
    fn next_deadline(&self) -> Option<(u64, ActionKind)> {
        use RequestStatus as S;
        match self.status {
            S::PendingApproval => {
                let escalate = self.escalation_due().map(|at| (at, ActionKind::Escalate));
                let expire = self.expiry_due().map(|at| (at, ActionKind::Expire));
                match (escalate, expire) {
                    (Some(e), Some(x)) => Some(if x.0 < e.0 { x } else { e }),
                    (e, x) => e.or(x),
                }
            }
            S::PendingApprovalEscalated => self.expiry_due().map(|at| (at, ActionKind::Expire)),
            S::PendingNotBefore => Some((self.starts_at.unwrap_or(0), ActionKind::ReachStart)),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// The target.
// ---------------------------------------------------------------------------------------------------

fn check_step(
    index: usize,
    core: &Result<Step, Rejection>,
    model: &Result<(Authority, Move), Rejection>,
    kind: ActionKind,
    from: RequestStatus,
    now: u64,
    after: &Request,
) {
    match (core, model) {
        (Ok(step), Ok((authority, (when, to)))) => {
            assert_eq!(step.from, from, "step {index}: Step.from");
            assert_eq!(step.at, Timestamp(now), "step {index}: Step.at");
            assert_eq!(step.authority, *authority, "step {index}: Step.authority");
            assert_eq!(
                (
                    step.rule.from,
                    step.rule.action,
                    step.rule.when,
                    step.rule.to
                ),
                (from, kind, *when, *to),
                "step {index}: Step.rule"
            );
            assert_eq!(step.request, *after, "step {index}: Step.request");
        }
        (Err(core), Err(model)) => assert_eq!(core, model, "step {index}: rejection"),
        _ => panic!("step {index}: core {core:?} vs model {model:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes::new(data);
    let submission = decode_submission(&mut bytes);
    let submitted = Request::submit(
        ID,
        REQUESTOR,
        submission.policy,
        submission.starts_at.map(Timestamp),
        Timestamp(submission.at),
    );
    let mut core = match (submission.policy.approval, submitted) {
        (Some(approval), Err(error)) => {
            assert!(!(1..=3).contains(&approval.stages), "valid policy refused");
            assert_eq!(
                error,
                InvalidInput::ApprovalStages {
                    stages: approval.stages
                }
            );
            return;
        }
        (None, Err(error)) => panic!("a policy without approval refused: {error}"),
        (Some(approval), Ok(_)) if !(1..=3).contains(&approval.stages) => {
            panic!("{} stages accepted", approval.stages)
        }
        (_, Ok(request)) => request,
    };
    let mut model = Model::new(&submission);
    assert_eq!(core, model.as_request(), "after submission");
    let mut now = submission.at;

    for index in 0..MAX_STEPS {
        if bytes.done() {
            break;
        }
        let kind = ActionKind::VARIANTS[usize::from(bytes.u8()) % ActionKind::VARIANTS.len()];
        let who = Who::decode(&mut bytes, kind);
        now = now.saturating_add(decode_advance(&mut bytes));
        let caller = who.caller();
        let action = Action::new(kind, caller);
        let at = Timestamp(now);
        let before = core;

        // What the caller could do now, by the model, before the model moves.
        let permitted: Vec<ActionKind> = ActionKind::VARIANTS
            .iter()
            .copied()
            .filter(|&other| {
                let mut probe = model;
                probe.apply(other, &caller, now).is_ok()
            })
            .collect();
        assert_eq!(
            core.permitted_actions(&caller, at).collect::<Vec<_>>(),
            permitted,
            "step {index}: permitted_actions for {who:?}"
        );
        assert_eq!(
            core.can_cancel(&caller, at),
            permitted.contains(&ActionKind::Cancel),
            "step {index}: can_cancel for {who:?}"
        );

        let by_value = core.apply(&action, at);
        assert_eq!(core, before, "step {index}: apply changed its receiver");
        let in_place = core.apply_in_place(&action, at);
        assert_eq!(in_place, by_value, "step {index}: apply_in_place vs apply");
        let expected = model.apply(kind, &caller, now);
        check_step(index, &in_place, &expected, kind, before.status, now, &core);
        assert_eq!(
            core,
            model.as_request(),
            "step {index}: {kind} by {who:?} from {:?}: core vs model state",
            before.status
        );

        // Invariants, whatever the model says.
        if in_place.is_err() {
            assert_eq!(
                core, before,
                "step {index}: a rejection changed the request"
            );
        } else {
            assert!(
                !TERMINAL.contains(&before.status),
                "step {index}: left terminal {:?} by {kind}",
                before.status
            );
            assert!(
                kind != ActionKind::Cancel || CANCELABLE.contains(&before.status),
                "step {index}: cancel succeeded from {:?}",
                before.status
            );
        }
        assert_ne!(core.status.state(), RequestState::UnknownFutureValue);
        assert_eq!(
            core.status.is_terminal(),
            TERMINAL.contains(&core.status),
            "is_terminal of {:?}",
            core.status
        );
        assert_eq!(
            core.status.is_cancelable(),
            CANCELABLE.contains(&core.status),
            "is_cancelable of {:?}",
            core.status
        );
        assert_eq!(
            core.completed_at.is_some(),
            completes(core.status),
            "step {index}: completed_at vs status {:?}",
            core.status
        );
        assert_eq!(
            core.next_deadline().map(|d| (d.at.0, d.action)),
            model.next_deadline(),
            "step {index}: next_deadline in {:?}",
            core.status
        );
    }

    let json = serde_json::to_string(&core).expect("a request serializes");
    let back: Request = serde_json::from_str(&json).expect("a serialized request loads");
    assert_eq!(back, core, "serde round trip");
});
