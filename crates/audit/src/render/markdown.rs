//! Markdown tables for review: statuses, conditions, transitions and the status × action grid.

use core::fmt::{self, Write};

use entitle_core::{ActionKind, ApiVersion, Condition, Provenance, VariantArray};

use super::{conditional_target, yes_no};
use crate::export::Header;
use crate::table::LifecycleTable;

/// The provenance header as an HTML comment, then a line naming the API version names are spelled in.
///
/// A `--` in the header, which would end the comment early, is written `- -`.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn comment_header(out: &mut String, header: &Header, api: ApiVersion) -> fmt::Result {
    let mut lines = header.comment_lines("");
    while lines.contains("--") {
        lines = lines.replace("--", "- -");
    }
    writeln!(out, "<!--\n{lines}-->\n")?;
    writeln!(out, "Names as spelled by Graph `{}`.\n", api.as_str())
}

/// The whole table for review: statuses, the condition legend and the transitions, under `##`
/// headings.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn lifecycle(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    writeln!(out, "## Statuses\n")?;
    statuses(out, table, api)?;
    writeln!(out, "\n## Conditions\n")?;
    conditions(out)?;
    writeln!(out, "\n## Transitions\n")?;
    writeln!(
        out,
        "For a status and an action, rows are tried in order; the first whose condition holds wins.\n"
    )?;
    transitions(out, table, api)
}

/// Text made safe for a table cell: `|` escaped, line breaks as spaces.
pub fn cell_text(text: &str) -> String {
    let mut cell = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => cell.push_str("\\|"),
            '\r' | '\n' => cell.push(' '),
            other => cell.push(other),
        }
    }
    cell
}

/// A provenance as a Markdown link to the source, or to the decision record in `decisions.md`.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn provenance_link(out: &mut String, provenance: Provenance) -> fmt::Result {
    match provenance {
        Provenance::Documented(source) => {
            write!(out, "documented: [{}]({})", source.title(), source.url())
        }
        Provenance::Modelled(decision) => {
            let id = decision.id();
            write!(out, "modelled: [{id}](decisions.md#{})", id.to_lowercase())
        }
    }
}

/// The status table: wire names, coarse state, completed, terminal, cancelable and provenance.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn statuses(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    writeln!(
        out,
        "| Status | State | Completed | Terminal | Cancelable | Status provenance | State provenance |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for entry in &table.statuses {
        write!(
            out,
            "| `{}` | `{}` | {} | {} | {} | ",
            entry.status.name_in(api),
            entry.state.name_in(api),
            yes_no(entry.completed),
            yes_no(entry.terminal),
            yes_no(table.is_cancelable(entry.status)),
        )?;
        provenance_link(out, entry.provenance)?;
        out.push_str(" | ");
        provenance_link(out, entry.state_provenance)?;
        out.push_str(" |\n");
    }
    Ok(())
}

/// The transition table, one row per transition, numbered from 1 in table order.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn transitions(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    writeln!(out, "| # | From | Action | When | To | Provenance |")?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for (index, row) in table.transitions.iter().enumerate() {
        write!(
            out,
            "| {} | `{}` | `{}` | {} | `{}` | ",
            index + 1,
            row.from.name_in(api),
            row.action,
            condition_cell(row.when),
            row.to.name_in(api),
        )?;
        provenance_link(out, row.provenance)?;
        out.push_str(" |\n");
    }
    Ok(())
}

fn condition_cell(when: Condition) -> String {
    match when {
        Condition::Always => "always".to_owned(),
        other => format!("`{}`", other.as_str()),
    }
}

/// The condition legend: each condition's name and meaning.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn conditions(out: &mut String) -> fmt::Result {
    writeln!(out, "| Condition | Holds when |")?;
    writeln!(out, "|---|---|")?;
    for &when in Condition::VARIANTS {
        let meaning = match when {
            Condition::Always => "no earlier row of the same status and action applied",
            other => other.describe(),
        };
        writeln!(out, "| {} | {} |", condition_cell(when), meaning)?;
    }
    Ok(())
}

/// The full status × action grid: every cell names its targets, or `—` for not allowed.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn grid(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    out.push_str("| Status |");
    for action in ActionKind::VARIANTS {
        write!(out, " `{action}` |")?;
    }
    out.push_str("\n|---|");
    for _ in ActionKind::VARIANTS {
        out.push_str("---|");
    }
    out.push('\n');
    for entry in &table.statuses {
        write!(out, "| `{}` |", entry.status.name_in(api))?;
        for &action in ActionKind::VARIANTS {
            let targets: Vec<String> = table
                .rows(entry.status, action)
                .map(|row| conditional_target(*row, |status| status.name_in(api)))
                .collect();
            if targets.is_empty() {
                out.push_str(" — |");
            } else {
                write!(out, " {} |", targets.join(" / "))?;
            }
        }
        out.push('\n');
    }
    Ok(())
}
