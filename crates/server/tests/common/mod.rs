//! The harness shared by the server's HTTP integration tests: a [`TestServer`] serving the real app
//! on `127.0.0.1` over a SQLite file in a temporary directory, with a test tenant, a frozen clock and
//! the control API on; demo tokens for the tenant's principals; and helpers for the calls most tests
//! make (create a request, cancel it, post a control-API event, advance the clock).

#![allow(dead_code, reason = "each test file uses part of the harness")]

pub(crate) mod demo;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use entitle_auth::{TokenRequest, Verifier, mint_demo};
use entitle_core::{ApiVersion, Guid, SubjectId, Timestamp};
use entitle_graph::tenant::parse_tenant;
use entitle_server::{AppState, Clock, ClockBase, Limits, Shared};
use entitle_store::{Directory, SqliteStore, Store};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

// ---------------------------------------------------------------------------------------------
// The test tenant

/// Where the frozen clock starts: 2026-01-01T00:00:00Z.
pub(crate) const START: Timestamp = Timestamp(1_767_225_600_000);
/// [`START`] as Graph writes it.
pub(crate) const START_TEXT: &str = "2026-01-01T00:00:00.000Z";

/// The catalog of the test package.
pub(crate) const CATALOG: &str = "catalog-general";
/// A catalog nobody administers.
pub(crate) const OTHER_CATALOG: &str = "catalog-other";
/// The access package every policy belongs to.
pub(crate) const PACKAGE: &str = "package-sales";
/// A policy without approval: requests go straight to `Delivering`.
pub(crate) const DIRECT: &str = "policy-direct";
/// A one-stage approval policy escalating after 3 days and expiring after 14.
pub(crate) const APPROVAL: &str = "policy-approval";
/// A policy whose custom extension pauses new requests in `WaitingForCallback`.
pub(crate) const CALLOUT: &str = "policy-callout";

/// The subject with this small number as its GUID.
pub(crate) const fn subject(n: u128) -> SubjectId {
    SubjectId::new(Guid::from_u128(
        0x1111_1111_0000_4000_8000_0000_0000_0000 | n,
    ))
}

/// A user who requests access for themselves.
pub(crate) const ALICE: SubjectId = subject(1);
/// Another user, with `ReadWrite.All` but no administrator role.
pub(crate) const BOB: SubjectId = subject(2);
/// The access package assignment manager of [`CATALOG`].
pub(crate) const MANAGER: SubjectId = subject(3);
/// The primary approver of [`APPROVAL`].
pub(crate) const APPROVER: SubjectId = subject(4);
/// The escalation approver of [`APPROVAL`].
pub(crate) const ALTERNATE: SubjectId = subject(5);
/// A catalog reader of [`CATALOG`], who reads every request there.
pub(crate) const READER: SubjectId = subject(6);
/// An application.
pub(crate) const APP: SubjectId = subject(7);
/// Another requestor.
pub(crate) const CAROL: SubjectId = subject(8);

/// A group of requestors: Alice, Bob and Carol. No policy names it.
pub(crate) const GROUP: &str = "1111aaaa-0000-4000-8000-00000000a9a9";

/// `EntitlementMgmt-SubjectAccess.ReadWrite`.
pub(crate) const SUBJECT_ACCESS: &str = "EntitlementMgmt-SubjectAccess.ReadWrite";
/// `EntitlementManagement.Read.All`.
pub(crate) const READ_ALL: &str = "EntitlementManagement.Read.All";
/// `EntitlementManagement.ReadWrite.All`.
pub(crate) const READ_WRITE_ALL: &str = "EntitlementManagement.ReadWrite.All";

/// A `singleUser` subject set.
fn single(user: SubjectId) -> Value {
    json!({"@odata.type": "#microsoft.graph.singleUser", "userId": user})
}

/// A catalog role assignment.
fn role(principal: SubjectId, definition: &str, catalog: &str) -> Value {
    json!({
        "id": format!("role-{principal}"),
        "principalId": principal,
        "roleDefinitionId": definition,
        "appScopeId": format!("/AccessPackageCatalog/{catalog}"),
    })
}

