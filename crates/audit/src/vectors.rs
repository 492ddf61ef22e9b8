//! Conformance vectors: cases derived from entitle-core, for implementations in other languages and for
//! the bindings, which replay every case and must agree with the core case by case (`docs/vectors.md`).
//!
//! The requests are found by walking the lifecycle with the core from a set of submissions, applying
//! every action with the caller the core authorizes for it, at the times where the table's conditions
//! change. Each request is then asked every action by its authorized caller at every boundary of its
//! timed conditions (one millisecond before and at each deadline), and, for a few submissions, every
//! action by every caller of a catalogue of callers. The outcome of each case is the core's answer.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use entitle_core::{
    Action, ActionKind, ApprovalRules, Authority, Caller, Condition, Duration, Guid, InvalidInput,
    Operation, Permission, PolicyRules, Principal, REPROCESS_WINDOW, Rejection, Request, RequestId,
    RequestStatus, RequestType, Role, SubjectId, Submission, TRANSITIONS, Timestamp, Transition,
    VariantArray, authorize,
};
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, REQUESTOR};
use crate::export::table_hash;
use crate::table::LifecycleTable;

/// The name and version of the vector file format.
pub const FORMAT: &str = "entitle-vectors/1";

/// When every request of the vectors is submitted: 2026-01-01T00:00:00Z.
pub const T0: Timestamp = Timestamp(1_767_225_600_000);

/// The id of every request of the vectors.
const REQUEST: RequestId = RequestId::new(Guid::from_u128(0x1001));
/// The administrator who submits the direct assignments, and every caller who is not the requestor.
const SOMEONE_ELSE: SubjectId = SubjectId::new(Guid::from_u128(0x0002));
/// The longest path of actions from a submission to a request of the vectors.
const DEPTH: usize = 6;
/// One hour, in milliseconds: the step between two actions when no deadline is near.
const HOUR: Duration = Duration::hours(1);

/// The whole vector file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vectors {
    /// [`FORMAT`].
    pub format: String,
    /// The entitle version that generated the file.
    pub entitle: String,
    /// The sha256 of the lifecycle table the cases were decided with (as `entitle table` prints it).
    pub table_sha256: String,
    /// How many cases of each kind the file holds.
    pub counts: Counts,
    /// The transition table: a success names its row by its index here.
    pub transitions: Vec<Transition>,
    /// The callers the cases name, by label.
    pub callers: BTreeMap<String, CallerVector>,
    /// The requests the cases start from, by label.
    pub requests: Vec<RequestVector>,
    /// Status strings and what the core's parser makes of them.
    pub parse: Vec<ParseCase>,
    /// Actions asked of a request by a caller at an instant, and the core's outcome.
    pub apply: Vec<ApplyCase>,
}

/// The number of cases in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Parse cases.
    pub parse: usize,
    /// Apply cases.
    pub apply: usize,
    /// Both.
    pub total: usize,
}

/// A caller, spelled for other languages: names instead of bit sets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallerVector {
    /// `workOrSchoolUser`, `personalAccount`, `application` or `system`.
    pub principal: Principal,
    /// The caller's object id.
    pub id: SubjectId,
    /// The Graph permissions the call carries, by their claim names.
    pub permissions: Vec<Permission>,
    /// The roles the caller holds for the request's catalog or the directory.
    pub roles: Vec<Role>,
    /// The approval stages (from 0) whose primary approvers include the caller.
    pub approver_of: Vec<u8>,
    /// The approval stages whose escalation approvers include the caller.
    pub escalation_approver_of: Vec<u8>,
    /// Whether the request's policy lets the caller ask on the target's behalf.
    pub on_behalf_of_target: bool,
}

impl CallerVector {
    /// The caller spelled out.
    pub fn of(caller: &Caller) -> Self {
        Self {
            principal: caller.principal,
            id: caller.id,
            permissions: caller.permissions.iter().collect(),
            roles: caller.roles.iter().collect(),
            approver_of: caller.approver_of.primary.iter().collect(),
            escalation_approver_of: caller.approver_of.escalation.iter().collect(),
            on_behalf_of_target: caller.on_behalf_of_target,
        }
    }

