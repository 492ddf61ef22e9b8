//! Model-based property test: random sequences of actions — legal and illegal, by random callers, at
//! random times — run through the real core and through a deliberately naive reference model written
//! here from the lifecycle specification, and the two must agree after every step.
//!
//! The model uses only the crate's data types and `Request::submit`; it never calls the crate's
//! decision logic (`TRANSITIONS`, `rows`, `Condition::holds`, `authorize`, `is_completed`, …).

use entitle_core::{
    Action, ActionKind, ApprovalPolicy, Caller, Condition, Denial, Guid, Permission, Policy,
    Principal, Rejection, Request, RequestId, RequestState, RequestStatus, Role, SubjectId,
    Timestamp, VariantArray,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{
    FileFailurePersistence, RngAlgorithm, TestCaseError, TestRng, TestRunner,
};

const HOUR: u64 = 60 * 60 * 1_000;
const DAY: u64 = 24 * HOUR;

const ID: RequestId = RequestId::new(Guid::from_u128(0xa));
const REQUESTOR: SubjectId = SubjectId::new(Guid::from_u128(0xb));
const OTHER: SubjectId = SubjectId::new(Guid::from_u128(0xc));
const APPROVER: SubjectId = SubjectId::new(Guid::from_u128(0xd));
const APP: SubjectId = SubjectId::new(Guid::from_u128(0xe));
/// A fixed submission time: 2026-01-01T00:00:00Z.
const T0: u64 = 1_767_225_600_000;

/// Cases per property; each case runs up to [`MAX_STEPS`] steps.
const CASES: u32 = 10_000;
/// The most steps in one generated run.
const MAX_STEPS: usize = 64;

/// Where shrunk failures are saved: `crates/core/proptest-regressions/model.txt`, to be committed.
const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/proptest-regressions/model.txt"
);

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        // Proptest is built without optimisation in tests, where ChaCha makes generation ten times
        // slower than the whole check; XorShift is plenty for test data.
        rng_algorithm: RngAlgorithm::XorShift,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------------
// The caller pool.
// ---------------------------------------------------------------------------------------------------

/// Who performs a step: a named member of a fixed pool, so counterexamples read well.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    System,
    RequestorSubjectAccess,
    RequestorReadAll,
    RequestorReadWriteAll,
    AssignmentManager,
    PackageManager,
    CatalogOwner,
    GovernanceAdministrator,
    OtherWithoutRole,
    /// Every administrator role, but only read permissions: no `ReadWrite.All`.
    OtherAdminReadOnly,
    Approver,
    /// The requestor holding the approver role: self-approval.
    SelfApprover,
    /// The requestor holding an administrator role.
    RequestorCatalogOwner,
    Application,
    ApplicationWithNothing,
    /// A personal account, with the requestor's id, every permission and every role.
    PersonalEverything,
}

impl Who {
    const ALL: [Self; 16] = [
        Self::System,
        Self::RequestorSubjectAccess,
        Self::RequestorReadAll,
        Self::RequestorReadWriteAll,
        Self::AssignmentManager,
        Self::PackageManager,
        Self::CatalogOwner,
        Self::GovernanceAdministrator,
        Self::OtherWithoutRole,
        Self::OtherAdminReadOnly,
        Self::Approver,
        Self::SelfApprover,
        Self::RequestorCatalogOwner,
        Self::Application,
        Self::ApplicationWithNothing,
        Self::PersonalEverything,
    ];

