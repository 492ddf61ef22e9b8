//! Administrators change the demo tenant over Graph: catalogs, access packages, assignment policies
//! and catalog role assignments are created, updated and deleted as entitle-core decides (D30),
//! and what they say decides the requests made afterwards.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

use entitle_auth::IDENTITY_GOVERNANCE_ADMINISTRATOR;
use entitle_core::SubjectId;
use entitle_server::demo::{
    ADELE, CATALOG_ARCHIVE, CATALOG_GENERAL, DIEGO, ISAIAH, MEGAN, NESTOR, PACKAGE_FINANCE_REPORTS,
    PACKAGE_SALES_TOOLS, POLICY_DIRECT,
};
use reqwest::Method;
use serde_json::{Value, json};

mod common;

use common::demo::{Demo, REQUESTS, token};

const MANAGEMENT: &str = "/v1.0/identityGovernance/entitlementManagement";
const ROLE_ASSIGNMENTS: &str = "/v1.0/roleManagement/entitlementManagement/roleAssignments";
const WRITE: &str = "EntitlementManagement.ReadWrite.All";
const READ: &str = "EntitlementManagement.Read.All";
const LAB_APPROVERS: &str = "00000000-0000-4000-8000-0000000a9001";

fn administrator() -> String {
    token(ISAIAH, WRITE, &[IDENTITY_GOVERNANCE_ADMINISTRATOR])
}

fn writer(oid: SubjectId) -> String {
    token(oid, WRITE, &[])
}

