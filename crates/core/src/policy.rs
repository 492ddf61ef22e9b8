//! The rules of an assignment policy that decide how a request is processed: approval stages and
//! their timers, and the custom extension at creation.

use serde::{Deserialize, Serialize};

use crate::error::InvalidInput;
use crate::time::Duration;

/// The most approval stages a Microsoft Entra policy can have.
pub const MAX_APPROVAL_STAGES: u8 = 3;

/// How a policy asks for approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApprovalRules {
    /// The number of stages, from 1 to [`MAX_APPROVAL_STAGES`].
    pub stages: u8,
    /// How long each stage waits for a decision before the request expires.
    pub decision_timeout: Duration,
    /// How long each stage waits before asking the alternate approvers, when escalation is on.
    pub escalate_after: Option<Duration>,
}

/// The rules of the assignment policy a request is submitted under.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyRules {
    /// Approval settings, or `None` when the policy needs no approval.
    pub approval: Option<ApprovalRules>,
    /// Whether a custom extension runs at `assignmentRequestCreated` and pauses the request.
    pub callout_on_created: bool,
}

impl PolicyRules {
    /// Checks the rules a policy can state but Microsoft Entra would not accept.
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

    /// The number of approval stages: 0 without approval.
    pub fn stages(&self) -> u8 {
        self.approval.map_or(0, |approval| approval.stages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_stages(stages: u8) -> PolicyRules {
        PolicyRules {
            approval: Some(ApprovalRules {
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
            assert_eq!(with_stages(stages).stages(), stages);
        }
        assert_eq!(PolicyRules::default().validate(), Ok(()));
        assert_eq!(PolicyRules::default().stages(), 0);
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
