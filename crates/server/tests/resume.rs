//! `POST …/{id}/resume` over real HTTP on its three paths: a custom extension's callback continues,
//! denies or cancels a request waiting for it, as entitle-core decides; every refusal is a Graph error.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{APIS, CALLOUT, DIRECT, TestServer, alice, app, collections, expect_error, manager};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CREATED: &str = "microsoft.graph.accessPackageCustomExtensionStage.assignmentRequestCreated";

/// A callback at `stage`, with `outcome` as its `state` when given.
fn callback(stage: &str, outcome: Option<&str>) -> Value {
    let mut data = json!({
        "@odata.type": "microsoft.graph.accessPackageAssignmentRequestCallbackData",
        "stage": stage,
        "customExtensionStageInstanceId": "00000000-0000-4000-8000-0000000e0001",
        "customExtensionStageInstanceDetail": "checked",
    });
    if let Some(outcome) = outcome {
        data["state"] = json!(outcome);
    }
    json!({
        "source": "Contoso.Check",
        "type": format!("microsoft.graph.accessPackageCustomExtensionStage.{stage}"),
        "data": data,
    })
}

async fn resume(server: &TestServer, path: &str, token: &str, body: &Value) -> reqwest::Response {
    server
        .call(Method::POST, &format!("{path}/resume"), Some(token))
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn callbacks_continue_deny_or_cancel_a_waiting_request_on_every_path() {
    let server = TestServer::start().await;
    for api in APIS {
        for collection in collections(api) {
            for (state, status) in [
                (None, "Delivering"),
                (Some("denied"), "Denied"),
                (Some("Canceled"), "Canceled"),
            ] {
                let id = server.create_request(&alice(), CALLOUT).await;
                assert_eq!(server.status(&id).await, "WaitingForCallback");
                let response = resume(
                    &server,
                    &format!("{collection}/{id}"),
                    &app(),
                    &callback("assignmentRequestCreated", state),
                )
                .await;
                assert_eq!(response.status(), StatusCode::NO_CONTENT, "{collection}");
                assert_eq!(response.text().await.unwrap(), "");
                assert_eq!(server.status(&id).await, status, "{collection} {state:?}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_change_nothing() {
    let server = TestServer::start().await;
    let collection = &collections(common::APIS[0])[0];
    let waiting = server.create_request(&alice(), CALLOUT).await;
    let path = format!("{collection}/{waiting}");
    let created = callback("assignmentRequestCreated", None);
    // The requestor is not the custom extension; an administrator role holder is (the page's RBAC).
    expect_error(
        resume(&server, &path, &alice(), &created).await,
        StatusCode::FORBIDDEN,
        "accessDenied",
    )
    .await;
    assert_eq!(server.status(&waiting).await, "WaitingForCallback");
    // A stage entitle's policies never call out at has no request waiting.
    expect_error(
        resume(
            &server,
            &path,
            &app(),
            &callback("assignmentRequestGranted", None),
        )
        .await,
        StatusCode::CONFLICT,
        "actionNotAllowed",
    )
    .await;
    // `state` belongs to the created stage only.
    expect_error(
        resume(
            &server,
            &path,
            &app(),
            &callback("assignmentRequestApproved", Some("denied")),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalidRequest",
    )
    .await;
    for body in [
        json!({"type": CREATED, "data": {"state": "approved"}}),
        json!({"type": CREATED, "extra": true}),
        json!([]),
    ] {
        expect_error(
            resume(&server, &path, &app(), &body).await,
            StatusCode::BAD_REQUEST,
            "invalidRequest",
        )
        .await;
    }
    assert_eq!(server.status(&waiting).await, "WaitingForCallback");
    // A request that waits for no callback.
    let direct = server.create_request(&alice(), DIRECT).await;
    expect_error(
        resume(&server, &format!("{collection}/{direct}"), &app(), &created).await,
        StatusCode::CONFLICT,
        "actionNotAllowed",
    )
    .await;
    assert_eq!(server.status(&direct).await, "Delivering");
    // Unknown and malformed ids.
    expect_error(
        resume(
            &server,
            &format!("{collection}/7d2c1f6e-0a1b-4c3d-8e9f-001122334455"),
            &app(),
            &created,
        )
        .await,
        StatusCode::NOT_FOUND,
        "itemNotFound",
    )
    .await;
    expect_error(
        resume(&server, &format!("{collection}/nope"), &manager(), &created).await,
        StatusCode::BAD_REQUEST,
        "invalidRequest",
    )
    .await;
}
