//! The authority matrix in every format.
//!
//! Statuses follow the table's order, actors [`Actor::VARIANTS`] and operations `Operation::all()`.

use core::fmt::{self, Write};

use entitle_core::{ApiVersion, Operation, Permission, RequestStatus};
use serde::Serialize;
use strum::VariantArray;

use super::markdown::cell_text;
use super::{csv as csv_format, dot::quoted};
use crate::actor::Actor;
use crate::export::Header;
use crate::matrix::{
    Cell, DELETE_WITNESS, MatrixEntry, cell, status_dependent, status_independent,
};
use crate::table::LifecycleTable;

/// The column names of [`csv`], in order.
pub const CSV_COLUMNS: [&str; 7] = [
    "status",
    "actor",
    "permission",
    "role",
    "operation",
    "decision",
    "when",
];

/// The name of a cell's decision, as in its JSON `decision` tag.
pub const fn decision_name(cell: &Cell) -> &'static str {
    match cell {
        Cell::Allowed => "allowed",
        Cell::AllowedIf(_) => "allowedIf",
        Cell::NotAuthorized => "notAuthorized",
        Cell::NotFromStatus => "notFromStatus",
    }
}

/// The Graph permission of an actor, or `""` for none.
fn permission_name(actor: Actor) -> &'static str {
    actor
        .permission()
        .map_or("", |permission| permission.as_str())
}

/// The role of an actor (or the approver fact), or `""` for none.
fn role_name(actor: Actor) -> &'static str {
    actor.standing().unwrap_or_default()
}

/// The statuses, in table order, from which `operation` can happen at all: for an action, those the
/// table has a row from; for `delete`, those a [`DELETE_WITNESS`] request may be deleted from; for any
/// other operation, every status.
pub fn possible_from(table: &LifecycleTable, operation: Operation) -> Vec<RequestStatus> {
    table
        .statuses
        .iter()
        .map(|entry| entry.status)
        .filter(|&status| match operation {
            Operation::Act(action) => table.rows(status, action).next().is_some(),
            Operation::Delete => table.is_deletable(DELETE_WITNESS, status),
            _ => true,
        })
        .collect()
}

/// The statuses, in table order, from which `actor` may perform `operation`, at least under some
/// condition.
pub fn allowed_from(
    table: &LifecycleTable,
    actor: Actor,
    operation: Operation,
) -> Vec<RequestStatus> {
    table
        .statuses
        .iter()
        .map(|entry| entry.status)
        .filter(|&status| cell(table, Some(status), Some(actor), operation).allows())
        .collect()
}

/// Whether `actor` is authorized for `operation` at all, as a table cell: `yes` (in every listed
/// status), `no`, or the statuses it is authorized in.
fn authorized_text(
    table: &LifecycleTable,
    actor: Actor,
    operation: Operation,
    api: ApiVersion,
) -> String {
    let authorized_in = table
        .authority(actor, operation)
        .map_or(&[][..], |entry| entry.authorized_in.as_slice());
    if authorized_in.is_empty() {
        "no".to_owned()
    } else if table
        .statuses
        .iter()
        .all(|entry| authorized_in.contains(&entry.status))
    {
        "yes".to_owned()
    } else {
        let names: Vec<String> = authorized_in
            .iter()
            .map(|status| format!("`{}`", status.name_in(api)))
            .collect();
        format!("only in {}", names.join(", "))
    }
}

/// A table head: `| Actor | Permission | Role |` and one column per operation.
fn head(out: &mut String, operations: &[Operation]) -> fmt::Result {
    out.push_str("| Actor | Permission | Role |");
    for operation in operations {
        write!(out, " `{operation}` |")?;
    }
    out.push_str("\n|---|---|---|");
    for _ in operations {
        out.push_str("---|");
    }
    out.push('\n');
    Ok(())
}

