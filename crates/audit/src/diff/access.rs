//! New access: the cells in which NEW lets an actor do what OLD did not.

use entitle_core::{
    ActionKind, Condition, Operation, RequestStatus, RequestType, Transition, VariantArray,
};

use super::NewAccess;
use super::text::{condition_list, rows_phrase, situation_phrase};
use crate::actor::Actor;
use crate::matrix::status_independent;
use crate::table::LifecycleTable;

/// Where `rows` lead in the situation where exactly `holding` (and `always`) hold.
fn outcome(rows: &[Transition], holding: &[Condition]) -> Option<RequestStatus> {
    rows.iter()
        .find(|row| row.when == Condition::Always || holding.contains(&row.when))
        .map(|row| row.to)
}

/// Every situation over the conditions of `rows`, smallest first, then in condition order.
pub(super) fn situations<'a>(
    rows: impl IntoIterator<Item = &'a Transition>,
) -> Vec<Vec<Condition>> {
    let mut conditions: Vec<Condition> = rows
        .into_iter()
        .map(|row| row.when)
        .filter(|&when| when != Condition::Always)
        .collect();
    conditions.sort_unstable();
    conditions.dedup();
    let mut all: Vec<Vec<Condition>> = vec![Vec::new()];
    for condition in conditions {
        let with: Vec<Vec<Condition>> = all
            .iter()
            .map(|situation| {
                let mut situation = situation.clone();
                situation.push(condition);
                situation
            })
            .collect();
        all.extend(with);
    }
    all.sort_by_key(Vec::len);
    all
}

/// What changed in the rows from a status for an action that both tables allow, as reason parts:
/// a relaxed guard, new targets and redirected outcomes. Empty when NEW leads nowhere new.
fn row_changes(old: &[Transition], new: &[Transition]) -> Vec<String> {
    let mut parts = Vec::new();
    let has_always = |rows: &[Transition]| rows.iter().any(|row| row.when == Condition::Always);
    if !has_always(old) {
        let was = format!(
            "was only if {}",
            condition_list(old.iter().map(|row| row.when))
        );
        if has_always(new) {
            parts.push(format!("guard relaxed: now unconditional, {was}"));
        } else {
            let extra: Vec<Condition> = new
                .iter()
                .map(|row| row.when)
                .filter(|&when| old.iter().all(|row| row.when != when))
                .collect();
            if !extra.is_empty() {
                parts.push(format!(
                    "guard relaxed: now also if {}, {was}",
                    condition_list(extra)
                ));
            }
        }
    }
    let mut new_targets: Vec<RequestStatus> = Vec::new();
    for row in new {
        if old.iter().all(|earlier| earlier.to != row.to) && !new_targets.contains(&row.to) {
            new_targets.push(row.to);
            let via: Vec<&Transition> = new.iter().filter(|other| other.to == row.to).collect();
            parts.push(format!("new target `{}` via {}", row.to, rows_phrase(via)));
        }
    }
    let mut redirected: Vec<RequestStatus> = Vec::new();
    for situation in situations(old.iter().chain(new)) {
        let (Some(was), Some(now)) = (outcome(old, &situation), outcome(new, &situation)) else {
            continue;
        };
        if was != now && !new_targets.contains(&now) && !redirected.contains(&now) {
            redirected.push(now);
            parts.push(format!(
                "leads to `{now}` instead of `{was}` when {}",
                situation_phrase(&situation)
            ));
        }
    }
    parts
}

/// The live rows of both tables from one status for one action, and what changed in them.
struct Group {
    action: ActionKind,
    before: Vec<Transition>,
    after: Vec<Transition>,
    /// The [`row_changes`], when both tables have rows.
    changes: Vec<String>,
}

impl Group {
    fn new(
        old: &LifecycleTable,
        new: &LifecycleTable,
        status: RequestStatus,
        action: ActionKind,
    ) -> Self {
        let before = old.live_rows(status, action);
        let after = new.live_rows(status, action);
        let changes = if before.is_empty() || after.is_empty() {
            Vec::new()
        } else {
            row_changes(&before, &after)
        };
        Self {
            action,
            before,
            after,
            changes,
        }
    }
}

/// The request types whose requests `table` lets be deleted from `status` (none when it does not
/// list the status), in type order.
fn deletable(table: &LifecycleTable, status: RequestStatus) -> Vec<RequestType> {
    if table.status(status).is_none() {
        return Vec::new();
    }
    RequestType::VARIANTS
        .iter()
        .copied()
        .filter(|&kind| table.is_deletable(kind, status))
        .collect()
}

