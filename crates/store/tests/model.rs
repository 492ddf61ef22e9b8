//! A model-based property test of the stores, SQLite and PostgreSQL.
//!
//! Random sequences of operations on a few requests with random policies and schedules: actions
//! (`Command::Act`), reviews of a stage (`Command::Review`), deletions, creations of removals naming an
//! assignment (one that exists, one that does not yet, or one nobody has), and the schedule ending
//! assignments. Each is applied both through the store and, on an in-memory copy, directly through
//! entitle-core (`Request::create`, `decide`, `review`, `delete`, `Assignment::end`). After every step
//! the store must hold exactly what the model holds: the same records, versions and history (entry by
//! entry), the same assignments, the same list, the same due deadlines and due assignments, and its
//! own integrity check must find nothing.
//!
//! PostgreSQL runs on one database of the test binary's throwaway cluster ([`PgCluster::shared`]),
//! emptied before each case. When the tests are built where PostgreSQL's binaries are missing, the
//! PostgreSQL tests are ignored, with the reason, unless `ENTITLE_REQUIRE_POSTGRES=1` requires them
//! (see `build.rs`); one that runs fails when its cluster does not start.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::too_many_lines,
    reason = "tests"
)]

use std::collections::BTreeMap;

use entitle_core::{
    Action, ActionKind, ApprovalRules, AssignmentId, Caller, Deadline, Decided, Duration, Guid,
    Permission, PolicyRules, Rejection, Request, RequestId, RequestStatus, RequestType,
    ReviewDecision, Role, SubjectId, Submission, TRANSITIONS, Timestamp, VariantArray,
};
use entitle_store::record::Format;
use entitle_store::{
    AssignmentRecord, Command, CreateFailure, Event, HistoryEntry, NewRequest, PostgresStore,
    Query, RequestRecord, ReviewNote, SqliteStore, Store, StoreError, Stored, TransitionError,
};
use entitle_testkit::PgCluster;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::TestRunner;

const T0: Timestamp = Timestamp(1_767_225_600_000);
/// Adding requests, created before the operations, in slots `0..ADDING`.
const ADDING: usize = 3;
/// Removals, created by the operations, in slots `ADDING..SLOTS`.
const SLOTS: usize = ADDING + 2;
const REQUESTORS: [SubjectId; 2] = [subject(0x100), subject(0x101)];
const APPROVERS: [SubjectId; 3] = [subject(0x200), subject(0x201), subject(0x202)];
const ALTERNATE: SubjectId = subject(0x210);
const ADMINISTRATOR: SubjectId = subject(0x300);
const APPLICATION: SubjectId = subject(0x400);
/// An assignment no request creates.
const UNKNOWN_ASSIGNMENT: AssignmentId = AssignmentId::new(Guid::from_u128(0xdead_beef));
const WAITS: &[Duration] = &[
    Duration(0),
    Duration::hours(1),
    Duration::days(1),
    Duration::days(3),
    Duration::days(7),
    Duration::days(15),
];

const fn subject(n: u128) -> SubjectId {
    SubjectId::new(Guid::from_u128(n))
}

const fn request_id(slot: usize) -> RequestId {
    RequestId::new(Guid::from_u128(0xa000_0000 + slot as u128))
}

/// The assignment the adding request in `slot` creates.
fn assignment_of(slot: usize) -> AssignmentId {
    AssignmentId::for_request(request_id(slot))
}

/// Who asks, resolved against the request as the store read it.
#[derive(Clone, Copy, Debug)]
enum Who {
    /// The service itself.
    System,
    /// The request's requestor with `SubjectAccess.ReadWrite`.
    Requestor,
    /// The request's requestor with no permission.
    RequestorWithoutPermission,
    /// The request's target (the assignment's holder) with `SubjectAccess.ReadWrite`.
    Target,
    /// A primary approver of stage `k`, as the directory states it.
    Approver(u8),
    /// The escalation approver of every stage.
    Alternate,
    /// A catalog owner with `ReadWrite.All`.
    Administrator,
    /// An application with `ReadWrite.All` (a custom extension).
    Application,
}

/// The caller `who` is, on a request submitted by `requestor` for `target`.
fn caller(who: Who, requestor: SubjectId, target: SubjectId) -> Caller {
    let user = |id| Caller::user(id).with_permission(Permission::ReadWriteAll);
    match who {
        Who::System => Caller::system(),
        Who::Requestor => {
            Caller::user(requestor).with_permission(Permission::SubjectAccessReadWrite)
        }
        Who::RequestorWithoutPermission => Caller::user(requestor),
        Who::Target => Caller::user(target).with_permission(Permission::SubjectAccessReadWrite),
        Who::Approver(stage) => user(APPROVERS[usize::from(stage)]).approving(stage),
        Who::Alternate => user(ALTERNATE)
            .approving_when_escalated(0)
            .approving_when_escalated(1)
            .approving_when_escalated(2),
        Who::Administrator => user(ADMINISTRATOR).with_role(Role::CatalogOwner),
        Who::Application => {
            Caller::application(APPLICATION).with_permission(Permission::ReadWriteAll)
        }
    }
}

