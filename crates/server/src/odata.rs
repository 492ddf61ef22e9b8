//! The `OData` query options the server understands: `$filter` (`eq` clauses joined by `and`), `$top`,
//! `$skiptoken`, `$select` and `$expand`. Anything else in them is `400 invalidRequest`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use entitle_core::RequestType;
use entitle_core::{ApiVersion, RequestState, RequestStatus};
use entitle_graph::{EnumPreference, request_type};
use serde_json::{Map, Value};
use strum::VariantArray;

use crate::error::ApiError;

/// The page size when `$top` is absent.
pub const DEFAULT_PAGE: u32 = 100;
/// The largest `$top` accepted.
pub const MAX_PAGE: u32 = 999;

/// A parsed `$filter`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Statuses allowed by `status`/`state` clauses (`None`: any).
    pub statuses: Option<Vec<RequestStatus>>,
    /// The `requestType` asked for.
    pub request_type: Option<RequestType>,
}

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
    pub filter: Filter,
    /// The raw `$filter` text, carried into `@odata.nextLink`.
    pub filter_text: Option<String>,
    /// `$top`.
    pub top: u32,
    /// `$skiptoken`: the last position of the previous page.
    pub after: Option<u64>,
    /// `$select`, when given.
    pub select: Option<Vec<String>>,
    /// `$expand`.
    pub expand: Vec<Expand>,
}

/// Narrows `current` to the statuses also in `allowed`.
fn narrow(current: Option<Vec<RequestStatus>>, allowed: Vec<RequestStatus>) -> Vec<RequestStatus> {
    match current {
        Some(current) => current
            .into_iter()
            .filter(|s| allowed.contains(s))
            .collect(),
        None => allowed,
    }
}

/// Parses `$filter`: clauses `property eq 'value'` joined by `and`.
///
/// # Errors
/// `400 invalidRequest` naming what is not understood.
pub fn parse_filter(
    text: &str,
    api: ApiVersion,
    preference: EnumPreference,
) -> Result<Filter, ApiError> {
    let mut filter = Filter::default();
    for clause in split_and(text) {
        let mut words = clause.splitn(3, char::is_whitespace);
        let (Some(property), Some(operator), Some(value)) =
            (words.next(), words.next(), words.next())
        else {
            return Err(ApiError::invalid(format!(
                "cannot parse the `$filter` clause `{clause}`"
            )));
        };
        if !operator.eq_ignore_ascii_case("eq") {
            return Err(ApiError::invalid(format!(
                "the `$filter` operator `{operator}` is not supported; use `eq`"
            )));
        }
        let value = value
            .trim()
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "the `$filter` value `{value}` is not a quoted string"
                ))
            })?;
        let (state_name, status_name) = match api {
            ApiVersion::V1 => ("state", "status"),
            ApiVersion::Beta => ("requestState", "requestStatus"),
        };
        if property == status_name {
            let status =
                RequestStatus::parse(value).map_err(|e| ApiError::invalid(e.to_string()))?;
            filter.statuses = Some(narrow(filter.statuses, vec![status]));
        } else if property == state_name {
            let state = RequestState::parse(value).map_err(|e| ApiError::invalid(e.to_string()))?;
            let statuses = RequestStatus::VARIANTS
                .iter()
                .copied()
                .filter(|s| s.state() == state)
                .collect();
            filter.statuses = Some(narrow(filter.statuses, statuses));
        } else if property == "requestType" {
            let kind = request_type::parse(value, api, preference)
                .map_err(|e| ApiError::invalid(e.to_string()))?;
            filter.request_type = Some(kind);
        } else {
            return Err(ApiError::invalid(format!(
                "filtering on `{property}` is not supported; use `{state_name}`, `{status_name}` or `requestType`"
            )));
        }
    }
    Ok(filter)
}

/// Splits on ` and ` (any case) outside quotes.
fn split_and(text: &str) -> Vec<&str> {
    let mut clauses = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let lower = text.to_ascii_lowercase();
    let mut index = 0;
    while let Some(ch) = lower.get(index..).and_then(|rest| rest.chars().next()) {
        if ch == '\'' {
            quoted = !quoted;
        } else if !quoted
            && lower
                .get(index..)
                .is_some_and(|rest| rest.starts_with(" and "))
        {
            if let Some(clause) = text.get(start..index) {
                clauses.push(clause.trim());
            }
            index += " and ".len();
            start = index;
            continue;
        }
        index += ch.len_utf8();
    }
    if let Some(clause) = text.get(start..) {
        clauses.push(clause.trim());
    }
    clauses.into_iter().filter(|c| !c.is_empty()).collect()
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
                options.filter = parse_filter(value, api, preference)?;
                options.filter_text = Some(value.clone());
            }
            "$top" => {
                options.top = value
                    .parse()
                    .ok()
                    .filter(|top| (1..=MAX_PAGE).contains(top))
                    .ok_or_else(|| {
                        ApiError::invalid(format!("`$top` must be 1 to {MAX_PAGE}, not `{value}`"))
                    })?;
            }
            "$skiptoken" => {
                options.after =
                    Some(value.parse().map_err(|_| {
                        ApiError::invalid(format!("malformed `$skiptoken` `{value}`"))
                    })?);
            }
            "$select" => options.select = Some(parse_select(value, api)?),
            "$expand" => options.expand = parse_expand(value, api)?,
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

fn parse_expand(value: &str, api: ApiVersion) -> Result<Vec<Expand>, ApiError> {
    let mut expand: Vec<Expand> = names(value, "$expand")?
        .into_iter()
        .map(|name| match (name, api) {
            ("requestor", _) => Ok(Expand::Requestor),
            ("accessPackage", _) => Ok(Expand::AccessPackage),
            ("assignment", ApiVersion::V1) | ("accessPackageAssignment", ApiVersion::Beta) => {
                Ok(Expand::Assignment)
            }
            _ => Err(ApiError::invalid(format!("cannot expand `{name}`"))),
        })
        .collect::<Result<_, _>>()?;
    expand.sort_unstable();
    expand.dedup();
    Ok(expand)
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

    #[test]
    fn filters_combine_with_and() {
        let filter = parse_filter(
            "state eq 'pendingApproval' and status eq 'PendingApprovalEscalated' and requestType eq 'userAdd'",
            ApiVersion::V1,
            EnumPreference::default(),
        )
        .unwrap();
        assert_eq!(
            filter.statuses,
            Some(vec![RequestStatus::PendingApprovalEscalated])
        );
        assert_eq!(filter.request_type, Some(RequestType::UserAdd));
    }

    #[test]
    fn beta_uses_its_property_names_and_quotes_may_hold_and() {
        let filter = parse_filter(
            "requestStatus eq 'Fulfilled'",
            ApiVersion::Beta,
            EnumPreference::default(),
        )
        .unwrap();
        assert_eq!(filter.statuses, Some(vec![RequestStatus::Delivered]));
        assert!(
            parse_filter(
                "status eq 'Delivered'",
                ApiVersion::Beta,
                EnumPreference::default()
            )
            .is_err()
        );
        assert_eq!(
            split_and("a eq 'x and y' AND b eq 'z'"),
            vec!["a eq 'x and y'", "b eq 'z'"]
        );
    }

    #[test]
    fn bad_options_are_invalid_requests() {
        for (name, value) in [
            ("$filter", "status ne 'Delivered'"),
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