    /// The core's caller.
    pub fn caller(&self) -> Caller {
        let mut caller = Caller::new(self.principal, self.id);
        caller.permissions = self.permissions.iter().copied().collect();
        caller.roles = self.roles.iter().copied().collect();
        caller.approver_of.primary = self.approver_of.iter().copied().collect();
        caller.approver_of.escalation = self.escalation_approver_of.iter().copied().collect();
        caller.on_behalf_of_target = self.on_behalf_of_target;
        caller
    }
}

/// A request the cases start from, and how the core reached it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestVector {
    /// The label cases name it by.
    pub label: String,
    /// The submission it comes from.
    pub submission: String,
    /// The actions that led to it from the submission, each with the instant it was applied.
    pub path: Vec<PathStep>,
    /// When it reached its status.
    pub reached_at: Timestamp,
    /// The request, in the core's JSON.
    pub request: Request,
}

/// One action on the way to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PathStep {
    /// The action.
    pub action: ActionKind,
    /// When it was applied.
    pub at: Timestamp,
}

/// A status string and the core's reading of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParseCase {
    /// The text parsed.
    pub input: String,
    /// Whether the text names a cancelable status (unknown text never does).
    pub cancelable: bool,
    /// The status, or the typed error.
    pub expect: ParseOutcome,
}

/// What a status string parses to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ParseOutcome {
    /// A status, with its canonical spelling.
    Status(RequestStatus),
    /// The core's typed error, as it serializes.
    Error(serde_json::Value),
}

/// An action asked of a request by a caller at an instant, and the core's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyCase {
    /// The label of the request.
    pub request: String,
    /// The action.
    pub action: ActionKind,
    /// The label of the caller.
    pub caller: String,
    /// The current instant, in milliseconds since the Unix epoch.
    pub now: Timestamp,
    /// `now` minus each deadline the request has, in milliseconds: `escalationDue`,
    /// `decisionTimedOut` and `startReached` hold from 0 on; `reprocessWindowEnd` holds up to 0.
    pub relative: BTreeMap<String, i64>,
    /// The outcome.
    pub expect: Outcome,
}

/// What the core decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// The request moved.
    Moved(Moved),
    /// The action was refused: the core's typed rejection, as it serializes.
    Rejected(serde_json::Value),
}

/// A move: where the request went, by which row, on whose authority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Moved {
    /// The status after the action.
    pub status: RequestStatus,
    /// The approval stage after the action.
    pub approval_stage: u8,
    /// The index of the row that decided, in [`Vectors::transitions`].
    pub row: usize,
    /// The rule that let the caller act, as the core serializes it.
    pub authority: serde_json::Value,
}

impl Outcome {
    /// The outcome of `action` by `caller` on `request` at `now`, as the core decides it.
    pub fn of(request: &Request, action: ActionKind, caller: &Caller, now: Timestamp) -> Self {
        match request.apply(&Action::new(action, *caller), now) {
            Ok(step) => Self::Moved(Moved {
                status: step.request.status,
                approval_stage: step.request.approval_stage,
                row: row_index(step.rule),
                authority: to_value(&step.authority),
            }),
            Err(rejection) => Self::Rejected(rejection_value(&rejection)),
        }
    }
}

/// The index of `rule` in [`TRANSITIONS`].
pub fn row_index(rule: &Transition) -> usize {
    TRANSITIONS
        .iter()
        .position(|row| row == rule)
        .unwrap_or(TRANSITIONS.len())
}

