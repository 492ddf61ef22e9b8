//! The body of `POST …/assignmentRequests` in every documented form of v1.0 and beta: the request
//! type, the assignment it concerns (by id, or by target, policy and package, each by id or as an
//! object), the justification, the schedule, the answers and beta's `isValidationOnly`.
//!
//! Microsoft's own examples use both versions' names on both versions (`assignment` and
//! `accessPackageAssignment`, `targetId` and `target`), so both are read on both. Read-only
//! properties a client echoes back (`id`, `status`, …) are accepted and ignored; any other property
//! is refused, as Graph refuses a property its type does not define (`400 RequestBodyRead`).

use entitle_core::{
    ApiVersion, AssignmentId, Duration, InvalidInput, RequestType, SubjectId, Timestamp,
};
use serde_json::{Map, Value};

use crate::answer::{Answer, QuestionKind};
use crate::datetime;
use crate::request_type::{self, EnumPreference};
use crate::schedule::{ExpirationType, RequestedSchedule, parse_duration};

/// Who a request is for, as the body names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetRef {
    /// `targetId`, or `target.objectId`.
    Object(SubjectId),
    /// `target.email`, with `target.displayName` when given: a subject known by email only.
    Email {
        /// `email`.
        email: String,
        /// `displayName`.
        display_name: Option<String>,
    },
}

/// What a create body asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateBody {
    /// `requestType`.
    pub kind: RequestType,
    /// `assignment.id`: the assignment a change or a removal concerns.
    pub assignment: Option<AssignmentId>,
    /// `assignment.targetId` or `assignment.target`.
    pub target: Option<TargetRef>,
    /// `assignment.assignmentPolicyId` or `assignment.assignmentPolicy.id`.
    pub policy_id: Option<String>,
    /// `assignment.accessPackageId`, `assignment.accessPackage.id` or `accessPackage.id`.
    pub package_id: Option<String>,
    /// `justification`.
    pub justification: Option<String>,
    /// `schedule.startDateTime`.
    pub starts_at: Option<Timestamp>,
    /// `schedule.expiration.endDateTime`.
    pub ends_at: Option<Timestamp>,
    /// `schedule.expiration.duration`.
    pub lasts: Option<Duration>,
    /// The schedule as asked, for showing it back.
    pub schedule: RequestedSchedule,
    /// `answers`.
    pub answers: Vec<Answer>,
    /// `isValidationOnly` (beta): check the request, create nothing.
    pub validation_only: bool,
}

/// Why a create body was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CreateBodyError {
    /// A property the type does not define.
    #[error(
        "the property `{property}` does not exist on type `microsoft.graph.{type_name}`; make sure to \
         only use property names that are defined by the type"
    )]
    UnknownProperty {
        /// The property, with its path.
        property: String,
        /// The Graph type it was sent on.
        type_name: &'static str,
    },
    /// A property of the wrong JSON type or with a value outside its range.
    #[error("`{property}`: {reason}")]
    Invalid {
        /// The property, with its path.
        property: String,
        /// What is wrong.
        reason: String,
    },
    /// A `requestType` this version does not know.
    #[error(transparent)]
    RequestType(#[from] crate::request_type::UnknownRequestType),
    /// A required property is missing.
    #[error("`{0}` is required")]
    Missing(&'static str),
}

fn invalid(property: &str, reason: impl Into<String>) -> CreateBodyError {
    CreateBodyError::Invalid {
        property: property.to_owned(),
        reason: reason.into(),
    }
}

/// An object's properties, checked: each is `known`, `ignored` (read-only) or `@odata.type` naming
/// `type_name`.
fn properties<'a>(
    value: &'a Value,
    path: &str,
    type_name: &'static str,
    known: &[&str],
    ignored: &[&str],
) -> Result<&'a Map<String, Value>, CreateBodyError> {
    let object = value
        .as_object()
        .ok_or_else(|| invalid(path, "must be an object"))?;
    for (name, value) in object {
        if name == "@odata.type" {
            let named = value.as_str().map(|text| text.trim_start_matches('#'));
            if named != Some(&format!("microsoft.graph.{type_name}")) {
                return Err(invalid(
                    &join(path, name),
                    format!("must be `#microsoft.graph.{type_name}`"),
                ));
            }
        } else if !known.contains(&name.as_str()) && !ignored.contains(&name.as_str()) {
            return Err(CreateBodyError::UnknownProperty {
                property: join(path, name),
                type_name,
            });
        }
    }
    Ok(object)
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// The non-null value of `name`.
fn field<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).filter(|value| !value.is_null())
}