/// A table row's first cells: the actor, its permission and its role.
fn actor_cells(out: &mut String, actor: Actor) -> fmt::Result {
    let permission = actor
        .permission()
        .map_or_else(|| "—".to_owned(), |permission| format!("`{permission}`"));
    let role = actor.standing().unwrap_or("—");
    write!(out, "| {actor} | {permission} | {role} |")
}

/// The matrix for review: who may act at all; the operations that do not depend on the status, one
/// cell per actor; then one table per status for `delete` and the actions.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn markdown(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    writeln!(out, "## Who may act at all\n")?;
    writeln!(
        out,
        "By the authorization rules alone, before the request's status is looked at.\n"
    )?;
    writeln!(out, "| Actor | Operation | Authorized | Rule |")?;
    writeln!(out, "|---|---|---|---|")?;
    for &actor in Actor::VARIANTS {
        for operation in Operation::all() {
            let rule = table.authority(actor, operation).map_or_else(
                || "not listed in the table".to_owned(),
                |entry| cell_text(&entry.rule),
            );
            writeln!(
                out,
                "| {actor} | `{operation}` | {} | {rule} |",
                authorized_text(table, actor, operation, api)
            )?;
        }
    }
    writeln!(out, "\n## Whatever the status\n")?;
    writeln!(
        out,
        "Reading, listing, reading the approval stages and creating never depend on the request's \
         status. A creation is of a request for the requestor, submitted by the actor. `yes`: allowed; \
         `unauthorized`: this actor may never do it.\n"
    )?;
    let independent = status_independent();
    head(out, &independent)?;
    for &actor in Actor::VARIANTS {
        actor_cells(out, actor)?;
        for &operation in &independent {
            write!(
                out,
                " {} |",
                cell(table, None, Some(actor), operation).short()
            )?;
        }
        out.push('\n');
    }
    writeln!(out, "\n## By status\n")?;
    writeln!(
        out,
        "`yes`: allowed. `if …`: allowed once a condition holds. `unauthorized`: this actor may never \
         do it. `—`: authorized, but the action is not allowed from this status, or a `{DELETE_WITNESS}` \
         request in this status may not be deleted.\n"
    )?;
    let dependent = status_dependent();
    for entry in &table.statuses {
        writeln!(out, "### {}\n", entry.status.name_in(api))?;
        head(out, &dependent)?;
        for &actor in Actor::VARIANTS {
            actor_cells(out, actor)?;
            for &operation in &dependent {
                write!(
                    out,
                    " {} |",
                    cell(table, Some(entry.status), Some(actor), operation).short()
                )?;
            }
            out.push('\n');
        }
        out.push('\n');
    }
    Ok(())
}

/// The matrix as CSV: a header line, then one line per cell; `status` is empty for an operation that
/// does not depend on it, and `when` lists a conditional cell's conditions, joined by ` or `.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn csv(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    csv_format::record(out, CSV_COLUMNS);
    let mut operation = String::new();
    for entry in crate::matrix::matrix(table) {
        let when = match &entry.cell {
            Cell::AllowedIf(conditions) => conditions
                .iter()
                .map(|condition| condition.as_str())
                .collect::<Vec<_>>()
                .join(" or "),
            Cell::Allowed | Cell::NotAuthorized | Cell::NotFromStatus => String::new(),
        };
        operation.clear();
        write!(operation, "{}", entry.operation)?;
        csv_format::record(
            out,
            [
                entry.status.map_or("", |status| status.name_in(api)),
                entry.actor.as_str(),
                permission_name(entry.actor),
                role_name(entry.actor),
                operation.as_str(),
                decision_name(&entry.cell),
                when.as_str(),
            ],
        );
    }
    Ok(())
}

/// The JSON matrix export.
#[derive(Serialize)]
struct MatrixExport<'a> {
    entitle: &'a Header,
    matrix: Vec<MatrixEntry>,
}

/// The matrix as pretty JSON, `{"entitle": header, "matrix": [...]}`, ending with a newline.
///
/// Statuses keep their canonical names whatever the API version.
pub fn json(table: &LifecycleTable, header: &Header) -> String {
    let export = MatrixExport {
        entitle: header,
        matrix: crate::matrix::matrix(table),
    };
    // Serializing plain data with derived impls into a string cannot fail.
    let mut json = serde_json::to_string_pretty(&export).unwrap_or_default();
    json.push('\n');
    json
}

