//! Who may read and manage a catalog's objects: the catalog, its access packages, their assignment
//! policies and its role assignments.
//!
//! The caller's roles are the ones it holds in the catalog in question (or the directory roles of
//! its token). Sources: the permission tables and role tips of the Graph pages for catalogs, access
//! packages and policies, and "Delegation and roles in entitlement management" (D27).

use core::fmt;

use serde::Serialize;

use crate::actor::{Caller, Permission, Principal, Role};
use crate::authz::Authority;

/// An operation on a catalog's objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CatalogOperation {
    /// Read the catalog, its access packages, policies and role assignments.
    Read,
    /// Create, update or delete the catalog's access packages and their policies.
    ManagePackages,
    /// Update or delete the catalog, or change who holds its roles.
    ManageCatalog,
    /// Create a catalog.
    CreateCatalog,
}

impl CatalogOperation {
    /// The roles that allow the operation to a delegated user, least privileged first.
    pub const fn roles(self) -> &'static [Role] {
        match self {
            Self::Read => &Role::READER,
            Self::ManagePackages => &[
                Role::AccessPackageManager,
                Role::CatalogOwner,
                Role::IdentityGovernanceAdministrator,
            ],
            Self::ManageCatalog => &[Role::CatalogOwner, Role::IdentityGovernanceAdministrator],
            Self::CreateCatalog => &[Role::IdentityGovernanceAdministrator],
        }
    }

    /// The permissions that allow it, least privileged first.
    pub const fn permissions(self) -> &'static [Permission] {
        match self {
            Self::Read => &[Permission::ReadAll, Permission::ReadWriteAll],
            Self::ManagePackages | Self::ManageCatalog | Self::CreateCatalog => {
                &[Permission::ReadWriteAll]
            }
        }
    }

    /// The operation's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "readCatalog",
            Self::ManagePackages => "managePackages",
            Self::ManageCatalog => "manageCatalog",
            Self::CreateCatalog => "createCatalog",
        }
    }
}

impl fmt::Display for CatalogOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a caller may not perform a catalog operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
pub enum CatalogDenial {
    /// Personal accounts and the service's engine never do it.
    #[error("`{principal}` callers cannot `{operation}`")]
    PrincipalNotSupported {
        /// The operation.
        operation: CatalogOperation,
        /// The caller's kind.
        principal: Principal,
    },
    /// The call lacks the permission.
    #[error("`{operation}` needs the `{permission}` permission")]
    MissingPermission {
        /// The operation.
        operation: CatalogOperation,
        /// The least privileged permission that would do.
        permission: Permission,
    },
    /// A delegated user holds none of the roles.
    #[error("`{operation}` needs a role in the catalog that allows it")]
    MissingRole {
        /// The operation.
        operation: CatalogOperation,
    },
}

/// Decides whether `caller` may perform `operation` on a catalog's objects: an application with
/// the permission; a work or school user with the permission and one of the operation's roles in
/// that catalog (or the directory role).
///
/// # Errors
/// The [`CatalogDenial`] naming the first rule the caller fails.
pub fn authorize_catalog(
    operation: CatalogOperation,
    caller: &Caller,
) -> Result<Authority, CatalogDenial> {
    if matches!(
        caller.principal,
        Principal::PersonalAccount | Principal::System
    ) {
        return Err(CatalogDenial::PrincipalNotSupported {
            operation,
            principal: caller.principal,
        });
    }
    let permissions = operation.permissions();
    let permission = permissions
        .iter()
        .copied()
        .find(|permission| caller.has(*permission))
        .ok_or(CatalogDenial::MissingPermission {
            operation,
            permission: permissions
                .first()
                .copied()
                .unwrap_or(Permission::ReadWriteAll),
        })?;
    if caller.principal == Principal::Application {
        return Ok(Authority::Application(permission));
    }
    let role = operation
        .roles()
        .iter()
        .copied()
        .find(|role| caller.roles.contains(*role))
        .ok_or(CatalogDenial::MissingRole { operation })?;
    Ok(match operation {
        CatalogOperation::Read => Authority::Reader(role),
        _ => Authority::Administrator(role),
    })
}

