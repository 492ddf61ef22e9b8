//! Create, update and replace bodies of tenant objects, read into the same strict types the tenant
//! document uses, so a body and an export are held to the same rules (D30).
//!
//! The service sets `id`, `createdDateTime`, `modifiedDateTime`, `createdBy` and `modifiedBy`:
//! values a body gives for them are ignored, except an `id` that names another object.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::without_annotations;

/// The properties the service sets, whatever a body says.
const SERVICE_SET: [&str; 4] = [
    "createdDateTime",
    "modifiedDateTime",
    "createdBy",
    "modifiedBy",
];

/// What is wrong with a create, update or replace body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The body is not a JSON object.
    #[error("the body must be a JSON object")]
    NotAnObject,
    /// A property the object's type does not define.
    #[error("`{property}` of `{kind}`: {reason}")]
    UnknownProperty {
        /// The object's type.
        kind: &'static str,
        /// The path where it was found.
        property: String,
        /// The reader's account, naming the property.
        reason: String,
    },
    /// A property with a value of the wrong type or form.
    #[error("`{property}`: {reason}")]
    Invalid {
        /// The property's path.
        property: String,
        /// Why it is refused.
        reason: String,
    },
    /// An `id` that is not the one in the path.
    #[error("`id` is `{given}`, but the path names `{expected}`")]
    IdMismatch {
        /// The body's id.
        given: String,
        /// The path's id.
        expected: String,
    },
}

/// The body's properties, without annotations and the properties the service sets.
fn properties(body: Value) -> Result<Map<String, Value>, BodyError> {
    let Value::Object(mut properties) = without_annotations(body) else {
        return Err(BodyError::NotAnObject);
    };
    properties.retain(|key, _| !SERVICE_SET.contains(&key.as_str()));
    Ok(properties)
}

/// `properties` read as a `T`.
fn read<T: DeserializeOwned>(
    kind: &'static str,
    properties: Map<String, Value>,
) -> Result<T, BodyError> {
    serde_path_to_error::deserialize(Value::Object(properties)).map_err(|error| {
        let path = error.path().to_string();
        let reason = error.into_inner().to_string();
        if reason.starts_with("unknown field") {
            BodyError::UnknownProperty {
                kind,
                property: path,
                reason,
            }
        } else {
            BodyError::Invalid {
                property: path,
                reason,
            }
        }
    })
}

/// Refuses a body `id` other than `id`.
fn same_id(properties: &Map<String, Value>, id: &str) -> Result<(), BodyError> {
    match properties.get("id") {
        None => Ok(()),
        Some(Value::String(given)) if given.eq_ignore_ascii_case(id) => Ok(()),
        Some(given) => Err(BodyError::IdMismatch {
            given: given
                .as_str()
                .map_or_else(|| given.to_string(), str::to_owned),
            expected: id.to_owned(),
        }),
    }
}

/// A new `kind` object from a create `body`, with the `id` the service gave it.
///
/// # Errors
/// A [`BodyError`] naming the property and the reason.
pub fn created<T: DeserializeOwned>(
    kind: &'static str,
    id: &str,
    body: Value,
) -> Result<T, BodyError> {
    let mut properties = properties(body)?;
    properties.insert("id".into(), json!(id));
    read(kind, properties)
}

/// The object `id` as a `PUT` `body` replaces it whole.
///
/// # Errors
/// A [`BodyError`] naming the property and the reason.
pub fn replaced<T: DeserializeOwned>(
    kind: &'static str,
    id: &str,
    body: Value,
) -> Result<T, BodyError> {
    let mut properties = properties(body)?;
    same_id(&properties, id)?;
    properties.insert("id".into(), json!(id));
    read(kind, properties)
}

/// `object` with the properties a `PATCH` `body` gives replaced.
///
/// # Errors
/// A [`BodyError`] naming the property and the reason.
pub fn patched<T: Serialize + DeserializeOwned>(
    kind: &'static str,
    id: &str,
    object: &T,
    body: Value,
) -> Result<T, BodyError> {
    let mut changes = properties(body)?;
    same_id(&changes, id)?;
    // The stored id stays as it is, whatever case the body wrote it in.
    changes.remove("id");
    let Ok(Value::Object(mut properties)) = serde_json::to_value(object) else {
        return Err(BodyError::NotAnObject);
    };
    properties.extend(changes);
    read(kind, properties)
}

