//! `$filter` on the request collections: `OData`'s grammar (`or`, `and`, `not`, parentheses, `eq`,
//! `ne`, `gt`, `ge`, `lt`, `le`, `in`), navigation paths (`accessPackage/id`,
//! `requestor/objectId`, …), and string, GUID, date-time, boolean and `null` literals, each checked
//! against the property's type when parsed. A construct Graph supports and entitle does not (a
//! function such as `startswith`, a lambda) is refused with a message naming it.
//!
//! The parser is entitle's own: the `odata-params` crate reads neither navigation paths nor `OData`'s
//! doubled-quote escape (`'O''Brien'`), both of which Graph's examples use. It is fuzzed
//! (`fuzz/fuzz_targets/filter.rs`).

use entitle_core::{
    ApiVersion, Assignment, AssignmentState, Request, RequestState, RequestStatus, RequestType,
    Timestamp,
};
use strum::VariantArray;

use crate::datetime;
use crate::request_type::{self, EnumPreference, UNKNOWN_FUTURE_VALUE, wire_name};

/// The deepest nesting of parentheses and `not` accepted.
const MAX_DEPTH: usize = 32;

/// The longest `$filter` accepted, in bytes.
const MAX_LENGTH: usize = 4096;

/// Why a `$filter` was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`$filter`: {0}")]
pub struct FilterError(String);

fn refuse<T>(reason: impl Into<String>) -> Result<T, FilterError> {
    Err(FilterError(reason.into()))
}

/// The collection a filter is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// `…/assignmentRequests`.
    Request,
    /// `…/assignments` (beta `…/accessPackageAssignments`).
    Assignment,
}

/// A property a filter can name, in either version's spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Property {
    Id,
    RequestType,
    State,
    Status,
    CreatedDateTime,
    CompletedDateTime,
    AccessPackageId,
    RequestorId,
    AssignmentId,
    TargetId,
    AssignmentState,
    AssignmentPolicyId,
    ExpiredDateTime,
}

impl Property {
    /// The property `path` names in `api` on `resource`.
    fn parse(path: &str, api: ApiVersion, resource: Resource) -> Option<Self> {
        match resource {
            Resource::Request => Self::of_request(path, api),
            Resource::Assignment => Self::of_assignment(path, api),
        }
    }

    fn of_assignment(path: &str, api: ApiVersion) -> Option<Self> {
        match (api, path) {
            (_, "id") => Some(Self::Id),
            (_, "expiredDateTime") => Some(Self::ExpiredDateTime),
            (ApiVersion::V1, "state") | (ApiVersion::Beta, "assignmentState") => {
                Some(Self::AssignmentState)
            }
            (_, "accessPackage/id") | (ApiVersion::Beta, "accessPackageId") => {
                Some(Self::AccessPackageId)
            }
            (ApiVersion::V1, "assignmentPolicy/id")
            | (ApiVersion::Beta, "assignmentPolicyId" | "accessPackageAssignmentPolicy/id") => {
                Some(Self::AssignmentPolicyId)
            }
            (_, "target/objectId" | "target/id") | (ApiVersion::Beta, "targetId") => {
                Some(Self::TargetId)
            }
            _ => None,
        }
    }

    fn of_request(path: &str, api: ApiVersion) -> Option<Self> {
        let common = match path {
            "id" => Some(Self::Id),
            "requestType" => Some(Self::RequestType),
            "createdDateTime" => Some(Self::CreatedDateTime),
            "accessPackage/id" => Some(Self::AccessPackageId),
            "requestor/objectId" | "requestor/id" => Some(Self::RequestorId),
            _ => None,
        };
        common.or(match (api, path) {
            (ApiVersion::V1, "state") | (ApiVersion::Beta, "requestState") => Some(Self::State),
            (ApiVersion::V1, "status") | (ApiVersion::Beta, "requestStatus") => Some(Self::Status),
            (ApiVersion::V1, "completedDateTime") | (ApiVersion::Beta, "completedDate") => {
                Some(Self::CompletedDateTime)
            }
            (ApiVersion::V1, "assignment/id")
            | (ApiVersion::Beta, "accessPackageAssignment/id") => Some(Self::AssignmentId),
            (
                ApiVersion::V1,
                "assignment/target/objectId" | "assignment/target/id" | "assignment/targetId",
            )
            | (
                ApiVersion::Beta,
                "accessPackageAssignment/targetId"
                | "accessPackageAssignment/target/objectId"
                | "accessPackageAssignment/target/id",
            ) => Some(Self::TargetId),
            _ => None,
        })
    }

