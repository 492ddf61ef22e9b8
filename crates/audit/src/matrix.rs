//! The authority matrix: for every status, actor and action, whether the actor may act and why.

use entitle_core::{ActionKind, Condition, RequestStatus, VariantArray};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::table::LifecycleTable;

/// What one actor may do with one action from one status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "decision", content = "when")]
pub enum Cell {
    /// Allowed: the actor is authorized and a row applies unconditionally.
    Allowed,
    /// Allowed once one of these conditions holds (in row order).
    AllowedIf(Vec<Condition>),
    /// The actor is not authorized, whatever the status.
    NotAuthorized,
    /// The actor is authorized, but the table has no row for the action from this status.
    NotFromStatus,
}

impl Cell {
    /// Whether the actor may act, at least under some condition.
    pub fn allows(&self) -> bool {
        matches!(self, Self::Allowed | Self::AllowedIf(_))
    }

    /// A short text for table cells: `yes`, `if decisionTimedOut`, `unauthorized`, `—`.
    pub fn short(&self) -> String {
        match self {
            Self::Allowed => "yes".to_owned(),
            Self::AllowedIf(conditions) => {
                let names: Vec<&str> = conditions.iter().map(|c| c.as_str()).collect();
                format!("if {}", names.join(" or "))
            }
            Self::NotAuthorized => "unauthorized".to_owned(),
            Self::NotFromStatus => "—".to_owned(),
        }
    }
}

/// One cell of the matrix with its coordinates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatrixEntry {
    /// The request's status.
    pub status: RequestStatus,
    /// The kind of caller.
    pub actor: Actor,
    /// The action.
    pub action: ActionKind,
    /// The outcome.
    pub cell: Cell,
}

/// The cell for `actor` performing `action` on a request in `status`; with no actor, the table's
/// answer alone, as if the caller were authorized. Only rows that can ever apply count.
pub fn cell(
    table: &LifecycleTable,
    status: RequestStatus,
    actor: Option<Actor>,
    action: ActionKind,
) -> Cell {
    if actor.is_some_and(|actor| !table.is_authorized(actor, action, status)) {
        return Cell::NotAuthorized;
    }
    let rows = table.live_rows(status, action);
    if rows.is_empty() {
        Cell::NotFromStatus
    } else if rows.iter().any(|row| row.when == Condition::Always) {
        Cell::Allowed
    } else {
        Cell::AllowedIf(rows.iter().map(|row| row.when).collect())
    }
}

/// Every cell, in status, then actor, then action order.
pub fn matrix(table: &LifecycleTable) -> Vec<MatrixEntry> {
    let mut entries = Vec::new();
    for entry in &table.statuses {
        for &actor in Actor::VARIANTS {
            for &action in ActionKind::VARIANTS {
                let cell = cell(table, entry.status, Some(actor), action);
                entries.push(MatrixEntry {
                    status: entry.status,
                    actor,
                    action,
                    cell,
                });
            }
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_cells_follow_the_documented_rules() {
        let table = LifecycleTable::builtin();
        for &status in RequestStatus::VARIANTS {
            let own = cell(
                &table,
                status,
                Some(Actor::RequestorOwn),
                ActionKind::Cancel,
            );
            assert_eq!(
                own.allows(),
                RequestStatus::DOCUMENTED_CANCELABLE.contains(&status)
            );
            assert_eq!(
                cell(&table, status, Some(Actor::Application), ActionKind::Cancel),
                Cell::NotAuthorized
            );
            assert_eq!(
                cell(
                    &table,
                    status,
                    Some(Actor::RequestorOther),
                    ActionKind::Cancel
                ),
                Cell::NotAuthorized
            );
        }
        assert_eq!(
            cell(
                &table,
                RequestStatus::Delivered,
                Some(Actor::CatalogOwner),
                ActionKind::Cancel
            ),
            Cell::NotFromStatus
        );
    }

    #[test]
    fn timed_cells_name_their_condition() {
        let table = LifecycleTable::builtin();
        let expire = cell(
            &table,
            RequestStatus::PendingApproval,
            Some(Actor::System),
            ActionKind::Expire,
        );
        assert_eq!(expire, Cell::AllowedIf(vec![Condition::DecisionTimedOut]));
        assert_eq!(expire.short(), "if decisionTimedOut");
    }

    #[test]
    fn the_matrix_has_every_cell() {
        let table = LifecycleTable::builtin();
        assert_eq!(
            matrix(&table).len(),
            RequestStatus::VARIANTS.len() * Actor::VARIANTS.len() * ActionKind::VARIANTS.len()
        );
    }
}
