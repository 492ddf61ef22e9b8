//! The kinds of caller an auditor asks about, each as a typical caller the core can decide for.

use core::fmt;

use entitle_core::{Caller, Guid, Permission, Role, SubjectId};
use serde::{Deserialize, Serialize};
use strum::VariantArray;

/// The requestor of the request every matrix cell is decided for.
pub const REQUESTOR: SubjectId = SubjectId::new(Guid::from_u128(0x0001));
/// Everyone else in the matrix: a user or application that did not submit the request.
const SOMEONE_ELSE: SubjectId = SubjectId::new(Guid::from_u128(0x0002));

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
    /// An approver of the request's current stage, with `EntitlementManagement.ReadWrite.All`.
    Approver,
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
            Self::Approver => "approver",
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
            Self::Approver => Some(Role::Approver),
            Self::AssignmentManager => Some(Role::AccessPackageAssignmentManager),
            Self::PackageManager => Some(Role::AccessPackageManager),
            Self::CatalogOwner => Some(Role::CatalogOwner),
            Self::IdentityGovernanceAdministrator => Some(Role::IdentityGovernanceAdministrator),
            Self::RequestorOwn | Self::RequestorOther | Self::Application | Self::System => None,
        }
    }

    /// The Graph permission this actor's token carries, if any.
    pub const fn permission(self) -> Option<Permission> {
        match self {
            Self::RequestorOwn | Self::RequestorOther => Some(Permission::SubjectAccessReadWrite),
            Self::System => None,
            _ => Some(Permission::ReadWriteAll),
        }
    }

    /// The typical caller of this kind, acting on a request submitted by [`REQUESTOR`].
    pub fn caller(self) -> Caller {
        let base = match self {
            Self::RequestorOwn => Caller::user(REQUESTOR),
            Self::Application => Caller::application(SOMEONE_ELSE),
            Self::System => return Caller::system(),
            _ => Caller::user(SOMEONE_ELSE),
        };
        let with_permission = match self.permission() {
            Some(permission) => base.with_permission(permission),
            None => base,
        };
        match self.role() {
            Some(role) => with_permission.with_role(role),
            None => with_permission,
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
    }

    #[test]
    fn callers_carry_their_permission_and_role() {
        let owner = Actor::CatalogOwner.caller();
        assert!(owner.permissions.contains(Permission::ReadWriteAll));
        assert!(owner.roles.contains(Role::CatalogOwner));
        assert_eq!(Actor::RequestorOwn.caller().id, REQUESTOR);
        assert_ne!(Actor::RequestorOther.caller().id, REQUESTOR);
        assert_eq!(
            Actor::Application.caller().principal,
            entitle_core::Principal::Application
        );
        assert_eq!(Actor::System.caller(), Caller::system());
    }
}