    const fn is_instant(self) -> bool {
        matches!(
            self,
            Self::CreatedDateTime | Self::CompletedDateTime | Self::ExpiredDateTime
        )
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn parse(word: &str) -> Option<Self> {
        match word {
            "eq" => Some(Self::Eq),
            "ne" => Some(Self::Ne),
            "gt" => Some(Self::Gt),
            "ge" => Some(Self::Ge),
            "lt" => Some(Self::Lt),
            "le" => Some(Self::Le),
            _ => None,
        }
    }

    /// The operator with its operands swapped (`5 lt x` is `x gt 5`).
    const fn flipped(self) -> Self {
        match self {
            Self::Gt => Self::Lt,
            Self::Ge => Self::Le,
            Self::Lt => Self::Gt,
            Self::Le => Self::Ge,
            same => same,
        }
    }

    const fn is_equality(self) -> bool {
        matches!(self, Self::Eq | Self::Ne)
    }

    fn holds(self, ordering: core::cmp::Ordering) -> bool {
        use core::cmp::Ordering as O;
        match self {
            Self::Eq => ordering == O::Equal,
            Self::Ne => ordering != O::Equal,
            Self::Gt => ordering == O::Greater,
            Self::Ge => ordering != O::Less,
            Self::Lt => ordering == O::Less,
            Self::Le => ordering != O::Greater,
        }
    }
}

/// A literal, before it meets a property.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Literal {
    Null,
    Bool(bool),
    Text(String),
    Instant(Timestamp),
}

/// A literal checked against its property's type.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Typed {
    Null,
    Status(RequestStatus),
    State(RequestState),
    Assigned(AssignmentState),
    /// A `requestType`, or `unknownFutureValue`: the members the client's enum preference hides.
    Kind(Option<RequestType>),
    /// A state or status no member is shown as (`unknownFutureValue`): matches none.
    Hidden,
    Instant(Timestamp),
    Id(String),
}

/// A parsed `$filter`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    expr: Expr,
    api: ApiVersion,
    preference: EnumPreference,
    resource: Resource,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Property, Op, Typed),
    In(Property, Vec<Typed>),
}

/// What a filter reads of a stored request.
#[derive(Clone, Copy, Debug)]
pub struct FilterFacts<'a> {
    /// The request.
    pub request: &'a Request,
    /// Its access package's id.
    pub access_package_id: &'a str,
}

/// What a filter reads of a stored assignment.
#[derive(Clone, Copy, Debug)]
pub struct AssignmentFacts<'a> {
    /// The assignment.
    pub assignment: &'a Assignment,
    /// Its access package's id.
    pub access_package_id: &'a str,
    /// Its policy's id.
    pub assignment_policy_id: &'a str,
}

/// A property's value on one row.
enum Fact<'a> {
    Id(String),
    IdText(&'a str),
    Status(RequestStatus),
    Kind(RequestType),
    Assigned(AssignmentState),
    Instant(Option<Timestamp>),
    Absent,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Comma,
    Text(String),
    Word(String),
}

fn tokens(text: &str) -> Result<Vec<Token>, FilterError> {
    let mut found = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, ch)) = chars.next() {
        match ch {
            c if c.is_whitespace() => {}
            '(' => found.push(Token::Open),
            ')' => found.push(Token::Close),
            ',' => found.push(Token::Comma),
            '\'' => {
                let mut value = String::new();
                loop {
                    match chars.next() {
                        None => return refuse("a string literal is not closed"),
                        Some((_, '\'')) => {
                            if chars.peek().is_some_and(|(_, next)| *next == '\'') {
                                chars.next();
                                value.push('\'');
                            } else {
                                break;
                            }
                        }
                        Some((_, other)) => value.push(other),
                    }
                }
                found.push(Token::Text(value));
            }
            _ => {
                let mut end = start + ch.len_utf8();
                while let Some((index, next)) = chars.peek().copied() {
                    if next.is_whitespace() || matches!(next, '(' | ')' | ',' | '\'') {
                        break;
                    }
                    end = index + next.len_utf8();
                    chars.next();
                }
                found.push(Token::Word(
                    text.get(start..end).unwrap_or_default().to_owned(),
                ));
            }
        }
    }
    Ok(found)
}

