//! The v1.0 and beta JSON shapes of a request, pinned by snapshots.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

use entitle_core::{
    Action, ActionKind, ApiVersion, Assignment, Caller, Duration, Guid, Permission, PolicyRules,
    Request, RequestId, RequestType, ReviewDecision, SubjectId, Timestamp,
};
use entitle_graph::{AssignmentView, EnumPreference, Moment, RequestView, StageWire};

const T0: Timestamp = Timestamp(1_767_225_600_000);
const JUSTIFICATION: &str = "Need access";

fn view<'a>(request: &'a Request, justification: Option<&'a str>) -> RequestView<'a> {
    RequestView {
        request,
        justification,
        answers: &[],
        schedule: None,
        moment: Moment::Stored,
        custom_extension_id: None,
        questions: &[],
    }
}

fn delivered(request_type: RequestType) -> Request {
    let requestor = SubjectId::new(Guid::from_u128(0x1111));
    let id = RequestId::new(Guid::from_u128(0x2222));
    let mut request = Request::submit(id, requestor, PolicyRules::default(), None, T0).unwrap();
    request.ends_at = Some(T0.after(Duration::days(365)));
    request
        .apply_in_place(&Action::by_system(ActionKind::Process), T0)
        .unwrap();
    request
        .apply_in_place(
            &Action::by_system(ActionKind::Deliver),
            T0.after(Duration::hours(1)),
        )
        .unwrap();
    request.kind = request_type;
    request
}

fn accepted() -> Request {
    let requestor = SubjectId::new(Guid::from_u128(0x1111));
    let id = RequestId::new(Guid::from_u128(0x3333));
    Request::submit(
        id,
        requestor,
        PolicyRules::default(),
        Some(T0.after(Duration::days(2))),
        T0,
    )
    .unwrap()
}