/// `who` on the request `record` holds.
fn resolve(who: Who, record: &RequestRecord) -> Caller {
    caller(who, record.request.requestor, record.request.target)
}

/// The caller an action is usually asked for by, so that random sequences get past `Accepted`.
fn natural(kind: ActionKind, who: Who) -> Who {
    match kind {
        ActionKind::Approve | ActionKind::Deny => match who {
            Who::Approver(_) | Who::Alternate => who,
            _ => Who::Approver(0),
        },
        ActionKind::ResumeContinue | ActionKind::ResumeDeny | ActionKind::ResumeCancel => {
            Who::Application
        }
        ActionKind::Reprocess => Who::Administrator,
        ActionKind::Cancel => Who::Requestor,
        ActionKind::Process
        | ActionKind::Escalate
        | ActionKind::Expire
        | ActionKind::ReachStart
        | ActionKind::Deliver
        | ActionKind::DeliverPartially
        | ActionKind::FailDelivery => Who::System,
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// Wait, then ask for `kind` on the request in slot `request` as `who`.
    Act {
        request: usize,
        kind: ActionKind,
        who: Who,
        wait: Duration,
    },
    /// Wait, then review stage `stage` of the request in slot `request` as `who`.
    Review {
        request: usize,
        stage: u8,
        decision: ReviewDecision,
        who: Who,
        wait: Duration,
    },
    /// Wait, then, on the `request`th of the requests that exist, ask for one of the actions the
    /// table has rows for from its current status (the `pick`th), by the caller who usually asks for
    /// it, a review through the stage for every other pick: drives requests deep into their
    /// lifecycle.
    Guided {
        request: Index,
        pick: Index,
        wait: Duration,
    },
    /// Delete the request in slot `request` as `who`.
    Delete { request: usize, who: Who },
    /// Wait, then create the removal in slot `slot` (of `kind`, as `who`, processed at once or not) of
    /// the assignment `of` names.
    Remove {
        slot: usize,
        of: Named,
        kind: RequestType,
        who: Who,
        process: bool,
        wait: Duration,
    },
    /// Wait, then let the schedule end every assignment due, each at its end.
    EndDue { wait: Duration },
    /// Wait, then end the assignment of the adding request in slot `of` now, due or not.
    End { of: Option<usize>, wait: Duration },
}

/// The assignment a removal names.
#[derive(Clone, Debug)]
enum Named {
    /// The `Index`th of those that exist (one nobody has while none does).
    Existing(Index),
    /// The one the adding request in this slot creates (whether it exists yet or not).
    Of(usize),
    /// One nobody has.
    Unknown,
}

impl Named {
    fn id(&self, model: &Model) -> AssignmentId {
        let existing: Vec<AssignmentId> = model.assignments.keys().copied().collect();
        match self {
            Self::Existing(pick) if !existing.is_empty() => *pick.get(&existing),
            Self::Of(slot) => assignment_of(*slot),
            Self::Existing(_) | Self::Unknown => UNKNOWN_ASSIGNMENT,
        }
    }
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        Just(Who::System),
        Just(Who::Requestor),
        Just(Who::RequestorWithoutPermission),
        Just(Who::Target),
        (0..3_u8).prop_map(Who::Approver),
        Just(Who::Alternate),
        Just(Who::Administrator),
        Just(Who::Application),
    ]
}

fn decision() -> impl Strategy<Value = ReviewDecision> {
    select(ReviewDecision::VARIANTS)
}

fn op() -> impl Strategy<Value = Op> {
    let act = (
        0..SLOTS,
        select(ActionKind::VARIANTS),
        any::<bool>(),
        who(),
        select(WAITS),
    )
        .prop_map(|(request, kind, plausible, who, wait)| Op::Act {
            request,
            kind,
            who: if plausible { natural(kind, who) } else { who },
            wait,
        });
    let review = (
        0..SLOTS,
        0..3_u8,
        decision(),
        any::<bool>(),
        who(),
        select(WAITS),
    )
        .prop_map(
            |(request, stage, decision, plausible, who, wait)| Op::Review {
                request,
                stage,
                decision,
                who: if plausible { Who::Approver(stage) } else { who },
                wait,
            },
        );
    let guided =
        (any::<Index>(), any::<Index>(), select(WAITS)).prop_map(|(request, pick, wait)| {
            Op::Guided {
                request,
                pick,
                wait,
            }
        });
    let delete =
        (0..SLOTS, any::<bool>(), who()).prop_map(|(request, plausible, who)| Op::Delete {
            request,
            who: if plausible { Who::Administrator } else { who },
        });
    let remove = (
        ADDING..SLOTS,
        prop_oneof![9 => any::<Index>().prop_map(Named::Existing), 1 => Just(Named::Unknown)],
        select(&[RequestType::AdminRemove, RequestType::UserRemove][..]),
        any::<bool>(),
        who(),
        proptest::bool::weighted(0.75),
        select(WAITS),
    )
        .prop_map(|(slot, of, kind, plausible, who, process, wait)| {
            let natural = if kind == RequestType::AdminRemove {
                Who::Administrator
            } else {
                Who::Target
            };
            Op::Remove {
                slot,
                of,
                kind,
                who: if plausible { natural } else { who },
                process,
                wait,
            }
        });
    let end_due = select(WAITS).prop_map(|wait| Op::EndDue { wait });
    let end = (proptest::option::weighted(0.9, 0..ADDING), select(WAITS))
        .prop_map(|(of, wait)| Op::End { of, wait });
    prop_oneof![
        4 => act,
        3 => review,
        12 => guided,
        2 => delete,
        3 => remove,
        1 => end_due,
        1 => end,
    ]
}

