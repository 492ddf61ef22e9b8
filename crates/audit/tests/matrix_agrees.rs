//! The authority matrix an auditor reads and the core agree on every cell, for every operation:
//!
//! - an action's cell is what `Request::apply` decides for that actor's caller on a witness request
//!   in that status, at times before and after every timed condition;
//! - a `delete` cell is what `Request::delete` decides on the witness request in that status;
//! - every other cell is what `authorize` decides for the witness request's parties, in every status
//!   (and, for a creation, what `Request::create` decides when the actor submits a request of that
//!   type for the requestor).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

use std::collections::BTreeSet;

use entitle_audit::actor::REQUESTOR;
use entitle_audit::matrix::{DELETE_WITNESS, status_dependent, status_independent};
use entitle_audit::{Actor, Cell, LifecycleTable, cell, matrix};
use entitle_core::{
    Action, ApprovalRules, Assignment, AssignmentId, AssignmentState, Callout, CreateError,
    Duration, Guid, Operation, PolicyRules, Rejection, Request, RequestId, RequestStatus,
    RequestType, Review, ReviewDecision, Stage, StageOutcome, SubjectId, Submission, Timestamp,
    VariantArray, authorize,
};

const START: Timestamp = Timestamp(1_767_225_600_000);

/// The rules of the witness request's policy: approval in two stages with escalation, and a custom
/// extension at creation, so that every row from every status can apply at some time.
fn rules() -> PolicyRules {
    PolicyRules {
        approval: Some(ApprovalRules {
            stages: 2,
            decision_timeout: Duration::days(14),
            escalate_after: Some(Duration::days(3)),
        }),
        callout_on_created: true,
    }
}

/// A `userAdd` request of [`REQUESTOR`] for themselves in `status`, at approval stage `stage`, that
/// keeps every invariant, with a start date 30 days after submission.
fn witness(status: RequestStatus, stage: u8) -> Request {
    let mut request = Request::submit(
        RequestId::new(Guid::from_u128(7)),
        REQUESTOR,
        rules(),
        Some(START.after(Duration::days(30))),
        START,
    )
    .unwrap();
    assert_eq!(request.kind, DELETE_WITNESS);
    request.status = status;
    if status.is_pending_approval() {
        request.approval_stage = stage;
        for earlier in 0..stage {
            request.stages[usize::from(earlier)] = Stage {
                started_at: Some(START),
                escalated: false,
                outcome: Some(StageOutcome::Reviewed(Review {
                    decision: ReviewDecision::Approve,
                    by: SubjectId::new(Guid::from_u128(0x99)),
                    at: START,
                })),
            };
        }
        request.stages[usize::from(stage)] = Stage {
            started_at: Some(START),
            escalated: status == RequestStatus::PendingApprovalEscalated,
            outcome: None,
        };
    }
    if status.is_completed() {
        request.completed_at = Some(START);
        request.first_completed_at = Some(START);
    }
    if status == RequestStatus::WaitingForCallback {
        request.callout = Some(Callout {
            sent_at: START,
            resumed_at: None,
        });
    }
    request.check().unwrap();
    request
}

/// Times at which every timed condition is false and then true.
fn times() -> [Timestamp; 4] {
    [
        START,
        START.after(Duration::days(4)),
        START.after(Duration::days(20)),
        START.after(Duration::days(40)),
    ]
}

#[test]
fn every_action_cell_is_what_apply_decides() {
    let table = LifecycleTable::builtin();
    let mut checked = 0;
    let mut kinds = BTreeSet::new();
    for &status in RequestStatus::VARIANTS {
        for operation in status_dependent() {
            let Some(action) = operation.action() else {
                continue;
            };
            for &actor in Actor::VARIANTS {
                let verdict = cell(&table, Some(status), Some(actor), operation);
                let caller = actor.caller();
                let outcomes: Vec<Result<(), Rejection>> = [0, 1]
                    .iter()
                    .flat_map(|stage| times().map(move |now| (*stage, now)))
                    .map(|(stage, now)| {
                        witness(status, stage)
                            .apply(&Action::new(action, caller), now)
                            .map(|_| ())
                    })
                    .collect();
                let context = format!("{status} {action} {actor:?}: {verdict:?} vs {outcomes:?}");
                match &verdict {
                    Cell::NotAuthorized => assert!(
                        outcomes
                            .iter()
                            .all(|o| matches!(o, Err(Rejection::Unauthorized(_)))),
                        "{context}"
                    ),
                    Cell::NotFromStatus => assert!(
                        outcomes
                            .iter()
                            .all(|o| matches!(o, Err(Rejection::NotAllowed { .. }))),
                        "{context}"
                    ),
                    Cell::Allowed => assert!(outcomes.iter().all(Result::is_ok), "{context}"),
                    Cell::AllowedIf(_) => {
                        assert!(
                            outcomes.iter().all(|o| o.is_ok()
                                || matches!(o, Err(Rejection::ConditionNotMet { .. }))),
                            "{context}"
                        );
                        assert!(outcomes.iter().any(Result::is_ok), "{context}");
                        assert!(outcomes.iter().any(Result::is_err), "{context}");
                    }
                }
                kinds.insert(format!("{verdict:?}").split('(').next().unwrap().to_owned());
                checked += 1;
            }
        }
    }
    assert_eq!(kinds.len(), 4, "every kind of cell is exercised: {kinds:?}");
    assert_eq!(
        checked,
        RequestStatus::VARIANTS.len() * (status_dependent().len() - 1) * Actor::VARIANTS.len()
    );
}