/// The test tenant's Graph document, as `entitle serve --tenant` reads it.
pub(crate) fn tenant_document() -> Value {
    let users: Vec<Value> = [
        (ALICE, "Alice"),
        (BOB, "Bob"),
        (MANAGER, "Manager"),
        (APPROVER, "Approver"),
        (ALTERNATE, "Alternate"),
        (READER, "Reader"),
        (CAROL, "Carol"),
    ]
    .into_iter()
    .map(|(id, name)| {
        json!({
            "id": id,
            "displayName": name,
            "userPrincipalName": format!("{}@contoso.test", name.to_lowercase()),
        })
    })
    .collect();
    let policy = |id: &str, name: &str| {
        json!({
            "id": id,
            "displayName": name,
            "accessPackage": {"id": PACKAGE},
            "allowedTargetScope": "allDirectoryUsers",
            "requestorSettings": {
                "enableTargetsToSelfAddAccess": true,
                "enableTargetsToSelfUpdateAccess": true,
                "enableTargetsToSelfRemoveAccess": true,
            },
        })
    };
    let mut approval = policy(APPROVAL, "Manager approval");
    approval["requestApprovalSettings"] = json!({
        "isApprovalRequiredForAdd": true,
        "stages": [{
            "durationBeforeAutomaticDenial": "P14D",
            "isEscalationEnabled": true,
            "durationBeforeEscalation": "P3D",
            "primaryApprovers": [single(APPROVER)],
            "escalationApprovers": [single(ALTERNATE)],
        }],
    });
    let mut callout = policy(CALLOUT, "Custom extension");
    callout["customExtensionStageSettings"] = json!([{
        "stage": "assignmentRequestCreated",
        "customExtension": {"id": "1111aaaa-0000-4000-8000-00000000e0e0"},
    }]);
    json!({
        "users": users,
        "groups": [{
            "id": GROUP,
            "displayName": "Sellers",
            "mailNickname": "sellers",
            "members": [{"id": ALICE}, {"id": BOB}, {"id": CAROL}],
        }],
        "catalogs": [
            {"id": CATALOG, "displayName": "General"},
            {"id": OTHER_CATALOG, "displayName": "Other"},
        ],
        "accessPackages": [{
            "id": PACKAGE,
            "displayName": "Sales",
            "description": "Access to the sales tools",
            "catalog": {"id": CATALOG},
        }],
        "assignmentPolicies": [policy(DIRECT, "Direct"), approval, callout],
        "roleAssignments": [
            role(MANAGER, "e2182095-804a-4656-ae11-64734e9b7ae5", CATALOG),
            role(BOB, "ae79f266-94d4-4dab-b730-feca7e132178", OTHER_CATALOG),
            role(READER, "44272f93-9762-48e8-af59-1b5351b1d6b3", CATALOG),
        ],
    })
}

/// The test tenant.
pub(crate) fn directory() -> Directory {
    let document = parse_tenant(&tenant_document().to_string()).expect("the test tenant reads");
    Directory::from_document(document, START).expect("the test tenant is consistent")
}

// ---------------------------------------------------------------------------------------------
// Tokens

/// The system clock in Unix seconds (tokens are checked against it, not the virtual clock).
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the system clock is after 1970")
        .as_secs()
}

/// What a token says: who, with which permissions, as which kind of principal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Who {
    /// `oid`.
    pub(crate) oid: SubjectId,
    /// `scp` (users) or `roles` (apps).
    pub(crate) scopes: Vec<String>,
    /// An app-only token.
    pub(crate) app: bool,
    /// `tid`, when not the demo tenant.
    pub(crate) tenant: Option<String>,
}

impl Who {
    /// A work or school user with these delegated permissions.
    pub(crate) fn user(oid: SubjectId, scopes: &[&str]) -> Self {
        Self {
            oid,
            scopes: scopes.iter().map(|&s| s.to_owned()).collect(),
            app: false,
            tenant: None,
        }
    }

    /// An application with these application permissions.
    pub(crate) fn app(oid: SubjectId, roles: &[&str]) -> Self {
        Self {
            app: true,
            ..Self::user(oid, roles)
        }
    }

