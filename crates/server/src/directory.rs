//! `GET /users`, `/users/{id | userPrincipalName}`, `/me`, `/groups`, `/groups/{id}` and
//! `/groups/{id}/members`: the tenant document's users and groups, in Graph's shapes, as far as
//! entitle-core lets the caller read them (`authorize_directory`, `member_view`; D31).
//!
//! Without `$select` an object shows Graph's default properties (`null`, or `[]` for a collection,
//! when the document has no value); with it, the named ones and `id`.

use std::collections::BTreeMap;

use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use entitle_auth::Identity;
use entitle_core::{
    ApiVersion, DirectoryDenial, DirectoryOperation, GroupId, MemberKind, MemberView, SubjectId,
    authorize_directory, member_view,
};
use entitle_graph::EnumPreference;
use entitle_graph::tenant::{GroupObject, PropertyFilter, Reference, UserObject};
use serde_json::{Map, Value};

use crate::access::identify;
use crate::error::{ApiError, ErrorCode};
use crate::odata;
use crate::state::AppState;
use crate::wire::{self, Api};
use entitle_store::Directory;

type Params = Query<BTreeMap<String, String>>;

/// The properties Graph shows of a user without `$select`.
const USER_DEFAULTS: [&str; 11] = [
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

/// The properties Graph shows of a group without `$select`.
const GROUP_DEFAULTS: [&str; 31] = [
    "id",
    "deletedDateTime",
    "classification",
    "createdDateTime",
    "description",
    "displayName",
    "expirationDateTime",
    "groupTypes",
    "isAssignableToRole",
    "mail",
    "mailEnabled",
    "mailNickname",
    "membershipRule",
    "membershipRuleProcessingState",
    "onPremisesDomainName",
    "onPremisesLastSyncDateTime",
    "onPremisesNetBiosName",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "preferredDataLocation",
    "preferredLanguage",
    "proxyAddresses",
    "renewedDateTime",
    "resourceBehaviorOptions",
    "resourceProvisioningOptions",
    "securityEnabled",
    "securityIdentifier",
    "theme",
    "visibility",
    "onPremisesProvisioningErrors",
];

/// The default properties that are collections: `[]` when the document has no value.
const COLLECTIONS: [&str; 6] = [
    "businessPhones",
    "groupTypes",
    "proxyAddresses",
    "resourceBehaviorOptions",
    "resourceProvisioningOptions",
    "onPremisesProvisioningErrors",
];

/// The navigation properties the document keeps, never shown as properties.
const NAVIGATION: [&str; 2] = ["manager", "members"];

/// The properties `$filter` may use on users, groups and members.
const USER_FILTERABLE: [&str; 8] = [
    "id",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "userPrincipalName",
    "userType",
    "jobTitle",
];
const GROUP_FILTERABLE: [&str; 4] = ["id", "displayName", "mail", "mailNickname"];
const MEMBER_FILTERABLE: [&str; 4] = ["id", "displayName", "mail", "userPrincipalName"];

/// The query options of these routes: `$select` everywhere, `$filter`, `$top` and `$skiptoken` on
/// collections.
struct Options {
    filter: Option<PropertyFilter>,
    select: Option<Vec<String>>,
    top: u32,
    skip: usize,
}

/// Whether `name` is an `OData` identifier.
fn is_identifier(name: &str) -> bool {
    let mut characters = name.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|rest| rest.is_ascii_alphanumeric() || rest == '_')
}

/// Parses the query options of a collection (`filterable` set) or of one object (`None`).
fn parse(
    query: &BTreeMap<String, String>,
    filterable: Option<&[&str]>,
    what: &str,
) -> Result<Options, ApiError> {
    let mut options = Options {
        filter: None,
        select: None,
        top: odata::DEFAULT_PAGE,
        skip: 0,
    };
    for (key, value) in query {
        match (key.as_str(), filterable) {
            ("$select", _) => {
                let names: Vec<String> = value
                    .split(',')
                    .map(|name| name.trim().to_owned())
                    .collect();
                if let Some(bad) = names.iter().find(|name| !is_identifier(name)) {
                    return Err(ApiError::invalid(format!(
                        "`$select` `{value}` names `{bad}`, which is not a property name"
                    )));
                }
                options.select = Some(names);
            }
            ("$filter", Some(allowed)) => {
                options.filter = Some(
                    PropertyFilter::parse_directory(value, allowed)
                        .map_err(|error| ApiError::invalid(error.to_string()))?,
                );
            }
            ("$top", Some(_)) => options.top = odata::parse_top(value)?,
            ("$skiptoken", Some(_)) => {
                options.skip = value.parse().map_err(|_| {
                    ApiError::invalid(format!("`$skiptoken` `{value}` is not ours"))
                })?;
            }
            (other, _) => {
                return Err(ApiError::invalid(format!(
                    "the query option `{other}` is not supported on `{what}`"
                )));
            }
        }
    }
    Ok(options)
}