    fn caller(self) -> Caller {
        let rwa = Permission::ReadWriteAll;
        match self {
            Self::System => Caller::system(),
            Self::RequestorSubjectAccess => {
                Caller::user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite)
            }
            Self::RequestorReadAll => Caller::user(REQUESTOR).with_permission(Permission::ReadAll),
            Self::RequestorReadWriteAll => Caller::user(REQUESTOR).with_permission(rwa),
            Self::AssignmentManager => Caller::user(OTHER)
                .with_permission(rwa)
                .with_role(Role::AccessPackageAssignmentManager),
            Self::PackageManager => Caller::user(OTHER)
                .with_permission(rwa)
                .with_role(Role::AccessPackageManager),
            Self::CatalogOwner => Caller::user(OTHER)
                .with_permission(rwa)
                .with_role(Role::CatalogOwner),
            Self::GovernanceAdministrator => Caller::user(OTHER)
                .with_permission(rwa)
                .with_role(Role::IdentityGovernanceAdministrator),
            Self::OtherWithoutRole => Caller::user(OTHER).with_permission(rwa),
            Self::OtherAdminReadOnly => Caller::user(OTHER)
                .with_permission(Permission::ReadAll)
                .with_permission(Permission::SubjectAccessReadWrite)
                .with_role(Role::AccessPackageAssignmentManager)
                .with_role(Role::AccessPackageManager)
                .with_role(Role::CatalogOwner)
                .with_role(Role::IdentityGovernanceAdministrator)
                .with_role(Role::Approver),
            Self::Approver => Caller::user(APPROVER)
                .with_permission(rwa)
                .with_role(Role::Approver),
            Self::SelfApprover => Caller::user(REQUESTOR)
                .with_permission(rwa)
                .with_role(Role::Approver),
            Self::RequestorCatalogOwner => Caller::user(REQUESTOR)
                .with_permission(rwa)
                .with_role(Role::CatalogOwner),
            Self::Application => Caller::application(APP).with_permission(rwa),
            Self::ApplicationWithNothing => Caller::application(APP),
            Self::PersonalEverything => Caller::new(Principal::PersonalAccount, REQUESTOR)
                .with_permission(Permission::SubjectAccessReadWrite)
                .with_permission(Permission::ReadAll)
                .with_permission(rwa)
                .with_role(Role::Approver)
                .with_role(Role::AccessPackageAssignmentManager)
                .with_role(Role::AccessPackageManager)
                .with_role(Role::CatalogOwner)
                .with_role(Role::IdentityGovernanceAdministrator),
        }
    }

    /// The caller who would usually perform `action`, so that runs get deep into the lifecycle.
    fn natural_for(action: ActionKind) -> Self {
        match action {
            ActionKind::ResumeContinue | ActionKind::ResumeDeny | ActionKind::ResumeCancel => {
                Self::Application
            }
            ActionKind::Approve | ActionKind::Deny => Self::Approver,
            ActionKind::Reprocess => Self::CatalogOwner,
            ActionKind::Cancel => Self::RequestorSubjectAccess,
            ActionKind::Process
            | ActionKind::Escalate
            | ActionKind::Expire
            | ActionKind::ReachStart
            | ActionKind::Deliver
            | ActionKind::DeliverPartially
            | ActionKind::FailDelivery => Self::System,
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// The reference model, written from the specification alone.
// ---------------------------------------------------------------------------------------------------

/// The administrator roles, written out here rather than taken from the crate.
const ADMIN_ROLES: [Role; 4] = [
    Role::AccessPackageAssignmentManager,
    Role::AccessPackageManager,
    Role::CatalogOwner,
    Role::IdentityGovernanceAdministrator,
];

/// How long after the first completion a reprocess is still allowed.
const REPROCESS_WINDOW_MS: u64 = 14 * DAY;

/// The naive authorization rule: decided before, and independently of, the status.
fn model_authorize(
    action: ActionKind,
    caller: &Caller,
    requestor: SubjectId,
) -> Result<(), Denial> {
    let principal = caller.principal;
    let has_rwa = caller.permissions.contains(Permission::ReadWriteAll);
    let is_admin = ADMIN_ROLES.iter().any(|role| caller.roles.contains(*role));
    let unsupported = Denial::PrincipalNotSupported { action, principal };
    let missing = |permission| Denial::MissingPermission { action, permission };
    match action {
        ActionKind::Process
        | ActionKind::Escalate
        | ActionKind::Expire
        | ActionKind::ReachStart
        | ActionKind::Deliver
        | ActionKind::DeliverPartially
        | ActionKind::FailDelivery => {
            if principal == Principal::System {
                Ok(())
            } else {
                Err(unsupported)
            }
        }
        ActionKind::Approve | ActionKind::Deny => {
            if principal != Principal::WorkOrSchoolUser {
                Err(unsupported)
            } else if !has_rwa {
                Err(missing(Permission::ReadWriteAll))
            } else if caller.id == requestor {
                Err(Denial::OwnRequest { action })
            } else if !caller.roles.contains(Role::Approver) {
                Err(Denial::NotAnApprover { action })
            } else {
                Ok(())
            }
        }
        // resume (a custom extension calling back) and reprocess: an application with
        // ReadWrite.All, or an administrator who is not the requestor.
        ActionKind::ResumeContinue
        | ActionKind::ResumeDeny
        | ActionKind::ResumeCancel
        | ActionKind::Reprocess => {
            if principal == Principal::Application {
                if has_rwa {
                    Ok(())
                } else {
                    Err(missing(Permission::ReadWriteAll))
                }
            } else if principal == Principal::WorkOrSchoolUser {
                if caller.id == requestor {
                    Err(Denial::OwnRequest { action })
                } else if !has_rwa {
                    Err(missing(Permission::ReadWriteAll))
                } else if !is_admin {
                    Err(Denial::MissingAdministratorRole { action })
                } else {
                    Ok(())
                }
            } else {
                Err(unsupported)
            }
        }
        ActionKind::Cancel => {
            if principal != Principal::WorkOrSchoolUser {
                Err(unsupported)
            } else if caller.id == requestor {
                if caller
                    .permissions
                    .contains(Permission::SubjectAccessReadWrite)
                    || has_rwa
                {
                    Ok(())
                } else {
                    Err(missing(Permission::SubjectAccessReadWrite))
                }
            } else if !has_rwa {
                Err(missing(Permission::ReadWriteAll))
            } else if !is_admin {
                Err(Denial::MissingAdministratorRole { action })
            } else {
                Ok(())
            }
        }
    }
}

/// Whether a status records a completion time.
fn model_completed(status: RequestStatus) -> bool {
    match status {
        RequestStatus::Delivered
        | RequestStatus::PartiallyDelivered
        | RequestStatus::DeliveryFailed
        | RequestStatus::Denied
        | RequestStatus::Expired
        | RequestStatus::Canceled => true,
        RequestStatus::Accepted
        | RequestStatus::WaitingForCallback
        | RequestStatus::PendingApproval
        | RequestStatus::PendingApprovalEscalated
        | RequestStatus::PendingNotBefore
        | RequestStatus::Delivering => false,
    }
}

/// What the lifecycle says about an authorized action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Move to this status (entering `PendingApproval` at stage 0 if it is that).
    To(RequestStatus),
    /// Approve with stages remaining: `PendingApproval` at the next stage.
    NextStage,
    /// A row exists but its condition does not hold now.
    Unmet(Condition),
    /// No row for this status and action.
    NotAllowed,
}

/// The reference model's state: the request's facts in plain integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Model {
    requestor: SubjectId,
    policy: Policy,
    starts_at: Option<u64>,
    created_at: u64,
    status: RequestStatus,
    approval_stage: u8,
    stage_started_at: Option<u64>,
    completed_at: Option<u64>,
    first_completed_at: Option<u64>,
}

