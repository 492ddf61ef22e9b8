//! `lifecycle`: raw bytes become a submission of any request type and a run of commands (actions,
//! reviews of a named stage, deletions, the end of the assignment's schedule, authorization
//! questions) by callers of every kind at any time, driven through entitle-core and through the naive
//! reference model of `entitle-reference` (the one the model-based property test uses). Any
//! difference in result, authority, deadline or state, any panic and any broken invariant is a crash.
//!
//! ## Input format
//!
//! Bytes are read front to back; a read past the end yields zero, so every input decodes.
//!
//! - Byte 0, policy flags: bit 0 approval, bit 1 custom extension at creation, bit 2 escalation,
//!   bit 3 scheduled start, bit 4 stages taken raw from byte 1 (0 and 4..=255 must be refused),
//!   bits 5-6 submission time (0: 2026-01-01, 1: that plus a `u32` of ms, 2: a raw `u64`, 3: within a
//!   `u32` of ms of `u64::MAX`), bit 7 raw spans (timeout, escalation, start offset and end as 8 raw
//!   bytes each instead of the small forms below).
//! - Byte 1: stages (`% 3 + 1` unless raw). Byte 2: decision timeout (`% 14 + 1` days). Byte 3:
//!   escalation (`% 13 + 1` days). Bytes 4-5: start offset, `i8(byte 4)` units of byte 5 `% 4` (day,
//!   hour, minute, ms). Byte 6: end (`0`: none, else that many days after submission).
//! - Byte 7: the request type (`% 13`, `RequestType::VARIANTS` order). Byte 8: the submitter (`< 160`:
//!   the usual one for the type, else pool member `% 22`). Byte 9: the state of the assignment a change
//!   or a removal names (`% 6`: the five states, or none).
//! - Then up to [`MAX_STEPS`] commands: a kind byte (`% 8`: 0-3 an action, 4 a review, 5 a deletion,
//!   6 the end of the assignment's schedule, 7 an authorization question), its operands (an action
//!   byte `% 14`; a stage byte `% 4` and a decision bit; an operation byte), a caller byte (`< 128`:
//!   the usual caller of the action, else pool member `% 22`) and the advance (low 3 bits the kind,
//!   high 5 bits a magnitude `m`: 0, 1 ms, `m` hours, `m` days, a day less 1 ms, `m` minutes, `m` days
//!   less 1 ms, a raw `u64` of 8 more bytes).

#![no_main]

#[path = "common/bytes.rs"]
mod bytes;

use bytes::Bytes;
use entitle_core::{
    Action, ActionKind, ApprovalRules, Assignment, AssignmentId, AssignmentState, Decided,
    Duration, Guid, Operation, PolicyRules, Rejection, Request, RequestId, RequestState,
    RequestStatus, RequestType, ReviewDecision, Submission, Timestamp, VariantArray, authorize,
};
use entitle_reference::{Ask, Model, ModelAssignment, Who};
use libfuzzer_sys::fuzz_target;

const MS_MINUTE: u64 = 60 * 1_000;
const MS_HOUR: u64 = 60 * MS_MINUTE;
const MS_DAY: u64 = 24 * MS_HOUR;
/// 2026-01-01T00:00:00Z.
const T0: u64 = 1_767_225_600_000;
/// The most commands decoded from one input.
const MAX_STEPS: usize = 128;

const ID: RequestId = RequestId::new(Guid::from_u128(0x1d));
const EXISTING: AssignmentId = AssignmentId::new(Guid::from_u128(0x5a));
const CREATOR: RequestId = RequestId::new(Guid::from_u128(0x5b));

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

fn pool(byte: u8) -> Who {
    Who::ALL[usize::from(byte) % Who::ALL.len()]
}

/// The submitter who may usually submit a request of `kind`.
fn submitter_for(kind: RequestType) -> Who {
    use RequestType as T;
    match kind {
        T::UserAdd | T::UserUpdate | T::UserRemove | T::UserExtend => Who::RequestorSubjectAccess,
        T::ApproverRemove => Who::OtherReadOnly,
        T::AdminAdd | T::AdminUpdate | T::AdminRemove => Who::AssignmentManager,
        _ => Who::System,
    }
}

