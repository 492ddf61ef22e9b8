//! Exhaustive enumeration of the lifecycle: every action sequence up to [`DEPTH`] steps, from every
//! submission in a small set, at two step intervals.
//!
//! The sequences form a tree: a node is a sequence of actions (the empty one is the submission), and
//! its children append each of the 14 actions, performed one [interval](INTERVALS) after the node.
//! Every prefix is applied once. A rejected action is still a step of the sequence: the request stays
//! as it was and time moves on. The applies made from a node are where its properties are checked:
//! above the deepest level these are its children; at the deepest level, where the sequences stop,
//! `cancel` is still applied to every node, and every action to a node whose status is terminal. Only
//! the steps of sequences of at most [`DEPTH`] actions count towards the coverage properties (statuses
//! reached, edges, table rows).
//!
//! The walk runs once per test binary (see [`run`]); each `#[test]` asserts one named property of it.

#![allow(
    clippy::indexing_slicing,
    reason = "the walk indexes arrays sized by `COUNT` with enum discriminants and depths up to `DEPTH`"
)]
#![allow(
    clippy::expect_used,
    reason = "helpers of the tests: a broken expectation is a test failure"
)]

use std::fmt::Write as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration as WallTime, Instant};

use entitle_core::{
    Action, ActionKind, ApprovalRules, Assignment, AssignmentId, AssignmentState, Caller, Decided,
    Duration, Effect, EnumCount, Guid, Operation, Parties, Permission, PolicyRules, Rejection,
    Request, RequestId, RequestStatus, RequestType, ReviewDecision, Role, StageRejection,
    SubjectId, Submission, TRANSITIONS, Timestamp, VariantArray, authorize,
};

/// The longest action sequence enumerated.
const DEPTH: usize = 6;
const STATUSES: usize = RequestStatus::COUNT;
const ACTIONS: usize = ActionKind::COUNT;

const HOUR_MS: u64 = 3_600_000;

/// When every request is submitted.
const T0: Timestamp = Timestamp(1_767_225_600_000);
/// The time between two steps: the whole walk runs once per interval. One hour misses every deadline
/// and keeps the reprocess window open; four days hits the deadlines and lets the window close.
const INTERVALS: [Duration; 2] = [Duration::hours(1), Duration::days(4)];

/// The terminal statuses, written out rather than derived from the table.
const TERMINAL: [RequestStatus; 4] = [
    RequestStatus::Delivered,
    RequestStatus::Denied,
    RequestStatus::Expired,
    RequestStatus::Canceled,
];

const REQUEST: RequestId = RequestId::new(Guid::from_u128(0x1001));
const REQUESTOR: SubjectId = SubjectId::new(Guid::from_u128(0x2001));
const APPROVER: SubjectId = SubjectId::new(Guid::from_u128(0x2002));
const ADMINISTRATOR: SubjectId = SubjectId::new(Guid::from_u128(0x2003));
const APPLICATION: SubjectId = SubjectId::new(Guid::from_u128(0x2004));

/// The caller the crate's rules authorize for `kind`.
fn caller_for(kind: ActionKind) -> Caller {
    use ActionKind as A;
    match kind {
        A::Process
        | A::Escalate
        | A::Expire
        | A::ReachStart
        | A::Deliver
        | A::DeliverPartially
        | A::FailDelivery => Caller::system(),
        A::ResumeContinue | A::ResumeDeny | A::ResumeCancel => {
            Caller::application(APPLICATION).with_permission(Permission::ReadWriteAll)
        }
        A::Approve | A::Deny => Caller::user(APPROVER)
            .with_permission(Permission::ReadWriteAll)
            .approving(0)
            .approving(1)
            .approving(2),
        A::Reprocess => Caller::user(ADMINISTRATOR)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::AccessPackageAssignmentManager),
        A::Cancel => Caller::user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite),
    }
}

/// Every action with its authorized caller, in `ActionKind::VARIANTS` order: built once.
fn actions() -> [Action; ACTIONS] {
    let mut kinds = ActionKind::VARIANTS.iter().copied();
    std::array::from_fn(|_| {
        let kind = kinds.next().expect("VARIANTS has COUNT entries");
        Action::new(kind, caller_for(kind))
    })
}

