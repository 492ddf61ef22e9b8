//! The navigation properties `$expand` shows inline: the requestor, the access package and the
//! assignment, each with its own `$select` and nested `$expand`.

use entitle_core::{ApiVersion, SubjectId};
use entitle_graph::{AssignmentView, SubjectView};
use entitle_store::{AssignmentRecord, ExternalSubject, RequestRecord};
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
pub(crate) fn subject(
    state: &AppState,
    id: SubjectId,
    external: Option<&ExternalSubject>,
    api: ApiVersion,
) -> Value {
    let directory = state.directory();
    let external = external.filter(|external| external.id == id);
    let view = match (directory.user(id), external) {
        (Some(user), _) => SubjectView {
            id,
            display_name: Some(&user.display_name),
            principal_name: Some(&user.user_principal_name),
            email: Some(&user.user_principal_name),
            connected_organization_id: user.connected_organization_id.as_deref(),
        },
        (None, Some(external)) => SubjectView {
            id,
            display_name: external.display_name.as_deref(),
            principal_name: None,
            email: Some(&external.email),
            connected_organization_id: external.connected_organization_id.as_deref(),
        },
        (None, None) => SubjectView {
            id,
            display_name: None,
            principal_name: None,
            email: None,
            connected_organization_id: None,
        },
    };
    view.to_wire(api)
}

/// The connected organization `id` as `$expand=…($expand=connectedOrganization)` shows it: `null`
/// for a subject from no connected organization.
pub(crate) fn connected_organization(state: &AppState, id: Option<&str>) -> Value {
    let directory = state.directory();
    id.and_then(|id| directory.connected_organization(id))
        .map_or(Value::Null, |organization| {
            json!({
                "id": organization.id,
                "displayName": organization.display_name,
                "description": organization.description,
                "identitySources": organization.domains.iter().map(|domain| json!({
                    "@odata.type": "#microsoft.graph.domainIdentitySource",
                    "domainName": domain,
                    "displayName": domain,
                })).collect::<Vec<_>>(),
                "state": "configured",
            })
        })
}

/// An access package as `$expand` shows it.
pub(crate) fn package(state: &AppState, id: &str) -> Value {
    let directory = state.directory();
    let package = directory.package(id);
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
    let directory = state.directory();
    let policy = directory.policy(id);
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
    let directory = state.directory();
    let request = &record.request;
    let package_id = assignment.map_or(&record.access_package_id, |stored| {
        &stored.access_package_id
    });
    let policy_id = assignment.map_or(&record.assignment_policy_id, |stored| {
        &stored.assignment_policy_id
    });
    let mut value = match expansion.what {
        Expand::Requestor => subject(state, request.requestor, None, api),
        Expand::AccessPackage => package(state, &record.access_package_id),
        Expand::Assignment => AssignmentView {
            id: request.assignment,
            target: request.target,
            assignment: assignment.map(|stored| &stored.assignment),
            access_package_id: package_id,
            assignment_policy_id: policy_id,
            catalog_id: directory
                .package(package_id)
                .map(|package| package.catalog_id.as_str()),
        }
        .to_wire(api),
    };
    value = odata::select(value, expansion.select.as_deref());
    if let Value::Object(map) = &mut value {
        for nested in &expansion.nested {
            let (name, shown) = match nested {
                Nested::ConnectedOrganization => (
                    "connectedOrganization",
                    connected_organization(
                        state,
                        directory
                            .user(request.requestor)
                            .and_then(|user| user.connected_organization_id.as_deref()),
                    ),
                ),
                Nested::Catalog => {
                    let catalog = directory
                        .package(&record.access_package_id)
                        .and_then(|package| directory.catalog(&package.catalog_id));
                    (
                        "catalog",
                        catalog.map_or(Value::Null, |catalog| {
                            json!({ "id": catalog.id, "displayName": catalog.display_name })
                        }),
                    )
                }
                Nested::Target => (
                    "target",
                    subject(state, request.target, record.external_target.as_ref(), api),
                ),
                Nested::AccessPackage => ("accessPackage", package(state, package_id)),
                Nested::AssignmentPolicy => (policy_name(api), policy(state, policy_id)),
            };
            map.insert(name.to_owned(), shown);
        }
    }
    value
}
