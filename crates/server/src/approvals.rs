//! Approvals as Graph models them: `…/accessPackageAssignmentApprovals/{id}/stages` (beta also
//! `/steps`). The approval's id is the request's; a request whose policy needs no approval has none.
//!
//! Every stage of the policy is listed, in order. A stage's id is a GUID derived from the request's id
//! and the stage's position ([`stage_id`]), so it is stable and needs no storage. A stage is described
//! from the request's history (which approver decided it, when, why) and its current status:
//!
//! | The stage                                            | `reviewResult`      | `status`     |
//! |------------------------------------------------------|---------------------|--------------|
//! | decided by an approver                               | `Approve` / `Deny`  | `Completed`  |
//! | current, the request pending approval (or escalated) | `NotReviewed`       | `InProgress` |
//! | current when the request expired                     | `NotReviewed`       | `Expired`    |
//! | current when the request was canceled                | `NotReviewed`       | `Canceled`   |
//! | not reached                                          | `NotReviewed`       | `NotStarted` |
//!
//! Microsoft lists `InProgress`, `Initializing`, `Completed` and `Expired` as a stage's `status`;
//! `Canceled` and `NotStarted` are entitle's. entitle's choices, where Microsoft documents nothing:
//! - `reviewResult` of a decided stage repeats the body that decided it (`Approve`, `Deny`), although
//!   the approvalStage resource page lists `Approved` and `Denied`; a body must say `Approve` or
//!   `Deny` (any case), and anything else is `400 invalidRequest`.
//! - An escalated stage stays `InProgress`: escalation changes who is asked, not the stage's
//!   progress. The request's `status` (`PendingApprovalEscalated`) says it escalated.
//! - A stage in progress when the request was canceled is `Canceled`; stages never reached
//!   (including every stage of a request canceled or denied before approval began) are `NotStarted`.
//! - `assignedToMe` says whether the caller approves that stage: a primary approver always, an
//!   escalation approver once the stage has escalated. It keeps that meaning after the stage ends.
//! - Reading the stages is allowed to callers who may read the request, and to work or school users
//!   holding any entitlement-management permission who approve any stage of its policy.
//!
//! `PATCH` with `{"reviewResult": "Approve" | "Deny", "justification": "…"}` (also `Approved` or
//! `Denied`, in any case) asks entitle-core to `approve` or `deny`. A stage that is not the one in progress is checked
//! against the request as read inside the store's transaction, so of two approvers deciding one stage
//! at once exactly one succeeds and the other gets `409 stageAlreadyReviewed`, as Microsoft documents.
//! A stage that has not started yet is `409 actionNotAllowed`; a review of a request that left
//! approval without deciding the stage (expired, canceled, denied at an earlier stage) gets the core's
//! rejection, also `409 actionNotAllowed`. A caller who does not approve the stage the path names is
//! refused `403 accessDenied` before anything about the request's state is revealed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entitle_auth::Identity;
use entitle_core::{
    ActionKind, Caller, Guid, MAX_APPROVAL_STAGES, Principal, Rejection, RequestId, RequestStatus,
    SubjectId, Timestamp,
};
use entitle_graph::{AssignmentRequest, datetime};
use entitle_store::{Directory, Event, HistoryEntry};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::access::{self, caller_for, identify};
use crate::actions::transition;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::wire;

// ---------------------------------------------------------------------------------------------
// Stage ids

/// Bits of a GUID a stage key leaves alone: the version nibble and the variant bits, so a stage id
/// of a version-4 request id is a version-4 GUID too.
const KEPT_BITS: u128 = (0xf << 76) | (0x3 << 62);

/// The key a stage's id is derived with: the request id XOR this, per stage.
const STAGE_KEYS: [u128; MAX_APPROVAL_STAGES as usize] = [
    0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834 & !KEPT_BITS,
    0x3c6e_f372_fe94_f82b_e738_80c0_b9db_9068 & !KEPT_BITS,
    0xdaa6_6d2c_7ddf_743f_dad5_4121_16c9_589c & !KEPT_BITS,
];

