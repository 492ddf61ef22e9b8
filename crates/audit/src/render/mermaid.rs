//! A Mermaid `stateDiagram-v2` of the transitions, with the assignment as a composite state.

use core::fmt::{self, Write};

use entitle_core::{ApiVersion, AssignmentState, RequestStatus};

use super::{assignment_edge_label, assignment_state_name, edge_label};
use crate::table::LifecycleTable;

/// The Mermaid id of an assignment state: `assignment_` and its name.
fn assignment_id(state: AssignmentState, api: ApiVersion) -> String {
    format!("assignment_{}", assignment_state_name(state, api))
}

/// Writes the diagram: one edge per transition, labelled with its action and condition; then the
/// assignment as the composite state `Assignment`, one edge per assignment transition, labelled with
/// its event and condition (the creating row starts at the composite's `[*]`).
///
/// # Errors
/// Only if writing to `out` fails.
pub fn diagram(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    writeln!(out, "stateDiagram-v2")?;
    writeln!(
        out,
        "    [*] --> {}: submit",
        RequestStatus::Accepted.name_in(api)
    )?;
    for row in &table.transitions {
        let label = edge_label(*row);
        writeln!(
            out,
            "    {} --> {}: {}",
            row.from.name_in(api),
            row.to.name_in(api),
            label
        )?;
    }
    for entry in &table.statuses {
        if entry.terminal {
            writeln!(out, "    {} --> [*]", entry.status.name_in(api))?;
        }
    }
    writeln!(out, "    state Assignment {{")?;
    for entry in &table.assignment.states {
        writeln!(
            out,
            "        state \"{}\" as {}",
            assignment_state_name(entry.state, api),
            assignment_id(entry.state, api)
        )?;
    }
    for row in &table.assignment.transitions {
        let from = row
            .from
            .map_or_else(|| "[*]".to_owned(), |state| assignment_id(state, api));
        writeln!(
            out,
            "        {from} --> {}: {}",
            assignment_id(row.to, api),
            assignment_edge_label(*row)
        )?;
    }
    for entry in &table.assignment.states {
        if entry.terminal {
            writeln!(out, "        {} --> [*]", assignment_id(entry.state, api))?;
        }
    }
    writeln!(out, "    }}")
}