/// An adding request: its policy's rules, its scheduled start and end (in days after `T0`), whether an
/// administrator assigns it (else the requestor asks for themselves), and whether the service
/// processes it at once.
#[derive(Clone, Copy, Debug)]
struct Setup {
    rules: PolicyRules,
    start: Option<u64>,
    end: Option<u64>,
    by_administrator: bool,
    process: bool,
}

fn setup() -> impl Strategy<Value = Setup> {
    let approval = proptest::option::of((1..=3_u8, 1..=20_u64, proptest::option::of(1..=10_u64)));
    (
        approval,
        proptest::bool::weighted(0.25),
        proptest::option::of(0..=5_u64),
        proptest::option::of(1..=30_u64),
        any::<bool>(),
        proptest::bool::weighted(0.75),
    )
        .prop_map(
            |(approval, callout_on_created, start, end, by_administrator, process)| {
                let approval = approval.map(|(stages, timeout, escalate)| ApprovalRules {
                    stages,
                    decision_timeout: Duration::days(timeout),
                    escalate_after: escalate.map(Duration::days),
                });
                Setup {
                    rules: PolicyRules {
                        approval,
                        callout_on_created,
                    },
                    start,
                    end,
                    by_administrator,
                    process,
                }
            },
        )
}

/// For a guided step on a request with `status` at `stage`: the `pick`th action with a row from
/// that status, and who usually asks for it. Cancels are left to the random steps, or they would end
/// most requests early.
fn guided(status: Option<(RequestStatus, u8)>, pick: Index) -> (Command, Who) {
    let cancel = (Command::Act(ActionKind::Cancel), Who::Requestor);
    let Some((status, stage)) = status else {
        return cancel;
    };
    let mut kinds: Vec<ActionKind> = TRANSITIONS
        .iter()
        .filter(|row| row.from == status && row.action != ActionKind::Cancel)
        .map(|row| row.action)
        .collect();
    kinds.dedup();
    if kinds.is_empty() {
        return cancel;
    }
    // Delivery succeeds half the time, so that assignments get delivered and removed.
    let kind = if status == RequestStatus::Delivering && pick.index(2) == 0 {
        ActionKind::Deliver
    } else {
        *pick.get(&kinds)
    };
    let who = match kind {
        ActionKind::Approve | ActionKind::Deny
            if status == RequestStatus::PendingApprovalEscalated && pick.index(2) == 0 =>
        {
            Who::Alternate
        }
        ActionKind::Approve | ActionKind::Deny => Who::Approver(stage),
        other => natural(other, Who::System),
    };
    let command = match ReviewDecision::of(kind) {
        Some(decision) if pick.index(4) < 2 => Command::Review { stage, decision },
        _ => Command::Act(kind),
    };
    (command, who)
}

/// What the model holds about one slot.
#[derive(Clone, Debug)]
struct Slot {
    id: RequestId,
    /// Whether a request was ever created in the slot.
    created: bool,
    live: Option<Stored>,
    /// The history, with seqs zeroed.
    history: Vec<HistoryEntry>,
}

/// What the model holds.
struct Model {
    slots: Vec<Slot>,
    assignments: BTreeMap<AssignmentId, AssignmentRecord>,
}

impl Model {
    fn new() -> Self {
        Self {
            slots: (0..SLOTS)
                .map(|slot| Slot {
                    id: request_id(slot),
                    created: false,
                    live: None,
                    history: Vec::new(),
                })
                .collect(),
            assignments: BTreeMap::new(),
        }
    }

    /// The slot of the request `id`.
    fn slot_of(&mut self, id: RequestId) -> &mut Slot {
        self.slots.iter_mut().find(|slot| slot.id == id).unwrap()
    }

    /// The assignments the store may hold: every one a request could create, and one nobody has.
    fn assignment_ids() -> Vec<AssignmentId> {
        (0..SLOTS)
            .map(assignment_of)
            .chain([UNKNOWN_ASSIGNMENT])
            .collect()
    }
}

