//! Renders the core's table and statuses as Markdown and Mermaid. Pure: writes into strings.

use core::fmt::{self, Write};

use entitle_core::{
    ActionKind, ApiVersion, Condition, Provenance, RequestStatus, TRANSITIONS, Transition,
    VariantArray, rows,
};

/// The Markdown link text for a provenance, pointing at the source or the decision record.
fn provenance(out: &mut String, provenance: Provenance) -> fmt::Result {
    match provenance {
        Provenance::Documented(source) => {
            write!(out, "documented: [{}]({})", source.title(), source.url())
        }
        Provenance::Modelled(decision) => {
            write!(
                out,
                "modelled: [{id}](decisions.md#{anchor})",
                id = decision.id(),
                anchor = decision.id().to_lowercase()
            )
        }
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// The status table: wire names, coarse state, terminal, cancelable and provenance of each status.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn statuses(out: &mut String, api: ApiVersion) -> fmt::Result {
    writeln!(
        out,
        "| Status | State | Completed | Terminal | Cancelable | Status provenance | State provenance |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for &status in RequestStatus::VARIANTS {
        write!(
            out,
            "| `{}` | `{}` | {} | {} | {} | ",
            status.name_in(api),
            status.state().name_in(api),
            yes_no(status.is_completed()),
            yes_no(status.is_terminal()),
            yes_no(status.is_cancelable()),
        )?;
        provenance(out, status.provenance())?;
        out.push_str(" | ");
        provenance(out, status.state_provenance())?;
        out.push_str(" |\n");
    }
    Ok(())
}

/// The transition table, one row per [`Transition`], numbered from 1 in table order.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn transitions(out: &mut String, api: ApiVersion) -> fmt::Result {
    writeln!(out, "| # | From | Action | When | To | Provenance |")?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for (index, row) in TRANSITIONS.iter().enumerate() {
        write!(
            out,
            "| {} | `{}` | `{}` | {} | `{}` | ",
            index + 1,
            row.from.name_in(api),
            row.action,
            condition(row.when),
            row.to.name_in(api),
        )?;
        provenance(out, row.provenance)?;
        out.push_str(" |\n");
    }
    Ok(())
}

fn condition(when: Condition) -> String {
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
        writeln!(out, "| {} | {} |", condition(when), meaning)?;
    }
    Ok(())
}

/// The full status × action grid: every cell names its targets or the rejection.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn grid(out: &mut String, api: ApiVersion) -> fmt::Result {
    out.push_str("| Status |");
    for action in ActionKind::VARIANTS {
        write!(out, " `{action}` |")?;
    }
    out.push_str("\n|---|");
    for _ in ActionKind::VARIANTS {
        out.push_str("---|");
    }
    out.push('\n');
    for &status in RequestStatus::VARIANTS {
        write!(out, "| `{}` |", status.name_in(api))?;
        for &action in ActionKind::VARIANTS {
            let targets: Vec<String> = rows(status, action)
                .map(|row| cell_target(*row, api))
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

fn cell_target(row: Transition, api: ApiVersion) -> String {
    match row.when {
        Condition::Always => row.to.name_in(api).to_owned(),
        when => format!("{} if {}", row.to.name_in(api), when.as_str()),
    }
}

/// A Mermaid `stateDiagram-v2` of the table.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn mermaid(out: &mut String, api: ApiVersion) -> fmt::Result {
    writeln!(out, "stateDiagram-v2")?;
    writeln!(
        out,
        "    [*] --> {}: submit",
        RequestStatus::Accepted.name_in(api)
    )?;
    for row in TRANSITIONS {
        let label = match row.when {
            Condition::Always => row.action.to_string(),
            when => format!("{} [{}]", row.action, when.as_str()),
        };
        writeln!(
            out,
            "    {} --> {}: {}",
            row.from.name_in(api),
            row.to.name_in(api),
            label
        )?;
    }
    for &status in RequestStatus::VARIANTS {
        if status.is_terminal() {
            writeln!(out, "    {} --> [*]", status.name_in(api))?;
        }
    }
    Ok(())
}
