//! The access package assignment a request creates, changes or removes, and its own small table:
//! [`ASSIGNMENT_TRANSITIONS`].
//!
//! An assignment is not moved by callers: the requests that concern it move it as they are delivered,
//! and its schedule ends it. [`Request::decide`](crate::Request::decide) asks both tables at once.

use core::fmt;

use serde::{Deserialize, Serialize};
use strum::{EnumCount, VariantArray};

use crate::action::ActionKind;
use crate::id::{AssignmentId, RequestId, SubjectId};
use crate::provenance::{Decision, Provenance, Source};
use crate::request::Request;
use crate::request_type::{Effect, RequestType};
use crate::status::RequestStatus;
use crate::table::Transition;
use crate::time::Timestamp;

/// The state of an assignment (`accessPackageAssignmentState` in v1.0), in its member order.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    VariantArray,
    EnumCount,
)]
#[serde(rename_all = "camelCase")]
pub enum AssignmentState {
    /// Access is being assigned.
    Delivering,
    /// Access to some resources could not be assigned.
    PartiallyDelivered,
    /// Access to every resource is assigned.
    Delivered,
    /// The assignment ended: removed, or its schedule ran out.
    Expired,
    /// Access could not be assigned.
    DeliveryFailed,
}

impl AssignmentState {
    /// The v1.0 wire string (lowerCamel).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Delivering => "delivering",
            Self::PartiallyDelivered => "partiallyDelivered",
            Self::Delivered => "delivered",
            Self::Expired => "expired",
            Self::DeliveryFailed => "deliveryFailed",
        }
    }

    /// The beta `assignmentState` string (PascalCase).
    pub const fn beta_str(self) -> &'static str {
        match self {
            Self::Delivering => "Delivering",
            Self::PartiallyDelivered => "PartiallyDelivered",
            Self::Delivered => "Delivered",
            Self::Expired => "Expired",
            Self::DeliveryFailed => "DeliveryFailed",
        }
    }

    /// Whether no event moves an assignment out of this state. Derived from the table.
    pub fn is_terminal(self) -> bool {
        AssignmentEvent::VARIANTS
            .iter()
            .all(|event| assignment_rows(Some(self), *event).next().is_none())
    }
}

impl fmt::Display for AssignmentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to an assignment: a step of a request that concerns it, or its schedule running out.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    VariantArray,
    EnumCount,
)]
#[serde(rename_all = "camelCase")]
pub enum AssignmentEvent {
    /// An adding request starts (or, reprocessed, restarts) delivery.
    DeliveryStarted,
    /// The adding request delivered access to every resource.
    Delivered,
    /// The adding request delivered access to some resources only.
    PartiallyDelivered,
    /// The adding request's delivery failed.
    DeliveryFailed,
    /// An update or extension request was delivered: the new schedule applies.
    Updated,
    /// A removal request was delivered.
    Removed,
    /// The schedule's end passed.
    ScheduleEnded,
}

impl AssignmentEvent {
    /// The event's name in tables.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DeliveryStarted => "deliveryStarted",
            Self::Delivered => "delivered",
            Self::PartiallyDelivered => "partiallyDelivered",
            Self::DeliveryFailed => "deliveryFailed",
            Self::Updated => "updated",
            Self::Removed => "removed",
            Self::ScheduleEnded => "scheduleEnded",
        }
    }
}

impl AssignmentEvent {
    /// The event a request of `kind` causes when `rule` moves it, if any. An adding request drives its
    /// assignment through delivery; a change or a removal acts once fully delivered.
    pub fn caused_by(kind: RequestType, rule: &Transition) -> Option<Self> {
        match (kind.effect(), rule.action, rule.to) {
            (Effect::Add, ActionKind::Deliver, _) => Some(Self::Delivered),
            (Effect::Add, ActionKind::DeliverPartially, _) => Some(Self::PartiallyDelivered),
            (Effect::Add, ActionKind::FailDelivery, _) => Some(Self::DeliveryFailed),
            (Effect::Add, _, RequestStatus::Delivering) => Some(Self::DeliveryStarted),
            (Effect::Update, ActionKind::Deliver, _) => Some(Self::Updated),
            (Effect::Remove, ActionKind::Deliver, _) => Some(Self::Removed),
            _ => None,
        }
    }
}

impl fmt::Display for AssignmentEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A condition on an assignment row.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, VariantArray,
)]
#[serde(rename_all = "camelCase")]
pub enum AssignmentCondition {
    /// Holds always.
    Always,
    /// The schedule has an end and it has been reached.
    EndReached,
}

