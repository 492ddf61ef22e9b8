//! `entitle who`: in one tenant, who may perform each operation on a request of each access package,
//! policy and status — named users, groups, directory roles, applications, and the parties the
//! request names (its requestor, the requestor's manager) — each with entitle-core's rule and its
//! provenance.
//!
//! Everyone is assumed to sign in with every delegated permission (applications with
//! `EntitlementManagement.ReadWrite.All`): what a tenant grants is its roles, groups, managers and
//! policies; which permissions a client was consented is outside the tenant document.

use entitle_audit::render::csv;
use entitle_audit::render::markdown::cell_text;
use std::collections::BTreeSet;
use std::fmt::Write as _;

use entitle_core::{
    ActionKind, ApproverOf, Authority, Caller, GroupId, Guid, Operation, Parties, People,
    Permission, Principal, RequestStatus, Role, SubjectId, VariantArray, approver_of, authorize,
    rows,
};
use entitle_store::{AssignmentPolicy, Directory};
use serde::Serialize;

/// A synthetic requestor, no directory user: the request's own parties are named by role.
const REQUESTOR: SubjectId =
    SubjectId::new(Guid::from_u128(0xffff_ffff_ffff_4fff_bfff_ffff_ffff_0001));
/// The synthetic requestor's manager.
const MANAGER: SubjectId =
    SubjectId::new(Guid::from_u128(0xffff_ffff_ffff_4fff_bfff_ffff_ffff_0002));
/// A synthetic application.
const APPLICATION: SubjectId =
    SubjectId::new(Guid::from_u128(0xffff_ffff_ffff_4fff_bfff_ffff_ffff_0003));

/// Who acts.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grantee {
    /// `user`, `group`, `directoryRole`, `application` or `party`.
    pub kind: &'static str,
    /// The object id, when there is one.
    pub id: Option<String>,
    /// The name.
    pub name: String,
}

/// One answer: `who` may perform `operation` on a request in `status`, by `rule`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// The access package's id.
    pub package_id: String,
    /// The access package's name.
    pub package: String,
    /// The policy's id.
    pub policy_id: String,
    /// The policy's name.
    pub policy: String,
    /// The request's status.
    pub status: RequestStatus,
    /// The operation.
    pub operation: Operation,
    /// Who.
    pub who: Grantee,
    /// The rule that allows it.
    pub rule: String,
    /// Documented or modelled, with the source or decision.
    pub provenance: String,
}

/// What `who` is asked about.
#[derive(Clone, Debug, Default)]
pub struct Question {
    /// Only this package: its id, or its name or part of it, in any case.
    pub package: Option<String>,
    /// Only this operation.
    pub operation: Option<Operation>,
    /// Only this status.
    pub status: Option<RequestStatus>,
}

/// The operations on an existing request a person can perform: reading it, and every action no
/// one but the service performs.
fn operations() -> Vec<Operation> {
    std::iter::once(Operation::Get)
        .chain(ActionKind::VARIANTS.iter().filter_map(|action| {
            let probe = Caller::system();
            let operation = Operation::Act(*action);
            // The service's own steps are not anyone's to take.
            authorize(operation, &probe, Parties::own(REQUESTOR))
                .is_err()
                .then_some(operation)
        }))
        .collect()
}

/// The directory, with the synthetic requestor's manager.
struct WithManager<'a>(&'a Directory);

impl People for WithManager<'_> {
    fn is_member(&self, subject: SubjectId, group: GroupId) -> bool {
        self.0.is_member(subject, group)
    }
    fn has_members(&self, group: GroupId) -> bool {
        self.0.has_members(group)
    }
    fn manager(&self, user: SubjectId) -> Option<SubjectId> {
        if user == REQUESTOR {
            Some(MANAGER)
        } else {
            self.0.manager(user)
        }
    }
}

/// A delegated user with every permission.
fn user(id: SubjectId) -> Caller {
    let mut caller = Caller::new(Principal::WorkOrSchoolUser, id);
    caller.permissions = Permission::VARIANTS.iter().copied().collect();
    caller
}

