//! The directory a Graph-shaped tenant document states: each Graph object read into the facts
//! entitle-core decides by (policy rules, approver sets, roles, managers, group members), with the
//! document kept beside them so Graph's routes show every property as loaded.

use entitle_core::{
    ApprovalRules, PolicyRules, RequestorRules, StageApprovers, SubjectId, SubjectSet, TargetScope,
    Timestamp,
};
use entitle_graph::datetime;
use entitle_graph::schedule::parse_duration;
use entitle_graph::tenant::{
    AccessPackageObject, CATALOG_SCOPE_PREFIX, ConnectedOrganizationObject, LocalizedTextObject,
    PolicyObject, QuestionObject, RoleAssignmentObject, StageObject, SubjectSetObject,
    TenantDocument, TenantError, UserObject, role_of,
};
use entitle_graph::{LocalizedContent, LocalizedText, Question, QuestionKind};

use crate::directory::{
    AccessPackage, AssignmentPolicy, Catalog, ConnectedOrganization, Directory, DirectoryError,
    Group, OnBehalfRequestor, RoleAssignment, User, fnv128,
};

/// Why a tenant document cannot be served.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TenantLoadError {
    /// An object or property is wrong.
    #[error(transparent)]
    Document(#[from] TenantError),
    /// The objects do not fit together.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
}

/// How long a stage waits for a decision when its policy does not say (`P14D`, D26).
const DEFAULT_DECISION_TIMEOUT: &str = "P14D";

fn subject(label: &str, property: &str, id: &str) -> Result<SubjectId, TenantError> {
    SubjectId::parse(id).map_err(|error| TenantError::new(label, property, error.to_string()))
}

fn sets(
    label: &str,
    property: &str,
    objects: &[SubjectSetObject],
) -> Result<Vec<SubjectSet>, TenantError> {
    (0..)
        .zip(objects)
        .map(|(index, object)| {
            object.to_core().map_err(|error| {
                TenantError::new(label, format!("{property}[{index}]"), error.to_string())
            })
        })
        .collect()
}

fn duration(
    label: &str,
    property: &str,
    text: &str,
) -> Result<entitle_core::Duration, TenantError> {
    parse_duration(text).map_err(|error| TenantError::new(label, property, error.to_string()))
}

/// The approval rules and approver sets of a policy's `requestApprovalSettings`.
fn approval(
    label: &str,
    policy: &PolicyObject,
) -> Result<(Option<ApprovalRules>, Vec<StageApprovers>), TenantError> {
    let Some(settings) = &policy.request_approval_settings else {
        return Ok((None, Vec::new()));
    };
    if settings.is_approval_required_for_add != Some(true) || settings.stages.is_empty() {
        return Ok((None, Vec::new()));
    }
    let stages = u8::try_from(settings.stages.len()).map_err(|_| {
        TenantError::new(
            label,
            "requestApprovalSettings.stages",
            "at most three stages",
        )
    })?;
    let first: &StageObject = settings
        .stages
        .first()
        .ok_or_else(|| TenantError::new(label, "requestApprovalSettings.stages", "no stage"))?;
    let decision_timeout = duration(
        label,
        "requestApprovalSettings.stages[0].durationBeforeAutomaticDenial",
        first
            .duration_before_automatic_denial
            .as_deref()
            .unwrap_or(DEFAULT_DECISION_TIMEOUT),
    )?;
    let escalate_after = match first.is_escalation_enabled {
        Some(true) => Some(duration(
            label,
            "requestApprovalSettings.stages[0].durationBeforeEscalation",
            first
                .duration_before_escalation
                .as_deref()
                .unwrap_or("PT0S"),
        )?),
        _ => None,
    };
    let approvers = (0..)
        .zip(&settings.stages)
        .map(|(index, stage): (usize, &StageObject)| {
            let at = |name: &str| format!("requestApprovalSettings.stages[{index}].{name}");
            Ok(StageApprovers {
                primary: sets(label, &at("primaryApprovers"), &stage.primary_approvers)?,
                fallback_primary: sets(
                    label,
                    &at("fallbackPrimaryApprovers"),
                    &stage.fallback_primary_approvers,
                )?,
                escalation: sets(
                    label,
                    &at("escalationApprovers"),
                    &stage.escalation_approvers,
                )?,
                fallback_escalation: sets(
                    label,
                    &at("fallbackEscalationApprovers"),
                    &stage.fallback_escalation_approvers,
                )?,
            })
        })
        .collect::<Result<_, TenantError>>()?;
    Ok((
        Some(ApprovalRules {
            stages,
            decision_timeout,
            escalate_after,
        }),
        approvers,
    ))
}

