//! Markdown tables for review: statuses, conditions, transitions, the status × action grid, request
//! types and the assignment's states and transitions.

use core::fmt::{self, Write};

use entitle_core::{
    ActionKind, ApiVersion, AssignmentCondition, AssignmentEvent, AssignmentState, Condition,
    Effect, Provenance, RequestStatus, RequestType, Source, Submitter, VariantArray,
};

use super::{assignment_state_name, conditional_target, yes_no};
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

/// The whole table for review: statuses, the condition legend, the transitions, the request types
/// and the assignments, under `##` headings.
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
    transitions(out, table, api)?;
    writeln!(out, "\n## Request types\n")?;
    request_types(out, table, api)?;
    writeln!(out, "\n## Assignments\n")?;
    assignments(out, table, api)
}

/// The name of an effect, as in the JSON export.
pub const fn effect_name(effect: Effect) -> &'static str {
    match effect {
        Effect::None => "none",
        Effect::Add => "add",
        Effect::Update => "update",
        Effect::Remove => "remove",
    }
}

/// Who a submitter is, for people.
pub const fn submitter_text(submitter: Submitter) -> &'static str {
    match submitter {
        Submitter::Target => "the user it is for",
        Submitter::Approver => "an approver",
        Submitter::Administrator => "an administrator or an application",
        Submitter::System => "the service",
        Submitter::NoOne => "no one",
    }
}

/// Statuses as a cell: `` `Denied`, `Expired` ``, or `—` for none.
fn status_cell(statuses: &[RequestStatus], api: ApiVersion) -> String {
    if statuses.is_empty() {
        return "—".to_owned();
    }
    let names: Vec<String> = statuses
        .iter()
        .map(|status| format!("`{}`", status.name_in(api)))
        .collect();
    names.join(", ")
}

/// The request types: what each does to its assignment, who submits it, whether approval and the
/// custom extension apply, and the statuses its requests may be deleted from.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn request_types(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    write!(
        out,
        "A request of an `add` type creates its assignment when delivery starts; `update` and `remove` \
         types name an existing assignment and act on it when delivered. Approval applies only to what \
         users ask for themselves, the custom extension at creation to every type that grants access. \
         A request may be deleted once its processing ended, unless it created an assignment \
         ("
    )?;
    provenance_link(out, Provenance::Documented(Source::DeleteApi))?;
    writeln!(out, ").\n")?;
    writeln!(
        out,
        "| Request type | Effect | Submitted by | Names an assignment | Approval | Custom extension | Deletable from | Provenance |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|")?;
    for entry in &table.request_types {
        write!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} | ",
            entry.request_type.name_in(api),
            effect_name(entry.effect),
            submitter_text(entry.submitter),
            yes_no(entry.needs_assignment),
            yes_no(entry.needs_approval),
            yes_no(entry.grants),
            status_cell(&entry.deletable_in, api),
        )?;
        provenance_link(out, entry.provenance)?;
        out.push_str(" |\n");
    }
    Ok(())
}

/// The assignments: their states, the condition legend, their transitions, and the request rows that
/// move them, under `###` headings.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn assignments(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    writeln!(
        out,
        "An access package assignment is not moved by callers: the requests that concern it move it as \
         they are delivered, and its schedule ends it. An action whose effect the assignment's table \
         refuses is refused.\n"
    )?;
    writeln!(out, "### States\n")?;
    assignment_states(out, table, api)?;
    writeln!(out, "\n### Transitions\n")?;
    writeln!(
        out,
        "`(none)`: the assignment does not exist yet. For a state and an event, rows are tried in order; \
         the first whose condition holds wins.\n"
    )?;
    assignment_transitions(out, table, api)?;
    writeln!(out, "\n### What request transitions do to the assignment\n")?;
    writeln!(
        out,
        "The rows of the [transitions](#transitions) that move a request's assignment, by the effect of \
         the request's type.\n"
    )?;
    assignment_effects(out, table, api)
}

/// The assignment states: their name and whether they are terminal.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn assignment_states(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    writeln!(out, "| State | Terminal |")?;
    writeln!(out, "|---|---|")?;
    for entry in &table.assignment.states {
        writeln!(
            out,
            "| `{}` | {} |",
            assignment_state_name(entry.state, api),
            yes_no(entry.terminal)
        )?;
    }
    Ok(())
}

fn assignment_condition_cell(when: AssignmentCondition) -> String {
    match when {
        AssignmentCondition::Always => "always".to_owned(),
        other @ AssignmentCondition::EndReached => {
            format!("`{}` ({})", other.as_str(), other.describe())
        }
    }
}

/// The assignment's transitions, one row per transition, numbered from 1 in table order.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn assignment_transitions(
    out: &mut String,
    table: &LifecycleTable,
    api: ApiVersion,
) -> fmt::Result {
    writeln!(out, "| # | From | Event | When | To | Provenance |")?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for (index, row) in table.assignment.transitions.iter().enumerate() {
        let from = row.from.map_or_else(
            || "(none)".to_owned(),
            |state| format!("`{}`", assignment_state_name(state, api)),
        );
        write!(
            out,
            "| {} | {from} | `{}` | {} | `{}` | ",
            index + 1,
            row.event,
            assignment_condition_cell(row.when),
            assignment_state_name(row.to, api),
        )?;
        provenance_link(out, row.provenance)?;
        out.push_str(" |\n");
    }
    Ok(())
}

/// The effects that move an assignment, each with the first request type that has it.
fn moving_effects() -> Vec<(Effect, RequestType)> {
    [Effect::Add, Effect::Update, Effect::Remove]
        .into_iter()
        .filter_map(|effect| {
            RequestType::VARIANTS
                .iter()
                .find(|kind| kind.effect() == effect)
                .map(|kind| (effect, *kind))
        })
        .collect()
}

/// The request rows that cause an assignment event, with the event per effect.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn assignment_effects(
    out: &mut String,
    table: &LifecycleTable,
    api: ApiVersion,
) -> fmt::Result {
    let effects = moving_effects();
    out.push_str("| # | From | Action | To |");
    for (effect, _) in &effects {
        write!(out, " `{}` types |", effect_name(*effect))?;
    }
    out.push_str("\n|---|---|---|---|");
    for _ in &effects {
        out.push_str("---|");
    }
    out.push('\n');
    for (index, row) in table.transitions.iter().enumerate() {
        let events: Vec<Option<AssignmentEvent>> = effects
            .iter()
            .map(|(_, kind)| AssignmentEvent::caused_by(*kind, row))
            .collect();
        if events.iter().all(Option::is_none) {
            continue;
        }
        write!(
            out,
            "| {} | `{}` | `{}` | `{}` |",
            index + 1,
            row.from.name_in(api),
            row.action,
            row.to.name_in(api)
        )?;
        for event in events {
            match event {
                Some(event) => write!(out, " `{event}` |")?,
                None => out.push_str(" — |"),
            }
        }
        out.push('\n');
    }
    Ok(())
}

/// The names of assignment states, for summaries: `` `delivered`, `expired` ``.
pub fn assignment_state_list(states: &[AssignmentState], api: ApiVersion) -> String {
    let names: Vec<String> = states
        .iter()
        .map(|state| format!("`{}`", assignment_state_name(*state, api)))
        .collect();
    names.join(", ")
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
