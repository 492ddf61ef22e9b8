//! How beta shows a tenant's objects: the same objects in beta's older shapes
//! (`accessPackageCatalog` with `catalogStatus`, `accessPackage` with `catalogId`, and
//! `accessPackageAssignmentPolicy` with `requestorSettings.scopeType`, `approvalStages` and
//! `durationInDays`), translated from the v1.0 document (D28).

use serde_json::{Map, Value, json};

use super::objects::{
    AccessPackageObject, ApprovalSettingsObject, CatalogObject, LocalizedTextObject, PolicyObject,
    QuestionObject, StageObject,
};
use super::subject_set::SubjectSetObject;
use crate::schedule::parse_duration;

const DAY_MILLIS: u64 = 86_400_000;
const MINUTE_MILLIS: u64 = 60_000;

/// `text` (an ISO 8601 duration) in whole `unit`s, rounded down; 0 when absent or unreadable.
fn whole(text: Option<&str>, unit: u64) -> u64 {
    text.and_then(|text| parse_duration(text).ok())
        .map_or(0, |duration| duration.0 / unit)
}

/// v1.0's lowerCamel member as beta's PascalCase one (`userManaged` → `UserManaged`).
fn pascal(text: Option<&str>) -> Value {
    text.map_or(Value::Null, |text| {
        let mut chars = text.chars();
        let first = chars.next().map(|c| c.to_ascii_uppercase());
        json!(first.into_iter().chain(chars).collect::<String>())
    })
}

/// A catalog as beta shows it.
pub fn beta_catalog_view(catalog: &CatalogObject) -> Map<String, Value> {
    let mut shown = Map::new();
    shown.insert("id".into(), json!(catalog.id));
    shown.insert("displayName".into(), json!(catalog.display_name));
    shown.insert("description".into(), json!(catalog.description));
    shown.insert(
        "isExternallyVisible".into(),
        json!(catalog.is_externally_visible),
    );
    shown.insert(
        "catalogType".into(),
        pascal(catalog.catalog_type.as_deref()),
    );
    shown.insert("catalogStatus".into(), pascal(catalog.state.as_deref()));
    shown.insert("createdDateTime".into(), json!(catalog.created_date_time));
    shown.insert("modifiedDateTime".into(), json!(catalog.modified_date_time));
    shown.insert("createdBy".into(), json!(catalog.created_by));
    shown.insert("modifiedBy".into(), json!(catalog.modified_by));
    shown
}

/// An access package of catalog `catalog_id` as beta shows it.
pub fn beta_package_view(package: &AccessPackageObject, catalog_id: &str) -> Map<String, Value> {
    let mut shown = Map::new();
    shown.insert("id".into(), json!(package.id));
    shown.insert("displayName".into(), json!(package.display_name));
    shown.insert("description".into(), json!(package.description));
    shown.insert("isHidden".into(), json!(package.is_hidden));
    shown.insert("catalogId".into(), json!(catalog_id));
    shown.insert("isRoleScopesVisible".into(), json!(false));
    shown.insert("createdDateTime".into(), json!(package.created_date_time));
    shown.insert("modifiedDateTime".into(), json!(package.modified_date_time));
    shown.insert("createdBy".into(), json!(package.created_by));
    shown.insert("modifiedBy".into(), json!(package.modified_by));
    shown
}

/// A subject set as beta's `userSet` writes it, `isBackup` for a fallback.
fn user_set(set: &SubjectSetObject, is_backup: bool) -> Value {
    let mut shown = match serde_json::to_value(set) {
        Ok(Value::Object(object)) => object,
        _ => Map::new(),
    };
    for (v1, beta) in [
        ("userId", "id"),
        ("groupId", "id"),
        ("connectedOrganizationId", "id"),
    ] {
        if let Some(id) = shown.remove(v1) {
            shown.insert(beta.into(), id);
        }
    }
    shown.insert("isBackup".into(), json!(is_backup));
    Value::Object(shown)
}

fn user_sets(sets: &[SubjectSetObject], fallbacks: &[SubjectSetObject]) -> Value {
    Value::Array(
        sets.iter()
            .map(|set| user_set(set, false))
            .chain(fallbacks.iter().map(|set| user_set(set, true)))
            .collect(),
    )
}

fn beta_stage(stage: &StageObject) -> Value {
    json!({
        "approvalStageTimeOutInDays": whole(stage.duration_before_automatic_denial.as_deref().or(Some("P14D")), DAY_MILLIS),
        "isApproverJustificationRequired": stage.is_approver_justification_required.unwrap_or(false),
        "isEscalationEnabled": stage.is_escalation_enabled.unwrap_or(false),
        "escalationTimeInMinutes": whole(stage.duration_before_escalation.as_deref(), MINUTE_MILLIS),
        "primaryApprovers": user_sets(&stage.primary_approvers, &stage.fallback_primary_approvers),
        "escalationApprovers": user_sets(&stage.escalation_approvers, &stage.fallback_escalation_approvers),
    })
}

