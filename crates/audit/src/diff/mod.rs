//! The difference between two versions of the lifecycle, and whether the new one grants new access.
//!
//! [`diff`] compares an OLD and a NEW [`LifecycleTable`], in the spirit of IAM Access Analyzer's
//! `CheckNoNewAccess`: besides listing what changed, it answers one question, *does NEW let anyone do
//! anything OLD did not?*, with one reason per matrix cell that it lets.
//!
//! # What is compared
//!
//! - **Rows.** Rows of NEW are paired with rows of OLD, first those equal in everything, then those
//!   with the same `from`, `action`, `when` and `to`, then those with the same `from`, `action` and
//!   `when`; each pass takes the earliest row not yet paired. Pairs that differ (in `to` or provenance)
//!   are [`changed`](TableDiff::changed); unpaired rows of NEW are [`added`](TableDiff::added), unpaired
//!   rows of OLD [`removed`](TableDiff::removed). A row whose condition changed is therefore removed
//!   and added.
//! - **Row order.** Rows of one status and action are tried in order, so a group whose paired rows
//!   appear in another order is [`reordered`](TableDiff::reordered). The order of groups, of statuses
//!   and of authority entries carries no meaning and is not compared.
//! - **Statuses.** Every field of a status entry, by status; a status listed in one table only is
//!   added or removed.
//! - **Cancelability**: whether the table has a `cancel` row from a status.
//! - **Authority**: for every actor and operation, the statuses in which the actor is authorized. A
//!   missing entry authorizes nowhere. The `rule` texts and their provenance explain, and are not
//!   compared.
//! - **Request types**: every field of a request type's entry, by type.
//! - **The assignment table**: its rows, paired and ordered as the request's rows are (by `from`,
//!   `event` and `when`), and its states' entries, by state.
//! - **The reprocess window**, in days.
//!
//! # New access
//!
//! New access is judged per cell of the [authority matrix](crate::matrix()), for every operation.
//!
//! An operation that does not depend on the request's status (reading, listing, reading the approval
//! stages, creating a request of a type) has one cell per actor: NEW **grants new access** when it
//! authorizes the actor in some status and OLD authorizes it in none (`authority widened`).
//!
//! `delete` has a cell per status and actor: NEW grants new access when the actor may delete a request
//! of some type from the status in NEW and not in OLD: the actor is now authorized, or the type's
//! requests are newly deletable from the status (`newly deletable`), or the status is new. Every
//! request type counts, not only the matrix's witness.
//!
//! An action has a cell per status and actor. A *situation* is a set of conditions that hold.
//! `always` holds in every situation, and the other conditions are taken as independent of each
//! other. In a situation, a table leads a request in status `S` by action `A` to the target of the
//! first row from `S` for `A` whose condition holds, or nowhere if none does; a status the table does
//! not list has no rows. The cell (`S`, actor, `A`) of a table allows a move to `T` in a situation
//! when the actor is authorized for `A` in `S` and the table leads to `T` there.
//!
//! NEW **grants new access** in an action's cell when, in some situation, NEW's cell allows a move to
//! a status `T` and OLD's cell does not allow that move (it allows nothing, or a move elsewhere). The
//! reason names the status, the actor, the action and what changed, in one or more of these forms:
//!
//! 1. OLD's cell allows nothing in any situation ([`Cell::NotAuthorized`](crate::Cell::NotAuthorized) or
//!    [`Cell::NotFromStatus`](crate::Cell::NotFromStatus), or a status OLD does not list) and NEW's allows something:
//!    `new status`, `authority widened`, `new row …`.
//! 2. *Guard relaxed*: NEW allows the action in a situation OLD did not: NEW has an `always` row for
//!    the status and action where OLD had none, or a condition OLD's rows did not have.
//! 3. *New target*: NEW leads to a status OLD's rows for the status and action never led to, such as
//!    `approve` leading to `Delivered` directly.
//! 4. *Redirected*: NEW leads to a status OLD also led to, but in a situation where OLD led elsewhere:
//!    rows were reordered, or a conditional row ahead of an `always` row was removed. The reason
//!    names the smallest such situation.
//! 5. *Window widened*: NEW keeps the reprocess window open for more days, so rows guarded by
//!    `withinReprocessWindow` apply longer.
//!
//! Rows that can never apply, after an `always` row or repeating an earlier condition of their group,
//! change nothing. Taking conditions as independent over-approximates: a situation in which two
//! exclusive conditions hold (`startsLater` and `startReached`) can be named, so the check may report
//! access that cannot happen, never the reverse. Narrowing, provenance, status facts and row order
//! that changes no outcome never grant new access. Request-type facts other than deletability, and
//! the assignment table, are listed but not judged: who may create a request of a type is the
//! authority of `create:TYPE`, and the matrix decides actions by the request's table.
//!
//! Everything is listed in a fixed order: statuses in lifecycle order, then actors, then operations;
//! rows in table order. New access lists the operations that do not depend on the status first (by
//! operation, then actor), then the others by status, actor and operation, as the matrix does.

