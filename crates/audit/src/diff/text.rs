//! The report for people, and the phrases its reasons are made of.

use std::fmt::Write as _;

use entitle_core::{
    AssignmentCondition, AssignmentTransition, Condition, RequestStatus, Transition, VariantArray,
};

use super::{
    AuthorityChange, ChangedAssignmentState, ChangedRequestType, ChangedStatus, TableDiff,
};
use crate::render::markdown::{effect_name, submitter_text};
use crate::table::RequestTypeEntry;

impl TableDiff {
    /// A report for people: one section per kind of difference, then the verdict on new access,
    /// `new access: PASS (none)` or `new access: FAIL` followed by one reason per line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.is_empty() {
            out.push_str("no differences\n");
        }
        self.row_sections(&mut out);
        self.status_sections(&mut out);
        self.assignment_sections(&mut out);
        section(
            &mut out,
            "reprocess window",
            self.reprocess_window_days
                .map(|[was, now]| format!("{now} days after the first completion, was {was}")),
        );
        if self.new_access.is_empty() {
            out.push_str("new access: PASS (none)\n");
        } else {
            out.push_str("new access: FAIL\n");
            for access in &self.new_access {
                let _ = writeln!(out, "  {access}");
            }
        }
        out
    }

    /// The sections on the request table's rows.
    fn row_sections(&self, out: &mut String) {
        section(
            out,
            "added",
            self.added.iter().copied().map(row_with_provenance),
        );
        section(
            out,
            "removed",
            self.removed.iter().copied().map(row_with_provenance),
        );
        section(
            out,
            "changed",
            self.changed.iter().map(|change| {
                format!(
                    "{} became {}",
                    row_with_provenance(change.old),
                    row_with_provenance(change.new)
                )
            }),
        );
        section(
            out,
            "reordered",
            self.reordered.iter().map(|group| {
                format!(
                    "`{}` --{}-->: tried as {}, was {}",
                    group.from,
                    group.action,
                    row_order(&group.new),
                    row_order(&group.old)
                )
            }),
        );
    }

    /// The sections on statuses, cancelability and authority.
    fn status_sections(&self, out: &mut String) {
        section(
            out,
            "statuses changed",
            self.statuses_changed.iter().map(describe_status_change),
        );
        section(
            out,
            "newly cancelable",
            self.newly_cancelable
                .iter()
                .map(|status| format!("`{status}`")),
        );
        section(
            out,
            "no longer cancelable",
            self.no_longer_cancelable
                .iter()
                .map(|status| format!("`{status}`")),
        );
        section(
            out,
            "widened authority",
            self.widened_authority
                .iter()
                .map(|change| format!("`{}` may {}", change.actor, authority_scope(change))),
        );
        section(
            out,
            "narrowed authority",
            self.narrowed_authority.iter().map(|change| {
                format!(
                    "`{}` may no longer {}",
                    change.actor,
                    authority_scope(change)
                )
            }),
        );
    }

    /// The sections on request types and the assignment table.
    fn assignment_sections(&self, out: &mut String) {
        section(
            out,
            "request types changed",
            self.request_types_changed
                .iter()
                .map(describe_request_type_change),
        );
        section(
            out,
            "assignment added",
            self.assignment_added
                .iter()
                .copied()
                .map(assignment_row_with_provenance),
        );
        section(
            out,
            "assignment removed",
            self.assignment_removed
                .iter()
                .copied()
                .map(assignment_row_with_provenance),
        );
        section(
            out,
            "assignment changed",
            self.assignment_changed.iter().map(|change| {
                format!(
                    "{} became {}",
                    assignment_row_with_provenance(change.old),
                    assignment_row_with_provenance(change.new)
                )
            }),
        );
        section(
            out,
            "assignment reordered",
            self.assignment_reordered.iter().map(|group| {
                let order = |rows: &[AssignmentTransition]| -> String {
                    let steps: Vec<String> = rows
                        .iter()
                        .map(|row| format!("`{}` -> `{}`", row.when.as_str(), row.to))
                        .collect();
                    steps.join(", ")
                };
                format!(
                    "{} --{}-->: tried as {}, was {}",
                    assignment_state(group.from),
                    group.event,
                    order(&group.new),
                    order(&group.old)
                )
            }),
        );
        section(
            out,
            "assignment states changed",
            self.assignment_states_changed
                .iter()
                .map(describe_assignment_state_change),
        );
    }
}

