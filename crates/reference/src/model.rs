//! The reference model's state and its operations, in plain integers.

use entitle_core::{
    ActionKind, Assignment, AssignmentEvent, AssignmentId, AssignmentRejection, AssignmentState,
    Caller, Callout, Condition, CreateError, InvalidInput, Operation, PolicyRules, Rejection,
    Request, RequestId, RequestStatus, RequestType, Review, ReviewDecision, Stage, StageOutcome,
    StageRejection, SubjectId, Timestamp,
};

use crate::rules::{self, Facts, Intent, Outcome, REPROCESS_WINDOW_MS};

/// What a client submits, as the model reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ask {
    /// The new request's id.
    pub id: RequestId,
    /// Its type.
    pub kind: RequestType,
    /// Who it is for, if named.
    pub target: Option<SubjectId>,
    /// The assignment it names, if any.
    pub assignment: Option<AssignmentId>,
    /// The policy's rules.
    pub rules: PolicyRules,
    /// The scheduled start.
    pub starts_at: Option<u64>,
    /// The scheduled end.
    pub ends_at: Option<u64>,
}

/// One approval stage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModelStage {
    started_at: Option<u64>,
    escalated: bool,
    /// `(approved, by, at)` once reviewed.
    review: Option<(bool, SubjectId, u64)>,
    /// `(expired, at)` once ended without a review: expired, or canceled.
    ended: Option<(bool, u64)>,
}

/// The assignment a request concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelAssignment {
    /// Its id.
    pub id: AssignmentId,
    /// Its holder.
    pub target: SubjectId,
    /// Its state.
    pub state: AssignmentState,
    /// Its start.
    pub starts_at: Option<u64>,
    /// Its end.
    pub ends_at: Option<u64>,
    /// The request that created it.
    pub created_by: RequestId,
    /// When it ended.
    pub expired_at: Option<u64>,
}

impl ModelAssignment {
    /// The core's value for it.
    pub fn expected(&self) -> Assignment {
        Assignment {
            id: self.id,
            target: self.target,
            state: self.state,
            starts_at: self.starts_at.map(Timestamp),
            ends_at: self.ends_at.map(Timestamp),
            created_by: self.created_by,
            expired_at: self.expired_at.map(Timestamp),
        }
    }

    /// The model of an assignment the core holds: for a removal or change to start from.
    pub fn of(assignment: &Assignment) -> Self {
        Self {
            id: assignment.id,
            target: assignment.target,
            state: assignment.state,
            starts_at: assignment.starts_at.map(|t| t.0),
            ends_at: assignment.ends_at.map(|t| t.0),
            created_by: assignment.created_by,
            expired_at: assignment.expired_at.map(|t| t.0),
        }
    }
}

/// A request and its assignment, as the model sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Model {
    id: RequestId,
    kind: RequestType,
    requestor: SubjectId,
    target: SubjectId,
    assignment_id: AssignmentId,
    rules: PolicyRules,
    starts_at: Option<u64>,
    ends_at: Option<u64>,
    created_at: u64,
    /// The request's status.
    pub status: RequestStatus,
    stage: u8,
    stages: [ModelStage; 3],
    completed_at: Option<u64>,
    first_completed_at: Option<u64>,
    /// The custom extension's call: when it was sent, and when a callback resumed the request.
    callout: Option<(u64, Option<u64>)>,
    /// The request's assignment, once it exists (or the existing one a change or removal names).
    pub assignment: Option<ModelAssignment>,
    deleted: bool,
}

/// The stages a policy has.
fn stage_count(rules: &PolicyRules) -> u8 {
    match rules.approval {
        Some(approval) => approval.stages,
        None => 0,
    }
}

