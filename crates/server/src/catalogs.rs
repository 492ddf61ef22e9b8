//! `GET …/entitlementManagement/catalogs`, `…/accessPackages` and `…/assignmentPolicies` (v1.0),
//! and one of each: the tenant document's objects, as far as entitle-core lets the caller read
//! each one's catalog (`CatalogOperation::Read`).

use std::collections::BTreeMap;

use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use entitle_auth::Identity;
use entitle_core::{ApiVersion, CatalogDenial, CatalogOperation, authorize_catalog};
use entitle_graph::EnumPreference;
use entitle_graph::tenant::{
    AccessPackageObject, PolicyObject, PropertyFilter, TenantDocument, catalog_view,
    custom_extension_stages_view, package_view, policy_view, questions_view,
};
use serde_json::{Map, Value};

use crate::access::identify;
use crate::error::{ApiError, ErrorCode};
use crate::odata;
use crate::state::AppState;
use crate::wire::{self, Api};

type Params = Query<BTreeMap<String, String>>;

/// The query options these collections take: `$filter`, `$expand`, `$select`, `$top`, `$skiptoken`.
struct Options {
    filter: Option<PropertyFilter>,
    expand: Vec<String>,
    select: Option<Vec<String>>,
    top: Option<u32>,
    skip: usize,
}

/// What one collection allows.
struct Shape {
    /// The entity set under `entitlementManagement/`.
    set: &'static str,
    /// The properties `$filter` may use.
    filterable: &'static [&'static str],
    /// The navigation properties `$expand` may name.
    expandable: &'static [&'static str],
}

const CATALOGS: Shape = Shape {
    set: "catalogs",
    filterable: &["displayName", "description", "id", "state", "catalogType"],
    expandable: &["accessPackages"],
};
const PACKAGES: Shape = Shape {
    set: "accessPackages",
    filterable: &["displayName", "description", "id"],
    expandable: &["assignmentPolicies", "catalog"],
};
const POLICIES: Shape = Shape {
    set: "assignmentPolicies",
    filterable: &["displayName", "description", "id", "allowedTargetScope"],
    expandable: &[
        "accessPackage",
        "catalog",
        "questions",
        "customExtensionStageSettings",
    ],
};

/// The names of a comma-separated option, each trimmed; `$expand`'s nested options are dropped
/// (`customExtensionStageSettings($expand=customExtension)`).
fn names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth = 0_usize;
    let mut current = String::new();
    for character in text.chars() {
        match character {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => names.push(std::mem::take(&mut current)),
            _ if depth == 0 => current.push(character),
            _ => {}
        }
    }
    names.push(current);
    names
        .into_iter()
        .map(|name| name.trim().to_owned())
        .collect()
}

fn parse(query: &BTreeMap<String, String>, shape: &Shape) -> Result<Options, ApiError> {
    let mut options = Options {
        filter: None,
        expand: Vec::new(),
        select: None,
        top: None,
        skip: 0,
    };
    for (key, value) in query {
        match key.as_str() {
            "$filter" => {
                options.filter = Some(
                    PropertyFilter::parse(value, shape.filterable)
                        .map_err(|error| ApiError::invalid(error.to_string()))?,
                );
            }
            "$expand" => {
                options.expand = names(value);
                if let Some(unknown) = options
                    .expand
                    .iter()
                    .find(|name| !shape.expandable.contains(&name.as_str()))
                {
                    let allowed: Vec<String> = shape
                        .expandable
                        .iter()
                        .map(|name| format!("`{name}`"))
                        .collect();
                    return Err(ApiError::invalid(format!(
                        "`$expand` cannot name `{unknown}` on `{}`; it can name {}",
                        shape.set,
                        allowed.join(", ")
                    )));
                }
            }
            "$select" => options.select = Some(names(value)),
            "$top" => options.top = Some(odata::parse_top(value)?),
            "$skiptoken" => {
                options.skip = value.parse().map_err(|_| {
                    ApiError::invalid(format!("`$skiptoken` `{value}` is not ours"))
                })?;
            }
            other => {
                return Err(ApiError::invalid(format!(
                    "the query option `{other}` is not supported on `{}`",
                    shape.set
                )));
            }
        }
    }
    Ok(options)
}