/// A row as `` `From` --action--> `To` ``, followed by ``if `condition` `` unless it is `always`.
pub(super) fn describe_row(row: Transition) -> String {
    match row.when {
        Condition::Always => format!("`{}` --{}--> `{}`", row.from, row.action, row.to),
        when => format!(
            "`{}` --{}--> `{}` if `{}`",
            row.from,
            row.action,
            row.to,
            when.as_str()
        ),
    }
}

fn row_with_provenance(row: Transition) -> String {
    format!("{} ({})", describe_row(row), row.provenance)
}

/// An assignment state as `` `delivered` ``, or `(none)` before the assignment exists.
fn assignment_state(state: Option<entitle_core::AssignmentState>) -> String {
    state.map_or_else(|| "(none)".to_owned(), |state| format!("`{state}`"))
}

/// An assignment row as `` `delivered` --removed--> `expired` ``, followed by ``if `condition` ``
/// unless it is `always`, and its provenance.
fn assignment_row_with_provenance(row: AssignmentTransition) -> String {
    let mut text = format!(
        "{} --{}--> `{}`",
        assignment_state(row.from),
        row.event,
        row.to
    );
    if row.when != AssignmentCondition::Always {
        let _ = write!(text, " if `{}`", row.when.as_str());
    }
    format!("{text} ({})", row.provenance)
}

/// What an authority change covers: `` `cancel` in `Accepted`, … ``, or the bare operation when it
/// covers every status.
fn authority_scope(change: &AuthorityChange) -> String {
    if change.operation.depends_on_status() || change.statuses != RequestStatus::VARIANTS {
        format!(
            "`{}` in {}",
            change.operation,
            status_list(&change.statuses)
        )
    } else {
        format!("`{}`", change.operation)
    }
}

/// `row R` or `rows R1, R2`.
pub(super) fn rows_phrase<'a>(rows: impl IntoIterator<Item = &'a Transition>) -> String {
    let described: Vec<String> = rows.into_iter().copied().map(describe_row).collect();
    let noun = if described.len() == 1 { "row" } else { "rows" };
    format!("{noun} {}", described.join(", "))
}

/// `` `a` or `b` ``.
pub(super) fn condition_list(conditions: impl IntoIterator<Item = Condition>) -> String {
    let names: Vec<String> = conditions
        .into_iter()
        .map(|condition| format!("`{}`", condition.as_str()))
        .collect();
    names.join(" or ")
}

/// `no condition holds`, `` only `a` holds ``, `` only `a` and `b` hold ``.
pub(super) fn situation_phrase(situation: &[Condition]) -> String {
    let names: Vec<String> = situation
        .iter()
        .map(|condition| format!("`{}`", condition.as_str()))
        .collect();
    match names.len() {
        0 => "no condition holds".to_owned(),
        1 => format!("only {} holds", names.join("")),
        _ => format!("only {} hold", names.join(" and ")),
    }
}

/// The conditions and targets of a group, in order: `` `startsLater` -> `PendingNotBefore` ``.
fn row_order(rows: &[Transition]) -> String {
    let steps: Vec<String> = rows
        .iter()
        .map(|row| format!("`{}` -> `{}`", row.when.as_str(), row.to))
        .collect();
    steps.join(", ")
}

