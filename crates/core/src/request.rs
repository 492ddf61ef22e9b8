//! A request and the one function that moves it: [`Request::apply`].

use serde::{Deserialize, Serialize};
use strum::VariantArray;

use crate::action::ActionKind;
use crate::actor::Caller;
use crate::authz::{Authority, authorize};
use crate::error::{InvalidInput, Rejection};
use crate::id::{RequestId, SubjectId};
use crate::policy::Policy;
use crate::status::RequestStatus;
use crate::table::{self, Condition, Transition};
use crate::time::Timestamp;

/// An access package assignment request: its identity, the facts it was submitted under, and where it
/// stands in its lifecycle.
///
/// Deserializing checks the request's invariants ([`Request::check`]), so a stored request that no
/// sequence of actions could produce is refused rather than decided on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "Unchecked")]
pub struct Request {
    /// The request's id.
    pub id: RequestId,
    /// Who the request was submitted by (`requestor`).
    pub requestor: SubjectId,
    /// The policy facts it is processed under.
    pub policy: Policy,
    /// The scheduled start of the assignment (`schedule.startDateTime`), if any.
    pub starts_at: Option<Timestamp>,
    /// The current status.
    pub status: RequestStatus,
    /// When the request was submitted (`createdDateTime`).
    pub created_at: Timestamp,
    /// The current (or last) approval stage, counted from 0.
    pub approval_stage: u8,
    /// When the current approval stage started.
    pub stage_started_at: Option<Timestamp>,
    /// When processing ended (`completedDateTime`); cleared while a reprocess runs.
    pub completed_at: Option<Timestamp>,
    /// When processing first ended; the reprocess window counts from here.
    pub first_completed_at: Option<Timestamp>,
}

/// A request as read from storage, before its invariants are checked.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Unchecked {
    id: RequestId,
    requestor: SubjectId,
    policy: Policy,
    starts_at: Option<Timestamp>,
    status: RequestStatus,
    created_at: Timestamp,
    approval_stage: u8,
    stage_started_at: Option<Timestamp>,
    completed_at: Option<Timestamp>,
    first_completed_at: Option<Timestamp>,
}

impl TryFrom<Unchecked> for Request {
    type Error = InvalidInput;

    fn try_from(fields: Unchecked) -> Result<Self, Self::Error> {
        let request = Self {
            id: fields.id,
            requestor: fields.requestor,
            policy: fields.policy,
            starts_at: fields.starts_at,
            status: fields.status,
            created_at: fields.created_at,
            approval_stage: fields.approval_stage,
            stage_started_at: fields.stage_started_at,
            completed_at: fields.completed_at,
            first_completed_at: fields.first_completed_at,
        };
        request.check()?;
        Ok(request)
    }
}

/// An action and the caller who asks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    /// What is asked.
    pub kind: ActionKind,
    /// Who asks.
    pub by: Caller,
}

impl Action {
    /// `kind` asked for by `by`.
    pub const fn new(kind: ActionKind, by: Caller) -> Self {
        Self { kind, by }
    }

    /// `kind` performed by the service itself.
    pub const fn by_system(kind: ActionKind) -> Self {
        Self::new(kind, Caller::system())
    }
}

/// The result of an accepted action: the request as it is now, and why the move was allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The request after the action.
    pub request: Request,
    /// The status it left.
    pub from: RequestStatus,
    /// The table row that decided the move.
    pub rule: &'static Transition,
    /// The authorization rule that let the caller act.
    pub authority: Authority,
    /// When the action took effect.
    pub at: Timestamp,
}

/// The next time a request needs the service's attention, and what to do then.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deadline {
    /// When the action becomes possible.
    pub at: Timestamp,
    /// The timed action to perform.
    pub action: ActionKind,
}

