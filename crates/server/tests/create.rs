//! Every documented form of a create body, over real HTTP: who the request is for, where it is
//! placed, what is kept of it (answers, the schedule as asked) and read back, `isValidationOnly`, and
//! the refusal of properties no Graph type defines.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{
    APIS, APPROVAL, CAROL, DIRECT, PACKAGE, TestServer, alice, expect_error, expect_json, manager,
    reader, requests,
};
use entitle_core::ApiVersion;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The name of the assignment property in `api`'s documented bodies.
const fn assignment_name(api: ApiVersion) -> &'static str {
    match api {
        ApiVersion::V1 => "assignment",
        ApiVersion::Beta => "accessPackageAssignment",
    }
}

/// Creates `body` in `api` as `token` (`201`) and reads the request back as the catalog reader.
async fn created_and_read(
    server: &TestServer,
    api: ApiVersion,
    token: &str,
    body: &Value,
) -> (Value, Value) {
    let created = expect_json(
        server.post_request(api, token, body).await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let read = server
        .get_json(
            &format!(
                "{}/{id}?$expand={}($expand=target,accessPackage)",
                requests(api),
                assignment_name(api)
            ),
            &reader(),
        )
        .await;
    (created, read)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_administrator_names_the_target_by_object_or_by_email() {
    let server = TestServer::start().await;
    let carol = CAROL.to_string();
    for api in APIS {
        let kind = match api {
            ApiVersion::V1 => "adminAdd",
            ApiVersion::Beta => "AdminAdd",
        };
        for target in [
            json!({ "objectId": carol, "subjectType": "user" }),
            json!({ "email": "CAROL@contoso.test", "displayName": "Carol" }),
        ] {
            let body = json!({
                "requestType": kind,
                assignment_name(api): {
                    "target": target,
                    "assignmentPolicy": { "id": DIRECT },
                    "accessPackage": { "id": PACKAGE },
                },
            });
            let (_, read) = created_and_read(&server, api, &manager(), &body).await;
            let assignment = &read[assignment_name(api)];
            assert_eq!(assignment["target"]["objectId"], carol.as_str(), "{body}");
            assert_eq!(assignment["accessPackage"]["id"], PACKAGE);
            let policy = match api {
                ApiVersion::V1 => "assignmentPolicy",
                ApiVersion::Beta => "accessPackageAssignmentPolicy",
            };
            let placed = server
                .get_json(
                    &format!(
                        "{}/{}?$expand={}($expand={policy})",
                        requests(api),
                        read["id"].as_str().unwrap(),
                        assignment_name(api)
                    ),
                    &reader(),
                )
                .await;
            assert_eq!(placed[assignment_name(api)][policy]["id"], DIRECT);
        }
        // Someone the directory does not know is refused, never turned into the caller.
        let stranger = json!({
            "requestType": kind,
            assignment_name(api): {
                "target": { "email": "joni@fabrikam.test" },
                "assignmentPolicyId": DIRECT,
            },
        });
        let error = expect_error(
            server.post_request(api, &manager(), &stranger).await,
            StatusCode::BAD_REQUEST,
            "invalidRequest",
        )
        .await;
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("`joni@fabrikam.test`"),
            "{error}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_and_the_schedule_as_asked_are_kept_and_read_back() {
    let server = TestServer::start().await;
    let answers = json!([
        {
            "@odata.type": "#microsoft.graph.accessPackageAnswerString",
            "value": "EMEA",
            "displayValue": "Europe, Middle East and Africa",
            "answeredQuestion": {
                "@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion",
                "id": "question-region",
            },
        },
        {
            "@odata.type": "#microsoft.graph.accessPackageAnswerString",
            "value": "Forecasts for the spring review.",
            "displayValue": null,
            "answeredQuestion": {
                "@odata.type": "#microsoft.graph.accessPackageTextInputQuestion",
                "id": "question-reason",
            },
        },
    ]);
    let schedule = json!({
        "startDateTime": "2026-01-01T00:00:00.000Z",
        "recurrence": { "pattern": { "type": "daily", "interval": 1 } },
        "expiration": { "endDateTime": null, "duration": "P30D", "type": "afterDuration" },
    });
    for api in APIS {
        let body = json!({
            "requestType": "userAdd",
            assignment_name(api): { "accessPackageId": PACKAGE, "assignmentPolicyId": DIRECT },
            "justification": "Spring review",
            "answers": answers,
            "schedule": schedule,
        });
        let (created, read) = created_and_read(&server, api, &alice(), &body).await;
        // Graph annotates the schedule's complex types.
        let mut annotated = schedule.clone();
        annotated["@odata.type"] = json!(match api {
            ApiVersion::V1 => "#microsoft.graph.entitlementManagementSchedule",
            ApiVersion::Beta => "#microsoft.graph.requestSchedule",
        });
        annotated["expiration"]["@odata.type"] = json!("#microsoft.graph.expirationPattern");
        for shown in [&created, &read] {
            assert_eq!(shown["answers"], answers, "{api:?}");
            assert_eq!(shown["schedule"], annotated, "{api:?}");
            assert_eq!(shown["justification"], "Spring review");
        }
        assert_eq!(created["createdDateTime"], Value::Null);
        assert!(read["createdDateTime"].is_string());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_package_with_one_policy_places_the_request_and_other_placements_are_refused() {
    let server = TestServer::start().await;
    // The test tenant's package has three policies: naming only the package is ambiguous.
    let ambiguous =
        json!({ "requestType": "userAdd", "assignment": { "accessPackageId": PACKAGE } });
    let error = expect_error(
        server
            .post_request(ApiVersion::V1, &alice(), &ambiguous)
            .await,
        StatusCode::BAD_REQUEST,
        "invalidRequest",
    )
    .await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("several assignment policies"),
        "{error}"
    );
    for (assignment, words) in [
        (json!({}), "name the assignment policy"),
        (
            json!({ "assignmentPolicyId": "nope" }),
            "unknown assignment policy `nope`",
        ),
        (
            json!({ "accessPackageId": "nope" }),
            "unknown access package `nope`",
        ),
        (
            json!({ "assignmentPolicyId": DIRECT, "accessPackageId": "other" }),
            "does not belong to access package `other`",
        ),
    ] {
        let body = json!({ "requestType": "userAdd", "assignment": assignment });
        let error = expect_error(
            server.post_request(ApiVersion::V1, &alice(), &body).await,
            StatusCode::BAD_REQUEST,
            "invalidRequest",
        )
        .await;
        assert!(
            error["message"].as_str().unwrap().contains(words),
            "{error}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn validation_only_checks_everything_and_stores_nothing() {
    let server = TestServer::start().await;
    let body = json!({
        "requestType": "UserAdd",
        "isValidationOnly": true,
        "accessPackageAssignment": { "assignmentPolicyId": APPROVAL },
    });
    let created = expect_json(
        server.post_request(ApiVersion::Beta, &alice(), &body).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["isValidationOnly"], true);
    assert_eq!(created["requestStatus"], "Accepted");
    let id = created["id"].as_str().unwrap();
    expect_error(
        server
            .get(&format!("{}/{id}", requests(ApiVersion::Beta)), &reader())
            .await,
        StatusCode::NOT_FOUND,
        "itemNotFound",
    )
    .await;
    let listed = server
        .get_json(&requests(ApiVersion::Beta), &reader())
        .await;
    assert_eq!(listed["value"], json!([]));
    // The same refusals as a create: Alice may not assign to Carol.
    let for_another = json!({
        "requestType": "AdminAdd",
        "isValidationOnly": true,
        "accessPackageAssignment": { "targetId": CAROL.to_string(), "assignmentPolicyId": DIRECT },
    });
    expect_error(
        server
            .post_request(ApiVersion::Beta, &alice(), &for_another)
            .await,
        StatusCode::FORBIDDEN,
        "accessDenied",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn properties_no_type_defines_are_refused_and_read_only_ones_ignored() {
    let server = TestServer::start().await;
    for (body, property) in [
        (
            json!({ "requestType": "userAdd", "assignment": { "assignmentPolicyId": DIRECT },
                "priority": "high" }),
            "`priority`",
        ),
        (
            json!({ "requestType": "userAdd",
                "assignment": { "assignmentPolicyId": DIRECT, "policyId": DIRECT } }),
            "`assignment.policyId`",
        ),
        (
            json!({ "requestType": "userAdd", "assignment": { "assignmentPolicyId": DIRECT },
                "schedule": { "expiration": { "endDate": "2026-02-01T00:00:00Z" } } }),
            "`schedule.expiration.endDate`",
        ),
    ] {
        let error = expect_error(
            server.post_request(ApiVersion::V1, &alice(), &body).await,
            StatusCode::BAD_REQUEST,
            "RequestBodyRead",
        )
        .await;
        assert!(
            error["message"].as_str().unwrap().contains(property),
            "{error}"
        );
    }
    let listed = server.get_json(&requests(ApiVersion::V1), &reader()).await;
    assert_eq!(listed["value"], json!([]));
    let echoed = json!({
        "@odata.type": "#microsoft.graph.accessPackageAssignmentRequest",
        "id": "ignored",
        "status": "Delivered",
        "requestType": "userAdd",
        "assignment": { "assignmentPolicyId": DIRECT, "state": "delivered" },
    });
    let created = expect_json(
        server.post_request(ApiVersion::V1, &alice(), &echoed).await,
        StatusCode::CREATED,
    )
    .await;
    assert_ne!(created["id"], "ignored");
    assert_eq!(created["status"], "Accepted");
}