impl Options {
    fn expands(&self, name: &str) -> bool {
        self.expand.iter().any(|expanded| expanded == name)
    }
}

/// Whether `identity` may read the objects of catalog `catalog_id`: entitle-core's answer.
fn read_in(state: &AppState, identity: &Identity, catalog_id: &str) -> Result<(), CatalogDenial> {
    let caller = identity.caller(state.directory.roles_in_catalog(identity.id, catalog_id));
    authorize_catalog(CatalogOperation::Read, &caller).map(|_| ())
}

fn denied(denial: CatalogDenial) -> ApiError {
    ApiError::new(ErrorCode::AccessDenied, format!("not authorized: {denial}"))
}

/// The caller's token allows reading some catalog (a missing permission or an unsupported caller
/// is `403` for the whole collection; a missing role only hides a catalog).
fn may_list(identity: &Identity) -> Result<(), ApiError> {
    match authorize_catalog(
        CatalogOperation::Read,
        &identity.caller(entitle_core::Roles::NONE),
    ) {
        Ok(_) | Err(CatalogDenial::MissingRole { .. }) => Ok(()),
        Err(denial) => Err(denied(denial)),
    }
}

fn not_found(kind: &str, id: &str) -> ApiError {
    ApiError::new(ErrorCode::ItemNotFound, format!("{kind} `{id}` not found"))
}

fn document(state: &AppState) -> &TenantDocument {
    &state.directory.document
}

/// The catalog of access package `package_id`, as the directory placed it.
fn catalog_of_package<'a>(state: &'a AppState, package_id: &str) -> Option<&'a str> {
    state
        .directory
        .package(package_id)
        .map(|package| package.catalog_id.as_str())
}

/// The package a policy belongs to, as the directory placed it.
fn package_of_policy<'a>(state: &'a AppState, policy_id: &str) -> Option<&'a str> {
    state
        .directory
        .policy(policy_id)
        .map(|policy| policy.access_package_id.as_str())
}

fn string<'a>(object: &'a Map<String, Value>, property: &str) -> Option<&'a str> {
    object.get(property).and_then(Value::as_str)
}

fn package_shown(
    state: &AppState,
    package: &AccessPackageObject,
    options: &Options,
) -> Map<String, Value> {
    let mut shown = package_view(package);
    if options.expands("assignmentPolicies") {
        let policies: Vec<Value> = document(state)
            .assignment_policies
            .iter()
            .filter(|policy| package_of_policy(state, &policy.id) == Some(package.id.as_str()))
            .map(|policy| Value::Object(policy_view(policy)))
            .collect();
        shown.insert("assignmentPolicies".into(), Value::Array(policies));
    }
    if options.expands("catalog") {
        let catalog = catalog_of_package(state, &package.id)
            .and_then(|id| {
                document(state)
                    .catalogs
                    .iter()
                    .find(|catalog| catalog.id == id)
            })
            .map_or(Value::Null, |catalog| Value::Object(catalog_view(catalog)));
        shown.insert("catalog".into(), catalog);
    }
    shown
}

