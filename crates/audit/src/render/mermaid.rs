//! A Mermaid `stateDiagram-v2` of the transitions.

use core::fmt::{self, Write};

use entitle_core::{ApiVersion, RequestStatus};

use super::edge_label;
use crate::table::LifecycleTable;

/// Writes the diagram: one edge per transition, labelled with its action and condition.
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
    Ok(())
}