/// A node of the walk: the request and its assignment (`None` before it exists).
type Node = (Request, Option<Assignment>);

/// The existing assignment the changing and removing submissions name: delivered to the requestor.
const EXISTING: AssignmentId = AssignmentId::new(Guid::from_u128(0x3001));

/// The initial submissions, each with a label for messages: the product callout × approval ×
/// scheduled start of `userAdd` requests, one supplementary `userAdd`, then the other kinds of
/// request: a direct assignment (approval and the extension do not apply; with the extension, it
/// pauses), an update of the requestor's assignment under a two-stage approval, and a removal.
///
/// The product alone cannot exercise the row `PendingApprovalEscalated --approve [startsLater]-->
/// PendingNotBefore`. Only its two-stage policy escalates, and approving an escalated first stage moves
/// on to the second, so the row needs an escalated second stage: process (step 1 at the earliest),
/// approve (step 2), escalate at step `j` at least 3 days after that approval, approve at step `j + 1`
/// before the start 5 days after submission. With steps `I` apart and at most 6 of them, `j <= 5` and
/// `(j - 2) * I >= 3 days` force `I >= 1 day`, while `(j + 1) * I >= 3 days + 3 * I` and
/// `(j + 1) * I < 5 days` force `I < 16 hours`. So one single-stage submission that escalates after an
/// hour, with the start 5 days out, is added: at the one-hour interval, process, escalate, approve.
fn submissions() -> Vec<(String, Node)> {
    let approvals = [
        ("none", None),
        (
            "1 stage, 7-day timeout",
            Some(ApprovalRules {
                stages: 1,
                decision_timeout: Duration::days(7),
                escalate_after: None,
            }),
        ),
        (
            "2 stages, 7-day timeout, escalation after 3 days",
            Some(ApprovalRules {
                stages: 2,
                decision_timeout: Duration::days(7),
                escalate_after: Some(Duration::days(3)),
            }),
        ),
    ];
    let starts = [
        ("none", None),
        ("+5 days", Some(T0.after(Duration::days(5)))),
    ];
    let mut all = Vec::new();
    for callout_on_created in [false, true] {
        for (approval_label, approval) in approvals {
            for (start_label, starts_at) in starts {
                let rules = PolicyRules {
                    approval,
                    callout_on_created,
                };
                let request = Request::submit(REQUEST, REQUESTOR, rules, starts_at, T0)
                    .expect("a valid policy");
                let label = format!(
                    "callout: {callout_on_created}, approval: {approval_label}, start: {start_label}"
                );
                all.push((label, (request, None)));
            }
        }
    }
    let supplementary = PolicyRules {
        approval: Some(ApprovalRules {
            stages: 1,
            decision_timeout: Duration::days(7),
            escalate_after: Some(Duration::hours(1)),
        }),
        callout_on_created: false,
    };
    let starts_at = Some(T0.after(Duration::days(5)));
    let request =
        Request::submit(REQUEST, REQUESTOR, supplementary, starts_at, T0).expect("a valid policy");
    all.push((
        "supplementary: callout: false, approval: 1 stage, 7-day timeout, escalation after \
         1 hour, start: +5 days"
            .to_owned(),
        (request, None),
    ));
    let (_, two_stages) = approvals[2];
    all.extend(other_kinds(two_stages));
    all
}