impl AssignmentCondition {
    /// A short name for table cells.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::EndReached => "endReached",
        }
    }

    /// A clause describing the condition.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Always => "nothing else holds",
            Self::EndReached => "the schedule's end has been reached",
        }
    }

    /// Whether the condition holds for `assignment` at `now`.
    pub fn holds(self, assignment: &Assignment, now: Timestamp) -> bool {
        match self {
            Self::Always => true,
            Self::EndReached => assignment.ends_at.is_some_and(|end| now >= end),
        }
    }
}

/// One row of the assignment table. `from` is `None` for the row that creates the assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentTransition {
    /// The state the assignment is in, or `None` before it exists.
    pub from: Option<AssignmentState>,
    /// What happens.
    pub event: AssignmentEvent,
    /// The condition under which the row applies.
    pub when: AssignmentCondition,
    /// The state the assignment moves to.
    pub to: AssignmentState,
    /// Whether Microsoft documents this move, or entitle decided it.
    pub provenance: Provenance,
}

const fn row(
    from: Option<AssignmentState>,
    event: AssignmentEvent,
    when: AssignmentCondition,
    to: AssignmentState,
    provenance: Provenance,
) -> AssignmentTransition {
    AssignmentTransition {
        from,
        event,
        when,
        to,
        provenance,
    }
}

use AssignmentCondition as C;
use AssignmentEvent as E;
use AssignmentState as S;

const DOC_CREATE: Provenance = Provenance::Documented(Source::CreateApi);
const DOC_RESOURCE: Provenance = Provenance::Documented(Source::AssignmentResource);
const MODEL: Provenance = Provenance::Modelled(Decision::AssignmentLifecycle);

/// Every move of an assignment, by state (`None` first), then event.
#[rustfmt::skip]
pub const ASSIGNMENT_TRANSITIONS: &[AssignmentTransition] = &[
    // An adding request starts delivery: the assignment exists from now on.
    row(None, E::DeliveryStarted, C::Always, S::Delivering, DOC_CREATE),
    // Delivery ends as the adding request's does.
    row(Some(S::Delivering), E::Delivered, C::Always, S::Delivered, MODEL),
    row(Some(S::Delivering), E::PartiallyDelivered, C::Always, S::PartiallyDelivered, MODEL),
    row(Some(S::Delivering), E::DeliveryFailed, C::Always, S::DeliveryFailed, MODEL),
    // Partly or not delivered: the adding request may be reprocessed, or the assignment removed.
    row(Some(S::PartiallyDelivered), E::DeliveryStarted, C::Always, S::Delivering, MODEL),
    row(Some(S::PartiallyDelivered), E::Updated, C::Always, S::PartiallyDelivered, MODEL),
    row(Some(S::PartiallyDelivered), E::Removed, C::Always, S::Expired, MODEL),
    row(Some(S::PartiallyDelivered), E::ScheduleEnded, C::EndReached, S::Expired, DOC_RESOURCE),
    // Delivered: changed, removed, or ended by its schedule.
    row(Some(S::Delivered), E::Updated, C::Always, S::Delivered, DOC_CREATE),
    row(Some(S::Delivered), E::Removed, C::Always, S::Expired, MODEL),
    row(Some(S::Delivered), E::ScheduleEnded, C::EndReached, S::Expired, DOC_RESOURCE),
    row(Some(S::DeliveryFailed), E::DeliveryStarted, C::Always, S::Delivering, MODEL),
    row(Some(S::DeliveryFailed), E::Removed, C::Always, S::Expired, MODEL),
];

/// The rows for `event` from `from`, in the order they are tried.
pub fn assignment_rows(
    from: Option<AssignmentState>,
    event: AssignmentEvent,
) -> impl Iterator<Item = &'static AssignmentTransition> {
    ASSIGNMENT_TRANSITIONS
        .iter()
        .filter(move |row| row.from == from && row.event == event)
}

/// An access package assignment (`accessPackageAssignment`): who it is for, its state and schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Assignment {
    /// The assignment's id.
    pub id: AssignmentId,
    /// Who holds it (`targetId`).
    pub target: SubjectId,
    /// Its state.
    pub state: AssignmentState,
    /// When access starts (`schedule.startDateTime`), if scheduled.
    pub starts_at: Option<Timestamp>,
    /// When access ends (`schedule.expiration.endDateTime`), if it does.
    pub ends_at: Option<Timestamp>,
    /// The request that created it.
    pub created_by: RequestId,
    /// When it ended (`expiredDateTime`).
    pub expired_at: Option<Timestamp>,
}

