//! Comparing rows, statuses, cancelability, authority, request types and the assignment table
//! between two tables.

use entitle_core::{
    ActionKind, AssignmentEvent, AssignmentState, AssignmentTransition, Operation, RequestStatus,
    RequestType, Transition, VariantArray,
};

use super::{AuthorityChange, ChangedAssignmentState, ChangedRequestType, ChangedStatus};
use crate::actor::Actor;
use crate::table::LifecycleTable;

/// The row differences: added, removed, changed (old and new) and reordered groups (the group, its
/// rows in OLD, its rows in NEW).
pub(super) struct RowDiff<T, K> {
    pub(super) added: Vec<T>,
    pub(super) removed: Vec<T>,
    pub(super) changed: Vec<(T, T)>,
    pub(super) reordered: Vec<(K, Vec<T>, Vec<T>)>,
}

/// Whether two rows are counterparts in one pass of the pairing.
type Pairing<T> = fn(&T, &T) -> bool;

/// Whether two request rows are counterparts in each pass of the pairing, strictest first.
const PAIRINGS: [Pairing<Transition>; 3] = [
    |old, new| old == new,
    |old, new| (old.from, old.action, old.when, old.to) == (new.from, new.action, new.when, new.to),
    |old, new| (old.from, old.action, old.when) == (new.from, new.action, new.when),
];

/// Whether two assignment rows are counterparts in each pass of the pairing, strictest first.
const ASSIGNMENT_PAIRINGS: [Pairing<AssignmentTransition>; 3] = [
    |old, new| old == new,
    |old, new| (old.from, old.event, old.when, old.to) == (new.from, new.event, new.when, new.to),
    |old, new| (old.from, old.event, old.when) == (new.from, new.event, new.when),
];

/// For each row of `new`, the index of its counterpart in `old`, if any.
fn pair_rows<T>(old: &[T], new: &[T], pairings: &[Pairing<T>]) -> Vec<Option<usize>> {
    let mut taken = vec![false; old.len()];
    let mut pairs: Vec<Option<usize>> = vec![None; new.len()];
    for same in pairings {
        for (new_row, pair) in new.iter().zip(pairs.iter_mut()) {
            if pair.is_some() {
                continue;
            }
            let found = old
                .iter()
                .zip(&taken)
                .position(|(old_row, &is_taken)| !is_taken && same(old_row, new_row));
            if let Some(index) = found {
                *pair = Some(index);
                if let Some(flag) = taken.get_mut(index) {
                    *flag = true;
                }
            }
        }
    }
    pairs
}

/// Pairs the rows of `old` and `new` and sorts them into added, removed, changed and reordered.
fn diff_generic<T: Copy + PartialEq, K: Ord + Copy>(
    old: &[T],
    new: &[T],
    pairings: &[Pairing<T>],
    group: fn(&T) -> K,
) -> RowDiff<T, K> {
    let pairs = pair_rows(old, new, pairings);
    let mut added = Vec::new();
    let mut changed = Vec::new();
    for (new_row, pair) in new.iter().zip(&pairs) {
        match pair.and_then(|index| old.get(index)) {
            None => added.push(*new_row),
            Some(old_row) if old_row != new_row => changed.push((*old_row, *new_row)),
            Some(_) => {}
        }
    }
    let removed = old
        .iter()
        .enumerate()
        .filter(|(index, _)| !pairs.contains(&Some(*index)))
        .map(|(_, row)| *row)
        .collect();
    RowDiff {
        added,
        removed,
        changed,
        reordered: reordered(old, new, &pairs, group),
    }
}

pub(super) fn diff_rows(
    old: &[Transition],
    new: &[Transition],
) -> RowDiff<Transition, (RequestStatus, ActionKind)> {
    diff_generic(old, new, &PAIRINGS, |row| (row.from, row.action))
}

pub(super) fn diff_assignment_rows(
    old: &[AssignmentTransition],
    new: &[AssignmentTransition],
) -> RowDiff<AssignmentTransition, (Option<AssignmentState>, AssignmentEvent)> {
    diff_generic(old, new, &ASSIGNMENT_PAIRINGS, |row| (row.from, row.event))
}