/// The id of approval stage `index` (from 0) of request `id`.
pub fn stage_id(id: RequestId, index: u8) -> Guid {
    let key = STAGE_KEYS
        .get(usize::from(index))
        .copied()
        .unwrap_or_default();
    Guid::from_u128(id.guid().as_u128() ^ key)
}

/// The position of the stage with id `stage` among the `stages` stages of request `id`.
pub fn stage_index(id: RequestId, stage: Guid, stages: u8) -> Option<u8> {
    (0..stages.min(MAX_APPROVAL_STAGES)).find(|&index| stage_id(id, index) == stage)
}

fn parse_stage_id(text: &str) -> Result<Guid, ApiError> {
    RequestId::parse(text).map(RequestId::guid).map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!(
                "malformed stage id `{text}`: expected a GUID such as `00000000-0000-0000-0000-000000000000`"
            ),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Stages as derived from a request and its history

/// A decision recorded in the history.
#[derive(Clone, Debug)]
struct Review {
    approved: bool,
    by: SubjectId,
    at: Timestamp,
    justification: Option<String>,
}

/// Where one stage stands.
#[derive(Clone, Debug)]
enum Progress {
    Reviewed(Review),
    Current,
    /// Ended without a decision: `Expired` or `Canceled`.
    Ended(&'static str),
    NotStarted,
}

/// One stage of a request's approval.
#[derive(Clone, Debug)]
struct Stage {
    index: u8,
    progress: Progress,
    escalated: bool,
}

const fn is_pending_approval(status: RequestStatus) -> bool {
    matches!(
        status,
        RequestStatus::PendingApproval | RequestStatus::PendingApprovalEscalated
    )
}

/// The number of approval stages of `record`; `404` when its policy has no approval.
fn stage_count(record: &AssignmentRequest) -> Result<u8, ApiError> {
    record
        .request
        .policy
        .approval
        .map(|approval| approval.stages)
        .ok_or_else(|| not_found(record.request.id))
}

/// Every stage of `record`, from its history (oldest first) and its current status.
fn stages(record: &AssignmentRequest, history: &[HistoryEntry]) -> Vec<Stage> {
    let count = record
        .request
        .policy
        .approval
        .map_or(0, |approval| approval.stages);
    let mut stages: Vec<Stage> = (0..count)
        .map(|index| Stage {
            index,
            progress: Progress::NotStarted,
            escalated: false,
        })
        .collect();
    for entry in history {
        let Event::Transition { rule, .. } = &entry.event else {
            continue;
        };
        let Some(stage) = stages.get_mut(usize::from(entry.stage)) else {
            continue;
        };
        match rule.action {
            ActionKind::Approve | ActionKind::Deny => {
                stage.progress = Progress::Reviewed(Review {
                    approved: rule.action == ActionKind::Approve,
                    by: entry.by,
                    at: entry.at,
                    justification: entry.justification.clone(),
                });
            }
            ActionKind::Escalate => stage.escalated = true,
            ActionKind::Expire if is_pending_approval(rule.from) => {
                stage.progress = Progress::Ended("Expired");
            }
            ActionKind::Cancel if is_pending_approval(rule.from) => {
                stage.progress = Progress::Ended("Canceled");
            }
            _ => {}
        }
    }
    let request = &record.request;
    if is_pending_approval(request.status)
        && let Some(stage) = stages.get_mut(usize::from(request.approval_stage))
    {
        if matches!(stage.progress, Progress::NotStarted) {
            stage.progress = Progress::Current;
        }
        stage.escalated |= request.status == RequestStatus::PendingApprovalEscalated;
    }
    stages
}

/// A stage as Graph shows it to `caller`.
fn render(
    directory: &Directory,
    record: &AssignmentRequest,
    stage: &Stage,
    caller: SubjectId,
) -> Value {
    let assigned_to_me = directory.is_approver(
        &record.assignment_policy_id,
        stage.index,
        stage.escalated,
        caller,
    );
    let (result, status, review) = match &stage.progress {
        Progress::Reviewed(review) => (
            if review.approved { "Approve" } else { "Deny" },
            "Completed",
            Some(review),
        ),
        Progress::Current => ("NotReviewed", "InProgress", None),
        Progress::Ended(status) => ("NotReviewed", *status, None),
        Progress::NotStarted => ("NotReviewed", "NotStarted", None),
    };
    json!({
        "id": stage_id(record.request.id, stage.index).to_string(),
        "displayName": null,
        "reviewedDateTime": review.map(|review| datetime::format(review.at)),
        "reviewResult": result,
        "status": status,
        "assignedToMe": assigned_to_me,
        "justification": review
            .and_then(|review| review.justification.as_deref())
            .unwrap_or_default(),
        "reviewedBy": review.map(|review| json!({
            "id": review.by.to_string(),
            "displayName": directory.user(review.by).map(|user| user.display_name.as_str()),
        })),
    })
}

// ---------------------------------------------------------------------------------------------
// Reading

fn not_found(id: RequestId) -> ApiError {
    ApiError::new(
        ErrorCode::ItemNotFound,
        format!("approval `{id}` not found"),
    )
}

/// How often a read retries when the request changes between reading it and its history.
const SNAPSHOT_ATTEMPTS: usize = 5;

/// The request and a history consistent with it (read again while the request kept changing).
async fn snapshot(
    state: &AppState,
    id: RequestId,
) -> Result<(AssignmentRequest, Vec<HistoryEntry>), ApiError> {
    let snapshot = state
        .blocking(move |store| {
            let mut last = None;
            for _ in 0..SNAPSHOT_ATTEMPTS {
                let Some(before) = store.get(id)? else {
                    return Ok(None);
                };
                let history = store.history(id)?;
                let after = store.get(id)?;
                let settled = after.as_ref().is_some_and(|a| a.version == before.version);
                last = Some((before.record, history));
                if settled {
                    break;
                }
            }
            Ok::<_, entitle_store::StoreError>(last)
        })
        .await?;
    let (record, history) = snapshot.ok_or_else(|| not_found(id))?;
    stage_count(&record)?;
    Ok((record, history))
}

/// Reading the stages: whoever may read the request, and approvers of any of its stages.
fn may_read_stages(
    identity: &Identity,
    directory: &Directory,
    record: &AssignmentRequest,
) -> Result<(), ApiError> {
    if access::may_read(identity, record).is_ok() {
        return Ok(());
    }
    let stages = record
        .request
        .policy
        .approval
        .map_or(0, |approval| approval.stages);
    let approver = identity.principal == Principal::WorkOrSchoolUser
        && identity.permissions.iter().next().is_some()
        && (0..stages).any(|stage| {
            directory.is_approver(&record.assignment_policy_id, stage, true, identity.id)
        });
    if approver {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::AccessDenied,
            "not authorized to read the approval stages of this request",
        ))
    }
}