fn policy_shown(state: &AppState, policy: &PolicyObject, options: &Options) -> Map<String, Value> {
    let mut shown = policy_view(policy);
    let package_id = package_of_policy(state, &policy.id);
    if options.expands("accessPackage") {
        let package = package_id
            .and_then(|id| {
                document(state)
                    .access_packages
                    .iter()
                    .find(|package| package.id == id)
            })
            .map_or(Value::Null, |package| Value::Object(package_view(package)));
        shown.insert("accessPackage".into(), package);
    }
    if options.expands("catalog") {
        let catalog = package_id
            .and_then(|id| catalog_of_package(state, id))
            .and_then(|id| {
                document(state)
                    .catalogs
                    .iter()
                    .find(|catalog| catalog.id == id)
            })
            .map_or(Value::Null, |catalog| Value::Object(catalog_view(catalog)));
        shown.insert("catalog".into(), catalog);
    }
    if options.expands("questions") {
        shown.insert("questions".into(), questions_view(policy));
    }
    if options.expands("customExtensionStageSettings") {
        shown.insert(
            "customExtensionStageSettings".into(),
            custom_extension_stages_view(policy),
        );
    }
    shown
}

/// One object: `$select` applied, `@odata.context` first.
fn single(
    headers: &HeaderMap,
    api: ApiVersion,
    shape: &Shape,
    object: Map<String, Value>,
    options: &Options,
) -> Response {
    let shown = odata::select(Value::Object(object), options.select.as_deref());
    let context = wire::context(
        headers,
        api,
        &format!(
            "identityGovernance/entitlementManagement/{}/$entity",
            shape.set
        ),
    );
    wire::json(
        StatusCode::OK,
        EnumPreference::default(),
        &wire::with_context(shown, context),
    )
}

/// A page of `objects` (filtered already), with `@odata.nextLink` when more remain.
fn page(
    headers: &HeaderMap,
    api: ApiVersion,
    shape: &Shape,
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
    let top = options.top.map_or(usize::MAX, |top| top as usize);
    let total = matching.len();
    let items: Vec<Value> = matching
        .into_iter()
        .skip(options.skip)
        .take(top)
        .map(|object| odata::select(Value::Object(object), options.select.as_deref()))
        .collect();
    let shown = options.skip.saturating_add(items.len());
    let mut body = wire::collection_body(
        headers,
        api,
        (
            &format!("identityGovernance/entitlementManagement/{}", shape.set),
            "",
        ),
        false,
        items,
    );
    if shown < total
        && let Value::Object(map) = &mut body
    {
        let mut link = format!(
            "{}{}/identityGovernance/entitlementManagement/{}?$skiptoken={shown}",
            wire::base_url(headers),
            wire::prefix(api),
            shape.set
        );
        for (key, value) in query.iter().filter(|(key, _)| key.as_str() != "$skiptoken") {
            link.push('&');
            link.push_str(key);
            link.push('=');
            link.push_str(&odata::encode(value));
        }
        map.insert("@odata.nextLink".into(), Value::String(link));
    }
    wire::json(StatusCode::OK, EnumPreference::default(), &body)
}

/// `GET …/catalogs`: the catalogs the caller may read.
pub async fn list_catalogs(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    may_list(&identity)?;
    let options = parse(&query, &CATALOGS)?;
    let objects = document(&state)
        .catalogs
        .iter()
        .filter(|catalog| read_in(&state, &identity, &catalog.id).is_ok())
        .map(|catalog| catalog_with(&state, catalog, &options))
        .collect();
    Ok(page(&headers, api, &CATALOGS, &query, objects, &options))
}

fn catalog_with(
    state: &AppState,
    catalog: &entitle_graph::tenant::CatalogObject,
    options: &Options,
) -> Map<String, Value> {
    let mut shown = catalog_view(catalog);
    if options.expands("accessPackages") {
        let packages: Vec<Value> = document(state)
            .access_packages
            .iter()
            .filter(|package| catalog_of_package(state, &package.id) == Some(catalog.id.as_str()))
            .map(|package| Value::Object(package_view(package)))
            .collect();
        shown.insert("accessPackages".into(), Value::Array(packages));
    }
    shown
}