fn string(
    object: &Map<String, Value>,
    path: &str,
    name: &str,
) -> Result<Option<String>, CreateBodyError> {
    field(object, name)
        .map(|value| {
            value
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| invalid(&join(path, name), "must be a string"))
        })
        .transpose()
}

fn parsed<T>(
    object: &Map<String, Value>,
    path: &str,
    name: &str,
    parse: impl Fn(&str) -> Result<T, InvalidInput>,
) -> Result<Option<T>, CreateBodyError> {
    string(object, path, name)?
        .map(|text| parse(&text).map_err(|error| invalid(&join(path, name), error.to_string())))
        .transpose()
}

fn instant(
    object: &Map<String, Value>,
    path: &str,
    name: &str,
) -> Result<Option<Timestamp>, CreateBodyError> {
    string(object, path, name)?
        .map(|text| {
            datetime::parse(&text).map_err(|error| invalid(&join(path, name), error.to_string()))
        })
        .transpose()
}

/// The `id` of a navigation property sent as an object (`{"id": "…"}`).
fn reference(
    object: &Map<String, Value>,
    path: &str,
    name: &str,
    type_name: &'static str,
) -> Result<Option<String>, CreateBodyError> {
    field(object, name)
        .map(|value| {
            let path = join(path, name);
            let inner = properties(
                value,
                &path,
                type_name,
                &["id"],
                &["displayName", "description"],
            )?;
            string(inner, &path, "id")?.ok_or_else(|| invalid(&path, "needs its `id`"))
        })
        .transpose()
}

const REQUEST_KNOWN: &[&str] = &[
    "requestType",
    "assignment",
    "accessPackageAssignment",
    "accessPackage",
    "justification",
    "schedule",
    "answers",
    "isValidationOnly",
];

const REQUEST_READ_ONLY: &[&str] = &[
    "id",
    "createdDateTime",
    "completedDateTime",
    "completedDate",
    "state",
    "status",
    "requestState",
    "requestStatus",
    "expirationDateTime",
    "customExtensionCalloutInstances",
    "customExtensionHandlerInstances",
    "verifiedCredentialsData",
    "requestor",
];

const ASSIGNMENT_KNOWN: &[&str] = &[
    "id",
    "targetId",
    "target",
    "assignmentPolicyId",
    "assignmentPolicy",
    "accessPackageId",
    "accessPackage",
    "schedule",
];

const ASSIGNMENT_READ_ONLY: &[&str] = &[
    "state",
    "status",
    "assignmentState",
    "assignmentStatus",
    "catalogId",
    "expiredDateTime",
    "isExtended",
    "customExtensionCalloutInstances",
];

const SUBJECT_KNOWN: &[&str] = &["objectId", "email", "displayName"];

const SUBJECT_READ_ONLY: &[&str] = &[
    "id",
    "principalName",
    "onPremisesSecurityIdentifier",
    "subjectType",
    "type",
    "connectedOrganizationId",
    "altSecId",
    "cleanupScheduledDateTime",
    "subjectLifecycle",
];