fn beta_approval(settings: Option<&ApprovalSettingsObject>) -> Value {
    let default = ApprovalSettingsObject::default();
    let settings = settings.unwrap_or(&default);
    let required = settings.is_approval_required_for_add.unwrap_or(false);
    let stages: &[StageObject] = if required { &settings.stages } else { &[] };
    let mode = match stages.len() {
        0 => "NoApproval",
        1 => "SingleStage",
        _ => "Serial",
    };
    json!({
        "isApprovalRequired": required,
        "isApprovalRequiredForExtension": settings.is_approval_required_for_update.unwrap_or(false),
        "isRequestorJustificationRequired": settings.is_requestor_justification_required.unwrap_or(false),
        "approvalMode": mode,
        "approvalStages": stages.iter().map(beta_stage).collect::<Vec<_>>(),
    })
}

/// v1.0's `text` and `localizations` as beta's `accessPackageLocalizedContent`.
fn localized(text: Option<&String>, localizations: &[LocalizedTextObject]) -> Value {
    json!({ "defaultText": text, "localizedTexts": localizations })
}

/// A policy's questions in beta's shape: localized `text`, choices' `displayValue`,
/// `allowsMultipleSelection`.
fn beta_questions(questions: &[QuestionObject]) -> Value {
    let shown = questions.iter().map(|question| match question {
        QuestionObject::TextInput {
            id,
            sequence,
            is_required,
            is_answer_editable,
            text,
            localizations,
            is_single_line_question,
            regex_pattern,
        } => json!({
            "@odata.type": "#microsoft.graph.accessPackageTextInputQuestion",
            "id": id,
            "sequence": sequence,
            "isRequired": is_required,
            "isAnswerEditable": is_answer_editable,
            "text": localized(text.as_ref(), localizations),
            "isSingleLineQuestion": is_single_line_question,
            "regexPattern": regex_pattern,
        }),
        QuestionObject::MultipleChoice {
            id,
            sequence,
            is_required,
            is_answer_editable,
            text,
            localizations,
            choices,
            is_multiple_selection_allowed,
        } => json!({
            "@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion",
            "id": id,
            "sequence": sequence,
            "isRequired": is_required,
            "isAnswerEditable": is_answer_editable,
            "text": localized(text.as_ref(), localizations),
            "choices": choices.iter().map(|choice| json!({
                "actualValue": choice.actual_value,
                "displayValue": localized(choice.text.as_ref(), &choice.localizations),
            })).collect::<Vec<_>>(),
            "allowsMultipleSelection": is_multiple_selection_allowed,
        }),
    });
    Value::Array(shown.collect())
}

/// `allowedTargetScope` as beta's `scopeType`.
fn scope_type(scope: Option<&str>) -> &'static str {
    match scope {
        Some("specificDirectoryUsers") => "SpecificDirectorySubjects",
        Some("specificConnectedOrganizationUsers") => "SpecificConnectedOrganizationSubjects",
        Some("allMemberUsers") => "AllExistingDirectoryMemberUsers",
        Some("allDirectoryUsers") => "AllExistingDirectorySubjects",
        Some("allConfiguredConnectedOrganizationUsers") => {
            "AllConfiguredConnectedOrganizationSubjects"
        }
        Some("allExternalUsers") => "AllExternalSubjects",
        _ => "NoSubjects",
    }
}

