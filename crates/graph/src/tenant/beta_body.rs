//! A beta `accessPackageAssignmentPolicy` body (`accessPackageId`, `canExtend`, `durationInDays`,
//! `requestorSettings.scopeType`, `approvalStages` of `userSet`s, localized questions) in v1.0's
//! terms: the inverse of the beta view (D28, D30).

use serde_json::{Map, Value, json};

use super::edit::BodyError;

/// Beta's `scopeType` as v1.0's `allowedTargetScope`.
fn target_scope(scope: &str) -> Option<&'static str> {
    Some(match scope {
        "NoSubjects" => "notSpecified",
        "SpecificDirectorySubjects" => "specificDirectoryUsers",
        "SpecificConnectedOrganizationSubjects" => "specificConnectedOrganizationUsers",
        "AllExistingDirectoryMemberUsers" => "allMemberUsers",
        "AllExistingDirectorySubjects" => "allDirectoryUsers",
        "AllConfiguredConnectedOrganizationSubjects"
        | "AllExistingConnectedOrganizationSubjects" => "allConfiguredConnectedOrganizationUsers",
        "AllExternalSubjects" => "allExternalUsers",
        _ => return None,
    })
}

fn invalid(property: &str, reason: impl Into<String>) -> BodyError {
    BodyError::Invalid {
        property: property.to_owned(),
        reason: reason.into(),
    }
}

/// A `userSet` as v1.0's `subjectSet`: its `id` under the name its type gives it, `isBackup` and
/// whether it was set.
fn subject_set(set: &Value) -> (Value, bool) {
    let mut set = set.as_object().cloned().unwrap_or_default();
    let backup = set.remove("isBackup").and_then(|value| value.as_bool()) == Some(true);
    if let Some(id) = set.remove("id") {
        let name = match set.get("@odata.type").and_then(Value::as_str) {
            Some("#microsoft.graph.groupMembers") => "groupId",
            Some("#microsoft.graph.connectedOrganizationMembers") => "connectedOrganizationId",
            _ => "userId",
        };
        set.insert(name.into(), id);
    }
    (Value::Object(set), backup)
}

/// `sets` split into the sets and their fallbacks (`isBackup`).
fn sets_and_fallbacks(sets: Option<&Value>) -> (Vec<Value>, Vec<Value>) {
    let mut own = Vec::new();
    let mut fallbacks = Vec::new();
    for set in sets.and_then(Value::as_array).into_iter().flatten() {
        match subject_set(set) {
            (set, true) => fallbacks.push(set),
            (set, false) => own.push(set),
        }
    }
    (own, fallbacks)
}

fn whole(value: Option<&Value>, property: &str) -> Result<Option<u64>, BodyError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| invalid(property, "must be a whole number")),
    }
}

fn stage(stage: &Value) -> Result<Value, BodyError> {
    let days = whole(
        stage.get("approvalStageTimeOutInDays"),
        "approvalStageTimeOutInDays",
    )?;
    let minutes = whole(
        stage.get("escalationTimeInMinutes"),
        "escalationTimeInMinutes",
    )?;
    let (primary, fallback_primary) = sets_and_fallbacks(stage.get("primaryApprovers"));
    let (escalation, fallback_escalation) = sets_and_fallbacks(stage.get("escalationApprovers"));
    Ok(json!({
        "durationBeforeAutomaticDenial": days.map(|days| format!("P{days}D")),
        "isApproverJustificationRequired": stage.get("isApproverJustificationRequired"),
        "isEscalationEnabled": stage.get("isEscalationEnabled"),
        "durationBeforeEscalation": minutes.map(|minutes| format!("PT{minutes}M")),
        "primaryApprovers": primary,
        "fallbackPrimaryApprovers": fallback_primary,
        "escalationApprovers": escalation,
        "fallbackEscalationApprovers": fallback_escalation,
    }))
}

fn approval(settings: &Map<String, Value>) -> Result<Value, BodyError> {
    let stages = settings
        .get("approvalStages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(stage)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({
        "isApprovalRequiredForAdd": settings.get("isApprovalRequired"),
        "isApprovalRequiredForUpdate": settings.get("isApprovalRequiredForExtension"),
        "isRequestorJustificationRequired": settings.get("isRequestorJustificationRequired"),
        "stages": stages,
    }))
}