/// Reads a create body sent to `api`, with `requestType` read as a client with `preference`
/// writes it.
///
/// # Errors
/// A [`CreateBodyError`] naming the property at fault.
pub fn parse_create(
    body: &Value,
    api: ApiVersion,
    preference: EnumPreference,
) -> Result<CreateBody, CreateBodyError> {
    let request = properties(
        body,
        "",
        "accessPackageAssignmentRequest",
        REQUEST_KNOWN,
        REQUEST_READ_ONLY,
    )?;
    let type_text =
        string(request, "", "requestType")?.ok_or(CreateBodyError::Missing("requestType"))?;
    let kind = request_type::parse(&type_text, api, preference)?;
    let (assignment_path, assignment) = match (
        field(request, "assignment"),
        field(request, "accessPackageAssignment"),
    ) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "accessPackageAssignment",
                "send either `assignment` or `accessPackageAssignment`",
            ));
        }
        (Some(value), None) => ("assignment", Some(value)),
        (None, value) => ("accessPackageAssignment", value),
    };
    let empty = Map::new();
    let assignment = match assignment {
        Some(value) => properties(
            value,
            assignment_path,
            "accessPackageAssignment",
            ASSIGNMENT_KNOWN,
            ASSIGNMENT_READ_ONLY,
        )?,
        None => &empty,
    };
    let target = target(assignment, assignment_path)?;
    let policy_id = either(
        string(assignment, assignment_path, "assignmentPolicyId")?,
        reference(
            assignment,
            assignment_path,
            "assignmentPolicy",
            "accessPackageAssignmentPolicy",
        )?,
        &join(assignment_path, "assignmentPolicy"),
    )?;
    let package_id = either(
        string(assignment, assignment_path, "accessPackageId")?,
        reference(
            assignment,
            assignment_path,
            "accessPackage",
            "accessPackage",
        )?,
        &join(assignment_path, "accessPackage"),
    )?;
    let package_id = either(
        package_id,
        reference(request, "", "accessPackage", "accessPackage")?,
        "accessPackage",
    )?;
    // The request's schedule; the assignment's, in the form Microsoft's on-behalf example sends it.
    let assignment_schedule = join(assignment_path, "schedule");
    let schedule = match field(request, "schedule") {
        Some(value) => Some(("schedule", value)),
        None => field(assignment, "schedule").map(|value| (assignment_schedule.as_str(), value)),
    };
    let (starts_at, ends_at, lasts, requested) = match schedule {
        Some((path, value)) => self::schedule(value, path)?,
        None => (None, None, None, RequestedSchedule::default()),
    };
    let validation_only = match field(request, "isValidationOnly") {
        None => false,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => return Err(invalid("isValidationOnly", "must be a boolean")),
    };
    Ok(CreateBody {
        kind,
        assignment: parsed(assignment, assignment_path, "id", AssignmentId::parse)?,
        target,
        policy_id,
        package_id,
        justification: string(request, "", "justification")?,
        starts_at,
        ends_at,
        lasts,
        schedule: requested,
        answers: answers(request)?,
        validation_only,
    })
}

/// One of two ways of naming the same thing; both may be sent if they agree.
fn either(
    first: Option<String>,
    second: Option<String>,
    path: &str,
) -> Result<Option<String>, CreateBodyError> {
    match (first, second) {
        (Some(first), Some(second)) if first != second => Err(invalid(
            path,
            format!("names `{second}`, and the body names `{first}` as well"),
        )),
        (first, second) => Ok(first.or(second)),
    }
}

fn target(
    assignment: &Map<String, Value>,
    path: &str,
) -> Result<Option<TargetRef>, CreateBodyError> {
    let by_id = parsed(assignment, path, "targetId", SubjectId::parse)?;
    let Some(value) = field(assignment, "target") else {
        return Ok(by_id.map(TargetRef::Object));
    };
    let path = join(path, "target");
    let subject = properties(
        value,
        &path,
        "accessPackageSubject",
        SUBJECT_KNOWN,
        SUBJECT_READ_ONLY,
    )?;
    let display_name = string(subject, &path, "displayName")?;
    let object = parsed(subject, &path, "objectId", SubjectId::parse)?;
    let found = match (object, string(subject, &path, "email")?) {
        (Some(object), _) => TargetRef::Object(object),
        (None, Some(email)) => TargetRef::Email {
            email,
            display_name,
        },
        (None, None) => return Err(invalid(&path, "needs `objectId` or `email`")),
    };
    match (by_id, &found) {
        (Some(id), TargetRef::Object(object)) if id != *object => Err(invalid(
            &path,
            format!("names `{object}`, and `targetId` names `{id}`"),
        )),
        _ => Ok(Some(found)),
    }
}

type Schedule = (
    Option<Timestamp>,
    Option<Timestamp>,
    Option<Duration>,
    RequestedSchedule,
);

