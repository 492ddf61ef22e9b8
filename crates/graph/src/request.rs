//! The `accessPackageAssignmentRequest` resource in its v1.0 and beta JSON shapes.

use entitle_core::{ApiVersion, Request};
use serde::Serialize;

use crate::datetime;
use crate::request_type::{EnumPreference, wire_name};

/// What Graph shows of a request: the core's request, and the requestor's justification (free text
/// the core does not keep).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestView<'a> {
    /// The request.
    pub request: &'a Request,
    /// `justification`.
    pub justification: Option<&'a str>,
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
pub(crate) struct Schedule {
    start_date_time: Option<String>,
    expiration: Expiration,
}

impl Schedule {
    /// The schedule of an assignment starting and ending at these instants.
    pub(crate) fn of(
        starts_at: Option<entitle_core::Timestamp>,
        ends_at: Option<entitle_core::Timestamp>,
    ) -> Self {
        Self {
            start_date_time: starts_at.map(datetime::format),
            expiration: match ends_at {
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

impl RequestView<'_> {
    /// The resource as Graph `api` shows it to a client with enum preference `preference`.
    pub fn to_wire(&self, api: ApiVersion, preference: EnumPreference) -> serde_json::Value {
        let core = self.request;
        let request_type = wire_name(core.kind, api, preference);
        let schedule = Schedule::of(core.starts_at, core.ends_at);
        let value = match api {
            ApiVersion::V1 => serde_json::to_value(V1 {
                id: core.id.to_string(),
                request_type,
                state: core.status.state().name_in(api),
                status: core.status.name_in(api),
                created_date_time: datetime::format(core.created_at),
                completed_date_time: core.completed_at.map(datetime::format),
                justification: self.justification,
                schedule,
            }),
            ApiVersion::Beta => serde_json::to_value(Beta {
                id: core.id.to_string(),
                request_type,
                request_state: core.status.state().name_in(api),
                request_status: core.status.name_in(api),
                created_date_time: datetime::format(core.created_at),
                completed_date: core.completed_at.map(datetime::format),
                is_validation_only: false,
                justification: self.justification,
                schedule,
            }),
        };
        value.unwrap_or_default()
    }
}
