//! Approvals as Graph serves them: `…/accessPackageAssignmentApprovals/{id}/stages` (beta also
//! `/steps`). The approval's id is the request's; a request whose policy needs no approval has none.
//!
//! Everything about a stage is entitle-core's: its id ([`Request::stage_id`]), its progress and the
//! view a caller gets ([`Request::stage_views`]), who may read the stages
//! ([`Operation::ReadStages`]) and who may review which stage when ([`Request::review`], through the
//! store's transaction). This module parses paths and bodies, asks, and renders. The justification of a
//! review is free text the store keeps with the stage.
//!
//! [`Request::stage_id`]: entitle_core::Request::stage_id
//! [`Request::stage_views`]: entitle_core::Request::stage_views
//! [`Request::review`]: entitle_core::Request::review

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use entitle_auth::Identity;
use entitle_core::{ApiVersion, Operation, RequestId, ReviewDecision, StageId, StageView};
use entitle_graph::StageWire;
use entitle_store::{Command, Directory, Stored};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::access::{authorized, caller_for, identify};
use crate::actions::caller_command;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::wire::{self, Api};

fn not_found(id: RequestId) -> ApiError {
    ApiError::new(
        ErrorCode::ItemNotFound,
        format!("approval `{id}` not found"),
    )
}

fn stage_not_found(id: RequestId, stage: &str) -> ApiError {
    ApiError::new(
        ErrorCode::ItemNotFound,
        format!("approval `{id}` has no stage `{stage}`"),
    )
}

fn parse_stage_id(text: &str) -> Result<StageId, ApiError> {
    StageId::parse(text).map_err(|error| ApiError::invalid(error.to_string()))
}

/// The request whose approval `id` is, if it has one.
async fn approval(state: &AppState, id: RequestId) -> Result<Stored, ApiError> {
    state
        .read(move |store| store.get(id))
        .await?
        .filter(|stored| stored.record.request.has_approval())
        .ok_or_else(|| not_found(id))
}

/// One stage as Graph shows it.
fn render(directory: &Directory, stored: &Stored, view: &StageView) -> Value {
    StageWire {
        view,
        reviewer_name: view
            .reviewed_by
            .and_then(|id| directory.user(id))
            .map(|user| user.display_name.as_str()),
        justification: stored.record.review_note(view.index),
    }
    .to_wire()
}

/// The stages of `stored` as the caller of `identity` sees them, once entitle-core allows the read.
fn views(
    state: &AppState,
    identity: &Identity,
    stored: &Stored,
) -> Result<Vec<StageView>, ApiError> {
    let caller = caller_for(identity, &state.directory(), &stored.record);
    let request = &stored.record.request;
    authorized(Operation::ReadStages, &caller, request.parties())?;
    Ok(request.stage_views(&caller).collect())
}

/// Every stage of `stored` as the caller of `identity` sees it, rendered.
fn rendered_stages(
    state: &AppState,
    identity: &Identity,
    stored: &Stored,
) -> Result<Vec<Value>, ApiError> {
    Ok(views(state, identity, stored)?
        .iter()
        .map(|view| render(&state.directory(), stored, view))
        .collect())
}

/// `@odata.context` of the stages of approval `id` as `uri` names them (`stages`, beta also `steps`),
/// with `suffix` (`/$entity` for one).
fn stages_context(
    headers: &HeaderMap,
    api: ApiVersion,
    uri: &Uri,
    id: RequestId,
    suffix: &str,
) -> String {
    let segment = if uri.path().contains("/steps") {
        "steps"
    } else {
        "stages"
    };
    wire::context(
        headers,
        api,
        &format!(
            "identityGovernance/entitlementManagement/accessPackageAssignmentApprovals('{id}')/{segment}{suffix}"
        ),
    )
}

