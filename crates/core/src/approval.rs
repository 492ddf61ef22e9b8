//! A request's approval: its stages, how each progresses, who may review which stage and when, and
//! the view Graph gives of them (`…/accessPackageAssignmentApprovals/{id}/stages`).
//!
//! A stage is not started until the request reaches it; then it is in progress until an approver
//! reviews it, the request expires, or it is canceled. It escalates at most once, after which its
//! escalation approvers may review it too. Primary approvers may review it whenever it is in progress;
//! the requestor never may (see [`authorize_review`]).

use core::fmt;

use serde::{Deserialize, Serialize};
use strum::VariantArray;

use crate::action::ActionKind;
use crate::actor::Caller;
use crate::assignment::Assignment;
use crate::authz::authorize_review;
use crate::error::Rejection;
use crate::id::{StageId, SubjectId};
use crate::policy::MAX_APPROVAL_STAGES;
use crate::request::{Action, Decided, Request};
use crate::time::Timestamp;

/// An approver's decision on a stage.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, VariantArray,
)]
#[serde(rename_all = "camelCase")]
pub enum ReviewDecision {
    /// `Approve`.
    Approve,
    /// `Deny`.
    Deny,
}

impl ReviewDecision {
    /// The lifecycle action the decision performs.
    pub const fn action(self) -> ActionKind {
        match self {
            Self::Approve => ActionKind::Approve,
            Self::Deny => ActionKind::Deny,
        }
    }

    /// The decision an action records, if it is a review.
    pub const fn of(action: ActionKind) -> Option<Self> {
        match action {
            ActionKind::Approve => Some(Self::Approve),
            ActionKind::Deny => Some(Self::Deny),
            _ => None,
        }
    }
}

/// A review recorded on a stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Review {
    /// What the approver decided.
    pub decision: ReviewDecision,
    /// Who reviewed (`reviewedBy`).
    pub by: SubjectId,
    /// When (`reviewedDateTime`).
    pub at: Timestamp,
}

/// How a stage ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StageOutcome {
    /// An approver reviewed it.
    Reviewed(Review),
    /// No approver decided before the approval timeout.
    Expired {
        /// When the request expired.
        at: Timestamp,
    },
    /// The request was canceled while the stage was in progress.
    Canceled {
        /// When the request was canceled.
        at: Timestamp,
    },
}

/// One approval stage of a request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Stage {
    /// When the request reached the stage; `None` while not started.
    pub started_at: Option<Timestamp>,
    /// Whether the stage escalated to its alternate approvers.
    pub escalated: bool,
    /// How the stage ended; `None` while not started or in progress.
    pub outcome: Option<StageOutcome>,
}

impl Stage {
    /// A stage starting at `now`.
    pub(crate) const fn starting(now: Timestamp) -> Self {
        Self {
            started_at: Some(now),
            escalated: false,
            outcome: None,
        }
    }

    /// Where the stage stands, as Graph's `status` names it.
    pub const fn status(&self) -> StageStatus {
        match (self.started_at, self.outcome) {
            (None, _) => StageStatus::NotStarted,
            (Some(_), None) => StageStatus::InProgress,
            (Some(_), Some(StageOutcome::Reviewed(_))) => StageStatus::Completed,
            (Some(_), Some(StageOutcome::Expired { .. })) => StageStatus::Expired,
            (Some(_), Some(StageOutcome::Canceled { .. })) => StageStatus::Canceled,
        }
    }

    /// The stage's review, if an approver reviewed it.
    pub const fn review(&self) -> Option<Review> {
        match self.outcome {
            Some(StageOutcome::Reviewed(review)) => Some(review),
            _ => None,
        }
    }
}

/// A stage's `status` in Graph's view. Microsoft lists `InProgress`, `Initializing`, `Completed` and
/// `Expired`; `NotStarted` and `Canceled` are entitle's.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, VariantArray,
)]
pub enum StageStatus {
    /// The request has not reached the stage (and may never).
    NotStarted,
    /// Waiting for a review.
    InProgress,
    /// Reviewed.
    Completed,
    /// The request expired while the stage was in progress.
    Expired,
    /// The request was canceled while the stage was in progress.
    Canceled,
}

