//! A request and the functions that move it: [`Request::apply`] (the lifecycle table alone) and
//! [`Request::decide`] (the lifecycle table and the assignment table together).

use serde::{Deserialize, Serialize};
use strum::VariantArray;

use crate::action::ActionKind;
use crate::actor::Caller;
use crate::approval::{Review, ReviewDecision, Stage, StageOutcome};
use crate::assignment::{Assignment, AssignmentEvent, AssignmentStep};
use crate::authz::{Authority, authorize};
use crate::callout::Callout;
use crate::error::{InvalidInput, Rejection};
use crate::id::{AssignmentId, RequestId, SubjectId};
use crate::operation::{Operation, Parties};
use crate::policy::{MAX_APPROVAL_STAGES, PolicyRules};
use crate::request_type::{Effect, RequestType};
use crate::status::RequestStatus;
use crate::table::{self, Condition, Transition};
use crate::time::Timestamp;

/// The stages of a request's approval, one slot per stage a policy can have.
pub type Stages = [Stage; MAX_APPROVAL_STAGES as usize];

/// An access package assignment request: its identity, what it asks for, the facts it was submitted
/// under, and where it stands in its lifecycle and its approval.
///
/// Deserializing checks the request's invariants ([`Request::check`]), so a stored request that no
/// sequence of actions could produce is refused rather than decided on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "Unchecked")]
pub struct Request {
    /// The request's id.
    pub id: RequestId,
    /// What it asks for (`requestType`).
    pub kind: RequestType,
    /// Who submitted it (`requestor`).
    pub requestor: SubjectId,
    /// Who the assignment is for (`assignment.targetId`).
    pub target: SubjectId,
    /// The assignment it creates (derived from its id) or changes.
    pub assignment: AssignmentId,
    /// The rules of the policy it is processed under.
    pub rules: PolicyRules,
    /// The scheduled start of the assignment (`schedule.startDateTime`), if any.
    pub starts_at: Option<Timestamp>,
    /// The scheduled end of the assignment (`schedule.expiration.endDateTime`), if any.
    pub ends_at: Option<Timestamp>,
    /// The current status.
    pub status: RequestStatus,
    /// When the request was submitted (`createdDateTime`).
    pub created_at: Timestamp,
    /// The current (or last) approval stage, counted from 0.
    pub approval_stage: u8,
    /// Each approval stage's progress; slots past the policy's stages stay not started.
    pub stages: Stages,
    /// When processing ended (`completedDateTime`); cleared while a reprocess runs.
    pub completed_at: Option<Timestamp>,
    /// When processing first ended; the reprocess window counts from here.
    pub first_completed_at: Option<Timestamp>,
    /// The call to the policy's custom extension, once the request made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callout: Option<Callout>,
}

/// A request as read from storage, before its invariants are checked.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Unchecked {
    id: RequestId,
    kind: RequestType,
    requestor: SubjectId,
    target: SubjectId,
    assignment: AssignmentId,
    rules: PolicyRules,
    starts_at: Option<Timestamp>,
    ends_at: Option<Timestamp>,
    status: RequestStatus,
    created_at: Timestamp,
    approval_stage: u8,
    stages: Stages,
    completed_at: Option<Timestamp>,
    first_completed_at: Option<Timestamp>,
    #[serde(default)]
    callout: Option<Callout>,
}

impl TryFrom<Unchecked> for Request {
    type Error = InvalidInput;

