//! `GET …/entitlementManagement/catalogs`, `…/accessPackages` and `…/assignmentPolicies` (beta:
//! `accessPackageCatalogs`, `accessPackages`, `accessPackageAssignmentPolicies`, in beta's shapes),
//! `/roleManagement/entitlementManagement/roleAssignments`, and one of each: the tenant document's
//! objects, as far as entitle-core lets the caller read each one's catalog
//! (`CatalogOperation::Read`).

use std::collections::BTreeMap;

use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use entitle_auth::Identity;
use entitle_core::{
    ApiVersion, CatalogDenial, CatalogOperation, SubjectId, authorize_catalog, authorize_listing,
};
use entitle_graph::EnumPreference;
use entitle_graph::tenant::{
    AccessPackageObject, CATALOG_SCOPE_PREFIX, CatalogObject, PolicyObject, RoleAssignmentObject,
    TenantDocument, beta_catalog_view, beta_package_view, beta_policy_view, catalog_view,
    custom_extension_stages_view, package_view, policy_view, questions_view, role_assignment_view,
};
use serde_json::{Map, Value, json};

use crate::access::identify;
use crate::error::{ApiError, ErrorCode};
use crate::odata;
use crate::state::AppState;
use crate::wire::{self, Api};
use entitle_store::Directory;

mod query;
mod write;

pub use query::Kind;
use query::{Options, parse};
pub use write::{create, delete, update};

type Params = Query<BTreeMap<String, String>>;

/// Whether `identity` may read the objects of catalog `catalog_id`: entitle-core's answer.
fn read_in(
    directory: &Directory,
    identity: &Identity,
    catalog_id: &str,
) -> Result<(), CatalogDenial> {
    let caller = identity.caller(directory.roles_in_catalog(identity.id, catalog_id));
    authorize_catalog(CatalogOperation::Read, &caller).map(|_| ())
}

fn denied(denial: CatalogDenial) -> ApiError {
    ApiError::new(ErrorCode::AccessDenied, format!("not authorized: {denial}"))
}

/// The caller's token allows reading some catalog (a missing permission or an unsupported caller
/// is `403` for the whole collection; a missing role only hides a catalog).
fn may_list(identity: &Identity) -> Result<(), ApiError> {
    authorize_listing(&identity.caller(entitle_core::Roles::NONE)).map_err(denied)
}

fn not_found(kind: &str, id: &str) -> ApiError {
    ApiError::new(ErrorCode::ItemNotFound, format!("{kind} `{id}` not found"))
}

fn document(directory: &Directory) -> &TenantDocument {
    &directory.document
}

/// The catalog of access package `package_id`, as the directory placed it.
fn catalog_of_package<'a>(directory: &'a Directory, package_id: &str) -> Option<&'a str> {
    directory
        .package(package_id)
        .map(|package| package.catalog_id.as_str())
}

/// The package a policy belongs to, as the directory placed it.
fn package_of_policy<'a>(directory: &'a Directory, policy_id: &str) -> Option<&'a str> {
    directory
        .policy(policy_id)
        .map(|policy| policy.access_package_id.as_str())
}

fn string<'a>(object: &'a Map<String, Value>, property: &str) -> Option<&'a str> {
    object.get(property).and_then(Value::as_str)
}

/// The catalog with this id, as the document gives it.
fn catalog_object<'a>(directory: &'a Directory, id: &str) -> Option<&'a CatalogObject> {
    document(directory)
        .catalogs
        .iter()
        .find(|catalog| catalog.id == id)
}

fn catalog_in(api: ApiVersion, catalog: &CatalogObject) -> Map<String, Value> {
    match api {
        ApiVersion::V1 => catalog_view(catalog),
        ApiVersion::Beta => beta_catalog_view(catalog),
    }
}

fn package_in(
    directory: &Directory,
    api: ApiVersion,
    package: &AccessPackageObject,
) -> Map<String, Value> {
    match api {
        ApiVersion::V1 => package_view(package),
        ApiVersion::Beta => beta_package_view(
            package,
            catalog_of_package(directory, &package.id).unwrap_or_default(),
        ),
    }
}

fn policy_in(directory: &Directory, api: ApiVersion, policy: &PolicyObject) -> Map<String, Value> {
    match api {
        ApiVersion::V1 => policy_view(policy),
        ApiVersion::Beta => beta_policy_view(
            policy,
            package_of_policy(directory, &policy.id).unwrap_or_default(),
        ),
    }
}

fn catalog_shown(
    directory: &Directory,
    api: ApiVersion,
    catalog: &CatalogObject,
    options: &Options,
) -> Map<String, Value> {
    let mut shown = catalog_in(api, catalog);
    if options.expands("accessPackages") {
        let packages: Vec<Value> = document(directory)
            .access_packages
            .iter()
            .filter(|package| {
                catalog_of_package(directory, &package.id) == Some(catalog.id.as_str())
            })
            .map(|package| Value::Object(package_in(directory, api, package)))
            .collect();
        shown.insert("accessPackages".into(), Value::Array(packages));
    }
    shown
}

