//! The lifecycle as an owned document: what exports write, what `verify` and `diff` load.

use entitle_core::{
    ActionKind, Condition, Provenance, REPROCESS_WINDOW_DAYS, RequestState, RequestStatus, Source,
    TRANSITIONS, Transition, VariantArray, authorize,
};
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, REQUESTOR};

/// One status of the lifecycle and its facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusEntry {
    /// The status.
    pub status: RequestStatus,
    /// The coarse state it reports.
    pub state: RequestState,
    /// Whether processing has ended (`completedDateTime` set).
    pub completed: bool,
    /// Whether the status is meant to absorb: no action leaves it.
    pub terminal: bool,
    /// Where the status value comes from.
    pub provenance: Provenance,
    /// Where its pairing with the state comes from.
    pub state_provenance: Provenance,
}

/// Who may perform an action, by the authorization rules alone (not the transition table).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorityEntry {
    /// The kind of caller.
    pub actor: Actor,
    /// The action.
    pub action: ActionKind,
    /// The statuses of the request for which the caller is authorized, in lifecycle order.
    pub authorized_in: Vec<RequestStatus>,
    /// The rule that authorizes the caller, or why it does not.
    pub rule: String,
    /// Where that rule comes from.
    pub provenance: Provenance,
}

/// The lifecycle: statuses, transitions and authority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LifecycleTable {
    /// Every status, in lifecycle order.
    pub statuses: Vec<StatusEntry>,
    /// Every transition, in the order rows are tried.
    pub transitions: Vec<Transition>,
    /// Every actor and action, in actor then action order.
    pub authority: Vec<AuthorityEntry>,
    /// How many days after its first completion a request may be reprocessed.
    pub reprocess_window_days: u64,
}

impl LifecycleTable {
    /// The table entitle-core decides with.
    pub fn builtin() -> Self {
        let statuses = RequestStatus::VARIANTS
            .iter()
            .map(|&status| StatusEntry {
                status,
                state: status.state(),
                completed: status.is_completed(),
                terminal: status.is_terminal(),
                provenance: status.provenance(),
                state_provenance: status.state_provenance(),
            })
            .collect();
        let authority = Actor::VARIANTS
            .iter()
            .flat_map(|&actor| {
                ActionKind::VARIANTS.iter().map(move |&action| {
                    // `authorize` does not take the status: the list is all statuses or none.
                    let decision = authorize(action, &actor.caller(), REQUESTOR);
                    AuthorityEntry {
                        actor,
                        action,
                        authorized_in: if decision.is_ok() {
                            RequestStatus::VARIANTS.to_vec()
                        } else {
                            Vec::new()
                        },
                        rule: match decision {
                            Ok(authority) => authority.to_string(),
                            Err(denial) => denial.to_string(),
                        },
                        provenance: match decision {
                            Ok(authority) => authority.provenance(action),
                            Err(denial) => denial.provenance(),
                        },
                    }
                })
            })
            .collect();
        Self {
            statuses,
            transitions: TRANSITIONS.to_vec(),
            authority,
            reprocess_window_days: REPROCESS_WINDOW_DAYS,
        }
    }

    /// The rows for `action` from `from`, in the order they are tried.
    pub fn rows(
        &self,
        from: RequestStatus,
        action: ActionKind,
    ) -> impl Iterator<Item = &Transition> + '_ {
        self.transitions
            .iter()
            .filter(move |row| row.from == from && row.action == action)
    }

    /// The rows for `action` from `status` that can ever apply, in the order they are tried: up to the
    /// first unconditional row, skipping rows whose condition an earlier row already has. Empty when
    /// the status is not listed.
    pub fn live_rows(&self, status: RequestStatus, action: ActionKind) -> Vec<Transition> {
        let mut live: Vec<Transition> = Vec::new();
        if self.status(status).is_none() {
            return live;
        }
        for row in self.rows(status, action) {
            if live
                .last()
                .is_some_and(|last| last.when == Condition::Always)
            {
                break;
            }
            if live.iter().all(|earlier| earlier.when != row.when) {
                live.push(*row);
            }
        }
        live
    }

    /// Whether `cancel` has a row from `status`.
    pub fn is_cancelable(&self, status: RequestStatus) -> bool {
        self.rows(status, ActionKind::Cancel).next().is_some()
    }

    /// The entry of `status`, if the table lists it.
    pub fn status(&self, status: RequestStatus) -> Option<&StatusEntry> {
        self.statuses.iter().find(|entry| entry.status == status)
    }

    /// The authority entry of `actor` and `action`, if the table lists it.
    pub fn authority(&self, actor: Actor, action: ActionKind) -> Option<&AuthorityEntry> {
        self.authority
            .iter()
            .find(|entry| entry.actor == actor && entry.action == action)
    }

    /// Whether `actor` is authorized for `action` on a request in `status`.
    pub fn is_authorized(&self, actor: Actor, action: ActionKind, status: RequestStatus) -> bool {
        self.authority(actor, action)
            .is_some_and(|entry| entry.authorized_in.contains(&status))
    }

    /// The Microsoft documents the table cites, in a fixed order.
    pub fn documents(&self) -> Vec<Source> {
        let cited = self
            .statuses
            .iter()
            .flat_map(|entry| [entry.provenance, entry.state_provenance])
            .chain(self.transitions.iter().map(|row| row.provenance))
            .chain(self.authority.iter().map(|entry| entry.provenance));
        let mut sources: Vec<Source> = cited
            .filter_map(|provenance| match provenance {
                Provenance::Documented(source) => Some(source),
                Provenance::Modelled(_) => None,
            })
            .collect();
        sources.sort();
        sources.dedup();
        sources
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_lists_everything_once() {
        let table = LifecycleTable::builtin();
        assert_eq!(table.statuses.len(), RequestStatus::VARIANTS.len());
        assert_eq!(table.transitions.len(), TRANSITIONS.len());
        assert_eq!(
            table.authority.len(),
            Actor::VARIANTS.len() * ActionKind::VARIANTS.len()
        );
    }

    #[test]
    fn builtin_authority_follows_the_core() {
        let table = LifecycleTable::builtin();
        assert!(table.is_authorized(
            Actor::RequestorOwn,
            ActionKind::Cancel,
            RequestStatus::Accepted
        ));
        assert!(!table.is_authorized(
            Actor::RequestorOther,
            ActionKind::Cancel,
            RequestStatus::Accepted
        ));
        assert!(!table.is_authorized(
            Actor::Application,
            ActionKind::Cancel,
            RequestStatus::Accepted
        ));
        assert!(table.is_authorized(
            Actor::Application,
            ActionKind::ResumeDeny,
            RequestStatus::Accepted
        ));
        assert!(table.is_authorized(Actor::System, ActionKind::Expire, RequestStatus::Delivered));
        for entry in &table.authority {
            assert!(
                entry.authorized_in.is_empty()
                    || entry.authorized_in.len() == RequestStatus::VARIANTS.len()
            );
        }
    }

    #[test]
    fn builtin_cancelable_statuses_are_the_documented_four() {
        let table = LifecycleTable::builtin();
        for &status in RequestStatus::VARIANTS {
            assert_eq!(
                table.is_cancelable(status),
                RequestStatus::DOCUMENTED_CANCELABLE.contains(&status)
            );
        }
        assert!(table.documents().contains(&Source::CancelApi));
    }
}