impl Model {
    fn submitted(policy: Policy, starts_at: Option<u64>, now: u64) -> Self {
        Self {
            requestor: REQUESTOR,
            policy,
            starts_at,
            created_at: now,
            status: RequestStatus::Accepted,
            approval_stage: 0,
            stage_started_at: None,
            completed_at: None,
            first_completed_at: None,
        }
    }

    /// The whole request the core should hold.
    fn expected(&self) -> Request {
        Request {
            id: ID,
            requestor: self.requestor,
            policy: self.policy,
            starts_at: self.starts_at.map(Timestamp),
            status: self.status,
            created_at: Timestamp(self.created_at),
            approval_stage: self.approval_stage,
            stage_started_at: self.stage_started_at.map(Timestamp),
            completed_at: self.completed_at.map(Timestamp),
            first_completed_at: self.first_completed_at.map(Timestamp),
        }
    }

    fn starts_later(&self, now: u64) -> bool {
        match self.starts_at {
            Some(start) => start > now,
            None => false,
        }
    }

    fn approval_required(&self) -> bool {
        self.policy.approval.is_some()
    }

    fn more_stages_remain(&self) -> bool {
        match self.policy.approval {
            Some(approval) => u32::from(self.approval_stage) + 1 < u32::from(approval.stages),
            None => false,
        }
    }

