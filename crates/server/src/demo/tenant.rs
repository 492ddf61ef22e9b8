//! The demo tenant's directory, read from its Graph-shaped tenant document (`tenant.json`), the
//! format `entitle serve --tenant` loads (`docs/tenant.md`).

use entitle_store::{Directory, TenantLoadError};

/// The demo tenant's Graph document.
const DOCUMENT: &str = include_str!("tenant.json");

/// The demo directory, read from its Graph-shaped tenant document (`tenant.json`): the users, the
/// lab approvers group, the General catalog with its three access packages, their four policies,
/// the catalog roles of Megan and Nestor, and the Fabrikam connected organization.
///
/// # Errors
/// Only if the built-in document were broken, which a test rules out.
pub fn directory() -> Result<Directory, TenantLoadError> {
    let document = entitle_graph::tenant::parse_tenant(DOCUMENT)?;
    Directory::from_document(document, entitle_core::Timestamp(0))
}

#[cfg(test)]
mod tests {
    use entitle_core::{ApproverOf, Role, Roles, StageSet, VariantArray};

    use super::*;
    use crate::demo::ids::{
        ADELE, ALEX, DIEGO, ENRICO, ISAIAH, LEE, MEGAN, NESTOR, ORGANIZATION_FABRIKAM,
        PACKAGE_LAB_ACCESS, PACKAGE_SALES_TOOLS, POLICY_EXTENSION, POLICY_ONE_STAGE,
        POLICY_TWO_STAGE, REQUEST_ACCEPTED, REQUEST_CANCELED, seeded,
    };

    #[test]
    fn the_directory_is_consistent() {
        let directory = directory().unwrap();
        assert_eq!(directory.check(), Ok(()));
        assert_eq!(directory.users.len(), 9);
        assert_eq!(
            directory.approver_of(POLICY_ONE_STAGE, ALEX, None).primary,
            StageSet::NONE.with(0)
        );
        assert_eq!(
            directory.approver_of(POLICY_ONE_STAGE, ENRICO, None),
            ApproverOf {
                primary: StageSet::NONE,
                escalation: StageSet::NONE.with(0),
            }
        );
        // Diego approves the second stage as a member of the lab approvers group.
        assert_eq!(
            directory.approver_of(POLICY_TWO_STAGE, DIEGO, None).primary,
            StageSet::NONE.with(1)
        );
        assert_eq!(directory.groups.len(), 2);
        assert_eq!(
            directory
                .user(LEE)
                .and_then(|lee| lee.connected_organization_id.as_deref()),
            Some(ORGANIZATION_FABRIKAM)
        );
        assert_eq!(directory.document.assignment_policies.len(), 4);
        assert!(
            directory
                .catalog_roles(MEGAN, PACKAGE_LAB_ACCESS)
                .contains(Role::AccessPackageAssignmentManager)
        );
        assert!(
            directory
                .catalog_roles(NESTOR, PACKAGE_SALES_TOOLS)
                .contains(Role::CatalogOwner)
        );
        // Isaiah's role is in his token's `wids`, not in the directory.
        assert_eq!(
            directory.catalog_roles(ISAIAH, PACKAGE_SALES_TOOLS),
            Roles::NONE
        );
        assert!(
            directory
                .policy(POLICY_EXTENSION)
                .is_some_and(|policy| policy.rules.callout_on_created)
        );
    }

    #[test]
    fn ids_are_the_documented_ones() {
        assert_eq!(ADELE.to_string(), "00000000-0000-4000-8000-00000000a001");
        assert_eq!(ISAIAH.to_string(), "00000000-0000-4000-8000-00000000a008");
        assert_eq!(
            REQUEST_ACCEPTED.to_string(),
            "00000000-0000-4000-8000-0000000c0001"
        );
        assert_eq!(
            REQUEST_CANCELED.to_string(),
            "00000000-0000-4000-8000-0000000c000c"
        );
        let statuses: Vec<_> = seeded().iter().map(|(status, _)| *status).collect();
        assert_eq!(statuses, entitle_core::RequestStatus::VARIANTS);
    }
}
