//! An assignment policy's questions (`accessPackageQuestion`: `accessPackageTextInputQuestion` and
//! `accessPackageMultipleChoiceQuestion`), as a tenant file states them and as Graph shows the
//! question an answer answers. entitle keeps and shows them; it decides nothing on them.

use entitle_core::ApiVersion;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::answer::QuestionKind;

/// Text in a default and in other languages (`accessPackageLocalizedContent`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocalizedContent {
    /// `defaultText`.
    #[serde(default)]
    pub default_text: Option<String>,
    /// `localizedTexts`.
    #[serde(default)]
    pub localized_texts: Vec<LocalizedText>,
}

/// The text in one language (`accessPackageLocalizedText`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocalizedText {
    /// `text`.
    pub text: String,
    /// `languageCode`, such as `es`.
    pub language_code: String,
}

/// One choice of a multiple-choice question (`accessPackageAnswerChoice`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Choice {
    /// `actualValue`: what an answer's `value` holds.
    pub actual_value: String,
    /// `displayValue`: what the requestor saw.
    #[serde(default)]
    pub display_value: LocalizedContent,
}

/// A question of an assignment policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Question {
    /// `id`.
    pub id: String,
    /// Text input or multiple choice.
    pub kind: QuestionKind,
    /// `text`.
    pub text: LocalizedContent,
    /// `isRequired`.
    #[serde(default)]
    pub is_required: bool,
    /// `choices` (multiple choice only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// `allowsMultipleSelection` (multiple choice only).
    #[serde(default)]
    pub allows_multiple_selection: bool,
    /// `isSingleLineQuestion` (text input only).
    #[serde(default)]
    pub is_single_line_question: bool,
}

impl LocalizedContent {
    /// The JSON of the content.
    pub fn to_wire(&self) -> Value {
        json!({
            "defaultText": self.default_text,
            "localizedTexts": self.localizations(),
        })
    }

    /// The text to show: the default, else the first translation.
    pub fn shown(&self) -> Option<&str> {
        self.default_text
            .as_deref()
            .or_else(|| self.localized_texts.first().map(|text| text.text.as_str()))
    }
}

impl LocalizedText {
    fn to_wire(&self) -> Value {
        json!({ "text": self.text, "languageCode": self.language_code })
    }
}

impl LocalizedContent {
    /// v1.0's `localizations`: the content's other languages.
    fn localizations(&self) -> Value {
        Value::Array(
            self.localized_texts
                .iter()
                .map(LocalizedText::to_wire)
                .collect(),
        )
    }
}

impl Question {
    /// The question as Graph `api` shows it inside an answer (`answeredQuestion`): v1.0's `text`,
    /// `localizations` and `isMultipleSelectionAllowed`; beta's localized `text` and
    /// `allowsMultipleSelection`.
    pub fn to_wire(&self, api: ApiVersion) -> Value {
        let mut object = Map::new();
        object.insert(
            "@odata.type".into(),
            json!(format!("#microsoft.graph.{}", self.kind.type_name())),
        );
        object.insert("id".into(), json!(self.id));
        object.insert("isRequired".into(), json!(self.is_required));
        match api {
            ApiVersion::V1 => {
                object.insert("text".into(), json!(self.text.default_text));
                object.insert("localizations".into(), self.text.localizations());
            }
            ApiVersion::Beta => {
                object.insert("text".into(), self.text.to_wire());
            }
        }
        match self.kind {
            QuestionKind::MultipleChoice => {
                let choices: Vec<Value> = self
                    .choices
                    .iter()
                    .map(|choice| match api {
                        ApiVersion::V1 => json!({
                            "actualValue": choice.actual_value,
                            "text": choice.display_value.default_text,
                            "localizations": choice.display_value.localizations(),
                        }),
                        ApiVersion::Beta => json!({
                            "actualValue": choice.actual_value,
                            "displayValue": choice.display_value.to_wire(),
                        }),
                    })
                    .collect();
                object.insert("choices".into(), Value::Array(choices));
                let multiple = match api {
                    ApiVersion::V1 => "isMultipleSelectionAllowed",
                    ApiVersion::Beta => "allowsMultipleSelection",
                };
                object.insert(multiple.into(), json!(self.allows_multiple_selection));
            }
            QuestionKind::TextInput => {
                object.insert(
                    "isSingleLineQuestion".into(),
                    json!(self.is_single_line_question),
                );
            }
        }
        Value::Object(object)
    }

    /// What a multiple-choice answer `value` shows (`displayValue`): its choice's text.
    pub fn display_of(&self, value: &str) -> Option<&str> {
        self.choices
            .iter()
            .find(|choice| choice.actual_value == value)
            .and_then(|choice| choice.display_value.shown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region() -> Question {
        Question {
            id: "q1".into(),
            kind: QuestionKind::MultipleChoice,
            text: LocalizedContent {
                default_text: Some("Which region?".into()),
                localized_texts: vec![LocalizedText {
                    text: "¿Qué región?".into(),
                    language_code: "es".into(),
                }],
            },
            is_required: true,
            choices: vec![Choice {
                actual_value: "EMEA".into(),
                display_value: LocalizedContent {
                    default_text: Some("Europe".into()),
                    localized_texts: vec![],
                },
            }],
            allows_multiple_selection: false,
            is_single_line_question: false,
        }
    }

    #[test]
    fn a_multiple_choice_question_shows_its_choices_in_each_versions_shape() {
        let wire = region().to_wire(ApiVersion::Beta);
        assert_eq!(
            wire["@odata.type"],
            "#microsoft.graph.accessPackageMultipleChoiceQuestion"
        );
        assert_eq!(wire["text"]["localizedTexts"][0]["languageCode"], "es");
        assert_eq!(wire["choices"][0]["actualValue"], "EMEA");
        assert_eq!(wire["choices"][0]["displayValue"]["defaultText"], "Europe");
        assert_eq!(wire["allowsMultipleSelection"], false);
        assert!(wire.get("isSingleLineQuestion").is_none());
        let wire = region().to_wire(ApiVersion::V1);
        assert_eq!(wire["localizations"][0]["languageCode"], "es");
        assert_eq!(wire["text"], "Which region?");
        assert_eq!(wire["choices"][0]["text"], "Europe");
        assert!(wire["choices"][0]["localizations"].is_array());
        assert_eq!(wire["isMultipleSelectionAllowed"], false);
        assert!(wire.get("allowsMultipleSelection").is_none());
        assert_eq!(region().display_of("EMEA"), Some("Europe"));
        assert_eq!(region().display_of("APAC"), None);
    }

    #[test]
    fn a_tenant_file_states_a_question_in_graphs_names() {
        let question: Question = serde_json::from_value(json!({
            "id": "q2",
            "kind": "textInput",
            "text": { "defaultText": "Why?" },
            "isSingleLineQuestion": true,
        }))
        .unwrap();
        let wire = question.to_wire(ApiVersion::V1);
        assert_eq!(wire["isSingleLineQuestion"], true);
        assert_eq!(wire["text"], "Why?");
        assert!(wire.get("choices").is_none());
        assert!(serde_json::from_value::<Question>(json!({ "id": "q3" })).is_err());
    }
}