/// What the first bytes say: the submission, its submitter and the assignment it names.
struct Submitted {
    ask: Ask,
    submitter: Who,
    existing: Option<Assignment>,
    at: u64,
}

fn decode_submission(bytes: &mut Bytes<'_>) -> Submitted {
    let flags = bytes.u8();
    let raw_stages = flags & 0x10 != 0;
    let raw_spans = flags & 0x80 != 0;
    let stages_byte = bytes.u8();
    let timeout_byte = bytes.u8();
    let escalation_byte = bytes.u8();
    let offset_byte = bytes.u8();
    let unit_byte = bytes.u8();
    let end_byte = bytes.u8();
    let kind = RequestType::VARIANTS[usize::from(bytes.u8()) % RequestType::VARIANTS.len()];
    let submitter_byte = bytes.u8();
    let existing_byte = bytes.u8();
    let at = match (flags >> 5) & 3 {
        0 => T0,
        1 => T0 + u64::from(bytes.u32()),
        2 => bytes.u64(),
        _ => u64::MAX - u64::from(bytes.u32()),
    };
    let mut span = |small: u64| if raw_spans { bytes.u64() } else { small };
    let decision_timeout = Duration(span(u64::from(timeout_byte % 14 + 1) * MS_DAY));
    let escalate_after = Duration(span(u64::from(escalation_byte % 13 + 1) * MS_DAY));
    let end = span(u64::from(end_byte) * MS_DAY);
    let unit = [MS_DAY, MS_HOUR, MS_MINUTE, 1][usize::from(unit_byte % 4)];
    // An offset within ±128 units, or any 64-bit offset.
    let small_offset = i64::from(offset_byte.cast_signed()) * unit.cast_signed();
    let offset = if raw_spans {
        bytes.u64().cast_signed()
    } else {
        small_offset
    };
    let approval = (flags & 1 != 0).then_some(ApprovalRules {
        stages: if raw_stages {
            stages_byte
        } else {
            stages_byte % 3 + 1
        },
        decision_timeout,
        escalate_after: (flags & 4 != 0).then_some(escalate_after),
    });
    let submitter = if submitter_byte < 160 {
        submitter_for(kind)
    } else {
        pool(submitter_byte)
    };
    let target = match kind {
        RequestType::UserAdd
        | RequestType::UserUpdate
        | RequestType::UserRemove
        | RequestType::UserExtend => submitter.caller().id,
        _ => Who::TARGET,
    };
    let ends_at = (end_byte != 0 || raw_spans).then(|| at.saturating_add(end));
    let existing = AssignmentState::VARIANTS
        .get(usize::from(existing_byte % 6))
        .filter(|_| kind.needs_assignment())
        .map(|&state| Assignment {
            id: EXISTING,
            target,
            state,
            starts_at: None,
            ends_at: ends_at.map(|end| Timestamp(end.saturating_add(MS_DAY))),
            created_by: CREATOR,
            expired_at: (state == AssignmentState::Expired).then_some(Timestamp(T0)),
        });
    let names_assignment = kind.needs_assignment();
    Submitted {
        ask: Ask {
            id: ID,
            kind,
            target: (!names_assignment).then_some(target),
            assignment: names_assignment.then_some(EXISTING),
            rules: PolicyRules {
                approval,
                callout_on_created: flags & 2 != 0,
            },
            starts_at: (flags & 8 != 0).then(|| at.saturating_add_signed(offset)),
            ends_at,
        },
        submitter,
        existing,
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

fn who(bytes: &mut Bytes<'_>, action: ActionKind) -> Who {
    let byte = bytes.u8();
    if byte < 128 {
        Who::natural_for(action)
    } else {
        pool(byte)
    }
}

/// The invariants of one request, whatever the model says.
fn check_request(request: &Request, index: usize) {
    assert_eq!(request.check(), Ok(()), "step {index}: an invariant broke");
    assert_ne!(request.status.state(), RequestState::UnknownFutureValue);
    assert_eq!(
        request.status.is_terminal(),
        TERMINAL.contains(&request.status),
        "is_terminal of {:?}",
        request.status
    );
    assert_eq!(
        request.status.is_cancelable(),
        CANCELABLE.contains(&request.status),
        "is_cancelable of {:?}",
        request.status
    );
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes::new(data);
    let submitted = decode_submission(&mut bytes);
    let ask = submitted.ask;
    let submission = Submission {
        id: ask.id,
        kind: ask.kind,
        target: ask.target,
        assignment: ask.assignment,
        rules: ask.rules,
        starts_at: ask.starts_at.map(Timestamp),
        ends_at: ask.ends_at.map(Timestamp),
        lasts: None,
    };
    let submitter = submitted.submitter.caller();
    let existing = submitted.existing;
    let mut now = submitted.at;
    let core = Request::create(&submission, &submitter, existing.as_ref(), Timestamp(now));
    let model = Model::create(
        &ask,
        &submitter,
        existing.as_ref().map(ModelAssignment::of),
        now,
    );
    let (mut request, mut model) = match (core, model) {
        (Ok(created), Ok(model)) => {
            assert_eq!(
                Ok(Some(created.authority)),
                model.authorize(Operation::Create(ask.kind), &submitter),
                "the creation's authority"
            );
            (created.request, model)
        }
        (Err(core), Err(model)) => {
            assert_eq!(core, model, "creation refused differently");
            return;
        }
        (core, model) => panic!("creation: core {core:?} vs model {model:?}"),
    };
    let mut assignment = existing;
    assert_eq!(request, model.expected(), "after creation");

    for index in 0..MAX_STEPS {
        if bytes.done() {
            break;
        }
        let command = bytes.u8() % 8;
        let before = request;
        match command {
            0..=3 => {
                let action =
                    ActionKind::VARIANTS[usize::from(bytes.u8()) % ActionKind::VARIANTS.len()];
                let by = who(&mut bytes, action);
                now = now.saturating_add(decode_advance(&mut bytes));
                let caller = by.caller();
                let at = Timestamp(now);
                let permitted: Vec<ActionKind> = ActionKind::VARIANTS
                    .iter()
                    .copied()
                    .filter(|&other| {
                        let mut probe = model;
                        probe.act(other, &caller, now).is_ok()
                    })
                    .collect();
                let permitted_core: Vec<ActionKind> = request
                    .permitted_actions(&caller, at)
                    .filter(|&other| {
                        request
                            .decide(&Action::new(other, caller), assignment.as_ref(), at)
                            .is_ok()
                    })
                    .collect();
                assert_eq!(
                    permitted_core, permitted,
                    "step {index}: permitted for {by:?}"
                );
                let decided = request.decide(&Action::new(action, caller), assignment.as_ref(), at);
                assert_eq!(request, before, "step {index}: decide changed its receiver");
                let expected = model.act(action, &caller, now);
                assert_eq!(
                    decided.map(|moved| moved.step.request.status),
                    expected,
                    "step {index}: {action} by {by:?} from {:?}",
                    before.status
                );
                if let Ok(Decided {
                    step,
                    at: moved_at,
                    assignment: moved_assignment,
                }) = decided
                {
                    assert_eq!(step.from(), before.status);
                    assert_eq!(moved_at, at);
                    assert!(!TERMINAL.contains(&before.status), "left a terminal status");
                    assert!(
                        action != ActionKind::Cancel || CANCELABLE.contains(&before.status),
                        "cancel from {:?}",
                        before.status
                    );
                    assert_eq!(
                        Ok(Some(step.authority)),
                        model.authorize(Operation::Act(action), &caller),
                        "step {index}: authority"
                    );
                    if let Some(moved) = moved_assignment {
                        assignment = Some(moved.assignment);
                    }
                    request = step.request;
                } else if !matches!(decided, Err(Rejection::Assignment(_))) {
                    // `apply` refuses what `decide` refuses, except the assignment's refusals.
                    assert!(request.apply(&Action::new(action, caller), at).is_err());
                }
            }
            4 => {
                let stage = bytes.u8();
                let approve = stage & 0x80 == 0;
                let stage = stage % 4;
                let decision = if approve {
                    ReviewDecision::Approve
                } else {
                    ReviewDecision::Deny
                };
                let by = who(&mut bytes, decision.action());
                now = now.saturating_add(decode_advance(&mut bytes));
                let caller = by.caller();
                let reviewed = request.review(
                    stage,
                    decision,
                    &caller,
                    assignment.as_ref(),
                    Timestamp(now),
                );
                let expected = model.review(stage, approve, &caller, now);
                assert_eq!(
                    reviewed.map(|moved| moved.step.request.status),
                    expected,
                    "step {index}: review {stage} {decision} by {by:?}"
                );
                if let Ok(moved) = reviewed {
                    assert_eq!(moved.step.reviewed(), Some(stage));
                    if let Some(moved) = moved.assignment {
                        assignment = Some(moved.assignment);
                    }
                    request = moved.step.request;
                }
            }
            5 => {
                let by = pool(bytes.u8());
                let caller = by.caller();
                let deleted = request.delete(&caller).map(|_| ());
                assert_eq!(
                    deleted,
                    model.delete(&caller),
                    "step {index}: delete by {by:?}"
                );
                if deleted.is_ok() {
                    break;
                }
            }
            6 => {
                now = now.saturating_add(decode_advance(&mut bytes));
                let ended = match assignment {
                    Some(current) => current.end(Timestamp(now)),
                    None => Err(entitle_core::AssignmentRejection::Missing {
                        assignment: request.assignment,
                    }),
                };
                assert_eq!(
                    ended.map(|step| step.assignment.state),
                    model.end_assignment(now),
                    "step {index}: the end of the assignment"
                );
                if let Ok(step) = ended {
                    assignment = Some(step.assignment);
                }
            }
            _ => {
                let operations = Operation::all();
                let operation = operations[usize::from(bytes.u8()) % operations.len()];
                let by = pool(bytes.u8());
                let caller = by.caller();
                assert_eq!(
                    authorize(operation, &caller, request.parties()).map(Some),
                    model.authorize(operation, &caller),
                    "step {index}: `{operation}` by {by:?}"
                );
                assert_eq!(
                    request.awaits_review_by(&caller),
                    model.awaits_review_by(&caller),
                    "step {index}: awaits review by {by:?}"
                );
                assert_eq!(
                    request.can_cancel(&caller, Timestamp(now)),
                    model.clone_act(ActionKind::Cancel, &caller, now),
                    "step {index}: can_cancel for {by:?}"
                );
            }
        }
        check_request(&request, index);
        assert_eq!(request, model.expected(), "step {index}: request");
        assert_eq!(
            assignment,
            model.expected_assignment(),
            "step {index}: assignment"
        );
        assert_eq!(
            request
                .next_deadline()
                .map(|deadline| (deadline.at.0, deadline.action)),
            model.next_deadline(),
            "step {index}: next deadline"
        );
        assert_eq!(
            assignment.and_then(|assignment| assignment.next_deadline()),
            model
                .expected_assignment()
                .and_then(|assignment| assignment.next_deadline()),
        );
    }

    let json = serde_json::to_string(&request).expect("a request serializes");
    let back: Request = serde_json::from_str(&json).expect("a serialized request loads");
    assert_eq!(back, request, "serde round trip");
});

/// Whether the model would accept `action` by `caller` at `now`, without moving.
trait Probe {
    fn clone_act(&self, action: ActionKind, caller: &entitle_core::Caller, now: u64) -> bool;
}

impl Probe for Model {
    fn clone_act(&self, action: ActionKind, caller: &entitle_core::Caller, now: u64) -> bool {
        let mut probe = *self;
        probe.act(action, caller, now).is_ok()
    }
}
