//! The authority matrix in every format.
//!
//! Statuses follow the table's order, actors [`Actor::VARIANTS`] and actions `ActionKind::VARIANTS`.

use core::fmt::{self, Write};

use entitle_core::{ActionKind, ApiVersion, Permission, RequestStatus, Role, VariantArray};
use serde::Serialize;

use super::markdown::cell_text;
use super::{csv as csv_format, dot::quoted};
use crate::actor::Actor;
use crate::export::Header;
use crate::matrix::{Cell, MatrixEntry, cell};
use crate::table::LifecycleTable;

/// The column names of [`csv`], in order.
pub const CSV_COLUMNS: [&str; 7] = [
    "status",
    "actor",
    "permission",
    "role",
    "action",
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

/// The role of an actor, or `""` for none.
fn role_name(actor: Actor) -> &'static str {
    actor.role().map_or("", |role| role.as_str())
}

/// The statuses, in table order, from which the table has a row for `action`.
pub fn possible_from(table: &LifecycleTable, action: ActionKind) -> Vec<RequestStatus> {
    table
        .statuses
        .iter()
        .map(|entry| entry.status)
        .filter(|&status| table.rows(status, action).next().is_some())
        .collect()
}

/// The statuses, in table order, from which `actor` may perform `action`, at least under some
/// condition.
pub fn allowed_from(
    table: &LifecycleTable,
    actor: Actor,
    action: ActionKind,
) -> Vec<RequestStatus> {
    table
        .statuses
        .iter()
        .map(|entry| entry.status)
        .filter(|&status| cell(table, status, Some(actor), action).allows())
        .collect()
}

/// Whether `actor` is authorized for `action` at all, as a table cell: `yes` (in every listed
/// status), `no`, or the statuses it is authorized in.
fn authorized_text(
    table: &LifecycleTable,
    actor: Actor,
    action: ActionKind,
    api: ApiVersion,
) -> String {
    let authorized_in = table
        .authority(actor, action)
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

/// The matrix for review: who may act at all, then one table per status.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn markdown(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    writeln!(out, "## Who may act at all\n")?;
    writeln!(
        out,
        "By the authorization rules alone, before the request's status is looked at.\n"
    )?;
    writeln!(out, "| Actor | Action | Authorized | Rule |")?;
    writeln!(out, "|---|---|---|---|")?;
    for &actor in Actor::VARIANTS {
        for &action in ActionKind::VARIANTS {
            let rule = table.authority(actor, action).map_or_else(
                || "not listed in the table".to_owned(),
                |entry| cell_text(&entry.rule),
            );
            writeln!(
                out,
                "| {actor} | `{action}` | {} | {rule} |",
                authorized_text(table, actor, action, api)
            )?;
        }
    }
    writeln!(out, "\n## By status\n")?;
    writeln!(
        out,
        "`yes`: allowed. `if …`: allowed once a condition holds. `unauthorized`: this actor may never \
         perform the action. `—`: authorized, but the action is not allowed from this status.\n"
    )?;
    for entry in &table.statuses {
        writeln!(out, "### {}\n", entry.status.name_in(api))?;
        out.push_str("| Actor | Permission | Role |");
        for action in ActionKind::VARIANTS {
            write!(out, " `{action}` |")?;
        }
        out.push_str("\n|---|---|---|");
        for _ in ActionKind::VARIANTS {
            out.push_str("---|");
        }
        out.push('\n');
        for &actor in Actor::VARIANTS {
            let permission = actor
                .permission()
                .map_or_else(|| "—".to_owned(), |permission| format!("`{permission}`"));
            let role = actor.role().map_or("—", |role| role.as_str());
            write!(out, "| {actor} | {permission} | {role} |")?;
            for &action in ActionKind::VARIANTS {
                write!(
                    out,
                    " {} |",
                    cell(table, entry.status, Some(actor), action).short()
                )?;
            }
            out.push('\n');
        }
        out.push('\n');
    }
    Ok(())
}

