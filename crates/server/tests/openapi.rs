//! `docs/openapi.yaml` against the real router: every route served is documented with the same
//! methods and every documented operation is served (over HTTP, with syntactically valid requests:
//! never `404` or `405`, always a documented status); every error answer is documented as the one
//! Graph envelope schema, narrowed to the codes `error.rs` answers with that status; the enums
//! match the names entitle-core and entitle-graph write; and `GET /openapi.yaml` serves the file.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{APIS, APPROVAL, DIRECT, TestServer, approver, create_body, manager, requests};
use entitle_core::RequestType;
use entitle_core::{ApiVersion, Condition, RequestStatus, TRANSITIONS};
use entitle_graph::{EnumPreference, request_type};
use entitle_server::ErrorCode;
use entitle_server::routes::{OPENAPI_YAML, Verb, routes};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use strum::VariantArray;

const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.yaml");
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
/// The error statuses the server answers with an envelope.
const ERROR_STATUSES: [u16; 12] = [400, 401, 403, 404, 405, 408, 409, 413, 415, 429, 500, 503];

fn spec() -> Value {
    let text = std::fs::read_to_string(SPEC_PATH).expect("docs/openapi.yaml");
    serde_norway::from_str(&text).expect("docs/openapi.yaml is YAML")
}

/// `value`, with a `$ref` into the same document followed (repeatedly).
fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    let mut current = value;
    while let Some(reference) = current.get("$ref").and_then(Value::as_str) {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external $ref {reference}"));
        current = spec
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref {reference}"));
    }
    current
}