impl Model {
    /// Creates what `ask` asks for, submitted by `caller` at `now`, naming `existing` (the stored
    /// assignment with the id the ask names, if any).
    ///
    /// # Errors
    /// What the core must refuse, in its order.
    pub fn create(
        ask: &Ask,
        caller: &Caller,
        existing: Option<ModelAssignment>,
        now: u64,
    ) -> Result<Self, CreateError> {
        let stages = stage_count(&ask.rules);
        if ask.rules.approval.is_some() && !(1..=3).contains(&stages) {
            return Err(InvalidInput::ApprovalStages { stages }.into());
        }
        let changes = matches!(rules::intent(ask.kind), Intent::Change | Intent::Remove);
        let (assignment_id, target, assignment) = if changes {
            let Some(id) = ask.assignment else {
                return Err(InvalidInput::MissingAssignment {
                    request_type: ask.kind,
                }
                .into());
            };
            let Some(found) = existing.filter(|found| found.id == id) else {
                return Err(AssignmentRejection::Missing { assignment: id }.into());
            };
            if ask.target.is_some_and(|target| target != found.target) {
                return Err(AssignmentRejection::NotTheTarget { assignment: id }.into());
            }
            (id, found.target, Some(found))
        } else {
            let Some(target) = ask.target else {
                return Err(InvalidInput::MissingTarget {
                    request_type: ask.kind,
                }
                .into());
            };
            (AssignmentId::for_request(ask.id), target, None)
        };
        rules::authorize(
            Operation::Create(ask.kind),
            caller,
            caller.id,
            target,
            false,
        )?;
        if let Some(found) = assignment {
            let event = if rules::intent(ask.kind) == Intent::Change {
                AssignmentEvent::Updated
            } else {
                AssignmentEvent::Removed
            };
            let has_row = matches!(
                (found.state, event),
                (
                    AssignmentState::Delivered | AssignmentState::PartiallyDelivered,
                    AssignmentEvent::Updated
                ) | (
                    AssignmentState::Delivered
                        | AssignmentState::PartiallyDelivered
                        | AssignmentState::DeliveryFailed,
                    AssignmentEvent::Removed
                )
            );
            if !has_row {
                return Err(AssignmentRejection::NotAllowed {
                    state: Some(found.state),
                    event,
                }
                .into());
            }
        }
        Ok(Self {
            id: ask.id,
            kind: ask.kind,
            requestor: caller.id,
            target,
            assignment_id,
            rules: ask.rules,
            starts_at: ask.starts_at,
            ends_at: ask.ends_at,
            created_at: now,
            status: RequestStatus::Accepted,
            stage: 0,
            stages: [ModelStage::default(); 3],
            completed_at: None,
            first_completed_at: None,
            callout: None,
            assignment,
            deleted: false,
        })
    }

    /// The request the core should hold.
    pub fn expected(&self) -> Request {
        let stage = |model: &ModelStage| Stage {
            started_at: model.started_at.map(Timestamp),
            escalated: model.escalated,
            outcome: match (model.review, model.ended) {
                (Some((approved, by, at)), _) => Some(StageOutcome::Reviewed(Review {
                    decision: if approved {
                        ReviewDecision::Approve
                    } else {
                        ReviewDecision::Deny
                    },
                    by,
                    at: Timestamp(at),
                })),
                (None, Some((true, at))) => Some(StageOutcome::Expired { at: Timestamp(at) }),
                (None, Some((false, at))) => Some(StageOutcome::Canceled { at: Timestamp(at) }),
                (None, None) => None,
            },
        };
        Request {
            id: self.id,
            kind: self.kind,
            requestor: self.requestor,
            target: self.target,
            assignment: self.assignment_id,
            rules: self.rules,
            starts_at: self.starts_at.map(Timestamp),
            ends_at: self.ends_at.map(Timestamp),
            status: self.status,
            created_at: Timestamp(self.created_at),
            approval_stage: self.stage,
            stages: self.stages.map(|model| stage(&model)),
            completed_at: self.completed_at.map(Timestamp),
            first_completed_at: self.first_completed_at.map(Timestamp),
            callout: self.callout.map(|(sent, resumed)| Callout {
                sent_at: Timestamp(sent),
                resumed_at: resumed.map(Timestamp),
            }),
        }
    }

    /// The assignment the core should hold, if any.
    pub fn expected_assignment(&self) -> Option<Assignment> {
        self.assignment.map(|assignment| assignment.expected())
    }

    /// Whether the request was deleted.
    pub fn is_deleted(&self) -> bool {
        self.deleted
    }

    fn current(&self) -> ModelStage {
        self.stages
            .get(usize::from(self.stage))
            .copied()
            .unwrap_or_default()
    }

