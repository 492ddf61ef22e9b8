//! `POST`, `PATCH` (catalogs, access packages), `PUT` (assignment policies) and `DELETE` of a
//! tenant's objects: entitle-graph reads the body, entitle-core decides who may make the change
//! and whether a delete leaves something behind, the store checks the new tenant and writes it at
//! the version read (D30).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entitle_auth::Identity;
use entitle_core::{ApiVersion, Change, Dependents, TenantObject, authorize_catalog, may_delete};
use entitle_graph::EnumPreference;
use entitle_graph::tenant::{
    AccessPackageObject, CATALOG_SCOPE_PREFIX, CatalogObject, PolicyObject, Reference,
    RoleAssignmentObject, TenantDocument, beta_catalog_body, beta_package_body, beta_policy_body,
    created, patched, replaced,
};
use entitle_store::{Directory, StoreError};
use serde_json::Value;

use super::query::Options;
use super::{Kind, catalog_of, denied, kind_name, not_found, one};
use crate::access::identify;
use crate::directory_cache::Snapshot;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::wire::{self, Api};

/// How often a change is tried again when another writer changed the tenant meanwhile.
const ATTEMPTS: usize = 3;

/// A change ready to be authorized and written: the catalog it happens in (`""` for the tenant as
/// a whole) and the tenant document it leaves.
struct Plan {
    catalog: String,
    document: TenantDocument,
}

const fn object_of(kind: Kind) -> TenantObject {
    match kind {
        Kind::Catalogs => TenantObject::Catalog,
        Kind::Packages => TenantObject::AccessPackage,
        Kind::Policies => TenantObject::AssignmentPolicy,
        Kind::RoleAssignments => TenantObject::RoleAssignment,
    }
}

/// Who made a change, as beta's `createdBy` and `modifiedBy` show it.
fn author(directory: &Directory, identity: &Identity) -> String {
    directory.user(identity.id).map_or_else(
        || identity.id.to_string(),
        |user| user.user_principal_name.clone(),
    )
}

/// Gives each question a policy `body` leaves without an `id` one, as the service does.
fn with_question_ids(kind: Kind, mut body: Value) -> Value {
    let questions = body.get_mut("questions").and_then(Value::as_array_mut);
    if kind == Kind::Policies {
        for question in questions.into_iter().flatten() {
            if let Some(question) = question.as_object_mut() {
                question
                    .entry("id")
                    .or_insert_with(|| Value::String(uuid::Uuid::new_v4().to_string()));
            }
        }
    }
    body
}

/// The body in v1.0's terms.
fn in_v1(api: ApiVersion, kind: Kind, body: Value) -> Result<Value, ApiError> {
    match (api, kind) {
        (ApiVersion::V1, _) | (ApiVersion::Beta, Kind::RoleAssignments) => Ok(body),
        (ApiVersion::Beta, Kind::Catalogs) => Ok(beta_catalog_body(body)),
        (ApiVersion::Beta, Kind::Packages) => Ok(beta_package_body(body)),
        (ApiVersion::Beta, Kind::Policies) => Ok(beta_policy_body(body)?),
    }
}

/// The id of the object a body's reference `property` names; required.
fn required<'a>(property: &str, reference: Option<&'a Reference>) -> Result<&'a str, ApiError> {
    reference
        .map(|reference| reference.id.as_str())
        .ok_or_else(|| ApiError::invalid(format!("`{property}` is required")))
}

fn unknown(kind: &str, id: &str) -> ApiError {
    ApiError::invalid(format!("{kind} `{id}` does not exist"))
}