    /// Where a request goes once nothing (more) holds it at submission or callout.
    fn route(&self, now: u64) -> Outcome {
        if self.approval_required() {
            Outcome::To(RequestStatus::PendingApproval)
        } else if self.starts_later(now) {
            Outcome::To(RequestStatus::PendingNotBefore)
        } else {
            Outcome::To(RequestStatus::Delivering)
        }
    }

    fn approve(&self, now: u64) -> Outcome {
        if self.more_stages_remain() {
            Outcome::NextStage
        } else if self.starts_later(now) {
            Outcome::To(RequestStatus::PendingNotBefore)
        } else {
            Outcome::To(RequestStatus::Delivering)
        }
    }

    /// Whether `now` is at or after the current stage's start plus `span` (saturating).
    fn stage_elapsed(&self, span: Option<u64>, now: u64) -> bool {
        match (self.stage_started_at, span) {
            (Some(start), Some(span)) => now >= start.saturating_add(span),
            _ => false,
        }
    }

    fn expire(&self, now: u64) -> Outcome {
        let timeout = self.policy.approval.map(|a| a.decision_timeout.0);
        if self.stage_elapsed(timeout, now) {
            Outcome::To(RequestStatus::Expired)
        } else {
            Outcome::Unmet(Condition::DecisionTimedOut)
        }
    }

    fn escalate(&self, now: u64) -> Outcome {
        let after = self
            .policy
            .approval
            .and_then(|a| a.escalate_after)
            .map(|d| d.0);
        if self.stage_elapsed(after, now) {
            Outcome::To(RequestStatus::PendingApprovalEscalated)
        } else {
            Outcome::Unmet(Condition::EscalationDue)
        }
    }

    fn reach_start(&self, now: u64) -> Outcome {
        if now >= self.starts_at.unwrap_or(0) {
            Outcome::To(RequestStatus::Delivering)
        } else {
            Outcome::Unmet(Condition::StartReached)
        }
    }

    fn reprocess(&self, now: u64) -> Outcome {
        match self.first_completed_at {
            Some(first) if now <= first.saturating_add(REPROCESS_WINDOW_MS) => {
                Outcome::To(RequestStatus::Delivering)
            }
            _ => Outcome::Unmet(Condition::WithinReprocessWindow),
        }
    }

    /// The lifecycle, as a plain match on (status, action).
    fn lifecycle(&self, action: ActionKind, now: u64) -> Outcome {
        use ActionKind as A;
        use RequestStatus as S;
        match (self.status, action) {
            (S::Accepted, A::Process) => {
                if self.policy.callout_on_created {
                    Outcome::To(S::WaitingForCallback)
                } else {
                    self.route(now)
                }
            }
            (S::WaitingForCallback, A::ResumeContinue) => self.route(now),
            (
                S::Accepted
                | S::PendingApproval
                | S::PendingApprovalEscalated
                | S::PendingNotBefore,
                A::Cancel,
            )
            | (S::WaitingForCallback, A::ResumeCancel) => Outcome::To(S::Canceled),
            (S::WaitingForCallback, A::ResumeDeny)
            | (S::PendingApproval | S::PendingApprovalEscalated, A::Deny) => Outcome::To(S::Denied),
            (S::PendingApproval | S::PendingApprovalEscalated, A::Approve) => self.approve(now),
            (S::PendingApproval | S::PendingApprovalEscalated, A::Expire) => self.expire(now),
            (S::PendingApproval, A::Escalate) => self.escalate(now),
            (S::PendingNotBefore, A::ReachStart) => self.reach_start(now),
            (S::Delivering, A::Deliver) => Outcome::To(S::Delivered),
            (S::Delivering, A::DeliverPartially) => Outcome::To(S::PartiallyDelivered),
            (S::Delivering, A::FailDelivery) => Outcome::To(S::DeliveryFailed),
            (S::PartiallyDelivered | S::DeliveryFailed, A::Reprocess) => self.reprocess(now),
            _ => Outcome::NotAllowed,
        }
    }