    /// A personal Microsoft account with these delegated permissions.
    pub(crate) fn personal(oid: SubjectId, scopes: &[&str]) -> Self {
        Self {
            tenant: Some(entitle_auth::PERSONAL_ACCOUNT_TENANT.to_owned()),
            ..Self::user(oid, scopes)
        }
    }

    /// A bearer token saying this, minted once per test binary (signing is the slow part).
    pub(crate) fn token(&self) -> String {
        static TOKENS: OnceLock<Mutex<HashMap<Who, String>>> = OnceLock::new();
        let tokens = TOKENS.get_or_init(Mutex::default);
        if let Some(token) = tokens.lock().expect("token cache").get(self) {
            return token.clone();
        }
        let token = mint_demo(&TokenRequest {
            oid: self.oid,
            scopes: self.scopes.clone(),
            wids: vec![],
            app: self.app,
            tenant: self.tenant.clone(),
            issued_at: unix_now(),
            lifetime_seconds: 3_600,
        })
        .expect("the demo key signs");
        tokens
            .lock()
            .expect("token cache")
            .insert(self.clone(), token.clone());
        token
    }
}

/// Alice: a requestor with `SubjectAccess.ReadWrite`.
pub(crate) fn alice() -> String {
    Who::user(ALICE, &[SUBJECT_ACCESS]).token()
}

/// Carol: another requestor with `SubjectAccess.ReadWrite`.
pub(crate) fn carol() -> String {
    Who::user(CAROL, &[SUBJECT_ACCESS]).token()
}

/// Bob: `SubjectAccess.ReadWrite` and `ReadWrite.All`, but no administrator role on [`CATALOG`].
pub(crate) fn bob() -> String {
    Who::user(BOB, &[SUBJECT_ACCESS, READ_WRITE_ALL]).token()
}

/// The assignment manager of [`CATALOG`], with `ReadWrite.All`.
pub(crate) fn manager() -> String {
    Who::user(MANAGER, &[READ_WRITE_ALL]).token()
}

/// A reader with `Read.All`.
pub(crate) fn reader() -> String {
    Who::user(READER, &[READ_ALL]).token()
}

/// The approver of [`APPROVAL`], with `ReadWrite.All`.
pub(crate) fn approver() -> String {
    Who::user(APPROVER, &[READ_WRITE_ALL]).token()
}

/// An application with `ReadWrite.All`.
pub(crate) fn app() -> String {
    Who::app(APP, &[READ_WRITE_ALL]).token()
}

/// A personal account with `SubjectAccess.ReadWrite` and `ReadWrite.All`.
pub(crate) fn personal() -> String {
    Who::personal(ALICE, &[SUBJECT_ACCESS, READ_WRITE_ALL]).token()
}

// ---------------------------------------------------------------------------------------------
// The server

/// The two API versions, with their path prefixes.
pub(crate) const APIS: [ApiVersion; 2] = [ApiVersion::V1, ApiVersion::Beta];

/// The path prefix of `api`.
pub(crate) const fn prefix(api: ApiVersion) -> &'static str {
    match api {
        ApiVersion::V1 => "/v1.0",
        ApiVersion::Beta => "/beta",
    }
}

/// The entitlement-management root under an API version.
pub(crate) fn management(api: ApiVersion) -> String {
    format!("{}/identityGovernance/entitlementManagement", prefix(api))
}

/// `…/assignmentRequests` under `api`.
pub(crate) fn requests(api: ApiVersion) -> String {
    format!("{}/assignmentRequests", management(api))
}

/// The collection paths of `api`: `assignmentRequests`, and in beta also
/// `accessPackageAssignmentRequests`.
pub(crate) fn collections(api: ApiVersion) -> Vec<String> {
    match api {
        ApiVersion::V1 => vec![requests(api)],
        ApiVersion::Beta => vec![
            requests(api),
            format!("{}/accessPackageAssignmentRequests", management(api)),
        ],
    }
}