/// The answer to a refusal by entitle-core: `400` for `/me` without a signed-in user (no permission
/// would make it valid, D31), `403` otherwise.
fn refused(denial: DirectoryDenial) -> ApiError {
    match denial {
        DirectoryDenial::NoSignedInUser { .. } => ApiError::invalid(format!(
            "`/me` is only valid with a delegated token: {denial}"
        )),
        _ => ApiError::new(ErrorCode::AccessDenied, format!("not authorized: {denial}")),
    }
}

fn authorized(identity: &Identity, operation: DirectoryOperation) -> Result<(), ApiError> {
    authorize_directory(operation, &identity.caller(entitle_core::Roles::NONE))
        .map(|_| ())
        .map_err(refused)
}

fn not_found(kind: &str, id: &str) -> ApiError {
    ApiError::new(ErrorCode::ItemNotFound, format!("{kind} `{id}` not found"))
}

/// An object's stored properties, without its navigation properties.
fn properties<T: serde::Serialize>(object: &T) -> Map<String, Value> {
    match serde_json::to_value(object) {
        Ok(Value::Object(mut map)) => {
            for navigation in NAVIGATION {
                map.remove(navigation);
            }
            map
        }
        _ => Map::new(),
    }
}

/// `stored` as shown: `defaults` (or the `$select`ed names and `id`), each its stored value, else
/// `[]` for a collection and `null` otherwise.
fn shown(
    mut stored: Map<String, Value>,
    defaults: &[&str],
    select: Option<&[String]>,
) -> Map<String, Value> {
    let names: Vec<&str> = match select {
        Some(names) => {
            let mut names: Vec<&str> = names.iter().map(String::as_str).collect();
            if !names.contains(&"id") {
                names.push("id");
            }
            names
        }
        None => defaults.to_vec(),
    };
    let mut object = Map::with_capacity(names.len());
    for name in names {
        let value = stored.remove(name).unwrap_or_else(|| {
            if COLLECTIONS.contains(&name) {
                Value::Array(Vec::new())
            } else {
                Value::Null
            }
        });
        object.insert(name.to_owned(), value);
    }
    object
}

fn user_shown(user: &UserObject, select: Option<&[String]>) -> Map<String, Value> {
    shown(properties(user), &USER_DEFAULTS, select)
}

fn group_shown(group: &GroupObject, select: Option<&[String]>) -> Map<String, Value> {
    shown(properties(group), &GROUP_DEFAULTS, select)
}

/// `object` with `@odata.type` first.
fn typed(kind: &str, object: Map<String, Value>) -> Map<String, Value> {
    let mut typed = Map::with_capacity(object.len() + 1);
    typed.insert(
        "@odata.type".to_owned(),
        Value::String(format!("#microsoft.graph.{kind}")),
    );
    typed.extend(object);
    typed
}

/// The entity set's context fragment, with the `$select`ed names as Graph writes them.
fn fragment(set: &str, select: Option<&[String]>) -> String {
    match select {
        Some(names) => format!("{set}({})", names.join(",")),
        None => set.to_owned(),
    }
}

/// One object, `@odata.context` first.
fn single(
    headers: &HeaderMap,
    api: ApiVersion,
    set: &str,
    object: Map<String, Value>,
    options: &Options,
) -> Response {
    let context = wire::context(
        headers,
        api,
        &format!("{}/$entity", fragment(set, options.select.as_deref())),
    );
    wire::json(
        StatusCode::OK,
        EnumPreference::default(),
        &wire::with_context(Value::Object(object), context),
    )
}

/// The string value of `property` in `object`.
fn string<'a>(object: &'a Map<String, Value>, property: &str) -> Option<&'a str> {
    object.get(property).and_then(Value::as_str)
}

