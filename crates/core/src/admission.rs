//! Whom a policy admits: its `requestorSettings` (who may ask for themselves, or on another's
//! behalf, to add, update or remove) and its `allowedTargetScope` (who may be assigned). The
//! adapter states the facts about the target; the answer is decided here (D29).

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::request_type::{Effect, RequestType, Submitter};

/// `allowedTargetScope`: who may be assigned the package through the policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TargetScope {
    /// No one may request; administrators assign directly (`notSpecified`, the default).
    #[default]
    NotSpecified,
    /// The directory users and group members the policy names (`specificDirectoryUsers`).
    SpecificDirectoryUsers,
    /// The users of the connected organizations the policy names.
    SpecificConnectedOrganizationUsers,
    /// The service principals the policy names.
    SpecificDirectoryServicePrincipals,
    /// The directory's members, not its guests (`allMemberUsers`).
    AllMemberUsers,
    /// The directory's users, members and guests (`allDirectoryUsers`).
    AllDirectoryUsers,
    /// Every service principal of the directory.
    AllDirectoryServicePrincipals,
    /// The users of every configured connected organization.
    AllConfiguredConnectedOrganizationUsers,
    /// Anyone, in the directory or not (`allExternalUsers`).
    AllExternalUsers,
}

impl TargetScope {
    /// Every scope, in Graph's order.
    pub const ALL: [Self; 9] = [
        Self::NotSpecified,
        Self::SpecificDirectoryUsers,
        Self::SpecificConnectedOrganizationUsers,
        Self::SpecificDirectoryServicePrincipals,
        Self::AllMemberUsers,
        Self::AllDirectoryUsers,
        Self::AllDirectoryServicePrincipals,
        Self::AllConfiguredConnectedOrganizationUsers,
        Self::AllExternalUsers,
    ];

    /// Graph's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotSpecified => "notSpecified",
            Self::SpecificDirectoryUsers => "specificDirectoryUsers",
            Self::SpecificConnectedOrganizationUsers => "specificConnectedOrganizationUsers",
            Self::SpecificDirectoryServicePrincipals => "specificDirectoryServicePrincipals",
            Self::AllMemberUsers => "allMemberUsers",
            Self::AllDirectoryUsers => "allDirectoryUsers",
            Self::AllDirectoryServicePrincipals => "allDirectoryServicePrincipals",
            Self::AllConfiguredConnectedOrganizationUsers => {
                "allConfiguredConnectedOrganizationUsers"
            }
            Self::AllExternalUsers => "allExternalUsers",
        }
    }

    /// The scope Graph's name names.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == text)
    }

    /// Whether the scope takes in a user with these facts.
    pub const fn admits(self, target: TargetFacts) -> bool {
        match self {
            Self::NotSpecified
            | Self::SpecificDirectoryServicePrincipals
            | Self::AllDirectoryServicePrincipals => false,
            Self::SpecificDirectoryUsers => {
                !matches!(target.kind, TargetKind::External) && target.named
            }
            Self::SpecificConnectedOrganizationUsers => {
                target.connected_organization && target.named
            }
            Self::AllMemberUsers => matches!(target.kind, TargetKind::Member),
            Self::AllDirectoryUsers => !matches!(target.kind, TargetKind::External),
            Self::AllConfiguredConnectedOrganizationUsers => {
                !matches!(target.kind, TargetKind::Member) && target.connected_organization
            }
            Self::AllExternalUsers => true,
        }
    }
}

impl fmt::Display for TargetScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the user a request is for is, as the adapter found them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TargetKind {
    /// A member of the directory (`userType` `Member`).
    Member,
    /// A guest in the directory (`userType` `Guest`).
    Guest,
    /// Not in the directory yet: named by email, invited on delivery.
    External,
}

/// The facts about a request's target that its policy's scope is decided by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetFacts {
    /// Member, guest, or not in the directory.
    pub kind: TargetKind,
    /// The user belongs to a connected organization (by their email's domain).
    pub connected_organization: bool,
    /// The policy's `specificAllowedTargets` include the user.
    pub named: bool,
}

