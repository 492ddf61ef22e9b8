//! Snapshots of every export format of the built-in table and matrix, with a fixed header so they
//! change only when the lifecycle or a renderer does, and structural checks of each format.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use entitle_audit::render::{self, Format};
use entitle_audit::{Actor, Export, Header, LifecycleTable, MatrixEntry};
use entitle_core::{ApiVersion, Operation, VariantArray};

fn builtin() -> (LifecycleTable, Header) {
    let table = LifecycleTable::builtin();
    let header = Header::new(&table, "0.0.0-test", Some("0123456789ab"));
    (table, header)
}

fn table(format: Format, api: ApiVersion) -> String {
    let (table, header) = builtin();
    render::table(&table, format, api, &header)
}

fn matrix(format: Format, api: ApiVersion) -> String {
    let (table, header) = builtin();
    render::matrix(&table, format, api, &header)
}

/// Reads RFC 4180 CSV, skipping `#` comment lines outside quotes at the start of a record.
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut at_record_start = true;
    while let Some(c) = chars.next() {
        if at_record_start && c == '#' {
            for c in chars.by_ref() {
                if c == '\n' {
                    break;
                }
            }
            continue;
        }
        at_record_start = false;
        match c {
            '"' if field.is_empty() => loop {
                match chars.next().expect("unterminated quoted field") {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => break,
                    other => field.push(other),
                }
            },
            ',' => record.push(std::mem::take(&mut field)),
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                at_record_start = true;
            }
            other => {
                assert_ne!(other, '"', "a quote inside an unquoted field");
                field.push(other);
            }
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "the last line is not terminated"
    );
    records
}

/// Checks that braces and brackets balance outside DOT quoted strings, and that no string is open.
fn assert_dot_balanced(dot: &str) {
    let mut depth: Vec<char> = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    for line in dot.lines() {
        if !in_string && line.trim_start().starts_with("//") {
            continue;
        }
        for c in line.chars() {
            if in_string {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => in_string = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_string = true,
                '{' | '[' => depth.push(c),
                '}' => assert_eq!(depth.pop(), Some('{'), "unbalanced `}}` in {line}"),
                ']' => assert_eq!(depth.pop(), Some('['), "unbalanced `]` in {line}"),
                _ => {}
            }
        }
    }
    assert!(!in_string, "an unterminated string");
    assert!(depth.is_empty(), "unclosed {depth:?}");
}

/// The statements of a DOT graph that are edges.
fn dot_edges(dot: &str) -> Vec<&str> {
    dot.lines().filter(|line| line.contains(" -> ")).collect()
}

#[test]
fn format_names_are_distinct() {
    let names: Vec<&str> = Format::VARIANTS.iter().map(|f| f.as_str()).collect();
    assert_eq!(names, ["md", "csv", "json", "dot", "mermaid"]);
    assert_eq!(Format::Mermaid.to_string(), "mermaid");
}

#[test]
fn table_md() {
    let md = table(Format::Md, ApiVersion::V1);
    for heading in [
        "## Statuses",
        "## Transitions",
        "## Request types",
        "## Assignments",
        "### States",
        "### Transitions",
    ] {
        assert!(md.lines().any(|line| line == heading), "{heading}");
    }
    assert!(md.contains(
        "| 1 | (none) | `deliveryStarted` | always | `delivering` | documented: [Graph: create \
         accessPackageAssignmentRequest]("
    ));
    insta::assert_snapshot!(md);
}

#[test]
fn table_md_beta() {
    let md = table(Format::Md, ApiVersion::Beta);
    assert!(md.contains("| `Delivered` | `Delivered` |"));
    assert!(md.contains("| `PendingApproval` | `PendingApproval` |"));
    insta::assert_snapshot!(md);
}

#[test]
fn table_csv() {
    insta::assert_snapshot!(table(Format::Csv, ApiVersion::V1));
}

#[test]
fn table_json() {
    insta::assert_snapshot!(table(Format::Json, ApiVersion::V1));
}

#[test]
fn table_dot() {
    insta::assert_snapshot!(table(Format::Dot, ApiVersion::V1));
}

#[test]
fn table_dot_beta() {
    let dot = table(Format::Dot, ApiVersion::Beta);
    assert!(dot.contains("\"Delivered\" [label=\"Delivered\\n(Delivered)\""));
    insta::assert_snapshot!(dot);
}