/// The catalog a role assignment's `appScopeId` names (`""`: every catalog).
fn scoped_catalog(
    directory: &Directory,
    assignment: &RoleAssignmentObject,
) -> Result<String, ApiError> {
    match assignment.app_scope_id.as_deref() {
        None | Some("/") => Ok(String::new()),
        Some(scope) => {
            let id = scope.strip_prefix(CATALOG_SCOPE_PREFIX).ok_or_else(|| {
                ApiError::invalid(format!(
                    "`appScopeId` `{scope}` is neither `/` nor `{CATALOG_SCOPE_PREFIX}{{id}}`"
                ))
            })?;
            directory
                .catalog(id)
                .map(|catalog| catalog.id.clone())
                .ok_or_else(|| unknown("catalog", id))
        }
    }
}

/// The document with a new `kind` object `id` made from `body`.
fn plan_create(
    directory: &Directory,
    kind: Kind,
    id: &str,
    body: Value,
    author: &str,
) -> Result<Plan, ApiError> {
    let mut document = directory.document.clone();
    let catalog = match kind {
        Kind::Catalogs => {
            let mut catalog: CatalogObject =
                created("accessPackageCatalog", id, body).map_err(ApiError::from)?;
            catalog
                .catalog_type
                .get_or_insert_with(|| "userManaged".into());
            catalog.state.get_or_insert_with(|| "published".into());
            catalog.is_externally_visible.get_or_insert(false);
            catalog.created_by = Some(author.to_owned());
            catalog.modified_by = Some(author.to_owned());
            document.catalogs.push(catalog);
            String::new()
        }
        Kind::Packages => {
            let mut package: AccessPackageObject =
                created("accessPackage", id, body).map_err(ApiError::from)?;
            let id = required("catalog", package.catalog.as_ref())?;
            let catalog = directory
                .catalog(id)
                .ok_or_else(|| unknown("catalog", id))?
                .id
                .clone();
            if !package.assignment_policies.is_empty() {
                return Err(ApiError::invalid(
                    "create an access package's `assignmentPolicies` on their own",
                ));
            }
            package.is_hidden.get_or_insert(false);
            package.created_by = Some(author.to_owned());
            package.modified_by = Some(author.to_owned());
            document.access_packages.push(package);
            catalog
        }
        Kind::Policies => {
            let mut policy: PolicyObject =
                created("accessPackageAssignmentPolicy", id, body).map_err(ApiError::from)?;
            let id = required("accessPackage", policy.access_package.as_ref())?;
            let catalog = directory
                .package(id)
                .ok_or_else(|| unknown("access package", id))?
                .catalog_id
                .clone();
            policy.created_by = Some(author.to_owned());
            policy.modified_by = Some(author.to_owned());
            document.assignment_policies.push(policy);
            catalog
        }
        Kind::RoleAssignments => {
            let assignment: RoleAssignmentObject =
                created("unifiedRoleAssignment", id, body).map_err(ApiError::from)?;
            let catalog = scoped_catalog(directory, &assignment)?;
            document.role_assignments.push(assignment);
            catalog
        }
    };
    Ok(Plan { catalog, document })
}

