//! `…/assignmentRequests` (and beta's `…/accessPackageAssignmentRequests`): create, list, get,
//! `filterByCurrentUser`, `cancel`, `reprocess` and delete. Every lifecycle decision is entitle-core's.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entitle_auth::Identity;
use entitle_core::{
    Action, ActionKind, ApiVersion, Caller, RequestId, RequestStatus, Roles, SubjectId,
};
use entitle_graph::{AssignmentRequest, EnumPolicy, RequestType, check_cancel_body, datetime};
use entitle_store::{Event, HistoryEntry, Query as StoreQuery, Stored};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::access::{self, identify};
use crate::actions::caller_action;
use crate::error::{ApiError, ErrorCode};
use crate::odata::{self, Expand, Options};
use crate::state::AppState;
use crate::wire::{self, Api};

/// The query string as name → value.
type Params = Query<BTreeMap<String, String>>;

/// The collection path segment of an API version, for links.
const COLLECTION: &str = "/identityGovernance/entitlementManagement/assignmentRequests";

// ---------------------------------------------------------------------------------------------
// Rendering

/// The name of a navigation property in `api` (the assignment is `accessPackageAssignment` in beta).
const fn expand_name(expand: Expand, api: ApiVersion) -> &'static str {
    match (expand, api) {
        (Expand::Requestor, _) => "requestor",
        (Expand::AccessPackage, _) => "accessPackage",
        (Expand::Assignment, ApiVersion::V1) => "assignment",
        (Expand::Assignment, ApiVersion::Beta) => "accessPackageAssignment",
    }
}

/// The request as the client asked to see it: wire shape, `$select`, `$expand`. `$select` narrows the
/// request's own properties only: expanded navigation properties are always represented inline, as
/// `OData` requires (`$select=id&$expand=requestor` shows both).
fn render(
    state: &AppState,
    api: ApiVersion,
    policy: EnumPolicy,
    record: &AssignmentRequest,
    options: &Options,
) -> Value {
    let mut object = odata::select(record.to_wire(api, policy), options.select.as_deref());
    let directory = &state.directory;
    if let Value::Object(map) = &mut object {
        for expand in &options.expand {
            match expand {
                Expand::Requestor => {
                    let user = directory.user(record.request.requestor);
                    map.insert(
                        "requestor".into(),
                        json!({
                            "id": record.request.requestor.to_string(),
                            "displayName": user.map(|u| u.display_name.as_str()),
                            "userPrincipalName": user.map(|u| u.user_principal_name.as_str()),
                        }),
                    );
                }
                Expand::AccessPackage => {
                    let package = directory.package(&record.access_package_id);
                    map.insert(
                        "accessPackage".into(),
                        json!({
                            "id": record.access_package_id,
                            "displayName": package.map(|p| p.display_name.as_str()),
                            "description": package.map(|p| p.description.as_str()),
                        }),
                    );
                }
                Expand::Assignment => {
                    map.insert(
                        expand_name(Expand::Assignment, api).into(),
                        json!({
                            "targetId": record.target_id.to_string(),
                            "accessPackageId": record.access_package_id,
                            "assignmentPolicyId": record.assignment_policy_id,
                        }),
                    );
                }
            }
        }
    }
    object
}

// ---------------------------------------------------------------------------------------------
// Create

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

// ---------------------------------------------------------------------------------------------
// Cancel and reprocess

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

// ---------------------------------------------------------------------------------------------
// Reads

/// `GET …/{id}`, or the `filterByCurrentUser(on='…')` function, which shares the path shape.
pub async fn get(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Path(id): Path<String>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let policy = wire::enum_policy(&headers);
    let options = odata::parse(&query, api, policy)?;
    if let Some(on) = filter_by_current_user(&id) {
        return filter_for_user(&state, api, policy, &identity, &on?, &options, &headers).await;
    }
    let id = wire::request_id(&id)?;
    let stored = state
        .blocking(move |store| store.get(id))
        .await?
        .ok_or_else(|| not_found(id))?;
    access::may_read(&identity, &stored.record)?;
    let body = render(&state, api, policy, &stored.record, &options);
    Ok(wire::json(StatusCode::OK, policy, &body))
}

fn not_found(id: RequestId) -> ApiError {
    ApiError::new(ErrorCode::ItemNotFound, format!("request `{id}` not found"))
}

/// `on` of a `filterByCurrentUser(on='…')` segment, if the segment is one.
fn filter_by_current_user(segment: &str) -> Option<Result<String, ApiError>> {
    let inner = segment
        .strip_prefix("filterByCurrentUser(")?
        .strip_suffix(')');
    let on = inner
        .and_then(|inner| inner.strip_prefix("on="))
        .map(|value| value.trim_matches('\''))
        .filter(|value| ["target", "createdBy", "approver"].contains(value));
    Some(on.map(str::to_owned).ok_or_else(|| {
        ApiError::invalid(format!(
            "`{segment}`: `on` must be `'target'`, `'createdBy'` or `'approver'`"
        ))
    }))
}

