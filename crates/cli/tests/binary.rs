//! The built `entitle` binary: what it prints, and its exit codes.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::process::{Command, Output};

use entitle_cli::{document, render};
use entitle_core::ApiVersion;

fn entitle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_entitle"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> &str {
    std::str::from_utf8(&output.stdout).unwrap()
}

#[test]
fn table_prints_the_markdown_transition_table() {
    let output = entitle(&["table"]);
    assert!(output.status.success());
    let mut expected = String::new();
    render::transitions(&mut expected, ApiVersion::V1).unwrap();
    assert_eq!(stdout(&output), expected);
    assert!(stdout(&output).contains("| 5 | `Accepted` | `cancel` | always | `Canceled` |"));
}

#[test]
fn table_honours_api_and_format() {
    let beta = entitle(&["table", "--api", "beta"]);
    assert!(beta.status.success());
    let mut expected = String::new();
    render::transitions(&mut expected, ApiVersion::Beta).unwrap();
    assert_eq!(stdout(&beta), expected);

    let mermaid = entitle(&["table", "--format", "mermaid"]);
    assert!(stdout(&mermaid).starts_with("stateDiagram-v2\n"));
}

#[test]
fn doc_prints_the_generated_document() {
    let output = entitle(&["doc"]);
    assert!(output.status.success());
    assert_eq!(stdout(&output), document::transitions_document().unwrap());
}

#[test]
fn statuses_and_grid_print() {
    assert!(stdout(&entitle(&["statuses"])).contains("| `PendingNotBefore` | `scheduled` |"));
    assert!(stdout(&entitle(&["grid"])).starts_with("| Status | `process` |"));
}

#[test]
fn bad_arguments_exit_2_with_one_error_on_stderr() {
    let output = entitle(&["table", "--format", "pdf"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid value 'pdf'"));
    assert_eq!(entitle(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn help_documents_the_exit_codes() {
    let output = entitle(&["--help"]);
    assert!(output.status.success());
    assert!(stdout(&output).contains("Exit codes"));
}
