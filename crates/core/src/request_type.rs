//! What a request asks for: its `requestType`, who may submit each type, and what it does to an
//! access package assignment.

use alloc::string::String;

use serde::{Deserialize, Serialize};
use strum::{EnumCount, VariantArray};

use crate::error::InvalidInput;
use crate::provenance::{Decision, Provenance, Source};
use crate::status::ApiVersion;

/// The kind of an assignment request (`accessPackageRequestType` in v1.0, the `requestType` string in
/// beta), in v1.0 member order, then the members v1.0 lacks.
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
pub enum RequestType {
    /// `notSpecified`.
    NotSpecified,
    /// `userAdd`: a user asks for an assignment for themselves.
    UserAdd,
    /// `userUpdate`: a user asks to change their own assignment (its schedule or answers).
    UserUpdate,
    /// `userRemove`: a user gives up their own assignment.
    UserRemove,
    /// `adminAdd`: an administrator assigns someone directly.
    AdminAdd,
    /// `adminUpdate`: an administrator changes someone's assignment.
    AdminUpdate,
    /// `adminRemove`: an administrator removes someone's assignment.
    AdminRemove,
    /// `systemAdd`: the service assigns someone (automatic assignment policies).
    SystemAdd,
    /// `systemUpdate`: the service changes an assignment.
    SystemUpdate,
    /// `systemRemove`: the service removes an assignment.
    SystemRemove,
    /// `onBehalfAdd`: documented as not supported.
    OnBehalfAdd,
    /// `approverRemove`: an approver removes an assignment; past `unknownFutureValue` in v1.0.
    ApproverRemove,
    /// `UserExtend`: a user asks to extend their own assignment; beta only.
    UserExtend,
}

/// What a request does to the access package assignment it concerns.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, VariantArray,
)]
#[serde(rename_all = "camelCase")]
pub enum Effect {
    /// Nothing: the type states no intent.
    None,
    /// Creates an assignment once delivery starts.
    Add,
    /// Changes an existing assignment (its schedule, its answers) when delivered.
    Update,
    /// Removes an existing assignment when delivered.
    Remove,
}

/// Who may submit a request of a type.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, VariantArray,
)]
#[serde(rename_all = "camelCase")]
pub enum Submitter {
    /// The signed-in user, for themselves (an end-user request).
    Target,
    /// An approver of the assignment's policy (an end-user request).
    Approver,
    /// An administrator, or an application acting as itself.
    Administrator,
    /// The service itself.
    System,
    /// No one: the type cannot be submitted.
    NoOne,
}

impl RequestType {
    /// The v1.0 member name (lowerCamel).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotSpecified => "notSpecified",
            Self::UserAdd => "userAdd",
            Self::UserUpdate => "userUpdate",
            Self::UserRemove => "userRemove",
            Self::AdminAdd => "adminAdd",
            Self::AdminUpdate => "adminUpdate",
            Self::AdminRemove => "adminRemove",
            Self::SystemAdd => "systemAdd",
            Self::SystemUpdate => "systemUpdate",
            Self::SystemRemove => "systemRemove",
            Self::OnBehalfAdd => "onBehalfAdd",
            Self::ApproverRemove => "approverRemove",
            Self::UserExtend => "userExtend",
        }
    }

    /// The beta spelling (PascalCase).
    pub const fn beta_str(self) -> &'static str {
        match self {
            Self::NotSpecified => "NotSpecified",
            Self::UserAdd => "UserAdd",
            Self::UserUpdate => "UserUpdate",
            Self::UserRemove => "UserRemove",
            Self::AdminAdd => "AdminAdd",
            Self::AdminUpdate => "AdminUpdate",
            Self::AdminRemove => "AdminRemove",
            Self::SystemAdd => "SystemAdd",
            Self::SystemUpdate => "SystemUpdate",
            Self::SystemRemove => "SystemRemove",
            Self::OnBehalfAdd => "OnBehalfAdd",
            Self::ApproverRemove => "ApproverRemove",
            Self::UserExtend => "UserExtend",
        }
    }

    /// The spelling of `api`.
    pub const fn name_in(self, api: ApiVersion) -> &'static str {
        match api {
            ApiVersion::V1 => self.as_str(),
            ApiVersion::Beta => self.beta_str(),
        }
    }

    /// Whether v1.0's `accessPackageRequestType` has the member before its `unknownFutureValue`
    /// sentinel. `approverRemove` comes after it; `UserExtend` is beta's only.
    pub const fn is_before_sentinel(self) -> bool {
        !matches!(self, Self::ApproverRemove | Self::UserExtend)
    }

    /// Parses either spelling, ignoring ASCII case.
    ///
    /// # Errors
    /// [`InvalidInput::UnknownRequestType`] for anything else.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        Self::VARIANTS
            .iter()
            .copied()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| InvalidInput::UnknownRequestType { value: text.into() })
    }

    /// What the request does to its assignment.
    pub const fn effect(self) -> Effect {
        match self {
            Self::NotSpecified => Effect::None,
            Self::UserAdd | Self::AdminAdd | Self::SystemAdd | Self::OnBehalfAdd => Effect::Add,
            Self::UserUpdate | Self::AdminUpdate | Self::SystemUpdate | Self::UserExtend => {
                Effect::Update
            }
            Self::UserRemove | Self::AdminRemove | Self::SystemRemove | Self::ApproverRemove => {
                Effect::Remove
            }
        }
    }

    /// Who may submit a request of this type.
    pub const fn submitter(self) -> Submitter {
        match self {
            Self::UserAdd | Self::UserUpdate | Self::UserRemove | Self::UserExtend => {
                Submitter::Target
            }
            Self::ApproverRemove => Submitter::Approver,
            Self::AdminAdd | Self::AdminUpdate | Self::AdminRemove => Submitter::Administrator,
            Self::SystemAdd | Self::SystemUpdate | Self::SystemRemove => Submitter::System,
            Self::NotSpecified | Self::OnBehalfAdd => Submitter::NoOne,
        }
    }

    /// Whether the request acts on an existing assignment, named when it is submitted.
    pub const fn needs_assignment(self) -> bool {
        matches!(self.effect(), Effect::Update | Effect::Remove)
    }

    /// Whether a submission that names no target is for its submitter: an end user adding access
    /// asks for themselves. A change or removal concerns the holder of the assignment it names, and
    /// every other adding request names its target.
    pub const fn targets_submitter_by_default(self) -> bool {
        matches!(self.submitter(), Submitter::Target) && !self.needs_assignment()
    }

    /// Whether the request grants or changes access, so the policy's approval and its custom extension
    /// at `assignmentRequestCreated` apply to it.
    pub const fn grants(self) -> bool {
        matches!(self.effect(), Effect::Add | Effect::Update)
    }

    /// Whether the policy's approval applies: only to what end users ask for themselves. Direct
    /// assignments by administrators, the service's own requests and removals are not approved.
    pub const fn needs_approval(self) -> bool {
        self.grants() && matches!(self.submitter(), Submitter::Target)
    }

    /// Where the type, and who may submit it, comes from.
    pub const fn provenance(self) -> Provenance {
        match self {
            Self::UserAdd
            | Self::UserUpdate
            | Self::UserRemove
            | Self::AdminAdd
            | Self::AdminUpdate
            | Self::AdminRemove
            | Self::ApproverRemove
            | Self::UserExtend => Provenance::Documented(Source::CreateApi),
            Self::NotSpecified
            | Self::SystemAdd
            | Self::SystemUpdate
            | Self::SystemRemove
            | Self::OnBehalfAdd => Provenance::Modelled(Decision::RequestTypes),
        }
    }
}