/// The submissions of kinds other than `userAdd`, under `approval`: two direct assignments (with and
/// without the extension), an update of the requestor's assignment and a removal of it.
fn other_kinds(approval: Option<ApprovalRules>) -> Vec<(String, Node)> {
    let existing = Assignment {
        id: EXISTING,
        target: REQUESTOR,
        state: AssignmentState::Delivered,
        starts_at: None,
        ends_at: Some(T0.after(Duration::days(30))),
        created_by: RequestId::new(Guid::from_u128(0x3002)),
        expired_at: None,
    };
    [
        ("adminAdd, 2 stages", RequestType::AdminAdd, false, None),
        (
            "adminAdd, callout, 2 stages",
            RequestType::AdminAdd,
            true,
            None,
        ),
        (
            "userUpdate, 2 stages",
            RequestType::UserUpdate,
            false,
            Some(existing),
        ),
        (
            "adminRemove, callout, 2 stages",
            RequestType::AdminRemove,
            true,
            Some(existing),
        ),
    ]
    .into_iter()
    .map(|(label, kind, callout_on_created, assignment)| {
        let submission = Submission {
            id: REQUEST,
            kind,
            target: assignment.is_none().then_some(REQUESTOR),
            assignment: assignment.map(|found| found.id),
            rules: PolicyRules {
                approval,
                callout_on_created,
            },
            starts_at: None,
            ends_at: Some(T0.after(Duration::days(60))),
            lasts: None,
        };
        let submitter = Caller::user(REQUESTOR)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::AccessPackageAssignmentManager);
        let request = Request::create(&submission, &submitter, assignment.as_ref(), T0)
            .expect("the submitter may submit it")
            .request;
        (label.to_owned(), (request, assignment))
    })
    .collect()
}

/// The per-node properties, each counted separately.
#[derive(Clone, Copy)]
enum Check {
    /// 1. `cancel` succeeds exactly from the documented statuses, into `Canceled` now.
    Cancel,
    /// 2. A terminal status rejects every action.
    Absorbing,
    /// 3. A rejection leaves the request equal to what it was.
    Unchanged,
    /// 4. A step leaves its status, or advances an approval stage, and reports what it left.
    Moves,
    /// The callers are authorized, so every rejection comes from the status or a condition.
    Authorized,
    /// 5. Every request a step reaches passes `Request::check`.
    Invariants,
    /// 6. The request's assignment is in the state its type and status imply.
    AssignmentFollows,
    /// 7. Reviewing the current stage by name is deciding `approve`; a later stage has not started, an
    ///    earlier one was reviewed.
    Reviews,
}

const CHECKS: usize = 8;

/// How often a per-node property failed, and the first failure.
#[derive(Default)]
struct Violation {
    count: u64,
    first: Option<String>,
}

/// What a walk saw.
struct Tally {
    /// Nodes: enumerated sequences of 0 to `DEPTH` actions.
    sequences: u64,
    /// Sequences of `DEPTH` actions that end in a terminal status.
    terminal_leaves: u64,
    /// Calls of `apply_in_place`.
    applies: u64,
    reached: [bool; STATUSES],
    edges: [[bool; STATUSES]; STATUSES],
    triples: [[[bool; STATUSES]; ACTIONS]; STATUSES],
    violations: [Violation; CHECKS],
}

impl Tally {
    fn new() -> Self {
        Self {
            sequences: 0,
            terminal_leaves: 0,
            applies: 0,
            reached: [false; STATUSES],
            edges: [[false; STATUSES]; STATUSES],
            triples: [[[false; STATUSES]; ACTIONS]; STATUSES],
            violations: Default::default(),
        }
    }

    fn merge(&mut self, other: &Self) {
        self.sequences += other.sequences;
        self.terminal_leaves += other.terminal_leaves;
        self.applies += other.applies;
        for (mine, theirs) in self.reached.iter_mut().zip(other.reached) {
            *mine |= theirs;
        }
        for (mine, theirs) in self
            .edges
            .iter_mut()
            .flatten()
            .zip(other.edges.iter().flatten())
        {
            *mine |= theirs;
        }
        for (mine, theirs) in self
            .triples
            .iter_mut()
            .flatten()
            .flatten()
            .zip(other.triples.iter().flatten().flatten())
        {
            *mine |= theirs;
        }
        for (mine, theirs) in self.violations.iter_mut().zip(&other.violations) {
            mine.count += theirs.count;
            if mine.first.is_none() {
                mine.first.clone_from(&theirs.first);
            }
        }
    }
}

/// Facts about each status, computed once so the walk never scans the table for them.
struct StatusFacts {
    terminal: [bool; STATUSES],
    cancelable: [bool; STATUSES],
}

