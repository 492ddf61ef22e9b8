//! The body of `POST …/assignmentRequests/{id}/resume`: a custom extension's callback, with
//! `source`, `type` and `data` (`accessPackageAssignmentRequestCallbackData`: `stage`,
//! `customExtensionStageInstanceId`, `customExtensionStageInstanceDetail` and `state`). A callback
//! without `state` lets the request continue; `state` `denied` or `canceled` ends it.

use entitle_core::ActionKind;
use serde_json::{Map, Value};

/// A stage at which a custom extension is called (`accessPackageCustomExtensionStage`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalloutStage {
    /// `assignmentRequestCreated`: the one stage entitle's policies call out at.
    AssignmentRequestCreated,
    /// `assignmentRequestApproved`, `assignmentRequestGranted`, `assignmentRequestRemoved`,
    /// `assignmentFourteenDaysBeforeExpiration` or `assignmentOneDayBeforeExpiration`.
    Other,
}

/// The documented stages, in their enum's lowerCamel spelling.
const STAGES: [&str; 6] = [
    "assignmentRequestCreated",
    "assignmentRequestApproved",
    "assignmentRequestGranted",
    "assignmentRequestRemoved",
    "assignmentFourteenDaysBeforeExpiration",
    "assignmentOneDayBeforeExpiration",
];

/// The `@odata.type`s Microsoft's examples give `data` (with or without `#`).
const DATA_TYPES: [&str; 2] = [
    "microsoft.graph.accessPackageAssignmentRequestCallbackData",
    "microsoft.graph.customExtensionData",
];

/// What a resume body asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResumeBody {
    /// The action: `resumeContinue`, `resumeDeny` or `resumeCancel`.
    pub action: ActionKind,
    /// The stage the callback answers.
    pub stage: CalloutStage,
}

/// Why a resume body was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResumeBodyError {
    /// The body is not a JSON object with the documented properties.
    #[error("{0}")]
    Malformed(String),
    /// `state` set at a stage other than `assignmentRequestCreated`.
    #[error("`data.state` can only be set for an `assignmentRequestCreated` stage")]
    StateOutsideCreated,
}

fn malformed(reason: impl Into<String>) -> ResumeBodyError {
    ResumeBodyError::Malformed(reason.into())
}

fn text<'a>(
    object: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, ResumeBodyError> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(malformed(format!("`{name}` must be a string"))),
    }
}

/// The stage `text` names: its enum member in any case, or `type`'s
/// `microsoft.graph.accessPackageCustomExtensionStage.` form.
fn stage(text: &str) -> Option<CalloutStage> {
    let name = text.rsplit('.').next().unwrap_or(text);
    let found = STAGES
        .iter()
        .find(|stage| stage.eq_ignore_ascii_case(name))?;
    Some(if *found == "assignmentRequestCreated" {
        CalloutStage::AssignmentRequestCreated
    } else {
        CalloutStage::Other
    })
}

