//! The one transition table: every move a request can make, its condition and its provenance.
//!
//! For a status and an action, the rows are tried in table order and the first whose condition holds
//! wins. No row for the pair means the action is not allowed from that status; rows whose conditions
//! all fail mean it is not allowed yet (or any more).

use serde::{Deserialize, Serialize};
use strum::{EnumCount, VariantArray};

use crate::action::ActionKind;
use crate::provenance::{Decision, Provenance, Source};
use crate::request::Request;
use crate::status::RequestStatus;
use crate::time::{Duration, Timestamp};

/// How many days after its first completion a failed or partial delivery may be reprocessed.
pub const REPROCESS_WINDOW_DAYS: u64 = 14;

/// How long after its first completion a failed or partial delivery may be reprocessed.
pub const REPROCESS_WINDOW: Duration = Duration::days(REPROCESS_WINDOW_DAYS);

/// A condition on the request's facts and the current time that guards a row.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, VariantArray,
)]
#[serde(rename_all = "camelCase")]
pub enum Condition {
    /// Holds always.
    Always,
    /// The policy runs a custom extension when a request is created, and the request grants access.
    CalloutConfigured,
    /// The policy requires approval, and the request is one approval applies to.
    ApprovalRequired,
    /// The request's scheduled start is later than now.
    StartsLater,
    /// The current approval stage is not the last one.
    MoreStagesRemain,
    /// The escalation time of the current stage has passed (and escalation is on).
    EscalationDue,
    /// The approval timeout of the current stage has passed.
    DecisionTimedOut,
    /// The scheduled start has been reached (or there is none).
    StartReached,
    /// The request first completed at most [`REPROCESS_WINDOW`] ago.
    WithinReprocessWindow,
}

impl Condition {
    /// A clause describing the condition, for tables and messages.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Always => "nothing else holds",
            Self::CalloutConfigured => {
                "a custom extension runs when the request is created and it grants access"
            }
            Self::ApprovalRequired => "the policy requires approval of this type of request",
            Self::StartsLater => "the scheduled start is in the future",
            Self::MoreStagesRemain => "approval stages remain after the current one",
            Self::EscalationDue => "the escalation time has passed",
            Self::DecisionTimedOut => "the approval timeout has passed",
            Self::StartReached => "the scheduled start has been reached",
            Self::WithinReprocessWindow => "the request first completed at most 14 days ago",
        }
    }

    /// A short name for table cells.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::CalloutConfigured => "calloutConfigured",
            Self::ApprovalRequired => "approvalRequired",
            Self::StartsLater => "startsLater",
            Self::MoreStagesRemain => "moreStagesRemain",
            Self::EscalationDue => "escalationDue",
            Self::DecisionTimedOut => "decisionTimedOut",
            Self::StartReached => "startReached",
            Self::WithinReprocessWindow => "withinReprocessWindow",
        }
    }

    /// Whether the condition holds for `request` at `now`.
    pub fn holds(self, request: &Request, now: Timestamp) -> bool {
        match self {
            Self::Always => true,
            Self::CalloutConfigured => request.rules.callout_on_created && request.kind.grants(),
            Self::ApprovalRequired => request.has_approval(),
            Self::StartsLater => request.starts_at.is_some_and(|start| start > now),
            Self::MoreStagesRemain => {
                request.approval_stage.saturating_add(1) < request.approval_stages()
            }
            Self::EscalationDue | Self::DecisionTimedOut | Self::StartReached => {
                self.due_at(request).is_some_and(|due| now >= due)
            }
            Self::WithinReprocessWindow => request
                .first_completed_at
                .is_some_and(|completed| now <= completed.after(REPROCESS_WINDOW)),
        }
    }

    /// For a condition that starts to hold once a time passes, that time.
    pub fn due_at(self, request: &Request) -> Option<Timestamp> {
        let approval = request.rules.approval;
        match self {
            Self::EscalationDue => {
                Some(request.stage_started_at()?.after(approval?.escalate_after?))
            }
            Self::DecisionTimedOut => Some(
                request
                    .stage_started_at()?
                    .after(approval?.decision_timeout),
            ),
            Self::StartReached => Some(request.starts_at.unwrap_or_default()),
            Self::Always
            | Self::CalloutConfigured
            | Self::ApprovalRequired
            | Self::StartsLater
            | Self::MoreStagesRemain
            | Self::WithinReprocessWindow => None,
        }
    }
}

/// One row of the transition table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    /// The status the request is in.
    pub from: RequestStatus,
    /// The action performed.
    pub action: ActionKind,
    /// The condition under which this row applies.
    pub when: Condition,
    /// The status the request moves to.
    pub to: RequestStatus,
    /// Whether Microsoft documents this move, or entitle decided it.
    pub provenance: Provenance,
}

