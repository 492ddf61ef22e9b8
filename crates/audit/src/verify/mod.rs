//! Structural checks over a lifecycle table, each with a counterexample when it fails.
//!
//! A table is loaded data and may be broken in any way, so the checks never panic: whatever they find
//! goes into the [`Report`]. Each [`CheckOutcome`]'s message names every problem the check found; its
//! counterexample illustrates the first one, usually as the shortest path from `Accepted` (where every
//! request starts) to the offending status, followed by the offending row.
//!
//! ## What the graph checks assume
//!
//! Conditions are treated as satisfiable: a row is a possible move whatever its `when`. This
//! over-approximates what a request can do (a status reachable only through conditions that never
//! hold together still counts as reachable), so `reachable` and `no-dead-ends` can miss a problem
//! hidden behind contradictory conditions, but they never report one that is not in the table.
//! Rows that can never apply under first-matching-row semantics (after an `always` row of their
//! group, or repeating an earlier row's condition) are not moves; `totality` reports them.
//!
//! Shortest paths come from a breadth-first search from `Accepted` that tries rows in table order,
//! so counterexamples are stable for a given table.
//!
//! ## The assignment table
//!
//! The assignment's table is checked the same way, from the row that creates the assignment (from
//! `(none)`), with its own rows' conditions treated as satisfiable. `assignment-follows-requests`
//! and `request-types` walk both tables together: for each request type, the request table's rows
//! (conditions satisfiable) from `Accepted`, each row causing on the request's assignment the event
//! entitle-core's `AssignmentEvent::caused_by` names, which the assignment table must then allow
//! from the state the path left the assignment in. An adding request starts without an assignment;
//! a change or a removal starts from each state reachable from creation that the assignment table
//! lets it act on (as submission checks). Events the assignment's schedule causes on its own are
//! not followed: they are not the request's.

use core::fmt::{self, Write as _};
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use entitle_core::{
    ActionKind, AssignmentCondition, AssignmentEvent, AssignmentState, AssignmentTransition,
    Condition, Operation, RequestStatus, Transition, VariantArray,
};
use serde::{Serialize, Serializer};

use crate::actor::Actor;
use crate::table::LifecycleTable;

mod assignment;
mod rows;

use assignment::AssignmentAnalysis;
use rows::{RowScan, describe_row, scan_rows};

/// A structural check, in the order [`verify`] runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, VariantArray)]
pub enum Check {
    /// Every status and action resolves through a well-formed decision list.
    Totality,
    /// Every status is reachable from `Accepted`.
    Reachable,
    /// No row leaves a status marked terminal.
    TerminalAbsorbs,
    /// Every reachable status can finish, and every status without exits is marked terminal.
    NoDeadEnds,
    /// `cancel` is allowed from exactly the documented statuses and leads to `Canceled`.
    CancelSet,
    /// Authorization never depends on the request's status.
    AuthorityIgnoresStatus,
    /// Every request type is listed once, and may be deleted only once completed and never after it
    /// created an assignment.
    RequestTypes,
    /// Every assignment state is listed once, and every assignment row names listed states and can
    /// apply.
    AssignmentRows,
    /// Exactly one row creates the assignment.
    AssignmentCreation,
    /// Every assignment state is reachable from creation.
    AssignmentReachable,
    /// The assignment states marked terminal are exactly those no row leaves.
    AssignmentTerminal,
    /// Every assignment state reachable from creation can reach a terminal state.
    AssignmentNoDeadEnds,
    /// Every assignment event a request causes has a row from the state its path leaves the
    /// assignment in.
    AssignmentFollowsRequests,
}