/// A page of `objects` (each with the properties `$filter` reads, and as shown), `$filter` applied,
/// with `@odata.nextLink` when more remain. `path` is the collection's, after the version; `set`
/// names it in `@odata.context`.
fn page(
    headers: &HeaderMap,
    api: ApiVersion,
    (path, set): (&str, &str),
    query: &BTreeMap<String, String>,
    objects: Vec<(Map<String, Value>, Map<String, Value>)>,
    options: &Options,
) -> Response {
    let matching: Vec<Map<String, Value>> = objects
        .into_iter()
        .filter(|(readable, _)| {
            options
                .filter
                .as_ref()
                .is_none_or(|filter| filter.matches(|property| string(readable, property)))
        })
        .map(|(_, shown)| shown)
        .collect();
    let total = matching.len();
    let items: Vec<Value> = matching
        .into_iter()
        .skip(options.skip)
        .take(options.top as usize)
        .map(Value::Object)
        .collect();
    let shown = options.skip.saturating_add(items.len());
    let mut body = Map::with_capacity(3);
    body.insert(
        "@odata.context".to_owned(),
        Value::String(wire::context(
            headers,
            api,
            &fragment(set, options.select.as_deref()),
        )),
    );
    body.insert("value".to_owned(), Value::Array(items));
    if shown < total {
        let link = wire::next_link(headers, api, path, shown, query);
        body.insert("@odata.nextLink".to_owned(), Value::String(link));
    }
    wire::json(
        StatusCode::OK,
        EnumPreference::default(),
        &Value::Object(body),
    )
}

/// A page of `objects`, the collection `set` (`users`, `groups`): `$filter` on the `filterable`
/// properties, each object as `shown` shows it under `$select`.
fn object_page<T: serde::Serialize>(
    headers: &HeaderMap,
    api: ApiVersion,
    query: &BTreeMap<String, String>,
    (set, filterable): (&str, &[&str]),
    objects: &[T],
    shown: fn(&T, Option<&[String]>) -> Map<String, Value>,
) -> Result<Response, ApiError> {
    let options = parse(query, Some(filterable), set)?;
    let objects = objects
        .iter()
        .map(|object| (properties(object), shown(object, options.select.as_deref())))
        .collect();
    Ok(page(headers, api, (set, set), query, objects, &options))
}

fn users(directory: &Directory) -> &[UserObject] {
    &directory.document.users
}

fn groups(directory: &Directory) -> &[GroupObject] {
    &directory.document.groups
}

fn user_by_id(directory: &Directory, id: SubjectId) -> Option<&UserObject> {
    users(directory).iter().find(|user| user.id == id)
}

/// `GET /users`.
pub async fn list_users(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let directory = state.fresh_directory().await?;
    authorized(&identity, DirectoryOperation::ListUsers)?;
    object_page(
        &headers,
        api,
        &query,
        ("users", &USER_FILTERABLE),
        users(&directory),
        user_shown,
    )
}

/// `GET /users/{id | userPrincipalName}`: `403` when entitle-core refuses, then `404` when unknown.
pub async fn get_user(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Path(key): Path<String>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let directory = state.fresh_directory().await?;
    let options = parse(&query, None, "users")?;
    let found = match SubjectId::parse(&key) {
        Ok(id) => user_by_id(&directory, id).ok_or(Some(id)),
        Err(_) => users(&directory)
            .iter()
            .find(|user| user.user_principal_name.eq_ignore_ascii_case(&key))
            .ok_or(None),
    };
    // A user the directory does not know is someone else: reading them is listing users.
    let operation = match &found {
        Ok(user) => DirectoryOperation::ReadUser(user.id),
        Err(Some(id)) => DirectoryOperation::ReadUser(*id),
        Err(None) => DirectoryOperation::ListUsers,
    };
    authorized(&identity, operation)?;
    let user = found.map_err(|_| not_found("user", &key))?;
    Ok(single(
        &headers,
        api,
        "users",
        user_shown(user, options.select.as_deref()),
        &options,
    ))
}

/// `GET /me`: the signed-in user; `400` for an application token (D31).
pub async fn me(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let directory = state.fresh_directory().await?;
    authorized(&identity, DirectoryOperation::ReadMe)?;
    let options = parse(&query, None, "me")?;
    let user = user_by_id(&directory, identity.id)
        .ok_or_else(|| not_found("user", &identity.id.to_string()))?;
    Ok(single(
        &headers,
        api,
        "users",
        user_shown(user, options.select.as_deref()),
        &options,
    ))
}

/// `GET /groups`.
pub async fn list_groups(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let directory = state.fresh_directory().await?;
    authorized(&identity, DirectoryOperation::ReadGroups)?;
    object_page(
        &headers,
        api,
        &query,
        ("groups", &GROUP_FILTERABLE),
        groups(&directory),
        group_shown,
    )
}

/// The group a path names: `400` when the id is not a GUID, `404` when unknown.
fn group<'a>(directory: &'a Directory, key: &str) -> Result<&'a GroupObject, ApiError> {
    let id = GroupId::parse(key)
        .map_err(|error| ApiError::invalid(format!("invalid group id: {error}")))?;
    groups(directory)
        .iter()
        .find(|group| group.id == id)
        .ok_or_else(|| not_found("group", key))
}

