//! The checked-in docs agree with the code: generated ones are fresh, decisions recorded, README honest.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use entitle_audit::LifecycleTable;
use entitle_audit::docs::generated_docs;
use entitle_core::{Decision, Provenance, RequestStatus, TRANSITIONS, VariantArray};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn workspace_file(path: &str) -> String {
    let full = workspace().join(path);
    fs::read_to_string(&full)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", full.display()))
}

#[test]
fn generated_docs_are_fresh() {
    for doc in generated_docs(&LifecycleTable::builtin(), entitle_cli::VERSION).unwrap() {
        let path = format!("docs/{}", doc.name);
        assert!(
            workspace_file(&path) == doc.text,
            "{path} is stale: run `just docs`"
        );
    }
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
    let table = LifecycleTable::builtin();
    let modelled = TRANSITIONS
        .iter()
        .map(|row| row.provenance)
        .chain(
            RequestStatus::VARIANTS
                .iter()
                .flat_map(|s| [s.provenance(), s.state_provenance()]),
        )
        .chain(table.authority.iter().map(|entry| entry.provenance))
        .chain(table.request_types.iter().map(|entry| entry.provenance))
        .chain(
            table
                .assignment
                .transitions
                .iter()
                .map(|row| row.provenance),
        )
        .collect::<Vec<_>>();
    let decisions = workspace_file("docs/decisions.md");
    for provenance in modelled {
        if let Provenance::Modelled(decision) = provenance {
            let id = decision.id();
            assert!(
                decisions.contains(&format!("## {id}: ")),
                "docs/decisions.md lacks `## {id}: …`, which the table cites"
            );
        }
    }
}

/// Each README block introduced by `<!-- example -->` shows `$ entitle ARGS`, its exact output, and
/// optionally `[exit N]`; running the built binary from the workspace root must reproduce it.
#[test]
fn readme_examples_show_real_output() {
    let readme = workspace_file("README.md");
    let mut checked = 0;
    for block in readme.split("<!-- example -->").skip(1) {
        let body = block.trim_start().strip_prefix("```text\n").unwrap();
        let body = &body[..body.find("```").unwrap()];
        let (command, expected) = body.split_once('\n').unwrap();
        let args = command.strip_prefix("$ entitle ").unwrap();
        let (expected, code) = match expected.rsplit_once("[exit ") {
            Some((text, code)) => (
                text.to_owned(),
                code.trim().trim_end_matches(']').parse().unwrap(),
            ),
            None => (expected.to_owned(), 0),
        };
        let output = Command::new(env!("CARGO_BIN_EXE_entitle"))
            .args(args.split_whitespace())
            .current_dir(workspace())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(output.stdout).unwrap(),
            expected,
            "README: `{command}`"
        );
        assert_eq!(output.status.code(), Some(code), "README: `{command}`");
        checked += 1;
    }
    assert!(checked >= 3, "the README shows {checked} examples");
}
