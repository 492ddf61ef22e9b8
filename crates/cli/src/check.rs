//! `entitle check`: one decision, with the rule or row behind it and where that comes from.

use std::fmt::Write as _;

use entitle_audit::matrix::DELETE_WITNESS;
use entitle_audit::{Actor, Cell, LifecycleTable, cell};
use entitle_core::{ActionKind, Condition, Operation, Provenance, RequestStatus, Source};
use serde::Serialize;

/// The answer to "may this actor perform this operation (on a request in this status)?".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// The operation asked about.
    pub operation: Operation,
    /// The request's status, for an operation whose answer depends on it.
    pub status: Option<RequestStatus>,
    /// Who asks, when given.
    pub actor: Option<Actor>,
    /// Whether the operation is allowed (possibly once a condition holds).
    pub allowed: bool,
    /// The conditions under which it is allowed, when it is not allowed unconditionally.
    pub conditions: Vec<Condition>,
    /// The authorization rule that applies, or why the actor is not authorized, with its provenance.
    pub authority: Option<Reason>,
    /// The table rows that apply (or why there are none), or what the table says of deleting, each
    /// with its provenance.
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

/// Decides `operation` by `actor` (or by the table alone) with `table`, on a request in `status`
/// when the operation depends on it; for any other operation, `status` is not looked at.
pub fn check(
    table: &LifecycleTable,
    operation: Operation,
    status: Option<RequestStatus>,
    actor: Option<Actor>,
) -> Verdict {
    let authority = actor.map(|actor| match table.authority(actor, operation) {
        Some(entry) => Reason {
            text: entry.rule.clone(),
            provenance: Some(entry.provenance),
        },
        None => Reason {
            text: "the table lists no authority for this actor".to_owned(),
            provenance: None,
        },
    });
    let given = status;
    let status = status.filter(|_| operation.depends_on_status());
    let mut rows = match (operation, status) {
        (Operation::Act(action), Some(status)) => action_rows(table, action, status),
        (Operation::Delete, Some(status)) => vec![deletion(table, status)],
        _ if actor.is_none() => vec![Reason {
            text: format!(
                "every caller authorized for `{operation}` may do it, whatever the request's status"
            ),
            provenance: None,
        }],
        _ => Vec::new(),
    };
    if let (Some(given), None) = (given, status) {
        rows.push(Reason {
            text: format!(
                "`{operation}` does not depend on the request's status: `{given}` is not looked at"
            ),
            provenance: None,
        });
    }
    let decided = cell(table, status, actor, operation);
    Verdict {
        operation,
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

/// The rows for `action` from `status`, or why there are none.
fn action_rows(table: &LifecycleTable, action: ActionKind, status: RequestStatus) -> Vec<Reason> {
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
    if rows.is_empty() {
        vec![no_row(table, status, action)]
    } else {
        rows
    }
}

/// Statuses as a message fragment: `` `Denied`, `Expired` ``.
fn names(statuses: &[RequestStatus]) -> String {
    let quoted: Vec<String> = statuses
        .iter()
        .map(|status| format!("`{status}`"))
        .collect();
    quoted.join(", ")
}

/// Whether the table lets the witness request be deleted from `status`, documented when the table
/// says what entitle-core does.
fn deletion(table: &LifecycleTable, status: RequestStatus) -> Reason {
    let deletable_in = table
        .request_type(DELETE_WITNESS)
        .map(|entry| entry.deletable_in.clone())
        .unwrap_or_default();
    let builtin = LifecycleTable::builtin();
    let as_built = builtin
        .request_type(DELETE_WITNESS)
        .is_some_and(|entry| entry.deletable_in == deletable_in);
    let text = if deletable_in.is_empty() {
        format!("a `{DELETE_WITNESS}` request may not be deleted from any status")
    } else if table.is_deletable(DELETE_WITNESS, status) {
        format!(
            "a `{DELETE_WITNESS}` request may be deleted from {}",
            names(&deletable_in)
        )
    } else {
        format!(
            "a `{DELETE_WITNESS}` request may not be deleted from `{status}`: only from {}",
            names(&deletable_in)
        )
    };
    Reason {
        text,
        provenance: as_built.then_some(Provenance::Documented(Source::DeleteApi)),
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
    Reason {
        text: format!(
            "no row for `cancel` from `{status}`: cancel is allowed only from {}",
            names(&cancelable)
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
        let mut out = format!("`{}`", self.operation);
        if let Some(status) = self.status {
            let _ = write!(out, " from `{status}`");
        }
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
    use entitle_core::RequestType;

    const CANCEL: Operation = Operation::Act(ActionKind::Cancel);

    #[test]
    fn cancel_from_delivered_is_rejected_with_the_cancel_rule() {
        let table = LifecycleTable::builtin();
        let verdict = check(
            &table,
            CANCEL,
            Some(RequestStatus::Delivered),
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
            CANCEL,
            Some(RequestStatus::Accepted),
            Some(Actor::Application),
        );
        assert!(!verdict.allowed);
        let verdict = check(&table, CANCEL, Some(RequestStatus::Accepted), None);
        assert!(verdict.allowed);
    }

    #[test]
    fn timed_actions_are_allowed_once_their_condition_holds() {
        let table = LifecycleTable::builtin();
        let verdict = check(
            &table,
            Operation::Act(ActionKind::Expire),
            Some(RequestStatus::PendingApproval),
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

    #[test]
    fn deleting_follows_the_witness_request_and_its_provenance_the_table() {
        let table = LifecycleTable::builtin();
        let manager = Some(Actor::AssignmentManager);
        let verdict = check(
            &table,
            Operation::Delete,
            Some(RequestStatus::Canceled),
            manager,
        );
        assert!(verdict.allowed);
        assert_eq!(
            verdict.rows[0].line(),
            "a `userAdd` request may be deleted from `Denied`, `Expired`, `Canceled` (documented: \
             Graph: delete accessPackageAssignmentRequest)"
        );
        let delivered = check(
            &table,
            Operation::Delete,
            Some(RequestStatus::Delivered),
            manager,
        );
        assert!(!delivered.allowed);
        assert!(
            delivered.rows[0]
                .text
                .contains("may not be deleted from `Delivered`")
        );
        let mut edited = table.clone();
        for entry in &mut edited.request_types {
            entry.deletable_in.push(RequestStatus::Delivered);
        }
        let widened = check(
            &edited,
            Operation::Delete,
            Some(RequestStatus::Delivered),
            manager,
        );
        assert!(widened.allowed);
        assert_eq!(widened.rows[0].provenance, None);
    }

    #[test]
    fn operations_that_ignore_the_status_drop_it() {
        let table = LifecycleTable::builtin();
        let create = Operation::Create(RequestType::AdminAdd);
        let verdict = check(
            &table,
            create,
            Some(RequestStatus::Delivered),
            Some(Actor::CatalogOwner),
        );
        assert!(verdict.allowed);
        assert_eq!(verdict.status, None);
        assert_eq!(
            verdict.rows[0].text,
            "`create:adminAdd` does not depend on the request's status: `Delivered` is not looked at"
        );
        let verdict = check(&table, create, None, Some(Actor::CatalogOwner));
        assert!(verdict.rows.is_empty());
        assert_eq!(
            verdict.to_text(),
            "`create:adminAdd` by `catalog-owner`: allowed\n  authority: administrator: Catalog \
             owner (documented: Graph: create accessPackageAssignmentRequest)\n"
        );
        assert!(!check(&table, create, None, Some(Actor::CatalogReader)).allowed);
        let anyone = check(&table, Operation::Get, None, None);
        assert!(anyone.allowed);
        assert_eq!(anyone.rows.len(), 1);
    }
}