    /// Whether `now` is at or after the current stage's start plus `span` (saturating).
    fn stage_elapsed(&self, span: Option<u64>, now: u64) -> bool {
        match (self.current().started_at, span) {
            (Some(start), Some(span)) => now >= start.saturating_add(span),
            _ => false,
        }
    }

    /// Whether approval applies: the policy has one and the request is a user's grant or change.
    fn approval_required(&self) -> bool {
        self.rules.approval.is_some()
            && matches!(
                self.kind,
                RequestType::UserAdd | RequestType::UserUpdate | RequestType::UserExtend
            )
    }

    /// The stages the request goes through: none without approval.
    fn approval_stages(&self) -> u8 {
        if self.approval_required() {
            stage_count(&self.rules)
        } else {
            0
        }
    }

    fn facts(&self, now: u64) -> Facts {
        let approval = self.rules.approval;
        let grants = matches!(rules::intent(self.kind), Intent::Add | Intent::Change);
        Facts {
            approval_required: self.approval_required(),
            callout: self.rules.callout_on_created && grants,
            starts_later: self.starts_at.is_some_and(|start| start > now),
            more_stages: u32::from(self.stage) + 1 < u32::from(self.approval_stages()),
            escalation_due: self
                .stage_elapsed(approval.and_then(|a| a.escalate_after).map(|d| d.0), now),
            timed_out: self.stage_elapsed(approval.map(|a| a.decision_timeout.0), now),
            start_reached: now >= self.starts_at.unwrap_or(0),
            within_window: self
                .first_completed_at
                .is_some_and(|first| now <= first.saturating_add(REPROCESS_WINDOW_MS)),
        }
    }

    /// Applies `action` by `caller` at `now`, with the request's assignment: authorization, the
    /// lifecycle, the reviewer of the current stage, then the assignment's move. A refusal changes
    /// nothing.
    ///
    /// # Errors
    /// What the core must refuse.
    pub fn act(
        &mut self,
        action: ActionKind,
        caller: &Caller,
        now: u64,
    ) -> Result<RequestStatus, Rejection> {
        rules::authorize(
            Operation::Act(action),
            caller,
            self.requestor,
            self.target,
            caller.approver_of.any(),
        )?;
        let status = self.status;
        let outcome = rules::lifecycle(status, action, &self.facts(now));
        let review = matches!(action, ActionKind::Approve | ActionKind::Deny);
        if review && outcome != Outcome::NotAllowed {
            let stage = self.stage;
            let primary = caller.approver_of.primary.contains(stage);
            let escalation = caller.approver_of.escalation.contains(stage);
            if !primary && escalation && !self.current().escalated {
                return Err(StageRejection::NotEscalated { stage }.into());
            }
            if !primary && !escalation {
                return Err(StageRejection::NotAssigned { stage }.into());
            }
        }
        let (to, next_stage) = match outcome {
            Outcome::To(to) => (to, false),
            Outcome::NextStage => (RequestStatus::PendingApproval, true),
            Outcome::Unmet(unmet) => {
                return Err(Rejection::ConditionNotMet {
                    status,
                    action,
                    unmet,
                });
            }
            Outcome::NotAllowed => return Err(Rejection::NotAllowed { status, action }),
        };
        let mut next = *self;
        next.enter(action, caller.id, to, next_stage, now);
        if let Some(event) = rules::event(self.kind, action, to) {
            next.assignment = Some(self.moved_assignment(event, now)?);
        }
        *self = next;
        Ok(to)
    }

    /// The request's assignment moved by `event` at `now`.
    fn moved_assignment(
        &self,
        event: AssignmentEvent,
        now: u64,
    ) -> Result<ModelAssignment, AssignmentRejection> {
        let base = match self.assignment {
            Some(assignment) => assignment,
            None if event == AssignmentEvent::DeliveryStarted => ModelAssignment {
                id: self.assignment_id,
                target: self.target,
                state: AssignmentState::Delivering,
                starts_at: self.starts_at,
                ends_at: self.ends_at,
                created_by: self.id,
                expired_at: None,
            },
            None => {
                return Err(AssignmentRejection::Missing {
                    assignment: self.assignment_id,
                });
            }
        };
        let from = self.assignment.map(|assignment| assignment.state);
        let mut moved = base;
        moved.state = move_assignment(&base, from, event, now)?;
        if event == AssignmentEvent::Updated && (self.starts_at.is_some() || self.ends_at.is_some())
        {
            moved.starts_at = self.starts_at;
            moved.ends_at = self.ends_at;
        }
        if moved.state == AssignmentState::Expired {
            moved.expired_at = Some(now);
        }
        Ok(moved)
    }

