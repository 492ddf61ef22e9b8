//! Who asks: the facts about a caller that authorization needs, resolved by the adapter.

use core::fmt;

use serde::{Deserialize, Serialize};
use strum::VariantArray;

use crate::id::SubjectId;

/// The kind of principal behind a call.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, VariantArray,
)]
#[serde(rename_all = "camelCase")]
pub enum Principal {
    /// A signed-in user of a work or school account (delegated permissions).
    WorkOrSchoolUser,
    /// A signed-in personal Microsoft account (delegated permissions).
    PersonalAccount,
    /// An application acting as itself (application permissions, app-only).
    Application,
    /// The service's own engine: policy evaluation, timers and delivery.
    System,
}

impl Principal {
    /// A short name for messages and tables.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::WorkOrSchoolUser => "work or school user",
            Self::PersonalAccount => "personal account",
            Self::Application => "application",
            Self::System => "system",
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Microsoft Graph permission relevant to assignment requests.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, VariantArray,
)]
pub enum Permission {
    /// `EntitlementMgmt-SubjectAccess.ReadWrite`: a user's own requests.
    #[serde(rename = "EntitlementMgmt-SubjectAccess.ReadWrite")]
    SubjectAccessReadWrite,
    /// `EntitlementManagement.Read.All`.
    #[serde(rename = "EntitlementManagement.Read.All")]
    ReadAll,
    /// `EntitlementManagement.ReadWrite.All`.
    #[serde(rename = "EntitlementManagement.ReadWrite.All")]
    ReadWriteAll,
}

impl Permission {
    /// The permission's name as it appears in the `scp` or `roles` claim.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SubjectAccessReadWrite => "EntitlementMgmt-SubjectAccess.ReadWrite",
            Self::ReadAll => "EntitlementManagement.Read.All",
            Self::ReadWriteAll => "EntitlementManagement.ReadWrite.All",
        }
    }

    /// The permission with this exact name, if entitle knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::VARIANTS.iter().copied().find(|p| p.as_str() == name)
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role that can authorize actions on a request.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, VariantArray,
)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    /// Assigned approver of the request's current approval stage (from the policy).
    Approver,
    /// Access package assignment manager on the request's catalog.
    AccessPackageAssignmentManager,
    /// Access package manager on the request's catalog.
    AccessPackageManager,
    /// Catalog owner of the request's catalog.
    CatalogOwner,
    /// Identity Governance Administrator (Microsoft Entra directory role).
    IdentityGovernanceAdministrator,
}

impl Role {
    /// The roles that let an administrator act on requests submitted by others, least privileged first.
    pub const ADMINISTRATOR: [Self; 4] = [
        Self::AccessPackageAssignmentManager,
        Self::AccessPackageManager,
        Self::CatalogOwner,
        Self::IdentityGovernanceAdministrator,
    ];

    /// The role's name as Microsoft writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Approver => "Approver",
            Self::AccessPackageAssignmentManager => "Access package assignment manager",
            Self::AccessPackageManager => "Access package manager",
            Self::CatalogOwner => "Catalog owner",
            Self::IdentityGovernanceAdministrator => "Identity Governance Administrator",
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Declares a small copyable set of a fieldless enum, stored as bits.
macro_rules! bit_set {
    ($(#[$doc:meta])* $name:ident of $item:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(u8);

        impl $name {
            /// The empty set.
            pub const NONE: Self = Self(0);

            /// This set with `item` added.
            #[must_use]
            pub const fn with(self, item: $item) -> Self {
                Self(self.0 | item.bit())
            }

            /// Whether the set holds `item`.
            pub const fn contains(self, item: $item) -> bool {
                self.0 & item.bit() != 0
            }

            /// The members, in declaration order.
            pub fn iter(self) -> impl Iterator<Item = $item> {
                $item::VARIANTS.iter().copied().filter(move |item| self.contains(*item))
            }
        }

        impl FromIterator<$item> for $name {
            fn from_iter<I: IntoIterator<Item = $item>>(items: I) -> Self {
                items.into_iter().fold(Self::NONE, Self::with)
            }
        }
    };
}

bit_set!(
    /// The Graph permissions a caller's token grants.
    Permissions of Permission
);
bit_set!(
    /// The roles a caller holds with respect to one request.
    Roles of Role
);

/// The caller of an action, as the adapter resolved it from a token and the directory.
///
/// Entitlement-management roles do not appear in tokens: the adapter looks them up for the request's
/// catalog and policy and states them here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Caller {
    /// The kind of principal.
    pub principal: Principal,
    /// The principal's object id (`oid`).
    pub id: SubjectId,
    /// The Graph permissions granted to the call.
    pub permissions: Permissions,
    /// The roles held with respect to the request acted on.
    pub roles: Roles,
}

impl Caller {
    /// A signed-in work or school user with no permissions or roles yet.
    pub const fn user(id: SubjectId) -> Self {
        Self::new(Principal::WorkOrSchoolUser, id)
    }

    /// An application acting as itself, with no permissions or roles yet.
    pub const fn application(id: SubjectId) -> Self {
        Self::new(Principal::Application, id)
    }

    /// The service's own engine. Its id is the nil GUID.
    pub const fn system() -> Self {
        Self::new(
            Principal::System,
            SubjectId::new(crate::id::Guid::from_u128(0)),
        )
    }

    /// A caller of the given kind with no permissions or roles yet.
    pub const fn new(principal: Principal, id: SubjectId) -> Self {
        Self {
            principal,
            id,
            permissions: Permissions::NONE,
            roles: Roles::NONE,
        }
    }

    /// This caller with `permission` granted.
    #[must_use]
    pub const fn with_permission(mut self, permission: Permission) -> Self {
        self.permissions = self.permissions.with(permission);
        self
    }

    /// This caller holding `role`.
    #[must_use]
    pub const fn with_role(mut self, role: Role) -> Self {
        self.roles = self.roles.with(role);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn sets_hold_what_was_added() {
        let roles = Roles::NONE.with(Role::CatalogOwner).with(Role::Approver);
        assert!(roles.contains(Role::CatalogOwner));
        assert!(roles.contains(Role::Approver));
        assert!(!roles.contains(Role::AccessPackageManager));
        assert_eq!(
            roles.iter().collect::<Vec<_>>(),
            [Role::Approver, Role::CatalogOwner]
        );
        let all: Permissions = Permission::VARIANTS.iter().copied().collect();
        assert!(Permission::VARIANTS.iter().all(|p| all.contains(*p)));
        assert_eq!(Permissions::NONE.iter().count(), 0);
    }

    #[test]
    fn permission_names_round_trip() {
        for &permission in Permission::VARIANTS {
            assert_eq!(Permission::from_name(permission.as_str()), Some(permission));
            let json = serde_json::to_string(&permission).unwrap();
            assert_eq!(json, alloc::format!("\"{}\"", permission.as_str()));
        }
        assert_eq!(
            Permission::from_name("entitlementmanagement.readwrite.all"),
            None
        );
    }

    #[test]
    fn builders_accumulate() {
        let id = SubjectId::new(crate::id::Guid::from_u128(7));
        let caller = Caller::user(id)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::CatalogOwner);
        assert_eq!(caller.principal, Principal::WorkOrSchoolUser);
        assert!(caller.permissions.contains(Permission::ReadWriteAll));
        assert!(caller.roles.contains(Role::CatalogOwner));
        assert_eq!(Caller::system().principal, Principal::System);
        assert_eq!(Caller::application(id).principal, Principal::Application);
    }
}