const fn row(
    from: RequestStatus,
    action: ActionKind,
    when: Condition,
    to: RequestStatus,
    provenance: Provenance,
) -> Transition {
    Transition {
        from,
        action,
        when,
        to,
        provenance,
    }
}

use ActionKind as A;
use Condition as C;
use RequestStatus as S;

const fn doc(source: Source) -> Provenance {
    Provenance::Documented(source)
}

const fn model(decision: Decision) -> Provenance {
    Provenance::Modelled(decision)
}

/// Every transition, grouped by status in lifecycle order, then by action; within a group the first
/// row whose condition holds wins.
#[rustfmt::skip]
pub const TRANSITIONS: &[Transition] = &[
    // Accepted: the service routes a new request by its policy; the requestor may still cancel.
    row(S::Accepted, A::Process, C::CalloutConfigured, S::WaitingForCallback, model(Decision::CalloutStage)),
    row(S::Accepted, A::Process, C::ApprovalRequired, S::PendingApproval, doc(Source::RequestProcess)),
    row(S::Accepted, A::Process, C::StartsLater, S::PendingNotBefore, model(Decision::SubmissionRouting)),
    row(S::Accepted, A::Process, C::Always, S::Delivering, model(Decision::SubmissionRouting)),
    row(S::Accepted, A::Cancel, C::Always, S::Canceled, doc(Source::CancelApi)),
    // WaitingForCallback: a custom extension resumes, denies or cancels.
    row(S::WaitingForCallback, A::ResumeContinue, C::ApprovalRequired, S::PendingApproval, model(Decision::CalloutStage)),
    row(S::WaitingForCallback, A::ResumeContinue, C::StartsLater, S::PendingNotBefore, model(Decision::CalloutStage)),
    row(S::WaitingForCallback, A::ResumeContinue, C::Always, S::Delivering, model(Decision::CalloutStage)),
    row(S::WaitingForCallback, A::ResumeDeny, C::Always, S::Denied, doc(Source::CallbackData)),
    row(S::WaitingForCallback, A::ResumeCancel, C::Always, S::Canceled, doc(Source::CallbackData)),
    // PendingApproval: approvers decide stage by stage; timers escalate or expire the stage.
    row(S::PendingApproval, A::Approve, C::MoreStagesRemain, S::PendingApproval, doc(Source::RequestProcess)),
    row(S::PendingApproval, A::Approve, C::StartsLater, S::PendingNotBefore, model(Decision::ApprovalCompletion)),
    row(S::PendingApproval, A::Approve, C::Always, S::Delivering, doc(Source::RequestProcess)),
    row(S::PendingApproval, A::Deny, C::Always, S::Denied, doc(Source::RequestProcess)),
    row(S::PendingApproval, A::Escalate, C::EscalationDue, S::PendingApprovalEscalated, doc(Source::RequestProcess)),
    row(S::PendingApproval, A::Expire, C::DecisionTimedOut, S::Expired, doc(Source::RequestProcess)),
    row(S::PendingApproval, A::Cancel, C::Always, S::Canceled, doc(Source::CancelApi)),
    // PendingApprovalEscalated: as pending approval, with the alternate approvers asked.
    row(S::PendingApprovalEscalated, A::Approve, C::MoreStagesRemain, S::PendingApproval, doc(Source::RequestProcess)),
    row(S::PendingApprovalEscalated, A::Approve, C::StartsLater, S::PendingNotBefore, model(Decision::ApprovalCompletion)),
    row(S::PendingApprovalEscalated, A::Approve, C::Always, S::Delivering, doc(Source::RequestProcess)),
    row(S::PendingApprovalEscalated, A::Deny, C::Always, S::Denied, doc(Source::RequestProcess)),
    row(S::PendingApprovalEscalated, A::Expire, C::DecisionTimedOut, S::Expired, doc(Source::RequestProcess)),
    row(S::PendingApprovalEscalated, A::Cancel, C::Always, S::Canceled, doc(Source::CancelApi)),
    // PendingNotBefore: delivery starts at the scheduled start.
    row(S::PendingNotBefore, A::ReachStart, C::StartReached, S::Delivering, model(Decision::SubmissionRouting)),
    row(S::PendingNotBefore, A::Cancel, C::Always, S::Canceled, doc(Source::CancelApi)),
    // Delivering: one of three outcomes.
    row(S::Delivering, A::Deliver, C::Always, S::Delivered, doc(Source::RequestProcess)),
    row(S::Delivering, A::DeliverPartially, C::Always, S::PartiallyDelivered, doc(Source::RequestProcess)),
    row(S::Delivering, A::FailDelivery, C::Always, S::DeliveryFailed, model(Decision::DeliveryOutcomes)),
    // Incomplete deliveries may be retried for a while.
    row(S::PartiallyDelivered, A::Reprocess, C::WithinReprocessWindow, S::Delivering, doc(Source::ReprocessApi)),
    row(S::DeliveryFailed, A::Reprocess, C::WithinReprocessWindow, S::Delivering, doc(Source::ReprocessApi)),
];