/// An actor's label: its name, then its permission and role (or approver fact) when it has them.
fn actor_label(actor: Actor) -> Vec<&'static str> {
    let mut lines = vec![actor.as_str()];
    lines.extend(actor.permission().map(Permission::as_str));
    lines.extend(actor.standing());
    lines
}

/// An operation's label: its name, then, when it depends on the status, the statuses it can happen
/// from, two to a line.
fn operation_label(table: &LifecycleTable, operation: Operation, api: ApiVersion) -> Vec<String> {
    let mut lines = vec![operation.to_string()];
    if !operation.depends_on_status() {
        return lines;
    }
    let from = possible_from(table, operation);
    if from.is_empty() {
        lines.push("from no status".to_owned());
    }
    for (index, pair) in from.chunks(2).enumerate() {
        let names: Vec<&str> = pair.iter().map(|status| status.name_in(api)).collect();
        let prefix = if index == 0 { "from " } else { "" };
        let suffix = if (index + 1) * 2 < from.len() {
            ","
        } else {
            ""
        };
        lines.push(format!("{prefix}{}{suffix}", names.join(", ")));
    }
    lines
}

/// The label of an edge from `actor` to `operation`: `None` when there is no edge (the actor may not
/// perform the operation from any status), empty when the actor may perform it from every status the
/// operation can happen from (or, for an operation that does not depend on the status, at all), and
/// otherwise the statuses it may.
fn edge(
    table: &LifecycleTable,
    actor: Actor,
    operation: Operation,
    api: ApiVersion,
) -> Option<String> {
    if !operation.depends_on_status() {
        return cell(table, None, Some(actor), operation)
            .allows()
            .then(String::new);
    }
    let allowed = allowed_from(table, actor, operation);
    if allowed.is_empty() {
        None
    } else if allowed == possible_from(table, operation) {
        Some(String::new())
    } else {
        let names: Vec<&str> = allowed.iter().map(|status| status.name_in(api)).collect();
        Some(format!("only from {}", names.join(", ")))
    }
}

/// The DOT node id of an operation.
fn operation_node(operation: Operation) -> String {
    quoted(&format!("operation:{operation}"))
}

/// The matrix as a Graphviz `digraph authority`: an edge from each actor to each operation it may
/// perform (from some status, for those that depend on it).
///
/// The nodes of `delete` and the actions list the statuses the operation can happen from. An
/// unlabelled edge means the actor may perform the operation from all of them; a labelled one names
/// the only statuses it may.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn dot(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    writeln!(out, "digraph authority {{")?;
    writeln!(
        out,
        "    // An edge: the actor may perform the operation, from every status listed on it"
    )?;
    writeln!(
        out,
        "    // unless the edge names the only statuses it may."
    )?;
    writeln!(out, "    rankdir=LR;")?;
    writeln!(out, "    node [fontname=\"Helvetica\"];")?;
    writeln!(out, "    edge [fontname=\"Helvetica\", fontsize=10];")?;
    for &actor in Actor::VARIANTS {
        writeln!(
            out,
            "    {} [shape=box, label={}];",
            quoted(&format!("actor:{actor}")),
            quoted(&actor_label(actor).join("\n"))
        )?;
    }
    for operation in Operation::all() {
        writeln!(
            out,
            "    {} [shape=ellipse, label={}];",
            operation_node(operation),
            quoted(&operation_label(table, operation, api).join("\n"))
        )?;
    }
    for &actor in Actor::VARIANTS {
        for operation in Operation::all() {
            let Some(label) = edge(table, actor, operation, api) else {
                continue;
            };
            write!(
                out,
                "    {} -> {}",
                quoted(&format!("actor:{actor}")),
                operation_node(operation)
            )?;
            if label.is_empty() {
                out.push_str(";\n");
            } else {
                writeln!(out, " [label={}];", quoted(&label))?;
            }
        }
    }
    writeln!(out, "}}")
}

