//! The `accessPackageAssignmentRequest` resource in its v1.0 and beta JSON shapes.

use entitle_core::{ApiVersion, Callout, Request};
use serde::Serialize;
use serde_json::{Value, json};

use crate::answer::Answer;
use crate::datetime;
use crate::question::Question;
use crate::request_type::{EnumPreference, wire_name};
use crate::schedule::{RequestedSchedule, schedule_wire};

/// What Graph shows of a request: the core's request, and what the requestor sent that the core does
/// not keep (justification, answers, the schedule as asked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestView<'a> {
    /// The request.
    pub request: &'a Request,
    /// `justification`.
    pub justification: Option<&'a str>,
    /// `answers`.
    pub answers: &'a [Answer],
    /// The schedule as asked (`None` for a request kept without it).
    pub schedule: Option<&'a RequestedSchedule>,
    /// Whether this is the answer to the request's own creation.
    pub moment: Moment,
    /// The id of the policy's custom extension, which a callout calls (`customExtensionId`).
    pub custom_extension_id: Option<&'a str>,
    /// The policy's questions, which `answers` show with each answer.
    pub questions: &'a [Question],
}

/// When the request is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Moment {
    /// Read back (get, list, `filterByCurrentUser`).
    #[default]
    Stored,
    /// In the answer to its creation, where Graph shows no `createdDateTime` yet.
    Created {
        /// `isValidationOnly`: checked, not created.
        validation_only: bool,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V1<'a> {
    id: String,
    request_type: &'static str,
    state: &'static str,
    status: &'static str,
    created_date_time: Option<String>,
    completed_date_time: Option<String>,
    justification: Option<&'a str>,
    schedule: Value,
    answers: Vec<Value>,
    custom_extension_callout_instances: Vec<Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Beta<'a> {
    id: String,
    request_type: &'static str,
    request_state: &'static str,
    request_status: &'static str,
    created_date_time: Option<String>,
    completed_date: Option<String>,
    /// When the request expires unless someone acts first (D23).
    expiration_date_time: Option<String>,
    is_validation_only: bool,
    justification: Option<&'a str>,
    schedule: Value,
    answers: Vec<Value>,
    custom_extension_callout_instances: Vec<Value>,
    custom_extension_handler_instances: Vec<Value>,
    /// entitle's policies never ask for verified credentials.
    verified_credentials_data: [Value; 0],
}

/// The stage entitle's custom extensions are called at (D10).
const CALLOUT_STAGE: &str = "assignmentRequestCreated";

impl RequestView<'_> {
    /// The request's callout and its id, once it made one.
    fn callout(&self) -> Option<(Callout, String)> {
        let request = self.request;
        Some((request.callout?, request.callout_id()?.to_string()))
    }

    /// `customExtensionCalloutInstances`: the request's callout, if it made one. entitle makes no
    /// outbound call, so the run is named by the callout's own id (`externalCorrelationId`).
    fn callout_instances(&self) -> Vec<Value> {
        self.callout()
            .map(|(callout, id)| {
                json!({
                    "id": id,
                    "customExtensionId": self.custom_extension_id,
                    "detail": null,
                    "externalCorrelationId": id,
                    "status": callout.status().as_str(),
                })
            })
            .into_iter()
            .collect()
    }

    /// Beta's `customExtensionHandlerInstances`: the same callout, as the handler sees it.
    fn handler_instances(&self) -> Vec<Value> {
        self.callout()
            .map(|(callout, id)| {
                json!({
                    "customExtensionId": self.custom_extension_id,
                    "externalCorrelationId": id,
                    "stage": CALLOUT_STAGE,
                    "status": callout.status().handler_str(),
                })
            })
            .into_iter()
            .collect()
    }

    /// The resource as Graph `api` shows it to a client with enum preference `preference`.
    pub fn to_wire(&self, api: ApiVersion, preference: EnumPreference) -> Value {
        let core = self.request;
        let request_type = wire_name(core.kind, api, preference);
        let schedule = schedule_wire(api, core.starts_at, core.ends_at, self.schedule);
        let created_date_time = match self.moment {
            Moment::Stored => Some(datetime::format(core.created_at)),
            Moment::Created { .. } => None,
        };
        let answers = self
            .answers
            .iter()
            .map(|answer| {
                let question = self
                    .questions
                    .iter()
                    .find(|question| question.id == answer.question_id);
                answer.to_wire(question, api)
            })
            .collect();
        let value = match api {
            ApiVersion::V1 => serde_json::to_value(V1 {
                id: core.id.to_string(),
                request_type,
                state: core.status.state().name_in(api),
                status: core.status.name_in(api),
                created_date_time,
                completed_date_time: core.completed_at.map(datetime::format),
                justification: self.justification,
                schedule,
                answers,
                custom_extension_callout_instances: self.callout_instances(),
            }),
            ApiVersion::Beta => serde_json::to_value(Beta {
                id: core.id.to_string(),
                request_type,
                request_state: core.status.state().name_in(api),
                request_status: core.status.name_in(api),
                created_date_time,
                completed_date: core.completed_at.map(datetime::format),
                expiration_date_time: core.expires_at().map(datetime::format),
                is_validation_only: matches!(
                    self.moment,
                    Moment::Created {
                        validation_only: true
                    }
                ),
                justification: self.justification,
                schedule,
                answers,
                custom_extension_callout_instances: self.callout_instances(),
                custom_extension_handler_instances: self.handler_instances(),
                verified_credentials_data: [],
            }),
        };
        value.unwrap_or_default()
    }
}