fn package_shown(
    directory: &Directory,
    api: ApiVersion,
    package: &AccessPackageObject,
    options: &Options,
) -> Map<String, Value> {
    let mut shown = package_in(directory, api, package);
    let (policies_name, catalog_name) = match api {
        ApiVersion::V1 => ("assignmentPolicies", "catalog"),
        ApiVersion::Beta => ("accessPackageAssignmentPolicies", "accessPackageCatalog"),
    };
    if options.expands(policies_name) {
        let policies: Vec<Value> = document(directory)
            .assignment_policies
            .iter()
            .filter(|policy| package_of_policy(directory, &policy.id) == Some(package.id.as_str()))
            .map(|policy| Value::Object(policy_in(directory, api, policy)))
            .collect();
        shown.insert(policies_name.into(), Value::Array(policies));
    }
    if options.expands(catalog_name) {
        let catalog = catalog_of_package(directory, &package.id)
            .and_then(|id| catalog_object(directory, id))
            .map_or(Value::Null, |catalog| {
                Value::Object(catalog_in(api, catalog))
            });
        shown.insert(catalog_name.into(), catalog);
    }
    shown
}

fn policy_shown(
    directory: &Directory,
    api: ApiVersion,
    policy: &PolicyObject,
    options: &Options,
) -> Map<String, Value> {
    let mut shown = policy_in(directory, api, policy);
    let package_id = package_of_policy(directory, &policy.id);
    if options.expands("accessPackage") {
        let package = package_id
            .and_then(|id| {
                document(directory)
                    .access_packages
                    .iter()
                    .find(|package| package.id == id)
            })
            .map_or(Value::Null, |package| {
                Value::Object(package_in(directory, api, package))
            });
        shown.insert("accessPackage".into(), package);
    }
    let catalog_name = match api {
        ApiVersion::V1 => "catalog",
        ApiVersion::Beta => "accessPackageCatalog",
    };
    if options.expands(catalog_name) {
        let catalog = package_id
            .and_then(|id| catalog_of_package(directory, id))
            .and_then(|id| catalog_object(directory, id))
            .map_or(Value::Null, |catalog| {
                Value::Object(catalog_in(api, catalog))
            });
        shown.insert(catalog_name.into(), catalog);
    }
    if options.expands("questions") {
        shown.insert("questions".into(), questions_view(policy));
    }
    let stage_settings: &[&str] = match api {
        ApiVersion::V1 => &["customExtensionStageSettings"],
        ApiVersion::Beta => &["customExtensionStageSettings", "customExtensionHandlers"],
    };
    for name in stage_settings {
        if options.expands(name) {
            shown.insert(
                (*name).into(),
                custom_extension_stages_view(policy, &directory.document.custom_extensions),
            );
        }
    }
    shown
}

/// One object: `$select` applied, `@odata.context` first.
fn single(
    headers: &HeaderMap,
    api: ApiVersion,
    kind: Kind,
    object: Map<String, Value>,
    options: &Options,
) -> Response {
    let shown = odata::select(Value::Object(object), options.select.as_deref());
    let context = wire::context(headers, api, &format!("{}/$entity", kind.path(api)));
    wire::json(
        StatusCode::OK,
        EnumPreference::default(),
        &wire::with_context(shown, context),
    )
}

/// A page of `objects` (those the caller may read), `$filter` applied, with `@odata.nextLink`
/// when more remain.
fn page(
    headers: &HeaderMap,
    api: ApiVersion,
    kind: Kind,
    query: &BTreeMap<String, String>,
    objects: Vec<Map<String, Value>>,
    options: &Options,
) -> Response {
    let matching: Vec<Map<String, Value>> = objects
        .into_iter()
        .filter(|object| {
            options
                .filter
                .as_ref()
                .is_none_or(|filter| filter.matches(|property| string(object, property)))
        })
        .collect();
    let top = options.top.unwrap_or(odata::DEFAULT_PAGE) as usize;
    let total = matching.len();
    let items: Vec<Value> = matching
        .into_iter()
        .skip(options.skip)
        .take(top)
        .map(|object| odata::select(Value::Object(object), options.select.as_deref()))
        .collect();
    let shown = options.skip.saturating_add(items.len());
    let set = kind.path(api);
    let mut body = wire::collection_body(headers, api, (&set, ""), false, items);
    if shown < total
        && let Value::Object(map) = &mut body
    {
        let link = wire::next_link(headers, api, &set, shown, query);
        map.insert("@odata.nextLink".into(), Value::String(link));
    }
    wire::json(StatusCode::OK, EnumPreference::default(), &body)
}

/// The role assignment with this id.
fn role_assignment<'a>(directory: &'a Directory, id: &str) -> Option<&'a RoleAssignmentObject> {
    document(directory)
        .role_assignments
        .iter()
        .find(|assignment| assignment.id.as_deref() == Some(id))
}

