//! Request types and the assignments they create, change and remove, over real HTTP: an adding
//! request's delivery creates its assignment, a removal ends it, a schedule's end expires it, and every
//! refusal is entitle-core's, answered as a Graph error.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{
    ALICE, APPROVAL, CAROL, DIRECT, TestServer, alice, approver, carol, expect_error, expect_json,
    manager, reader, requests,
};
use entitle_core::ApiVersion;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// `GET …/assignmentRequests/{id}?$expand=assignment` as the catalog reader.
async fn expanded(server: &TestServer, id: &str) -> Value {
    server
        .get_json(
            &format!(
                "{}/{id}?$expand=assignment($expand=target)",
                requests(ApiVersion::V1)
            ),
            &reader(),
        )
        .await
}

/// The id and state of a request's assignment, as `$expand=assignment` shows them.
async fn assignment(server: &TestServer, id: &str) -> (String, Value) {
    let body = expanded(server, id).await;
    (
        body["assignment"]["id"].as_str().unwrap().to_owned(),
        body["assignment"]["state"].clone(),
    )
}

/// A delivered `userAdd` of Alice's under the direct policy, and its assignment's id.
async fn delivered(server: &TestServer) -> (String, String) {
    let id = server.create_request(&alice(), DIRECT).await;
    assert_eq!(server.drive(&id, "deliver").await, "Delivered");
    let (assignment, state) = assignment(server, &id).await;
    assert_eq!(state, "delivered");
    (id, assignment)
}