impl Check {
    /// The check's name in reports and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Totality => "totality",
            Self::Reachable => "reachable",
            Self::TerminalAbsorbs => "terminal-absorbs",
            Self::NoDeadEnds => "no-dead-ends",
            Self::CancelSet => "cancel-set",
            Self::AuthorityIgnoresStatus => "authority-ignores-status",
            Self::RequestTypes => "request-types",
            Self::AssignmentRows => "assignment-rows",
            Self::AssignmentCreation => "assignment-creation",
            Self::AssignmentReachable => "assignment-reachable",
            Self::AssignmentTerminal => "assignment-terminal",
            Self::AssignmentNoDeadEnds => "assignment-no-dead-ends",
            Self::AssignmentFollowsRequests => "assignment-follows-requests",
        }
    }

    /// One sentence saying what the check requires.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Totality => {
                "every (status, action) pair resolves: its rows name only listed statuses, none \
                 repeats an earlier row's condition and none follows an unconditional row"
            }
            Self::Reachable => {
                "every listed status is reachable from `Accepted`, treating every condition as \
                 satisfiable"
            }
            Self::TerminalAbsorbs => "no row leaves a status marked terminal",
            Self::NoDeadEnds => {
                "every non-terminal status reachable from `Accepted` can reach a terminal status, \
                 and every status without outgoing rows is marked terminal"
            }
            Self::CancelSet => {
                "`cancel` is allowed, unconditionally, from exactly `Accepted`, `PendingApproval`, \
                 `PendingNotBefore` and `PendingApprovalEscalated`, and always leads to `Canceled`"
            }
            Self::AuthorityIgnoresStatus => {
                "every actor and operation is listed once and authorized in every status or in none"
            }
            Self::RequestTypes => {
                "every request type is listed once, and its requests may be deleted only from \
                 completed statuses, and never from one in which they created an assignment"
            }
            Self::AssignmentRows => {
                "every assignment state is listed once, and every assignment row names only listed \
                 states, repeats no earlier row's condition and follows no unconditional row"
            }
            Self::AssignmentCreation => "exactly one row creates the assignment (from `(none)`)",
            Self::AssignmentReachable => {
                "every listed assignment state is reachable from creation, treating every \
                 condition as satisfiable"
            }
            Self::AssignmentTerminal => {
                "no row leaves an assignment state marked terminal, and every state without \
                 outgoing rows is marked terminal"
            }
            Self::AssignmentNoDeadEnds => {
                "every assignment state reachable from creation can reach a terminal state"
            }
            Self::AssignmentFollowsRequests => {
                "every event a request of each type causes on its assignment along the request \
                 table has a row from the state its path left the assignment in, and every change \
                 or removal applies to some assignment state reachable from creation"
            }
        }
    }

    /// Parses a check name as written by [`as_str`](Self::as_str), ignoring ASCII case.
    pub fn parse(text: &str) -> Option<Self> {
        Self::VARIANTS
            .iter()
            .copied()
            .find(|check| check.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Check {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One row of a counterexample: a move from one status to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PathStep {
    /// The status the request is in.
    pub from: RequestStatus,
    /// The action performed.
    pub action: ActionKind,
    /// The condition of the row taken.
    pub when: Condition,
    /// The status the request moves to.
    pub to: RequestStatus,
}

impl From<&Transition> for PathStep {
    fn from(row: &Transition) -> Self {
        Self {
            from: row.from,
            action: row.action,
            when: row.when,
            to: row.to,
        }
    }
}

impl fmt::Display for PathStep {
    /// `Accepted --process [always]--> Delivering`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} --{} [{}]--> {}",
            self.from,
            self.action,
            self.when.as_str(),
            self.to
        )
    }
}

/// One row of a counterexample in the assignment's table: a move from one state to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentPathStep {
    /// The state the assignment is in, or `None` before it exists.
    pub from: Option<AssignmentState>,
    /// The event.
    pub event: AssignmentEvent,
    /// The condition of the row taken.
    pub when: AssignmentCondition,
    /// The state the assignment moves to.
    pub to: AssignmentState,
}

impl From<&AssignmentTransition> for AssignmentPathStep {
    fn from(row: &AssignmentTransition) -> Self {
        Self {
            from: row.from,
            event: row.event,
            when: row.when,
            to: row.to,
        }
    }
}

impl fmt::Display for AssignmentPathStep {
    /// `(none) --deliveryStarted [always]--> delivering`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.from {
            Some(state) => write!(f, "{state}")?,
            None => f.write_str("(none)")?,
        }
        write!(
            f,
            " --{} [{}]--> {}",
            self.event,
            self.when.as_str(),
            self.to
        )
    }
}

/// One step of a counterexample: a row of the request's table or of the assignment's. In JSON, the
/// step's fields alone: a request step has an `action`, an assignment step an `event`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Step {
    /// A request transition.
    Request(PathStep),
    /// An assignment transition.
    Assignment(AssignmentPathStep),
}

impl Step {
    /// The request transition, if the step is one.
    pub const fn request(&self) -> Option<&PathStep> {
        match self {
            Self::Request(step) => Some(step),
            Self::Assignment(_) => None,
        }
    }

    /// The assignment transition, if the step is one.
    pub const fn assignment(&self) -> Option<&AssignmentPathStep> {
        match self {
            Self::Assignment(step) => Some(step),
            Self::Request(_) => None,
        }
    }
}

impl From<PathStep> for Step {
    fn from(step: PathStep) -> Self {
        Self::Request(step)
    }
}

impl From<AssignmentPathStep> for Step {
    fn from(step: AssignmentPathStep) -> Self {
        Self::Assignment(step)
    }
}

impl From<&Transition> for Step {
    fn from(row: &Transition) -> Self {
        Self::Request(PathStep::from(row))
    }
}

impl From<&AssignmentTransition> for Step {
    fn from(row: &AssignmentTransition) -> Self {
        Self::Assignment(AssignmentPathStep::from(row))
    }
}

impl fmt::Display for Step {
    /// A request step as [`PathStep`] shows it; an assignment step after `assignment `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Request(step) => step.fmt(f),
            Self::Assignment(step) => write!(f, "assignment {step}"),
        }
    }
}

