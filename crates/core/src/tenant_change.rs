//! Changes to a tenant's objects: which catalog operation each change needs, and when a delete is
//! refused because of what still depends on the object (D30).
//!
//! Sources: "You can delete a catalog, but only if it doesn't have any access packages" (Entra docs,
//! *Create and manage a catalog of resources*); "You cannot delete an access package if it has any
//! accessPackageAssignment" (Graph, *Delete accessPackage*). Graph is silent on policies and role
//! assignments: a policy, like its package, is kept while assignments made under it are active; a
//! role assignment is always removable.

use core::fmt;

use serde::Serialize;

use crate::catalog_access::CatalogOperation;

/// A kind of tenant object that administrators create, update and delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, strum::VariantArray)]
#[serde(rename_all = "camelCase")]
pub enum TenantObject {
    /// An `accessPackageCatalog`.
    Catalog,
    /// An `accessPackage`.
    AccessPackage,
    /// An `accessPackageAssignmentPolicy`.
    AssignmentPolicy,
    /// A catalog's `unifiedRoleAssignment`.
    RoleAssignment,
}

impl TenantObject {
    /// The object's Graph type name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Catalog => "accessPackageCatalog",
            Self::AccessPackage => "accessPackage",
            Self::AssignmentPolicy => "accessPackageAssignmentPolicy",
            Self::RoleAssignment => "unifiedRoleAssignment",
        }
    }
}

impl fmt::Display for TenantObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is done to a tenant object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, strum::VariantArray)]
#[serde(rename_all = "camelCase")]
pub enum Change {
    /// `POST` to the collection.
    Create,
    /// `PATCH` or `PUT` of the object.
    Update,
    /// `DELETE` of the object.
    Delete,
}

impl Change {
    /// The catalog operation that `self` on `object` needs, authorized by
    /// [`authorize_catalog`](crate::authorize_catalog) in the object's catalog: creating a catalog
    /// needs a directory role; changing a catalog or who holds its roles needs its owner; changing
    /// its access packages and their policies needs an access package manager.
    pub const fn operation(self, object: TenantObject) -> CatalogOperation {
        match (object, self) {
            (TenantObject::Catalog, Self::Create) => CatalogOperation::CreateCatalog,
            (TenantObject::Catalog | TenantObject::RoleAssignment, _) => {
                CatalogOperation::ManageCatalog
            }
            (TenantObject::AccessPackage | TenantObject::AssignmentPolicy, _) => {
                CatalogOperation::ManagePackages
            }
        }
    }
}

/// What still depends on an object that is to be deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Dependents {
    /// Access packages in the catalog.
    pub access_packages: usize,
    /// Assignments of the package, or made under the policy, that have not ended.
    pub active_assignments: usize,
}

/// Why an object may not be deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
pub enum DeleteRefusal {
    /// A catalog that still holds access packages.
    #[error("the catalog still holds `{count}` access packages; delete them first")]
    CatalogNotEmpty {
        /// How many.
        count: usize,
    },
    /// A package or policy with assignments that have not ended.
    #[error("the `{object}` has `{count}` active assignments; remove them first")]
    ActiveAssignments {
        /// The package or the policy.
        object: TenantObject,
        /// How many.
        count: usize,
    },
}

/// Decides whether `object` may be deleted while `dependents` depend on it.
///
/// # Errors
/// The [`DeleteRefusal`] naming what is left.
pub const fn may_delete(object: TenantObject, dependents: Dependents) -> Result<(), DeleteRefusal> {
    match object {
        TenantObject::Catalog if dependents.access_packages > 0 => {
            Err(DeleteRefusal::CatalogNotEmpty {
                count: dependents.access_packages,
            })
        }
        TenantObject::AccessPackage | TenantObject::AssignmentPolicy
            if dependents.active_assignments > 0 =>
        {
            Err(DeleteRefusal::ActiveAssignments {
                object,
                count: dependents.active_assignments,
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use strum::VariantArray;

    use super::*;

    #[test]
    fn only_creating_a_catalog_needs_the_directory_role() {
        for object in TenantObject::VARIANTS {
            for change in Change::VARIANTS {
                let operation = change.operation(*object);
                assert_eq!(
                    operation == CatalogOperation::CreateCatalog,
                    (*object, *change) == (TenantObject::Catalog, Change::Create)
                );
                assert_ne!(operation, CatalogOperation::Read);
            }
        }
        assert_eq!(
            Change::Delete.operation(TenantObject::RoleAssignment),
            CatalogOperation::ManageCatalog
        );
        assert_eq!(
            Change::Update.operation(TenantObject::AssignmentPolicy),
            CatalogOperation::ManagePackages
        );
    }

    #[test]
    fn deletes_are_refused_only_for_what_depends_on_the_object() {
        let packages = Dependents {
            access_packages: 2,
            active_assignments: 0,
        };
        let assignments = Dependents {
            access_packages: 0,
            active_assignments: 3,
        };
        for object in TenantObject::VARIANTS {
            assert_eq!(may_delete(*object, Dependents::default()), Ok(()));
        }
        assert_eq!(
            may_delete(TenantObject::Catalog, packages),
            Err(DeleteRefusal::CatalogNotEmpty { count: 2 })
        );
        assert_eq!(may_delete(TenantObject::Catalog, assignments), Ok(()));
        assert_eq!(may_delete(TenantObject::AccessPackage, packages), Ok(()));
        assert_eq!(
            may_delete(TenantObject::AssignmentPolicy, assignments),
            Err(DeleteRefusal::ActiveAssignments {
                object: TenantObject::AssignmentPolicy,
                count: 3
            })
        );
        assert_eq!(
            may_delete(TenantObject::RoleAssignment, assignments),
            Ok(())
        );
    }

    #[test]
    fn refusals_read_as_sentences() {
        let refusal = DeleteRefusal::ActiveAssignments {
            object: TenantObject::AccessPackage,
            count: 1,
        };
        assert_eq!(
            alloc::string::ToString::to_string(&refusal),
            "the `accessPackage` has `1` active assignments; remove them first"
        );
    }
}
