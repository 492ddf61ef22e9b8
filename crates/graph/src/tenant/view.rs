//! How Graph shows a tenant's objects: every property as loaded, navigation properties only when
//! `$expand` names them, each object with its `@odata.type`.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::objects::{
    AccessPackageObject, CatalogObject, CustomExtensionObject, PolicyObject, RoleAssignmentObject,
};

/// The JSON of `object` with its `@odata.type` first.
fn typed(kind: &str, object: &impl Serialize) -> Map<String, Value> {
    let mut shown = Map::new();
    shown.insert(
        "@odata.type".into(),
        json!(format!("#microsoft.graph.{kind}")),
    );
    if let Ok(Value::Object(properties)) = serde_json::to_value(object) {
        shown.extend(properties);
    }
    shown
}

/// A catalog (`accessPackageCatalog`).
pub fn catalog_view(catalog: &CatalogObject) -> Map<String, Value> {
    let bare = CatalogObject {
        created_by: None,
        modified_by: None,
        ..catalog.clone()
    };
    typed("accessPackageCatalog", &bare)
}

/// An access package, without its navigation properties.
pub fn package_view(package: &AccessPackageObject) -> Map<String, Value> {
    let bare = AccessPackageObject {
        catalog: None,
        assignment_policies: Vec::new(),
        created_by: None,
        modified_by: None,
        ..package.clone()
    };
    let mut shown = typed("accessPackage", &bare);
    shown.remove("catalog");
    shown
}

/// A policy, without its navigation properties (`accessPackage`, `catalog`, `questions`,
/// `customExtensionStageSettings`).
pub fn policy_view(policy: &PolicyObject) -> Map<String, Value> {
    let bare = PolicyObject {
        access_package: None,
        catalog: None,
        questions: Vec::new(),
        custom_extension_stage_settings: Vec::new(),
        created_by: None,
        modified_by: None,
        ..policy.clone()
    };
    typed("accessPackageAssignmentPolicy", &bare)
}

/// A policy's `questions`, as `$expand=questions` shows them.
pub fn questions_view(policy: &PolicyObject) -> Value {
    serde_json::to_value(&policy.questions).unwrap_or_default()
}

/// A policy's `customExtensionStageSettings` (beta also `customExtensionHandlers`), as `$expand`
/// shows them: each with its `customExtension` in full when `extensions` has it, else by id.
pub fn custom_extension_stages_view(
    policy: &PolicyObject,
    extensions: &[CustomExtensionObject],
) -> Value {
    let settings = policy
        .custom_extension_stage_settings
        .iter()
        .map(|setting| {
            let id = &setting.custom_extension.id;
            let extension = extensions
                .iter()
                .find(|extension| &extension.id == id)
                .and_then(|extension| serde_json::to_value(extension).ok())
                .unwrap_or_else(|| serde_json::json!({ "id": id }));
            serde_json::json!({
                "id": setting.id,
                "stage": setting.stage,
                "customExtension": extension,
            })
        });
    Value::Array(settings.collect())
}

/// A role assignment (`unifiedRoleAssignment`), without `principal`.
pub fn role_assignment_view(assignment: &RoleAssignmentObject) -> Map<String, Value> {
    let bare = RoleAssignmentObject {
        principal: None,
        ..assignment.clone()
    };
    typed("unifiedRoleAssignment", &bare)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::Reference;

    #[test]
    fn navigation_properties_wait_for_expand() {
        let package = AccessPackageObject {
            id: "p".into(),
            display_name: "Sales".into(),
            catalog: Some(Reference::to("c")),
            ..AccessPackageObject::default()
        };
        let shown = package_view(&package);
        assert_eq!(shown["@odata.type"], "#microsoft.graph.accessPackage");
        assert_eq!(shown["description"], Value::Null);
        assert!(!shown.contains_key("catalog"));
        let policy = PolicyObject {
            id: "a".into(),
            access_package: Some(Reference::to("p")),
            ..PolicyObject::default()
        };
        let shown = policy_view(&policy);
        assert!(!shown.contains_key("accessPackage"));
        assert!(!shown.contains_key("questions"));
        assert_eq!(shown["specificAllowedTargets"], json!([]));
        assert_eq!(
            catalog_view(&CatalogObject::default())["@odata.type"],
            "#microsoft.graph.accessPackageCatalog"
        );
        assert_eq!(questions_view(&policy), json!([]));
        assert_eq!(custom_extension_stages_view(&policy, &[]), json!([]));
    }

    #[test]
    fn a_stage_setting_shows_its_custom_extension_in_full_when_the_tenant_has_it() {
        let policy = PolicyObject {
            custom_extension_stage_settings: vec![
                super::super::objects::CustomExtensionStageObject {
                    id: Some("s".into()),
                    stage: "assignmentRequestCreated".into(),
                    custom_extension: Reference::to("e"),
                },
            ],
            ..PolicyObject::default()
        };
        let mut other = std::collections::BTreeMap::new();
        other.insert("displayName".to_owned(), json!("Check"));
        let known = [CustomExtensionObject {
            id: "e".into(),
            other,
        }];
        let shown = custom_extension_stages_view(&policy, &known);
        assert_eq!(shown[0]["customExtension"]["displayName"], "Check");
        assert_eq!(shown[0]["stage"], "assignmentRequestCreated");
        let bare = custom_extension_stages_view(&policy, &[]);
        assert_eq!(bare[0]["customExtension"], json!({ "id": "e" }));
    }
}
