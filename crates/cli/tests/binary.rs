//! The built `entitle` binary: every command, its output and its exit codes.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::path::PathBuf;
use std::process::{Command, Output};

use entitle_audit::render::{self, Format};
use entitle_audit::{Export, Header, LifecycleTable};
use entitle_core::ApiVersion;

fn entitle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_entitle"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn fixture(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../audit/tests/fixtures")
        .join(path)
        .display()
        .to_string()
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("binary-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn builtin_header() -> Header {
    Header::new(
        &LifecycleTable::builtin(),
        entitle_cli::VERSION,
        entitle_cli::SOURCE_COMMIT,
    )
}

#[test]
fn table_prints_every_format_as_the_library_renders_it() {
    let table = LifecycleTable::builtin();
    for (name, format) in [
        ("md", Format::Md),
        ("csv", Format::Csv),
        ("json", Format::Json),
        ("dot", Format::Dot),
        ("mermaid", Format::Mermaid),
    ] {
        let output = entitle(&["table", "--format", name]);
        assert!(output.status.success(), "{name}");
        assert_eq!(
            stdout(&output),
            render::table(&table, format, ApiVersion::V1, &builtin_header())
        );
    }
    let beta = stdout(&entitle(&["table", "--api", "beta"]));
    assert!(beta.contains("`Fulfilled`"));
}