/// The document with `kind` object `id` changed by `body`: a `PATCH` of a catalog or package, a
/// `PUT` of a policy.
fn plan_update(
    directory: &Directory,
    kind: Kind,
    id: &str,
    body: Value,
    author: &str,
) -> Result<Plan, ApiError> {
    let mut document = directory.document.clone();
    let missing = || not_found(kind_name(kind), id);
    let catalog = catalog_of(directory, kind, id).ok_or_else(missing)?;
    match kind {
        Kind::Catalogs => {
            let catalog = document
                .catalogs
                .iter_mut()
                .find(|catalog| catalog.id == id)
                .ok_or_else(missing)?;
            *catalog =
                patched("accessPackageCatalog", id, &*catalog, body).map_err(ApiError::from)?;
            catalog.modified_date_time = None;
            catalog.modified_by = Some(author.to_owned());
        }
        Kind::Packages => {
            let package = document
                .access_packages
                .iter_mut()
                .find(|package| package.id == id)
                .ok_or_else(missing)?;
            let changed: AccessPackageObject =
                patched("accessPackage", id, &*package, body).map_err(ApiError::from)?;
            if changed.catalog.as_ref().map(|catalog| catalog.id.as_str()) != Some(&catalog) {
                return Err(ApiError::invalid(
                    "an access package stays in its catalog; `catalog` cannot change",
                ));
            }
            *package = changed;
            package.modified_date_time = None;
            package.modified_by = Some(author.to_owned());
        }
        Kind::Policies => {
            let policy = document
                .assignment_policies
                .iter_mut()
                .find(|policy| policy.id == id)
                .ok_or_else(missing)?;
            let mut replacement: PolicyObject =
                replaced("accessPackageAssignmentPolicy", id, body).map_err(ApiError::from)?;
            let package = policy.access_package.clone();
            if replacement
                .access_package
                .as_ref()
                .is_some_and(|given| Some(&given.id) != package.as_ref().map(|p| &p.id))
            {
                return Err(ApiError::invalid(
                    "an assignment policy stays with its access package; `accessPackage` cannot change",
                ));
            }
            replacement.access_package = package;
            replacement.created_date_time = policy.created_date_time.take();
            replacement.created_by = policy.created_by.take();
            replacement.modified_by = Some(author.to_owned());
            *policy = replacement;
        }
        Kind::RoleAssignments => {
            return Err(ApiError::new(
                ErrorCode::NotSupported,
                "a role assignment is not updated; delete it and create another",
            ));
        }
    }
    Ok(Plan { catalog, document })
}

/// The document without `kind` object `id`.
fn plan_delete(directory: &Directory, kind: Kind, id: &str) -> Result<Plan, ApiError> {
    let mut document = directory.document.clone();
    let catalog = catalog_of(directory, kind, id).ok_or_else(|| not_found(kind_name(kind), id))?;
    match kind {
        Kind::Catalogs => {
            // The catalog's roles go with it.
            let scope = format!("{CATALOG_SCOPE_PREFIX}{id}");
            document.catalogs.retain(|catalog| catalog.id != id);
            document
                .role_assignments
                .retain(|assignment| assignment.app_scope_id.as_deref() != Some(scope.as_str()));
        }
        Kind::Packages => {
            document.access_packages.retain(|package| package.id != id);
            document.assignment_policies.retain(|policy| {
                policy
                    .access_package
                    .as_ref()
                    .is_none_or(|package| package.id != id)
            });
        }
        Kind::Policies => document
            .assignment_policies
            .retain(|policy| policy.id != id),
        Kind::RoleAssignments => document
            .role_assignments
            .retain(|assignment| assignment.id.as_deref() != Some(id)),
    }
    Ok(Plan { catalog, document })
}

/// What depends on `kind` object `id`, for entitle-core's delete rule.
async fn dependents(
    state: &AppState,
    directory: &Directory,
    kind: Kind,
    id: &str,
) -> Result<Dependents, ApiError> {
    let (package, policy) = match kind {
        Kind::Catalogs => {
            let access_packages = directory
                .access_packages
                .iter()
                .filter(|package| package.catalog_id == id)
                .count();
            return Ok(Dependents {
                access_packages,
                active_assignments: 0,
            });
        }
        Kind::RoleAssignments => return Ok(Dependents::default()),
        Kind::Packages => (id.to_owned(), None),
        Kind::Policies => (
            directory
                .policy(id)
                .map(|policy| policy.access_package_id.clone())
                .unwrap_or_default(),
            Some(id.to_owned()),
        ),
    };
    let active_assignments = state
        .blocking(move |store| store.active_assignments(&package, policy.as_deref()))
        .await?;
    Ok(Dependents {
        access_packages: 0,
        active_assignments,
    })
}

/// What a caller asks: `change` of `kind` object `id` (new for a create), with `body`.
struct Ask {
    kind: Kind,
    change: Change,
    id: String,
    body: Value,
}