/// `` `a`, `b` ``.
fn type_list(kinds: &[RequestType]) -> String {
    let names: Vec<String> = kinds.iter().map(|kind| format!("`{kind}`")).collect();
    names.join(", ")
}

/// The new access `actor` gains to `delete` requests in `status`, as the reason's parts.
fn delete_changes(
    old: &LifecycleTable,
    new: &LifecycleTable,
    status: RequestStatus,
    actor: Actor,
) -> Vec<String> {
    let was_authorized = old.is_authorized(actor, Operation::Delete, status);
    if !new.is_authorized(actor, Operation::Delete, status) {
        return Vec::new();
    }
    let before = deletable(old, status);
    let gained: Vec<RequestType> = deletable(new, status)
        .into_iter()
        .filter(|kind| !was_authorized || !before.contains(kind))
        .collect();
    if gained.is_empty() {
        return Vec::new();
    }
    let mut parts = Vec::new();
    if old.status(status).is_none() {
        parts.push(format!("new status `{status}`"));
    }
    if !was_authorized {
        parts.push("authority widened".to_owned());
    }
    let newly: Vec<RequestType> = gained
        .iter()
        .copied()
        .filter(|kind| !before.contains(kind))
        .collect();
    if !newly.is_empty() && old.status(status).is_some() {
        parts.push(format!("newly deletable: {} requests", type_list(&newly)));
    }
    parts
}

pub(super) fn new_access(old: &LifecycleTable, new: &LifecycleTable) -> Vec<NewAccess> {
    let mut found = Vec::new();
    for operation in status_independent() {
        for &actor in Actor::VARIANTS {
            if new.is_authorized_anywhere(actor, operation)
                && !old.is_authorized_anywhere(actor, operation)
            {
                found.push(NewAccess {
                    status: None,
                    actor,
                    operation,
                    reason: format!("`{actor}` may now `{operation}` (authority widened)"),
                });
            }
        }
    }
    let listed =
        |status: RequestStatus| old.status(status).is_some() || new.status(status).is_some();
    for &status in RequestStatus::VARIANTS
        .iter()
        .filter(|&&status| listed(status))
    {
        // The row-level reasons depend on the status and action only: work them out once.
        let groups: Vec<Group> = ActionKind::VARIANTS
            .iter()
            .map(|&action| Group::new(old, new, status, action))
            .collect();
        for &actor in Actor::VARIANTS {
            let parts = delete_changes(old, new, status, actor);
            if !parts.is_empty() {
                found.push(NewAccess {
                    status: Some(status),
                    actor,
                    operation: Operation::Delete,
                    reason: format!(
                        "`{actor}` may now `delete` from `{status}` ({})",
                        parts.join("; ")
                    ),
                });
            }
            for group in &groups {
                let Group {
                    action,
                    before,
                    after,
                    changes,
                } = group;
                let operation = Operation::Act(*action);
                if after.is_empty() || !new.is_authorized(actor, operation, status) {
                    continue;
                }
                let was_authorized = old.is_authorized(actor, operation, status);
                let parts = if was_authorized && !before.is_empty() {
                    let mut parts = changes.clone();
                    if window_widened(old, new, after) {
                        parts.push(format!(
                            "reprocess window widened from {} to {} days",
                            old.reprocess_window_days, new.reprocess_window_days
                        ));
                    }
                    parts
                } else {
                    let mut parts = Vec::new();
                    if old.status(status).is_none() {
                        parts.push(format!("new status `{status}`"));
                    }
                    if !was_authorized {
                        parts.push("authority widened".to_owned());
                    }
                    if before.is_empty() {
                        parts.push(format!("new {}", rows_phrase(after)));
                    }
                    parts
                };
                if !parts.is_empty() {
                    found.push(NewAccess {
                        status: Some(status),
                        actor,
                        operation,
                        reason: format!(
                            "`{actor}` may now `{action}` from `{status}` ({})",
                            parts.join("; ")
                        ),
                    });
                }
            }
        }
    }
    found
}

/// Whether NEW keeps a reprocess window open longer, for rows guarded by it.
fn window_widened(old: &LifecycleTable, new: &LifecycleTable, rows: &[Transition]) -> bool {
    new.reprocess_window_days > old.reprocess_window_days
        && rows
            .iter()
            .any(|row| row.when == Condition::WithinReprocessWindow)
}
