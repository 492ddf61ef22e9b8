//! The tenant directory the server is configured with: users, catalogs, access packages, assignment
//! policies with their approvers, and catalog-scoped role assignments.
//!
//! Entitlement-management roles never appear in tokens; the server looks them up here.

use entitle_core::{Policy, RequestStatus, Role, Roles, SubjectId};
use entitle_graph::AssignmentRequest;
use serde::{Deserialize, Serialize};

/// A user the tenant knows (shown by `$expand=requestor`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct User {
    /// The user's object id (`oid`).
    pub id: SubjectId,
    /// `displayName`.
    pub display_name: String,
    /// `userPrincipalName`.
    pub user_principal_name: String,
}

/// An access package catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Catalog {
    /// The catalog's id.
    pub id: String,
    /// `displayName`.
    pub display_name: String,
}

/// An access package in a catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessPackage {
    /// The package's id.
    pub id: String,
    /// The catalog it belongs to.
    pub catalog_id: String,
    /// `displayName`.
    pub display_name: String,
    /// `description`.
    #[serde(default)]
    pub description: String,
}

/// Who decides one approval stage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StageApprovers {
    /// The primary approvers.
    pub approvers: Vec<SubjectId>,
    /// The alternate approvers, asked once the stage escalates.
    #[serde(default)]
    pub escalation_approvers: Vec<SubjectId>,
}

/// An assignment policy of an access package: the facts entitle-core decides by, and the approvers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssignmentPolicy {
    /// The policy's id.
    pub id: String,
    /// The access package it belongs to.
    pub access_package_id: String,
    /// `displayName`.
    pub display_name: String,
    /// Approval and custom-extension facts.
    pub rules: Policy,
    /// One entry per approval stage.
    #[serde(default)]
    pub stages: Vec<StageApprovers>,
}

/// A role held by a principal, in one catalog or (with no catalog) in every catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleAssignment {
    /// Who holds the role.
    pub principal_id: SubjectId,
    /// The role (`approver` is not assignable: it comes from the policies).
    pub role: Role,
    /// The catalog it applies to; `None` for all catalogs.
    #[serde(default)]
    pub catalog_id: Option<String>,
}

/// The whole directory of a tenant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Directory {
    /// Users.
    #[serde(default)]
    pub users: Vec<User>,
    /// Catalogs.
    #[serde(default)]
    pub catalogs: Vec<Catalog>,
    /// Access packages.
    #[serde(default)]
    pub access_packages: Vec<AccessPackage>,
    /// Assignment policies.
    #[serde(default)]
    pub policies: Vec<AssignmentPolicy>,
    /// Role assignments.
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignment>,
}

/// A directory that refers to something it does not define, or states what Entra would not accept.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    /// Two entries of one kind share an id.
    #[error("duplicate {kind} id `{id}`")]
    Duplicate {
        /// What the id names.
        kind: &'static str,
        /// The id.
        id: String,
    },
    /// A reference to an entry that does not exist.
    #[error("{kind} `{id}` refers to unknown {target} `{missing}`")]
    Dangling {
        /// The referring entry's kind.
        kind: &'static str,
        /// The referring entry's id.
        id: String,
        /// The kind referred to.
        target: &'static str,
        /// The missing id.
        missing: String,
    },
    /// A policy whose approver list does not have one entry per stage.
    #[error("policy `{id}` has {stages} approval stage(s) but {listed} approver list(s)")]
    Approvers {
        /// The policy.
        id: String,
        /// Stages in its rules.
        stages: u8,
        /// Approver lists given.
        listed: usize,
    },
    /// A policy the core refuses.
    #[error("policy `{id}`: {reason}")]
    Policy {
        /// The policy.
        id: String,
        /// The core's reason.
        reason: String,
    },
    /// The approver role assigned directly.
    #[error("the `approver` role comes from policies and cannot be assigned to `{principal}`")]
    ApproverAssigned {
        /// The principal it was assigned to.
        principal: SubjectId,
    },
}

fn unique<'a>(
    kind: &'static str,
    ids: impl Iterator<Item = &'a str>,
) -> Result<(), DirectoryError> {
    let mut seen = std::collections::BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(DirectoryError::Duplicate {
                kind,
                id: id.to_owned(),
            });
        }
    }
    Ok(())
}