    /// Applies an action: authorization first, then the lifecycle, then the effects of the move.
    fn apply(&mut self, action: ActionKind, caller: &Caller, now: u64) -> Verdict {
        model_authorize(action, caller, self.requestor).map_err(Rejection::Unauthorized)?;
        let status = self.status;
        let (to, next_stage) = match self.lifecycle(action, now) {
            Outcome::To(to) => (to, false),
            Outcome::NextStage => (RequestStatus::PendingApproval, true),
            Outcome::Unmet(unmet) => {
                return Err(Rejection::ConditionNotMet {
                    status,
                    action,
                    unmet,
                });
            }
            Outcome::NotAllowed => return Err(Rejection::NotAllowed { status, action }),
        };
        if to == RequestStatus::PendingApproval {
            self.stage_started_at = Some(now);
            self.approval_stage = if next_stage {
                self.approval_stage + 1
            } else {
                0
            };
        }
        if model_completed(to) {
            self.completed_at = Some(now);
            if self.first_completed_at.is_none() {
                self.first_completed_at = Some(now);
            }
        } else {
            self.completed_at = None;
        }
        self.status = to;
        Ok(to)
    }
}

// ---------------------------------------------------------------------------------------------------
// Generators.
// ---------------------------------------------------------------------------------------------------

/// Which action a step asks for.
#[derive(Clone, Copy, Debug)]
enum Pick {
    /// This action, whatever the status.
    Any(ActionKind),
    /// The n-th (modulo) of the actions that fit the current status (see [`fitting`]); any action
    /// from a status where none fits. Keeps runs moving through the lifecycle.
    Fitting(u8),
}

/// Who performs a step.
#[derive(Clone, Copy, Debug)]
enum By {
    /// The caller who usually performs the picked action ([`Who::natural_for`]).
    Usual,
    /// This member of the pool.
    Pool(Who),
}

/// One step of a run: wait `advance` milliseconds, then ask for an action.
#[derive(Clone, Copy, Debug)]
struct Move {
    advance: u64,
    pick: Pick,
    by: By,
}

/// The actions worth trying from a status, those that move a request on repeated: a generator's
/// heuristic only, never an oracle (every other action is still tried through [`Pick::Any`]).
fn fitting(status: RequestStatus) -> &'static [ActionKind] {
    use ActionKind as A;
    use RequestStatus as S;
    match status {
        S::Accepted => &[
            A::Process,
            A::Process,
            A::Process,
            A::Process,
            A::Process,
            A::Cancel,
        ],
        S::WaitingForCallback => &[
            A::ResumeContinue,
            A::ResumeContinue,
            A::ResumeContinue,
            A::ResumeDeny,
            A::ResumeCancel,
        ],
        S::PendingApproval => &[
            A::Approve,
            A::Approve,
            A::Approve,
            A::Escalate,
            A::Escalate,
            A::Escalate,
            A::Expire,
            A::Deny,
            A::Cancel,
        ],
        S::PendingApprovalEscalated => &[
            A::Approve,
            A::Approve,
            A::Approve,
            A::Approve,
            A::Expire,
            A::Deny,
            A::Cancel,
        ],
        S::PendingNotBefore => &[A::ReachStart, A::ReachStart, A::ReachStart, A::Cancel],
        S::Delivering => &[A::Deliver, A::DeliverPartially, A::FailDelivery],
        S::PartiallyDelivered | S::DeliveryFailed => &[A::Reprocess],
        S::Delivered | S::Denied | S::Expired | S::Canceled => ActionKind::VARIANTS,
    }
}

impl Move {
    /// The action and caller this move asks for, from a request in `status`.
    fn resolve(self, status: RequestStatus) -> (ActionKind, Who) {
        let action = match self.pick {
            Pick::Any(action) => action,
            Pick::Fitting(n) => {
                let choices = fitting(status);
                choices
                    .get(usize::from(n) % choices.len())
                    .copied()
                    .unwrap_or(ActionKind::Cancel)
            }
        };
        let who = match self.by {
            By::Usual => Who::natural_for(action),
            By::Pool(who) => who,
        };
        (action, who)
    }
}

/// A generated run: the submission, then the steps.
#[derive(Clone, Debug)]
struct Run {
    policy: Policy,
    /// The scheduled start relative to the submission, in milliseconds.
    start_offset: Option<i64>,
    submitted_at: u64,
    moves: Vec<Move>,
}