/// An assignment moved by one event: where it is now and the row that moved it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentStep {
    /// The assignment after the event.
    pub assignment: Assignment,
    /// The row that decided the move.
    pub rule: &'static AssignmentTransition,
}

/// Why an assignment refused to move, or a request could not name it. Nothing changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
pub enum AssignmentRejection {
    /// The request changes or removes an assignment, and none was given.
    #[error("`{assignment}` is not an assignment entitle knows")]
    Missing {
        /// The assignment the request names.
        assignment: AssignmentId,
    },
    /// The assignment given is not the one the request concerns.
    #[error("assignment `{given}` is not the request's assignment `{expected}`")]
    Mismatch {
        /// The request's assignment.
        expected: AssignmentId,
        /// The assignment given.
        given: AssignmentId,
    },
    /// The request is for someone else than the assignment's holder.
    #[error("assignment `{assignment}` is not held by the request's target")]
    NotTheTarget {
        /// The assignment.
        assignment: AssignmentId,
    },
    /// The table has no row for the event from the assignment's state (`None`: no assignment yet).
    #[error("an assignment in state `{}` cannot be `{event}`", state_name(*state))]
    NotAllowed {
        /// The assignment's state.
        state: Option<AssignmentState>,
        /// The event.
        event: AssignmentEvent,
    },
    /// The table has rows for the event, but their condition does not hold yet.
    #[error("an assignment in state `{state}` is `{event}` only once {}", unmet.describe())]
    ConditionNotMet {
        /// The assignment's state.
        state: AssignmentState,
        /// The event.
        event: AssignmentEvent,
        /// The condition of the last row tried.
        unmet: AssignmentCondition,
    },
}

fn state_name(state: Option<AssignmentState>) -> &'static str {
    state.map_or("none", AssignmentState::as_str)
}

impl Assignment {
    /// Moves `current` (the request's assignment, `None` before it exists) by `event` at `now`, for
    /// `request`: creation takes the request's target and schedule, an update its new schedule.
    ///
    /// # Errors
    /// An [`AssignmentRejection`]; nothing changes.
    pub fn apply(
        current: Option<&Self>,
        event: AssignmentEvent,
        request: &Request,
        now: Timestamp,
    ) -> Result<AssignmentStep, AssignmentRejection> {
        if let Some(given) = current
            && given.id != request.assignment
        {
            return Err(AssignmentRejection::Mismatch {
                expected: request.assignment,
                given: given.id,
            });
        }
        let base = match current {
            Some(assignment) => *assignment,
            None if event == AssignmentEvent::DeliveryStarted => Self {
                id: request.assignment,
                target: request.target,
                state: AssignmentState::Delivering,
                starts_at: request.starts_at,
                ends_at: request.ends_at,
                created_by: request.id,
                expired_at: None,
            },
            None => {
                return Err(AssignmentRejection::Missing {
                    assignment: request.assignment,
                });
            }
        };
        let schedule = (event == AssignmentEvent::Updated
            && (request.starts_at.is_some() || request.ends_at.is_some()))
        .then_some((request.starts_at, request.ends_at));
        base.take(
            current.map(|assignment| assignment.state),
            event,
            schedule,
            now,
        )
    }

    /// Ends this assignment by its schedule at `now` ([`AssignmentEvent::ScheduleEnded`]).
    ///
    /// # Errors
    /// An [`AssignmentRejection`] when the schedule has no end yet, or the assignment already ended;
    /// nothing changes.
    pub fn end(&self, now: Timestamp) -> Result<AssignmentStep, AssignmentRejection> {
        self.take(Some(self.state), AssignmentEvent::ScheduleEnded, None, now)
    }

    /// This assignment (in state `from`, `None` before it exists) moved by `event` at `now`, taking
    /// `schedule` when given.
    fn take(
        self,
        from: Option<AssignmentState>,
        event: AssignmentEvent,
        schedule: Option<(Option<Timestamp>, Option<Timestamp>)>,
        now: Timestamp,
    ) -> Result<AssignmentStep, AssignmentRejection> {
        let mut unmet = None;
        for rule in assignment_rows(from, event) {
            if rule.when.holds(&self, now) {
                let mut assignment = self;
                assignment.state = rule.to;
                if let Some((starts_at, ends_at)) = schedule {
                    assignment.starts_at = starts_at;
                    assignment.ends_at = ends_at;
                }
                if rule.to == AssignmentState::Expired {
                    assignment.expired_at = Some(now);
                }
                return Ok(AssignmentStep { assignment, rule });
            }
            unmet = Some(rule.when);
        }
        Err(match (from, unmet) {
            (Some(state), Some(unmet)) => AssignmentRejection::ConditionNotMet {
                state,
                event,
                unmet,
            },
            _ => AssignmentRejection::NotAllowed { state: from, event },
        })
    }