/// The status and the JSON body (`Null` when none) of `method path` with `body`.
async fn call(
    demo: &Demo,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = demo
        .client
        .request(method, format!("{}{path}", demo.base))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, body)
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_package_and_policy_set_up_over_graph_decide_the_requests_made_under_them() {
    let demo = Demo::start().await;
    let admin = administrator();
    let (status, catalog) = call(
        &demo,
        &admin,
        Method::POST,
        &format!("{MANAGEMENT}/catalogs"),
        Some(json!({"displayName": "Labs", "description": "Lab equipment."})),
    )
    .await;
    assert_eq!(status, 201, "{catalog}");
    assert_eq!(catalog["catalogType"], "userManaged");
    assert_eq!(catalog["state"], "published");
    let catalog_id = catalog["id"].as_str().unwrap();

    let (status, package) = call(
        &demo,
        &admin,
        Method::POST,
        &format!("{MANAGEMENT}/accessPackages"),
        Some(json!({"displayName": "Microscopes", "catalog": {"id": catalog_id}})),
    )
    .await;
    assert_eq!(status, 201, "{package}");
    let package_id = package["id"].as_str().unwrap();

    let (status, policy) = call(
        &demo,
        &admin,
        Method::POST,
        &format!("{MANAGEMENT}/assignmentPolicies"),
        Some(json!({
            "displayName": "Lab approvers decide",
            "allowedTargetScope": "allMemberUsers",
            "accessPackage": {"id": package_id},
            "requestorSettings": {"enableTargetsToSelfAddAccess": true},
            "requestApprovalSettings": {
                "isApprovalRequiredForAdd": true,
                "stages": [{
                    "durationBeforeAutomaticDenial": "P7D",
                    "primaryApprovers": [{
                        "@odata.type": "#microsoft.graph.groupMembers",
                        "groupId": LAB_APPROVERS
                    }]
                }]
            }
        })),
    )
    .await;
    assert_eq!(status, 201, "{policy}");
    assert_eq!(policy["accessPackage"], Value::Null, "not expanded unasked");
    let policy_id = policy["id"].as_str().unwrap();

    let adele = token(ADELE, "EntitlementMgmt-SubjectAccess.ReadWrite", &[]);
    let (status, request) = call(
        &demo,
        &adele,
        Method::POST,
        REQUESTS,
        Some(json!({
            "requestType": "userAdd",
            "assignment": {"accessPackageId": package_id, "assignmentPolicyId": policy_id}
        })),
    )
    .await;
    assert_eq!(status, 201, "{request}");
    let request_id = request["id"].as_str().unwrap();
    let (_, stored) = call(
        &demo,
        &adele,
        Method::GET,
        &format!("{REQUESTS}/{request_id}"),
        None,
    )
    .await;
    assert_eq!(stored["state"], "pendingApproval", "{stored}");

    // Diego is the group's member: the stage is his to review.
    let diego = token(DIEGO, WRITE, &[]);
    let (status, stages) = call(
        &demo,
        &diego,
        Method::GET,
        &format!("{MANAGEMENT}/accessPackageAssignmentApprovals/{request_id}/stages"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{stages}");
    assert_eq!(stages["value"][0]["status"], "InProgress", "{stages}");
}

#[tokio::test(flavor = "multi_thread")]
async fn who_may_change_what_is_entitle_cores_decision() {
    let demo = Demo::start().await;
    let catalogs = format!("{MANAGEMENT}/catalogs");
    let package = format!("{MANAGEMENT}/accessPackages/{PACKAGE_FINANCE_REPORTS}");
    let rename = || Some(json!({"displayName": "Finance reports (quarterly)"}));

    // A catalog owner manages the catalog's packages but creates no catalog.
    let (status, body) = call(
        &demo,
        &writer(NESTOR),
        Method::POST,
        &catalogs,
        Some(json!({"displayName": "Mine"})),
    )
    .await;
    assert_eq!((status, error_code(&body)), (403, "accessDenied"), "{body}");
    // An access package assignment manager changes no package, nor does a token that only reads.
    let (status, _) = call(&demo, &writer(MEGAN), Method::PATCH, &package, rename()).await;
    assert_eq!(status, 403);
    let read_only = token(ISAIAH, READ, &[IDENTITY_GOVERNANCE_ADMINISTRATOR]);
    let (status, body) = call(&demo, &read_only, Method::PATCH, &package, rename()).await;
    assert_eq!(status, 403);
    assert!(
        body["error"]["message"].as_str().unwrap().contains(WRITE),
        "{body}"
    );
    let (_, unchanged) = call(&demo, &writer(NESTOR), Method::GET, &package, None).await;
    assert_eq!(unchanged["displayName"], "Finance reports");

    let (status, body) = call(&demo, &writer(NESTOR), Method::PATCH, &package, rename()).await;
    assert_eq!((status, &body), (204, &Value::Null));
    let (_, changed) = call(&demo, &writer(NESTOR), Method::GET, &package, None).await;
    assert_eq!(changed["displayName"], "Finance reports (quarterly)");
    assert_eq!(changed["description"], unchanged["description"]);
    assert_ne!(changed["modifiedDateTime"], Value::Null);

    // Taking Nestor's role away takes his right to manage the catalog's packages.
    let filter = format!("?$filter=principalId%20eq%20%27{NESTOR}%27");
    let (_, held) = call(
        &demo,
        &administrator(),
        Method::GET,
        &format!("{ROLE_ASSIGNMENTS}{filter}"),
        None,
    )
    .await;
    let assignment = held["value"][0]["id"].as_str().unwrap();
    let (status, _) = call(
        &demo,
        &administrator(),
        Method::DELETE,
        &format!("{ROLE_ASSIGNMENTS}/{assignment}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(&demo, &writer(NESTOR), Method::PATCH, &package, rename()).await;
    assert_eq!(status, 403);
    // And the catalog's owner role given back restores it.
    let (status, body) = call(
        &demo,
        &administrator(),
        Method::POST,
        ROLE_ASSIGNMENTS,
        Some(json!({
            "principalId": NESTOR.to_string(),
            "roleDefinitionId": "ae79f266-94d4-4dab-b730-feca7e132178",
            "appScopeId": format!("/AccessPackageCatalog/{CATALOG_GENERAL}")
        })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = call(&demo, &writer(NESTOR), Method::PATCH, &package, rename()).await;
    assert_eq!(status, 204);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delete_keeps_what_still_depends_on_the_object() {
    let demo = Demo::start().await;
    let admin = administrator();
    let delete = |path: String| {
        let admin = admin.clone();
        let demo = &demo;
        async move { call(demo, &admin, Method::DELETE, &path, None).await }
    };
    let (status, body) = delete(format!("{MANAGEMENT}/catalogs/{CATALOG_GENERAL}")).await;
    assert_eq!((status, error_code(&body)), (409, "actionNotAllowed"));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("access packages"),
        "{body}"
    );
    // Sales tools has delivered assignments, made under its direct policy.
    let (status, _) = delete(format!("{MANAGEMENT}/accessPackages/{PACKAGE_SALES_TOOLS}")).await;
    assert_eq!(status, 409);
    let (status, _) = delete(format!("{MANAGEMENT}/assignmentPolicies/{POLICY_DIRECT}")).await;
    assert_eq!(status, 409);
    let (_, package) = call(
        &demo,
        &admin,
        Method::GET,
        &format!("{MANAGEMENT}/accessPackages/{PACKAGE_SALES_TOOLS}?$expand=assignmentPolicies"),
        None,
    )
    .await;
    assert!(
        package["assignmentPolicies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|policy| policy["id"] == POLICY_DIRECT),
        "nothing was deleted"
    );

    let (status, _) = delete(format!("{MANAGEMENT}/catalogs/{CATALOG_ARCHIVE}")).await;
    assert_eq!(status, 204);
    let (status, _) = delete(format!("{MANAGEMENT}/catalogs/{CATALOG_ARCHIVE}")).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_body_is_refused_and_changes_nothing() {
    let demo = Demo::start().await;
    let admin = administrator();
    let package = format!("{MANAGEMENT}/accessPackages/{PACKAGE_FINANCE_REPORTS}");
    for (body, code) in [
        (json!({"nickname": "x"}), "RequestBodyRead"),
        (json!({"displayName": 7}), "invalidRequest"),
        (json!({"id": CATALOG_GENERAL}), "invalidRequest"),
        (
            json!({"catalog": {"id": CATALOG_ARCHIVE}}),
            "invalidRequest",
        ),
    ] {
        let (status, answer) = call(&demo, &admin, Method::PATCH, &package, Some(body)).await;
        assert_eq!((status, error_code(&answer)), (400, code), "{answer}");
    }
    let (status, answer) = call(
        &demo,
        &admin,
        Method::POST,
        &format!("{MANAGEMENT}/accessPackages"),
        Some(json!({"displayName": "Orphan", "catalog": {"id": "nowhere"}})),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = call(
        &demo,
        &admin,
        Method::PUT,
        &format!("{MANAGEMENT}/assignmentPolicies/{POLICY_DIRECT}"),
        Some(json!({"displayName": "Direct", "requestApprovalSettings": {"stages": "none"}})),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    let (status, _) = call(
        &demo,
        &admin,
        Method::PUT,
        &package,
        Some(json!({"displayName": "x"})),
    )
    .await;
    assert_eq!(status, 405, "packages are patched, not put");
    let (_, unchanged) = call(&demo, &admin, Method::GET, &package, None).await;
    assert_eq!(unchanged["displayName"], "Finance reports");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_made_by_one_server_is_read_by_another_on_the_same_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("entitle.db");
    let first = Demo::start_on(db.clone(), tempfile::tempdir().unwrap()).await;
    let second = Demo::start_on(db, tempfile::tempdir().unwrap()).await;
    let admin = administrator();
    let (status, package) = call(
        &first,
        &admin,
        Method::POST,
        &format!("{MANAGEMENT}/accessPackages"),
        Some(json!({"displayName": "Shared", "catalog": {"id": CATALOG_GENERAL}})),
    )
    .await;
    assert_eq!(status, 201);
    let path = format!(
        "{MANAGEMENT}/accessPackages/{}",
        package["id"].as_str().unwrap()
    );
    let (status, read) = call(&second, &admin, Method::GET, &path, None).await;
    assert_eq!((status, &read["displayName"]), (200, &json!("Shared")));
    drop(dir);
}
