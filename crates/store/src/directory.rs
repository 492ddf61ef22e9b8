//! The tenant directory the server is configured with: users, catalogs, access packages, assignment
//! policies with their approvers, and catalog-scoped role assignments.
//!
//! Entitlement-management roles and approvers never appear in tokens; the server looks them up here
//! and states them to entitle-core as facts. Who may do what with them is entitle-core's decision.

use entitle_core::{
    ApproverOf, GroupId, Guid, NotAdmitted, People, PolicyRules, RequestorRules, Role, Roles,
    StageApprovers, SubjectId, SubjectSet, TargetFacts, TargetKind, TargetScope, approver_of,
};
use entitle_graph::Question;
use entitle_graph::tenant::TenantDocument;
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
    /// The user's manager (`manager`), who may ask on the user's behalf where a policy allows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_id: Option<SubjectId>,
    /// The connected organization a guest user comes from (`connectedOrganization`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connected_organization_id: Option<String>,
    /// A guest (`userType` `Guest`) rather than a member.
    #[serde(default)]
    pub guest: bool,
}

/// An organization the tenant has a relationship with (`connectedOrganization`): its users may be
/// given access packages, and are recognized by their email domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectedOrganization {
    /// `id`.
    pub id: String,
    /// `displayName`.
    pub display_name: String,
    /// `description`.
    #[serde(default)]
    pub description: String,
    /// The email domains of its users (its `identitySources` as domains).
    #[serde(default)]
    pub domains: Vec<String>,
}

/// A user a request targets who is not yet in the directory: Graph creates the subject, and
/// invites the user when the assignment is delivered. Its id is derived from its email.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalSubject {
    /// The subject's object id.
    pub id: SubjectId,
    /// `email`, as the request named it.
    pub email: String,
    /// `displayName`, if the request gave one.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The connected organization its email domain belongs to.
    #[serde(default)]
    pub connected_organization_id: Option<String>,
}

/// Why a request may not target an email no directory user signs in with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no user in the directory signs in as `{email}`, and {reason}")]
pub struct ExternalTargetError {
    /// The email.
    pub email: String,
    /// entitle-core's reason.
    pub reason: NotAdmitted,
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

/// A directory group, whose members a policy can name as approvers (`groupMembers`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Group {
    /// The group's object id.
    pub id: GroupId,
    /// `displayName`.
    pub display_name: String,
    /// Its members' object ids (`members`).
    #[serde(default)]
    pub members: Vec<SubjectId>,
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
    /// Approval and custom-extension rules.
    pub rules: PolicyRules,
    /// One entry per approval stage.
    #[serde(default)]
    pub stages: Vec<StageApprovers>,
    /// The custom extension its callout calls (`customExtensionId`), when `rules` has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_extension_id: Option<String>,
    /// The questions a requestor answers (`questions`), shown with each answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<Question>,
    /// Who else may ask for a user to be added (`requestorSettings.onBehalfRequestors`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_behalf_requestors: Vec<OnBehalfRequestor>,
    /// Who may ask, and who may be assigned (`requestorSettings`, `allowedTargetScope`).
    #[serde(default)]
    pub requestors: RequestorRules,
    /// The users and groups a specific scope names (`specificAllowedTargets`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_targets: Vec<SubjectSet>,
}

/// Who a policy lets ask on a user's behalf (a `subjectSet` of `requestorSettings.onBehalfRequestors`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OnBehalfRequestor {
    /// The user's manager (`requestorManager`).
    RequestorManager,
}

/// A role held by a principal, in one catalog or (with no catalog) in every catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleAssignment {
    /// Who holds the role.
    pub principal_id: SubjectId,
    /// The entitlement-management role (directory roles come from the token's `wids` claim).
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
    /// Groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
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
    /// Connected organizations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connected_organizations: Vec<ConnectedOrganization>,
    /// The Graph document the directory was read from, shown by Graph's routes (empty for a
    /// directory built otherwise).
    #[serde(default, skip_serializing_if = "TenantDocument::is_empty")]
    pub document: TenantDocument,
}

