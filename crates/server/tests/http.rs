//! The Graph surface over real HTTP: a server on `127.0.0.1` over a SQLite file, called with reqwest
//! and demo tokens, under `/v1.0` and `/beta` (both beta collection names). Covers create, get, list,
//! `filterByCurrentUser`, cancel (including 100 concurrent cancels), reprocess, delete, the control
//! API and virtual clock, the error envelope, health and metrics. Time moves only through the control
//! API; nothing sleeps.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{
    ALICE, ALTERNATE, APIS, APPROVAL, CALLOUT, CAROL, DIRECT, MANAGER, PACKAGE, READ_WRITE_ALL,
    START_TEXT, SUBJECT_ACCESS, TestServer, Who, alice, app, approver, bob, carol, collections,
    create_body, expect_error, expect_json, management, manager, personal, reader, requests,
};
use entitle_core::{ApiVersion, SubjectId};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// A well-formed request id that no request has.
const UNKNOWN_ID: &str = "00000000-0000-4000-8000-00000000dead";
/// `Prefer: include-unknown-enum-members`.
const INCLUDE_UNKNOWN: &str = "include-unknown-enum-members";

/// The ids of a collection page, in order.
fn ids(page: &Value) -> Vec<String> {
    page["value"]
        .as_array()
        .expect("a collection")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// The property names of an object.
/// The property names of `object`, without its `@odata.*` annotations.
fn keys(object: &Value) -> BTreeSet<String> {
    let object = object.as_object().expect("an object");
    if let Some(context) = object.get("@odata.context") {
        assert!(
            context
                .as_str()
                .is_some_and(|text| text.contains("/$metadata#")),
            "{context}"
        );
    }
    object
        .keys()
        .filter(|name| !name.starts_with('@'))
        .cloned()
        .collect()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|&name| name.to_owned()).collect()
}

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Asserts `200 OK` with an empty body: what `cancel` answers.
async fn expect_empty_ok(response: Response) {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "body: {text}");
    assert_eq!(text, "", "cancel answers with no body");
}

/// The state and status properties of `api`.
const fn state_names(api: ApiVersion) -> (&'static str, &'static str) {
    match api {
        ApiVersion::V1 => ("state", "status"),
        ApiVersion::Beta => ("requestState", "requestStatus"),
    }
}

/// `GET {collection}/{id}` as the reader.
async fn read(server: &TestServer, collection: &str, id: &str) -> Value {
    server
        .get_json(&format!("{collection}/{id}"), &reader())
        .await
}

/// Follows `@odata.nextLink` from `first` to the end; returns every id and the page sizes.
async fn follow(server: &TestServer, first: &str, token: &str) -> (Vec<String>, Vec<usize>) {
    let mut all = Vec::new();
    let mut sizes = Vec::new();
    let mut page = server.get_json(first, token).await;
    loop {
        let page_ids = ids(&page);
        sizes.push(page_ids.len());
        all.extend(page_ids);
        let Some(link) = page["@odata.nextLink"].as_str() else {
            break;
        };
        assert!(link.starts_with(&server.base), "absolute link: {link}");
        let response = server
            .client
            .get(link)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        page = expect_json(response, StatusCode::OK).await;
    }
    (all, sizes)
}

// ---------------------------------------------------------------------------------------------
// Create