fn is_path(word: &str) -> bool {
    word.split('/').all(|segment| {
        let mut chars = segment.chars();
        chars
            .next()
            .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    api: ApiVersion,
    preference: EnumPreference,
    resource: Resource,
    text: &'a str,
}

/// An operand: a property or a literal.
enum Operand {
    Property(Property),
    Literal(Literal),
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(found)) if found == word)
    }

    fn or(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut left = self.and(depth)?;
        while self.keyword("or") {
            self.at += 1;
            let right = self.and(depth)?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut left = self.unary(depth)?;
        while self.keyword("and") {
            self.at += 1;
            let right = self.unary(depth)?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, FilterError> {
        if depth >= MAX_DEPTH {
            return refuse(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        if self.keyword("not") {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.unary(depth + 1)?)));
        }
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or(depth + 1)?;
            return match self.next() {
                Some(Token::Close) => Ok(inner),
                _ => refuse("a parenthesis is not closed"),
            };
        }
        self.comparison()
    }

    fn operand(&mut self) -> Result<Operand, FilterError> {
        match self.next() {
            Some(Token::Text(text)) => Ok(Operand::Literal(Literal::Text(text))),
            Some(Token::Word(word)) => {
                if self.peek() == Some(&Token::Open) && is_path(&word) {
                    let lambda = word.rsplit('/').next().is_some_and(|last| {
                        last.eq_ignore_ascii_case("any") || last.eq_ignore_ascii_case("all")
                    });
                    return refuse(if lambda {
                        format!("the lambda operator `{word}` is not supported")
                    } else {
                        format!("the function `{word}` is not supported")
                    });
                }
                match word.as_str() {
                    "null" => return Ok(Operand::Literal(Literal::Null)),
                    "true" => return Ok(Operand::Literal(Literal::Bool(true))),
                    "false" => return Ok(Operand::Literal(Literal::Bool(false))),
                    _ => {}
                }
                if let Ok(at) = datetime::parse(&word) {
                    return Ok(Operand::Literal(Literal::Instant(at)));
                }
                if entitle_core::SubjectId::parse(&word).is_ok() {
                    return Ok(Operand::Literal(Literal::Text(word)));
                }
                if !is_path(&word) {
                    return refuse(format!("cannot read `{word}`"));
                }
                Property::parse(&word, self.api, self.resource)
                    .map(Operand::Property)
                    .ok_or_else(|| {
                        FilterError(format!(
                            "filtering on `{word}` is not supported; use {}",
                            supported(self.api, self.resource)
                        ))
                    })
            }
            Some(Token::Open | Token::Close | Token::Comma) | None => {
                refuse(format!("cannot parse `{}`", self.text))
            }
        }
    }

    fn comparison(&mut self) -> Result<Expr, FilterError> {
        let left = self.operand()?;
        if self.keyword("in") {
            self.at += 1;
            let Operand::Property(property) = left else {
                return refuse("`in` needs a property on its left");
            };
            if self.next() != Some(Token::Open) {
                return refuse("`in` needs a parenthesised list");
            }
            let mut values = Vec::new();
            loop {
                let Operand::Literal(literal) = self.operand()? else {
                    return refuse("`in` lists literals only");
                };
                values.push(self.typed(property, Op::Eq, literal)?);
                match self.next() {
                    Some(Token::Comma) => {}
                    Some(Token::Close) => break,
                    _ => return refuse("an `in` list is not closed"),
                }
            }
            return Ok(Expr::In(property, values));
        }
        let op = match self.next() {
            Some(Token::Word(word)) => Op::parse(&word)
                .ok_or_else(|| FilterError(format!("the operator `{word}` is not supported")))?,
            _ => return refuse("a comparison needs an operator"),
        };
        let right = self.operand()?;
        let (property, op, literal) = match (left, right) {
            (Operand::Property(property), Operand::Literal(literal)) => (property, op, literal),
            (Operand::Literal(literal), Operand::Property(property)) => {
                (property, op.flipped(), literal)
            }
            _ => return refuse("a comparison needs one property and one literal"),
        };
        Ok(Expr::Compare(
            property,
            op,
            self.typed(property, op, literal)?,
        ))
    }

    /// `literal` as a value of `property`'s type, compared with `op`.
    fn typed(&self, property: Property, op: Op, literal: Literal) -> Result<Typed, FilterError> {
        if !op.is_equality() && !property.is_instant() {
            return refuse("only date-time properties can be ordered (`gt`, `ge`, `lt`, `le`)");
        }
        let mismatch = || FilterError("a literal of the wrong type for its property".into());
        Ok(match (property, literal) {
            (_, Literal::Null) if op.is_equality() => Typed::Null,
            (Property::Status, Literal::Text(text)) => RequestStatus::parse(&text)
                .map(Typed::Status)
                .map_err(|error| FilterError(error.to_string()))?,
            (Property::State, Literal::Text(text)) => {
                if text == UNKNOWN_FUTURE_VALUE {
                    Typed::Hidden
                } else {
                    RequestState::parse(&text)
                        .map(Typed::State)
                        .map_err(|error| FilterError(error.to_string()))?
                }
            }
            (Property::RequestType, Literal::Text(text)) => {
                if text == UNKNOWN_FUTURE_VALUE {
                    Typed::Kind(None)
                } else {
                    request_type::parse(&text, self.api, self.preference)
                        .map(|kind| Typed::Kind(Some(kind)))
                        .map_err(|error| FilterError(error.to_string()))?
                }
            }
            (Property::AssignmentState, Literal::Text(text)) => {
                if text == UNKNOWN_FUTURE_VALUE {
                    Typed::Hidden
                } else {
                    AssignmentState::VARIANTS
                        .iter()
                        .copied()
                        .find(|state| state.as_str().eq_ignore_ascii_case(&text))
                        .map(Typed::Assigned)
                        .ok_or_else(|| FilterError(format!("unknown assignment state `{text}`")))?
                }
            }
            (
                Property::CreatedDateTime | Property::CompletedDateTime | Property::ExpiredDateTime,
                Literal::Instant(at),
            ) => Typed::Instant(at),
            (
                Property::CreatedDateTime | Property::CompletedDateTime | Property::ExpiredDateTime,
                Literal::Text(text),
            ) => datetime::parse(&text)
                .map(Typed::Instant)
                .map_err(|error| FilterError(error.to_string()))?,
            (
                Property::Id
                | Property::AccessPackageId
                | Property::RequestorId
                | Property::AssignmentId
                | Property::TargetId
                | Property::AssignmentPolicyId,
                Literal::Text(text),
            ) => Typed::Id(text),
            _ => return Err(mismatch()),
        })
    }
}