/// A removal of `assignment` of type `kind`, as `token`.
async fn remove(
    server: &TestServer,
    token: &str,
    kind: &str,
    assignment: &str,
) -> reqwest::Response {
    server
        .post_request(
            ApiVersion::V1,
            token,
            &json!({ "requestType": kind, "assignment": { "id": assignment } }),
        )
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn delivery_creates_the_assignment_and_moves_it_with_the_request() {
    let server = TestServer::start().await;
    let id = server.create_request(&alice(), DIRECT).await;
    // Processing started delivery: the assignment exists, delivering.
    let (assignment, state) = assignment(&server, &id).await;
    assert_eq!(state, "delivering");
    assert_eq!(
        server.drive(&id, "deliverPartially").await,
        "PartiallyDelivered"
    );
    assert_eq!(super_state(&server, &id).await, "partiallyDelivered");
    // The beta shape names it `accessPackageAssignment` and writes the state in PascalCase.
    let beta = server
        .get_json(
            &format!(
                "{}/{id}?$expand=accessPackageAssignment",
                requests(ApiVersion::Beta)
            ),
            &reader(),
        )
        .await;
    assert_eq!(beta["accessPackageAssignment"]["id"], assignment.as_str());
    assert_eq!(
        beta["accessPackageAssignment"]["assignmentState"],
        "PartiallyDelivered"
    );
    // A request still waiting for approval has no assignment yet.
    let pending = server.create_request(&alice(), APPROVAL).await;
    assert!(expanded(&server, &pending).await["assignment"]["state"].is_null());
}

async fn super_state(server: &TestServer, id: &str) -> Value {
    assignment(server, id).await.1
}

#[tokio::test(flavor = "multi_thread")]
async fn an_administrator_removes_an_assignment_and_it_ends_when_the_removal_is_delivered() {
    let server = TestServer::start().await;
    let (add, assignment) = delivered(&server).await;
    let removal = expect_json(
        remove(&server, &manager(), "adminRemove", &assignment).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(removal["requestType"], "adminRemove");
    assert_eq!(removal["status"], "Accepted");
    let removal = removal["id"].as_str().unwrap().to_owned();
    // A removal is not approved and does not pause for the extension: it is delivering already.
    assert_eq!(server.status(&removal).await, "Delivering");
    assert_eq!(super_state(&server, &add).await, "delivered");
    assert_eq!(server.drive(&removal, "deliver").await, "Delivered");
    let ended = expanded(&server, &add).await["assignment"].clone();
    assert_eq!(ended["state"], "expired");
    assert_eq!(ended["expiredDateTime"], common::START_TEXT);
    // The same assignment cannot be removed twice: the core refuses, nothing is created.
    let again = remove(&server, &manager(), "adminRemove", &assignment).await;
    let error = expect_error(again, StatusCode::CONFLICT, "actionNotAllowed").await;
    assert!(
        error["message"].as_str().unwrap().contains("expired"),
        "{error}"
    );
    // A removal that was delivered created no assignment: it may be deleted; the adding request may not.
    let response = server
        .call(
            Method::DELETE,
            &format!("{}/{removal}", requests(ApiVersion::V1)),
            Some(&manager()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = server
        .call(
            Method::DELETE,
            &format!("{}/{add}", requests(ApiVersion::V1)),
            Some(&manager()),
        )
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::CONFLICT, "actionNotAllowed").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn users_remove_their_own_assignments_only() {
    let server = TestServer::start().await;
    let (_, assignment) = delivered(&server).await;
    // Carol may not remove Alice's assignment, as a user or by naming herself.
    let refused = remove(&server, &carol(), "userRemove", &assignment).await;
    expect_error(refused, StatusCode::FORBIDDEN, "accessDenied").await;
    let named = server
        .post_request(
            ApiVersion::V1,
            &carol(),
            &json!({
                "requestType": "userRemove",
                "assignment": { "id": assignment, "targetId": CAROL.to_string() },
            }),
        )
        .await;
    expect_error(named, StatusCode::BAD_REQUEST, "invalidRequest").await;
    // An approver is not an administrator.
    let refused = remove(&server, &approver(), "adminRemove", &assignment).await;
    expect_error(refused, StatusCode::FORBIDDEN, "accessDenied").await;
    // Alice may.
    let removal = expect_json(
        remove(&server, &alice(), "userRemove", &assignment).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(removal["requestType"], "userRemove");
    // Names of nothing: an unknown assignment, and a removal without an assignment.
    let unknown = remove(
        &server,
        &manager(),
        "adminRemove",
        "00000000-0000-4000-8000-00000000beef",
    )
    .await;
    let error = expect_error(unknown, StatusCode::BAD_REQUEST, "invalidRequest").await;
    assert!(
        error["message"].as_str().unwrap().contains("beef"),
        "{error}"
    );
    let bare = server
        .post_request(
            ApiVersion::V1,
            &manager(),
            &json!({ "requestType": "adminRemove", "assignment": { "assignmentPolicyId": DIRECT } }),
        )
        .await;
    expect_error(bare, StatusCode::BAD_REQUEST, "invalidRequest").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_needs_approval_when_a_user_asks_and_takes_the_new_schedule() {
    let server = TestServer::start().await;
    let id = server.create_request(&alice(), APPROVAL).await;
    let stages = server
        .get_json(
            &format!(
                "/v1.0/identityGovernance/entitlementManagement/accessPackageAssignmentApprovals/{id}/stages"
            ),
            &approver(),
        )
        .await;
    let stage = stages["value"][0]["id"].as_str().unwrap().to_owned();
    let reviewed = server
        .call(
            Method::PATCH,
            &format!(
                "/v1.0/identityGovernance/entitlementManagement/accessPackageAssignmentApprovals/{id}/stages/{stage}"
            ),
            Some(&approver()),
        )
        .json(&json!({ "reviewResult": "Approve", "justification": "fine" }))
        .send()
        .await
        .unwrap();
    assert_eq!(reviewed.status(), StatusCode::NO_CONTENT);
    assert_eq!(server.drive(&id, "deliver").await, "Delivered");
    let (assignment, _) = assignment(&server, &id).await;
    // Alice asks for a new end date: her update waits for the approver, as her request did.
    let update = expect_json(
        server
            .post_request(
                ApiVersion::V1,
                &alice(),
                &json!({
                    "requestType": "userUpdate",
                    "assignment": { "id": assignment },
                    "schedule": { "expiration": { "endDateTime": "2026-06-30T00:00:00Z" } },
                }),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let update = update["id"].as_str().unwrap().to_owned();
    assert_eq!(server.status(&update).await, "PendingApproval");
    // An administrator's update is not approved.
    let admin = expect_json(
        server
            .post_request(
                ApiVersion::V1,
                &manager(),
                &json!({
                    "requestType": "adminUpdate",
                    "assignment": { "id": assignment },
                    "schedule": { "expiration": { "endDateTime": "2026-09-30T00:00:00Z" } },
                }),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let admin = admin["id"].as_str().unwrap().to_owned();
    assert_eq!(server.status(&admin).await, "Delivering");
    let before = expanded(&server, &id).await["assignment"].clone();
    assert!(
        before["schedule"]["expiration"]["endDateTime"].is_null(),
        "{before}"
    );
    assert_eq!(server.drive(&admin, "deliver").await, "Delivered");
    let after = expanded(&server, &id).await["assignment"].clone();
    assert_eq!(after["state"], "delivered");
    // The delivered update gave the assignment its schedule.
    assert_eq!(
        after["schedule"]["expiration"]["endDateTime"], "2026-09-30T00:00:00.000Z",
        "{after}"
    );
    assert_eq!(
        ALICE.to_string(),
        after["target"]["objectId"].as_str().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_schedule_ends_a_delivered_assignment_when_the_clock_passes_it() {
    let server = TestServer::start().await;
    let created = expect_json(
        server
            .post_request(
                ApiVersion::V1,
                &alice(),
                &json!({
                    "requestType": "userAdd",
                    "assignment": { "assignmentPolicyId": DIRECT },
                    "schedule": { "expiration": { "endDateTime": "2026-01-11T00:00:00Z" } },
                }),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(server.drive(&id, "deliver").await, "Delivered");
    let clock = server.advance_days(9).await;
    assert_eq!(clock["fired"], json!([]));
    let clock = server.advance_days(2).await;
    let (assignment, state) = assignment(&server, &id).await;
    assert_eq!(state, "expired");
    assert_eq!(
        clock["fired"],
        json!([{
            "assignment": assignment,
            "event": "scheduleEnded",
            "at": "2026-01-11T00:00:00.000Z",
            "state": "expired",
        }])
    );
    // The request's history records it.
    let history = server.history(&id).await;
    assert_eq!(history.last().unwrap()["event"], "assignmentEnded");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_delivery_keeps_its_assignment_and_cannot_be_deleted() {
    let server = TestServer::start().await;
    let id = server.create_request(&alice(), DIRECT).await;
    assert_eq!(server.drive(&id, "failDelivery").await, "DeliveryFailed");
    assert_eq!(super_state(&server, &id).await, "deliveryFailed");
    let response = server
        .call(
            Method::DELETE,
            &format!("{}/{id}", requests(ApiVersion::V1)),
            Some(&manager()),
        )
        .send()
        .await
        .unwrap();
    let error = expect_error(response, StatusCode::CONFLICT, "actionNotAllowed").await;
    assert_eq!(
        error["message"],
        "cannot `delete` a request whose status is `DeliveryFailed`"
    );
}

/// The ids of a page of `…/assignments` (or beta's collection) as `token` reads it with `query`.
async fn listed(server: &TestServer, api: ApiVersion, token: &str, query: &str) -> Value {
    let collection = match api {
        ApiVersion::V1 => "assignments",
        ApiVersion::Beta => "accessPackageAssignments",
    };
    server
        .get_json(
            &format!(
                "{}/identityGovernance/entitlementManagement/{collection}{query}",
                common::prefix(api)
            ),
            token,
        )
        .await
}

fn ids(page: &Value) -> Vec<String> {
    page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|assignment| assignment["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn assignments_are_listed_filtered_paged_and_read_in_each_versions_shape() {
    let server = TestServer::start().await;
    let (_, first) = delivered(&server).await;
    let delivering = server.create_request(&alice(), DIRECT).await;
    let (second, _) = assignment(&server, &delivering).await;
    let mut both = vec![first.clone(), second.clone()];
    both.sort();
    let v1 = listed(&server, ApiVersion::V1, &reader(), "").await;
    assert_eq!(ids(&v1), both);
    assert!(
        v1["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/$metadata#identityGovernance/entitlementManagement/assignments")
    );
    let shown = v1["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|assignment| assignment["id"] == first.as_str())
        .unwrap();
    assert_eq!(shown["state"], "delivered");
    assert_eq!(shown["status"], "Delivered");
    let beta = listed(&server, ApiVersion::Beta, &reader(), "").await;
    let shown = beta["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|assignment| assignment["id"] == first.as_str())
        .unwrap();
    assert_eq!(shown["assignmentState"], "Delivered");
    assert_eq!(shown["targetId"], ALICE.to_string());
    assert_eq!(shown["accessPackageId"], common::PACKAGE);
    assert_eq!(shown["catalogId"], common::CATALOG);
    // `$filter` with the grammar of requests, on the assignment's own properties.
    for (api, filter, expected) in [
        (ApiVersion::V1, "state eq 'delivered'", vec![first.clone()]),
        (
            ApiVersion::V1,
            "not (state eq 'delivered')",
            vec![second.clone()],
        ),
        (
            ApiVersion::V1,
            &*format!(
                "target/objectId eq '{ALICE}' and accessPackage/id eq '{}'",
                common::PACKAGE
            ),
            both.clone(),
        ),
        (
            ApiVersion::Beta,
            "assignmentState eq 'Delivering'",
            vec![second.clone()],
        ),
        (ApiVersion::Beta, &*format!("targetId eq '{CAROL}'"), vec![]),
    ] {
        let page = listed(&server, api, &reader(), &format!("?$filter={filter}")).await;
        assert_eq!(ids(&page), expected, "{filter}");
    }
    // Pages of one, the link carrying the filter and the expansion.
    let page = listed(&server, ApiVersion::V1, &reader(), "?$top=1&$expand=target").await;
    assert_eq!(ids(&page), both[..1]);
    assert_eq!(page["value"][0]["target"]["objectId"], ALICE.to_string());
    let link = page["@odata.nextLink"].as_str().unwrap();
    let path = link.split_once("127.0.0.1").unwrap().1;
    let path = path
        .split_once('/')
        .map(|(_, rest)| format!("/{rest}"))
        .unwrap();
    let next = server.get_json(&path, &reader()).await;
    assert_eq!(ids(&next), both[1..]);
    assert!(next.get("@odata.nextLink").is_none());
    // One assignment.
    let one = server
        .get_json(
            &format!("{}/identityGovernance/entitlementManagement/assignments/{first}?$expand=accessPackage,assignmentPolicy", common::prefix(ApiVersion::V1)),
            &reader(),
        )
        .await;
    assert_eq!(one["id"], first.as_str());
    assert_eq!(one["accessPackage"]["id"], common::PACKAGE);
    assert_eq!(one["assignmentPolicy"]["id"], DIRECT);
    assert!(
        one["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/assignments/$entity")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reading_assignments_is_entitle_cores_decision() {
    let server = TestServer::start().await;
    let (_, assignment) = delivered(&server).await;
    let one = format!(
        "{}/identityGovernance/entitlementManagement/assignments/{assignment}",
        common::prefix(ApiVersion::V1)
    );
    let all = format!(
        "{}/identityGovernance/entitlementManagement/assignments",
        common::prefix(ApiVersion::V1)
    );
    // `SubjectAccess.ReadWrite` alone reads no assignment, not even its own.
    for path in [&one, &all] {
        expect_error(
            server.get(path, &alice()).await,
            StatusCode::FORBIDDEN,
            "accessDenied",
        )
        .await;
    }
    // Its holder with `Read.All` does; someone without a reader role sees no row of others.
    let holder = common::Who::user(ALICE, &[common::READ_ALL]).token();
    assert_eq!(
        server.get_json(&one, &holder).await["id"],
        assignment.as_str()
    );
    let stranger = common::Who::user(CAROL, &[common::READ_ALL]).token();
    assert_eq!(
        ids(&server.get_json(&all, &stranger).await),
        Vec::<String>::new()
    );
    expect_error(
        server.get(&one, &stranger).await,
        StatusCode::FORBIDDEN,
        "accessDenied",
    )
    .await;
    // Unknown and malformed ids, unsupported options.
    expect_error(
        server
            .get(
                &format!("{all}/7d2c1f6e-0a1b-4c3d-8e9f-001122334455"),
                &reader(),
            )
            .await,
        StatusCode::NOT_FOUND,
        "itemNotFound",
    )
    .await;
    for path in [
        format!("{all}/nope"),
        format!("{all}?$filter=status eq 'Delivered'"),
        format!("{all}?$expand=requestor"),
        format!("{all}?$orderby=id"),
        format!("{all}?$skiptoken=x"),
        format!("{one}?$filter=state eq 'delivered'"),
    ] {
        expect_error(
            server.get(&path, &reader()).await,
            StatusCode::BAD_REQUEST,
            "invalidRequest",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn filter_by_current_user_shows_the_callers_assignments_or_those_it_asked_for() {
    let server = TestServer::start().await;
    let (_, alices) = delivered(&server).await;
    let for_carol = expect_json(
        server
            .post_request(
                ApiVersion::V1,
                &manager(),
                &json!({
                    "requestType": "adminAdd",
                    "assignment": { "targetId": CAROL.to_string(), "assignmentPolicyId": DIRECT },
                }),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let (carols, _) = assignment(&server, for_carol["id"].as_str().unwrap()).await;
    let function = |api: ApiVersion, on: &str| {
        let collection = match api {
            ApiVersion::V1 => "assignments",
            ApiVersion::Beta => "accessPackageAssignments",
        };
        format!(
            "{}/identityGovernance/entitlementManagement/{collection}/filterByCurrentUser(on='{on}')",
            common::prefix(api)
        )
    };
    let alice_reader = common::Who::user(ALICE, &[common::READ_ALL]).token();
    let carol = common::Who::user(CAROL, &[common::READ_ALL]).token();
    for api in common::APIS {
        // A function's result: its context names the type, and so does each item.
        let result = server
            .get_json(&function(api, "target"), &alice_reader)
            .await;
        assert!(
            result["@odata.context"]
                .as_str()
                .unwrap()
                .ends_with("$metadata#Collection(microsoft.graph.accessPackageAssignment)")
        );
        assert_eq!(
            result["value"][0]["@odata.type"],
            "#microsoft.graph.accessPackageAssignment"
        );
        assert_eq!(
            ids(&server
                .get_json(&function(api, "target"), &alice_reader)
                .await),
            std::slice::from_ref(&alices)
        );
        assert_eq!(
            ids(&server
                .get_json(&function(api, "createdBy"), &alice_reader)
                .await),
            std::slice::from_ref(&alices)
        );
        assert_eq!(
            ids(&server.get_json(&function(api, "target"), &carol).await),
            std::slice::from_ref(&carols)
        );
        assert_eq!(
            ids(&server.get_json(&function(api, "createdBy"), &carol).await),
            Vec::<String>::new()
        );
        assert_eq!(
            ids(&server
                .get_json(&function(api, "createdBy"), &manager())
                .await),
            std::slice::from_ref(&carols)
        );
        assert_eq!(
            ids(&server
                .get_json(
                    &format!("{}?$filter=id eq '{carols}'", function(api, "createdBy")),
                    &manager()
                )
                .await),
            std::slice::from_ref(&carols)
        );
    }
    // `SubjectAccess.ReadWrite` alone and applications are refused; `on` is checked.
    for token in [alice(), common::app()] {
        expect_error(
            server
                .get(&function(ApiVersion::V1, "target"), &token)
                .await,
            StatusCode::FORBIDDEN,
            "accessDenied",
        )
        .await;
    }
    expect_error(
        server
            .get(&function(ApiVersion::V1, "approver"), &alice_reader)
            .await,
        StatusCode::BAD_REQUEST,
        "invalidRequest",
    )
    .await;
}