impl Run {
    fn starts_at(&self) -> Option<u64> {
        self.start_offset
            .map(|offset| self.submitted_at.saturating_add_signed(offset))
    }
}

/// Time between steps: a mix that both hits and misses the day-granular deadlines.
fn advance() -> impl Strategy<Value = u64> {
    prop_oneof![
        5 => Just(0),
        2 => Just(1),
        3 => (1..=47u64).prop_map(|hours| hours * HOUR),
        1 => Just(DAY - 1),
        3 => (1..=3u64).prop_map(|days| days * DAY),
        1 => (1..=20u64).prop_map(|days| days * DAY),
    ]
}

/// 1 to 3 stages, a decision timeout of 1 to 14 days and maybe an escalation after 1 to 13 days
/// (short escalations more often, so that escalated requests are common).
fn approval_policy() -> impl Strategy<Value = ApprovalPolicy> {
    let escalate_after = prop_oneof![Just(1u64), 1..=13u64];
    (
        1..=3u8,
        1..=14u64,
        proptest::option::weighted(0.6, escalate_after),
    )
        .prop_map(|(stages, timeout, escalate)| ApprovalPolicy {
            stages,
            decision_timeout: entitle_core::Duration::days(timeout),
            escalate_after: escalate.map(entitle_core::Duration::days),
        })
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        proptest::option::weighted(0.6, approval_policy()),
        proptest::bool::weighted(0.3),
    )
        .prop_map(|(approval, callout_on_created)| Policy {
            approval,
            callout_on_created,
        })
}

/// A scheduled start within ±20 days of the submission: whole days, whole hours, or any millisecond;
/// a start days ahead more often, so that it is often still ahead when approval completes.
fn start_offset() -> impl Strategy<Value = Option<i64>> {
    const DAY_I: i64 = 24 * 60 * 60 * 1_000;
    proptest::option::weighted(
        0.6,
        prop_oneof![
            (-20..=20i64).prop_map(|days| days * DAY_I),
            (5..=20i64).prop_map(|days| days * DAY_I),
            (-480..=480i64).prop_map(|hours| hours * DAY_I / 24),
            -20 * DAY_I..=20 * DAY_I,
        ],
    )
}

fn submitted_at() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => Just(T0),
        3 => 0..=(1u64 << 50),
        // Near the end of time, so that every addition saturates.
        1 => (u64::MAX - 40 * DAY)..=u64::MAX,
    ]
}

fn a_move() -> impl Strategy<Value = Move> {
    let pick = prop_oneof![
        1 => proptest::sample::select(ActionKind::VARIANTS).prop_map(Pick::Any),
        1 => any::<u8>().prop_map(Pick::Fitting),
    ];
    let by = prop_oneof![
        3 => Just(By::Usual),
        2 => proptest::sample::select(Who::ALL.as_slice()).prop_map(By::Pool),
    ];
    (advance(), pick, by).prop_map(|(advance, pick, by)| Move { advance, pick, by })
}

fn run() -> impl Strategy<Value = Run> {
    (
        policy(),
        start_offset(),
        submitted_at(),
        proptest::collection::vec(a_move(), 0..=MAX_STEPS),
    )
        .prop_map(|(policy, start_offset, submitted_at, moves)| Run {
            policy,
            start_offset,
            submitted_at,
            moves,
        })
}

// ---------------------------------------------------------------------------------------------------
// The properties.
// ---------------------------------------------------------------------------------------------------

/// What a step came to: the status entered, or why it was refused.
type Verdict = Result<RequestStatus, Rejection>;

/// A step as it was resolved and performed, for failure messages.
#[derive(Debug)]
#[expect(dead_code, reason = "read only through `Debug`, in failure messages")]
struct Performed {
    at: u64,
    action: ActionKind,
    by: Who,
    verdict: Verdict,
}