/// Decides whether `caller` may list a catalog object collection: a missing role in a catalog only
/// leaves that catalog's objects out of the list; any other denial refuses the whole list.
///
/// # Errors
/// The [`CatalogDenial`] that refuses the list.
pub fn authorize_listing(caller: &Caller) -> Result<(), CatalogDenial> {
    match authorize_catalog(CatalogOperation::Read, caller) {
        Ok(_) | Err(CatalogDenial::MissingRole { .. }) => Ok(()),
        Err(denial) => Err(denial),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{Guid, SubjectId};
    use alloc::string::ToString;

    fn user(roles: &[Role], permission: Permission) -> Caller {
        let mut caller =
            Caller::user(SubjectId::new(Guid::from_u128(1))).with_permission(permission);
        for role in roles {
            caller = caller.with_role(*role);
        }
        caller
    }

    #[test]
    fn operations_are_named_as_denials_print_them() {
        use CatalogOperation as O;
        let operations = [
            O::Read,
            O::ManagePackages,
            O::ManageCatalog,
            O::CreateCatalog,
        ];
        let names = operations.map(|operation| operation.to_string());
        assert_eq!(
            names,
            [
                "readCatalog",
                "managePackages",
                "manageCatalog",
                "createCatalog"
            ]
        );
        for operation in operations {
            assert_eq!(operation.to_string(), operation.as_str());
        }
    }

    #[test]
    fn readers_read_and_managers_manage() {
        let reader = user(&[Role::CatalogReader], Permission::ReadAll);
        assert_eq!(
            authorize_catalog(CatalogOperation::Read, &reader),
            Ok(Authority::Reader(Role::CatalogReader))
        );
        assert_eq!(
            authorize_catalog(CatalogOperation::ManagePackages, &reader),
            Err(CatalogDenial::MissingPermission {
                operation: CatalogOperation::ManagePackages,
                permission: Permission::ReadWriteAll
            })
        );
        let assignments = user(
            &[Role::AccessPackageAssignmentManager],
            Permission::ReadWriteAll,
        );
        assert!(authorize_catalog(CatalogOperation::Read, &assignments).is_ok());
        assert_eq!(
            authorize_catalog(CatalogOperation::ManagePackages, &assignments),
            Err(CatalogDenial::MissingRole {
                operation: CatalogOperation::ManagePackages
            })
        );
        let manager = user(&[Role::AccessPackageManager], Permission::ReadWriteAll);
        assert_eq!(
            authorize_catalog(CatalogOperation::ManagePackages, &manager),
            Ok(Authority::Administrator(Role::AccessPackageManager))
        );
        assert!(authorize_catalog(CatalogOperation::ManageCatalog, &manager).is_err());
        let owner = user(&[Role::CatalogOwner], Permission::ReadWriteAll);
        assert!(authorize_catalog(CatalogOperation::ManageCatalog, &owner).is_ok());
        assert!(authorize_catalog(CatalogOperation::CreateCatalog, &owner).is_err());
        let governance = user(
            &[Role::IdentityGovernanceAdministrator],
            Permission::ReadWriteAll,
        );
        assert!(authorize_catalog(CatalogOperation::CreateCatalog, &governance).is_ok());
    }

    #[test]
    fn applications_need_the_permission_only_and_others_never() {
        let app = Caller::application(SubjectId::new(Guid::from_u128(2)))
            .with_permission(Permission::ReadAll);
        assert_eq!(
            authorize_catalog(CatalogOperation::Read, &app),
            Ok(Authority::Application(Permission::ReadAll))
        );
        assert!(authorize_catalog(CatalogOperation::ManagePackages, &app).is_err());
        assert!(matches!(
            authorize_catalog(CatalogOperation::Read, &Caller::system()),
            Err(CatalogDenial::PrincipalNotSupported { .. })
        ));
        let nobody = user(&[], Permission::ReadAll);
        assert_eq!(
            authorize_catalog(CatalogOperation::Read, &nobody),
            Err(CatalogDenial::MissingRole {
                operation: CatalogOperation::Read
            })
        );
        for operation in [
            CatalogOperation::Read,
            CatalogOperation::ManagePackages,
            CatalogOperation::ManageCatalog,
            CatalogOperation::CreateCatalog,
        ] {
            assert!(!operation.roles().is_empty());
            assert!(
                operation
                    .roles()
                    .contains(&Role::IdentityGovernanceAdministrator)
            );
            assert!(!operation.as_str().is_empty());
        }
    }

    #[test]
    fn a_missing_role_only_hides_objects_from_a_list() {
        let id = SubjectId::new(Guid::from_u128(7));
        let reader = Caller::user(id).with_permission(Permission::ReadAll);
        assert_eq!(authorize_listing(&reader), Ok(()));
        assert!(matches!(
            authorize_catalog(CatalogOperation::Read, &reader),
            Err(CatalogDenial::MissingRole { .. })
        ));
        assert!(matches!(
            authorize_listing(&Caller::user(id)),
            Err(CatalogDenial::MissingPermission { .. })
        ));
        assert!(matches!(
            authorize_listing(&Caller::system()),
            Err(CatalogDenial::PrincipalNotSupported { .. })
        ));
    }
}