/// A running server over a fresh SQLite file.
pub(crate) struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub(crate) base: String,
    /// A client for it.
    pub(crate) client: reqwest::Client,
    /// The state the server shares (store, clock, metrics).
    pub(crate) state: AppState,
    task: JoinHandle<Result<(), entitle_server::ServeError>>,
    files: tempfile::TempDir,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    /// Builds the app over `tempdir/entitle.db` with the test tenant and serves it on a free port,
    /// with the control API.
    pub(crate) async fn start() -> Self {
        Self::start_with(true).await
    }

    /// As [`start`](Self::start), with the control API on or off.
    pub(crate) async fn start_with(control_api: bool) -> Self {
        Self::start_limited(control_api, Limits::default()).await
    }

    /// As [`start_with`](Self::start_with), with these resource limits.
    pub(crate) async fn start_limited(control_api: bool, limits: Limits) -> Self {
        Self::start_serving(control_api, limits, false).await
    }

    /// As [`start_limited`](Self::start_limited) with the control API, over TLS with a certificate
    /// from a local authority in the server's directory ([`TestServer::authority`]). Its `client`
    /// speaks no TLS.
    pub(crate) async fn start_tls(limits: Limits) -> Self {
        Self::start_serving(true, limits, true).await
    }

    /// The local certificate authority's file of a server started with
    /// [`start_tls`](Self::start_tls).
    pub(crate) fn authority(&self) -> std::path::PathBuf {
        self.files.path().join(entitle_server::tls::CA_FILE)
    }

    async fn start_serving(control_api: bool, limits: Limits, tls: bool) -> Self {
        let files = tempfile::tempdir().expect("a temporary directory");
        let acceptor = tls.then(|| {
            let local = entitle_server::tls::local_certificate(files.path(), &[])
                .expect("a local certificate");
            let config = entitle_server::tls::server_config(&local.cert, &local.key)
                .expect("a TLS configuration");
            tokio_rustls::TlsAcceptor::from(config)
        });
        let store = SqliteStore::open(&files.path().join("entitle.db")).expect("the store opens");
        let directory = directory();
        store
            .set_directory(&directory)
            .expect("the tenant is valid");
        let state = AppState::new(Shared {
            store: Arc::new(store),
            directories: entitle_server::directory_cache::DirectoryCache::new(1, directory),
            verifier: Verifier::demo().expect("the demo verifier"),
            clock: Clock::new(ClockBase::Frozen(START), 0),
            metrics: entitle_server::metrics::Metrics::default(),
            control_api,
            limits,
            links: entitle_server::Links {
                tls,
                ..entitle_server::Links::default()
            },
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address = listener.local_addr().expect("a bound address");
        let task = tokio::spawn(entitle_server::serve::serve_with(
            listener,
            state.clone(),
            Duration::from_secs(3_600),
            acceptor,
            std::future::pending(),
        ));
        let scheme = if tls { "https" } else { "http" };
        Self {
            base: format!("{scheme}://{address}"),
            client: reqwest::Client::new(),
            state,
            task,
            files,
        }
    }

    /// The absolute URL of `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request to `path`, with a bearer token when one is given.
    pub(crate) fn call(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// `GET path` with `token`.
    pub(crate) async fn get(&self, path: &str, token: &str) -> Response {
        self.call(Method::GET, path, Some(token))
            .send()
            .await
            .expect("the server answers")
    }

    /// `GET path` with `token`, expecting `200` and JSON.
    pub(crate) async fn get_json(&self, path: &str, token: &str) -> Value {
        let response = self.get(path, token).await;
        expect_json(response, StatusCode::OK).await
    }

    /// `POST …/assignmentRequests` under `api` with `body`, as `token`.
    pub(crate) async fn post_request(
        &self,
        api: ApiVersion,
        token: &str,
        body: &Value,
    ) -> Response {
        self.call(Method::POST, &requests(api), Some(token))
            .json(body)
            .send()
            .await
            .expect("the server answers")
    }

    /// Creates a `userAdd` request under `policy` as `token`'s user (`201`), returning its id.
    pub(crate) async fn create_request(&self, token: &str, policy: &str) -> String {
        let response = self
            .post_request(ApiVersion::V1, token, &create_body(ApiVersion::V1, policy))
            .await;
        let body = expect_json(response, StatusCode::CREATED).await;
        body["id"]
            .as_str()
            .expect("the new request's id")
            .to_owned()
    }

    /// `GET …/assignmentRequests/{id}` in v1.0 as the reader, returning its `status`.
    pub(crate) async fn status(&self, id: &str) -> String {
        let body = self
            .get_json(&format!("{}/{id}", requests(ApiVersion::V1)), &reader())
            .await;
        body["status"].as_str().expect("a status").to_owned()
    }

    /// `POST {collection}/{id}/cancel` with no body and no `Content-Type`, as `token`.
    pub(crate) async fn cancel_at(&self, collection: &str, id: &str, token: &str) -> Response {
        self.call(
            Method::POST,
            &format!("{collection}/{id}/cancel"),
            Some(token),
        )
        .send()
        .await
        .expect("the server answers")
    }

    /// `POST …/assignmentRequests/{id}/cancel` in v1.0, as the SDKs send it.
    pub(crate) async fn cancel(&self, id: &str, token: &str) -> Response {
        self.cancel_at(&requests(ApiVersion::V1), id, token).await
    }

    /// `POST /_entitle/requests/{id}/events` with `{"action": action}`.
    pub(crate) async fn event(&self, id: &str, action: &str) -> Response {
        self.call(
            Method::POST,
            &format!("/_entitle/requests/{id}/events"),
            None,
        )
        .json(&json!({ "action": action }))
        .send()
        .await
        .expect("the server answers")
    }

    /// Posts the control-API event `action`, expecting `200`; returns the new status.
    pub(crate) async fn drive(&self, id: &str, action: &str) -> String {
        let body = expect_json(self.event(id, action).await, StatusCode::OK).await;
        body["status"].as_str().expect("a status").to_owned()
    }

    /// `POST /_entitle/clock` with `{"days": days}`, expecting `200`; returns the answer.
    pub(crate) async fn advance_days(&self, days: u64) -> Value {
        let response = self
            .call(Method::POST, "/_entitle/clock", None)
            .json(&json!({ "days": days }))
            .send()
            .await
            .expect("the server answers");
        expect_json(response, StatusCode::OK).await
    }

    /// `GET /_entitle/requests/{id}/history`, expecting `200`; returns the entries.
    pub(crate) async fn history(&self, id: &str) -> Vec<Value> {
        let response = self
            .call(
                Method::GET,
                &format!("/_entitle/requests/{id}/history"),
                None,
            )
            .send()
            .await
            .expect("the server answers");
        let body = expect_json(response, StatusCode::OK).await;
        body["value"].as_array().expect("a history").clone()
    }
}

/// The body of a `userAdd` request under `policy`, in `api`'s spelling.
pub(crate) fn create_body(api: ApiVersion, policy: &str) -> Value {
    match api {
        ApiVersion::V1 => json!({
            "requestType": "userAdd",
            "assignment": { "assignmentPolicyId": policy, "accessPackageId": PACKAGE },
            "justification": "needed for the quarter",
        }),
        ApiVersion::Beta => json!({
            "requestType": "UserAdd",
            "accessPackageAssignment": { "assignmentPolicyId": policy, "accessPackageId": PACKAGE },
            "justification": "needed for the quarter",
        }),
    }
}

/// Asserts the status and parses the JSON body.
pub(crate) async fn expect_json(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.expect("a body");
    assert_eq!(actual, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("not JSON ({error}): {text}"))
}

/// Asserts a Graph error envelope with `status` and `code`, and that its `innerError` matches the
/// response headers; returns the envelope's `error` object.
pub(crate) async fn expect_error(response: Response, status: StatusCode, code: &str) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let request_id = response
        .headers()
        .get("request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = expect_json(response, status).await;
    assert_eq!(content_type.as_deref(), Some("application/json"), "{body}");
    let error = &body["error"];
    assert_eq!(error["code"], code, "{body}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let request_id = request_id.expect("a request-id header");
    assert_eq!(error["innerError"]["request-id"], request_id.as_str());
    assert!(error["innerError"]["date"].is_string(), "{body}");
    error.clone()
}
