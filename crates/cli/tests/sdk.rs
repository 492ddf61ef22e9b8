//! The real Microsoft Graph Python SDKs (`msgraph-sdk` and `msgraph-beta-sdk`, pinned in
//! `sdk-tests/requirements.txt`) drive `entitle serve`: create, get, `cancel.post()`, a second cancel
//! surfacing as a parsed `ODataError` with `requestNotCancelable`, filtered lists (one parenthesised),
//! a manager's request on behalf of another user read back with its target and requestor, a custom
//! extension's `resume.post`, and an `adminRemove` of a delivered assignment found through the
//! assignments collection (`graph_client.py`); a whole client flow over a Graph-shaped tenant file
//! (`client_flow.py`); and a suite's own catalog, package and policy made, changed and deleted
//! through the SDKs (`setup_flow.py`); and paging over HTTPS with the local certificate authority
//! trusted (`https_paging.py`).
//!
//! The tests need the environment `just sdk-env` builds (`.venv-sdk`). When it is built without that
//! environment, the test is ignored, with the reason, unless `ENTITLE_REQUIRE_SDK=1` (as CI sets)
//! requires it (see `build.rs`); if it runs, a missing environment fails it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{
    ADELE, ALEX, APPROVAL_POLICY, PACKAGE, REQUESTOR_SCOPES, Server, entitle, token, workspace,
};

/// Bianca, whom the manager assigns the package to.
const BIANCA: &str = "00000000-0000-4000-8000-00000000a002";
/// Megan, access package assignment manager of the catalog.
const MEGAN: &str = "00000000-0000-4000-8000-00000000a006";
/// The custom extension's application.
const EXTENSION: &str = "00000000-0000-4000-8000-00000000e11e";
/// A policy without approval.
const DIRECT_POLICY: &str = "00000000-0000-4000-8000-0000000000d2";
/// A policy whose custom extension is called when a request is created.
const CALLOUT_POLICY: &str = "00000000-0000-4000-8000-0000000000d3";
const CATALOG: &str = "00000000-0000-4000-8000-0000000000c1";
const READ_WRITE: &str = "EntitlementManagement.ReadWrite.All";

/// The tenant of this test: the harness's, with a second user, a manager, and the direct and
/// callout policies.
fn tenant() -> String {
    let approval = serde_json::json!({
        "isApprovalRequiredForAdd": true,
        "stages": [{
            "durationBeforeAutomaticDenial": "P14D",
            "primaryApprovers": [{"@odata.type": "#microsoft.graph.singleUser", "userId": ALEX}]
        }]
    });
    let open = |mut policy: serde_json::Value| {
        policy["allowedTargetScope"] = serde_json::json!("allDirectoryUsers");
        policy["requestorSettings"] = serde_json::json!({
            "enableTargetsToSelfAddAccess": true,
            "enableTargetsToSelfUpdateAccess": true,
            "enableTargetsToSelfRemoveAccess": true
        });
        policy
    };
    serde_json::json!({
        "users": [
            {"id": ADELE, "displayName": "Adele Vance", "userPrincipalName": "adele@contoso.test"},
            {"id": ALEX, "displayName": "Alex Wilber", "userPrincipalName": "alex@contoso.test"},
            {"id": BIANCA, "displayName": "Bianca Pisani", "userPrincipalName": "bianca@contoso.test"},
            {"id": MEGAN, "displayName": "Megan Bowen", "userPrincipalName": "megan@contoso.test"}
        ],
        "catalogs": [{"id": CATALOG, "displayName": "General"}],
        "accessPackages": [{"id": PACKAGE, "catalog": {"id": CATALOG}, "displayName": "Sales tools"}],
        "assignmentPolicies": [
            open(serde_json::json!({"id": APPROVAL_POLICY, "accessPackage": {"id": PACKAGE},
             "displayName": "Manager approval", "requestApprovalSettings": approval})),
            open(serde_json::json!({"id": DIRECT_POLICY, "accessPackage": {"id": PACKAGE},
             "displayName": "Direct"})),
            open(serde_json::json!({"id": CALLOUT_POLICY, "accessPackage": {"id": PACKAGE},
             "displayName": "Safety check",
             "customExtensionStageSettings": [{
                 "stage": "assignmentRequestCreated",
                 "customExtension": {"id": "00000000-0000-4000-8000-0000000e0001"}
             }]}))
        ],
        "roleAssignments": [{
            "principalId": MEGAN,
            "roleDefinitionId": "e2182095-804a-4656-ae11-64734e9b7ae5",
            "appScopeId": format!("/AccessPackageCatalog/{CATALOG}")
        }]
    })
    .to_string()
}

