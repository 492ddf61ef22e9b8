//! Who asks: the facts about a caller that authorization needs, resolved by the adapter.

use core::fmt;

use serde::{Deserialize, Serialize};
use strum::VariantArray;

use crate::id::SubjectId;
use crate::policy::MAX_APPROVAL_STAGES;

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

/// A Microsoft Graph permission entitle reads: the entitlement-management ones, and the directory
/// read permissions of the users and groups the tenant's objects name.
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
    /// `User.Read`: the signed-in user's own profile (delegated).
    #[serde(rename = "User.Read")]
    UserRead,
    /// `User.ReadWrite`: the signed-in user's own profile, read and written (delegated).
    #[serde(rename = "User.ReadWrite")]
    UserReadWrite,
    /// `User.ReadBasic.All`: the basic profile of every user (delegated).
    #[serde(rename = "User.ReadBasic.All")]
    UserReadBasicAll,
    /// `User.Read.All`: every user's full profile.
    #[serde(rename = "User.Read.All")]
    UserReadAll,
    /// `User.ReadWrite.All`.
    #[serde(rename = "User.ReadWrite.All")]
    UserReadWriteAll,
    /// `GroupMember.Read.All`: groups' basic properties and memberships.
    #[serde(rename = "GroupMember.Read.All")]
    GroupMemberReadAll,
    /// `GroupMember.ReadWrite.All`.
    #[serde(rename = "GroupMember.ReadWrite.All")]
    GroupMemberReadWriteAll,
    /// `Group.Read.All`: every group's properties and memberships.
    #[serde(rename = "Group.Read.All")]
    GroupReadAll,
    /// `Group.ReadWrite.All`.
    #[serde(rename = "Group.ReadWrite.All")]
    GroupReadWriteAll,
    /// `Directory.Read.All`: every directory object.
    #[serde(rename = "Directory.Read.All")]
    DirectoryReadAll,
    /// `Directory.ReadWrite.All`.
    #[serde(rename = "Directory.ReadWrite.All")]
    DirectoryReadWriteAll,
}

// A set of permissions is 16 bits wide: one per permission.
const _: () = assert!(Permission::VARIANTS.len() <= u16::BITS as usize);