#[test]
fn table_json_loads_back_and_renders_the_same() {
    let path = scratch("table.json");
    let written = entitle(&[
        "table",
        "--format",
        "json",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert!(written.status.success());
    assert!(written.stdout.is_empty());
    let loaded = Export::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(loaded.table, LifecycleTable::builtin());
    let again = entitle(&["table", "--table", path.to_str().unwrap()]);
    assert_eq!(stdout(&again), stdout(&entitle(&["table"])));
}

#[test]
fn matrix_prints_every_format() {
    for name in ["md", "csv", "json", "dot", "mermaid"] {
        let output = entitle(&["matrix", "--format", name]);
        assert!(output.status.success(), "{name}");
        assert!(!output.stdout.is_empty());
    }
    assert!(stdout(&entitle(&["matrix", "--format", "csv"])).contains("requestor-own"));
}

#[test]
fn check_exits_0_when_allowed_and_1_when_rejected() {
    let allowed = entitle(&[
        "check",
        "cancel",
        "--status",
        "pendingApproval",
        "--actor",
        "requestor-own",
    ]);
    assert_eq!(allowed.status.code(), Some(0));
    assert!(stdout(&allowed).contains(": allowed"));
    assert!(stdout(&allowed).contains("documented: Graph: accessPackageAssignmentRequest: cancel"));

    let rejected = entitle(&[
        "check",
        "cancel",
        "--status",
        "Delivered",
        "--actor",
        "requestor-own",
    ]);
    assert_eq!(rejected.status.code(), Some(1));
    assert!(stdout(&rejected).contains(": rejected"));

    let unauthorized = entitle(&[
        "check",
        "cancel",
        "--status",
        "Accepted",
        "--actor",
        "application",
    ]);
    assert_eq!(unauthorized.status.code(), Some(1));
    assert!(stdout(&unauthorized).contains("`application` callers cannot `cancel`"));

    let json = entitle(&[
        "check",
        "cancel",
        "--status",
        "cancelled",
        "--format",
        "json",
    ]);
    assert_eq!(json.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(value["allowed"], false);
}

#[test]
fn check_rejects_bad_input_with_exit_2_and_one_line() {
    for args in [
        &["check", "cancel", "--status", "Approved"][..],
        &["check", "submit", "--status", "Accepted"][..],
        &["check", "cancel", "--status", "Accepted", "--actor", "ceo"][..],
        &["check", "cancel"][..],
    ] {
        let output = entitle(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty());
        let error = stderr(&output);
        assert_eq!(error.lines().count(), 1, "{error}");
        assert!(error.starts_with("entitle: "), "{error}");
    }
    assert!(
        stderr(&entitle(&["check", "cancel", "--status", "Approved"]))
            .contains("unknown request status `Approved`")
    );
}

#[test]
fn verify_passes_the_builtin_table_and_fails_a_broken_one() {
    let builtin = entitle(&["verify"]);
    assert_eq!(builtin.status.code(), Some(0), "{}", stdout(&builtin));
    assert!(stdout(&builtin).contains("PASS cancel-set"));

    let broken = entitle(&[
        "verify",
        "--table",
        &fixture("broken/cancel-from-delivered.json"),
    ]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(stdout(&broken).contains("FAIL cancel-set"));

    let json = entitle(&["verify", "--format", "json"]);
    let _: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
}

#[test]
fn verify_reports_unreadable_and_malformed_files_with_exit_2() {
    let missing = entitle(&["verify", "--table", "no-such-file.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read `no-such-file.json`"));

    let garbage = scratch("garbage.json");
    std::fs::write(&garbage, "{ not json").unwrap();
    let malformed = entitle(&["verify", "--table", garbage.to_str().unwrap()]);
    assert_eq!(malformed.status.code(), Some(2));
    assert_eq!(stderr(&malformed).lines().count(), 1);
}

#[test]
fn diff_fails_on_new_access_only_when_asked_and_only_when_widened() {
    let base = fixture("diff/base.json");
    let widened = fixture("diff/widen-cancel.json");
    let narrowed = fixture("diff/narrow-cancel.json");

    let report = entitle(&["diff", &base, &widened]);
    assert_eq!(report.status.code(), Some(0));
    let gate = entitle(&["diff", &base, &widened, "--fail-on", "new-access"]);
    assert_eq!(gate.status.code(), Some(1));
    assert_eq!(stdout(&gate), stdout(&report));

    let narrow = entitle(&["diff", &base, &narrowed, "--fail-on", "new-access"]);
    assert_eq!(narrow.status.code(), Some(0));
    let same = entitle(&["diff", &base, &base, "--fail-on", "new-access"]);
    assert_eq!(same.status.code(), Some(0));
}

#[test]
fn docs_writes_the_generated_documents_and_check_reports_stale_ones() {
    let dir = scratch("docs");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.to_str().unwrap();
    let stale = entitle(&["docs", "--check", "--dir", dir]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(stdout(&stale).contains("transitions.md"));
    assert!(entitle(&["docs", "--dir", dir]).status.success());
    assert_eq!(
        entitle(&["docs", "--check", "--dir", dir]).status.code(),
        Some(0)
    );
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let output = entitle(&["completions", shell]);
        assert!(output.status.success(), "{shell}");
        assert!(stdout(&output).contains("entitle"));
    }
}

#[test]
fn help_documents_every_command_and_the_exit_codes() {
    let output = entitle(&["--help"]);
    assert!(output.status.success());
    let help = stdout(&output);
    for command in [
        "table",
        "matrix",
        "check",
        "verify",
        "diff",
        "docs",
        "completions",
    ] {
        assert!(help.contains(command), "{command}");
        let sub = entitle(&[command, "--help"]);
        assert!(sub.status.success(), "{command} --help");
    }
    assert!(help.contains("Exit codes"));
}

#[test]
fn unknown_commands_and_formats_exit_2_with_one_line() {
    for args in [
        &["frobnicate"][..],
        &["table", "--format", "pdf"][..],
        &["diff", "only-one.json"][..],
        &["docs", "--output", "x"][..],
    ] {
        let output = entitle(args);
        assert_eq!(output.status.code(), Some(2));
        assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    }
    let missing = stderr(&entitle(&["check", "cancel"]));
    assert!(missing.contains("--status"), "{missing}");
    let formats = stderr(&entitle(&["table", "--format", "pdf"]));
    assert!(
        formats.contains("possible values: md, csv, json, dot, mermaid"),
        "{formats}"
    );
}

#[test]
fn no_command_prints_help_and_exits_2() {
    let output = entitle(&[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("Usage: entitle <COMMAND>"));
}