/// Where each (status, action) group sits in [`TRANSITIONS`]: its first row and its length.
type Index = [[(u8, u8); ActionKind::COUNT]; RequestStatus::COUNT];

/// The index of every group, computed (and checked) while compiling.
static INDEX: Index = index(TRANSITIONS);

/// The statuses with a `cancel` row, one bit per status, computed while compiling.
const CANCELABLE: u16 = statuses_with(&index(TRANSITIONS), ActionKind::Cancel);

/// The statuses with a row for `action` in `index`, one bit per status.
#[expect(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: an index out of bounds fails the build, never a run"
)]
const fn statuses_with(index: &Index, action: ActionKind) -> u16 {
    let mut bits = 0;
    let mut status = 0;
    while status < RequestStatus::COUNT {
        if index[status][action as usize].1 > 0 {
            bits |= 1 << status;
        }
        status += 1;
    }
    bits
}

/// Whether the table has a `cancel` row from `status`: one bit test.
#[inline]
pub(crate) const fn has_cancel_row(status: RequestStatus) -> bool {
    CANCELABLE >> (status as u16) & 1 == 1
}

/// Indexes `table` by (status, action). The build fails if a group's rows are not contiguous or the
/// table has more than 255 rows, so a lookup never scans the table.
#[expect(
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    reason = "evaluated at compile time: an index out of bounds or a bad cast fails the build, never a run"
)]
const fn index(table: &[Transition]) -> Index {
    assert!(
        table.len() <= u8::MAX as usize,
        "the transition table has more than 255 rows"
    );
    let mut index = [[(0_u8, 0_u8); ActionKind::COUNT]; RequestStatus::COUNT];
    let mut row = 0;
    while row < table.len() {
        let (from, action) = (table[row].from as usize, table[row].action as usize);
        let (start, len) = index[from][action];
        if len == 0 {
            index[from][action] = (row as u8, 1);
        } else {
            assert!(
                start as usize + len as usize == row,
                "a group's rows are not contiguous"
            );
            index[from][action] = (start, len + 1);
        }
        row += 1;
    }
    index
}

/// The rows for `action` from `from`, in the order they are tried.
pub fn rows(from: RequestStatus, action: ActionKind) -> &'static [Transition] {
    let (start, len) = INDEX
        .get(from as usize)
        .and_then(|actions| actions.get(action as usize))
        .copied()
        .unwrap_or_default();
    let start = usize::from(start);
    TRANSITIONS
        .get(start..start + usize::from(len))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn rows_are_grouped_by_status_then_action() {
        let keys: Vec<_> = TRANSITIONS
            .iter()
            .map(|row| (row.from, row.action))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        // A group's rows are contiguous and groups appear in status, then action, order.
        sorted.dedup();
        let mut grouped = keys.clone();
        grouped.dedup();
        assert_eq!(grouped, sorted);
    }

    #[test]
    fn unconditional_rows_end_their_group() {
        for (index, row) in TRANSITIONS.iter().enumerate() {
            let rest: Vec<_> = rows(row.from, row.action).iter().collect();
            // `Always` may only be the last row of its group: rows after it would be dead.
            if row.when == Condition::Always {
                assert_eq!(rest.last(), Some(&row), "dead rows after row {index}");
            }
        }
    }

    #[test]
    fn no_row_is_repeated() {
        for (index, row) in TRANSITIONS.iter().enumerate() {
            let same = TRANSITIONS
                .iter()
                .filter(|other| {
                    (other.from, other.action, other.when) == (row.from, row.action, row.when)
                })
                .count();
            assert_eq!(same, 1, "row {index} is repeated");
        }
    }

    #[test]
    fn cancel_rows_are_documented_and_end_in_canceled() {
        let cancel: Vec<_> = TRANSITIONS
            .iter()
            .filter(|row| row.action == ActionKind::Cancel)
            .collect();
        assert_eq!(cancel.len(), 4);
        for row in cancel {
            assert_eq!(row.to, RequestStatus::Canceled);
            assert_eq!(row.when, Condition::Always);
            assert_eq!(row.provenance, Provenance::Documented(Source::CancelApi));
        }
    }

    #[test]
    fn describe_and_names_are_distinct() {
        let names: alloc::collections::BTreeSet<_> =
            Condition::VARIANTS.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Condition::VARIANTS.len());
    }

    #[test]
    fn the_reprocess_window_is_described_by_its_length() {
        let text = alloc::format!("at most {REPROCESS_WINDOW_DAYS} days ago");
        assert!(Condition::WithinReprocessWindow.describe().contains(&text));
    }
}
