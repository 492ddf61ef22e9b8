//! The conformance vectors in `docs/vectors.json`: fresh, replayed case by case against entitle-core,
//! and covering every row, both sides of every condition, every authorization rule and every spelling.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;

use entitle_audit::vectors::{self, Outcome, ParseOutcome, Vectors};
use entitle_core::{
    Action, Condition, Request, RequestStatus, TRANSITIONS, Timestamp, VariantArray,
};
use serde_json::Value;

fn file_text() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/vectors.json");
    fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

fn file() -> Vectors {
    serde_json::from_str(&file_text()).unwrap()
}

/// The one key of a typed reason such as `{"notAllowed": {…}}`.
fn reason(value: &Value) -> String {
    match value {
        Value::Object(map) if map.len() == 1 => map.keys().next().unwrap().clone(),
        Value::String(name) => name.clone(),
        other => panic!("not a typed reason: {other}"),
    }
}

#[test]
fn the_vector_file_is_fresh() {
    let fresh = vectors::generate(env!("CARGO_PKG_VERSION")).to_json();
    assert!(
        file_text() == fresh,
        "docs/vectors.json is stale: run `just vectors`"
    );
}

#[test]
fn every_apply_case_replays_against_the_core() {
    let vectors = file();
    let requests: BTreeMap<&str, &Request> = vectors
        .requests
        .iter()
        .map(|request| (request.label.as_str(), &request.request))
        .collect();
    assert_eq!(vectors.transitions, TRANSITIONS);
    assert_eq!(vectors.counts.apply, vectors.apply.len());
    assert!(vectors.apply.len() > 1_000);
    for (index, case) in vectors.apply.iter().enumerate() {
        let request = requests[case.request.as_str()];
        let caller = vectors.callers[&case.caller].caller();
        let outcome = request.apply(&Action::new(case.action, caller), case.now);
        match (&case.expect, outcome) {
            (Outcome::Moved(moved), Ok(step)) => {
                assert_eq!(step.request.status, moved.status, "case {index}");
                assert_eq!(
                    step.request.approval_stage, moved.approval_stage,
                    "case {index}"
                );
                assert_eq!(TRANSITIONS[moved.row], *step.rule, "case {index}");
                assert_eq!(
                    serde_json::to_value(step.authority).unwrap(),
                    moved.authority,
                    "case {index}"
                );
            }
            (Outcome::Rejected(expected), Err(rejection)) => {
                assert_eq!(
                    &serde_json::to_value(rejection).unwrap(),
                    expected,
                    "case {index}"
                );
            }
            (expected, actual) => panic!("case {index}: expected {expected:?}, got {actual:?}"),
        }
        assert_eq!(
            case.relative,
            vectors::relative(request, case.now),
            "case {index}"
        );
    }
}

