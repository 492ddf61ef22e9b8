//! `requestType` on the wire: an evolvable enum in v1.0, a PascalCase string in beta, and the client's
//! `Prefer: include-unknown-enum-members` opt-in.

use entitle_core::{ApiVersion, RequestType, VariantArray};

/// How a response writes enum values: whether the client opted in to evolvable-enum members past
/// `unknownFutureValue` (`Prefer: include-unknown-enum-members`), and how the path asked spells
/// beta's `requestType`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EnumPreference {
    /// Members after the sentinel are shown as themselves rather than as `unknownFutureValue`.
    pub include_unknown_members: bool,
    /// Beta's `requestType` in lowerCamel (`adminAdd`), as every example on beta's
    /// `/assignmentRequests` path shows it; PascalCase (`AdminAdd`) on `/accessPackageAssignmentRequests`
    /// (D20).
    pub beta_lower_camel: bool,
}

/// The `Prefer` preference that opts in to new enum members.
pub const INCLUDE_UNKNOWN_ENUM_MEMBERS: &str = "include-unknown-enum-members";

/// The sentinel v1.0 shows for members a client did not opt in to, or does not know.
pub const UNKNOWN_FUTURE_VALUE: &str = "unknownFutureValue";

impl EnumPreference {
    /// The preference asked for by the `Prefer` header values of a request.
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
            beta_lower_camel: false,
        }
    }

    /// This preference, on a path that spells beta's `requestType` in lowerCamel when `lower_camel`.
    #[must_use]
    pub const fn spelling(self, lower_camel: bool) -> Self {
        Self {
            beta_lower_camel: lower_camel,
            ..self
        }
    }
}

/// Whether v1.0's `accessPackageRequestType` has the member at all: `UserExtend` is beta's only.
const fn in_v1(kind: RequestType) -> bool {
    !matches!(kind, RequestType::UserExtend)
}

/// The name shown to a client: in v1.0, members past the sentinel read `unknownFutureValue` unless the
/// client opted in, and members v1.0 lacks always do.
pub const fn wire_name(
    kind: RequestType,
    api: ApiVersion,
    preference: EnumPreference,
) -> &'static str {
    match api {
        ApiVersion::Beta if preference.beta_lower_camel => kind.as_str(),
        ApiVersion::Beta => kind.beta_str(),
        ApiVersion::V1 if !in_v1(kind) => UNKNOWN_FUTURE_VALUE,
        ApiVersion::V1 if !kind.is_before_sentinel() && !preference.include_unknown_members => {
            UNKNOWN_FUTURE_VALUE
        }
        ApiVersion::V1 => kind.as_str(),
    }
}

/// Parses a name a client sent, in either spelling, ignoring ASCII case.
///
/// In v1.0 a member past the sentinel needs the opt-in, a member v1.0 lacks is unknown, and
/// `unknownFutureValue` itself is never accepted as input (all `400 Bad Request` under Graph's
/// evolvable-enum rules).
///
/// # Errors
/// [`UnknownRequestType`] naming the text.
pub fn parse(
    text: &str,
    api: ApiVersion,
    preference: EnumPreference,
) -> Result<RequestType, UnknownRequestType> {
    RequestType::VARIANTS
        .iter()
        .copied()
        .find(|kind| kind.as_str().eq_ignore_ascii_case(text))
        .filter(|kind| match api {
            ApiVersion::Beta => true,
            ApiVersion::V1 => {
                in_v1(*kind) && (kind.is_before_sentinel() || preference.include_unknown_members)
            }
        })
        .ok_or_else(|| UnknownRequestType {
            value: text.to_owned(),
        })
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

    const OPTED_IN: EnumPreference = EnumPreference {
        include_unknown_members: true,
        beta_lower_camel: false,
    };
    const NONE: EnumPreference = EnumPreference {
        include_unknown_members: false,
        beta_lower_camel: false,
    };

    #[test]
    fn approver_remove_is_hidden_in_v1_unless_opted_in() {
        let kind = RequestType::ApproverRemove;
        assert_eq!(wire_name(kind, ApiVersion::V1, NONE), "unknownFutureValue");
        assert_eq!(wire_name(kind, ApiVersion::V1, OPTED_IN), "approverRemove");
        assert_eq!(wire_name(kind, ApiVersion::Beta, NONE), "ApproverRemove");
        assert_eq!(
            wire_name(RequestType::UserAdd, ApiVersion::V1, NONE),
            "userAdd"
        );
    }

    #[test]
    fn beta_spells_request_types_as_the_path_does() {
        let camel = NONE.spelling(true);
        assert_eq!(
            wire_name(RequestType::AdminAdd, ApiVersion::Beta, camel),
            "adminAdd"
        );
        assert_eq!(
            wire_name(RequestType::UserExtend, ApiVersion::Beta, camel),
            "userExtend"
        );
        assert_eq!(
            wire_name(RequestType::AdminAdd, ApiVersion::Beta, NONE),
            "AdminAdd"
        );
        // v1.0 has one spelling.
        assert_eq!(
            wire_name(RequestType::ApproverRemove, ApiVersion::V1, camel),
            "unknownFutureValue"
        );
    }

    #[test]
    fn user_extend_exists_in_beta_only() {
        let kind = RequestType::UserExtend;
        assert_eq!(wire_name(kind, ApiVersion::Beta, NONE), "UserExtend");
        assert_eq!(
            wire_name(kind, ApiVersion::V1, OPTED_IN),
            "unknownFutureValue"
        );
        assert_eq!(parse("UserExtend", ApiVersion::Beta, NONE), Ok(kind));
        assert!(parse("userExtend", ApiVersion::V1, OPTED_IN).is_err());
    }

    #[test]
    fn parsing_follows_the_evolvable_enum_rules() {
        assert_eq!(
            parse("UserAdd", ApiVersion::V1, NONE),
            Ok(RequestType::UserAdd)
        );
        assert_eq!(
            parse("adminadd", ApiVersion::Beta, NONE),
            Ok(RequestType::AdminAdd)
        );
        assert!(parse("approverRemove", ApiVersion::V1, NONE).is_err());
        assert_eq!(
            parse("approverRemove", ApiVersion::V1, OPTED_IN),
            Ok(RequestType::ApproverRemove)
        );
        assert!(parse("ApproverRemove", ApiVersion::Beta, NONE).is_ok());
        assert!(parse("unknownFutureValue", ApiVersion::V1, OPTED_IN).is_err());
        assert_eq!(
            parse("nope", ApiVersion::Beta, NONE),
            Err(UnknownRequestType {
                value: "nope".into()
            })
        );
    }

    #[test]
    fn prefer_headers_opt_in_case_insensitively_among_other_preferences() {
        assert!(!EnumPreference::from_prefer([]).include_unknown_members);
        assert!(
            EnumPreference::from_prefer(["include-unknown-enum-members"]).include_unknown_members
        );
        assert!(
            EnumPreference::from_prefer(["return=minimal, Include-Unknown-Enum-Members"])
                .include_unknown_members
        );
        assert!(
            EnumPreference::from_prefer(["odata.maxpagesize=5", "include-unknown-enum-members"])
                .include_unknown_members
        );
        assert!(
            !EnumPreference::from_prefer(["include-unknown-enum-members-please"])
                .include_unknown_members
        );
    }
}