/// A policy's `requestorSettings`: which requests users may submit for themselves, and on others'
/// behalf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(
    clippy::struct_excessive_bools,
    reason = "Graph's settings are six independent switches"
)]
pub struct RequestorRules {
    /// `allowedTargetScope`.
    pub scope: TargetScope,
    /// `enableTargetsToSelfAddAccess`.
    pub self_add: bool,
    /// `enableTargetsToSelfUpdateAccess`.
    pub self_update: bool,
    /// `enableTargetsToSelfRemoveAccess`.
    pub self_remove: bool,
    /// `enableOnBehalfRequestorsToAddAccess`.
    pub on_behalf_add: bool,
    /// `enableOnBehalfRequestorsToUpdateAccess`.
    pub on_behalf_update: bool,
    /// `enableOnBehalfRequestorsToRemoveAccess`.
    pub on_behalf_remove: bool,
}

impl RequestorRules {
    /// A policy open to every directory user for every self-service request, with no on-behalf
    /// requestors: what a directory built without Graph's settings means.
    pub const OPEN: Self = Self {
        scope: TargetScope::AllDirectoryUsers,
        self_add: true,
        self_update: true,
        self_remove: true,
        on_behalf_add: true,
        on_behalf_update: true,
        on_behalf_remove: true,
    };
}

impl Default for RequestorRules {
    fn default() -> Self {
        Self::OPEN
    }
}

/// Why a policy does not admit a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
pub enum NotAdmitted {
    /// The policy does not let users submit this type for themselves.
    #[error(
        "the policy does not let users submit `{kind}` requests for themselves (`requestorSettings`)"
    )]
    SelfService {
        /// The request's type.
        kind: RequestType,
    },
    /// The policy does not let on-behalf requestors submit this type.
    #[error(
        "the policy does not let on-behalf requestors submit `{kind}` requests (`requestorSettings`)"
    )]
    OnBehalf {
        /// The request's type.
        kind: RequestType,
    },
    /// The target is outside the policy's `allowedTargetScope`.
    #[error("the request's target is outside the policy's `allowedTargetScope` `{scope}`")]
    OutOfScope {
        /// The policy's scope.
        scope: TargetScope,
    },
}

