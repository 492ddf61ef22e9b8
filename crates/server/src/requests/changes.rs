//! Client actions on one request: `cancel` and `reprocess` (decided by entitle-core), and delete.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use entitle_core::ActionKind;
use entitle_graph::check_cancel_body;
use entitle_store::{Event, HistoryEntry};

use super::not_found;
use super::reads::{filter_by_current_user, function_not_allowed};
use crate::access::{self, identify};
use crate::actions::caller_action;
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
    caller_action(&state, identity, id, ActionKind::Cancel).await?;
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
    caller_action(&state, identity, id, ActionKind::Reprocess).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// How often a delete is retried when the request changes between read and delete.
const DELETE_ATTEMPTS: usize = 3;

/// `DELETE …/{id}`: `204 No Content` for a denied or completed request without an assignment.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if filter_by_current_user(&id).is_some() {
        return Ok(function_not_allowed(&Method::DELETE));
    }
    let identity = identify(&state, &headers)?;
    access::may_delete(&identity)?;
    let id = wire::request_id(&id)?;
    for _ in 0..DELETE_ATTEMPTS {
        let stored = state
            .blocking(move |store| store.get(id))
            .await?
            .ok_or_else(|| not_found(id))?;
        let status = stored.record.request.status;
        if !status.is_deletable() {
            return Err(ApiError::new(
                ErrorCode::ActionNotAllowed,
                format!("cannot `delete` a request whose status is `{status}`"),
            ));
        }
        let entry = HistoryEntry {
            seq: 0,
            request_id: id,
            at: state.clock.now(),
            by: identity.id,
            principal: identity.principal,
            stage: stored.record.request.approval_stage,
            event: Event::Deleted { status },
            justification: None,
        };
        let version = stored.version;
        if state
            .blocking(move |store| store.delete(id, version, &entry))
            .await?
        {
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
    }
    Err(ApiError::new(
        ErrorCode::ResourceModified,
        format!("request `{id}` kept changing; nothing was deleted"),
    ))
}