fn without_seq(entry: &HistoryEntry) -> HistoryEntry {
    HistoryEntry {
        seq: 0,
        ..entry.clone()
    }
}

/// The assignment record `decided` leaves, if it moved the request's assignment: a new one takes the
/// request's package and policy.
fn moved(
    decided: &Decided,
    record: &RequestRecord,
    before: Option<&AssignmentRecord>,
) -> Option<AssignmentRecord> {
    let moved = decided.assignment?;
    Some(before.map_or_else(
        || AssignmentRecord {
            format: Format,
            assignment: moved.assignment,
            access_package_id: record.access_package_id.clone(),
            assignment_policy_id: record.assignment_policy_id.clone(),
            external_target: record.external_target.clone(),
        },
        |before| AssignmentRecord {
            assignment: moved.assignment,
            ..before.clone()
        },
    ))
}

/// Creates `new` as `by` at `now` in the store and in the model, and checks they agree.
fn create(store: &dyn Store, model: &mut Model, new: &NewRequest, by: &Caller, now: Timestamp) {
    let slot_index = model
        .slots
        .iter()
        .position(|slot| slot.id == new.submission.id)
        .unwrap();
    let existing = new
        .submission
        .assignment
        .and_then(|id| model.assignments.get(&id))
        .cloned();
    let decided = Request::create(
        &new.submission,
        by,
        existing.as_ref().map(|record| &record.assignment),
        now,
    );
    let result = store.create(new, by, now);
    let submitted = match decided {
        Err(refusal) => {
            match result {
                Err(CreateFailure::Refused(found)) => assert_eq!(found, refusal),
                other => panic!("the model expects {refusal:?}, the store gave {other:?}"),
            }
            return;
        }
        Ok(created) => created.request,
    };
    if model.slots[slot_index].live.is_some() {
        match result {
            Err(CreateFailure::Store(StoreError::Duplicate(id))) => {
                assert_eq!(id, new.submission.id);
            }
            other => panic!("the model expects a duplicate, the store gave {other:?}"),
        }
        return;
    }
    let created = match result {
        Ok(created) => created,
        Err(other) => panic!("the model expects a creation, the store gave {other:?}"),
    };
    let mut record = RequestRecord::new(
        submitted,
        &new.access_package_id,
        &new.assignment_policy_id,
        new.justification.clone(),
    );
    let mut history = vec![HistoryEntry {
        seq: 0,
        request_id: submitted.id,
        at: now,
        by: by.id,
        principal: by.principal,
        stage: 0,
        event: Event::Submitted {
            status: submitted.status,
        },
        justification: new.justification.clone(),
    }];
    let mine = existing.filter(|record| record.assignment.id == submitted.assignment);
    let system = Caller::system();
    if new.process
        && let Ok(decided) = submitted.decide(
            &Action::new(ActionKind::Process, system),
            mine.as_ref().map(|record| &record.assignment),
            now,
        )
    {
        record.request = decided.step.request;
        if let Some(assignment) = moved(&decided, &record, mine.as_ref()) {
            model
                .assignments
                .insert(assignment.assignment.id, assignment);
        }
        history.push(HistoryEntry::of_step(
            &decided,
            system.id,
            system.principal,
            0,
            None,
        ));
    }
    assert_eq!(created.submitted, submitted);
    assert_eq!(created.stored.record, record);
    assert_eq!(created.stored.version, 1);
    let latest = model
        .slots
        .iter()
        .filter_map(|slot| slot.live.as_ref().map(|stored| stored.seq))
        .max();
    assert!(
        latest.is_none_or(|latest| created.stored.seq > latest),
        "a later insertion has a later seq"
    );
    assert_eq!(
        created.history.iter().map(without_seq).collect::<Vec<_>>(),
        history
    );
    let slot = &mut model.slots[slot_index];
    slot.created = true;
    slot.live = Some(created.stored);
    slot.history = history;
}

/// What the model expects of one transition.
#[derive(Debug)]
enum Expected {
    NotFound,
    Rejected(Rejection),
    Moved(Box<Decided>, Caller),
}

