//! The `OData` query options the server understands: `$filter` (`entitle_graph::Filter`), `$top`,
//! `$skiptoken`, `$select` and `$expand`. Anything else in them is `400 invalidRequest`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use entitle_core::ApiVersion;
use entitle_graph::{EnumPreference, Filter};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// The page size when `$top` is absent.
pub const DEFAULT_PAGE: u32 = 100;
/// The largest `$top` accepted.
pub const MAX_PAGE: u32 = 999;

/// Navigation properties `$expand` can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Expand {
    /// `requestor`.
    Requestor,
    /// `accessPackage`.
    AccessPackage,
    /// `assignment` (beta: `accessPackageAssignment`).
    Assignment,
}

/// The query options of one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `$filter`.
    pub filter: Option<Filter>,
    /// The raw `$filter` text, carried into `@odata.nextLink`.
    pub filter_text: Option<String>,
    /// `$top`.
    pub top: u32,
    /// `$skiptoken`: the last position of the previous page.
    pub after: Option<u64>,
    /// `$select`, when given.
    pub select: Option<Vec<String>>,
    /// `$expand`.
    pub expand: Vec<Expansion>,
    /// The raw `$expand` text, carried into `@odata.nextLink`.
    pub expand_text: Option<String>,
}

/// The properties `$select` may name.
const SELECTABLE_V1: [&str; 8] = [
    "id",
    "requestType",
    "state",
    "status",
    "createdDateTime",
    "completedDateTime",
    "justification",
    "schedule",
];
const SELECTABLE_BETA: [&str; 9] = [
    "id",
    "requestType",
    "requestState",
    "requestStatus",
    "createdDateTime",
    "completedDate",
    "isValidationOnly",
    "justification",
    "schedule",
];

impl Options {
    /// Whether `$expand` names `what`.
    pub fn expands(&self, what: Expand) -> bool {
        self.expand.iter().any(|expansion| expansion.what == what)
    }
}

/// The `on` argument of a `filterByCurrentUser(on='…')` path segment, when the segment is that
/// function: one of `allowed`, or `400 invalidRequest` naming them.
pub fn function_on<'a>(segment: &str, allowed: &[&'a str]) -> Option<Result<&'a str, ApiError>> {
    let inner = segment
        .strip_prefix("filterByCurrentUser(")?
        .strip_suffix(')');
    let on = inner
        .and_then(|inner| inner.strip_prefix("on="))
        .map(|value| value.trim_matches('\''))
        .and_then(|value| allowed.iter().copied().find(|name| *name == value));
    Some(on.ok_or_else(|| {
        let names: Vec<String> = allowed.iter().map(|name| format!("`'{name}'`")).collect();
        ApiError::invalid(format!(
            "`{segment}`: `on` must be one of {}",
            names.join(", ")
        ))
    }))
}

/// Parses `$top`: a page size from 1 to [`MAX_PAGE`].
///
/// # Errors
/// `400 invalidRequest` for anything else.
pub fn parse_top(value: &str) -> Result<u32, ApiError> {
    value
        .parse()
        .ok()
        .filter(|top| (1..=MAX_PAGE).contains(top))
        .ok_or_else(|| ApiError::invalid(format!("`$top` must be 1 to {MAX_PAGE}, not `{value}`")))
}

/// Parses the query options of a request.
///
/// # Errors
/// `400 invalidRequest` for options that are malformed or not supported.
pub fn parse(
    query: &BTreeMap<String, String>,
    api: ApiVersion,
    preference: EnumPreference,
) -> Result<Options, ApiError> {
    let mut options = Options {
        top: DEFAULT_PAGE,
        ..Options::default()
    };
    for (name, value) in query {
        match name.as_str() {
            "$filter" => {
                options.filter = Some(
                    Filter::parse(value, api, preference)
                        .map_err(|error| ApiError::invalid(error.to_string()))?,
                );
                options.filter_text = Some(value.clone());
            }
            "$top" => options.top = parse_top(value)?,
            "$skiptoken" => {
                options.after =
                    Some(value.parse().map_err(|_| {
                        ApiError::invalid(format!("malformed `$skiptoken` `{value}`"))
                    })?);
            }
            "$select" => options.select = Some(parse_select(value, api)?),
            "$expand" => {
                options.expand = parse_expand(value, api)?;
                options.expand_text = Some(value.clone());
            }
            "$count" | "$orderby" | "$search" | "$skip" => {
                return Err(ApiError::invalid(format!(
                    "the query option `{name}` is not supported"
                )));
            }
            _ => {}
        }
    }
    Ok(options)
}

/// The comma-separated names of a `$select` or `$expand` (`option`), each trimmed; an empty name
/// (an empty option, `a,,b`, a trailing comma) is malformed, as in `OData`'s grammar.
fn names<'a>(value: &'a str, option: &str) -> Result<Vec<&'a str>, ApiError> {
    value
        .split(',')
        .map(str::trim)
        .map(|name| {
            if name.is_empty() {
                Err(ApiError::invalid(format!(
                    "`{option}` has an empty property name in `{value}`"
                )))
            } else {
                Ok(name)
            }
        })
        .collect()
}