impl Permission {
    /// The permission's name as it appears in the `scp` or `roles` claim.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SubjectAccessReadWrite => "EntitlementMgmt-SubjectAccess.ReadWrite",
            Self::ReadAll => "EntitlementManagement.Read.All",
            Self::ReadWriteAll => "EntitlementManagement.ReadWrite.All",
            Self::UserRead => "User.Read",
            Self::UserReadWrite => "User.ReadWrite",
            Self::UserReadBasicAll => "User.ReadBasic.All",
            Self::UserReadAll => "User.Read.All",
            Self::UserReadWriteAll => "User.ReadWrite.All",
            Self::GroupMemberReadAll => "GroupMember.Read.All",
            Self::GroupMemberReadWriteAll => "GroupMember.ReadWrite.All",
            Self::GroupReadAll => "Group.Read.All",
            Self::GroupReadWriteAll => "Group.ReadWrite.All",
            Self::DirectoryReadAll => "Directory.Read.All",
            Self::DirectoryReadWriteAll => "Directory.ReadWrite.All",
        }
    }

    /// The permission with this exact name, if entitle knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::VARIANTS.iter().copied().find(|p| p.as_str() == name)
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An administrative role that can authorize operations on a request.
///
/// The entitlement-management roles are held per catalog and never appear in tokens: the adapter
/// looks them up for the request's catalog. The Microsoft Entra directory roles come from the token's
/// `wids` claim. Being an approver is not a role: it is a fact of the request's policy
/// ([`ApproverOf`]).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, VariantArray,
)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    /// Catalog reader of the request's catalog.
    CatalogReader,
    /// Access package assignment manager on the request's catalog.
    AccessPackageAssignmentManager,
    /// Access package manager on the request's catalog.
    AccessPackageManager,
    /// Catalog owner of the request's catalog.
    CatalogOwner,
    /// Security Reader (Microsoft Entra directory role).
    SecurityReader,
    /// Global Reader (Microsoft Entra directory role).
    GlobalReader,
    /// Compliance Administrator (Microsoft Entra directory role).
    ComplianceAdministrator,
    /// Security Administrator (Microsoft Entra directory role).
    SecurityAdministrator,
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

    /// The roles that let a delegated user read requests of others, least privileged first.
    pub const READER: [Self; 9] = [
        Self::CatalogReader,
        Self::AccessPackageAssignmentManager,
        Self::AccessPackageManager,
        Self::CatalogOwner,
        Self::SecurityReader,
        Self::GlobalReader,
        Self::ComplianceAdministrator,
        Self::SecurityAdministrator,
        Self::IdentityGovernanceAdministrator,
    ];

    /// The role's name as Microsoft writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CatalogReader => "Catalog reader",
            Self::AccessPackageAssignmentManager => "Access package assignment manager",
            Self::AccessPackageManager => "Access package manager",
            Self::CatalogOwner => "Catalog owner",
            Self::SecurityReader => "Security Reader",
            Self::GlobalReader => "Global Reader",
            Self::ComplianceAdministrator => "Compliance Administrator",
            Self::SecurityAdministrator => "Security Administrator",
            Self::IdentityGovernanceAdministrator => "Identity Governance Administrator",
        }
    }

    /// Whether the role is a Microsoft Entra directory role (stated by the token), rather than an
    /// entitlement-management role held in a catalog.
    pub const fn is_directory_role(self) -> bool {
        matches!(
            self,
            Self::SecurityReader
                | Self::GlobalReader
                | Self::ComplianceAdministrator
                | Self::SecurityAdministrator
                | Self::IdentityGovernanceAdministrator
        )
    }

    const fn bit(self) -> u16 {
        1 << self as u16
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
        pub struct $name(u16);

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

            /// Whether the set is empty.
            pub const fn is_empty(self) -> bool {
                self.0 == 0
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

/// A set of approval stages, counted from 0, one bit per stage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StageSet(u8);

impl StageSet {
    /// No stage.
    pub const NONE: Self = Self(0);

    /// Every stage a policy can have.
    pub const ALL: Self = Self((1 << MAX_APPROVAL_STAGES) - 1);

    /// This set with `stage` added; stages past [`MAX_APPROVAL_STAGES`] are ignored.
    #[must_use]
    pub const fn with(self, stage: u8) -> Self {
        if stage < MAX_APPROVAL_STAGES {
            Self(self.0 | 1 << stage)
        } else {
            self
        }
    }

    /// Whether the set holds `stage`.
    pub const fn contains(self, stage: u8) -> bool {
        stage < MAX_APPROVAL_STAGES && self.0 >> stage & 1 == 1
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 & Self::ALL.0 == 0
    }

    /// The stages, in order.
    pub fn iter(self) -> impl Iterator<Item = u8> {
        (0..MAX_APPROVAL_STAGES).filter(move |stage| self.contains(*stage))
    }
}

impl FromIterator<u8> for StageSet {
    fn from_iter<I: IntoIterator<Item = u8>>(stages: I) -> Self {
        stages.into_iter().fold(Self::NONE, Self::with)
    }
}

/// Which approval stages of the request's policy a caller approves, as the adapter resolved them from
/// the policy's approver lists (users, group members, the requestor's manager).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApproverOf {
    /// The stages whose primary approvers include the caller.
    pub primary: StageSet,
    /// The stages whose escalation (alternate) approvers include the caller.
    pub escalation: StageSet,
}

impl ApproverOf {
    /// Not an approver of any stage.
    pub const NONE: Self = Self {
        primary: StageSet::NONE,
        escalation: StageSet::NONE,
    };

    /// Whether the caller approves any stage, as a primary or an escalation approver.
    pub const fn any(self) -> bool {
        !self.primary.is_empty() || !self.escalation.is_empty()
    }

    /// Whether the caller approves `stage`, as a primary or an escalation approver.
    pub const fn of(self, stage: u8) -> bool {
        self.primary.contains(stage) || self.escalation.contains(stage)
    }
}

/// The caller of an operation, as the adapter resolved it from a token and the directory.
///
/// Entitlement-management roles and approvers do not appear in tokens: the adapter looks them up for
/// the request's catalog and policy and states them here.
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
    /// The approval stages of the request's policy the caller approves.
    #[serde(default)]
    pub approver_of: ApproverOf,
    /// The request's policy lets the caller ask on the target's behalf: its requestor settings name
    /// the target's manager as an on-behalf requestor, and the caller is that manager.
    #[serde(default)]
    pub on_behalf_of_target: bool,
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
            approver_of: ApproverOf::NONE,
            on_behalf_of_target: false,
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

    /// This caller as a primary approver of `stage`.
    #[must_use]
    pub const fn approving(mut self, stage: u8) -> Self {
        self.approver_of.primary = self.approver_of.primary.with(stage);
        self
    }

    /// This caller as someone the policy lets ask on the target's behalf.
    #[must_use]
    pub const fn on_behalf_of_target(mut self) -> Self {
        self.on_behalf_of_target = true;
        self
    }

    /// This caller as an escalation approver of `stage`.
    #[must_use]
    pub const fn approving_when_escalated(mut self, stage: u8) -> Self {
        self.approver_of.escalation = self.approver_of.escalation.with(stage);
        self
    }

    /// Whether the caller holds `permission`.
    pub const fn has(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn sets_hold_what_was_added() {
        let roles = Roles::NONE
            .with(Role::CatalogOwner)
            .with(Role::CatalogReader);
        assert!(roles.contains(Role::CatalogOwner));
        assert!(roles.contains(Role::CatalogReader));
        assert!(!roles.contains(Role::AccessPackageManager));
        assert_eq!(
            roles.iter().collect::<Vec<_>>(),
            [Role::CatalogReader, Role::CatalogOwner]
        );
        let all: Permissions = Permission::VARIANTS.iter().copied().collect();
        assert!(Permission::VARIANTS.iter().all(|p| all.contains(*p)));
        assert_eq!(Permissions::NONE.iter().count(), 0);
        assert!(Permissions::NONE.is_empty());
        assert!(!all.is_empty());
        let every: Roles = Role::VARIANTS.iter().copied().collect();
        assert_eq!(every.iter().count(), Role::VARIANTS.len());
    }

    #[test]
    fn stage_sets_ignore_stages_past_the_last() {
        let set = StageSet::NONE.with(0).with(2).with(3).with(u8::MAX);
        assert_eq!(set.iter().collect::<Vec<_>>(), [0, 2]);
        assert!(set.contains(2));
        assert!(!set.contains(1));
        assert!(!set.contains(3));
        assert_eq!(StageSet::NONE.with(3), StageSet::NONE);
        assert_eq!(StageSet::NONE.with(1).with(1), StageSet::NONE.with(1));
        // A set read from elsewhere with bits past the last stage still holds none of them.
        let stray: StageSet = serde_json::from_str("255").unwrap();
        assert!(!stray.contains(3));
        assert_eq!(stray.iter().count(), usize::from(MAX_APPROVAL_STAGES));
        assert!(StageSet::NONE.is_empty());
        assert!(!set.is_empty());
        assert_eq!(
            StageSet::ALL.iter().count(),
            usize::from(MAX_APPROVAL_STAGES)
        );
        assert_eq!(
            [1, 0].into_iter().collect::<StageSet>(),
            StageSet::NONE.with(0).with(1)
        );
    }

    #[test]
    fn approver_facts_answer_per_stage() {
        let id = SubjectId::new(crate::id::Guid::from_u128(7));
        let caller = Caller::user(id).approving(0).approving_when_escalated(1);
        assert!(caller.approver_of.any());
        assert!(caller.approver_of.of(0));
        assert!(caller.approver_of.of(1));
        assert!(!caller.approver_of.of(2));
        assert!(!Caller::user(id).approver_of.any());
        assert!(
            Caller::user(id)
                .approving_when_escalated(2)
                .approver_of
                .any()
        );
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
    fn directory_roles_are_the_entra_ones() {
        let directory: Vec<_> = Role::VARIANTS
            .iter()
            .filter(|role| role.is_directory_role())
            .collect();
        assert_eq!(directory.len(), 5);
        assert!(!Role::CatalogOwner.is_directory_role());
        assert!(Role::IdentityGovernanceAdministrator.is_directory_role());
        for role in Role::ADMINISTRATOR {
            assert!(Role::READER.contains(&role));
        }
    }

    #[test]
    fn builders_accumulate() {
        let id = SubjectId::new(crate::id::Guid::from_u128(7));
        let caller = Caller::user(id)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::CatalogOwner);
        assert_eq!(caller.principal, Principal::WorkOrSchoolUser);
        assert!(caller.has(Permission::ReadWriteAll));
        assert!(!caller.has(Permission::ReadAll));
        assert!(caller.roles.contains(Role::CatalogOwner));
        assert_eq!(Caller::system().principal, Principal::System);
        assert_eq!(Caller::application(id).principal, Principal::Application);
    }
}