/// `GET …/catalogs/{id}`.
pub async fn get_catalog(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Path(id): Path<String>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let options = parse(&query, &CATALOGS)?;
    let catalog = document(&state)
        .catalogs
        .iter()
        .find(|catalog| catalog.id == id)
        .ok_or_else(|| not_found("catalog", &id))?;
    read_in(&state, &identity, &catalog.id).map_err(denied)?;
    Ok(single(
        &headers,
        api,
        &CATALOGS,
        catalog_with(&state, catalog, &options),
        &options,
    ))
}

/// `GET …/accessPackages`: the packages of the catalogs the caller may read.
pub async fn list_packages(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    may_list(&identity)?;
    let options = parse(&query, &PACKAGES)?;
    let objects = document(&state)
        .access_packages
        .iter()
        .filter(|package| {
            catalog_of_package(&state, &package.id)
                .is_some_and(|catalog| read_in(&state, &identity, catalog).is_ok())
        })
        .map(|package| package_shown(&state, package, &options))
        .collect();
    Ok(page(&headers, api, &PACKAGES, &query, objects, &options))
}

/// `GET …/accessPackages/{id}`.
pub async fn get_package(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Path(id): Path<String>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let options = parse(&query, &PACKAGES)?;
    let package = document(&state)
        .access_packages
        .iter()
        .find(|package| package.id == id)
        .ok_or_else(|| not_found("access package", &id))?;
    let catalog =
        catalog_of_package(&state, &id).ok_or_else(|| not_found("access package", &id))?;
    read_in(&state, &identity, catalog).map_err(denied)?;
    Ok(single(
        &headers,
        api,
        &PACKAGES,
        package_shown(&state, package, &options),
        &options,
    ))
}

/// The catalog of policy `policy_id`.
fn catalog_of_policy<'a>(state: &'a AppState, policy_id: &str) -> Option<&'a str> {
    package_of_policy(state, policy_id).and_then(|package| catalog_of_package(state, package))
}

/// `GET …/assignmentPolicies`: the policies of the catalogs the caller may read.
pub async fn list_policies(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    may_list(&identity)?;
    let options = parse(&query, &POLICIES)?;
    let objects = document(&state)
        .assignment_policies
        .iter()
        .filter(|policy| {
            catalog_of_policy(&state, &policy.id)
                .is_some_and(|catalog| read_in(&state, &identity, catalog).is_ok())
        })
        .map(|policy| policy_shown(&state, policy, &options))
        .collect();
    Ok(page(&headers, api, &POLICIES, &query, objects, &options))
}

/// `GET …/assignmentPolicies/{id}`.
pub async fn get_policy(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Path(id): Path<String>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let options = parse(&query, &POLICIES)?;
    let policy = document(&state)
        .assignment_policies
        .iter()
        .find(|policy| policy.id == id)
        .ok_or_else(|| not_found("assignment policy", &id))?;
    let catalog =
        catalog_of_policy(&state, &id).ok_or_else(|| not_found("assignment policy", &id))?;
    read_in(&state, &identity, catalog).map_err(denied)?;
    Ok(single(
        &headers,
        api,
        &POLICIES,
        policy_shown(&state, policy, &options),
        &options,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_names_drop_their_nested_options() {
        assert_eq!(
            names("customExtensionStageSettings($expand=customExtension), questions"),
            ["customExtensionStageSettings", "questions"]
        );
        assert_eq!(names("catalog"), ["catalog"]);
    }

    #[test]
    fn unknown_options_and_expansions_are_refused() {
        let query = |key: &str, value: &str| BTreeMap::from([(key.to_owned(), value.to_owned())]);
        assert!(parse(&query("$expand", "assignmentPolicies,catalog"), &PACKAGES).is_ok());
        assert!(parse(&query("$expand", "resources"), &PACKAGES).is_err());
        assert!(parse(&query("$search", "x"), &PACKAGES).is_err());
        assert!(parse(&query("$skiptoken", "x"), &PACKAGES).is_err());
        assert!(parse(&query("$filter", "isHidden eq 'x'"), &PACKAGES).is_err());
    }
}