/// v1.0's `text` and `localizations` as one localized content.
fn content(text: Option<&String>, localizations: &[LocalizedTextObject]) -> LocalizedContent {
    LocalizedContent {
        default_text: text.cloned(),
        localized_texts: localizations
            .iter()
            .map(|text| LocalizedText {
                text: text.text.clone(),
                language_code: text.language_code.clone(),
            })
            .collect(),
    }
}

fn question(object: &QuestionObject) -> Question {
    match object {
        QuestionObject::TextInput {
            id,
            is_required,
            text,
            localizations,
            is_single_line_question,
            ..
        } => Question {
            id: id.clone(),
            kind: QuestionKind::TextInput,
            text: content(text.as_ref(), localizations),
            is_required: is_required.unwrap_or(false),
            choices: Vec::new(),
            allows_multiple_selection: false,
            is_single_line_question: is_single_line_question.unwrap_or(false),
        },
        QuestionObject::MultipleChoice {
            id,
            is_required,
            text,
            localizations,
            choices,
            is_multiple_selection_allowed,
            ..
        } => Question {
            id: id.clone(),
            kind: QuestionKind::MultipleChoice,
            text: content(text.as_ref(), localizations),
            is_required: is_required.unwrap_or(false),
            choices: choices
                .iter()
                .map(|choice| entitle_graph::Choice {
                    actual_value: choice.actual_value.clone(),
                    display_value: content(choice.text.as_ref(), &choice.localizations),
                })
                .collect(),
            allows_multiple_selection: is_multiple_selection_allowed.unwrap_or(false),
            is_single_line_question: false,
        },
    }
}

/// The policy `object` of package `package_id` (its own `accessPackage` when not nested).
fn policy(
    object: &PolicyObject,
    package_id: Option<&str>,
) -> Result<AssignmentPolicy, TenantError> {
    let label = format!("assignment policy `{}`", object.id);
    let access_package_id = package_id
        .map(str::to_owned)
        .or_else(|| object.access_package.as_ref().map(|package| package.id.clone()))
        .ok_or_else(|| {
            TenantError::new(
                &label,
                "accessPackage",
                "missing: export policies with `$expand=accessPackage`, or nest them in their package",
            )
        })?;
    let (approval, stages) = approval(&label, object)?;
    let callout = object
        .custom_extension_stage_settings
        .iter()
        .find(|setting| setting.stage == "assignmentRequestCreated");
    let scope = match object.allowed_target_scope.as_deref() {
        None | Some("unknownFutureValue") => TargetScope::NotSpecified,
        Some(name) => TargetScope::parse(name).ok_or_else(|| {
            TenantError::new(
                &label,
                "allowedTargetScope",
                format!("`{name}` is not an `allowedTargetScope` value"),
            )
        })?,
    };
    let settings = object.requestor_settings.clone().unwrap_or_default();
    let on = |value: Option<bool>| value.unwrap_or(false);
    let requestors = RequestorRules {
        scope,
        self_add: on(settings.enable_targets_to_self_add_access),
        self_update: on(settings.enable_targets_to_self_update_access),
        self_remove: on(settings.enable_targets_to_self_remove_access),
        on_behalf_add: on(settings.enable_on_behalf_requestors_to_add_access),
        on_behalf_update: on(settings.enable_on_behalf_requestors_to_update_access),
        on_behalf_remove: on(settings.enable_on_behalf_requestors_to_remove_access),
    };
    let allowed_targets = sets(
        &label,
        "specificAllowedTargets",
        &object.specific_allowed_targets,
    )?;
    let on_behalf_requestors = object
        .requestor_settings
        .as_ref()
        .filter(|settings| settings.enable_on_behalf_requestors_to_add_access == Some(true))
        .map_or_else(Vec::new, |settings| {
            let managers = settings.on_behalf_requestors.iter().any(|set| {
                matches!(
                    set,
                    SubjectSetObject::TargetManager {
                        manager_level: None | Some(1)
                    }
                )
            });
            if managers {
                vec![OnBehalfRequestor::RequestorManager]
            } else {
                Vec::new()
            }
        });
    Ok(AssignmentPolicy {
        id: object.id.clone(),
        access_package_id,
        display_name: object.display_name.clone(),
        rules: PolicyRules {
            approval,
            callout_on_created: callout.is_some(),
        },
        stages,
        custom_extension_id: callout.map(|setting| setting.custom_extension.id.clone()),
        questions: object.questions.iter().map(question).collect(),
        on_behalf_requestors,
        requestors,
        allowed_targets,
    })
}