/// The candidates for `policy`: the parties, named users, groups, directory roles, an application.
fn candidates(directory: &Directory, policy: &AssignmentPolicy) -> Vec<(Grantee, Caller)> {
    let people = WithManager(directory);
    let mut found = Vec::new();
    let party = |name: &str| Grantee {
        kind: "party",
        id: None,
        name: name.to_owned(),
    };
    found.push((party("the requestor"), user(REQUESTOR)));
    let mut manager = user(MANAGER);
    manager.approver_of = approver_of(&policy.stages, MANAGER, Some(REQUESTOR), &people);
    if manager.approver_of.any() {
        found.push((party("the requestor's manager"), manager));
    }
    for person in &directory.users {
        let mut caller = user(person.id);
        caller.roles = directory.catalog_roles(person.id, &policy.access_package_id);
        caller.approver_of = approver_of(&policy.stages, person.id, Some(REQUESTOR), &people);
        found.push((
            Grantee {
                kind: "user",
                id: Some(person.id.to_string()),
                name: person.display_name.clone(),
            },
            caller,
        ));
    }
    // Who approves instead when the requestor has no manager (the stages' fallbacks).
    for person in &directory.users {
        let with = approver_of(&policy.stages, person.id, Some(REQUESTOR), &people);
        let without = directory.approver_of(&policy.id, person.id, None);
        if !with.any() && without.any() {
            let mut caller = user(person.id);
            caller.approver_of = without;
            found.push((
                Grantee {
                    kind: "user",
                    id: Some(person.id.to_string()),
                    name: format!(
                        "{} (when the requestor has no manager)",
                        person.display_name
                    ),
                },
                caller,
            ));
        }
    }
    for group in &directory.groups {
        // Any member of the group, as the group: its stages, whatever else its members hold.
        let member = SubjectId::new(group.id.guid());
        let as_member = Members(group.id);
        let with = approver_of(&policy.stages, member, Some(REQUESTOR), &as_member);
        let without = approver_of(&policy.stages, member, None, &as_member);
        let (approves, suffix) = if with.any() {
            (with, "")
        } else {
            (without, " (when the requestor has no manager)")
        };
        if approves.any() {
            let mut caller = user(member);
            caller.approver_of = approves;
            found.push((
                Grantee {
                    kind: "group",
                    id: Some(group.id.to_string()),
                    name: format!("members of {}{suffix}", group.display_name),
                },
                caller,
            ));
        }
    }
    for role in Role::VARIANTS
        .iter()
        .filter(|role| role.is_directory_role())
    {
        let mut caller = user(SubjectId::new(Guid::from_u128(0)));
        caller.roles = caller.roles.with(*role);
        found.push((
            Grantee {
                kind: "directoryRole",
                id: None,
                name: role.as_str().to_owned(),
            },
            caller,
        ));
    }
    let mut application = Caller::new(Principal::Application, APPLICATION);
    application.permissions = Permission::VARIANTS.iter().copied().collect();
    found.push((
        Grantee {
            kind: "application",
            id: None,
            name: "an application with EntitlementManagement.ReadWrite.All".to_owned(),
        },
        application,
    ));
    found
}

/// A directory where a caller stands for "any member of the group", and the synthetic requestor
/// has a manager.
struct Members(GroupId);

impl People for Members {
    fn is_member(&self, subject: SubjectId, group: GroupId) -> bool {
        group == self.0 && subject == SubjectId::new(group.guid())
    }
    fn has_members(&self, _group: GroupId) -> bool {
        true
    }
    fn manager(&self, user: SubjectId) -> Option<SubjectId> {
        (user == REQUESTOR).then_some(MANAGER)
    }
}

/// Whether a request in `status` can undergo `operation` at all (reads always; an action when the
/// table has a row for it from that status).
fn possible(status: RequestStatus, operation: Operation) -> bool {
    match operation {
        Operation::Act(action) => !rows(status, action).is_empty(),
        _ => true,
    }
}

/// Whether the package is the one asked about: its id, or its name or part of it, in any case.
fn matches_package(question: &Question, id: &str, name: &str) -> bool {
    question.package.as_deref().is_none_or(|wanted| {
        wanted.eq_ignore_ascii_case(id) || name.to_lowercase().contains(&wanted.to_lowercase())
    })
}

/// Every grant `question` asks about, in package, policy, status and operation order.
pub fn who(directory: &Directory, question: &Question) -> Vec<Grant> {
    let mut grants = BTreeSet::new();
    for policy in &directory.policies {
        let Some(package) = directory.package(&policy.access_package_id) else {
            continue;
        };
        if !matches_package(question, &package.id, &package.display_name) {
            continue;
        }
        let people = candidates(directory, policy);
        for status in RequestStatus::VARIANTS.iter().copied() {
            if question.status.is_some_and(|wanted| wanted != status) {
                continue;
            }
            for operation in operations() {
                if question.operation.is_some_and(|wanted| wanted != operation)
                    || !possible(status, operation)
                {
                    continue;
                }
                for (principal, caller) in &people {
                    let parties = Parties::own(REQUESTOR);
                    if let Ok(authority) = authorize(operation, caller, parties) {
                        grants.insert(Grant {
                            package_id: package.id.clone(),
                            package: package.display_name.clone(),
                            policy_id: policy.id.clone(),
                            policy: policy.display_name.clone(),
                            status,
                            operation,
                            who: principal.clone(),
                            rule: rule(authority, caller.approver_of),
                            provenance: authority.provenance(operation).to_string(),
                        });
                    }
                }
            }
        }
    }
    grants.into_iter().collect()
}