/// The result of one check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckOutcome {
    /// The check.
    pub check: Check,
    /// Whether the table passed it.
    pub passed: bool,
    /// On failure every problem found, separated by `; `; on success a one-line summary.
    pub message: String,
    /// Rows illustrating the first problem, usually a path from `Accepted` (or, for the assignment,
    /// from its creation); empty on success.
    pub counterexample: Vec<Step>,
}

/// How far [`verify`] has got: `done` of `total` checks. `total` never changes during a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Progress {
    /// Checks finished.
    pub done: usize,
    /// Checks to run.
    pub total: usize,
}

/// The outcome of every check, in [`Check`] order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// One outcome per check.
    pub outcomes: Vec<CheckOutcome>,
}

/// The JSON shape of a [`Report`]: the overall verdict, then the outcomes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportJson<'a> {
    passed: bool,
    outcomes: &'a [CheckOutcome],
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ReportJson {
            passed: self.passed(),
            outcomes: &self.outcomes,
        }
        .serialize(serializer)
    }
}

impl Report {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.outcomes.iter().all(|outcome| outcome.passed)
    }

    /// The checks that failed, in order.
    pub fn failed(&self) -> Vec<Check> {
        self.outcomes
            .iter()
            .filter(|outcome| !outcome.passed)
            .map(|outcome| outcome.check)
            .collect()
    }

    /// The outcome of `check`, if it ran.
    pub fn outcome(&self, check: Check) -> Option<&CheckOutcome> {
        self.outcomes.iter().find(|outcome| outcome.check == check)
    }

    /// One line per check, `PASS reachable: …` or `FAIL cancel-set: …`, each failure followed by its
    /// counterexample rows indented by two spaces.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for outcome in &self.outcomes {
            let verdict = if outcome.passed { "PASS" } else { "FAIL" };
            let _ = writeln!(out, "{verdict} {}: {}", outcome.check, outcome.message);
            for step in &outcome.counterexample {
                let _ = writeln!(out, "  {step}");
            }
        }
        out
    }

    /// Pretty JSON, ending with a newline: `{"passed": …, "outcomes": [...]}`.
    pub fn to_json(&self) -> String {
        // Serializing plain data with derived impls into a string cannot fail.
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }
}

/// Runs every check on `table`, calling `progress` before the first and after each one.
pub fn verify(table: &LifecycleTable, progress: &mut dyn FnMut(Progress)) -> Report {
    let analysis = Analysis::new(table);
    let assignment = AssignmentAnalysis::new(table, &analysis.live);
    let total = Check::VARIANTS.len();
    progress(Progress { done: 0, total });
    let mut outcomes = Vec::with_capacity(total);
    for (index, &check) in Check::VARIANTS.iter().enumerate() {
        outcomes.push(run(check, &analysis, &assignment));
        progress(Progress {
            done: index.saturating_add(1),
            total,
        });
    }
    Report { outcomes }
}

/// Runs one check with the analyses of both tables.
fn run(check: Check, requests: &Analysis<'_>, assignment: &AssignmentAnalysis<'_>) -> CheckOutcome {
    match check {
        Check::Totality => requests.totality(),
        Check::Reachable => requests.reachable(),
        Check::TerminalAbsorbs => requests.terminal_absorbs(),
        Check::NoDeadEnds => requests.no_dead_ends(),
        Check::CancelSet => requests.cancel_set(),
        Check::AuthorityIgnoresStatus => requests.authority_ignores_status(),
        Check::RequestTypes => assignment.request_types(),
        Check::AssignmentRows => assignment.rows(),
        Check::AssignmentCreation => assignment.creation(),
        Check::AssignmentReachable => assignment.reachable(),
        Check::AssignmentTerminal => assignment.terminal(),
        Check::AssignmentNoDeadEnds => assignment.no_dead_ends(),
        Check::AssignmentFollowsRequests => assignment.follows_requests(),
    }
}

/// Something a check found wrong, with the rows that show it.
#[derive(Clone)]
struct Problem {
    message: String,
    counterexample: Vec<Step>,
}

impl Problem {
    fn new(message: String, counterexample: Vec<Step>) -> Self {
        Self {
            message,
            counterexample,
        }
    }
}

/// The outcome of `check`: passed with `summary` when nothing was found.
fn outcome(check: Check, summary: String, problems: Vec<Problem>) -> CheckOutcome {
    let mut problems = problems.into_iter();
    let Some(first) = problems.next() else {
        return CheckOutcome {
            check,
            passed: true,
            message: summary,
            counterexample: Vec::new(),
        };
    };
    let mut message = first.message;
    for problem in problems {
        message.push_str("; ");
        message.push_str(&problem.message);
    }
    CheckOutcome {
        check,
        passed: false,
        message,
        counterexample: first.counterexample,
    }
}