impl Request {
    /// A request just submitted at `now`: its status is `Accepted` until the service processes it.
    ///
    /// # Errors
    /// [`InvalidInput::ApprovalStages`] when the policy's approval has no stages or more than three.
    pub fn submit(
        id: RequestId,
        requestor: SubjectId,
        policy: Policy,
        starts_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Self, InvalidInput> {
        policy.validate()?;
        Ok(Self {
            id,
            requestor,
            policy,
            starts_at,
            status: RequestStatus::Accepted,
            created_at: now,
            approval_stage: 0,
            stage_started_at: None,
            completed_at: None,
            first_completed_at: None,
        })
    }

    /// Checks the invariants every request reached through [`submit`](Self::submit) and
    /// [`apply`](Self::apply) keeps: a valid policy, approval facts while pending approval, a start
    /// date while waiting for it, a callout while waiting for one, and a completion time exactly when
    /// the status is completed.
    ///
    /// # Errors
    /// [`InvalidInput::InconsistentRequest`] naming the first broken invariant.
    pub fn check(&self) -> Result<(), InvalidInput> {
        use RequestStatus as S;
        self.policy.validate()?;
        let broken = |reason| Err(InvalidInput::InconsistentRequest { reason });
        let pending_approval = matches!(
            self.status,
            S::PendingApproval | S::PendingApprovalEscalated
        );
        match self.policy.approval {
            _ if !pending_approval => {}
            None => return broken("a request pending approval needs an approval policy"),
            Some(_) if self.stage_started_at.is_none() => {
                return broken("a request pending approval needs the start of its stage");
            }
            Some(approval) if self.approval_stage >= approval.stages => {
                return broken("the approval stage is past the policy's last stage");
            }
            Some(_) => {}
        }
        if self.status == S::PendingNotBefore && self.starts_at.is_none() {
            return broken("a request pending its start needs a start date");
        }
        if self.status == S::WaitingForCallback && !self.policy.callout_on_created {
            return broken("a request waiting for a callback needs a custom extension");
        }
        if self.status.is_completed() != self.completed_at.is_some() {
            return broken("a completion time is set exactly when the status is completed");
        }
        if self.completed_at.is_some() && self.first_completed_at.is_none() {
            return broken("a completed request needs its first completion time");
        }
        Ok(())
    }

    /// Decides `action` at `now` and returns the moved request, leaving `self` untouched.
    ///
    /// Authorization is decided first, from the caller and the requestor alone. Then the table's rows
    /// for the current status and the action are tried in order; the first whose condition holds moves
    /// the request.
    ///
    /// # Errors
    /// A [`Rejection`]: not authorized, not allowed from this status, or its condition does not hold.
    pub fn apply(&self, action: &Action, now: Timestamp) -> Result<Step, Rejection> {
        let authority = authorize(action.kind, &action.by, self.requestor)?;
        let mut unmet = None;
        for rule in table::rows(self.status, action.kind) {
            if rule.when.holds(self, now) {
                return Ok(Step {
                    request: self.entered(*rule, now),
                    from: self.status,
                    rule,
                    authority,
                    at: now,
                });
            }
            unmet = Some(rule.when);
        }
        Err(match unmet {
            Some(unmet) => Rejection::ConditionNotMet {
                status: self.status,
                action: action.kind,
                unmet,
            },
            None => Rejection::NotAllowed {
                status: self.status,
                action: action.kind,
            },
        })
    }

    /// Like [`apply`](Self::apply), but moves `self`; on a rejection `self` is unchanged.
    ///
    /// # Errors
    /// As [`apply`](Self::apply).
    pub fn apply_in_place(&mut self, action: &Action, now: Timestamp) -> Result<Step, Rejection> {
        let step = self.apply(action, now)?;
        *self = step.request;
        Ok(step)
    }

    /// Whether `caller` may cancel this request at `now`: what a Cancel button should show.
    pub fn can_cancel(&self, caller: &Caller, now: Timestamp) -> bool {
        self.apply(&Action::new(ActionKind::Cancel, *caller), now)
            .is_ok()
    }

    /// The actions `caller` may perform on this request at `now`, in lifecycle order.
    pub fn permitted_actions<'a>(
        &'a self,
        caller: &'a Caller,
        now: Timestamp,
    ) -> impl Iterator<Item = ActionKind> + 'a {
        ActionKind::VARIANTS
            .iter()
            .copied()
            .filter(move |kind| self.apply(&Action::new(*kind, *caller), now).is_ok())
    }

    /// The earliest timed action the current status waits for, from the table's timed conditions.
    pub fn next_deadline(&self) -> Option<Deadline> {
        table::TRANSITIONS
            .iter()
            .filter(|row| row.from == self.status)
            .filter_map(|row| {
                Some(Deadline {
                    at: row.when.due_at(self)?,
                    action: row.action,
                })
            })
            .min_by_key(|deadline| deadline.at)
    }

    /// The request after `rule` fired at `now`: its new status and the times that status records.
    fn entered(&self, rule: Transition, now: Timestamp) -> Self {
        let mut next = *self;
        next.status = rule.to;
        if rule.to == RequestStatus::PendingApproval {
            next.approval_stage = match rule.when {
                Condition::MoreStagesRemain => self.approval_stage.saturating_add(1),
                _ => 0,
            };
            next.stage_started_at = Some(now);
        }
        if rule.to.is_completed() {
            next.completed_at = Some(now);
            next.first_completed_at = Some(self.first_completed_at.unwrap_or(now));
        } else {
            next.completed_at = None;
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::{Permission, Role};
    use crate::authz::Denial;
    use crate::id::Guid;
    use crate::policy::ApprovalPolicy;
    use crate::time::Duration;
    use alloc::string::ToString;

    const ID: RequestId = RequestId::new(Guid::from_u128(0xa));
    const REQUESTOR: SubjectId = SubjectId::new(Guid::from_u128(0xb));
    const APPROVER: SubjectId = SubjectId::new(Guid::from_u128(0xc));
    const T0: Timestamp = Timestamp(1_700_000_000_000);

    fn two_stage_policy() -> Policy {
        Policy {
            approval: Some(ApprovalPolicy {
                stages: 2,
                decision_timeout: Duration::days(14),
                escalate_after: Some(Duration::days(3)),
            }),
            callout_on_created: false,
        }
    }

    fn submit(policy: Policy, starts_at: Option<Timestamp>) -> Request {
        Request::submit(ID, REQUESTOR, policy, starts_at, T0).unwrap()
    }

    fn requestor() -> Caller {
        Caller::user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite)
    }

    fn approver() -> Caller {
        Caller::user(APPROVER)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::Approver)
    }

    fn system(kind: ActionKind) -> Action {
        Action::by_system(kind)
    }

    #[test]
    fn submission_starts_accepted_and_process_routes_by_policy() {
        let request = submit(Policy::default(), None);
        assert_eq!(request.status, RequestStatus::Accepted);
        assert_eq!(request.created_at, T0);
        let step = request.apply(&system(ActionKind::Process), T0).unwrap();
        assert_eq!(step.request.status, RequestStatus::Delivering);

        let later = submit(Policy::default(), Some(T0.after(Duration::days(1))));
        let step = later.apply(&system(ActionKind::Process), T0).unwrap();
        assert_eq!(step.request.status, RequestStatus::PendingNotBefore);

        let approval = submit(two_stage_policy(), None);
        let step = approval.apply(&system(ActionKind::Process), T0).unwrap();
        assert_eq!(step.request.status, RequestStatus::PendingApproval);
        assert_eq!(step.request.stage_started_at, Some(T0));

        let callout = submit(
            Policy {
                callout_on_created: true,
                ..two_stage_policy()
            },
            None,
        );
        let step = callout.apply(&system(ActionKind::Process), T0).unwrap();
        assert_eq!(step.request.status, RequestStatus::WaitingForCallback);
    }

    #[test]
    fn invalid_policies_are_refused_at_submission() {
        let mut policy = two_stage_policy();
        if let Some(approval) = policy.approval.as_mut() {
            approval.stages = 0;
        }
        assert_eq!(
            Request::submit(ID, REQUESTOR, policy, None, T0),
            Err(InvalidInput::ApprovalStages { stages: 0 })
        );
    }

    #[test]
    fn cancel_moves_to_canceled_and_records_the_completion_time() {
        let mut request = submit(two_stage_policy(), None);
        request
            .apply_in_place(&system(ActionKind::Process), T0)
            .unwrap();
        let at = T0.after(Duration::hours(1));
        let step = request
            .apply(&Action::new(ActionKind::Cancel, requestor()), at)
            .unwrap();
        assert_eq!(step.request.status, RequestStatus::Canceled);
        assert_eq!(step.request.completed_at, Some(at));
        assert_eq!(step.from, RequestStatus::PendingApproval);
        assert_eq!(
            step.authority,
            Authority::OwnRequest(Permission::SubjectAccessReadWrite)
        );
        assert_eq!(step.rule.to, RequestStatus::Canceled);
    }

    #[test]
    fn a_second_cancel_is_rejected_and_changes_nothing() {
        let mut request = submit(Policy::default(), None);
        request
            .apply_in_place(&Action::new(ActionKind::Cancel, requestor()), T0)
            .unwrap();
        let before = request;
        let rejection = request
            .apply_in_place(
                &Action::new(ActionKind::Cancel, requestor()),
                T0.after(Duration(1)),
            )
            .unwrap_err();
        assert_eq!(
            rejection,
            Rejection::NotAllowed {
                status: RequestStatus::Canceled,
                action: ActionKind::Cancel
            }
        );
        assert_eq!(request, before);
    }

    #[test]
    fn authorization_is_decided_before_the_status() {
        let mut request = submit(Policy::default(), None);
        request.status = RequestStatus::Delivered;
        let stranger = Caller::user(APPROVER).with_permission(Permission::SubjectAccessReadWrite);
        let denied = request
            .apply(&Action::new(ActionKind::Cancel, stranger), T0)
            .unwrap_err();
        assert!(matches!(
            denied,
            Rejection::Unauthorized(Denial::MissingPermission { .. })
        ));
    }

    #[test]
    fn stages_advance_until_the_last_approval() {
        let mut request = submit(two_stage_policy(), None);
        request
            .apply_in_place(&system(ActionKind::Process), T0)
            .unwrap();
        let t1 = T0.after(Duration::days(1));
        let step = request
            .apply_in_place(&Action::new(ActionKind::Approve, approver()), t1)
            .unwrap();
        assert_eq!(step.request.status, RequestStatus::PendingApproval);
        assert_eq!(step.rule.when, Condition::MoreStagesRemain);
        assert_eq!(
            (request.approval_stage, request.stage_started_at),
            (1, Some(t1))
        );
        request
            .apply_in_place(&Action::new(ActionKind::Approve, approver()), t1)
            .unwrap();
        assert_eq!(request.status, RequestStatus::Delivering);
        assert_eq!(request.completed_at, None);
    }

    #[test]
    fn timers_wait_for_their_deadlines() {
        let mut request = submit(two_stage_policy(), None);
        request
            .apply_in_place(&system(ActionKind::Process), T0)
            .unwrap();
        let escalation = T0.after(Duration::days(3));
        assert_eq!(
            request.next_deadline(),
            Some(Deadline {
                at: escalation,
                action: ActionKind::Escalate
            })
        );
        let early = request
            .apply(&system(ActionKind::Escalate), T0)
            .unwrap_err();
        assert_eq!(
            early,
            Rejection::ConditionNotMet {
                status: RequestStatus::PendingApproval,
                action: ActionKind::Escalate,
                unmet: Condition::EscalationDue
            }
        );
        request
            .apply_in_place(&system(ActionKind::Escalate), escalation)
            .unwrap();
        assert_eq!(request.status, RequestStatus::PendingApprovalEscalated);
        let expiry = T0.after(Duration::days(14));
        assert_eq!(
            request.next_deadline(),
            Some(Deadline {
                at: expiry,
                action: ActionKind::Expire
            })
        );
        assert!(
            request
                .apply(&system(ActionKind::Expire), expiry.after(Duration(0)))
                .is_ok()
        );
        assert!(
            request
                .apply(&system(ActionKind::Expire), Timestamp(expiry.0 - 1))
                .is_err()
        );
    }

    #[test]
    fn not_before_deadline_is_the_start() {
        let start = T0.after(Duration::days(2));
        let mut request = submit(Policy::default(), Some(start));
        request
            .apply_in_place(&system(ActionKind::Process), T0)
            .unwrap();
        assert_eq!(
            request.next_deadline(),
            Some(Deadline {
                at: start,
                action: ActionKind::ReachStart
            })
        );
        assert!(
            request
                .apply(&system(ActionKind::ReachStart), Timestamp(start.0 - 1))
                .is_err()
        );
        request
            .apply_in_place(&system(ActionKind::ReachStart), start)
            .unwrap();
        assert_eq!(request.status, RequestStatus::Delivering);
        assert_eq!(request.next_deadline(), None);
    }

    #[test]
    fn reprocess_is_open_for_fourteen_days_after_the_first_completion() {
        let admin = Caller::user(APPROVER)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::CatalogOwner);
        let mut request = submit(Policy::default(), None);
        request
            .apply_in_place(&system(ActionKind::Process), T0)
            .unwrap();
        request
            .apply_in_place(&system(ActionKind::FailDelivery), T0)
            .unwrap();
        assert_eq!(request.completed_at, Some(T0));
        let t1 = T0.after(Duration::days(10));
        request
            .apply_in_place(&Action::new(ActionKind::Reprocess, admin), t1)
            .unwrap();
        assert_eq!(request.completed_at, None);
        request
            .apply_in_place(&system(ActionKind::DeliverPartially), t1)
            .unwrap();
        assert_eq!(
            (request.completed_at, request.first_completed_at),
            (Some(t1), Some(T0))
        );
        let last = T0.after(Duration::days(14));
        assert!(
            request
                .apply(&Action::new(ActionKind::Reprocess, admin), last)
                .is_ok()
        );
        let closed = request.apply(
            &Action::new(ActionKind::Reprocess, admin),
            Timestamp(last.0 + 1),
        );
        assert!(matches!(
            closed,
            Err(Rejection::ConditionNotMet {
                unmet: Condition::WithinReprocessWindow,
                ..
            })
        ));
    }

    #[test]
    fn cancel_button_shows_only_for_an_authorized_caller_from_a_cancelable_status() {
        let mut request = submit(Policy::default(), None);
        assert!(request.can_cancel(&requestor(), T0));
        // Someone else without an administrator role may never cancel.
        let stranger = Caller::user(APPROVER).with_permission(Permission::SubjectAccessReadWrite);
        assert!(!request.can_cancel(&stranger, T0));
        // Once delivery starts, no one may cancel.
        request
            .apply_in_place(&system(ActionKind::Process), T0)
            .unwrap();
        assert_eq!(request.status, RequestStatus::Delivering);
        assert!(!request.can_cancel(&requestor(), T0));
    }

    #[test]
    fn permitted_actions_list_what_a_caller_can_do_now() {
        let request = submit(two_stage_policy(), None);
        let actions: alloc::vec::Vec<_> = request.permitted_actions(&requestor(), T0).collect();
        assert_eq!(actions, [ActionKind::Cancel]);
        assert!(request.can_cancel(&requestor(), T0));
        let system: alloc::vec::Vec<_> = request.permitted_actions(&Caller::system(), T0).collect();
        assert_eq!(system, [ActionKind::Process]);
    }

    #[test]
    fn stored_requests_are_checked_when_loaded() {
        let mut request = submit(two_stage_policy(), None);
        request
            .apply_in_place(&system(ActionKind::Process), T0)
            .unwrap();
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), request);

        let mut broken = request;
        broken.stage_started_at = None;
        let json = serde_json::to_string(&broken).unwrap();
        let error = serde_json::from_str::<Request>(&json).unwrap_err();
        assert!(
            error.to_string().contains("needs the start of its stage"),
            "{error}"
        );
    }

    /// A way to break one invariant of a request.
    type Breaks = fn(&mut Request);

    #[test]
    fn every_broken_invariant_is_named() {
        let pending = {
            let mut request = submit(two_stage_policy(), None);
            request
                .apply_in_place(&system(ActionKind::Process), T0)
                .unwrap();
            request
        };
        let cases: [(Breaks, &str); 7] = [
            (|r| r.policy.approval = None, "needs an approval policy"),
            (|r| r.approval_stage = 2, "past the policy's last stage"),
            (
                |r| r.status = RequestStatus::PendingNotBefore,
                "needs a start date",
            ),
            (
                |r| r.status = RequestStatus::WaitingForCallback,
                "needs a custom extension",
            ),
            (
                |r| r.completed_at = Some(T0),
                "exactly when the status is completed",
            ),
            (
                |r| {
                    r.status = RequestStatus::Canceled;
                    r.completed_at = Some(T0);
                },
                "needs its first completion time",
            ),
            (
                |r| {
                    if let Some(approval) = r.policy.approval.as_mut() {
                        approval.stages = 9;
                    }
                },
                "1 to 3 stages",
            ),
        ];
        assert_eq!(pending.check(), Ok(()));
        for (breaks, expected) in cases {
            let mut request = pending;
            breaks(&mut request);
            let error = request.check().unwrap_err().to_string();
            assert!(
                error.contains(expected),
                "{error} should contain {expected}"
            );
        }
    }
}