#[test]
fn table_mermaid() {
    let (table_data, _) = builtin();
    let mermaid = table(Format::Mermaid, ApiVersion::V1);
    assert!(mermaid.contains("    state Assignment {\n"));
    assert_eq!(
        mermaid.matches(" --> ").count(),
        1 + table_data.transitions.len()
            + table_data
                .statuses
                .iter()
                .filter(|entry| entry.terminal)
                .count()
            + table_data.assignment.transitions.len()
            + table_data
                .assignment
                .states
                .iter()
                .filter(|entry| entry.terminal)
                .count()
    );
    insta::assert_snapshot!(mermaid);
}

#[test]
fn matrix_md() {
    insta::assert_snapshot!(matrix(Format::Md, ApiVersion::V1));
}

#[test]
fn matrix_csv() {
    insta::assert_snapshot!(matrix(Format::Csv, ApiVersion::V1));
}

#[test]
fn matrix_json() {
    insta::assert_snapshot!(matrix(Format::Json, ApiVersion::V1));
}

#[test]
fn matrix_dot() {
    insta::assert_snapshot!(matrix(Format::Dot, ApiVersion::V1));
}

#[test]
fn matrix_mermaid() {
    insta::assert_snapshot!(matrix(Format::Mermaid, ApiVersion::V1));
}

#[test]
fn every_export_starts_with_the_header() {
    let (_, header) = builtin();
    let comments = [
        (Format::Csv, "#"),
        (Format::Dot, "//"),
        (Format::Mermaid, "%%"),
    ];
    for api in ApiVersion::VARIANTS.iter().copied() {
        for (format, prefix) in comments {
            let expected = header.comment_lines(prefix);
            assert!(table(format, api).starts_with(&expected), "{format}");
            assert!(matrix(format, api).starts_with(&expected), "{format}");
        }
        let expected = format!("<!--\n{}-->\n", header.comment_lines(""));
        assert!(table(Format::Md, api).starts_with(&expected));
        assert!(matrix(Format::Md, api).starts_with(&expected));
    }
}

#[test]
fn json_is_canonical_whatever_the_api() {
    assert_eq!(
        table(Format::Json, ApiVersion::V1),
        table(Format::Json, ApiVersion::Beta)
    );
    assert_eq!(
        matrix(Format::Json, ApiVersion::V1),
        matrix(Format::Json, ApiVersion::Beta)
    );
}

#[test]
fn table_json_is_the_export_and_loads_back() {
    let (table, header) = builtin();
    let json = render::table(&table, Format::Json, ApiVersion::Beta, &header);
    let export = Export {
        entitle: Some(header.clone()),
        table: table.clone(),
    };
    assert_eq!(json, export.to_json());
    assert_eq!(Export::from_json(&json).unwrap(), export);
}

#[test]
fn matrix_json_has_the_header_and_every_cell() {
    let (table, header) = builtin();
    let json = render::matrix(&table, Format::Json, ApiVersion::V1, &header);
    assert!(json.ends_with("}\n"));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let object = value.as_object().unwrap();
    assert_eq!(object.len(), 2);
    let loaded: Header = serde_json::from_value(object["entitle"].clone()).unwrap();
    assert_eq!(loaded, header);
    let entries: Vec<MatrixEntry> = serde_json::from_value(object["matrix"].clone()).unwrap();
    assert_eq!(entries, entitle_audit::matrix(&table));
    assert_eq!(object["matrix"][0]["status"], serde_json::Value::Null);
    assert_eq!(object["matrix"][0]["operation"], "get");
}

#[test]
fn table_csv_reads_back_to_the_transitions() {
    let (table, header) = builtin();
    for api in ApiVersion::VARIANTS.iter().copied() {
        let text = self::table(Format::Csv, api);
        assert!(text.contains(&format!(
            "{}# names as spelled by Graph {}\n# request transitions only",
            header.comment_lines("#"),
            api.as_str()
        )));
        let records = read_csv(&text);
        assert_eq!(records.len(), table.transitions.len() + 1);
        assert_eq!(
            records[0],
            [
                "row",
                "from",
                "action",
                "when",
                "to",
                "provenance_kind",
                "provenance"
            ]
        );
        for (index, (record, row)) in records[1..].iter().zip(&table.transitions).enumerate() {
            assert_eq!(record.len(), 7, "{record:?}");
            assert_eq!(record[0], (index + 1).to_string());
            assert_eq!(record[1], row.from.name_in(api));
            assert_eq!(record[2], row.action.as_str());
            assert_eq!(record[3], row.when.as_str());
            assert_eq!(record[4], row.to.name_in(api));
            let kind = if row.provenance.is_documented() {
                "documented"
            } else {
                "modelled"
            };
            assert_eq!(record[5], kind);
        }
    }
}

