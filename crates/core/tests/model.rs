//! Model-based property test: random submissions of every request type, then random sequences of
//! commands (actions, reviews of a named stage, deletions, the end of an assignment's schedule,
//! authorization questions), legal and illegal, by random callers at random times, run through the
//! real core and through the naive reference model of `entitle-reference`; the two must agree after
//! every step, on the result and on the whole request and assignment.

use std::collections::BTreeSet;

use entitle_core::{
    Action, ActionKind, ApprovalRules, Assignment, AssignmentEvent, AssignmentId, AssignmentState,
    Condition, CreateError, Decided, Duration, Guid, Operation, PolicyRules, Rejection, Request,
    RequestId, RequestState, RequestStatus, RequestType, ReviewDecision, Submission, Timestamp,
    VariantArray, authorize,
};
use entitle_reference::{Ask, Model, ModelAssignment, Who};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{
    FileFailurePersistence, RngAlgorithm, TestCaseError, TestRng, TestRunner,
};

const HOUR: u64 = 60 * 60 * 1_000;
const DAY: u64 = 24 * HOUR;

const ID: RequestId = RequestId::new(Guid::from_u128(0xa));
/// The existing assignment a change or a removal names.
const EXISTING: AssignmentId = AssignmentId::new(Guid::from_u128(0x5a));
/// The request that created it.
const CREATOR: RequestId = RequestId::new(Guid::from_u128(0x5b));
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
// Generators.
// ---------------------------------------------------------------------------------------------------

/// Which action a step asks for.
#[derive(Clone, Copy, Debug)]
enum Pick {
    /// This action, whatever the status.
    Any(ActionKind),
    /// The n-th (modulo) of the actions that fit the current status (see [`fitting`]).
    Fitting(u8),
}

/// Who performs a step.
#[derive(Clone, Copy, Debug)]
enum By {
    /// The caller who usually performs the action ([`Who::natural_for`]).
    Usual,
    /// This member of the pool.
    Pool(Who),
}

/// What a step asks.
#[derive(Clone, Copy, Debug)]
enum Command {
    /// An action.
    Act(Pick, By),
    /// A review of stage `n`, approving or denying.
    Review(u8, bool, By),
    /// A deletion.
    Delete(Who),
    /// The end of the assignment's schedule.
    EndAssignment,
    /// Whether the caller may perform the operation with this index in `Operation::all()`.
    Ask(usize, Who),
}

/// One step: wait `advance` milliseconds, then ask.
#[derive(Clone, Copy, Debug)]
struct Move {
    advance: u64,
    command: Command,
}

/// The actions worth trying from a status, those that move a request on repeated: a generator's
/// heuristic only, never an oracle (every other action is still tried through [`Pick::Any`]).
fn fitting(status: RequestStatus) -> &'static [ActionKind] {
    use ActionKind as A;
    use RequestStatus as S;
    match status {
        S::Accepted => &[A::Process, A::Process, A::Process, A::Process, A::Cancel],
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
        S::Delivering => &[A::Deliver, A::Deliver, A::DeliverPartially, A::FailDelivery],
        S::PartiallyDelivered | S::DeliveryFailed => &[A::Reprocess],
        S::Delivered | S::Denied | S::Expired | S::Canceled => ActionKind::VARIANTS,
    }
}

impl Pick {
    fn action(self, status: RequestStatus) -> ActionKind {
        match self {
            Self::Any(action) => action,
            Self::Fitting(n) => {
                let choices = fitting(status);
                choices
                    .get(usize::from(n) % choices.len())
                    .copied()
                    .unwrap_or(ActionKind::Cancel)
            }
        }
    }
}

impl By {
    fn who(self, action: ActionKind) -> Who {
        match self {
            Self::Usual => Who::natural_for(action),
            Self::Pool(who) => who,
        }
    }
}