    /// Whether a request may be submitted to cause `event` on this assignment for `target`: the
    /// assignment is the target's, and the table has a row for the event from its state.
    ///
    /// # Errors
    /// An [`AssignmentRejection`].
    pub fn accepts(
        &self,
        event: AssignmentEvent,
        target: SubjectId,
    ) -> Result<(), AssignmentRejection> {
        if self.target != target {
            return Err(AssignmentRejection::NotTheTarget {
                assignment: self.id,
            });
        }
        if assignment_rows(Some(self.state), event).next().is_none() {
            return Err(AssignmentRejection::NotAllowed {
                state: Some(self.state),
                event,
            });
        }
        Ok(())
    }

    /// When the schedule ends this assignment, if it will: the next time it needs the service.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        ASSIGNMENT_TRANSITIONS
            .iter()
            .filter(|row| {
                row.from == Some(self.state) && row.when == AssignmentCondition::EndReached
            })
            .find_map(|_| self.ends_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::Guid;
    use alloc::vec::Vec;

    const TARGET: SubjectId = SubjectId::new(Guid::from_u128(0xb));

    #[test]
    fn condition_names_are_their_serde_names_and_clauses_differ() {
        let clauses: alloc::collections::BTreeSet<_> = AssignmentCondition::VARIANTS
            .iter()
            .map(|condition| condition.describe())
            .collect();
        assert_eq!(clauses.len(), AssignmentCondition::VARIANTS.len());
        assert!(clauses.iter().all(|clause| !clause.is_empty()));
        for condition in AssignmentCondition::VARIANTS {
            assert_eq!(
                serde_json::to_string(condition).unwrap(),
                alloc::format!("\"{}\"", condition.as_str())
            );
        }
    }

    fn request() -> Request {
        Request::submit(
            RequestId::new(Guid::from_u128(0xa)),
            TARGET,
            crate::PolicyRules::default(),
            None,
            Timestamp(0),
        )
        .unwrap()
    }

    #[test]
    fn rows_are_grouped_and_none_repeats() {
        let keys: Vec<_> = ASSIGNMENT_TRANSITIONS
            .iter()
            .map(|row| (row.from, row.event, row.when))
            .collect();
        for (index, key) in keys.iter().enumerate() {
            assert_eq!(keys.iter().filter(|k| *k == key).count(), 1, "row {index}");
        }
        let mut grouped: Vec<_> = keys
            .iter()
            .map(|(from, event, _)| (*from, *event))
            .collect();
        grouped.dedup();
        let mut sorted = grouped.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            grouped.len(),
            sorted.len(),
            "a group's rows are not contiguous"
        );
    }

    #[test]
    fn delivery_creates_the_assignment_and_ends_it_as_the_request_does() {
        let request = request();
        let start = Assignment::apply(
            None,
            AssignmentEvent::DeliveryStarted,
            &request,
            Timestamp(5),
        )
        .unwrap();
        let created = start.assignment;
        assert_eq!(created.id, request.assignment);
        assert_eq!(created.target, TARGET);
        assert_eq!(created.state, AssignmentState::Delivering);
        assert_eq!(created.created_by, request.id);
        assert_eq!(start.rule.provenance, DOC_CREATE);
        let delivered = Assignment::apply(
            Some(&created),
            AssignmentEvent::Delivered,
            &request,
            Timestamp(6),
        )
        .unwrap()
        .assignment;
        assert_eq!(delivered.state, AssignmentState::Delivered);
        let removed = Assignment::apply(
            Some(&delivered),
            AssignmentEvent::Removed,
            &request,
            Timestamp(7),
        )
        .unwrap()
        .assignment;
        assert_eq!(removed.state, AssignmentState::Expired);
        assert_eq!(removed.expired_at, Some(Timestamp(7)));
        assert!(AssignmentState::Expired.is_terminal());
        assert!(!AssignmentState::Delivered.is_terminal());
        assert_eq!(
            Assignment::apply(
                Some(&removed),
                AssignmentEvent::Removed,
                &request,
                Timestamp(8)
            ),
            Err(AssignmentRejection::NotAllowed {
                state: Some(AssignmentState::Expired),
                event: AssignmentEvent::Removed
            })
        );
    }

