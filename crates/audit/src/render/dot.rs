//! Graphviz DOT exports.

use core::fmt::{self, Write};

use entitle_core::ApiVersion;

use super::{assignment_edge_label, assignment_state_name, edge_label};
use crate::table::LifecycleTable;

/// `text` as a DOT quoted string: `"` and `\` escaped, line breaks as centred `\n` breaks.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// The lifecycle as a `digraph lifecycle`, left to right.
///
/// One node per status, in table order, labelled with the status and its coarse state: terminal
/// statuses have a double border, cancelable ones are filled. Then one edge per transition, in table
/// order, labelled `action [condition]`: solid when Microsoft documents it, dashed when entitle
/// models it, with the provenance as its tooltip. Then the assignment in its own cluster, drawn the
/// same way: one node per state (ids `assignment:STATE`), a point for "not created yet", and one
/// edge per assignment transition, labelled `event [condition]`.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn table(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    writeln!(out, "digraph lifecycle {{")?;
    // Graphviz copies the comment into its SVG output: it ties a picture to the table it shows.
    writeln!(
        out,
        "    comment=\"table sha256: {}\";",
        crate::export::table_hash(table)
    )?;
    writeln!(
        out,
        "    // Double border: terminal. Filled: cancelable. Solid edge: documented by Microsoft;"
    )?;
    writeln!(
        out,
        "    // dashed edge: modelled by entitle (see docs/decisions.md). The cluster is the access"
    )?;
    writeln!(
        out,
        "    // package assignment the requests create, change and remove."
    )?;
    writeln!(out, "    rankdir=LR;")?;
    writeln!(
        out,
        "    node [shape=box, style=rounded, fontname=\"Helvetica\"];"
    )?;
    writeln!(out, "    edge [fontname=\"Helvetica\", fontsize=10];")?;
    for entry in &table.statuses {
        let label = format!(
            "{}\n({})",
            entry.status.name_in(api),
            entry.state.name_in(api)
        );
        write!(
            out,
            "    {} [label={}",
            quoted(entry.status.name_in(api)),
            quoted(&label)
        )?;
        if entry.terminal {
            out.push_str(", peripheries=2");
        }
        if table.is_cancelable(entry.status) {
            out.push_str(", style=\"rounded,filled\", fillcolor=\"lightyellow\"");
        }
        out.push_str("];\n");
    }
    for row in &table.transitions {
        write!(
            out,
            "    {} -> {} [label={}",
            quoted(row.from.name_in(api)),
            quoted(row.to.name_in(api)),
            quoted(&edge_label(*row)),
        )?;
        if !row.provenance.is_documented() {
            out.push_str(", style=dashed");
        }
        writeln!(out, ", tooltip={}];", quoted(&row.provenance.to_string()))?;
    }
    assignment_cluster(out, table, api)?;
    writeln!(out, "}}")
}

/// The node id of an assignment state, or of "not created yet".
fn assignment_node(state: Option<entitle_core::AssignmentState>, api: ApiVersion) -> String {
    quoted(&format!(
        "assignment:{}",
        state.map_or("none", |state| assignment_state_name(state, api))
    ))
}

/// The assignment's states and transitions as `subgraph cluster_assignment`.
fn assignment_cluster(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    writeln!(out, "    subgraph cluster_assignment {{")?;
    writeln!(out, "        label=\"access package assignment\";")?;
    writeln!(out, "        fontname=\"Helvetica\";")?;
    writeln!(out, "        style=rounded;")?;
    if table
        .assignment
        .transitions
        .iter()
        .any(|row| row.from.is_none())
    {
        writeln!(
            out,
            "        {} [shape=point, tooltip=\"not created yet\"];",
            assignment_node(None, api)
        )?;
    }
    for entry in &table.assignment.states {
        write!(
            out,
            "        {} [label={}",
            assignment_node(Some(entry.state), api),
            quoted(assignment_state_name(entry.state, api))
        )?;
        if entry.terminal {
            out.push_str(", peripheries=2");
        }
        out.push_str("];\n");
    }
    for row in &table.assignment.transitions {
        write!(
            out,
            "        {} -> {} [label={}",
            assignment_node(row.from, api),
            assignment_node(Some(row.to), api),
            quoted(&assignment_edge_label(*row)),
        )?;
        if !row.provenance.is_documented() {
            out.push_str(", style=dashed");
        }
        writeln!(out, ", tooltip={}];", quoted(&row.provenance.to_string()))?;
    }
    writeln!(out, "    }}")
}