/// A generated run: the submission, then the steps.
#[derive(Clone, Debug)]
struct Run {
    kind: RequestType,
    /// Who submits it: [`submitter_for`] the type, or a pool member.
    submitter: Option<Who>,
    /// The state of the assignment a change or a removal names (`None`: there is none).
    existing: Option<AssignmentState>,
    rules: PolicyRules,
    /// The scheduled start and end relative to the submission, in milliseconds.
    start_offset: Option<i64>,
    end_offset: Option<u64>,
    submitted_at: u64,
    moves: Vec<Move>,
}

/// The submitter who may usually submit a request of `kind`.
fn submitter_for(kind: RequestType) -> Who {
    use RequestType as T;
    match kind {
        T::UserAdd | T::UserUpdate | T::UserRemove | T::UserExtend => Who::RequestorSubjectAccess,
        T::ApproverRemove => Who::OtherReadOnly,
        T::AdminAdd | T::AdminUpdate | T::AdminRemove => Who::AssignmentManager,
        T::SystemAdd | T::SystemUpdate | T::SystemRemove | T::NotSpecified | T::OnBehalfAdd => {
            Who::System
        }
    }
}

impl Run {
    fn starts_at(&self) -> Option<u64> {
        self.start_offset
            .map(|offset| self.submitted_at.saturating_add_signed(offset))
    }

    fn ends_at(&self) -> Option<u64> {
        self.end_offset
            .map(|offset| self.submitted_at.saturating_add(offset))
    }

    fn submitter(&self) -> Who {
        self.submitter.unwrap_or_else(|| submitter_for(self.kind))
    }

    /// Who the request is for: the submitter for an end user's own request (the pool's target when
    /// the submitter asks on the target's behalf), else the pool's target.
    fn target(&self) -> entitle_core::SubjectId {
        let submitter = self.submitter();
        match self.kind {
            RequestType::UserAdd
            | RequestType::UserUpdate
            | RequestType::UserRemove
            | RequestType::UserExtend
                if submitter != Who::RequestorOnBehalf =>
            {
                submitter.caller().id
            }
            _ => Who::TARGET,
        }
    }

    /// The assignment a change or a removal names, as the core holds it.
    fn existing(&self) -> Option<Assignment> {
        self.existing.map(|state| Assignment {
            id: EXISTING,
            target: self.target(),
            state,
            starts_at: None,
            ends_at: self.ends_at().map(|end| Timestamp(end.saturating_add(DAY))),
            created_by: CREATOR,
            expired_at: (state == AssignmentState::Expired).then_some(Timestamp(T0)),
        })
    }

    fn submission(&self) -> Submission {
        let names_assignment = self.existing.is_some();
        Submission {
            id: ID,
            kind: self.kind,
            target: (!names_assignment).then(|| self.target()),
            assignment: names_assignment.then_some(EXISTING),
            rules: self.rules,
            starts_at: self.starts_at().map(Timestamp),
            ends_at: self.ends_at().map(Timestamp),
            lasts: None,
        }
    }