/// The properties `api` filters `resource` on, for messages.
fn supported(api: ApiVersion, resource: Resource) -> &'static str {
    match (resource, api) {
        (Resource::Assignment, ApiVersion::V1) => {
            "`id`, `state`, `expiredDateTime`, `accessPackage/id`, `assignmentPolicy/id` or \
             `target/objectId`"
        }
        (Resource::Assignment, ApiVersion::Beta) => {
            "`id`, `assignmentState`, `expiredDateTime`, `accessPackageId`, `assignmentPolicyId` \
             or `targetId`"
        }
        (Resource::Request, ApiVersion::V1) => {
            "`id`, `requestType`, `state`, `status`, `createdDateTime`, `completedDateTime`, \
             `accessPackage/id`, `requestor/objectId`, `assignment/id` or \
             `assignment/target/objectId`"
        }
        (Resource::Request, ApiVersion::Beta) => {
            "`id`, `requestType`, `requestState`, `requestStatus`, `createdDateTime`, \
             `completedDate`, `accessPackage/id`, `requestor/objectId`, \
             `accessPackageAssignment/id` or `accessPackageAssignment/targetId`"
        }
    }
}

impl Filter {
    /// Parses `text` as a `$filter` on requests sent to `api` by a client with enum preference
    /// `preference`.
    ///
    /// # Errors
    /// A [`FilterError`] naming what is malformed or not supported.
    pub fn parse(
        text: &str,
        api: ApiVersion,
        preference: EnumPreference,
    ) -> Result<Self, FilterError> {
        Self::parse_for(text, api, preference, Resource::Request)
    }

    /// Parses `text` as a `$filter` on `resource`.
    ///
    /// # Errors
    /// A [`FilterError`] naming what is malformed or not supported.
    pub fn parse_for(
        text: &str,
        api: ApiVersion,
        preference: EnumPreference,
        resource: Resource,
    ) -> Result<Self, FilterError> {
        if text.len() > MAX_LENGTH {
            return refuse(format!("longer than {MAX_LENGTH} bytes"));
        }
        let mut parser = Parser {
            tokens: tokens(text)?,
            at: 0,
            api,
            preference,
            resource,
            text,
        };
        if parser.tokens.is_empty() {
            return refuse("empty");
        }
        let expr = parser.or(0)?;
        if let Some(token) = parser.peek() {
            return refuse(format!("unexpected `{token:?}` after the expression"));
        }
        Ok(Self {
            expr,
            api,
            preference,
            resource,
        })
    }

