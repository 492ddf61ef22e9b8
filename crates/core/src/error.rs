//! Errors: invalid input is kept apart from rejections of well-formed actions.

use alloc::string::String;

use serde::Serialize;

use crate::action::ActionKind;
use crate::approval::StageRejection;
use crate::assignment::AssignmentRejection;
use crate::authz::Denial;
use crate::request_type::RequestType;
use crate::status::RequestStatus;
use crate::table::Condition;

/// Input that does not describe anything entitle knows: a caller's mistake, not a decision.
///
/// It serializes as its typed reason: `{"unknownStatus": {"value": "Approved"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum InvalidInput {
    /// A status string that is neither a known status nor one of its aliases.
    #[error("unknown request status `{value}`")]
    UnknownStatus {
        /// The text given.
        value: String,
    },
    /// A state string that is not an `accessPackageRequestState` member.
    #[error("unknown request state `{value}`")]
    UnknownState {
        /// The text given.
        value: String,
    },
    /// An action name entitle does not know.
    #[error("unknown action `{value}`")]
    UnknownAction {
        /// The text given.
        value: String,
    },
    /// A request type entitle does not know.
    #[error("unknown request type `{value}`")]
    UnknownRequestType {
        /// The text given.
        value: String,
    },
    /// An operation name entitle does not know.
    #[error("unknown operation `{value}`")]
    UnknownOperation {
        /// The text given.
        value: String,
    },
    /// A change or removal that names no assignment.
    #[error("a `{request_type}` request needs the id of the assignment it concerns")]
    MissingAssignment {
        /// The request's type.
        request_type: RequestType,
    },
    /// An adding request that names no target.
    #[error("a `{request_type}` request needs the id of the user it is for")]
    MissingTarget {
        /// The request's type.
        request_type: RequestType,
    },
    /// An id that is not a GUID.
    #[error(
        "malformed {kind} id `{value}`: expected a GUID such as `00000000-0000-0000-0000-000000000000`"
    )]
    MalformedId {
        /// What the id names (`request`, `subject`).
        kind: &'static str,
        /// The text given.
        value: String,
    },
    /// A request whose fields no sequence of actions could produce.
    #[error("inconsistent request: {reason}")]
    InconsistentRequest {
        /// The broken invariant.
        reason: &'static str,
    },
    /// An approval policy with no stages or more than three.
    #[error("an approval policy needs 1 to 3 stages, not `{stages}`")]
    ApprovalStages {
        /// The number given.
        stages: u8,
    },
}

/// Why a well-formed action was refused. A rejected action changes nothing.
///
/// It serializes as its typed reason: `{"notAllowed": {"status": "Delivered", "action": "cancel"}}`,
/// `{"unauthorized": {"missingPermission": {…}}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
pub enum Rejection {
    /// The caller may not perform the action on this request, whatever its status.
    #[error("not authorized: {0}")]
    Unauthorized(#[from] Denial),
    /// The transition table has no row for the action from this status.
    #[error("cannot `{action}` a request whose status is `{status}`")]
    NotAllowed {
        /// The request's current status.
        status: RequestStatus,
        /// The action asked for.
        action: ActionKind,
    },
    /// The table has rows for the action from this status, but their condition does not hold yet.
    #[error("`{action}` from `{status}` requires that {condition}", condition = unmet.describe())]
    ConditionNotMet {
        /// The request's current status.
        status: RequestStatus,
        /// The action asked for.
        action: ActionKind,
        /// The condition of the last row tried.
        unmet: Condition,
    },
    /// The approval stage cannot be reviewed, or not by this caller now.
    #[error(transparent)]
    Stage(#[from] StageRejection),
    /// The request's assignment refuses the move the action would cause.
    #[error(transparent)]
    Assignment(#[from] AssignmentRejection),
    /// The request may not be deleted: it is not completed, or it created an assignment.
    #[error("cannot `delete` a request whose status is `{status}`")]
    NotDeletable {
        /// The request's current status.
        status: RequestStatus,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn messages_follow_the_house_style() {
        assert_eq!(
            InvalidInput::UnknownStatus {
                value: "Approved".into()
            }
            .to_string(),
            "unknown request status `Approved`"
        );
        assert_eq!(
            Rejection::NotAllowed {
                status: RequestStatus::Delivered,
                action: ActionKind::Cancel
            }
            .to_string(),
            "cannot `cancel` a request whose status is `Delivered`"
        );
        assert_eq!(
            Rejection::ConditionNotMet {
                status: RequestStatus::PendingApproval,
                action: ActionKind::Expire,
                unmet: Condition::DecisionTimedOut,
            }
            .to_string(),
            "`expire` from `PendingApproval` requires that the approval timeout has passed"
        );
    }

    #[test]
    fn errors_serialize_as_their_typed_reason() {
        let rejection = Rejection::ConditionNotMet {
            status: RequestStatus::PendingApproval,
            action: ActionKind::Expire,
            unmet: Condition::DecisionTimedOut,
        };
        assert_eq!(
            serde_json::to_string(&rejection).unwrap(),
            r#"{"conditionNotMet":{"status":"PendingApproval","action":"expire","unmet":"decisionTimedOut"}}"#
        );
        let invalid = InvalidInput::MissingTarget {
            request_type: RequestType::AdminAdd,
        };
        assert_eq!(
            serde_json::to_string(&invalid).unwrap(),
            r#"{"missingTarget":{"requestType":"adminAdd"}}"#
        );
    }
}
