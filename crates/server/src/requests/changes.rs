//! Client actions on one request: `cancel`, `reprocess` and a custom extension's `resume` (decided by
//! entitle-core), and delete.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use entitle_core::{ActionKind, Operation};
use entitle_graph::{CalloutStage, check_cancel_body, parse_resume};
use entitle_store::Command;
use serde_json::Value;

use super::reads::{filter_by_current_user, function_not_allowed};
use crate::access::{caller_for, identify};
use crate::actions::caller_command;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::wire;

/// `POST …/{id}/cancel`: `200 OK` with no body; `409 requestNotCancelable` when the status does not
/// allow it.
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let id = wire::request_id(&id)?;
    wire::require_json(&headers, &body)?;
    check_cancel_body(&body, id).map_err(|error| ApiError::invalid(error.to_string()))?;
    caller_command(&state, identity, id, Command::Act(ActionKind::Cancel), None).await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST …/{id}/reprocess`: `202 Accepted`.
pub async fn reprocess(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let id = wire::request_id(&id)?;
    caller_command(
        &state,
        identity,
        id,
        Command::Act(ActionKind::Reprocess),
        None,
    )
    .await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `POST …/{id}/resume`: a custom extension's callback, `204 No Content`. The callback's `state`
/// picks the action (`resumeContinue`, `resumeDeny`, `resumeCancel`), which entitle-core decides like
/// any other; entitle's policies call out only when a request is created, so a callback for another
/// stage finds no request waiting for it.
pub async fn resume(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let id = wire::request_id(&id)?;
    wire::require_json(&headers, &body)?;
    let body: Value = wire::json_object(&body)
        .map_err(|error| ApiError::invalid(format!("malformed request body: {error}")))?;
    let callback = parse_resume(&body).map_err(|error| ApiError::invalid(error.to_string()))?;
    if callback.stage != CalloutStage::AssignmentRequestCreated {
        return Err(ApiError::new(
            ErrorCode::ActionNotAllowed,
            format!(
                "request `{id}` waits for no callback at this stage: entitle's custom extensions \
                 are called only when a request is created (`assignmentRequestCreated`)"
            ),
        ));
    }
    caller_command(&state, identity, id, Command::Act(callback.action), None).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE …/{id}`: `204 No Content` for a request entitle-core lets the caller delete; the store
/// reads it, asks and deletes in one transaction.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if filter_by_current_user(&id).is_some() {
        return Ok(function_not_allowed(&Method::DELETE));
    }
    let identity = identify(&state, &headers)?;
    let id = wire::request_id(&id)?;
    let shared = state.clone();
    let now = state.clock.now();
    state
        .blocking(move |store| {
            let caller = |record: &entitle_store::RequestRecord| {
                caller_for(&identity, &shared.directory(), record)
            };
            store
                .delete(id, &caller, now)
                .map_err(|error| ApiError::from_transition(Operation::Delete, error))
        })
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
