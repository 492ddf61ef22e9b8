//! Reading requests: get, list and `filterByCurrentUser`, with `OData` options and paging.

use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entitle_auth::Identity;
use entitle_core::{ApiVersion, Operation, Parties, RequestStatus, VariantArray};
use entitle_graph::{Filter, FilterFacts};
use entitle_store::{Query as StoreQuery, RequestRecord, Stored};
use serde_json::Value;

use super::{Params, collection, entity, expanded_assignments, not_found, render};
use crate::access::{authorized, authorized_on, caller_alone, caller_for, identify};
use crate::error::{ApiError, ErrorCode};
use crate::odata::{self, Options};
use crate::state::AppState;
use crate::wire::{self, Api, RequestTypeCase};

/// `GET …/{id}`, or the `filterByCurrentUser(on='…')` function, which shares the path shape.
pub async fn get(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Extension(case): Extension<RequestTypeCase>,
    Path(id): Path<String>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let preference = wire::request_enums(&headers, case);
    let options = odata::parse(&query, api, preference)?;
    if let Some(on) = filter_by_current_user(&id) {
        return filter_for_user(&state, api, case, &identity, &on?, &options, &headers).await;
    }
    let id = wire::request_id(&id)?;
    let stored = state
        .read(move |store| store.get(id))
        .await?
        .ok_or_else(|| not_found(id))?;
    authorized_on(
        Operation::Get,
        &identity,
        &state.directory(),
        &stored.record,
    )?;
    let assignments = expanded_assignments(&state, &[&stored.record], &options).await?;
    let assignment = assignments.first().and_then(Option::as_ref);
    let body = render(
        &state,
        api,
        preference,
        &stored.record,
        assignment,
        &options,
    );
    let body = wire::with_context(body, wire::context(&headers, api, &entity(api, case)));
    Ok(wire::json(StatusCode::OK, preference, &body))
}

/// `on` of a `filterByCurrentUser(on='…')` segment, if the segment is one.
pub(super) fn filter_by_current_user(segment: &str) -> Option<Result<String, ApiError>> {
    odata::function_on(segment, &["target", "createdBy", "approver"])
        .map(|on| on.map(str::to_owned))
}

/// `405 notSupported` for `method` on the `filterByCurrentUser` function, which answers `GET` only.
pub(super) fn function_not_allowed(method: &Method) -> Response {
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
    Extension(case): Extension<RequestTypeCase>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    authorized(
        Operation::List,
        &caller_alone(&identity),
        Parties::own(identity.id),
    )?;
    let preference = wire::request_enums(&headers, case);
    let options = odata::parse(&query, api, preference)?;
    let store_query = StoreQuery {
        statuses: options.filter.as_ref().and_then(Filter::statuses),
        ..StoreQuery::default()
    };
    // The rows a caller sees are those entitle-core lets it get.
    let shared = state.clone();
    let keep = move |record: &RequestRecord| {
        authorized_on(Operation::Get, &identity, &shared.directory(), record).is_ok()
    };
    page(&state, api, case, store_query, &options, &headers, keep, "").await
}

async fn filter_for_user(
    state: &AppState,
    api: ApiVersion,
    case: RequestTypeCase,
    identity: &Identity,
    on: &str,
    options: &Options,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    authorized(
        Operation::FilterByCurrentUser,
        &caller_alone(identity),
        Parties::own(identity.id),
    )?;
    let mut query = StoreQuery {
        statuses: options.filter.as_ref().and_then(Filter::statuses),
        ..StoreQuery::default()
    };
    let me = identity.id;
    let shared = state.clone();
    let identity = identity.clone();
    let keep: Box<dyn Fn(&RequestRecord) -> bool + Send + Sync> = match on {
        "target" => {
            query.target = Some(me);
            Box::new(|_| true)
        }
        "createdBy" => {
            query.requestor = Some(me);
            Box::new(|_| true)
        }
        _ => {
            // Only a request pending approval can wait for the caller's review: read no other.
            let pending: Vec<RequestStatus> = RequestStatus::VARIANTS
                .iter()
                .copied()
                .filter(|status| status.is_pending_approval())
                .collect();
            query.statuses = Some(query.statuses.map_or(pending.clone(), |statuses| {
                statuses
                    .into_iter()
                    .filter(|status| pending.contains(status))
                    .collect()
            }));
            Box::new(move |record: &RequestRecord| {
                record
                    .request
                    .awaits_review_by(&caller_for(&identity, &shared.directory(), record))
            })
        }
    };
    let function = format!("/filterByCurrentUser(on='{on}')");
    page(state, api, case, query, options, headers, keep, &function).await
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
    case: RequestTypeCase,
    mut query: StoreQuery,
    options: &Options,
    headers: &HeaderMap,
    keep: impl Fn(&RequestRecord) -> bool + Send + Sync,
    function: &str,
) -> Result<Response, ApiError> {
    let preference = wire::request_enums(headers, case);
    let top = usize::try_from(options.top).unwrap_or(usize::MAX);
    query.after_seq = options.after;
    // Read in batches of at least `MIN_BATCH` rows, so that a filter applied here (the approver's
    // requests) does not cost one store call per row.
    query.limit = options.top.saturating_add(1).max(MIN_BATCH);
    let mut found: Vec<Stored> = Vec::new();
    let more = loop {
        let batch_query = query.clone();
        let batch = state.read(move |store| store.list(&batch_query)).await?;
        let exhausted = batch.len() < usize::try_from(query.limit).unwrap_or(usize::MAX);
        for stored in batch {
            query.after_seq = Some(stored.seq);
            let record = &stored.record;
            let wanted = options.filter.as_ref().is_none_or(|filter| {
                filter.matches(&FilterFacts {
                    request: &record.request,
                    access_package_id: &record.access_package_id,
                })
            });
            if wanted && keep(record) {
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
    let records: Vec<&RequestRecord> = found.iter().map(|stored| &stored.record).collect();
    let assignments = expanded_assignments(state, &records, options).await?;
    let value: Vec<Value> = records
        .iter()
        .zip(&assignments)
        .map(|(record, assignment)| {
            render(state, api, preference, record, assignment.as_ref(), options)
        })
        .collect();
    let mut body = wire::collection_body(
        headers,
        api,
        (collection(api, case), "accessPackageAssignmentRequest"),
        !function.is_empty(),
        value,
    );
    if more && let Some(last) = found.last() {
        let mut link = format!(
            "{}{}/{}{function}?$top={}&$skiptoken={}",
            wire::base_url(headers),
            wire::prefix(api),
            collection(api, case),
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
        if let Some(expand) = &options.expand_text {
            link.push_str("&$expand=");
            link.push_str(&odata::encode(expand));
        }
        if let Value::Object(map) = &mut body {
            map.insert("@odata.nextLink".into(), Value::String(link));
        }
    }
    Ok(wire::json(StatusCode::OK, preference, &body))
}
