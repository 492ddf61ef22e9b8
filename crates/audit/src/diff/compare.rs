//! Comparing rows, statuses, cancelability and authority between two tables.

use entitle_core::{ActionKind, RequestStatus, Transition, VariantArray};

use super::{AuthorityChange, ChangedStatus, ChangedTransition, ReorderedRows};
use crate::actor::Actor;
use crate::table::LifecycleTable;

/// The row differences: added, removed, changed and reordered.
pub(super) struct RowDiff {
    pub(super) added: Vec<Transition>,
    pub(super) removed: Vec<Transition>,
    pub(super) changed: Vec<ChangedTransition>,
    pub(super) reordered: Vec<ReorderedRows>,
}

/// Whether two rows are counterparts in each pass of the pairing, strictest first.
const PAIRINGS: [fn(&Transition, &Transition) -> bool; 3] = [
    |old, new| old == new,
    |old, new| (old.from, old.action, old.when, old.to) == (new.from, new.action, new.when, new.to),
    |old, new| (old.from, old.action, old.when) == (new.from, new.action, new.when),
];

/// For each row of `new`, the index of its counterpart in `old`, if any.
fn pair_rows(old: &[Transition], new: &[Transition]) -> Vec<Option<usize>> {
    let mut taken = vec![false; old.len()];
    let mut pairs: Vec<Option<usize>> = vec![None; new.len()];
    for same in PAIRINGS {
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

pub(super) fn diff_rows(old: &[Transition], new: &[Transition]) -> RowDiff {
    let pairs = pair_rows(old, new);
    let mut added = Vec::new();
    let mut changed = Vec::new();
    for (new_row, pair) in new.iter().zip(&pairs) {
        match pair.and_then(|index| old.get(index)) {
            None => added.push(*new_row),
            Some(old_row) if old_row != new_row => changed.push(ChangedTransition {
                old: *old_row,
                new: *new_row,
            }),
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
        reordered: reordered(old, new, &pairs),
    }
}

/// The groups in which the paired rows of `new` appear in another order than their counterparts.
fn reordered(
    old: &[Transition],
    new: &[Transition],
    pairs: &[Option<usize>],
) -> Vec<ReorderedRows> {
    let mut groups: Vec<(RequestStatus, ActionKind)> =
        new.iter().map(|row| (row.from, row.action)).collect();
    groups.sort_unstable();
    groups.dedup();
    groups
        .into_iter()
        .filter(|&(from, action)| {
            let order: Vec<usize> = new
                .iter()
                .zip(pairs)
                .filter(|(row, _)| row.from == from && row.action == action)
                .filter_map(|(_, pair)| *pair)
                .collect();
            order.windows(2).any(|pair| pair.first() > pair.get(1))
        })
        .map(|(from, action)| {
            let group = |rows: &[Transition]| -> Vec<Transition> {
                rows.iter()
                    .filter(|row| row.from == from && row.action == action)
                    .copied()
                    .collect()
            };
            ReorderedRows {
                from,
                action,
                old: group(old),
                new: group(new),
            }
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
        for &action in ActionKind::VARIANTS {
            let only_in = |table: &LifecycleTable, other: &LifecycleTable| -> Vec<RequestStatus> {
                RequestStatus::VARIANTS
                    .iter()
                    .copied()
                    .filter(|&status| {
                        table.is_authorized(actor, action, status)
                            && !other.is_authorized(actor, action, status)
                    })
                    .collect()
            };
            let added = only_in(new, old);
            if !added.is_empty() {
                widened.push(AuthorityChange {
                    actor,
                    action,
                    statuses: added,
                });
            }
            let removed = only_in(old, new);
            if !removed.is_empty() {
                narrowed.push(AuthorityChange {
                    actor,
                    action,
                    statuses: removed,
                });
            }
        }
    }
    (widened, narrowed)
}
