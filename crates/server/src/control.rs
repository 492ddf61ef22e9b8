//! The control API under `/_entitle/`: what Graph does on its own (delivery outcomes, escalation,
//! approval timeout, not-before, the custom-extension callout and its resume), driven by tests.
//! Posting an event asks entitle-core exactly like any other action; advancing the virtual clock fires
//! every timed action that falls due, each at its own deadline.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entitle_core::{
    ActionKind, Caller, Guid, Operation, Parties, Permission, RequestId, SubjectId, Timestamp,
    authorize,
};
use entitle_graph::datetime;
use entitle_store::{Command, TransitionError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::actions::{system_action, transition};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::wire;

/// The object id of the custom-extension application that calls `resume` in the control API.
pub const EXTENSION_APP_ID: SubjectId =
    SubjectId::new(Guid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_e11e));

/// The latest instant the virtual clock may reach: 9999-12-31T23:59:59.999Z, the last one Graph's
/// `DateTimeOffset` text (and [`datetime::parse`]) can write.
const LATEST: Timestamp = Timestamp(253_402_300_799_999);

/// The most timed actions one sweep fires (a guard against a request that never settles).
const MAX_FIRED: usize = 10_000;

fn parse_json<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, ApiError> {
    if !wire::is_json(headers) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "the body must be `application/json`",
        ));
    }
    wire::json_object(body)
        .map_err(|error| ApiError::invalid(format!("malformed request body: {error}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventBody {
    action: String,
}

/// Who performs a control-API event: the service for the actions entitle-core reserves to it, the
/// custom extension's application for `resume…`; every other action is a client's, through Graph.
fn performer(kind: ActionKind) -> Result<Caller, ApiError> {
    let system = Caller::system();
    if authorize(Operation::Act(kind), &system, Parties::own(system.id)).is_ok() {
        return Ok(system);
    }
    match kind {
        ActionKind::ResumeContinue | ActionKind::ResumeDeny | ActionKind::ResumeCancel => {
            Ok(Caller::application(EXTENSION_APP_ID).with_permission(Permission::ReadWriteAll))
        }
        _ => Err(ApiError::invalid(format!(
            "`{kind}` is a client action: use the Graph API, not the control API"
        ))),
    }
}

/// A request as the control API shows it.
fn summary(id: RequestId, request: &entitle_core::Request) -> Value {
    json!({
        "id": id.to_string(),
        "status": request.status.as_str(),
        "approvalStage": request.approval_stage,
        "assignment": request.assignment.to_string(),
        "nextDeadline": request.next_deadline().map(|d| json!({
            "at": datetime::format(d.at),
            "action": d.action.as_str(),
        })),
    })
}

/// `POST /_entitle/requests/{id}/events` with `{"action": "deliver"}`: `200` with the request's new
/// status, or the Graph error the core's rejection maps to.
pub async fn post_event(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = wire::request_id(&id)?;
    let event: EventBody = parse_json(&headers, &body)?;
    let kind = ActionKind::parse(&event.action).map_err(|e| ApiError::invalid(e.to_string()))?;
    let caller = performer(kind)?;
    let now = state.clock.now();
    let stored = transition(&state, id, Command::Act(kind), move |_| caller, now, None).await?;
    Ok(Json(summary(id, &stored.record.request)).into_response())
}

/// `GET /_entitle/requests/{id}/history`: every entry, oldest first.
pub async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = wire::request_id(&id)?;
    let entries = state.blocking(move |store| store.history(id)).await?;
    if entries.is_empty() {
        return Err(ApiError::new(
            ErrorCode::ItemNotFound,
            format!("request `{id}` not found"),
        ));
    }
    Ok(Json(json!({ "value": entries })).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default)]
    days: u64,
    #[serde(default)]
    hours: u64,
    #[serde(default)]
    minutes: u64,
    #[serde(default)]
    seconds: u64,
}

impl Advance {
    fn millis(&self) -> u64 {
        let seconds = self
            .days
            .saturating_mul(86_400)
            .saturating_add(self.hours.saturating_mul(3_600))
            .saturating_add(self.minutes.saturating_mul(60))
            .saturating_add(self.seconds);
        seconds.saturating_mul(1_000)
    }
}

fn clock_body(state: &AppState, fired: &[Value]) -> Value {
    json!({
        "now": datetime::format(state.clock.now()),
        "offsetMs": state.clock.offset(),
        "fired": fired,
    })
}