/// Statuses as a message fragment: `` `Accepted`, `Delivering` ``.
fn names(statuses: &[RequestStatus]) -> String {
    let quoted: Vec<String> = statuses
        .iter()
        .map(|status| format!("`{status}`"))
        .collect();
    quoted.join(", ")
}

/// What every check needs to know about a table, computed once.
struct Analysis<'a> {
    table: &'a LifecycleTable,
    /// The listed statuses, each once, in table order.
    listed: Vec<RequestStatus>,
    /// Rows that can apply under some condition, in table order.
    live: Vec<&'a Transition>,
    /// Repeated and dead rows.
    row_problems: Vec<Problem>,
    /// Every status reachable from `Accepted`, with the live row it was first reached by (`None` for
    /// `Accepted` itself): a breadth-first tree, so following it back gives a shortest path.
    reached: BTreeMap<RequestStatus, Option<&'a Transition>>,
}

impl<'a> Analysis<'a> {
    fn new(table: &'a LifecycleTable) -> Self {
        let mut listed = Vec::new();
        for entry in &table.statuses {
            if !listed.contains(&entry.status) {
                listed.push(entry.status);
            }
        }
        let RowScan { live, problems } = scan_rows(table.transitions.as_slice());
        let mut reached = BTreeMap::new();
        reached.insert(RequestStatus::Accepted, None);
        let mut queue = VecDeque::from([RequestStatus::Accepted]);
        while let Some(status) = queue.pop_front() {
            for &row in live.iter().filter(|row| row.from == status) {
                if let Entry::Vacant(slot) = reached.entry(row.to) {
                    slot.insert(Some(row));
                    queue.push_back(row.to);
                }
            }
        }
        Self {
            table,
            listed,
            live,
            row_problems: problems,
            reached,
        }
    }

    fn is_listed(&self, status: RequestStatus) -> bool {
        self.listed.contains(&status)
    }

    /// Whether the (first) entry of `status` marks it terminal.
    fn is_terminal(&self, status: RequestStatus) -> bool {
        self.table
            .status(status)
            .is_some_and(|entry| entry.terminal)
    }