    /// Whether the request of `facts` matches (never, for a filter on assignments).
    pub fn matches(&self, facts: &FilterFacts<'_>) -> bool {
        let request = facts.request;
        self.resource == Resource::Request
            && self.eval(&self.expr, &|property| match property {
                Property::Id => Fact::Id(request.id.to_string()),
                Property::AccessPackageId => Fact::IdText(facts.access_package_id),
                Property::RequestorId => Fact::Id(request.requestor.to_string()),
                Property::AssignmentId => Fact::Id(request.assignment.to_string()),
                Property::TargetId => Fact::Id(request.target.to_string()),
                Property::Status | Property::State => Fact::Status(request.status),
                Property::RequestType => Fact::Kind(request.kind),
                Property::CreatedDateTime => Fact::Instant(Some(request.created_at)),
                Property::CompletedDateTime => Fact::Instant(request.completed_at),
                Property::AssignmentState
                | Property::AssignmentPolicyId
                | Property::ExpiredDateTime => Fact::Absent,
            })
    }

    /// Whether the assignment of `facts` matches (never, for a filter on requests).
    pub fn matches_assignment(&self, facts: &AssignmentFacts<'_>) -> bool {
        let assignment = facts.assignment;
        self.resource == Resource::Assignment
            && self.eval(&self.expr, &|property| match property {
                Property::Id => Fact::Id(assignment.id.to_string()),
                Property::AccessPackageId => Fact::IdText(facts.access_package_id),
                Property::AssignmentPolicyId => Fact::IdText(facts.assignment_policy_id),
                Property::TargetId => Fact::Id(assignment.target.to_string()),
                Property::AssignmentState => Fact::Assigned(assignment.state),
                Property::ExpiredDateTime => Fact::Instant(assignment.expired_at),
                Property::RequestType
                | Property::State
                | Property::Status
                | Property::CreatedDateTime
                | Property::CompletedDateTime
                | Property::RequestorId
                | Property::AssignmentId => Fact::Absent,
            })
    }

    /// The statuses a matching request can have, when the filter narrows them (`None`: any). A
    /// store reads only these; [`matches`](Self::matches) still decides each row.
    pub fn statuses(&self) -> Option<Vec<RequestStatus>> {
        statuses(&self.expr)
    }

    fn eval<'a>(&self, expr: &Expr, fact: &dyn Fn(Property) -> Fact<'a>) -> bool {
        match expr {
            Expr::Or(left, right) => self.eval(left, fact) || self.eval(right, fact),
            Expr::And(left, right) => self.eval(left, fact) && self.eval(right, fact),
            Expr::Not(inner) => !self.eval(inner, fact),
            Expr::Compare(property, op, value) => self.compare(*op, value, &fact(*property)),
            Expr::In(property, values) => {
                let actual = fact(*property);
                values
                    .iter()
                    .any(|value| self.compare(Op::Eq, value, &actual))
            }
        }
    }

    fn compare(&self, op: Op, value: &Typed, actual: &Fact<'_>) -> bool {
        let equal = |same: bool| if op == Op::Ne { !same } else { same };
        match (actual, value) {
            (Fact::Id(actual), Typed::Id(wanted)) => equal(actual.eq_ignore_ascii_case(wanted)),
            (Fact::IdText(actual), Typed::Id(wanted)) => equal(actual.eq_ignore_ascii_case(wanted)),
            (Fact::Status(status), Typed::Status(wanted)) => equal(status == wanted),
            (Fact::Status(status), Typed::State(wanted)) => equal(status.state() == *wanted),
            (Fact::Kind(kind), Typed::Kind(Some(wanted))) => equal(kind == wanted),
            (Fact::Kind(kind), Typed::Kind(None)) => {
                equal(wire_name(*kind, self.api, self.preference) == UNKNOWN_FUTURE_VALUE)
            }
            (Fact::Assigned(state), Typed::Assigned(wanted)) => equal(state == wanted),
            (Fact::Instant(actual), Typed::Null) => (op == Op::Eq) == actual.is_none(),
            (Fact::Instant(Some(actual)), Typed::Instant(wanted)) => op.holds(actual.cmp(wanted)),
            (Fact::Instant(None), Typed::Instant(_)) => op == Op::Ne,
            _ => equal(false),
        }
    }
}