impl StatusFacts {
    fn new() -> Self {
        let mut facts = Self {
            terminal: [false; STATUSES],
            cancelable: [false; STATUSES],
        };
        for status in TERMINAL {
            facts.terminal[status as usize] = true;
        }
        for status in RequestStatus::DOCUMENTED_CANCELABLE {
            facts.cancelable[status as usize] = true;
        }
        facts
    }
}

/// One depth-first walk from one submission at one interval.
struct Walk<'a> {
    actions: &'a [Action; ACTIONS],
    /// The `cancel` entry of `actions`.
    cancel: &'a Action,
    facts: &'a StatusFacts,
    label: &'a str,
    interval: Duration,
    path: [ActionKind; DEPTH + 1],
    tally: Tally,
}

impl Walk<'_> {
    /// Visits `node`, reached by `depth` actions, and applies actions one interval later: every action
    /// (and visits the results) above the deepest level; at the deepest level, `cancel`, and every
    /// action if the status is terminal.
    fn visit(&mut self, node: &Node, depth: usize, at: Timestamp) {
        self.tally.sequences += 1;
        let from = node.0.status as usize;
        self.tally.reached[from] = true;
        let actions = self.actions;
        if depth == DEPTH {
            let probes = if self.facts.terminal[from] {
                self.tally.terminal_leaves += 1;
                &actions[..]
            } else {
                std::slice::from_ref(self.cancel)
            };
            for action in probes {
                self.step(node, action, depth, at);
            }
            return;
        }
        self.reviews(node, depth, at);
        for action in actions {
            let (next, accepted) = self.step(node, action, depth, at);
            if accepted {
                let to = next.0.status as usize;
                self.tally.edges[from][to] = true;
                self.tally.triples[from][action.kind as usize][to] = true;
            }
            self.visit(&next, depth + 1, at.after(self.interval));
        }
    }

    /// Decides `action` on `node` with both tables and checks the outcome: the next node, and whether
    /// the action was accepted.
    #[inline]
    fn step(&mut self, node: &Node, action: &Action, depth: usize, at: Timestamp) -> (Node, bool) {
        self.path[depth] = action.kind;
        let (request, assignment) = node;
        self.tally.applies += 1;
        match request.decide(action, assignment.as_ref(), at) {
            Ok(decided) => {
                let next = (
                    decided.step.request,
                    decided
                        .assignment
                        .map(|moved| moved.assignment)
                        .or(*assignment),
                );
                self.accepted(request, &next, &decided, depth, at);
                (next, true)
            }
            Err(rejection) => {
                self.rejected(request, action, rejection, depth, at);
                (*node, false)
            }
        }
    }

    /// At a node pending approval: reviewing the current stage by name decides as `approve` does;
    /// the next stage has not started; the previous one was reviewed.
    fn reviews(&mut self, node: &Node, depth: usize, at: Timestamp) {
        let (request, assignment) = node;
        if !request.status.is_pending_approval() {
            return;
        }
        let approve = &self.actions[ActionKind::Approve as usize];
        let current = request.approval_stage;
        let review = |stage| {
            request.review(
                stage,
                ReviewDecision::Approve,
                &approve.by,
                assignment.as_ref(),
                at,
            )
        };
        let decided = request.decide(approve, assignment.as_ref(), at);
        if review(current) != decided {
            self.fail(
                Check::Reviews,
                depth,
                format_args!("reviewing stage {current} of {request:?} is not deciding `approve`"),
            );
        }
        let next = current + 1;
        if request.stage(next).is_some()
            && review(next) != Err(StageRejection::NotStarted { stage: next }.into())
        {
            self.fail(
                Check::Reviews,
                depth,
                format_args!("stage {next} of {request:?} was reviewable before it started"),
            );
        }
        if let Some(previous) = current.checked_sub(1)
            && review(previous) != Err(StageRejection::AlreadyReviewed { stage: previous }.into())
        {
            self.fail(
                Check::Reviews,
                depth,
                format_args!("stage {previous} of {request:?} was reviewable again"),
            );
        }
    }

    fn accepted(
        &mut self,
        before: &Request,
        (after, assignment): &Node,
        decided: &Decided,
        depth: usize,
        at: Timestamp,
    ) {
        let kind = self.path[depth];
        if let Err(broken) = after.check() {
            self.fail(
                Check::Invariants,
                depth,
                format_args!("{kind} from {before:?} broke an invariant: {broken}"),
            );
        }
        if !assignment_follows(after, assignment.as_ref()) {
            self.fail(
                Check::AssignmentFollows,
                depth,
                format_args!("{kind} left {after:?} with the assignment {assignment:?}"),
            );
        }
        let from = before.status as usize;
        if kind == ActionKind::Cancel
            && !(self.facts.cancelable[from]
                && after.status == RequestStatus::Canceled
                && after.completed_at == Some(at))
        {
            self.fail(
                Check::Cancel,
                depth,
                format_args!("cancel from {} gave {after:?}", before.status),
            );
        }
        if self.facts.terminal[from] {
            self.fail(
                Check::Absorbing,
                depth,
                format_args!(
                    "{kind} moved terminal {} to {}",
                    before.status, after.status
                ),
            );
        }
        let advanced_stage = before.status == RequestStatus::PendingApproval
            && after.status == RequestStatus::PendingApproval
            && kind == ActionKind::Approve
            && before.approval_stage.checked_add(1) == Some(after.approval_stage);
        let step = &decided.step;
        let reviewed =
            matches!(kind, ActionKind::Approve | ActionKind::Deny).then_some(before.approval_stage);
        let consistent = step.from() == before.status
            && step.request == *after
            && decided.at == at
            && step.reviewed() == reviewed
            && step.effect().is_some() == decided.assignment.is_some()
            && (step.rule.from, step.rule.action, step.rule.to)
                == (before.status, kind, after.status);
        if !consistent || (after.status == before.status && !advanced_stage) {
            self.fail(
                Check::Moves,
                depth,
                format_args!("{kind} from {before:?} gave {step:?}"),
            );
        }
    }

    fn rejected(
        &mut self,
        before: &Request,
        action: &Action,
        rejection: Rejection,
        depth: usize,
        at: Timestamp,
    ) {
        let kind = self.path[depth];
        if kind == ActionKind::Cancel && self.facts.cancelable[before.status as usize] {
            self.fail(
                Check::Cancel,
                depth,
                format_args!("cancel from {} was rejected: {rejection}", before.status),
            );
        }
        // `decide` takes the request by reference; the in-place form must leave it as it was too.
        let mut unchanged = *before;
        if unchanged.apply_in_place(action, at).is_err() && unchanged != *before {
            self.fail(
                Check::Unchanged,
                depth,
                format_args!("rejected {kind} changed {before:?} into {unchanged:?}"),
            );
        }
        if let Rejection::Unauthorized(denial) = rejection {
            self.fail(
                Check::Authorized,
                depth,
                format_args!("{kind} was not authorized: {denial}"),
            );
        }
    }

    /// Records a violation; the first one keeps a description of the sequence that led to it.
    #[cold]
    fn fail(&mut self, check: Check, depth: usize, what: std::fmt::Arguments<'_>) {
        let violation = &mut self.tally.violations[check as usize];
        violation.count += 1;
        if violation.first.is_none() {
            let mut text = format!(
                "submission [{}], interval {} h, actions [",
                self.label,
                self.interval.0 / HOUR_MS
            );
            for (position, kind) in self.path[..=depth].iter().enumerate() {
                let separator = if position == 0 { "" } else { ", " };
                let _ = write!(text, "{separator}{kind}");
            }
            let _ = write!(text, "]: {what}");
            violation.first = Some(text);
        }
    }
}