/// The matrix as CSV: a header line, then one line per cell; `when` lists a conditional cell's
/// conditions, joined by ` or `.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn csv(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    csv_format::record(out, CSV_COLUMNS);
    for entry in crate::matrix::matrix(table) {
        let when = match &entry.cell {
            Cell::AllowedIf(conditions) => conditions
                .iter()
                .map(|condition| condition.as_str())
                .collect::<Vec<_>>()
                .join(" or "),
            Cell::Allowed | Cell::NotAuthorized | Cell::NotFromStatus => String::new(),
        };
        csv_format::record(
            out,
            [
                entry.status.name_in(api),
                entry.actor.as_str(),
                permission_name(entry.actor),
                role_name(entry.actor),
                entry.action.as_str(),
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

/// An actor's label: its name, then its permission and role when it has them.
fn actor_label(actor: Actor) -> Vec<&'static str> {
    let mut lines = vec![actor.as_str()];
    lines.extend(actor.permission().map(Permission::as_str));
    lines.extend(actor.role().map(Role::as_str));
    lines
}

/// An action's label: its name, then the statuses it is allowed from, two to a line.
fn action_label(table: &LifecycleTable, action: ActionKind, api: ApiVersion) -> Vec<String> {
    let from = possible_from(table, action);
    let mut lines = vec![action.as_str().to_owned()];
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

/// The label of an edge from `actor` to `action`: `None` when there is no edge (the actor may not
/// perform the action from any status), empty when the actor may perform it from every status the
/// action is allowed from, and otherwise the statuses it may.
fn edge(
    table: &LifecycleTable,
    actor: Actor,
    action: ActionKind,
    api: ApiVersion,
) -> Option<String> {
    let allowed = allowed_from(table, actor, action);
    if allowed.is_empty() {
        None
    } else if allowed == possible_from(table, action) {
        Some(String::new())
    } else {
        let names: Vec<&str> = allowed.iter().map(|status| status.name_in(api)).collect();
        Some(format!("only from {}", names.join(", ")))
    }
}

/// The matrix as a Graphviz `digraph authority`: an edge from each actor to each action it may
/// perform from some status.
///
/// Action nodes list the statuses the action is allowed from. An unlabelled edge means the actor may
/// perform the action from all of them; a labelled one names the only statuses it may.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn dot(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    writeln!(out, "digraph authority {{")?;
    writeln!(
        out,
        "    // An edge: the actor may perform the action, from every status listed on the action"
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
    for &action in ActionKind::VARIANTS {
        writeln!(
            out,
            "    {} [shape=ellipse, label={}];",
            quoted(&format!("action:{action}")),
            quoted(&action_label(table, action, api).join("\n"))
        )?;
    }
    for &actor in Actor::VARIANTS {
        for &action in ActionKind::VARIANTS {
            let Some(label) = edge(table, actor, action, api) else {
                continue;
            };
            write!(
                out,
                "    {} -> {}",
                quoted(&format!("actor:{actor}")),
                quoted(&format!("action:{action}"))
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
    for &action in ActionKind::VARIANTS {
        writeln!(
            out,
            "    action_{action}([\"{}\"])",
            mermaid_label(&action_label(table, action, api))
        )?;
    }
    for &actor in Actor::VARIANTS {
        for &action in ActionKind::VARIANTS {
            let Some(label) = edge(table, actor, action, api) else {
                continue;
            };
            if label.is_empty() {
                writeln!(out, "    {} --> action_{action}", actor_id(actor))?;
            } else {
                writeln!(
                    out,
                    "    {} -->|\"{}\"| action_{action}",
                    actor_id(actor),
                    mermaid_text(&label)
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn without_cancel_from(status: RequestStatus) -> LifecycleTable {
        let mut table = LifecycleTable::builtin();
        table
            .transitions
            .retain(|row| !(row.from == status && row.action == ActionKind::Cancel));
        table
    }

    #[test]
    fn action_labels_list_statuses_two_to_a_line_with_commas_between_lines() {
        let builtin = LifecycleTable::builtin();
        assert_eq!(
            action_label(&builtin, ActionKind::Cancel, ApiVersion::V1),
            [
                "cancel",
                "from Accepted, PendingApproval,",
                "PendingApprovalEscalated, PendingNotBefore"
            ]
        );
        // An odd count leaves one status on the last line, still after a comma.
        let three = without_cancel_from(RequestStatus::PendingNotBefore);
        assert_eq!(
            action_label(&three, ActionKind::Cancel, ApiVersion::V1),
            [
                "cancel",
                "from Accepted, PendingApproval,",
                "PendingApprovalEscalated"
            ]
        );
        assert_eq!(
            action_label(&builtin, ActionKind::Deliver, ApiVersion::Beta),
            ["deliver", "from Delivering"]
        );
        let mut none = LifecycleTable::builtin();
        none.transitions
            .retain(|row| row.action != ActionKind::Reprocess);
        assert_eq!(
            action_label(&none, ActionKind::Reprocess, ApiVersion::V1),
            ["reprocess", "from no status"]
        );
    }
}
