//! Who a valid token says the caller is, and the core caller it makes.

use entitle_core::{Caller, Permissions, Principal, Roles, SubjectId};

/// Who a valid token says the caller is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The kind of principal: a work or school user, a personal account, or an application.
    pub principal: Principal,
    /// The caller's object id (`oid`).
    pub id: SubjectId,
    /// The caller's tenant (`tid`), as the token wrote it.
    pub tenant: String,
    /// The permissions entitle knows (entitlement management, directory reads) granted: from `scp` for users, `roles` for applications.
    pub permissions: Permissions,
    /// The directory roles the token states (`wids`) that entitle knows.
    pub directory_roles: Roles,
}

impl Identity {
    /// The core caller, with the extra roles the adapter resolved (catalog roles). Approver facts are
    /// the adapter's to add.
    pub fn caller(&self, extra: Roles) -> Caller {
        let mut caller = Caller::new(self.principal, self.id);
        caller.permissions = self.permissions;
        caller.roles = extra.iter().fold(self.directory_roles, Roles::with);
        caller
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use entitle_core::{Permission, Role};

    use super::*;

    #[test]
    fn the_caller_holds_directory_and_extra_roles() {
        let identity = Identity {
            principal: Principal::WorkOrSchoolUser,
            id: SubjectId::parse("11111111-2222-3333-4444-555555555555").unwrap(),
            tenant: "t".into(),
            permissions: Permissions::NONE.with(Permission::ReadAll),
            directory_roles: Roles::NONE.with(Role::IdentityGovernanceAdministrator),
        };
        let caller = identity.caller(Roles::NONE.with(Role::CatalogOwner));
        assert_eq!(caller.principal, Principal::WorkOrSchoolUser);
        assert_eq!(caller.id, identity.id);
        assert_eq!(caller.permissions, identity.permissions);
        assert_eq!(
            caller.roles,
            Roles::NONE
                .with(Role::IdentityGovernanceAdministrator)
                .with(Role::CatalogOwner)
        );
        assert_eq!(identity.caller(Roles::NONE).roles, identity.directory_roles);
    }
}