fn transition(
    store: &dyn Store,
    model: &mut Model,
    slot: usize,
    command: Command,
    who: Who,
    now: Timestamp,
    justification: Option<&str>,
) {
    let id = model.slots[slot].id;
    let expected = match &model.slots[slot].live {
        None => Expected::NotFound,
        Some(stored) => {
            let by = resolve(who, &stored.record);
            let request = &stored.record.request;
            let assignment = model
                .assignments
                .get(&request.assignment)
                .map(|record| &record.assignment);
            let decided = match command {
                Command::Act(kind) => request.decide(&Action::new(kind, by), assignment, now),
                Command::Review { stage, decision } => {
                    request.review(stage, decision, &by, assignment, now)
                }
            };
            match decided {
                Ok(decided) => Expected::Moved(Box::new(decided), by),
                Err(rejection) => Expected::Rejected(rejection),
            }
        }
    };
    let result = store.transition(
        id,
        command,
        &move |record: &RequestRecord| resolve(who, record),
        now,
        justification,
    );
    match (expected, result) {
        (Expected::NotFound, Err(TransitionError::NotFound(found))) => assert_eq!(found, id),
        (Expected::Rejected(expected), Err(TransitionError::Rejected(rejection))) => {
            assert_eq!(rejection, expected);
        }
        (Expected::Moved(decided, by), Ok(done)) => {
            let before = model.slots[slot].live.take().unwrap();
            let mut record = before.record.clone();
            record.request = decided.step.request;
            if let (Some(stage), Some(text)) = (decided.step.reviewed(), justification) {
                record.review_notes.retain(|note| note.stage != stage);
                record.review_notes.push(ReviewNote {
                    stage,
                    justification: text.to_owned(),
                });
            }
            let previous = model.assignments.get(&record.request.assignment);
            if let Some(assignment) = moved(&decided, &record, previous) {
                model
                    .assignments
                    .insert(assignment.assignment.id, assignment);
            }
            let after = Stored {
                record,
                version: before.version + 1,
                seq: before.seq,
            };
            assert_eq!(done.stored, after);
            let entry = HistoryEntry::of_step(
                &decided,
                by.id,
                by.principal,
                before.record.request.approval_stage,
                justification.map(str::to_owned),
            );
            assert_eq!(without_seq(&done.entry), entry);
            model.slots[slot].live = Some(after);
            model.slots[slot].history.push(entry);
        }
        (expected, result) => panic!("the model expects {expected:?}, the store gave {result:?}"),
    }
}

fn delete(store: &dyn Store, model: &mut Model, slot: usize, who: Who, now: Timestamp) {
    let id = model.slots[slot].id;
    let expected = model.slots[slot].live.as_ref().map(|stored| {
        let by = resolve(who, &stored.record);
        let request = &stored.record.request;
        request.delete(&by).map(|_| HistoryEntry {
            seq: 0,
            request_id: id,
            at: now,
            by: by.id,
            principal: by.principal,
            stage: request.approval_stage,
            event: Event::Deleted {
                status: request.status,
            },
            justification: None,
        })
    });
    let result = store.delete(id, &move |record: &RequestRecord| resolve(who, record), now);
    match (expected, result) {
        (None, Err(TransitionError::NotFound(found))) => assert_eq!(found, id),
        (Some(Err(expected)), Err(TransitionError::Rejected(rejection))) => {
            assert_eq!(rejection, expected);
        }
        (Some(Ok(entry)), Ok(written)) => {
            assert_eq!(without_seq(&written), entry);
            model.slots[slot].live = None;
            model.slots[slot].history.push(entry);
        }
        (expected, result) => panic!("the model expects {expected:?}, the store gave {result:?}"),
    }
}

/// Ends assignment `id` by its schedule at `now`, in the store and in the model.
fn end(store: &dyn Store, model: &mut Model, id: AssignmentId, now: Timestamp) {
    let result = store.end_assignment(id, now);
    let Some(current) = model.assignments.get(&id).cloned() else {
        match result {
            Err(TransitionError::Store(StoreError::Corrupt { what, .. })) => {
                assert_eq!(what, "assignment");
            }
            other => panic!("the model expects a corrupt reference, the store gave {other:?}"),
        }
        return;
    };
    match (current.assignment.end(now), result) {
        (Err(expected), Err(TransitionError::Rejected(rejection))) => {
            assert_eq!(rejection, Rejection::Assignment(expected));
        }
        (Ok(step), Ok(ended)) => {
            let expected = AssignmentRecord {
                assignment: step.assignment,
                ..current.clone()
            };
            assert_eq!(ended, expected);
            model.assignments.insert(id, expected);
            let system = Caller::system();
            let creator = model.slot_of(current.assignment.created_by);
            assert!(
                creator.live.is_some(),
                "the creator of an assignment is kept"
            );
            creator.history.push(HistoryEntry {
                seq: 0,
                request_id: current.assignment.created_by,
                at: now,
                by: system.id,
                principal: system.principal,
                stage: 0,
                event: Event::AssignmentEnded {
                    assignment: id,
                    rule: *step.rule,
                },
                justification: None,
            });
        }
        (expected, result) => panic!("the model expects {expected:?}, the store gave {result:?}"),
    }
}

/// The assignments due at `now`, as the model holds them, earliest first.
fn due_assignments(model: &Model, now: Timestamp) -> Vec<(AssignmentId, Timestamp)> {
    let mut due: Vec<(AssignmentId, Timestamp)> = model
        .assignments
        .values()
        .filter_map(|record| {
            let at = record.assignment.next_deadline()?;
            (at <= now).then_some((record.assignment.id, at))
        })
        .collect();
    due.sort_by_key(|(id, at)| (*at, *id));
    due
}