    #[test]
    fn changes_need_an_assignment_and_the_right_one() {
        let request = request();
        assert_eq!(
            Assignment::apply(None, AssignmentEvent::Removed, &request, Timestamp(0)),
            Err(AssignmentRejection::Missing {
                assignment: request.assignment
            })
        );
        let mut other = Assignment::apply(
            None,
            AssignmentEvent::DeliveryStarted,
            &request,
            Timestamp(0),
        )
        .unwrap()
        .assignment;
        other.id = AssignmentId::new(Guid::from_u128(0xdead));
        assert!(matches!(
            Assignment::apply(
                Some(&other),
                AssignmentEvent::Delivered,
                &request,
                Timestamp(0)
            ),
            Err(AssignmentRejection::Mismatch { .. })
        ));
    }

    #[test]
    fn the_schedule_ends_a_delivered_assignment_at_its_end() {
        let mut request = request();
        request.ends_at = Some(Timestamp(100));
        let mut assignment = Assignment::apply(
            None,
            AssignmentEvent::DeliveryStarted,
            &request,
            Timestamp(0),
        )
        .unwrap()
        .assignment;
        assert_eq!(assignment.next_deadline(), None);
        assignment.state = AssignmentState::Delivered;
        assert_eq!(assignment.next_deadline(), Some(Timestamp(100)));
        assert_eq!(
            Assignment::apply(
                Some(&assignment),
                AssignmentEvent::ScheduleEnded,
                &request,
                Timestamp(99)
            ),
            Err(AssignmentRejection::ConditionNotMet {
                state: AssignmentState::Delivered,
                event: AssignmentEvent::ScheduleEnded,
                unmet: AssignmentCondition::EndReached
            })
        );
        let ended = Assignment::apply(
            Some(&assignment),
            AssignmentEvent::ScheduleEnded,
            &request,
            Timestamp(100),
        )
        .unwrap()
        .assignment;
        assert_eq!(ended.state, AssignmentState::Expired);
        assert_eq!(assignment.end(Timestamp(100)).unwrap().assignment, ended);
        assert!(matches!(
            assignment.end(Timestamp(99)),
            Err(AssignmentRejection::ConditionNotMet { .. })
        ));
        assert!(matches!(
            ended.end(Timestamp(101)),
            Err(AssignmentRejection::NotAllowed { .. })
        ));
        assert_eq!(ended.next_deadline(), None);
    }

    #[test]
    fn an_update_takes_the_new_schedule_and_keeps_the_old_without_one() {
        let mut request = request();
        let mut assignment = Assignment::apply(
            None,
            AssignmentEvent::DeliveryStarted,
            &request,
            Timestamp(0),
        )
        .unwrap()
        .assignment;
        assignment.state = AssignmentState::Delivered;
        assignment.ends_at = Some(Timestamp(50));
        let kept = Assignment::apply(
            Some(&assignment),
            AssignmentEvent::Updated,
            &request,
            Timestamp(1),
        )
        .unwrap()
        .assignment;
        assert_eq!(kept.ends_at, Some(Timestamp(50)));
        request.ends_at = Some(Timestamp(500));
        let extended = Assignment::apply(
            Some(&assignment),
            AssignmentEvent::Updated,
            &request,
            Timestamp(1),
        )
        .unwrap()
        .assignment;
        assert_eq!(extended.ends_at, Some(Timestamp(500)));
        assert_eq!(extended.state, AssignmentState::Delivered);
    }

    #[test]
    fn submissions_check_the_holder_and_the_state() {
        let request = request();
        let mut assignment = Assignment::apply(
            None,
            AssignmentEvent::DeliveryStarted,
            &request,
            Timestamp(0),
        )
        .unwrap()
        .assignment;
        assert!(matches!(
            assignment.accepts(AssignmentEvent::Removed, TARGET),
            Err(AssignmentRejection::NotAllowed { .. })
        ));
        assignment.state = AssignmentState::Delivered;
        assert_eq!(assignment.accepts(AssignmentEvent::Removed, TARGET), Ok(()));
        assert!(matches!(
            assignment.accepts(
                AssignmentEvent::Removed,
                SubjectId::new(Guid::from_u128(0xc))
            ),
            Err(AssignmentRejection::NotTheTarget { .. })
        ));
    }

    #[test]
    fn names_and_messages() {
        use alloc::string::ToString;
        assert_eq!(
            AssignmentState::PartiallyDelivered.to_string(),
            "partiallyDelivered"
        );
        assert_eq!(AssignmentState::DeliveryFailed.beta_str(), "DeliveryFailed");
        assert_eq!(AssignmentEvent::ScheduleEnded.to_string(), "scheduleEnded");
        assert_eq!(
            AssignmentRejection::NotAllowed {
                state: None,
                event: AssignmentEvent::Removed
            }
            .to_string(),
            "an assignment in state `none` cannot be `removed`"
        );
    }
}
