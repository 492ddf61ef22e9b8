//! The policy facts a request is submitted under: approval stages and their timers, custom extensions.

use serde::{Deserialize, Serialize};

use crate::error::InvalidInput;
use crate::time::Duration;

/// The most approval stages a Microsoft Entra policy can have.
pub const MAX_APPROVAL_STAGES: u8 = 3;

/// How a policy asks for approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalPolicy {
    /// The number of stages, from 1 to [`MAX_APPROVAL_STAGES`].
    pub stages: u8,
    /// How long each stage waits for a decision before the request expires.
    pub decision_timeout: Duration,
    /// How long each stage waits before asking the alternate approvers, when escalation is on.
    pub escalate_after: Option<Duration>,
}

/// The facts of the assignment policy that decide how a request is processed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// Approval settings, or `None` when the policy needs no approval.
    pub approval: Option<ApprovalPolicy>,
    /// Whether a custom extension runs at `assignmentRequestCreated` and pauses the request.
    pub callout_on_created: bool,
}

impl Policy {
    /// Checks the facts a policy can state but Microsoft Entra would not accept.
    ///
    /// # Errors
    /// [`InvalidInput::ApprovalStages`] when approval has no stages or more than three.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        match self.approval {
            Some(approval) if !(1..=MAX_APPROVAL_STAGES).contains(&approval.stages) => {
                Err(InvalidInput::ApprovalStages {
                    stages: approval.stages,
                })
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_stages(stages: u8) -> Policy {
        Policy {
            approval: Some(ApprovalPolicy {
                stages,
                decision_timeout: Duration::days(14),
                escalate_after: None,
            }),
            callout_on_created: false,
        }
    }

    #[test]
    fn one_to_three_stages_are_valid() {
        for stages in 1..=3 {
            assert_eq!(with_stages(stages).validate(), Ok(()));
        }
        assert_eq!(Policy::default().validate(), Ok(()));
    }

    #[test]
    fn zero_or_more_than_three_stages_are_invalid() {
        for stages in [0, 4, u8::MAX] {
            assert_eq!(
                with_stages(stages).validate(),
                Err(InvalidInput::ApprovalStages { stages })
            );
        }
    }
}
