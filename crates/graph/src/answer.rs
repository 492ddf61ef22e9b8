//! `answers`: a requestor's answers to the questions of an assignment policy
//! (`accessPackageAnswerString`, answering an `accessPackageTextInputQuestion` or an
//! `accessPackageMultipleChoiceQuestion`). entitle keeps and shows them, with the policy's question;
//! it decides nothing on them.

use entitle_core::ApiVersion;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::question::Question;

/// The kind of question answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum QuestionKind {
    /// `accessPackageTextInputQuestion`.
    TextInput,
    /// `accessPackageMultipleChoiceQuestion`.
    MultipleChoice,
}

impl QuestionKind {
    /// The read-only properties of a question a client may echo back in an answer.
    pub const READ_ONLY: &'static [&'static str] = &[
        "text",
        "isRequired",
        "isAnswerEditable",
        "sequence",
        "localizations",
        "choices",
        "allowsMultipleSelection",
        "isMultipleSelectionAllowed",
        "isSingleLineQuestion",
        "regexPattern",
    ];

    /// The Graph type name, without its namespace.
    pub const fn type_name(self) -> &'static str {
        match self {
            Self::TextInput => "accessPackageTextInputQuestion",
            Self::MultipleChoice => "accessPackageMultipleChoiceQuestion",
        }
    }

    /// The kind an `@odata.type` names (with or without the leading `#`).
    pub fn parse(odata_type: &str) -> Option<Self> {
        let name = odata_type
            .trim_start_matches('#')
            .strip_prefix("microsoft.graph.")?;
        [Self::TextInput, Self::MultipleChoice]
            .into_iter()
            .find(|kind| kind.type_name() == name)
    }
}

/// One answer, as kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Answer {
    /// The question's id.
    pub question_id: String,
    /// The question's kind.
    pub question_kind: QuestionKind,
    /// `value`.
    pub value: String,
    /// `displayValue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_value: Option<String>,
}

impl Answer {
    /// The answer as Graph `api` shows it, with the question it answers in full when the policy still has
    /// it (`question`), else by id and type. A multiple-choice answer sent without `displayValue`
    /// shows its choice's text.
    pub fn to_wire(&self, question: Option<&Question>, api: ApiVersion) -> Value {
        let display_value = self.display_value.as_deref().or_else(|| {
            question
                .filter(|question| question.kind == QuestionKind::MultipleChoice)
                .and_then(|question| question.display_of(&self.value))
        });
        let answered = question.filter(|question| question.kind == self.question_kind);
        json!({
            "@odata.type": "#microsoft.graph.accessPackageAnswerString",
            "value": self.value,
            "displayValue": display_value,
            "answeredQuestion": answered.map_or_else(
                || json!({
                    "@odata.type": format!("#microsoft.graph.{}", self.question_kind.type_name()),
                    "id": self.question_id,
                }),
                |question| question.to_wire(api),
            ),
        })
    }
}