named_enum!(RequestType);

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeSet;

    #[test]
    fn only_end_user_adds_default_to_their_submitter() {
        let defaulting: alloc::vec::Vec<_> = RequestType::VARIANTS
            .iter()
            .copied()
            .filter(|kind| kind.targets_submitter_by_default())
            .collect();
        assert_eq!(defaulting, [RequestType::UserAdd]);
    }

    #[test]
    fn names_are_unique_and_parse_back_in_both_spellings() {
        let names: BTreeSet<_> = RequestType::VARIANTS.iter().map(|t| t.as_str()).collect();
        assert_eq!(names.len(), RequestType::COUNT);
        for &kind in RequestType::VARIANTS {
            for api in ApiVersion::VARIANTS {
                assert_eq!(RequestType::parse(kind.name_in(*api)), Ok(kind));
            }
            assert!(kind.beta_str().eq_ignore_ascii_case(kind.as_str()));
        }
        assert_eq!(
            RequestType::parse("unknownFutureValue"),
            Err(InvalidInput::UnknownRequestType {
                value: "unknownFutureValue".into()
            })
        );
        assert_eq!(
            serde_json::to_string(&RequestType::AdminRemove).unwrap(),
            "\"adminRemove\""
        );
        assert_eq!(
            serde_json::from_str::<RequestType>("\"UserAdd\"").unwrap(),
            RequestType::UserAdd
        );
    }

    #[test]
    fn only_changes_and_removals_need_an_existing_assignment() {
        for &kind in RequestType::VARIANTS {
            assert_eq!(
                kind.needs_assignment(),
                matches!(kind.effect(), Effect::Update | Effect::Remove),
                "{kind}"
            );
        }
        assert!(RequestType::UserExtend.needs_assignment());
        assert!(!RequestType::UserAdd.needs_assignment());
    }

    #[test]
    fn approval_applies_to_what_users_ask_for_themselves() {
        let approved: BTreeSet<_> = RequestType::VARIANTS
            .iter()
            .filter(|kind| kind.needs_approval())
            .collect();
        assert_eq!(
            approved,
            [
                RequestType::UserAdd,
                RequestType::UserUpdate,
                RequestType::UserExtend
            ]
            .iter()
            .collect()
        );
        assert!(RequestType::AdminAdd.grants());
        assert!(!RequestType::AdminRemove.grants());
    }

    #[test]
    fn the_sentinel_hides_the_late_members() {
        assert!(RequestType::UserAdd.is_before_sentinel());
        assert!(!RequestType::ApproverRemove.is_before_sentinel());
        assert!(!RequestType::UserExtend.is_before_sentinel());
        assert_eq!(RequestType::OnBehalfAdd.submitter(), Submitter::NoOne);
        assert!(
            RequestType::SystemRemove.provenance() == Provenance::Modelled(Decision::RequestTypes)
        );
        assert!(RequestType::ApproverRemove.provenance().is_documented());
    }
}