impl Directory {
    /// Checks that ids are unique, references resolve, policies are valid and have one approver
    /// list per stage.
    ///
    /// # Errors
    /// The first problem found.
    pub fn check(&self) -> Result<(), DirectoryError> {
        let users: Vec<String> = self.users.iter().map(|u| u.id.to_string()).collect();
        unique("user", users.iter().map(String::as_str))?;
        unique("catalog", self.catalogs.iter().map(|c| c.id.as_str()))?;
        unique(
            "access package",
            self.access_packages.iter().map(|p| p.id.as_str()),
        )?;
        unique("policy", self.policies.iter().map(|p| p.id.as_str()))?;
        for package in &self.access_packages {
            if self.catalog(&package.catalog_id).is_none() {
                return Err(DirectoryError::Dangling {
                    kind: "access package",
                    id: package.id.clone(),
                    target: "catalog",
                    missing: package.catalog_id.clone(),
                });
            }
        }
        for policy in &self.policies {
            self.check_policy(policy)?;
        }
        for assignment in &self.role_assignments {
            if assignment.role == Role::Approver {
                return Err(DirectoryError::ApproverAssigned {
                    principal: assignment.principal_id,
                });
            }
            if let Some(catalog) = &assignment.catalog_id
                && self.catalog(catalog).is_none()
            {
                return Err(DirectoryError::Dangling {
                    kind: "role assignment of",
                    id: assignment.principal_id.to_string(),
                    target: "catalog",
                    missing: catalog.clone(),
                });
            }
        }
        Ok(())
    }

    fn check_policy(&self, policy: &AssignmentPolicy) -> Result<(), DirectoryError> {
        if self.package(&policy.access_package_id).is_none() {
            return Err(DirectoryError::Dangling {
                kind: "policy",
                id: policy.id.clone(),
                target: "access package",
                missing: policy.access_package_id.clone(),
            });
        }
        policy
            .rules
            .validate()
            .map_err(|error| DirectoryError::Policy {
                id: policy.id.clone(),
                reason: error.to_string(),
            })?;
        let stages = policy.rules.approval.map_or(0, |approval| approval.stages);
        if policy.stages.len() != usize::from(stages) {
            return Err(DirectoryError::Approvers {
                id: policy.id.clone(),
                stages,
                listed: policy.stages.len(),
            });
        }
        Ok(())
    }

    /// The user with this id.
    pub fn user(&self, id: SubjectId) -> Option<&User> {
        self.users.iter().find(|user| user.id == id)
    }

    /// The catalog with this id.
    pub fn catalog(&self, id: &str) -> Option<&Catalog> {
        self.catalogs.iter().find(|catalog| catalog.id == id)
    }

    /// The access package with this id.
    pub fn package(&self, id: &str) -> Option<&AccessPackage> {
        self.access_packages.iter().find(|package| package.id == id)
    }

    /// The policy with this id.
    pub fn policy(&self, id: &str) -> Option<&AssignmentPolicy> {
        self.policies.iter().find(|policy| policy.id == id)
    }

    /// The roles `principal` holds in the catalog of access package `package_id`.
    pub fn catalog_roles(&self, principal: SubjectId, package_id: &str) -> Roles {
        let catalog = self.package(package_id).map(|p| p.catalog_id.as_str());
        self.role_assignments
            .iter()
            .filter(|a| a.principal_id == principal)
            .filter(|a| a.catalog_id.is_none() || a.catalog_id.as_deref() == catalog)
            .fold(Roles::NONE, |roles, a| roles.with(a.role))
    }

    /// Whether `principal` may decide `stage` (counted from 0) of a request under `policy_id`:
    /// a primary approver, or an alternate approver once the stage has escalated.
    pub fn is_approver(
        &self,
        policy_id: &str,
        stage: u8,
        escalated: bool,
        principal: SubjectId,
    ) -> bool {
        self.policy(policy_id)
            .and_then(|policy| policy.stages.get(usize::from(stage)))
            .is_some_and(|approvers| {
                approvers.approvers.contains(&principal)
                    || (escalated && approvers.escalation_approvers.contains(&principal))
            })
    }

    /// The roles `principal` holds on `record` when approval stage `stage` (escalated or not) is the
    /// one in question: its catalog roles for the request's package, and `Approver` when it may decide
    /// that stage.
    pub fn roles_on(
        &self,
        principal: SubjectId,
        record: &AssignmentRequest,
        stage: u8,
        escalated: bool,
    ) -> Roles {
        let roles = self.catalog_roles(principal, &record.access_package_id);
        if self.is_approver(&record.assignment_policy_id, stage, escalated, principal) {
            roles.with(Role::Approver)
        } else {
            roles
        }
    }

