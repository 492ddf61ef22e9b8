//! The append-only history of a request: every submission, transition and deletion, with who did it,
//! when, and the table rows that decided it; and the end of the assignment a request created.

use entitle_core::{
    AssignmentId, AssignmentTransition, Decided, Principal, RequestId, RequestStatus, SubjectId,
    Timestamp, Transition,
};
use serde::{Deserialize, Serialize};

/// What happened to a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "camelCase", deny_unknown_fields)]
pub enum Event {
    /// The request was created with this status.
    Submitted {
        /// The status it was created with.
        status: RequestStatus,
    },
    /// A table row moved the request.
    Transition {
        /// The row that decided the move (its `from`, `action`, `to` and provenance).
        rule: Transition,
        /// The authorization rule that let the caller act.
        authority: String,
        /// The assignment table's row, when the move also moved the request's assignment.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        assignment: Option<AssignmentTransition>,
    },
    /// The request was deleted while it had this status.
    Deleted {
        /// Its last status.
        status: RequestStatus,
    },
    /// The schedule of the assignment the request created ended it.
    AssignmentEnded {
        /// The assignment.
        assignment: AssignmentId,
        /// The assignment table's row.
        rule: AssignmentTransition,
    },
}

/// One entry of a request's history.
///
/// Unknown fields are still refused: serde cannot combine `deny_unknown_fields` with `flatten` here
/// (it refused every entry), but everything the struct does not take goes to [`Event`], which denies
/// what it does not know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The entry's position in the store's history, assigned on write (0 until then).
    pub seq: u64,
    /// The request.
    pub request_id: RequestId,
    /// When it happened.
    pub at: Timestamp,
    /// Who acted.
    pub by: SubjectId,
    /// What kind of principal acted.
    pub principal: Principal,
    /// The approval stage the request was at before the event.
    pub stage: u8,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
    /// The caller's justification, when given.
    pub justification: Option<String>,
}

impl HistoryEntry {
    /// The entry recording `decided`, taken by `by` (a `principal`) on a request at approval `stage`.
    pub fn of_step(
        decided: &Decided,
        by: SubjectId,
        principal: Principal,
        stage: u8,
        justification: Option<String>,
    ) -> Self {
        Self {
            seq: 0,
            request_id: decided.step.request.id,
            at: decided.at,
            by,
            principal,
            stage,
            event: Event::Transition {
                rule: *decided.step.rule,
                authority: decided.step.authority.to_string(),
                assignment: decided.assignment.map(|moved| *moved.rule),
            },
            justification,
        }
    }

    /// The status the request has after this entry: `Some(None)` once deleted, `None` when the entry
    /// does not concern its status.
    pub fn status_after(&self) -> Option<Option<RequestStatus>> {
        match &self.event {
            Event::Submitted { status } => Some(Some(*status)),
            Event::Transition { rule, .. } => Some(Some(rule.to)),
            Event::Deleted { .. } => Some(None),
            Event::AssignmentEnded { .. } => None,
        }
    }
}