#[test]
fn every_delete_cell_is_what_delete_decides() {
    let table = LifecycleTable::builtin();
    let mut seen = BTreeSet::new();
    for &status in RequestStatus::VARIANTS {
        for &actor in Actor::VARIANTS {
            let verdict = cell(&table, Some(status), Some(actor), Operation::Delete);
            let decided = witness(status, 0).delete(&actor.caller());
            let context = format!("{status} {actor}: {verdict:?} vs {decided:?}");
            match verdict {
                Cell::Allowed => assert!(decided.is_ok(), "{context}"),
                Cell::NotAuthorized => {
                    assert!(
                        matches!(decided, Err(Rejection::Unauthorized(_))),
                        "{context}"
                    );
                }
                Cell::NotFromStatus => assert!(
                    matches!(decided, Err(Rejection::NotDeletable { .. })),
                    "{context}"
                ),
                Cell::AllowedIf(_) => panic!("a delete cell has no condition: {context}"),
            }
            seen.insert(format!("{verdict:?}"));
        }
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
}

/// An assignment of [`REQUESTOR`]'s in `state`, for the changes and removals a creation names.
fn assignment(state: AssignmentState) -> Assignment {
    Assignment {
        id: AssignmentId::new(Guid::from_u128(0x20)),
        target: REQUESTOR,
        state,
        starts_at: None,
        ends_at: None,
        created_by: RequestId::new(Guid::from_u128(0x21)),
        expired_at: None,
    }
}

/// What `Request::create` decides when `actor` submits a request of `kind` for [`REQUESTOR`].
fn create(kind: RequestType, actor: Actor) -> Result<(), CreateError> {
    let existing = assignment(AssignmentState::Delivered);
    let submission = Submission {
        id: RequestId::new(Guid::from_u128(0x10)),
        kind,
        target: Some(REQUESTOR),
        assignment: kind.needs_assignment().then_some(existing.id),
        rules: rules(),
        starts_at: None,
        ends_at: None,
        lasts: None,
    };
    Request::create(&submission, &actor.caller(), Some(&existing), START).map(|_| ())
}

#[test]
fn every_other_cell_is_what_authorize_decides_for_the_witness_parties() {
    let table = LifecycleTable::builtin();
    let mut allowed = 0;
    let mut refused = 0;
    for operation in status_independent() {
        for &actor in Actor::VARIANTS {
            let verdict = cell(&table, None, Some(actor), operation);
            assert!(
                matches!(verdict, Cell::Allowed | Cell::NotAuthorized),
                "{operation} {actor}: {verdict:?}"
            );
            let caller = actor.caller();
            for &status in RequestStatus::VARIANTS {
                let request = witness(status, 0);
                let parties = match operation {
                    Operation::Create(_) => entitle_core::Parties {
                        requestor: caller.id,
                        target: request.target,
                    },
                    _ => request.parties(),
                };
                assert_eq!(parties, actor.parties(operation));
                let decided = authorize(operation, &caller, parties);
                assert_eq!(
                    decided.is_ok(),
                    verdict.allows(),
                    "{operation} {actor} {status}: {verdict:?} vs {decided:?}"
                );
                // The status-independent cell is the same in every status.
                assert_eq!(cell(&table, Some(status), Some(actor), operation), verdict);
            }
            if let Operation::Create(kind) = operation {
                let created = create(kind, actor);
                match verdict {
                    Cell::Allowed => assert!(created.is_ok(), "{operation} {actor}: {created:?}"),
                    _ => assert!(
                        matches!(created, Err(CreateError::Unauthorized(_))),
                        "{operation} {actor}: {created:?}"
                    ),
                }
            }
            if verdict.allows() {
                allowed += 1;
            } else {
                refused += 1;
            }
        }
    }
    assert!(allowed > 0 && refused > 0, "{allowed} {refused}");
}

#[test]
fn the_matrix_has_a_cell_per_actor_and_operation_and_per_status_where_it_matters() {
    let table = LifecycleTable::builtin();
    let cells = matrix(&table);
    let operations: BTreeSet<String> = cells
        .iter()
        .map(|entry| entry.operation.to_string())
        .collect();
    assert_eq!(operations.len(), Operation::all().len());
    assert_eq!(
        cells.len(),
        Actor::VARIANTS.len()
            * (status_independent().len()
                + RequestStatus::VARIANTS.len() * status_dependent().len())
    );
    for entry in &cells {
        assert_eq!(
            entry.cell,
            cell(&table, entry.status, Some(entry.actor), entry.operation)
        );
    }
}