mod access;
mod compare;
mod text;

use access::new_access;
use compare::{
    cancelable_only_in, diff_assignment_rows, diff_assignment_states, diff_authority,
    diff_request_types, diff_rows, diff_statuses,
};

use std::fmt;

use entitle_core::{
    ActionKind, AssignmentEvent, AssignmentState, AssignmentTransition, Operation, RequestStatus,
    RequestType, Transition,
};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::table::{AssignmentStateEntry, LifecycleTable, RequestTypeEntry, StatusEntry};

/// Everything that differs between two tables, and the access NEW grants that OLD did not.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableDiff {
    /// Rows of NEW with no counterpart in OLD, in NEW's order.
    pub added: Vec<Transition>,
    /// Rows of OLD with no counterpart in NEW, in OLD's order.
    pub removed: Vec<Transition>,
    /// Rows with the same `from`, `action` and `when` whose `to` or provenance changed, in NEW's order.
    pub changed: Vec<ChangedTransition>,
    /// Groups of rows (one status and action) tried in another order, in status then action order.
    pub reordered: Vec<ReorderedRows>,
    /// Status entries added, removed or changed, in status order.
    pub statuses_changed: Vec<ChangedStatus>,
    /// Statuses with a `cancel` row in NEW only.
    pub newly_cancelable: Vec<RequestStatus>,
    /// Statuses with a `cancel` row in OLD only.
    pub no_longer_cancelable: Vec<RequestStatus>,
    /// Actors and operations authorized in more statuses in NEW, with the added statuses.
    pub widened_authority: Vec<AuthorityChange>,
    /// Actors and operations authorized in fewer statuses in NEW, with the removed statuses.
    pub narrowed_authority: Vec<AuthorityChange>,
    /// Request type entries added, removed or changed, in type order.
    pub request_types_changed: Vec<ChangedRequestType>,
    /// Assignment rows of NEW with no counterpart in OLD, in NEW's order.
    pub assignment_added: Vec<AssignmentTransition>,
    /// Assignment rows of OLD with no counterpart in NEW, in OLD's order.
    pub assignment_removed: Vec<AssignmentTransition>,
    /// Assignment rows with the same `from`, `event` and `when` whose `to` or provenance changed, in
    /// NEW's order.
    pub assignment_changed: Vec<ChangedAssignmentTransition>,
    /// Groups of assignment rows (one state and event) tried in another order.
    pub assignment_reordered: Vec<ReorderedAssignmentRows>,
    /// Assignment state entries added, removed or changed, in state order.
    pub assignment_states_changed: Vec<ChangedAssignmentState>,
    /// The reprocess window, in days, when it changed: `[old, new]`.
    pub reprocess_window_days: Option<[u64; 2]>,
    /// Every cell in which NEW grants access OLD did not, with the reason.
    pub new_access: Vec<NewAccess>,
}

/// A row whose `to` or provenance changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangedTransition {
    /// The row in OLD.
    pub old: Transition,
    /// The row in NEW.
    pub new: Transition,
}

/// The rows for one status and action, tried in another order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReorderedRows {
    /// The status the rows leave.
    pub from: RequestStatus,
    /// The action.
    pub action: ActionKind,
    /// The rows in OLD, in order.
    pub old: Vec<Transition>,
    /// The rows in NEW, in order.
    pub new: Vec<Transition>,
}

/// A status entry added, removed or changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangedStatus {
    /// The status.
    pub status: RequestStatus,
    /// Its entry in OLD, if listed.
    pub old: Option<StatusEntry>,
    /// Its entry in NEW, if listed.
    pub new: Option<StatusEntry>,
}

