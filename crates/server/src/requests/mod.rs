//! `…/assignmentRequests` (and beta's `…/accessPackageAssignmentRequests`): create, list, get,
//! `filterByCurrentUser`, `cancel`, `reprocess`, `resume` and delete. Every decision is entitle-core's.

mod changes;
mod create;
mod expand;
mod reads;

pub use changes::{cancel, delete, reprocess, resume};
pub use create::create;

use expand::{expand_name, expanded};
pub(crate) use expand::{package, policy, policy_name, subject};
pub use reads::{get, item_not_allowed, list};

use std::collections::BTreeMap;

use axum::extract::Query;
use entitle_core::{ApiVersion, RequestId};
use entitle_graph::{EnumPreference, Moment, RequestView};
use entitle_store::{AssignmentRecord, RequestRecord};
use serde_json::Value;

use crate::error::{ApiError, ErrorCode};
use crate::odata::{self, Expand, Options};
use crate::state::AppState;
use crate::wire::RequestTypeCase;

/// The query string as name → value.
pub(crate) type Params = Query<BTreeMap<String, String>>;

/// The path of the request collection a route is under, after the version: beta's retiring
/// `accessPackageAssignmentRequests`, where `requestType` is PascalCase (D20), or
/// `assignmentRequests`. Links and contexts name the collection the client used.
pub(crate) fn collection(api: ApiVersion, case: RequestTypeCase) -> &'static str {
    if api == ApiVersion::Beta && !case.lower_camel {
        "identityGovernance/entitlementManagement/accessPackageAssignmentRequests"
    } else {
        "identityGovernance/entitlementManagement/assignmentRequests"
    }
}

/// `@odata.context`'s fragment for one request of the collection a route is under.
pub(crate) fn entity(api: ApiVersion, case: RequestTypeCase) -> String {
    format!("{}/$entity", collection(api, case))
}

/// The assignments of `records`, in order, when `options` expands them (one store read each).
pub(crate) async fn expanded_assignments(
    state: &AppState,
    records: &[&RequestRecord],
    options: &Options,
) -> Result<Vec<Option<AssignmentRecord>>, ApiError> {
    if !options.expands(Expand::Assignment) {
        return Ok(vec![None; records.len()]);
    }
    let ids: Vec<_> = records
        .iter()
        .map(|record| record.request.assignment)
        .collect();
    state
        .read(move |store| {
            ids.into_iter()
                .map(|id| store.assignment(id))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
}

/// The request as the client asked to see it: wire shape, `$select`, `$expand`. `$select` narrows the
/// request's own properties only: expanded navigation properties are always represented inline, as
/// `OData` requires (`$select=id&$expand=requestor` shows both).
pub(crate) fn render(
    state: &AppState,
    api: ApiVersion,
    preference: EnumPreference,
    record: &RequestRecord,
    assignment: Option<&AssignmentRecord>,
    options: &Options,
) -> Value {
    render_at(
        state,
        api,
        preference,
        (record, Moment::Stored),
        assignment,
        options,
    )
}

/// [`render`] at `moment`: as stored, or in the answer to its creation.
pub(crate) fn render_at(
    state: &AppState,
    api: ApiVersion,
    preference: EnumPreference,
    (record, moment): (&RequestRecord, Moment),
    assignment: Option<&AssignmentRecord>,
    options: &Options,
) -> Value {
    let directory = state.directory();
    let request = &record.request;
    let policy = directory.policy(&record.assignment_policy_id);
    let view = RequestView {
        request,
        justification: record.justification.as_deref(),
        answers: &record.answers,
        schedule: record.schedule.as_ref(),
        moment,
        custom_extension_id: policy.and_then(|policy| policy.custom_extension_id.as_deref()),
        questions: policy.map_or(&[], |policy| policy.questions.as_slice()),
    };
    let mut object = odata::select(view.to_wire(api, preference), options.select.as_deref());
    if let Value::Object(map) = &mut object {
        for expansion in &options.expand {
            map.insert(
                expand_name(expansion.what, api).into(),
                expanded(state, api, record, assignment, expansion),
            );
        }
    }
    object
}

/// `404 itemNotFound` for the request `id`.
pub(crate) fn not_found(id: RequestId) -> ApiError {
    ApiError::new(ErrorCode::ItemNotFound, format!("request `{id}` not found"))
}
