//! One logical integrity check for every backend: what a store holds, read back on one snapshot, must
//! agree with itself and with entitle-core's tables. Each backend reads its rows into a
//! [`Snapshot`]; [`check`] finds the problems.

use std::collections::{BTreeMap, BTreeSet};

use entitle_core::{ASSIGNMENT_TRANSITIONS, AssignmentState, Effect, RequestStatus, TRANSITIONS};

use crate::codec;
use crate::history::{Event, HistoryEntry};
use crate::record::{AssignmentRecord, RequestRecord};

/// A request row as stored: its columns and its record's text.
#[derive(Clone, Debug)]
pub(crate) struct RequestRow {
    pub(crate) seq: i64,
    pub(crate) version: i64,
    pub(crate) id: String,
    pub(crate) status: String,
    pub(crate) request_type: String,
    pub(crate) requestor: String,
    pub(crate) target: String,
    pub(crate) next_deadline: Option<i64>,
    pub(crate) body: String,
}

/// A history row as stored.
#[derive(Clone, Debug)]
pub(crate) struct HistoryRow {
    pub(crate) seq: i64,
    pub(crate) request_id: String,
    pub(crate) body: String,
}

/// An assignment row as stored.
#[derive(Clone, Debug)]
pub(crate) struct AssignmentRow {
    pub(crate) id: String,
    pub(crate) version: i64,
    pub(crate) state: String,
    pub(crate) target: String,
    pub(crate) next_deadline: Option<i64>,
    pub(crate) body: String,
}

/// Everything a store holds, read on one snapshot, rows in `seq` order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Snapshot {
    pub(crate) requests: Vec<RequestRow>,
    pub(crate) history: Vec<HistoryRow>,
    pub(crate) assignments: Vec<AssignmentRow>,
}

/// What an integrity check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Integrity {
    /// Requests checked.
    pub requests: usize,
    /// History entries checked.
    pub entries: usize,
    /// Assignments checked.
    pub assignments: usize,
    /// Every problem found, one line each; empty when the store is sound.
    pub problems: Vec<String>,
}

impl Integrity {
    /// Whether the store is sound.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// `ok`, or the problems, at most `shown` of them and then a count.
    pub fn summary(&self, shown: usize) -> String {
        if self.is_ok() {
            return "ok".into();
        }
        let mut lines: Vec<String> = self.problems.iter().take(shown).cloned().collect();
        let more = self.problems.len().saturating_sub(shown);
        if more > 0 {
            lines.push(format!("… and {more} more"));
        }
        lines.join("\n")
    }
}

/// The assignment states an adding request's assignment may be in while the request has `status`:
/// the request drives it through delivery; afterwards a removal or its schedule may have ended it.
fn states_for_adding(status: RequestStatus) -> &'static [AssignmentState] {
    use AssignmentState as A;
    match status {
        RequestStatus::Delivering => &[A::Delivering],
        RequestStatus::Delivered => &[A::Delivered, A::Expired],
        RequestStatus::PartiallyDelivered => &[A::PartiallyDelivered, A::Expired],
        RequestStatus::DeliveryFailed => &[A::DeliveryFailed, A::Expired],
        _ => &[],
    }
}

/// The problems of `snapshot`.
pub(crate) fn check(snapshot: &Snapshot) -> Integrity {
    let mut problems = Vec::new();
    let mut histories: BTreeMap<&str, Vec<HistoryEntry>> = BTreeMap::new();
    for row in &snapshot.history {
        match codec::history_entry(row.seq, &row.body) {
            Ok(entry) => {
                if entry.request_id.to_string() != row.request_id {
                    problems.push(format!(
                        "history entry {}: its request_id column differs from its body",
                        row.seq
                    ));
                }
                histories
                    .entry(row.request_id.as_str())
                    .or_default()
                    .push(entry);
            }
            Err(error) => problems.push(format!("history entry {}: {error}", row.seq)),
        }
    }
    let mut assignments = BTreeMap::new();
    for row in &snapshot.assignments {
        match check_assignment(row) {
            Ok(record) => {
                assignments.insert(row.id.clone(), record);
            }
            Err(problem) => problems.push(format!("assignment `{}`: {problem}", row.id)),
        }
    }
    let mut live = BTreeSet::new();
    let mut creators = BTreeSet::new();
    for row in &snapshot.requests {
        live.insert(row.id.as_str());
        let history = histories
            .get(row.id.as_str())
            .map_or(&[][..], Vec::as_slice);
        match check_request(row, history, &assignments) {
            Ok(Some(created)) => {
                creators.insert(created);
            }
            Ok(None) => {}
            Err(problem) => problems.push(format!("request at seq {}: {problem}", row.seq)),
        }
    }
    for (id, entries) in &histories {
        if !live.contains(id)
            && entries.iter().rev().find_map(HistoryEntry::status_after) != Some(None)
        {
            problems.push(format!(
                "request `{id}` is gone but its last entry is not its deletion"
            ));
        }
    }
    for id in assignments.keys() {
        if !creators.contains(id) {
            problems.push(format!(
                "assignment `{id}` was created by no stored adding request"
            ));
        }
    }
    Integrity {
        requests: snapshot.requests.len(),
        entries: snapshot.history.len(),
        assignments: snapshot.assignments.len(),
        problems,
    }
}

