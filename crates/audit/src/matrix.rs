//! The authority matrix: for every operation and actor, whether the actor may perform it and why; for
//! the operations whose answer depends on the request's status (the actions and `delete`), one cell
//! per status.

use entitle_core::{Condition, Operation, RequestStatus, RequestType, VariantArray};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::table::LifecycleTable;

/// The request type of the witness request `delete` cells are decided for: a user's request for
/// themselves, which creates an assignment once delivery starts.
pub const DELETE_WITNESS: RequestType = RequestType::UserAdd;

/// What one actor may do with one operation (from one status, when the operation depends on it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "decision", content = "when")]
pub enum Cell {
    /// Allowed: the actor is authorized and, for an action, a row applies unconditionally; for
    /// `delete`, the witness request may be deleted from the status.
    Allowed,
    /// Allowed once one of these conditions holds (in row order).
    AllowedIf(Vec<Condition>),
    /// The actor is not authorized, whatever the status.
    NotAuthorized,
    /// The actor is authorized, but the table has no row for the action from this status, or the
    /// witness request may not be deleted from it.
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
    /// The request's status; `null` for an operation whose answer holds in every status.
    pub status: Option<RequestStatus>,
    /// The kind of caller.
    pub actor: Actor,
    /// The operation.
    pub operation: Operation,
    /// The outcome.
    pub cell: Cell,
}

/// The operations whose answer does not depend on the request's status, in table order: one cell per
/// actor.
pub fn status_independent() -> Vec<Operation> {
    Operation::all()
        .into_iter()
        .filter(|operation| !operation.depends_on_status())
        .collect()
}

/// The operations whose answer depends on the request's status, in table order (`delete`, then the
/// actions): one cell per status and actor.
pub fn status_dependent() -> Vec<Operation> {
    Operation::all()
        .into_iter()
        .filter(|operation| operation.depends_on_status())
        .collect()
}

/// The cell for `actor` performing `operation` on a request in `status`; with no actor, the table's
/// answer alone, as if the caller were authorized.
///
/// - An action: authorized in `status`, then the rows from `status` that can ever apply.
/// - `delete`: authorized in `status`, then whether a [`DELETE_WITNESS`] request may be deleted from
///   it.
/// - Any other operation: authorized in some status; `status` is not looked at.
///
/// For an operation that depends on the status, no status (or one the table does not list) has no
/// row: [`Cell::NotFromStatus`] when authorized.
pub fn cell(
    table: &LifecycleTable,
    status: Option<RequestStatus>,
    actor: Option<Actor>,
    operation: Operation,
) -> Cell {
    if !operation.depends_on_status() {
        return if actor.is_some_and(|actor| !table.is_authorized_anywhere(actor, operation)) {
            Cell::NotAuthorized
        } else {
            Cell::Allowed
        };
    }
    let authorized = |actor: Actor| match status {
        Some(status) => table.is_authorized(actor, operation, status),
        None => table.is_authorized_anywhere(actor, operation),
    };
    if actor.is_some_and(|actor| !authorized(actor)) {
        return Cell::NotAuthorized;
    }
    let Some(status) = status.filter(|status| table.status(*status).is_some()) else {
        return Cell::NotFromStatus;
    };
    let Some(action) = operation.action() else {
        return if table.is_deletable(DELETE_WITNESS, status) {
            Cell::Allowed
        } else {
            Cell::NotFromStatus
        };
    };
    let rows = table.live_rows(status, action);
    if rows.is_empty() {
        Cell::NotFromStatus
    } else if rows.iter().any(|row| row.when == Condition::Always) {
        Cell::Allowed
    } else {
        Cell::AllowedIf(rows.iter().map(|row| row.when).collect())
    }
}