/// v1.0's lowerCamel member for beta's PascalCase one (`Published` → `published`).
fn camel(value: Value) -> Value {
    match value {
        Value::String(text) => {
            let mut chars = text.chars();
            let first = chars.next().map(|c| c.to_ascii_lowercase());
            json!(first.into_iter().chain(chars).collect::<String>())
        }
        other => other,
    }
}

/// A beta `accessPackageCatalog` body in v1.0's terms: `catalogStatus` is `state`, members are
/// lowerCamel (D28).
pub fn beta_catalog_body(body: Value) -> Value {
    match body {
        Value::Object(mut properties) => {
            if let Some(status) = properties.remove("catalogStatus") {
                properties.insert("state".into(), camel(status));
            }
            if let Some(kind) = properties.remove("catalogType") {
                properties.insert("catalogType".into(), camel(kind));
            }
            Value::Object(properties)
        }
        other => other,
    }
}

/// A beta `accessPackage` body in v1.0's terms: `catalogId` is the `catalog` reference;
/// `isRoleScopesVisible`, which entitle always shows `false`, may only be `false` (D28).
pub fn beta_package_body(body: Value) -> Value {
    match body {
        Value::Object(mut properties) => {
            if let Some(catalog) = properties.remove("catalogId") {
                properties.insert("catalog".into(), json!({ "id": catalog }));
            }
            if properties.get("isRoleScopesVisible") == Some(&Value::Bool(false)) {
                properties.remove("isRoleScopesVisible");
            }
            Value::Object(properties)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::tenant::{AccessPackageObject, CatalogObject};

    #[test]
    fn a_create_takes_the_given_id_and_ignores_what_the_service_sets() {
        let catalog: CatalogObject = created(
            "accessPackageCatalog",
            "c1",
            json!({
                "@odata.type": "#microsoft.graph.accessPackageCatalog",
                "id": "mine",
                "displayName": "Field",
                "createdDateTime": "2020-01-01T00:00:00Z",
                "isExternallyVisible": true
            }),
        )
        .unwrap();
        assert_eq!(catalog.id, "c1");
        assert_eq!(catalog.display_name, "Field");
        assert_eq!(catalog.created_date_time, None);
        assert_eq!(catalog.is_externally_visible, Some(true));
    }

    #[test]
    fn bodies_are_held_to_the_documented_properties_and_types() {
        assert!(matches!(
            created::<CatalogObject>("accessPackageCatalog", "c1", json!({"nickname": "x"})),
            Err(BodyError::UnknownProperty { kind: "accessPackageCatalog", property, reason })
                if property == "nickname" && reason.starts_with("unknown field `nickname`")
        ));
        assert!(matches!(
            created::<CatalogObject>("accessPackageCatalog", "c1", json!({"displayName": 3})),
            Err(BodyError::Invalid { property, .. }) if property == "displayName"
        ));
        assert!(matches!(
            created::<CatalogObject>("accessPackageCatalog", "c1", json!({})),
            Err(BodyError::Invalid { .. })
        ));
        assert_eq!(
            created::<CatalogObject>("accessPackageCatalog", "c1", json!([])),
            Err(BodyError::NotAnObject)
        );
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let package = AccessPackageObject {
            id: "p1".into(),
            display_name: "Old".into(),
            description: Some("kept".into()),
            ..AccessPackageObject::default()
        };
        let changed: AccessPackageObject = patched(
            "accessPackage",
            "p1",
            &package,
            json!({"displayName": "New", "id": "P1"}),
        )
        .unwrap();
        assert_eq!(changed.display_name, "New");
        assert_eq!(changed.id, "p1", "the stored id is kept");
        assert_eq!(changed.description.as_deref(), Some("kept"));
        assert_eq!(
            patched("accessPackage", "p1", &package, json!({"id": "p2"})),
            Err::<AccessPackageObject, _>(BodyError::IdMismatch {
                given: "p2".into(),
                expected: "p1".into()
            })
        );
    }

    #[test]
    fn beta_bodies_read_as_v1() {
        assert_eq!(
            beta_catalog_body(json!({"catalogStatus": "Published", "catalogType": "UserManaged"})),
            json!({"state": "published", "catalogType": "userManaged"})
        );
        assert_eq!(
            beta_package_body(json!({"catalogId": "c1", "isRoleScopesVisible": false})),
            json!({"catalog": {"id": "c1"}})
        );
        assert_eq!(
            beta_package_body(json!({"isRoleScopesVisible": true})),
            json!({"isRoleScopesVisible": true})
        );
    }
}
