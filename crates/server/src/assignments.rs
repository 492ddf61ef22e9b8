//! `GET …/entitlementManagement/assignments` (beta `…/accessPackageAssignments`), one assignment and
//! `filterByCurrentUser(on='target'|'createdBy')`:
//! the assignments deliveries created and removals ended, each shown to whom entitle-core lets read it
//! (`readAssignment`), with `$filter`, `$top`, `$skiptoken` and `$expand` of the target, package and
//! policy.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use entitle_auth::Identity;
use entitle_core::{ApiVersion, AssignmentId, Operation, Parties, RequestId, SubjectId};
use entitle_graph::{AssignmentFacts, AssignmentView, Filter, Resource};
use entitle_store::{AssignmentQuery, AssignmentRecord, Query as StoreQuery};
use serde_json::Value;

use crate::access::{authorized, caller_alone, caller_in, identify};
use crate::error::{ApiError, ErrorCode};
use crate::odata::{self, DEFAULT_PAGE};
use crate::requests::{package, policy, policy_name, subject};
use crate::state::AppState;
use crate::wire::{self, Api};

/// The collection's name in `api`.
const fn collection(api: ApiVersion) -> &'static str {
    match api {
        ApiVersion::V1 => "assignments",
        ApiVersion::Beta => "accessPackageAssignments",
    }
}

/// What `$expand` can show of an assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Navigation {
    Target,
    AccessPackage,
    AssignmentPolicy,
}

/// The query options of the collection.
struct Options {
    filter: Option<Filter>,
    filter_text: Option<String>,
    top: u32,
    after: Option<AssignmentId>,
    expand: Vec<Navigation>,
    expand_text: Option<String>,
}

fn parse_options(
    query: &BTreeMap<String, String>,
    api: ApiVersion,
    headers: &HeaderMap,
) -> Result<Options, ApiError> {
    let mut options = Options {
        filter: None,
        filter_text: None,
        top: DEFAULT_PAGE,
        after: None,
        expand: Vec::new(),
        expand_text: None,
    };
    for (name, value) in query {
        match name.as_str() {
            "$filter" => {
                let filter = Filter::parse_for(
                    value,
                    api,
                    wire::enum_preference(headers),
                    Resource::Assignment,
                )
                .map_err(|error| ApiError::invalid(error.to_string()))?;
                options.filter = Some(filter);
                options.filter_text = Some(value.clone());
            }
            "$top" => options.top = odata::parse_top(value)?,
            "$skiptoken" => {
                options.after =
                    Some(AssignmentId::parse(value).map_err(|_| {
                        ApiError::invalid(format!("malformed `$skiptoken` `{value}`"))
                    })?);
            }
            "$expand" => {
                for item in value.split(',').map(str::trim) {
                    let navigation = match (item, api) {
                        ("target", _) => Navigation::Target,
                        ("accessPackage", _) => Navigation::AccessPackage,
                        ("assignmentPolicy", ApiVersion::V1)
                        | ("accessPackageAssignmentPolicy", ApiVersion::Beta) => {
                            Navigation::AssignmentPolicy
                        }
                        _ => return Err(ApiError::invalid(format!("cannot expand `{item}`"))),
                    };
                    if !options.expand.contains(&navigation) {
                        options.expand.push(navigation);
                    }
                }
                options.expand_text = Some(value.clone());
            }
            "$select" | "$count" | "$orderby" | "$search" | "$skip" => {
                return Err(ApiError::invalid(format!(
                    "the query option `{name}` is not supported on assignments"
                )));
            }
            _ => {}
        }
    }
    Ok(options)
}

/// Whether entitle-core lets `identity` read `record`.
fn readable(state: &AppState, identity: &Identity, record: &AssignmentRecord) -> bool {
    let caller = caller_in(
        identity,
        &state.directory(),
        &record.access_package_id,
        &record.assignment_policy_id,
        Some(record.assignment.target),
    );
    entitle_core::authorize(
        Operation::ReadAssignment,
        &caller,
        Parties::own(record.assignment.target),
    )
    .is_ok()
}

