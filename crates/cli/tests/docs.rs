//! The checked-in docs agree with the code: the generated one is fresh, the decisions are recorded.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::fs;
use std::path::PathBuf;

use entitle_cli::document::{TRANSITIONS_PATH, transitions_document};
use entitle_core::{Decision, Provenance, RequestStatus, TRANSITIONS, VariantArray};

fn workspace_file(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    fs::read_to_string(&full)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", full.display()))
}

#[test]
fn generated_transitions_doc_is_fresh() {
    let checked_in = workspace_file(TRANSITIONS_PATH);
    let generated = transitions_document().unwrap();
    assert!(
        checked_in == generated,
        "{TRANSITIONS_PATH} is stale: run `just docs`"
    );
}

#[test]
fn every_decision_is_recorded_with_a_heading_and_an_anchor() {
    let decisions = workspace_file("docs/decisions.md");
    for decision in Decision::VARIANTS {
        let id = decision.id();
        let heading = format!("\n## {id}: ");
        assert!(
            decisions.contains(&heading),
            "docs/decisions.md lacks a `## {id}: …` heading"
        );
        let anchor = format!("<a id=\"{}\"></a>", id.to_lowercase());
        assert!(
            decisions.contains(&anchor),
            "docs/decisions.md lacks the anchor {anchor}"
        );
    }
}

#[test]
fn every_modelled_fact_cites_a_recorded_decision() {
    let modelled = TRANSITIONS.iter().map(|row| row.provenance).chain(
        RequestStatus::VARIANTS
            .iter()
            .flat_map(|s| [s.provenance(), s.state_provenance()]),
    );
    let decisions = workspace_file("docs/decisions.md");
    for provenance in modelled {
        if let Provenance::Modelled(decision) = provenance {
            assert!(decisions.contains(&format!("## {}: ", decision.id())));
        }
    }
}