/// The store holds exactly what the model holds.
fn check(store: &dyn Store, model: &Model, now: Timestamp) {
    for slot in &model.slots {
        assert_eq!(
            store.get(slot.id).unwrap(),
            slot.live,
            "request {}",
            slot.id
        );
        let history = store.history(slot.id).unwrap();
        assert_eq!(
            history.iter().map(without_seq).collect::<Vec<_>>(),
            slot.history,
            "history of {}",
            slot.id
        );
        assert!(history.windows(2).all(|pair| pair[0].seq < pair[1].seq));
    }
    for id in Model::assignment_ids() {
        assert_eq!(
            store.assignment(id).unwrap().as_ref(),
            model.assignments.get(&id),
            "assignment {id}"
        );
    }
    let live: Vec<&Stored> = model.slots.iter().filter_map(|s| s.live.as_ref()).collect();
    let mut in_order = live.clone();
    in_order.sort_by_key(|stored| stored.seq);
    let listed = store
        .list(&Query {
            limit: u32::MAX,
            ..Query::default()
        })
        .unwrap();
    assert_eq!(listed.iter().collect::<Vec<_>>(), in_order);

    let due = store.due(now, 100).unwrap();
    assert!(due.windows(2).all(|pair| pair[0].1.at <= pair[1].1.at));
    let mut due_sorted = due.clone();
    due_sorted.sort_by_key(|(id, deadline)| (deadline.at, *id));
    let mut expected: Vec<(RequestId, Deadline)> = live
        .iter()
        .filter_map(|stored| {
            let deadline = stored.record.request.next_deadline()?;
            (deadline.at <= now).then_some((stored.record.request.id, deadline))
        })
        .collect();
    expected.sort_by_key(|(id, deadline)| (deadline.at, *id));
    assert_eq!(due_sorted, expected, "due at {now}");

    let mut due = store.due_assignments(now, 100).unwrap();
    assert!(due.windows(2).all(|pair| pair[0].1 <= pair[1].1));
    due.sort_by_key(|(id, at)| (*at, *id));
    assert_eq!(due, due_assignments(model, now), "assignments due at {now}");

    let report = store.integrity().unwrap();
    assert!(report.is_ok(), "{}", report.summary(20));
}

/// The adding request in slot `index`, as `setup` describes it, and who submits it.
fn adding(index: usize, setup: &Setup) -> (NewRequest, Caller) {
    let requestor = REQUESTORS[index % REQUESTORS.len()];
    let (kind, by) = if setup.by_administrator {
        (
            RequestType::AdminAdd,
            caller(Who::Administrator, ADMINISTRATOR, requestor),
        )
    } else {
        (
            RequestType::UserAdd,
            caller(Who::Requestor, requestor, requestor),
        )
    };
    let new = NewRequest {
        submission: Submission {
            id: request_id(index),
            kind,
            target: Some(requestor),
            assignment: None,
            rules: setup.rules,
            starts_at: setup.start.map(|days| T0.after(Duration::days(days))),
            ends_at: setup.end.map(|days| T0.after(Duration::days(days))),
            lasts: None,
        },
        access_package_id: "package".into(),
        assignment_policy_id: format!("policy {index}"),
        justification: index.is_multiple_of(2).then(|| format!("request {index}")),
        answers: Vec::new(),
        schedule: None,
        external_target: None,
        process: setup.process,
    };
    (new, by)
}

/// The removal in slot `slot` of `assignment`, of `kind`, as `who`.
fn removal(
    model: &Model,
    slot: usize,
    assignment: AssignmentId,
    kind: RequestType,
    who: Who,
    process: bool,
) -> (NewRequest, Caller) {
    let existing = model.assignments.get(&assignment);
    let holder = existing.map_or(REQUESTORS[0], |record| record.assignment.target);
    let (package, policy) = existing.map_or(("package".into(), "policy".into()), |record| {
        (
            record.access_package_id.clone(),
            record.assignment_policy_id.clone(),
        )
    });
    let new = NewRequest {
        submission: Submission {
            id: request_id(slot),
            kind,
            target: None,
            assignment: Some(assignment),
            rules: PolicyRules::default(),
            starts_at: None,
            ends_at: None,
            lasts: None,
        },
        access_package_id: package,
        assignment_policy_id: policy,
        justification: Some(format!("removal {slot}")),
        answers: Vec::new(),
        schedule: None,
        external_target: None,
        process,
    };
    (new, caller(who, holder, holder))
}