fn parse_select(value: &str, api: ApiVersion) -> Result<Vec<String>, ApiError> {
    let known: &[&str] = match api {
        ApiVersion::V1 => &SELECTABLE_V1,
        ApiVersion::Beta => &SELECTABLE_BETA,
    };
    names(value, "$select")?
        .into_iter()
        .map(|name| {
            if known.contains(&name) {
                Ok(name.to_owned())
            } else {
                Err(ApiError::invalid(format!(
                    "unknown property `{name}` in `$select`"
                )))
            }
        })
        .collect()
}

/// What a nested `$expand` inside an expansion can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Nested {
    /// `requestor($expand=connectedOrganization)`: the requestor's connected organization, `null`
    /// for a member of the tenant.
    ConnectedOrganization,
    /// `accessPackage($expand=catalog)`.
    Catalog,
    /// `assignment($expand=target)`: the assignment's holder, an `accessPackageSubject`.
    Target,
    /// `assignment($expand=accessPackage)`.
    AccessPackage,
    /// `assignment($expand=assignmentPolicy)` (beta `accessPackageAssignmentPolicy`).
    AssignmentPolicy,
}

/// One `$expand` item, with its own `$select` and `$expand`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expansion {
    /// The navigation property.
    pub what: Expand,
    /// `$select` inside it.
    pub select: Option<Vec<String>>,
    /// `$expand` inside it.
    pub nested: Vec<Nested>,
}

/// The properties of an expanded object a nested `$select` may name.
fn selectable(what: Expand, api: ApiVersion) -> &'static [&'static str] {
    match (what, api) {
        (Expand::Requestor, ApiVersion::V1) => &[
            "id",
            "objectId",
            "displayName",
            "principalName",
            "email",
            "onPremisesSecurityIdentifier",
            "subjectType",
        ],
        (Expand::Requestor, ApiVersion::Beta) => &[
            "id",
            "objectId",
            "displayName",
            "principalName",
            "email",
            "onPremisesSecurityIdentifier",
            "type",
            "connectedOrganizationId",
        ],
        (Expand::AccessPackage, _) => &["id", "displayName", "description"],
        (Expand::Assignment, ApiVersion::V1) => {
            &["id", "state", "status", "expiredDateTime", "schedule"]
        }
        (Expand::Assignment, ApiVersion::Beta) => &[
            "id",
            "assignmentState",
            "assignmentStatus",
            "catalogId",
            "accessPackageId",
            "assignmentPolicyId",
            "targetId",
            "isExtended",
            "expiredDateTime",
            "schedule",
        ],
    }
}

/// The nested navigation `name` of `what` in `api`.
fn nested(what: Expand, name: &str, api: ApiVersion) -> Option<Nested> {
    match (what, name, api) {
        (Expand::Requestor, "connectedOrganization", _) => Some(Nested::ConnectedOrganization),
        (Expand::AccessPackage, "catalog", _) => Some(Nested::Catalog),
        (Expand::Assignment, "target", _) => Some(Nested::Target),
        (Expand::Assignment, "accessPackage", _) => Some(Nested::AccessPackage),
        (Expand::Assignment, "assignmentPolicy", ApiVersion::V1)
        | (Expand::Assignment, "accessPackageAssignmentPolicy", ApiVersion::Beta) => {
            Some(Nested::AssignmentPolicy)
        }
        _ => None,
    }
}

/// Splits on commas outside parentheses.
fn top_level(value: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut depth = 0_usize;
    let mut start = 0;
    for (index, ch) in value.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                items.push(value.get(start..index).unwrap_or_default());
                start = index + 1;
            }
            _ => {}
        }
    }
    items.push(value.get(start..).unwrap_or_default());
    items
}

