//! The approval stages over real HTTP: listing and reading them (v1.0 `stages`, beta `steps`),
//! reviewing them with `PATCH`, and every error answer as a Graph envelope.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use entitle_auth::{TokenRequest, Verifier, mint_demo};
use entitle_core::{
    ApprovalRules, Duration as Span, Guid, PolicyRules, Role, StageApprovers, SubjectId, Timestamp,
};
use entitle_server::metrics::Metrics;
use entitle_server::{AppState, Clock, ClockBase, Shared};
use entitle_store::{
    AccessPackage, AssignmentPolicy, Catalog, Directory, RoleAssignment, SqliteStore, Store, User,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;

// ---------------------------------------------------------------------------------------------
// The tenant

/// Where the frozen clock starts: 2026-01-01T00:00:00Z.
const START: Timestamp = Timestamp(1_767_225_600_000);
const START_TEXT: &str = "2026-01-01T00:00:00.000Z";

const PACKAGE: &str = "package-approvals";
const DIRECT: &str = "policy-direct";
const ONE: &str = "policy-one-stage";
const TWO: &str = "policy-two-stages";

const fn subject(n: u128) -> SubjectId {
    SubjectId::new(Guid::from_u128(
        0x2222_2222_0000_4000_8000_0000_0000_0000 | n,
    ))
}

/// Requests access for themselves.
const REQUESTOR: SubjectId = subject(1);
/// Approves the first stage of both approval policies.
const FIRST: SubjectId = subject(2);
/// Also approves the first stage of both approval policies.
const FIRST_TOO: SubjectId = subject(3);
/// Approves the second stage of the two-stage policy.
const SECOND: SubjectId = subject(4);
/// Escalation approver of the first stages.
const ESCALATION: SubjectId = subject(5);
/// Approves nothing.
const OUTSIDER: SubjectId = subject(6);
/// Catalog reader of the package's catalog: reads every approval there, approves nothing.
const READER: SubjectId = subject(7);
/// Access package assignment manager of the catalog.
const MANAGER: SubjectId = subject(8);

const READ_WRITE: &str = "EntitlementManagement.ReadWrite.All";
const SUBJECT_ACCESS: &str = "EntitlementMgmt-SubjectAccess.ReadWrite";
const READ_ALL: &str = "EntitlementManagement.Read.All";

fn user(id: SubjectId, name: &str) -> User {
    User {
        id,
        display_name: name.into(),
        user_principal_name: format!("{}@contoso.test", name.to_lowercase()),
        manager_id: None,
        connected_organization_id: None,
        guest: false,
    }
}

fn approval(stages: u8) -> ApprovalRules {
    ApprovalRules {
        stages,
        decision_timeout: Span::days(14),
        escalate_after: Some(Span::days(3)),
    }
}

fn first_stage() -> StageApprovers {
    StageApprovers::users(&[FIRST, FIRST_TOO], &[ESCALATION])
}

fn policy(
    id: &str,
    approval: Option<ApprovalRules>,
    stages: Vec<StageApprovers>,
) -> AssignmentPolicy {
    AssignmentPolicy {
        id: id.into(),
        access_package_id: PACKAGE.into(),
        display_name: id.into(),
        rules: PolicyRules {
            approval,
            callout_on_created: false,
        },
        stages,
        custom_extension_id: None,
        questions: Vec::new(),
        on_behalf_requestors: Vec::new(),
        requestors: entitle_core::RequestorRules::OPEN,
        allowed_targets: Vec::new(),
    }
}

fn tenant() -> Directory {
    Directory {
        groups: Vec::new(),
        document: entitle_graph::tenant::TenantDocument::default(),
        users: vec![
            user(REQUESTOR, "Rita"),
            user(FIRST, "Fiona"),
            user(FIRST_TOO, "Felix"),
            user(SECOND, "Sam"),
            user(ESCALATION, "Esther"),
            user(OUTSIDER, "Oscar"),
            user(READER, "Rhea"),
            user(MANAGER, "Mona"),
        ],
        catalogs: vec![Catalog {
            id: "catalog".into(),
            display_name: "General".into(),
        }],
        access_packages: vec![AccessPackage {
            id: PACKAGE.into(),
            catalog_id: "catalog".into(),
            display_name: "Approvals".into(),
            description: String::new(),
        }],
        policies: vec![
            policy(DIRECT, None, vec![]),
            policy(ONE, Some(approval(1)), vec![first_stage()]),
            policy(
                TWO,
                Some(approval(2)),
                vec![first_stage(), StageApprovers::users(&[SECOND], &[])],
            ),
        ],
        role_assignments: vec![
            RoleAssignment {
                principal_id: READER,
                role: Role::CatalogReader,
                catalog_id: Some("catalog".into()),
            },
            RoleAssignment {
                principal_id: MANAGER,
                role: Role::AccessPackageAssignmentManager,
                catalog_id: Some("catalog".into()),
            },
        ],
        connected_organizations: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// The server

struct Server {
    base: String,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// An answer: status, `Content-Type`, and the body as JSON (`Null` when empty).
struct Answer {
    status: StatusCode,
    content_type: String,
    body: Value,
}

/// A demo user token for `oid` with these scopes, minted once per test binary (signing is slow in
/// debug builds).
fn token(oid: SubjectId, scopes: &[&str]) -> String {
    static TOKENS: OnceLock<Mutex<HashMap<(SubjectId, String), String>>> = OnceLock::new();
    let scp = scopes.join(" ");
    let mut tokens = TOKENS.get_or_init(Mutex::default).lock().unwrap();
    tokens
        .entry((oid, scp))
        .or_insert_with(|| {
            let issued_at = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            mint_demo(&TokenRequest {
                oid,
                scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
                wids: vec![],
                app: false,
                tenant: None,
                issued_at,
                lifetime_seconds: 3600,
            })
            .unwrap()
        })
        .clone()
}

/// An approver's token: `ReadWrite.All`.
fn writer(oid: SubjectId) -> String {
    token(oid, &[READ_WRITE])
}

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("entitle.db")).unwrap();
    let directory = tenant();
    store.set_directory(&directory).unwrap();
    let state = AppState::new(Shared {
        store: Arc::new(store),
        directories: entitle_server::directory_cache::DirectoryCache::new(1, directory),
        verifier: Verifier::demo().unwrap(),
        clock: Clock::new(ClockBase::Frozen(START), 0),
        metrics: Metrics::default(),
        control_api: true,
        limits: entitle_server::Limits::default(),
        links: entitle_server::Links::default(),
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(entitle_server::serve(
        listener,
        state,
        Duration::from_secs(3600),
        std::future::pending(),
    ));
    Server {
        base: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::new(),
        _dir: dir,
    }
}

const APPROVALS: &str =
    "/identityGovernance/entitlementManagement/accessPackageAssignmentApprovals";

impl Server {
    async fn call(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<(&str, &str)>,
    ) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        if let Some((content_type, body)) = body {
            request = request
                .header("content-type", content_type)
                .body(body.to_owned());
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        Answer {
            status,
            content_type,
            body,
        }
    }

    async fn get(&self, path: &str, bearer: &str) -> Answer {
        self.call(Method::GET, path, Some(bearer), None).await
    }

    /// Submits a request for `policy` as the requestor and returns its id.
    async fn create(&self, policy: &str) -> String {
        let body = json!({
            "requestType": "userAdd",
            "assignment": {
                "targetId": REQUESTOR.to_string(),
                "assignmentPolicyId": policy,
                "accessPackageId": PACKAGE,
            },
        });
        let answer = self
            .call(
                Method::POST,
                "/v1.0/identityGovernance/entitlementManagement/assignmentRequests",
                Some(&token(REQUESTOR, &[SUBJECT_ACCESS, READ_ALL])),
                Some(("application/json", &body.to_string())),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer.body["id"].as_str().unwrap().to_owned()
    }

    /// The request's `status` as its requestor sees it.
    async fn status(&self, id: &str) -> String {
        let answer = self
            .get(
                &format!("/v1.0/identityGovernance/entitlementManagement/assignmentRequests/{id}"),
                &token(REQUESTOR, &[SUBJECT_ACCESS, READ_ALL]),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["status"].as_str().unwrap().to_owned()
    }

    /// The stages of approval `id` as `bearer` sees them (v1.0).
    async fn stages(&self, id: &str, bearer: &str) -> Vec<Value> {
        let answer = self
            .get(&format!("/v1.0{APPROVALS}/{id}/stages"), bearer)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.content_type, "application/json");
        answer.body["value"].as_array().unwrap().clone()
    }

    /// The id of stage `index` of approval `id`.
    async fn stage_id(&self, id: &str, index: usize) -> String {
        let stages = self.stages(id, &writer(FIRST)).await;
        stages[index]["id"].as_str().unwrap().to_owned()
    }

    async fn review(&self, id: &str, stage: &str, bearer: &str, body: &Value) -> Answer {
        self.call(
            Method::PATCH,
            &format!("/v1.0{APPROVALS}/{id}/stages/{stage}"),
            Some(bearer),
            Some(("application/json", &body.to_string())),
        )
        .await
    }

    async fn advance_days(&self, days: u64) {
        let answer = self
            .call(
                Method::POST,
                "/_entitle/clock",
                None,
                Some(("application/json", &json!({ "days": days }).to_string())),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }
}

fn approve(justification: &str) -> Value {
    json!({ "reviewResult": "Approve", "justification": justification })
}

/// Asserts a Graph error envelope with this status and code.
fn assert_error(answer: &Answer, status: StatusCode, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.content_type, "application/json", "{}", answer.body);
    let error = &answer.body["error"];
    assert_eq!(error["code"], code, "{}", answer.body);
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        answer.body
    );
    assert!(
        error["innerError"]["request-id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{}",
        answer.body
    );
}

fn assert_no_content(answer: &Answer) {
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);
    assert_eq!(answer.body, Value::Null);
}

// ---------------------------------------------------------------------------------------------
// Reading

#[tokio::test(flavor = "multi_thread")]
async fn stages_are_listed_in_order_with_graphs_shape() {
    let server = start().await;
    let id = server.create(TWO).await;
    assert_eq!(server.status(&id).await, "PendingApproval");
    let stages = server.stages(&id, &writer(FIRST)).await;
    assert_eq!(stages.len(), 2);
    let first = stages[0].as_object().unwrap();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "assignedToMe",
            "displayName",
            "id",
            "justification",
            "reviewResult",
            "reviewedBy",
            "reviewedDateTime",
            "status"
        ]
    );
    assert_eq!(
        stages[0],
        json!({
            "id": stages[0]["id"],
            "displayName": null,
            "reviewedDateTime": null,
            "reviewResult": "NotReviewed",
            "status": "InProgress",
            "assignedToMe": true,
            "justification": "",
            "reviewedBy": null,
        })
    );
    assert_eq!(stages[1]["status"], "NotStarted");
    assert_eq!(stages[1]["reviewResult"], "NotReviewed");
    assert_eq!(stages[1]["assignedToMe"], false);
    // Stage ids are GUIDs, distinct from each other and from the approval's.
    let ids: Vec<&str> = stages.iter().map(|s| s["id"].as_str().unwrap()).collect();
    for stage in &ids {
        assert!(entitle_core::RequestId::parse(stage).is_ok(), "{stage}");
        assert_ne!(*stage, id);
    }
    assert_ne!(ids[0], ids[1]);
    // The same stages, again: ids are stable.
    assert_eq!(server.stages(&id, &writer(FIRST)).await, stages);
}

#[tokio::test(flavor = "multi_thread")]
async fn beta_steps_and_get_show_the_same_stages() {
    let server = start().await;
    let id = server.create(TWO).await;
    let bearer = writer(SECOND);
    let stages = server.stages(&id, &bearer).await;
    let beta = server
        .get(&format!("/beta{APPROVALS}/{id}/steps"), &bearer)
        .await;
    assert_eq!(beta.status, StatusCode::OK);
    assert_eq!(beta.body["value"].as_array().unwrap(), &stages);
    let beta_stages = server
        .get(&format!("/beta{APPROVALS}/{id}/stages"), &bearer)
        .await;
    assert_eq!(beta_stages.body["value"].as_array().unwrap(), &stages);
    for stage in &stages {
        let stage_id = stage["id"].as_str().unwrap();
        for path in [
            format!("/v1.0{APPROVALS}/{id}/stages/{stage_id}"),
            format!("/beta{APPROVALS}/{id}/steps/{stage_id}"),
            format!("/beta{APPROVALS}/{id}/stages/{stage_id}"),
        ] {
            let one = server.get(&path, &bearer).await;
            assert_eq!(one.status, StatusCode::OK, "{path}");
            assert_eq!(one.content_type, "application/json");
            let mut body = one.body.clone();
            let context = body
                .as_object_mut()
                .unwrap()
                .remove("@odata.context")
                .unwrap();
            let segment = if path.contains("/steps/") {
                "steps"
            } else {
                "stages"
            };
            assert!(
                context
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/$metadata#identityGovernance/entitlementManagement/accessPackageAssignmentApprovals('{id}')/{segment}/$entity")),
                "{context}"
            );
            assert_eq!(&body, stage, "{path}");
        }
    }
    // Uppercase ids are the same ids.
    let upper = stages[1]["id"].as_str().unwrap().to_uppercase();
    let one = server
        .get(
            &format!("/v1.0{APPROVALS}/{}/stages/{upper}", id.to_uppercase()),
            &bearer,
        )
        .await;
    let mut body = one.body.clone();
    body.as_object_mut().unwrap().remove("@odata.context");
    assert_eq!(body, stages[1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_approval_shows_its_stages_and_exists_only_where_approval_applies() {
    let server = start().await;
    let id = server.create(TWO).await;
    let bearer = writer(FIRST);
    let stages = server.stages(&id, &bearer).await;
    for (api, name) in [("v1.0", "stages"), ("beta", "steps")] {
        let approval = server
            .get(&format!("/{api}{APPROVALS}/{id}"), &bearer)
            .await;
        assert_eq!(approval.status, StatusCode::OK, "{}", approval.body);
        assert_eq!(approval.body["id"], id.as_str());
        assert_eq!(approval.body[name].as_array().unwrap(), &stages);
        assert!(
            approval.body["@odata.context"]
                .as_str()
                .unwrap()
                .ends_with("accessPackageAssignmentApprovals/$entity")
        );
    }
    let direct = server.create(DIRECT).await;
    assert_error(
        &server
            .get(&format!("/v1.0{APPROVALS}/{direct}"), &bearer)
            .await,
        StatusCode::NOT_FOUND,
        "itemNotFound",
    );
    assert_error(
        &server
            .get(&format!("/v1.0{APPROVALS}/{id}"), &writer(OUTSIDER))
            .await,
        StatusCode::FORBIDDEN,
        "accessDenied",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn assigned_to_me_follows_the_stage_approvers() {
    let server = start().await;
    let id = server.create(TWO).await;
    let mine = |stages: &[Value]| -> Vec<bool> {
        stages
            .iter()
            .map(|s| s["assignedToMe"].as_bool().unwrap())
            .collect()
    };
    assert_eq!(
        mine(&server.stages(&id, &writer(FIRST)).await),
        [true, false]
    );
    assert_eq!(
        mine(&server.stages(&id, &writer(FIRST_TOO)).await),
        [true, false]
    );
    assert_eq!(
        mine(&server.stages(&id, &writer(SECOND)).await),
        [false, true]
    );
    // The escalation approver is asked only once the stage escalates.
    assert_eq!(
        mine(&server.stages(&id, &writer(ESCALATION)).await),
        [false, false]
    );
    // Readers who approve nothing: the requestor, a catalog reader.
    let requestor = token(REQUESTOR, &[SUBJECT_ACCESS, READ_ALL]);
    assert_eq!(mine(&server.stages(&id, &requestor).await), [false, false]);
    assert_eq!(
        mine(&server.stages(&id, &token(READER, &[READ_ALL])).await),
        [false, false]
    );
    // `ReadWrite.All` without a reader role in the catalog reads nothing.
    assert_error(
        &server
            .get(&format!("/v1.0{APPROVALS}/{id}/stages"), &writer(OUTSIDER))
            .await,
        StatusCode::FORBIDDEN,
        "accessDenied",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn approvers_read_without_read_all_and_others_are_refused() {
    let server = start().await;
    let id = server.create(ONE).await;
    // An approver whose token only has subject access still reads the stages it approves.
    let approver = token(FIRST, &[SUBJECT_ACCESS]);
    let stages = server.stages(&id, &approver).await;
    assert_eq!(stages[0]["assignedToMe"], true);
    let stage = stages[0]["id"].as_str().unwrap();
    let one = server
        .get(&format!("/v1.0{APPROVALS}/{id}/stages/{stage}"), &approver)
        .await;
    assert_eq!(one.status, StatusCode::OK);
    // So does the escalation approver, before the stage escalates.
    server
        .stages(&id, &token(ESCALATION, &[SUBJECT_ACCESS]))
        .await;
    // The requestor with subject access only reads their own request's approval.
    server
        .stages(&id, &token(REQUESTOR, &[SUBJECT_ACCESS]))
        .await;
    // Someone else with subject access only does not.
    let outsider = token(OUTSIDER, &[SUBJECT_ACCESS]);
    for path in [
        format!("/v1.0{APPROVALS}/{id}/stages"),
        format!("/v1.0{APPROVALS}/{id}/stages/{stage}"),
        format!("/beta{APPROVALS}/{id}/steps"),
    ] {
        assert_error(
            &server.get(&path, &outsider).await,
            StatusCode::FORBIDDEN,
            "accessDenied",
        );
    }
    // An approver's token without any entitlement-management permission reads nothing.
    let bare = token(FIRST, &["User.Read"]);
    assert_error(
        &server
            .get(&format!("/v1.0{APPROVALS}/{id}/stages"), &bare)
            .await,
        StatusCode::FORBIDDEN,
        "accessDenied",
    );
}

// ---------------------------------------------------------------------------------------------
// Reviewing

#[tokio::test(flavor = "multi_thread")]
async fn two_stages_are_approved_one_after_the_other() {
    let server = start().await;
    let id = server.create(TWO).await;
    let first = server.stage_id(&id, 0).await;
    let second = server.stage_id(&id, 1).await;

    // The second stage's approver cannot decide the first stage, nor the second before it starts.
    assert_error(
        &server
            .review(&id, &first, &writer(SECOND), &approve("no"))
            .await,
        StatusCode::FORBIDDEN,
        "accessDenied",
    );
    assert_error(
        &server
            .review(&id, &second, &writer(SECOND), &approve("early"))
            .await,
        StatusCode::CONFLICT,
        "actionNotAllowed",
    );

    assert_no_content(
        &server
            .review(&id, &first, &writer(FIRST), &approve("Looks right"))
            .await,
    );
    assert_eq!(server.status(&id).await, "PendingApproval");
    let stages = server.stages(&id, &writer(SECOND)).await;
    assert_eq!(
        stages[0],
        json!({
            "id": first,
            "displayName": null,
            "reviewedDateTime": START_TEXT,
            "reviewResult": "Approved",
            "status": "Completed",
            "assignedToMe": false,
            "justification": "Looks right",
            "reviewedBy": { "id": FIRST.to_string(), "displayName": "Fiona" },
        })
    );
    assert_eq!(stages[1]["status"], "InProgress");
    assert_eq!(stages[1]["reviewResult"], "NotReviewed");
    assert_eq!(stages[1]["assignedToMe"], true);

    // The first stage is decided: its other approver and its own approver get 409.
    for approver in [FIRST_TOO, FIRST] {
        assert_error(
            &server
                .review(&id, &first, &writer(approver), &approve("again"))
                .await,
            StatusCode::CONFLICT,
            "stageAlreadyReviewed",
        );
    }
    // The first stage's approver does not approve the second.
    assert_error(
        &server
            .review(&id, &second, &writer(FIRST), &approve("mine?"))
            .await,
        StatusCode::FORBIDDEN,
        "accessDenied",
    );

    // The second stage, through beta's `steps`, with a lowercase result and no justification.
    server.advance_days(1).await;
    let answer = server
        .call(
            Method::PATCH,
            &format!("/beta{APPROVALS}/{id}/steps/{second}"),
            Some(&writer(SECOND)),
            Some((
                "application/json; charset=utf-8",
                r#"{"reviewResult":"approve"}"#,
            )),
        )
        .await;
    assert_no_content(&answer);
    assert_eq!(server.status(&id).await, "Delivering");
    let stages = server.stages(&id, &writer(SECOND)).await;
    assert_eq!(stages[1]["status"], "Completed");
    assert_eq!(stages[1]["reviewResult"], "Approved");
    assert_eq!(stages[1]["justification"], "");
    assert_eq!(stages[1]["reviewedBy"]["displayName"], "Sam");
    assert_eq!(stages[1]["reviewedDateTime"], "2026-01-02T00:00:00.000Z");
    assert_error(
        &server
            .review(&id, &second, &writer(SECOND), &approve("again"))
            .await,
        StatusCode::CONFLICT,
        "stageAlreadyReviewed",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denial_ends_the_request() {
    let server = start().await;
    let id = server.create(TWO).await;
    let first = server.stage_id(&id, 0).await;
    let second = server.stage_id(&id, 1).await;
    let deny = json!({ "reviewResult": "DENY", "justification": "Not needed" });
    assert_no_content(&server.review(&id, &first, &writer(FIRST_TOO), &deny).await);
    assert_eq!(server.status(&id).await, "Denied");
    let stages = server.stages(&id, &writer(FIRST)).await;
    assert_eq!(stages[0]["status"], "Completed");
    assert_eq!(stages[0]["reviewResult"], "Denied");
    assert_eq!(stages[0]["justification"], "Not needed");
    assert_eq!(stages[0]["reviewedBy"]["id"], FIRST_TOO.to_string());
    assert_eq!(stages[0]["reviewedBy"]["displayName"], "Felix");
    assert_eq!(stages[1]["status"], "NotStarted");
    // The decided stage conflicts; the stage never reached is refused by the core.
    assert_error(
        &server.review(&id, &first, &writer(FIRST), &deny).await,
        StatusCode::CONFLICT,
        "stageAlreadyReviewed",
    );
    assert_error(
        &server
            .review(&id, &second, &writer(SECOND), &approve("late"))
            .await,
        StatusCode::CONFLICT,
        "actionNotAllowed",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn non_approvers_and_the_requestor_are_refused() {
    let server = start().await;
    let id = server.create(ONE).await;
    let stage = server.stage_id(&id, 0).await;
    for bearer in [
        writer(OUTSIDER),
        writer(SECOND),
        writer(REQUESTOR),
        token(REQUESTOR, &[SUBJECT_ACCESS, READ_ALL]),
        // An approver without `ReadWrite.All`.
        token(FIRST, &[SUBJECT_ACCESS, READ_ALL]),
    ] {
        assert_error(
            &server
                .review(&id, &stage, &bearer, &approve("please"))
                .await,
            StatusCode::FORBIDDEN,
            "accessDenied",
        );
    }
    assert_eq!(server.status(&id).await, "PendingApproval");
    // Once decided, an outsider still gets 403, not the stage's state.
    assert_no_content(
        &server
            .review(&id, &stage, &writer(FIRST), &approve("ok"))
            .await,
    );
    assert_error(
        &server
            .review(&id, &stage, &writer(OUTSIDER), &approve("please"))
            .await,
        StatusCode::FORBIDDEN,
        "accessDenied",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn escalation_approvers_decide_once_the_stage_escalates() {
    let server = start().await;
    let id = server.create(ONE).await;
    let stage = server.stage_id(&id, 0).await;
    assert_error(
        &server
            .review(&id, &stage, &writer(ESCALATION), &approve("early"))
            .await,
        StatusCode::FORBIDDEN,
        "accessDenied",
    );
    server.advance_days(4).await;
    assert_eq!(server.status(&id).await, "PendingApprovalEscalated");
    let stages = server.stages(&id, &writer(ESCALATION)).await;
    assert_eq!(stages[0]["status"], "InProgress");
    assert_eq!(stages[0]["assignedToMe"], true);
    assert_no_content(
        &server
            .review(&id, &stage, &writer(ESCALATION), &approve("covering"))
            .await,
    );
    assert_eq!(server.status(&id).await, "Delivering");
    let stages = server.stages(&id, &writer(ESCALATION)).await;
    assert_eq!(stages[0]["reviewedBy"]["displayName"], "Esther");
    assert_eq!(stages[0]["reviewedDateTime"], "2026-01-05T00:00:00.000Z");
    assert_eq!(stages[0]["assignedToMe"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_and_canceled_stages_end_unreviewed() {
    let server = start().await;
    let expired = server.create(TWO).await;
    let canceled = server.create(TWO).await;
    let answer = server
        .call(
            Method::POST,
            &format!(
                "/v1.0/identityGovernance/entitlementManagement/assignmentRequests/{canceled}/cancel"
            ),
            Some(&token(REQUESTOR, &[SUBJECT_ACCESS])),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let stages = server.stages(&canceled, &writer(FIRST)).await;
    assert_eq!(stages[0]["status"], "Canceled");
    assert_eq!(stages[0]["reviewResult"], "NotReviewed");
    assert_eq!(stages[1]["status"], "NotStarted");

    server.advance_days(15).await;
    assert_eq!(server.status(&expired).await, "Expired");
    let stages = server.stages(&expired, &writer(FIRST)).await;
    assert_eq!(stages[0]["status"], "Expired");
    assert_eq!(stages[0]["reviewResult"], "NotReviewed");
    assert_eq!(stages[0]["reviewedBy"], Value::Null);
    // The stage escalated before it expired: its escalation approver was asked.
    assert_eq!(
        server.stages(&expired, &writer(ESCALATION)).await[0]["assignedToMe"],
        true
    );
    assert_eq!(stages[1]["status"], "NotStarted");
    for id in [&expired, &canceled] {
        let stage = server.stage_id(id, 0).await;
        assert_error(
            &server
                .review(id, &stage, &writer(FIRST), &approve("late"))
                .await,
            StatusCode::CONFLICT,
            "actionNotAllowed",
        );
    }
}

/// Two approvers review stage `index` of `id` at once, each on its own task; returns both answers.
async fn race(server: &Arc<Server>, id: &str, index: usize, bodies: [Value; 2]) -> [Answer; 2] {
    let stage = server.stage_id(id, index).await;
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let tasks = [FIRST, FIRST_TOO]
        .into_iter()
        .zip(bodies)
        .map(|(approver, body)| {
            let (server, barrier) = (Arc::clone(server), Arc::clone(&barrier));
            let (id, stage, bearer) = (id.to_owned(), stage.clone(), writer(approver));
            tokio::spawn(async move {
                barrier.wait().await;
                server.review(&id, &stage, &bearer, &body).await
            })
        });
    let tasks: Vec<_> = tasks.collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers.try_into().ok().unwrap()
}

/// Exactly one answer is `204`, the other `409 stageAlreadyReviewed`.
fn assert_one_wins(answers: &[Answer; 2]) {
    let won = answers
        .iter()
        .filter(|a| a.status == StatusCode::NO_CONTENT)
        .count();
    assert_eq!(
        won,
        1,
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    let lost = answers
        .iter()
        .find(|a| a.status != StatusCode::NO_CONTENT)
        .unwrap();
    assert_error(lost, StatusCode::CONFLICT, "stageAlreadyReviewed");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_approvals_of_one_stage_succeed_once() {
    let server = Arc::new(start().await);
    for _ in 0..10 {
        // The last stage: the winner moves the request out of approval.
        let id = server.create(ONE).await;
        let answers = race(
            &server,
            &id,
            0,
            [approve("first"), json!({ "reviewResult": "Deny" })],
        )
        .await;
        assert_one_wins(&answers);
        let status = server.status(&id).await;
        assert!(status == "Delivering" || status == "Denied", "{status}");
        // The first of two stages: the loser finds the request at the next stage.
        let id = server.create(TWO).await;
        let answers = race(&server, &id, 0, [approve("first"), approve("too")]).await;
        assert_one_wins(&answers);
        assert_eq!(server.status(&id).await, "PendingApproval");
        let stages = server.stages(&id, &writer(SECOND)).await;
        assert_eq!(stages[0]["status"], "Completed");
        assert_eq!(stages[1]["status"], "InProgress");
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

#[tokio::test(flavor = "multi_thread")]
async fn unknown_approvals_and_stages_are_not_found() {
    let server = start().await;
    let id = server.create(ONE).await;
    let direct = server.create(DIRECT).await;
    let stage = server.stage_id(&id, 0).await;
    let unknown = "7d2c1f6e-0a1b-4c3d-8e9f-001122334455";
    let bearer = writer(FIRST);
    for path in [
        format!("/v1.0{APPROVALS}/{unknown}/stages"),
        format!("/v1.0{APPROVALS}/{unknown}/stages/{stage}"),
        format!("/beta{APPROVALS}/{unknown}/steps"),
        // A request without approval has no approval.
        format!("/v1.0{APPROVALS}/{direct}/stages"),
        format!("/v1.0{APPROVALS}/{direct}/stages/{stage}"),
        // A stage of another approval, or no stage at all.
        format!("/v1.0{APPROVALS}/{id}/stages/{unknown}"),
        format!("/v1.0{APPROVALS}/{id}/stages/{id}"),
        format!("/beta{APPROVALS}/{id}/steps/{unknown}"),
    ] {
        assert_error(
            &server.get(&path, &bearer).await,
            StatusCode::NOT_FOUND,
            "itemNotFound",
        );
    }
    for (approval, stage) in [(unknown, stage.as_str()), (&direct, &stage), (&id, unknown)] {
        assert_error(
            &server
                .review(approval, stage, &bearer, &approve("ok"))
                .await,
            StatusCode::NOT_FOUND,
            "itemNotFound",
        );
    }
    // Malformed ids are bad requests.
    for path in [
        format!("/v1.0{APPROVALS}/not-a-guid/stages"),
        format!("/v1.0{APPROVALS}/not-a-guid/stages/{stage}"),
        format!("/v1.0{APPROVALS}/{id}/stages/not-a-guid"),
    ] {
        assert_error(
            &server.get(&path, &bearer).await,
            StatusCode::BAD_REQUEST,
            "invalidRequest",
        );
    }
    assert_error(
        &server
            .review(&id, "not-a-guid", &bearer, &approve("ok"))
            .await,
        StatusCode::BAD_REQUEST,
        "invalidRequest",
    );
    assert_eq!(server.status(&id).await, "PendingApproval");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_administrators_request_under_an_approval_policy_has_no_approval() {
    let server = start().await;
    let stage = server.stage_id(&server.create(ONE).await, 0).await;
    let body = json!({
        "requestType": "adminAdd",
        "assignment": {
            "targetId": OUTSIDER.to_string(),
            "assignmentPolicyId": ONE,
            "accessPackageId": PACKAGE,
        },
    });
    let created = server
        .call(
            Method::POST,
            "/v1.0/identityGovernance/entitlementManagement/assignmentRequests",
            Some(&writer(MANAGER)),
            Some(("application/json", &body.to_string())),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap();
    let read = server
        .get(
            &format!("/v1.0/identityGovernance/entitlementManagement/assignmentRequests/{id}"),
            &writer(MANAGER),
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.body["status"], "Delivering");
    for bearer in [writer(FIRST), writer(MANAGER)] {
        for path in [
            format!("/v1.0{APPROVALS}/{id}/stages"),
            format!("/beta{APPROVALS}/{id}/steps"),
        ] {
            assert_error(
                &server.get(&path, &bearer).await,
                StatusCode::NOT_FOUND,
                "itemNotFound",
            );
        }
    }
    assert_error(
        &server
            .review(id, &stage, &writer(FIRST), &approve("ok"))
            .await,
        StatusCode::NOT_FOUND,
        "itemNotFound",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_bodies_are_refused() {
    let server = start().await;
    let id = server.create(ONE).await;
    let stage = server.stage_id(&id, 0).await;
    let path = format!("/v1.0{APPROVALS}/{id}/stages/{stage}");
    let bearer = writer(FIRST);
    let send = |content_type: &'static str, body: &'static str| {
        let (server, path, bearer) = (&server, &path, &bearer);
        async move {
            server
                .call(
                    Method::PATCH,
                    path,
                    Some(bearer),
                    Some((content_type, body)),
                )
                .await
        }
    };
    assert_error(
        &send("text/plain", r#"{"reviewResult":"Approve"}"#).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupportedMediaType",
    );
    for body in [
        "",
        "{",
        "[]",
        "{}",
        r#"{"reviewResult":null}"#,
        r#"{"reviewResult":true}"#,
        r#"{"reviewResult":"Maybe"}"#,
        r#"{"reviewResult":"NotReviewed"}"#,
        r#"{"reviewResult":" Approve"}"#,
        r#"{"reviewResult":"Approve","justification":42}"#,
    ] {
        assert_error(
            &send("application/json", body).await,
            StatusCode::BAD_REQUEST,
            "invalidRequest",
        );
    }
    // Nothing was decided; a body with extra properties (as SDKs send) is accepted.
    assert_eq!(server.status(&id).await, "PendingApproval");
    let answer = send(
        "application/json",
        r##"{"@odata.type":"#microsoft.graph.approvalStage","reviewResult":"Approve","justification":"ok"}"##,
    )
    .await;
    assert_no_content(&answer);
    assert_eq!(server.status(&id).await, "Delivering");
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_without_a_valid_token_are_unauthenticated() {
    let server = start().await;
    let id = server.create(ONE).await;
    let stage = server.stage_id(&id, 0).await;
    let body = approve("ok").to_string();
    for bearer in [None, Some("not-a-token")] {
        for (method, path, body) in [
            (Method::GET, format!("/v1.0{APPROVALS}/{id}/stages"), None),
            (
                Method::GET,
                format!("/v1.0{APPROVALS}/{id}/stages/{stage}"),
                None,
            ),
            (Method::GET, format!("/beta{APPROVALS}/{id}/steps"), None),
            (
                Method::PATCH,
                format!("/v1.0{APPROVALS}/{id}/stages/{stage}"),
                Some(("application/json", body.as_str())),
            ),
            (
                Method::PATCH,
                format!("/beta{APPROVALS}/{id}/steps/{stage}"),
                Some(("application/json", body.as_str())),
            ),
        ] {
            let answer = server.call(method, &path, bearer, body).await;
            assert_error(&answer, StatusCode::UNAUTHORIZED, "unauthenticated");
        }
    }
    assert_eq!(server.status(&id).await, "PendingApproval");
}