fn schedule(value: &Value, path: &str) -> Result<Schedule, CreateBodyError> {
    let schedule = properties(
        value,
        path,
        "entitlementManagementSchedule",
        &["startDateTime", "expiration", "recurrence"],
        // Microsoft's on-behalf example sends it; no schedule type defines it.
        &["stopDateTime"],
    )?;
    let starts_at = instant(schedule, path, "startDateTime")?;
    let recurrence = match field(schedule, "recurrence") {
        None => None,
        Some(value @ Value::Object(_)) => Some(value.clone()),
        Some(_) => return Err(invalid(&join(path, "recurrence"), "must be an object")),
    };
    let (ends_at, lasts, requested) = match field(schedule, "expiration") {
        None => (None, None, RequestedSchedule::default()),
        Some(value) => expiration(value, &join(path, "expiration"))?,
    };
    Ok((
        starts_at,
        ends_at,
        lasts,
        RequestedSchedule {
            recurrence,
            ..requested
        },
    ))
}

fn expiration(
    value: &Value,
    path: &str,
) -> Result<(Option<Timestamp>, Option<Duration>, RequestedSchedule), CreateBodyError> {
    let expiration = properties(
        value,
        path,
        "expirationPattern",
        &["endDateTime", "duration", "type"],
        &[],
    )?;
    let ends_at = instant(expiration, path, "endDateTime")?;
    let duration_text = string(expiration, path, "duration")?;
    let lasts = duration_text
        .as_deref()
        .map(|text| {
            parse_duration(text)
                .map_err(|error| invalid(&join(path, "duration"), error.to_string()))
        })
        .transpose()?;
    let named = string(expiration, path, "type")?
        .map(|text| {
            ExpirationType::parse(&text)
                .ok_or_else(|| invalid(&join(path, "type"), format!("unknown type `{text}`")))
        })
        .transpose()?;
    let kind = match (named, ends_at, lasts) {
        (_, Some(_), Some(_)) => {
            return Err(invalid(path, "send `endDateTime` or `duration`, not both"));
        }
        (None | Some(ExpirationType::AfterDateTime), Some(_), None) => {
            ExpirationType::AfterDateTime
        }
        (None | Some(ExpirationType::AfterDuration), None, Some(_)) => {
            ExpirationType::AfterDuration
        }
        (Some(ExpirationType::AfterDateTime), None, _) => {
            return Err(invalid(path, "type `afterDateTime` needs `endDateTime`"));
        }
        (Some(ExpirationType::AfterDuration), _, None) => {
            return Err(invalid(path, "type `afterDuration` needs `duration`"));
        }
        (Some(other), None, None) => other,
        (None, None, None) => ExpirationType::NotSpecified,
        (Some(other), _, _) => {
            return Err(invalid(
                path,
                format!("type `{}` takes no end", other.as_str()),
            ));
        }
    };
    Ok((
        ends_at,
        lasts,
        RequestedSchedule {
            expiration: kind,
            duration: duration_text,
            recurrence: None,
        },
    ))
}