fn package(object: &AccessPackageObject) -> Result<AccessPackage, TenantError> {
    let catalog = object.catalog.as_ref().ok_or_else(|| {
        TenantError::new(
            format!("access package `{}`", object.id),
            "catalog",
            "missing: export packages with `$expand=catalog`",
        )
    })?;
    Ok(AccessPackage {
        id: object.id.clone(),
        catalog_id: catalog.id.clone(),
        display_name: object.display_name.clone(),
        description: object.description.clone().unwrap_or_default(),
    })
}

fn role_assignment(object: &RoleAssignmentObject) -> Result<RoleAssignment, TenantError> {
    let label = format!(
        "role assignment `{}`",
        object.id.as_deref().unwrap_or(&object.principal_id)
    );
    let role = role_of(&object.role_definition_id).ok_or_else(|| {
        TenantError::new(
            &label,
            "roleDefinitionId",
            format!(
                "`{}` is not a catalog role's definition id",
                object.role_definition_id
            ),
        )
    })?;
    let catalog_id = match object.app_scope_id.as_deref() {
        None | Some("/") => None,
        Some(scope) => Some(
            scope
                .strip_prefix(CATALOG_SCOPE_PREFIX)
                .filter(|id| !id.is_empty())
                .ok_or_else(|| {
                    TenantError::new(
                        &label,
                        "appScopeId",
                        format!("`{scope}` is neither `/` nor `{CATALOG_SCOPE_PREFIX}{{id}}`"),
                    )
                })?
                .to_owned(),
        ),
    };
    Ok(RoleAssignment {
        principal_id: subject(&label, "principalId", &object.principal_id)?,
        role,
        catalog_id,
    })
}

/// The connected organization a guest belongs to: the one whose domain is their email's.
fn organization_of<'a>(
    user: &UserObject,
    organizations: &'a [ConnectedOrganizationObject],
) -> Option<&'a ConnectedOrganizationObject> {
    if user.user_type.as_deref() != Some("Guest") {
        return None;
    }
    let email = user.mail.as_deref().unwrap_or(&user.user_principal_name);
    let domain = email.rsplit_once('@').map_or("", |(_, domain)| domain);
    organizations.iter().find(|organization| {
        organization
            .domains()
            .any(|known| known.eq_ignore_ascii_case(domain))
    })
}

fn user(
    object: &UserObject,
    organizations: &[ConnectedOrganizationObject],
) -> Result<User, TenantError> {
    let label = format!("user `{}`", object.id);
    Ok(User {
        id: object.id,
        display_name: object.display_name.clone(),
        user_principal_name: object.user_principal_name.clone(),
        manager_id: object
            .manager
            .as_ref()
            .map(|manager| subject(&label, "manager.id", &manager.id))
            .transpose()?,
        connected_organization_id: organization_of(object, organizations)
            .map(|organization| organization.id.clone()),
        guest: object.user_type.as_deref() == Some("Guest"),
    })
}

/// Fills the read-only times a document left out with `now`, as Graph would have set them.
fn stamp(document: &mut TenantDocument, now: Timestamp) {
    let now = datetime::format(now);
    let fill = |time: &mut Option<String>| {
        if time.is_none() {
            *time = Some(now.clone());
        }
    };
    for catalog in &mut document.catalogs {
        fill(&mut catalog.created_date_time);
        fill(&mut catalog.modified_date_time);
    }
    for package in &mut document.access_packages {
        fill(&mut package.created_date_time);
        fill(&mut package.modified_date_time);
    }
    for policy in &mut document.assignment_policies {
        fill(&mut policy.created_date_time);
        fill(&mut policy.modified_date_time);
    }
    for assignment in &mut document.role_assignments {
        if assignment.id.is_none() {
            let key = format!(
                "{}|{}|{}",
                assignment.principal_id,
                assignment.role_definition_id,
                assignment.app_scope_id.as_deref().unwrap_or("/")
            );
            assignment.id = Some(format!("{:032x}", fnv128(key.bytes())));
        }
    }
}