/// beta's localized `text` as v1.0's `text` and `localizations`.
fn localized(content: Option<&Value>, into: &mut Map<String, Value>) {
    let content = content.and_then(Value::as_object);
    into.insert(
        "text".into(),
        content
            .and_then(|content| content.get("defaultText"))
            .cloned()
            .unwrap_or(Value::Null),
    );
    into.insert(
        "localizations".into(),
        content
            .and_then(|content| content.get("localizedTexts"))
            .cloned()
            .unwrap_or_else(|| json!([])),
    );
}

fn question(question: &Value) -> Value {
    let mut question = question.as_object().cloned().unwrap_or_default();
    let text = question.remove("text");
    localized(text.as_ref(), &mut question);
    if let Some(multiple) = question.remove("allowsMultipleSelection") {
        question.insert("isMultipleSelectionAllowed".into(), multiple);
    }
    if let Some(Value::Array(choices)) = question.remove("choices") {
        let choices = choices.iter().map(|choice| {
            let mut shown = Map::new();
            shown.insert(
                "actualValue".into(),
                choice.get("actualValue").cloned().unwrap_or(Value::Null),
            );
            localized(choice.get("displayValue"), &mut shown);
            Value::Object(shown)
        });
        question.insert("choices".into(), Value::Array(choices.collect()));
    }
    Value::Object(question)
}