/// `GET /groups/{id}`: `403` when entitle-core refuses, then `404` when unknown.
pub async fn get_group(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Path(key): Path<String>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let directory = state.fresh_directory().await?;
    authorized(&identity, DirectoryOperation::ReadGroups)?;
    let options = parse(&query, None, "groups")?;
    let group = group(&directory, &key)?;
    Ok(single(
        &headers,
        api,
        "groups",
        group_shown(group, options.select.as_deref()),
        &options,
    ))
}

/// A member as `view` shows it: the user's or group's properties with its `@odata.type`, or only
/// the type and id. The properties `$filter` reads are the shown ones.
fn member(
    directory: &Directory,
    reference: &Reference,
    view: impl Fn(MemberKind) -> MemberView,
    select: Option<&[String]>,
) -> (Map<String, Value>, Map<String, Value>) {
    let user = SubjectId::parse(&reference.id)
        .ok()
        .and_then(|id| user_by_id(directory, id));
    let group = GroupId::parse(&reference.id)
        .ok()
        .and_then(|id| groups(directory).iter().find(|group| group.id == id));
    let (kind, type_name, full) = match (user, group) {
        (Some(user), _) => (
            MemberKind::User,
            "user",
            (user_shown(user, None), user_shown(user, select)),
        ),
        (None, Some(group)) => (
            MemberKind::Group,
            "group",
            (group_shown(group, None), group_shown(group, select)),
        ),
        (None, None) => (
            MemberKind::Other,
            "directoryObject",
            (Map::new(), Map::new()),
        ),
    };
    let (readable, shown) = match view(kind) {
        MemberView::Full => full,
        MemberView::Limited => {
            let mut id = Map::new();
            id.insert("id".to_owned(), Value::String(reference.id.clone()));
            (id.clone(), id)
        }
    };
    (readable, typed(type_name, shown))
}

/// `GET /groups/{id}/members`: the group's direct members, each shown as far as entitle-core lets
/// the caller read its kind.
pub async fn list_members(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Path(key): Path<String>,
    Query(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let directory = state.fresh_directory().await?;
    authorized(&identity, DirectoryOperation::ListGroupMembers)?;
    let options = parse(&query, Some(&MEMBER_FILTERABLE), "members")?;
    let group = group(&directory, &key)?;
    let caller = identity.caller(entitle_core::Roles::NONE);
    let objects = group
        .members
        .iter()
        .map(|reference| {
            member(
                &directory,
                reference,
                |kind| member_view(kind, &caller),
                options.select.as_deref(),
            )
        })
        .collect();
    let path = format!("groups/{key}/members");
    Ok(page(
        &headers,
        api,
        (&path, "directoryObjects"),
        &query,
        objects,
        &options,
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn query(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn collections_take_filter_top_and_select_and_objects_only_select() {
        let options = parse(
            &query(&[
                ("$filter", "startswith(displayName,'a')"),
                ("$top", "2"),
                ("$select", "displayName, mail"),
            ]),
            Some(&USER_FILTERABLE),
            "users",
        )
        .unwrap();
        assert_eq!(options.top, 2);
        assert_eq!(options.select.unwrap(), ["displayName", "mail"]);
        assert!(parse(&query(&[("$top", "2")]), None, "users").is_err());
        for (key, value) in [
            ("$count", "true"),
            ("$search", "\"displayName:a\""),
            ("$orderby", "displayName"),
            ("$expand", "manager"),
            ("$select", "display name"),
            ("$select", ""),
            ("$filter", "contains(displayName,'a')"),
            ("$filter", "city eq 'x'"),
            ("$skiptoken", "x"),
        ] {
            assert!(
                parse(&query(&[(key, value)]), Some(&USER_FILTERABLE), "users").is_err(),
                "{key}={value}"
            );
        }
    }

    #[test]
    fn defaults_fill_missing_values_and_select_keeps_the_id() {
        let mut stored = Map::new();
        stored.insert("id".into(), Value::String("x".into()));
        stored.insert("displayName".into(), Value::String("Adele".into()));
        stored.insert("userType".into(), Value::String("Member".into()));
        let default = shown(stored.clone(), &USER_DEFAULTS, None);
        assert_eq!(default.len(), USER_DEFAULTS.len());
        assert_eq!(default["businessPhones"], Value::Array(Vec::new()));
        assert_eq!(default["givenName"], Value::Null);
        assert!(!default.contains_key("userType"));
        let selected = shown(stored, &USER_DEFAULTS, Some(&["userType".to_owned()]));
        assert_eq!(selected.len(), 2);
        assert_eq!(selected["userType"], "Member");
        assert_eq!(selected["id"], "x");
        assert!(is_identifier("ext55gb1l09_msLearnCourses"));
        assert!(!is_identifier("1a"));
    }
}
