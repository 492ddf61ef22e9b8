//! A real `entitle serve` process for tests: started on a free loopback port with a SQLite file and a
//! small tenant, killed when dropped.

#![allow(dead_code, reason = "each test binary uses part of the harness")]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The requestor of the test tenant.
pub(crate) const ADELE: &str = "00000000-0000-4000-8000-00000000a001";
/// The approver of the test tenant's approval policy.
pub(crate) const ALEX: &str = "00000000-0000-4000-8000-00000000a003";
/// The test tenant's access package.
pub(crate) const PACKAGE: &str = "00000000-0000-4000-8000-0000000000b1";
/// A one-stage approval policy (requests wait in `PendingApproval`).
pub(crate) const APPROVAL_POLICY: &str = "00000000-0000-4000-8000-0000000000d1";
/// The frozen start of the clock.
pub(crate) const START: &str = "2026-01-01T00:00:00Z";
/// The requestor's delegated permissions.
pub(crate) const REQUESTOR_SCOPES: &str =
    "EntitlementMgmt-SubjectAccess.ReadWrite EntitlementManagement.Read.All";

/// The tenant, as `entitle serve --tenant` reads it (Graph's shapes).
pub(crate) fn directory_json() -> String {
    serde_json::json!({
        "users": [
            {"id": ADELE, "displayName": "Adele Vance", "userPrincipalName": "adele@contoso.test"},
            {"id": ALEX, "displayName": "Alex Wilber", "userPrincipalName": "alex@contoso.test"}
        ],
        "catalogs": [{"id": "00000000-0000-4000-8000-0000000000c1", "displayName": "General"}],
        "accessPackages": [{
            "id": PACKAGE,
            "catalog": {"id": "00000000-0000-4000-8000-0000000000c1"},
            "displayName": "Sales tools"
        }],
        "assignmentPolicies": [{
            "id": APPROVAL_POLICY,
            "accessPackage": {"id": PACKAGE},
            "displayName": "Manager approval",
            "allowedTargetScope": "allDirectoryUsers",
            "requestorSettings": {
                "enableTargetsToSelfAddAccess": true,
                "enableTargetsToSelfUpdateAccess": true,
                "enableTargetsToSelfRemoveAccess": true
            },
            "requestApprovalSettings": {
                "isApprovalRequiredForAdd": true,
                "stages": [{
                    "durationBeforeAutomaticDenial": "P14D",
                    "primaryApprovers": [{"@odata.type": "#microsoft.graph.singleUser", "userId": ALEX}]
                }]
            }
        }]
    })
    .to_string()
}

/// Where a server keeps its state.
#[derive(Clone, Debug)]
pub(crate) enum Backend {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database URL.
    Postgres(String),
}

/// A running `entitle serve`.
pub(crate) struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT` (`https://` with TLS).
    pub(crate) base: String,
}

/// The `entitle` binary under test.
pub(crate) fn entitle() -> Command {
    Command::new(env!("CARGO_BIN_EXE_entitle"))
}

impl Server {
    /// Starts `entitle serve` on `db` with the test tenant written to `config`.
    pub(crate) fn start(db: &Path, config: &Path) -> Self {
        Self::start_on(&Backend::Sqlite(db.to_path_buf()), config)
    }

    /// Starts `entitle serve --demo` on `backend` with the test tenant written to `config`.
    pub(crate) fn start_on(backend: &Backend, config: &Path) -> Self {
        Self::start_with(backend, config, &["--demo"])
    }

    /// Starts `entitle serve` on `backend` with the test tenant written to `config` and `auth` (the
    /// flags that choose how tokens are checked).
    pub(crate) fn start_with(backend: &Backend, config: &Path, auth: &[&str]) -> Self {
        if !config.exists() {
            std::fs::write(config, directory_json()).unwrap();
        }
        let mut command = entitle();
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--frozen-clock", START])
            .args(auth);
        match backend {
            Backend::Sqlite(db) => command.arg("--db").arg(db),
            Backend::Postgres(url) => command.arg("--database-url").arg(url),
        };
        command.arg("--tenant").arg(config);
        Self::spawn(command)
    }

