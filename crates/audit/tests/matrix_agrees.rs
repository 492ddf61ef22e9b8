//! The authority matrix an auditor reads and the core's `apply` agree on every cell: for each status,
//! actor and action, the matrix's verdict is what `Request::apply` decides for that actor's caller on a
//! witness request in that status, at times before and after every timed condition.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

use entitle_audit::actor::REQUESTOR;
use entitle_audit::{Actor, Cell, LifecycleTable, cell};
use entitle_core::{
    Action, ActionKind, ApprovalPolicy, Duration, Guid, Policy, Rejection, Request, RequestId,
    RequestStatus, Timestamp, VariantArray,
};

const START: Timestamp = Timestamp(1_767_225_600_000);

/// A request in `status` that keeps every invariant, with approval (two stages, escalation), a
/// custom extension and a later start date, so that every row from `status` can apply at some time.
fn witness(status: RequestStatus, stage: u8) -> Request {
    let policy = Policy {
        approval: Some(ApprovalPolicy {
            stages: 2,
            decision_timeout: Duration::days(14),
            escalate_after: Some(Duration::days(3)),
        }),
        callout_on_created: true,
    };
    let mut request = Request::submit(
        RequestId::new(Guid::from_u128(7)),
        REQUESTOR,
        policy,
        Some(START.after(Duration::days(30))),
        START,
    )
    .unwrap();
    request.status = status;
    request.approval_stage = stage;
    if matches!(
        status,
        RequestStatus::PendingApproval | RequestStatus::PendingApprovalEscalated
    ) {
        request.stage_started_at = Some(START);
    }
    if status.is_completed() {
        request.completed_at = Some(START);
        request.first_completed_at = Some(START);
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
fn every_matrix_cell_is_what_apply_decides() {
    let table = LifecycleTable::builtin();
    let mut checked = 0;
    let mut kinds = std::collections::HashSet::new();
    for &status in RequestStatus::VARIANTS {
        for &action in ActionKind::VARIANTS {
            for &actor in Actor::VARIANTS {
                let verdict = cell(&table, status, Some(actor), action);
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
                kinds.insert(std::mem::discriminant(&verdict));
                checked += 1;
            }
        }
    }
    assert_eq!(kinds.len(), 4, "every kind of cell is exercised");
    assert_eq!(
        checked,
        RequestStatus::VARIANTS.len() * ActionKind::VARIANTS.len() * Actor::VARIANTS.len()
    );
}
