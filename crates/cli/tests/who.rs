//! `entitle who` and `entitle diff --tenant` on real tenant files: who may cancel the demo's
//! cancelable requests, checked person by person against the server's `200`/`403`; and a diff
//! that fails when a policy gains an approver group and passes when a package is only renamed.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::{REQUESTS, Server, entitle, token};
use entitle_server::demo;
use serde_json::{Value, json};

/// Every delegated permission: `who` assumes each person signs in with all of them.
const EVERY_SCOPE: &str = "EntitlementMgmt-SubjectAccess.ReadWrite EntitlementManagement.Read.All EntitlementManagement.ReadWrite.All";

fn demo_tenant() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../server/src/demo/tenant.json")
}

fn who(args: &[&str]) -> Value {
    let output = entitle().arg("who").args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The demo's users.
fn users() -> Vec<(String, String)> {
    let tenant: Value =
        serde_json::from_str(&std::fs::read_to_string(demo_tenant()).unwrap()).unwrap();
    tenant["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| {
            (
                user["id"].as_str().unwrap().to_owned(),
                user["displayName"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// What the server says of the request: its package, its status and its requestor.
fn facts(
    client: &reqwest::blocking::Client,
    server: &Server,
    id: &str,
) -> (String, String, String) {
    let isaiah = entitle()
        .args([
            "token",
            "--oid",
            &demo::ISAIAH.to_string(),
            "--scp",
            EVERY_SCOPE,
        ])
        .args(["--wids", entitle_auth::IDENTITY_GOVERNANCE_ADMINISTRATOR])
        .output()
        .unwrap();
    let isaiah = String::from_utf8(isaiah.stdout).unwrap();
    let request: Value = client
        .get(format!(
            "{}/v1.0/{REQUESTS}/{id}?$expand=requestor,accessPackage",
            server.base
        ))
        .bearer_auth(isaiah.trim())
        .send()
        .unwrap()
        .json()
        .unwrap();
    (
        request["accessPackage"]["id"].as_str().unwrap().to_owned(),
        request["status"].as_str().unwrap().to_owned(),
        request["requestor"]["id"].as_str().unwrap().to_owned(),
    )
}

/// For each cancelable request of the demo, `entitle who` names exactly the people whose cancel the
/// server answers `200`; everyone else gets `403`.
#[test]
fn who_names_exactly_who_the_server_lets_cancel() {
    let client = reqwest::blocking::Client::new();
    let dir = tempfile::tempdir().unwrap();
    let mut run = 0;
    let mut fresh = || {
        run += 1;
        Server::start_demo(&dir.path().join(format!("demo-{run}.db")))
    };
    let mut server = fresh();
    let cancelable = demo::seeded()
        .into_iter()
        .chain(demo::seeded_more())
        .filter(|(status, _)| status.is_cancelable());
    let mut checked = 0;
    for (_, id) in cancelable {
        let id = id.to_string();
        let (package, status, requestor) = facts(&client, &server, &id);
        let grants = who(&[
            "--tenant",
            demo_tenant().to_str().unwrap(),
            "--package",
            &package,
            "--action",
            "cancel",
            "--status",
            &status,
            "--format",
            "json",
        ]);
        let mut allowed = BTreeSet::new();
        for grant in grants.as_array().unwrap() {
            match (
                grant["who"]["kind"].as_str().unwrap(),
                grant["who"]["name"].as_str().unwrap(),
            ) {
                ("party", "the requestor") => {
                    allowed.insert(requestor.clone());
                }
                ("user", _) => {
                    allowed.insert(grant["who"]["id"].as_str().unwrap().to_owned());
                }
                _ => {}
            }
        }
        assert!(!allowed.is_empty(), "no one may cancel `{id}`");
        for (user, name) in users() {
            let response = client
                .post(format!("{}/v1.0/{REQUESTS}/{id}/cancel", server.base))
                .bearer_auth(token(&user, EVERY_SCOPE))
                .send()
                .unwrap();
            let expected = if allowed.contains(&user) { 200 } else { 403 };
            assert_eq!(
                response.status().as_u16(),
                expected,
                "{name} cancelling `{id}` ({status}): `entitle who` says {}",
                if expected == 200 { "yes" } else { "no" }
            );
            if expected == 200 {
                server.kill();
                server = fresh();
            }
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        5 * users().len(),
        "five cancelable requests, every user"
    );
}

fn diff(old: &Value, new: &Value) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let (old_path, new_path) = (dir.path().join("old.json"), dir.path().join("new.json"));
    std::fs::write(&old_path, old.to_string()).unwrap();
    std::fs::write(&new_path, new.to_string()).unwrap();
    entitle()
        .args(["diff", "--tenant", "--fail-on", "new-access"])
        .arg(&old_path)
        .arg(&new_path)
        .output()
        .unwrap()
}

/// A policy that gains an approver group grants new access; a renamed package does not.
#[test]
fn diff_tenant_fails_on_a_new_approver_group_and_not_on_a_rename() {
    let old: Value =
        serde_json::from_str(&std::fs::read_to_string(demo_tenant()).unwrap()).unwrap();

    let mut renamed = old.clone();
    renamed["accessPackages"][0]["displayName"] = json!("Sales tools (renamed)");
    let output = diff(&old, &renamed);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.starts_with("0 grant(s) gained, 0 lost"), "{text}");

    let mut wider = old.clone();
    let finance = wider["assignmentPolicies"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|policy| policy["id"] == demo::POLICY_ONE_STAGE)
        .unwrap();
    finance["requestApprovalSettings"]["stages"][0]["primaryApprovers"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "@odata.type": "#microsoft.graph.groupMembers",
            "groupId": "00000000-0000-4000-8000-0000000a9001",
        }));
    let output = diff(&old, &wider);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("+ Finance reports"), "{text}");
    assert!(text.contains("members of Lab approvers"), "{text}");
    assert!(text.contains("Diego Siciliani"), "{text}");
}