    /// Starts `entitle serve --demo` on the SQLite file `db`: the built-in demo tenant, seeded, on
    /// the demo's documented clock.
    pub(crate) fn start_demo(db: &Path) -> Self {
        Self::start_demo_with(db, &[])
    }

    /// Starts `entitle serve --demo` on `db` as [`Server::start_demo`] does, with `flags` added.
    pub(crate) fn start_demo_with(db: &Path, flags: &[&str]) -> Self {
        let mut command = entitle();
        command
            .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
            .args(["--frozen-clock", "2026-03-02T09:30:00Z"])
            .arg("--db")
            .arg(db)
            .args(flags);
        Self::spawn(command)
    }

    /// Spawns `command` and waits for its `listening on` line.
    fn spawn(mut command: Command) -> Self {
        let mut child = command
            .env("ENTITLE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        Self { child, base }
    }

    /// Kills the process with SIGKILL and waits for it.
    pub(crate) fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends SIGTERM and waits for the process; returns whether it exited successfully.
    pub(crate) fn terminate(mut self) -> bool {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        self.child.wait().unwrap().success()
    }

    /// The Graph base URL of an API version (`v1.0` or `beta`).
    pub(crate) fn graph(&self, api: &str) -> String {
        format!("{}/{api}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `entitle serve --demo` on `db` with `flags`, logging at `info` to a pipe (its `stderr`), as a
/// process of the test's own; the process and its base URL.
pub(crate) fn serve_logging(db: &Path, flags: &[&str]) -> (Child, String) {
    let mut child = entitle()
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .args(flags)
        .env("ENTITLE_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    (child, base)
}

/// A demo token from `entitle token`.
pub(crate) fn token(oid: &str, scopes: &str) -> String {
    let output = entitle()
        .args(["token", "--oid", oid, "--scp", scopes])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// A fresh temporary directory and the database and config paths in it.
pub(crate) fn workspace() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("entitle.db");
    let config = dir.path().join("tenant.json");
    (dir, db, config)
}

/// The v1.0 collection path of assignment requests, under a server's base URL.
pub(crate) const REQUESTS: &str = "identityGovernance/entitlementManagement/assignmentRequests";

/// Creates a `userAdd` request for Adele under the approval policy through `base` (it waits in
/// `PendingApproval`), returning its id.
pub(crate) fn create_pending(
    client: &reqwest::blocking::Client,
    base: &str,
    token: &str,
) -> String {
    let response = client
        .post(format!("{base}/v1.0/{REQUESTS}"))
        .bearer_auth(token)
        .json(&serde_json::json!({
            "requestType": "userAdd",
            "assignment": {"targetId": ADELE, "assignmentPolicyId": APPROVAL_POLICY, "accessPackageId": PACKAGE}
        }))
        .send()
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json::<serde_json::Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The request's status and the number of cancel entries in its history.
pub(crate) fn inspect(
    client: &reqwest::blocking::Client,
    server: &Server,
    token: &str,
    id: &str,
) -> (String, usize) {
    let request: serde_json::Value = client
        .get(format!("{}/v1.0/{REQUESTS}/{id}", server.base))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let history: serde_json::Value = client
        .get(format!("{}/_entitle/requests/{id}/history", server.base))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let entries = history["value"].as_array().unwrap();
    let cancels = entries
        .iter()
        .filter(|entry| entry["rule"]["action"] == "cancel")
        .count();
    let last = entries.last().unwrap();
    let last_status = last["rule"]["to"]
        .as_str()
        .or_else(|| last["status"].as_str())
        .unwrap();
    let status = request["status"].as_str().unwrap().to_owned();
    assert_eq!(
        last_status, status,
        "{id}: history ends elsewhere: {history}"
    );
    (status, cancels)
}