/// Reads a resume body.
///
/// # Errors
/// [`ResumeBodyError`].
pub fn parse_resume(body: &Value) -> Result<ResumeBody, ResumeBodyError> {
    let object = body
        .as_object()
        .ok_or_else(|| malformed("the body must be a JSON object"))?;
    for name in object.keys() {
        if !["source", "type", "data"].contains(&name.as_str()) {
            return Err(malformed(format!(
                "the property `{name}` does not exist on the `resume` action"
            )));
        }
    }
    text(object, "source")?;
    let type_stage = text(object, "type")?
        .map(|named| stage(named).ok_or_else(|| malformed(format!("unknown `type` `{named}`"))))
        .transpose()?;
    let data = match object.get("data") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(data)) => data.clone(),
        Some(_) => return Err(malformed("`data` must be an object")),
    };
    if let Some(named) = text(&data, "@odata.type")? {
        let name = named.trim_start_matches('#');
        if !DATA_TYPES.contains(&name) {
            return Err(malformed(format!(
                "`data` of type `{named}` is not a callback"
            )));
        }
    }
    for name in data.keys() {
        if ![
            "@odata.type",
            "stage",
            "customExtensionStageInstanceId",
            "customExtensionStageInstanceDetail",
            "state",
        ]
        .contains(&name.as_str())
        {
            return Err(malformed(format!(
                "the property `data.{name}` does not exist on type \
                 `microsoft.graph.accessPackageAssignmentRequestCallbackData`"
            )));
        }
    }
    text(&data, "customExtensionStageInstanceId")?;
    text(&data, "customExtensionStageInstanceDetail")?;
    let data_stage = text(&data, "stage")?
        .map(|named| {
            stage(named).ok_or_else(|| malformed(format!("unknown `data.stage` `{named}`")))
        })
        .transpose()?;
    let answered = match (type_stage, data_stage) {
        (Some(from_type), Some(from_data)) if from_type != from_data => {
            return Err(malformed("`type` and `data.stage` name different stages"));
        }
        (from_type, from_data) => from_data
            .or(from_type)
            .ok_or_else(|| malformed("name the stage in `type` or `data.stage`"))?,
    };
    let action = match text(&data, "state")? {
        None => ActionKind::ResumeContinue,
        Some(named) if named.eq_ignore_ascii_case("denied") => ActionKind::ResumeDeny,
        Some(named) if named.eq_ignore_ascii_case("canceled") => ActionKind::ResumeCancel,
        Some(named) => {
            return Err(malformed(format!(
                "`data.state` `{named}`: the supported values are `denied` and `canceled`"
            )));
        }
    };
    if action != ActionKind::ResumeContinue && answered != CalloutStage::AssignmentRequestCreated {
        return Err(ResumeBodyError::StateOutsideCreated);
    }
    Ok(ResumeBody {
        action,
        stage: answered,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use serde_json::json;

    use super::*;

    #[test]
    fn the_documented_callbacks_are_read() {
        let resume = json!({
            "source": "Contoso.SodCheckProcess",
            "type": "microsoft.graph.accessPackageCustomExtensionStage.assignmentRequestCreated",
            "data": {
                "@odata.type": "microsoft.graph.accessPackageAssignmentRequestCallbackData",
                "stage": "assignmentRequestCreated",
                "customExtensionStageInstanceId": "957d0c50-466b-4840-bb5b-c92cea7141ff",
                "customExtensionStageInstanceDetail": "123",
            },
        });
        assert_eq!(
            parse_resume(&resume),
            Ok(ResumeBody {
                action: ActionKind::ResumeContinue,
                stage: CalloutStage::AssignmentRequestCreated,
            })
        );
        for (state, action) in [
            ("denied", ActionKind::ResumeDeny),
            ("Denied", ActionKind::ResumeDeny),
            ("canceled", ActionKind::ResumeCancel),
        ] {
            let body = json!({
                "source": "Contoso",
                "type": "microsoft.graph.accessPackageCustomExtensionStage.assignmentRequestCreated",
                "data": {"@odata.type": "#microsoft.graph.accessPackageAssignmentRequestCallbackData",
                         "stage": "AssignmentRequestCreated", "state": state},
            });
            assert_eq!(parse_resume(&body).unwrap().action, action, "{state}");
        }
        let approved = json!({"type": "microsoft.graph.accessPackageCustomExtensionStage.assignmentRequestApproved"});
        assert_eq!(parse_resume(&approved).unwrap().stage, CalloutStage::Other);
    }

    #[test]
    fn other_bodies_are_refused() {
        for body in [
            json!([]),
            json!({}),
            json!({"extra": 1, "type": "assignmentRequestCreated"}),
            json!({"type": "assignmentRequestSomething"}),
            json!({"type": "assignmentRequestCreated", "data": {"state": "approved"}}),
            json!({"type": "assignmentRequestCreated", "data": {"@odata.type": "#microsoft.graph.user"}}),
            json!({"type": "assignmentRequestCreated", "data": {"stage": "assignmentRequestGranted"}}),
            json!({"type": "assignmentRequestCreated", "data": {"colour": "red"}}),
            json!({"type": "assignmentRequestCreated", "data": 3}),
            json!({"type": 3}),
        ] {
            assert!(parse_resume(&body).is_err(), "{body}");
        }
        let late_deny = json!({"data": {"stage": "assignmentRequestGranted", "state": "denied"}});
        assert_eq!(
            parse_resume(&late_deny),
            Err(ResumeBodyError::StateOutsideCreated)
        );
    }
}