    /// The request after `action` by `by` moved it to `to` at `now`.
    fn enter(
        &mut self,
        action: ActionKind,
        by: SubjectId,
        to: RequestStatus,
        next_stage: bool,
        now: u64,
    ) {
        if rules::pending_approval(self.status) {
            let index = usize::from(self.stage);
            if let Some(stage) = self.stages.get_mut(index) {
                match action {
                    ActionKind::Approve => stage.review = Some((true, by, now)),
                    ActionKind::Deny => stage.review = Some((false, by, now)),
                    ActionKind::Escalate => stage.escalated = true,
                    ActionKind::Expire => stage.ended = Some((true, now)),
                    ActionKind::Cancel => stage.ended = Some((false, now)),
                    _ => {}
                }
            }
        }
        if to == RequestStatus::PendingApproval {
            self.stage = if next_stage { self.stage + 1 } else { 0 };
            if let Some(stage) = self.stages.get_mut(usize::from(self.stage)) {
                *stage = ModelStage {
                    started_at: Some(now),
                    ..ModelStage::default()
                };
            }
        }
        if rules::completed(to) {
            self.completed_at = Some(now);
            if self.first_completed_at.is_none() {
                self.first_completed_at = Some(now);
            }
        } else {
            self.completed_at = None;
        }
        if to == RequestStatus::WaitingForCallback {
            self.callout = Some((now, None));
        } else if self.status == RequestStatus::WaitingForCallback
            && let Some((sent, _)) = self.callout
        {
            self.callout = Some((sent, Some(now)));
        }
        self.status = to;
    }

    /// Reviews stage `stage` with `approve` (else deny) by `caller` at `now`.
    ///
    /// # Errors
    /// What the core must refuse, in its order.
    pub fn review(
        &mut self,
        stage: u8,
        approve: bool,
        caller: &Caller,
        now: u64,
    ) -> Result<RequestStatus, Rejection> {
        let action = if approve {
            ActionKind::Approve
        } else {
            ActionKind::Deny
        };
        if stage >= self.approval_stages() {
            return Err(StageRejection::NoSuchStage { stage }.into());
        }
        let approves = caller.approver_of.primary.contains(stage)
            || caller.approver_of.escalation.contains(stage);
        rules::authorize(
            Operation::Act(action),
            caller,
            self.requestor,
            self.target,
            approves,
        )?;
        let reviewed = self
            .stages
            .get(usize::from(stage))
            .is_some_and(|s| s.review.is_some());
        if reviewed {
            return Err(StageRejection::AlreadyReviewed { stage }.into());
        }
        if rules::pending_approval(self.status) && stage > self.stage {
            return Err(StageRejection::NotStarted { stage }.into());
        }
        self.act(action, caller, now)
    }

    /// Deletes the request for `caller`.
    ///
    /// # Errors
    /// What the core must refuse.
    pub fn delete(&mut self, caller: &Caller) -> Result<(), Rejection> {
        rules::authorize(
            Operation::Delete,
            caller,
            self.requestor,
            self.target,
            false,
        )?;
        let created_assignment = rules::intent(self.kind) == Intent::Add
            && matches!(
                self.status,
                RequestStatus::Delivered
                    | RequestStatus::PartiallyDelivered
                    | RequestStatus::DeliveryFailed
            );
        if rules::completed(self.status) && !created_assignment {
            self.deleted = true;
            Ok(())
        } else {
            Err(Rejection::NotDeletable {
                status: self.status,
            })
        }
    }