/// A beta policy `body` in v1.0's terms. `accessReviewSettings`, which entitle does not run, is
/// dropped (as the beta view shows it `null`); `customExtensionHandlers` are
/// `customExtensionStageSettings`.
///
/// # Errors
/// A [`BodyError`] for a body that is not an object, an unknown `scopeType` or a stage duration that
/// is not a whole number.
pub fn beta_policy_body(body: Value) -> Result<Value, BodyError> {
    let Value::Object(mut beta) = body else {
        return Err(BodyError::NotAnObject);
    };
    let mut v1 = Map::new();
    for property in ["id", "displayName", "description", "@odata.type"] {
        if let Some(value) = beta.remove(property) {
            v1.insert(property.into(), value);
        }
    }
    if let Some(package) = beta.remove("accessPackageId") {
        v1.insert("accessPackage".into(), json!({ "id": package }));
    }
    let mut requestor = Map::new();
    if let Some(extend) = beta.remove("canExtend") {
        requestor.insert("enableTargetsToSelfUpdateAccess".into(), extend);
    }
    let days = whole(beta.remove("durationInDays").as_ref(), "durationInDays")?;
    let end = beta
        .remove("expirationDateTime")
        .filter(|end| !end.is_null());
    let expiration = match (beta.remove("expiration"), days, end) {
        (Some(expiration), _, _) if !expiration.is_null() => Some(expiration),
        (_, _, Some(end)) => Some(json!({ "type": "afterDateTime", "endDateTime": end })),
        (_, Some(days), None) if days > 0 => {
            Some(json!({ "type": "afterDuration", "duration": format!("P{days}D") }))
        }
        _ => None,
    };
    if let Some(expiration) = expiration {
        v1.insert("expiration".into(), expiration);
    }
    if let Some(Value::Object(settings)) = beta.remove("requestorSettings") {
        for (name, value) in settings {
            match name.as_str() {
                "scopeType" => {
                    let scope = value.as_str().and_then(target_scope).ok_or_else(|| {
                        invalid(
                            "requestorSettings.scopeType",
                            format!("`{value}` is not a scope"),
                        )
                    })?;
                    v1.insert("allowedTargetScope".into(), json!(scope));
                }
                "acceptRequests" => {
                    requestor.insert("enableTargetsToSelfAddAccess".into(), value);
                }
                "isOnBehalfAllowed" => {
                    requestor.insert("enableOnBehalfRequestorsToAddAccess".into(), value);
                }
                "allowedRequestors" => {
                    let (sets, _) = sets_and_fallbacks(Some(&value));
                    v1.insert("specificAllowedTargets".into(), Value::Array(sets));
                }
                other => {
                    return Err(BodyError::UnknownProperty {
                        kind: "requestorSettings",
                        property: format!("requestorSettings.{other}"),
                        reason: format!("unknown field `{other}`"),
                    });
                }
            }
        }
    }
    if !requestor.is_empty() {
        v1.insert("requestorSettings".into(), Value::Object(requestor));
    }
    if let Some(Value::Object(settings)) = beta.remove("requestApprovalSettings") {
        v1.insert("requestApprovalSettings".into(), approval(&settings)?);
    }
    beta.remove("accessReviewSettings");
    if let Some(Value::Array(questions)) = beta.remove("questions") {
        v1.insert(
            "questions".into(),
            Value::Array(questions.iter().map(question).collect()),
        );
    }
    match (
        beta.remove("customExtensionHandlers"),
        beta.remove("customExtensionStageSettings"),
    ) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "customExtensionHandlers",
                "give `customExtensionHandlers` or `customExtensionStageSettings`, not both",
            ));
        }
        (Some(settings), None) | (None, Some(settings)) => {
            v1.insert("customExtensionStageSettings".into(), settings);
        }
        (None, None) => {}
    }
    // What is left is unknown to both versions: v1.0's reading names it.
    v1.extend(beta);
    Ok(Value::Object(v1))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::tenant::{PolicyObject, beta_policy_view, created};

    #[test]
    fn a_beta_policy_reads_as_the_v1_policy_beta_shows_the_same_way() {
        let body = json!({
            "accessPackageId": "p",
            "displayName": "Partners",
            "canExtend": true,
            "durationInDays": 365,
            "expirationDateTime": null,
            "requestorSettings": {
                "scopeType": "AllExistingDirectoryMemberUsers",
                "acceptRequests": true,
                "allowedRequestors": []
            },
            "requestApprovalSettings": {
                "isApprovalRequired": true,
                "isApprovalRequiredForExtension": false,
                "isRequestorJustificationRequired": true,
                "approvalMode": "SingleStage",
                "approvalStages": [{
                    "approvalStageTimeOutInDays": 14,
                    "isApproverJustificationRequired": true,
                    "isEscalationEnabled": true,
                    "escalationTimeInMinutes": 720,
                    "primaryApprovers": [
                        {"@odata.type": "#microsoft.graph.groupMembers", "isBackup": false, "id": "g", "description": "Lab"},
                        {"@odata.type": "#microsoft.graph.singleUser", "isBackup": true, "id": "u", "description": null}
                    ]
                }]
            },
            "accessReviewSettings": {"isEnabled": true},
            "questions": [{
                "@odata.type": "#microsoft.graph.accessPackageTextInputQuestion",
                "id": "q",
                "isRequired": false,
                "text": {"defaultText": "Why?", "localizedTexts": []},
                "isSingleLineQuestion": true
            }]
        });
        let v1 = beta_policy_body(body.clone()).unwrap();
        let policy: PolicyObject = created("accessPackageAssignmentPolicy", "a", v1).unwrap();
        assert_eq!(
            policy.allowed_target_scope.as_deref(),
            Some("allMemberUsers")
        );
        let shown = Value::Object(beta_policy_view(&policy, "p"));
        for pointer in [
            "/accessPackageId",
            "/canExtend",
            "/durationInDays",
            "/requestorSettings/scopeType",
            "/requestorSettings/acceptRequests",
            "/requestApprovalSettings/approvalMode",
            "/requestApprovalSettings/approvalStages/0/approvalStageTimeOutInDays",
            "/requestApprovalSettings/approvalStages/0/escalationTimeInMinutes",
            "/requestApprovalSettings/approvalStages/0/primaryApprovers",
            "/questions/0/text",
        ] {
            assert_eq!(shown.pointer(pointer), body.pointer(pointer), "{pointer}");
        }
    }

    #[test]
    fn what_beta_cannot_mean_is_refused() {
        assert_eq!(beta_policy_body(json!([])), Err(BodyError::NotAnObject));
        assert!(matches!(
            beta_policy_body(json!({"requestorSettings": {"scopeType": "Everyone"}})),
            Err(BodyError::Invalid { .. })
        ));
        assert!(matches!(
            beta_policy_body(json!({"requestorSettings": {"nickname": 1}})),
            Err(BodyError::UnknownProperty { .. })
        ));
        assert!(matches!(
            beta_policy_body(json!({"durationInDays": "a year"})),
            Err(BodyError::Invalid { .. })
        ));
        assert!(matches!(
            beta_policy_body(
                json!({"customExtensionHandlers": [], "customExtensionStageSettings": []})
            ),
            Err(BodyError::Invalid { .. })
        ));
    }
}
