//! Everything a caller can ask of the service about requests and their assignments: read, list,
//! create, delete, and the lifecycle's actions. [`authorize`](crate::authorize) decides each one.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};
use strum::VariantArray;

use crate::action::ActionKind;
use crate::error::InvalidInput;
use crate::id::SubjectId;
use crate::request_type::RequestType;

/// An operation on assignment requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Operation {
    /// `GET …/assignmentRequests/{id}`.
    Get,
    /// `GET …/assignmentRequests`: which rows a caller sees is [`Get`](Self::Get)'s answer for each.
    List,
    /// `GET …/assignmentRequests/filterByCurrentUser(on='…')`.
    FilterByCurrentUser,
    /// `GET …/accessPackageAssignmentApprovals/{id}/stages` and one stage.
    ReadStages,
    /// `GET …/entitlementManagement/assignments` (beta `…/accessPackageAssignments`) and one
    /// assignment; its parties are the assignment's holder.
    ReadAssignment,
    /// `GET …/assignments/filterByCurrentUser(on='…')`: the signed-in user's own assignments.
    FilterAssignmentsByCurrentUser,
    /// `POST …/assignmentRequests` with this `requestType`.
    Create(RequestType),
    /// `DELETE …/assignmentRequests/{id}`.
    Delete,
    /// An action of the lifecycle: `cancel`, `reprocess`, `resume`, reviewing a stage (`approve`,
    /// `deny`) and the service's own steps.
    Act(ActionKind),
}

/// The operations that read or remove a request without moving it, in table order.
const ACCESS: [Operation; 6] = [
    Operation::Get,
    Operation::List,
    Operation::FilterByCurrentUser,
    Operation::ReadStages,
    Operation::ReadAssignment,
    Operation::FilterAssignmentsByCurrentUser,
];

impl Operation {
    /// Every operation, in table order: reads, creation per request type, deletion, then the actions
    /// in lifecycle order.
    pub fn all() -> Vec<Self> {
        ACCESS
            .into_iter()
            .chain(RequestType::VARIANTS.iter().map(|kind| Self::Create(*kind)))
            .chain([Self::Delete])
            .chain(ActionKind::VARIANTS.iter().map(|action| Self::Act(*action)))
            .collect()
    }

    /// The name of an operation that is not an action or a creation.
    const fn access_name(self) -> Option<&'static str> {
        match self {
            Self::Get => Some("get"),
            Self::List => Some("list"),
            Self::FilterByCurrentUser => Some("filterByCurrentUser"),
            Self::ReadStages => Some("readStages"),
            Self::ReadAssignment => Some("readAssignment"),
            Self::FilterAssignmentsByCurrentUser => Some("filterAssignmentsByCurrentUser"),
            Self::Delete => Some("delete"),
            Self::Create(_) | Self::Act(_) => None,
        }
    }

    /// Whether the answer may depend on the request's status: the actions, and deletion.
    pub const fn depends_on_status(self) -> bool {
        matches!(self, Self::Act(_) | Self::Delete)
    }

    /// The action, when the operation is one.
    pub const fn action(self) -> Option<ActionKind> {
        match self {
            Self::Act(action) => Some(action),
            _ => None,
        }
    }

    /// Parses a name as [`Display`](fmt::Display) writes it (`get`, `create:userAdd`, `cancel`),
    /// ignoring ASCII case.
    ///
    /// # Errors
    /// [`InvalidInput::UnknownOperation`] for anything else.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        let unknown = || InvalidInput::UnknownOperation { value: text.into() };
        if let Some((head, kind)) = text.split_once(':') {
            return if head.eq_ignore_ascii_case("create") {
                RequestType::parse(kind)
                    .map(Self::Create)
                    .map_err(|_| unknown())
            } else {
                Err(unknown())
            };
        }
        if let Some(found) = [ACCESS.as_slice(), &[Self::Delete]]
            .concat()
            .into_iter()
            .find(|op| {
                op.access_name()
                    .is_some_and(|n| n.eq_ignore_ascii_case(text))
            })
        {
            return Ok(found);
        }
        ActionKind::parse(text)
            .map(Self::Act)
            .map_err(|_| unknown())
    }
}

impl From<ActionKind> for Operation {
    fn from(action: ActionKind) -> Self {
        Self::Act(action)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Create(kind) => write!(f, "create:{kind}"),
            Self::Act(action) => action.fmt(f),
            other => f.write_str(other.access_name().unwrap_or_default()),
        }
    }
}

impl FromStr for Operation {
    type Err = InvalidInput;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<String> for Operation {
    type Error = InvalidInput;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Operation> for String {
    fn from(operation: Operation) -> Self {
        alloc::format!("{operation}")
    }
}

/// The people a request concerns, as authorization sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parties {
    /// Who submitted the request (`requestor`).
    pub requestor: SubjectId,
    /// Who the assignment is for (`assignment.targetId`).
    pub target: SubjectId,
}

impl Parties {
    /// A request someone submitted for themselves.
    pub const fn own(subject: SubjectId) -> Self {
        Self {
            requestor: subject,
            target: subject,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeSet;
    use alloc::string::ToString;
    use strum::EnumCount;

    #[test]
    fn every_operation_has_a_distinct_name_that_parses_back() {
        let all = Operation::all();
        assert_eq!(
            all.len(),
            ACCESS.len() + RequestType::COUNT + 1 + ActionKind::COUNT
        );
        let names: BTreeSet<_> = all.iter().map(ToString::to_string).collect();
        assert_eq!(names.len(), all.len());
        for operation in all {
            let name = operation.to_string();
            assert_eq!(Operation::parse(&name), Ok(operation), "{name}");
            assert_eq!(Operation::parse(&name.to_uppercase()), Ok(operation));
            let json = serde_json::to_string(&operation).unwrap();
            assert_eq!(serde_json::from_str::<Operation>(&json).unwrap(), operation);
        }
        assert_eq!(
            Operation::Create(RequestType::UserAdd).to_string(),
            "create:userAdd"
        );
        assert_eq!(
            Operation::parse("create:AdminRemove"),
            Ok(Operation::Create(RequestType::AdminRemove))
        );
        for bad in [
            "",
            "create",
            "create:",
            "create:nope",
            "make:userAdd",
            "read",
        ] {
            assert_eq!(
                Operation::parse(bad),
                Err(InvalidInput::UnknownOperation { value: bad.into() }),
                "{bad}"
            );
        }
    }

    #[test]
    fn only_actions_and_deletion_depend_on_the_status() {
        for operation in Operation::all() {
            assert_eq!(
                operation.depends_on_status(),
                operation.action().is_some() || operation == Operation::Delete
            );
        }
        assert_eq!(
            Operation::from(ActionKind::Cancel).action(),
            Some(ActionKind::Cancel)
        );
    }
}
