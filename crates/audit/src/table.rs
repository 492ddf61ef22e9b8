//! The lifecycle as an owned document: what exports write, what `verify` and `diff` load.

use entitle_core::{
    ASSIGNMENT_TRANSITIONS, ActionKind, AssignmentEvent, AssignmentState, AssignmentTransition,
    Condition, Effect, Guid, Operation, PolicyRules, Provenance, REPROCESS_WINDOW_DAYS, Request,
    RequestId, RequestState, RequestStatus, RequestType, Source, Submitter, TRANSITIONS, Timestamp,
    Transition, VariantArray, authorize,
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

/// Who may perform an operation, by the authorization rules alone (not the transition table).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorityEntry {
    /// The kind of caller.
    pub actor: Actor,
    /// The operation.
    pub operation: Operation,
    /// The statuses of the request for which the caller is authorized, in lifecycle order: every
    /// status or none, since authorization never sees the status.
    pub authorized_in: Vec<RequestStatus>,
    /// The rule that authorizes the caller, or why it does not.
    pub rule: String,
    /// Where that rule comes from.
    pub provenance: Provenance,
}

/// What a request type does, who submits it, and when its requests may be deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestTypeEntry {
    /// The type.
    pub request_type: RequestType,
    /// What its requests do to their assignment.
    pub effect: Effect,
    /// Who may submit it.
    pub submitter: Submitter,
    /// Whether it names an existing assignment when submitted.
    pub needs_assignment: bool,
    /// Whether it grants or changes access, so the custom extension at creation applies to it.
    pub grants: bool,
    /// Whether the policy's approval applies to it.
    pub needs_approval: bool,
    /// The statuses, in lifecycle order, from which a request of this type may be deleted.
    pub deletable_in: Vec<RequestStatus>,
    /// Where the type, and who may submit it, comes from.
    pub provenance: Provenance,
}

/// One state of an access package assignment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssignmentStateEntry {
    /// The state.
    pub state: AssignmentState,
    /// Whether the state is meant to absorb: no event moves an assignment out of it.
    pub terminal: bool,
}

/// The assignment a request creates, changes or removes: its states and the moves between them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssignmentTable {
    /// Every state, in member order.
    pub states: Vec<AssignmentStateEntry>,
    /// Every move, in the order rows are tried; `from` is `null` for the row that creates the
    /// assignment.
    pub transitions: Vec<AssignmentTransition>,
}

/// The lifecycle: statuses, transitions, authority, request types and the assignment table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LifecycleTable {
    /// Every status, in lifecycle order.
    pub statuses: Vec<StatusEntry>,
    /// Every transition, in the order rows are tried.
    pub transitions: Vec<Transition>,
    /// Every actor and operation, in actor then operation order.
    pub authority: Vec<AuthorityEntry>,
    /// Every request type, in member order.
    pub request_types: Vec<RequestTypeEntry>,
    /// The assignment's states and moves.
    pub assignment: AssignmentTable,
    /// How many days after its first completion a request may be reprocessed.
    pub reprocess_window_days: u64,
}

/// A request of `kind` in `status`, submitted by [`REQUESTOR`] for themselves, as the core sees it
/// when deciding whether it may be deleted.
fn witness(kind: RequestType, status: RequestStatus) -> Option<Request> {
    let mut request = Request::submit(
        RequestId::new(Guid::from_u128(0x7)),
        REQUESTOR,
        PolicyRules::default(),
        None,
        Timestamp(0),
    )
    .ok()?;
    request.kind = kind;
    request.status = status;
    Some(request)
}