/// The documented operations: path → method (lowercase) → operation.
fn operations(spec: &Value) -> BTreeMap<String, BTreeMap<String, Value>> {
    spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, item)| {
            let methods = item
                .as_object()
                .unwrap()
                .iter()
                .filter(|(key, _)| METHODS.contains(&key.as_str()))
                .map(|(method, operation)| (method.clone(), operation.clone()))
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

/// A path with every `{parameter}` written `{}`.
fn shape(path: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for ch in path.chars() {
        match ch {
            '{' => {
                inside = true;
                out.push_str("{}");
            }
            '}' => inside = false,
            _ if !inside => out.push(ch),
            _ => {}
        }
    }
    out
}

/// Whether the concrete `path` is routed by the router template `template` (`{x}` is one segment).
fn routed_by(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
}

fn verb_name(verb: Verb) -> String {
    verb.method().as_str().to_lowercase()
}

#[test]
fn every_served_route_is_documented_with_the_same_methods() {
    let spec = spec();
    let documented = operations(&spec);
    let by_shape: BTreeMap<String, (&String, BTreeSet<&String>)> = documented
        .iter()
        .map(|(path, methods)| (shape(path), (path, methods.keys().collect())))
        .collect();
    let served = routes(true);
    assert!(served.len() > 20, "{served:?}");
    for route in &served {
        let (path, methods) = by_shape
            .get(&shape(&route.path))
            .unwrap_or_else(|| panic!("`{}` is served but not documented", route.path));
        let served_methods: BTreeSet<String> =
            route.methods.iter().map(|v| verb_name(*v)).collect();
        let documented_methods: BTreeSet<String> = methods.iter().map(|m| (*m).clone()).collect();
        assert_eq!(
            served_methods, documented_methods,
            "methods of `{path}` (served as `{}`)",
            route.path
        );
    }
    // And every documented path is one the router routes, with methods it answers.
    for (path, methods) in &documented {
        let concrete = path.replace(['{', '}'], "");
        let route = served
            .iter()
            .find(|route| routed_by(&route.path, &concrete))
            .unwrap_or_else(|| panic!("`{path}` is documented but no route serves it"));
        for method in methods.keys() {
            assert!(
                route.methods.iter().any(|v| verb_name(*v) == *method),
                "`{method} {path}` is documented but `{}` does not answer it",
                route.path
            );
        }
    }
    // Without the control API, its routes are not served.
    assert!(
        routes(false)
            .iter()
            .all(|route| !route.path.starts_with("/_entitle/"))
    );
}

/// The error codes a documented error response allows, from its schema.
fn allowed_codes(spec: &Value, status: u16, response: &Value) -> BTreeSet<String> {
    let response = resolve(spec, response);
    let content = response["content"].as_object().unwrap_or_else(|| {
        panic!("the {status} response has no content: {response}");
    });
    assert_eq!(
        content.keys().collect::<Vec<_>>(),
        ["application/json"],
        "{status}"
    );
    let schema = &content["application/json"]["schema"];
    let parts = schema["allOf"]
        .as_array()
        .unwrap_or_else(|| panic!("{status}: expected allOf [ODataError, narrowing]: {schema}"));
    assert_eq!(
        parts[0]["$ref"], "#/components/schemas/ODataError",
        "{status}: the envelope schema comes first"
    );
    assert_eq!(parts.len(), 2, "{status}");
    let narrowing = resolve(spec, &parts[1]);
    let code = &narrowing["properties"]["error"]["properties"]["code"];
    match (code.get("const"), code.get("enum")) {
        (Some(one), None) => BTreeSet::from([one.as_str().unwrap().to_owned()]),
        (None, Some(many)) => many
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect(),
        _ => panic!("{status}: the narrowing names no code: {narrowing}"),
    }
}

/// The codes the server answers with `status`: the codes of `error.rs` with that status, and
/// `invalidRequest` for a `408` (the envelope's fallback for a client error without a code).
fn codes_for(status: u16) -> BTreeSet<String> {
    let mut codes: BTreeSet<String> = ErrorCode::VARIANTS
        .iter()
        .filter(|code| code.status().as_u16() == status)
        .map(|code| code.as_str().to_owned())
        .collect();
    if status == 408 {
        codes.insert(ErrorCode::InvalidRequest.as_str().to_owned());
    }
    codes
}

#[test]
fn every_error_response_is_the_one_envelope_with_the_codes_of_its_status() {
    let spec = spec();
    let envelope_codes: BTreeSet<&str> = spec["components"]["schemas"]["ODataError"]["properties"]
        ["error"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let all_codes: BTreeSet<&str> = ErrorCode::VARIANTS.iter().map(|c| c.as_str()).collect();
    assert_eq!(envelope_codes, all_codes);
    let mut seen = BTreeSet::new();
    for (path, methods) in operations(&spec) {
        for (method, operation) in methods {
            let responses = operation["responses"].as_object().unwrap();
            assert!(!responses.contains_key("default"), "{method} {path}");
            for (status, response) in responses {
                let status: u16 = status.parse().unwrap();
                if status < 400 {
                    continue;
                }
                assert!(
                    ERROR_STATUSES.contains(&status),
                    "{method} {path}: {status}"
                );
                assert_eq!(
                    allowed_codes(&spec, status, response),
                    codes_for(status),
                    "{method} {path}: {status}"
                );
                seen.insert(status);
            }
            // The Graph API needs a token, the rest does not.
            let graph = path.starts_with("/v1.0/") || path.starts_with("/beta/");
            let security = operation["security"].as_array().unwrap();
            assert_eq!(security.is_empty(), !graph, "{method} {path}");
            if graph {
                assert!(responses.contains_key("401"), "{method} {path}");
            }
        }
    }
    // 405 is the answer to undocumented methods: a component no operation names.
    let not_allowed = &spec["components"]["responses"]["MethodNotAllowed"];
    assert_eq!(allowed_codes(&spec, 405, not_allowed), codes_for(405));
    seen.insert(405);
    assert_eq!(seen, BTreeSet::from(ERROR_STATUSES));
}

#[test]
fn operation_ids_are_unique_and_links_name_them() {
    let spec = spec();
    let mut ids = BTreeSet::new();
    let mut links = Vec::new();
    for (path, methods) in operations(&spec) {
        for (method, operation) in methods {
            let id = operation["operationId"].as_str().unwrap().to_owned();
            assert!(ids.insert(id.clone()), "{method} {path}: duplicate {id}");
            for response in operation["responses"].as_object().unwrap().values() {
                for link in resolve(&spec, response)["links"]
                    .as_object()
                    .into_iter()
                    .flat_map(|links| links.values())
                {
                    links.push(link["operationId"].as_str().unwrap().to_owned());
                }
            }
        }
    }
    assert!(links.len() > 10, "{links:?}");
    for link in links {
        assert!(
            ids.contains(&link),
            "a link names `{link}`, which no operation is"
        );
    }
}

fn enum_of(spec: &Value, schema: &str) -> BTreeSet<String> {
    spec["components"]["schemas"][schema]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{schema} has no enum"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_enums_are_the_names_the_server_writes() {
    let spec = spec();
    for (api, suffix) in [(ApiVersion::V1, "V1"), (ApiVersion::Beta, "Beta")] {
        let statuses: BTreeSet<String> = RequestStatus::VARIANTS
            .iter()
            .map(|s| s.name_in(api).to_owned())
            .collect();
        assert_eq!(enum_of(&spec, &format!("Status{suffix}")), statuses);
        let states: BTreeSet<String> = RequestStatus::VARIANTS
            .iter()
            .map(|s| s.state().name_in(api).to_owned())
            .collect();
        assert_eq!(enum_of(&spec, &format!("State{suffix}")), states);
        let types: BTreeSet<String> = RequestType::VARIANTS
            .iter()
            .flat_map(|t| {
                [(false, false), (true, false), (false, true), (true, true)].map(
                    |(include, lower_camel)| {
                        request_type::wire_name(
                            *t,
                            api,
                            EnumPreference {
                                include_unknown_members: include,
                                beta_lower_camel: lower_camel,
                            },
                        )
                        .to_owned()
                    },
                )
            })
            .collect();
        assert_eq!(enum_of(&spec, &format!("RequestType{suffix}")), types);
    }
    // The control API's deadlines are the timed rows of the transition table.
    let timed: BTreeSet<String> = TRANSITIONS
        .iter()
        .filter(|row| {
            matches!(
                row.when,
                Condition::EscalationDue | Condition::DecisionTimedOut | Condition::StartReached
            )
        })
        .map(|row| row.action.as_str().to_owned())
        .collect();
    let deadline = &spec["components"]["schemas"]["ControlSummary"]["properties"]["nextDeadline"]["oneOf"]
        [1]["properties"]["action"]["enum"];
    let documented: BTreeSet<String> = deadline
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(documented, timed);
}

/// What a documented operation is called with: the path with its parameters filled in, and a body.
struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
}

fn fill(path: &str, id: &str, stage: &str) -> String {
    let id = if path.contains("atalogs/{id}") {
        common::CATALOG
    } else if path.contains("/accessPackages/{id}") {
        common::PACKAGE
    } else if path.contains("roleAssignments/{id}") {
        return path.replace("{id}", &format!("role-{}", common::MANAGER));
    } else if path.contains("olicies/{id}") {
        common::APPROVAL
    } else if path.contains("/groups/{id}") {
        common::GROUP
    } else if path.contains("/users/{id}") {
        return path.replace("{id}", &common::ALICE.to_string());
    } else {
        id
    };
    path.replace("{id}", id)
        .replace("{stage}", stage)
        .replace("{on}", "target")
}

fn body_for(method: &str, path: &str) -> Option<Value> {
    let api = if path.starts_with("/beta/") {
        ApiVersion::Beta
    } else {
        ApiVersion::V1
    };
    match method {
        "post" if path.ends_with("Requests") => Some(create_body(api, DIRECT)),
        "patch" => Some(json!({ "reviewResult": "Approve", "justification": "fine" })),
        "post" if path.ends_with("/events") => Some(json!({ "action": "deliver" })),
        "post" if path == "/_entitle/clock" => Some(json!({ "hours": 1 })),
        _ => None,
    }
}

/// A new request pending approval, and the id of its first stage.
async fn pending_request(server: &TestServer) -> (String, String) {
    let id = server.create_request(&common::alice(), APPROVAL).await;
    let stages = server
        .get_json(
            &format!(
                "/v1.0/identityGovernance/entitlementManagement/accessPackageAssignmentApprovals/{id}/stages"
            ),
            &approver(),
        )
        .await;
    let stage = stages["value"][0]["id"].as_str().unwrap().to_owned();
    (id, stage)
}

/// The id of the assignment a new direct request's delivery started.
async fn delivered_assignment(server: &TestServer) -> String {
    let id = server.create_request(&common::alice(), DIRECT).await;
    let request = server
        .get_json(
            &format!(
                "/v1.0/identityGovernance/entitlementManagement/assignmentRequests/{id}?$expand=assignment"
            ),
            &manager(),
        )
        .await;
    request["assignment"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_documented_operation_is_served_and_answers_a_documented_status() {
    let spec = spec();
    let server = TestServer::start().await;
    let mut calls = 0;
    for (path, methods) in operations(&spec) {
        for (method, operation) in &methods {
            // A fresh request pending approval for each call, so no call sees another's effect.
            let (mut id, stage) = pending_request(&server).await;
            if path.contains("ssignments/{id}") {
                id = delivered_assignment(&server).await;
            }
            let call = Call {
                method: Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                path: fill(&path, &id, &stage),
                body: body_for(method, &path),
            };
            let mut request = server.call(call.method.clone(), &call.path, Some(&manager()));
            if let Some(body) = &call.body {
                request = request.json(body);
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            let label = format!("{} {}", call.method, call.path);
            assert!(
                status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                "{label}: {status} {text}"
            );
            let documented = &operation["responses"][status.as_str()];
            assert!(
                !documented.is_null(),
                "{label}: undocumented {status} {text}"
            );
            if status.as_u16() >= 400 {
                let body: Value = serde_json::from_str(&text).unwrap();
                let code = body["error"]["code"].as_str().unwrap();
                assert!(
                    allowed_codes(&spec, status.as_u16(), documented).contains(code),
                    "{label}: {text}"
                );
            }
            calls += 1;
        }
        // A method the path does not document is `405` with `Allow` and the envelope.
        let (id, stage) = pending_request(&server).await;
        let undocumented = ["put", "patch", "delete", "trace"]
            .into_iter()
            .find(|m| !methods.contains_key(*m))
            .unwrap();
        let response = server
            .call(
                Method::from_bytes(undocumented.to_uppercase().as_bytes()).unwrap(),
                &fill(&path, &id, &stage),
                Some(&manager()),
            )
            .send()
            .await
            .unwrap();
        assert!(response.headers().contains_key("allow"), "{path}");
        common::expect_error(response, StatusCode::METHOD_NOT_ALLOWED, "notSupported").await;
    }
    // Every served method once, and `filterByCurrentUser` under each of the three request
    // collections and the two assignment collections.
    let expected: usize = routes(true).iter().map(|route| route.methods.len()).sum();
    assert_eq!(calls, expected + 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_description_is_served_at_openapi_yaml() {
    let server = TestServer::start().await;
    let response = server
        .call(Method::GET, "/openapi.yaml", None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/yaml");
    let text = response.text().await.unwrap();
    assert_eq!(text, OPENAPI_YAML);
    assert_eq!(text, std::fs::read_to_string(SPEC_PATH).unwrap());
    // The collections the harness knows are all documented.
    let spec = spec();
    for api in APIS {
        assert!(spec["paths"].get(requests(api)).is_some(), "{api:?}");
    }
}

/// The names a `components` section of the description defines, in order.
fn component_names(section: &str) -> Vec<String> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.yaml"),
    )
    .unwrap();
    let components = text.split_once("\ncomponents:\n").unwrap().1;
    let heading = format!("  {section}:");
    components
        .lines()
        .skip_while(|line| *line != heading)
        .skip(1)
        .take_while(|line| line.starts_with("   ") || line.is_empty())
        .filter_map(|line| line.strip_prefix("    "))
        .filter(|line| !line.starts_with(' '))
        .filter_map(|line| line.strip_suffix(':'))
        .map(str::to_owned)
        .collect()
}

/// No two schemas, parameters or responses share a name: YAML keeps the last of duplicate keys,
/// so a second definition would silently replace the first.
#[test]
fn component_names_are_unique() {
    for section in ["schemas", "parameters", "responses"] {
        let names = component_names(section);
        assert!(names.len() > 5, "too few `{section}` read: {names:?}");
        let mut seen = std::collections::BTreeSet::new();
        for name in names {
            assert!(
                seen.insert(name.clone()),
                "`{section}` defines `{name}` twice"
            );
        }
    }
}

/// Every `$ref` names a component the description defines.
#[test]
fn every_reference_resolves() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.yaml"),
    )
    .unwrap();
    for reference in text.split("$ref: '#/components/").skip(1) {
        let target = reference.split('\'').next().unwrap();
        let (section, name) = target.split_once('/').unwrap();
        assert!(
            component_names(section).iter().any(|known| known == name),
            "`#/components/{target}` is not defined"
        );
    }
}
