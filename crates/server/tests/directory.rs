//! `GET /users`, `/users/{id | userPrincipalName}`, `/me`, `/groups`, `/groups/{id}` and
//! `/groups/{id}/members` over HTTP, in both API versions: Graph's shapes, the directory read
//! permissions entitle-core asks for, `404` for unknown ids, paging, `$select` and `$filter`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{
    ALICE, APIS, APP, BOB, CAROL, GROUP, READ_WRITE_ALL, TestServer, Who, expect_error, prefix,
};
use reqwest::StatusCode;
use serde_json::Value;

fn user(scopes: &[&str]) -> String {
    Who::user(ALICE, scopes).token()
}

fn ids(page: &Value) -> Vec<String> {
    page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn users_list_with_the_default_properties_and_page() {
    let server = TestServer::start().await;
    let token = user(&["User.ReadBasic.All"]);
    for api in APIS {
        let page = server
            .get_json(&format!("{}/users", prefix(api)), &token)
            .await;
        assert!(
            page["@odata.context"]
                .as_str()
                .unwrap()
                .ends_with(&format!("{}/$metadata#users", prefix(api)))
        );
        assert_eq!(ids(&page).len(), 7);
        let alice = &page["value"][0];
        assert_eq!(alice["id"], ALICE.to_string());
        assert_eq!(alice["displayName"], "Alice");
        assert_eq!(alice["userPrincipalName"], "alice@contoso.test");
        assert_eq!(alice["businessPhones"], Value::Array(Vec::new()));
        assert!(alice["givenName"].is_null());
        assert!(alice.get("manager").is_none());

        // Three a page, each next link carrying the query on.
        let mut path = format!("{}/users?$top=3&$select=displayName", prefix(api));
        let mut seen = Vec::new();
        loop {
            let page = server.get_json(&path, &token).await;
            for item in page["value"].as_array().unwrap() {
                assert_eq!(item.as_object().unwrap().len(), 2, "{item}");
            }
            assert!(page["value"].as_array().unwrap().len() <= 3);
            seen.extend(ids(&page));
            match page["@odata.nextLink"].as_str() {
                Some(link) => {
                    assert!(link.contains("%24select=displayName") || link.contains("$select="));
                    path = link.split_once(&server.base).unwrap().1.to_owned();
                }
                None => break,
            }
        }
        assert_eq!(seen.len(), 7);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn users_filter_with_eq_and_startswith_ignoring_case() {
    let server = TestServer::start().await;
    let token = user(&["User.Read.All"]);
    let page = server
        .get_json("/v1.0/users?$filter=startswith(displayName,'a')", &token)
        .await;
    let mut names: Vec<&str> = page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["displayName"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Alice", "Alternate", "Approver"]);
    let page = server
        .get_json(
            "/beta/users?$filter=userPrincipalName eq 'BOB@contoso.test'",
            &token,
        )
        .await;
    assert_eq!(ids(&page), [BOB.to_string()]);
    for filter in [
        "contains(displayName,'a')",
        "city eq 'x'",
        "displayName ne 'Bob'",
    ] {
        let response = server
            .get(&format!("/v1.0/users?$filter={filter}"), &token)
            .await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
    }
    for query in [
        "$count=true",
        "$search=\"displayName:a\"",
        "$orderby=displayName",
    ] {
        let response = server.get(&format!("/v1.0/users?{query}"), &token).await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_is_read_by_id_or_principal_name() {
    let server = TestServer::start().await;
    let token = user(&["User.ReadBasic.All"]);
    for api in APIS {
        for key in [BOB.to_string(), "bob@contoso.test".to_owned()] {
            let bob = server
                .get_json(&format!("{}/users/{key}", prefix(api)), &token)
                .await;
            assert_eq!(bob["id"], BOB.to_string());
            assert!(
                bob["@odata.context"]
                    .as_str()
                    .unwrap()
                    .ends_with("$metadata#users/$entity")
            );
        }
        let selected = server
            .get_json(
                &format!("{}/users/{BOB}?$select=displayName,city", prefix(api)),
                &token,
            )
            .await;
        assert_eq!(selected["displayName"], "Bob");
        assert!(selected["city"].is_null());
        assert_eq!(selected["id"], BOB.to_string());
        assert!(selected.get("userPrincipalName").is_none());
        assert!(
            selected["@odata.context"]
                .as_str()
                .unwrap()
                .ends_with("$metadata#users(displayName,city)/$entity")
        );
        for key in [
            "nobody@contoso.test",
            "1111aaaa-0000-4000-8000-0000000000ff",
        ] {
            let response = server
                .get(&format!("{}/users/{key}", prefix(api)), &token)
                .await;
            expect_error(response, StatusCode::NOT_FOUND, "itemNotFound").await;
        }
        let response = server
            .get(&format!("{}/users/{BOB}?$top=1", prefix(api)), &token)
            .await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalidRequest").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn user_read_reads_only_the_signed_in_user() {
    let server = TestServer::start().await;
    let token = user(&["User.Read"]);
    for api in APIS {
        let me = server
            .get_json(&format!("{}/me", prefix(api)), &token)
            .await;
        assert_eq!(me["id"], ALICE.to_string());
        assert_eq!(me["displayName"], "Alice");
        let own = server
            .get_json(&format!("{}/users/{ALICE}", prefix(api)), &token)
            .await;
        assert_eq!(own["id"], ALICE.to_string());
        for path in [
            format!("{}/users/{BOB}", prefix(api)),
            format!("{}/users", prefix(api)),
            format!("{}/groups", prefix(api)),
            format!("{}/groups/{GROUP}/members", prefix(api)),
            // Someone the directory does not know is someone else.
            format!("{}/users/nobody@contoso.test", prefix(api)),
        ] {
            let body = expect_error(
                server.get(&path, &token).await,
                StatusCode::FORBIDDEN,
                "accessDenied",
            )
            .await;
            assert!(
                body["message"].as_str().unwrap().contains("permission"),
                "{path}: {body}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn entitlement_permissions_read_no_directory_object_and_apps_have_no_me() {
    let server = TestServer::start().await;
    let manager = common::manager();
    for path in [
        "/v1.0/me",
        "/v1.0/users",
        "/beta/groups",
        "/v1.0/users/x@y.test",
    ] {
        expect_error(
            server.get(path, &manager).await,
            StatusCode::FORBIDDEN,
            "accessDenied",
        )
        .await;
    }
    let app = Who::app(APP, &["User.Read.All", READ_WRITE_ALL]).token();
    let body = expect_error(
        server.get("/v1.0/me", &app).await,
        StatusCode::BAD_REQUEST,
        "invalidRequest",
    )
    .await;
    assert!(body["message"].as_str().unwrap().contains("delegated"));
    let page = server.get_json("/beta/users", &app).await;
    assert_eq!(ids(&page).len(), 7);
    // `User.ReadBasic.All` is delegated only.
    let basic = Who::app(APP, &["User.ReadBasic.All"]).token();
    expect_error(
        server.get("/v1.0/users", &basic).await,
        StatusCode::FORBIDDEN,
        "accessDenied",
    )
    .await;
    let response = server
        .call(reqwest::Method::GET, "/v1.0/users", None)
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    // A signed-in user the tenant does not hold.
    let stranger = Who::user(common::subject(0xff), &["User.Read"]).token();
    expect_error(
        server.get("/v1.0/me", &stranger).await,
        StatusCode::NOT_FOUND,
        "itemNotFound",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_list_and_read_with_the_default_properties() {
    let server = TestServer::start().await;
    let token = user(&["GroupMember.Read.All"]);
    for api in APIS {
        let page = server
            .get_json(&format!("{}/groups", prefix(api)), &token)
            .await;
        assert_eq!(ids(&page), [GROUP]);
        let group = &page["value"][0];
        assert_eq!(group["displayName"], "Sellers");
        assert_eq!(group["groupTypes"], Value::Array(Vec::new()));
        assert!(group["mailEnabled"].is_null());
        assert!(group.get("members").is_none());
        let one = server
            .get_json(&format!("{}/groups/{GROUP}", prefix(api)), &token)
            .await;
        assert_eq!(one["mailNickname"], "sellers");
        assert!(
            one["@odata.context"]
                .as_str()
                .unwrap()
                .ends_with("$metadata#groups/$entity")
        );
        let filtered = server
            .get_json(
                &format!("{}/groups?$filter=displayName eq 'nobody'", prefix(api)),
                &token,
            )
            .await;
        assert!(ids(&filtered).is_empty());
        expect_error(
            server
                .get(
                    &format!(
                        "{}/groups/1111aaaa-0000-4000-8000-0000000000ff",
                        prefix(api)
                    ),
                    &token,
                )
                .await,
            StatusCode::NOT_FOUND,
            "itemNotFound",
        )
        .await;
        expect_error(
            server
                .get(&format!("{}/groups/not-a-guid", prefix(api)), &token)
                .await,
            StatusCode::BAD_REQUEST,
            "invalidRequest",
        )
        .await;
    }
    expect_error(
        server.get("/v1.0/groups", &user(&["User.Read.All"])).await,
        StatusCode::FORBIDDEN,
        "accessDenied",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn members_show_what_the_caller_may_read() {
    let server = TestServer::start().await;
    let members = format!("/v1.0/groups/{GROUP}/members");
    // `GroupMember.Read.All` alone: each user member is its type and id.
    let limited = server
        .get_json(&members, &user(&["GroupMember.Read.All"]))
        .await;
    assert!(
        limited["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#directoryObjects")
    );
    for item in limited["value"].as_array().unwrap() {
        assert_eq!(item["@odata.type"], "#microsoft.graph.user");
        assert_eq!(item.as_object().unwrap().len(), 2, "{item}");
    }
    let mut seen = ids(&limited);
    seen.sort_unstable();
    let mut expected = [ALICE.to_string(), BOB.to_string(), CAROL.to_string()];
    expected.sort_unstable();
    assert_eq!(seen, expected);
    // With a permission to read users too, their properties.
    let full = server
        .get_json(
            &format!("{members}?$filter=startswith(displayName,'b')"),
            &user(&["GroupMember.Read.All", "User.ReadBasic.All"]),
        )
        .await;
    assert_eq!(ids(&full), [BOB.to_string()]);
    assert_eq!(full["value"][0]["displayName"], "Bob");
    assert_eq!(full["value"][0]["@odata.type"], "#microsoft.graph.user");
    // Paging.
    let page = server
        .get_json(
            &format!("/beta/groups/{GROUP}/members?$top=2"),
            &Who::app(APP, &["Directory.Read.All"]).token(),
        )
        .await;
    assert_eq!(ids(&page).len(), 2);
    let next = page["@odata.nextLink"].as_str().unwrap();
    assert!(next.contains(&format!("/beta/groups/{GROUP}/members?$skiptoken=2")));
    let rest = server
        .get_json(
            next.split_once(&server.base).unwrap().1,
            &Who::app(APP, &["Directory.Read.All"]).token(),
        )
        .await;
    assert_eq!(ids(&rest).len(), 1);
    assert!(rest.get("@odata.nextLink").is_none());
    expect_error(
        server
            .get(
                "/v1.0/groups/1111aaaa-0000-4000-8000-0000000000ff/members",
                &user(&["GroupMember.Read.All"]),
            )
            .await,
        StatusCode::NOT_FOUND,
        "itemNotFound",
    )
    .await;
}