/// Whether `assignment` is in the state `request`'s type and status imply: an adding request drives
/// its own assignment through delivery; a change or removal finds the existing one delivered and, once
/// delivered itself, leaves it updated or ended.
fn assignment_follows(request: &Request, assignment: Option<&Assignment>) -> bool {
    use AssignmentState as A;
    use RequestStatus as S;
    let state = assignment.map(|assignment| assignment.state);
    match request.kind.effect() {
        Effect::Add => {
            let expected = match request.status {
                S::Delivering => Some(A::Delivering),
                S::Delivered => Some(A::Delivered),
                S::PartiallyDelivered => Some(A::PartiallyDelivered),
                S::DeliveryFailed => Some(A::DeliveryFailed),
                _ => None,
            };
            state == expected
        }
        Effect::Remove if request.status == S::Delivered => state == Some(A::Expired),
        Effect::Update | Effect::Remove => state == Some(A::Delivered),
        Effect::None => state.is_none(),
    }
}

/// The result of the whole enumeration.
struct Run {
    submissions: usize,
    tally: Tally,
    elapsed: WallTime,
}

/// Runs the enumeration once per test binary, spread over the available cores.
fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let started = Instant::now();
        let actions = actions();
        let cancel = actions
            .iter()
            .find(|action| action.kind == ActionKind::Cancel)
            .expect("cancel is an action");
        let facts = StatusFacts::new();
        let submissions = submissions();
        let jobs: Vec<(&str, Node, Duration)> = INTERVALS
            .iter()
            .flat_map(|&interval| {
                submissions
                    .iter()
                    .map(move |(label, node)| (label.as_str(), *node, interval))
            })
            .collect();
        let next_job = AtomicUsize::new(0);
        let workers = thread::available_parallelism().map_or(1, usize::from);
        let mut tally = Tally::new();
        thread::scope(|scope| {
            let handles: Vec<_> = (0..workers.min(jobs.len()))
                .map(|_| {
                    scope.spawn(|| {
                        let mut tally = Tally::new();
                        while let Some(&(label, node, interval)) =
                            jobs.get(next_job.fetch_add(1, Ordering::Relaxed))
                        {
                            let mut walk = Walk {
                                actions: &actions,
                                cancel,
                                facts: &facts,
                                label,
                                interval,
                                path: [ActionKind::Process; DEPTH + 1],
                                tally: Tally::new(),
                            };
                            walk.visit(&node, 0, T0.after(interval));
                            tally.merge(&walk.tally);
                        }
                        tally
                    })
                })
                .collect();
            for handle in handles {
                tally.merge(&handle.join().expect("a walker panicked"));
            }
        });
        let run = Run {
            submissions: submissions.len(),
            tally,
            elapsed: started.elapsed(),
        };
        eprintln!(
            "exhaustive: {} initial submissions x {} intervals, depth {DEPTH}: {} sequences checked, \
             {} apply calls, {:.2?} on {workers} threads",
            run.submissions,
            INTERVALS.len(),
            run.tally.sequences,
            run.tally.applies,
            run.elapsed,
        );
        run
    })
}