/// Text made safe inside a quoted Mermaid label.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            other => out.push(other),
        }
    }
    out
}

/// A Mermaid label from lines, joined by `<br/>`.
fn mermaid_label<S: AsRef<str>>(lines: &[S]) -> String {
    let escaped: Vec<String> = lines
        .iter()
        .map(|line| mermaid_text(line.as_ref()))
        .collect();
    escaped.join("<br/>")
}

/// A Mermaid node id for an actor: `actor_` and its name with `-` as `_`.
fn actor_id(actor: Actor) -> String {
    format!("actor_{}", actor.as_str().replace('-', "_"))
}

/// A Mermaid node id for an operation: `operation_` and its name with `:` as `_`.
fn operation_id(operation: Operation) -> String {
    format!("operation_{}", operation.to_string().replace(':', "_"))
}

/// The matrix as a Mermaid `flowchart LR`, with the same nodes and edges as [`dot`].
///
/// # Errors
/// Only if writing to `out` fails.
pub fn mermaid(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    writeln!(out, "flowchart LR")?;
    for &actor in Actor::VARIANTS {
        writeln!(
            out,
            "    {}[\"{}\"]",
            actor_id(actor),
            mermaid_label(&actor_label(actor))
        )?;
    }
    for operation in Operation::all() {
        writeln!(
            out,
            "    {}([\"{}\"])",
            operation_id(operation),
            mermaid_label(&operation_label(table, operation, api))
        )?;
    }
    for &actor in Actor::VARIANTS {
        for operation in Operation::all() {
            let Some(label) = edge(table, actor, operation, api) else {
                continue;
            };
            if label.is_empty() {
                writeln!(
                    out,
                    "    {} --> {}",
                    actor_id(actor),
                    operation_id(operation)
                )?;
            } else {
                writeln!(
                    out,
                    "    {} -->|\"{}\"| {}",
                    actor_id(actor),
                    mermaid_text(&label),
                    operation_id(operation)
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use entitle_core::ActionKind;

    const CANCEL: Operation = Operation::Act(ActionKind::Cancel);

    fn without_cancel_from(status: RequestStatus) -> LifecycleTable {
        let mut table = LifecycleTable::builtin();
        table
            .transitions
            .retain(|row| !(row.from == status && row.action == ActionKind::Cancel));
        table
    }

    #[test]
    fn operation_labels_list_statuses_two_to_a_line_with_commas_between_lines() {
        let builtin = LifecycleTable::builtin();
        assert_eq!(
            operation_label(&builtin, CANCEL, ApiVersion::V1),
            [
                "cancel",
                "from Accepted, PendingApproval,",
                "PendingApprovalEscalated, PendingNotBefore"
            ]
        );
        // An odd count leaves one status on the last line, still after a comma.
        let three = without_cancel_from(RequestStatus::PendingNotBefore);
        assert_eq!(
            operation_label(&three, CANCEL, ApiVersion::V1),
            [
                "cancel",
                "from Accepted, PendingApproval,",
                "PendingApprovalEscalated"
            ]
        );
        assert_eq!(
            operation_label(
                &builtin,
                Operation::Act(ActionKind::Deliver),
                ApiVersion::Beta
            ),
            ["deliver", "from Delivering"]
        );
        let mut none = LifecycleTable::builtin();
        none.transitions
            .retain(|row| row.action != ActionKind::Reprocess);
        assert_eq!(
            operation_label(&none, Operation::Act(ActionKind::Reprocess), ApiVersion::V1),
            ["reprocess", "from no status"]
        );
        assert_eq!(
            operation_label(&builtin, Operation::Delete, ApiVersion::V1),
            ["delete", "from Denied, Expired,", "Canceled"]
        );
        assert_eq!(
            operation_label(&builtin, Operation::List, ApiVersion::V1),
            ["list"]
        );
    }
}
