//! `entitle check`: one decision, with the rule or row behind it and where that comes from.

use std::fmt::Write as _;

use entitle_audit::{Actor, Cell, LifecycleTable, cell};
use entitle_core::{ActionKind, Condition, Provenance, RequestStatus, Source};
use serde::Serialize;

/// The answer to "may this actor perform this action on a request in this status?".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// The action asked about.
    pub action: ActionKind,
    /// The request's status.
    pub status: RequestStatus,
    /// Who asks, when given.
    pub actor: Option<Actor>,
    /// Whether the action is allowed (possibly once a condition holds).
    pub allowed: bool,
    /// The conditions under which it is allowed, when it is not allowed unconditionally.
    pub conditions: Vec<Condition>,
    /// The authorization rule that applies, or why the actor is not authorized, with its provenance.
    pub authority: Option<Reason>,
    /// The table rows that apply, or why there are none, each with its provenance.
    pub rows: Vec<Reason>,
}

/// One reason behind a verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    /// What the rule or row says.
    pub text: String,
    /// Where it comes from, when the table or the rules say.
    pub provenance: Option<Provenance>,
}

/// Decides `action` from `status` by `actor` (or by the table alone) with `table`.
pub fn check(
    table: &LifecycleTable,
    action: ActionKind,
    status: RequestStatus,
    actor: Option<Actor>,
) -> Verdict {
    let authority = actor.map(|actor| match table.authority(actor, action) {
        Some(entry) => Reason {
            text: entry.rule.clone(),
            provenance: Some(entry.provenance),
        },
        None => Reason {
            text: "the table lists no authority for this actor".to_owned(),
            provenance: None,
        },
    });
    let rows: Vec<Reason> = table
        .transitions
        .iter()
        .enumerate()
        .filter(|(_, row)| row.from == status && row.action == action)
        .map(|(index, row)| Reason {
            text: format!(
                "row {}: `{}` --{} [{}]--> `{}`",
                index + 1,
                row.from,
                row.action,
                row.when.as_str(),
                row.to
            ),
            provenance: Some(row.provenance),
        })
        .collect();
    let decided = cell(table, status, actor, action);
    let rows = if rows.is_empty() {
        vec![no_row(table, status, action)]
    } else {
        rows
    };
    Verdict {
        action,
        status,
        actor,
        allowed: decided.allows(),
        conditions: match decided {
            Cell::AllowedIf(conditions) => conditions,
            _ => Vec::new(),
        },
        authority,
        rows,
    }
}

/// Why there is no row: for `cancel`, the table's cancel set, documented when it is Microsoft's.
fn no_row(table: &LifecycleTable, status: RequestStatus, action: ActionKind) -> Reason {
    if action != ActionKind::Cancel {
        return Reason {
            text: format!("no row for `{action}` from `{status}` in the transition table"),
            provenance: None,
        };
    }
    let cancelable: Vec<RequestStatus> = table
        .statuses
        .iter()
        .map(|entry| entry.status)
        .filter(|status| table.is_cancelable(*status))
        .collect();
    let mut documented = RequestStatus::DOCUMENTED_CANCELABLE.to_vec();
    documented.sort();
    let names: Vec<String> = cancelable
        .iter()
        .map(|status| format!("`{status}`"))
        .collect();
    Reason {
        text: format!(
            "no row for `cancel` from `{status}`: cancel is allowed only from {}",
            names.join(", ")
        ),
        provenance: (cancelable == documented).then_some(Provenance::Documented(Source::CancelApi)),
    }
}

impl Reason {
    /// The reason and, when known, its provenance in parentheses.
    fn line(&self) -> String {
        match self.provenance {
            Some(provenance) => format!("{} ({provenance})", self.text),
            None => self.text.clone(),
        }
    }
}

impl Verdict {
    /// The verdict for people: a headline, then one line per reason.
    pub fn to_text(&self) -> String {
        let mut out = format!("`{}` from `{}`", self.action, self.status);
        if let Some(actor) = self.actor {
            let _ = write!(out, " by `{actor}`");
        }
        let decision = match (self.allowed, self.conditions.as_slice()) {
            (false, _) => "rejected".to_owned(),
            (true, []) => "allowed".to_owned(),
            (true, conditions) => {
                let clauses: Vec<&str> = conditions.iter().map(|c| c.describe()).collect();
                format!("allowed once {}", clauses.join(", or "))
            }
        };
        let _ = writeln!(out, ": {decision}");
        if let Some(authority) = &self.authority {
            let _ = writeln!(out, "  authority: {}", authority.line());
        }
        for row in &self.rows {
            let _ = writeln!(out, "  {}", row.line());
        }
        out
    }

    /// The verdict as pretty JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_from_delivered_is_rejected_with_the_cancel_rule() {
        let table = LifecycleTable::builtin();
        let verdict = check(
            &table,
            ActionKind::Cancel,
            RequestStatus::Delivered,
            Some(Actor::RequestorOwn),
        );
        assert!(!verdict.allowed);
        assert!(
            verdict.rows[0]
                .text
                .contains("cancel is allowed only from `Accepted`")
        );
    }

    #[test]
    fn unauthorized_actors_are_rejected_even_from_cancelable_statuses() {
        let table = LifecycleTable::builtin();
        let verdict = check(
            &table,
            ActionKind::Cancel,
            RequestStatus::Accepted,
            Some(Actor::Application),
        );
        assert!(!verdict.allowed);
        let verdict = check(&table, ActionKind::Cancel, RequestStatus::Accepted, None);
        assert!(verdict.allowed);
    }

    #[test]
    fn timed_actions_are_allowed_once_their_condition_holds() {
        let table = LifecycleTable::builtin();
        let verdict = check(
            &table,
            ActionKind::Expire,
            RequestStatus::PendingApproval,
            Some(Actor::System),
        );
        assert!(verdict.allowed);
        assert_eq!(verdict.conditions, [Condition::DecisionTimedOut]);
        assert!(
            verdict
                .to_text()
                .contains("allowed once the approval timeout has passed")
        );
    }
}
