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
    // Beta writes states in PascalCase.
    assert!(beta.contains("| `PendingApproval` | `PendingApproval` |"));
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
    let csv = stdout(&entitle(&["matrix", "--format", "csv"]));
    assert!(csv.contains("requestor-own"));
    assert!(csv.contains(
        "\n,catalog-reader,EntitlementManagement.Read.All,Catalog reader,get,allowed,\n"
    ));
    assert!(
        csv.contains(
            "\nCanceled,application,EntitlementManagement.ReadWrite.All,,delete,allowed,\n"
        )
    );
    let md = stdout(&entitle(&["matrix"]));
    for operation in entitle_core::Operation::all() {
        assert!(md.contains(&format!("`{operation}`")), "{operation}");
    }
}

#[test]
fn check_decides_every_kind_of_operation() {
    let delete = entitle(&[
        "check",
        "delete",
        "--status",
        "Canceled",
        "--actor",
        "assignment-manager",
    ]);
    assert_eq!(delete.status.code(), Some(0), "{}", stdout(&delete));
    assert!(
        stdout(&delete).starts_with("`delete` from `Canceled` by `assignment-manager`: allowed\n")
    );
    let kept = entitle(&[
        "check",
        "delete",
        "--status",
        "Delivered",
        "--actor",
        "assignment-manager",
    ]);
    assert_eq!(kept.status.code(), Some(1));
    let create = entitle(&["check", "create:adminAdd", "--actor", "catalog-owner"]);
    assert_eq!(create.status.code(), Some(0));
    assert_eq!(
        stdout(&create),
        "`create:adminAdd` by `catalog-owner`: allowed\n  authority: administrator: Catalog owner \
         (documented: Graph: create accessPackageAssignmentRequest)\n"
    );
    let reader = entitle(&["check", "CREATE:ADMINADD", "--actor", "catalog-reader"]);
    assert_eq!(reader.status.code(), Some(1));
    let read = entitle(&[
        "check",
        "get",
        "--actor",
        "catalog-reader",
        "--format",
        "json",
    ]);
    assert_eq!(read.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_str(&stdout(&read)).unwrap();
    assert_eq!(value["operation"], "get");
    assert_eq!(value["status"], serde_json::Value::Null);
    let ignored = entitle(&[
        "check",
        "list",
        "--status",
        "Delivered",
        "--actor",
        "approver",
    ]);
    assert_eq!(ignored.status.code(), Some(0));
    assert!(stdout(&ignored).contains("`Delivered` is not looked at"));
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
        &["check", "delete", "--actor", "catalog-owner"][..],
        &["check", "create:nothing", "--actor", "catalog-owner"][..],
        &["check", "get", "--status", "Approved"][..],
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
    assert_eq!(
        stderr(&entitle(&["check", "delete"])),
        "entitle: `delete` depends on the request's status: give it with `--status`\n"
    );
    assert!(
        stderr(&entitle(&["check", "create:nothing"]))
            .contains("unknown operation `create:nothing`")
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

    let assignment = entitle(&[
        "verify",
        "--table",
        &fixture("broken/assignment-missing-row.json"),
    ]);
    assert_eq!(assignment.status.code(), Some(1));
    assert!(stdout(&assignment).contains("FAIL assignment-follows-requests"));
    assert!(
        stdout(&assignment)
            .contains("  assignment (none) --deliveryStarted [always]--> delivering\n")
    );
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
    for widened in ["widen-create", "widen-delete"] {
        let gate = entitle(&[
            "diff",
            &base,
            &fixture(&format!("diff/{widened}.json")),
            "--fail-on",
            "new-access",
        ]);
        assert_eq!(gate.status.code(), Some(1), "{widened}");
    }
    let rows = entitle(&[
        "diff",
        &base,
        &fixture("diff/change-assignment.json"),
        "--fail-on",
        "new-access",
    ]);
    assert_eq!(rows.status.code(), Some(0));
    assert!(stdout(&rows).starts_with("assignment added:\n"));
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
fn vectors_writes_the_cases_and_check_reports_a_stale_file() {
    let file = scratch("vectors.json");
    let path = file.to_str().unwrap();
    std::fs::write(&file, "{}").unwrap();
    let stale = entitle(&["vectors", "--check", path]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(stdout(&stale).contains("just vectors"));
    assert!(entitle(&["vectors", "--output", path]).status.success());
    assert_eq!(
        entitle(&["vectors", "--check", path]).status.code(),
        Some(0)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("{\n  \"format\": \"entitle-vectors/1\""));
    let printed = entitle(&["vectors"]);
    assert_eq!(stdout(&printed), text);
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let output = entitle(&["completions", shell]);
        assert!(output.status.success(), "{shell}");
        let script = stdout(&output);
        assert!(script.contains("entitle"));
        assert!(script.contains("status"), "{shell}");
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
        "vectors",
        "completions",
    ] {
        assert!(help.contains(command), "{command}");
        let sub = entitle(&[command, "--help"]);
        assert!(sub.status.success(), "{command} --help");
    }
    assert!(help.contains("Exit codes"));
    let check = stdout(&entitle(&["check", "--help"]));
    assert!(check.contains("<OPERATION>"), "{check}");
    assert!(check.contains("create:adminAdd"), "{check}");
    assert!(check.contains("catalog-reader"), "{check}");
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
