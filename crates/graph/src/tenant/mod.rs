//! A tenant as Graph's list calls return it: one JSON document whose keys are collections
//! (`users`, `groups`, `catalogs`, `accessPackages`, `assignmentPolicies`, `roleAssignments`,
//! `connectedOrganizations`), each an array of Graph objects or a whole list response
//! (`{"value": […]}`), so an export made with the Graph SDK or PowerShell loads unchanged.
//!
//! A bad document is refused with the object, the property and the reason.

mod beta_body;
mod beta_view;
mod edit;
mod filter;
mod objects;
mod roles;
mod subject_set;
mod view;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use beta_body::beta_policy_body;
pub use beta_view::{beta_catalog_view, beta_package_view, beta_policy_view};
pub use edit::{BodyError, beta_catalog_body, beta_package_body, created, patched, replaced};
pub use filter::{PropertyFilter, PropertyFilterError};
pub use objects::{
    AccessPackageObject, ApprovalSettingsObject, CatalogObject, ChoiceObject,
    ConnectedOrganizationObject, CustomExtensionObject, CustomExtensionStageObject,
    ExpirationObject, GroupObject, IdentitySourceObject, LocalizedTextObject, PolicyObject,
    QuestionObject, Reference, RequestorSettingsObject, RoleAssignmentObject, StageObject,
    UserObject,
};
pub use roles::{CATALOG_SCOPE_PREFIX, ROLE_DEFINITIONS, definition_of, role_of};
pub use subject_set::{SubjectSetError, SubjectSetObject};
pub use view::{
    catalog_view, custom_extension_stages_view, package_view, policy_view, questions_view,
    role_assignment_view,
};

/// A whole tenant, as loaded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantDocument {
    /// `users`.
    #[serde(default)]
    pub users: Vec<UserObject>,
    /// `groups`.
    #[serde(default)]
    pub groups: Vec<GroupObject>,
    /// `catalogs`.
    #[serde(default)]
    pub catalogs: Vec<CatalogObject>,
    /// `accessPackages`.
    #[serde(default)]
    pub access_packages: Vec<AccessPackageObject>,
    /// `assignmentPolicies`.
    #[serde(default)]
    pub assignment_policies: Vec<PolicyObject>,
    /// `roleAssignments` of the entitlement-management provider.
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignmentObject>,
    /// `connectedOrganizations`.
    #[serde(default)]
    pub connected_organizations: Vec<ConnectedOrganizationObject>,
    /// `customExtensions`: the catalogs' custom extensions that policies name.
    #[serde(default)]
    pub custom_extensions: Vec<CustomExtensionObject>,
}

impl TenantDocument {
    /// Whether the document holds no object.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// What is wrong with a tenant document: the object, the property and the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{object}: `{property}`: {reason}")]
pub struct TenantError {
    /// The object (its kind and id), or the document itself.
    pub object: String,
    /// The property's path within the object.
    pub property: String,
    /// Why it is refused.
    pub reason: String,
}

impl TenantError {
    /// An error about `property` of `object`.
    pub fn new(
        object: impl Into<String>,
        property: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            object: object.into(),
            property: property.into(),
            reason: reason.into(),
        }
    }
}

/// The collections a document may hold, with the name of one of their objects.
const COLLECTIONS: [(&str, &str); 8] = [
    ("users", "user"),
    ("groups", "group"),
    ("catalogs", "catalog"),
    ("accessPackages", "access package"),
    ("assignmentPolicies", "assignment policy"),
    ("roleAssignments", "role assignment"),
    ("connectedOrganizations", "connected organization"),
    ("customExtensions", "custom extension"),
];

/// The `@odata.type` values that tell polymorphic objects apart, which are kept; every other
/// annotation (`@odata.context`, `@odata.etag`, the type of a plain object) is dropped on reading.
const KEPT_TYPES: [&str; 10] = [
    "#microsoft.graph.accessPackageAssignmentRequestWorkflowExtension",
    "#microsoft.graph.accessPackageAssignmentWorkflowExtension",
    "#microsoft.graph.logicAppTriggerEndpointConfiguration",
    "#microsoft.graph.azureAdTokenAuthentication",
    "#microsoft.graph.azureAdPopTokenAuthentication",
    "#microsoft.graph.accessPackageTextInputQuestion",
    "#microsoft.graph.accessPackageMultipleChoiceQuestion",
    "#microsoft.graph.domainIdentitySource",
    "#microsoft.graph.azureActiveDirectoryTenant",
    "#microsoft.graph.externalDomainFederation",
];