fn to_value(value: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// A rejection as it serializes: `{"notAllowed": {…}}`.
pub fn rejection_value(rejection: &Rejection) -> serde_json::Value {
    to_value(rejection)
}

/// An authority as it serializes: `"system"`, `{"ownRequest": "…"}`.
pub fn authority_value(authority: &Authority) -> serde_json::Value {
    to_value(authority)
}

/// Invalid input as it serializes: `{"unknownStatus": {"value": "…"}}`.
pub fn invalid_value(invalid: &InvalidInput) -> serde_json::Value {
    to_value(invalid)
}

/// The offsets of `now` from each deadline `request` has.
pub fn relative(request: &Request, now: Timestamp) -> BTreeMap<String, i64> {
    let mut offsets = BTreeMap::new();
    let offset =
        |at: Timestamp| i64::try_from(i128::from(now.0) - i128::from(at.0)).unwrap_or(i64::MAX);
    for condition in [
        Condition::EscalationDue,
        Condition::DecisionTimedOut,
        Condition::StartReached,
    ] {
        let due = if condition == Condition::StartReached {
            request.starts_at
        } else {
            condition.due_at(request)
        };
        if let Some(at) = due {
            offsets.insert(condition.as_str().to_owned(), offset(at));
        }
    }
    if let Some(first) = request.first_completed_at {
        offsets.insert(
            "reprocessWindowEnd".to_owned(),
            offset(first.after(REPROCESS_WINDOW)),
        );
    }
    offsets
}

/// The actors the walk asks to act, in the order it tries them: the requestor, an approver, an
/// application, an assignment manager, the service.
const WALKERS: [Actor; 5] = [
    Actor::RequestorOwn,
    Actor::Approver,
    Actor::Application,
    Actor::AssignmentManager,
    Actor::System,
];

/// Who performs `action` in the walk: the first of [`WALKERS`] entitle-core authorizes for it on a
/// request `REQUESTOR` submitted (every action has one), with its label.
fn authorized(action: ActionKind) -> (&'static str, Caller) {
    let operation = Operation::Act(action);
    let actor = WALKERS
        .into_iter()
        .find(|actor| authorize(operation, &actor.caller(), actor.parties(operation)).is_ok())
        .unwrap_or(Actor::System);
    (actor.as_str(), actor.caller())
}

/// Every caller the cases name: the auditor's actors, and callers at the edges of each rule.
pub fn callers() -> Vec<(String, Caller)> {
    let mut all: Vec<(String, Caller)> = Actor::VARIANTS
        .iter()
        .map(|actor| (actor.as_str().to_owned(), actor.caller()))
        .collect();
    let user = Caller::user(SOMEONE_ELSE).with_permission(Permission::ReadWriteAll);
    all.extend(
        [
            (
                "requestor-own-readwrite-all",
                Caller::user(REQUESTOR).with_permission(Permission::ReadWriteAll),
            ),
            ("requestor-own-no-permission", Caller::user(REQUESTOR)),
            (
                "requestor-own-read-all",
                Caller::user(REQUESTOR).with_permission(Permission::ReadAll),
            ),
            (
                "requestor-own-administrator",
                Caller::user(REQUESTOR)
                    .with_permission(Permission::ReadWriteAll)
                    .with_role(Role::AccessPackageAssignmentManager),
            ),
            (
                "requestor-own-approver",
                Caller::user(REQUESTOR)
                    .with_permission(Permission::ReadWriteAll)
                    .approving(0)
                    .approving(1)
                    .approving(2),
            ),
            (
                "personal-account",
                Caller::new(Principal::PersonalAccount, REQUESTOR)
                    .with_permission(Permission::SubjectAccessReadWrite),
            ),
            ("user-readwrite-all-no-role", user),
            (
                "administrator-without-readwrite-all",
                Caller::user(SOMEONE_ELSE)
                    .with_permission(Permission::ReadAll)
                    .with_role(Role::CatalogOwner),
            ),
            ("approver-of-stage-0", user.approving(0)),
            ("approver-of-stage-1", user.approving(1)),
            (
                "escalation-approver",
                user.approving_when_escalated(0)
                    .approving_when_escalated(1)
                    .approving_when_escalated(2),
            ),
            (
                "approver-without-readwrite-all",
                Caller::user(SOMEONE_ELSE)
                    .with_permission(Permission::SubjectAccessReadWrite)
                    .approving(0)
                    .approving(1)
                    .approving(2),
            ),
            (
                "application-read-all",
                Caller::application(SOMEONE_ELSE).with_permission(Permission::ReadAll),
            ),
            (
                "application-approver",
                Caller::application(SOMEONE_ELSE)
                    .with_permission(Permission::ReadWriteAll)
                    .approving(0),
            ),
        ]
        .map(|(label, caller)| (label.to_owned(), caller)),
    );
    all
}

/// The submissions the walk starts from, each with a label: `userAdd` requests of every combination of
/// custom extension, approval and scheduled start, one whose single stage escalates after an hour, and
/// direct assignments by an administrator (approval never applies; with the extension, they pause).
fn submissions() -> Vec<(String, Request)> {
    let approvals = [
        ("no approval", None),
        (
            "1 stage, 7-day timeout",
            Some(ApprovalRules {
                stages: 1,
                decision_timeout: Duration::days(7),
                escalate_after: None,
            }),
        ),
        (
            "2 stages, 7-day timeout, escalation after 3 days",
            Some(ApprovalRules {
                stages: 2,
                decision_timeout: Duration::days(7),
                escalate_after: Some(Duration::days(3)),
            }),
        ),
    ];
    let starts = [
        ("no start", None),
        ("start +5 days", Some(T0.after(Duration::days(5)))),
    ];
    let mut all = Vec::new();
    for callout_on_created in [false, true] {
        for (approval_label, approval) in approvals {
            for (start_label, starts_at) in starts {
                let rules = PolicyRules {
                    approval,
                    callout_on_created,
                };
                if let Ok(request) = Request::submit(REQUEST, REQUESTOR, rules, starts_at, T0) {
                    let callout = if callout_on_created {
                        "custom extension"
                    } else {
                        "no custom extension"
                    };
                    all.push((
                        format!("userAdd, {callout}, {approval_label}, {start_label}"),
                        request,
                    ));
                }
            }
        }
    }
    let quick = PolicyRules {
        approval: Some(ApprovalRules {
            stages: 1,
            decision_timeout: Duration::days(7),
            escalate_after: Some(HOUR),
        }),
        callout_on_created: false,
    };
    if let Ok(request) = Request::submit(
        REQUEST,
        REQUESTOR,
        quick,
        Some(T0.after(Duration::days(5))),
        T0,
    ) {
        all.push((
            "userAdd, no custom extension, 1 stage, 7-day timeout, escalation after 1 hour, start +5 days"
                .to_owned(),
            request,
        ));
    }
    let administrator = Actor::AssignmentManager.caller();
    for callout_on_created in [false, true] {
        let submission = Submission {
            id: REQUEST,
            kind: RequestType::AdminAdd,
            target: Some(REQUESTOR),
            assignment: None,
            rules: PolicyRules {
                approval: approvals[2].1,
                callout_on_created,
            },
            starts_at: None,
            ends_at: None,
            lasts: None,
        };
        if let Ok(created) = Request::create(&submission, &administrator, None, T0) {
            let callout = if callout_on_created {
                "custom extension"
            } else {
                "no custom extension"
            };
            all.push((
                format!("adminAdd by an assignment manager, {callout}, 2 stages"),
                created.request,
            ));
        }
    }
    all
}

/// The instants at which the table's conditions for `request` change, from `since` on: one
/// millisecond before and at each deadline, after the end of the reprocess window, and `since` plus an
/// hour.
fn boundaries(request: &Request, since: Timestamp) -> Vec<Timestamp> {
    let mut times = BTreeSet::from([since.after(HOUR)]);
    let mut edge = |at: Timestamp| {
        for time in [Timestamp(at.0.saturating_sub(1)), at] {
            if time >= since {
                times.insert(time);
            }
        }
    };
    for condition in [Condition::EscalationDue, Condition::DecisionTimedOut] {
        if let Some(at) = condition.due_at(request) {
            edge(at);
        }
    }
    if let Some(start) = request.starts_at {
        edge(start);
    }
    if let Some(first) = request.first_completed_at {
        let end = first.after(REPROCESS_WINDOW);
        edge(end.after(Duration(1)));
    }
    times.into_iter().collect()
}

/// What makes two requests of one submission different for the vectors.
type Signature = (usize, RequestStatus, u8, bool, bool);

fn signature(submission: usize, request: &Request) -> Signature {
    let escalated = request
        .stage(request.approval_stage)
        .is_some_and(|stage| stage.escalated);
    let reprocessed = request.first_completed_at.is_some() && request.completed_at.is_none();
    (
        submission,
        request.status,
        request.approval_stage,
        escalated,
        reprocessed,
    )
}

/// The requests of the vectors: breadth first from each submission, the first request reached of each
/// signature, with the path that reached it.
fn walk() -> Vec<RequestVector> {
    let mut found = Vec::new();
    for (index, (label, submitted)) in submissions().into_iter().enumerate() {
        let mut seen = BTreeSet::from([signature(index, &submitted)]);
        let mut queue = VecDeque::from([(submitted, T0, Vec::new())]);
        while let Some((request, reached_at, path)) = queue.pop_front() {
            found.push(RequestVector {
                label: String::new(),
                submission: label.clone(),
                path: path.clone(),
                reached_at,
                request,
            });
            if path.len() >= DEPTH {
                continue;
            }
            for &action in ActionKind::VARIANTS {
                let (_, caller) = authorized(action);
                for now in boundaries(&request, reached_at) {
                    let Ok(step) = request.apply(&Action::new(action, caller), now) else {
                        continue;
                    };
                    if seen.insert(signature(index, &step.request)) {
                        let mut next = path.clone();
                        next.push(PathStep { action, at: now });
                        queue.push_back((step.request, now, next));
                    }
                }
            }
        }
    }
    for (index, vector) in found.iter_mut().enumerate() {
        vector.label = format!("r{index}");
    }
    found
}

/// The submissions whose requests are asked their actions by every caller.
const EVERY_CALLER: [&str; 3] = [
    "userAdd, no custom extension, 2 stages, 7-day timeout, escalation after 3 days, no start",
    "userAdd, custom extension, no approval, start +5 days",
    "adminAdd by an assignment manager, custom extension, 2 stages",
];

/// The status strings of the parse cases: every spelling the parser accepts for every status (as
/// written, lower case, upper case, each alias), and text it refuses.
fn spellings() -> Vec<String> {
    let mut texts = Vec::new();
    for &status in RequestStatus::VARIANTS {
        let names = std::iter::once(status.as_str()).chain(status.aliases().iter().copied());
        for name in names {
            for text in [name.to_owned(), name.to_lowercase(), name.to_uppercase()] {
                if !texts.contains(&text) {
                    texts.push(text);
                }
            }
        }
    }
    texts.extend(
        [
            "",
            "pending",
            "Approved",
            "Submitted",
            "Scheduled",
            "unknownFutureValue",
            "Canceledd",
            " Accepted",
            "Accepted ",
            "Pending Approval",
            "pending_approval",
            "Ac\u{0}cepted",
            "Cancelléd",
        ]
        .map(str::to_owned),
    );
    texts
}

/// Every vector, decided by the core.
pub fn generate(version: &str) -> Vectors {
    let parse: Vec<ParseCase> = spellings()
        .into_iter()
        .map(|input| ParseCase {
            cancelable: RequestStatus::is_cancelable_str(&input),
            expect: match RequestStatus::parse(&input) {
                Ok(status) => ParseOutcome::Status(status),
                Err(error) => ParseOutcome::Error(invalid_value(&error)),
            },
            input,
        })
        .collect();
    let callers = callers();
    let requests = walk();
    let mut apply = Vec::new();
    let mut asked = BTreeSet::new();
    let mut case =
        |request: &RequestVector, action: ActionKind, label: &str, caller: &Caller, now| {
            if asked.insert((request.label.clone(), action, label.to_owned(), now)) {
                apply.push(ApplyCase {
                    request: request.label.clone(),
                    action,
                    caller: label.to_owned(),
                    now,
                    relative: relative(&request.request, now),
                    expect: Outcome::of(&request.request, action, caller, now),
                });
            }
        };
    let mut graded = BTreeSet::new();
    for request in &requests {
        let status = request.request.status;
        let has_rows = |action: ActionKind| !entitle_core::rows(status, action).is_empty();
        let times = boundaries(&request.request, request.reached_at);
        let base = request.reached_at.after(HOUR);
        for &action in ActionKind::VARIANTS {
            let (label, caller) = authorized(action);
            for &now in &times {
                if now == base || has_rows(action) {
                    case(request, action, label, &caller, now);
                }
            }
        }
        // Authorization never looks at the status: every caller is asked every action of one
        // request, then, for each status, stage and escalation, the actions with rows from it.
        if !EVERY_CALLER.contains(&request.submission.as_str()) {
            continue;
        }
        let first = graded.is_empty();
        let (_, status, stage, escalated, _) = signature(0, &request.request);
        if !graded.insert((status, stage, escalated)) {
            continue;
        }
        for &action in ActionKind::VARIANTS {
            if first || has_rows(action) {
                for (label, caller) in &callers {
                    case(request, action, label, caller, base);
                }
            }
        }
    }
    Vectors {
        format: FORMAT.to_owned(),
        entitle: version.to_owned(),
        table_sha256: table_hash(&LifecycleTable::builtin()),
        counts: Counts {
            parse: parse.len(),
            apply: apply.len(),
            total: parse.len() + apply.len(),
        },
        transitions: TRANSITIONS.to_vec(),
        callers: callers
            .iter()
            .map(|(label, caller)| (label.clone(), CallerVector::of(caller)))
            .collect(),
        requests,
        parse,
        apply,
    }
}

impl Vectors {
    /// The file's text: JSON with one case, caller or request per line, ending with a newline.
    pub fn to_json(&self) -> String {
        let line = |value: &dyn erased::Line| value.line();
        let mut out = String::from("{\n");
        let scalar = |key: &str, value: String| format!("  \"{key}\": {value},\n");
        out.push_str(&scalar("format", line(&self.format)));
        out.push_str(&scalar("entitle", line(&self.entitle)));
        out.push_str(&scalar("tableSha256", line(&self.table_sha256)));
        out.push_str(&scalar("counts", line(&self.counts)));
        let list = |key: &str, items: Vec<String>, last: bool| {
            format!(
                "  \"{key}\": [\n    {}\n  ]{}\n",
                items.join(",\n    "),
                if last { "" } else { "," }
            )
        };
        out.push_str(&list(
            "transitions",
            self.transitions.iter().map(|row| line(row)).collect(),
            false,
        ));
        let callers: Vec<String> = self
            .callers
            .iter()
            .map(|(label, caller)| format!("{}: {}", line(label), line(caller)))
            .collect();
        out.push_str("  \"callers\": {\n    ");
        out.push_str(&callers.join(",\n    "));
        out.push_str("\n  },\n");
        out.push_str(&list(
            "requests",
            self.requests.iter().map(|request| line(request)).collect(),
            false,
        ));
        out.push_str(&list(
            "parse",
            self.parse.iter().map(|case| line(case)).collect(),
            false,
        ));
        out.push_str(&list(
            "apply",
            self.apply.iter().map(|case| line(case)).collect(),
            true,
        ));
        out.push_str("}\n");
        out
    }
}

/// One-line JSON of any serializable value.
mod erased {
    pub(super) trait Line {
        fn line(&self) -> String;
    }

    impl<T: serde::Serialize> Line for T {
        fn line(&self) -> String {
            serde_json::to_string(self).unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_is_the_json_of_the_vectors() {
        let vectors = generate("test");
        let text = vectors.to_json();
        let read: Vectors = serde_json::from_str(&text).unwrap();
        assert_eq!(read, vectors);
        assert_eq!(vectors.counts.apply, vectors.apply.len());
    }

    #[test]
    fn callers_round_trip_through_their_spelling() {
        for (_, caller) in callers() {
            assert_eq!(CallerVector::of(&caller).caller(), caller);
        }
    }
}