    fn ask(&self) -> Ask {
        let submission = self.submission();
        Ask {
            id: submission.id,
            kind: submission.kind,
            target: submission.target,
            assignment: submission.assignment,
            rules: submission.rules,
            starts_at: self.starts_at(),
            ends_at: self.ends_at(),
        }
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
/// (short escalations more often, so that escalated requests are common); now and then a stage count
/// Entra would refuse.
fn approval_rules() -> impl Strategy<Value = ApprovalRules> {
    let escalate_after = prop_oneof![Just(1u64), 1..=13u64];
    let stages = prop_oneof![30 => 1..=3u8, 1 => Just(0u8), 1 => 4..=u8::MAX];
    (
        stages,
        1..=14u64,
        proptest::option::weighted(0.6, escalate_after),
    )
        .prop_map(|(stages, timeout, escalate)| ApprovalRules {
            stages,
            decision_timeout: Duration::days(timeout),
            escalate_after: escalate.map(Duration::days),
        })
}

fn rules() -> impl Strategy<Value = PolicyRules> {
    (
        proptest::option::weighted(0.6, approval_rules()),
        proptest::bool::weighted(0.3),
    )
        .prop_map(|(approval, callout_on_created)| PolicyRules {
            approval,
            callout_on_created,
        })
}

/// A scheduled start within ±20 days of the submission: whole days, whole hours, or any millisecond;
/// a start days ahead more often, so that it is often still ahead when approval completes.
fn start_offset() -> impl Strategy<Value = Option<i64>> {
    const DAY_I: i64 = 24 * 60 * 60 * 1_000;
    proptest::option::weighted(
        0.5,
        prop_oneof![
            (-20..=20i64).prop_map(|days| days * DAY_I),
            (5..=20i64).prop_map(|days| days * DAY_I),
            (-480..=480i64).prop_map(|hours| hours * DAY_I / 24),
            -20 * DAY_I..=20 * DAY_I,
        ],
    )
}

/// A scheduled end 1 to 40 days after the submission.
fn end_offset() -> impl Strategy<Value = Option<u64>> {
    proptest::option::weighted(0.4, (1..=40u64).prop_map(|days| days * DAY))
}

fn submitted_at() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => Just(T0),
        3 => 0..=(1u64 << 50),
        // Near the end of time, so that every addition saturates.
        1 => (u64::MAX - 40 * DAY)..=u64::MAX,
    ]
}

fn kind() -> impl Strategy<Value = RequestType> {
    prop_oneof![
        12 => Just(RequestType::UserAdd),
        4 => Just(RequestType::AdminAdd),
        1 => Just(RequestType::SystemAdd),
        2 => Just(RequestType::UserUpdate),
        1 => Just(RequestType::UserExtend),
        2 => Just(RequestType::AdminUpdate),
        2 => Just(RequestType::UserRemove),
        3 => Just(RequestType::AdminRemove),
        1 => Just(RequestType::ApproverRemove),
        1 => Just(RequestType::SystemRemove),
        1 => proptest::sample::select(RequestType::VARIANTS),
    ]
}

fn existing() -> impl Strategy<Value = AssignmentState> {
    prop_oneof![
        6 => Just(AssignmentState::Delivered),
        2 => Just(AssignmentState::PartiallyDelivered),
        1 => proptest::sample::select(AssignmentState::VARIANTS),
    ]
}

fn who() -> impl Strategy<Value = Who> {
    proptest::sample::select(Who::ALL.as_slice())
}

fn by() -> impl Strategy<Value = By> {
    prop_oneof![
        3 => Just(By::Usual),
        2 => who().prop_map(By::Pool),
    ]
}

fn command() -> impl Strategy<Value = Command> {
    let pick = prop_oneof![
        1 => proptest::sample::select(ActionKind::VARIANTS).prop_map(Pick::Any),
        2 => any::<u8>().prop_map(Pick::Fitting),
    ];
    prop_oneof![
        12 => (pick, by()).prop_map(|(pick, by)| Command::Act(pick, by)),
        4 => (0..=3u8, proptest::bool::weighted(0.8), by())
            .prop_map(|(stage, approve, by)| Command::Review(stage, approve, by)),
        1 => who().prop_map(Command::Delete),
        1 => Just(Command::EndAssignment),
        2 => (0..Operation::all().len(), who()).prop_map(|(op, who)| Command::Ask(op, who)),
    ]
}

fn a_move() -> impl Strategy<Value = Move> {
    (advance(), command()).prop_map(|(advance, command)| Move { advance, command })
}

fn run() -> impl Strategy<Value = Run> {
    (
        kind(),
        proptest::option::weighted(0.15, who()),
        existing(),
        rules(),
        (start_offset(), end_offset()),
        submitted_at(),
        proptest::collection::vec(a_move(), 0..=MAX_STEPS),
    )
        .prop_map(
            |(
                kind,
                submitter,
                existing,
                rules,
                (start_offset, end_offset),
                submitted_at,
                moves,
            )| {
                Run {
                    kind,
                    submitter,
                    existing: kind.needs_assignment().then_some(existing),
                    rules,
                    start_offset,
                    end_offset,
                    submitted_at,
                    moves,
                }
            },
        )
}