/// `value` without `OData` annotations, except the `@odata.type`s that tell objects apart.
fn without_annotations(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .filter(|(key, value)| {
                    !key.contains("@odata.")
                        || (key == "@odata.type"
                            && value.as_str().is_some_and(|kind| {
                                KEPT_TYPES.contains(&kind)
                                    || subject_set::SUBJECT_SET_TYPES.contains(&kind)
                            }))
                })
                .map(|(key, value)| (key, without_annotations(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_annotations).collect()),
        other => other,
    }
}

/// The items of collection `key`: an array, or a list response's `value`.
fn items(key: &str, value: Value) -> Result<Vec<Value>, TenantError> {
    let not_a_list = || {
        TenantError::new(
            "the tenant document",
            key,
            "must be an array of objects or a Graph list response with `value`",
        )
    };
    match value {
        Value::Array(items) => Ok(items),
        Value::Object(mut response) => match response.remove("value") {
            Some(Value::Array(items)) => Ok(items),
            _ => Err(not_a_list()),
        },
        _ => Err(not_a_list()),
    }
}

/// Reads one object of collection `name`, naming it by its id (or its position) in errors.
fn object<T: DeserializeOwned>(
    name: &str,
    key: &str,
    index: usize,
    value: Value,
) -> Result<T, TenantError> {
    let value = without_annotations(value);
    let label = match value.get("id").and_then(Value::as_str) {
        Some(id) => format!("{name} `{id}`"),
        None => format!("{name} {key}[{index}]"),
    };
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let property = if path == "." { String::new() } else { path };
        TenantError::new(label, property, error.into_inner().to_string())
    })
}

/// Reads every object of a collection.
fn collection<T: DeserializeOwned>(
    name: &str,
    key: &str,
    value: Option<Value>,
) -> Result<Vec<T>, TenantError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    items(key, value)?
        .into_iter()
        .enumerate()
        .map(|(index, item)| object(name, key, index, item))
        .collect()
}

/// Reads a tenant document.
///
/// # Errors
/// A [`TenantError`] naming the object, the property and the reason.
pub fn parse_tenant(text: &str) -> Result<TenantDocument, TenantError> {
    let document: Value = serde_json::from_str(text).map_err(|error| {
        TenantError::new("the tenant document", "", format!("not JSON: {error}"))
    })?;
    let Value::Object(mut document) = without_top_annotations(document) else {
        return Err(TenantError::new(
            "the tenant document",
            "",
            "must be a JSON object of collections",
        ));
    };
    if let Some(unknown) = document
        .keys()
        .find(|key| !COLLECTIONS.iter().any(|(known, _)| known == key))
    {
        let known: Vec<String> = COLLECTIONS
            .iter()
            .map(|(key, _)| format!("`{key}`"))
            .collect();
        return Err(TenantError::new(
            "the tenant document",
            unknown.clone(),
            format!("unknown collection; expected one of {}", known.join(", ")),
        ));
    }
    let mut take = |key: &str| document.remove(key);
    Ok(TenantDocument {
        users: collection("user", "users", take("users"))?,
        groups: collection("group", "groups", take("groups"))?,
        catalogs: collection("catalog", "catalogs", take("catalogs"))?,
        access_packages: collection("access package", "accessPackages", take("accessPackages"))?,
        assignment_policies: collection(
            "assignment policy",
            "assignmentPolicies",
            take("assignmentPolicies"),
        )?,
        role_assignments: collection(
            "role assignment",
            "roleAssignments",
            take("roleAssignments"),
        )?,
        connected_organizations: collection(
            "connected organization",
            "connectedOrganizations",
            take("connectedOrganizations"),
        )?,
        custom_extensions: collection(
            "custom extension",
            "customExtensions",
            take("customExtensions"),
        )?,
    })
}

/// The document without its own annotations (`@odata.context` of a saved response).
fn without_top_annotations(document: Value) -> Value {
    match document {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .filter(|(key, _)| !key.starts_with('@'))
                .collect::<Map<String, Value>>(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests;
