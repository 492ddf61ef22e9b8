//! The real Microsoft Graph Python SDKs (`msgraph-sdk` and `msgraph-beta-sdk`, pinned in
//! `sdk-tests/requirements.txt`) drive `entitle serve`: create, get, `cancel.post()`, a second cancel
//! surfacing as a parsed `ODataError` with `requestNotCancelable`, and a filtered list.
//!
//! The test needs the environment `just sdk-env` builds (`.venv-sdk`). When it is built without that
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

use common::{ADELE, APPROVAL_POLICY, PACKAGE, REQUESTOR_SCOPES, Server, token, workspace};

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

#[test]
#[cfg_attr(
    not(entitle_sdk),
    ignore = "needs the Graph SDK environment (just sdk-env); ENTITLE_REQUIRE_SDK=1 makes it required"
)]
fn the_graph_python_sdks_create_cancel_and_list() {
    let root = repository();
    let python = root.join(".venv-sdk/bin/python");
    assert!(
        python.exists(),
        "this test needs the Graph SDK environment, and {} is missing: run `just sdk-env`",
        python.display()
    );
    let (_dir, db, config) = workspace();
    let server = Server::start(&db, &config);
    let output = Command::new(&python)
        .arg(root.join("sdk-tests/graph_client.py"))
        .env("ENTITLE_BASE", &server.base)
        .env("ENTITLE_TOKEN", token(ADELE, REQUESTOR_SCOPES))
        .env("ENTITLE_ACCESS_PACKAGE_ID", PACKAGE)
        .env("ENTITLE_POLICY_ID", APPROVAL_POLICY)
        .env("ENTITLE_TARGET_ID", ADELE)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the SDK client failed:\n{stdout}\n{stderr}"
    );
    for api in ["v1.0", "beta"] {
        for step in [
            "create",
            "get",
            "cancel",
            "cancel-again",
            "get-canceled",
            "list-filter",
        ] {
            assert!(
                stdout
                    .lines()
                    .any(|line| line.starts_with(&format!("{api} {step} ok"))),
                "no `{api} {step}` line in:\n{stdout}"
            );
        }
    }
}