/// An assignment as Graph `api` shows it, with the navigation properties `expand` names.
fn render(
    state: &AppState,
    api: ApiVersion,
    record: &AssignmentRecord,
    expand: &[Navigation],
) -> Value {
    let assignment = &record.assignment;
    let directory = &state.directory();
    let mut value = AssignmentView {
        id: assignment.id,
        target: assignment.target,
        assignment: Some(assignment),
        access_package_id: &record.access_package_id,
        assignment_policy_id: &record.assignment_policy_id,
        catalog_id: directory
            .package(&record.access_package_id)
            .map(|package| package.catalog_id.as_str()),
    }
    .to_wire(api);
    if let Value::Object(map) = &mut value {
        for navigation in expand {
            let (name, shown) = match navigation {
                Navigation::Target => (
                    "target",
                    subject(
                        state,
                        assignment.target,
                        record.external_target.as_ref(),
                        api,
                    ),
                ),
                Navigation::AccessPackage => {
                    ("accessPackage", package(state, &record.access_package_id))
                }
                Navigation::AssignmentPolicy => (
                    policy_name(api),
                    policy(state, &record.assignment_policy_id),
                ),
            };
            map.insert(name.to_owned(), shown);
        }
    }
    value
}

/// The fewest rows one store call of a page reads.
const MIN_BATCH: u32 = 100;

/// `GET …/assignments`: a page of the assignments the caller may read, with `@odata.nextLink`.
pub async fn list(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    // Listing needs what reading one's own assignment needs; which rows show is decided per row.
    authorized(
        Operation::ReadAssignment,
        &caller_alone(&identity),
        Parties::own(identity.id),
    )?;
    let options = parse_options(&query, api, &headers)?;
    let shared = state.clone();
    let keep = move |record: &AssignmentRecord| readable(&shared, &identity, record);
    page(&state, api, &headers, &options, None, keep, "").await
}

/// Whom `filterByCurrentUser(on='…')` on assignments asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum On {
    /// The assignments the signed-in user holds.
    Target,
    /// The assignments requests of the signed-in user created, for them or for others.
    CreatedBy,
}

impl On {
    const fn name(self) -> &'static str {
        match self {
            Self::Target => "target",
            Self::CreatedBy => "createdBy",
        }
    }
}

/// `on` of a `filterByCurrentUser(on='…')` segment, if the segment is one.
fn filter_by_current_user(segment: &str) -> Option<Result<On, ApiError>> {
    let ons = [On::Target, On::CreatedBy];
    odata::function_on(segment, &ons.map(On::name)).map(|name| {
        name.map(|name| {
            if name == On::CreatedBy.name() {
                On::CreatedBy
            } else {
                On::Target
            }
        })
    })
}

/// `GET …/assignments/filterByCurrentUser(on='…')`: the signed-in user's assignments, or those its
/// requests created.
async fn filter_for_user(
    state: &AppState,
    api: ApiVersion,
    headers: &HeaderMap,
    identity: &Identity,
    on: On,
    options: &Options,
) -> Result<Response, ApiError> {
    authorized(
        Operation::FilterAssignmentsByCurrentUser,
        &caller_alone(identity),
        Parties::own(identity.id),
    )?;
    let me = identity.id;
    let function = format!("/filterByCurrentUser(on='{}')", on.name());
    match on {
        On::Target => page(state, api, headers, options, Some(me), |_| true, &function).await,
        On::CreatedBy => {
            let mine = requested_by(state, me).await?;
            let keep =
                move |record: &AssignmentRecord| mine.contains(&record.assignment.created_by);
            page(state, api, headers, options, None, keep, &function).await
        }
    }
}

/// The ids of every request `requestor` submitted.
async fn requested_by(
    state: &AppState,
    requestor: SubjectId,
) -> Result<BTreeSet<RequestId>, ApiError> {
    let mut ids = BTreeSet::new();
    let mut query = StoreQuery {
        requestor: Some(requestor),
        limit: MIN_BATCH,
        ..StoreQuery::default()
    };
    loop {
        let batch_query = query.clone();
        let batch = state.read(move |store| store.list(&batch_query)).await?;
        let exhausted = batch.len() < usize::try_from(MIN_BATCH).unwrap_or(usize::MAX);
        for stored in batch {
            query.after_seq = Some(stored.seq);
            ids.insert(stored.record.request.id);
        }
        if exhausted {
            return Ok(ids);
        }
    }
}