/// The statuses in which an actor's authority for an operation was added or removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorityChange {
    /// The kind of caller.
    pub actor: Actor,
    /// The operation.
    pub operation: Operation,
    /// The statuses added (when widened) or removed (when narrowed), in status order.
    pub statuses: Vec<RequestStatus>,
}

/// A request type entry added, removed or changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangedRequestType {
    /// The type.
    pub request_type: RequestType,
    /// Its entry in OLD, if listed.
    pub old: Option<RequestTypeEntry>,
    /// Its entry in NEW, if listed.
    pub new: Option<RequestTypeEntry>,
}

/// An assignment row whose `to` or provenance changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangedAssignmentTransition {
    /// The row in OLD.
    pub old: AssignmentTransition,
    /// The row in NEW.
    pub new: AssignmentTransition,
}

/// The assignment rows for one state and event, tried in another order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReorderedAssignmentRows {
    /// The state the rows leave (`None`: before the assignment exists).
    pub from: Option<AssignmentState>,
    /// The event.
    pub event: AssignmentEvent,
    /// The rows in OLD, in order.
    pub old: Vec<AssignmentTransition>,
    /// The rows in NEW, in order.
    pub new: Vec<AssignmentTransition>,
}

/// An assignment state entry added, removed or changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangedAssignmentState {
    /// The state.
    pub state: AssignmentState,
    /// Its entry in OLD, if listed.
    pub old: Option<AssignmentStateEntry>,
    /// Its entry in NEW, if listed.
    pub new: Option<AssignmentStateEntry>,
}

/// One cell in which NEW grants access that OLD did not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewAccess {
    /// The request's status; `None` for an operation that does not depend on it.
    pub status: Option<RequestStatus>,
    /// The kind of caller.
    pub actor: Actor,
    /// The operation.
    pub operation: Operation,
    /// A sentence naming the cell and what changed.
    pub reason: String,
}

impl fmt::Display for NewAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// The difference from `old` to `new`; see the [module documentation](self) for its rules.
pub fn diff(old: &LifecycleTable, new: &LifecycleTable) -> TableDiff {
    let rows = diff_rows(&old.transitions, &new.transitions);
    let assignment = diff_assignment_rows(&old.assignment.transitions, &new.assignment.transitions);
    let (widened_authority, narrowed_authority) = diff_authority(old, new);
    TableDiff {
        added: rows.added,
        removed: rows.removed,
        changed: rows
            .changed
            .into_iter()
            .map(|(old, new)| ChangedTransition { old, new })
            .collect(),
        reordered: rows
            .reordered
            .into_iter()
            .map(|((from, action), old, new)| ReorderedRows {
                from,
                action,
                old,
                new,
            })
            .collect(),
        statuses_changed: diff_statuses(old, new),
        newly_cancelable: cancelable_only_in(new, old),
        no_longer_cancelable: cancelable_only_in(old, new),
        widened_authority,
        narrowed_authority,
        request_types_changed: diff_request_types(old, new),
        assignment_added: assignment.added,
        assignment_removed: assignment.removed,
        assignment_changed: assignment
            .changed
            .into_iter()
            .map(|(old, new)| ChangedAssignmentTransition { old, new })
            .collect(),
        assignment_reordered: assignment
            .reordered
            .into_iter()
            .map(|((from, event), old, new)| ReorderedAssignmentRows {
                from,
                event,
                old,
                new,
            })
            .collect(),
        assignment_states_changed: diff_assignment_states(old, new),
        reprocess_window_days: (old.reprocess_window_days != new.reprocess_window_days)
            .then_some([old.reprocess_window_days, new.reprocess_window_days]),
        new_access: new_access(old, new),
    }
}