impl Directory {
    /// The directory `document` states, keeping the document (its policies nested in packages
    /// moved to `assignmentPolicies`, its missing times set to `now`).
    ///
    /// # Errors
    /// [`TenantLoadError`] naming the object, the property and the reason.
    pub fn from_document(
        mut document: TenantDocument,
        now: Timestamp,
    ) -> Result<Self, TenantLoadError> {
        for package in &mut document.access_packages {
            for mut nested in std::mem::take(&mut package.assignment_policies) {
                nested.access_package = Some(entitle_graph::tenant::Reference::to(&package.id));
                document.assignment_policies.push(nested);
            }
        }
        stamp(&mut document, now);
        let directory = Self {
            users: document
                .users
                .iter()
                .map(|object| user(object, &document.connected_organizations))
                .collect::<Result<_, _>>()?,
            groups: document
                .groups
                .iter()
                .map(|group| {
                    let label = format!("group `{}`", group.id);
                    Ok(Group {
                        id: group.id,
                        display_name: group.display_name.clone(),
                        members: group
                            .members
                            .iter()
                            .map(|member| subject(&label, "members", &member.id))
                            .collect::<Result<_, TenantError>>()?,
                    })
                })
                .collect::<Result<_, TenantError>>()?,
            catalogs: document
                .catalogs
                .iter()
                .map(|catalog| Catalog {
                    id: catalog.id.clone(),
                    display_name: catalog.display_name.clone(),
                })
                .collect(),
            access_packages: document
                .access_packages
                .iter()
                .map(package)
                .collect::<Result<_, _>>()?,
            policies: document
                .assignment_policies
                .iter()
                .map(|object| policy(object, None))
                .collect::<Result<_, _>>()?,
            role_assignments: document
                .role_assignments
                .iter()
                .map(role_assignment)
                .collect::<Result<_, _>>()?,
            connected_organizations: document
                .connected_organizations
                .iter()
                .map(|organization| ConnectedOrganization {
                    id: organization.id.clone(),
                    display_name: organization.display_name.clone(),
                    description: organization.description.clone().unwrap_or_default(),
                    domains: organization.domains().map(str::to_owned).collect(),
                })
                .collect(),
            document,
        };
        directory.check()?;
        Ok(directory)
    }
}

#[cfg(test)]
mod tests {
    use entitle_core::Role;
    use entitle_graph::tenant::parse_tenant;
    use serde_json::{Value, json};

    use super::*;

    fn load(document: &Value) -> Result<Directory, TenantLoadError> {
        Directory::from_document(parse_tenant(&document.to_string())?, Timestamp(0))
    }

    fn tenant() -> Value {
        json!({
            "catalogs": [{"id": "c", "displayName": "General"}],
            "accessPackages": [{
                "id": "p", "displayName": "Sales", "catalog": {"id": "c"},
                "assignmentPolicies": [{"id": "a", "displayName": "Nested"}]
            }],
            "assignmentPolicies": [{"id": "b", "displayName": "Flat", "accessPackage": {"id": "p"}}],
            "roleAssignments": [
                {"principalId": "00000000-0000-4000-8000-00000000a001",
                 "roleDefinitionId": "ae79f266-94d4-4dab-b730-feca7e132178", "appScopeId": "/"}
            ]
        })
    }

    fn refusal(document: &Value) -> TenantError {
        match load(document) {
            Err(TenantLoadError::Document(error)) => error,
            other => panic!("expected a document error, got {other:?}"),
        }
    }

    #[test]
    fn nested_policies_join_the_collection_and_times_are_stamped() {
        let directory = load(&tenant()).unwrap();
        let ids: Vec<&str> = directory.policies.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        assert!(
            directory
                .policies
                .iter()
                .all(|p| p.access_package_id == "p")
        );
        assert!(
            directory.document.access_packages[0]
                .assignment_policies
                .is_empty()
        );
        assert_eq!(
            directory.document.catalogs[0].created_date_time.as_deref(),
            Some("1970-01-01T00:00:00.000Z")
        );
        assert_eq!(directory.role_assignments[0].catalog_id, None);
        // A role assignment without an id gets one derived from what it assigns.
        let id = directory.document.role_assignments[0].id.clone().unwrap();
        assert_eq!(id.len(), 32);
        assert_eq!(
            load(&tenant()).unwrap().document.role_assignments[0].id,
            Some(id)
        );
        assert_eq!(directory.role_assignments[0].role, Role::CatalogOwner);
    }