/// Decides whether a policy with `rules` admits a request of `kind` for a target with `target`'s
/// facts, asked by the target (`on_behalf` false) or by an on-behalf requestor. Requests an
/// administrator or the service submits are not the requestor settings' to refuse; a target
/// outside the directory must be in scope whoever asks.
///
/// # Errors
/// The [`NotAdmitted`] reason.
pub const fn admit(
    kind: RequestType,
    rules: &RequestorRules,
    target: TargetFacts,
    on_behalf: bool,
) -> Result<(), NotAdmitted> {
    if !matches!(kind.submitter(), Submitter::Target) {
        return if matches!(target.kind, TargetKind::External) && !rules.scope.admits(target) {
            Err(NotAdmitted::OutOfScope { scope: rules.scope })
        } else {
            Ok(())
        };
    }
    let allowed = match (kind.effect(), on_behalf) {
        (Effect::Add, false) => rules.self_add,
        (Effect::Update, false) => rules.self_update,
        (Effect::Remove, false) => rules.self_remove,
        (Effect::Add, true) => rules.on_behalf_add,
        (Effect::Update, true) => rules.on_behalf_update,
        (Effect::Remove, true) => rules.on_behalf_remove,
        (Effect::None, _) => false,
    };
    if !allowed {
        return Err(if on_behalf {
            NotAdmitted::OnBehalf { kind }
        } else {
            NotAdmitted::SelfService { kind }
        });
    }
    if rules.scope.admits(target) {
        Ok(())
    } else {
        Err(NotAdmitted::OutOfScope { scope: rules.scope })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    const fn facts(kind: TargetKind, connected_organization: bool, named: bool) -> TargetFacts {
        TargetFacts {
            kind,
            connected_organization,
            named,
        }
    }

    const MEMBER: TargetFacts = facts(TargetKind::Member, false, false);
    const GUEST: TargetFacts = facts(TargetKind::Guest, true, false);
    const OUTSIDER: TargetFacts = facts(TargetKind::External, false, false);
    const PARTNER: TargetFacts = facts(TargetKind::External, true, false);

    #[test]
    fn scopes_take_in_whom_their_names_say() {
        use TargetScope as S;
        let table = [
            (S::NotSpecified, [false, false, false, false]),
            (S::AllMemberUsers, [true, false, false, false]),
            (S::AllDirectoryUsers, [true, true, false, false]),
            (
                S::AllConfiguredConnectedOrganizationUsers,
                [false, true, false, true],
            ),
            (S::AllExternalUsers, [true, true, true, true]),
            (
                S::AllDirectoryServicePrincipals,
                [false, false, false, false],
            ),
        ];
        for (scope, expected) in table {
            let got = [MEMBER, GUEST, OUTSIDER, PARTNER].map(|target| scope.admits(target));
            assert_eq!(got, expected, "{scope}");
            assert_eq!(S::parse(scope.as_str()), Some(scope));
            assert_eq!(scope.to_string(), scope.as_str());
        }
        let named = facts(TargetKind::Member, false, true);
        assert!(S::SpecificDirectoryUsers.admits(named));
        assert!(!S::SpecificDirectoryUsers.admits(MEMBER));
        assert!(S::SpecificConnectedOrganizationUsers.admits(facts(
            TargetKind::External,
            true,
            true
        )));
        assert!(!S::SpecificConnectedOrganizationUsers.admits(named));
        assert_eq!(S::parse("everyone"), None);
        assert_eq!(S::default(), S::NotSpecified);
    }

    #[test]
    fn requestor_settings_decide_self_service_and_on_behalf() {
        let closed = RequestorRules {
            scope: TargetScope::AllMemberUsers,
            self_add: false,
            self_update: true,
            self_remove: true,
            on_behalf_add: false,
            on_behalf_update: false,
            on_behalf_remove: false,
        };
        assert_eq!(
            admit(RequestType::UserAdd, &closed, MEMBER, false),
            Err(NotAdmitted::SelfService {
                kind: RequestType::UserAdd
            })
        );
        assert_eq!(
            admit(RequestType::UserRemove, &closed, MEMBER, false),
            Ok(())
        );
        assert_eq!(
            admit(RequestType::UserExtend, &closed, MEMBER, false),
            Ok(())
        );
        assert_eq!(
            admit(RequestType::UserAdd, &closed, MEMBER, true),
            Err(NotAdmitted::OnBehalf {
                kind: RequestType::UserAdd
            })
        );
        let open = RequestorRules {
            scope: TargetScope::AllMemberUsers,
            ..RequestorRules::OPEN
        };
        assert_eq!(admit(RequestType::UserAdd, &open, MEMBER, false), Ok(()));
        assert_eq!(
            admit(RequestType::UserAdd, &open, GUEST, false),
            Err(NotAdmitted::OutOfScope {
                scope: TargetScope::AllMemberUsers
            })
        );
    }

    #[test]
    fn administrators_are_not_the_requestor_settings_to_refuse() {
        let nobody = RequestorRules {
            scope: TargetScope::NotSpecified,
            self_add: false,
            self_update: false,
            self_remove: false,
            on_behalf_add: false,
            on_behalf_update: false,
            on_behalf_remove: false,
        };
        assert_eq!(admit(RequestType::AdminAdd, &nobody, MEMBER, false), Ok(()));
        assert_eq!(
            admit(RequestType::AdminRemove, &nobody, GUEST, false),
            Ok(())
        );
        // Someone outside the directory is invited only where the scope takes them in.
        assert_eq!(
            admit(RequestType::AdminAdd, &nobody, PARTNER, false),
            Err(NotAdmitted::OutOfScope {
                scope: TargetScope::NotSpecified
            })
        );
        let partners = RequestorRules {
            scope: TargetScope::AllConfiguredConnectedOrganizationUsers,
            ..nobody
        };
        assert_eq!(
            admit(RequestType::AdminAdd, &partners, PARTNER, false),
            Ok(())
        );
        assert_eq!(
            admit(
                RequestType::NotSpecified,
                &RequestorRules::OPEN,
                MEMBER,
                false
            ),
            Ok(())
        );
    }
}
