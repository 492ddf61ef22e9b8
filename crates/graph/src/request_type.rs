//! `requestType`: an evolvable enum in v1.0, a PascalCase string in beta.

use core::fmt;

use entitle_core::ApiVersion;
use serde::{Deserialize, Serialize};
use strum::VariantArray;

/// Whether the client opted in to evolvable-enum members past `unknownFutureValue`
/// (`Prefer: include-unknown-enum-members`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EnumPolicy {
    /// Members after the sentinel are shown as themselves rather than as `unknownFutureValue`.
    pub include_unknown_members: bool,
}

/// The `Prefer` preference that opts in to new enum members.
pub const INCLUDE_UNKNOWN_ENUM_MEMBERS: &str = "include-unknown-enum-members";

impl EnumPolicy {
    /// The policy asked for by the `Prefer` header values of a request.
    pub fn from_prefer<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let include_unknown_members = values.into_iter().any(|value| {
            value.split(',').any(|preference| {
                preference
                    .trim()
                    .eq_ignore_ascii_case(INCLUDE_UNKNOWN_ENUM_MEMBERS)
            })
        });
        Self {
            include_unknown_members,
        }
    }
}

/// The kind of an assignment request (`accessPackageRequestType`), in v1.0 member order.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, VariantArray,
)]
#[serde(rename_all = "camelCase")]
pub enum RequestType {
    /// `notSpecified`.
    NotSpecified,
    /// `userAdd`: a user asks for an assignment.
    UserAdd,
    /// `userUpdate`.
    UserUpdate,
    /// `userRemove`.
    UserRemove,
    /// `adminAdd`: an administrator assigns a user directly.
    AdminAdd,
    /// `adminUpdate`.
    AdminUpdate,
    /// `adminRemove`.
    AdminRemove,
    /// `systemAdd`.
    SystemAdd,
    /// `systemUpdate`.
    SystemUpdate,
    /// `systemRemove`.
    SystemRemove,
    /// `onBehalfAdd` (documented as not supported).
    OnBehalfAdd,
    /// `approverRemove`: past the `unknownFutureValue` sentinel in v1.0.
    ApproverRemove,
}

impl RequestType {
    /// The v1.0 member name (lowerCamel).
    pub const fn v1_name(self) -> &'static str {
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
        }
    }

    /// The beta string (PascalCase).
    pub const fn beta_name(self) -> &'static str {
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
        }
    }

    /// Whether v1.0 lists this member after `unknownFutureValue`.
    pub const fn is_past_sentinel(self) -> bool {
        matches!(self, Self::ApproverRemove)
    }

    /// The name shown to a client: in v1.0, members past the sentinel read `unknownFutureValue` unless
    /// the client opted in.
    pub const fn wire_name(self, api: ApiVersion, policy: EnumPolicy) -> &'static str {
        match api {
            ApiVersion::Beta => self.beta_name(),
            ApiVersion::V1 if self.is_past_sentinel() && !policy.include_unknown_members => {
                "unknownFutureValue"
            }
            ApiVersion::V1 => self.v1_name(),
        }
    }

    /// Parses a name a client sent, in either spelling, ignoring ASCII case.
    ///
    /// In v1.0 a member past the sentinel needs the opt-in, and `unknownFutureValue` itself is never
    /// accepted as input (both are `400 Bad Request` under Graph's evolvable-enum rules).
    ///
    /// # Errors
    /// [`UnknownRequestType`] naming the text.
    pub fn parse(
        text: &str,
        api: ApiVersion,
        policy: EnumPolicy,
    ) -> Result<Self, UnknownRequestType> {
        let found = Self::VARIANTS.iter().copied().find(|kind| {
            kind.v1_name().eq_ignore_ascii_case(text) || kind.beta_name().eq_ignore_ascii_case(text)
        });
        match found {
            Some(kind)
                if api == ApiVersion::V1
                    && kind.is_past_sentinel()
                    && !policy.include_unknown_members =>
            {
                Err(UnknownRequestType {
                    value: text.to_owned(),
                })
            }
            Some(kind) => Ok(kind),
            None => Err(UnknownRequestType {
                value: text.to_owned(),
            }),
        }
    }
}

impl fmt::Display for RequestType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.v1_name())
    }
}

/// A `requestType` entitle does not accept.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown request type `{value}`")]
pub struct UnknownRequestType {
    /// The text given.
    pub value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTED_IN: EnumPolicy = EnumPolicy {
        include_unknown_members: true,
    };

    #[test]
    fn approver_remove_is_hidden_in_v1_unless_opted_in() {
        let kind = RequestType::ApproverRemove;
        assert_eq!(
            kind.wire_name(ApiVersion::V1, EnumPolicy::default()),
            "unknownFutureValue"
        );
        assert_eq!(kind.wire_name(ApiVersion::V1, OPTED_IN), "approverRemove");
        assert_eq!(
            kind.wire_name(ApiVersion::Beta, EnumPolicy::default()),
            "ApproverRemove"
        );
        assert_eq!(
            RequestType::UserAdd.wire_name(ApiVersion::V1, EnumPolicy::default()),
            "userAdd"
        );
    }

    #[test]
    fn parsing_follows_the_evolvable_enum_rules() {
        let none = EnumPolicy::default();
        assert_eq!(
            RequestType::parse("UserAdd", ApiVersion::V1, none),
            Ok(RequestType::UserAdd)
        );
        assert_eq!(
            RequestType::parse("adminadd", ApiVersion::Beta, none),
            Ok(RequestType::AdminAdd)
        );
        assert!(RequestType::parse("approverRemove", ApiVersion::V1, none).is_err());
        assert_eq!(
            RequestType::parse("approverRemove", ApiVersion::V1, OPTED_IN),
            Ok(RequestType::ApproverRemove)
        );
        assert!(RequestType::parse("ApproverRemove", ApiVersion::Beta, none).is_ok());
        assert!(RequestType::parse("unknownFutureValue", ApiVersion::V1, OPTED_IN).is_err());
        assert!(RequestType::parse("userExtend", ApiVersion::V1, none).is_err());
    }

    #[test]
    fn prefer_headers_opt_in_case_insensitively_among_other_preferences() {
        assert!(!EnumPolicy::from_prefer([]).include_unknown_members);
        assert!(EnumPolicy::from_prefer(["include-unknown-enum-members"]).include_unknown_members);
        assert!(
            EnumPolicy::from_prefer(["return=minimal, Include-Unknown-Enum-Members"])
                .include_unknown_members
        );
        assert!(
            EnumPolicy::from_prefer(["odata.maxpagesize=5", "include-unknown-enum-members"])
                .include_unknown_members
        );
        assert!(
            !EnumPolicy::from_prefer(["include-unknown-enum-members-please"])
                .include_unknown_members
        );
    }
}
