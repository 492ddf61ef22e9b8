//! Request-level HTTP plumbing shared by the handlers: the API version, the `Prefer` header, ids in
//! paths, JSON bodies and collection pages.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entitle_core::{ApiVersion, RequestId};
use entitle_graph::{EnumPreference, INCLUDE_UNKNOWN_ENUM_MEMBERS};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorCode};

/// The API version a route is served under (`/v1.0` or `/beta`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Api(pub ApiVersion);

/// How the request collection a route is under spells beta's `requestType`: lowerCamel on beta's
/// `/assignmentRequests`, PascalCase on `/accessPackageAssignmentRequests` (D20). v1.0 ignores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestTypeCase {
    /// `adminAdd` rather than `AdminAdd`.
    pub lower_camel: bool,
}

/// The path prefix of an API version.
pub const fn prefix(api: ApiVersion) -> &'static str {
    match api {
        ApiVersion::V1 => "/v1.0",
        ApiVersion::Beta => "/beta",
    }
}

/// How a request collection's answer writes enums: the client's `Prefer` headers and the
/// collection's [`RequestTypeCase`].
pub fn request_enums(headers: &HeaderMap, case: RequestTypeCase) -> EnumPreference {
    enum_preference(headers).spelling(case.lower_camel)
}

/// The client's evolvable-enum preference, from its `Prefer` headers.
pub fn enum_preference(headers: &HeaderMap) -> EnumPreference {
    EnumPreference::from_prefer(
        headers
            .get_all("prefer")
            .iter()
            .filter_map(|value| value.to_str().ok()),
    )
}

/// A path id that must be a GUID.
///
/// # Errors
/// `400 invalidRequest` naming the id.
pub fn request_id(text: &str) -> Result<RequestId, ApiError> {
    RequestId::parse(text)
        .map_err(|error| ApiError::new(ErrorCode::InvalidRequest, error.to_string()))
}

/// Whether a request's `Content-Type` is JSON.
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// Requires a non-empty body to be JSON: `415` when its `Content-Type` names another media type. A
/// body sent without `Content-Type` is read as JSON, as Microsoft's own examples send the beta cancel
/// and the stage `PATCH` (D16).
///
/// # Errors
/// `415 unsupportedMediaType`.
pub fn require_json(headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    if body.iter().all(u8::is_ascii_whitespace)
        || is_json(headers)
        || !headers.contains_key(header::CONTENT_TYPE)
    {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "the body must be `application/json`",
        ))
    }
}

/// The body of a create or an update: `application/json` required, a JSON object.
///
/// # Errors
/// `415 unsupportedMediaType` for another type; `400 invalidRequest` for malformed JSON or a value
/// that is not an object.
pub fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    if !is_json(headers) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "the body must be `application/json`",
        ));
    }
    json_object(body).map_err(|error| ApiError::invalid(format!("malformed request body: {error}")))
}

/// A JSON body that must be an object, as `T`.
///
/// serde's derived structs also accept a JSON array, filling the fields by position; a Graph body is
/// an object, so an array (or any other JSON value) is refused here. Fields holding objects use
/// [`object`] for the same reason.
///
/// # Errors
/// The JSON is malformed, not an object, or not a `T`.
pub fn json_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    let object: Map<String, Value> = serde_json::from_slice(body)?;
    T::deserialize(Value::Object(object))
}

/// `deserialize_with` for an optional field that holds an object (or `null`), never an array.
///
/// # Errors
/// The value is neither an object nor `null`, or not a `T`.
pub fn object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Option::<Map<String, Value>>::deserialize(deserializer)?
        .map(|object| T::deserialize(Value::Object(object)).map_err(D::Error::custom))
        .transpose()
}

/// A JSON response, acknowledging `Prefer: include-unknown-enum-members` when it was applied.
pub fn json(status: StatusCode, preference: EnumPreference, body: &Value) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    if preference.include_unknown_members {
        response.headers_mut().insert(
            "preference-applied",
            HeaderValue::from_static(INCLUDE_UNKNOWN_ENUM_MEMBERS),
        );
    }
    response
}

/// The absolute base URL of this server as the client addressed it ([`crate::links`]).
pub fn base_url(headers: &HeaderMap) -> String {
    crate::links::base(headers)
}

/// `@odata.context` of a response in `api` whose resource is `fragment` (after `$metadata#`), as
/// Graph forms it with this server's address.
pub fn context(headers: &HeaderMap, api: ApiVersion, fragment: &str) -> String {
    format!("{}{}/$metadata#{fragment}", base_url(headers), prefix(api))
}

/// `value` with `@odata.context` first, when it is an object.
pub fn with_context(value: Value, context: String) -> Value {
    annotated(value, "@odata.context", context)
}

/// A collection page's body before its next link: `items` of the entity set `entity_set`, or, for a
/// function's result, a bare collection of `type_name` whose context names the type and whose items
/// carry `@odata.type` (as `filterByCurrentUser`'s beta example shows).
pub fn collection_body(
    headers: &HeaderMap,
    api: ApiVersion,
    (entity_set, type_name): (&str, &str),
    function: bool,
    items: Vec<Value>,
) -> Value {
    let (fragment, items) = if function {
        let typed = items
            .into_iter()
            .map(|item| annotated(item, "@odata.type", format!("#microsoft.graph.{type_name}")))
            .collect();
        (format!("Collection(microsoft.graph.{type_name})"), typed)
    } else {
        (entity_set.to_owned(), items)
    };
    let mut body = Map::with_capacity(2);
    body.insert(
        "@odata.context".to_owned(),
        Value::String(context(headers, api, &fragment)),
    );
    body.insert("value".to_owned(), Value::Array(items));
    Value::Object(body)
}

/// `value` with the annotation `name` first, when it is an object.
fn annotated(value: Value, name: &str, annotation: String) -> Value {
    match value {
        Value::Object(properties) => {
            let mut object = Map::with_capacity(properties.len() + 1);
            object.insert(name.to_owned(), Value::String(annotation));
            object.extend(properties);
            Value::Object(object)
        }
        other => other,
    }
}

/// The `@odata.nextLink` of a page of `path` that skips the `shown` items already sent, with the
/// request's other query options.
pub fn next_link(
    headers: &HeaderMap,
    api: ApiVersion,
    path: &str,
    shown: usize,
    query: &std::collections::BTreeMap<String, String>,
) -> String {
    let mut link = format!(
        "{}{}/{path}?$skiptoken={shown}",
        base_url(headers),
        prefix(api),
    );
    for (key, value) in query.iter().filter(|(key, _)| key.as_str() != "$skiptoken") {
        link.push('&');
        link.push_str(key);
        link.push('=');
        link.push_str(&crate::odata::encode(value));
    }
    link
}
