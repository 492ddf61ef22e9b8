//! The demo tenant over HTTP, as `docs/demo.md` walks through it: `entitle serve --demo` on a frozen
//! clock, demo tokens, the seeded requests, the control API.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

use entitle_auth::IDENTITY_GOVERNANCE_ADMINISTRATOR;
use entitle_core::{RequestStatus, SubjectId};
use entitle_server::demo::{
    self, ADELE, BIANCA, ISAIAH, MEGAN, NESTOR, REQUEST_DELIVERED, REQUEST_DELIVERING,
    REQUEST_PENDING_APPROVAL, REQUEST_PENDING_APPROVAL_ESCALATED, REQUEST_PENDING_NOT_BEFORE,
};
use serde_json::{Value, json};

mod common;

use common::demo::{Demo, REQUESTS, token};

/// The scopes `docs/demo.md` mints for requestors.
const REQUESTOR_SCOPES: &str =
    "EntitlementMgmt-SubjectAccess.ReadWrite EntitlementManagement.Read.All";

#[tokio::test(flavor = "multi_thread")]
async fn the_documented_session() {
    let demo = Demo::start().await;
    let adele = token(ADELE, REQUESTOR_SCOPES, &[]);

    // The list filtered on `PendingApproval` holds Adele's two-stage request.
    let list = demo
        .get_json(
            &adele,
            &format!("{REQUESTS}?$filter=status%20eq%20%27PendingApproval%27"),
        )
        .await;
    let ids: Vec<&str> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [REQUEST_PENDING_APPROVAL.to_string()]);

    // Adele cancels it: 200, and it reads `Canceled`.
    let canceled = demo.cancel(&adele, REQUEST_PENDING_APPROVAL).await;
    assert_eq!(canceled.status(), 200);
    let got = demo
        .get_json(&adele, &format!("{REQUESTS}/{REQUEST_PENDING_APPROVAL}"))
        .await;
    assert_eq!(got["status"], "Canceled");
    assert_eq!(got["state"], "canceled");

    // Her delivered request is not cancelable: 409 with Graph's envelope.
    let refused = demo.cancel(&adele, REQUEST_DELIVERED).await;
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "requestNotCancelable");
    assert_eq!(
        body["error"]["message"],
        "cannot `cancel` a request whose status is `Delivered`"
    );

    // The control API finishes the delivery Megan started for Bianca.
    let delivered = demo
        .control(
            &format!("/_entitle/requests/{REQUEST_DELIVERING}/events"),
            &json!({"action": "deliver"}),
        )
        .await;
    assert_eq!(delivered["status"], "Delivered");

    // Fifteen days later: the scheduled start is reached, the escalated request expires.
    let clock = demo.control("/_entitle/clock", &json!({"days": 15})).await;
    let fired: Vec<(String, String, String)> = clock["fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_owned(),
                f["action"].as_str().unwrap().to_owned(),
                f["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        fired,
        [
            (
                REQUEST_PENDING_NOT_BEFORE.to_string(),
                "reachStart".to_owned(),
                "Delivering".to_owned()
            ),
            (
                REQUEST_PENDING_APPROVAL_ESCALATED.to_string(),
                "expire".to_owned(),
                "Expired".to_owned()
            ),
            (
                demo::REQUEST_GUEST.to_string(),
                "expire".to_owned(),
                "Expired".to_owned()
            ),
        ]
    );
    assert_eq!(clock["now"], "2026-03-17T09:30:00.000Z");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_requestor_cancels_exactly_the_documented_cancelable_requests() {
    let demo = Demo::start().await;
    let directory = demo::directory().unwrap();
    for (status, id) in demo::seeded() {
        let got = demo
            .get_json(
                &token(
                    ISAIAH,
                    "EntitlementManagement.Read.All",
                    &[IDENTITY_GOVERNANCE_ADMINISTRATOR],
                ),
                &format!("{REQUESTS}/{id}?$expand=requestor"),
            )
            .await;
        assert_eq!(got["status"], status.as_str(), "{id}");
        let requestor = SubjectId::parse(got["requestor"]["id"].as_str().unwrap()).unwrap();
        assert!(directory.user(requestor).is_some(), "{id}");
        let response = demo
            .cancel(&token(requestor, REQUESTOR_SCOPES, &[]), id)
            .await;
        let expected = if RequestStatus::DOCUMENTED_CANCELABLE.contains(&status) {
            assert!([ADELE, BIANCA].contains(&requestor), "{id}");
            200
        } else {
            409
        };
        assert_eq!(response.status(), expected, "{status}: {id}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn administrators_hold_their_documented_roles() {
    let demo = Demo::start().await;
    let write = "EntitlementManagement.ReadWrite.All";
    // Bianca cannot cancel Adele's request; Isaiah can only with his `wids`; Megan and Nestor can
    // by their catalog roles.
    let bianca = token(BIANCA, REQUESTOR_SCOPES, &[]);
    assert_eq!(
        demo.cancel(&bianca, demo::REQUEST_PENDING_NOT_BEFORE)
            .await
            .status(),
        403
    );
    let isaiah_without_role = token(ISAIAH, write, &[]);
    assert_eq!(
        demo.cancel(&isaiah_without_role, demo::REQUEST_PENDING_NOT_BEFORE)
            .await
            .status(),
        403
    );
    let isaiah = token(ISAIAH, write, &[IDENTITY_GOVERNANCE_ADMINISTRATOR]);
    assert_eq!(
        demo.cancel(&isaiah, demo::REQUEST_PENDING_NOT_BEFORE)
            .await
            .status(),
        200
    );
    assert_eq!(
        demo.cancel(&token(MEGAN, write, &[]), demo::REQUEST_ACCEPTED)
            .await
            .status(),
        200
    );
    assert_eq!(
        demo.cancel(&token(NESTOR, write, &[]), REQUEST_PENDING_APPROVAL)
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manager_asks_for_a_report_only_where_the_policy_names_managers() {
    let demo = Demo::start().await;
    let ask = |manager: SubjectId, target: SubjectId, policy: &str| {
        let body = json!({
            "requestType": "userAdd",
            "assignment": { "targetId": target.to_string(), "assignmentPolicyId": policy },
        });
        let call = demo
            .client
            .post(demo.url(REQUESTS))
            .bearer_auth(token(manager, REQUESTOR_SCOPES, &[]))
            .json(&body)
            .send();
        async move { call.await.unwrap().status().as_u16() }
    };
    // Adele manages Bianca; Finance reports names managers as on-behalf requestors.
    assert_eq!(ask(ADELE, BIANCA, demo::POLICY_ONE_STAGE).await, 201);
    // Sales tools' direct policy names none.
    assert_eq!(ask(ADELE, BIANCA, demo::POLICY_DIRECT).await, 403);
    // Bianca does not manage Adele; Nestor manages Isaiah, not Bianca.
    assert_eq!(ask(BIANCA, ADELE, demo::POLICY_ONE_STAGE).await, 403);
    assert_eq!(ask(NESTOR, BIANCA, demo::POLICY_TWO_STAGE).await, 403);
    assert_eq!(ask(NESTOR, ISAIAH, demo::POLICY_TWO_STAGE).await, 201);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_administrator_assigns_a_connected_organizations_user_not_yet_in_the_directory() {
    let demo = Demo::start().await;
    let megan = token(MEGAN, "EntitlementManagement.ReadWrite.All", &[]);
    let assign = |email: &str, policy: &str| {
        let body = json!({
            "requestType": "adminAdd",
            "assignment": {
                "target": { "email": email, "displayName": "Pradeep Gupta" },
                "assignmentPolicyId": policy,
            },
        });
        demo.client
            .post(demo.url(REQUESTS))
            .bearer_auth(&megan)
            .json(&body)
            .send()
    };
    let created = assign("Pradeep.Gupta@fabrikam.test", demo::POLICY_DIRECT)
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    let beta = demo
        .get_json(
            &megan,
            &format!(
                "/beta/identityGovernance/entitlementManagement/assignmentRequests/{id}\
                 ?$expand=accessPackageAssignment($expand=target)"
            ),
        )
        .await;
    let target = &beta["accessPackageAssignment"]["target"];
    assert_eq!(target["email"], "Pradeep.Gupta@fabrikam.test");
    assert_eq!(target["displayName"], "Pradeep Gupta");
    assert_eq!(
        target["connectedOrganizationId"],
        demo::ORGANIZATION_FABRIKAM
    );
    assert_eq!(target["type"], "User");
    // The same person, in any case, is the same subject.
    let again: Value = assign("pradeep.gupta@FABRIKAM.test", demo::POLICY_DIRECT)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let again = demo
        .get_json(
            &megan,
            &format!(
                "{REQUESTS}/{}?$expand=assignment($expand=target)",
                again["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(
        again["assignment"]["target"]["objectId"],
        target["objectId"]
    );
    // Finance reports admits its members only (`allMemberUsers`); Sales tools anyone
    // (`allExternalUsers`), whether a connected organization has the domain or not.
    for email in ["pradeep.gupta@fabrikam.test", "someone@example.test"] {
        let refused = assign(email, demo::POLICY_ONE_STAGE).await.unwrap();
        assert_eq!(refused.status(), 400, "{email} under Finance reports");
    }
    let anyone = assign("someone@example.test", demo::POLICY_DIRECT)
        .await
        .unwrap();
    assert_eq!(anyone.status(), 201);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guests_requestor_shows_its_connected_organization() {
    let demo = Demo::start().await;
    let megan = token(MEGAN, "EntitlementManagement.Read.All", &[]);
    let got = demo
        .get_json(
            &megan,
            &format!(
                "{REQUESTS}/{}?$expand=requestor($expand=connectedOrganization)",
                demo::REQUEST_GUEST
            ),
        )
        .await;
    assert_eq!(got["requestor"]["email"], "lee.gu@fabrikam.test");
    assert_eq!(
        got["requestor"]["connectedOrganization"]["displayName"],
        "Fabrikam"
    );
    let adele = demo
        .get_json(
            &megan,
            &format!(
                "{REQUESTS}/{REQUEST_DELIVERED}?$expand=requestor($expand=connectedOrganization)"
            ),
        )
        .await;
    assert!(adele["requestor"]["connectedOrganization"].is_null());
}

const MANAGEMENT: &str = "/v1.0/identityGovernance/entitlementManagement";

/// A policy's questions: v1.0's `text`, `localizations` and `isMultipleSelectionAllowed` under
/// `/v1.0`, beta's localized `text` and `allowsMultipleSelection` under `/beta` (D28).
#[tokio::test]
async fn a_policys_questions_read_in_each_versions_shape() {
    let demo = Demo::start().await;
    let megan = token(MEGAN, "EntitlementManagement.Read.All", &[]);
    let v1 = demo
        .get_json(
            &megan,
            &format!(
                "{MANAGEMENT}/assignmentPolicies/{}?$expand=questions",
                demo::POLICY_ONE_STAGE
            ),
        )
        .await;
    let choice = &v1["questions"][0];
    assert!(choice["text"].is_string(), "{choice}");
    assert_eq!(choice["localizations"][0]["languageCode"], "es");
    assert!(choice["choices"][0]["text"].is_string());
    assert_eq!(choice["isMultipleSelectionAllowed"], false);
    let beta = demo
        .get_json(
            &megan,
            &format!(
                "/beta/identityGovernance/entitlementManagement/accessPackageAssignmentPolicies/{}",
                demo::POLICY_ONE_STAGE
            ),
        )
        .await;
    let choice = &beta["questions"][0];
    assert_eq!(choice["text"]["defaultText"], v1["questions"][0]["text"]);
    assert_eq!(
        choice["choices"][0]["displayValue"]["defaultText"],
        v1["questions"][0]["choices"][0]["text"]
    );
    assert_eq!(choice["allowsMultipleSelection"], false);
}

/// The demo's catalog, packages and policies read as Graph shows them: the tenant document's
/// objects, expanded, filtered and paged.
#[tokio::test]
async fn the_demo_catalog_reads_as_graph_shows_it() {
    let demo = Demo::start().await;
    let megan = token(MEGAN, "EntitlementManagement.Read.All", &[]);
    let catalogs = demo
        .get_json(&megan, &format!("{MANAGEMENT}/catalogs"))
        .await;
    assert_eq!(catalogs["value"].as_array().unwrap().len(), 1);
    assert_eq!(catalogs["value"][0]["displayName"], "General");
    let packages = demo
        .get_json(
            &megan,
            &format!("{MANAGEMENT}/accessPackages?$expand=assignmentPolicies"),
        )
        .await;
    let packages = packages["value"].as_array().unwrap();
    assert_eq!(packages.len(), 3);
    let lab = packages
        .iter()
        .find(|package| package["id"] == demo::PACKAGE_LAB_ACCESS)
        .unwrap();
    assert_eq!(lab["assignmentPolicies"].as_array().unwrap().len(), 2);
    assert!(lab.get("catalog").is_none());

    let filtered = demo
        .get_json(
            &megan,
            &format!("{MANAGEMENT}/accessPackages?$filter=contains(tolower(displayName),'lab')&$expand=catalog"),
        )
        .await;
    assert_eq!(filtered["value"].as_array().unwrap().len(), 1);
    assert_eq!(filtered["value"][0]["catalog"]["id"], demo::CATALOG_GENERAL);

    let first = demo
        .get_json(&megan, &format!("{MANAGEMENT}/assignmentPolicies?$top=3"))
        .await;
    assert_eq!(first["value"].as_array().unwrap().len(), 3);
    let next = first["@odata.nextLink"].as_str().unwrap();
    let rest = demo
        .get_json(&megan, next.strip_prefix(&demo.base).unwrap())
        .await;
    assert_eq!(rest["value"].as_array().unwrap().len(), 1);
    assert!(rest.get("@odata.nextLink").is_none());

    let two_stages = demo
        .get_json(
            &megan,
            &format!(
                "{MANAGEMENT}/assignmentPolicies/{}?$expand=accessPackage",
                demo::POLICY_TWO_STAGE
            ),
        )
        .await;
    assert_eq!(two_stages["accessPackage"]["id"], demo::PACKAGE_LAB_ACCESS);
    let stages = &two_stages["requestApprovalSettings"]["stages"];
    assert_eq!(stages.as_array().unwrap().len(), 2);
    assert_eq!(
        stages[1]["primaryApprovers"][0]["@odata.type"],
        "#microsoft.graph.groupMembers"
    );
}

/// Who reads a catalog's objects is entitle-core's answer: a role in the catalog (or a directory
/// role) with a read permission; without the role a catalog is hidden, without the permission the
/// call is refused.
#[tokio::test]
async fn catalog_reads_are_entitle_cores_decision() {
    let demo = Demo::start().await;
    let status = |path: String, token: String| {
        let request = demo.client.get(demo.url(&path)).bearer_auth(token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let adele = token(ADELE, "EntitlementManagement.Read.All", &[]);
    let hidden = demo
        .get_json(&adele, &format!("{MANAGEMENT}/accessPackages"))
        .await;
    assert_eq!(hidden["value"], json!([]));
    assert_eq!(
        status(
            format!("{MANAGEMENT}/catalogs/{}", demo::CATALOG_GENERAL),
            adele.clone()
        )
        .await,
        403
    );
    let requestor = token(ADELE, "EntitlementMgmt-SubjectAccess.ReadWrite", &[]);
    assert_eq!(
        status(format!("{MANAGEMENT}/catalogs"), requestor).await,
        403
    );
    let isaiah = token(
        ISAIAH,
        "EntitlementManagement.Read.All",
        &[IDENTITY_GOVERNANCE_ADMINISTRATOR],
    );
    let all = demo
        .get_json(&isaiah, &format!("{MANAGEMENT}/assignmentPolicies"))
        .await;
    assert_eq!(all["value"].as_array().unwrap().len(), 4);
    assert_eq!(
        status(format!("{MANAGEMENT}/accessPackages/nope"), isaiah.clone()).await,
        404
    );
    assert_eq!(
        status(
            format!("{MANAGEMENT}/accessPackages?$expand=resources"),
            isaiah.clone()
        )
        .await,
        400
    );
    assert_eq!(
        status(
            format!("{MANAGEMENT}/catalogs?$filter=isExternallyVisible eq true"),
            isaiah
        )
        .await,
        400
    );
}

/// A policy admits whom its `requestorSettings` and `allowedTargetScope` say, as entitle-core
/// decides: Lee, a guest, may ask for lab access (members and guests) but not for the finance
/// reports (members only); nothing is created for a refused request.
#[tokio::test]
async fn policies_admit_whom_their_settings_say() {
    let demo = Demo::start().await;
    let lee = token(demo::LEE, REQUESTOR_SCOPES, &[]);
    let ask = |policy: &str| {
        let body = json!({
            "requestType": "userAdd",
            "assignment": { "targetId": demo::LEE, "assignmentPolicyId": policy },
        });
        demo.client
            .post(demo.url(REQUESTS))
            .bearer_auth(&lee)
            .json(&body)
            .send()
    };
    let refused = ask(demo::POLICY_ONE_STAGE).await.unwrap();
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "accessDenied");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("`allowedTargetScope` `allMemberUsers`"),
        "{message}"
    );
    let mine = demo
        .get_json(
            &lee,
            &format!("{REQUESTS}/filterByCurrentUser(on='target')"),
        )
        .await;
    assert_eq!(
        mine["value"].as_array().unwrap().len(),
        1,
        "only the seeded one"
    );
    let admitted = ask(demo::POLICY_TWO_STAGE).await.unwrap();
    assert_eq!(admitted.status(), 201);
}

/// The catalog's role assignments read as `unifiedRoleAssignment`s: a `$filter` is required, the
/// principal expands, and a caller without a role in the catalog sees none.
#[tokio::test]
async fn role_assignments_read_by_catalog() {
    const ROLES: &str = "/v1.0/roleManagement/entitlementManagement/roleAssignments";
    let demo = Demo::start().await;
    let megan = token(MEGAN, "EntitlementManagement.Read.All", &[]);
    let unfiltered = demo
        .client
        .get(demo.url(ROLES))
        .bearer_auth(&megan)
        .send()
        .await
        .unwrap();
    assert_eq!(unfiltered.status(), 400);
    let by_catalog = format!(
        "{ROLES}?$filter=appScopeId eq '/AccessPackageCatalog/{}'&$expand=principal",
        demo::CATALOG_GENERAL
    );
    let found = demo.get_json(&megan, &by_catalog).await;
    let found = found["value"].as_array().unwrap();
    assert_eq!(found.len(), 2);
    let nestor = found
        .iter()
        .find(|assignment| assignment["principalId"] == NESTOR.to_string())
        .unwrap();
    assert_eq!(
        nestor["roleDefinitionId"],
        "ae79f266-94d4-4dab-b730-feca7e132178"
    );
    assert_eq!(nestor["principal"]["displayName"], "Nestor Wilke");
    let one = demo
        .get_json(
            &megan,
            &format!("{ROLES}/{}", nestor["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(one["principalId"], NESTOR.to_string());
    let adele = token(ADELE, "EntitlementManagement.Read.All", &[]);
    assert_eq!(demo.get_json(&adele, &by_catalog).await["value"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_directory_reads_as_docs_demo_md_shows_it() {
    let demo = Demo::start().await;
    let adele = token(ADELE, "User.Read GroupMember.Read.All", &[]);
    let me = demo.get_json(&adele, "/v1.0/me").await;
    assert_eq!(me["displayName"], "Adele Vance");
    assert_eq!(me["jobTitle"], "Retail Manager");
    let lab = format!("/v1.0/groups/{}/members", demo::GROUP_LAB_APPROVERS);
    // Members show only their type and id unless the token may read users too.
    let limited = demo.get_json(&adele, &lab).await;
    assert_eq!(
        limited["value"],
        json!([{"@odata.type": "#microsoft.graph.user", "id": demo::DIEGO.to_string()}])
    );
    let reader = token(ADELE, "User.ReadBasic.All GroupMember.Read.All", &[]);
    let full = demo.get_json(&reader, &lab).await;
    assert_eq!(full["value"][0]["displayName"], "Diego Siciliani");
    let groups = demo.get_json(&reader, "/beta/groups").await;
    let names: Vec<&str> = groups["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| group["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Lab approvers", "Sales team"]);
    let sales = demo
        .get_json(
            &reader,
            &format!(
                "/v1.0/groups/{}/members?$select=displayName",
                demo::GROUP_SALES_TEAM
            ),
        )
        .await;
    assert_eq!(sales["value"].as_array().unwrap().len(), 3);
    let users = demo
        .get_json(&reader, "/v1.0/users?$filter=startswith(displayName,'a')")
        .await;
    assert_eq!(users["value"].as_array().unwrap().len(), 2);
    let by_name = demo
        .get_json(&reader, "/beta/users/lee.gu@fabrikam.test")
        .await;
    assert_eq!(by_name["id"], demo::LEE.to_string());
}