impl TableDiff {
    /// Whether the tables do not differ in anything compared.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.reordered.is_empty()
            && self.statuses_changed.is_empty()
            && self.newly_cancelable.is_empty()
            && self.no_longer_cancelable.is_empty()
            && self.widened_authority.is_empty()
            && self.narrowed_authority.is_empty()
            && self.request_types_changed.is_empty()
            && self.assignment_added.is_empty()
            && self.assignment_removed.is_empty()
            && self.assignment_changed.is_empty()
            && self.assignment_reordered.is_empty()
            && self.assignment_states_changed.is_empty()
            && self.reprocess_window_days.is_none()
            && self.new_access.is_empty()
    }

    /// Whether NEW grants access that OLD did not.
    pub fn grants_new_access(&self) -> bool {
        !self.new_access.is_empty()
    }

    /// Pretty JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        // Serializing plain data with derived impls into a string cannot fail.
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }
}

#[cfg(test)]
mod tests {
    use super::access::situations;
    use super::text::situation_phrase;
    use super::*;
    use entitle_core::{Condition, VariantArray};
    use entitle_core::{Decision, Provenance};
    use proptest::prelude::*;

    use ActionKind as A;
    use Condition as C;
    use RequestStatus as S;

    fn builtin() -> LifecycleTable {
        LifecycleTable::builtin()
    }

    fn position(table: &LifecycleTable, from: S, action: A, when: C) -> usize {
        table
            .transitions
            .iter()
            .position(|row| (row.from, row.action, row.when) == (from, action, when))
            .unwrap()
    }