fn assert_no_violation(check: Check, property: &str) {
    let violation = &run().tally.violations[check as usize];
    assert!(
        violation.count == 0,
        "{property}: {} violations; first: {}",
        violation.count,
        violation.first.as_deref().unwrap_or("?"),
    );
}

#[test]
fn the_enumeration_covers_every_sequence_up_to_the_depth() {
    let run = run();
    let actions = ACTIONS as u64;
    let depth = u32::try_from(DEPTH).unwrap();
    let inner: u64 = (0..depth).map(|k| actions.pow(k)).sum();
    let leaves = actions.pow(depth);
    let walks = (run.submissions * INTERVALS.len()) as u64;
    assert_eq!(run.submissions, 2 * 3 * 2 + 1 + 4);
    assert_eq!(run.tally.sequences, walks * (inner + leaves));
    // Every action at every inner node; at a leaf, cancel, and the other 13 actions if it is terminal.
    assert_eq!(
        run.tally.applies,
        walks * (inner * actions + leaves) + run.tally.terminal_leaves * (actions - 1)
    );
}

#[test]
fn every_action_has_an_authorized_caller() {
    for action in actions() {
        assert!(
            authorize(
                Operation::Act(action.kind),
                &action.by,
                Parties::own(REQUESTOR)
            )
            .is_ok(),
            "{} by {:?}",
            action.kind,
            action.by
        );
    }
    assert_no_violation(
        Check::Authorized,
        "no action of the walk is rejected for its caller",
    );
}