/// One page of the assignments (of `target`, when given) after the `$skiptoken`, keeping those the
/// filter matches and `keep` accepts; `function` is the path segment of the collection's function.
async fn page(
    state: &AppState,
    api: ApiVersion,
    headers: &HeaderMap,
    options: &Options,
    target: Option<SubjectId>,
    keep: impl Fn(&AssignmentRecord) -> bool,
    function: &str,
) -> Result<Response, ApiError> {
    let top = usize::try_from(options.top).unwrap_or(usize::MAX);
    let mut store_query = AssignmentQuery {
        target,
        after: options.after,
        limit: options.top.saturating_add(1).max(MIN_BATCH),
    };
    let mut found: Vec<AssignmentRecord> = Vec::new();
    let more = loop {
        let batch_query = store_query;
        let batch = state
            .read(move |store| store.assignments(&batch_query))
            .await?;
        let exhausted = batch.len() < usize::try_from(store_query.limit).unwrap_or(usize::MAX);
        for record in batch {
            store_query.after = Some(record.assignment.id);
            let wanted = options.filter.as_ref().is_none_or(|filter| {
                filter.matches_assignment(&AssignmentFacts {
                    assignment: &record.assignment,
                    access_package_id: &record.access_package_id,
                    assignment_policy_id: &record.assignment_policy_id,
                })
            });
            if wanted && keep(&record) {
                found.push(record);
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
        .map(|record| render(state, api, record, &options.expand))
        .collect();
    let entity_set = format!(
        "identityGovernance/entitlementManagement/{}",
        collection(api)
    );
    let mut body = wire::collection_body(
        headers,
        api,
        (&entity_set, "accessPackageAssignment"),
        !function.is_empty(),
        value,
    );
    if more && let Some(last) = found.last() {
        let mut link = format!(
            "{}{}/identityGovernance/entitlementManagement/{}{function}?$top={}&$skiptoken={}",
            wire::base_url(headers),
            wire::prefix(api),
            collection(api),
            options.top,
            last.assignment.id
        );
        if let Some(filter) = &options.filter_text {
            link.push_str("&$filter=");
            link.push_str(&odata::encode(filter));
        }
        if let Some(expand) = &options.expand_text {
            link.push_str("&$expand=");
            link.push_str(&odata::encode(expand));
        }
        if let Value::Object(map) = &mut body {
            map.insert("@odata.nextLink".into(), Value::String(link));
        }
    }
    Ok(wire::json(
        StatusCode::OK,
        wire::enum_preference(headers),
        &body,
    ))
}

/// `GET …/assignments/{id}`: one assignment; `403` when entitle-core does not let the caller read it.
pub async fn get(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Path(id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let options = parse_options(&query, api, &headers)?;
    if let Some(on) = filter_by_current_user(&id) {
        return filter_for_user(&state, api, &headers, &identity, on?, &options).await;
    }
    let id = AssignmentId::parse(&id).map_err(|error| ApiError::invalid(error.to_string()))?;
    if options.filter.is_some() || options.after.is_some() {
        return Err(ApiError::invalid(
            "`$filter` and `$skiptoken` apply to the collection, not to one assignment",
        ));
    }
    let record = state
        .read(move |store| store.assignment(id))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::ItemNotFound,
                format!("assignment `{id}` not found"),
            )
        })?;
    let caller = caller_in(
        &identity,
        &state.directory(),
        &record.access_package_id,
        &record.assignment_policy_id,
        Some(record.assignment.target),
    );
    authorized(
        Operation::ReadAssignment,
        &caller,
        Parties::own(record.assignment.target),
    )?;
    let body = wire::with_context(
        render(&state, api, &record, &options.expand),
        wire::context(
            &headers,
            api,
            &format!(
                "identityGovernance/entitlementManagement/{}/$entity",
                collection(api)
            ),
        ),
    );
    Ok(wire::json(
        StatusCode::OK,
        wire::enum_preference(&headers),
        &body,
    ))
}
