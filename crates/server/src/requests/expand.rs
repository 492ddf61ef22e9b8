//! The navigation properties `$expand` shows inline: the requestor, the access package and the
//! assignment, each with its own `$select` and nested `$expand`.

use entitle_core::{ApiVersion, SubjectId};
use entitle_graph::{AssignmentView, SubjectView};
use entitle_store::{AssignmentRecord, RequestRecord};
use serde_json::{Value, json};

use crate::odata::{self, Expand, Expansion, Nested};
use crate::state::AppState;

/// The name of a navigation property in `api` (the assignment is `accessPackageAssignment` in beta).
pub(crate) const fn expand_name(expand: Expand, api: ApiVersion) -> &'static str {
    match (expand, api) {
        (Expand::Requestor, _) => "requestor",
        (Expand::AccessPackage, _) => "accessPackage",
        (Expand::Assignment, ApiVersion::V1) => "assignment",
        (Expand::Assignment, ApiVersion::Beta) => "accessPackageAssignment",
    }
}

/// A directory subject as an `accessPackageSubject`.
pub(crate) fn subject(state: &AppState, id: SubjectId, api: ApiVersion) -> Value {
    let user = state.directory.user(id);
    SubjectView {
        id,
        display_name: user.map(|u| u.display_name.as_str()),
        principal_name: user.map(|u| u.user_principal_name.as_str()),
    }
    .to_wire(api)
}

/// An access package as `$expand` shows it.
pub(crate) fn package(state: &AppState, id: &str) -> Value {
    let package = state.directory.package(id);
    json!({
        "id": id,
        "displayName": package.map(|p| p.display_name.as_str()),
        "description": package.map(|p| p.description.as_str()),
    })
}

/// The name of an assignment's policy navigation property in `api`.
pub(crate) const fn policy_name(api: ApiVersion) -> &'static str {
    match api {
        ApiVersion::V1 => "assignmentPolicy",
        ApiVersion::Beta => "accessPackageAssignmentPolicy",
    }
}

/// An assignment policy as `$expand` shows it.
pub(crate) fn policy(state: &AppState, id: &str) -> Value {
    let policy = state.directory.policy(id);
    json!({
        "id": id,
        "displayName": policy.map(|p| p.display_name.as_str()),
    })
}

/// `expansion` of the request of `record` (with its assignment, once it exists) in `api`.
pub(crate) fn expanded(
    state: &AppState,
    api: ApiVersion,
    record: &RequestRecord,
    assignment: Option<&AssignmentRecord>,
    expansion: &Expansion,
) -> Value {
    let request = &record.request;
    let package_id = assignment.map_or(&record.access_package_id, |stored| {
        &stored.access_package_id
    });
    let policy_id = assignment.map_or(&record.assignment_policy_id, |stored| {
        &stored.assignment_policy_id
    });
    let mut value = match expansion.what {
        Expand::Requestor => subject(state, request.requestor, api),
        Expand::AccessPackage => package(state, &record.access_package_id),
        Expand::Assignment => AssignmentView {
            id: request.assignment,
            target: request.target,
            assignment: assignment.map(|stored| &stored.assignment),
            access_package_id: package_id,
            assignment_policy_id: policy_id,
            catalog_id: state
                .directory
                .package(package_id)
                .map(|package| package.catalog_id.as_str()),
        }
        .to_wire(api),
    };
    value = odata::select(value, expansion.select.as_deref());
    if let Value::Object(map) = &mut value {
        for nested in &expansion.nested {
            let (name, shown) = match nested {
                Nested::ConnectedOrganization => ("connectedOrganization", Value::Null),
                Nested::Catalog => {
                    let catalog = state
                        .directory
                        .package(&record.access_package_id)
                        .and_then(|package| state.directory.catalog(&package.catalog_id));
                    (
                        "catalog",
                        catalog.map_or(Value::Null, |catalog| {
                            json!({ "id": catalog.id, "displayName": catalog.display_name })
                        }),
                    )
                }
                Nested::Target => ("target", subject(state, request.target, api)),
                Nested::AccessPackage => ("accessPackage", package(state, package_id)),
                Nested::AssignmentPolicy => (policy_name(api), policy(state, policy_id)),
            };
            map.insert(name.to_owned(), shown);
        }
    }
    value
}