/// A role assignment, with its `principal` when `$expand` names it.
fn role_assignment_shown(
    directory: &Directory,
    assignment: &RoleAssignmentObject,
    options: &Options,
) -> Map<String, Value> {
    let mut shown = role_assignment_view(assignment);
    if options.expands("principal") {
        let principal = SubjectId::parse(&assignment.principal_id)
            .ok()
            .and_then(|id| directory.user(id))
            .map_or_else(
                || json!({ "id": assignment.principal_id }),
                |user| {
                    json!({
                        "@odata.type": "#microsoft.graph.user",
                        "id": user.id,
                        "displayName": user.display_name,
                        "userPrincipalName": user.user_principal_name,
                    })
                },
            );
        shown.insert("principal".into(), principal);
    }
    shown
}

/// The catalog of policy `policy_id`.
fn catalog_of_policy<'a>(directory: &'a Directory, policy_id: &str) -> Option<&'a str> {
    package_of_policy(directory, policy_id)
        .and_then(|package| catalog_of_package(directory, package))
}

/// The catalog an object of `kind` with this id is in, when it exists.
fn catalog_of(directory: &Directory, kind: Kind, id: &str) -> Option<String> {
    match kind {
        Kind::Catalogs => catalog_object(directory, id).map(|catalog| catalog.id.clone()),
        Kind::Packages => catalog_of_package(directory, id).map(str::to_owned),
        Kind::Policies => catalog_of_policy(directory, id).map(str::to_owned),
        // A role held in every catalog is read as the tenant's, catalog "".
        Kind::RoleAssignments => role_assignment(directory, id).map(|assignment| {
            assignment
                .app_scope_id
                .as_deref()
                .and_then(|scope| scope.strip_prefix(CATALOG_SCOPE_PREFIX))
                .unwrap_or_default()
                .to_owned()
        }),
    }
}

/// The objects of `kind` the caller may read, shown in `api`.
fn readable(
    directory: &Directory,
    identity: &Identity,
    api: ApiVersion,
    kind: Kind,
    options: &Options,
) -> Vec<Map<String, Value>> {
    let may = |id: &str| {
        catalog_of(directory, kind, id)
            .is_some_and(|catalog| read_in(directory, identity, &catalog).is_ok())
    };
    let document = document(directory);
    match kind {
        Kind::Catalogs => document
            .catalogs
            .iter()
            .filter(|catalog| may(&catalog.id))
            .map(|catalog| catalog_shown(directory, api, catalog, options))
            .collect(),
        Kind::Packages => document
            .access_packages
            .iter()
            .filter(|package| may(&package.id))
            .map(|package| package_shown(directory, api, package, options))
            .collect(),
        Kind::Policies => document
            .assignment_policies
            .iter()
            .filter(|policy| may(&policy.id))
            .map(|policy| policy_shown(directory, api, policy, options))
            .collect(),
        Kind::RoleAssignments => document
            .role_assignments
            .iter()
            .filter(|assignment| may(assignment.id.as_deref().unwrap_or_default()))
            .map(|assignment| role_assignment_shown(directory, assignment, options))
            .collect(),
    }
}

/// The object of `kind` with this id, shown in `api`.
fn one(
    directory: &Directory,
    api: ApiVersion,
    kind: Kind,
    id: &str,
    options: &Options,
) -> Option<Map<String, Value>> {
    let document = document(directory);
    match kind {
        Kind::Catalogs => catalog_object(directory, id)
            .map(|catalog| catalog_shown(directory, api, catalog, options)),
        Kind::Packages => document
            .access_packages
            .iter()
            .find(|package| package.id == id)
            .map(|package| package_shown(directory, api, package, options)),
        Kind::Policies => document
            .assignment_policies
            .iter()
            .find(|policy| policy.id == id)
            .map(|policy| policy_shown(directory, api, policy, options)),
        Kind::RoleAssignments => role_assignment(directory, id)
            .map(|assignment| role_assignment_shown(directory, assignment, options)),
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Catalogs => "catalog",
        Kind::Packages => "access package",
        Kind::Policies => "assignment policy",
        Kind::RoleAssignments => "role assignment",
    }
}

/// `GET` of a collection: the objects whose catalog entitle-core lets the caller read.
pub async fn list(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Extension(kind): Extension<Kind>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    may_list(&identity)?;
    let directory = state.fresh_directory().await?;
    let options = parse(&query, kind.shape(api))?;
    if kind == Kind::RoleAssignments && options.filter.is_none() {
        return Err(ApiError::invalid(
            "listing role assignments needs a `$filter` on `principalId`, `roleDefinitionId` or `appScopeId`",
        ));
    }
    let objects = readable(&directory, &identity, api, kind, &options);
    Ok(page(&headers, api, kind, &query, objects, &options))
}

/// `GET` of one object: `404` when unknown, `403` when entitle-core refuses.
pub async fn get(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Extension(kind): Extension<Kind>,
    Path(id): Path<String>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let options = parse(&query, kind.shape(api))?;
    let directory = state.fresh_directory().await?;
    let catalog =
        catalog_of(&directory, kind, &id).ok_or_else(|| not_found(kind_name(kind), &id))?;
    read_in(&directory, &identity, &catalog).map_err(denied)?;
    let object =
        one(&directory, api, kind, &id, &options).ok_or_else(|| not_found(kind_name(kind), &id))?;
    Ok(single(&headers, api, kind, object, &options))
}