fn statuses(expr: &Expr) -> Option<Vec<RequestStatus>> {
    let of = |value: &Typed| -> Vec<RequestStatus> {
        match value {
            Typed::Status(status) => vec![*status],
            Typed::State(state) => RequestStatus::VARIANTS
                .iter()
                .copied()
                .filter(|status| status.state() == *state)
                .collect(),
            _ => Vec::new(),
        }
    };
    match expr {
        Expr::And(left, right) => match (statuses(left), statuses(right)) {
            (Some(left), Some(right)) => {
                Some(left.into_iter().filter(|s| right.contains(s)).collect())
            }
            (one, other) => one.or(other),
        },
        Expr::Or(left, right) => {
            let (left, right) = (statuses(left)?, statuses(right)?);
            Some(
                RequestStatus::VARIANTS
                    .iter()
                    .copied()
                    .filter(|s| left.contains(s) || right.contains(s))
                    .collect(),
            )
        }
        Expr::Compare(Property::Status | Property::State, Op::Eq, value) => Some(of(value)),
        Expr::In(Property::Status | Property::State, values) => Some(
            RequestStatus::VARIANTS
                .iter()
                .copied()
                .filter(|s| values.iter().any(|value| of(value).contains(s)))
                .collect(),
        ),
        Expr::Not(_) | Expr::Compare(..) | Expr::In(..) => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use entitle_core::{Action, ActionKind, Guid, PolicyRules, RequestId, SubjectId};

    use super::*;

    const T0: Timestamp = Timestamp(1_767_225_600_000);
    const PACKAGE: &str = "00000000-0000-4000-8000-0000000ba001";

    fn delivering() -> Request {
        let mut request = Request::submit(
            RequestId::new(Guid::from_u128(0x10)),
            SubjectId::new(Guid::from_u128(0xa001)),
            PolicyRules::default(),
            None,
            T0,
        )
        .unwrap();
        request
            .apply_in_place(&Action::by_system(ActionKind::Process), T0)
            .unwrap();
        request
    }

    fn check(text: &str, api: ApiVersion, request: &Request) -> bool {
        Filter::parse(text, api, EnumPreference::default())
            .unwrap_or_else(|error| panic!("{text}: {error}"))
            .matches(&FilterFacts {
                request,
                access_package_id: PACKAGE,
            })
    }

    #[test]
    fn the_grammar_combines_and_negates() {
        let request = delivering();
        for (text, expected) in [
            ("status eq 'Delivering'", true),
            ("(state eq 'delivering')", true),
            ("state eq 'delivered' or status eq 'Delivering'", true),
            ("not (status eq 'Delivering')", false),
            ("status ne 'Delivering'", false),
            ("status in ('Denied', 'Delivering')", true),
            (
                "requestType eq 'userAdd' and (state eq 'pendingApproval' or state eq 'delivering')",
                true,
            ),
            (&format!("accessPackage/id eq '{PACKAGE}'"), true),
            (&format!("accessPackage/id eq {PACKAGE}"), true),
            (
                "requestor/objectId eq '00000000-0000-0000-0000-00000000a001'",
                true,
            ),
            ("createdDateTime ge 2026-01-01T00:00:00Z", true),
            ("createdDateTime gt 2026-01-01T00:00:00Z", false),
            ("2026-01-02T00:00:00Z gt createdDateTime", true),
            ("completedDateTime eq null", true),
            ("completedDateTime ne null", false),
            ("requestType eq 'unknownFutureValue'", false),
            ("state eq 'unknownFutureValue'", false),
        ] {
            assert_eq!(check(text, ApiVersion::V1, &request), expected, "{text}");
        }
        assert!(check(
            "requestStatus eq 'Delivering'",
            ApiVersion::Beta,
            &request
        ));
        assert!(check("completedDate eq null", ApiVersion::Beta, &request));
    }

    #[test]
    fn hidden_request_types_match_unknown_future_value() {
        let mut request = delivering();
        request.kind = RequestType::ApproverRemove;
        assert!(check(
            "requestType eq 'unknownFutureValue'",
            ApiVersion::V1,
            &request
        ));
        let opted_in = Filter::parse(
            "requestType eq 'approverRemove'",
            ApiVersion::V1,
            EnumPreference {
                include_unknown_members: true,
                beta_lower_camel: false,
            },
        )
        .unwrap();
        assert!(opted_in.matches(&FilterFacts {
            request: &request,
            access_package_id: PACKAGE,
        }));
    }

    #[test]
    fn malformed_or_unsupported_filters_are_refused() {
        for text in [
            "",
            "status",
            "status eq",
            "status eq 'Delivering",
            "(status eq 'Delivering'",
            "status eq 'Delivering')",
            "status has 'Delivering'",
            "startswith(status, 'Del')",
            "color eq 'red'",
            "status gt 'Delivering'",
            "status eq 3",
            "createdDateTime eq 'yesterday'",
            "'a' eq 'b'",
            "status eq status",
            "status in 'Denied'",
            "status in ('Denied'",
            "state eq 'sideways'",
            "status eq 'Delivering' and",
            "requestStatus eq 'Delivering'",
        ] {
            assert!(
                Filter::parse(text, ApiVersion::V1, EnumPreference::default()).is_err(),
                "{text}"
            );
        }
        let deep = format!("{}status eq 'Denied'{}", "(".repeat(40), ")".repeat(40));
        assert!(Filter::parse(&deep, ApiVersion::V1, EnumPreference::default()).is_err());
        let nots = format!("{}status eq 'Denied'", "not ".repeat(40));
        assert!(Filter::parse(&nots, ApiVersion::V1, EnumPreference::default()).is_err());
    }

    #[test]
    fn assignments_filter_on_their_own_properties() {
        let request = delivering();
        let assignment = Assignment::apply(
            None,
            entitle_core::AssignmentEvent::DeliveryStarted,
            &request,
            T0,
        )
        .unwrap()
        .assignment;
        let facts = AssignmentFacts {
            assignment: &assignment,
            access_package_id: PACKAGE,
            assignment_policy_id: "policy",
        };
        let check = |text: &str, api| {
            Filter::parse_for(text, api, EnumPreference::default(), Resource::Assignment)
                .unwrap_or_else(|error| panic!("{text}: {error}"))
                .matches_assignment(&facts)
        };
        assert!(check("state eq 'delivering'", ApiVersion::V1));
        assert!(check("assignmentState eq 'Delivering'", ApiVersion::Beta));
        assert!(check(
            &format!("accessPackage/id eq '{PACKAGE}' and assignmentPolicy/id eq 'policy'"),
            ApiVersion::V1
        ));
        assert!(check(
            "targetId eq '00000000-0000-0000-0000-00000000a001'",
            ApiVersion::Beta
        ));
        assert!(check("expiredDateTime eq null", ApiVersion::V1));
        assert!(!check("state in ('delivered', 'expired')", ApiVersion::V1));
        for text in [
            "status eq 'Delivering'",
            "requestType eq 'userAdd'",
            "state eq 'sideways'",
        ] {
            assert!(
                Filter::parse_for(
                    text,
                    ApiVersion::V1,
                    EnumPreference::default(),
                    Resource::Assignment
                )
                .is_err(),
                "{text}"
            );
        }
        // A filter on one collection never matches rows of the other.
        let on_requests =
            Filter::parse("id ne 'x'", ApiVersion::V1, EnumPreference::default()).unwrap();
        assert!(!on_requests.matches_assignment(&facts));
    }

    #[test]
    fn quotes_double_inside_strings() {
        assert_eq!(
            tokens("id eq 'O''Brien'").unwrap().last(),
            Some(&Token::Text("O'Brien".into()))
        );
    }

    #[test]
    fn statuses_narrow_conjunctions_only_as_far_as_they_are_sure() {
        let parse = |text| Filter::parse(text, ApiVersion::V1, EnumPreference::default()).unwrap();
        assert_eq!(
            parse("status eq 'Denied' and requestType eq 'userAdd'").statuses(),
            Some(vec![RequestStatus::Denied])
        );
        assert_eq!(parse("not (status eq 'Denied')").statuses(), None);
        assert_eq!(
            parse("status eq 'Denied' or requestType eq 'userAdd'").statuses(),
            None
        );
        assert_eq!(
            parse("status eq 'Denied' or state eq 'canceled'")
                .statuses()
                .map(|s| s.len()),
            Some(2)
        );
    }
}
