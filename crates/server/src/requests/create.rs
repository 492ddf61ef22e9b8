//! `POST …/assignmentRequests`: a new request, submitted and processed in one store transaction.

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use entitle_auth::Identity;
use entitle_core::{
    ApiVersion, AssignmentId, AssignmentRejection, CreateError, RequestId, SubjectId, Submission,
    Timestamp,
};
use entitle_graph::{EnumPreference, datetime, request_type};
use entitle_store::{CreateFailure, Event, NewRequest, RequestRecord};
use serde::Deserialize;

use super::render;
use crate::access::{caller_in, identify};
use crate::error::{ApiError, ErrorCode};
use crate::odata::Options;
use crate::state::AppState;
use crate::wire::{self, Api};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_field_names, reason = "Graph's property names")]
struct AssignmentIn {
    id: Option<String>,
    #[serde(alias = "target_id")]
    target_id: Option<String>,
    #[serde(alias = "assignment_policy_id")]
    assignment_policy_id: Option<String>,
    #[serde(alias = "access_package_id")]
    access_package_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ExpirationIn {
    end_date_time: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ScheduleIn {
    start_date_time: Option<String>,
    #[serde(default, deserialize_with = "wire::object")]
    expiration: Option<ExpirationIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    request_type: Option<String>,
    #[serde(default, deserialize_with = "wire::object")]
    assignment: Option<AssignmentIn>,
    #[serde(default, deserialize_with = "wire::object")]
    access_package_assignment: Option<AssignmentIn>,
    #[serde(default, deserialize_with = "wire::object")]
    access_package: Option<IdIn>,
    justification: Option<String>,
    #[serde(default, deserialize_with = "wire::object")]
    schedule: Option<ScheduleIn>,
}

#[derive(Deserialize)]
struct IdIn {
    id: String,
}

fn parse_time(text: Option<&str>, what: &str) -> Result<Option<Timestamp>, ApiError> {
    text.map(|text| {
        datetime::parse(text).map_err(|error| ApiError::invalid(format!("`{what}`: {error}")))
    })
    .transpose()
}

fn parse_guid<T>(
    text: Option<String>,
    parse: impl Fn(&str) -> Result<T, entitle_core::InvalidInput>,
) -> Result<Option<T>, ApiError> {
    text.map(|text| parse(&text).map_err(|error| ApiError::invalid(error.to_string())))
        .transpose()
}

/// What a create body asks for, checked against the directory, as the store's input; `identity`'s
/// caller for it.
async fn submission(
    state: &AppState,
    identity: &Identity,
    api: ApiVersion,
    preference: EnumPreference,
    input: CreateBody,
) -> Result<(NewRequest, entitle_core::Caller), ApiError> {
    let type_text = input
        .request_type
        .as_deref()
        .ok_or_else(|| ApiError::invalid("`requestType` is required"))?;
    let kind = request_type::parse(type_text, api, preference)
        .map_err(|error| ApiError::invalid(error.to_string()))?;
    let assignment_in = input
        .assignment
        .or(input.access_package_assignment)
        .unwrap_or_default();
    let assignment = parse_guid(assignment_in.id, AssignmentId::parse)?;
    let target = parse_guid(assignment_in.target_id, SubjectId::parse)?;
    // A change or a removal names an assignment, whose package and policy it concerns.
    let (package_id, policy_id) = if let Some(id) = assignment.filter(|_| kind.needs_assignment()) {
        let stored = state
            .blocking(move |store| store.assignment(id))
            .await?
            .ok_or_else(|| {
                ApiError::from(CreateFailure::Refused(CreateError::Assignment(
                    AssignmentRejection::Missing { assignment: id },
                )))
            })?;
        (stored.access_package_id, stored.assignment_policy_id)
    } else {
        let policy_id = assignment_in
            .assignment_policy_id
            .ok_or_else(|| ApiError::invalid("`assignment.assignmentPolicyId` is required"))?;
        let policy = state
            .directory
            .policy(&policy_id)
            .ok_or_else(|| ApiError::invalid(format!("unknown assignment policy `{policy_id}`")))?;
        let package_id = assignment_in
            .access_package_id
            .or(input.access_package.map(|p| p.id))
            .unwrap_or_else(|| policy.access_package_id.clone());
        if package_id != policy.access_package_id {
            return Err(ApiError::invalid(format!(
                "assignment policy `{policy_id}` does not belong to access package `{package_id}`"
            )));
        }
        (package_id, policy_id)
    };
    let rules = state
        .directory
        .policy(&policy_id)
        .map(|policy| policy.rules)
        .unwrap_or_default();
    let target = target.or_else(|| kind.targets_submitter_by_default().then_some(identity.id));
    let schedule = input.schedule.unwrap_or_default();
    let starts_at = parse_time(
        schedule.start_date_time.as_deref(),
        "schedule.startDateTime",
    )?;
    let ends_at = parse_time(
        schedule.expiration.and_then(|e| e.end_date_time).as_deref(),
        "schedule.expiration.endDateTime",
    )?;
    let id = RequestId::parse(&uuid::Uuid::new_v4().to_string())
        .map_err(|error| ApiError::invalid(error.to_string()))?;
    let caller = caller_in(identity, &state.directory, &package_id, &policy_id);
    let new = NewRequest {
        submission: Submission {
            id,
            kind,
            target,
            assignment,
            rules,
            starts_at,
            ends_at,
        },
        access_package_id: package_id,
        assignment_policy_id: policy_id,
        justification: input.justification,
        process: true,
    };
    Ok((new, caller))
}

/// `POST …/assignmentRequests`: `201 Created` with the request as submitted (`Accepted`); the
/// service has processed it already, in the same store transaction, as the policy decides.
pub async fn create(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let preference = wire::enum_preference(&headers);
    if !wire::is_json(&headers) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "the body must be `application/json`",
        ));
    }
    let input: CreateBody = wire::json_object(&body)
        .map_err(|error| ApiError::invalid(format!("malformed request body: {error}")))?;
    let (new, caller) = submission(&state, &identity, api, preference, input).await?;
    let now = state.clock.now();
    let created = {
        let new = new.clone();
        state
            .blocking(move |store| store.create(&new, &caller, now).map_err(ApiError::from))
            .await?
    };
    for entry in &created.history {
        let (action, from, to) = match &entry.event {
            Event::Submitted { status } => ("submit", String::new(), status.as_str()),
            Event::Transition { rule, .. } => (
                rule.action.as_str(),
                rule.from.as_str().to_owned(),
                rule.to.as_str(),
            ),
            Event::Deleted { .. } | Event::AssignmentEnded { .. } => continue,
        };
        state.metrics.increment(
            "entitle_transitions_total",
            vec![
                ("action", action.to_owned()),
                ("from", from),
                ("to", to.to_owned()),
            ],
        );
    }
    let record = RequestRecord::new(
        created.submitted,
        &new.access_package_id,
        &new.assignment_policy_id,
        new.justification,
    );
    let body = render(&state, api, preference, &record, None, &Options::default());
    Ok(wire::json(StatusCode::CREATED, preference, &body))
}
