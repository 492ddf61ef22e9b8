//! The entitlement-management roles as `unifiedRoleAssignment`s name them: role definition
//! (template) ids, and catalog scopes.
//!
//! Source: "Delegation and roles in entitlement management" (MicrosoftDocs/entra-docs,
//! `docs/id-governance/entitlement-management-delegate.md`); the catalog scope is
//! `/AccessPackageCatalog/{id}` (unifiedRoleAssignment, `appScopeId`).

use entitle_core::Role;

/// The `appScopeId` prefix of a role held in one catalog.
pub const CATALOG_SCOPE_PREFIX: &str = "/AccessPackageCatalog/";

/// Each catalog role's role definition id.
pub const ROLE_DEFINITIONS: [(Role, &str); 4] = [
    (Role::CatalogOwner, "ae79f266-94d4-4dab-b730-feca7e132178"),
    (Role::CatalogReader, "44272f93-9762-48e8-af59-1b5351b1d6b3"),
    (
        Role::AccessPackageManager,
        "7f480852-ebdc-47d4-87de-0d8498384a83",
    ),
    (
        Role::AccessPackageAssignmentManager,
        "e2182095-804a-4656-ae11-64734e9b7ae5",
    ),
];

/// The role a role definition id names, ignoring case.
pub fn role_of(definition_id: &str) -> Option<Role> {
    ROLE_DEFINITIONS
        .iter()
        .find(|(_, id)| id.eq_ignore_ascii_case(definition_id))
        .map(|(role, _)| *role)
}

/// The role definition id of a catalog role.
pub fn definition_of(role: Role) -> Option<&'static str> {
    ROLE_DEFINITIONS
        .iter()
        .find(|(known, _)| *known == role)
        .map(|(_, id)| *id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_role_round_trips() {
        for (role, id) in ROLE_DEFINITIONS {
            assert_eq!(role_of(id), Some(role));
            assert_eq!(role_of(&id.to_uppercase()), Some(role));
            assert_eq!(definition_of(role), Some(id));
            assert!(!role.is_directory_role());
        }
        assert_eq!(role_of("ba92d953-d8e0-4e39-a797-0cbedb0a89e8"), None);
        assert_eq!(definition_of(Role::GlobalReader), None);
    }
}