// ---------------------------------------------------------------------------------------------------
// The properties.
// ---------------------------------------------------------------------------------------------------

/// What one step came to, for coverage and failure messages.
#[derive(Clone, Debug)]
enum Seen {
    /// A move of the request: (from, action, to), and the assignment row it took, if any.
    Moved(
        RequestStatus,
        ActionKind,
        RequestStatus,
        Option<(Option<AssignmentState>, AssignmentEvent, AssignmentState)>,
    ),
    /// A refusal.
    Refused(RequestStatus, ActionKind, Rejection),
    /// A refused creation.
    NotCreated(CreateError),
    /// The end of the assignment's schedule, from its state then: the state reached, or the refusal.
    Ended(
        Option<AssignmentState>,
        Result<AssignmentState, entitle_core::AssignmentRejection>,
    ),
    /// A deletion, or its refusal.
    Deleted(Result<(), Rejection>),
}

/// Drives `run` through the core and the model, checking every step; `seen` is told what happened.
#[expect(
    clippy::too_many_lines,
    reason = "one step of each kind, each checked in full, reads best in one place"
)]
fn check_run(run: &Run, mut seen: impl FnMut(Seen)) -> Result<(), TestCaseError> {
    let mut now = run.submitted_at;
    let submitter = run.submitter().caller();
    let existing = run.existing();
    let core = Request::create(
        &run.submission(),
        &submitter,
        existing.as_ref(),
        Timestamp(now),
    )
    .map(|created| created.request);
    let model = Model::create(
        &run.ask(),
        &submitter,
        existing.as_ref().map(ModelAssignment::of),
        now,
    );
    let (mut request, mut model) = match (core, model) {
        (Ok(request), Ok(model)) => (request, model),
        (Err(core), Err(model)) => {
            prop_assert_eq!(&core, &model, "creation refused differently");
            seen(Seen::NotCreated(core));
            return Ok(());
        }
        (core, model) => {
            return Err(TestCaseError::fail(format!(
                "creation: core {core:?} vs model {model:?}"
            )));
        }
    };
    let mut assignment = existing;
    prop_assert_eq!(request, model.expected(), "after creation");
    prop_assert_eq!(
        request.check(),
        Ok(()),
        "a created request breaks an invariant"
    );
    let mut trace: Vec<String> = Vec::with_capacity(run.moves.len());

    for (index, step) in run.moves.iter().enumerate() {
        now = now.saturating_add(step.advance);
        let at = Timestamp(now);
        let before = request;
        match step.command {
            Command::Act(pick, by) => {
                let action = pick.action(request.status);
                let caller = by.who(action).caller();
                let decided = request.decide(&Action::new(action, caller), assignment.as_ref(), at);
                prop_assert_eq!(
                    request,
                    before,
                    "step {}: `decide` changed its receiver",
                    index
                );
                let expected = model.act(action, &caller, now);
                trace.push(format!(
                    "{now}: {action} by {:?}: {expected:?}",
                    by.who(action)
                ));
                let applied = request.apply(&Action::new(action, caller), at);
                // The assignment's refusal is `decide`'s alone; otherwise `apply` agrees.
                if let Err(Rejection::Assignment(_)) = &decided {
                    prop_assert!(applied.is_ok());
                } else {
                    prop_assert_eq!(
                        applied.map(|step| step.request),
                        decided.map(|moved| moved.step.request),
                        "step {}: `apply` and `decide` disagree",
                        index
                    );
                }
                prop_assert_eq!(
                    decided.map(|moved| moved.step.request.status),
                    expected,
                    "step {}: core (left) vs model (right) from {:?}; steps: {:#?}",
                    index,
                    before.status,
                    trace
                );
                match decided {
                    Ok(Decided {
                        step: moved,
                        at: moved_at,
                        assignment: moved_assignment,
                    }) => {
                        prop_assert_eq!(moved.from(), before.status);
                        prop_assert_eq!(moved_at, at);
                        prop_assert_eq!(
                            Ok(Some(moved.authority)),
                            model.authorize(Operation::Act(action), &caller),
                            "step {}: the authority recorded",
                            index
                        );
                        prop_assert_eq!(
                            (moved.rule.from, moved.rule.action, moved.rule.to),
                            (before.status, action, moved.request.status)
                        );
                        prop_assert_eq!(
                            moved.reviewed(),
                            matches!(action, ActionKind::Approve | ActionKind::Deny)
                                .then_some(before.approval_stage)
                        );
                        let row = moved_assignment
                            .map(|step| (step.rule.from, step.rule.event, step.rule.to));
                        prop_assert_eq!(moved_assignment.is_some(), moved.effect().is_some());
                        if let Some(step) = moved_assignment {
                            prop_assert_eq!(Some(step.rule.event), moved.effect());
                            assignment = Some(step.assignment);
                        }
                        seen(Seen::Moved(
                            before.status,
                            action,
                            moved.request.status,
                            row,
                        ));
                        request = moved.request;
                    }
                    Err(rejection) => seen(Seen::Refused(before.status, action, rejection)),
                }
            }
            Command::Review(stage, approve, by) => {
                let decision = if approve {
                    ReviewDecision::Approve
                } else {
                    ReviewDecision::Deny
                };
                let who = by.who(decision.action());
                let caller = who.caller();
                let reviewed = request.review(stage, decision, &caller, assignment.as_ref(), at);
                let expected = model.review(stage, approve, &caller, now);
                trace.push(format!(
                    "{now}: review {stage} {decision} by {who:?}: {expected:?}"
                ));
                prop_assert_eq!(
                    reviewed.map(|moved| moved.step.request.status),
                    expected,
                    "step {}: review, core (left) vs model (right); steps: {:#?}",
                    index,
                    trace
                );
                match reviewed {
                    Ok(Decided {
                        step: moved,
                        assignment: moved_assignment,
                        ..
                    }) => {
                        prop_assert_eq!(moved.reviewed(), Some(stage));
                        if let Some(step) = moved_assignment {
                            assignment = Some(step.assignment);
                        }
                        seen(Seen::Moved(
                            before.status,
                            decision.action(),
                            moved.request.status,
                            moved_assignment
                                .map(|step| (step.rule.from, step.rule.event, step.rule.to)),
                        ));
                        request = moved.request;
                    }
                    Err(rejection) => {
                        seen(Seen::Refused(before.status, decision.action(), rejection));
                    }
                }
            }
            Command::Delete(who) => {
                let caller = who.caller();
                let deleted = request.delete(&caller).map(|_| ());
                let expected = model.delete(&caller);
                trace.push(format!("{now}: delete by {who:?}: {expected:?}"));
                prop_assert_eq!(
                    deleted,
                    expected,
                    "step {}: delete; steps: {:#?}",
                    index,
                    trace
                );
                seen(Seen::Deleted(deleted));
                if deleted.is_ok() {
                    break;
                }
            }
            Command::EndAssignment => {
                let from = assignment.map(|current| current.state);
                let ended = match assignment {
                    Some(current) => current.end(at),
                    None => Err(entitle_core::AssignmentRejection::Missing {
                        assignment: request.assignment,
                    }),
                };
                let expected = model.end_assignment(now);
                trace.push(format!("{now}: end the assignment: {expected:?}"));
                prop_assert_eq!(
                    ended.map(|step| step.assignment.state),
                    expected,
                    "step {}: end of the assignment",
                    index
                );
                if let Ok(step) = ended {
                    assignment = Some(step.assignment);
                }
                seen(Seen::Ended(from, ended.map(|step| step.assignment.state)));
            }
            Command::Ask(operation, who) => {
                let caller = who.caller();
                let operation = Operation::all()
                    .get(operation)
                    .copied()
                    .unwrap_or(Operation::Get);
                prop_assert_eq!(
                    authorize(operation, &caller, request.parties()).map(Some),
                    model.authorize(operation, &caller),
                    "step {}: `{}` by {:?}",
                    index,
                    operation,
                    who
                );
                prop_assert_eq!(
                    request.awaits_review_by(&caller),
                    model.awaits_review_by(&caller),
                    "step {}: awaits review by {:?}",
                    index,
                    who
                );
            }
        }
        prop_assert_ne!(
            request.status.state(),
            RequestState::UnknownFutureValue,
            "step {}: a status reports `unknownFutureValue`",
            index
        );
        prop_assert_eq!(
            request.check(),
            Ok(()),
            "step {}: an invariant broke",
            index
        );
        prop_assert_eq!(
            request,
            model.expected(),
            "step {}: request; steps: {:#?}",
            index,
            trace
        );
        prop_assert_eq!(
            assignment,
            model.expected_assignment(),
            "step {}: assignment; steps: {:#?}",
            index,
            trace
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// The core and the naive reference model agree on every result and on the whole request and
    /// assignment after every step; `decide` and `review` change nothing on a refusal.
    #[test]
    fn core_agrees_with_reference_model(run in run()) {
        check_run(&run, |_| ())?;
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

/// Every move of an assignment the specification allows, as (from, event, to), written out by hand.
const SPECIFIED_ASSIGNMENT_MOVES: [(Option<AssignmentState>, AssignmentEvent, AssignmentState);
    13] = {
    use AssignmentEvent as E;
    use AssignmentState as S;
    [
        (None, E::DeliveryStarted, S::Delivering),
        (Some(S::Delivering), E::Delivered, S::Delivered),
        (
            Some(S::Delivering),
            E::PartiallyDelivered,
            S::PartiallyDelivered,
        ),
        (Some(S::Delivering), E::DeliveryFailed, S::DeliveryFailed),
        (
            Some(S::PartiallyDelivered),
            E::DeliveryStarted,
            S::Delivering,
        ),
        (
            Some(S::PartiallyDelivered),
            E::Updated,
            S::PartiallyDelivered,
        ),
        (Some(S::PartiallyDelivered), E::Removed, S::Expired),
        (Some(S::PartiallyDelivered), E::ScheduleEnded, S::Expired),
        (Some(S::Delivered), E::Updated, S::Delivered),
        (Some(S::Delivered), E::Removed, S::Expired),
        (Some(S::Delivered), E::ScheduleEnded, S::Expired),
        (Some(S::DeliveryFailed), E::DeliveryStarted, S::Delivering),
        (Some(S::DeliveryFailed), E::Removed, S::Expired),
    ]
};

/// Runs in the coverage check; more than [`CASES`] because some moves are rare.
const COVERAGE_RUNS: u32 = 12_000;

/// The generators make every specified move of both tables, fail every timed or windowed condition,
/// and hit every kind of refusal; otherwise agreement with the model would prove little. Uses a
/// deterministic runner, so it is stable.
#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one list of what must be covered reads best in one place"
)]
fn generated_runs_cover_both_tables_and_every_refusal() {
    let mut runner =
        TestRunner::new_with_rng(config(), TestRng::deterministic_rng(RngAlgorithm::XorShift));
    let strategy = run();
    let mut moves = BTreeSet::new();
    let mut assignment_moves = BTreeSet::new();
    let mut unmet = BTreeSet::new();
    let mut refusals = BTreeSet::new();
    let mut not_created = BTreeSet::new();
    for _ in 0..COVERAGE_RUNS {
        let generated = strategy.new_tree(&mut runner).unwrap().current();
        check_run(&generated, |seen| match seen {
            Seen::Moved(from, action, to, row) => {
                moves.insert((from, action, to));
                if let Some(row) = row {
                    assignment_moves.insert(row);
                }
            }
            Seen::Refused(status, action, rejection) => {
                if let Rejection::ConditionNotMet {
                    unmet: condition, ..
                } = rejection
                {
                    unmet.insert((status, action, condition));
                }
                refusals.insert(kind_of(&rejection));
            }
            Seen::NotCreated(error) => {
                not_created
                    .insert(format!("{:?}", std::mem::discriminant(&error)) + &short(&error));
            }
            Seen::Ended(from, Ok(to)) => {
                assignment_moves.insert((from, AssignmentEvent::ScheduleEnded, to));
            }
            Seen::Ended(_, Err(_)) => {}
            Seen::Deleted(Err(rejection)) => {
                refusals.insert(kind_of(&rejection));
            }
            Seen::Deleted(Ok(())) => {
                refusals.insert("deleted".to_owned());
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
    let assignments: BTreeSet<_> = SPECIFIED_ASSIGNMENT_MOVES.into_iter().collect();
    let never_moved: Vec<_> = assignments.difference(&assignment_moves).collect();
    assert!(
        never_moved.is_empty(),
        "assignment moves never made: {never_moved:?}"
    );
    let unspecified: Vec<_> = assignment_moves.difference(&assignments).collect();
    assert!(
        unspecified.is_empty(),
        "assignment moves not specified: {unspecified:?}"
    );
    let timed = [
        (
            RequestStatus::PendingApproval,
            ActionKind::Escalate,
            Condition::EscalationDue,
        ),
        (
            RequestStatus::PendingApproval,
            ActionKind::Expire,
            Condition::DecisionTimedOut,
        ),
        (
            RequestStatus::PendingApprovalEscalated,
            ActionKind::Expire,
            Condition::DecisionTimedOut,
        ),
        (
            RequestStatus::PendingNotBefore,
            ActionKind::ReachStart,
            Condition::StartReached,
        ),
        (
            RequestStatus::PartiallyDelivered,
            ActionKind::Reprocess,
            Condition::WithinReprocessWindow,
        ),
        (
            RequestStatus::DeliveryFailed,
            ActionKind::Reprocess,
            Condition::WithinReprocessWindow,
        ),
    ];
    let timed: BTreeSet<_> = timed.into_iter().collect();
    assert_eq!(unmet, timed, "unmet conditions");
    for expected in [
        "notAllowed",
        "conditionNotMet",
        "denied:PrincipalNotSupported",
        "denied:MissingPermission",
        "denied:MissingAdministratorRole",
        "denied:NotAnApprover",
        "denied:OwnRequest",
        "stage:NoSuchStage",
        "stage:AlreadyReviewed",
        "stage:NotStarted",
        "stage:NotAssigned",
        "stage:NotEscalated",
        "assignment:NotAllowed",
        "notDeletable",
        "deleted",
    ] {
        assert!(
            refusals.contains(expected),
            "never seen: {expected}; seen: {refusals:?}"
        );
    }
    for expected in ["Unauthorized", "Invalid", "Assignment"] {
        assert!(
            not_created.iter().any(|seen| seen.ends_with(expected)),
            "creation never refused as {expected}: {not_created:?}"
        );
    }
}

/// A short name of a refusal's kind, for coverage.
fn kind_of(rejection: &Rejection) -> String {
    let variant = |text: &str| {
        text.split([' ', '(', '{'])
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    match rejection {
        Rejection::Unauthorized(denial) => format!("denied:{}", variant(&format!("{denial:?}"))),
        Rejection::NotAllowed { .. } => "notAllowed".to_owned(),
        Rejection::ConditionNotMet { .. } => "conditionNotMet".to_owned(),
        Rejection::Stage(stage) => format!("stage:{}", variant(&format!("{stage:?}"))),
        Rejection::Assignment(refusal) => {
            format!("assignment:{}", variant(&format!("{refusal:?}")))
        }
        Rejection::NotDeletable { .. } => "notDeletable".to_owned(),
    }
}

/// The variant name of a creation refusal.
fn short(error: &CreateError) -> String {
    match error {
        CreateError::Unauthorized(_) => "Unauthorized",
        CreateError::Invalid(_) => "Invalid",
        CreateError::Assignment(_) => "Assignment",
    }
    .to_owned()
}
