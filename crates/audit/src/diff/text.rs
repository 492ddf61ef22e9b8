//! The report for people, and the phrases its reasons are made of.

use std::fmt::Write as _;

use entitle_core::{Condition, RequestStatus, Transition};

use super::{ChangedStatus, TableDiff};

impl TableDiff {
    /// A report for people: one section per kind of difference, then the verdict on new access,
    /// `new access: PASS (none)` or `new access: FAIL` followed by one reason per line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.is_empty() {
            out.push_str("no differences\n");
        }
        section(
            &mut out,
            "added",
            self.added.iter().copied().map(row_with_provenance),
        );
        section(
            &mut out,
            "removed",
            self.removed.iter().copied().map(row_with_provenance),
        );
        section(
            &mut out,
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
            &mut out,
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
        section(
            &mut out,
            "statuses changed",
            self.statuses_changed.iter().map(describe_status_change),
        );
        section(
            &mut out,
            "newly cancelable",
            self.newly_cancelable
                .iter()
                .map(|status| format!("`{status}`")),
        );
        section(
            &mut out,
            "no longer cancelable",
            self.no_longer_cancelable
                .iter()
                .map(|status| format!("`{status}`")),
        );
        section(
            &mut out,
            "widened authority",
            self.widened_authority.iter().map(|change| {
                format!(
                    "`{}` may `{}` in {}",
                    change.actor,
                    change.action,
                    status_list(&change.statuses)
                )
            }),
        );
        section(
            &mut out,
            "narrowed authority",
            self.narrowed_authority.iter().map(|change| {
                format!(
                    "`{}` may no longer `{}` in {}",
                    change.actor,
                    change.action,
                    status_list(&change.statuses)
                )
            }),
        );
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