    /// Every row from `status`, live or not, in table order.
    fn exits(&self, status: RequestStatus) -> Vec<&'a Transition> {
        self.table
            .transitions
            .iter()
            .filter(|row| row.from == status)
            .collect()
    }

    /// A shortest path from `Accepted` to `status`, or `None` when `status` is unreachable.
    fn path_to(&self, status: RequestStatus) -> Option<Vec<Step>> {
        let mut steps = Vec::new();
        let mut current = status;
        while let Some(row) = self.reached.get(&current)? {
            steps.push(Step::from(*row));
            current = row.from;
            // The tree has no cycles; this only bounds the walk should that ever change.
            if steps.len() > self.reached.len() {
                return None;
            }
        }
        steps.reverse();
        Some(steps)
    }

    /// A shortest path from `Accepted` to `row.from` (empty when unreachable), then `row`.
    fn path_through(&self, row: Transition) -> Vec<Step> {
        let mut steps = self.path_to(row.from).unwrap_or_default();
        steps.push(Step::from(&row));
        steps
    }

    fn totality(&self) -> CheckOutcome {
        let mut problems = Vec::new();
        for (index, entry) in self.table.statuses.iter().enumerate() {
            let repeated = self
                .table
                .statuses
                .iter()
                .take(index)
                .any(|other| other.status == entry.status);
            if repeated {
                problems.push(Problem::new(
                    format!("status `{}` is listed more than once", entry.status),
                    Vec::new(),
                ));
            }
        }
        for (index, row) in self.table.transitions.iter().enumerate() {
            let mut named = vec![row.from];
            if row.to != row.from {
                named.push(row.to);
            }
            for status in named.into_iter().filter(|&status| !self.is_listed(status)) {
                problems.push(Problem::new(
                    format!(
                        "{} names `{status}`, which the table does not list",
                        describe_row(index, row)
                    ),
                    vec![Step::from(row)],
                ));
            }
        }
        problems.extend(self.row_problems.iter().cloned());
        let summary = format!(
            "every pair of the {} statuses and {} actions resolves: {} rows, none repeated or dead",
            self.listed.len(),
            ActionKind::VARIANTS.len(),
            self.table.transitions.len()
        );
        outcome(Check::Totality, summary, problems)
    }

    fn reachable(&self) -> CheckOutcome {
        let mut problems = Vec::new();
        if !self.is_listed(RequestStatus::Accepted) {
            problems.push(Problem::new(
                "the table does not list `Accepted`, where every request starts".to_owned(),
                Vec::new(),
            ));
        }
        let unreachable: Vec<RequestStatus> = self
            .listed
            .iter()
            .copied()
            .filter(|status| !self.reached.contains_key(status))
            .collect();
        match unreachable.len() {
            0 => {}
            1 => problems.push(Problem::new(
                format!("{} is not reachable from `Accepted`", names(&unreachable)),
                Vec::new(),
            )),
            _ => problems.push(Problem::new(
                format!("{} are not reachable from `Accepted`", names(&unreachable)),
                Vec::new(),
            )),
        }
        let summary = format!(
            "all {} statuses are reachable from `Accepted`",
            self.listed.len()
        );
        outcome(Check::Reachable, summary, problems)
    }

    fn terminal_absorbs(&self) -> CheckOutcome {
        let terminal: Vec<RequestStatus> = self
            .listed
            .iter()
            .copied()
            .filter(|&status| self.is_terminal(status))
            .collect();
        let mut problems = Vec::new();
        for &status in &terminal {
            let exits = self.exits(status);
            let Some(first) = exits.first() else {
                continue;
            };
            let mut actions: Vec<String> = Vec::new();
            for row in &exits {
                let action = format!("`{}`", row.action);
                if !actions.contains(&action) {
                    actions.push(action);
                }
            }
            let leave = match exits.len() {
                1 => "a row leaves it".to_owned(),
                count => format!("{count} rows leave it"),
            };
            problems.push(Problem::new(
                format!(
                    "`{status}` is marked terminal but {leave} ({})",
                    actions.join(", ")
                ),
                self.path_through(**first),
            ));
        }
        let summary = if terminal.is_empty() {
            "no status is marked terminal".to_owned()
        } else {
            format!(
                "no row leaves the {} terminal statuses ({})",
                terminal.len(),
                names(&terminal)
            )
        };
        outcome(Check::TerminalAbsorbs, summary, problems)
    }

    fn no_dead_ends(&self) -> CheckOutcome {
        // Statuses from which some terminal status can be reached: a backward fixpoint over live rows.
        let mut can_finish: BTreeSet<RequestStatus> = self
            .listed
            .iter()
            .copied()
            .filter(|&status| self.is_terminal(status))
            .collect();
        // Every round that changes anything adds a status, so `listed.len()` rounds reach the fixpoint.
        for _ in 0..=self.listed.len() {
            let before = can_finish.len();
            for row in &self.live {
                if can_finish.contains(&row.to) {
                    can_finish.insert(row.from);
                }
            }
            if can_finish.len() == before {
                break;
            }
        }
        let mut problems = Vec::new();
        for &status in &self.listed {
            if self.is_terminal(status) {
                continue;
            }
            if self.exits(status).is_empty() {
                problems.push(Problem::new(
                    format!("`{status}` has no outgoing rows but is not marked terminal"),
                    self.path_to(status).unwrap_or_default(),
                ));
            } else if !can_finish.contains(&status) {
                // Only reachable statuses matter here: `reachable` reports the others.
                if let Some(path) = self.path_to(status) {
                    problems.push(Problem::new(
                        format!("`{status}` is reachable but cannot reach a terminal status"),
                        path,
                    ));
                }
            }
        }
        let summary = "every non-terminal status reachable from `Accepted` can reach a terminal \
                       status, and every status without outgoing rows is terminal"
            .to_owned();
        outcome(Check::NoDeadEnds, summary, problems)
    }

    fn cancel_set(&self) -> CheckOutcome {
        let documented = RequestStatus::DOCUMENTED_CANCELABLE;
        // The listed statuses, then any other the rows or the documentation name.
        let mut statuses = self.listed.clone();
        statuses.extend(
            RequestStatus::VARIANTS
                .iter()
                .copied()
                .filter(|status| !self.listed.contains(status)),
        );
        let mut problems = Vec::new();
        for status in statuses {
            let rows: Vec<(usize, &Transition)> = self
                .table
                .transitions
                .iter()
                .enumerate()
                .filter(|(_, row)| row.from == status && row.action == ActionKind::Cancel)
                .collect();
            let is_documented = documented.contains(&status);
            match rows.first() {
                None if is_documented => problems.push(Problem::new(
                    format!(
                        "cancel is not allowed from `{status}`, which is documented as cancelable"
                    ),
                    self.path_to(status).unwrap_or_default(),
                )),
                Some((_, first)) if !is_documented => problems.push(Problem::new(
                    format!(
                        "cancel is allowed from `{status}`, which is not documented as cancelable"
                    ),
                    self.path_through(**first),
                )),
                Some((_, first)) if rows.iter().all(|(_, row)| row.when != Condition::Always) => {
                    let conditions: Vec<&str> =
                        rows.iter().map(|(_, row)| row.when.as_str()).collect();
                    problems.push(Problem::new(
                        format!(
                            "cancel from `{status}` is allowed only if `{}`",
                            conditions.join("` or `")
                        ),
                        self.path_through(**first),
                    ));
                }
                None | Some(_) => {}
            }
            for (index, row) in rows {
                if row.to != RequestStatus::Canceled {
                    problems.push(Problem::new(
                        format!(
                            "{} cancels from `{status}` into `{}`, not `Canceled`",
                            describe_row(index, row),
                            row.to
                        ),
                        self.path_through(*row),
                    ));
                }
            }
        }
        let summary = format!(
            "cancel is allowed exactly from {}, unconditionally, and leads to `Canceled`",
            names(&documented)
        );
        outcome(Check::CancelSet, summary, problems)
    }

    fn authority_ignores_status(&self) -> CheckOutcome {
        let mut problems = Vec::new();
        for entry in &self.table.authority {
            let who = format!("`{}` `{}`", entry.actor, entry.operation);
            let unlisted: Vec<RequestStatus> = entry
                .authorized_in
                .iter()
                .copied()
                .filter(|&status| !self.is_listed(status))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            if !unlisted.is_empty() {
                problems.push(Problem::new(
                    format!(
                        "{who} is authorized in {}, which the table does not list",
                        names(&unlisted)
                    ),
                    Vec::new(),
                ));
            }
            if entry.authorized_in.is_empty() {
                continue;
            }
            let (allowed, refused): (Vec<RequestStatus>, Vec<RequestStatus>) = self
                .listed
                .iter()
                .copied()
                .partition(|status| entry.authorized_in.contains(status));
            if !refused.is_empty() {
                problems.push(Problem::new(
                    format!(
                        "{who} depends on the status: authorized in {} but not in {}",
                        if allowed.is_empty() {
                            "no listed status".to_owned()
                        } else {
                            names(&allowed)
                        },
                        names(&refused)
                    ),
                    Vec::new(),
                ));
            }
        }
        let operations = Operation::all();
        for &actor in Actor::VARIANTS {
            for &operation in &operations {
                let count = self
                    .table
                    .authority
                    .iter()
                    .filter(|entry| entry.actor == actor && entry.operation == operation)
                    .count();
                if count == 0 {
                    problems.push(Problem::new(
                        format!("no entry says whether `{actor}` may `{operation}`"),
                        Vec::new(),
                    ));
                } else if count > 1 {
                    problems.push(Problem::new(
                        format!("`{actor}` `{operation}` has {count} entries"),
                        Vec::new(),
                    ));
                }
            }
        }
        let summary = format!(
            "each of the {} actor and operation pairs is listed once and authorized in every status \
             or in none",
            Actor::VARIANTS.len().saturating_mul(operations.len())
        );
        outcome(Check::AuthorityIgnoresStatus, summary, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{AuthorityEntry, StatusEntry};
    use entitle_core::{Decision, Provenance};

    fn run(table: &LifecycleTable) -> Report {
        verify(table, &mut |_| {})
    }

    fn row(
        from: RequestStatus,
        action: ActionKind,
        when: Condition,
        to: RequestStatus,
    ) -> Transition {
        Transition {
            from,
            action,
            when,
            to,
            provenance: Provenance::Modelled(Decision::SubmissionRouting),
        }
    }

    #[test]
    fn names_parse_back_and_are_distinct() {
        let names: BTreeSet<_> = Check::VARIANTS.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Check::VARIANTS.len());
        for &check in Check::VARIANTS {
            assert_eq!(Check::parse(check.as_str()), Some(check));
            assert_eq!(Check::parse(&check.as_str().to_uppercase()), Some(check));
            assert!(!check.describe().is_empty());
            assert_eq!(
                serde_json::to_string(&check).unwrap(),
                format!("\"{}\"", check.as_str())
            );
        }
        assert_eq!(Check::parse("liveness"), None);
    }

    #[test]
    fn each_check_describes_its_own_requirement() {
        let descriptions: BTreeSet<_> = Check::VARIANTS.iter().map(|c| c.describe()).collect();
        assert_eq!(descriptions.len(), Check::VARIANTS.len());
        assert_eq!(
            Check::TerminalAbsorbs.describe(),
            "no row leaves a status marked terminal"
        );
        for status in RequestStatus::DOCUMENTED_CANCELABLE {
            assert!(
                Check::CancelSet.describe().contains(&format!("`{status}`")),
                "{status}"
            );
        }
        assert!(
            Check::Reachable
                .describe()
                .contains("reachable from `Accepted`")
        );
        assert!(Check::Totality.describe().contains("(status, action) pair"));
        assert!(
            Check::NoDeadEnds
                .describe()
                .contains("can reach a terminal status")
        );
        assert!(
            Check::AuthorityIgnoresStatus
                .describe()
                .contains("authorized in every status or in none")
        );
    }

    #[test]
    fn builtin_passes_and_reports_progress() {
        let mut seen = Vec::new();
        let report = verify(&LifecycleTable::builtin(), &mut |p| seen.push(p));
        assert!(report.passed(), "{}", report.to_text());
        assert_eq!(report.failed(), []);
        assert_eq!(report.outcomes.len(), Check::VARIANTS.len());
        let total = Check::VARIANTS.len();
        let expected: Vec<Progress> = (0..=total).map(|done| Progress { done, total }).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn empty_and_degenerate_tables_do_not_panic() {
        let empty = LifecycleTable {
            statuses: Vec::new(),
            transitions: Vec::new(),
            authority: Vec::new(),
            request_types: Vec::new(),
            assignment: crate::table::AssignmentTable {
                states: Vec::new(),
                transitions: Vec::new(),
            },
            reprocess_window_days: 0,
        };
        let report = run(&empty);
        assert_eq!(
            report.failed(),
            [
                Check::Reachable,
                Check::CancelSet,
                Check::AuthorityIgnoresStatus,
                Check::RequestTypes,
                Check::AssignmentCreation,
            ]
        );

        let mut table = LifecycleTable::builtin();
        table.statuses.clear();
        let report = run(&table);
        assert!(report.failed().contains(&Check::Totality));
        assert!(!report.to_text().is_empty());
    }

    #[test]
    fn unlisted_and_repeated_statuses_break_totality() {
        let mut table = LifecycleTable::builtin();
        table
            .statuses
            .retain(|e| e.status != RequestStatus::Expired);
        let first: StatusEntry = table.statuses[0].clone();
        table.statuses.push(first);
        let report = run(&table);
        let totality = report.outcome(Check::Totality).unwrap();
        assert!(!totality.passed);
        assert!(
            totality
                .message
                .starts_with("status `Accepted` is listed more than once; ")
        );
        assert!(totality.message.contains(
            "row 16 (`PendingApproval --expire [decisionTimedOut]--> Expired`) names `Expired`, \
             which the table does not list"
        ));
    }

    #[test]
    fn repeated_rows_are_reported_with_both_rows() {
        let mut table = LifecycleTable::builtin();
        let repeated = row(
            RequestStatus::Delivering,
            ActionKind::Deliver,
            Condition::Always,
            RequestStatus::DeliveryFailed,
        );
        table.transitions.push(repeated);
        let outcome = run(&table).outcome(Check::Totality).unwrap().clone();
        assert!(!outcome.passed);
        assert_eq!(
            outcome.counterexample,
            [
                Step::Request(PathStep {
                    from: RequestStatus::Delivering,
                    action: ActionKind::Deliver,
                    when: Condition::Always,
                    to: RequestStatus::Delivered,
                }),
                Step::from(&repeated),
            ]
        );
    }

    #[test]
    fn cancel_into_another_status_or_under_a_condition_fails() {
        let mut table = LifecycleTable::builtin();
        for transition in &mut table.transitions {
            if transition.from == RequestStatus::PendingApproval
                && transition.action == ActionKind::Cancel
            {
                transition.to = RequestStatus::Denied;
            }
            if transition.from == RequestStatus::PendingNotBefore
                && transition.action == ActionKind::Cancel
            {
                transition.when = Condition::StartsLater;
            }
        }
        let report = run(&table);
        assert_eq!(report.failed(), [Check::CancelSet]);
        let outcome = report.outcome(Check::CancelSet).unwrap();
        assert_eq!(
            outcome.message,
            "row 17 (`PendingApproval --cancel [always]--> Denied`) cancels from `PendingApproval` \
             into `Denied`, not `Canceled`; cancel from `PendingNotBefore` is allowed only if \
             `startsLater`"
        );
        let text: Vec<String> = outcome
            .counterexample
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            text,
            [
                "Accepted --process [approvalRequired]--> PendingApproval",
                "PendingApproval --cancel [always]--> Denied",
            ]
        );
    }

    #[test]
    fn missing_and_repeated_authority_entries_fail() {
        let mut table = LifecycleTable::builtin();
        let removed = table.authority.remove(0);
        let repeated: AuthorityEntry = table.authority[0].clone();
        table.authority.push(repeated);
        let report = run(&table);
        assert_eq!(report.failed(), [Check::AuthorityIgnoresStatus]);
        assert_eq!(
            report
                .outcome(Check::AuthorityIgnoresStatus)
                .unwrap()
                .message,
            format!(
                "no entry says whether `{}` may `{}`; `requestor-own` `list` has 2 entries",
                removed.actor, removed.operation
            )
        );
    }

    #[test]
    fn a_trap_without_a_terminal_exit_is_a_dead_end() {
        let mut table = LifecycleTable::builtin();
        // Delivering only ever fails, and a failure only goes back to delivering.
        table.transitions.retain(|t| {
            !(t.from == RequestStatus::Delivering && t.to != RequestStatus::DeliveryFailed)
        });
        let report = run(&table);
        assert_eq!(report.failed(), [Check::Reachable, Check::NoDeadEnds]);
        let outcome = report.outcome(Check::NoDeadEnds).unwrap();
        assert_eq!(
            outcome.message,
            "`Delivering` is reachable but cannot reach a terminal status; `DeliveryFailed` is \
             reachable but cannot reach a terminal status"
        );
        assert_eq!(
            outcome.counterexample,
            [Step::Request(PathStep {
                from: RequestStatus::Accepted,
                action: ActionKind::Process,
                when: Condition::Always,
                to: RequestStatus::Delivering,
            })]
        );
    }

    fn assignment_row(
        from: Option<AssignmentState>,
        event: AssignmentEvent,
        when: AssignmentCondition,
        to: AssignmentState,
    ) -> AssignmentTransition {
        AssignmentTransition {
            from,
            event,
            when,
            to,
            provenance: Provenance::Modelled(Decision::AssignmentLifecycle),
        }
    }

    #[test]
    fn a_second_creating_row_fails_creation_with_both_rows() {
        let mut table = LifecycleTable::builtin();
        let second = assignment_row(
            None,
            AssignmentEvent::Delivered,
            AssignmentCondition::Always,
            AssignmentState::Delivered,
        );
        table.assignment.transitions.push(second);
        let report = run(&table);
        assert_eq!(report.failed(), [Check::AssignmentCreation]);
        let outcome = report.outcome(Check::AssignmentCreation).unwrap();
        assert_eq!(
            outcome.message,
            "2 rows create the assignment: assignment row 1 (`(none) --deliveryStarted [always]--> \
             delivering`), assignment row 14 (`(none) --delivered [always]--> delivered`)"
        );
        assert_eq!(outcome.counterexample.len(), 2);
        table
            .assignment
            .transitions
            .retain(|row| row.from.is_some());
        let report = run(&table);
        assert_eq!(
            report.outcome(Check::AssignmentCreation).unwrap().message,
            "no row creates the assignment"
        );
        assert!(report.failed().contains(&Check::AssignmentReachable));
    }

    #[test]
    fn unlisted_states_and_dead_assignment_rows_fail_assignment_rows() {
        let mut table = LifecycleTable::builtin();
        table
            .assignment
            .states
            .retain(|entry| entry.state != AssignmentState::DeliveryFailed);
        let dead = assignment_row(
            Some(AssignmentState::Delivered),
            AssignmentEvent::Removed,
            AssignmentCondition::EndReached,
            AssignmentState::Delivered,
        );
        table.assignment.transitions.push(dead);
        let outcome = run(&table).outcome(Check::AssignmentRows).unwrap().clone();
        assert!(!outcome.passed);
        assert!(outcome.message.starts_with(
            "assignment row 4 (`delivering --deliveryFailed [always]--> deliveryFailed`) names \
             `deliveryFailed`, which the table does not list; "
        ));
        assert!(outcome.message.ends_with(
            "assignment row 14 (`delivered --removed [endReached]--> delivered`) follows assignment \
             row 10 (`delivered --removed [always]--> expired`), which always applies, so it never \
             applies"
        ));
    }

    #[test]
    fn deletion_before_completion_fails_request_types() {
        let mut table = LifecycleTable::builtin();
        for entry in &mut table.request_types {
            if entry.request_type == entitle_core::RequestType::AdminRemove {
                entry.deletable_in.push(RequestStatus::Delivering);
            }
        }
        table
            .request_types
            .retain(|entry| entry.request_type != entitle_core::RequestType::SystemAdd);
        let report = run(&table);
        assert_eq!(report.failed(), [Check::RequestTypes]);
        assert_eq!(
            report.outcome(Check::RequestTypes).unwrap().message,
            "no entry says what a `systemAdd` request is; `adminRemove` requests may be deleted \
             from `Delivering`, which is not completed"
        );
    }

    #[test]
    fn a_request_step_is_no_assignment_step() {
        let row = entitle_core::TRANSITIONS
            .first()
            .expect("the table has rows");
        let step = Step::Request(PathStep::from(row));
        assert_eq!(step.request(), Some(&PathStep::from(row)));
        assert!(step.assignment().is_none());
    }

    #[test]
    fn an_assignment_step_shows_where_it_starts() {
        let step = Step::from(&assignment_row(
            None,
            AssignmentEvent::DeliveryStarted,
            AssignmentCondition::Always,
            AssignmentState::Delivering,
        ));
        assert_eq!(
            step.to_string(),
            "assignment (none) --deliveryStarted [always]--> delivering"
        );
        assert!(step.request().is_none());
        assert_eq!(step.assignment().map(|step| step.from), Some(None));
        assert_eq!(
            serde_json::to_value(step).unwrap(),
            serde_json::json!({
                "from": null,
                "event": "deliveryStarted",
                "when": "always",
                "to": "delivering",
            })
        );
    }

    #[test]
    fn report_json_has_the_verdict_and_camel_case_fields() {
        let json: serde_json::Value =
            serde_json::from_str(&run(&LifecycleTable::builtin()).to_json()).unwrap();
        assert_eq!(json["passed"], true);
        assert_eq!(json["outcomes"][0]["check"], "totality");
        assert_eq!(json["outcomes"][0]["counterexample"], serde_json::json!([]));
    }
}