    /// The roles `principal` holds on `record` as it stands: [`roles_on`](Self::roles_on) its current
    /// approval stage, escalated when its status says so.
    pub fn current_roles(&self, principal: SubjectId, record: &AssignmentRequest) -> Roles {
        let request = &record.request;
        let escalated = request.status == RequestStatus::PendingApprovalEscalated;
        self.roles_on(principal, record, request.approval_stage, escalated)
    }
}

#[cfg(test)]
mod tests {
    use entitle_core::{ApprovalPolicy, Duration, Guid};

    use super::*;

    fn subject(n: u128) -> SubjectId {
        SubjectId::new(Guid::from_u128(n))
    }

    fn tenant() -> Directory {
        Directory {
            users: vec![User {
                id: subject(1),
                display_name: "Adele".into(),
                user_principal_name: "adele@contoso.test".into(),
            }],
            catalogs: vec![Catalog {
                id: "c".into(),
                display_name: "General".into(),
            }],
            access_packages: vec![AccessPackage {
                id: "p".into(),
                catalog_id: "c".into(),
                display_name: "Sales".into(),
                description: String::new(),
            }],
            policies: vec![AssignmentPolicy {
                id: "a".into(),
                access_package_id: "p".into(),
                display_name: "Approval".into(),
                rules: Policy {
                    approval: Some(ApprovalPolicy {
                        stages: 1,
                        decision_timeout: Duration::days(14),
                        escalate_after: None,
                    }),
                    callout_on_created: false,
                },
                stages: vec![StageApprovers {
                    approvers: vec![subject(2)],
                    escalation_approvers: vec![subject(3)],
                }],
            }],
            role_assignments: vec![RoleAssignment {
                principal_id: subject(4),
                role: Role::CatalogOwner,
                catalog_id: Some("c".into()),
            }],
        }
    }

    #[test]
    fn a_consistent_directory_passes() {
        assert_eq!(tenant().check(), Ok(()));
    }

    #[test]
    fn broken_directories_are_refused() {
        let mut dangling = tenant();
        dangling.access_packages[0].catalog_id = "nope".into();
        assert!(matches!(
            dangling.check(),
            Err(DirectoryError::Dangling { .. })
        ));
        let mut approvers = tenant();
        approvers.policies[0].stages.clear();
        assert!(matches!(
            approvers.check(),
            Err(DirectoryError::Approvers { listed: 0, .. })
        ));
        let mut duplicate = tenant();
        duplicate.catalogs.push(duplicate.catalogs[0].clone());
        assert!(matches!(
            duplicate.check(),
            Err(DirectoryError::Duplicate { .. })
        ));
        let mut approver = tenant();
        approver.role_assignments[0].role = Role::Approver;
        assert!(matches!(
            approver.check(),
            Err(DirectoryError::ApproverAssigned { .. })
        ));
    }

    #[test]
    fn roles_and_approvers_resolve() {
        let directory = tenant();
        assert!(
            directory
                .catalog_roles(subject(4), "p")
                .contains(Role::CatalogOwner)
        );
        assert_eq!(directory.catalog_roles(subject(1), "p"), Roles::NONE);
        assert!(directory.is_approver("a", 0, false, subject(2)));
        assert!(!directory.is_approver("a", 0, false, subject(3)));
        assert!(directory.is_approver("a", 0, true, subject(3)));
        assert!(!directory.is_approver("a", 1, false, subject(2)));
    }

    #[test]
    fn roles_on_a_request_combine_catalog_roles_and_the_stage_approver() {
        let directory = tenant();
        let policy = directory.policy("a").unwrap().rules;
        let mut record = AssignmentRequest {
            request: entitle_core::Request::submit(
                entitle_core::RequestId::new(Guid::from_u128(9)),
                subject(1),
                policy,
                None,
                entitle_core::Timestamp(0),
            )
            .unwrap(),
            request_type: entitle_graph::RequestType::UserAdd,
            access_package_id: "p".into(),
            assignment_policy_id: "a".into(),
            target_id: subject(1),
            justification: None,
            expires_at: None,
        };
        assert!(
            directory
                .current_roles(subject(2), &record)
                .contains(Role::Approver)
        );
        assert!(
            !directory
                .current_roles(subject(3), &record)
                .contains(Role::Approver)
        );
        assert!(
            directory
                .roles_on(subject(3), &record, 0, true)
                .contains(Role::Approver)
        );
        record.request.status = RequestStatus::PendingApprovalEscalated;
        record.request.stage_started_at = Some(entitle_core::Timestamp(0));
        assert!(
            directory
                .current_roles(subject(3), &record)
                .contains(Role::Approver)
        );
        assert_eq!(
            directory.current_roles(subject(4), &record),
            Roles::NONE.with(Role::CatalogOwner)
        );
    }
}