fn parse_expansion(item: &str, api: ApiVersion) -> Result<Expansion, ApiError> {
    let item = item.trim();
    let (name, options) = match item.split_once('(') {
        Some((name, rest)) => {
            let options = rest.strip_suffix(')').ok_or_else(|| {
                ApiError::invalid(format!("`$expand` item `{item}` is not closed"))
            })?;
            (name.trim(), Some(options))
        }
        None => (item, None),
    };
    if name.is_empty() {
        return Err(ApiError::invalid(format!(
            "`$expand` has an empty property name in `{item}`"
        )));
    }
    let what = match (name, api) {
        ("requestor", _) => Expand::Requestor,
        ("accessPackage", _) => Expand::AccessPackage,
        ("assignment", ApiVersion::V1) | ("accessPackageAssignment", ApiVersion::Beta) => {
            Expand::Assignment
        }
        _ => return Err(ApiError::invalid(format!("cannot expand `{name}`"))),
    };
    let mut expansion = Expansion {
        what,
        select: None,
        nested: Vec::new(),
    };
    for option in options.into_iter().flat_map(|options| options.split(';')) {
        let (key, value) = option.split_once('=').ok_or_else(|| {
            ApiError::invalid(format!(
                "cannot read the `$expand` option `{option}` of `{name}`"
            ))
        })?;
        match key.trim() {
            "$select" => {
                let known = selectable(what, api);
                let chosen = names(value, "$select")?
                    .into_iter()
                    .map(|property| {
                        if known.contains(&property) {
                            Ok(property.to_owned())
                        } else {
                            Err(ApiError::invalid(format!(
                                "cannot select `{property}` of `{name}`"
                            )))
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                expansion.select = Some(chosen);
            }
            "$expand" => {
                for inner in names(value, "$expand")? {
                    let found = nested(what, inner, api).ok_or_else(|| {
                        ApiError::invalid(format!("cannot expand `{inner}` of `{name}`"))
                    })?;
                    if !expansion.nested.contains(&found) {
                        expansion.nested.push(found);
                    }
                }
            }
            other => {
                return Err(ApiError::invalid(format!(
                    "the `$expand` option `{other}` of `{name}` is not supported"
                )));
            }
        }
    }
    Ok(expansion)
}

fn parse_expand(value: &str, api: ApiVersion) -> Result<Vec<Expansion>, ApiError> {
    let mut expansions: Vec<Expansion> = Vec::new();
    for item in top_level(value) {
        let expansion = parse_expansion(item, api)?;
        if expansions.iter().any(|seen| seen.what == expansion.what) {
            return Err(ApiError::invalid(format!(
                "`$expand` names `{}` twice",
                item.trim()
            )));
        }
        expansions.push(expansion);
    }
    expansions.sort_by_key(|expansion| expansion.what);
    Ok(expansions)
}

/// Keeps only the selected properties (and any annotations) of `object`.
pub fn select(object: Value, select: Option<&[String]>) -> Value {
    match (object, select) {
        (Value::Object(map), Some(names)) => Value::Object(
            map.into_iter()
                .filter(|(key, _)| key.starts_with('@') || names.iter().any(|name| name == key))
                .collect::<Map<String, Value>>(),
        ),
        (object, _) => object,
    }
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    fn query(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn statuses(text: &str, api: ApiVersion) -> Option<Vec<entitle_core::RequestStatus>> {
        parse(&query(&[("$filter", text)]), api, EnumPreference::default())
            .unwrap()
            .filter
            .unwrap()
            .statuses()
    }

    #[test]
    fn filters_combine_with_and() {
        assert_eq!(
            statuses(
                "state eq 'pendingApproval' and status eq 'PendingApprovalEscalated' and requestType eq 'userAdd'",
                ApiVersion::V1,
            ),
            Some(vec![entitle_core::RequestStatus::PendingApprovalEscalated])
        );
    }

    #[test]
    fn beta_uses_its_property_names_and_quotes_may_hold_and() {
        assert_eq!(
            statuses("requestStatus eq 'Fulfilled'", ApiVersion::Beta),
            Some(vec![entitle_core::RequestStatus::Delivered])
        );
        assert!(
            parse(
                &query(&[("$filter", "status eq 'Delivered'")]),
                ApiVersion::Beta,
                EnumPreference::default()
            )
            .is_err()
        );
        assert_eq!(
            statuses("id eq 'x and y' and status eq 'Denied'", ApiVersion::V1),
            Some(vec![entitle_core::RequestStatus::Denied])
        );
    }

    #[test]
    fn bad_options_are_invalid_requests() {
        for (name, value) in [
            ("$filter", "status eq Delivered"),
            ("$filter", "owner eq 'x'"),
            ("$filter", "status eq 'Approved'"),
            ("$top", "0"),
            ("$top", "1000"),
            ("$skiptoken", "x"),
            ("$select", "secret"),
            ("$select", ""),
            ("$select", "id,,status"),
            ("$select", "id,"),
            ("$expand", ""),
            ("$expand", "requestor,"),
            ("$expand", "history"),
            ("$orderby", "id"),
        ] {
            let error = parse(
                &query(&[(name, value)]),
                ApiVersion::V1,
                EnumPreference::default(),
            )
            .unwrap_err();
            assert_eq!(
                error.code,
                crate::error::ErrorCode::InvalidRequest,
                "{name}={value}"
            );
        }
    }

    #[test]
    fn select_keeps_named_properties_and_annotations() {
        let object =
            serde_json::json!({"id": "1", "status": "x", "state": "y", "@odata.type": "t"});
        let selected = select(object, Some(&["status".to_owned()]));
        assert_eq!(
            selected,
            serde_json::json!({"status": "x", "@odata.type": "t"})
        );
        assert_eq!(encode("status eq 'a b'"), "status%20eq%20%27a%20b%27");
    }
}