/// `405 notSupported` for `method` on the `filterByCurrentUser` function, which answers `GET` only.
fn function_not_allowed(method: &Method) -> Response {
    let mut response = ApiError::new(
        ErrorCode::NotSupported,
        format!("`{method}` is not supported on the `filterByCurrentUser` function"),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET,HEAD"));
    response
}

/// The answer to a method `…/{id}` does not serve: `405`, whose `Allow` names what the segment is
/// (a request, or the `filterByCurrentUser` function sharing its path shape).
pub async fn item_not_allowed(Path(id): Path<String>, method: Method) -> Response {
    if filter_by_current_user(&id).is_some() {
        function_not_allowed(&method)
    } else {
        // The router adds `Allow` for the request's methods.
        StatusCode::METHOD_NOT_ALLOWED.into_response()
    }
}

/// `GET …/assignmentRequests`: a page of requests, with `@odata.nextLink` when more remain.
pub async fn list(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    access::may_read_all(&identity)?;
    let policy = wire::enum_policy(&headers);
    let options = odata::parse(&query, api, policy)?;
    let store_query = StoreQuery {
        statuses: options.filter.statuses.clone(),
        request_type: options.filter.request_type,
        ..StoreQuery::default()
    };
    page(
        &state,
        api,
        policy,
        store_query,
        &options,
        &headers,
        |_| true,
        "",
    )
    .await
}

async fn filter_for_user(
    state: &AppState,
    api: ApiVersion,
    policy: EnumPolicy,
    identity: &Identity,
    on: &str,
    options: &Options,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    access::may_filter_by_current_user(identity)?;
    let mut query = StoreQuery {
        statuses: options.filter.statuses.clone(),
        request_type: options.filter.request_type,
        ..StoreQuery::default()
    };
    let me = identity.id;
    let shared = state.clone();
    let keep: Box<dyn Fn(&AssignmentRequest) -> bool + Send + Sync> = match on {
        "target" => {
            query.target = Some(me);
            Box::new(|_| true)
        }
        "createdBy" => {
            query.requestor = Some(me);
            Box::new(|_| true)
        }
        _ => {
            let pending = [
                RequestStatus::PendingApproval,
                RequestStatus::PendingApprovalEscalated,
            ];
            query.statuses = Some(query.statuses.map_or(pending.to_vec(), |s| {
                s.into_iter().filter(|s| pending.contains(s)).collect()
            }));
            Box::new(move |record: &AssignmentRequest| {
                let request = &record.request;
                shared.directory.is_approver(
                    &record.assignment_policy_id,
                    request.approval_stage,
                    request.status == RequestStatus::PendingApprovalEscalated,
                    me,
                )
            })
        }
    };
    let function = format!("/filterByCurrentUser(on='{on}')");
    page(state, api, policy, query, options, headers, keep, &function).await
}

/// The fewest rows one store call of a page reads.
const MIN_BATCH: u32 = 100;

/// One page of `query` (after the `$skiptoken`), keeping records `keep` accepts.
#[allow(
    clippy::too_many_arguments,
    reason = "the parts of one collection request"
)]
async fn page(
    state: &AppState,
    api: ApiVersion,
    policy: EnumPolicy,
    mut query: StoreQuery,
    options: &Options,
    headers: &HeaderMap,
    keep: impl Fn(&AssignmentRequest) -> bool + Send + Sync,
    function: &str,
) -> Result<Response, ApiError> {
    let top = usize::try_from(options.top).unwrap_or(usize::MAX);
    query.after_seq = options.after;
    // Read in batches of at least `MIN_BATCH` rows, so that a filter applied here (the approver's
    // requests) does not cost one store call per row.
    query.limit = options.top.saturating_add(1).max(MIN_BATCH);
    let mut found: Vec<Stored> = Vec::new();
    let more = loop {
        let batch_query = query.clone();
        let batch = state
            .blocking(move |store| store.list(&batch_query))
            .await?;
        let exhausted = batch.len() < usize::try_from(query.limit).unwrap_or(usize::MAX);
        for stored in batch {
            query.after_seq = Some(stored.seq);
            if keep(&stored.record) {
                found.push(stored);
            }
        }
        if found.len() > top {
            found.truncate(top);
            break true;
        }
        if exhausted {
            break false;
        }
    };
    let value: Vec<Value> = found
        .iter()
        .map(|stored| render(state, api, policy, &stored.record, options))
        .collect();
    let mut body = json!({ "value": value });
    if more && let Some(last) = found.last() {
        let mut link = format!(
            "{}{}{COLLECTION}{function}?$top={}&$skiptoken={}",
            wire::base_url(headers),
            wire::prefix(api),
            options.top,
            last.seq
        );
        if let Some(filter) = &options.filter_text {
            link.push_str("&$filter=");
            link.push_str(&odata::encode(filter));
        }
        // The next page is shaped like this one: `$select` and `$expand` go into the link too.
        if let Some(select) = &options.select {
            link.push_str("&$select=");
            link.push_str(&odata::encode(&select.join(",")));
        }
        if !options.expand.is_empty() {
            let names: Vec<&str> = options
                .expand
                .iter()
                .map(|expand| expand_name(*expand, api))
                .collect();
            link.push_str("&$expand=");
            link.push_str(&odata::encode(&names.join(",")));
        }
        if let Value::Object(map) = &mut body {
            map.insert("@odata.nextLink".into(), Value::String(link));
        }
    }
    Ok(wire::json(StatusCode::OK, policy, &body))
}

// ---------------------------------------------------------------------------------------------
// Delete

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