fn status_list(statuses: &[RequestStatus]) -> String {
    let names: Vec<String> = statuses
        .iter()
        .map(|status| format!("`{status}`"))
        .collect();
    names.join(", ")
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn describe_status_change(change: &ChangedStatus) -> String {
    let status = change.status;
    match (&change.old, &change.new) {
        (None, Some(new)) => format!(
            "`{status}`: added (state `{}`, completed `{}`, terminal `{}`, {})",
            new.state.as_str(),
            yes_no(new.completed),
            yes_no(new.terminal),
            new.provenance
        ),
        (Some(old), Some(new)) => {
            let mut fields = Vec::new();
            let mut field = |name: &str, before: String, after: String| {
                if before != after {
                    fields.push(format!("{name} `{before}` became `{after}`"));
                }
            };
            field(
                "state",
                old.state.as_str().to_owned(),
                new.state.as_str().to_owned(),
            );
            field(
                "completed",
                yes_no(old.completed).to_owned(),
                yes_no(new.completed).to_owned(),
            );
            field(
                "terminal",
                yes_no(old.terminal).to_owned(),
                yes_no(new.terminal).to_owned(),
            );
            field(
                "provenance",
                old.provenance.to_string(),
                new.provenance.to_string(),
            );
            field(
                "state provenance",
                old.state_provenance.to_string(),
                new.state_provenance.to_string(),
            );
            format!("`{status}`: {}", fields.join(", "))
        }
        (_, None) => format!("`{status}`: removed"),
    }
}

/// A request type's facts as (name, value) pairs, in a fixed order.
fn request_type_fields(entry: &RequestTypeEntry) -> [(&'static str, String); 7] {
    let deletable = if entry.deletable_in.is_empty() {
        "none".to_owned()
    } else {
        status_list(&entry.deletable_in)
    };
    [
        ("effect", format!("`{}`", effect_name(entry.effect))),
        (
            "submitted by",
            format!("`{}`", submitter_text(entry.submitter)),
        ),
        (
            "names an assignment",
            format!("`{}`", yes_no(entry.needs_assignment)),
        ),
        ("custom extension", format!("`{}`", yes_no(entry.grants))),
        ("approval", format!("`{}`", yes_no(entry.needs_approval))),
        ("deletable from", deletable),
        ("provenance", format!("`{}`", entry.provenance)),
    ]
}

fn describe_request_type_change(change: &ChangedRequestType) -> String {
    let kind = change.request_type;
    match (&change.old, &change.new) {
        (None, Some(new)) => {
            let fields: Vec<String> = request_type_fields(new)
                .into_iter()
                .map(|(name, value)| format!("{name} {value}"))
                .collect();
            format!("`{kind}`: added ({})", fields.join(", "))
        }
        (Some(old), Some(new)) => {
            let changes: Vec<String> = request_type_fields(old)
                .into_iter()
                .zip(request_type_fields(new))
                .filter(|((_, before), (_, after))| before != after)
                .map(|((name, before), (_, after))| format!("{name} {before} became {after}"))
                .collect();
            format!("`{kind}`: {}", changes.join(", "))
        }
        (_, None) => format!("`{kind}`: removed"),
    }
}

fn describe_assignment_state_change(change: &ChangedAssignmentState) -> String {
    let state = change.state;
    match (&change.old, &change.new) {
        (None, Some(new)) => format!("`{state}`: added (terminal `{}`)", yes_no(new.terminal)),
        (Some(old), Some(new)) => format!(
            "`{state}`: terminal `{}` became `{}`",
            yes_no(old.terminal),
            yes_no(new.terminal)
        ),
        (_, None) => format!("`{state}`: removed"),
    }
}

/// Appends `title:` and one indented line per item, unless there are none.
fn section(out: &mut String, title: &str, lines: impl IntoIterator<Item = String>) {
    let mut lines = lines.into_iter().peekable();
    if lines.peek().is_none() {
        return;
    }
    let _ = writeln!(out, "{title}:");
    for line in lines {
        let _ = writeln!(out, "  {line}");
    }
}
