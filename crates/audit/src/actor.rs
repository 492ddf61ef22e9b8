//! The kinds of caller an auditor asks about, each as a typical caller the core can decide for.

use core::fmt;

use entitle_core::{
    ApproverOf, Caller, Guid, MAX_APPROVAL_STAGES, Operation, Parties, Permission, Role, StageSet,
    SubjectId,
};
use serde::{Deserialize, Serialize};
use strum::VariantArray;

/// The requestor (and target) of the request every matrix cell is decided for.
pub const REQUESTOR: SubjectId = SubjectId::new(Guid::from_u128(0x0001));
/// Everyone else in the matrix: a user or application that did not submit the request.
const SOMEONE_ELSE: SubjectId = SubjectId::new(Guid::from_u128(0x0002));

/// What the approver actor is, in tables: not a role, a fact of the request's policy.
pub const APPROVER_FACT: &str = "approver of every stage";
/// What the on-behalf requestor is, in tables: not a role, a fact of the policy and the directory.
pub const ON_BEHALF_FACT: &str = "target's manager, named by the policy";

/// A kind of caller, as a column of the authority matrix.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, VariantArray,
)]
#[serde(rename_all = "kebab-case")]
pub enum Actor {
    /// The requestor, on their own request, with `EntitlementMgmt-SubjectAccess.ReadWrite`.
    RequestorOwn,
    /// A requestor, on a request of another user, with `EntitlementMgmt-SubjectAccess.ReadWrite`.
    RequestorOther,
    /// The target's manager, whom the request's policy lets ask on the target's behalf, with
    /// `EntitlementMgmt-SubjectAccess.ReadWrite`.
    OnBehalfRequestor,
    /// A user with `EntitlementManagement.ReadWrite.All` who is a primary approver of every stage of
    /// the request's policy, and holds no role.
    Approver,
    /// Catalog reader of the request's catalog, with `EntitlementManagement.Read.All`.
    CatalogReader,
    /// Access package assignment manager on the request's catalog.
    AssignmentManager,
    /// Access package manager on the request's catalog.
    PackageManager,
    /// Catalog owner of the request's catalog.
    CatalogOwner,
    /// Identity Governance Administrator (directory role).
    IdentityGovernanceAdministrator,
    /// An application acting as itself with the `EntitlementManagement.ReadWrite.All` application
    /// permission (a custom extension calling back, or an automation).
    Application,
    /// The service's own engine: policy evaluation, timers, delivery.
    System,
}