/// Drives `run` through the core and the model, checking every step; `seen` is told the model's
/// state before each step, the action and the verdict.
fn check_run(
    run: &Run,
    mut seen: impl FnMut(&Model, ActionKind, &Verdict),
) -> Result<(), TestCaseError> {
    let starts_at = run.starts_at();
    let mut now = run.submitted_at;
    let mut core = Request::submit(
        ID,
        REQUESTOR,
        run.policy,
        starts_at.map(Timestamp),
        Timestamp(now),
    )
    .map_err(|error| TestCaseError::fail(format!("submit refused a valid policy: {error}")))?;
    let mut model = Model::submitted(run.policy, starts_at, now);
    prop_assert_eq!(core, model.expected(), "after submission");
    let mut trace: Vec<Performed> = Vec::with_capacity(run.moves.len());

    for (index, step) in run.moves.iter().enumerate() {
        now = now.saturating_add(step.advance);
        let at = Timestamp(now);
        let (kind, who) = step.resolve(model.status);
        let caller = who.caller();
        let action = Action::new(kind, caller);
        let before = core;

        let by_value = core.apply(&action, at);
        prop_assert_eq!(core, before, "step {}: `apply` changed its receiver", index);
        let in_place = core.apply_in_place(&action, at);
        prop_assert_eq!(
            &in_place,
            &by_value,
            "step {}: `apply_in_place` and `apply` disagree",
            index
        );

        let state_before = model;
        let expected = model.apply(kind, &caller, now);
        seen(&state_before, kind, &expected);
        trace.push(Performed {
            at: now,
            action: kind,
            by: who,
            verdict: expected,
        });
        let actual = in_place.map(|step| step.request.status);
        prop_assert_eq!(
            actual,
            expected,
            "step {}: core (left) vs model (right) from {:?}; steps (with the model's verdicts): {:#?}",
            index,
            before.status,
            trace
        );

        if let Ok(moved) = in_place {
            prop_assert_eq!(moved.from, before.status, "step {}: `Step.from`", index);
            prop_assert_eq!(moved.at, at, "step {}: `Step.at`", index);
            prop_assert_eq!(moved.request, core, "step {}: `Step.request`", index);
            prop_assert_ne!(
                moved.request.status.state(),
                RequestState::UnknownFutureValue,
                "step {}: a status reports `unknownFutureValue`",
                index
            );
            prop_assert_eq!(
                moved.request.check(),
                Ok(()),
                "step {}: the moved request breaks an invariant",
                index
            );
        } else {
            prop_assert_eq!(
                core,
                before,
                "step {}: a rejection changed the request",
                index
            );
        }
        prop_assert_eq!(
            core,
            model.expected(),
            "step {}: core (left) vs model (right) state; steps: {:#?}",
            index,
            trace
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// The core and the naive reference model agree on every result and on the whole request after
    /// every step; rejections and `apply` change nothing; steps report where they came from.
    #[test]
    fn core_agrees_with_reference_model(run in run()) {
        check_run(&run, |_, _, _| ())?;
    }
}

/// Every move the specification allows, as (from, action, to), written out by hand.
const SPECIFIED_MOVES: [(RequestStatus, ActionKind, RequestStatus); 30] = {
    use ActionKind as A;
    use RequestStatus as S;
    [
        (S::Accepted, A::Process, S::WaitingForCallback),
        (S::Accepted, A::Process, S::PendingApproval),
        (S::Accepted, A::Process, S::PendingNotBefore),
        (S::Accepted, A::Process, S::Delivering),
        (S::Accepted, A::Cancel, S::Canceled),
        (S::WaitingForCallback, A::ResumeContinue, S::PendingApproval),
        (
            S::WaitingForCallback,
            A::ResumeContinue,
            S::PendingNotBefore,
        ),
        (S::WaitingForCallback, A::ResumeContinue, S::Delivering),
        (S::WaitingForCallback, A::ResumeDeny, S::Denied),
        (S::WaitingForCallback, A::ResumeCancel, S::Canceled),
        (S::PendingApproval, A::Approve, S::PendingApproval),
        (S::PendingApproval, A::Approve, S::PendingNotBefore),
        (S::PendingApproval, A::Approve, S::Delivering),
        (S::PendingApproval, A::Deny, S::Denied),
        (S::PendingApproval, A::Escalate, S::PendingApprovalEscalated),
        (S::PendingApproval, A::Expire, S::Expired),
        (S::PendingApproval, A::Cancel, S::Canceled),
        (S::PendingApprovalEscalated, A::Approve, S::PendingApproval),
        (S::PendingApprovalEscalated, A::Approve, S::PendingNotBefore),
        (S::PendingApprovalEscalated, A::Approve, S::Delivering),
        (S::PendingApprovalEscalated, A::Deny, S::Denied),
        (S::PendingApprovalEscalated, A::Expire, S::Expired),
        (S::PendingApprovalEscalated, A::Cancel, S::Canceled),
        (S::PendingNotBefore, A::ReachStart, S::Delivering),
        (S::PendingNotBefore, A::Cancel, S::Canceled),
        (S::Delivering, A::Deliver, S::Delivered),
        (S::Delivering, A::DeliverPartially, S::PartiallyDelivered),
        (S::Delivering, A::FailDelivery, S::DeliveryFailed),
        (S::PartiallyDelivered, A::Reprocess, S::Delivering),
        (S::DeliveryFailed, A::Reprocess, S::Delivering),
    ]
};

/// Every (status, action) whose condition can fail, with that condition.
const TIMED_OR_WINDOWED: [(RequestStatus, ActionKind, Condition); 6] = {
    use ActionKind as A;
    use Condition as C;
    use RequestStatus as S;
    [
        (S::PendingApproval, A::Escalate, C::EscalationDue),
        (S::PendingApproval, A::Expire, C::DecisionTimedOut),
        (S::PendingApprovalEscalated, A::Expire, C::DecisionTimedOut),
        (S::PendingNotBefore, A::ReachStart, C::StartReached),
        (
            S::PartiallyDelivered,
            A::Reprocess,
            C::WithinReprocessWindow,
        ),
        (S::DeliveryFailed, A::Reprocess, C::WithinReprocessWindow),
    ]
};

/// Runs in the coverage check; more than [`CASES`] because some moves are rare.
const COVERAGE_RUNS: u32 = 8_000;

/// The generators make every specified move, fail every timed or windowed condition from every
/// status that has one, and hit every kind of denial and `NotAllowed`; otherwise agreement with the
/// model would prove little. Uses a deterministic runner, so it is stable.
#[test]
fn generated_runs_cover_the_lifecycle() {
    use std::collections::BTreeSet;
    let mut runner =
        TestRunner::new_with_rng(config(), TestRng::deterministic_rng(RngAlgorithm::XorShift));
    let strategy = run();
    let mut moves = BTreeSet::new();
    let mut unmet = BTreeSet::new();
    let mut not_allowed = 0_usize;
    let mut denials = Vec::new();
    for _ in 0..COVERAGE_RUNS {
        let generated = strategy.new_tree(&mut runner).unwrap().current();
        check_run(&generated, |before, action, result| match result {
            Ok(to) => {
                moves.insert((before.status, action, *to));
            }
            Err(Rejection::ConditionNotMet {
                unmet: condition, ..
            }) => {
                unmet.insert((before.status, action, *condition));
            }
            Err(Rejection::NotAllowed { .. }) => not_allowed += 1,
            Err(Rejection::Unauthorized(denial)) => {
                let kind = core::mem::discriminant(denial);
                if !denials.contains(&kind) {
                    denials.push(kind);
                }
            }
        })
        .unwrap();
    }
    let specified: BTreeSet<_> = SPECIFIED_MOVES.into_iter().collect();
    let never_made: Vec<_> = specified.difference(&moves).collect();
    assert!(never_made.is_empty(), "moves never made: {never_made:?}");
    let unspecified: Vec<_> = moves.difference(&specified).collect();
    assert!(
        unspecified.is_empty(),
        "moves not specified: {unspecified:?}"
    );
    let conditional: BTreeSet<_> = TIMED_OR_WINDOWED.into_iter().collect();
    let never_unmet: Vec<_> = conditional.difference(&unmet).collect();
    assert!(
        never_unmet.is_empty(),
        "conditions never failing: {never_unmet:?}"
    );
    let unexpected_unmet: Vec<_> = unmet.difference(&conditional).collect();
    assert!(
        unexpected_unmet.is_empty(),
        "unexpected unmet conditions: {unexpected_unmet:?}"
    );
    assert!(not_allowed > 0, "no `NotAllowed`");
    assert_eq!(denials.len(), 5, "kinds of denial seen");
}