/// `GET …/stages`: `{"value": [stage, …]}`, one per stage of the policy, in order.
pub async fn list_stages(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let id = wire::request_id(&id)?;
    let (record, history) = snapshot(&state, id).await?;
    may_read_stages(&identity, &state.directory, &record)?;
    let value: Vec<Value> = stages(&record, &history)
        .iter()
        .map(|stage| render(&state.directory, &record, stage, identity.id))
        .collect();
    let body = json!({ "value": value });
    Ok(wire::json(
        StatusCode::OK,
        wire::enum_policy(&headers),
        &body,
    ))
}

/// `GET …/stages/{stage}`: one stage.
pub async fn get_stage(
    State(state): State<AppState>,
    Path((id, stage_path)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let id = wire::request_id(&id)?;
    let stage_guid = parse_stage_id(&stage_path)?;
    let (record, history) = snapshot(&state, id).await?;
    let index = stage_index(id, stage_guid, stage_count(&record)?)
        .ok_or_else(|| stage_not_found(id, &stage_path))?;
    may_read_stages(&identity, &state.directory, &record)?;
    let stages = stages(&record, &history);
    let found = stages
        .get(usize::from(index))
        .ok_or_else(|| stage_not_found(id, &stage_path))?;
    let body = render(&state.directory, &record, found, identity.id);
    Ok(wire::json(
        StatusCode::OK,
        wire::enum_policy(&headers),
        &body,
    ))
}

fn stage_not_found(id: RequestId, stage: &str) -> ApiError {
    ApiError::new(
        ErrorCode::ItemNotFound,
        format!("approval `{id}` has no stage `{stage}`"),
    )
}

// ---------------------------------------------------------------------------------------------
// Reviewing

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReviewBody {
    review_result: Option<String>,
    justification: Option<String>,
}

/// The action and justification of a review body.
fn parse_review(body: &[u8]) -> Result<(ActionKind, Option<String>), ApiError> {
    let input: ReviewBody = wire::json_object(body)
        .map_err(|error| ApiError::invalid(format!("malformed request body: {error}")))?;
    let result = input
        .review_result
        .ok_or_else(|| ApiError::invalid("`reviewResult` is required"))?;
    // The update example sends `Approve`/`Deny`; the property's description lists `Approved`/`Denied`.
    let kind = if ["approve", "approved"]
        .iter()
        .any(|v| result.eq_ignore_ascii_case(v))
    {
        ActionKind::Approve
    } else if ["deny", "denied"]
        .iter()
        .any(|v| result.eq_ignore_ascii_case(v))
    {
        ActionKind::Deny
    } else {
        return Err(ApiError::invalid(format!(
            "`reviewResult` must be `Approve` or `Deny`, not `{result}`"
        )));
    };
    Ok((kind, input.justification))
}

/// The caller as a reviewer of stage `index` of `record`, whatever the request's status: an approver
/// when it approves that stage, escalation approvers included.
fn reviewer(
    identity: &Identity,
    directory: &Directory,
    record: &AssignmentRequest,
    index: u8,
) -> Caller {
    identity.caller(directory.roles_on(identity.id, record, index, true))
}

/// Refuses a caller who could not review stage `index` of `record` in any case (not one of its
/// approvers, escalation approvers included; the requestor; a token without the permission), before
/// anything about the request's state is answered.
fn authorize_reviewer(
    identity: &Identity,
    directory: &Directory,
    record: &AssignmentRequest,
    index: u8,
    kind: ActionKind,
) -> Result<(), ApiError> {
    let caller = reviewer(identity, directory, record, index);
    entitle_core::authorize(kind, &caller, record.request.requestor)
        .map(|_| ())
        .map_err(|denial| ApiError::from_rejection(kind, &Rejection::Unauthorized(denial)))
}

/// Why the in-transaction check refused a review.
const REFUSED_NONE: u8 = 0;
/// The stage was decided already.
const REFUSED_REVIEWED: u8 = 1;
/// The stage has not started.
const REFUSED_NOT_STARTED: u8 = 2;
/// The request changed since it was read: read it again.
const REFUSED_CHANGED: u8 = 3;

/// How often a review is retried when the request changes between reading it and deciding.
const REVIEW_ATTEMPTS: usize = 3;

fn already_reviewed(stage: &str) -> ApiError {
    ApiError::new(
        ErrorCode::StageAlreadyReviewed,
        format!("approval stage `{stage}` was already reviewed"),
    )
}

fn not_started(stage: &str) -> ApiError {
    ApiError::new(
        ErrorCode::ActionNotAllowed,
        format!("approval stage `{stage}` has not started"),
    )
}

/// `PATCH …/stages/{stage}` with `{"reviewResult": "Approve" | "Deny", "justification"}`:
/// `204 No Content`.
pub async fn review_stage(
    State(state): State<AppState>,
    Path((id, stage_path)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let id = wire::request_id(&id)?;
    let stage_guid = parse_stage_id(&stage_path)?;
    wire::require_json(&headers, &body)?;
    let (kind, justification) = parse_review(&body)?;
    let label = stage_guid.to_string();
    for _ in 0..REVIEW_ATTEMPTS {
        let (record, history) = snapshot(&state, id).await?;
        let index = stage_index(id, stage_guid, stage_count(&record)?)
            .ok_or_else(|| stage_not_found(id, &label))?;
        authorize_reviewer(&identity, &state.directory, &record, index, kind)?;
        let request = record.request;
        let reviewed = stages(&record, &history)
            .get(usize::from(index))
            .is_some_and(|stage| matches!(stage.progress, Progress::Reviewed(_)));
        if reviewed {
            return Err(already_reviewed(&label));
        }
        if is_pending_approval(request.status) && index > request.approval_stage {
            return Err(not_started(&label));
        }
        // Checked again on the request as read inside the transaction.
        let refused = Arc::new(AtomicU8::new(REFUSED_NONE));
        let check = {
            let refused = Arc::clone(&refused);
            let shared = state.clone();
            let identity = identity.clone();
            let label = label.clone();
            let read = (request.status, request.approval_stage);
            move |current: &AssignmentRequest| {
                let now = (current.request.status, current.request.approval_stage);
                let (reason, message) = if is_pending_approval(now.0) {
                    match index.cmp(&now.1) {
                        std::cmp::Ordering::Equal => {
                            return Ok(caller_for(&identity, &shared.directory, current));
                        }
                        std::cmp::Ordering::Less => (REFUSED_REVIEWED, "was already reviewed"),
                        std::cmp::Ordering::Greater => (REFUSED_NOT_STARTED, "has not started"),
                    }
                } else if now == read {
                    // Not pending approval and unchanged since this stage was found undecided: the
                    // core answers (a rejection for the status, the stage's approvers not refused
                    // as approvers of another stage).
                    return Ok(reviewer(&identity, &shared.directory, current, index));
                } else {
                    (REFUSED_CHANGED, "changed while it was reviewed")
                };
                refused.store(reason, Ordering::SeqCst);
                Err(format!("approval stage `{label}` {message}"))
            }
        };
        let now = state.clock.now();
        match transition(&state, id, kind, check, now, justification.clone()).await {
            Ok(_) => return Ok(StatusCode::NO_CONTENT.into_response()),
            Err(error) if error.code == ErrorCode::StageAlreadyReviewed => {
                match refused.load(Ordering::SeqCst) {
                    REFUSED_CHANGED => {}
                    REFUSED_NOT_STARTED => return Err(not_started(&label)),
                    _ => return Err(error),
                }
            }
            Err(error) => return Err(error),
        }
    }
    Err(ApiError::new(
        ErrorCode::ResourceModified,
        format!("request `{id}` kept changing; approval stage `{label}` was not reviewed"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_ids_are_distinct_reversible_and_keep_the_guid_version() {
        let id = RequestId::new(Guid::from_u128(0x6b1e_9d0c_3a2f_4e8b_a5c7_0d9f_8e7a_6b5c));
        let ids: Vec<Guid> = (0..MAX_APPROVAL_STAGES).map(|i| stage_id(id, i)).collect();
        for (index, stage) in (0..MAX_APPROVAL_STAGES).zip(&ids) {
            assert_ne!(*stage, id.guid());
            assert_eq!(stage_index(id, *stage, MAX_APPROVAL_STAGES), Some(index));
            assert_eq!(stage.as_u128() & KEPT_BITS, id.guid().as_u128() & KEPT_BITS);
            let text = stage.to_string();
            assert_eq!(text.as_bytes().get(14), Some(&b'4'), "{text}");
        }
        assert_ne!(ids.first(), ids.get(1));
        assert_ne!(ids.get(1), ids.get(2));
        // A stage past the policy's last is unknown.
        assert_eq!(stage_index(id, stage_id(id, 2), 2), None);
        assert_eq!(stage_index(id, id.guid(), MAX_APPROVAL_STAGES), None);
    }
}
