//! What can happen to a request: the actions of its lifecycle.

use alloc::string::String;

use serde::{Deserialize, Serialize};
use strum::{EnumCount, VariantArray};

use crate::error::InvalidInput;

/// An action that may move a request from one status to another. Variants are in lifecycle order.
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
#[serde(try_from = "String", into = "&'static str")]
pub enum ActionKind {
    /// The service evaluates a newly accepted request against its policy and routes it.
    Process,
    /// A custom extension resumes a paused request and lets it continue.
    ResumeContinue,
    /// A custom extension resumes a paused request with `state` `Denied`.
    ResumeDeny,
    /// A custom extension resumes a paused request with `state` `Canceled`.
    ResumeCancel,
    /// An approver approves the current stage.
    Approve,
    /// An approver denies the request.
    Deny,
    /// The escalation time of the current stage passed: alternate approvers are asked.
    Escalate,
    /// The approval timeout of the current stage passed without a decision.
    Expire,
    /// The scheduled start date was reached.
    ReachStart,
    /// Delivery assigned access to every resource.
    Deliver,
    /// Delivery assigned access to some resources only.
    DeliverPartially,
    /// Delivery failed.
    FailDelivery,
    /// An administrator retries a failed or partial delivery (`POST …/reprocess`).
    Reprocess,
    /// The requestor or an administrator cancels the request (`POST …/cancel`).
    Cancel,
}

impl ActionKind {
    /// The action's name as shown in tables and accepted on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Process => "process",
            Self::ResumeContinue => "resumeContinue",
            Self::ResumeDeny => "resumeDeny",
            Self::ResumeCancel => "resumeCancel",
            Self::Approve => "approve",
            Self::Deny => "deny",
            Self::Escalate => "escalate",
            Self::Expire => "expire",
            Self::ReachStart => "reachStart",
            Self::Deliver => "deliver",
            Self::DeliverPartially => "deliverPartially",
            Self::FailDelivery => "failDelivery",
            Self::Reprocess => "reprocess",
            Self::Cancel => "cancel",
        }
    }

    /// Parses an action name, ignoring ASCII case.
    ///
    /// # Errors
    /// [`InvalidInput::UnknownAction`] for anything else.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        Self::VARIANTS
            .iter()
            .copied()
            .find(|action| action.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| InvalidInput::UnknownAction { value: text.into() })
    }
}

named_enum!(ActionKind);

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeSet;

    #[test]
    fn names_are_unique_and_parse_back() {
        let names: BTreeSet<_> = ActionKind::VARIANTS.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), ActionKind::COUNT);
        for &action in ActionKind::VARIANTS {
            assert_eq!(ActionKind::parse(action.as_str()), Ok(action));
            assert_eq!(
                ActionKind::parse(&action.as_str().to_uppercase()),
                Ok(action)
            );
        }
        assert_eq!(
            ActionKind::parse("submit"),
            Err(InvalidInput::UnknownAction {
                value: "submit".into()
            })
        );
    }

    #[test]
    fn serde_uses_the_table_names() {
        for &action in ActionKind::VARIANTS {
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, alloc::format!("\"{}\"", action.as_str()));
            assert_eq!(serde_json::from_str::<ActionKind>(&json).unwrap(), action);
        }
        assert_eq!(
            serde_json::to_string(&ActionKind::DeliverPartially).unwrap(),
            "\"deliverPartially\""
        );
        assert_eq!(
            serde_json::from_str::<ActionKind>("\"ReachStart\"").unwrap(),
            ActionKind::ReachStart
        );
        assert!(serde_json::from_str::<ActionKind>("\"submit\"").is_err());
    }
}