    fn reasons(diff: &TableDiff) -> Vec<String> {
        diff.new_access.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn identical_tables_do_not_differ() {
        let diff = diff(&builtin(), &builtin());
        assert!(diff.is_empty());
        assert!(!diff.grants_new_access());
        assert_eq!(diff, TableDiff::default());
        assert_eq!(diff.to_text(), "no differences\nnew access: PASS (none)\n");
    }

    #[test]
    fn a_new_target_is_a_changed_row_and_new_access() {
        let mut new = builtin();
        let index = position(&new, S::PendingApproval, A::Approve, C::Always);
        new.transitions[index].to = S::Delivered;
        let diff = diff(&builtin(), &new);
        assert!(diff.added.is_empty() && diff.removed.is_empty());
        assert_eq!(diff.changed.len(), 1);
        assert_eq!(diff.changed[0].old.to, S::Delivering);
        assert_eq!(diff.changed[0].new.to, S::Delivered);
        assert_eq!(
            reasons(&diff),
            [
                "`approver` may now `approve` from `PendingApproval` (new target `Delivered` via \
              row `PendingApproval` --approve--> `Delivered`)"
            ]
        );
    }

    #[test]
    fn a_changed_condition_is_removed_and_added() {
        let mut new = builtin();
        let index = position(&new, S::PendingApproval, A::Expire, C::DecisionTimedOut);
        new.transitions[index].when = C::EscalationDue;
        let diff = diff(&builtin(), &new);
        assert_eq!(diff.removed, [builtin().transitions[index]]);
        assert_eq!(diff.added, [new.transitions[index]]);
        assert!(diff.changed.is_empty());
        assert_eq!(
            reasons(&diff),
            [
                "`system` may now `expire` from `PendingApproval` (guard relaxed: now also if \
              `escalationDue`, was only if `decisionTimedOut`)"
            ]
        );
    }

    #[test]
    fn provenance_alone_grants_nothing() {
        let mut new = builtin();
        new.transitions[0].provenance = Provenance::Modelled(Decision::FailClosed);
        new.statuses[0].terminal = true;
        let diff = diff(&builtin(), &new);
        assert_eq!(diff.changed.len(), 1);
        assert_eq!(diff.statuses_changed.len(), 1);
        assert!(!diff.is_empty());
        assert!(!diff.grants_new_access());
        assert!(
            diff.to_text()
                .contains("`Accepted`: terminal `no` became `yes`\n")
        );
    }

    #[test]
    fn reordering_rows_redirects_requests() {
        let mut new = builtin();
        let first = position(&new, S::Accepted, A::Process, C::CalloutConfigured);
        new.transitions.swap(first, first + 1);
        let diff = diff(&builtin(), &new);
        assert!(diff.added.is_empty() && diff.removed.is_empty() && diff.changed.is_empty());
        assert_eq!(diff.reordered.len(), 1);
        assert_eq!(
            (diff.reordered[0].from, diff.reordered[0].action),
            (S::Accepted, A::Process)
        );
        assert_eq!(
            reasons(&diff),
            [
                "`system` may now `process` from `Accepted` (leads to `PendingApproval` instead of \
              `WaitingForCallback` when only `calloutConfigured` and `approvalRequired` hold)"
            ]
        );
        assert!(diff.to_text().contains(
            "reordered:\n  `Accepted` --process-->: tried as `approvalRequired` -> \
             `PendingApproval`, `calloutConfigured` -> `WaitingForCallback`"
        ));
    }

    #[test]
    fn a_reordered_group_lists_exactly_its_rows_in_both_orders() {
        let old = builtin();
        let mut new = builtin();
        let first = position(&new, S::Accepted, A::Process, C::CalloutConfigured);
        new.transitions.swap(first, first + 1);
        let group = |table: &LifecycleTable| -> Vec<Transition> {
            table.rows(S::Accepted, A::Process).copied().collect()
        };
        let diff = diff(&old, &new);
        assert_eq!(
            diff.reordered,
            [ReorderedRows {
                from: S::Accepted,
                action: A::Process,
                old: group(&old),
                new: group(&new),
            }]
        );
        assert_eq!(diff.reordered[0].new.len(), 4);
    }

    #[test]
    fn removing_a_guarding_row_redirects_requests() {
        let mut new = builtin();
        new.transitions
            .remove(position(&new, S::Accepted, A::Process, C::StartsLater));
        let diff = diff(&builtin(), &new);
        assert_eq!(diff.removed.len(), 1);
        assert_eq!(
            reasons(&diff),
            [
                "`system` may now `process` from `Accepted` (leads to `Delivering` instead of \
              `PendingNotBefore` when only `startsLater` holds)"
            ]
        );
    }

    #[test]
    fn dead_rows_grant_nothing() {
        let mut new = builtin();
        let always = position(&new, S::PendingNotBefore, A::Cancel, C::Always);
        let mut dead = new.transitions[always];
        dead.to = S::Delivered;
        new.transitions.insert(always + 1, dead);
        let expire = position(&new, S::PendingApproval, A::Expire, C::DecisionTimedOut);
        let mut repeated = new.transitions[expire];
        repeated.to = S::Delivered;
        new.transitions.insert(expire + 1, repeated);
        let diff = diff(&builtin(), &new);
        assert_eq!(diff.added, [repeated, dead]);
        assert!(!diff.grants_new_access(), "{:?}", diff.new_access);
    }

    #[test]
    fn a_new_status_names_itself() {
        let mut old = builtin();
        old.statuses
            .retain(|entry| entry.status != S::WaitingForCallback);
        old.transitions
            .retain(|row| row.from != S::WaitingForCallback && row.to != S::WaitingForCallback);
        let diff = diff(&old, &builtin());
        assert_eq!(diff.statuses_changed.len(), 1);
        assert!(diff.statuses_changed[0].old.is_none());
        let found = reasons(&diff);
        assert!(
            found.contains(
                &"`system` may now `process` from `Accepted` (new target `WaitingForCallback` via \
              row `Accepted` --process--> `WaitingForCallback` if `calloutConfigured`)"
                    .to_owned()
            )
        );
        assert!(
            found.contains(
                &"`application` may now `resumeDeny` from `WaitingForCallback` (new status \
              `WaitingForCallback`; new row `WaitingForCallback` --resumeDeny--> `Denied`)"
                    .to_owned()
            )
        );
        assert!(
            found.contains(
                &"`application` may now `resumeContinue` from `WaitingForCallback` (new status \
              `WaitingForCallback`; new rows `WaitingForCallback` --resumeContinue--> \
              `PendingApproval` if `approvalRequired`, `WaitingForCallback` --resumeContinue--> \
              `PendingNotBefore` if `startsLater`, `WaitingForCallback` --resumeContinue--> \
              `Delivering`)"
                    .to_owned()
            )
        );
        assert!(diff.to_text().contains(
            "statuses changed:\n  `WaitingForCallback`: added (state `submitted`, completed \
             `no`, terminal `no`, documented: Graph: accessPackageAssignmentRequest: resume)\n"
        ));
        // Without the callout row, a request whose policy runs a custom extension skips it.
        let back = super::diff(&builtin(), &old);
        assert_eq!(
            reasons(&back),
            [
                "`system` may now `process` from `Accepted` (leads to `Delivering` instead of \
              `WaitingForCallback` when only `calloutConfigured` holds; leads to \
              `PendingApproval` instead of `WaitingForCallback` when only `calloutConfigured` and \
              `approvalRequired` hold; leads to `PendingNotBefore` instead of \
              `WaitingForCallback` when only `calloutConfigured` and `startsLater` hold)"
            ]
        );
        assert!(back.to_text().contains("`WaitingForCallback`: removed\n"));
    }

    #[test]
    fn widened_delete_authority_names_itself_alone() {
        let mut new = builtin();
        for entry in &mut new.authority {
            if (entry.actor, entry.operation) == (Actor::RequestorOwn, Operation::Delete) {
                entry.authorized_in = S::VARIANTS.to_vec();
            }
        }
        let diff = diff(&builtin(), &new);
        let denied: Vec<_> = diff
            .new_access
            .iter()
            .filter(|access| access.status == Some(S::Denied))
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            denied,
            ["`requestor-own` may now `delete` from `Denied` (authority widened)"]
        );
    }