    /// Ends the assignment by its schedule at `now`.
    ///
    /// # Errors
    /// What the core must refuse.
    pub fn end_assignment(&mut self, now: u64) -> Result<AssignmentState, AssignmentRejection> {
        let Some(assignment) = self.assignment else {
            return Err(AssignmentRejection::Missing {
                assignment: self.assignment_id,
            });
        };
        let state = move_assignment(
            &assignment,
            Some(assignment.state),
            AssignmentEvent::ScheduleEnded,
            now,
        )?;
        let mut moved = assignment;
        moved.state = state;
        moved.expired_at = Some(now);
        self.assignment = Some(moved);
        Ok(state)
    }

    /// The people the request concerns, for authorizing reads: its requestor and its target.
    pub fn parties(&self) -> (SubjectId, SubjectId) {
        (self.requestor, self.target)
    }

    /// The naive authorization of `operation` by `caller` on this request, and the rule that allows
    /// it.
    ///
    /// # Errors
    /// The denial.
    pub fn authorize(
        &self,
        operation: Operation,
        caller: &Caller,
    ) -> Result<Option<entitle_core::Authority>, entitle_core::Denial> {
        rules::authorize(
            operation,
            caller,
            self.requestor,
            self.target,
            caller.approver_of.any(),
        )?;
        Ok(rules::authority(
            operation,
            caller,
            self.requestor,
            self.target,
        ))
    }

    /// The earliest timed action the request waits for: escalation before expiry on a tie, as the
    /// table lists them.
    pub fn next_deadline(&self) -> Option<(u64, ActionKind)> {
        let approval = self.rules.approval;
        let due = |span: Option<u64>| {
            self.current()
                .started_at
                .zip(span)
                .map(|(start, span)| start.saturating_add(span))
        };
        let expiry = due(approval.map(|a| a.decision_timeout.0)).map(|at| (at, ActionKind::Expire));
        match self.status {
            RequestStatus::PendingApproval => {
                let escalation = due(approval.and_then(|a| a.escalate_after).map(|d| d.0))
                    .map(|at| (at, ActionKind::Escalate));
                match (escalation, expiry) {
                    (Some(escalate), Some(lapse)) if lapse.0 < escalate.0 => Some(lapse),
                    (Some(escalate), _) => Some(escalate),
                    (None, lapse) => lapse,
                }
            }
            RequestStatus::PendingApprovalEscalated => expiry,
            RequestStatus::PendingNotBefore => {
                Some((self.starts_at.unwrap_or(0), ActionKind::ReachStart))
            }
            _ => None,
        }
    }

    /// Whether the request waits for `caller`'s review now.
    pub fn awaits_review_by(&self, caller: &Caller) -> bool {
        let stage = self.stage;
        rules::pending_approval(self.status)
            && caller.id != self.requestor
            && (caller.approver_of.primary.contains(stage)
                || (caller.approver_of.escalation.contains(stage) && self.current().escalated))
    }

    /// The condition a row of the lifecycle table would name for (status, action), if timed: for
    /// coverage counts.
    pub fn timed(status: RequestStatus, action: ActionKind) -> Option<Condition> {
        use ActionKind as A;
        use RequestStatus as S;
        match (status, action) {
            (S::PendingApproval, A::Escalate) => Some(Condition::EscalationDue),
            (S::PendingApproval | S::PendingApprovalEscalated, A::Expire) => {
                Some(Condition::DecisionTimedOut)
            }
            (S::PendingNotBefore, A::ReachStart) => Some(Condition::StartReached),
            (S::PartiallyDelivered | S::DeliveryFailed, A::Reprocess) => {
                Some(Condition::WithinReprocessWindow)
            }
            _ => None,
        }
    }
}

/// The state an assignment in `from` reaches by `event` at `now`.
fn move_assignment(
    assignment: &ModelAssignment,
    from: Option<AssignmentState>,
    event: AssignmentEvent,
    now: u64,
) -> Result<AssignmentState, AssignmentRejection> {
    let end_reached = assignment.ends_at.is_some_and(|end| now >= end);
    rules::assignment_move(from, event, end_reached).map_err(|timed| match (timed, from) {
        (true, Some(state)) => AssignmentRejection::ConditionNotMet {
            state,
            event,
            unmet: entitle_core::AssignmentCondition::EndReached,
        },
        _ => AssignmentRejection::NotAllowed { state: from, event },
    })
}