impl StageStatus {
    /// The wire string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "NotStarted",
            Self::InProgress => "InProgress",
            Self::Completed => "Completed",
            Self::Expired => "Expired",
            Self::Canceled => "Canceled",
        }
    }
}

/// A stage's `reviewResult` in Graph's view.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, VariantArray,
)]
pub enum ReviewResult {
    /// No approver reviewed the stage.
    NotReviewed,
    /// Approved (`Approved`, as the `approvalStage` resource lists it; the update body says `Approve`).
    Approved,
    /// Denied (`Denied`).
    Denied,
}

impl ReviewResult {
    /// The wire string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotReviewed => "NotReviewed",
            Self::Approved => "Approved",
            Self::Denied => "Denied",
        }
    }
}

/// One stage as Graph shows it to a caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageView {
    /// The stage's position, from 0.
    pub index: u8,
    /// The stage's id: derived from the request's, stable.
    pub id: StageId,
    /// `status`.
    pub status: StageStatus,
    /// `reviewResult`.
    pub review_result: ReviewResult,
    /// `reviewedBy`.
    pub reviewed_by: Option<SubjectId>,
    /// `reviewedDateTime`.
    pub reviewed_at: Option<Timestamp>,
    /// `assignedToMe`: whether the caller approves the stage (a primary approver always, an escalation
    /// approver once it escalated). It keeps that meaning after the stage ends.
    pub assigned_to_me: bool,
}

/// Why a stage cannot be reviewed. Nothing changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
pub enum StageRejection {
    /// The request's policy has no such stage.
    #[error("the approval has no stage `{stage}`")]
    NoSuchStage {
        /// The stage asked for.
        stage: u8,
    },
    /// The stage was reviewed already.
    #[error("approval stage `{stage}` was already reviewed")]
    AlreadyReviewed {
        /// The stage.
        stage: u8,
    },
    /// The request has not reached the stage.
    #[error("approval stage `{stage}` has not started")]
    NotStarted {
        /// The stage.
        stage: u8,
    },
    /// The caller approves other stages of the request, not this one.
    #[error("the caller does not approve approval stage `{stage}`")]
    NotAssigned {
        /// The stage.
        stage: u8,
    },
    /// The caller is an escalation approver of the stage, which has not escalated.
    #[error("approval stage `{stage}` has not escalated to its alternate approvers")]
    NotEscalated {
        /// The stage.
        stage: u8,
    },
}

/// The keys stage ids are derived with, one per stage.
const STAGE_KEYS: [u128; MAX_APPROVAL_STAGES as usize] = [
    0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834,
    0x3c6e_f372_fe94_f82b_e738_80c0_b9db_9068,
    0xdaa6_6d2c_7ddf_743f_dad5_4121_16c9_589c,
];

impl Request {
    /// Whether the request goes through approval: its policy requires approval and approval applies to
    /// its type (an administrator's or the system's request is never approved).
    pub fn has_approval(&self) -> bool {
        self.rules.approval.is_some() && self.kind.needs_approval()
    }

    /// The number of approval stages the request goes through: its policy's, or 0 without
    /// [approval](Self::has_approval).
    pub fn approval_stages(&self) -> u8 {
        if self.has_approval() {
            self.rules.stages()
        } else {
            0
        }
    }

    /// Stage `index` (from 0), if the request goes through it.
    pub fn stage(&self, index: u8) -> Option<&Stage> {
        if index < self.approval_stages() {
            self.stages.get(usize::from(index))
        } else {
            None
        }
    }

    /// When the current approval stage started.
    pub fn stage_started_at(&self) -> Option<Timestamp> {
        self.stage(self.approval_stage)
            .and_then(|stage| stage.started_at)
    }

    /// The id of stage `index`, derived from the request's id.
    pub fn stage_id(&self, index: u8) -> Option<StageId> {
        self.stage(index)?;
        let key = STAGE_KEYS.get(usize::from(index))?;
        Some(StageId::new(self.id.guid().derived(*key)))
    }

    /// The index of the stage whose id is `id`.
    pub fn stage_index(&self, id: StageId) -> Option<u8> {
        (0..self.approval_stages()).find(|index| self.stage_id(*index) == Some(id))
    }

