//! The full status × action grid as `apply` decides it, pinned by a snapshot.
//!
//! Each cell applies the action, by a caller authorized for it, to a request placed in the status,
//! on days 1, 10 and 20 after submission, so time conditions are seen both unmet and met.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::fmt::Write;

use entitle_core::{
    Action, ActionKind, ApprovalRules, Caller, Duration, Guid, Permission, PolicyRules, Rejection,
    Request, RequestId, RequestStatus, Role, Stage, SubjectId, Timestamp, VariantArray,
};

const REQUESTOR: SubjectId = SubjectId::new(Guid::from_u128(1));
const OTHER: SubjectId = SubjectId::new(Guid::from_u128(2));
const T0: Timestamp = Timestamp(1_767_225_600_000);

fn authorized(kind: ActionKind) -> Caller {
    use ActionKind as A;
    match kind {
        A::ResumeContinue | A::ResumeDeny | A::ResumeCancel => {
            Caller::application(OTHER).with_permission(Permission::ReadWriteAll)
        }
        A::Approve | A::Deny => Caller::user(OTHER)
            .with_permission(Permission::ReadWriteAll)
            .approving(0)
            .approving(1),
        A::Reprocess => Caller::user(OTHER)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::AccessPackageAssignmentManager),
        A::Cancel => Caller::user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite),
        _ => Caller::system(),
    }
}

/// A two-stage request with escalation, a start in 5 days, completed (if at all) at `T0`.
fn request_in(status: RequestStatus) -> Request {
    let policy = PolicyRules {
        approval: Some(ApprovalRules {
            stages: 2,
            decision_timeout: Duration::days(7),
            escalate_after: Some(Duration::days(3)),
        }),
        callout_on_created: true,
    };
    let id = RequestId::new(Guid::from_u128(3));
    let mut request =
        Request::submit(id, REQUESTOR, policy, Some(T0.after(Duration::days(5))), T0).unwrap();
    request.status = status;
    request.stages[0] = Stage {
        started_at: Some(T0),
        escalated: status == RequestStatus::PendingApprovalEscalated,
        outcome: None,
    };
    if status.is_completed() {
        request.completed_at = Some(T0);
        request.first_completed_at = Some(T0);
    }
    request
}

fn outcome(request: &Request, kind: ActionKind, now: Timestamp) -> String {
    match request.apply(&Action::new(kind, authorized(kind)), now) {
        Ok(step) => format!("{} ({})", step.request.status, step.authority),
        Err(Rejection::NotAllowed { .. }) => "not allowed".to_owned(),
        Err(Rejection::ConditionNotMet { unmet, .. }) => format!("unmet: {}", unmet.as_str()),
        Err(Rejection::Unauthorized(denial)) => format!("unauthorized: {denial}"),
        Err(other) => format!("refused: {other}"),
    }
}

#[test]
fn status_action_grid() {
    let mut out = String::new();
    for &status in RequestStatus::VARIANTS {
        let request = request_in(status);
        writeln!(out, "{status}").unwrap();
        for &kind in ActionKind::VARIANTS {
            let outcomes: Vec<(u64, String)> = [1, 10, 20]
                .into_iter()
                .map(|day| (day, outcome(&request, kind, T0.after(Duration::days(day)))))
                .collect();
            if outcomes.iter().all(|(_, o)| *o == outcomes[0].1) {
                writeln!(out, "  {kind}: {}", outcomes[0].1).unwrap();
            } else {
                let by_day: Vec<String> = outcomes
                    .iter()
                    .map(|(day, o)| format!("day {day}: {o}"))
                    .collect();
                writeln!(out, "  {kind}: {}", by_day.join("; ")).unwrap();
            }
        }
    }
    insta::assert_snapshot!(out);
}

#[test]
fn rejected_cells_leave_the_request_unchanged() {
    for &status in RequestStatus::VARIANTS {
        for &kind in ActionKind::VARIANTS {
            let mut request = request_in(status);
            let before = request;
            if request
                .apply_in_place(&Action::new(kind, authorized(kind)), T0)
                .is_err()
            {
                assert_eq!(request, before, "{status} {kind}");
            }
        }
    }
}