fn rule(authority: Authority, approver: ApproverOf) -> String {
    match authority {
        Authority::Approver => {
            let stages: Vec<String> = approver
                .primary
                .iter()
                .map(|stage| format!("{}", stage + 1))
                .chain(
                    approver
                        .escalation
                        .iter()
                        .map(|stage| format!("{} (escalated)", stage + 1)),
                )
                .collect();
            format!("approver of stage {}", stages.join(", "))
        }
        other => other.to_string(),
    }
}

/// The grants as a Markdown table.
pub fn to_markdown(grants: &[Grant]) -> String {
    let mut text = String::from(
        "Who may act on a request, by access package, policy and status (everyone signs in with every \
         delegated permission).\n\n| Package | Policy | Status | Operation | Who | Kind | Rule | Provenance |\n|---|---|---|---|---|---|---|---|\n",
    );
    for grant in grants {
        let _ = writeln!(
            text,
            "| {} | {} | `{}` | `{}` | {} | {} | {} | {} |",
            cell_text(&grant.package),
            cell_text(&grant.policy),
            grant.status,
            grant.operation,
            cell_text(&grant.who.name),
            grant.who.kind,
            cell_text(&grant.rule),
            cell_text(&grant.provenance)
        );
    }
    text
}

/// The grants as CSV, one row per grant.
pub fn to_csv(grants: &[Grant]) -> String {
    let mut text = String::from(
        "packageId,package,policyId,policy,status,operation,kind,id,who,rule,provenance\n",
    );
    for grant in grants {
        let fields = [
            grant.package_id.clone(),
            grant.package.clone(),
            grant.policy_id.clone(),
            grant.policy.clone(),
            grant.status.to_string(),
            grant.operation.to_string(),
            grant.who.kind.to_owned(),
            grant.who.id.clone().unwrap_or_default(),
            grant.who.name.clone(),
            grant.rule.clone(),
            grant.provenance.clone(),
        ];
        csv::record(&mut text, fields.iter().map(String::as_str));
    }
    text
}

/// The key of a grant that says who gained or lost access: ids, not names, so a rename is no change.
fn key(
    grant: &Grant,
) -> (
    String,
    String,
    RequestStatus,
    Operation,
    &'static str,
    String,
) {
    (
        grant.package_id.clone(),
        grant.policy_id.clone(),
        grant.status,
        grant.operation,
        grant.who.kind,
        grant
            .who
            .id
            .clone()
            .unwrap_or_else(|| grant.who.name.clone()),
    )
}

/// Who gained and who lost access from `old` to `new`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AccessChange {
    /// Grants in `new` only.
    pub gained: Vec<Grant>,
    /// Grants in `old` only.
    pub lost: Vec<Grant>,
}

/// Compares the grants of two tenants.
pub fn compare(old: &[Grant], new: &[Grant]) -> AccessChange {
    let old_keys: BTreeSet<_> = old.iter().map(key).collect();
    let new_keys: BTreeSet<_> = new.iter().map(key).collect();
    AccessChange {
        gained: new
            .iter()
            .filter(|grant| !old_keys.contains(&key(grant)))
            .cloned()
            .collect(),
        lost: old
            .iter()
            .filter(|grant| !new_keys.contains(&key(grant)))
            .cloned()
            .collect(),
    }
}

impl AccessChange {
    /// The change for people.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{} grant(s) gained, {} lost between the tenants\n",
            self.gained.len(),
            self.lost.len()
        );
        for (sign, grants) in [("+", &self.gained), ("-", &self.lost)] {
            for grant in grants {
                let _ = writeln!(
                    text,
                    "{sign} {} ({}) / {}: `{}` from `{}`: {} [{}] by {}",
                    grant.package,
                    grant.package_id,
                    grant.policy,
                    grant.operation,
                    grant.status,
                    grant.who.name,
                    grant.who.kind,
                    grant.rule
                );
            }
        }
        text
    }
}