fn answers(request: &Map<String, Value>) -> Result<Vec<Answer>, CreateBodyError> {
    let Some(value) = field(request, "answers") else {
        return Ok(Vec::new());
    };
    let items = value
        .as_array()
        .ok_or_else(|| invalid("answers", "must be an array"))?;
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let path = format!("answers[{index}]");
            let answer = properties(
                item,
                &path,
                "accessPackageAnswerString",
                &["value", "displayValue", "answeredQuestion"],
                &[],
            )?;
            let question_path = join(&path, "answeredQuestion");
            let question = field(answer, "answeredQuestion")
                .ok_or_else(|| invalid(&question_path, "is required"))?;
            let question_object = question
                .as_object()
                .ok_or_else(|| invalid(&question_path, "must be an object"))?;
            let kind = question_object
                .get("@odata.type")
                .and_then(Value::as_str)
                .and_then(QuestionKind::parse)
                .ok_or_else(|| {
                    invalid(
                        &join(&question_path, "@odata.type"),
                        "must be `#microsoft.graph.accessPackageTextInputQuestion` or \
                         `#microsoft.graph.accessPackageMultipleChoiceQuestion`",
                    )
                })?;
            let question = properties(
                question,
                &question_path,
                kind.type_name(),
                &["id"],
                QuestionKind::READ_ONLY,
            )?;
            Ok(Answer {
                question_id: string(question, &question_path, "id")?
                    .ok_or_else(|| invalid(&question_path, "needs its `id`"))?,
                question_kind: kind,
                value: string(answer, &path, "value")?
                    .ok_or_else(|| invalid(&path, "needs its `value`"))?,
                display_value: string(answer, &path, "displayValue")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use serde_json::json;

    use super::*;

    const ADELE: &str = "00000000-0000-4000-8000-00000000a001";

    fn parse(body: &Value, api: ApiVersion) -> Result<CreateBody, CreateBodyError> {
        parse_create(body, api, EnumPreference::default())
    }

    #[test]
    fn every_way_of_naming_target_policy_and_package_is_read() {
        let forms = [
            json!({"requestType": "adminAdd", "assignment": {
                "targetId": ADELE, "assignmentPolicyId": "p", "accessPackageId": "k"}}),
            json!({"requestType": "adminAdd", "assignment": {
                "target": {"objectId": ADELE, "subjectType": "user"},
                "assignmentPolicy": {"id": "p"}, "accessPackage": {"id": "k"}}}),
            json!({"requestType": "adminAdd", "accessPackage": {"id": "k"},
                "accessPackageAssignment": {"targetId": ADELE, "assignmentPolicyId": "p"}}),
        ];
        for form in forms {
            let body = parse(&form, ApiVersion::Beta).unwrap();
            assert_eq!(body.kind, RequestType::AdminAdd);
            assert_eq!(
                body.target,
                Some(TargetRef::Object(SubjectId::parse(ADELE).unwrap()))
            );
            assert_eq!(body.policy_id.as_deref(), Some("p"), "{form}");
            assert_eq!(body.package_id.as_deref(), Some("k"), "{form}");
        }
        let by_email = json!({"requestType": "adminAdd", "assignment": {
            "target": {"email": "joni@example.test", "displayName": "Joni"}}});
        assert_eq!(
            parse(&by_email, ApiVersion::V1).unwrap().target,
            Some(TargetRef::Email {
                email: "joni@example.test".into(),
                display_name: Some("Joni".into()),
            })
        );
    }

    #[test]
    fn unknown_properties_are_refused_with_their_path_and_read_only_ones_ignored() {
        for (body, property, type_name) in [
            (
                json!({"requestType": "userAdd", "color": 1}),
                "color",
                "accessPackageAssignmentRequest",
            ),
            (
                json!({"requestType": "userAdd", "assignment": {"policy": "p"}}),
                "assignment.policy",
                "accessPackageAssignment",
            ),
            (
                json!({"requestType": "userAdd", "assignment": {"target": {"mail": "x"}}}),
                "assignment.target.mail",
                "accessPackageSubject",
            ),
            (
                json!({"requestType": "userAdd", "schedule": {"expiration": {"end": "x"}}}),
                "schedule.expiration.end",
                "expirationPattern",
            ),
        ] {
            assert_eq!(
                parse(&body, ApiVersion::V1),
                Err(CreateBodyError::UnknownProperty {
                    property: property.into(),
                    type_name
                })
            );
        }
        let echoed = json!({
            "@odata.type": "#microsoft.graph.accessPackageAssignmentRequest",
            "id": "ignored", "status": "Accepted", "createdDateTime": null,
            "requestType": "userAdd", "assignment": {"accessPackageId": "k", "state": "delivered"},
        });
        assert_eq!(
            parse(&echoed, ApiVersion::V1)
                .unwrap()
                .package_id
                .as_deref(),
            Some("k")
        );
        let wrong_type = json!({"@odata.type": "#microsoft.graph.user", "requestType": "userAdd"});
        assert!(matches!(
            parse(&wrong_type, ApiVersion::V1),
            Err(CreateBodyError::Invalid { .. })
        ));
    }

    #[test]
    fn the_schedule_is_read_whole() {
        let body = json!({"requestType": "userAdd", "schedule": {
            "startDateTime": "2026-03-01T00:00:00Z",
            "recurrence": {"pattern": {"type": "daily"}},
            "expiration": {"duration": "P30D", "type": "afterDuration"},
        }});
        let read = parse(&body, ApiVersion::V1).unwrap();
        assert_eq!(read.lasts, Some(Duration::days(30)));
        assert_eq!(read.ends_at, None);
        assert!(read.starts_at.is_some());
        assert_eq!(read.schedule.expiration, ExpirationType::AfterDuration);
        assert_eq!(read.schedule.duration.as_deref(), Some("P30D"));
        assert_eq!(
            read.schedule.recurrence,
            Some(json!({"pattern": {"type": "daily"}}))
        );
        let untyped = json!({"requestType": "userAdd", "schedule": {
            "expiration": {"endDateTime": "2026-12-31T00:00:00Z"}}});
        assert_eq!(
            parse(&untyped, ApiVersion::V1).unwrap().schedule.expiration,
            ExpirationType::AfterDateTime
        );
        for expiration in [
            json!({"endDateTime": "2026-12-31T00:00:00Z", "duration": "P1D"}),
            json!({"type": "afterDuration"}),
            json!({"type": "afterDateTime", "duration": "P1D"}),
            json!({"type": "noExpiration", "duration": "P1D"}),
            json!({"type": "sometimes"}),
            json!({"duration": "P1Y"}),
        ] {
            let body = json!({"requestType": "userAdd", "schedule": {"expiration": expiration}});
            assert!(
                matches!(
                    parse(&body, ApiVersion::V1),
                    Err(CreateBodyError::Invalid { .. })
                ),
                "{expiration}"
            );
        }
    }

    #[test]
    fn answers_keep_their_question_and_values() {
        let body = json!({"requestType": "userAdd", "answers": [
            {"@odata.type": "#microsoft.graph.accessPackageAnswerString", "value": "EMEA",
             "displayValue": "Europe", "answeredQuestion": {
                "@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion", "id": "q1",
                "isRequired": true}},
            {"value": "because", "answeredQuestion": {
                "@odata.type": "#microsoft.graph.accessPackageTextInputQuestion", "id": "q2"}},
        ]});
        let answers = parse(&body, ApiVersion::V1).unwrap().answers;
        assert_eq!(
            answers,
            vec![
                Answer {
                    question_id: "q1".into(),
                    question_kind: QuestionKind::MultipleChoice,
                    value: "EMEA".into(),
                    display_value: Some("Europe".into()),
                },
                Answer {
                    question_id: "q2".into(),
                    question_kind: QuestionKind::TextInput,
                    value: "because".into(),
                    display_value: None,
                },
            ]
        );
        let wire = answers.first().unwrap().to_wire(None, ApiVersion::V1);
        assert_eq!(wire["answeredQuestion"]["id"], "q1");
        assert_eq!(
            wire["@odata.type"],
            "#microsoft.graph.accessPackageAnswerString"
        );
        for bad in [
            json!({"value": "x"}),
            json!({"value": "x", "answeredQuestion": {"id": "q"}}),
            json!({"answeredQuestion": {
                "@odata.type": "#microsoft.graph.accessPackageTextInputQuestion", "id": "q"}}),
            json!({"value": 3, "answeredQuestion": {
                "@odata.type": "#microsoft.graph.accessPackageTextInputQuestion", "id": "q"}}),
        ] {
            let body = json!({"requestType": "userAdd", "answers": [bad]});
            assert!(parse(&body, ApiVersion::V1).is_err(), "{body}");
        }
    }

    #[test]
    fn contradictions_and_wrong_types_are_refused() {
        for body in [
            json!({"assignment": {}}),
            json!({"requestType": 1}),
            json!({"requestType": "userAdd", "assignment": {}, "accessPackageAssignment": {}}),
            json!({"requestType": "userAdd", "assignment": {"targetId": ADELE,
                "target": {"objectId": "00000000-0000-4000-8000-00000000a002"}}}),
            json!({"requestType": "userAdd", "assignment": {"target": {"displayName": "x"}}}),
            json!({"requestType": "userAdd", "assignment": {"assignmentPolicyId": "p",
                "assignmentPolicy": {"id": "q"}}}),
            json!({"requestType": "userAdd", "assignment": {"accessPackage": {}}}),
            json!({"requestType": "userAdd", "isValidationOnly": "yes"}),
            json!({"requestType": "userAdd", "justification": 5}),
            json!({"requestType": "userAdd", "assignment": {"id": "not-a-guid"}}),
            json!({"requestType": "userAdd", "assignment": []}),
        ] {
            assert!(parse(&body, ApiVersion::V1).is_err(), "{body}");
        }
        let validation = json!({"requestType": "UserAdd", "isValidationOnly": true});
        assert!(
            parse(&validation, ApiVersion::Beta)
                .unwrap()
                .validation_only
        );
    }
}