    /// Whether `caller` may review stage `index` now, were it in progress: a primary approver, or an
    /// escalation approver once the stage escalated.
    ///
    /// # Errors
    /// [`StageRejection::NotAssigned`] or [`StageRejection::NotEscalated`].
    pub fn reviewer_of(&self, index: u8, caller: &Caller) -> Result<(), StageRejection> {
        let escalated = self.stage(index).is_some_and(|stage| stage.escalated);
        if caller.approver_of.primary.contains(index) {
            Ok(())
        } else if caller.approver_of.escalation.contains(index) {
            if escalated {
                Ok(())
            } else {
                Err(StageRejection::NotEscalated { stage: index })
            }
        } else {
            Err(StageRejection::NotAssigned { stage: index })
        }
    }

    /// Whether the request waits for `caller`'s review: it is pending approval, the caller may review
    /// its current stage now, and is not its requestor (`filterByCurrentUser(on='approver')`).
    pub fn awaits_review_by(&self, caller: &Caller) -> bool {
        self.status.is_pending_approval()
            && caller.id != self.requestor
            && self.reviewer_of(self.approval_stage, caller).is_ok()
    }

    /// Every stage of the policy, in order, as Graph shows it to `caller`.
    pub fn stage_views(&self, caller: &Caller) -> impl Iterator<Item = StageView> + '_ {
        let caller = *caller;
        (0..self.approval_stages()).filter_map(move |index| {
            let stage = self.stage(index)?;
            let review = stage.review();
            Some(StageView {
                index,
                id: self.stage_id(index)?,
                status: stage.status(),
                review_result: match review.map(|review| review.decision) {
                    None => ReviewResult::NotReviewed,
                    Some(ReviewDecision::Approve) => ReviewResult::Approved,
                    Some(ReviewDecision::Deny) => ReviewResult::Denied,
                },
                reviewed_by: review.map(|review| review.by),
                reviewed_at: review.map(|review| review.at),
                assigned_to_me: caller.approver_of.primary.contains(index)
                    || (caller.approver_of.escalation.contains(index) && stage.escalated),
            })
        })
    }

    /// Reviews stage `index` with `decision` for `caller` at `now` (`PATCH …/stages/{id}`), with the
    /// request's assignment as it is (`None` before it exists), leaving `self` untouched.
    ///
    /// In order: no such stage; the caller does not approve that stage, or is the requestor
    /// (authorization, which never depends on the status); the stage was reviewed already; the stage
    /// has not started; then [`decide`](Self::decide) with `approve` or `deny`, which refuses a request
    /// no longer pending approval and an escalation approver of a stage that has not escalated.
    ///
    /// # Errors
    /// A [`Rejection`]; nothing changes.
    pub fn review(
        &self,
        index: u8,
        decision: ReviewDecision,
        caller: &Caller,
        assignment: Option<&Assignment>,
        now: Timestamp,
    ) -> Result<Decided, Rejection> {
        let stage = self
            .stage(index)
            .ok_or(StageRejection::NoSuchStage { stage: index })?;
        authorize_review(decision.action(), index, caller, self.parties())?;
        if stage.review().is_some() {
            return Err(StageRejection::AlreadyReviewed { stage: index }.into());
        }
        if self.status.is_pending_approval() && index > self.approval_stage {
            return Err(StageRejection::NotStarted { stage: index }.into());
        }
        self.decide(&Action::new(decision.action(), *caller), assignment, now)
    }
}