/// `GET …/stages`: `{"value": [stage, …]}`, one per stage of the policy, in order.
pub async fn list_stages(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    uri: Uri,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let id = wire::request_id(&id)?;
    let stored = approval(&state, id).await?;
    let value = rendered_stages(&state, &identity, &stored)?;
    Ok(wire::json(
        StatusCode::OK,
        wire::enum_preference(&headers),
        &json!({
            "@odata.context": stages_context(&headers, api, &uri, id, ""),
            "value": value,
        }),
    ))
}

/// `GET …/accessPackageAssignmentApprovals/{id}`: the approval, with its stages (beta: `steps`).
pub async fn get_approval(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let id = wire::request_id(&id)?;
    let stored = approval(&state, id).await?;
    let stages = rendered_stages(&state, &identity, &stored)?;
    let name = match api {
        ApiVersion::V1 => "stages",
        ApiVersion::Beta => "steps",
    };
    Ok(wire::json(
        StatusCode::OK,
        wire::enum_preference(&headers),
        &json!({
            "@odata.context": wire::context(
                &headers,
                api,
                "identityGovernance/entitlementManagement/accessPackageAssignmentApprovals/$entity",
            ),
            "id": id.to_string(),
            name: stages,
        }),
    ))
}

/// `GET …/stages/{stage}`: one stage.
pub async fn get_stage(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    uri: Uri,
    Path((id, stage_path)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let id = wire::request_id(&id)?;
    let stage_id = parse_stage_id(&stage_path)?;
    let stored = approval(&state, id).await?;
    let index = stored
        .record
        .request
        .stage_index(stage_id)
        .ok_or_else(|| stage_not_found(id, &stage_path))?;
    let views = views(&state, &identity, &stored)?;
    let view = views
        .iter()
        .find(|view| view.index == index)
        .ok_or_else(|| stage_not_found(id, &stage_path))?;
    Ok(wire::json(
        StatusCode::OK,
        wire::enum_preference(&headers),
        &wire::with_context(
            render(&state.directory(), &stored, view),
            stages_context(&headers, api, &uri, id, "/$entity"),
        ),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReviewBody {
    review_result: Option<String>,
    justification: Option<String>,
}

/// The decision and justification of a review body. The update example sends `Approve`/`Deny`; the
/// property's description lists `Approved`/`Denied`: both are read, in any case.
fn parse_review(body: &[u8]) -> Result<(ReviewDecision, Option<String>), ApiError> {
    let input: ReviewBody = wire::json_object(body)
        .map_err(|error| ApiError::invalid(format!("malformed request body: {error}")))?;
    let result = input
        .review_result
        .ok_or_else(|| ApiError::invalid("`reviewResult` is required"))?;
    let is = |names: [&str; 2]| names.iter().any(|name| result.eq_ignore_ascii_case(name));
    let decision = if is(["approve", "approved"]) {
        ReviewDecision::Approve
    } else if is(["deny", "denied"]) {
        ReviewDecision::Deny
    } else {
        return Err(ApiError::invalid(format!(
            "`reviewResult` must be `Approve` or `Deny`, not `{result}`"
        )));
    };
    Ok((decision, input.justification))
}

/// `PATCH …/stages/{stage}` with `{"reviewResult": "Approve" | "Deny", "justification"}`:
/// `204 No Content`. The store asks entitle-core to review the stage inside its transaction, so of two
/// approvers deciding one stage at once exactly one succeeds and the other gets `409
/// stageAlreadyReviewed`; every other refusal is the core's too.
pub async fn review_stage(
    State(state): State<AppState>,
    Path((id, stage_path)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let id = wire::request_id(&id)?;
    let stage_id = parse_stage_id(&stage_path)?;
    wire::require_json(&headers, &body)?;
    let (decision, justification) = parse_review(&body)?;
    let stored = approval(&state, id).await?;
    // A stage's id and position never change: they derive from the request's id and its policy.
    let index = stored
        .record
        .request
        .stage_index(stage_id)
        .ok_or_else(|| stage_not_found(id, &stage_path))?;
    let command = Command::Review {
        stage: index,
        decision,
    };
    caller_command(&state, identity, id, command, justification).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