/// A policy of access package `package_id` as beta shows it.
pub fn beta_policy_view(policy: &PolicyObject, package_id: &str) -> Map<String, Value> {
    let expiration = policy.expiration.clone().unwrap_or_default();
    let days = match expiration.kind.as_deref() {
        Some("afterDuration") => whole(expiration.duration.as_deref(), DAY_MILLIS),
        _ => 0,
    };
    let requestor = policy.requestor_settings.clone().unwrap_or_default();
    let mut shown = Map::new();
    shown.insert("id".into(), json!(policy.id));
    shown.insert("accessPackageId".into(), json!(package_id));
    shown.insert("displayName".into(), json!(policy.display_name));
    shown.insert("description".into(), json!(policy.description));
    shown.insert(
        "canExtend".into(),
        json!(
            requestor
                .enable_targets_to_self_update_access
                .unwrap_or(false)
        ),
    );
    shown.insert("durationInDays".into(), json!(days));
    shown.insert("expirationDateTime".into(), json!(expiration.end_date_time));
    shown.insert("expiration".into(), json!(policy.expiration));
    shown.insert("accessReviewSettings".into(), Value::Null);
    shown.insert(
        "requestorSettings".into(),
        json!({
            "scopeType": scope_type(policy.allowed_target_scope.as_deref()),
            "acceptRequests": requestor.enable_targets_to_self_add_access.unwrap_or(false),
            "allowedRequestors": user_sets(&policy.specific_allowed_targets, &[]),
        }),
    );
    shown.insert(
        "requestApprovalSettings".into(),
        beta_approval(policy.request_approval_settings.as_ref()),
    );
    shown.insert("questions".into(), beta_questions(&policy.questions));
    shown.insert("createdDateTime".into(), json!(policy.created_date_time));
    shown.insert("modifiedDateTime".into(), json!(policy.modified_date_time));
    shown.insert("createdBy".into(), json!(policy.created_by));
    shown.insert("modifiedBy".into(), json!(policy.modified_by));
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::objects::{ExpirationObject, RequestorSettingsObject};

    #[test]
    fn a_policy_reads_in_betas_shape() {
        let policy = PolicyObject {
            id: "a".into(),
            display_name: "Lab".into(),
            allowed_target_scope: Some("allMemberUsers".into()),
            expiration: Some(ExpirationObject {
                kind: Some("afterDuration".into()),
                duration: Some("P90D".into()),
                end_date_time: None,
            }),
            requestor_settings: Some(RequestorSettingsObject {
                enable_targets_to_self_add_access: Some(true),
                ..RequestorSettingsObject::default()
            }),
            request_approval_settings: Some(ApprovalSettingsObject {
                is_approval_required_for_add: Some(true),
                stages: vec![StageObject {
                    duration_before_automatic_denial: Some("P14D".into()),
                    is_escalation_enabled: Some(true),
                    duration_before_escalation: Some("PT12H".into()),
                    primary_approvers: vec![SubjectSetObject::GroupMembers {
                        group_id: "g".into(),
                        description: None,
                    }],
                    fallback_primary_approvers: vec![SubjectSetObject::SingleUser {
                        user_id: "u".into(),
                        description: None,
                    }],
                    ..StageObject::default()
                }],
                ..ApprovalSettingsObject::default()
            }),
            ..PolicyObject::default()
        };
        let shown = Value::Object(beta_policy_view(&policy, "p"));
        assert_eq!(shown["accessPackageId"], "p");
        assert_eq!(shown["durationInDays"], 90);
        assert_eq!(
            shown["requestorSettings"]["scopeType"],
            "AllExistingDirectoryMemberUsers"
        );
        assert_eq!(shown["requestorSettings"]["acceptRequests"], true);
        let approval = &shown["requestApprovalSettings"];
        assert_eq!(approval["approvalMode"], "SingleStage");
        let stage = &approval["approvalStages"][0];
        assert_eq!(stage["approvalStageTimeOutInDays"], 14);
        assert_eq!(stage["escalationTimeInMinutes"], 720);
        assert_eq!(
            stage["primaryApprovers"][0]["@odata.type"],
            "#microsoft.graph.groupMembers"
        );
        assert_eq!(stage["primaryApprovers"][0]["id"], "g");
        assert_eq!(stage["primaryApprovers"][1]["isBackup"], true);
        assert_eq!(stage["primaryApprovers"][1]["id"], "u");
    }

    #[test]
    fn questions_read_in_betas_shape() {
        let questions = [QuestionObject::MultipleChoice {
            id: "q".into(),
            sequence: Some(1),
            is_required: Some(true),
            is_answer_editable: None,
            text: Some("Region?".into()),
            localizations: vec![LocalizedTextObject {
                text: "¿Región?".into(),
                language_code: "es".into(),
            }],
            choices: vec![super::super::objects::ChoiceObject {
                actual_value: "EMEA".into(),
                text: Some("Europe".into()),
                localizations: Vec::new(),
            }],
            is_multiple_selection_allowed: Some(false),
        }];
        let shown = beta_questions(&questions);
        assert_eq!(shown[0]["text"]["defaultText"], "Region?");
        assert_eq!(shown[0]["text"]["localizedTexts"][0]["languageCode"], "es");
        assert_eq!(
            shown[0]["choices"][0]["displayValue"]["defaultText"],
            "Europe"
        );
        assert_eq!(shown[0]["allowsMultipleSelection"], false);
    }

    #[test]
    fn catalogs_and_packages_read_in_betas_shape() {
        let catalog = CatalogObject {
            id: "c".into(),
            catalog_type: Some("userManaged".into()),
            state: Some("published".into()),
            ..CatalogObject::default()
        };
        let shown = beta_catalog_view(&catalog);
        assert_eq!(shown["catalogType"], "UserManaged");
        assert_eq!(shown["catalogStatus"], "Published");
        let package = beta_package_view(&AccessPackageObject::default(), "c");
        assert_eq!(package["catalogId"], "c");
        assert_eq!(whole(None, DAY_MILLIS), 0);
        assert_eq!(pascal(None), Value::Null);
    }
}