impl Actor {
    /// The actor's name in tables and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RequestorOwn => "requestor-own",
            Self::RequestorOther => "requestor-other",
            Self::OnBehalfRequestor => "on-behalf-requestor",
            Self::Approver => "approver",
            Self::CatalogReader => "catalog-reader",
            Self::AssignmentManager => "assignment-manager",
            Self::PackageManager => "package-manager",
            Self::CatalogOwner => "catalog-owner",
            Self::IdentityGovernanceAdministrator => "identity-governance-administrator",
            Self::Application => "application",
            Self::System => "system",
        }
    }

    /// Parses an actor name as written by [`as_str`](Self::as_str), ignoring ASCII case.
    pub fn parse(text: &str) -> Option<Self> {
        Self::VARIANTS
            .iter()
            .copied()
            .find(|actor| actor.as_str().eq_ignore_ascii_case(text))
    }

    /// The role this actor holds, if any.
    pub const fn role(self) -> Option<Role> {
        match self {
            Self::CatalogReader => Some(Role::CatalogReader),
            Self::AssignmentManager => Some(Role::AccessPackageAssignmentManager),
            Self::PackageManager => Some(Role::AccessPackageManager),
            Self::CatalogOwner => Some(Role::CatalogOwner),
            Self::IdentityGovernanceAdministrator => Some(Role::IdentityGovernanceAdministrator),
            Self::RequestorOwn
            | Self::RequestorOther
            | Self::OnBehalfRequestor
            | Self::Approver
            | Self::Application
            | Self::System => None,
        }
    }

    /// The approval stages of the request's policy this actor approves.
    pub fn approver_of(self) -> ApproverOf {
        match self {
            Self::Approver => ApproverOf {
                primary: (0..MAX_APPROVAL_STAGES).collect(),
                escalation: StageSet::NONE,
            },
            _ => ApproverOf::NONE,
        }
    }

    /// What tables show in the actor's role column: the role's name, or the approver fact.
    pub fn standing(self) -> Option<&'static str> {
        match self.role() {
            Some(role) => Some(role.as_str()),
            None if self.approver_of().any() => Some(APPROVER_FACT),
            None if self == Self::OnBehalfRequestor => Some(ON_BEHALF_FACT),
            None => None,
        }
    }

    /// The Graph permission this actor's token carries, if any.
    pub const fn permission(self) -> Option<Permission> {
        match self {
            Self::RequestorOwn | Self::RequestorOther | Self::OnBehalfRequestor => {
                Some(Permission::SubjectAccessReadWrite)
            }
            Self::CatalogReader => Some(Permission::ReadAll),
            Self::System => None,
            Self::Approver
            | Self::AssignmentManager
            | Self::PackageManager
            | Self::CatalogOwner
            | Self::IdentityGovernanceAdministrator
            | Self::Application => Some(Permission::ReadWriteAll),
        }
    }

    /// The typical caller of this kind, acting on a request submitted by [`REQUESTOR`] for themselves.
    pub fn caller(self) -> Caller {
        let mut caller = match self {
            Self::RequestorOwn => Caller::user(REQUESTOR),
            Self::Application => Caller::application(SOMEONE_ELSE),
            Self::System => return Caller::system(),
            _ => Caller::user(SOMEONE_ELSE),
        };
        if let Some(permission) = self.permission() {
            caller = caller.with_permission(permission);
        }
        if let Some(role) = self.role() {
            caller = caller.with_role(role);
        }
        caller.approver_of = self.approver_of();
        caller.on_behalf_of_target = self == Self::OnBehalfRequestor;
        caller
    }

    /// The people `operation` concerns when this actor asks for it: the witness request's
    /// (submitted by [`REQUESTOR`] for themselves), or for a creation, a request this actor submits
    /// for [`REQUESTOR`].
    pub fn parties(self, operation: Operation) -> Parties {
        match operation {
            Operation::Create(_) => Parties {
                requestor: self.caller().id,
                target: REQUESTOR,
            },
            _ => Parties::own(REQUESTOR),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &actor in Actor::VARIANTS {
            assert_eq!(Actor::parse(actor.as_str()), Some(actor));
            let json = serde_json::to_string(&actor).unwrap();
            assert_eq!(json, format!("\"{}\"", actor.as_str()));
        }
        assert_eq!(Actor::parse("nobody"), None);
        assert_eq!(Actor::parse("Catalog-Reader"), Some(Actor::CatalogReader));
    }

    #[test]
    fn callers_carry_their_permission_role_and_approver_facts() {
        let owner = Actor::CatalogOwner.caller();
        assert!(owner.permissions.contains(Permission::ReadWriteAll));
        assert!(owner.roles.contains(Role::CatalogOwner));
        assert!(!owner.approver_of.any());
        let reader = Actor::CatalogReader.caller();
        assert!(reader.has(Permission::ReadAll));
        assert!(!reader.has(Permission::ReadWriteAll));
        assert!(reader.roles.contains(Role::CatalogReader));
        let approver = Actor::Approver.caller();
        assert!(approver.roles.is_empty());
        assert!(approver.has(Permission::ReadWriteAll));
        assert!((0..MAX_APPROVAL_STAGES).all(|stage| approver.approver_of.primary.contains(stage)));
        assert!(approver.approver_of.escalation.is_empty());
        assert_eq!(Actor::Approver.standing(), Some(APPROVER_FACT));
        assert_eq!(Actor::CatalogReader.standing(), Some("Catalog reader"));
        assert_eq!(Actor::Application.standing(), None);
        assert_eq!(Actor::RequestorOwn.caller().id, REQUESTOR);
        assert_ne!(Actor::RequestorOther.caller().id, REQUESTOR);
        assert_eq!(
            Actor::Application.caller().principal,
            entitle_core::Principal::Application
        );
        assert_eq!(Actor::System.caller(), Caller::system());
    }

    #[test]
    fn a_creation_is_submitted_by_the_actor_for_the_requestor() {
        let create = Operation::Create(entitle_core::RequestType::AdminAdd);
        let parties = Actor::CatalogOwner.parties(create);
        assert_eq!(parties.target, REQUESTOR);
        assert_eq!(parties.requestor, Actor::CatalogOwner.caller().id);
        assert_eq!(
            Actor::CatalogOwner.parties(Operation::Get),
            Parties::own(REQUESTOR)
        );
        assert_eq!(Actor::RequestorOwn.parties(create), Parties::own(REQUESTOR));
    }
}