fn check_assignment(row: &AssignmentRow) -> Result<AssignmentRecord, String> {
    let record: AssignmentRecord =
        serde_json::from_str(&row.body).map_err(|error| format!("unreadable: {error}"))?;
    let assignment = &record.assignment;
    if assignment.id.to_string() != row.id
        || assignment.state.as_str() != row.state
        || assignment.target.to_string() != row.target
    {
        return Err("its columns differ from its body".into());
    }
    if row.next_deadline != assignment.next_deadline().map(|at| codec::to_i64(at.0)) {
        return Err("its next_deadline column differs from its body".into());
    }
    if row.version <= 0 {
        return Err("its version is not positive".into());
    }
    Ok(record)
}

/// The problem with a request row, or the id of the assignment it created.
fn check_request(
    row: &RequestRow,
    history: &[HistoryEntry],
    assignments: &BTreeMap<String, AssignmentRecord>,
) -> Result<Option<String>, String> {
    let record: RequestRecord =
        serde_json::from_str(&row.body).map_err(|error| format!("unreadable: {error}"))?;
    let request = &record.request;
    if row.id != request.id.to_string() {
        return Err("its id column differs from its body".into());
    }
    if row.status != request.status.as_str() {
        return Err("its status column differs from its body".into());
    }
    if row.request_type != request.kind.as_str() {
        return Err("its request_type column differs from its body".into());
    }
    if row.requestor != request.requestor.to_string() || row.target != request.target.to_string() {
        return Err("its requestor or target column differs from its body".into());
    }
    if row.next_deadline != codec::deadline_column(&record) {
        return Err("its next_deadline column differs from its body".into());
    }
    if row.version <= 0 {
        return Err("its version is not positive".into());
    }
    check_history(request.status, history)?;
    let assignment = assignments.get(&request.assignment.to_string());
    let adding = request.kind.effect() == Effect::Add;
    let expected = if adding {
        states_for_adding(request.status)
    } else {
        &[]
    };
    match (adding, assignment) {
        (true, None) if !expected.is_empty() => {
            Err("it started delivery but its assignment is missing".into())
        }
        (true, Some(_)) if expected.is_empty() => {
            Err("it has an assignment although it never started delivery".into())
        }
        (true, Some(found)) if !expected.contains(&found.assignment.state) => Err(format!(
            "its assignment is `{}` while it is `{}`",
            found.assignment.state, request.status
        )),
        (true, Some(found)) if found.assignment.created_by != request.id => {
            Err("its assignment was created by another request".into())
        }
        (true, Some(_)) => Ok(Some(request.assignment.to_string())),
        (false, None) if request.kind.needs_assignment() => {
            Err("the assignment it concerns is missing".into())
        }
        _ => Ok(None),
    }
}

/// Whether `history` is a path through the transition table from a submission to `status`.
fn check_history(status: RequestStatus, history: &[HistoryEntry]) -> Result<(), String> {
    let mut current = None;
    for entry in history {
        match &entry.event {
            Event::Submitted { status } if current.is_none() => current = Some(*status),
            Event::Transition {
                rule, assignment, ..
            } => {
                if current != Some(rule.from) || !TRANSITIONS.contains(rule) {
                    return Err(format!(
                        "history entry {} is not a row of the table from `{}`",
                        entry.seq,
                        current.map_or("nothing", RequestStatus::as_str)
                    ));
                }
                if assignment.is_some_and(|row| !ASSIGNMENT_TRANSITIONS.contains(&row)) {
                    return Err(format!(
                        "history entry {} moved its assignment by no row of the table",
                        entry.seq
                    ));
                }
                current = Some(rule.to);
            }
            Event::AssignmentEnded { rule, .. } if ASSIGNMENT_TRANSITIONS.contains(rule) => {}
            _ => {
                return Err(format!(
                    "history entry {} does not follow its predecessors",
                    entry.seq
                ));
            }
        }
    }
    match current {
        None => Err("it has no history".into()),
        Some(last) if last != status => {
            Err(format!("its history leads to `{last}`, it is `{status}`"))
        }
        Some(_) => Ok(()),
    }
}
