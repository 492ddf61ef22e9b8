//! What the store keeps for a request and for an assignment: entitle-core's value and the few facts
//! around it that only the adapters use (ids of the package and policy, free text), in a versioned
//! format that refuses unknown fields.
//!
//! The format is entitle's own, not Graph's: `entitle-graph` renders a view of it. A record of another
//! format version is refused when read (a corrupt row), never guessed at.

use entitle_core::{Assignment, Request};
use entitle_graph::{Answer, RequestedSchedule};

use crate::directory::ExternalSubject;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The version of the record format this build writes and reads.
pub const RECORD_FORMAT: u32 = 2;

/// The `format` field: always [`RECORD_FORMAT`]; any other value is refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Format;

impl Serialize for Format {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(RECORD_FORMAT)
    }
}

impl<'de> Deserialize<'de> for Format {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let version = u32::deserialize(deserializer)?;
        if version == RECORD_FORMAT {
            Ok(Self)
        } else {
            Err(serde::de::Error::custom(format!(
                "record format `{version}`; this entitle reads format `{RECORD_FORMAT}`"
            )))
        }
    }
}

/// The justification an approver gave with the review of one stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReviewNote {
    /// The stage reviewed, from 0.
    pub stage: u8,
    /// What the approver wrote.
    pub justification: String,
}

/// A request as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestRecord {
    /// The record format ([`RECORD_FORMAT`]).
    pub format: Format,
    /// The request, as entitle-core decides it.
    pub request: Request,
    /// The access package asked for.
    pub access_package_id: String,
    /// The assignment policy it was asked under.
    pub assignment_policy_id: String,
    /// The requestor's justification.
    pub justification: Option<String>,
    /// The approvers' justifications, one per reviewed stage that had one.
    pub review_notes: Vec<ReviewNote>,
    /// The requestor's answers to the policy's questions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<Answer>,
    /// The schedule as asked, beyond the request's start and end (`None` when not kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<RequestedSchedule>,
    /// The target, when it is a user not yet in the directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_target: Option<ExternalSubject>,
}

impl RequestRecord {
    /// A new record of `request` in a package and policy, with the requestor's justification.
    pub fn new(
        request: Request,
        access_package_id: &str,
        assignment_policy_id: &str,
        justification: Option<String>,
    ) -> Self {
        Self {
            format: Format,
            request,
            access_package_id: access_package_id.to_owned(),
            assignment_policy_id: assignment_policy_id.to_owned(),
            justification,
            review_notes: Vec::new(),
            answers: Vec::new(),
            schedule: None,
            external_target: None,
        }
    }

    /// The justification of stage `stage`'s review, if one was given.
    pub fn review_note(&self, stage: u8) -> Option<&str> {
        self.review_notes
            .iter()
            .find(|note| note.stage == stage)
            .map(|note| note.justification.as_str())
    }
}

/// An assignment as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssignmentRecord {
    /// The record format ([`RECORD_FORMAT`]).
    pub format: Format,
    /// The assignment, as entitle-core decides it.
    pub assignment: Assignment,
    /// Its access package.
    pub access_package_id: String,
    /// The policy it was assigned under.
    pub assignment_policy_id: String,
    /// Its holder, when a user not yet in the directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_target: Option<ExternalSubject>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use entitle_core::{
        Action, ActionKind, ApprovalRules, Caller, Duration, Guid, Permission, PolicyRules,
        RequestId, ReviewDecision, SubjectId, Timestamp,
    };

    use super::*;

    const T0: Timestamp = Timestamp(1_767_225_600_000);

    fn reviewed() -> RequestRecord {
        let rules = PolicyRules {
            approval: Some(ApprovalRules {
                stages: 2,
                decision_timeout: Duration::days(14),
                escalate_after: Some(Duration::days(3)),
            }),
            callout_on_created: false,
        };
        let requestor = SubjectId::new(Guid::from_u128(0xa001));
        let approver = Caller::user(SubjectId::new(Guid::from_u128(0xa003)))
            .with_permission(Permission::ReadWriteAll)
            .approving(0);
        let request = Request::submit(
            RequestId::new(Guid::from_u128(0xc001)),
            requestor,
            rules,
            None,
            T0,
        )
        .unwrap()
        .apply(&Action::by_system(ActionKind::Process), T0)
        .unwrap()
        .request
        .review(
            0,
            ReviewDecision::Approve,
            &approver,
            None,
            T0.after(Duration::hours(1)),
        )
        .unwrap()
        .step
        .request;
        let mut record =
            RequestRecord::new(request, "package", "policy", Some("For the audit".into()));
        record.review_notes.push(ReviewNote {
            stage: 0,
            justification: "Fine".into(),
        });
        record
    }

    #[test]
    fn the_request_format_is_pinned() {
        let record = reviewed();
        let text = serde_json::to_string_pretty(&record).unwrap();
        insta::assert_snapshot!(text);
        assert_eq!(
            serde_json::from_str::<RequestRecord>(&text).unwrap(),
            record
        );
        assert_eq!(record.review_note(0), Some("Fine"));
        assert_eq!(record.review_note(1), None);
    }

    #[test]
    fn the_assignment_format_is_pinned() {
        let request = reviewed().request;
        let assignment = Assignment::apply(
            None,
            entitle_core::AssignmentEvent::DeliveryStarted,
            &request,
            T0,
        )
        .unwrap()
        .assignment;
        let record = AssignmentRecord {
            format: Format,
            assignment,
            access_package_id: "package".into(),
            assignment_policy_id: "policy".into(),
            external_target: None,
        };
        let text = serde_json::to_string_pretty(&record).unwrap();
        insta::assert_snapshot!(text);
        assert_eq!(
            serde_json::from_str::<AssignmentRecord>(&text).unwrap(),
            record
        );
    }

    #[test]
    fn other_versions_and_unknown_fields_are_refused() {
        let text = serde_json::to_string(&reviewed()).unwrap();
        let older = text.replacen("\"format\":2", "\"format\":1", 1);
        let error = serde_json::from_str::<RequestRecord>(&older).unwrap_err();
        assert!(error.to_string().contains("record format `1`"), "{error}");
        let extra = text.replacen('{', "{\"note\":\"x\",", 1);
        assert!(serde_json::from_str::<RequestRecord>(&extra).is_err());
        let without = text.replacen("\"format\":2,", "", 1);
        assert!(serde_json::from_str::<RequestRecord>(&without).is_err());
    }
}
