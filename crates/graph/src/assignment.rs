//! The `accessPackageAssignment` a request concerns, as `$expand` shows it.

use entitle_core::{ApiVersion, Assignment, AssignmentId, SubjectId};
use serde_json::{Map, Value, json};

use crate::datetime;
use crate::schedule::schedule_wire;

/// An assignment with the ids that place it: its package and policy. `assignment` is `None` while a
/// request's assignment does not exist yet (before delivery starts).
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
}

impl AssignmentView<'_> {
    /// The assignment's JSON in `api`: its id, state and schedule once it exists, and the ids of its
    /// target, package and policy.
    pub fn to_wire(&self, api: ApiVersion) -> Value {
        let state_name = match api {
            ApiVersion::V1 => "state",
            ApiVersion::Beta => "assignmentState",
        };
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id.to_string()));
        object.insert(
            state_name.into(),
            json!(self.assignment.map(|assignment| match api {
                ApiVersion::V1 => assignment.state.as_str(),
                ApiVersion::Beta => assignment.state.beta_str(),
            })),
        );
        object.insert(
            "expiredDateTime".into(),
            json!(
                self.assignment
                    .and_then(|assignment| assignment.expired_at)
                    .map(datetime::format)
            ),
        );
        if let Some(assignment) = self.assignment {
            object.insert(
                "schedule".into(),
                schedule_wire(assignment.starts_at, assignment.ends_at, None),
            );
        }
        object.insert("targetId".into(), json!(self.target.to_string()));
        object.insert("accessPackageId".into(), json!(self.access_package_id));
        object.insert(
            "assignmentPolicyId".into(),
            json!(self.assignment_policy_id),
        );
        Value::Object(object)
    }
}