    #[test]
    fn a_changed_assignment_state_is_listed() {
        let mut new = builtin();
        let entry = new
            .assignment
            .states
            .iter_mut()
            .find(|entry| entry.state == AssignmentState::Delivered)
            .expect("`delivered` is listed");
        entry.terminal = true;
        let diff = diff(&builtin(), &new);
        let changed: Vec<_> = diff
            .assignment_states_changed
            .iter()
            .map(|change| {
                (
                    change.state,
                    change.new.as_ref().map(|entry| entry.terminal),
                )
            })
            .collect();
        assert_eq!(changed, [(AssignmentState::Delivered, Some(true))]);
        assert!(!diff.is_empty());
        assert!(
            diff.to_text()
                .contains("assignment states changed:\n  `delivered`: terminal `no` became `yes`"),
            "{}",
            diff.to_text()
        );
    }

    #[test]
    fn authority_and_rows_widened_together_say_both() {
        let mut new = builtin();
        let delivering = position(&new, S::Delivering, A::FailDelivery, C::Always);
        new.transitions.insert(
            delivering + 1,
            Transition {
                from: S::Delivering,
                action: A::Cancel,
                when: C::Always,
                to: S::Canceled,
                provenance: Provenance::Modelled(Decision::CancelableStatuses),
            },
        );
        for entry in &mut new.authority {
            if (entry.actor, entry.operation) == (Actor::Application, Operation::Act(A::Cancel)) {
                entry.authorized_in = vec![S::Delivering];
            }
        }
        let diff = diff(&builtin(), &new);
        let application: Vec<_> = diff
            .new_access
            .iter()
            .filter(|access| access.actor == Actor::Application)
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            application,
            [
                "`application` may now `cancel` from `Delivering` (authority widened; new row \
              `Delivering` --cancel--> `Canceled`)"
            ]
        );
        assert_eq!(diff.widened_authority.len(), 1);
        assert_eq!(diff.widened_authority[0].statuses, [S::Delivering]);
    }

    #[test]
    fn situations_are_smallest_first_in_condition_order() {
        let rows: Vec<Transition> = [
            C::StartsLater,
            C::Always,
            C::CalloutConfigured,
            C::StartsLater,
        ]
        .into_iter()
        .map(|when| Transition {
            from: S::Accepted,
            action: A::Process,
            when,
            to: S::Delivering,
            provenance: Provenance::Modelled(Decision::SubmissionRouting),
        })
        .collect();
        assert_eq!(
            situations(&rows),
            [
                vec![],
                vec![C::CalloutConfigured],
                vec![C::StartsLater],
                vec![C::CalloutConfigured, C::StartsLater],
            ]
        );
        assert_eq!(situation_phrase(&[]), "no condition holds");
        assert_eq!(
            situation_phrase(&[C::StartsLater]),
            "only `startsLater` holds"
        );
    }

    #[test]
    fn json_round_trips() {
        let mut new = builtin();
        new.transitions.pop();
        let diff = diff(&builtin(), &new);
        let json = diff.to_json();
        assert!(json.ends_with("}\n"));
        assert!(json.contains("\"noLongerCancelable\""));
        assert_eq!(serde_json::from_str::<TableDiff>(&json).unwrap(), diff);
    }

    /// The cells in which `new` grants new access, straight from the definition: every situation
    /// over every condition, first matching row over all rows.
    fn new_access_by_definition(
        old: &LifecycleTable,
        new: &LifecycleTable,
    ) -> Vec<(Option<S>, Actor, Operation)> {
        let conditions: Vec<C> = C::VARIANTS
            .iter()
            .copied()
            .filter(|&when| when != C::Always)
            .collect();
        let situations: Vec<Vec<C>> = (0..1_u32 << conditions.len())
            .map(|mask| {
                conditions
                    .iter()
                    .enumerate()
                    .filter(|(bit, _)| mask & (1 << bit) != 0)
                    .map(|(_, &when)| when)
                    .collect()
            })
            .collect();
        let outcomes = |table: &LifecycleTable, status: S, action: A| -> Vec<Option<S>> {
            let rows: Vec<Transition> = if table.status(status).is_some() {
                table.rows(status, action).copied().collect()
            } else {
                Vec::new()
            };
            situations
                .iter()
                .map(|holding| {
                    rows.iter()
                        .find(|row| row.when == C::Always || holding.contains(&row.when))
                        .map(|row| row.to)
                })
                .collect()
        };
        let mut cells = Vec::new();
        for operation in Operation::all() {
            if operation.depends_on_status() {
                continue;
            }
            for &actor in Actor::VARIANTS {
                let anywhere = |table: &LifecycleTable| {
                    S::VARIANTS
                        .iter()
                        .any(|&status| table.is_authorized(actor, operation, status))
                };
                if anywhere(new) && !anywhere(old) {
                    cells.push((None, actor, operation));
                }
            }
        }
        let deletable = |table: &LifecycleTable, actor: Actor, status: S| -> Vec<RequestType> {
            if table.status(status).is_none()
                || !table.is_authorized(actor, Operation::Delete, status)
            {
                return Vec::new();
            }
            RequestType::VARIANTS
                .iter()
                .copied()
                .filter(|&kind| table.is_deletable(kind, status))
                .collect()
        };
        for &status in S::VARIANTS {
            if old.status(status).is_none() && new.status(status).is_none() {
                continue;
            }
            for &actor in Actor::VARIANTS {
                let before = deletable(old, actor, status);
                if deletable(new, actor, status)
                    .iter()
                    .any(|kind| !before.contains(kind))
                {
                    cells.push((Some(status), actor, Operation::Delete));
                }
                for &action in A::VARIANTS {
                    let operation = Operation::Act(action);
                    if !new.is_authorized(actor, operation, status) {
                        continue;
                    }
                    let after = outcomes(new, status, action);
                    let before = if old.is_authorized(actor, operation, status) {
                        outcomes(old, status, action)
                    } else {
                        vec![None; after.len()]
                    };
                    if after
                        .iter()
                        .zip(&before)
                        .any(|(now, was)| now.is_some() && now != was)
                    {
                        cells.push((Some(status), actor, operation));
                    }
                }
            }
        }
        cells
    }

    #[derive(Clone, Debug)]
    enum Edit {
        Remove(prop::sample::Index),
        SetTo(prop::sample::Index, prop::sample::Index),
        SetWhen(prop::sample::Index, prop::sample::Index),
        Swap(prop::sample::Index, prop::sample::Index),
        Duplicate(prop::sample::Index, prop::sample::Index),
        /// Inserts a copy of a row right after it, with another condition and target.
        Variant(
            prop::sample::Index,
            prop::sample::Index,
            prop::sample::Index,
        ),
        ToggleAuthority(prop::sample::Index, prop::sample::Index),
        ToggleDeletable(prop::sample::Index, prop::sample::Index),
        DropStatus(prop::sample::Index),
    }

    fn edit() -> impl Strategy<Value = Edit> {
        use prop::sample::Index;
        prop_oneof![
            any::<Index>().prop_map(Edit::Remove),
            (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SetTo(a, b)),
            (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SetWhen(a, b)),
            (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::Swap(a, b)),
            (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::Duplicate(a, b)),
            (any::<Index>(), any::<Index>(), any::<Index>())
                .prop_map(|(a, b, c)| Edit::Variant(a, b, c)),
            (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::ToggleAuthority(a, b)),
            (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::ToggleDeletable(a, b)),
            any::<Index>().prop_map(Edit::DropStatus),
        ]
    }

    fn edited(edits: &[Edit]) -> LifecycleTable {
        let mut table = builtin();
        for edit in edits {
            let rows = table.transitions.len();
            match edit {
                _ if rows == 0 => {}
                Edit::Remove(row) => {
                    table.transitions.remove(row.index(rows));
                }
                Edit::SetTo(row, status) => {
                    table.transitions[row.index(rows)].to = *status.get(S::VARIANTS);
                }
                Edit::SetWhen(row, when) => {
                    table.transitions[row.index(rows)].when = *when.get(C::VARIANTS);
                }
                Edit::Swap(a, b) => table.transitions.swap(a.index(rows), b.index(rows)),
                Edit::Duplicate(row, at) => {
                    let copy = table.transitions[row.index(rows)];
                    table.transitions.insert(at.index(rows + 1), copy);
                }
                Edit::Variant(row, when, to) => {
                    let index = row.index(rows);
                    let mut copy = table.transitions[index];
                    copy.when = *when.get(C::VARIANTS);
                    copy.to = *to.get(S::VARIANTS);
                    table.transitions.insert(index + 1, copy);
                }
                Edit::ToggleAuthority(entry, status) => {
                    let count = table.authority.len();
                    let entry = &mut table.authority[entry.index(count)];
                    let status = *status.get(S::VARIANTS);
                    if entry.authorized_in.contains(&status) {
                        entry.authorized_in.retain(|other| *other != status);
                    } else {
                        entry.authorized_in.push(status);
                    }
                }
                Edit::ToggleDeletable(entry, status) => {
                    let count = table.request_types.len();
                    let entry = &mut table.request_types[entry.index(count)];
                    let status = *status.get(S::VARIANTS);
                    if entry.deletable_in.contains(&status) {
                        entry.deletable_in.retain(|other| *other != status);
                    } else {
                        entry.deletable_in.push(status);
                    }
                }
                Edit::DropStatus(status) => {
                    let status = *status.get(S::VARIANTS);
                    table.statuses.retain(|entry| entry.status != status);
                }
            }
        }
        table
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn new_access_follows_its_definition(
            old in prop::collection::vec(edit(), 0..6),
            new in prop::collection::vec(edit(), 0..6),
        ) {
            let (old, new) = (edited(&old), edited(&new));
            let diff = diff(&old, &new);
            let cells: Vec<_> = diff
                .new_access
                .iter()
                .map(|access| (access.status, access.actor, access.operation))
                .collect();
            prop_assert_eq!(&cells, &new_access_by_definition(&old, &new));
            for access in &diff.new_access {
                let start = match access.status {
                    Some(status) => format!("`{}` may now `{}` from `{status}` (", access.actor, access.operation),
                    None => format!("`{}` may now `{}` (", access.actor, access.operation),
                };
                prop_assert!(access.reason.starts_with(&start), "{}", access.reason);
                prop_assert!(access.reason.ends_with(')'), "{}", access.reason);
            }
            prop_assert_eq!(diff.grants_new_access(), !cells.is_empty());
            if diff.is_empty() {
                prop_assert!(new_access_by_definition(&new, &old).is_empty());
            }
            prop_assert!(super::diff(&new, &new).is_empty());
        }
    }

    #[test]
    fn a_longer_reprocess_window_grants_new_access_and_a_shorter_one_does_not() {
        let old = LifecycleTable::builtin();
        let mut new = old.clone();
        new.reprocess_window_days = 30;
        let widened = diff(&old, &new);
        assert_eq!(widened.reprocess_window_days, Some([14, 30]));
        assert!(widened.grants_new_access());
        assert!(
            widened
                .new_access
                .iter()
                .all(|access| access.operation == Operation::Act(ActionKind::Reprocess))
        );
        assert!(widened.new_access.iter().any(|access| {
            access.actor == Actor::Application
                && access.status == Some(RequestStatus::DeliveryFailed)
                && access
                    .reason
                    .contains("reprocess window widened from 14 to 30 days")
        }));
        assert!(
            widened
                .to_text()
                .contains("reprocess window:\n  30 days after the first completion, was 14")
        );
        let narrowed = diff(&new, &old);
        assert!(!narrowed.grants_new_access());
        assert!(!narrowed.is_empty());
    }
}