/// Plans `ask` against the tenant as stored, asks entitle-core, and writes the new tenant at the
/// version read; tried again when another writer changed the tenant meanwhile. The tenant after.
async fn apply(
    state: &AppState,
    identity: &Identity,
    ask: &Ask,
) -> Result<Arc<Snapshot>, ApiError> {
    let object = object_of(ask.kind);
    for _ in 0..ATTEMPTS {
        let snapshot = state.fresh_directory().await?;
        let author = author(&snapshot, identity);
        let body = ask.body.clone();
        let plan = match ask.change {
            Change::Create => plan_create(&snapshot, ask.kind, &ask.id, body, &author)?,
            Change::Update => plan_update(&snapshot, ask.kind, &ask.id, body, &author)?,
            Change::Delete => plan_delete(&snapshot, ask.kind, &ask.id)?,
        };
        let roles = snapshot.roles_in_catalog(identity.id, &plan.catalog);
        authorize_catalog(ask.change.operation(object), &identity.caller(roles)).map_err(denied)?;
        if ask.change == Change::Delete {
            let dependents = dependents(state, &snapshot, ask.kind, &ask.id).await?;
            may_delete(object, dependents)?;
        }
        let directory = Directory::from_document(plan.document, state.clock.now())
            .map_err(|error| ApiError::invalid(error.to_string()))?;
        let expected = snapshot.version;
        let written = {
            let directory = directory.clone();
            state
                .blocking(
                    move |store| match store.replace_directory(expected, &directory) {
                        Ok(version) => Ok(Some(version)),
                        Err(StoreError::DirectoryChanged) => Ok(None),
                        Err(error) => Err(error),
                    },
                )
                .await?
        };
        if let Some(version) = written {
            return Ok(state.directories.install(Snapshot { version, directory }));
        }
    }
    Err(ApiError::from(StoreError::DirectoryChanged))
}

/// `kind` object `id` as `api` shows it, with `status`.
fn answer(
    headers: &HeaderMap,
    api: ApiVersion,
    kind: Kind,
    directory: &Directory,
    id: &str,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let object = one(directory, api, kind, id, &Options::default())
        .ok_or_else(|| not_found(kind_name(kind), id))?;
    let context = wire::context(headers, api, &format!("{}/$entity", kind.path(api)));
    Ok(wire::json(
        status,
        EnumPreference::default(),
        &wire::with_context(Value::Object(object), context),
    ))
}

/// `POST` to a collection: `201 Created` with the new object.
pub async fn create(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Extension(kind): Extension<Kind>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let body = with_question_ids(kind, in_v1(api, kind, wire::json_body(&headers, &body)?)?);
    let id = uuid::Uuid::new_v4().to_string();
    let ask = Ask {
        kind,
        change: Change::Create,
        id,
        body,
    };
    let directory = apply(&state, &identity, &ask).await?;
    answer(
        &headers,
        api,
        kind,
        &directory,
        &ask.id,
        StatusCode::CREATED,
    )
}

/// `PATCH` of a catalog or an access package (`204`), `PUT` of an assignment policy (`200` with
/// the policy).
pub async fn update(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Extension(kind): Extension<Kind>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let body = with_question_ids(kind, in_v1(api, kind, wire::json_body(&headers, &body)?)?);
    let ask = Ask {
        kind,
        change: Change::Update,
        id,
        body,
    };
    let directory = apply(&state, &identity, &ask).await?;
    if kind == Kind::Policies {
        answer(&headers, api, kind, &directory, &ask.id, StatusCode::OK)
    } else {
        Ok(StatusCode::NO_CONTENT.into_response())
    }
}

/// `DELETE` of an object: `204`, unless entitle-core refuses because of what depends on it.
pub async fn delete(
    State(state): State<AppState>,
    Extension(kind): Extension<Kind>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let ask = Ask {
        kind,
        change: Change::Delete,
        id,
        body: Value::Null,
    };
    apply(&state, &identity, &ask).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