#[tokio::test(flavor = "multi_thread")]
async fn create_answers_201_accepted_then_the_policy_decides() {
    let server = TestServer::start().await;
    let cases = [
        (DIRECT, "Delivering", "delivering", "Delivering"),
        (
            APPROVAL,
            "PendingApproval",
            "pendingApproval",
            "PendingApproval",
        ),
        (CALLOUT, "WaitingForCallback", "submitted", "Submitted"),
    ];
    for api in APIS {
        for collection in collections(api) {
            for (policy, status, v1_state, beta_state) in cases {
                let response = server
                    .call(Method::POST, &collection, Some(&alice()))
                    .json(&create_body(api, policy))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    header(&response, "content-type").as_deref(),
                    Some("application/json")
                );
                let created = expect_json(response, StatusCode::CREATED).await;
                let id = created["id"].as_str().unwrap().to_owned();
                // Graph's create answers show no creation time yet (D23).
                assert_eq!(created["createdDateTime"], Value::Null);
                assert_eq!(created["justification"], "needed for the quarter");
                // No schedule was asked: Graph's examples show `notSpecified`.
                assert_eq!(created["schedule"]["expiration"]["type"], "notSpecified");
                match api {
                    ApiVersion::V1 => {
                        assert_eq!(created["requestType"], "userAdd");
                        assert_eq!(created["state"], "submitted");
                        assert_eq!(created["status"], "Accepted");
                        assert_eq!(created["completedDateTime"], Value::Null);
                        assert!(created.get("completedDateTime").is_some());
                        assert!(created.get("requestStatus").is_none());
                    }
                    ApiVersion::Beta => {
                        // Beta spells `requestType` as its path does (D20).
                        let spelled = if collection.ends_with("/assignmentRequests") {
                            "userAdd"
                        } else {
                            "UserAdd"
                        };
                        assert_eq!(created["requestType"], spelled);
                        assert_eq!(created["requestState"], "Submitted");
                        assert_eq!(created["requestStatus"], "Accepted");
                        assert_eq!(created["completedDate"], Value::Null);
                        assert!(created.get("completedDate").is_some());
                        assert_eq!(created["isValidationOnly"], false);
                        assert!(created.get("status").is_none());
                        assert!(created.get("completedDateTime").is_none());
                    }
                }
                // The requestor reads their own request: the policy has decided its status.
                let got = server
                    .get_json(&format!("{collection}/{id}"), &alice())
                    .await;
                let (state, status_name) = state_names(api);
                assert_eq!(got[status_name], status, "{policy} in {api:?}");
                let expected_state = match api {
                    ApiVersion::V1 => v1_state,
                    ApiVersion::Beta => beta_state,
                };
                assert_eq!(got[state], expected_state, "{policy} in {api:?}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn create_refuses_malformed_or_unknown_input() {
    let server = TestServer::start().await;
    for api in APIS {
        let path = requests(api);
        let assignment = match api {
            ApiVersion::V1 => "assignment",
            ApiVersion::Beta => "accessPackageAssignment",
        };
        let invalid = [
            json!({ "requestType": "userAdd" }),
            json!({ "requestType": "userAdd", assignment: {} }),
            json!({ "requestType": "userAdd", assignment: { "assignmentPolicyId": "policy-nope" } }),
            json!({ "requestType": "userExtend", assignment: { "assignmentPolicyId": DIRECT } }),
            json!({ "requestType": "unknownFutureValue", assignment: { "assignmentPolicyId": DIRECT } }),
            json!({ assignment: { "assignmentPolicyId": DIRECT } }),
            json!({
                "requestType": "userAdd",
                assignment: { "assignmentPolicyId": DIRECT, "accessPackageId": "package-other" },
            }),
            json!({
                "requestType": "userAdd",
                assignment: { "assignmentPolicyId": DIRECT, "targetId": "not-a-guid" },
            }),
            json!({
                "requestType": "userAdd",
                assignment: { "assignmentPolicyId": DIRECT },
                "schedule": { "startDateTime": "tomorrow" },
            }),
            // Objects given as arrays are not read by position.
            json!(["userAdd", { "assignmentPolicyId": DIRECT }]),
            json!({ "requestType": "userAdd", assignment: [null, DIRECT] }),
            json!({
                "requestType": "userAdd",
                assignment: { "assignmentPolicyId": DIRECT },
                "schedule": [null, null],
            }),
            json!({
                "requestType": "userAdd",
                assignment: { "assignmentPolicyId": DIRECT },
                "schedule": { "expiration": ["2026-02-01T00:00:00Z"] },
            }),
        ];
        for body in invalid {
            let response = server.post_request(api, &alice(), &body).await;
            expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
        }
        let unknown = json!({ "requestType": "userAdd", assignment: { "assignmentPolicyId": "policy-nope" } });
        let error = expect_error(
            server.post_request(api, &alice(), &unknown).await,
            StatusCode::BAD_REQUEST,
            "invalidRequest",
        )
        .await;
        assert!(error["message"].as_str().unwrap().contains("policy-nope"));

        let text = create_body(api, DIRECT).to_string();
        for content_type in [Some("text/plain"), Some("application/xml"), None] {
            let mut builder = server
                .call(Method::POST, &path, Some(&alice()))
                .body(text.clone());
            if let Some(content_type) = content_type {
                builder = builder.header("content-type", content_type);
            }
            let response = builder.send().await.unwrap();
            expect_error(
                response,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupportedMediaType",
            )
            .await;
        }
        for malformed in ["{\"requestType\":", "[]", "", "null"] {
            let response = server
                .call(Method::POST, &path, Some(&alice()))
                .header("content-type", "application/json; charset=utf-8")
                .body(malformed)
                .send()
                .await
                .unwrap();
            expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
        }
    }
    // Nothing was created.
    let all = server.get_json(&requests(ApiVersion::V1), &reader()).await;
    assert_eq!(ids(&all), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_given_as_arrays_are_refused() {
    let server = TestServer::start().await;
    let id = server.create_request(&alice(), APPROVAL).await;
    let approvals =
        "/v1.0/identityGovernance/entitlementManagement/accessPackageAssignmentApprovals";
    let stages = server
        .get_json(&format!("{approvals}/{id}/stages"), &approver())
        .await;
    let stage = stages["value"][0]["id"].as_str().unwrap().to_owned();
    for (method, path, token, body) in [
        (
            Method::POST,
            format!("{}/{id}/cancel", requests(ApiVersion::Beta)),
            Some(alice()),
            json!([id, "cancelled"]),
        ),
        (
            Method::PATCH,
            format!("{approvals}/{id}/stages/{stage}"),
            Some(approver()),
            json!(["Approve", "fine"]),
        ),
        (
            Method::POST,
            format!("/_entitle/requests/{id}/events"),
            None,
            json!(["escalate"]),
        ),
        (
            Method::POST,
            "/_entitle/clock".to_owned(),
            None,
            json!([30]),
        ),
    ] {
        let response = server
            .call(method.clone(), &path, token.as_deref())
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
    }
    assert_eq!(server.status(&id).await, "PendingApproval");
    let clock = server.get_json("/_entitle/clock", "").await;
    assert_eq!(clock["now"], START_TEXT);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_filter_by_current_user_function_answers_get_only() {
    let server = TestServer::start().await;
    let id = server.create_request(&alice(), APPROVAL).await;
    for collection in collections(ApiVersion::Beta)
        .into_iter()
        .chain(collections(ApiVersion::V1))
    {
        for method in [Method::DELETE, Method::PUT, Method::OPTIONS, Method::TRACE] {
            let response = server
                .call(
                    method.clone(),
                    &format!("{collection}/filterByCurrentUser(on='target')"),
                    Some(&manager()),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(
                header(&response, "allow").as_deref(),
                Some("GET,HEAD"),
                "{method}"
            );
            expect_error(response, StatusCode::METHOD_NOT_ALLOWED, "notSupported").await;
        }
        // A request at the same path shape still allows its own methods.
        let response = server
            .call(Method::PUT, &format!("{collection}/{id}"), Some(&manager()))
            .send()
            .await
            .unwrap();
        assert_eq!(
            header(&response, "allow").as_deref(),
            Some("GET,HEAD,DELETE")
        );
        expect_error(response, StatusCode::METHOD_NOT_ALLOWED, "notSupported").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn approver_remove_needs_the_enum_opt_in_in_v1() {
    let server = TestServer::start().await;
    let body =
        |kind: &str| json!({ "requestType": kind, "assignment": { "assignmentPolicyId": DIRECT } });
    // Without the preference, v1.0 does not know the member past the sentinel.
    let error = expect_error(
        server
            .post_request(ApiVersion::V1, &alice(), &body("approverRemove"))
            .await,
        StatusCode::BAD_REQUEST,
        "invalidRequest",
    )
    .await;
    assert_eq!(error["message"], "unknown request type `approverRemove`");
    // With it the member is known: a removal that names no assignment is refused by the core.
    let response = server
        .call(Method::POST, &requests(ApiVersion::V1), Some(&alice()))
        .header("prefer", INCLUDE_UNKNOWN)
        .json(&body("approverRemove"))
        .send()
        .await
        .unwrap();
    let error = expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
    assert_eq!(
        error["message"],
        "a `approverRemove` request needs the id of the assignment it concerns"
    );
    // Beta's requestType is a plain string: no opt-in needed to name it.
    let error = expect_error(
        server
            .post_request(ApiVersion::Beta, &alice(), &body("ApproverRemove"))
            .await,
        StatusCode::BAD_REQUEST,
        "invalidRequest",
    )
    .await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("needs the id of the assignment"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn create_checks_who_may_ask_for_whom() {
    let server = TestServer::start().await;
    // An administrator with ReadWrite.All assigns another user directly.
    let admin_add = json!({
        "requestType": "adminAdd",
        "assignment": { "targetId": ALICE.to_string(), "assignmentPolicyId": DIRECT },
    });
    let created = expect_json(
        server
            .post_request(ApiVersion::V1, &manager(), &admin_add)
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["requestType"], "adminAdd");
    let beta = read(
        &server,
        &requests(ApiVersion::Beta),
        created["id"].as_str().unwrap(),
    )
    .await;
    // Beta spells `requestType` as its path does (D20).
    assert_eq!(beta["requestType"], "adminAdd");
    let retiring = read(
        &server,
        &format!(
            "{}/accessPackageAssignmentRequests",
            management(ApiVersion::Beta)
        ),
        created["id"].as_str().unwrap(),
    )
    .await;
    assert_eq!(retiring["requestType"], "AdminAdd");
    // SubjectAccess only covers the caller's own assignment; personal accounts never create.
    let for_carol = json!({
        "requestType": "userAdd",
        "assignment": { "targetId": CAROL.to_string(), "assignmentPolicyId": DIRECT },
    });
    let response = server
        .post_request(ApiVersion::V1, &alice(), &for_carol)
        .await;
    expect_error(response, StatusCode::FORBIDDEN, "accessDenied").await;
    for body in [admin_add.clone(), create_body(ApiVersion::V1, DIRECT)] {
        let response = server
            .post_request(ApiVersion::V1, &personal(), &body)
            .await;
        expect_error(response, StatusCode::FORBIDDEN, "accessDenied").await;
    }
    // `adminAdd` needs an administrator role, not just a permission: the requestor cannot assign
    // herself directly, nor can a ReadWrite.All user without a role in the catalog.
    for token in [alice(), bob()] {
        let response = server
            .post_request(ApiVersion::V1, &token, &admin_add)
            .await;
        expect_error(response, StatusCode::FORBIDDEN, "accessDenied").await;
    }
    // `userAdd` is always for the caller, whatever the caller's permissions; applications use
    // `adminAdd`.
    let response = server
        .post_request(ApiVersion::V1, &manager(), &for_carol)
        .await;
    expect_error(response, StatusCode::FORBIDDEN, "accessDenied").await;
    let response = server
        .post_request(ApiVersion::V1, &app(), &admin_add)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

// ---------------------------------------------------------------------------------------------
// Get

#[tokio::test(flavor = "multi_thread")]
async fn get_selects_only_the_named_properties() {
    let server = TestServer::start().await;
    let id = server.create_request(&alice(), APPROVAL).await;
    for api in APIS {
        let (state, status) = state_names(api);
        for collection in collections(api) {
            let path = format!("{collection}/{id}?$select=id,{status}");
            let body = server.get_json(&path, &reader()).await;
            assert_eq!(keys(&body), names(&["id", status]), "{path}");
            assert_eq!(body[status], "PendingApproval");
            let path = format!("{collection}/{id}?$select={state},createdDateTime");
            let body = server.get_json(&path, &reader()).await;
            assert_eq!(keys(&body), names(&[state, "createdDateTime"]), "{path}");
            let response = server
                .get(&format!("{collection}/{id}?$select=secret"), &reader())
                .await;
            expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
        }
    }
    // The other version's property names are not selectable.
    let response = server
        .get(
            &format!("{}/{id}?$select=requestStatus", requests(ApiVersion::V1)),
            &reader(),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn get_expands_nested_navigation_and_selects_inside() {
    let server = TestServer::start().await;
    let id = server.create_request(&alice(), APPROVAL).await;
    for (api, expand) in [
        (
            ApiVersion::V1,
            "requestor($select=objectId;$expand=connectedOrganization),assignment($expand=target,accessPackage,assignmentPolicy)",
        ),
        (
            ApiVersion::Beta,
            "requestor($expand=connectedOrganization),accessPackageAssignment($select=id,targetId;$expand=target,accessPackageAssignmentPolicy)",
        ),
    ] {
        let body = server
            .get_json(
                &format!("{}/{id}?$expand={expand}", requests(api)),
                &reader(),
            )
            .await;
        assert!(
            body["requestor"]["connectedOrganization"].is_null(),
            "{body}"
        );
        let assignment = match api {
            ApiVersion::V1 => {
                assert_eq!(
                    keys(&body["requestor"]),
                    names(&["objectId", "connectedOrganization"])
                );
                assert_eq!(body["assignment"]["accessPackage"]["displayName"], "Sales");
                assert_eq!(body["assignment"]["assignmentPolicy"]["id"], APPROVAL);
                &body["assignment"]
            }
            ApiVersion::Beta => {
                assert_eq!(
                    keys(&body["accessPackageAssignment"]),
                    names(&["id", "targetId", "target", "accessPackageAssignmentPolicy"])
                );
                &body["accessPackageAssignment"]
            }
        };
        assert_eq!(assignment["target"]["objectId"], ALICE.to_string());
        assert_eq!(assignment["target"]["displayName"], "Alice");
    }
    for bad in [
        "requestor($expand=manager)",
        "requestor($select=userPrincipalName)",
        "requestor($top=1)",
        "requestor($expand=connectedOrganization",
        "requestor,requestor",
        "assignment($expand=accessPackageAssignmentPolicy)",
    ] {
        let response = server
            .call(
                Method::GET,
                &format!("{}/{id}", requests(ApiVersion::V1)),
                Some(&reader()),
            )
            .query(&[("$expand", bad)])
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn get_expands_requestor_package_and_assignment() {
    let server = TestServer::start().await;
    let id = server.create_request(&alice(), APPROVAL).await;
    for api in APIS {
        let assignment = match api {
            ApiVersion::V1 => "assignment",
            ApiVersion::Beta => "accessPackageAssignment",
        };
        for collection in collections(api) {
            let path = format!("{collection}/{id}?$expand=requestor,accessPackage,{assignment}");
            let body = server.get_json(&path, &reader()).await;
            // An `accessPackageSubject`, as Graph shows a requestor.
            let requestor = &body["requestor"];
            assert_eq!(requestor["id"], ALICE.to_string());
            assert_eq!(requestor["objectId"], ALICE.to_string());
            assert_eq!(requestor["displayName"], "Alice");
            assert_eq!(requestor["principalName"], "alice@contoso.test");
            assert_eq!(requestor["email"], "alice@contoso.test");
            match api {
                ApiVersion::V1 => assert_eq!(requestor["subjectType"], "user"),
                ApiVersion::Beta => assert_eq!(requestor["type"], "User"),
            }
            assert_eq!(body["accessPackage"]["id"], PACKAGE);
            assert_eq!(body["accessPackage"]["displayName"], "Sales");
            // v1.0's assignment names its placement through navigation properties, beta's by ids.
            match api {
                ApiVersion::V1 => {
                    assert!(body[assignment].get("targetId").is_none());
                    let nested = server
                        .get_json(
                            &format!(
                                "{collection}/{id}?$expand=assignment($expand=target,accessPackage,assignmentPolicy)"
                            ),
                            &reader(),
                        )
                        .await;
                    assert_eq!(nested[assignment]["target"]["objectId"], ALICE.to_string());
                    assert_eq!(nested[assignment]["accessPackage"]["id"], PACKAGE);
                    assert_eq!(nested[assignment]["assignmentPolicy"]["id"], APPROVAL);
                }
                ApiVersion::Beta => {
                    assert_eq!(body[assignment]["targetId"], ALICE.to_string());
                    assert_eq!(body[assignment]["accessPackageId"], PACKAGE);
                    assert_eq!(body[assignment]["assignmentPolicyId"], APPROVAL);
                    assert_eq!(body[assignment]["catalogId"], common::CATALOG);
                }
            }
            // Without $expand, no navigation property is shown.
            let plain = read(&server, &collection, &id).await;
            for navigation in ["requestor", "accessPackage", assignment] {
                assert!(plain.get(navigation).is_none(), "{navigation}");
            }
            // Expanded properties come with a $select, as OData returns them.
            let path = format!("{collection}/{id}?$select=id&$expand=requestor");
            let body = server.get_json(&path, &reader()).await;
            assert_eq!(keys(&body), names(&["id", "requestor"]), "{path}");
        }
    }
    // Each version expands its own name for the assignment.
    for (api, wrong) in [
        (ApiVersion::V1, "accessPackageAssignment"),
        (ApiVersion::Beta, "assignment"),
        (ApiVersion::V1, "history"),
    ] {
        let path = format!("{}/{id}?$expand={wrong}", requests(api));
        let response = server.get(&path, &reader()).await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn get_applies_the_enum_preference_and_checks_access() {
    let server = TestServer::start().await;
    let id = server.create_request(&alice(), APPROVAL).await;
    for api in APIS {
        for collection in collections(api) {
            let path = format!("{collection}/{id}");
            let plain = server.get(&path, &reader()).await;
            assert_eq!(plain.status(), StatusCode::OK);
            assert_eq!(header(&plain, "preference-applied"), None);
            let opted = server
                .call(Method::GET, &path, Some(&reader()))
                .header("prefer", INCLUDE_UNKNOWN)
                .send()
                .await
                .unwrap();
            assert_eq!(opted.status(), StatusCode::OK);
            assert_eq!(
                header(&opted, "preference-applied").as_deref(),
                Some(INCLUDE_UNKNOWN)
            );
            // Someone else's request needs Read.All.
            let response = server.get(&path, &carol()).await;
            expect_error(response, StatusCode::FORBIDDEN, "accessDenied").await;
            let response = server
                .get(&format!("{collection}/{UNKNOWN_ID}"), &reader())
                .await;
            expect_error(response, StatusCode::NOT_FOUND, "itemNotFound").await;
            let response = server
                .get(&format!("{collection}/not-a-guid"), &reader())
                .await;
            expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// List

/// Requests in five statuses: (pending, delivering, waiting, admin-added delivering, canceled).
async fn five_requests(server: &TestServer) -> [String; 5] {
    let pending = server.create_request(&alice(), APPROVAL).await;
    let delivering = server.create_request(&alice(), DIRECT).await;
    let waiting = server.create_request(&carol(), CALLOUT).await;
    let admin_add = json!({
        "requestType": "adminAdd",
        "assignment": { "targetId": ALICE.to_string(), "assignmentPolicyId": DIRECT },
    });
    let created = expect_json(
        server
            .post_request(ApiVersion::V1, &manager(), &admin_add)
            .await,
        StatusCode::CREATED,
    )
    .await;
    let admin = created["id"].as_str().unwrap().to_owned();
    let canceled = server.create_request(&alice(), APPROVAL).await;
    expect_empty_ok(server.cancel(&canceled, &alice()).await).await;
    [pending, delivering, waiting, admin, canceled]
}

async fn list_ids(server: &TestServer, collection: &str, filter: &str) -> Vec<String> {
    let response = server
        .call(Method::GET, collection, Some(&reader()))
        .query(&[("$filter", filter)])
        .send()
        .await
        .unwrap();
    ids(&expect_json(response, StatusCode::OK).await)
}

#[tokio::test(flavor = "multi_thread")]
async fn list_filters_on_state_status_and_request_type() {
    let server = TestServer::start().await;
    let [pending, delivering, waiting, admin, canceled] = five_requests(&server).await;
    let v1 = requests(ApiVersion::V1);
    let all = server.get_json(&v1, &reader()).await;
    assert_eq!(
        ids(&all),
        [&pending, &delivering, &waiting, &admin, &canceled].map(String::clone)
    );
    assert_eq!(all["value"][0]["status"], "PendingApproval");
    let v1_cases: [(&str, Vec<&String>); 7] = [
        ("state eq 'pendingApproval'", vec![&pending]),
        ("status eq 'Delivering'", vec![&delivering, &admin]),
        ("requestType eq 'adminAdd'", vec![&admin]),
        (
            "state eq 'delivering' and requestType eq 'userAdd'",
            vec![&delivering],
        ),
        ("state eq 'canceled'", vec![&canceled]),
        ("state eq 'submitted'", vec![&waiting]),
        ("status eq 'Delivered'", vec![]),
    ];
    // The whole grammar: parentheses, `or`, `not`, `ne`, `in`, navigation paths, date-times.
    let others = |excluded: &[&String]| -> Vec<String> {
        all["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|request| request["id"].as_str().unwrap().to_owned())
            .filter(|id| !excluded.contains(&id))
            .collect()
    };
    let everyone = others(&[]);
    let grammar: [(String, Vec<String>); 9] = [
        ("(state eq 'pendingApproval')".into(), vec![pending.clone()]),
        (
            "state eq 'canceled' or (requestType eq 'adminAdd')".into(),
            vec![canceled.clone(), admin.clone()],
        ),
        (
            "not (status eq 'Delivering')".into(),
            others(&[&delivering, &admin]),
        ),
        (
            "status ne 'Delivering'".into(),
            others(&[&delivering, &admin]),
        ),
        (
            "status in ('Canceled', 'WaitingForCallback')".into(),
            vec![canceled.clone(), waiting.clone()],
        ),
        (format!("accessPackage/id eq '{PACKAGE}'"), everyone.clone()),
        ("accessPackage/id eq 'elsewhere'".into(), vec![]),
        (
            "createdDateTime ge 2026-01-01T00:00:00Z and completedDateTime eq null".into(),
            others(&[&canceled]),
        ),
        ("createdDateTime lt 2026-01-01T00:00:00Z".into(), vec![]),
    ];
    for (filter, expected) in grammar {
        let mut got = list_ids(&server, &v1, &filter).await;
        let mut expected = expected;
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "{filter}");
    }
    for (filter, expected) in v1_cases {
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(list_ids(&server, &v1, filter).await, expected, "{filter}");
    }
    let beta_cases: [(&str, Vec<&String>); 5] = [
        ("requestState eq 'PendingApproval'", vec![&pending]),
        ("requestStatus eq 'Canceled'", vec![&canceled]),
        ("requestStatus eq 'WaitingForCallback'", vec![&waiting]),
        (
            "requestState eq 'Delivering' and requestType eq 'AdminAdd'",
            vec![&admin],
        ),
        ("requestStatus eq 'Fulfilled'", vec![]),
    ];
    for collection in collections(ApiVersion::Beta) {
        for (filter, expected) in &beta_cases {
            let expected: Vec<String> = expected.iter().map(|id| (*id).clone()).collect();
            assert_eq!(
                list_ids(&server, &collection, filter).await,
                expected,
                "{filter}"
            );
        }
        let page = server.get_json(&collection, &reader()).await;
        assert_eq!(page["value"][0]["requestStatus"], "PendingApproval");
        assert!(page["value"][0].get("status").is_none());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn list_refuses_bad_options_and_callers_without_read_all() {
    let server = TestServer::start().await;
    server.create_request(&alice(), DIRECT).await;
    let bad = [
        (ApiVersion::V1, "$filter", "status has 'Delivering'"),
        (ApiVersion::V1, "$filter", "startswith(status, 'Deliv')"),
        (ApiVersion::V1, "$filter", "(status eq 'Delivering'"),
        (ApiVersion::V1, "$filter", "status eq Delivering"),
        (ApiVersion::V1, "$filter", "owner eq 'x'"),
        (ApiVersion::V1, "$filter", "status eq 'Approved'"),
        (ApiVersion::V1, "$filter", "state eq 'expired'"),
        (ApiVersion::V1, "$filter", "requestState eq 'Delivering'"),
        (ApiVersion::V1, "$filter", "requestType eq 'approverRemove'"),
        (ApiVersion::Beta, "$filter", "status eq 'Delivering'"),
        (ApiVersion::Beta, "$filter", "state eq 'delivering'"),
        (ApiVersion::V1, "$top", "0"),
        (ApiVersion::V1, "$top", "1000"),
        (ApiVersion::V1, "$top", "ten"),
        (ApiVersion::Beta, "$skiptoken", "x"),
        (ApiVersion::V1, "$orderby", "createdDateTime"),
        (ApiVersion::V1, "$count", "true"),
    ];
    for (api, name, value) in bad {
        for collection in collections(api) {
            let response = server
                .call(Method::GET, &collection, Some(&reader()))
                .query(&[(name, value)])
                .send()
                .await
                .unwrap();
            let error = expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
            assert!(error["message"].is_string(), "{name}={value}");
        }
    }
    for api in APIS {
        for collection in collections(api) {
            for token in [alice(), personal()] {
                let response = server.get(&collection, &token).await;
                expect_error(response, StatusCode::FORBIDDEN, "accessDenied").await;
            }
            for token in [reader(), manager(), app()] {
                let page = server.get_json(&collection, &token).await;
                assert_eq!(ids(&page).len(), 1);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn list_pages_through_next_links() {
    let server = TestServer::start().await;
    let mut created = Vec::new();
    let mut pending = Vec::new();
    for n in 0..7 {
        let policy = if n % 3 == 1 { DIRECT } else { APPROVAL };
        let id = server.create_request(&alice(), policy).await;
        if policy == APPROVAL {
            pending.push(id.clone());
        }
        created.push(id);
    }
    for api in APIS {
        let (_, status) = state_names(api);
        for collection in collections(api) {
            let (all, sizes) = follow(&server, &format!("{collection}?$top=3"), &reader()).await;
            assert_eq!(all, created, "{collection}");
            assert_eq!(sizes, vec![3, 3, 1]);
            // Exactly a page's worth: no link to an empty page.
            let (all, sizes) = follow(&server, &format!("{collection}?$top=7"), &reader()).await;
            assert_eq!(all, created);
            assert_eq!(sizes, vec![7]);
            // The filter is carried into the links.
            let first =
                format!("{collection}?$top=2&$filter={status}%20eq%20%27PendingApproval%27");
            let (all, sizes) = follow(&server, &first, &reader()).await;
            assert_eq!(all, pending, "{first}");
            assert_eq!(sizes, vec![2, 2, 1]);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn next_links_keep_select_and_expand() {
    let server = TestServer::start().await;
    for _ in 0..3 {
        server.create_request(&alice(), APPROVAL).await;
    }
    for api in APIS {
        let (_, status) = state_names(api);
        let assignment = match api {
            ApiVersion::V1 => "assignment",
            ApiVersion::Beta => "accessPackageAssignment",
        };
        for collection in collections(api) {
            let first = format!("{collection}?$top=2&$select=id,{status}&$expand={assignment}");
            let mut link = Some(server.url(&first));
            let mut seen = 0;
            while let Some(url) = link {
                let response = server.client.get(&url).bearer_auth(reader()).send().await;
                let page = expect_json(response.unwrap(), StatusCode::OK).await;
                for item in page["value"].as_array().unwrap() {
                    assert_eq!(keys(item), names(&["id", status, assignment]), "{url}");
                    seen += 1;
                }
                link = page["@odata.nextLink"].as_str().map(str::to_owned);
            }
            assert_eq!(seen, 3);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// filterByCurrentUser

#[tokio::test(flavor = "multi_thread")]
async fn filter_by_current_user_on_target_created_by_and_approver() {
    let server = TestServer::start().await;
    let own = server.create_request(&alice(), APPROVAL).await;
    let admin_add = |target: SubjectId, policy: &str| {
        json!({
            "requestType": "adminAdd",
            "assignment": { "targetId": target.to_string(), "assignmentPolicyId": policy },
        })
    };
    let for_alice = expect_json(
        server
            .post_request(ApiVersion::V1, &manager(), &admin_add(ALICE, DIRECT))
            .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let carol_pending = server.create_request(&carol(), APPROVAL).await;
    let _carol_delivering = server.create_request(&carol(), DIRECT).await;
    let for_carol = expect_json(
        server
            .post_request(ApiVersion::V1, &manager(), &admin_add(CAROL, APPROVAL))
            .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let alternate = Who::user(ALTERNATE, &[READ_WRITE_ALL]).token();
    let cases = [
        ("target", alice(), vec![own.clone(), for_alice.clone()]),
        ("createdBy", alice(), vec![own.clone()]),
        ("createdBy", manager(), vec![for_alice, for_carol.clone()]),
        // A direct assignment by an administrator is not approved: only the users' own requests.
        (
            "approver",
            approver(),
            vec![own.clone(), carol_pending.clone()],
        ),
        ("approver", alice(), vec![]),
        ("approver", alternate.clone(), vec![]),
    ];
    for api in APIS {
        for collection in collections(api) {
            for (on, token, expected) in &cases {
                for quoted in [format!("'{on}'"), format!("%27{on}%27")] {
                    let path = format!("{collection}/filterByCurrentUser(on={quoted})");
                    let page = server.get_json(&path, token).await;
                    assert_eq!(&ids(&page), expected, "{path}");
                }
            }
        }
    }
    // Paging keeps the function; $filter narrows it.
    let path = format!(
        "{}/filterByCurrentUser(on='approver')?$top=1",
        requests(ApiVersion::V1)
    );
    let (all, sizes) = follow(&server, &path, &approver()).await;
    assert_eq!(all, vec![own.clone(), carol_pending]);
    assert_eq!(sizes, vec![1, 1]);
    let path = format!(
        "{}/filterByCurrentUser(on='target')?$filter=status%20eq%20%27PendingApproval%27",
        requests(ApiVersion::V1)
    );
    assert_eq!(ids(&server.get_json(&path, &alice()).await), vec![own]);
    // Once escalated, the alternate approver is asked too.
    server.advance_days(3).await;
    let path = format!(
        "{}/filterByCurrentUser(on='approver')",
        requests(ApiVersion::Beta)
    );
    assert_eq!(ids(&server.get_json(&path, &alternate).await).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn filter_by_current_user_refuses_bad_on_and_applications() {
    let server = TestServer::start().await;
    server.create_request(&alice(), APPROVAL).await;
    for api in APIS {
        for collection in collections(api) {
            for segment in [
                "filterByCurrentUser(on='nobody')",
                "filterByCurrentUser(on=%27owner%27)",
                "filterByCurrentUser()",
                "filterByCurrentUser(target)",
            ] {
                let response = server
                    .get(&format!("{collection}/{segment}"), &alice())
                    .await;
                expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
            }
            for token in [app(), personal()] {
                let response = server
                    .get(
                        &format!("{collection}/filterByCurrentUser(on='target')"),
                        &token,
                    )
                    .await;
                expect_error(response, StatusCode::FORBIDDEN, "accessDenied").await;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cancel

/// Every cancel path: v1.0, beta `assignmentRequests`, beta `accessPackageAssignmentRequests`.
fn cancel_collections() -> Vec<(ApiVersion, String)> {
    APIS.into_iter()
        .flat_map(|api| collections(api).into_iter().map(move |c| (api, c)))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_without_a_body_answers_200_with_no_body() {
    let server = TestServer::start().await;
    for (api, collection) in cancel_collections() {
        let id = server.create_request(&alice(), APPROVAL).await;
        let response = server.cancel_at(&collection, &id, &alice()).await;
        assert_eq!(header(&response, "content-length").as_deref(), Some("0"));
        expect_empty_ok(response).await;
        let got = read(&server, &collection, &id).await;
        let (state, status) = state_names(api);
        assert_eq!(got[status], "Canceled", "{collection}");
        let expected_state = match api {
            ApiVersion::V1 => "canceled",
            ApiVersion::Beta => "Canceled",
        };
        assert_eq!(got[state], expected_state);
        let completed = match api {
            ApiVersion::V1 => "completedDateTime",
            ApiVersion::Beta => "completedDate",
        };
        assert_eq!(got[completed], START_TEXT);
        // A second cancel names the status the request is in.
        let response = server.cancel_at(&collection, &id, &alice()).await;
        let error = expect_error(response, StatusCode::CONFLICT, "requestNotCancelable").await;
        assert!(
            error["message"].as_str().unwrap().contains("`Canceled`"),
            "{error}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn beta_cancel_accepts_the_documented_body_and_checks_it() {
    let server = TestServer::start().await;
    for collection in collections(ApiVersion::Beta) {
        for spelling in ["cancelled", "Canceled", "CANCELLED"] {
            let id = server.create_request(&alice(), APPROVAL).await;
            let response = server
                .call(
                    Method::POST,
                    &format!("{collection}/{id}/cancel"),
                    Some(&alice()),
                )
                .json(&json!({ "id": id, "requestStatus": spelling }))
                .send()
                .await
                .unwrap();
            expect_empty_ok(response).await;
            assert_eq!(server.status(&id).await, "Canceled");
        }
        let id = server.create_request(&alice(), APPROVAL).await;
        let refused = [
            json!({ "id": UNKNOWN_ID, "requestStatus": "cancelled" }).to_string(),
            json!({ "id": "request-id", "requestStatus": "cancelled" }).to_string(),
            json!({ "id": id, "requestStatus": "Delivered" }).to_string(),
            json!({ "id": id, "requestStatus": "PendingApproval" }).to_string(),
            "{".to_owned(),
            "[]".to_owned(),
        ];
        for body in refused {
            let response = server
                .call(
                    Method::POST,
                    &format!("{collection}/{id}/cancel"),
                    Some(&alice()),
                )
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
        }
        // A body that is not JSON.
        let response = server
            .call(
                Method::POST,
                &format!("{collection}/{id}/cancel"),
                Some(&alice()),
            )
            .header("content-type", "text/plain")
            .body("cancel please")
            .send()
            .await
            .unwrap();
        expect_error(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupportedMediaType",
        )
        .await;
        assert_eq!(server.status(&id).await, "PendingApproval");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_refuses_requests_past_the_cancelable_statuses() {
    let server = TestServer::start().await;
    let delivering = server.create_request(&alice(), DIRECT).await;
    let delivered = server.create_request(&alice(), DIRECT).await;
    assert_eq!(server.drive(&delivered, "deliver").await, "Delivered");
    let waiting = server.create_request(&alice(), CALLOUT).await;
    for (api, collection) in cancel_collections() {
        for (id, status) in [
            (&delivering, "Delivering"),
            (&delivered, "Delivered"),
            (&waiting, "WaitingForCallback"),
        ] {
            let response = server.cancel_at(&collection, id, &alice()).await;
            let error = expect_error(response, StatusCode::CONFLICT, "requestNotCancelable").await;
            assert_eq!(
                error["message"],
                format!("cannot `cancel` a request whose status is `{status}`"),
                "{api:?}"
            );
        }
        let response = server.cancel_at(&collection, UNKNOWN_ID, &alice()).await;
        expect_error(response, StatusCode::NOT_FOUND, "itemNotFound").await;
        for malformed in [
            "not-a-guid",
            "12345",
            "00000000-0000-0000-0000-00000000000g",
        ] {
            let response = server.cancel_at(&collection, malformed, &alice()).await;
            expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
        }
    }
    assert_eq!(server.status(&delivering).await, "Delivering");
}

/// A copy of `token` whose signature no longer matches.
fn tampered(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let mut signature: Vec<char> = signature.chars().collect();
    let middle = signature.len() / 2;
    signature[middle] = if signature[middle] == 'A' { 'B' } else { 'A' };
    format!("{signed}.{}", signature.into_iter().collect::<String>())
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_needs_a_valid_bearer_token() {
    let server = TestServer::start().await;
    let id = server.create_request(&alice(), APPROVAL).await;
    for (_, collection) in cancel_collections() {
        let path = format!("{collection}/{id}/cancel");
        let anonymous = server.call(Method::POST, &path, None).send().await.unwrap();
        assert_eq!(
            header(&anonymous, "www-authenticate").as_deref(),
            Some("Bearer")
        );
        expect_error(anonymous, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        let expired = entitle_auth::mint_demo(&entitle_auth::TokenRequest {
            oid: ALICE,
            scopes: vec![SUBJECT_ACCESS.to_owned()],
            wids: vec![],
            app: false,
            tenant: None,
            issued_at: 1_000_000_000,
            lifetime_seconds: 3_600,
        })
        .unwrap();
        for (authorization, message) in [
            (
                format!("Bearer {}", tampered(&alice())),
                "token signature is invalid",
            ),
            (format!("Bearer {expired}"), "token expired"),
            (
                "Bearer not.a.jwt".to_owned(),
                "token is not a well-formed jwt",
            ),
            (
                "Basic YWxpY2U6c2VjcmV0".to_owned(),
                "authorization scheme `Basic` is not `Bearer`",
            ),
        ] {
            let response = server
                .call(Method::POST, &path, None)
                .header("authorization", authorization)
                .send()
                .await
                .unwrap();
            assert!(header(&response, "www-authenticate").is_some());
            let error = expect_error(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
            assert_eq!(error["message"], message);
        }
    }
    assert_eq!(server.status(&id).await, "PendingApproval");
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_denials_reveal_nothing_about_the_status() {
    let server = TestServer::start().await;
    let pending = server.create_request(&alice(), APPROVAL).await;
    let canceled = server.create_request(&alice(), APPROVAL).await;
    expect_empty_ok(server.cancel(&canceled, &alice()).await).await;
    let delivering = server.create_request(&alice(), DIRECT).await;
    let delivered = server.create_request(&alice(), DIRECT).await;
    server.drive(&delivered, "deliver").await;
    let requests = [&pending, &canceled, &delivering, &delivered];
    // Bob holds ReadWrite.All and a role in another catalog only; Carol has SubjectAccess only.
    for token in [bob(), carol(), app(), personal()] {
        for (_, collection) in cancel_collections() {
            let mut answers = BTreeSet::new();
            for id in requests {
                let response = server.cancel_at(&collection, id, &token).await;
                let error = expect_error(response, StatusCode::FORBIDDEN, "accessDenied").await;
                answers.insert((error["code"].to_string(), error["message"].to_string()));
            }
            assert_eq!(
                answers.len(),
                1,
                "one answer whatever the status: {answers:?}"
            );
        }
    }
    assert_eq!(server.status(&pending).await, "PendingApproval");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_assignment_manager_cancels_others_requests() {
    let server = TestServer::start().await;
    for (_, collection) in cancel_collections() {
        let id = server.create_request(&alice(), APPROVAL).await;
        expect_empty_ok(server.cancel_at(&collection, &id, &manager()).await).await;
        assert_eq!(server.status(&id).await, "Canceled");
        let history = server.history(&id).await;
        let last = history.last().unwrap();
        assert_eq!(last["by"], MANAGER.to_string());
        assert_eq!(last["rule"]["action"], "cancel");
        assert_eq!(
            last["authority"],
            "administrator: Access package assignment manager"
        );
    }
    // An approver is no administrator: approvers decide, they do not cancel.
    let id = server.create_request(&alice(), APPROVAL).await;
    let response = server.cancel(&id, &approver()).await;
    expect_error(response, StatusCode::FORBIDDEN, "accessDenied").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_concurrent_cancels_cancel_once() {
    let server = TestServer::start().await;
    let id = server.create_request(&alice(), APPROVAL).await;
    let url = server.url(&format!("{}/{id}/cancel", requests(ApiVersion::V1)));
    let token = alice();
    let barrier = Arc::new(tokio::sync::Barrier::new(100));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let client = server.client.clone();
            let (url, token, barrier) = (url.clone(), token.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                let response = client.post(url).bearer_auth(token).send().await.unwrap();
                let status = response.status();
                let body = response.text().await.unwrap();
                (status, body)
            })
        })
        .collect();
    let mut ok = 0;
    let mut conflicts = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            StatusCode::OK => {
                assert_eq!(body, "");
                ok += 1;
            }
            StatusCode::CONFLICT => {
                let body: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(body["error"]["code"], "requestNotCancelable");
                conflicts += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((ok, conflicts), (1, 99));
    let history = server.history(&id).await;
    let cancels = history
        .iter()
        .filter(|entry| entry["rule"]["action"] == "cancel")
        .count();
    assert_eq!(cancels, 1);
    assert_eq!(history.len(), 3, "submitted, process, cancel");
}

// ---------------------------------------------------------------------------------------------
// Reprocess

/// `POST {collection}/{id}/reprocess` as `token`.
async fn reprocess(server: &TestServer, collection: &str, id: &str, token: &str) -> Response {
    server
        .call(
            Method::POST,
            &format!("{collection}/{id}/reprocess"),
            Some(token),
        )
        .send()
        .await
        .unwrap()
}

/// A request whose delivery failed.
async fn failed(server: &TestServer) -> String {
    let id = server.create_request(&alice(), DIRECT).await;
    assert_eq!(server.drive(&id, "failDelivery").await, "DeliveryFailed");
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn reprocess_retries_a_failed_delivery_within_14_days() {
    let server = TestServer::start().await;
    for (_, collection) in cancel_collections() {
        for token in [manager(), app()] {
            let id = failed(&server).await;
            let response = reprocess(&server, &collection, &id, &token).await;
            assert_eq!(response.status(), StatusCode::ACCEPTED, "{collection}");
            assert_eq!(server.status(&id).await, "Delivering");
        }
        // The requestor may not reprocess their own request (D13); nor may a reader.
        let id = failed(&server).await;
        for token in [alice(), reader(), bob()] {
            let response = reprocess(&server, &collection, &id, &token).await;
            expect_error(response, StatusCode::FORBIDDEN, "accessDenied").await;
        }
        let response = reprocess(&server, &collection, UNKNOWN_ID, &manager()).await;
        expect_error(response, StatusCode::NOT_FOUND, "itemNotFound").await;
        let response = reprocess(&server, &collection, "not-a-guid", &manager()).await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
    }
    // A delivered request has nothing to reprocess.
    let delivered = server.create_request(&alice(), DIRECT).await;
    server.drive(&delivered, "deliver").await;
    let response = reprocess(&server, &requests(ApiVersion::V1), &delivered, &manager()).await;
    expect_error(response, StatusCode::CONFLICT, "actionNotAllowed").await;
    // Day 14 is still inside the window; day 15 is not.
    let early = failed(&server).await;
    let late = failed(&server).await;
    server.advance_days(14).await;
    let response = reprocess(&server, &requests(ApiVersion::V1), &early, &manager()).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    server.advance_days(1).await;
    for (_, collection) in cancel_collections() {
        let response = reprocess(&server, &collection, &late, &manager()).await;
        let error = expect_error(response, StatusCode::CONFLICT, "actionNotAllowed").await;
        assert!(
            error["message"].as_str().unwrap().contains("14 days"),
            "{error}"
        );
    }
    assert_eq!(server.status(&late).await, "DeliveryFailed");
}

// ---------------------------------------------------------------------------------------------
// Delete

async fn delete(server: &TestServer, collection: &str, id: &str, token: &str) -> Response {
    server
        .call(Method::DELETE, &format!("{collection}/{id}"), Some(token))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_removes_canceled_and_denied_requests_only() {
    let server = TestServer::start().await;
    for (_, collection) in cancel_collections() {
        let canceled = server.create_request(&alice(), APPROVAL).await;
        expect_empty_ok(server.cancel(&canceled, &alice()).await).await;
        let denied = server.create_request(&alice(), CALLOUT).await;
        assert_eq!(server.drive(&denied, "resumeDeny").await, "Denied");
        for id in [&canceled, &denied] {
            // Without ReadWrite.All, whoever asks.
            for token in [alice(), reader()] {
                let response = delete(&server, &collection, id, &token).await;
                expect_error(response, StatusCode::FORBIDDEN, "accessDenied").await;
            }
            let response = delete(&server, &collection, id, &manager()).await;
            assert_eq!(response.status(), StatusCode::NO_CONTENT, "{collection}");
            assert_eq!(response.text().await.unwrap(), "");
            let response = server.get(&format!("{collection}/{id}"), &reader()).await;
            expect_error(response, StatusCode::NOT_FOUND, "itemNotFound").await;
            let response = delete(&server, &collection, id, &manager()).await;
            expect_error(response, StatusCode::NOT_FOUND, "itemNotFound").await;
            // The history outlives the request.
            let history = server.history(id).await;
            assert_eq!(history.last().unwrap()["event"], "deleted");
        }
        let pending = server.create_request(&alice(), APPROVAL).await;
        let delivered = server.create_request(&alice(), DIRECT).await;
        server.drive(&delivered, "deliver").await;
        for (id, status) in [(&pending, "PendingApproval"), (&delivered, "Delivered")] {
            let response = delete(&server, &collection, id, &manager()).await;
            let error = expect_error(response, StatusCode::CONFLICT, "actionNotAllowed").await;
            assert!(
                error["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("`{status}`")),
                "{error}"
            );
            assert_eq!(server.status(id).await, status);
        }
        let response = delete(&server, &collection, UNKNOWN_ID, &app()).await;
        expect_error(response, StatusCode::NOT_FOUND, "itemNotFound").await;
        let response = delete(&server, &collection, "not-a-guid", &manager()).await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
    }
}

// ---------------------------------------------------------------------------------------------
// Control API

#[tokio::test(flavor = "multi_thread")]
async fn control_events_drive_the_service_side_of_the_lifecycle() {
    let server = TestServer::start().await;
    let delivered = server.create_request(&alice(), DIRECT).await;
    let body = expect_json(server.event(&delivered, "deliver").await, StatusCode::OK).await;
    assert_eq!(body["status"], "Delivered");
    // The summary names the assignment Graph shows for the request.
    let read = server
        .get_json(
            &format!(
                "{}/{delivered}?$expand=assignment",
                requests(ApiVersion::V1)
            ),
            &reader(),
        )
        .await;
    assert_eq!(
        body,
        json!({
            "id": delivered,
            "status": "Delivered",
            "approvalStage": 0,
            "assignment": read["assignment"]["id"],
            "nextDeadline": null,
        })
    );
    let failed = server.create_request(&alice(), DIRECT).await;
    assert_eq!(
        server.drive(&failed, "failDelivery").await,
        "DeliveryFailed"
    );
    let waiting = server.create_request(&alice(), CALLOUT).await;
    assert_eq!(server.drive(&waiting, "resumeContinue").await, "Delivering");
    let pending = server.create_request(&alice(), APPROVAL).await;
    let body = expect_json(
        server.event(&pending, "reachStart").await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(body["error"]["code"], "actionNotAllowed");
    // Events the status does not allow, or not yet.
    for (id, action) in [
        (&pending, "escalate"),
        (&pending, "expire"),
        (&pending, "deliver"),
        (&delivered, "deliver"),
        (&delivered, "failDelivery"),
        (&failed, "resumeContinue"),
    ] {
        let response = server.event(id, action).await;
        expect_error(response, StatusCode::CONFLICT, "actionNotAllowed").await;
    }
    assert_eq!(server.status(&pending).await, "PendingApproval");
    assert_eq!(server.status(&delivered).await, "Delivered");
}

#[tokio::test(flavor = "multi_thread")]
async fn control_events_refuse_unknown_and_client_actions() {
    let server = TestServer::start().await;
    let pending = server.create_request(&alice(), APPROVAL).await;
    // Unknown actions, and client actions that belong to the Graph API.
    for action in ["teleport", "approve", "deny", "cancel", "reprocess", ""] {
        let response = server.event(&pending, action).await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
    }
    let response = server.event(UNKNOWN_ID, "deliver").await;
    expect_error(response, StatusCode::NOT_FOUND, "itemNotFound").await;
    let response = server.event("not-a-guid", "deliver").await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
    let path = format!("/_entitle/requests/{pending}/events");
    let response = server
        .call(Method::POST, &path, None)
        .json(&json!({ "action": "deliver", "extra": 1 }))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
    let response = server
        .call(Method::POST, &path, None)
        .body("action=deliver")
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupportedMediaType",
    )
    .await;
    assert_eq!(server.status(&pending).await, "PendingApproval");
}

#[tokio::test(flavor = "multi_thread")]
async fn history_lists_submitted_then_each_transition() {
    let server = TestServer::start().await;
    let waiting = server.create_request(&alice(), CALLOUT).await;
    assert_eq!(server.drive(&waiting, "resumeContinue").await, "Delivering");
    assert_eq!(server.drive(&waiting, "deliver").await, "Delivered");
    let history = server.history(&waiting).await;
    assert_eq!(history[0]["event"], "submitted");
    assert_eq!(history[0]["status"], "Accepted");
    assert_eq!(history[0]["by"], ALICE.to_string());
    let moves: Vec<String> = history[1..]
        .iter()
        .map(|entry| {
            assert_eq!(entry["event"], "transition");
            let rule = &entry["rule"];
            format!(
                "{} -{}-> {} by {}",
                rule["from"], rule["action"], rule["to"], entry["principal"]
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            r#""Accepted" -"process"-> "WaitingForCallback" by "system""#,
            r#""WaitingForCallback" -"resumeContinue"-> "Delivering" by "application""#,
            r#""Delivering" -"deliver"-> "Delivered" by "system""#,
        ]
    );
    let response = server
        .call(
            Method::GET,
            &format!("/_entitle/requests/{UNKNOWN_ID}/history"),
            None,
        )
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, "itemNotFound").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_clock_fires_escalation_and_expiry_at_their_deadlines() {
    let server = TestServer::start().await;
    let id = server.create_request(&alice(), APPROVAL).await;
    let clock = server.get_json("/_entitle/clock", &reader()).await;
    assert_eq!(clock["now"], START_TEXT);
    assert_eq!(clock["offsetMs"], 0);
    assert_eq!(server.advance_days(2).await["fired"], json!([]));
    let advanced = server.advance_days(1).await;
    assert_eq!(advanced["now"], "2026-01-04T00:00:00.000Z");
    assert_eq!(
        advanced["fired"],
        json!([{ "id": id, "action": "escalate", "at": "2026-01-04T00:00:00.000Z",
                 "status": "PendingApprovalEscalated" }])
    );
    let got = read(&server, &requests(ApiVersion::V1), &id).await;
    assert_eq!(
        (got["state"].clone(), got["status"].clone()),
        (json!("pendingApproval"), json!("PendingApprovalEscalated"))
    );
    let advanced = server.advance_days(11).await;
    assert_eq!(
        advanced["fired"],
        json!([{ "id": id, "action": "expire", "at": "2026-01-15T00:00:00.000Z",
                 "status": "Expired" }])
    );
    let got = read(&server, &requests(ApiVersion::V1), &id).await;
    assert_eq!(got["status"], "Expired");
    assert_eq!(got["state"], "denied");
    assert_eq!(got["completedDateTime"], "2026-01-15T00:00:00.000Z");
    let history = server.history(&id).await;
    let steps: Vec<(Value, Value)> = history
        .iter()
        .map(|entry| {
            let what = entry
                .get("rule")
                .map_or_else(|| entry["event"].clone(), |rule| rule["action"].clone());
            (what, entry["at"].clone())
        })
        .collect();
    let day = 86_400_000_u64;
    let start = common::START.0;
    assert_eq!(
        steps,
        vec![
            (json!("submitted"), json!(start)),
            (json!("process"), json!(start)),
            (json!("escalate"), json!(start + 3 * day)),
            (json!("expire"), json!(start + 14 * day)),
        ]
    );
    // One long advance fires both, each at its own deadline; an escalated request stays cancelable.
    let later = server.create_request(&alice(), APPROVAL).await;
    let cancelable = server.create_request(&carol(), APPROVAL).await;
    let advanced = server.advance_days(4).await;
    assert_eq!(advanced["fired"].as_array().unwrap().len(), 2);
    expect_empty_ok(server.cancel(&cancelable, &carol()).await).await;
    let advanced = server.advance_days(30).await;
    assert_eq!(
        advanced["fired"],
        json!([{ "id": later, "action": "expire", "at": "2026-01-29T00:00:00.000Z",
                 "status": "Expired" }])
    );
    let response = server
        .call(Method::POST, "/_entitle/clock", None)
        .json(&json!({ "weeks": 1 }))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_advance_fires_every_deadline_it_passes_in_order() {
    let server = TestServer::start().await;
    let id = server.create_request(&alice(), APPROVAL).await;
    let advanced = server.advance_days(20).await;
    assert_eq!(
        advanced["fired"],
        json!([
            { "id": id, "action": "escalate", "at": "2026-01-04T00:00:00.000Z",
              "status": "PendingApprovalEscalated" },
            { "id": id, "action": "expire", "at": "2026-01-15T00:00:00.000Z", "status": "Expired" },
        ])
    );
    assert_eq!(advanced["now"], "2026-01-21T00:00:00.000Z");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_clock_cannot_pass_the_year_9999() {
    let server = TestServer::start().await;
    for body in [
        json!({ "days": u64::MAX }),
        json!({ "days": 2_932_897 - 20_454 }),
    ] {
        let response = server
            .call(Method::POST, "/_entitle/clock", None)
            .json(&body)
            .send()
            .await
            .unwrap();
        let error = expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("9999-12-31T23:59:59.999Z"),
            "{error}"
        );
    }
    // Nothing moved; the last millisecond of 9999 is reachable.
    let clock = server.get_json("/_entitle/clock", "").await;
    assert_eq!(clock["now"], START_TEXT);
    let response = server
        .call(Method::POST, "/_entitle/clock", None)
        .json(&json!({ "days": 2_932_896 - 20_454, "hours": 23, "minutes": 59, "seconds": 59 }))
        .send()
        .await
        .unwrap();
    let clock = expect_json(response, StatusCode::OK).await;
    assert_eq!(clock["now"], "9999-12-31T23:59:59.000Z");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scheduled_request_waits_for_its_start() {
    let server = TestServer::start().await;
    let scheduled = |policy: &str| {
        json!({
            "requestType": "userAdd",
            "assignment": { "assignmentPolicyId": policy },
            "schedule": {
                "startDateTime": "2026-01-03T12:00:00Z",
                "expiration": { "type": "afterDateTime", "endDateTime": "2026-02-01T00:00:00Z" },
            },
        })
    };
    let mut ids = Vec::new();
    for _ in 0..2 {
        let response = server
            .post_request(ApiVersion::V1, &alice(), &scheduled(DIRECT))
            .await;
        let created = expect_json(response, StatusCode::CREATED).await;
        assert_eq!(
            created["schedule"]["startDateTime"],
            "2026-01-03T12:00:00.000Z"
        );
        assert_eq!(
            created["schedule"]["expiration"]["endDateTime"],
            "2026-02-01T00:00:00.000Z"
        );
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let got = read(&server, &requests(ApiVersion::Beta), &ids[0]).await;
    assert_eq!(got["requestState"], "Scheduled");
    assert_eq!(got["requestStatus"], "PendingNotBefore");
    // PendingNotBefore is cancelable; the other one starts at its start date.
    expect_empty_ok(server.cancel(&ids[0], &alice()).await).await;
    let advanced = server.advance_days(3).await;
    assert_eq!(
        advanced["fired"],
        json!([{ "id": ids[1], "action": "reachStart", "at": "2026-01-03T12:00:00.000Z",
                 "status": "Delivering" }])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_control_api_can_be_switched_off() {
    let server = TestServer::start_with(false).await;
    let id = server.create_request(&alice(), DIRECT).await;
    let response = server.event(&id, "deliver").await;
    expect_error(response, StatusCode::NOT_FOUND, "itemNotFound").await;
    for path in [
        "/_entitle/clock".to_owned(),
        format!("/_entitle/requests/{id}/history"),
    ] {
        let response = server.call(Method::GET, &path, None).send().await.unwrap();
        expect_error(response, StatusCode::NOT_FOUND, "itemNotFound").await;
    }
    assert_eq!(server.status(&id).await, "Delivering");
}

// ---------------------------------------------------------------------------------------------
// Errors and the envelope

#[tokio::test(flavor = "multi_thread")]
async fn errors_are_graph_envelopes_that_echo_the_client_request_id() {
    let server = TestServer::start().await;
    let path = format!("{}/{UNKNOWN_ID}", requests(ApiVersion::V1));
    let response = server
        .call(Method::GET, &path, Some(&reader()))
        .header("client-request-id", "9f1c2d3e-client")
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&response, "client-request-id").as_deref(),
        Some("9f1c2d3e-client")
    );
    let error = expect_error(response, StatusCode::NOT_FOUND, "itemNotFound").await;
    assert_eq!(error["innerError"]["client-request-id"], "9f1c2d3e-client");
    assert_eq!(error["innerError"]["date"], START_TEXT);
    // Without one, none is made up; every response has its own request-id.
    let first = server.get(&path, &reader()).await;
    let second = server.get(&requests(ApiVersion::V1), &reader()).await;
    assert_eq!(header(&first, "client-request-id"), None);
    assert_ne!(
        header(&first, "request-id").unwrap(),
        header(&second, "request-id").unwrap()
    );
    let error = expect_error(first, StatusCode::NOT_FOUND, "itemNotFound").await;
    assert!(error["innerError"].get("client-request-id").is_none());
    // Successes carry the ids too.
    let success = server
        .call(Method::GET, "/healthz", None)
        .header("client-request-id", "abc")
        .send()
        .await
        .unwrap();
    assert!(header(&success, "request-id").is_some());
    assert_eq!(
        header(&success, "client-request-id").as_deref(),
        Some("abc")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_routes_and_methods_are_enveloped() {
    let server = TestServer::start().await;
    let id = server.create_request(&alice(), APPROVAL).await;
    for path in [
        "/v1.0/nothing".to_owned(),
        "/v2.0/identityGovernance/entitlementManagement/assignmentRequests".to_owned(),
        format!(
            "/v1.0/identityGovernance/entitlementManagement/accessPackageAssignmentRequests/{id}"
        ),
        format!("{}/{id}/approve", requests(ApiVersion::V1)),
        "/".to_owned(),
    ] {
        let response = server.get(&path, &reader()).await;
        expect_error(response, StatusCode::NOT_FOUND, "itemNotFound").await;
    }
    for api in APIS {
        for collection in collections(api) {
            let item = format!("{collection}/{id}");
            let cancel = format!("{item}/cancel");
            for (method, path) in [
                (Method::PUT, item.clone()),
                (Method::PATCH, item.clone()),
                (Method::GET, cancel.clone()),
                (Method::DELETE, cancel),
                (Method::GET, format!("{item}/reprocess")),
                (Method::PUT, collection.clone()),
            ] {
                let response = server
                    .call(method.clone(), &path, Some(&manager()))
                    .send()
                    .await
                    .unwrap();
                assert!(header(&response, "allow").is_some(), "{method} {path}");
                let error =
                    expect_error(response, StatusCode::METHOD_NOT_ALLOWED, "notSupported").await;
                assert!(
                    error["message"]
                        .as_str()
                        .unwrap()
                        .contains(&format!("`{method}`")),
                    "{error}"
                );
            }
        }
    }
    assert_eq!(server.status(&id).await, "PendingApproval");
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_over_64_kib_are_refused() {
    let server = TestServer::start().await;
    let id = server.create_request(&alice(), APPROVAL).await;
    let mut body = create_body(ApiVersion::V1, DIRECT);
    body["justification"] = json!("x".repeat(65 * 1024));
    let response = server.post_request(ApiVersion::V1, &alice(), &body).await;
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payloadTooLarge").await;
    let response = server
        .call(
            Method::POST,
            &format!("{}/{id}/cancel", requests(ApiVersion::Beta)),
            Some(&alice()),
        )
        .json(&json!({ "id": id, "padding": "y".repeat(70 * 1024) }))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payloadTooLarge").await;
    // Just under the limit is fine.
    body["justification"] = json!("x".repeat(60 * 1024));
    let response = server.post_request(ApiVersion::V1, &alice(), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(server.status(&id).await, "PendingApproval");
}

// ---------------------------------------------------------------------------------------------
// Health and metrics

#[tokio::test(flavor = "multi_thread")]
async fn health_readiness_and_metrics() {
    let server = TestServer::start().await;
    for path in ["/healthz", "/readyz"] {
        let response = server.call(Method::GET, path, None).send().await.unwrap();
        expect_json(response, StatusCode::OK).await;
    }
    let id = server.create_request(&alice(), APPROVAL).await;
    expect_empty_ok(server.cancel(&id, &alice()).await).await;
    let response = server.cancel(&id, &alice()).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let response = server
        .call(Method::GET, "/metrics", None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        header(&response, "content-type")
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("entitle_http_responses_total"), "{text}");
    assert!(
        text.contains("entitle_transitions_total{action=\"cancel\""),
        "{text}"
    );
    assert!(
        text.contains(
            "entitle_transitions_total{action=\"cancel\",from=\"PendingApproval\",to=\"Canceled\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "entitle_rejections_total{action=\"cancel\",code=\"requestNotCancelable\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("entitle_http_responses_total{method=\"POST\",code=\"201\"} 1"),
        "{text}"
    );
}