    fn try_from(fields: Unchecked) -> Result<Self, Self::Error> {
        let request = Self {
            id: fields.id,
            kind: fields.kind,
            requestor: fields.requestor,
            target: fields.target,
            assignment: fields.assignment,
            rules: fields.rules,
            starts_at: fields.starts_at,
            ends_at: fields.ends_at,
            status: fields.status,
            created_at: fields.created_at,
            approval_stage: fields.approval_stage,
            stages: fields.stages,
            completed_at: fields.completed_at,
            first_completed_at: fields.first_completed_at,
            callout: fields.callout,
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

/// The result of an accepted action: the request as it is now, the row that moved it and the rule that
/// let the caller act. Everything else about the move derives from these three
/// ([`from`](Self::from), [`effect`](Self::effect), [`reviewed`](Self::reviewed)), so a step is no
/// larger than the request it carries and a pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The request after the action.
    pub request: Request,
    /// The table row that decided the move.
    pub rule: &'static Transition,
    /// The authorization rule that let the caller act.
    pub authority: Authority,
}

impl Step {
    /// The status the request left.
    pub const fn from(&self) -> RequestStatus {
        self.rule.from
    }

    /// What the move does to the request's assignment, if anything.
    pub fn effect(&self) -> Option<AssignmentEvent> {
        AssignmentEvent::caused_by(self.request.kind, self.rule)
    }

    /// The approval stage the action reviewed, if it was a review: the stage before the move, which
    /// is the one before the current stage when the review moved the request on to the next.
    pub fn reviewed(&self) -> Option<u8> {
        ReviewDecision::of(self.rule.action)?;
        Some(match self.rule.when {
            Condition::MoreStagesRemain => self.request.approval_stage.saturating_sub(1),
            _ => self.request.approval_stage,
        })
    }
}

/// An action decided by both tables ([`Request::decide`]): the request's step, when it took effect,
/// and the assignment as the move left it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decided {
    /// The request's move.
    pub step: Step,
    /// When the action took effect.
    pub at: Timestamp,
    /// The assignment as the move left it, when the move has an [effect](Step::effect) on it.
    pub assignment: Option<AssignmentStep>,
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

/// A way the request's fields can contradict each other, as [`Request::check`] names it.
fn broken(reason: &'static str) -> Result<(), InvalidInput> {
    Err(InvalidInput::InconsistentRequest { reason })
}

impl Request {
    /// A `userAdd` request that `requestor` submitted for themselves at `now`: its status is `Accepted`
    /// until the service processes it. (To submit any type as a given caller, see
    /// [`Request::create`].)
    ///
    /// # Errors
    /// [`InvalidInput::ApprovalStages`] when the policy's approval has no stages or more than three.
    pub fn submit(
        id: RequestId,
        requestor: SubjectId,
        rules: PolicyRules,
        starts_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Self, InvalidInput> {
        Self::submitted(
            id,
            RequestType::UserAdd,
            Parties::own(requestor),
            AssignmentId::for_request(id),
            rules,
            (starts_at, None),
            now,
        )
    }

    /// A request of `kind` as just submitted, before the service processes it.
    pub(crate) fn submitted(
        id: RequestId,
        kind: RequestType,
        parties: Parties,
        assignment: AssignmentId,
        rules: PolicyRules,
        (starts_at, ends_at): (Option<Timestamp>, Option<Timestamp>),
        now: Timestamp,
    ) -> Result<Self, InvalidInput> {
        rules.validate()?;
        Ok(Self {
            id,
            kind,
            requestor: parties.requestor,
            target: parties.target,
            assignment,
            rules,
            starts_at,
            ends_at,
            status: RequestStatus::Accepted,
            created_at: now,
            approval_stage: 0,
            stages: Stages::default(),
            completed_at: None,
            first_completed_at: None,
            callout: None,
        })
    }

    /// The people the request concerns.
    pub const fn parties(&self) -> Parties {
        Parties {
            requestor: self.requestor,
            target: self.target,
        }
    }

    /// Checks the invariants every request reached through [`submit`](Self::submit),
    /// [`create`](Self::create) and [`apply`](Self::apply) keeps.
    ///
    /// # Errors
    /// [`InvalidInput::InconsistentRequest`] naming the first broken invariant.
    pub fn check(&self) -> Result<(), InvalidInput> {
        use RequestStatus as S;
        self.rules.validate()?;
        let pending = self.status.is_pending_approval();
        let count = self.approval_stages();
        if pending && count == 0 {
            return broken("a request pending approval needs an approval policy");
        }
        if pending && self.approval_stage >= count {
            return broken("the approval stage is past the policy's last stage");
        }
        self.check_stages(pending, count)?;
        if self.status == S::PendingNotBefore && self.starts_at.is_none() {
            return broken("a request pending its start needs a start date");
        }
        if self.status == S::WaitingForCallback && !self.rules.callout_on_created {
            return broken("a request waiting for a callback needs a custom extension");
        }
        if self.callout.is_some() && !self.rules.callout_on_created {
            return broken("only a request whose policy has a custom extension makes a callout");
        }
        let unanswered = self
            .callout
            .is_some_and(|callout| callout.resumed_at.is_none());
        if (self.status == S::WaitingForCallback) != unanswered {
            return broken(
                "a request waits for a callback exactly while its callout is unanswered",
            );
        }
        if self.status.is_completed() != self.completed_at.is_some() {
            return broken("a completion time is set exactly when the status is completed");
        }
        if self.completed_at.is_some() && self.first_completed_at.is_none() {
            return broken("a completed request needs its first completion time");
        }
        if self.kind.effect() == Effect::Add
            && self.assignment != AssignmentId::for_request(self.id)
        {
            return broken("an adding request creates the assignment derived from its id");
        }
        Ok(())
    }

    /// The stages' part of [`check`](Self::check).
    fn check_stages(&self, pending: bool, count: u8) -> Result<(), InvalidInput> {
        for (index, stage) in (0..MAX_APPROVAL_STAGES).zip(&self.stages) {
            let started = stage.started_at.is_some();
            if (index >= count || (pending && index > self.approval_stage))
                && *stage != Stage::default()
            {
                return broken("a stage the request has not reached has progress");
            }
            if !started && (stage.escalated || stage.outcome.is_some()) {
                return broken("a stage that has not started has progress");
            }
            let in_progress = started && stage.outcome.is_none();
            if in_progress != (pending && index == self.approval_stage) {
                return broken(
                    "exactly the current stage of a request pending approval is in progress",
                );
            }
            let approved = matches!(stage.outcome, Some(StageOutcome::Reviewed(review)) if review.decision == ReviewDecision::Approve);
            if pending && index < self.approval_stage && !approved {
                return broken("the stages before the current one are approved");
            }
        }
        if pending {
            let escalated = self
                .stage(self.approval_stage)
                .is_some_and(|stage| stage.escalated);
            if escalated != (self.status == RequestStatus::PendingApprovalEscalated) {
                return broken("the current stage escalated exactly when the request did");
            }
        }
        Ok(())
    }

    /// Decides `action` at `now` by the lifecycle table alone and returns the moved request, leaving
    /// `self` untouched. [`Step::effect`] says what the move does to the request's assignment;
    /// [`decide`](Self::decide) also moves the assignment.
    ///
    /// Authorization is decided first, from the caller and the request's parties alone. Then the
    /// table's rows for the current status and the action are tried in order; the first whose
    /// condition holds moves the request. A review (`approve`, `deny`) is refused unless the caller
    /// may review the current stage now.
    ///
    /// # Errors
    /// A [`Rejection`]: not authorized, not allowed from this status, the stage is not the caller's to
    /// review, or the row's condition does not hold.
    pub fn apply(&self, action: &Action, now: Timestamp) -> Result<Step, Rejection> {
        let (rule, authority) = self.ruling(action.kind, &action.by, now)?;
        let mut step = Step {
            request: *self,
            rule,
            authority,
        };
        step.request.enter(*rule, action.kind, action.by.id, now);
        Ok(step)
    }

    /// The row that moves the request for `kind` asked by `by` at `now`, and the rule that lets `by`
    /// ask: [`apply`](Self::apply)'s whole decision, without building the moved request. Always
    /// inlined: a caller that names the action gets a decision specialised to it, and a rejection is
    /// written once, where the caller returns it, rather than copied out of a temporary (a profile
    /// showed that copy stalling on store forwarding for longer than the whole decision took).
    #[expect(
        clippy::inline_always,
        reason = "measured: `just profile-decision apply cancel delivered`"
    )]
    #[inline(always)]
    fn ruling(
        &self,
        kind: ActionKind,
        by: &Caller,
        now: Timestamp,
    ) -> Result<(&'static Transition, Authority), Rejection> {
        let authority = authorize(Operation::Act(kind), by, self.parties())?;
        let rows = table::rows(self.status, kind);
        let Some(last) = rows.last() else {
            return Err(Rejection::NotAllowed {
                status: self.status,
                action: kind,
            });
        };
        if ReviewDecision::of(kind).is_some() {
            self.reviewer_of(self.approval_stage, by)?;
        }
        rows.iter()
            .find(|rule| rule.when == Condition::Always || rule.when.holds(self, now))
            .map(|rule| (rule, authority))
            .ok_or(Rejection::ConditionNotMet {
                status: self.status,
                action: kind,
                unmet: last.when,
            })
    }

    /// Decides `action` at `now` by both tables: the lifecycle's for the request, the assignment's for
    /// the move's effect on `assignment` (the request's assignment as it is, `None` before it exists).
    /// If the assignment refuses, the action is refused.
    ///
    /// # Errors
    /// As [`apply`](Self::apply), or [`Rejection::Assignment`].
    pub fn decide(
        &self,
        action: &Action,
        assignment: Option<&Assignment>,
        now: Timestamp,
    ) -> Result<Decided, Rejection> {
        let step = self.apply(action, now)?;
        let assignment = match step.effect() {
            Some(event) => Some(Assignment::apply(assignment, event, &step.request, now)?),
            None => None,
        };
        Ok(Decided {
            step,
            at: now,
            assignment,
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
    ///
    /// The same answer as `apply` of `cancel` being accepted, with the least work first: a status the
    /// table has no `cancel` row from answers `false` from one bit test, before any authorization, and
    /// no moved request is ever built.
    #[inline]
    pub fn can_cancel(&self, caller: &Caller, now: Timestamp) -> bool {
        table::has_cancel_row(self.status) && self.may_cancel(caller, now)
    }

    /// [`can_cancel`](Self::can_cancel) past its bit test: the decision specialised to `cancel`.
    fn may_cancel(&self, caller: &Caller, now: Timestamp) -> bool {
        self.ruling(ActionKind::Cancel, caller, now).is_ok()
    }

    /// Whether `apply` of `kind` by `caller` at `now` would be accepted.
    fn may(&self, kind: ActionKind, caller: &Caller, now: Timestamp) -> bool {
        self.ruling(kind, caller, now).is_ok()
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
            .filter(move |kind| self.may(*kind, caller, now))
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

    /// When the request itself expires if nobody acts first: the instant its `expire` row falls due
    /// (an approval stage's decision timeout), `None` when no such row applies now. Beta shows it as
    /// `expirationDateTime` (D23).
    pub fn expires_at(&self) -> Option<Timestamp> {
        table::TRANSITIONS
            .iter()
            .filter(|row| row.from == self.status && row.action == ActionKind::Expire)
            .filter_map(|row| row.when.due_at(self))
            .min()
    }

    /// Whether the request may be deleted: its processing ended, and it never created an assignment
    /// ("a denied or completed request" without "any accessPackageAssignment objects"). An adding
    /// request that started delivery created one, even if delivery failed.
    pub fn is_deletable(&self) -> bool {
        let created_assignment = self.kind.effect() == Effect::Add
            && matches!(
                self.status,
                RequestStatus::Delivered
                    | RequestStatus::PartiallyDelivered
                    | RequestStatus::DeliveryFailed
            );
        self.status.is_completed() && !created_assignment
    }

    /// Decides whether `caller` may delete the request (`DELETE …/assignmentRequests/{id}`):
    /// authorization first, then [`is_deletable`](Self::is_deletable).
    ///
    /// # Errors
    /// [`Rejection::Unauthorized`] or [`Rejection::NotDeletable`].
    pub fn delete(&self, caller: &Caller) -> Result<Authority, Rejection> {
        let authority = authorize(Operation::Delete, caller, self.parties())?;
        if self.is_deletable() {
            Ok(authority)
        } else {
            Err(Rejection::NotDeletable {
                status: self.status,
            })
        }
    }

    /// Moves the request by `rule`, fired for `kind` asked by `by` at `now`: its new status, its
    /// stages, and the times that status records. Done in place, on the copy a [`Step`] returns.
    fn enter(&mut self, rule: Transition, kind: ActionKind, by: SubjectId, now: Timestamp) {
        let from = self.status;
        if from.is_pending_approval()
            && let Some(stage) = self.stages.get_mut(usize::from(self.approval_stage))
        {
            match (ReviewDecision::of(kind), kind) {
                (Some(decision), _) => {
                    stage.outcome = Some(StageOutcome::Reviewed(Review {
                        decision,
                        by,
                        at: now,
                    }));
                }
                (None, ActionKind::Escalate) => stage.escalated = true,
                (None, ActionKind::Expire) => {
                    stage.outcome = Some(StageOutcome::Expired { at: now });
                }
                (None, ActionKind::Cancel) => {
                    stage.outcome = Some(StageOutcome::Canceled { at: now });
                }
                (None, _) => {}
            }
        }
        self.status = rule.to;
        self.callout = self.callout_after(from, now);
        if rule.to == RequestStatus::PendingApproval {
            self.approval_stage = match rule.when {
                Condition::MoreStagesRemain => self.approval_stage.saturating_add(1),
                _ => 0,
            };
            if let Some(stage) = self.stages.get_mut(usize::from(self.approval_stage)) {
                *stage = Stage::starting(now);
            }
        }
        if rule.to.is_completed() {
            self.completed_at = Some(now);
            self.first_completed_at = Some(self.first_completed_at.unwrap_or(now));
        } else {
            self.completed_at = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::{Permission, Role};
    use crate::approval::{StageRejection, StageStatus};
    use crate::assignment::{AssignmentRejection, AssignmentState};
    use crate::authz::Denial;
    use crate::id::Guid;
    use crate::policy::ApprovalRules;
    use crate::time::Duration;
    use alloc::string::ToString;

    const ID: RequestId = RequestId::new(Guid::from_u128(0xa));
    const REQUESTOR: SubjectId = SubjectId::new(Guid::from_u128(0xb));
    const APPROVER: SubjectId = SubjectId::new(Guid::from_u128(0xc));
    const T0: Timestamp = Timestamp(1_700_000_000_000);

    fn two_stage_policy() -> PolicyRules {
        PolicyRules {
            approval: Some(ApprovalRules {
                stages: 2,
                decision_timeout: Duration::days(14),
                escalate_after: Some(Duration::days(3)),
            }),
            callout_on_created: false,
        }
    }

    fn submit(rules: PolicyRules, starts_at: Option<Timestamp>) -> Request {
        Request::submit(ID, REQUESTOR, rules, starts_at, T0).unwrap()
    }

    fn requestor() -> Caller {
        Caller::user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite)
    }

    fn approver() -> Caller {
        Caller::user(APPROVER)
            .with_permission(Permission::ReadWriteAll)
            .approving(0)
            .approving(1)
    }

    fn system(kind: ActionKind) -> Action {
        Action::by_system(kind)
    }

    fn pending(rules: PolicyRules) -> Request {
        let mut request = submit(rules, None);
        request
            .apply_in_place(&system(ActionKind::Process), T0)
            .unwrap();
        request
    }

    #[test]
    fn submission_starts_accepted_and_process_routes_by_policy() {
        let request = submit(PolicyRules::default(), None);
        assert_eq!(request.status, RequestStatus::Accepted);
        assert_eq!(request.created_at, T0);
        assert_eq!(request.kind, RequestType::UserAdd);
        assert_eq!(request.parties(), Parties::own(REQUESTOR));
        let step = request.apply(&system(ActionKind::Process), T0).unwrap();
        assert_eq!(step.request.status, RequestStatus::Delivering);
        assert_eq!(step.effect(), Some(AssignmentEvent::DeliveryStarted));

        let later = submit(PolicyRules::default(), Some(T0.after(Duration::days(1))));
        let step = later.apply(&system(ActionKind::Process), T0).unwrap();
        assert_eq!(step.request.status, RequestStatus::PendingNotBefore);
        assert_eq!(step.effect(), None);

        let step = pending(two_stage_policy());
        assert_eq!(step.status, RequestStatus::PendingApproval);
        assert_eq!(step.stage_started_at(), Some(T0));

        let callout = submit(
            PolicyRules {
                callout_on_created: true,
                ..two_stage_policy()
            },
            None,
        );
        let step = callout.apply(&system(ActionKind::Process), T0).unwrap();
        assert_eq!(step.request.status, RequestStatus::WaitingForCallback);
    }

    #[test]
    fn approval_and_the_callout_apply_only_to_the_types_they_are_for() {
        let rules = PolicyRules {
            callout_on_created: true,
            ..two_stage_policy()
        };
        let mut request = submit(rules, None);
        request.kind = RequestType::AdminAdd;
        let step = request.apply(&system(ActionKind::Process), T0).unwrap();
        assert_eq!(step.request.status, RequestStatus::WaitingForCallback);
        let app = Caller::application(APPROVER).with_permission(Permission::ReadWriteAll);
        let resumed = step
            .request
            .apply(&Action::new(ActionKind::ResumeContinue, app), T0)
            .unwrap();
        // A direct assignment is not approved.
        assert_eq!(resumed.request.status, RequestStatus::Delivering);
        request.kind = RequestType::AdminRemove;
        let step = request.apply(&system(ActionKind::Process), T0).unwrap();
        // A removal neither pauses for the extension nor waits for approval.
        assert_eq!(step.request.status, RequestStatus::Delivering);
        assert_eq!(step.effect(), None);
    }

    #[test]
    fn a_step_is_its_request_a_row_and_an_authority() {
        use core::mem::{align_of, size_of};
        let parts = size_of::<Request>() + size_of::<&Transition>() + size_of::<Authority>();
        let padded = parts.next_multiple_of(align_of::<Step>());
        assert_eq!(size_of::<Step>(), padded);
    }

    #[test]
    fn cancel_moves_to_canceled_and_records_the_completion_time() {
        let request = pending(two_stage_policy());
        let at = T0.after(Duration::hours(1));
        let step = request
            .apply(&Action::new(ActionKind::Cancel, requestor()), at)
            .unwrap();
        assert_eq!(step.request.status, RequestStatus::Canceled);
        assert_eq!(step.request.completed_at, Some(at));
        assert_eq!(step.from(), RequestStatus::PendingApproval);
        assert_eq!(
            step.authority,
            Authority::OwnRequest(Permission::SubjectAccessReadWrite)
        );
        assert_eq!(step.rule.to, RequestStatus::Canceled);
        let stage = step.request.stage(0).unwrap();
        assert_eq!(stage.status(), StageStatus::Canceled);
        assert_eq!(stage.outcome, Some(StageOutcome::Canceled { at }));
        assert_eq!(step.request.check(), Ok(()));
    }

    #[test]
    fn a_second_cancel_is_rejected_and_changes_nothing() {
        let mut request = submit(PolicyRules::default(), None);
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
        let mut request = submit(PolicyRules::default(), None);
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
    fn stages_advance_until_the_last_approval_and_record_each_review() {
        let mut request = pending(two_stage_policy());
        let t1 = T0.after(Duration::days(1));
        let step = request
            .apply_in_place(&Action::new(ActionKind::Approve, approver()), t1)
            .unwrap();
        assert_eq!(step.request.status, RequestStatus::PendingApproval);
        assert_eq!(step.rule.when, Condition::MoreStagesRemain);
        assert_eq!(step.reviewed(), Some(0));
        assert_eq!(
            (request.approval_stage, request.stage_started_at()),
            (1, Some(t1))
        );
        assert_eq!(
            request.stage(0).and_then(Stage::review),
            Some(Review {
                decision: ReviewDecision::Approve,
                by: APPROVER,
                at: t1
            })
        );
        let step = request
            .apply_in_place(&Action::new(ActionKind::Approve, approver()), t1)
            .unwrap();
        assert_eq!(step.reviewed(), Some(1));
        assert_eq!(request.status, RequestStatus::Delivering);
        assert_eq!(request.completed_at, None);
        assert_eq!(request.check(), Ok(()));
    }

    #[test]
    fn only_an_approver_of_the_current_stage_reviews_it() {
        let request = pending(two_stage_policy());
        let second_only = Caller::user(APPROVER)
            .with_permission(Permission::ReadWriteAll)
            .approving(1);
        assert_eq!(
            request.apply(&Action::new(ActionKind::Approve, second_only), T0),
            Err(Rejection::Stage(StageRejection::NotAssigned { stage: 0 }))
        );
        let alternate = Caller::user(APPROVER)
            .with_permission(Permission::ReadWriteAll)
            .approving_when_escalated(0);
        assert_eq!(
            request.apply(&Action::new(ActionKind::Deny, alternate), T0),
            Err(Rejection::Stage(StageRejection::NotEscalated { stage: 0 }))
        );
        let escalated = request
            .apply(&system(ActionKind::Escalate), T0.after(Duration::days(3)))
            .unwrap()
            .request;
        let step = escalated
            .apply(
                &Action::new(ActionKind::Deny, alternate),
                T0.after(Duration::days(4)),
            )
            .unwrap();
        assert_eq!(step.request.status, RequestStatus::Denied);
        assert!(step.request.stage(0).is_some_and(|stage| stage.escalated));
        assert_eq!(step.request.check(), Ok(()));
    }

    #[test]
    fn timers_wait_for_their_deadlines() {
        let mut request = pending(two_stage_policy());
        let escalation = T0.after(Duration::days(3));
        // The request itself expires at the decision timeout, whatever falls due first.
        assert_eq!(request.expires_at(), Some(T0.after(Duration::days(14))));
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
        let expired = request.apply(&system(ActionKind::Expire), expiry).unwrap();
        assert_eq!(
            expired.request.stage(0).map(Stage::status),
            Some(StageStatus::Expired)
        );
        // Expired, the request waits for no timeout, though its stage started.
        assert_eq!(expired.request.expires_at(), None);
        assert!(
            request
                .apply(&system(ActionKind::Expire), Timestamp(expiry.0 - 1))
                .is_err()
        );
    }

    #[test]
    fn not_before_deadline_is_the_start() {
        let start = T0.after(Duration::days(2));
        let mut request = submit(PolicyRules::default(), Some(start));
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
        assert_eq!(request.expires_at(), None);
    }

    #[test]
    fn reprocess_is_open_for_fourteen_days_after_the_first_completion() {
        let admin = Caller::user(APPROVER)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::CatalogOwner);
        let mut request = submit(PolicyRules::default(), None);
        request
            .apply_in_place(&system(ActionKind::Process), T0)
            .unwrap();
        request
            .apply_in_place(&system(ActionKind::FailDelivery), T0)
            .unwrap();
        assert_eq!(request.completed_at, Some(T0));
        let t1 = T0.after(Duration::days(10));
        let step = request
            .apply_in_place(&Action::new(ActionKind::Reprocess, admin), t1)
            .unwrap();
        assert_eq!(step.effect(), Some(AssignmentEvent::DeliveryStarted));
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
    fn decide_moves_the_assignment_with_the_request() {
        let request = submit(PolicyRules::default(), None);
        let decided = request
            .decide(&system(ActionKind::Process), None, T0)
            .unwrap();
        assert_eq!(decided.at, T0);
        let step = decided.step;
        let created = decided.assignment.unwrap().assignment;
        assert_eq!(created.state, AssignmentState::Delivering);
        assert_eq!(created.id, request.assignment);
        let delivered = step
            .request
            .decide(&system(ActionKind::Deliver), Some(&created), T0)
            .unwrap();
        let assignment = delivered.assignment.unwrap().assignment;
        assert_eq!(assignment.state, AssignmentState::Delivered);
        // The same delivery without the assignment that exists is refused, and changes nothing.
        assert!(matches!(
            step.request.decide(&system(ActionKind::Deliver), None, T0),
            Err(Rejection::Assignment(AssignmentRejection::Missing { .. }))
        ));
        // Without an effect, the assignment is not consulted.
        let cancel = submit(PolicyRules::default(), None)
            .decide(&Action::new(ActionKind::Cancel, requestor()), None, T0)
            .unwrap();
        assert_eq!(cancel.assignment, None);
    }

    #[test]
    fn deletion_is_for_completed_requests_that_created_no_assignment() {
        let manager = Caller::user(APPROVER)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::AccessPackageAssignmentManager);
        let mut request = submit(PolicyRules::default(), None);
        for (status, deletable) in [
            (RequestStatus::Accepted, false),
            (RequestStatus::Delivering, false),
            (RequestStatus::Delivered, false),
            (RequestStatus::PartiallyDelivered, false),
            (RequestStatus::DeliveryFailed, false),
            (RequestStatus::Denied, true),
            (RequestStatus::Expired, true),
            (RequestStatus::Canceled, true),
        ] {
            request.status = status;
            assert_eq!(request.is_deletable(), deletable, "{status}");
            assert_eq!(request.delete(&manager).is_ok(), deletable, "{status}");
        }
        request.kind = RequestType::AdminRemove;
        request.status = RequestStatus::Delivered;
        assert!(request.is_deletable());
        assert_eq!(
            request.delete(&requestor()),
            Err(Rejection::Unauthorized(Denial::MissingPermission {
                operation: Operation::Delete,
                permission: crate::Permission::ReadWriteAll
            }))
        );
        request.status = RequestStatus::Delivering;
        assert_eq!(
            request.delete(&manager),
            Err(Rejection::NotDeletable {
                status: RequestStatus::Delivering
            })
        );
    }

    #[test]
    fn cancel_button_shows_only_for_an_authorized_caller_from_a_cancelable_status() {
        let mut request = submit(PolicyRules::default(), None);
        assert!(request.can_cancel(&requestor(), T0));
        let stranger = Caller::user(APPROVER).with_permission(Permission::SubjectAccessReadWrite);
        assert!(!request.can_cancel(&stranger, T0));
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
        let system: alloc::vec::Vec<_> = request.permitted_actions(&Caller::system(), T0).collect();
        assert_eq!(system, [ActionKind::Process]);
    }

    #[test]
    fn stored_requests_are_checked_when_loaded() {
        let request = pending(two_stage_policy());
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), request);

        let mut broken = request;
        broken.stages[0].started_at = None;
        let json = serde_json::to_string(&broken).unwrap();
        let error = serde_json::from_str::<Request>(&json).unwrap_err();
        assert!(
            error.to_string().contains("exactly the current stage"),
            "{error}"
        );
        let unknown = json.replacen('{', "{\"extra\":1,", 1);
        assert!(serde_json::from_str::<Request>(&unknown).is_err());
    }

    /// A way to break one invariant of a request.
    type Breaks = fn(&mut Request);

    #[test]
    fn every_broken_invariant_is_named() {
        let pending = pending(two_stage_policy());
        let cases: [(Breaks, &str); 13] = [
            (|r| r.rules.approval = None, "needs an approval policy"),
            (|r| r.approval_stage = 2, "past the policy's last stage"),
            (
                |r| {
                    r.status = RequestStatus::PendingNotBefore;
                    r.stages[0].outcome = Some(StageOutcome::Canceled { at: T0 });
                },
                "needs a start date",
            ),
            (
                |r| {
                    r.status = RequestStatus::WaitingForCallback;
                    r.stages[0] = Stage::default();
                },
                "needs a custom extension",
            ),
            (
                |r| r.completed_at = Some(T0),
                "exactly when the status is completed",
            ),
            (
                |r| {
                    r.status = RequestStatus::Canceled;
                    r.stages[0].outcome = Some(StageOutcome::Canceled { at: T0 });
                    r.completed_at = Some(T0);
                },
                "needs its first completion time",
            ),
            (
                |r| {
                    if let Some(approval) = r.rules.approval.as_mut() {
                        approval.stages = 9;
                    }
                },
                "1 to 3 stages",
            ),
            (
                |r| r.stages[1] = Stage::starting(T0),
                "has not reached has progress",
            ),
            (
                |r| r.stages[2].escalated = true,
                "has not reached has progress",
            ),
            (
                |r| r.status = RequestStatus::PendingApprovalEscalated,
                "escalated exactly when",
            ),
            (
                |r| {
                    r.approval_stage = 1;
                    r.stages[1] = Stage::starting(T0);
                },
                "exactly the current stage",
            ),
            (
                |r| r.assignment = AssignmentId::new(Guid::from_u128(1)),
                "derived from its id",
            ),
            (
                |r| {
                    r.status = RequestStatus::Delivering;
                },
                "exactly the current stage",
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

    #[test]
    fn broken_stages_are_named() {
        let pending = pending(two_stage_policy());
        let mut request = submit(two_stage_policy(), None);
        request.stages[0] = Stage {
            escalated: true,
            ..Stage::default()
        };
        assert!(
            request
                .check()
                .unwrap_err()
                .to_string()
                .contains("has not started")
        );
        let mut request = pending;
        request.approval_stage = 1;
        request.stages[1] = Stage::starting(T0);
        request.stages[0].outcome = Some(StageOutcome::Reviewed(Review {
            decision: ReviewDecision::Deny,
            by: APPROVER,
            at: T0,
        }));
        assert!(
            request
                .check()
                .unwrap_err()
                .to_string()
                .contains("are approved")
        );
    }
}