#[test]
fn every_parse_case_replays_against_the_core() {
    let vectors = file();
    assert_eq!(vectors.counts.parse, vectors.parse.len());
    for case in &vectors.parse {
        assert_eq!(
            RequestStatus::is_cancelable_str(&case.input),
            case.cancelable,
            "{:?}",
            case.input
        );
        match (&case.expect, RequestStatus::parse(&case.input)) {
            (ParseOutcome::Status(expected), Ok(status)) => assert_eq!(*expected, status),
            (ParseOutcome::Error(expected), Err(error)) => {
                assert_eq!(&serde_json::to_value(error).unwrap(), expected);
            }
            (expected, actual) => panic!("{:?}: expected {expected:?}, got {actual:?}", case.input),
        }
    }
    // Every spelling the parser accepts: each status and alias as written, in lower and upper case.
    for &status in RequestStatus::VARIANTS {
        for name in std::iter::once(status.as_str()).chain(status.aliases().iter().copied()) {
            for text in [name.to_owned(), name.to_lowercase(), name.to_uppercase()] {
                assert!(
                    vectors
                        .parse
                        .iter()
                        .any(|case| case.input == text
                            && case.expect == ParseOutcome::Status(status)),
                    "no parse case for {text:?}"
                );
            }
        }
    }
    assert!(
        vectors
            .parse
            .iter()
            .filter(|case| matches!(case.expect, ParseOutcome::Error(_)))
            .count()
            >= 5
    );
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one walk over the cases, then one assertion per coverage property"
)]
fn the_cases_cover_every_row_condition_and_authorization_rule() {
    let vectors = file();
    let mut rows = BTreeSet::new();
    let mut held = BTreeSet::new();
    let mut unmet = BTreeSet::new();
    let mut authorities = BTreeSet::new();
    let mut rejections = BTreeSet::new();
    let mut denials = BTreeSet::new();
    let mut timed: BTreeSet<(String, bool)> = BTreeSet::new();
    for case in &vectors.apply {
        match &case.expect {
            Outcome::Moved(moved) => {
                rows.insert(moved.row);
                held.insert(TRANSITIONS[moved.row].when);
                authorities.insert(reason(&moved.authority));
            }
            Outcome::Rejected(rejection) => {
                let kind = reason(rejection);
                let detail = &rejection[&kind];
                match kind.as_str() {
                    "conditionNotMet" => {
                        let condition: Condition =
                            serde_json::from_value(detail["unmet"].clone()).unwrap();
                        unmet.insert(condition);
                    }
                    "unauthorized" | "stage" => {
                        denials.insert(format!("{kind}.{}", reason(detail)));
                    }
                    _ => {}
                }
                rejections.insert(kind);
            }
        }
        // Both sides of each deadline, for the action it guards.
        for (name, offset) in &case.relative {
            // A deadline holds from its instant on; the reprocess window up to its end.
            let holds = if name == "reprocessWindowEnd" {
                *offset <= 0
            } else {
                *offset >= 0
            };
            if [-1, 0, 1].contains(offset) {
                timed.insert((name.clone(), holds));
            }
        }
    }
    assert_eq!(rows, (0..TRANSITIONS.len()).collect(), "rows never taken");
    for condition in Condition::VARIANTS {
        if TRANSITIONS.iter().any(|row| row.when == *condition) {
            assert!(held.contains(condition), "{condition:?} never held");
        }
        if *condition != Condition::Always {
            assert!(unmet.contains(condition) || held.contains(condition));
        }
    }
    for condition in [
        Condition::ApprovalRequired,
        Condition::StartsLater,
        Condition::MoreStagesRemain,
        Condition::EscalationDue,
        Condition::DecisionTimedOut,
        Condition::StartReached,
        Condition::WithinReprocessWindow,
    ] {
        // A guarded row that is not the last of its group falls through to the next row when its
        // condition fails; the others reject with `conditionNotMet`.
        let last = TRANSITIONS
            .iter()
            .filter(|row| row.when == condition)
            .any(|row| entitle_core::rows(row.from, row.action).last() == Some(row));
        if last {
            assert!(unmet.contains(&condition), "{condition:?} never failed");
        }
    }
    for name in [
        "escalationDue",
        "decisionTimedOut",
        "startReached",
        "reprocessWindowEnd",
    ] {
        assert!(
            timed.contains(&(name.to_owned(), true)),
            "{name}: never held by a millisecond"
        );
        assert!(
            timed.contains(&(name.to_owned(), false)),
            "{name}: never missed by a millisecond"
        );
    }
    for authority in [
        "system",
        "ownRequest",
        "administrator",
        "approver",
        "application",
    ] {
        assert!(
            authorities.contains(authority),
            "{authority} never authorized"
        );
    }
    for rejection in ["notAllowed", "conditionNotMet", "unauthorized", "stage"] {
        assert!(rejections.contains(rejection), "{rejection} never rejected");
    }
    for denial in [
        "unauthorized.principalNotSupported",
        "unauthorized.missingPermission",
        "unauthorized.missingAdministratorRole",
        "unauthorized.notAnApprover",
        "unauthorized.ownRequest",
        "stage.notAssigned",
        "stage.notEscalated",
    ] {
        assert!(denials.contains(denial), "{denial} never denied");
    }
}

#[test]
fn the_instants_are_plain_milliseconds() {
    let vectors = file();
    assert!(
        vectors
            .apply
            .iter()
            .all(|case| case.now >= Timestamp(vectors::T0.0))
    );
}
