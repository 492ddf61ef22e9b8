//! An approval stage (v1.0 `approvalStage`, beta `approvalStep`) on the wire.

use entitle_core::StageView;
use serde_json::{Value, json};

use crate::datetime;

/// A stage as Graph shows it: the core's view, with the reviewer's display name and the review's
/// justification, which the adapter keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StageWire<'a> {
    /// The core's view of the stage for the caller.
    pub view: &'a StageView,
    /// The reviewer's `displayName`, when known.
    pub reviewer_name: Option<&'a str>,
    /// The review's justification, when given.
    pub justification: Option<&'a str>,
}

impl StageWire<'_> {
    /// The stage's JSON (the same shape in v1.0 and beta).
    pub fn to_wire(&self) -> Value {
        let view = self.view;
        json!({
            "id": view.id.to_string(),
            "displayName": null,
            "reviewedDateTime": view.reviewed_at.map(datetime::format),
            "reviewResult": view.review_result.as_str(),
            "status": view.status.as_str(),
            "assignedToMe": view.assigned_to_me,
            "justification": self.justification.unwrap_or_default(),
            "reviewedBy": view.reviewed_by.map(|id| json!({
                "id": id.to_string(),
                "displayName": self.reviewer_name,
            })),
        })
    }
}