/// A demo token for an application with the application permission `permission`.
fn app_token(oid: &str, permission: &str) -> String {
    let output = entitle()
        .args(["token", "--oid", oid, "--scp", permission, "--app"])
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The environment's Python, which `just sdk-env` builds.
fn python() -> PathBuf {
    let python = repository().join(".venv-sdk/bin/python");
    assert!(
        python.exists(),
        "this test needs the Graph SDK environment, and {} is missing: run `just sdk-env`",
        python.display()
    );
    python
}

/// Runs the script `script` of `sdk-tests` with `env`, and checks that it passed every one of
/// `steps` with both SDKs; what it printed.
fn run_script(script: &str, env: &[(&str, String)], steps: &[&str]) -> String {
    let output = Command::new(python())
        .arg(repository().join("sdk-tests").join(script))
        .envs(env.iter().map(|(name, value)| (name, value)))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "`{script}` failed:\n{stdout}\n{stderr}"
    );
    for api in ["v1.0", "beta"] {
        for step in steps {
            assert!(
                stdout
                    .lines()
                    .any(|line| line.starts_with(&format!("{api} {step} ok"))),
                "no `{api} {step}` line in:\n{stdout}"
            );
        }
    }
    stdout.into_owned()
}

#[test]
#[cfg_attr(
    not(entitle_sdk),
    ignore = "needs the Graph SDK environment (just sdk-env); ENTITLE_REQUIRE_SDK=1 makes it required"
)]
fn the_graph_python_sdks_create_cancel_and_list() {
    let (_dir, db, config) = workspace();
    std::fs::write(&config, tenant()).unwrap();
    let server = Server::start(&db, &config);
    let env = [
        ("ENTITLE_BASE", server.base.clone()),
        ("ENTITLE_TOKEN", token(ADELE, REQUESTOR_SCOPES)),
        ("ENTITLE_ACCESS_PACKAGE_ID", PACKAGE.to_owned()),
        ("ENTITLE_POLICY_ID", APPROVAL_POLICY.to_owned()),
        ("ENTITLE_TARGET_ID", ADELE.to_owned()),
        ("ENTITLE_ADMIN_TOKEN", token(MEGAN, READ_WRITE)),
        ("ENTITLE_ADMIN_ID", MEGAN.to_owned()),
        ("ENTITLE_OTHER_ID", BIANCA.to_owned()),
        ("ENTITLE_DIRECT_POLICY_ID", DIRECT_POLICY.to_owned()),
        ("ENTITLE_CALLOUT_POLICY_ID", CALLOUT_POLICY.to_owned()),
        ("ENTITLE_APP_TOKEN", app_token(EXTENSION, READ_WRITE)),
    ];
    run_script(
        "graph_client.py",
        &env,
        &[
            "create",
            "get",
            "cancel",
            "cancel-again",
            "get-canceled",
            "list-filter",
            "list-parenthesised",
            "create-on-behalf",
            "expand-requestor",
            "resume",
            "admin-remove",
        ],
    );
}

/// The steps `sdk-tests/client_flow.py` prints, in order.
const CLIENT_FLOW: [&str; 12] = [
    "list-packages",
    "read-policy",
    "request",
    "approve-as-group-member",
    "delivered",
    "assignment-listed",
    "admin-remove",
    "assignment-gone",
    "request-manager-approval",
    "manager-assigned",
    "cancel",
    "manager-approval-refused",
];

/// A client flow over `sdk-tests/tenant.json`, a Graph-shaped tenant file: list packages, read a
/// policy and its approver group's members, request as a user, approve as a member of the stage's group, delivery, the assignment
/// listed, `adminRemove`, the assignment gone; then a request for the requestor's manager to
/// approve, cancelled before the manager does.
#[test]
#[cfg_attr(
    not(entitle_sdk),
    ignore = "needs the Graph SDK environment (just sdk-env); ENTITLE_REQUIRE_SDK=1 makes it required"
)]
fn the_graph_python_sdks_run_a_client_flow() {
    const DIEGO: &str = "00000000-0000-4000-8000-00000000a004";
    const NESTOR: &str = "00000000-0000-4000-8000-00000000a007";
    const CLIENT: &str = "00000000-0000-4000-8000-00000000c11e";
    let (_dir, db, config) = workspace();
    std::fs::copy(repository().join("sdk-tests/tenant.json"), &config).unwrap();
    let server = Server::start(&db, &config);
    let env = [
        ("ENTITLE_BASE", server.base.clone()),
        (
            "ENTITLE_CLIENT_TOKEN",
            app_token(
                CLIENT,
                "EntitlementManagement.Read.All GroupMember.Read.All User.Read.All",
            ),
        ),
        ("ENTITLE_REQUESTOR_TOKEN", token(ADELE, REQUESTOR_SCOPES)),
        ("ENTITLE_REQUESTOR_ID", ADELE.to_owned()),
        ("ENTITLE_MEMBER_TOKEN", token(DIEGO, READ_WRITE)),
        ("ENTITLE_OUTSIDER_TOKEN", token(BIANCA, READ_WRITE)),
        ("ENTITLE_MANAGER_TOKEN", token(NESTOR, READ_WRITE)),
        ("ENTITLE_ADMIN_TOKEN", token(MEGAN, READ_WRITE)),
    ];
    run_script("client_flow.py", &env, &CLIENT_FLOW);
}

