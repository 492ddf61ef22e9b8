//! `POST …/assignmentRequests`: a new request, submitted and processed in one store transaction.

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use entitle_auth::Identity;
use entitle_core::{Action, ActionKind, ApiVersion, Caller, RequestId, Roles, SubjectId};
use entitle_graph::{AssignmentRequest, EnumPolicy, RequestType, datetime};
use entitle_store::{Event, HistoryEntry};
use serde::Deserialize;

use super::render;
use crate::access::{self, identify};
use crate::error::{ApiError, ErrorCode};
use crate::odata::Options;
use crate::state::AppState;
use crate::wire::{self, Api};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_field_names, reason = "Graph's property names")]
struct AssignmentIn {
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

fn parse_time(text: Option<&str>, what: &str) -> Result<Option<entitle_core::Timestamp>, ApiError> {
    text.map(|text| {
        datetime::parse(text).map_err(|error| ApiError::invalid(format!("`{what}`: {error}")))
    })
    .transpose()
}

/// The record a create body asks for, checked against the directory; `identity` submits it at `now`.
fn submission(
    state: &AppState,
    identity: &Identity,
    api: ApiVersion,
    policy: EnumPolicy,
    input: CreateBody,
    now: entitle_core::Timestamp,
) -> Result<AssignmentRequest, ApiError> {
    let type_text = input
        .request_type
        .as_deref()
        .ok_or_else(|| ApiError::invalid("`requestType` is required"))?;
    let request_type =
        RequestType::parse(type_text, api, policy).map_err(|e| ApiError::invalid(e.to_string()))?;
    if !matches!(request_type, RequestType::UserAdd | RequestType::AdminAdd) {
        return Err(ApiError::invalid(format!(
            "entitle serves `userAdd` and `adminAdd` requests, not `{request_type}`"
        )));
    }
    let assignment = input
        .assignment
        .or(input.access_package_assignment)
        .unwrap_or_default();
    let policy_id = assignment
        .assignment_policy_id
        .ok_or_else(|| ApiError::invalid("`assignment.assignmentPolicyId` is required"))?;
    let assignment_policy = state
        .directory
        .policy(&policy_id)
        .ok_or_else(|| ApiError::invalid(format!("unknown assignment policy `{policy_id}`")))?;
    let package_id = assignment
        .access_package_id
        .or(input.access_package.map(|p| p.id))
        .unwrap_or_else(|| assignment_policy.access_package_id.clone());
    if package_id != assignment_policy.access_package_id {
        return Err(ApiError::invalid(format!(
            "assignment policy `{policy_id}` does not belong to access package `{package_id}`"
        )));
    }
    let target = match assignment.target_id {
        Some(text) => SubjectId::parse(&text).map_err(|e| ApiError::invalid(e.to_string()))?,
        None => identity.id,
    };
    let roles = state
        .directory
        .catalog_roles(identity.id, &package_id)
        .iter()
        .fold(identity.directory_roles, Roles::with);
    access::may_create(identity, request_type, target, roles)?;
    let schedule = input.schedule.unwrap_or_default();
    let starts_at = parse_time(
        schedule.start_date_time.as_deref(),
        "schedule.startDateTime",
    )?;
    let expires_at = parse_time(
        schedule.expiration.and_then(|e| e.end_date_time).as_deref(),
        "schedule.expiration.endDateTime",
    )?;
    let id = RequestId::parse(&uuid::Uuid::new_v4().to_string())
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let request =
        entitle_core::Request::submit(id, identity.id, assignment_policy.rules, starts_at, now)
            .map_err(|e| ApiError::invalid(e.to_string()))?;
    Ok(AssignmentRequest {
        request,
        request_type,
        access_package_id: package_id,
        assignment_policy_id: policy_id,
        target_id: target,
        justification: input.justification,
        expires_at,
    })
}

/// `POST …/assignmentRequests`: `201 Created` with the request as submitted (`Accepted`); the
/// service then processes it at once, as the policy decides.
pub async fn create(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let policy = wire::enum_policy(&headers);
    if !wire::is_json(&headers) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "the body must be `application/json`",
        ));
    }
    let input: CreateBody = wire::json_object(&body)
        .map_err(|error| ApiError::invalid(format!("malformed request body: {error}")))?;
    let now = state.clock.now();
    let record = submission(&state, &identity, api, policy, input, now)?;
    let core = record.request;
    let id = core.id;
    let entry = HistoryEntry {
        seq: 0,
        request_id: id,
        at: now,
        by: identity.id,
        principal: identity.principal,
        stage: 0,
        event: Event::Submitted {
            status: core.status,
        },
        justification: record.justification.clone(),
    };
    // The service processes the request at once, as the policy decides; the submission and that
    // first step are stored together, so no request is left unprocessed. The answer shows the
    // request as submitted.
    let system = Caller::system();
    let mut history = vec![entry];
    let mut stored = record.clone();
    match record
        .request
        .apply(&Action::new(ActionKind::Process, system), now)
    {
        Ok(step) => {
            stored.request = step.request;
            history.push(HistoryEntry::of_step(
                &step,
                system.id,
                system.principal,
                0,
                None,
            ));
        }
        Err(rejection) => {
            tracing::warn!(%id, %rejection, "a new request could not be processed");
        }
    }
    let processed_to = stored.request.status;
    state
        .blocking(move |store| store.create(&stored, &history))
        .await?;
    state.metrics.increment(
        "entitle_transitions_total",
        vec![
            ("action", "submit".to_owned()),
            ("from", String::new()),
            ("to", core.status.as_str().to_owned()),
        ],
    );
    if processed_to != core.status {
        state.metrics.increment(
            "entitle_transitions_total",
            vec![
                ("action", ActionKind::Process.as_str().to_owned()),
                ("from", core.status.as_str().to_owned()),
                ("to", processed_to.as_str().to_owned()),
            ],
        );
    }
    let body = render(&state, api, policy, &record, &Options::default());
    Ok(wire::json(StatusCode::CREATED, policy, &body))
}
