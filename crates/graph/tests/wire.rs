//! The v1.0 and beta JSON shapes of a request, pinned by snapshots.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

use entitle_core::{
    Action, ActionKind, ApiVersion, Duration, Guid, Policy, Request, RequestId, SubjectId,
    Timestamp,
};
use entitle_graph::{AssignmentRequest, EnumPolicy, RequestType};

const T0: Timestamp = Timestamp(1_767_225_600_000);

fn delivered(request_type: RequestType) -> AssignmentRequest {
    let requestor = SubjectId::new(Guid::from_u128(0x1111));
    let id = RequestId::new(Guid::from_u128(0x2222));
    let mut request = Request::submit(id, requestor, Policy::default(), None, T0).unwrap();
    request
        .apply_in_place(&Action::by_system(ActionKind::Process), T0)
        .unwrap();
    request
        .apply_in_place(
            &Action::by_system(ActionKind::Deliver),
            T0.after(Duration::hours(1)),
        )
        .unwrap();
    AssignmentRequest {
        request,
        request_type,
        access_package_id: "pkg-1".to_owned(),
        assignment_policy_id: "policy-1".to_owned(),
        target_id: requestor,
        justification: Some("Need access".to_owned()),
        expires_at: Some(T0.after(Duration::days(365))),
    }
}

fn accepted() -> AssignmentRequest {
    let requestor = SubjectId::new(Guid::from_u128(0x1111));
    let id = RequestId::new(Guid::from_u128(0x3333));
    let request = Request::submit(
        id,
        requestor,
        Policy::default(),
        Some(T0.after(Duration::days(2))),
        T0,
    )
    .unwrap();
    let mut record = delivered(RequestType::UserAdd);
    record.request = request;
    record.justification = None;
    record.expires_at = None;
    record
}

#[test]
fn v1_delivered() {
    let json = delivered(RequestType::AdminAdd).to_wire(ApiVersion::V1, EnumPolicy::default());
    insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn beta_delivered_shows_fulfilled() {
    let json = delivered(RequestType::AdminAdd).to_wire(ApiVersion::Beta, EnumPolicy::default());
    assert_eq!(json["requestStatus"], "Fulfilled");
    assert_eq!(json["requestState"], "Delivered");
    insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn v1_accepted_without_completion() {
    let json = accepted().to_wire(ApiVersion::V1, EnumPolicy::default());
    assert_eq!(json["state"], "submitted");
    assert_eq!(json["status"], "Accepted");
    assert!(json["completedDateTime"].is_null());
    insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn approver_remove_follows_the_evolvable_enum_rule() {
    let record = delivered(RequestType::ApproverRemove);
    let hidden = record.to_wire(ApiVersion::V1, EnumPolicy::default());
    assert_eq!(hidden["requestType"], "unknownFutureValue");
    let shown = record.to_wire(
        ApiVersion::V1,
        EnumPolicy {
            include_unknown_members: true,
        },
    );
    assert_eq!(shown["requestType"], "approverRemove");
}

#[test]
fn records_round_trip_through_serde() {
    let record = delivered(RequestType::UserAdd);
    let text = serde_json::to_string(&record).unwrap();
    assert_eq!(
        serde_json::from_str::<AssignmentRequest>(&text).unwrap(),
        record
    );
}