#[test]
fn matrix_csv_has_a_line_per_cell() {
    let (table, _) = builtin();
    let records = read_csv(&matrix(Format::Csv, ApiVersion::V1));
    assert_eq!(records.len(), entitle_audit::matrix(&table).len() + 1);
    assert_eq!(
        records[0],
        [
            "status",
            "actor",
            "permission",
            "role",
            "operation",
            "decision",
            "when"
        ]
    );
    for record in &records {
        assert_eq!(record.len(), 7, "{record:?}");
    }
    let operations: std::collections::BTreeSet<&str> = records[1..]
        .iter()
        .map(|record| record[4].as_str())
        .collect();
    assert_eq!(operations.len(), Operation::all().len());
    assert!(records.iter().any(|record| record[..]
        == [
            "",
            "catalog-reader",
            "EntitlementManagement.Read.All",
            "Catalog reader",
            "get",
            "allowed",
            ""
        ]));
    assert!(records.iter().any(|record| record[..]
        == [
            "",
            "approver",
            "EntitlementManagement.ReadWrite.All",
            "approver of every stage",
            "create:approverRemove",
            "allowed",
            ""
        ]));
    assert!(records.iter().any(|record| record[..]
        == [
            "Canceled",
            "assignment-manager",
            "EntitlementManagement.ReadWrite.All",
            "Access package assignment manager",
            "delete",
            "allowed",
            ""
        ]));
    assert!(records.iter().any(|record| record[..]
        == [
            "PendingApproval",
            "requestor-own",
            "EntitlementMgmt-SubjectAccess.ReadWrite",
            "",
            "cancel",
            "allowed",
            ""
        ]));
    assert!(records.iter().any(|record| record[..]
        == [
            "PendingApproval",
            "system",
            "",
            "",
            "expire",
            "allowedIf",
            "decisionTimedOut"
        ]));
}

#[test]
fn the_csv_reader_reads_quoted_fields() {
    assert_eq!(
        read_csv("# comment\na,\"b,\"\"c\"\"\nd\",\n"),
        [["a", "b,\"c\"\nd", ""]]
    );
}

#[test]
fn table_dot_is_balanced_with_an_edge_per_transition() {
    let (table, _) = builtin();
    for api in ApiVersion::VARIANTS.iter().copied() {
        let dot = self::table(Format::Dot, api);
        assert_dot_balanced(&dot);
        assert!(dot.contains("digraph lifecycle {"));
        assert!(dot.contains("    subgraph cluster_assignment {"));
        let edges = dot_edges(&dot);
        assert_eq!(
            edges.len(),
            table.transitions.len() + table.assignment.transitions.len()
        );
        let (requests, assignments) = edges.split_at(table.transitions.len());
        for (edge, row) in assignments.iter().zip(&table.assignment.transitions) {
            assert!(edge.starts_with("        \"assignment:"), "{edge}");
            assert_eq!(
                edge.contains("style=dashed"),
                !row.provenance.is_documented()
            );
        }
        for (edge, row) in requests.iter().zip(&table.transitions) {
            let start = format!(
                "    \"{}\" -> \"{}\" [",
                row.from.name_in(api),
                row.to.name_in(api)
            );
            assert!(edge.starts_with(&start), "{edge}");
            assert_eq!(
                edge.contains("style=dashed"),
                !row.provenance.is_documented()
            );
        }
        let terminal = table.statuses.iter().filter(|entry| entry.terminal).count()
            + table
                .assignment
                .states
                .iter()
                .filter(|entry| entry.terminal)
                .count();
        assert_eq!(dot.matches("peripheries=2").count(), terminal);
    }
}

#[test]
fn matrix_dot_is_balanced_with_an_edge_per_actor_and_allowed_action() {
    let (table, _) = builtin();
    let dot = matrix(Format::Dot, ApiVersion::V1);
    assert_dot_balanced(&dot);
    let pairs = Actor::VARIANTS
        .iter()
        .flat_map(|&actor| {
            Operation::all()
                .into_iter()
                .map(move |operation| (actor, operation))
        })
        .filter(|&(actor, operation)| {
            table.statuses.iter().any(|entry| {
                entitle_audit::cell(&table, Some(entry.status), Some(actor), operation).allows()
            })
        })
        .count();
    assert_eq!(dot_edges(&dot).len(), pairs);
    assert!(dot.contains("\"actor:requestor-own\" -> \"operation:cancel\";"));
    assert!(!dot.contains("\"actor:application\" -> \"operation:cancel\""));
    assert!(dot.contains("\"actor:catalog-reader\" -> \"operation:get\";"));
    assert!(dot.contains("\"actor:catalog-owner\" -> \"operation:create:adminAdd\";"));
    let mermaid = matrix(Format::Mermaid, ApiVersion::V1);
    assert_eq!(mermaid.matches(" --> ").count(), pairs);
}