/// FNV-1a, 128 bits, of `bytes`: ids derived from names.
pub(crate) fn fnv128(bytes: impl Iterator<Item = u8>) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    bytes.fold(OFFSET, |hash, byte| {
        (hash ^ u128::from(byte)).wrapping_mul(PRIME)
    })
}

/// The object id of the external user `email`: a version-4 GUID derived from the email, ignoring
/// case, so every request naming the same person targets the same subject.
fn external_id(email: &str) -> SubjectId {
    let hash = fnv128(email.bytes().map(|byte| byte.to_ascii_lowercase()));
    SubjectId::new(Guid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000).derived(hash))
}

/// Why a new request could not be placed under a policy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Placement {
    /// Neither a policy nor a package was named.
    #[error("name the assignment policy (`assignment.assignmentPolicyId`) or the access package")]
    Unnamed,
    /// No policy has this id.
    #[error("unknown assignment policy `{0}`")]
    UnknownPolicy(String),
    /// No access package has this id.
    #[error("unknown access package `{0}`")]
    UnknownPackage(String),
    /// The package has no policy to request under.
    #[error("access package `{0}` has no assignment policy")]
    NoPolicy(String),
    /// The package has several policies and none was named.
    #[error(
        "access package `{0}` has several assignment policies; name one in \
         `assignment.assignmentPolicyId`"
    )]
    Ambiguous(String),
    /// The policy belongs to another package.
    #[error("assignment policy `{policy}` does not belong to access package `{package}`")]
    Elsewhere {
        /// The policy named.
        policy: String,
        /// The package named.
        package: String,
    },
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
    /// A Microsoft Entra directory role assigned in the directory.
    #[error(
        "`{role}` is a directory role, stated by the token's `wids` claim; it cannot be assigned to `{principal}` here"
    )]
    DirectoryRoleAssigned {
        /// The principal it was assigned to.
        principal: SubjectId,
        /// The role.
        role: Role,
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
        let groups: Vec<String> = self.groups.iter().map(|g| g.id.to_string()).collect();
        unique("group", groups.iter().map(String::as_str))?;
        for group in &self.groups {
            if let Some(missing) = group
                .members
                .iter()
                .find(|member| self.user(**member).is_none())
            {
                return Err(DirectoryError::Dangling {
                    kind: "group",
                    id: group.id.to_string(),
                    target: "member",
                    missing: missing.to_string(),
                });
            }
        }
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
        for user in &self.users {
            self.check_user(user)?;
        }
        for policy in &self.policies {
            self.check_policy(policy)?;
        }
        for assignment in &self.role_assignments {
            if assignment.role.is_directory_role() {
                return Err(DirectoryError::DirectoryRoleAssigned {
                    principal: assignment.principal_id,
                    role: assignment.role,
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
        let stages = policy.rules.stages();
        if policy.stages.len() != usize::from(stages) {
            return Err(DirectoryError::Approvers {
                id: policy.id.clone(),
                stages,
                listed: policy.stages.len(),
            });
        }
        for stage in &policy.stages {
            for set in [
                &stage.primary,
                &stage.fallback_primary,
                &stage.escalation,
                &stage.fallback_escalation,
            ]
            .into_iter()
            .flatten()
            {
                self.check_set(&policy.id, *set)?;
            }
        }
        Ok(())
    }

    /// An approver set of policy `policy` names a group the directory has (a single user need not
    /// be listed: who signs in is the token's word).
    fn check_set(&self, policy: &str, set: SubjectSet) -> Result<(), DirectoryError> {
        match set {
            SubjectSet::GroupMembers { group } if self.group(group).is_none() => {
                Err(DirectoryError::Dangling {
                    kind: "policy",
                    id: policy.to_owned(),
                    target: "approver group",
                    missing: group.to_string(),
                })
            }
            _ => Ok(()),
        }
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

    /// The user whose sign-in name (`userPrincipalName`) is `email`, ignoring case.
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|user| user.user_principal_name.eq_ignore_ascii_case(email))
    }

    /// The policy a new request is placed under: the one named, which must belong to the package if
    /// one is named too; or, with only a package named, its one policy.
    ///
    /// # Errors
    /// A [`Placement`] naming what is unknown, inconsistent or ambiguous.
    pub fn placement(
        &self,
        policy_id: Option<&str>,
        package_id: Option<&str>,
    ) -> Result<&AssignmentPolicy, Placement> {
        let policy = match (policy_id, package_id) {
            (Some(id), _) => self
                .policy(id)
                .ok_or_else(|| Placement::UnknownPolicy(id.to_owned()))?,
            (None, Some(package)) => {
                self.package(package)
                    .ok_or_else(|| Placement::UnknownPackage(package.to_owned()))?;
                let mut policies = self
                    .policies
                    .iter()
                    .filter(|policy| policy.access_package_id == package);
                match (policies.next(), policies.next()) {
                    (Some(only), None) => only,
                    (None, _) => return Err(Placement::NoPolicy(package.to_owned())),
                    (Some(_), Some(_)) => return Err(Placement::Ambiguous(package.to_owned())),
                }
            }
            (None, None) => return Err(Placement::Unnamed),
        };
        match package_id {
            Some(package) if package != policy.access_package_id => Err(Placement::Elsewhere {
                policy: policy.id.clone(),
                package: package.to_owned(),
            }),
            _ => Ok(policy),
        }
    }

    /// The roles `principal` holds in the catalog of access package `package_id`.
    pub fn catalog_roles(&self, principal: SubjectId, package_id: &str) -> Roles {
        let catalog = self.package(package_id).map(|p| p.catalog_id.as_str());
        self.roles_held(principal, catalog)
    }

    /// The roles `principal` holds in catalog `catalog_id`.
    pub fn roles_in_catalog(&self, principal: SubjectId, catalog_id: &str) -> Roles {
        self.roles_held(principal, Some(catalog_id))
    }

    /// The roles `principal` holds in `catalog` (`None`: a package the directory does not know, where
    /// only roles in every catalog count).
    fn roles_held(&self, principal: SubjectId, catalog: Option<&str>) -> Roles {
        self.role_assignments
            .iter()
            .filter(|a| a.principal_id == principal)
            .filter(|a| a.catalog_id.is_none() || a.catalog_id.as_deref() == catalog)
            .fold(Roles::NONE, |roles, a| roles.with(a.role))
    }

    /// A user's connected organization and manager are in the directory.
    fn check_user(&self, user: &User) -> Result<(), DirectoryError> {
        let dangling = |target: &'static str, missing: String| DirectoryError::Dangling {
            kind: "user",
            id: user.id.to_string(),
            target,
            missing,
        };
        if let Some(organization) = &user.connected_organization_id
            && self.connected_organization(organization).is_none()
        {
            return Err(dangling("connected organization", organization.clone()));
        }
        if let Some(manager) = user.manager_id
            && self.user(manager).is_none()
        {
            return Err(dangling("manager", manager.to_string()));
        }
        Ok(())
    }

    /// The connected organization `id`.
    pub fn connected_organization(&self, id: &str) -> Option<&ConnectedOrganization> {
        self.connected_organizations
            .iter()
            .find(|organization| organization.id == id)
    }

    /// The subject a request under policy `policy_id` targets when it names `email`, which no
    /// directory user signs in with: placed in the connected organization of the email's domain,
    /// and admitted by the policy's `allowedTargetScope` as entitle-core decides (D29).
    ///
    /// # Errors
    /// [`ExternalTargetError`] when the policy does not admit it.
    pub fn external_subject(
        &self,
        policy_id: &str,
        email: &str,
        display_name: Option<&str>,
    ) -> Result<ExternalSubject, ExternalTargetError> {
        let domain = email.rsplit_once('@').map_or("", |(_, domain)| domain);
        let organization = self.connected_organizations.iter().find(|organization| {
            organization
                .domains
                .iter()
                .any(|known| known.eq_ignore_ascii_case(domain))
        });
        let scope = self
            .policy(policy_id)
            .map_or(TargetScope::NotSpecified, |policy| policy.requestors.scope);
        let facts = TargetFacts {
            kind: TargetKind::External,
            connected_organization: organization.is_some(),
            named: false,
        };
        if !scope.admits(facts) {
            return Err(ExternalTargetError {
                email: email.to_owned(),
                reason: NotAdmitted::OutOfScope { scope },
            });
        }
        Ok(ExternalSubject {
            id: external_id(email),
            email: email.to_owned(),
            display_name: display_name.map(str::to_owned),
            connected_organization_id: organization.map(|organization| organization.id.clone()),
        })
    }

    /// The facts policy `policy_id`'s scope is decided by, for a request whose target is `target`
    /// (`external` when the target is not in the directory yet).
    pub fn target_facts(
        &self,
        policy_id: &str,
        target: SubjectId,
        external: Option<&ExternalSubject>,
    ) -> TargetFacts {
        let named = self.policy(policy_id).is_some_and(|policy| {
            policy
                .allowed_targets
                .iter()
                .any(|set| set.includes(target, Some(target), self))
        });
        match (external, self.user(target)) {
            (Some(external), _) => TargetFacts {
                kind: TargetKind::External,
                connected_organization: external.connected_organization_id.is_some(),
                named,
            },
            (None, Some(user)) => TargetFacts {
                kind: if user.guest {
                    TargetKind::Guest
                } else {
                    TargetKind::Member
                },
                connected_organization: user.connected_organization_id.is_some(),
                named,
            },
            // An object id the directory does not list: a member, as a token's `oid` shows.
            (None, None) => TargetFacts {
                kind: TargetKind::Member,
                connected_organization: false,
                named,
            },
        }
    }

    /// Whether policy `policy_id` lets `principal` ask on `target`'s behalf: it names the requestor's
    /// manager, and `principal` is `target`'s manager.
    pub fn on_behalf_of(&self, policy_id: &str, principal: SubjectId, target: SubjectId) -> bool {
        let managers_may = self.policy(policy_id).is_some_and(|policy| {
            policy
                .on_behalf_requestors
                .contains(&OnBehalfRequestor::RequestorManager)
        });
        managers_may
            && self
                .user(target)
                .is_some_and(|user| user.manager_id == Some(principal))
    }

    /// The group `id`.
    pub fn group(&self, id: GroupId) -> Option<&Group> {
        self.groups.iter().find(|group| group.id == id)
    }

    /// Which stages of policy `policy_id` `principal` approves for a request whose target is
    /// `target`, as a primary or an escalation approver: entitle-core's answer over the policy's
    /// approver sets, resolved against this directory.
    pub fn approver_of(
        &self,
        policy_id: &str,
        principal: SubjectId,
        target: Option<SubjectId>,
    ) -> ApproverOf {
        let stages = self
            .policy(policy_id)
            .map_or(&[][..], |policy| &policy.stages[..]);
        approver_of(stages, principal, target, self)
    }
}

impl People for Directory {
    fn is_member(&self, subject: SubjectId, group: GroupId) -> bool {
        self.group(group)
            .is_some_and(|group| group.members.contains(&subject))
    }

    fn has_members(&self, group: GroupId) -> bool {
        self.group(group)
            .is_some_and(|group| !group.members.is_empty())
    }

    fn manager(&self, user: SubjectId) -> Option<SubjectId> {
        self.user(user).and_then(|user| user.manager_id)
    }
}

#[cfg(test)]
mod tests {
    use entitle_core::{ApprovalRules, Duration, Guid, StageSet};

    use super::*;

    /// `00000000-0000-4000-8000-000000000000`: the documented ids' common part.
    const BASE: u128 = 0x0000_0000_0000_4000_8000_0000_0000_0000;

    fn subject(n: u128) -> SubjectId {
        SubjectId::new(Guid::from_u128(n))
    }

    fn user(n: u128, name: &str) -> User {
        User {
            id: subject(n),
            display_name: name.into(),
            user_principal_name: format!("{}@contoso.test", name.to_lowercase()),
            manager_id: None,
            connected_organization_id: None,
            guest: false,
        }
    }

    fn tenant() -> Directory {
        Directory {
            users: vec![
                user(1, "Adele"),
                user(2, "Alex"),
                user(3, "Diego"),
                user(4, "Megan"),
            ],
            groups: Vec::new(),
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
                rules: PolicyRules {
                    approval: Some(ApprovalRules {
                        stages: 1,
                        decision_timeout: Duration::days(14),
                        escalate_after: None,
                    }),
                    callout_on_created: false,
                },
                stages: vec![StageApprovers::users(&[subject(2)], &[subject(3)])],
                custom_extension_id: None,
                questions: Vec::new(),
                on_behalf_requestors: Vec::new(),
                requestors: RequestorRules::OPEN,
                allowed_targets: Vec::new(),
            }],
            role_assignments: vec![RoleAssignment {
                principal_id: subject(4),
                role: Role::CatalogOwner,
                catalog_id: Some("c".into()),
            }],
            connected_organizations: Vec::new(),
            document: TenantDocument::default(),
        }
    }

    #[test]
    fn managers_and_connected_organizations_must_exist() {
        let mut manager = tenant();
        manager.users[0].manager_id = Some(subject(9));
        assert!(matches!(
            manager.check(),
            Err(DirectoryError::Dangling {
                target: "manager",
                ..
            })
        ));
        let mut guest = tenant();
        guest.users[0].connected_organization_id = Some("fabrikam".into());
        assert!(matches!(
            guest.check(),
            Err(DirectoryError::Dangling {
                target: "connected organization",
                ..
            })
        ));
    }

    #[test]
    fn a_manager_asks_on_behalf_only_where_the_policy_names_managers() {
        let mut directory = tenant();
        directory.users[0].manager_id = Some(subject(1));
        directory.users.push(User {
            manager_id: Some(subject(1)),
            ..user(5, "Bianca")
        });
        assert!(!directory.on_behalf_of("a", subject(1), subject(5)));
        directory.policies[0].on_behalf_requestors = vec![OnBehalfRequestor::RequestorManager];
        assert!(directory.on_behalf_of("a", subject(1), subject(5)));
        assert!(!directory.on_behalf_of("a", subject(5), subject(1)));
        assert!(!directory.on_behalf_of("nope", subject(1), subject(5)));
    }

    #[test]
    fn external_targets_follow_the_policys_scope() {
        let mut directory = tenant();
        directory
            .connected_organizations
            .push(ConnectedOrganization {
                id: "fabrikam".into(),
                display_name: "Fabrikam".into(),
                description: String::new(),
                domains: vec!["fabrikam.test".into()],
            });
        let refused = directory
            .external_subject("a", "lee@fabrikam.test", None)
            .unwrap_err();
        assert_eq!(
            refused.reason,
            NotAdmitted::OutOfScope {
                scope: TargetScope::AllDirectoryUsers
            }
        );
        directory.policies[0].requestors.scope =
            TargetScope::AllConfiguredConnectedOrganizationUsers;
        let lee = directory
            .external_subject("a", "Lee@FABRIKAM.test", Some("Lee"))
            .unwrap();
        assert_eq!(lee.connected_organization_id.as_deref(), Some("fabrikam"));
        assert_eq!(lee.display_name.as_deref(), Some("Lee"));
        assert_eq!(
            directory
                .external_subject("a", "lee@fabrikam.test", None)
                .unwrap()
                .id,
            lee.id
        );
        assert_eq!(lee.id.guid().to_string().as_bytes()[14], b'4');
        assert!(
            directory
                .external_subject("a", "someone@example.test", None)
                .is_err()
        );
        directory.policies[0].requestors.scope = TargetScope::AllExternalUsers;
        let anyone = directory
            .external_subject("a", "someone@example.test", None)
            .unwrap();
        assert_eq!(anyone.connected_organization_id, None);
        assert_ne!(anyone.id, lee.id);
        let facts = directory.target_facts("a", anyone.id, Some(&anyone));
        assert_eq!(facts.kind, TargetKind::External);
        assert!(!facts.connected_organization);
        assert_eq!(
            directory.target_facts("a", subject(1), None).kind,
            TargetKind::Member
        );
    }

    #[test]
    fn specific_targets_name_users_and_group_members() {
        let mut directory = tenant();
        let group = GroupId::new(Guid::from_u128(9));
        directory.groups.push(Group {
            id: group,
            display_name: "Sales".into(),
            members: vec![subject(2)],
        });
        directory.users[1].guest = true;
        directory.policies[0].allowed_targets = vec![SubjectSet::GroupMembers { group }];
        let facts = directory.target_facts("a", subject(2), None);
        assert!(facts.named);
        assert_eq!(facts.kind, TargetKind::Guest);
        assert!(!directory.target_facts("a", subject(1), None).named);
    }

    /// `docs/tenant.md`'s example is a valid tenant file that means what the page says, and the
    /// page's table lists every key it uses.
    #[test]
    fn the_documented_tenant_file_loads() {
        let page = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/tenant.md"),
        )
        .unwrap();
        let example = page
            .split("```json")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap();
        let document = entitle_graph::tenant::parse_tenant(example).unwrap();
        let directory = Directory::from_document(document, entitle_core::Timestamp(0)).unwrap();
        let [adele, bianca, alex, lee] =
            [0xa001_u128, 0xa002, 0xa003, 0xa009].map(|n| subject(n | BASE));
        let policy = &directory.policies[0];
        assert_eq!(policy.questions.len(), 1);
        assert_eq!(policy.rules.stages(), 1);
        // Adele approves her report Bianca's requests; Alex, through the fallback group, those of
        // users without a manager.
        assert!(
            directory
                .approver_of(&policy.id, adele, Some(bianca))
                .primary
                .contains(0)
        );
        assert!(!directory.approver_of(&policy.id, alex, Some(bianca)).any());
        assert!(
            directory
                .approver_of(&policy.id, alex, Some(adele))
                .primary
                .contains(0)
        );
        assert!(directory.on_behalf_of(&policy.id, adele, bianca));
        assert_eq!(policy.requestors.scope, TargetScope::AllExternalUsers);
        assert!(policy.requestors.self_add && policy.requestors.on_behalf_add);
        assert_eq!(
            directory
                .user(lee)
                .and_then(|user| user.connected_organization_id.as_deref()),
            Some("00000000-0000-4000-8000-0000000c0a01")
        );
        assert!(
            directory
                .catalog_roles(adele, &policy.access_package_id)
                .contains(Role::CatalogReader)
        );
        let value: serde_json::Value = serde_json::from_str(example).unwrap();
        for key in value.as_object().unwrap().keys() {
            assert!(
                page.contains(&format!("| `{key}` |")),
                "the table lacks `{key}`"
            );
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
        let mut directory_role = tenant();
        directory_role.role_assignments[0].role = Role::GlobalReader;
        assert!(matches!(
            directory_role.check(),
            Err(DirectoryError::DirectoryRoleAssigned { .. })
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
        assert_eq!(
            directory.approver_of("a", subject(2), None),
            ApproverOf {
                primary: StageSet::NONE.with(0),
                escalation: StageSet::NONE,
            }
        );
        assert_eq!(
            directory.approver_of("a", subject(3), None),
            ApproverOf {
                primary: StageSet::NONE,
                escalation: StageSet::NONE.with(0),
            }
        );
        assert_eq!(
            directory.approver_of("a", subject(4), None),
            ApproverOf::NONE
        );
        assert_eq!(
            directory.approver_of("unknown", subject(2), None),
            ApproverOf::NONE
        );
    }
}
