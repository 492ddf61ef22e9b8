use serde_json::json;

use super::*;

fn document(value: &Value) -> Result<TenantDocument, TenantError> {
    parse_tenant(&value.to_string())
}

#[test]
fn a_graph_export_loads_with_its_annotations() {
    let loaded = document(&json!({
        "@odata.context": "saved by a script",
        "users": {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
            "value": [{
                "id": "00000000-0000-4000-8000-00000000a002",
                "displayName": "Bianca",
                "userPrincipalName": "bianca@contoso.test",
                "jobTitle": "Engineer",
                "businessPhones": [],
                "manager": {"@odata.type": "#microsoft.graph.user", "id": "00000000-0000-4000-8000-00000000a001"}
            }]
        },
        "catalogs": [{"id": "c", "displayName": "General", "@odata.etag": "W/1"}],
        "accessPackages": [{
            "id": "p", "displayName": "Sales", "catalog": {"id": "c", "displayName": "General"},
            "assignmentPolicies": [{
                "id": "a", "displayName": "Direct",
                "requestorSettings": {
                    "@odata.type": "#microsoft.graph.accessPackageAssignmentRequestorSettings",
                    "enableTargetsToSelfAddAccess": true,
                    "onBehalfRequestors": [{"@odata.type": "#microsoft.graph.targetManager", "managerLevel": 1}]
                }
            }]
        }]
    }))
    .unwrap();
    let bianca = &loaded.users[0];
    assert_eq!(
        bianca.manager.as_ref().unwrap().id,
        "00000000-0000-4000-8000-00000000a001"
    );
    assert_eq!(bianca.other["jobTitle"], "Engineer");
    let policy = &loaded.access_packages[0].assignment_policies[0];
    let settings = policy.requestor_settings.as_ref().unwrap();
    assert_eq!(settings.enable_targets_to_self_add_access, Some(true));
    assert_eq!(settings.on_behalf_requestors.len(), 1);
}

#[test]
fn errors_name_the_object_the_property_and_the_reason() {
    let unknown = document(&json!({"policies": []})).unwrap_err();
    assert_eq!(unknown.object, "the tenant document");
    assert_eq!(unknown.property, "policies");
    assert!(unknown.reason.contains("`assignmentPolicies`"), "{unknown}");

    let nested = document(&json!({"assignmentPolicies": [{
        "id": "a", "displayName": "A",
        "requestApprovalSettings": {"stages": [{"primaryApprovers": [
            {"@odata.type": "#microsoft.graph.singleUser", "userId": "u", "nickname": "x"}
        ]}]}
    }]}))
    .unwrap_err();
    assert_eq!(nested.object, "assignment policy `a`");
    assert!(
        nested
            .property
            .starts_with("requestApprovalSettings.stages[0].primaryApprovers[0]"),
        "{nested}"
    );
    assert!(nested.reason.contains("nickname"), "{nested}");

    let typed = document(
        &json!({"catalogs": [{"id": "c", "displayName": "C", "isExternallyVisible": "yes"}]}),
    )
    .unwrap_err();
    assert_eq!(typed.object, "catalog `c`");
    assert_eq!(typed.property, "isExternallyVisible");

    let anonymous = document(&json!({"catalogs": [{"displayName": "C"}]})).unwrap_err();
    assert_eq!(anonymous.object, "catalog catalogs[0]");
    assert!(anonymous.reason.contains("`id`"), "{anonymous}");

    let shape = document(&json!({"users": 3})).unwrap_err();
    assert_eq!(shape.property, "users");
    assert!(document(&json!([])).is_err());
    assert!(
        parse_tenant("{")
            .unwrap_err()
            .reason
            .starts_with("not JSON")
    );
}
