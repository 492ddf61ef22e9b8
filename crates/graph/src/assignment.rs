//! The `accessPackageAssignment` a request concerns, as `$expand` and the assignments collection
//! show it: v1.0's `state` and `status`; beta's `assignmentState`, `assignmentStatus` and the ids of
//! its catalog, package, policy and target.

use entitle_core::{ApiVersion, Assignment, AssignmentId, AssignmentState, SubjectId};
use serde_json::{Map, Value, json};

use crate::datetime;
use crate::schedule::{RequestedSchedule, schedule_wire};

/// An assignment with the ids that place it: its package, policy and catalog. `assignment` is `None`
/// while a request's assignment does not exist yet (before delivery starts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssignmentView<'a> {
    /// The assignment's id.
    pub id: AssignmentId,
    /// Who it is for.
    pub target: SubjectId,
    /// The assignment, once it exists.
    pub assignment: Option<&'a Assignment>,
    /// The access package.
    pub access_package_id: &'a str,
    /// The assignment policy.
    pub assignment_policy_id: &'a str,
    /// The catalog of the access package, when the directory knows it.
    pub catalog_id: Option<&'a str>,
}

/// `status` (v1.0) or `assignmentStatus` (beta): the documented values where a state has one
/// (`Delivering`, `Delivered`, `ExpiredNotificationTriggered`), the state's own name otherwise.
const fn status_name(state: AssignmentState) -> &'static str {
    match state {
        AssignmentState::Delivering => "Delivering",
        AssignmentState::Delivered => "Delivered",
        AssignmentState::Expired => "ExpiredNotificationTriggered",
        AssignmentState::PartiallyDelivered => "PartiallyDelivered",
        AssignmentState::DeliveryFailed => "DeliveryFailed",
    }
}

impl AssignmentView<'_> {
    /// The assignment's JSON in `api`. Before the assignment exists its state, status and expiry are
    /// `null` and its schedule specifies nothing (`notSpecified`).
    pub fn to_wire(&self, api: ApiVersion) -> Value {
        let state = self.assignment.map(|assignment| assignment.state);
        let unspecified = RequestedSchedule::default();
        let schedule = match self.assignment {
            Some(assignment) => schedule_wire(api, assignment.starts_at, assignment.ends_at, None),
            None => schedule_wire(api, None, None, Some(&unspecified)),
        };
        let expired = self
            .assignment
            .and_then(|assignment| assignment.expired_at)
            .map(datetime::format);
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id.to_string()));
        match api {
            ApiVersion::V1 => {
                object.insert("state".into(), json!(state.map(AssignmentState::as_str)));
                object.insert("status".into(), json!(state.map(status_name)));
            }
            ApiVersion::Beta => {
                object.insert(
                    "assignmentState".into(),
                    json!(state.map(AssignmentState::beta_str)),
                );
                object.insert("assignmentStatus".into(), json!(state.map(status_name)));
                object.insert("catalogId".into(), json!(self.catalog_id));
                object.insert("accessPackageId".into(), json!(self.access_package_id));
                object.insert(
                    "assignmentPolicyId".into(),
                    json!(self.assignment_policy_id),
                );
                object.insert("targetId".into(), json!(self.target.to_string()));
                object.insert("isExtended".into(), json!(false));
            }
        }
        object.insert("expiredDateTime".into(), json!(expired));
        object.insert("schedule".into(), schedule);
        Value::Object(object)
    }
}
