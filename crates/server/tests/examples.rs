//! Microsoft's documented examples for the APIs entitle serves, replayed over HTTP against a fresh
//! demo server each: the status must match, and the body must have every documented property with
//! its documented JSON type (`tests/examples/README.md`). An example marked `gap` must still fail,
//! so a fixed gap cannot stay marked.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use entitle_auth::{TokenRequest, mint_demo};
use entitle_core::SubjectId;
use entitle_server::demo::{
    ADELE, ALEX, BIANCA, DIEGO, ENRICO, EXTENSION_APP, ISAIAH, MEGAN, NESTOR,
};
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

mod common;

use common::demo::Demo;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(clippy::struct_field_names, reason = "the fixture's own names")]
struct Page {
    repo: String,
    page: String,
    commit: String,
    examples: Vec<Example>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Example {
    name: String,
    caller: Caller,
    request: Exchange,
    response: Answer,
    #[serde(default)]
    exact: Vec<String>,
    #[serde(default)]
    contradicts: Option<String>,
    #[serde(default)]
    defect: Option<String>,
    #[serde(default)]
    gap: Option<String>,
    /// For a gap: the start of the difference it fails with, so a gap cannot hide another failure.
    #[serde(default)]
    fails: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Caller {
    user: Option<String>,
    app: Option<String>,
    #[serde(default)]
    scp: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    wids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Exchange {
    method: String,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    status: u16,
    body: Option<Value>,
}

fn subject(name: &str) -> SubjectId {
    match name {
        "adele" => ADELE,
        "bianca" => BIANCA,
        "alex" => ALEX,
        "diego" => DIEGO,
        "enrico" => ENRICO,
        "megan" => MEGAN,
        "nestor" => NESTOR,
        "isaiah" => ISAIAH,
        "extension" => EXTENSION_APP,
        other => panic!("no demo principal `{other}`"),
    }
}

fn token(caller: &Caller) -> String {
    let (name, app) = match (&caller.user, &caller.app) {
        (Some(user), None) => (user, false),
        (None, Some(app)) => (app, true),
        _ => panic!("a caller is a user or an app"),
    };
    let issued_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    mint_demo(&TokenRequest {
        oid: subject(name),
        scopes: if app {
            caller.roles.clone()
        } else {
            caller.scp.clone()
        },
        wids: caller.wids.clone(),
        app,
        tenant: None,
        issued_at,
        lifetime_seconds: 3600,
    })
    .unwrap()
}

/// The JSON type of a value, by name.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Where `actual` differs in shape from `documented`, at `path`.
fn differences(path: &str, documented: &Value, actual: &Value, found: &mut Vec<String>) {
    match (documented, actual) {
        (Value::Object(documented), Value::Object(actual)) => {
            for (name, value) in documented {
                let at = format!("{path}/{name}");
                match actual.get(name) {
                    Some(actual) => differences(&at, value, actual, found),
                    None => found.push(format!("{at}: missing")),
                }
            }
        }
        (Value::Array(documented), Value::Array(actual)) => {
            if !documented.is_empty() && actual.is_empty() {
                found.push(format!("{path}: empty, documented with items"));
            }
            for (index, (documented, actual)) in documented.iter().zip(actual).enumerate() {
                differences(&format!("{path}/{index}"), documented, actual, found);
            }
        }
        _ if kind(documented) != kind(actual) => found.push(format!(
            "{path}: {} where the example has {}",
            kind(actual),
            kind(documented)
        )),
        _ => {}
    }
}

/// Where `actual` differs from the `documented` body. A collection's items are unordered, as Graph
/// promises no order without `$orderby`: each documented item must match some item of the answer.
fn compare(documented: &Value, actual: &Value, found: &mut Vec<String>) {
    let (Some(Value::Array(items)), Some(Value::Array(answered))) =
        (documented.get("value"), actual.get("value"))
    else {
        differences("", documented, actual, found);
        return;
    };
    let mut rest = documented.clone();
    if let Some(object) = rest.as_object_mut() {
        object.remove("value");
    }
    differences("", &rest, actual, found);
    if !items.is_empty() && answered.is_empty() {
        found.push("/value: empty, documented with items".to_owned());
    }
    for (index, item) in items.iter().enumerate() {
        let mismatches: Vec<Vec<String>> = answered
            .iter()
            .map(|candidate| {
                let mut at = Vec::new();
                differences(&format!("/value/{index}"), item, candidate, &mut at);
                at
            })
            .collect();
        if !mismatches.iter().any(Vec::is_empty) {
            // The nearest item's differences say what is missing.
            if let Some(nearest) = mismatches.into_iter().min_by_key(Vec::len) {
                found.extend(nearest);
            }
        }
    }
}

/// An instant as text, without a zero fraction, so `…:00Z` and `…:00.000Z` compare equal.
fn instant(value: &Value) -> Value {
    match value.as_str() {
        Some(text) => Value::String(text.replace(".000Z", "Z")),
        None => value.clone(),
    }
}

/// A created request read back (unless it was only validated): every property the example documents
/// for the create answer is there with its type (`createdDateTime`, where documented, set by now), and every value the
/// body sent (justification, answers, schedule) reads back as sent, so no documented body property
/// is silently dropped.
async fn read_back(base: &str, example: &Example, created: &str) -> Vec<String> {
    let Ok(created) = serde_json::from_str::<Value>(created) else {
        return vec!["the create answer is not JSON".to_owned()];
    };
    if created["isValidationOnly"] == true {
        return Vec::new();
    }
    let Some(id) = created["id"].as_str() else {
        return vec!["the create answer has no id".to_owned()];
    };
    let path = example.request.path.split('?').next().unwrap_or_default();
    let reader = Caller {
        user: Some("isaiah".to_owned()),
        app: None,
        scp: vec!["EntitlementManagement.Read.All".to_owned()],
        roles: Vec::new(),
        wids: vec![entitle_auth::IDENTITY_GOVERNANCE_ADMINISTRATOR.to_owned()],
    };
    let response = reqwest::Client::new()
        .get(format!("{base}{path}/{id}"))
        .bearer_auth(token(&reader))
        .send()
        .await
        .unwrap();
    if response.status() != 200 {
        return vec![format!("read back: status {}", response.status())];
    }
    let read: Value = response.json().await.unwrap();
    let mut found = Vec::new();
    if let Some(Value::Object(documented)) = &example.response.body {
        // What the create answer shows as `null` may be set by now (the request moved on): it must
        // be there, of any type.
        let mut documented = documented.clone();
        documented.retain(|name, value| {
            if value.is_null() && read.get(name).is_none() {
                found.push(format!("read back: /{name}: missing"));
            }
            !value.is_null()
        });
        let dated = documented.remove("createdDateTime").is_some();
        let mut at = Vec::new();
        differences("", &Value::Object(documented), &read, &mut at);
        found.extend(at.into_iter().map(|found| format!("read back: {found}")));
        if dated && !read["createdDateTime"].is_string() {
            found.push("read back: no createdDateTime".to_owned());
        }
    }
    let sent = example.request.body.as_ref().unwrap_or(&Value::Null);
    let mut echo = |name: &str, sent: &Value, read: &Value| {
        if !sent.is_null() && instant(sent) != instant(read) {
            found.push(format!(
                "read back: {name} is {read} where the body sent {sent}"
            ));
        }
    };
    echo(
        "justification",
        &sent["justification"],
        &read["justification"],
    );
    if let Some(answers) = sent["answers"].as_array() {
        for (index, answer) in answers.iter().enumerate() {
            let back = &read["answers"][index];
            echo("an answer's value", &answer["value"], &back["value"]);
            echo(
                "an answer's displayValue",
                &answer["displayValue"],
                &back["displayValue"],
            );
            echo(
                "an answer's question",
                &answer["answeredQuestion"]["id"],
                &back["answeredQuestion"]["id"],
            );
        }
    }
    let schedule = &sent["schedule"];
    echo(
        "schedule.startDateTime",
        &schedule["startDateTime"],
        &read["schedule"]["startDateTime"],
    );
    echo(
        "schedule.recurrence",
        &schedule["recurrence"],
        &read["schedule"]["recurrence"],
    );
    for property in ["endDateTime", "duration", "type"] {
        echo(
            &format!("schedule.expiration.{property}"),
            &schedule["expiration"][property],
            &read["schedule"]["expiration"][property],
        );
    }
    found
}

/// Replays `example`; the differences from the documented answer.
async fn replay(example: &Example) -> Vec<String> {
    let demo = Demo::start().await;
    let base = &demo.base;
    let request = &example.request;
    let method = Method::from_bytes(request.method.as_bytes()).unwrap();
    let mut call = reqwest::Client::new()
        .request(method, format!("{base}{}", request.path))
        .bearer_auth(token(&example.caller));
    for (name, value) in &request.headers {
        call = call.header(name, value);
    }
    if let Some(body) = &request.body {
        call = call.body(body.to_string());
    }
    let response = call.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let mut found = Vec::new();
    if status != example.response.status {
        found.push(format!(
            "status {status} where the example has {}: {text}",
            example.response.status
        ));
        return found;
    }
    if request.method == "POST" && status == 201 {
        found.extend(read_back(base, example, &text).await);
    }
    match &example.response.body {
        None if !text.is_empty() => {
            found.push(format!("a body where the example has none: {text}"));
        }
        None => {}
        Some(documented) => match serde_json::from_str::<Value>(&text) {
            Err(error) => found.push(format!("no JSON body ({error}): {text}")),
            Ok(actual) => {
                compare(documented, &actual, &mut found);
                for pointer in &example.exact {
                    if documented.pointer(pointer) != actual.pointer(pointer) {
                        found.push(format!(
                            "{pointer}: {:?} where the example has {:?}",
                            actual.pointer(pointer),
                            documented.pointer(pointer)
                        ));
                    }
                }
            }
        },
    }
    found
}

fn pages() -> Vec<(PathBuf, Page)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/examples");
    let mut pages = Vec::new();
    for version in ["v1.0", "beta"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(version))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        for file in files {
            let page: Page = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
                .unwrap_or_else(|error| panic!("{}: {error}", file.display()));
            pages.push((file, page));
        }
    }
    pages
}

#[tokio::test(flavor = "multi_thread")]
async fn microsofts_examples_replay() {
    let mut failures = Vec::new();
    let mut tally = BTreeMap::<String, (usize, usize, usize)>::new();
    let decisions = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/decisions.md"),
    )
    .unwrap();
    for (file, page) in pages() {
        assert_eq!(page.repo, "microsoftgraph/microsoft-graph-docs-contrib");
        assert!(
            page.commit.len() == 40 && page.commit.bytes().all(|b| b.is_ascii_hexdigit()),
            "{}: a 40-hex commit",
            file.display()
        );
        let version = file
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy();
        let key = format!("{version} {}", page.page.rsplit('/').next().unwrap());
        for example in &page.examples {
            if let Some(contradiction) = &example.contradicts {
                assert!(!contradiction.trim().is_empty());
            }
            if let Some(defect) = &example.defect {
                let decision = defect.split(':').next().unwrap_or_default();
                assert!(
                    decisions.contains(&format!("## {decision}:")),
                    "{}: `defect` must start with the decision that names it, as `D20: …`",
                    example.name
                );
            }
            let found = replay(example).await;
            let entry = tally.entry(key.clone()).or_default();
            match (&example.gap, found.is_empty()) {
                (None, true) => entry.0 += 1,
                (Some(gap), false) => {
                    entry.1 += 1;
                    let expected = example.fails.as_deref().unwrap_or_default();
                    if expected.is_empty() || !found.iter().any(|line| line.starts_with(expected)) {
                        failures.push(format!(
                            "{} — {}: a gap must fail with its `fails` ({expected:?}), not:\n  {}",
                            page.page,
                            example.name,
                            found.join("\n  ")
                        ));
                    }
                    if std::env::var_os("ENTITLE_SHOW_GAPS").is_some() {
                        println!(
                            "gap: {} — {} ({gap}):\n  {}",
                            page.page,
                            example.name,
                            found.join("\n  ")
                        );
                    }
                }
                (None, false) => failures.push(format!(
                    "{} — {}:\n  {}",
                    page.page,
                    example.name,
                    found.join("\n  ")
                )),
                (Some(gap), true) => failures.push(format!(
                    "{} — {}: replays now; remove its `gap` mark ({gap})",
                    page.page, example.name
                )),
            }
            entry.2 += 1;
        }
    }
    println!("page | replayed | known gaps | examples");
    for (page, (replayed, gaps, total)) in &tally {
        println!("{page} | {replayed} | {gaps} | {total}");
    }
    let sum = |pick: fn(&(usize, usize, usize)) -> usize| tally.values().map(pick).sum::<usize>();
    let defects = pages()
        .iter()
        .flat_map(|(_, page)| &page.examples)
        .filter(|example| example.defect.is_some())
        .count();
    println!(
        "total: {} pages, {} examples, {} replayed ({defects} as doc defects), {} known gaps",
        tally.len(),
        sum(|entry| entry.2),
        sum(|entry| entry.0),
        sum(|entry| entry.1),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
