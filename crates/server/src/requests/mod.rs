//! `…/assignmentRequests` (and beta's `…/accessPackageAssignmentRequests`): create, list, get,
//! `filterByCurrentUser`, `cancel`, `reprocess` and delete. Every lifecycle decision is entitle-core's.

mod changes;
mod create;
mod reads;

pub use changes::{cancel, delete, reprocess};
pub use create::create;
pub use reads::{get, item_not_allowed, list};

use std::collections::BTreeMap;

use axum::extract::Query;
use entitle_core::{ApiVersion, RequestId};
use entitle_graph::{AssignmentRequest, EnumPolicy};
use serde_json::{Value, json};

use crate::error::{ApiError, ErrorCode};
use crate::odata::{self, Expand, Options};
use crate::state::AppState;

/// The query string as name → value.
pub(crate) type Params = Query<BTreeMap<String, String>>;

/// The collection path segment of an API version, for links.
pub(crate) const COLLECTION: &str = "/identityGovernance/entitlementManagement/assignmentRequests";

/// The name of a navigation property in `api` (the assignment is `accessPackageAssignment` in beta).
pub(crate) const fn expand_name(expand: Expand, api: ApiVersion) -> &'static str {
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
pub(crate) fn render(
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

/// `404 itemNotFound` for the request `id`.
pub(crate) fn not_found(id: RequestId) -> ApiError {
    ApiError::new(ErrorCode::ItemNotFound, format!("request `{id}` not found"))
}
