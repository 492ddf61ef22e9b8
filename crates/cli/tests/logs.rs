//! `entitle serve`'s log lines, read from a real process: one line a request, in the request's span,
//! carrying the `request-id` the response gave, the client's `client-request-id`, the route
//! template, the caller's object id (never the token), the status and the duration; as JSON with
//! `--log-format json`, as text by default.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::io::Read as _;
use std::process::Child;

use common::{ADELE, REQUESTOR_SCOPES, serve_logging as serve, token, workspace};
use serde_json::Value;

const PENDING: &str = "00000000-0000-4000-8000-0000000c0003";

/// Gets one request as Adele; the `request-id` the response carries and the token sent.
fn get(base: &str) -> (String, String) {
    let token = token(ADELE, REQUESTOR_SCOPES);
    let response = reqwest::blocking::Client::new()
        .get(format!(
            "{base}/v1.0/identityGovernance/entitlementManagement/assignmentRequests/{PENDING}"
        ))
        .bearer_auth(&token)
        .header("client-request-id", "suite-42")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    (id, token)
}

/// Stops `child` and returns what it logged.
fn logged(mut child: Child) -> String {
    child.kill().unwrap();
    child.wait().unwrap();
    let mut text = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn a_json_log_line_carries_the_request_id_and_never_the_token() {
    let (_dir, db, _) = workspace();
    let (child, base) = serve(&db, &["--log-format", "json"]);
    let (request_id, token) = get(&base);
    let text = logged(child);
    assert!(!text.contains(&token), "the token is never logged");
    let line: Value = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["span"]["request_id"] == request_id.as_str())
        .unwrap_or_else(|| panic!("no line for {request_id} in:\n{text}"));
    let span = &line["span"];
    assert_eq!(line["fields"]["message"], "answered");
    assert_eq!(span["client_request_id"], "suite-42");
    assert_eq!(
        span["route"],
        "/v1.0/identityGovernance/entitlementManagement/assignmentRequests/{id}"
    );
    assert_eq!(span["method"], "GET");
    assert_eq!(span["caller"], ADELE);
    assert_eq!(span["status"], 200);
    assert!(span["duration_ms"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_text_log_line_carries_the_request_id() {
    let (_dir, db, _) = workspace();
    let (child, base) = serve(&db, &[]);
    let (request_id, token) = get(&base);
    let text = logged(child);
    assert!(!text.contains(&token), "the token is never logged");
    let line = text
        .lines()
        .find(|line| line.contains(&format!("request_id={request_id}")))
        .unwrap_or_else(|| panic!("no line for {request_id} in:\n{text}"));
    for part in [
        "client_request_id=\"suite-42\"",
        &format!("caller={ADELE}"),
        "status=200",
        "answered",
    ] {
        assert!(line.contains(part), "{part} not in {line}");
    }
}