#[test]
fn the_terminal_list_is_what_the_table_says() {
    for &status in RequestStatus::VARIANTS {
        assert_eq!(
            status.is_terminal(),
            TERMINAL.contains(&status),
            "is_terminal({status})"
        );
    }
}

#[test]
fn cancel_succeeds_exactly_from_the_documented_statuses() {
    assert_no_violation(
        Check::Cancel,
        "cancel is accepted iff the status is documented cancelable, and then cancels now",
    );
}

#[test]
fn terminal_statuses_absorb_every_action() {
    assert_no_violation(Check::Absorbing, "terminal statuses reject every action");
}

#[test]
fn rejections_change_nothing() {
    assert_no_violation(
        Check::Unchanged,
        "a rejected apply_in_place leaves the request as it was",
    );
}

#[test]
fn every_reached_request_keeps_the_invariants() {
    assert_no_violation(
        Check::Invariants,
        "every request a step reaches passes `check`",
    );
}

#[test]
fn assignments_follow_their_requests() {
    assert_no_violation(
        Check::AssignmentFollows,
        "the assignment is in the state the request's type and status imply",
    );
}

#[test]
fn reviewing_a_stage_by_name_is_deciding_on_it() {
    assert_no_violation(
        Check::Reviews,
        "reviewing the current stage is `approve`; the next has not started; the previous was reviewed",
    );
}

#[test]
fn steps_leave_their_status_or_advance_an_approval_stage() {
    assert_no_violation(
        Check::Moves,
        "an accepted step reports its source and changes the status or the approval stage",
    );
}

#[test]
fn every_status_is_reached() {
    let reached = &run().tally.reached;
    let missing: Vec<_> = RequestStatus::VARIANTS
        .iter()
        .filter(|status| !reached[**status as usize])
        .collect();
    assert!(missing.is_empty(), "statuses never reached: {missing:?}");
}

#[test]
fn every_non_terminal_status_can_still_finish() {
    let edges = &run().tally.edges;
    let mut finishes = [false; STATUSES];
    for status in TERMINAL {
        finishes[status as usize] = true;
    }
    // Backward reachability to a terminal status, to a fixed point over the observed edges.
    let mut grew = true;
    while grew {
        grew = false;
        for from in 0..STATUSES {
            if !finishes[from] && (0..STATUSES).any(|to| edges[from][to] && finishes[to]) {
                finishes[from] = true;
                grew = true;
            }
        }
    }
    let stuck: Vec<_> = RequestStatus::VARIANTS
        .iter()
        .filter(|status| !finishes[**status as usize])
        .collect();
    assert!(
        stuck.is_empty(),
        "statuses from which no observed path reaches a terminal status: {stuck:?}"
    );
}

#[test]
fn observed_transitions_are_exactly_the_table() {
    let observed = &run().tally.triples;
    let mut in_table = [[[false; STATUSES]; ACTIONS]; STATUSES];
    let mut unexercised = Vec::new();
    for row in TRANSITIONS {
        in_table[row.from as usize][row.action as usize][row.to as usize] = true;
        if !observed[row.from as usize][row.action as usize][row.to as usize] {
            unexercised.push((row.from, row.action, row.when, row.to));
        }
    }
    let mut unlisted = Vec::new();
    for &from in RequestStatus::VARIANTS {
        for &action in ActionKind::VARIANTS {
            for &to in RequestStatus::VARIANTS {
                let key = (from as usize, action as usize, to as usize);
                if observed[key.0][key.1][key.2] && !in_table[key.0][key.1][key.2] {
                    unlisted.push((from, action, to));
                }
            }
        }
    }
    assert!(
        unexercised.is_empty(),
        "table rows never exercised: {unexercised:?}"
    );
    assert!(
        unlisted.is_empty(),
        "observed transitions absent from the table: {unlisted:?}"
    );
}