    #[test]
    fn what_cannot_be_served_is_named() {
        let mut no_catalog = tenant();
        no_catalog["accessPackages"][0]
            .as_object_mut()
            .unwrap()
            .remove("catalog");
        let error = refusal(&no_catalog);
        assert_eq!(
            (error.object.as_str(), error.property.as_str()),
            ("access package `p`", "catalog")
        );

        let mut role = tenant();
        role["roleAssignments"][0]["roleDefinitionId"] =
            json!("62e90394-69f5-4237-9190-012177145e10");
        assert_eq!(refusal(&role).property, "roleDefinitionId");
        let mut scope = tenant();
        scope["roleAssignments"][0]["appScopeId"] = json!("/Somewhere/else");
        assert_eq!(refusal(&scope).property, "appScopeId");

        let mut target = tenant();
        target["assignmentPolicies"][0]["allowedTargetScope"] = json!("everyone");
        let error = refusal(&target);
        assert_eq!(
            (error.object.as_str(), error.property.as_str()),
            ("assignment policy `b`", "allowedTargetScope")
        );

        let mut level = tenant();
        level["assignmentPolicies"][0]["requestApprovalSettings"] = json!({
            "isApprovalRequiredForAdd": true,
            "stages": [{"primaryApprovers": [{"@odata.type": "#microsoft.graph.requestorManager", "managerLevel": 0}]}]
        });
        assert_eq!(
            refusal(&level).property,
            "requestApprovalSettings.stages[0].primaryApprovers[0]"
        );

        let mut duration = tenant();
        duration["assignmentPolicies"][0]["requestApprovalSettings"] = json!({
            "isApprovalRequiredForAdd": true,
            "stages": [{"durationBeforeAutomaticDenial": "two weeks"}]
        });
        assert!(
            refusal(&duration)
                .property
                .ends_with("durationBeforeAutomaticDenial")
        );

        let mut group = tenant();
        group["assignmentPolicies"][0]["requestApprovalSettings"] = json!({
            "isApprovalRequiredForAdd": true,
            "stages": [{"primaryApprovers": [{"@odata.type": "#microsoft.graph.groupMembers", "groupId": "00000000-0000-4000-8000-0000000a9001"}]}]
        });
        assert!(matches!(
            load(&group),
            Err(TenantLoadError::Directory(DirectoryError::Dangling {
                target: "approver group",
                ..
            }))
        ));
    }

    #[test]
    fn approval_and_callout_settings_become_rules() {
        let mut document = tenant();
        document["assignmentPolicies"][0]["requestApprovalSettings"] = json!({
            "isApprovalRequiredForAdd": true,
            "stages": [
                {"durationBeforeAutomaticDenial": "P2D", "isEscalationEnabled": true, "durationBeforeEscalation": "PT12H",
                 "primaryApprovers": [{"@odata.type": "#microsoft.graph.singleUser", "userId": "00000000-0000-4000-8000-00000000a003"}]},
                {"primaryApprovers": [{"@odata.type": "#microsoft.graph.internalSponsors"}]}
            ]
        });
        document["assignmentPolicies"][0]["customExtensionStageSettings"] = json!([
            {"stage": "assignmentRequestCreated", "customExtension": {"id": "x"}}
        ]);
        let directory = load(&document).unwrap();
        let policy = &directory.policies[0];
        let approval = policy.rules.approval.unwrap();
        assert_eq!(approval.stages, 2);
        assert_eq!(approval.decision_timeout, entitle_core::Duration::days(2));
        assert_eq!(
            approval.escalate_after,
            Some(entitle_core::Duration::hours(12))
        );
        assert_eq!(policy.stages[1].primary, [SubjectSet::Unresolved]);
        assert!(policy.rules.callout_on_created);
        assert_eq!(policy.custom_extension_id.as_deref(), Some("x"));
        // Without `isApprovalRequiredForAdd`, stages are not asked.
        document["assignmentPolicies"][0]["requestApprovalSettings"]["isApprovalRequiredForAdd"] =
            json!(false);
        assert_eq!(load(&document).unwrap().policies[0].rules.approval, None);
    }
}
