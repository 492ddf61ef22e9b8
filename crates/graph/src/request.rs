//! The `accessPackageAssignmentRequest` resource: the stored record and its v1.0 and beta JSON shapes.

use entitle_core::{ApiVersion, Request, SubjectId, Timestamp};
use serde::{Deserialize, Serialize};

use crate::datetime;
use crate::request_type::{EnumPolicy, RequestType};

/// An assignment request as a Graph service keeps it: the core's lifecycle state and the properties
/// Graph shows around it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentRequest {
    /// The lifecycle state, decided by entitle-core.
    pub request: Request,
    /// `requestType`.
    pub request_type: RequestType,
    /// The access package asked for.
    pub access_package_id: String,
    /// The assignment policy it was asked under.
    pub assignment_policy_id: String,
    /// Who the assignment is for (`assignment.targetId`).
    pub target_id: SubjectId,
    /// The requestor's justification.
    pub justification: Option<String>,
    /// When the assignment would end (`schedule.expiration.endDateTime`), if it does.
    pub expires_at: Option<Timestamp>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Expiration {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_date_time: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Schedule {
    start_date_time: Option<String>,
    expiration: Expiration,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V1<'a> {
    id: String,
    request_type: &'static str,
    state: &'static str,
    status: &'static str,
    created_date_time: String,
    completed_date_time: Option<String>,
    justification: Option<&'a str>,
    schedule: Schedule,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Beta<'a> {
    id: String,
    request_type: &'static str,
    request_state: &'static str,
    request_status: &'static str,
    created_date_time: String,
    completed_date: Option<String>,
    is_validation_only: bool,
    justification: Option<&'a str>,
    schedule: Schedule,
}

impl AssignmentRequest {
    fn schedule(&self) -> Schedule {
        Schedule {
            start_date_time: self.request.starts_at.map(datetime::format),
            expiration: match self.expires_at {
                Some(end) => Expiration {
                    kind: "afterDateTime",
                    end_date_time: Some(datetime::format(end)),
                },
                None => Expiration {
                    kind: "noExpiration",
                    end_date_time: None,
                },
            },
        }
    }

    /// The resource as Graph `api` shows it to a client with enum policy `policy`.
    pub fn to_wire(&self, api: ApiVersion, policy: EnumPolicy) -> serde_json::Value {
        let core = &self.request;
        let request_type = self.request_type.wire_name(api, policy);
        let value = match api {
            ApiVersion::V1 => serde_json::to_value(V1 {
                id: core.id.to_string(),
                request_type,
                state: core.status.state().name_in(api),
                status: core.status.name_in(api),
                created_date_time: datetime::format(core.created_at),
                completed_date_time: core.completed_at.map(datetime::format),
                justification: self.justification.as_deref(),
                schedule: self.schedule(),
            }),
            ApiVersion::Beta => serde_json::to_value(Beta {
                id: core.id.to_string(),
                request_type,
                request_state: core.status.state().name_in(api),
                request_status: core.status.name_in(api),
                created_date_time: datetime::format(core.created_at),
                completed_date: core.completed_at.map(datetime::format),
                is_validation_only: false,
                justification: self.justification.as_deref(),
                schedule: self.schedule(),
            }),
        };
        value.unwrap_or_default()
    }
}