/// The statuses from which the core lets a request of `kind` be deleted.
fn deletable_in(kind: RequestType) -> Vec<RequestStatus> {
    RequestStatus::VARIANTS
        .iter()
        .copied()
        .filter(|&status| witness(kind, status).is_some_and(|request| request.is_deletable()))
        .collect()
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
                Operation::all().into_iter().map(move |operation| {
                    // `authorize` does not take the status: the list is all statuses or none.
                    let decision = authorize(operation, &actor.caller(), actor.parties(operation));
                    AuthorityEntry {
                        actor,
                        operation,
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
                            Ok(authority) => authority.provenance(operation),
                            Err(denial) => denial.provenance(),
                        },
                    }
                })
            })
            .collect();
        let request_types = RequestType::VARIANTS
            .iter()
            .map(|&kind| RequestTypeEntry {
                request_type: kind,
                effect: kind.effect(),
                submitter: kind.submitter(),
                needs_assignment: kind.needs_assignment(),
                grants: kind.grants(),
                needs_approval: kind.needs_approval(),
                deletable_in: deletable_in(kind),
                provenance: kind.provenance(),
            })
            .collect();
        let assignment = AssignmentTable {
            states: AssignmentState::VARIANTS
                .iter()
                .map(|&state| AssignmentStateEntry {
                    state,
                    terminal: state.is_terminal(),
                })
                .collect(),
            transitions: ASSIGNMENT_TRANSITIONS.to_vec(),
        };
        Self {
            statuses,
            transitions: TRANSITIONS.to_vec(),
            authority,
            request_types,
            assignment,
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

    /// The authority entry of `actor` and `operation`, if the table lists it.
    pub fn authority(&self, actor: Actor, operation: Operation) -> Option<&AuthorityEntry> {
        self.authority
            .iter()
            .find(|entry| entry.actor == actor && entry.operation == operation)
    }

    /// Whether `actor` is authorized for `operation` on a request in `status`.
    pub fn is_authorized(&self, actor: Actor, operation: Operation, status: RequestStatus) -> bool {
        self.authority(actor, operation)
            .is_some_and(|entry| entry.authorized_in.contains(&status))
    }

    /// Whether `actor` is authorized for `operation` in some status: the answer for an operation that
    /// does not depend on the status.
    pub fn is_authorized_anywhere(&self, actor: Actor, operation: Operation) -> bool {
        self.authority(actor, operation)
            .is_some_and(|entry| !entry.authorized_in.is_empty())
    }

    /// The entry of `kind`, if the table lists it.
    pub fn request_type(&self, kind: RequestType) -> Option<&RequestTypeEntry> {
        self.request_types
            .iter()
            .find(|entry| entry.request_type == kind)
    }

    /// Whether a request of `kind` in `status` may be deleted, by the table.
    pub fn is_deletable(&self, kind: RequestType, status: RequestStatus) -> bool {
        self.request_type(kind)
            .is_some_and(|entry| entry.deletable_in.contains(&status))
    }

    /// The entry of assignment state `state`, if the table lists it.
    pub fn assignment_state(&self, state: AssignmentState) -> Option<&AssignmentStateEntry> {
        self.assignment
            .states
            .iter()
            .find(|entry| entry.state == state)
    }

    /// The assignment rows for `event` from `from` (`None`: before the assignment exists), in the
    /// order they are tried.
    pub fn assignment_rows(
        &self,
        from: Option<AssignmentState>,
        event: AssignmentEvent,
    ) -> impl Iterator<Item = &AssignmentTransition> + '_ {
        self.assignment
            .transitions
            .iter()
            .filter(move |row| row.from == from && row.event == event)
    }

    /// The Microsoft documents the table cites, in a fixed order.
    pub fn documents(&self) -> Vec<Source> {
        let cited = self
            .statuses
            .iter()
            .flat_map(|entry| [entry.provenance, entry.state_provenance])
            .chain(self.transitions.iter().map(|row| row.provenance))
            .chain(self.authority.iter().map(|entry| entry.provenance))
            .chain(self.request_types.iter().map(|entry| entry.provenance))
            .chain(self.assignment.transitions.iter().map(|row| row.provenance));
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
    use entitle_core::Permission;

    #[test]
    fn builtin_lists_everything_once() {
        let table = LifecycleTable::builtin();
        assert_eq!(table.statuses.len(), RequestStatus::VARIANTS.len());
        assert_eq!(table.transitions.len(), TRANSITIONS.len());
        assert_eq!(
            table.authority.len(),
            Actor::VARIANTS.len() * Operation::all().len()
        );
        assert_eq!(table.request_types.len(), RequestType::VARIANTS.len());
        assert_eq!(
            table.assignment.states.len(),
            AssignmentState::VARIANTS.len()
        );
        assert_eq!(
            table.assignment.transitions.len(),
            ASSIGNMENT_TRANSITIONS.len()
        );
    }

    #[test]
    fn builtin_authority_follows_the_core() {
        let table = LifecycleTable::builtin();
        let cancel = Operation::Act(ActionKind::Cancel);
        assert!(table.is_authorized(Actor::RequestorOwn, cancel, RequestStatus::Accepted));
        assert!(!table.is_authorized(Actor::RequestorOther, cancel, RequestStatus::Accepted));
        assert!(!table.is_authorized(Actor::Application, cancel, RequestStatus::Accepted));
        assert!(table.is_authorized(
            Actor::Application,
            Operation::Act(ActionKind::ResumeDeny),
            RequestStatus::Accepted
        ));
        assert!(table.is_authorized(
            Actor::System,
            Operation::Act(ActionKind::Expire),
            RequestStatus::Delivered
        ));
        assert!(table.is_authorized_anywhere(Actor::CatalogReader, Operation::Get));
        assert!(!table.is_authorized_anywhere(Actor::RequestorOther, Operation::Get));
        assert!(table.is_authorized_anywhere(
            Actor::CatalogOwner,
            Operation::Create(RequestType::AdminAdd)
        ));
        assert!(!table.is_authorized_anywhere(
            Actor::CatalogReader,
            Operation::Create(RequestType::AdminAdd)
        ));
        assert!(table.is_authorized_anywhere(Actor::Approver, Operation::ReadStages));
        assert!(table.is_authorized_anywhere(Actor::AssignmentManager, Operation::Delete));
        let rule = &table
            .authority(Actor::RequestorOwn, Operation::Get)
            .map(|entry| entry.rule.clone());
        assert_eq!(
            rule.as_deref(),
            Some(
                format!(
                    "requestor on own request ({})",
                    Permission::SubjectAccessReadWrite
                )
                .as_str()
            )
        );
        for entry in &table.authority {
            assert!(
                entry.authorized_in.is_empty()
                    || entry.authorized_in.len() == RequestStatus::VARIANTS.len()
            );
        }
    }

    #[test]
    fn builtin_request_types_and_assignment_follow_the_core() {
        let table = LifecycleTable::builtin();
        assert_eq!(
            table
                .request_type(RequestType::UserAdd)
                .map(|entry| entry.deletable_in.clone()),
            Some(vec![
                RequestStatus::Denied,
                RequestStatus::Expired,
                RequestStatus::Canceled
            ])
        );
        assert!(table.is_deletable(RequestType::AdminRemove, RequestStatus::Delivered));
        assert!(!table.is_deletable(RequestType::AdminRemove, RequestStatus::Delivering));
        assert!(
            table
                .assignment_state(AssignmentState::Expired)
                .is_some_and(|entry| entry.terminal)
        );
        assert_eq!(
            table
                .assignment_rows(None, AssignmentEvent::DeliveryStarted)
                .count(),
            1
        );
        let documents = table.documents();
        for source in [
            Source::CancelApi,
            Source::AssignmentResource,
            Source::DeleteApi,
            Source::ListApi,
        ] {
            assert!(documents.contains(&source), "{source:?}");
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