#[test]
fn v1_delivered() {
    let request = delivered(RequestType::AdminAdd);
    let json =
        view(&request, Some(JUSTIFICATION)).to_wire(ApiVersion::V1, EnumPreference::default());
    insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn beta_delivered_shows_delivered() {
    let request = delivered(RequestType::AdminAdd);
    let json =
        view(&request, Some(JUSTIFICATION)).to_wire(ApiVersion::Beta, EnumPreference::default());
    assert_eq!(json["requestStatus"], "Delivered");
    assert_eq!(json["requestState"], "Delivered");
    insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn v1_accepted_without_completion() {
    let request = accepted();
    let json = view(&request, None).to_wire(ApiVersion::V1, EnumPreference::default());
    assert_eq!(json["state"], "submitted");
    assert_eq!(json["status"], "Accepted");
    assert!(json["completedDateTime"].is_null());
    insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn approver_remove_follows_the_evolvable_enum_rule() {
    let record = delivered(RequestType::ApproverRemove);
    let hidden = view(&record, None).to_wire(ApiVersion::V1, EnumPreference::default());
    assert_eq!(hidden["requestType"], "unknownFutureValue");
    let shown = view(&record, None).to_wire(
        ApiVersion::V1,
        EnumPreference {
            include_unknown_members: true,
            beta_lower_camel: false,
        },
    );
    assert_eq!(shown["requestType"], "approverRemove");
    let extend = delivered(RequestType::UserExtend);
    assert_eq!(
        view(&extend, None).to_wire(ApiVersion::Beta, EnumPreference::default())["requestType"],
        "UserExtend"
    );
}

#[test]
fn stages_show_the_review_and_the_caller_s_part() {
    let requestor = SubjectId::new(Guid::from_u128(0x1111));
    let approver_id = SubjectId::new(Guid::from_u128(0x4444));
    let rules = PolicyRules {
        approval: Some(entitle_core::ApprovalRules {
            stages: 2,
            decision_timeout: Duration::days(14),
            escalate_after: None,
        }),
        callout_on_created: false,
    };
    let id = RequestId::new(Guid::from_u128(0x6b1e_9d0c_3a2f_4e8b_a5c7_0d9f_8e7a_6b5c));
    let approver = Caller::user(approver_id)
        .with_permission(Permission::ReadWriteAll)
        .approving(0);
    let request = Request::submit(id, requestor, rules, None, T0)
        .unwrap()
        .apply(&Action::by_system(ActionKind::Process), T0)
        .unwrap()
        .request
        .review(
            0,
            ReviewDecision::Approve,
            &approver,
            None,
            T0.after(Duration::hours(2)),
        )
        .unwrap()
        .step
        .request;
    let views: Vec<_> = request.stage_views(&approver).collect();
    let stages: Vec<_> = views
        .iter()
        .zip([Some("Looks right"), None])
        .map(|(view, justification)| {
            StageWire {
                view,
                reviewer_name: Some("Alex Wilber"),
                justification,
            }
            .to_wire()
        })
        .collect();
    insta::assert_snapshot!(serde_json::to_string_pretty(&stages).unwrap());
}

/// The view of `request`'s assignment, `assignment` once it exists.
fn placed<'a>(request: &Request, assignment: Option<&'a Assignment>) -> AssignmentView<'a> {
    AssignmentView {
        id: request.assignment,
        target: request.target,
        assignment,
        access_package_id: "pkg-1",
        assignment_policy_id: "policy-1",
        catalog_id: Some("catalog-1"),
    }
}

#[test]
fn an_assignment_shows_its_state_once_it_exists() {
    let request = delivered(RequestType::UserAdd);
    let mut assignment = Assignment::apply(
        None,
        entitle_core::AssignmentEvent::DeliveryStarted,
        &request,
        T0,
    )
    .unwrap()
    .assignment;
    assignment.state = entitle_core::AssignmentState::Delivered;
    let before = placed(&request, None).to_wire(ApiVersion::V1);
    assert!(before["state"].is_null());
    assert_eq!(before["id"], request.assignment.to_string());
    let v1 = placed(&request, Some(&assignment)).to_wire(ApiVersion::V1);
    assert_eq!(v1["state"], "delivered");
    assert_eq!(v1["status"], "Delivered");
    // v1.0's resource has no ids of its placement: `$expand` shows those.
    assert!(v1.get("targetId").is_none());
    let beta = placed(&request, Some(&assignment)).to_wire(ApiVersion::Beta);
    assert_eq!(beta["assignmentState"], "Delivered");
    assert_eq!(beta["assignmentStatus"], "Delivered");
    assert_eq!(beta["catalogId"], "catalog-1");
    assert_eq!(beta["targetId"], request.target.to_string());
    insta::assert_snapshot!(serde_json::to_string_pretty(&v1).unwrap());
    insta::assert_snapshot!(
        "beta_assignment",
        serde_json::to_string_pretty(&beta).unwrap()
    );
}

#[test]
fn beta_shows_when_a_pending_request_expires() {
    let requestor = SubjectId::new(Guid::from_u128(0x1111));
    let id = RequestId::new(Guid::from_u128(0x4444));
    let rules = PolicyRules {
        approval: Some(entitle_core::ApprovalRules {
            stages: 1,
            decision_timeout: Duration::days(14),
            escalate_after: Some(Duration::days(3)),
        }),
        callout_on_created: false,
    };
    let mut request = Request::submit(id, requestor, rules, None, T0).unwrap();
    request
        .apply_in_place(&Action::by_system(ActionKind::Process), T0)
        .unwrap();
    let json = view(&request, None).to_wire(ApiVersion::Beta, EnumPreference::default());
    // The decision timeout, not the earlier escalation.
    assert_eq!(json["expirationDateTime"], "2026-01-15T00:00:00.000Z");
    let v1 = view(&request, None).to_wire(ApiVersion::V1, EnumPreference::default());
    assert!(v1.get("expirationDateTime").is_none());
}