/// The groups in which the paired rows of `new` appear in another order than their counterparts.
fn reordered<T: Copy, K: Ord + Copy>(
    old: &[T],
    new: &[T],
    pairs: &[Option<usize>],
    group: fn(&T) -> K,
) -> Vec<(K, Vec<T>, Vec<T>)> {
    let mut groups: Vec<K> = new.iter().map(group).collect();
    groups.sort_unstable();
    groups.dedup();
    groups
        .into_iter()
        .filter(|&key| {
            let order: Vec<usize> = new
                .iter()
                .zip(pairs)
                .filter(|(row, _)| group(row) == key)
                .filter_map(|(_, pair)| *pair)
                .collect();
            order.windows(2).any(|pair| pair.first() > pair.get(1))
        })
        .map(|key| {
            let rows = |rows: &[T]| -> Vec<T> {
                rows.iter()
                    .filter(|row| group(row) == key)
                    .copied()
                    .collect()
            };
            (key, rows(old), rows(new))
        })
        .collect()
}

pub(super) fn diff_statuses(old: &LifecycleTable, new: &LifecycleTable) -> Vec<ChangedStatus> {
    RequestStatus::VARIANTS
        .iter()
        .filter_map(|&status| {
            let before = old.status(status);
            let after = new.status(status);
            (before != after).then(|| ChangedStatus {
                status,
                old: before.cloned(),
                new: after.cloned(),
            })
        })
        .collect()
}

pub(super) fn diff_request_types(
    old: &LifecycleTable,
    new: &LifecycleTable,
) -> Vec<ChangedRequestType> {
    RequestType::VARIANTS
        .iter()
        .filter_map(|&kind| {
            let before = old.request_type(kind);
            let after = new.request_type(kind);
            (before != after).then(|| ChangedRequestType {
                request_type: kind,
                old: before.cloned(),
                new: after.cloned(),
            })
        })
        .collect()
}

pub(super) fn diff_assignment_states(
    old: &LifecycleTable,
    new: &LifecycleTable,
) -> Vec<ChangedAssignmentState> {
    AssignmentState::VARIANTS
        .iter()
        .filter_map(|&state| {
            let before = old.assignment_state(state);
            let after = new.assignment_state(state);
            (before != after).then(|| ChangedAssignmentState {
                state,
                old: before.cloned(),
                new: after.cloned(),
            })
        })
        .collect()
}

/// The statuses from which `table` has a `cancel` row and `other` has none.
pub(super) fn cancelable_only_in(
    table: &LifecycleTable,
    other: &LifecycleTable,
) -> Vec<RequestStatus> {
    RequestStatus::VARIANTS
        .iter()
        .copied()
        .filter(|&status| table.is_cancelable(status) && !other.is_cancelable(status))
        .collect()
}

pub(super) fn diff_authority(
    old: &LifecycleTable,
    new: &LifecycleTable,
) -> (Vec<AuthorityChange>, Vec<AuthorityChange>) {
    let mut widened = Vec::new();
    let mut narrowed = Vec::new();
    for &actor in Actor::VARIANTS {
        for operation in Operation::all() {
            let only_in = |table: &LifecycleTable, other: &LifecycleTable| -> Vec<RequestStatus> {
                RequestStatus::VARIANTS
                    .iter()
                    .copied()
                    .filter(|&status| {
                        table.is_authorized(actor, operation, status)
                            && !other.is_authorized(actor, operation, status)
                    })
                    .collect()
            };
            let added = only_in(new, old);
            if !added.is_empty() {
                widened.push(AuthorityChange {
                    actor,
                    operation,
                    statuses: added,
                });
            }
            let removed = only_in(old, new);
            if !removed.is_empty() {
                narrowed.push(AuthorityChange {
                    actor,
                    operation,
                    statuses: removed,
                });
            }
        }
    }
    (widened, narrowed)
}