/// A test suite's own fixtures made through the SDKs (`sdk-tests/setup_flow.py`): a catalog, a
/// package and a policy that then decides a request (v1.0), and a catalog and package in beta's
/// shapes; renamed, and deleted where entitle-core allows it.
#[test]
#[cfg_attr(
    not(entitle_sdk),
    ignore = "needs the Graph SDK environment (just sdk-env); ENTITLE_REQUIRE_SDK=1 makes it required"
)]
fn the_graph_python_sdks_set_up_their_own_fixtures() {
    const DIEGO: &str = "00000000-0000-4000-8000-00000000a004";
    const SUITE: &str = "00000000-0000-4000-8000-00000000c5e7";
    let (_dir, db, config) = workspace();
    std::fs::copy(repository().join("sdk-tests/tenant.json"), &config).unwrap();
    let server = Server::start(&db, &config);
    let env = [
        ("ENTITLE_BASE", server.base.clone()),
        ("ENTITLE_ADMIN_TOKEN", app_token(SUITE, READ_WRITE)),
        ("ENTITLE_REQUESTOR_TOKEN", token(ADELE, REQUESTOR_SCOPES)),
        ("ENTITLE_REQUESTOR_ID", ADELE.to_owned()),
        ("ENTITLE_MEMBER_TOKEN", token(DIEGO, READ_WRITE)),
        (
            "ENTITLE_GROUP_ID",
            "00000000-0000-4000-8000-0000000a9001".to_owned(),
        ),
    ];
    let printed = run_script(
        "setup_flow.py",
        &env,
        &[
            "create-catalog",
            "create-package",
            "create-policy",
            "rename-package",
        ],
    );
    for step in [
        "v1.0 request",
        "v1.0 approve-as-group-member",
        "v1.0 delete-refused",
        "v1.0 replace-policy",
        "v1.0 delete-empty-catalog",
        "beta delete-package-then-catalog",
    ] {
        assert!(
            printed
                .lines()
                .any(|line| line.starts_with(&format!("{step} ok"))),
            "no `{step}` line in:\n{printed}"
        );
    }
}

/// The SDKs page through a list over HTTPS against `entitle serve --demo --tls`, trusting the local
/// certificate authority through `SSL_CERT_FILE` (`sdk-tests/https_paging.py`): on `127.0.0.1`, and
/// on a name that is not localhost, where the SDK first refuses to send its token over plain http.
#[test]
#[cfg_attr(
    not(entitle_sdk),
    ignore = "needs the Graph SDK environment (just sdk-env); ENTITLE_REQUIRE_SDK=1 makes it required"
)]
fn the_graph_python_sdks_page_over_https() {
    const REMOTE_NAME: &str = "graph.entitle.test";
    let (dir, db, _) = workspace();
    let server = Server::start_demo_with(&db, &["--tls", "--tls-name", REMOTE_NAME]);
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let ca = dir.path().join("entitle-ca.pem");
    let reader = app_token(
        "00000000-0000-4000-8000-0000000a0a0a",
        "EntitlementManagement.Read.All",
    );
    for (base, loopback) in [
        (server.base.clone(), String::new()),
        (
            format!("https://{REMOTE_NAME}:{port}"),
            REMOTE_NAME.to_owned(),
        ),
    ] {
        assert!(base.starts_with("https://"), "{base}");
        let env = [
            ("ENTITLE_BASE", base),
            ("ENTITLE_TOKEN", reader.clone()),
            ("ENTITLE_LOOPBACK", loopback.clone()),
            ("SSL_CERT_FILE", ca.display().to_string()),
        ];
        let steps: &[&str] = if loopback.is_empty() {
            &["page-through"]
        } else {
            &["refuses-plain-http", "page-through"]
        };
        run_script("https_paging.py", &env, steps);
    }
}