/// Runs `ops` on an empty `store`, checking it against the model after every step; returns the model.
fn run(store: &dyn Store, setups: &[Setup], ops: &[Op]) -> Model {
    let mut model = Model::new();
    for (index, setup) in setups.iter().enumerate() {
        let (new, by) = adding(index, setup);
        create(store, &mut model, &new, &by, T0);
        assert!(
            model.slots[index].created,
            "every adding request is created"
        );
    }
    let mut now = T0;
    check(store, &model, now);
    for (index, op) in ops.iter().enumerate() {
        // Every review is justified, every other action.
        let note = format!("step {index}");
        let justification = (index % 2 == 1).then_some(note.as_str());
        match *op {
            Op::Act {
                request,
                kind,
                who,
                wait,
            } => {
                now = now.after(wait);
                transition(
                    store,
                    &mut model,
                    request,
                    Command::Act(kind),
                    who,
                    now,
                    justification,
                );
            }
            Op::Review {
                request,
                stage,
                decision,
                who,
                wait,
            } => {
                now = now.after(wait);
                let command = Command::Review { stage, decision };
                transition(store, &mut model, request, command, who, now, Some(&note));
            }
            Op::Guided {
                request,
                pick,
                wait,
            } => {
                now = now.after(wait);
                let live: Vec<usize> = (0..SLOTS)
                    .filter(|slot| model.slots[*slot].live.is_some())
                    .collect();
                let request = if live.is_empty() {
                    0
                } else {
                    *request.get(&live)
                };
                let status = model.slots[request].live.as_ref().map(|stored| {
                    let request = &stored.record.request;
                    (request.status, request.approval_stage)
                });
                let (command, who) = guided(status, pick);
                transition(store, &mut model, request, command, who, now, justification);
            }
            Op::Delete { request, who } => delete(store, &mut model, request, who, now),
            Op::Remove {
                slot,
                ref of,
                kind,
                who,
                process,
                wait,
            } => {
                now = now.after(wait);
                // An id is never reused once its request was deleted (random ids never collide; the
                // conformance suite has the check that the store handles it).
                if model.slots[slot].created && model.slots[slot].live.is_none() {
                    continue;
                }
                let assignment = of.id(&model);
                let (new, by) = removal(&model, slot, assignment, kind, who, process);
                create(store, &mut model, &new, &by, now);
            }
            Op::EndDue { wait } => {
                now = now.after(wait);
                let due = store.due_assignments(now, 100).unwrap();
                assert_eq!(due, due_assignments(&model, now));
                for (id, at) in due {
                    end(store, &mut model, id, at);
                }
            }
            Op::End { of, wait } => {
                now = now.after(wait);
                let id = of.map_or(UNKNOWN_ASSIGNMENT, assignment_of);
                end(store, &mut model, id, now);
            }
        }
        check(store, &model, now);
    }
    model
}

/// [`run`] on a fresh SQLite file.
fn run_sqlite(setups: &[Setup], ops: &[Op]) -> Model {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("model.db")).unwrap();
    run(&store, setups, ops)
}

/// A store on a fresh PostgreSQL database, and a way to empty it.
fn postgres() -> (PostgresStore, impl Fn()) {
    let url = PgCluster::shared().fresh_database("model").unwrap();
    let store = PostgresStore::connect(&url, 2).unwrap();
    let raw = std::sync::Mutex::new(postgres::Client::connect(&url, postgres::NoTls).unwrap());
    let empty = move || {
        raw.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .batch_execute(
                "DELETE FROM requests; DELETE FROM history; DELETE FROM assignments;
                 DELETE FROM meta;",
            )
            .unwrap();
    };
    (store, empty)
}