/// Every cell: first the operations that do not depend on the status, in operation then actor
/// order; then the others, in status, then actor, then operation order.
pub fn matrix(table: &LifecycleTable) -> Vec<MatrixEntry> {
    let mut entries = Vec::new();
    for operation in status_independent() {
        for &actor in Actor::VARIANTS {
            entries.push(MatrixEntry {
                status: None,
                actor,
                operation,
                cell: cell(table, None, Some(actor), operation),
            });
        }
    }
    let dependent = status_dependent();
    for entry in &table.statuses {
        for &actor in Actor::VARIANTS {
            for &operation in &dependent {
                entries.push(MatrixEntry {
                    status: Some(entry.status),
                    actor,
                    operation,
                    cell: cell(table, Some(entry.status), Some(actor), operation),
                });
            }
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use entitle_core::ActionKind;

    const CANCEL: Operation = Operation::Act(ActionKind::Cancel);

    #[test]
    fn cancel_cells_follow_the_documented_rules() {
        let table = LifecycleTable::builtin();
        for &status in RequestStatus::VARIANTS {
            let own = cell(&table, Some(status), Some(Actor::RequestorOwn), CANCEL);
            assert_eq!(
                own.allows(),
                RequestStatus::DOCUMENTED_CANCELABLE.contains(&status)
            );
            for actor in [
                Actor::Application,
                Actor::RequestorOther,
                Actor::CatalogReader,
            ] {
                assert_eq!(
                    cell(&table, Some(status), Some(actor), CANCEL),
                    Cell::NotAuthorized
                );
            }
        }
        assert_eq!(
            cell(
                &table,
                Some(RequestStatus::Delivered),
                Some(Actor::CatalogOwner),
                CANCEL
            ),
            Cell::NotFromStatus
        );
    }

    #[test]
    fn timed_cells_name_their_condition() {
        let table = LifecycleTable::builtin();
        let expire = cell(
            &table,
            Some(RequestStatus::PendingApproval),
            Some(Actor::System),
            Operation::Act(ActionKind::Expire),
        );
        assert_eq!(expire, Cell::AllowedIf(vec![Condition::DecisionTimedOut]));
        assert_eq!(expire.short(), "if decisionTimedOut");
    }

    #[test]
    fn delete_cells_follow_the_witness_request() {
        let table = LifecycleTable::builtin();
        let manager = Some(Actor::AssignmentManager);
        let delete = |status| cell(&table, Some(status), manager, Operation::Delete);
        assert_eq!(delete(RequestStatus::Canceled), Cell::Allowed);
        assert_eq!(delete(RequestStatus::Delivered), Cell::NotFromStatus);
        assert_eq!(delete(RequestStatus::Accepted), Cell::NotFromStatus);
        assert_eq!(
            cell(
                &table,
                Some(RequestStatus::Canceled),
                Some(Actor::RequestorOwn),
                Operation::Delete
            ),
            Cell::NotAuthorized
        );
        assert_eq!(
            cell(&table, None, manager, Operation::Delete),
            Cell::NotFromStatus
        );
    }

    #[test]
    fn other_operations_have_one_cell_whatever_the_status() {
        let table = LifecycleTable::builtin();
        let admin_add = Operation::Create(RequestType::AdminAdd);
        assert_eq!(
            cell(&table, None, Some(Actor::CatalogOwner), admin_add),
            Cell::Allowed
        );
        assert_eq!(
            cell(&table, None, Some(Actor::RequestorOwn), admin_add),
            Cell::NotAuthorized
        );
        for &status in RequestStatus::VARIANTS {
            assert_eq!(
                cell(
                    &table,
                    Some(status),
                    Some(Actor::CatalogReader),
                    Operation::Get
                ),
                Cell::Allowed
            );
        }
        assert_eq!(cell(&table, None, None, Operation::List), Cell::Allowed);
    }

    #[test]
    fn the_matrix_has_every_cell() {
        let table = LifecycleTable::builtin();
        let cells = matrix(&table);
        assert_eq!(
            cells.len(),
            Actor::VARIANTS.len()
                * (status_independent().len()
                    + RequestStatus::VARIANTS.len() * status_dependent().len())
        );
        assert_eq!(
            status_independent().len() + status_dependent().len(),
            Operation::all().len()
        );
        assert!(
            cells
                .iter()
                .all(|entry| entry.status.is_some() == entry.operation.depends_on_status())
        );
    }
}