impl fmt::Display for ReviewDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Approve => "Approve",
            Self::Deny => "Deny",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Permission;
    use crate::authz::Denial;
    use crate::id::{Guid, RequestId};
    use crate::operation::Operation;
    use crate::policy::{ApprovalRules, PolicyRules};
    use crate::request::Step;
    use crate::status::RequestStatus;
    use crate::time::Duration;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    const REQUESTOR: SubjectId = SubjectId::new(Guid::from_u128(0xb));
    const FIRST: SubjectId = SubjectId::new(Guid::from_u128(0xc));
    const SECOND: SubjectId = SubjectId::new(Guid::from_u128(0xd));
    const ALTERNATE: SubjectId = SubjectId::new(Guid::from_u128(0xe));
    const T0: Timestamp = Timestamp(1_700_000_000_000);

    fn first() -> Caller {
        Caller::user(FIRST)
            .with_permission(Permission::ReadWriteAll)
            .approving(0)
    }

    fn second() -> Caller {
        Caller::user(SECOND)
            .with_permission(Permission::ReadWriteAll)
            .approving(1)
    }

    fn alternate() -> Caller {
        Caller::user(ALTERNATE)
            .with_permission(Permission::ReadWriteAll)
            .approving_when_escalated(0)
    }

    fn submitted() -> Request {
        let rules = PolicyRules {
            approval: Some(ApprovalRules {
                stages: 2,
                decision_timeout: Duration::days(14),
                escalate_after: Some(Duration::days(3)),
            }),
            callout_on_created: false,
        };
        Request::submit(
            RequestId::new(Guid::from_u128(0x6b1e_9d0c_3a2f_4e8b_a5c7_0d9f_8e7a_6b5c)),
            REQUESTOR,
            rules,
            None,
            T0,
        )
        .unwrap()
    }

    fn pending() -> Request {
        submitted()
            .apply(&Action::by_system(ActionKind::Process), T0)
            .unwrap()
            .request
    }

    #[test]
    fn a_request_approval_does_not_apply_to_has_no_stages() {
        let mut request = submitted();
        assert!(request.has_approval());
        assert_eq!(request.approval_stages(), 2);
        request.kind = crate::request_type::RequestType::AdminAdd;
        assert!(!request.has_approval());
        assert_eq!(request.approval_stages(), 0);
        assert_eq!(request.stage(0), None);
        assert_eq!(request.stage_id(0), None);
        assert_eq!(request.stage_views(&first()).count(), 0);
        let processed = request
            .apply(&Action::by_system(ActionKind::Process), T0)
            .unwrap()
            .request;
        assert!(!processed.status.is_pending_approval());
        assert_eq!(processed.stage_views(&first()).count(), 0);
    }

    fn review(
        request: &Request,
        index: u8,
        decision: ReviewDecision,
        caller: &Caller,
    ) -> Result<Step, Rejection> {
        request
            .review(index, decision, caller, None, T0.after(Duration::hours(1)))
            .map(|decided| decided.step)
    }

    #[test]
    fn stage_ids_are_distinct_stable_and_found_again() {
        let request = pending();
        let ids: Vec<StageId> = (0..2).filter_map(|index| request.stage_id(index)).collect();
        assert_eq!(ids.len(), 2);
        assert_ne!(ids.first(), ids.get(1));
        for (index, id) in (0..).zip(&ids) {
            assert_ne!(id.guid(), request.id.guid());
            assert_eq!(request.stage_index(*id), Some(index));
            let text = id.to_string();
            assert_eq!(text.as_bytes().get(14), Some(&b'4'), "{text}");
        }
        // The policy has two stages: the third slot has no id.
        assert_eq!(request.stage_id(2), None);
        assert_eq!(request.stage_index(StageId::new(request.id.guid())), None);
    }

    #[test]
    fn reviews_go_stage_by_stage() {
        let request = pending();
        assert_eq!(
            review(&request, 1, ReviewDecision::Approve, &second()),
            Err(Rejection::Stage(StageRejection::NotStarted { stage: 1 }))
        );
        let step = review(&request, 0, ReviewDecision::Approve, &first()).unwrap();
        assert_eq!(step.reviewed(), Some(0));
        let at_second = step.request;
        assert_eq!(
            review(&at_second, 0, ReviewDecision::Deny, &first()),
            Err(Rejection::Stage(StageRejection::AlreadyReviewed {
                stage: 0
            }))
        );
        let done = review(&at_second, 1, ReviewDecision::Approve, &second()).unwrap();
        assert_eq!(done.request.status, RequestStatus::Delivering);
        assert_eq!(done.reviewed(), Some(1));
        assert_eq!(
            review(&done.request, 1, ReviewDecision::Approve, &second()),
            Err(Rejection::Stage(StageRejection::AlreadyReviewed {
                stage: 1
            }))
        );
    }

    #[test]
    fn the_caller_must_approve_the_stage_named_and_not_be_the_requestor() {
        let request = pending();
        assert_eq!(
            review(&request, 0, ReviewDecision::Approve, &second()),
            Err(Rejection::Unauthorized(Denial::NotAnApprover {
                operation: Operation::Act(ActionKind::Approve)
            }))
        );
        let requestor = Caller::user(REQUESTOR)
            .with_permission(Permission::ReadWriteAll)
            .approving(0);
        assert!(matches!(
            review(&request, 0, ReviewDecision::Approve, &requestor),
            Err(Rejection::Unauthorized(Denial::OwnRequest { .. }))
        ));
        assert_eq!(
            review(&request, 5, ReviewDecision::Approve, &first()),
            Err(Rejection::Stage(StageRejection::NoSuchStage { stage: 5 }))
        );
    }

    #[test]
    fn escalation_approvers_review_once_the_stage_escalates() {
        let request = pending();
        assert_eq!(
            review(&request, 0, ReviewDecision::Approve, &alternate()),
            Err(Rejection::Stage(StageRejection::NotEscalated { stage: 0 }))
        );
        assert!(!request.awaits_review_by(&alternate()));
        assert!(request.awaits_review_by(&first()));
        let escalated = request
            .apply(
                &Action::by_system(ActionKind::Escalate),
                T0.after(Duration::days(3)),
            )
            .unwrap()
            .request;
        assert!(escalated.awaits_review_by(&alternate()));
        assert!(escalated.awaits_review_by(&first()));
        let step = review(&escalated, 0, ReviewDecision::Approve, &alternate()).unwrap();
        assert_eq!(step.request.status, RequestStatus::PendingApproval);
        assert_eq!(step.request.approval_stage, 1);
        assert!(!step.request.awaits_review_by(&alternate()));
    }

    #[test]
    fn a_request_that_left_approval_refuses_reviews_of_its_open_stages() {
        let request = pending();
        let denied = review(&request, 0, ReviewDecision::Deny, &first())
            .unwrap()
            .request;
        assert_eq!(
            review(&denied, 1, ReviewDecision::Approve, &second()),
            Err(Rejection::NotAllowed {
                status: RequestStatus::Denied,
                action: ActionKind::Approve
            })
        );
        let expired = request
            .apply(
                &Action::by_system(ActionKind::Expire),
                T0.after(Duration::days(14)),
            )
            .unwrap()
            .request;
        assert_eq!(
            review(&expired, 0, ReviewDecision::Approve, &first()),
            Err(Rejection::NotAllowed {
                status: RequestStatus::Expired,
                action: ActionKind::Approve
            })
        );
    }

    #[test]
    fn views_show_each_stage_to_the_caller() {
        let request = pending();
        let at = T0.after(Duration::hours(1));
        let after_first = request
            .review(0, ReviewDecision::Approve, &first(), None, at)
            .unwrap()
            .step
            .request;
        let views: Vec<StageView> = after_first.stage_views(&first()).collect();
        assert_eq!(views.len(), 2);
        let [done, current] = [views[0], views[1]];
        assert_eq!(done.status, StageStatus::Completed);
        assert_eq!(done.review_result, ReviewResult::Approved);
        assert_eq!(
            (done.reviewed_by, done.reviewed_at),
            (Some(FIRST), Some(at))
        );
        assert!(done.assigned_to_me);
        assert_eq!(current.status, StageStatus::InProgress);
        assert_eq!(current.review_result, ReviewResult::NotReviewed);
        assert!(!current.assigned_to_me);
        assert!(
            after_first
                .stage_views(&second())
                .nth(1)
                .unwrap()
                .assigned_to_me
        );
        let alternate_sees: Vec<bool> = request
            .stage_views(&alternate())
            .map(|view| view.assigned_to_me)
            .collect();
        assert_eq!(alternate_sees, [false, false]);
        let canceled = request
            .apply(
                &Action::new(
                    ActionKind::Cancel,
                    Caller::user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite),
                ),
                at,
            )
            .unwrap()
            .request;
        let statuses: Vec<StageStatus> = canceled
            .stage_views(&first())
            .map(|view| view.status)
            .collect();
        assert_eq!(statuses, [StageStatus::Canceled, StageStatus::NotStarted]);
    }

    #[test]
    fn wire_names() {
        assert_eq!(StageStatus::NotStarted.as_str(), "NotStarted");
        assert_eq!(ReviewResult::Denied.as_str(), "Denied");
        assert_eq!(ReviewDecision::of(ActionKind::Cancel), None);
        assert_eq!(ReviewDecision::Deny.action(), ActionKind::Deny);
        assert_eq!(alloc::format!("{}", ReviewDecision::Approve), "Approve");
    }
}