/// `GET /_entitle/clock`: the virtual time, caught up with the store (another process may have moved
/// it).
pub async fn get_clock(State(state): State<AppState>) -> Result<Response, ApiError> {
    let offset = state.blocking(|store| store.clock_offset()).await?;
    state.clock.catch_up(offset);
    Ok(Json(clock_body(&state, &[])).into_response())
}

/// `POST /_entitle/clock` with `{"days", "hours", "minutes", "seconds"}`: advances the virtual clock
/// in the store (so every process sharing it follows within one sweep), then fires every timed action
/// that fell due, each at its deadline.
pub async fn advance_clock(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let advance: Advance = parse_json(&headers, &body)?;
    let by = advance.millis();
    let max = state.clock.max_offset(LATEST);
    let offset = state
        .blocking(move |store| store.advance_clock(by, max))
        .await?
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "the clock cannot pass `{}`",
                datetime::format(LATEST)
            ))
        })?;
    state.clock.catch_up(offset);
    let fired = fire_due(&state, state.clock.now()).await?;
    Ok(Json(clock_body(&state, &fired)).into_response())
}

/// Fires every timed action due at or before `now`, earliest first, each at its own deadline: the
/// requests' (escalation, expiry, start) and then the assignments' (the end of their schedule).
///
/// # Errors
/// A storage failure.
pub async fn fire_due(state: &AppState, now: Timestamp) -> Result<Vec<Value>, ApiError> {
    let mut fired = fire_due_requests(state, now).await?;
    fired.extend(fire_due_assignments(state, now).await?);
    Ok(fired)
}

/// Ends every assignment whose schedule ended at or before `now`, each at its end.
async fn fire_due_assignments(state: &AppState, now: Timestamp) -> Result<Vec<Value>, ApiError> {
    let mut fired = Vec::new();
    while fired.len() < MAX_FIRED {
        let due = state
            .blocking(move |store| store.due_assignments(now, 100))
            .await?;
        if due.is_empty() {
            break;
        }
        let mut progressed = false;
        for (id, at) in due {
            let ended = state
                .blocking(move |store| match store.end_assignment(id, at) {
                    Ok(record) => Ok(Some(record)),
                    Err(TransitionError::Store(error)) => Err(ApiError::from(error)),
                    Err(refused) => {
                        tracing::warn!(%id, %refused, "a due assignment end was refused");
                        Ok(None)
                    }
                })
                .await?;
            if let Some(record) = ended {
                progressed = true;
                fired.push(json!({
                    "assignment": id.to_string(),
                    "event": entitle_core::AssignmentEvent::ScheduleEnded.as_str(),
                    "at": datetime::format(at),
                    "state": record.assignment.state.as_str(),
                }));
            }
        }
        if !progressed {
            break;
        }
    }
    Ok(fired)
}

/// Fires every request's timed action due at or before `now`, earliest first, each at its deadline.
async fn fire_due_requests(state: &AppState, now: Timestamp) -> Result<Vec<Value>, ApiError> {
    let mut fired = Vec::new();
    while fired.len() < MAX_FIRED {
        let due = state.blocking(move |store| store.due(now, 100)).await?;
        if due.is_empty() {
            break;
        }
        let mut progressed = false;
        for (id, deadline) in due {
            match system_action(state, id, deadline.action, deadline.at).await {
                Ok(stored) => {
                    progressed = true;
                    fired.push(json!({
                        "id": id.to_string(),
                        "action": deadline.action.as_str(),
                        "at": datetime::format(deadline.at),
                        "status": stored.record.request.status.as_str(),
                    }));
                }
                Err(error) if error.code == ErrorCode::ServiceNotAvailable => return Err(error),
                Err(error) => {
                    tracing::warn!(%id, code = error.code.as_str(), "a due action was refused");
                }
            }
        }
        if !progressed {
            break;
        }
    }
    Ok(fired)
}

/// `GET /healthz`: the process is up.
pub async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// `GET /readyz`: the store answers.
pub async fn readyz(State(state): State<AppState>) -> Result<Response, ApiError> {
    state.blocking(|store| store.clock_offset()).await?;
    Ok(Json(json!({ "status": "ready" })).into_response())
}

/// `GET /metrics`: every series in the `OpenMetrics` text format (`docs/operations.md`).
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        StatusCode::OK,
        [(
            "content-type",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