fn ops() -> impl Strategy<Value = (Vec<Setup>, Vec<Op>)> {
    (
        proptest::collection::vec(setup(), ADDING),
        proptest::collection::vec(op(), 0..=40),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_store_agrees_with_the_core_step_by_step((setups, ops) in ops()) {
        run_sqlite(&setups, &ops);
    }
}

/// The same on PostgreSQL: one database, emptied before each case (a database per case would cost
/// ~0.2 s each).
#[test]
#[cfg_attr(
    not(entitle_postgres),
    ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
)]
fn the_postgres_store_agrees_with_the_core_step_by_step() {
    let (store, empty) = postgres();
    let config = ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let result = TestRunner::new(config).run(&ops(), |(setups, ops)| {
        empty();
        run(&store, &setups, &ops);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// A fixed walk through whole lifecycles, so the interesting paths are always covered whatever the
/// random cases hit: the setups of the adding requests, and the steps.
fn full_lifecycle() -> (Vec<Setup>, Vec<Op>) {
    let two_stages = PolicyRules {
        approval: Some(ApprovalRules {
            stages: 2,
            decision_timeout: Duration::days(14),
            escalate_after: Some(Duration::days(3)),
        }),
        callout_on_created: true,
    };
    let plain = Setup {
        rules: PolicyRules::default(),
        start: None,
        end: None,
        by_administrator: false,
        process: false,
    };
    let setups = vec![
        Setup {
            rules: two_stages,
            start: Some(5),
            end: Some(20),
            ..plain
        },
        plain,
        Setup {
            end: Some(10),
            by_administrator: true,
            process: true,
            ..plain
        },
    ];
    let act = |request, kind, who, wait| Op::Act {
        request,
        kind,
        who,
        wait,
    };
    let review = |request, stage, decision, who| Op::Review {
        request,
        stage,
        decision,
        who,
        wait: Duration::hours(1),
    };
    let remove = |slot, of, kind, who| Op::Remove {
        slot,
        of,
        kind,
        who,
        process: true,
        wait: Duration::hours(1),
    };
    let hour = Duration::hours(1);
    let (approve, deny) = (ReviewDecision::Approve, ReviewDecision::Deny);
    let ops = vec![
        act(0, ActionKind::Process, Who::System, hour),
        act(0, ActionKind::ResumeContinue, Who::Application, hour),
        review(0, 1, approve, Who::Approver(1)),
        review(0, 0, approve, Who::Approver(0)),
        review(0, 0, deny, Who::Alternate),
        act(0, ActionKind::Escalate, Who::System, Duration::days(3)),
        review(0, 1, approve, Who::Alternate),
        act(0, ActionKind::Approve, Who::Approver(1), hour),
        act(0, ActionKind::ReachStart, Who::System, Duration::days(2)),
        act(0, ActionKind::FailDelivery, Who::System, hour),
        act(0, ActionKind::Reprocess, Who::Administrator, hour),
        act(0, ActionKind::DeliverPartially, Who::System, hour),
        act(
            0,
            ActionKind::Reprocess,
            Who::Administrator,
            Duration::days(15),
        ),
        act(1, ActionKind::Cancel, Who::RequestorWithoutPermission, hour),
        act(1, ActionKind::Cancel, Who::Requestor, hour),
        Op::Delete {
            request: 1,
            who: Who::Requestor,
        },
        Op::Delete {
            request: 1,
            who: Who::Administrator,
        },
        act(1, ActionKind::Cancel, Who::Requestor, hour),
        act(2, ActionKind::Deliver, Who::System, hour),
        remove(
            3,
            Named::Unknown,
            RequestType::AdminRemove,
            Who::Administrator,
        ),
        remove(3, Named::Of(2), RequestType::UserRemove, Who::Administrator),
        remove(
            3,
            Named::Of(2),
            RequestType::AdminRemove,
            Who::Administrator,
        ),
        remove(
            4,
            Named::Of(2),
            RequestType::AdminRemove,
            Who::Administrator,
        ),
        remove(
            3,
            Named::Of(2),
            RequestType::AdminRemove,
            Who::Administrator,
        ),
        act(3, ActionKind::Deliver, Who::System, hour),
        act(4, ActionKind::Deliver, Who::System, hour),
        Op::Delete {
            request: 0,
            who: Who::Administrator,
        },
        Op::EndDue {
            wait: Duration::hours(1),
        },
        Op::End {
            of: Some(0),
            wait: Duration::hours(1),
        },
        Op::End {
            of: None,
            wait: Duration::hours(1),
        },
        Op::Delete {
            request: 3,
            who: Who::Administrator,
        },
    ];
    (setups, ops)
}

/// The walk reached what it is there to reach.
fn assert_walked(model: &Model) {
    let status = |slot: usize| {
        model.slots[slot]
            .live
            .as_ref()
            .map(|stored| stored.record.request.status)
    };
    assert_eq!(status(0), Some(RequestStatus::PartiallyDelivered));
    assert_eq!(status(1), None, "deleted");
    assert_eq!(status(2), Some(RequestStatus::Delivered));
    assert_eq!(status(3), None, "a delivered removal, deleted");
    assert_eq!(
        status(4),
        Some(RequestStatus::Delivering),
        "its assignment had ended"
    );
    let state = |slot| model.assignments[&assignment_of(slot)].assignment.state;
    assert_eq!(
        state(0),
        entitle_core::AssignmentState::Expired,
        "its schedule"
    );
    assert_eq!(state(2), entitle_core::AssignmentState::Expired, "removed");
    assert!(
        model.slots[0]
            .history
            .iter()
            .any(|entry| matches!(entry.event, Event::AssignmentEnded { .. }))
    );
    let notes = &model.slots[0].live.as_ref().unwrap().record.review_notes;
    assert_eq!(
        notes.iter().map(|note| note.stage).collect::<Vec<_>>(),
        [0, 1],
        "{notes:?}"
    );
}

#[test]
fn a_full_lifecycle_agrees_with_the_core() {
    let (setups, ops) = full_lifecycle();
    assert_walked(&run_sqlite(&setups, &ops));
}

#[test]
#[cfg_attr(
    not(entitle_postgres),
    ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
)]
fn a_full_lifecycle_on_postgres_agrees_with_the_core() {
    let (setups, ops) = full_lifecycle();
    let (store, _) = postgres();
    assert_walked(&run(&store, &setups, &ops));
}
